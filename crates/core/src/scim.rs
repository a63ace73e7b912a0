//! SCIM 2.0 provisioning (RFC 7643 / 7644) for identity providers, one organization per token.
//!
//! - **Users** are the organization's members; `userName` is the email. `active: false` makes the
//!   member Deactivated (signed out, refused everywhere) and `active: true` an Annotator again;
//!   `DELETE` removes them from the organization. Accounts created here have no password.
//! - **Groups** are of two kinds. The role groups `Administrators`, `Managers`, `Reviewers` and
//!   `Annotators` (ids `role-ad`, ...) give their members that role; leaving one makes the member
//!   an Annotator. Every other group is a workspace (id `workspace-<id>`) whose members are the
//!   workspace's. Owners keep their role whatever the groups say.
//!
//! Tokens: [`create_token`] (owners and administrators) hands out a new one, [`revoke_tokens`]
//! revokes them all. SCIM errors use SCIM's own body ([`ScimError::body`]), not Label Studio's
//! envelope. The server's `api/scim.rs` maps each route to one function here.

use serde::Deserialize;
use serde_json::{json, Value};
use tessera_db::entities::{organization_member, user, workspace};
use tessera_db::queries::workspaces::WorkspaceFields;
use tessera_db::{queries, time, Db, WriteTxn};

use crate::accounts::{self, NewAccount};
use crate::actor::Actor;
use crate::error::CoreResult;
use crate::roles::Role;
use crate::secrets::{random_hex, sha256_hex};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Largest page a list returns.
const MAX_COUNT: u64 = 200;

/// The organization a request's SCIM token belongs to (set by `auth::access::authorize`).
#[derive(Debug, Clone, Copy)]
pub struct ScimClient {
    pub organization_id: i64,
}

/// The organization a SCIM bearer token belongs to, if it is a live token.
pub async fn client_of(db: &Db, authorization: Option<&str>) -> CoreResult<Option<ScimClient>> {
    let token = authorization
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"));
    let Some((_, token)) = token.map(|(scheme, token)| (scheme, token.trim())) else {
        return Ok(None);
    };
    let organization = queries::scim::organization_of(db.conn(), &sha256_hex(token)).await?;
    Ok(organization.map(|organization_id| ScimClient { organization_id }))
}

/// A SCIM error response.
#[derive(Debug)]
pub struct ScimError {
    status: u16,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub fn new(
        status: u16,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError::new(400, Some(scim_type), detail)
    }

    fn not_found(what: &str, id: &str) -> ScimError {
        ScimError::new(404, None, format!("{what} {id} not found"))
    }
}

impl ScimError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// SCIM's error document.
    pub fn body(&self) -> Value {
        let mut body = json!({"schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail});
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        body
    }
}

/// Unexpected failures: logged, answered with an opaque 500 in SCIM's body.
macro_rules! internal_scim_error {
    ($($from:ty),*) => {$(
        impl From<$from> for ScimError {
            fn from(err: $from) -> ScimError {
                tracing::error!(error = %err, "SCIM error");
                ScimError::new(500, None, "Internal server error")
            }
        }
    )*};
}
internal_scim_error!(sea_orm::DbErr, anyhow::Error, crate::CoreError);

/// What a SCIM operation answers: a SCIM document, or SCIM's error.
pub type ScimResult<T = Value> = Result<T, ScimError>;

fn list(resources: Vec<Value>, total: u64, start_index: u64) -> ScimResult {
    let items = resources.len();
    Ok(
        json!({"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start_index, "itemsPerPage": items, "Resources": resources}),
    )
}

/// `startIndex` (1-based), `count` and `filter` of a list request.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(rename = "startIndex")]
    pub start_index: Option<u64>,
    pub count: Option<u64>,
    pub filter: Option<String>,
}

impl ListParams {
    fn window(&self) -> (u64, u64) {
        // Past the databases' largest offset there is nothing to list either.
        let start = self.start_index.unwrap_or(1).clamp(1, i64::MAX as u64);
        (start, self.count.unwrap_or(100).min(MAX_COUNT))
    }

    /// The value of an `<attribute> eq "<value>"` filter on one of `attributes`; other filters
    /// are refused as SCIM says.
    fn equality(&self, attributes: &[&str]) -> Result<Option<String>, ScimError> {
        let Some(filter) = self
            .filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        else {
            return Ok(None);
        };
        let invalid = || ScimError::bad("invalidFilter", format!("Unsupported filter: {filter}"));
        let mut parts = filter.splitn(3, ' ');
        let (attribute, operator, value) = (
            parts.next().ok_or_else(invalid)?,
            parts.next().ok_or_else(invalid)?,
            parts.next().ok_or_else(invalid)?,
        );
        if !operator.eq_ignore_ascii_case("eq")
            || !attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute))
        {
            return Err(invalid());
        }
        let value = value
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(invalid)?;
        Ok(Some(value.replace("\\\"", "\"")))
    }
}

