//! People added to a project (Label Studio Enterprise), the last step of the seed's invite flow.

use serde::Serialize;
use serde_json::Value;
use tessera_db::{queries, time, Db};

use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::fields::Fields;
use crate::scope;
use crate::users::{self, UserOut};

/// The ids of a project's members.
pub async fn ids(db: &Db, actor: &Actor, project_id: i64) -> CoreResult<Vec<i64>> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let (users, _) = queries::project_members::page(db.conn(), project.id, 0, None).await?;
    Ok(users)
}

/// Adds the body's `user` (a member of the organization) to a project; the user's id.
pub async fn add(db: &Db, actor: &Actor, project_id: i64, body: &Value) -> CoreResult<i64> {
    Fields::new(body)?;
    let project = scope::project(db.conn(), actor, project_id).await?;
    let user = scope::member_user(db.conn(), actor, body.get("user"), "user").await?;
    let txn = db.write().await?;
    queries::project_members::add(&*txn, project.id, user, time::now()).await?;
    txn.commit().await?;
    Ok(user)
}

/// Removes the member named by `?user=` (or `user` in the body).
pub async fn remove(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    query: Option<String>,
    body: &Value,
) -> CoreResult<()> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let user = scope::named_member(db.conn(), actor, query, body, &["user"], "user").await?;
    let txn = db.write().await?;
    let removed = queries::project_members::remove(&*txn, project.id, user).await?;
    txn.commit().await?;
    if removed {
        Ok(())
    } else {
        Err(CoreError::NotFound(
            "The user is not a member of this project.".into(),
        ))
    }
}

/// A member in the paginated list: the user, and whether membership comes only from elsewhere
/// (always false: members listed here were added to the project).
#[derive(Serialize)]
pub struct PagedMember {
    #[serde(flatten)]
    pub user: UserOut,
    pub implicit_member: bool,
}

/// One page of a project's members and how many there are. A page past the end is empty: the
/// SDK's pager for this route asks for pages until one comes back empty.
pub async fn page(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    offset: u64,
    limit: u64,
) -> CoreResult<(Vec<PagedMember>, u64)> {
    let project = scope::project(db.conn(), actor, project_id).await?;
    let (ids, count) =
        queries::project_members::page(db.conn(), project.id, offset, Some(limit)).await?;
    let mut listed = queries::users::find_many(db.conn(), &ids).await?;
    listed.sort_by_key(|u| u.id);
    let members = users::render(db.conn(), listed)
        .await?
        .into_iter()
        .map(|user| PagedMember {
            user,
            implicit_member: false,
        })
        .collect();
    Ok((members, count))
}
