//! Webhooks (Label Studio's `webhooks` app): URLs an organization or a project calls when
//! things happen. The transaction that makes something happen records a delivery with Label
//! Studio's body for each webhook listening ([`emit`], [`body`]); a background job per webhook
//! sends its deliveries in order, retrying with backoff and recording failures ([`deliver`]).
//! Tessera adds an optional signature header (an HMAC of the body with a per-webhook secret)
//! and a delivery log.

pub mod actions;
mod body;
pub mod deliver;
pub mod emit;
mod url_check;

use sea_orm::Set;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tessera_db::entities::{webhook, webhook_delivery};
use tessera_db::queries::webhooks::{self as stored, Listed};
use tessera_db::{time, Db};
use tessera_outbound::Outbound;

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::permissions::Action as Permission;
use crate::scope;
use crate::sealed::Sealer;
pub use actions::{Action, ActionInfo};

/// The longest webhook URL (Label Studio's `max_length`).
const MAX_URL: usize = 2048;
/// The most custom headers a webhook sends.
const MAX_HEADERS: usize = 10;
/// Deliveries the log shows.
const LOGGED: u64 = 100;
/// What webhooks need beyond the database: the guarded client, the key that seals their
/// secrets, and how deliveries are timed.
#[derive(Clone)]
pub struct WebhookEnv {
    pub outbound: Outbound,
    pub sealer: Sealer,
    pub delivery: deliver::Timing,
}

