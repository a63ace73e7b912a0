//! Users of the actor's organization and the actor's own account: listing, rendering (Label
//! Studio's `UserSerializer`), creating, changing the profile and password, removing from the
//! organization, the legacy token, hotkeys and avatars.

use std::collections::HashMap;

use bytes::Bytes;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::Value;
use tessera_db::entities::user;
use tessera_db::{queries, time, Db};
use tessera_storage::{Media, MediaError};

use crate::accounts::{self, NewAccount};
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::payload::initials;
use crate::permissions::{Action, FORBIDDEN};
use crate::roles::Role;
use crate::secrets::{hash_password, random_hex, verify_password};

/// Organization summary shown with a user.
#[derive(Clone, Serialize)]
pub struct OrganizationMeta {
    pub title: String,
    pub email: String,
}

/// Label Studio's `UserSerializer` output.
#[derive(Serialize)]
pub struct UserOut {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    pub last_activity: String,
    pub custom_hotkeys: Value,
    pub avatar: Option<String>,
    pub initials: String,
    pub phone: String,
    pub active_organization: Option<i64>,
    pub active_organization_meta: Option<OrganizationMeta>,
    pub allow_newsletters: Option<bool>,
    pub date_joined: String,
}

/// A user's hotkeys as stored (an object; `{}` when unreadable).
pub fn hotkeys_of(user: &user::Model) -> Value {
    serde_json::from_str(&user.custom_hotkeys).unwrap_or(Value::Object(Default::default()))
}

/// Renders users, loading each distinct active organization and its owner once.
pub async fn render<C: ConnectionTrait>(
    conn: &C,
    users: Vec<user::Model>,
) -> CoreResult<Vec<UserOut>> {
    let mut metas: HashMap<i64, Option<OrganizationMeta>> = HashMap::new();
    for id in users.iter().filter_map(|u| u.active_organization_id) {
        if metas.contains_key(&id) {
            continue;
        }
        let meta = match queries::organizations::find(conn, id).await? {
            Some(org) => {
                let owner = match org.created_by_id {
                    Some(owner) => queries::users::find(conn, owner).await?.map(|u| u.email),
                    None => None,
                };
                Some(OrganizationMeta {
                    title: org.title,
                    email: owner.unwrap_or_default(),
                })
            }
            None => None,
        };
        metas.insert(id, meta);
    }
    Ok(users
        .into_iter()
        .map(|user| UserOut {
            id: user.id,
            initials: initials(&user),
            active_organization_meta: user
                .active_organization_id
                .and_then(|id| metas.get(&id).cloned().flatten()),
            custom_hotkeys: hotkeys_of(&user),
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
            email: user.email,
            last_activity: time::format(&user.last_activity),
            avatar: user.avatar,
            phone: user.phone,
            active_organization: user.active_organization_id,
            allow_newsletters: user.allow_newsletters,
            date_joined: time::format(&user.date_joined),
        })
        .collect())
}

/// [`render`] of one user.
pub async fn render_one<C: ConnectionTrait>(conn: &C, user: user::Model) -> CoreResult<UserOut> {
    Ok(render(conn, vec![user]).await?.remove(0))
}

/// The organization's users; with `search`, those whose email, username or name holds it,
/// ignoring case (Tessera's filter; Label Studio's community list has none).
pub async fn list(db: &Db, actor: &Actor, search: Option<&str>) -> CoreResult<Vec<UserOut>> {
    let conn = db.conn();
    let mut users = queries::users::list_in_organization(conn, actor.organization_id).await?;
    if let Some(search) = search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        users.retain(|u| {
            [&u.email, &u.username, &u.first_name, &u.last_name]
                .iter()
                .any(|field| field.to_lowercase().contains(&search))
        });
    }
    render(conn, users).await
}

/// A user of the actor's organization.
async fn org_user(db: &Db, actor: &Actor, id: i64) -> CoreResult<user::Model> {
    let member = queries::organizations::membership(db.conn(), actor.organization_id, id).await?;
    let user = match member {
        Some(_) => queries::users::find(db.conn(), id).await?,
        None => None,
    };
    user.ok_or_else(|| CoreError::no_match("User"))
}