// ----- discovery -----

/// The ServiceProviderConfig document.
pub fn service_provider_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/tessera-labeling/tessera/blob/main/README.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The organization's SCIM token (POST /api/scim/token), as Authorization: Bearer <token>",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"}
    })
}

fn resource_types() -> Vec<Value> {
    [("User", "/Users", USER_SCHEMA), ("Group", "/Groups", GROUP_SCHEMA)]
        .into_iter()
        .map(|(name, endpoint, schema)| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": name, "name": name, "endpoint": endpoint, "schema": schema,
                "meta": {"resourceType": "ResourceType", "location": format!("/scim/v2/ResourceTypes/{name}")}
            })
        })
        .collect()
}

/// The ResourceTypes list.
pub fn list_resource_types() -> ScimResult {
    list(resource_types(), 2, 1)
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({"name": name, "type": kind, "multiValued": false, "required": required, "caseExact": false,
           "mutability": mutability, "returned": "default", "uniqueness": uniqueness})
}

fn schemas() -> Vec<Value> {
    let name = json!({"name": "name", "type": "complex", "multiValued": false, "required": false, "mutability": "readWrite",
        "returned": "default", "subAttributes": [
            attribute("givenName", "string", false, "readWrite", "none"),
            attribute("familyName", "string", false, "readWrite", "none"),
            attribute("formatted", "string", false, "readOnly", "none")]});
    let emails = json!({"name": "emails", "type": "complex", "multiValued": true, "required": false, "mutability": "readOnly",
        "returned": "default", "subAttributes": [attribute("value", "string", false, "readOnly", "server"), attribute("primary", "boolean", false, "readOnly", "none")]});
    let members = json!({"name": "members", "type": "complex", "multiValued": true, "required": false, "mutability": "readWrite",
        "returned": "default", "subAttributes": [attribute("value", "string", false, "immutable", "none"), attribute("display", "string", false, "readOnly", "none")]});
    vec![
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], "id": USER_SCHEMA, "name": "User", "description": "An organization member",
               "attributes": [attribute("userName", "string", true, "immutable", "server"), name, attribute("displayName", "string", false, "readOnly", "none"),
                              emails, attribute("active", "boolean", false, "readWrite", "none")],
               "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{USER_SCHEMA}")}}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], "id": GROUP_SCHEMA, "name": "Group", "description": "A role or a workspace",
               "attributes": [attribute("displayName", "string", true, "readWrite", "server"), members],
               "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{GROUP_SCHEMA}")}}),
    ]
}

/// The Schemas list.
pub fn list_schemas() -> ScimResult {
    list(schemas(), 2, 1)
}

// ----- users -----