/// `/api/webhooks/info/`: every action (`organization_only`: only those that are, or are not).
pub fn info(organization_only: Option<bool>) -> Map<String, Value> {
    Action::ALL
        .into_iter()
        .filter(|a| organization_only.is_none_or(|only| a.organization_only() == only))
        .map(|a| {
            (
                a.name().to_string(),
                serde_json::to_value(ActionInfo::from(a)).unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// A webhook as the API answers it: Label Studio's fields, then Tessera's delivery state.
#[derive(Serialize)]
pub struct WebhookOut {
    pub id: i64,
    pub organization: i64,
    pub project: Option<i64>,
    pub url: String,
    pub send_payload: bool,
    pub send_for_all_actions: bool,
    pub headers: Value,
    pub is_active: bool,
    pub actions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Deliveries that failed in a row.
    pub consecutive_failures: i32,
    pub last_failure_at: Option<String>,
    pub last_failure: Option<String>,
    /// Whether deliveries carry the signature header.
    pub signed: bool,
}

fn render(model: webhook::Model, mut actions: Vec<String>) -> WebhookOut {
    // Label Studio answers them in its index's order: alphabetical.
    actions.sort_unstable();
    WebhookOut {
        id: model.id,
        organization: model.organization_id,
        project: model.project_id,
        url: model.url,
        send_payload: model.send_payload,
        send_for_all_actions: model.send_for_all_actions,
        headers: serde_json::from_str(&model.headers).unwrap_or_else(|_| json!({})),
        is_active: model.is_active,
        actions,
        created_at: time::format(&model.created_at),
        updated_at: time::format(&model.updated_at),
        consecutive_failures: model.consecutive_failures,
        last_failure_at: model.last_failure_at.as_ref().map(time::format),
        last_failure: model.last_failure,
        signed: model.secret.is_some(),
    }
}

async fn render_one(db: &Db, model: webhook::Model) -> CoreResult<WebhookOut> {
    let actions = stored::actions_of(db.conn(), &[model.id])
        .await?
        .remove(&model.id)
        .unwrap_or_default();
    Ok(render(model, actions))
}

/// The organization's own webhooks are for those who manage its people.
fn may_manage_organization_hooks(actor: &Actor) -> bool {
    Permission::ManagePeople.allows(actor.role)
}

/// `GET /api/webhooks/?project=`: the organization's webhooks the actor may see (`project`:
/// one project's, `"null"` the organization's own; an unknown project is Django's invalid
/// choice).
pub async fn list(db: &Db, actor: &Actor, project: Option<&str>) -> CoreResult<Vec<WebhookOut>> {
    let listed = match project.filter(|p| !p.is_empty()) {
        None => Listed::All,
        Some("null") => Listed::OrganizationOnly,
        Some(text) => {
            let invalid = || {
                CoreError::field(
                    "project",
                    "Select a valid choice. That choice is not one of the available choices.",
                )
            };
            let id = text.parse::<i64>().map_err(|_| invalid())?;
            // Label Studio's filter accepts any project that exists (another organization's
            // lists nothing).
            if tessera_db::queries::projects::find_by_id(db.conn(), id)
                .await?
                .is_none()
            {
                return Err(invalid());
            }
            Listed::Project(id)
        }
    };
    let mut hooks = stored::list(db.conn(), actor.organization_id, listed).await?;
    let visible = visible_projects(db, actor, &hooks).await?;
    hooks.retain(|hook| match hook.project_id {
        None => may_manage_organization_hooks(actor),
        Some(project) => visible.contains(&project),
    });
    let ids: Vec<i64> = hooks.iter().map(|h| h.id).collect();
    let mut actions = stored::actions_of(db.conn(), &ids).await?;
    Ok(hooks
        .into_iter()
        .map(|hook| {
            let chosen = actions.remove(&hook.id).unwrap_or_default();
            render(hook, chosen)
        })
        .collect())
}

/// Which of the webhooks' projects the actor sees.
async fn visible_projects(
    db: &Db,
    actor: &Actor,
    hooks: &[webhook::Model],
) -> CoreResult<Vec<i64>> {
    let mut ids: Vec<i64> = hooks.iter().filter_map(|h| h.project_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut visible = Vec::with_capacity(ids.len());
    for id in ids {
        if scope::project(db.conn(), actor, id).await.is_ok() {
            visible.push(id);
        }
    }
    Ok(visible)
}

/// A webhook the actor may see and change.
async fn find(db: &Db, actor: &Actor, id: i64) -> CoreResult<webhook::Model> {
    let not_found = || CoreError::NotFound("Not found.".into());
    let hook = stored::find(db.conn(), id)
        .await?
        .filter(|h| h.organization_id == actor.organization_id)
        .ok_or_else(not_found)?;
    match hook.project_id {
        None if !may_manage_organization_hooks(actor) => Err(not_found()),
        None => Ok(hook),
        Some(project) => {
            scope::project(db.conn(), actor, project)
                .await
                .map_err(|_| not_found())?;
            Ok(hook)
        }
    }
}

/// `GET /api/webhooks/{id}/`.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> CoreResult<WebhookOut> {
    let hook = find(db, actor, id).await?;
    render_one(db, hook).await
}

/// The fields a create or an update sets (absent: unchanged, or the default on create).
#[derive(Default)]
struct Changes {
    url: Option<String>,
    send_payload: Option<bool>,
    send_for_all_actions: Option<bool>,
    headers: Option<Map<String, Value>>,
    is_active: Option<bool>,
    actions: Vec<Action>,
    /// `Some(None)`: remove the secret.
    secret: Option<Option<String>>,
}

/// How a body is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// `POST` of a project's webhook: the URL is required, organization-only actions refused.
    CreateForProject,
    /// `POST` of the organization's own webhook: the URL is required.
    CreateForOrganization,
    /// `PUT`: the URL is required, the rest optional (Label Studio checks no actions here).
    Replace,
    /// `PATCH`: everything optional.
    Patch,
}

/// Reads a create or update body with Label Studio's messages.
fn read_changes(body: &Value, write: Write) -> CoreResult<Changes> {
    let mut fields = Fields::new(body)?;
    if write != Write::Patch {
        fields.require(&["url"]);
    }
    let url = fields.string("url");
    if let Some(url) = &url {
        if url.is_empty() {
            fields.error("url", "This field may not be blank.");
        } else if url.chars().count() > MAX_URL {
            fields.error(
                "url",
                format!("Ensure this field has no more than {MAX_URL} characters."),
            );
        } else if !url_check::is_valid(url) {
            fields.error("url", "Enter a valid URL.");
        }
    }
    let send_payload = fields.boolean("send_payload");
    let send_for_all_actions = fields.boolean("send_for_all_actions");
    let is_active = fields.boolean("is_active");
    let headers = match fields.raw("headers") {
        None => None,
        Some(value) => match headers_of(value) {
            Some(map) => Some(map),
            None => {
                fields.error(
                    "headers",
                    format!(
                        "{} failed JSON schema check",
                        tessera_labelconfig::pyrepr::repr(value)
                    ),
                );
                None
            }
        },
    };
    // Label Studio's serializer defaults a missing list to none, also on updates.
    let mut actions = Vec::new();
    if let Some(list) = fields.list("actions") {
        let mut errors = Map::new();
        for (index, item) in list.iter().enumerate() {
            let name = match item {
                Value::String(s) => s.clone(),
                other => tessera_labelconfig::pyrepr::str(other),
            };
            match Action::from_name(&name) {
                Some(action) if !actions.contains(&action) => actions.push(action),
                Some(_) => {}
                None => {
                    errors.insert(
                        index.to_string(),
                        json!([format!("\"{name}\" is not a valid choice.")]),
                    );
                }
            }
        }
        if !errors.is_empty() {
            fields.nested_error("actions", Value::Object(errors));
        }
    }
    let secret = match fields.raw("secret") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => fields
            .string("secret")
            .map(|s| (!s.is_empty()).then_some(s)),
    };
    fields.finish()?;
    if write == Write::CreateForProject && actions.iter().any(|a| a.organization_only()) {
        return Err(CoreError::field(
            "non_field_errors",
            "Project webhook can't contain organization-only action.",
        ));
    }
    Ok(Changes {
        url,
        send_payload,
        send_for_all_actions,
        headers,
        is_active,
        actions,
        secret,
    })
}

/// Headers that frame the request itself: a webhook may not set them.
const FRAMING_HEADERS: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
];

/// Headers as Label Studio's schema allows them (an object of at most ten string values under
/// names of letters, digits, `-` and `_`), sendable as they are (no control characters) and not
/// framing the request.
fn headers_of(value: &Value) -> Option<Map<String, Value>> {
    let map = value.as_object()?;
    let fine = map.len() <= MAX_HEADERS
        && map.iter().all(|(name, value)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !FRAMING_HEADERS.contains(&name.to_ascii_lowercase().as_str())
                && value
                    .as_str()
                    .is_some_and(|v| http::HeaderValue::from_str(v).is_ok())
        });
    fine.then(|| map.clone())
}

