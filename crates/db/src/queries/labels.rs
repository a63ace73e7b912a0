//! The labels manager: an organization's labels and their links to project controls.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LikeExpr, OnConflict};
use sea_orm::FromQueryResult;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

use super::projects::Viewer;
use crate::entities::{annotation, label, label_link, project};

/// What a new label is made of.
pub struct NewLabel<'a> {
    pub organization_id: i64,
    /// JSON text of the value.
    pub value: &'a str,
    pub title: &'a str,
    pub description: Option<String>,
    pub approved: bool,
    pub approved_by_id: Option<i64>,
    pub created_by_id: i64,
}

/// The organization's label with this value, made if there is none (Label Studio's
/// `get_or_create`): a label exists once per organization.
pub async fn find_or_create<C: ConnectionTrait>(
    conn: &C,
    new: NewLabel<'_>,
    now: DateTime<Utc>,
) -> Result<label::Model, DbErr> {
    let existing = || {
        label::Entity::find()
            .filter(label::Column::OrganizationId.eq(new.organization_id))
            .filter(label::Column::Value.eq(new.value))
    };
    let made = label::ActiveModel {
        organization_id: Set(new.organization_id),
        value: Set(new.value.to_string()),
        title: Set(new.title.to_string()),
        description: Set(new.description.clone()),
        approved: Set(new.approved),
        created_by_id: Set(Some(new.created_by_id)),
        approved_by_id: Set(new.approved_by_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    find_or_insert(conn, existing, made).await
}

/// The row `existing` finds, else `made` inserted: also when another transaction inserts the
/// same unique row at once (the insert yields to it and the second lookup finds it), where a
/// plain insert would fail on the unique index.
async fn find_or_insert<C, A>(
    conn: &C,
    existing: impl Fn() -> Select<A::Entity>,
    made: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    if let Some(found) = existing().one(conn).await? {
        return Ok(found);
    }
    <A::Entity as EntityTrait>::insert(made)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    existing()
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("a row that was just inserted".into()))
}

/// One page of an organization's labels, by id, and their number.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    offset: u64,
    limit: u64,
) -> Result<(Vec<label::Model>, u64), DbErr> {
    let query = label::Entity::find().filter(label::Column::OrganizationId.eq(organization_id));
    let count = query.clone().count(conn).await?;
    Ok((
        query
            .order_by_asc(label::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(conn)
            .await?,
        count,
    ))
}

/// A label of the organization.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    id: i64,
) -> Result<Option<label::Model>, DbErr> {
    label::Entity::find_by_id(id)
        .filter(label::Column::OrganizationId.eq(organization_id))
        .one(conn)
        .await
}

/// Saves a changed label.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    changed: label::ActiveModel,
) -> Result<label::Model, DbErr> {
    changed.update(conn).await
}

/// Deletes a label with its links.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    label::Entity::delete_by_id(id).exec(conn).await.map(|_| ())
}

/// The ids of the projects `viewer` sees, as a subquery.
fn visible_projects(viewer: Viewer) -> sea_orm::sea_query::SelectStatement {
    sea_orm::QueryTrait::into_query(
        project::Entity::find()
            .select_only()
            .column(project::Column::Id)
            .filter(viewer.condition()),
    )
}

/// The links of these labels to projects `viewer` sees, by id.
pub async fn links_of<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    label_ids: &[i64],
) -> Result<Vec<label_link::Model>, DbErr> {
    label_link::Entity::find()
        .filter(label_link::Column::LabelId.is_in(label_ids.iter().copied()))
        .filter(label_link::Column::ProjectId.in_subquery(visible_projects(viewer)))
        .order_by_asc(label_link::Column::Id)
        .all(conn)
        .await
}

/// The link of a label to a project, made if there is none (one per project and label).
pub async fn link<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
    label_id: i64,
    from_name: &str,
) -> Result<label_link::Model, DbErr> {
    let existing = || {
        label_link::Entity::find()
            .filter(label_link::Column::ProjectId.eq(project_id))
            .filter(label_link::Column::LabelId.eq(label_id))
    };
    let made = label_link::ActiveModel {
        project_id: Set(project_id),
        label_id: Set(label_id),
        from_name: Set(from_name.to_string()),
        ..Default::default()
    };
    find_or_insert(conn, existing, made).await
}