fn render_user(user: &user::Model, member: &organization_member::Model) -> Value {
    let active = Role::from_code(&member.role).is_some_and(Role::is_active);
    let formatted = format!("{} {}", user.first_name, user.last_name)
        .trim()
        .to_string();
    let created = time::format(&user.date_joined);
    json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.to_string(),
        "userName": user.email,
        "name": {"givenName": user.first_name, "familyName": user.last_name, "formatted": formatted},
        "displayName": if formatted.is_empty() { user.email.clone() } else { formatted },
        "emails": [{"value": user.email, "primary": true, "type": "work"}],
        "active": active,
        "meta": {"resourceType": "User", "created": created, "lastModified": time::format(&member.updated_at),
                 "location": format!("/scim/v2/Users/{}", user.id)}
    })
}

/// A live member of the client's organization, by SCIM id.
async fn member_user<C: sea_orm::ConnectionTrait>(
    conn: &C,
    client: ScimClient,
    id: &str,
) -> Result<(user::Model, organization_member::Model), ScimError> {
    let not_found = || ScimError::not_found("User", id);
    let user_id: i64 = id.parse().map_err(|_| not_found())?;
    let member = queries::organizations::membership(conn, client.organization_id, user_id)
        .await?
        .ok_or_else(not_found)?;
    let user = queries::users::find(conn, user_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((user, member))
}

pub async fn list_users(db: &Db, client: ScimClient, params: &ListParams) -> ScimResult {
    let conn = db.conn();
    let (start, count) = params.window();
    if let Some(email) = params.equality(&["userName", "emails.value", "emails"])? {
        let found = match queries::users::find_by_email(conn, &email.to_lowercase()).await? {
            Some(user) => queries::organizations::membership(conn, client.organization_id, user.id)
                .await?
                .map(|m| render_user(&user, &m)),
            None => None,
        };
        let total = u64::from(found.is_some());
        return list(
            found
                .into_iter()
                .filter(|_| start == 1 && count > 0)
                .collect(),
            total,
            start,
        );
    }
    let (page, total) = queries::organizations::members_page(
        conn,
        client.organization_id,
        &Default::default(),
        start - 1,
        count,
    )
    .await?;
    list(
        page.iter()
            .map(|(member, user)| render_user(user, member))
            .collect(),
        total,
        start,
    )
}

pub async fn get_user(db: &Db, client: ScimClient, id: &str) -> ScimResult {
    let (user, member) = member_user(db.conn(), client, id).await?;
    Ok(render_user(&user, &member))
}

/// The writable user attributes a request sets.
#[derive(Default)]
struct UserChanges {
    given_name: Option<String>,
    family_name: Option<String>,
    active: Option<bool>,
}

impl UserChanges {
    /// From a full resource (POST, PUT) or a PATCH value without a path.
    fn from_resource(body: &Value) -> Result<UserChanges, ScimError> {
        let mut changes = UserChanges::default();
        for (key, value) in body.as_object().into_iter().flatten() {
            changes.set(key, value)?;
        }
        Ok(changes)
    }

    fn set(&mut self, path: &str, value: &Value) -> Result<(), ScimError> {
        let text = |value: &Value| {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| ScimError::bad("invalidValue", format!("{path} must be a string")))
        };
        match path.to_ascii_lowercase().as_str() {
            "active" => {
                // Entra ID sends "True" / "False" as strings.
                let active = value
                    .as_bool()
                    .or_else(|| value.as_str().and_then(crate::fields::parse_bool));
                self.active =
                    Some(active.ok_or_else(|| {
                        ScimError::bad("invalidValue", "active must be a boolean")
                    })?);
            }
            "name" => {
                for (key, part) in value.as_object().into_iter().flatten() {
                    self.set(&format!("name.{key}"), part)?;
                }
            }
            "name.givenname" => self.given_name = Some(text(value)?),
            "name.familyname" => self.family_name = Some(text(value)?),
            // Read-only or not kept: accepted and ignored, as identity providers send them.
            _ => {}
        }
        Ok(())
    }

    /// Applies the changes to a member: names, and `active` as Deactivated / Annotator.
    async fn apply(
        self,
        txn: &WriteTxn,
        user: user::Model,
        member: organization_member::Model,
    ) -> Result<(user::Model, organization_member::Model), ScimError> {
        // Names belong to the account, which other organizations may share: one identity
        // provider renames only accounts that are in its organization alone.
        let user = if queries::organizations::is_sole_organization(
            &**txn,
            user.id,
            member.organization_id,
        )
        .await?
        {
            let profile = queries::users::ProfileChanges {
                first_name: self.given_name,
                last_name: self.family_name,
                ..Default::default()
            };
            queries::users::update_profile(&**txn, user, profile).await?
        } else {
            user
        };
        let role = Role::from_code(&member.role);
        let new_role = match (self.active, role) {
            (_, Some(Role::Owner)) => None,
            (Some(false), Some(r)) if r.is_active() => Some(Role::Deactivated),
            (Some(true), Some(r)) if !r.is_active() => Some(Role::Annotator),
            _ => None,
        };
        if let Some(new_role) = new_role {
            set_role(txn, &member, new_role).await?;
        }
        let member = queries::organizations::member(&**txn, member.organization_id, member.user_id)
            .await?
            .unwrap_or(member);
        Ok((user, member))
    }
}

