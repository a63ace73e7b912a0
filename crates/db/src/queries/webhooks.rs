//! Webhooks, their actions and their deliveries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::{webhook, webhook_action, webhook_delivery};

/// Which webhooks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// The organization's and every project's.
    All,
    /// The organization's own (no project).
    OrganizationOnly,
    /// One project's.
    Project(i64),
}

/// An organization's webhooks, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    listed: Listed,
) -> Result<Vec<webhook::Model>, DbErr> {
    let mut select =
        webhook::Entity::find().filter(webhook::Column::OrganizationId.eq(organization_id));
    select = match listed {
        Listed::All => select,
        Listed::OrganizationOnly => select.filter(webhook::Column::ProjectId.is_null()),
        Listed::Project(id) => select.filter(webhook::Column::ProjectId.eq(id)),
    };
    select.order_by_asc(webhook::Column::Id).all(conn).await
}

/// A webhook by id (callers check its organization).
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id).one(conn).await
}

/// Inserts a webhook.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    model: webhook::ActiveModel,
) -> Result<webhook::Model, DbErr> {
    model.insert(conn).await
}

/// Saves a webhook's changed fields.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: webhook::ActiveModel,
) -> Result<webhook::Model, DbErr> {
    model.update(conn).await
}

/// Deletes a webhook with its actions and deliveries.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .exec(conn)
        .await?;
    webhook_action::Entity::delete_many()
        .filter(webhook_action::Column::WebhookId.eq(id))
        .exec(conn)
        .await?;
    webhook::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// The chosen actions of each webhook, in the order they were chosen.
pub async fn actions_of<C: ConnectionTrait>(
    conn: &C,
    webhook_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let rows = webhook_action::Entity::find()
        .filter(webhook_action::Column::WebhookId.is_in(webhook_ids.iter().copied()))
        .order_by_asc(webhook_action::Column::Id)
        .all(conn)
        .await?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        out.entry(row.webhook_id).or_default().push(row.action);
    }
    Ok(out)
}