/// The links of the projects `viewer` sees (optionally of one of them): a page by id and their
/// number.
pub async fn links_page<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    project_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<label_link::Model>, u64), DbErr> {
    let mut query = label_link::Entity::find()
        .filter(label_link::Column::ProjectId.in_subquery(visible_projects(viewer)));
    if let Some(project_id) = project_id {
        query = query.filter(label_link::Column::ProjectId.eq(project_id));
    }
    let count = query.clone().count(conn).await?;
    Ok((
        query
            .order_by_asc(label_link::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(conn)
            .await?,
        count,
    ))
}

/// A link whose label belongs to the organization.
pub async fn find_link<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    id: i64,
) -> Result<Option<label_link::Model>, DbErr> {
    label_link::Entity::find_by_id(id)
        .filter(Expr::cust(format!("label_links.label_id IN (SELECT id FROM labels WHERE organization_id = {organization_id})")))
        .one(conn)
        .await
}

/// Saves a changed link.
pub async fn update_link<C: ConnectionTrait>(
    conn: &C,
    changed: label_link::ActiveModel,
) -> Result<label_link::Model, DbErr> {
    changed.update(conn).await
}

/// Deletes a link.
pub async fn delete_link<C: ConnectionTrait>(conn: &C, id: i64) -> Result<(), DbErr> {
    label_link::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// For each `(project id, label value as JSON text)`, the number of that project's annotations
/// whose result holds the value, in one statement.
pub async fn annotations_holding<C: ConnectionTrait>(
    conn: &C,
    labels: &[(i64, &str)],
) -> Result<Vec<u64>, DbErr> {
    if labels.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = crate::filters::Sql::new(conn.get_database_backend());
    let mut parts = Vec::with_capacity(labels.len());
    for (position, (project_id, value)) in labels.iter().enumerate() {
        let condition = crate::filters::caseless_contains(&mut sql, "annotations.result", value);
        parts.push(format!(
            "SELECT CAST({position} AS BIGINT) AS position, (SELECT COUNT(*) FROM annotations \
             WHERE annotations.project_id = {project_id} AND {condition}) AS n"
        ));
    }
    sql.push(&parts.join(" UNION ALL "));
    #[derive(sea_orm::FromQueryResult)]
    struct Count {
        position: i64,
        n: i64,
    }
    let mut counts = vec![0; labels.len()];
    for count in Count::find_by_statement(sql.statement()).all(conn).await? {
        counts[count.position as usize] = count.n as u64;
    }
    Ok(counts)
}

/// The annotations of the projects `viewer` sees (or of one of them) whose result mentions
/// `needle` (a JSON string), for a bulk label change to rewrite.
pub async fn annotations_mentioning<C: ConnectionTrait>(
    conn: &C,
    viewer: Viewer,
    project_id: Option<i64>,
    needle: &str,
) -> Result<Vec<annotation::Model>, DbErr> {
    let pattern = crate::filters::like_anywhere(needle);
    let mut query = annotation::Entity::find()
        .filter(annotation::Column::ProjectId.in_subquery(visible_projects(viewer)))
        .filter(
            Expr::col((annotation::Entity, annotation::Column::Result))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    if let Some(project_id) = project_id {
        query = query.filter(annotation::Column::ProjectId.eq(project_id));
    }
    query.order_by_asc(annotation::Column::Id).all(conn).await
}

/// Replaces annotations' result texts, a few hundred rows per statement (their `updated_at`
/// stays, as Label Studio's bulk relabeling leaves it).
pub async fn set_results<C: ConnectionTrait>(
    conn: &C,
    results: &[(i64, String)],
) -> Result<(), DbErr> {
    use sea_orm::sea_query::CaseStatement;
    for chunk in results.chunks(200) {
        let mut case = CaseStatement::new();
        for (id, result) in chunk {
            case = case.case(
                Expr::col(annotation::Column::Id).eq(*id),
                Expr::value(result.as_str()),
            );
        }
        annotation::Entity::update_many()
            .col_expr(annotation::Column::Result, case.into())
            .filter(annotation::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Labels of the organization by id.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    ids: &[i64],
) -> Result<Vec<label::Model>, DbErr> {
    label::Entity::find()
        .filter(label::Column::OrganizationId.eq(organization_id))
        .filter(label::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await
}