/// One user of the actor's organization.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<UserOut> {
    let user = org_user(db, actor, id).await?;
    render_one(db.conn(), user).await
}

/// A user whose account the actor may change (see [`own_or_managed_user`]), checked before the
/// change is read.
pub struct Changeable(user::Model);

/// Checks that the actor may change user `id`'s account (see [`own_or_managed_user`]).
pub async fn changeable(db: &Db, actor: &Actor, id: i64) -> CoreResult<Changeable> {
    Ok(Changeable(own_or_managed_user(db, actor, id).await?))
}

/// A user of the actor's organization whom the actor may change: themselves, or, for those
/// who manage people, an account that belongs to the actor's organization alone (an owner only
/// by an owner). An account shared with another organization is changed only by its user.
async fn own_or_managed_user(db: &Db, actor: &Actor, id: i64) -> CoreResult<user::Model> {
    let user = org_user(db, actor, id).await?;
    if user.id == actor.user.id {
        return Ok(user);
    }
    let conn = db.conn();
    let member = queries::organizations::membership(conn, actor.organization_id, user.id).await?;
    let owner = member.and_then(|m| Role::from_code(&m.role)) == Some(Role::Owner);
    if !Action::ManagePeople.allows(actor.role) || (owner && actor.role != Role::Owner) {
        return Err(CoreError::Forbidden(FORBIDDEN.to_string()));
    }
    if !queries::organizations::is_sole_organization(conn, user.id, actor.organization_id).await? {
        return Err(CoreError::Forbidden(
            "This account also belongs to another organization: only its user can change it."
                .into(),
        ));
    }
    Ok(user)
}

/// The profile fields a body sets (names, username, phone, newsletters).
fn profile_fields(fields: &mut Fields) -> queries::users::ProfileChanges {
    queries::users::ProfileChanges {
        first_name: fields.string("first_name"),
        last_name: fields.string("last_name"),
        username: fields.string("username"),
        phone: fields.string("phone"),
        allow_newsletters: fields.nullable_bool("allow_newsletters"),
        custom_hotkeys: None,
    }
}

/// What a profile change did.
pub struct Updated {
    /// The user as saved.
    pub user: UserOut,
    /// The body asked to change the (read-only) email: Label Studio saves the rest and then
    /// answers 405.
    pub email_refused: bool,
}

/// Changes a user's profile. Label Studio applies the writable fields and then refuses a
/// changed `email` (`users/api.py`), so we do the same in that order. The account's owner may
/// also switch `active_organization` to another organization they belong to, and change
/// `password` with `current_password` (which signs them out everywhere and replaces their
/// legacy token).
pub async fn update(db: &Db, actor: &Actor, id: i64, body: &Value) -> CoreResult<Updated> {
    let user = own_or_managed_user(db, actor, id).await?;
    let mut fields = Fields::new(body)?;
    let changes = queries::users::ProfileChanges {
        custom_hotkeys: fields
            .object("custom_hotkeys")
            .map(|map| Value::Object(map).to_string()),
        ..profile_fields(&mut fields)
    };
    let email_change = fields.string("email").filter(|email| *email != user.email);
    let switch_to = fields
        .integer("active_organization")
        .filter(|id| Some(*id) != user.active_organization_id);
    let new_password = fields.string("password");
    let current_password = fields.string("current_password");
    fields.finish()?;
    let own = user.id == actor.user.id;
    if let Some(organization) = switch_to {
        let member = queries::organizations::membership(db.conn(), organization, user.id).await?;
        let active = member
            .as_ref()
            .and_then(|m| Role::from_code(&m.role))
            .is_some_and(Role::is_active);
        if !own || !active {
            return Err(CoreError::missing("active_organization", organization));
        }
    }
    if let Some(password) = &new_password {
        if !own {
            return Err(CoreError::Forbidden(
                "Only the account's owner changes its password.".into(),
            ));
        }
        match current_password.as_deref() {
            None => {
                return Err(CoreError::field(
                    "current_password",
                    "This field is required.",
                ))
            }
            Some(current) if !verify_password(current, &user.password) => {
                return Err(CoreError::field(
                    "current_password",
                    "The current password is wrong.",
                ));
            }
            Some(_) => {}
        }
        if let Some(problem) = accounts::password_problem(password, &user.email) {
            return Err(CoreError::field("password", problem));
        }
    }
    let txn = db.write().await?;
    let mut user = queries::users::update_profile(&*txn, user, changes).await?;
    if let Some(organization) = switch_to {
        user = queries::users::set_active_organization(&*txn, user, organization).await?;
    }
    if let Some(password) = &new_password {
        queries::users::set_password(&*txn, user.id, hash_password(password)?).await?;
        // A new password ends every way in that the old one may have handed out.
        queries::users::set_token(&*txn, user.id, &random_hex(20)).await?;
        accounts::sign_out_everywhere(&txn, user.id).await?;
    }
    txn.commit().await?;
    Ok(Updated {
        user: render_one(db.conn(), user).await?,
        email_refused: email_change.is_some(),
    })
}

