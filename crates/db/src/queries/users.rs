//! Users: lookups by id, email and legacy token; creation; organization listings.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entities::{organization_member, user};

/// A user to create.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub password_hash: String,
    pub api_token: String,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub allow_newsletters: Option<bool>,
    pub is_superuser: bool,
    pub now: DateTime<Utc>,
}

/// Inserts a user (without organization; see `organizations::add_member`).
pub async fn insert<C: ConnectionTrait>(conn: &C, new: NewUser<'_>) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        email: Set(new.email.to_string()),
        username: Set(new.username.to_string()),
        password: Set(new.password_hash),
        first_name: Set(new.first_name.to_string()),
        last_name: Set(new.last_name.to_string()),
        phone: Set(String::new()),
        avatar: Set(None),
        is_active: Set(true),
        is_superuser: Set(new.is_superuser),
        active_organization_id: Set(None),
        allow_newsletters: Set(new.allow_newsletters),
        custom_hotkeys: Set("{}".to_string()),
        api_token: Set(new.api_token),
        date_joined: Set(new.now),
        last_activity: Set(new.now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// A user by id.
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(conn).await
}

/// A user by email, case-insensitively as Django's auth backend normalizes it.
pub async fn find_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.to_lowercase()))
        .one(conn)
        .await
}

/// Number of users.
pub async fn count<C: ConnectionTrait>(conn: &C) -> Result<u64, DbErr> {
    user::Entity::find().count(conn).await
}

/// Active members of an organization, ordered by id.
pub async fn list_in_organization<C: ConnectionTrait>(
    conn: &C,
    organization_id: i64,
) -> Result<Vec<user::Model>, DbErr> {
    let ids: Vec<i64> = organization_member::Entity::find()
        .select_only()
        .column(organization_member::Column::UserId)
        .filter(organization_member::Column::OrganizationId.eq(organization_id))
        .filter(organization_member::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await
}

/// Users by id (any organization), for rendering `completed_by` objects.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<Vec<user::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await
}

/// Replaces a user's legacy API token.
pub async fn set_token<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    token: &str,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::ApiToken,
            sea_orm::sea_query::Expr::value(token),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Profile fields a user may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub allow_newsletters: Option<Option<bool>>,
    /// JSON object text.
    pub custom_hotkeys: Option<String>,
}

/// Applies profile changes and returns the updated user.
pub async fn update_profile<C: ConnectionTrait>(
    conn: &C,
    user: user::Model,
    changes: ProfileChanges,
) -> Result<user::Model, DbErr> {
    let mut active: user::ActiveModel = user.into();
    if let Some(v) = changes.first_name {
        active.first_name = Set(v);
    }
    if let Some(v) = changes.last_name {
        active.last_name = Set(v);
    }
    if let Some(v) = changes.username {
        active.username = Set(v);
    }
    if let Some(v) = changes.phone {
        active.phone = Set(v);
    }
    if let Some(v) = changes.allow_newsletters {
        active.allow_newsletters = Set(v);
    }
    if let Some(v) = changes.custom_hotkeys {
        active.custom_hotkeys = Set(v);
    }
    active.update(conn).await
}

/// The avatar addresses (`/data/avatars/<file>`) users show.
pub async fn avatars<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    let rows: Vec<Option<String>> = user::Entity::find()
        .select_only()
        .column(user::Column::Avatar)
        .filter(user::Column::Avatar.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Sets (or clears) a user's avatar path.
pub async fn set_avatar<C: ConnectionTrait>(
    conn: &C,
    user: user::Model,
    avatar: Option<String>,
) -> Result<user::Model, DbErr> {
    let mut active: user::ActiveModel = user.into();
    active.avatar = Set(avatar);
    active.update(conn).await
}

/// Replaces a user's password hash.
pub async fn set_password<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    password_hash: String,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::Password, Expr::value(password_hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Makes `organization_id` the user's active organization.
pub async fn set_active_organization<C: ConnectionTrait>(
    conn: &C,
    user: user::Model,
    organization_id: i64,
) -> Result<user::Model, DbErr> {
    let mut active: user::ActiveModel = user.into();
    active.active_organization_id = Set(Some(organization_id));
    active.update(conn).await
}

/// Deactivates an account (it can no longer sign in or call the API; its work stays), or
/// activates it again.
pub async fn set_active<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    active: bool,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(active))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Moves a user's `last_activity` to `now` unless it is already `since` or later (two instances
/// noting the same visit write once).
pub async fn note_activity<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::LastActivity, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::LastActivity.lt(since))
        .exec(conn)
        .await
        .map(drop)
}

/// Locks the user's row until the transaction ends (serializes per-user writes on PostgreSQL).
pub async fn lock<C: ConnectionTrait>(conn: &C, user_id: i64) -> Result<(), DbErr> {
    crate::dialect::lock_rows(conn, "users", &format!("id = {user_id}")).await
}

/// A user with their role in their active organization (`None` when not a live member).
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct Member {
    #[sea_orm(nested)]
    pub user: user::Model,
    pub member_role: Option<String>,
    /// The active organization's token settings (`None` without one).
    pub legacy_tokens_enabled: Option<bool>,
    pub api_tokens_enabled: Option<bool>,
}

/// How to find the authenticating user.
pub enum Lookup<'a> {
    Id(i64),
    Token(&'a str),
}

/// The user and their active-organization role in one query (every request authenticates).
pub async fn find_member<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup<'_>,
) -> Result<Option<Member>, DbErr> {
    use sea_orm::sea_query::Expr;
    let role = Expr::cust(
        "(SELECT m.role FROM organization_members m WHERE m.user_id = users.id \
         AND m.organization_id = users.active_organization_id AND m.deleted_at IS NULL)",
    );
    let setting = |column: &str| {
        Expr::cust(format!(
            "(SELECT o.{column} FROM organizations o WHERE o.id = users.active_organization_id)"
        ))
    };
    let query = user::Entity::find()
        .column_as(role, "member_role")
        .column_as(
            setting("legacy_api_tokens_enabled"),
            "legacy_tokens_enabled",
        )
        .column_as(setting("api_tokens_enabled"), "api_tokens_enabled");
    let query = match lookup {
        Lookup::Id(id) => query.filter(user::Column::Id.eq(id)),
        Lookup::Token(token) => query.filter(user::Column::ApiToken.eq(token)),
    };
    query.into_model::<Member>().one(conn).await
}

/// Users who annotated or drafted in a project, by id.
pub async fn annotators_of_project<C: ConnectionTrait>(
    conn: &C,
    project_id: i64,
) -> Result<Vec<user::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    user::Entity::find()
        .filter(Expr::cust(format!(
            "id IN (SELECT completed_by_id FROM annotations WHERE project_id = {project_id} \
             UNION SELECT user_id FROM drafts WHERE project_id = {project_id})"
        )))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await
}
