//! Who a use case acts for: a user, in one organization, with a role there. The server builds
//! one per request from its credentials; a background job carries the one that started it.

use tessera_db::entities::user;
use tessera_db::queries;

use crate::roles::Role;

/// A user acting in an organization.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: user::Model,
    pub organization_id: i64,
    pub role: Role,
}

impl Actor {
    /// Whether this actor sees other people's annotations (annotators see only their own).
    pub fn sees_others_work(&self) -> bool {
        self.role != Role::Annotator
    }

    /// The projects this actor may see (see `Role::sees_all_projects`).
    pub fn viewer(&self) -> queries::projects::Viewer {
        queries::projects::Viewer::member(
            self.organization_id,
            self.user.id,
            self.role.sees_all_projects(),
        )
    }
}