/// Replaces the actor's legacy API token; the new token.
pub async fn reset_token(db: &Db, actor: &Actor) -> CoreResult<String> {
    let token = random_hex(20);
    let txn = db.write().await?;
    queries::users::set_token(&*txn, actor.user.id, &token).await?;
    txn.commit().await?;
    Ok(token)
}

/// Sets the actor's custom hotkeys (`{"custom_hotkeys": {...}}`); the hotkeys as saved.
pub async fn set_hotkeys(db: &Db, actor: &Actor, body: &Value) -> CoreResult<Value> {
    let mut fields = Fields::new(body)?;
    let hotkeys = fields.object("custom_hotkeys");
    fields.finish()?;
    let changes = queries::users::ProfileChanges {
        custom_hotkeys: hotkeys.map(|map| Value::Object(map).to_string()),
        ..Default::default()
    };
    let txn = db.write().await?;
    let user = queries::users::update_profile(&*txn, actor.user.clone(), changes).await?;
    txn.commit().await?;
    Ok(serde_json::from_str(&user.custom_hotkeys).unwrap_or(Value::Null))
}

/// Creates a user in the actor's organization (an annotator until given another role). Label
/// Studio requires `username`; Tessera also requires `email` (accounts sign in with it). An
/// optional `password` follows the sign-up rules; without one the account cannot sign in with a
/// password.
pub async fn create(db: &Db, actor: &Actor, body: &Value) -> CoreResult<UserOut> {
    let mut fields = Fields::new(body)?;
    let email = fields.string("email").map(|e| e.trim().to_lowercase());
    let password = fields.string("password");
    let changes = profile_fields(&mut fields);
    if changes.username.as_deref().is_none_or(str::is_empty) {
        fields.error("username", "This field is required.");
    }
    match &email {
        None => fields.error("email", "This field is required."),
        Some(e) if !accounts::is_email(e) => fields.error("email", "Enter a valid email address."),
        Some(e) => {
            if let Some(problem) = password
                .as_deref()
                .and_then(|p| accounts::password_problem(p, e))
            {
                fields.error("password", problem);
            }
        }
    }
    fields.finish()?;
    let email = email.expect("validated");
    let txn = db.write().await?;
    if queries::users::find_by_email(&*txn, &email)
        .await?
        .is_some()
    {
        return Err(CoreError::field(
            "email",
            "user with this email address already exists.",
        ));
    }
    let account = NewAccount {
        email: &email,
        password: password.as_deref().unwrap_or_default(),
        api_token: None,
        allow_newsletters: None,
        username_from_email: true,
        organization_id: Some(actor.organization_id),
        role: accounts::ROLE_MEMBER,
    };
    let user = accounts::create(&txn, account).await?;
    let user = queries::users::update_profile(&*txn, user, changes).await?;
    txn.commit().await?;
    render_one(db.conn(), user).await
}

