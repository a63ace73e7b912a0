//! Recording events: in the transaction of the write that makes them happen, each webhook
//! listening gets a delivery with Label Studio's body (the objects as that write left them),
//! and its delivery job is asked for — so a delivery exists exactly when its change commits,
//! and a receiver hears of objects even if they are gone by the time it is called. An event
//! nobody listens for costs one indexed read. Lists go in batches of 5,000 objects, one
//! delivery each (Label Studio's `WEBHOOK_BATCH_SIZE`).

use sea_orm::ConnectionTrait;
use serde_json::json;
use tessera_db::entities::project;
use tessera_db::{queries, time};
use tessera_labelconfig::pyrepr::json_dumps_ascii;

use super::actions::Action;
use super::{body, deliver};
use crate::error::CoreResult;

/// Objects per delivery of a list action.
const BATCH: usize = 5_000;

/// Whether any webhook listens for `action` in `project` now: callers check before gathering
/// what an event needs when that costs (the ids of every task of a project).
pub async fn listens<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    project_id: Option<i64>,
    action: Action,
) -> CoreResult<bool> {
    let project_id = project_id.filter(|_| !action.organization_only());
    Ok(queries::webhooks::any_listening(conn, organization_id, project_id, action.name()).await?)
}

/// Records that `action` happened to the objects `ids` of `project` (`None`: of the
/// organization itself, as projects being created or deleted are) for the webhooks listening.
pub async fn emit<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    project_id: Option<i64>,
    action: Action,
    ids: &[i64],
) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let project_id = project_id.filter(|_| !action.organization_only());
    let hooks =
        queries::webhooks::listening(conn, organization_id, project_id, action.name()).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let with_payload = hooks.iter().any(|h| h.send_payload);
    let project = match project_id {
        Some(id) if with_payload => queries::projects::find_by_id(conn, id).await?,
        _ => None,
    };
    let batches: Vec<&[i64]> = if action.many() {
        ids.chunks(BATCH).collect()
    } else {
        vec![&ids[..1]]
    };
    // Python's `json.dumps` text, as Label Studio's `requests` sends it.
    let bare = json_dumps_ascii(&json!({"action": action.name()}));
    let now = time::now();
    for batch in batches {
        let full = match with_payload {
            true => body::body(conn, organization_id, action, project.as_ref(), batch)
                .await?
                .map(|b| json_dumps_ascii(&b)),
            false => None,
        };
        for hook in &hooks {
            let text = match &full {
                Some(full) if hook.send_payload => full.clone(),
                _ => bare.clone(),
            };
            queries::webhooks::insert_delivery(conn, hook.id, action.name(), text, now).await?;
        }
    }
    for hook in &hooks {
        deliver::queue(conn, hook.id, 0).await?;
    }
    Ok(())
}

/// [`emit`] for an event of one project's objects.
pub async fn emit_for<C: ConnectionTrait>(
    conn: &C,
    project: &project::Model,
    action: Action,
    ids: &[i64],
) -> CoreResult<()> {
    emit(conn, project.organization_id, Some(project.id), action, ids).await
}
