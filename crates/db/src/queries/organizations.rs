//! Organizations and memberships.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::{annotation, organization, organization_member, project, user};

/// The first organization created (Label Studio's community edition has one).
pub async fn first<C: ConnectionTrait>(conn: &C) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .one(conn)
        .await
}

/// Creates an organization owned by `created_by`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    title: &str,
    token: String,
    created_by: i64,
    now: DateTime<Utc>,
) -> Result<organization::Model, DbErr> {
    organization::ActiveModel {
        title: Set(title.to_string()),
        token: Set(token),
        created_by_id: Set(Some(created_by)),
        contact_info: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An organization by id.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id).one(conn).await
}

/// Adds `user` to `organization` with `role` and makes it the user's active organization.
pub async fn add_member<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    user: user::Model,
    role: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    organization_member::ActiveModel {
        organization_id: Set(organization_id),
        user_id: Set(user.id),
        role: Set(role.to_string()),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let mut active: user::ActiveModel = user.into();
    active.active_organization_id = Set(Some(organization_id));
    active.update(conn).await
}

/// The user's live membership in an organization.
pub async fn membership<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    user_id: i64,
) -> Result<Option<organization_member::Model>, DbErr> {
    organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::UserId.eq(user_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .one(conn)
        .await
}

/// The organization whose invite token this is.
pub async fn by_token<C: ConnectionTrait>(
    conn: &C,
    token: &str,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find()
        .filter(organization::Column::Token.eq(token))
        .one(conn)
        .await
}

/// Replaces an organization's invite token (the old invite link stops working).
pub async fn set_token<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    organization::Entity::update_many()
        .col_expr(organization::Column::Token, Expr::value(token))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now))
        .filter(organization::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Changes an organization's title and contact info (`None` keeps a value).
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    title: Option<String>,
    contact_info: Option<Option<String>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let mut update = organization::Entity::update_many()
        .col_expr(organization::Column::UpdatedAt, Expr::value(now));
    if let Some(title) = title {
        update = update.col_expr(organization::Column::Title, Expr::value(title));
    }
    if let Some(contact_info) = contact_info {
        update = update.col_expr(organization::Column::ContactInfo, Expr::value(contact_info));
    }
    update
        .filter(organization::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The organizations a user is a live member of, oldest first.
pub async fn of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
) -> Result<Vec<organization::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    organization::Entity::find()
        .filter(Expr::cust(format!(
            "id IN (SELECT organization_id FROM organization_members WHERE user_id = {user_id} AND deleted_at IS NULL)"
        )))
        .order_by_asc(organization::Column::Id)
        .all(conn)
        .await
}

/// Changes an organization's API-token settings (`None`: unchanged).
pub async fn set_token_settings<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    legacy_enabled: Option<bool>,
    api_enabled: Option<bool>,
    ttl_days: Option<i32>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let mut update = organization::Entity::update_many().col_expr(
        organization::Column::UpdatedAt,
        Expr::value(crate::time::now()),
    );
    if let Some(value) = legacy_enabled {
        update = update.col_expr(
            organization::Column::LegacyApiTokensEnabled,
            Expr::value(value),
        );
    }
    if let Some(value) = api_enabled {
        update = update.col_expr(organization::Column::ApiTokensEnabled, Expr::value(value));
    }
    if let Some(value) = ttl_days {
        update = update.col_expr(organization::Column::ApiTokenTtlDays, Expr::value(value));
    }
    update
        .filter(organization::Column::Id.eq(organization_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Whether `organization_id` is the only organization the user is a live member of: such an
/// account is that organization's to manage; a shared one is changed only by its user.
pub async fn is_sole_organization<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    organization_id: i64,
) -> Result<bool, DbErr> {
    Ok(of_user(conn, user_id)
        .await?
        .iter()
        .all(|o| o.id == organization_id))
}

/// Ids of an organization's live members, by id.
pub async fn member_ids<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    organization_member::Entity::find()
        .select_only()
        .column(organization_member::Column::UserId)
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .order_by_asc(organization_member::Column::UserId)
        .into_tuple()
        .all(conn)
        .await
}

/// Which members a listing shows: a search over email, username and names (case-insensitive),
/// and roles.
#[derive(Debug, Default)]
pub struct MemberFilter {
    pub search: Option<String>,
    pub roles: Vec<String>,
}