/// Gives a member a role (never an owner's), signing them out when it changes.
async fn set_role(
    txn: &WriteTxn,
    member: &organization_member::Model,
    role: Role,
) -> Result<(), ScimError> {
    let current = Role::from_code(&member.role);
    if current == Some(role) || current == Some(Role::Owner) {
        return Ok(());
    }
    queries::organizations::set_role(&**txn, member.id, role.code(), time::now()).await?;
    accounts::sign_out_everywhere(txn, member.user_id).await?;
    Ok(())
}

pub async fn create_user(db: &Db, client: ScimClient, body: &Value) -> ScimResult {
    let email = body
        .get("userName")
        .and_then(Value::as_str)
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ScimError::bad(
            "invalidValue",
            "userName must be the user's email address",
        ));
    }
    let changes = UserChanges::from_resource(body)?;
    let txn = db.write().await?;
    // An identity provider provisions only its organization's accounts: new ones, and former
    // members coming back. An account of another organization is not its to enroll (see
    // docs/SECURITY.md), and is answered as any existing account, so nothing more is revealed.
    let exists = || {
        ScimError::new(
            409,
            Some("uniqueness"),
            format!("User {email} already exists"),
        )
    };
    let user = match queries::users::find_by_email(&*txn, &email).await? {
        Some(user) => {
            match queries::organizations::member(&*txn, client.organization_id, user.id).await? {
                Some(member) if member.deleted_at.is_none() => return Err(exists()),
                Some(member) => {
                    queries::organizations::restore_member(
                        &*txn,
                        member.id,
                        Role::Annotator.code(),
                        time::now(),
                    )
                    .await?;
                    accounts::settle_active_organization(&txn, user, client.organization_id).await?
                }
                None => return Err(exists()),
            }
        }
        None => {
            let account = NewAccount {
                email: &email,
                password: "",
                api_token: None,
                allow_newsletters: None,
                username_from_email: true,
                organization_id: Some(client.organization_id),
                role: Role::Annotator,
            };
            accounts::create(&txn, account).await?
        }
    };
    // An account deactivated when it left its last organization comes back to life.
    let user = if user.is_active {
        user
    } else {
        queries::users::set_active(&*txn, user.id, true).await?;
        tessera_db::entities::user::Model {
            is_active: true,
            ..user
        }
    };
    let member = queries::organizations::membership(&*txn, client.organization_id, user.id)
        .await?
        .expect("just added");
    let (user, member) = changes.apply(&txn, user, member).await?;
    txn.commit().await?;
    Ok(render_user(&user, &member))
}