/// Removes the user from the actor's organization and signs them out; an account left in no
/// organization is deactivated. Their annotations stay (Label Studio deletes the account; see
/// docs/COMPATIBILITY.md). Nobody deletes an owner or themselves.
pub async fn remove(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let user = org_user(db, actor, id).await?;
    let txn = db.write().await?;
    let member = queries::organizations::membership(&*txn, actor.organization_id, user.id)
        .await?
        .ok_or_else(|| CoreError::no_match("User"))?;
    if user.id == actor.user.id || Role::from_code(&member.role) == Some(Role::Owner) {
        return Err(CoreError::Forbidden(
            "The organization owner cannot be deleted".into(),
        ));
    }
    accounts::remove_member(&txn, &member, accounts::Orphaned::Deactivated).await?;
    txn.commit().await?;
    Ok(())
}

/// Largest avatar accepted.
const AVATAR_MAX_BYTES: usize = 1024 * 1024;

/// Whether the bytes start like a PNG, JPEG or GIF file.
fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
}

/// Stores an uploaded avatar (PNG, JPEG or GIF up to 1 MiB, judged by its file name and first
/// bytes) for a user whose account the actor may change, replacing the old one.
pub async fn set_avatar(
    db: &Db,
    media: &Media,
    Changeable(user): Changeable,
    file_name: &str,
    bytes: Bytes,
) -> CoreResult<()> {
    let name = file_name.to_lowercase();
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ["png", "jpg", "jpeg", "gif"].contains(ext));
    let Some(extension) = extension else {
        return Err(CoreError::BadRequest(
            "Please upload a valid image file with extensions: JPEG, JPG, GIF, or PNG.".into(),
        ));
    };
    if !looks_like_image(&bytes) {
        return Err(CoreError::BadRequest(
            "Can't read image, try another one".into(),
        ));
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(CoreError::BadRequest(
            "Avatar file size may not exceed 1024.0 kb".into(),
        ));
    }
    let file = format!("avatars/{}-{}.{extension}", user.id, random_hex(8));
    media.put(&file, bytes).await?;
    let txn = db.write().await?;
    let old = user.avatar.clone();
    queries::users::set_avatar(&*txn, user, Some(format!("/data/{file}"))).await?;
    txn.commit().await?;
    remove_avatar_file(media, old.as_deref()).await;
    Ok(())
}

/// Removes the avatar of the actor or of a user they manage.
pub async fn remove_avatar(db: &Db, media: &Media, actor: &Actor, id: i64) -> CoreResult<()> {
    let user = own_or_managed_user(db, actor, id).await?;
    let txn = db.write().await?;
    let old = user.avatar.clone();
    queries::users::set_avatar(&*txn, user, None).await?;
    txn.commit().await?;
    remove_avatar_file(media, old.as_deref()).await;
    Ok(())
}

/// Removes a replaced avatar's file (best effort: a leftover file harms nothing).
async fn remove_avatar_file(media: &Media, url: Option<&str>) {
    if let Some(file) = url
        .and_then(|u| u.strip_prefix("/data/"))
        .filter(|f| f.starts_with("avatars/") && !f.contains(".."))
    {
        if let Err(err) = media.delete(file).await {
            tracing::warn!(error = %err, "removing a replaced avatar failed");
        }
    }
}

/// The bytes of the avatar file `name`; `NotFound` for a name that is not one.
pub async fn avatar(media: &Media, name: &str) -> CoreResult<Bytes> {
    let not_found = || CoreError::NotFound("Not found.".into());
    if name.contains('/') || name.contains("..") {
        return Err(not_found());
    }
    match media.get(&format!("avatars/{name}")).await {
        Ok(bytes) => Ok(bytes),
        Err(MediaError::NotFound(_) | MediaError::InvalidKey(_)) => Err(not_found()),
        Err(err) => Err(err.into()),
    }
}