/// One page of an organization's live members with their users, by username then id, and how
/// many there are in all (under `filter`).
pub async fn members_page<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    filter: &MemberFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(organization_member::Model, user::Model)>, u64), DbErr> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        member_id: i64,
    }
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let backend = conn.get_database_backend();
    let mut sql = crate::filters::Sql::new(backend);
    sql.push(&format!("FROM organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = {organization_id} AND m.deleted_at IS NULL"));
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let escaped = search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = sql.bind(format!("%{escaped}%"));
        let fields = ["u.email", "u.username", "u.first_name", "u.last_name"]
            .map(|f| format!("LOWER({f}) LIKE {pattern} ESCAPE '\\'"));
        sql.push(&format!(" AND ({})", fields.join(" OR ")));
    }
    if !filter.roles.is_empty() {
        let roles: Vec<String> = filter.roles.iter().map(|r| sql.bind(r.clone())).collect();
        sql.push(&format!(" AND m.role IN ({})", roles.join(", ")));
    }
    let count_sql = format!("SELECT COUNT(*) AS n {}", sql.text);
    let total = Count::find_by_statement(Statement::from_sql_and_values(
        backend,
        count_sql,
        sql.values.clone(),
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    let username = crate::dialect::byte_order(backend, "u.username");
    let page_sql = format!(
        "SELECT m.id AS member_id {} ORDER BY {username}, u.id LIMIT {limit} OFFSET {offset}",
        sql.text
    );
    let ids: Vec<i64> = Row::find_by_statement(Statement::from_sql_and_values(
        backend, page_sql, sql.values,
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.member_id)
    .collect();
    let members = organization_member::Entity::find()
        .filter(organization_member::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let users = crate::queries::users::find_many(
        conn,
        &members.iter().map(|m| m.user_id).collect::<Vec<_>>(),
    )
    .await?;
    let mut page = Vec::with_capacity(ids.len());
    for id in ids {
        let member = members.iter().find(|m| m.id == id).cloned();
        if let Some(member) = member {
            if let Some(user) = users.iter().find(|u| u.id == member.user_id).cloned() {
                page.push((member, user));
            }
        }
    }
    Ok((page, total as u64))
}

/// A user's membership in an organization, soft-deleted or not.
pub async fn member<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    user_id: i64,
) -> Result<Option<organization_member::Model>, DbErr> {
    organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::UserId.eq(user_id))
        .one(conn)
        .await
}

/// Soft-deletes a membership: the user keeps their work but can no longer act in the
/// organization.
pub async fn soft_delete_member<C: ConnectionTrait>(
    conn: &C,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    update_member(
        conn,
        member_id,
        now,
        [(organization_member::Column::DeletedAt, Some(now).into())],
    )
    .await
}

/// Sets columns of one membership and its `updated_at`.
async fn update_member<C: ConnectionTrait, const N: usize>(
    conn: &C,
    member_id: i64,
    now: DateTime<Utc>,
    columns: [(organization_member::Column, sea_orm::Value); N],
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let mut update = organization_member::Entity::update_many()
        .col_expr(organization_member::Column::UpdatedAt, Expr::value(now));
    for (column, value) in columns {
        update = update.col_expr(column, Expr::value(value));
    }
    update
        .filter(organization_member::Column::Id.eq(member_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// A member's work among the projects `viewer` sees: annotations made and distinct projects
/// annotated.
pub async fn member_contribution<C: ConnectionTrait>(
    conn: &C,
    viewer: super::projects::Viewer,
    user_id: i64,
) -> Result<(i64, i64), DbErr> {
    use sea_orm::sea_query::{Expr, Func, SimpleExpr};
    use sea_orm::{QuerySelect, QueryTrait};
    let visible = project::Entity::find()
        .select_only()
        .column(project::Column::Id)
        .filter(viewer.condition())
        .into_query();
    let row: Option<(i64, i64)> = annotation::Entity::find()
        .select_only()
        .column_as(
            SimpleExpr::from(Func::count(Expr::col(annotation::Column::Id))),
            "annotations",
        )
        .column_as(
            SimpleExpr::from(Func::count_distinct(Expr::col(
                annotation::Column::ProjectId,
            ))),
            "projects",
        )
        .filter(annotation::Column::CompletedById.eq(user_id))
        .filter(annotation::Column::ProjectId.in_subquery(visible))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.unwrap_or((0, 0)))
}

/// Projects a member created, and those they annotated, among those `viewer` sees:
/// `(id, title)`, by id (at most 100 of each, as Label Studio caps them).
pub async fn member_projects<C: ConnectionTrait>(
    conn: &C,
    viewer: super::projects::Viewer,
    user_id: i64,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), DbErr> {
    use sea_orm::sea_query::{Expr, SimpleExpr};
    use sea_orm::QuerySelect;
    let run = |condition: SimpleExpr| async move {
        let rows: Vec<(i64, Option<String>)> = project::Entity::find()
            .select_only()
            .column(project::Column::Id)
            .column(project::Column::Title)
            .filter(viewer.condition())
            .filter(condition)
            .order_by_asc(project::Column::Id)
            .limit(100)
            .into_tuple()
            .all(conn)
            .await?;
        Ok::<_, DbErr>(
            rows.into_iter()
                .map(|(id, title)| (id, title.unwrap_or_default()))
                .collect::<Vec<_>>(),
        )
    };
    let created = run(project::Column::CreatedById.eq(user_id)).await?;
    let contributed =
        run(Expr::cust(format!("projects.id IN (SELECT a.project_id FROM annotations a WHERE a.completed_by_id = {user_id})"))).await?;
    Ok((created, contributed))
}

/// Sets a membership's role.
pub async fn set_role<C: ConnectionTrait>(
    conn: &C,
    member_id: i64,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    update_member(
        conn,
        member_id,
        now,
        [(organization_member::Column::Role, role.into())],
    )
    .await
}

/// Brings a removed member back with `role`.
pub async fn restore_member<C: ConnectionTrait>(
    conn: &C,
    member_id: i64,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let restored = [
        (
            organization_member::Column::DeletedAt,
            Option::<DateTime<Utc>>::None.into(),
        ),
        (organization_member::Column::Role, role.into()),
    ];
    update_member(conn, member_id, now, restored).await
}

/// The live members of an organization holding `role`, with their users, by user id.
pub async fn members_with_role<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
    role: &str,
) -> Result<Vec<user::Model>, DbErr> {
    let ids: Vec<i64> = organization_member::Entity::find()
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .filter(organization_member::Column::Role.eq(role))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    crate::queries::users::find_many(conn, &ids).await
}