pub async fn replace_user(db: &Db, client: ScimClient, id: &str, body: &Value) -> ScimResult {
    let txn = db.write().await?;
    let (user, member) = member_user(&*txn, client, id).await?;
    if let Some(name) = body.get("userName").and_then(Value::as_str) {
        if !name.trim().eq_ignore_ascii_case(&user.email) {
            return Err(ScimError::bad(
                "mutability",
                "userName (the email) cannot be changed",
            ));
        }
    }
    let changes = UserChanges::from_resource(body)?;
    let (user, member) = changes.apply(&txn, user, member).await?;
    txn.commit().await?;
    Ok(render_user(&user, &member))
}

/// The operations of a PATCH request.
fn operations(body: &Value) -> Result<Vec<(String, Option<String>, Value)>, ScimError> {
    let schemas = body.get("schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA)) {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("A PATCH body carries the schema {PATCH_SCHEMA}"),
        ));
    }
    let Some(list) = body.get("Operations").and_then(Value::as_array) else {
        return Err(ScimError::bad("invalidSyntax", "Operations is required"));
    };
    list.iter()
        .map(|op| {
            let kind = op
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if !["add", "replace", "remove"].contains(&kind.as_str()) {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!("Unknown operation {kind:?}"),
                ));
            }
            let path = op.get("path").and_then(Value::as_str).map(str::to_string);
            Ok((kind, path, op.get("value").cloned().unwrap_or(Value::Null)))
        })
        .collect()
}

pub async fn patch_user(db: &Db, client: ScimClient, id: &str, body: &Value) -> ScimResult {
    let mut changes = UserChanges::default();
    for (kind, path, value) in operations(body)? {
        match (kind.as_str(), path) {
            ("remove", _) => {}
            (_, Some(path)) => changes.set(&path, &value)?,
            (_, None) => {
                let whole = UserChanges::from_resource(&value)?;
                changes.given_name = whole.given_name.or(changes.given_name);
                changes.family_name = whole.family_name.or(changes.family_name);
                changes.active = whole.active.or(changes.active);
            }
        }
    }
    let txn = db.write().await?;
    let (user, member) = member_user(&*txn, client, id).await?;
    let (user, member) = changes.apply(&txn, user, member).await?;
    txn.commit().await?;
    Ok(render_user(&user, &member))
}

pub async fn delete_user(db: &Db, client: ScimClient, id: &str) -> ScimResult<()> {
    let txn = db.write().await?;
    let (_, member) = member_user(&*txn, client, id).await?;
    if Role::from_code(&member.role) == Some(Role::Owner) {
        return Err(ScimError::bad(
            "mutability",
            "The organization owner cannot be removed",
        ));
    }
    accounts::remove_member(&txn, &member, accounts::Orphaned::Deactivated).await?;
    txn.commit().await?;
    Ok(())
}

// ----- groups -----

/// The roles SCIM groups hand out, with the groups' names.
const ROLE_GROUPS: [(Role, &str); 4] = [
    (Role::Administrator, "Administrators"),
    (Role::Manager, "Managers"),
    (Role::Reviewer, "Reviewers"),
    (Role::Annotator, "Annotators"),
];

/// A group: a role or a workspace.
#[derive(Debug, Clone)]
enum Group {
    Role(Role, &'static str),
    Workspace(workspace::Model),
}

impl Group {
    fn id(&self) -> String {
        match self {
            Group::Role(role, _) => format!("role-{}", role.code().to_lowercase()),
            Group::Workspace(w) => format!("workspace-{}", w.id),
        }
    }

    fn display_name(&self) -> String {
        match self {
            Group::Role(_, name) => name.to_string(),
            Group::Workspace(w) => w.title.clone(),
        }
    }

    async fn members<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        organization_id: i64,
    ) -> Result<Vec<user::Model>, ScimError> {
        Ok(match self {
            Group::Role(role, _) => {
                queries::organizations::members_with_role(conn, organization_id, role.code())
                    .await?
            }
            Group::Workspace(w) => {
                queries::users::find_many(conn, &queries::workspaces::member_ids(conn, w.id).await?)
                    .await?
            }
        })
    }

