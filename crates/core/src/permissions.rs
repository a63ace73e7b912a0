//! What each role may do: the permission matrix, one row per [`Action`]. The server checks it
//! per route (`auth/access.rs`), use cases where a field needs more than the route's action, and
//! `docs/PERMISSIONS.md` writes it out.

use crate::roles::Role;

/// DRF's message for a refused permission.
pub const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// Something a role may or may not do; one row of the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the projects one has access to, their settings, summary and members.
    ViewProjects,
    /// Create projects and change or delete the ones one has access to (settings, labeling
    /// config, members).
    ManageProjects,
    /// Import tasks and predictions, manage uploaded files.
    ImportData,
    /// Export annotations.
    ExportData,
    /// The Data Manager: list and filter tasks, saved views, predictions.
    BrowseTasks,
    /// Edit and delete tasks, run Data Manager actions.
    ChangeTasks,
    /// Create, change and delete predictions.
    ManagePredictions,
    /// Label: get tasks from the stream or by id, create and edit one's own annotations and
    /// drafts, read uploaded media.
    Label,
    /// See the workspaces one belongs to.
    ViewWorkspaces,
    /// Create, change and delete workspaces, their members and projects.
    ManageWorkspaces,
    /// See the organization and its members.
    ViewOrganization,
    /// Change the organization, invite people, change roles, remove members.
    ManagePeople,
    /// Delete user accounts (Label Studio: the organization's owner only).
    DeleteUsers,
}

impl Action {
    /// Every action, in the order of the documented matrix.
    pub const ALL: [Action; 13] = [
        Action::ViewProjects,
        Action::ManageProjects,
        Action::ImportData,
        Action::ExportData,
        Action::BrowseTasks,
        Action::ChangeTasks,
        Action::ManagePredictions,
        Action::Label,
        Action::ViewWorkspaces,
        Action::ManageWorkspaces,
        Action::ViewOrganization,
        Action::ManagePeople,
        Action::DeleteUsers,
    ];

    /// The permission matrix. Deactivated and not-activated members may do nothing.
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Action::ViewProjects
            | Action::Label
            | Action::ViewWorkspaces
            | Action::ViewOrganization => {
                matches!(role, Owner | Administrator | Manager | Reviewer | Annotator)
            }
            Action::BrowseTasks => matches!(role, Owner | Administrator | Manager | Reviewer),
            Action::ManageProjects
            | Action::ImportData
            | Action::ExportData
            | Action::ChangeTasks
            | Action::ManagePredictions
            | Action::ManageWorkspaces => matches!(role, Owner | Administrator | Manager),
            Action::ManagePeople => matches!(role, Owner | Administrator),
            Action::DeleteUsers => role == Owner,
        }
    }

    /// The matrix row's title.
    pub fn title(self) -> &'static str {
        match self {
            Action::ViewProjects => "View projects (own access), settings, summary, members",
            Action::ManageProjects => {
                "Create, change and delete projects; labeling config; project members"
            }
            Action::ImportData => "Import tasks and predictions; uploaded files",
            Action::ExportData => "Export annotations",
            Action::BrowseTasks => "Data Manager: task list, filters, views, predictions list",
            Action::ChangeTasks => "Edit and delete tasks; Data Manager actions",
            Action::ManagePredictions => "Create, change and delete predictions",
            Action::Label => "Label: next task, task by id, own annotations and drafts, media",
            Action::ViewWorkspaces => "View own workspaces",
            Action::ManageWorkspaces => {
                "Create, change and delete workspaces; their members and projects"
            }
            Action::ViewOrganization => "View the organization and its members",
            Action::ManagePeople => {
                "Change the organization; invite link; roles; remove members; create users"
            }
            Action::DeleteUsers => "Delete users",
        }
    }
}