fn seal(env: &WebhookEnv, secret: Option<String>) -> Option<String> {
    secret.map(|s| env.sealer.seal(&Value::String(s)))
}

/// `POST /api/webhooks/`: a project's webhook (Label Studio: the project is required, and a
/// missing or foreign one is a 404), or with `"project": null` the organization's own (for
/// those who manage its people; Label Studio Enterprise's organization webhooks).
pub async fn create(
    db: &Db,
    env: &WebhookEnv,
    actor: &Actor,
    body: &Value,
) -> CoreResult<WebhookOut> {
    // Label Studio's order: the body's fields, the URL's address, then the project.
    let write = match body.get("project") {
        Some(Value::Null) => Write::CreateForOrganization,
        _ => Write::CreateForProject,
    };
    let changes = read_changes(body, write)?;
    let url = changes.url.clone().unwrap_or_default();
    crate::saved_urls::check(&env.outbound, &url).await?;
    let project = match body.get("project") {
        Some(Value::Null) => None,
        Some(value) => Some(project_for_create(db, actor, value).await?),
        None => return Err(project_not_found()),
    };
    if project.is_none() && !may_manage_organization_hooks(actor) {
        return Err(CoreError::Forbidden(crate::permissions::FORBIDDEN.into()));
    }
    let now = time::now();
    let txn = db.write().await?;
    let saved = stored::insert(
        &*txn,
        webhook::ActiveModel {
            organization_id: Set(actor.organization_id),
            project_id: Set(project),
            url: Set(url),
            send_payload: Set(changes.send_payload.unwrap_or(true)),
            send_for_all_actions: Set(changes.send_for_all_actions.unwrap_or(true)),
            headers: Set(Value::Object(changes.headers.unwrap_or_default()).to_string()),
            is_active: Set(changes.is_active.unwrap_or(true)),
            secret: Set(seal(env, changes.secret.flatten())),
            consecutive_failures: Set(0),
            last_failure_at: Set(None),
            last_failure: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    let names = names_of(&changes.actions);
    stored::set_actions(&*txn, saved.id, &names).await?;
    txn.commit().await?;
    Ok(render(saved, names))
}

/// The project a new webhook names, with Label Studio's answers: an id that names no project
/// is DRF's invalid pk (400), another organization's project is "not found" (404), one of the
/// organization the actor may not see is a 403.
async fn project_for_create(db: &Db, actor: &Actor, value: &Value) -> CoreResult<i64> {
    let Some(id) = crate::fields::pk_of(value) else {
        let wrapped = json!({"project": value});
        let mut fields = Fields::new(&wrapped)?;
        fields.primary_key("project");
        fields.finish()?;
        return Err(project_not_found());
    };
    if let Ok(project) = scope::project(db.conn(), actor, id).await {
        return Ok(project.id);
    }
    match tessera_db::queries::projects::find_by_id(db.conn(), id).await? {
        None => Err(CoreError::missing("project", id)),
        Some(p) if p.organization_id != actor.organization_id => Err(project_not_found()),
        Some(_) => Err(CoreError::Forbidden(
            "You do not have permission to create webhooks for this project.".into(),
        )),
    }
}

/// Label Studio's 404 for a webhook's missing or foreign project.
fn project_not_found() -> CoreError {
    CoreError::NotFound("Project not found.".into())
}

fn names_of(actions: &[Action]) -> Vec<String> {
    actions.iter().map(|a| a.name().to_string()).collect()
}

/// `PATCH` (`replace`: `PUT`, which requires the URL) `/api/webhooks/{id}/`: the project cannot
/// change; the actions are replaced (a body without them clears them, as in Label Studio);
/// turning a webhook back on sends what waited.
pub async fn update(
    db: &Db,
    env: &WebhookEnv,
    actor: &Actor,
    id: i64,
    body: &Value,
    replace: bool,
) -> CoreResult<WebhookOut> {
    let hook = find(db, actor, id).await?;
    let write = if replace {
        Write::Replace
    } else {
        Write::Patch
    };
    let changes = read_changes(body, write)?;
    if let Some(url) = &changes.url {
        crate::saved_urls::check(&env.outbound, url).await?;
    }
    let reactivated = !hook.is_active && changes.is_active == Some(true);
    let moved = changes.url.as_ref().is_some_and(|url| *url != hook.url);
    let mut active: webhook::ActiveModel = hook.into();
    if let Some(url) = changes.url {
        active.url = Set(url);
    }
    if let Some(v) = changes.send_payload {
        active.send_payload = Set(v);
    }
    if let Some(v) = changes.send_for_all_actions {
        active.send_for_all_actions = Set(v);
    }
    if let Some(headers) = changes.headers {
        active.headers = Set(Value::Object(headers).to_string());
    }
    if let Some(v) = changes.is_active {
        active.is_active = Set(v);
    }
    if let Some(secret) = changes.secret {
        active.secret = Set(seal(env, secret));
    }
    active.updated_at = Set(time::now());
    let txn = db.write().await?;
    let saved = stored::update(&*txn, active).await?;
    let names = names_of(&changes.actions);
    stored::set_actions(&*txn, saved.id, &names).await?;
    if moved {
        // The old address's backoff does not hold for the new one.
        stored::make_pending_due(&*txn, saved.id, time::now()).await?;
    }
    if reactivated || moved {
        deliver::queue(&*txn, saved.id, 0).await?;
    }
    txn.commit().await?;
    Ok(render(saved, names))
}

/// `DELETE /api/webhooks/{id}/`: with its deliveries.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> CoreResult<()> {
    let hook = find(db, actor, id).await?;
    let txn = db.write().await?;
    stored::delete(&*txn, hook.id).await?;
    txn.commit().await?;
    Ok(())
}

/// One delivery as the log shows it (the body is left out: it may be large).
#[derive(Serialize)]
pub struct DeliveryOut {
    pub id: i64,
    pub action: String,
    pub status: String,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<webhook_delivery::Model> for DeliveryOut {
    fn from(d: webhook_delivery::Model) -> DeliveryOut {
        let pending = d.status == stored::PENDING;
        DeliveryOut {
            id: d.id,
            action: d.action,
            status: d.status,
            attempts: d.attempts,
            response_status: d.response_status,
            error: d.error,
            created_at: time::format(&d.created_at),
            next_attempt_at: pending.then(|| time::format(&d.next_attempt_at)),
            finished_at: d.finished_at.as_ref().map(time::format),
        }
    }
}

/// `GET /api/webhooks/{id}/deliveries/` (Tessera's): the newest deliveries, with their attempts
/// and failures.
pub async fn deliveries(db: &Db, actor: &Actor, id: i64) -> CoreResult<Vec<DeliveryOut>> {
    let hook = find(db, actor, id).await?;
    Ok(stored::deliveries(db.conn(), hook.id, LOGGED)
        .await?
        .into_iter()
        .map(DeliveryOut::from)
        .collect())
}