    async fn render<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        organization_id: i64,
    ) -> Result<Value, ScimError> {
        let members: Vec<Value> = self
            .members(conn, organization_id)
            .await?
            .iter()
            .map(|u| json!({"value": u.id.to_string(), "display": u.email, "$ref": format!("/scim/v2/Users/{}", u.id)}))
            .collect();
        let id = self.id();
        Ok(
            json!({"schemas": [GROUP_SCHEMA], "id": id, "displayName": self.display_name(), "members": members,
                  "meta": {"resourceType": "Group", "location": format!("/scim/v2/Groups/{id}")}}),
        )
    }

    /// Makes exactly `wanted` the group's members.
    async fn replace_members(
        &self,
        txn: &WriteTxn,
        organization_id: i64,
        wanted: &[i64],
    ) -> Result<(), ScimError> {
        let current: Vec<i64> = self
            .members(&**txn, organization_id)
            .await?
            .iter()
            .map(|u| u.id)
            .collect();
        let add: Vec<i64> = wanted
            .iter()
            .copied()
            .filter(|id| !current.contains(id))
            .collect();
        let remove: Vec<i64> = current
            .iter()
            .copied()
            .filter(|id| !wanted.contains(id))
            .collect();
        self.set_members(txn, organization_id, &add, &remove).await
    }

    /// Adds and removes members: a role for them (Annotator for those who leave a
    /// role group), or the workspace's membership.
    async fn set_members(
        &self,
        txn: &WriteTxn,
        organization_id: i64,
        add: &[i64],
        remove: &[i64],
    ) -> Result<(), ScimError> {
        for &user_id in add.iter().chain(remove) {
            if queries::organizations::membership(&**txn, organization_id, user_id)
                .await?
                .is_none()
            {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("User {user_id} is not a member of the organization"),
                ));
            }
        }
        match self {
            Group::Role(role, _) => {
                for (&user_id, role) in add
                    .iter()
                    .map(|id| (id, *role))
                    .chain(remove.iter().map(|id| (id, Role::Annotator)))
                {
                    let member =
                        queries::organizations::membership(&**txn, organization_id, user_id)
                            .await?
                            .expect("checked");
                    set_role(txn, &member, role).await?;
                }
            }
            Group::Workspace(w) => {
                for &user_id in add {
                    queries::workspaces::add_member(&**txn, w.id, user_id, time::now()).await?;
                }
                for &user_id in remove {
                    queries::workspaces::remove_member(&**txn, w.id, user_id).await?;
                }
            }
        }
        Ok(())
    }
}

/// Every group of an organization: the role groups, then its shared workspaces by id.
async fn groups<C: sea_orm::ConnectionTrait>(
    conn: &C,
    organization_id: i64,
) -> Result<Vec<Group>, ScimError> {
    let mut all: Vec<Group> = ROLE_GROUPS
        .iter()
        .map(|(role, name)| Group::Role(*role, name))
        .collect();
    let filter = queries::workspaces::ListFilter {
        is_personal: Some(false),
        is_archived: None,
        everyone: true,
        member_only: false,
    };
    let mut workspaces = queries::workspaces::list(conn, organization_id, 0, &filter).await?;
    workspaces.sort_by_key(|w| w.id);
    all.extend(workspaces.into_iter().map(Group::Workspace));
    Ok(all)
}

async fn find_group<C: sea_orm::ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    id: &str,
) -> Result<Group, ScimError> {
    groups(conn, organization_id)
        .await?
        .into_iter()
        .find(|g| g.id() == id)
        .ok_or_else(|| ScimError::not_found("Group", id))
}

