//! Export snapshots of projects and their conversions to other formats.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entities::{export_conversion, export_snapshot};

/// Snapshots a project's list shows (Label Studio's cap).
const LISTED: u64 = 100;

/// Inserts a snapshot, `created`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    title: &str,
    created_by_id: i64,
    options: String,
    now: DateTime<Utc>,
) -> Result<export_snapshot::Model, DbErr> {
    export_snapshot::ActiveModel {
        project_id: Set(project_id),
        title: Set(title.to_string()),
        created_by_id: Set(Some(created_by_id)),
        created_at: Set(now),
        finished_at: Set(None),
        status: Set("created".into()),
        md5: Set(String::new()),
        counters: Set("{}".into()),
        options: Set(options),
        file: Set(None),
        traceback: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A snapshot by id (callers check its project).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<export_snapshot::Model>, DbErr> {
    export_snapshot::Entity::find_by_id(id).one(conn).await
}

/// A project's snapshots, newest first (at most 100).
pub async fn of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<export_snapshot::Model>, DbErr> {
    export_snapshot::Entity::find()
        .filter(export_snapshot::Column::ProjectId.eq(project_id))
        .order_by_desc(export_snapshot::Column::CreatedAt)
        .order_by_desc(export_snapshot::Column::Id)
        .limit(LISTED)
        .all(conn)
        .await
}

/// Marks a snapshot as being written.
pub async fn start<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    export_snapshot::Entity::update_many()
        .col_expr(
            export_snapshot::Column::Status,
            sea_orm::sea_query::Expr::value("in_progress"),
        )
        .filter(export_snapshot::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records how many tasks a snapshot being written holds so far (its `counters`).
pub async fn set_counters<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    counters: String,
) -> Result<(), DbErr> {
    export_snapshot::Entity::update_many()
        .col_expr(
            export_snapshot::Column::Counters,
            sea_orm::sea_query::Expr::value(counters),
        )
        .filter(export_snapshot::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How writing a snapshot ended.
#[derive(Debug, Clone)]
pub enum Finished {
    /// Written to `file`, with its MD5 and counters (JSON text).
    Completed {
        file: String,
        md5: String,
        counters: String,
    },
    /// Failed with this explanation.
    Failed(String),
}

/// Records how writing a snapshot ended; `false` when the snapshot was deleted meanwhile.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    finished: Finished,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(current) = find(conn, id).await? else {
        return Ok(false);
    };
    let mut model = current.into_active_model();
    model.finished_at = Set(Some(now));
    match finished {
        Finished::Completed {
            file,
            md5,
            counters,
        } => {
            model.status = Set("completed".into());
            model.file = Set(Some(file));
            model.md5 = Set(md5);
            model.counters = Set(counters);
            model.traceback = Set(None);
        }
        Finished::Failed(traceback) => {
            model.status = Set("failed".into());
            model.traceback = Set(Some(traceback));
        }
    }
    model.update(conn).await?;
    Ok(true)
}

/// Deletes a snapshot and its conversions.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    export_snapshot::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// The conversions of these snapshots, in id order.
pub async fn conversions_of<C: ConnectionTrait>(
    conn: &C,
    snapshot_ids: &[i64],
) -> Result<Vec<export_conversion::Model>, DbErr> {
    export_conversion::Entity::find()
        .filter(export_conversion::Column::SnapshotId.is_in(snapshot_ids.iter().copied()))
        .order_by_asc(export_conversion::Column::Id)
        .all(conn)
        .await
}

/// A snapshot's conversion to `export_type` that has not failed, if any.
pub async fn live_conversion<C: ConnectionTrait>(
    conn: &C,
    snapshot_id: i64,
    export_type: &str,
) -> Result<Option<export_conversion::Model>, DbErr> {
    export_conversion::Entity::find()
        .filter(export_conversion::Column::SnapshotId.eq(snapshot_id))
        .filter(export_conversion::Column::ExportType.eq(export_type))
        .filter(export_conversion::Column::Status.ne("failed"))
        .one(conn)
        .await
}

/// A conversion by id.
pub async fn find_conversion<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<export_conversion::Model>, DbErr> {
    export_conversion::Entity::find_by_id(id).one(conn).await
}

/// Inserts a conversion, `created`.
pub async fn insert_conversion<C: ConnectionTrait>(
    conn: &C,
    snapshot_id: i64,
    export_type: &str,
    now: DateTime<Utc>,
) -> Result<export_conversion::Model, DbErr> {
    export_conversion::ActiveModel {
        snapshot_id: Set(snapshot_id),
        export_type: Set(export_type.to_string()),
        status: Set("created".into()),
        file: Set(None),
        traceback: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Sets a conversion's status, and its file or its failure; `false` when the conversion was
/// deleted meanwhile (with its snapshot).
pub async fn set_conversion<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    status: &str,
    file: Option<String>,
    traceback: Option<String>,
) -> Result<bool, DbErr> {
    let Some(current) = find_conversion(conn, id).await? else {
        return Ok(false);
    };
    let mut model = current.into_active_model();
    model.status = Set(status.to_string());
    if file.is_some() {
        model.file = Set(file);
    }
    model.traceback = Set(traceback);
    model.update(conn).await?;
    Ok(true)
}