/// Makes `actions` a webhook's chosen actions (those kept keep their rows).
pub async fn set_actions<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    actions: &[String],
) -> Result<(), DbErr> {
    webhook_action::Entity::delete_many()
        .filter(webhook_action::Column::WebhookId.eq(webhook_id))
        .filter(webhook_action::Column::Action.is_not_in(actions.iter().cloned()))
        .exec(conn)
        .await?;
    let kept = actions_of(conn, &[webhook_id])
        .await?
        .remove(&webhook_id)
        .unwrap_or_default();
    for action in actions.iter().filter(|a| !kept.contains(a)) {
        webhook_action::ActiveModel {
            webhook_id: Set(webhook_id),
            action: Set(action.clone()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// The active webhooks an action in `project` (or in the organization itself, `None`) calls:
/// the organization's own and the project's, for all actions or this one.
fn listening_condition(organization_id: i64, project_id: Option<i64>, action: &str) -> Condition {
    let chosen = Query::select()
        .column(webhook_action::Column::WebhookId)
        .from(webhook_action::Entity)
        .and_where(webhook_action::Column::Action.eq(action))
        .to_owned();
    let mut place = Condition::any().add(webhook::Column::ProjectId.is_null());
    if let Some(project_id) = project_id {
        place = place.add(webhook::Column::ProjectId.eq(project_id));
    }
    Condition::all()
        .add(webhook::Column::OrganizationId.eq(organization_id))
        .add(webhook::Column::IsActive.eq(true))
        .add(place)
        .add(
            Condition::any()
                .add(webhook::Column::SendForAllActions.eq(true))
                .add(webhook::Column::Id.in_subquery(chosen)),
        )
}

/// Whether any webhook listens for the action (one indexed read: the cost of an event nobody
/// listens for).
pub async fn any_listening<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    project_id: Option<i64>,
    action: &str,
) -> Result<bool, DbErr> {
    Ok(webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(listening_condition(organization_id, project_id, action))
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .is_some())
}

/// The webhooks the action calls, oldest first.
pub async fn listening<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    project_id: Option<i64>,
    action: &str,
) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .filter(listening_condition(organization_id, project_id, action))
        .order_by_asc(webhook::Column::Id)
        .all(conn)
        .await
}

/// Adds a delivery, due at once.
pub async fn insert_delivery<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    action: &str,
    body: String,
    created_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    webhook_delivery::ActiveModel {
        webhook_id: Set(webhook_id),
        action: Set(action.to_string()),
        body: Set(body),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(created_at),
        response_status: Set(None),
        error: Set(None),
        created_at: Set(created_at),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A delivery not yet delivered or given up.
pub const PENDING: &str = "pending";
/// A delivery the receiver accepted.
pub const DELIVERED: &str = "delivered";
/// A delivery given up after its last attempt.
pub const FAILED: &str = "failed";

/// A webhook's oldest pending deliveries (at most `limit`): the next to send, as deliveries go
/// in order.
pub async fn next_pending<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// The active webhooks with a delivery due by `now` (the sweep asks their jobs to run).
pub async fn with_due_deliveries<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::WebhookId)
        .distinct()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(
            webhook_delivery::Column::WebhookId.in_subquery(
                Query::select()
                    .column(webhook::Column::Id)
                    .from(webhook::Entity)
                    .and_where(webhook::Column::IsActive.eq(true))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(conn)
        .await
}

/// Makes a webhook's pending deliveries due now (its URL changed: the retry waits no more).
pub async fn make_pending_due<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .exec(conn)
        .await?;
    Ok(())
}

/// A webhook's newest deliveries.
pub async fn deliveries<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// What an attempt at a delivery came to.
pub struct Attempt<'a> {
    pub delivery_id: i64,
    /// The delivery's attempts, this one included.
    pub attempts: i32,
    /// `DELIVERED`, `FAILED` (given up) or `PENDING` (tried again at `next_attempt_at`).
    pub status: &'a str,
    pub next_attempt_at: DateTime<Utc>,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub now: DateTime<Utc>,
}

/// Records an attempt at a delivery, and on its webhook the run of failures it ends (when there
/// was one) or extends.
pub async fn record_attempt<C: ConnectionTrait>(
    conn: &C,
    webhook_id: i64,
    attempt: Attempt<'_>,
) -> Result<(), DbErr> {
    let finished = (attempt.status != PENDING).then_some(attempt.now);
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(attempt.status),
        )
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::value(attempt.attempts),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(attempt.next_attempt_at),
        )
        .col_expr(
            webhook_delivery::Column::ResponseStatus,
            Expr::value(attempt.response_status),
        )
        .col_expr(
            webhook_delivery::Column::Error,
            Expr::value(attempt.error.clone()),
        )
        .col_expr(webhook_delivery::Column::FinishedAt, Expr::value(finished))
        .filter(webhook_delivery::Column::Id.eq(attempt.delivery_id))
        .exec(conn)
        .await?;
    let update = webhook::Entity::update_many().filter(webhook::Column::Id.eq(webhook_id));
    let update = match attempt.error {
        None => update
            .col_expr(webhook::Column::ConsecutiveFailures, Expr::value(0))
            .filter(webhook::Column::ConsecutiveFailures.ne(0)),
        Some(error) => update
            .col_expr(
                webhook::Column::ConsecutiveFailures,
                Expr::col(webhook::Column::ConsecutiveFailures).add(1),
            )
            .col_expr(webhook::Column::LastFailureAt, Expr::value(attempt.now))
            .col_expr(webhook::Column::LastFailure, Expr::value(error)),
    };
    update.exec(conn).await?;
    Ok(())
}

/// Deletes up to `limit` deliveries that ended before `before`; how many.
pub async fn delete_finished_deliveries<C: ConnectionTrait>(
    conn: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::Status.ne(PENDING))
        .filter(webhook_delivery::Column::FinishedAt.lt(before))
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::Id.is_in(ids))
        .exec(conn)
        .await?
        .rows_affected)
}