pub async fn list_groups(db: &Db, client: ScimClient, params: &ListParams) -> ScimResult {
    let conn = db.conn();
    let (start, count) = params.window();
    let wanted = params.equality(&["displayName"])?;
    let all: Vec<Group> = groups(conn, client.organization_id)
        .await?
        .into_iter()
        .filter(|g| wanted.as_ref().is_none_or(|w| *w == g.display_name()))
        .collect();
    let total = all.len() as u64;
    let mut page = Vec::new();
    for group in all.iter().skip((start - 1) as usize).take(count as usize) {
        page.push(group.render(conn, client.organization_id).await?);
    }
    list(page, total, start)
}

pub async fn get_group(db: &Db, client: ScimClient, id: &str) -> ScimResult {
    let group = find_group(db.conn(), client.organization_id, id).await?;
    group.render(db.conn(), client.organization_id).await
}

/// User ids of a `members` value (`[{"value": "12"}, ...]`).
fn member_ids(value: &Value) -> Result<Vec<i64>, ScimError> {
    let items = match value {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![value.clone()],
        Value::Null => Vec::new(),
        _ => {
            return Err(ScimError::bad(
                "invalidValue",
                "members must be a list of {\"value\": <user id>}",
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            let raw = item.get("value").and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            });
            raw.and_then(|v| v.parse().ok()).ok_or_else(|| {
                ScimError::bad("invalidValue", format!("Not a member reference: {item}"))
            })
        })
        .collect()
}

fn display_name_of(body: &Value) -> Result<String, ScimError> {
    body.get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))
}

fn workspace_fields(title: String, workspace: Option<&workspace::Model>) -> WorkspaceFields {
    WorkspaceFields {
        title,
        description: workspace.map(|w| w.description.clone()).unwrap_or_default(),
        color: workspace
            .map(|w| w.color.clone())
            .unwrap_or_else(|| "#FFFFFF".to_string()),
        is_personal: false,
        is_archived: workspace.is_some_and(|w| w.is_archived),
    }
}

pub async fn create_group(db: &Db, client: ScimClient, body: &Value) -> ScimResult {
    let name = display_name_of(body)?;
    let members = member_ids(body.get("members").unwrap_or(&Value::Null))?;
    let txn = db.write().await?;
    if groups(&*txn, client.organization_id)
        .await?
        .iter()
        .any(|g| g.display_name() == name)
    {
        return Err(ScimError::new(
            409,
            Some("uniqueness"),
            format!("Group {name} already exists"),
        ));
    }
    let organization = queries::organizations::find(&*txn, client.organization_id)
        .await?
        .ok_or_else(|| ScimError::not_found("Organization", "of this token"))?;
    let creator = organization.created_by_id.ok_or_else(|| {
        ScimError::bad(
            "invalidValue",
            "The organization has no owner to create workspaces",
        )
    })?;
    let created = queries::workspaces::insert(
        &*txn,
        client.organization_id,
        creator,
        workspace_fields(name, None),
        time::now(),
    )
    .await?;
    // The workspace starts with its creator as a member; the group has exactly its members.
    if !members.contains(&creator) {
        queries::workspaces::remove_member(&*txn, created.id, creator).await?;
    }
    let group = Group::Workspace(created);
    group
        .set_members(&txn, client.organization_id, &members, &[])
        .await?;
    let rendered = group.render(&*txn, client.organization_id).await?;
    txn.commit().await?;
    Ok(rendered)
}

/// Renames a group (workspaces only; role groups keep their names).
async fn rename(txn: &WriteTxn, group: &Group, name: String) -> Result<(), ScimError> {
    match group {
        Group::Workspace(w) if w.title != name => {
            queries::workspaces::update(&**txn, w.id, workspace_fields(name, Some(w)), time::now())
                .await?;
            Ok(())
        }
        Group::Role(_, current) if *current != name => Err(ScimError::bad(
            "mutability",
            "Role groups cannot be renamed",
        )),
        _ => Ok(()),
    }
}

pub async fn replace_group(db: &Db, client: ScimClient, id: &str, body: &Value) -> ScimResult {
    let name = display_name_of(body)?;
    let wanted = member_ids(body.get("members").unwrap_or(&Value::Null))?;
    let txn = db.write().await?;
    let group = find_group(&*txn, client.organization_id, id).await?;
    rename(&txn, &group, name).await?;
    group
        .replace_members(&txn, client.organization_id, &wanted)
        .await?;
    let group = find_group(&*txn, client.organization_id, id).await?;
    let rendered = group.render(&*txn, client.organization_id).await?;
    txn.commit().await?;
    Ok(rendered)
}

/// The user id in a `members[value eq "12"]` path.
fn member_in_path(path: &str) -> Option<i64> {
    let inner = path.strip_prefix("members[")?.strip_suffix(']')?;
    let value = inner
        .trim()
        .strip_prefix("value")?
        .trim()
        .strip_prefix("eq")?
        .trim();
    value.trim_matches('"').parse().ok()
}

pub async fn patch_group(db: &Db, client: ScimClient, id: &str, body: &Value) -> ScimResult {
    let operations = operations(body)?;
    let txn = db.write().await?;
    let group = find_group(&*txn, client.organization_id, id).await?;
    for (kind, path, value) in operations {
        let path = path.unwrap_or_default();
        let lower = path.to_ascii_lowercase();
        match (kind.as_str(), lower.as_str()) {
            ("add", "members") => {
                group
                    .set_members(&txn, client.organization_id, &member_ids(&value)?, &[])
                    .await?
            }
            ("remove", "members") => {
                group
                    .set_members(&txn, client.organization_id, &[], &member_ids(&value)?)
                    .await?
            }
            ("remove", _) if member_in_path(&path).is_some() => {
                group
                    .set_members(
                        &txn,
                        client.organization_id,
                        &[],
                        &[member_in_path(&path).expect("checked")],
                    )
                    .await?
            }
            ("replace", "members") => {
                group
                    .replace_members(&txn, client.organization_id, &member_ids(&value)?)
                    .await?;
            }
            ("replace", "displayname") => {
                rename(&txn, &group, value.as_str().unwrap_or_default().to_string()).await?
            }
            ("replace" | "add", "") => {
                if let Some(name) = value.get("displayName").and_then(Value::as_str) {
                    rename(&txn, &group, name.to_string()).await?;
                }
                if let Some(members) = value.get("members") {
                    group
                        .set_members(&txn, client.organization_id, &member_ids(members)?, &[])
                        .await?;
                }
            }
            _ => {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("Unsupported {kind} of {path:?}"),
                ))
            }
        }
    }
    let group = find_group(&*txn, client.organization_id, id).await?;
    let rendered = group.render(&*txn, client.organization_id).await?;
    txn.commit().await?;
    Ok(rendered)
}

pub async fn delete_group(db: &Db, client: ScimClient, id: &str) -> ScimResult<()> {
    let txn = db.write().await?;
    match find_group(&*txn, client.organization_id, id).await? {
        Group::Role(..) => Err(ScimError::bad(
            "mutability",
            "Role groups cannot be deleted",
        )),
        Group::Workspace(w) => {
            if queries::workspaces::project_count(&*txn, w.id).await? > 0 {
                return Err(ScimError::new(
                    409,
                    None,
                    "The workspace still holds projects; move them out first",
                ));
            }
            queries::workspaces::delete(&*txn, w.id).await?;
            txn.commit().await?;
            Ok(())
        }
    }
}

// ----- tokens -----

/// A new SCIM token for the actor's organization, shown once.
pub async fn create_token(db: &Db, actor: &Actor) -> CoreResult<String> {
    let token = random_hex(32);
    let txn = db.write().await?;
    queries::scim::insert_token(
        &*txn,
        actor.organization_id,
        sha256_hex(&token),
        time::now(),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Revokes every SCIM token of the actor's organization.
pub async fn revoke_tokens(db: &Db, actor: &Actor) -> CoreResult<()> {
    let txn = db.write().await?;
    queries::scim::revoke_tokens(&*txn, actor.organization_id).await?;
    txn.commit().await?;
    Ok(())
}
