//! Who may call what: the one place where roles meet routes.
//!
//! Every route the router serves has a [`Rule`] per method in [`RULES`]; the [`authorize`]
//! middleware looks the matched route up before any handler runs. A route registered without
//! rules panics when the router is built, and the route-walking API test finds methods a route
//! handles without a rule. What a role may do is [`Action::allows`], the matrix written out in
//! `docs/PERMISSIONS.md` (a test keeps the two equal).
//!
//! Object-level limits (which projects a manager, reviewer or annotator sees; annotators seeing
//! only their own annotations) live with the lookups in `services::scope`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tessera_core::roles::Role;

use crate::api::scim;
use crate::error::ApiError;
use crate::state::AppState;
pub use tessera_core::permissions::{Action, FORBIDDEN};

/// Label Studio's permission names (as `whoami` lists them for the web app) and the action
/// each stands for.
const PERMISSION_NAMES: &[(&str, Action)] = &[
    ("organizations.create", Action::ManagePeople),
    ("organizations.view", Action::ViewOrganization),
    ("organizations.change", Action::ManagePeople),
    ("organizations.delete", Action::ManagePeople),
    ("organizations.invite", Action::ManagePeople),
    ("projects.create", Action::ManageProjects),
    ("projects.view", Action::ViewProjects),
    ("projects.change", Action::ManageProjects),
    ("projects.delete", Action::ManageProjects),
    ("tasks.create", Action::ImportData),
    ("tasks.view", Action::Label),
    ("tasks.change", Action::ChangeTasks),
    ("tasks.delete", Action::ChangeTasks),
    ("annotations.create", Action::Label),
    ("annotations.view", Action::Label),
    ("annotations.change", Action::Label),
    ("annotations.delete", Action::Label),
    ("actions.perform", Action::ChangeTasks),
    ("predictions.any", Action::ManagePredictions),
    ("avatar.any", Action::ViewOrganization),
    ("labels.create", Action::ManageProjects),
    ("labels.view", Action::ViewProjects),
    ("labels.change", Action::ManageProjects),
    ("labels.delete", Action::ManageProjects),
    ("models.create", Action::ManageProjects),
    ("models.view", Action::ViewProjects),
    ("models.change", Action::ManageProjects),
    ("models.delete", Action::ManageProjects),
    ("model_provider_connection.create", Action::ManageProjects),
    ("model_provider_connection.view", Action::ViewProjects),
    ("model_provider_connection.change", Action::ManageProjects),
    ("model_provider_connection.delete", Action::ManageProjects),
    ("webhooks.change", Action::ManageProjects),
    ("users.token.any", Action::ViewOrganization),
    ("views.create", Action::BrowseTasks),
    ("views.view", Action::BrowseTasks),
    ("views.change", Action::BrowseTasks),
    ("views.delete", Action::BrowseTasks),
    ("storages.view", Action::ImportData),
    ("storages.change", Action::ImportData),
];

/// The Label Studio permission names a role holds, from the matrix.
pub fn permission_names(role: Role) -> Vec<&'static str> {
    PERMISSION_NAMES
        .iter()
        .filter(|(_, action)| action.allows(role))
        .map(|(name, _)| *name)
        .collect()
}

/// The permission matrix as a Markdown table (the one in `docs/PERMISSIONS.md`).
pub fn matrix_markdown() -> String {
    let roles = [
        Role::Owner,
        Role::Administrator,
        Role::Manager,
        Role::Reviewer,
        Role::Annotator,
        Role::Deactivated,
        Role::NotActivated,
    ];
    let mut table = String::from("| Action |");
    for role in roles {
        table.push_str(&format!(" {} ({}) |", role.title(), role.code()));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(roles.len()));
    for action in Action::ALL {
        table.push_str(&format!("\n| {} |", action.title()));
        for role in roles {
            table.push_str(if action.allows(role) {
                " ✓ |"
            } else {
                " — |"
            });
        }
    }
    table.push('\n');
    table
}

/// Who may call a route with some method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (health, sign-up and login pages, JWT refresh).
    Public,
    /// Any active member of an organization, for their own account.
    Member,
    /// Active members whose role allows the action.
    Allowed(Action),
    /// As `Allowed`, on a media route: any of the member's keys under either keyword
    /// ([`Keys::Media`](super::Keys::Media)).
    Media(Action),
    /// An identity provider holding the organization's SCIM token (`api::scim`).
    Scim,
}

/// The access to `methods` of `path` (a route as registered, without its trailing slash).
#[derive(Debug)]
pub struct Rule {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub access: Access,
}

const fn rule(path: &'static str, methods: &'static [&'static str], access: Access) -> Rule {
    Rule {
        path,
        methods,
        access,
    }
}

use Access::{Allowed, Media, Member, Public, Scim};
use Action::*;

const READ: &[&str] = &["GET"];

/// Every route's rules.
pub const RULES: &[Rule] = &[
    rule("/health", READ, Public),
    rule("/api/version", READ, Public),
    rule("/user/login", &["GET", "POST"], Public),
    rule("/user/signup", &["GET", "POST"], Public),
    rule("/logout", &["GET", "POST"], Public),
    rule("/api/jwt/settings", READ, Allowed(ViewOrganization)),
    rule("/api/jwt/settings", &["POST"], Allowed(ManagePeople)),
    rule("/api/token/refresh", &["POST"], Public),
    rule("/api/token", &["GET", "POST"], Member),
    rule("/api/token/blacklist", &["POST"], Member),
    rule("/api/token/rotate", &["POST"], Member),
    rule("/api/current-user/whoami", READ, Member),
    rule("/api/current-user/token", READ, Member),
    rule("/api/current-user/hotkeys", &["GET", "PATCH"], Member),
    rule("/api/current-user/reset-token", &["POST"], Member),
    // A user's own profile and avatar are theirs to change; other people's need `ManagePeople`
    // (checked by the handler, which knows whose they are).
    rule("/api/users", READ, Allowed(ViewOrganization)),
    rule("/api/users", &["POST"], Allowed(ManagePeople)),
    rule(
        "/api/users/{id}",
        &["GET", "PUT", "PATCH"],
        Allowed(ViewOrganization),
    ),
    rule("/api/users/{id}", &["DELETE"], Allowed(DeleteUsers)),
    rule(
        "/api/users/{id}/avatar",
        &["POST", "DELETE"],
        Allowed(ViewOrganization),
    ),
    rule("/data/avatars/{name}", READ, Member),
    rule("/api/organizations", READ, Allowed(ViewOrganization)),
    rule("/api/organizations/{id}", READ, Allowed(ViewOrganization)),
    rule("/api/organizations/{id}", &["PATCH"], Allowed(ManagePeople)),
    rule(
        "/api/organizations/{id}/memberships",
        READ,
        Allowed(ViewOrganization),
    ),
    rule(
        "/api/organizations/{id}/memberships",
        &["PATCH"],
        Allowed(ManagePeople),
    ),
    rule(
        "/api/organizations/{id}/memberships/{user_id}",
        READ,
        Allowed(ViewOrganization),
    ),
    rule(
        "/api/organizations/{id}/memberships/{user_id}",
        &["DELETE"],
        Allowed(ManagePeople),
    ),
    rule("/api/invite", READ, Allowed(ManagePeople)),
    rule("/api/invite/reset-token", &["POST"], Allowed(ManagePeople)),
    rule("/api/invite/send-email", &["POST"], Allowed(ManagePeople)),
    rule("/api/invite/revoke", &["POST"], Allowed(ManagePeople)),
    rule("/api/workspaces", READ, Allowed(ViewWorkspaces)),
    rule("/api/workspaces", &["POST"], Allowed(ManageWorkspaces)),
    rule("/api/workspaces/{id}", READ, Allowed(ViewWorkspaces)),
    rule(
        "/api/workspaces/{id}",
        &["PATCH", "DELETE"],
        Allowed(ManageWorkspaces),
    ),
    rule(
        "/api/workspaces/{id}/memberships",
        READ,
        Allowed(ViewWorkspaces),
    ),
    rule(
        "/api/workspaces/{id}/memberships",
        &["POST", "DELETE"],
        Allowed(ManageWorkspaces),
    ),
    rule(
        "/api/workspaces/{id}/projects",
        READ,
        Allowed(ViewWorkspaces),
    ),
    rule(
        "/api/workspaces/{id}/projects",
        &["POST", "DELETE"],
        Allowed(ManageWorkspaces),
    ),
    rule("/api/projects", READ, Allowed(ViewProjects)),
    rule("/api/projects", &["POST"], Allowed(ManageProjects)),
    // Label Studio checks a config here without asking who is calling.
    rule("/api/projects/validate", &["POST"], Public),
    rule("/api/projects/counts", READ, Allowed(ViewProjects)),
    rule("/api/projects/{id}", READ, Allowed(ViewProjects)),
    rule(
        "/api/projects/{id}",
        &["PUT", "PATCH", "DELETE"],
        Allowed(ManageProjects),
    ),
    rule(
        "/api/projects/{id}/validate",
        &["POST"],
        Allowed(ManageProjects),
    ),
    rule("/api/projects/{id}/summary", READ, Allowed(ViewProjects)),
    rule("/api/projects/{id}/members", READ, Allowed(ViewProjects)),
    rule(
        "/api/projects/{id}/members",
        &["POST", "DELETE"],
        Allowed(ManageProjects),
    ),
    rule(
        "/api/projects/{id}/members/paginated",
        READ,
        Allowed(ViewProjects),
    ),
    rule("/api/projects/{id}/import", &["POST"], Allowed(ImportData)),
    rule(
        "/api/projects/{id}/reimport",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/projects/{id}/tasks/bulk",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/projects/{id}/import/predictions",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/projects/{id}/file-uploads",
        &["GET", "DELETE"],
        Allowed(ImportData),
    ),
    rule(
        "/api/import/file-upload/{id}",
        &["GET", "DELETE"],
        Allowed(ImportData),
    ),
    rule("/data/upload/{project}/{name}", READ, Media(Label)),
    rule("/storage-data/uploaded", READ, Media(Label)),
    rule("/api/projects/{id}/export", READ, Allowed(ExportData)),
    rule(
        "/api/projects/{id}/export/formats",
        READ,
        Allowed(ExportData),
    ),
    rule(
        "/api/projects/{id}/exports",
        &["GET", "POST"],
        Allowed(ExportData),
    ),
    rule(
        "/api/projects/{id}/exports/{pk}",
        &["GET", "DELETE"],
        Allowed(ExportData),
    ),
    rule(
        "/api/projects/{id}/exports/{pk}/download",
        READ,
        Allowed(ExportData),
    ),
    rule(
        "/api/projects/{id}/exports/{pk}/convert",
        &["POST"],
        Allowed(ExportData),
    ),
    rule("/api/projects/{id}/results", READ, Allowed(ExportData)),
    rule("/api/projects/{id}/completions", READ, Allowed(ExportData)),
    rule("/api/projects/{id}/tasks", READ, Allowed(BrowseTasks)),
    rule(
        "/api/projects/{id}/tasks",
        &["DELETE"],
        Allowed(ChangeTasks),
    ),
    rule("/api/projects/{id}/next", READ, Allowed(Label)),
    rule(
        "/api/projects/{id}/label-stream-history",
        READ,
        Allowed(Label),
    ),
    rule("/api/tasks", READ, Allowed(BrowseTasks)),
    rule("/api/tasks", &["POST"], Allowed(ImportData)),
    rule("/api/tasks/{id}", READ, Allowed(Label)),
    rule(
        "/api/tasks/{id}",
        &["PUT", "PATCH", "DELETE"],
        Allowed(ChangeTasks),
    ),
    rule(
        "/api/tasks/{id}/annotations",
        &["GET", "POST"],
        Allowed(Label),
    ),
    rule(
        "/api/annotations/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Allowed(Label),
    ),
    rule(
        "/api/annotations/{id}/convert-to-draft",
        &["POST"],
        Allowed(Label),
    ),
    rule("/api/tasks/{id}/drafts", &["GET", "POST"], Allowed(Label)),
    rule(
        "/api/tasks/{id}/annotations/{aid}/drafts",
        &["GET", "POST"],
        Allowed(Label),
    ),
    rule(
        "/api/drafts/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Allowed(Label),
    ),
    rule("/api/predictions", READ, Allowed(BrowseTasks)),
    rule("/api/predictions", &["POST"], Allowed(ManagePredictions)),
    rule("/api/predictions/{id}", READ, Allowed(BrowseTasks)),
    rule(
        "/api/predictions/{id}",
        &["PUT", "PATCH", "DELETE"],
        Allowed(ManagePredictions),
    ),
    // The labels manager: reading follows the projects, changing labels is managing projects.
    rule("/api/labels", READ, Allowed(ViewProjects)),
    rule("/api/labels", &["POST"], Allowed(ManageProjects)),
    rule("/api/labels/bulk", &["POST"], Allowed(ManageProjects)),
    rule("/api/labels/{id}", READ, Allowed(ViewProjects)),
    rule(
        "/api/labels/{id}",
        &["PATCH", "DELETE"],
        Allowed(ManageProjects),
    ),
    // Bucket media of a task or project, for whoever may label it (links in task data).
    rule("/data/local-files", READ, Media(Label)),
    rule("/tasks/{id}/resolve", READ, Media(Label)),
    rule("/tasks/{id}/presign", READ, Media(Label)),
    rule("/projects/{id}/resolve", READ, Media(Label)),
    rule("/projects/{id}/presign", READ, Media(Label)),
    // ML backends are project settings; interactive pre-annotation is part of labeling.
    rule("/api/ml", READ, Allowed(ViewProjects)),
    rule("/api/ml", &["POST"], Allowed(ManageProjects)),
    rule(
        "/api/ml/{id}",
        &["GET", "PATCH", "PUT", "DELETE"],
        Allowed(ManageProjects),
    ),
    rule("/api/ml/{id}/train", &["POST"], Allowed(ManageProjects)),
    rule(
        "/api/ml/{id}/predict/test",
        &["POST"],
        Allowed(ManageProjects),
    ),
    rule(
        "/api/ml/{id}/interactive-annotating",
        &["POST"],
        Allowed(Label),
    ),
    rule("/api/ml/{id}/versions", READ, Allowed(ManageProjects)),
    rule(
        "/api/projects/{id}/model-versions",
        READ,
        Allowed(ViewProjects),
    ),
    rule(
        "/api/projects/{id}/model-versions",
        &["DELETE"],
        Allowed(ManagePredictions),
    ),
    // Webhooks are project settings (the organization's own: managing people, checked by the
    // use case); which actions exist is public.
    rule("/api/webhooks", READ, Allowed(ManageProjects)),
    rule("/api/webhooks", &["POST"], Allowed(ManageProjects)),
    rule("/api/webhooks/info", READ, Public),
    rule("/api/webhooks/{id}", READ, Allowed(ManageProjects)),
    rule(
        "/api/webhooks/{id}",
        &["PUT", "PATCH", "DELETE"],
        Allowed(ManageProjects),
    ),
    rule(
        "/api/webhooks/{id}/deliveries",
        READ,
        Allowed(ManageProjects),
    ),
    // Cloud storages: importing data and exporting annotations are project settings.
    rule("/api/storages", READ, Allowed(ImportData)),
    rule("/api/storages/types", READ, Allowed(ImportData)),
    rule("/api/storages/export", READ, Allowed(ImportData)),
    rule("/api/storages/export/types", READ, Allowed(ImportData)),
    rule(
        "/api/storages/{kind}",
        &["GET", "POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/{kind}/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/{kind}/{id}/sync",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/{kind}/validate",
        &["POST"],
        Allowed(ImportData),
    ),
    rule("/api/storages/{kind}/form", READ, Allowed(ImportData)),
    rule("/api/storages/{kind}/files", &["POST"], Allowed(ImportData)),
    rule(
        "/api/storages/export/{kind}",
        &["GET", "POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/export/{kind}/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/export/{kind}/{id}/sync",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/export/{kind}/validate",
        &["POST"],
        Allowed(ImportData),
    ),
    rule(
        "/api/storages/export/{kind}/form",
        READ,
        Allowed(ImportData),
    ),
    rule("/api/label_links", READ, Allowed(ViewProjects)),
    rule("/api/label_links", &["POST"], Allowed(ManageProjects)),
    rule("/api/label_links/{id}", READ, Allowed(ViewProjects)),
    rule(
        "/api/label_links/{id}",
        &["PATCH", "DELETE"],
        Allowed(ManageProjects),
    ),
    rule("/api/dm/columns", READ, Allowed(BrowseTasks)),
    rule("/api/dm/project", READ, Allowed(BrowseTasks)),
    rule("/api/dm/actions", READ, Allowed(BrowseTasks)),
    rule("/api/dm/actions", &["POST"], Allowed(ChangeTasks)),
    rule("/api/dm/actions/{id}/form", READ, Allowed(BrowseTasks)),
    rule("/api/dm/views", &["GET", "POST"], Allowed(BrowseTasks)),
    rule("/api/dm/views/reset", &["DELETE"], Allowed(BrowseTasks)),
    rule("/api/dm/views/order", &["POST"], Allowed(BrowseTasks)),
    rule(
        "/api/dm/views/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Allowed(BrowseTasks),
    ),
    rule(
        "/api/scim/token",
        &["POST", "DELETE"],
        Allowed(ManagePeople),
    ),
    rule("/scim/v2/ServiceProviderConfig", READ, Scim),
    rule("/scim/v2/ResourceTypes", READ, Scim),
    rule("/scim/v2/Schemas", READ, Scim),
    rule("/scim/v2/Users", &["GET", "POST"], Scim),
    rule(
        "/scim/v2/Users/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Scim,
    ),
    rule("/scim/v2/Groups", &["GET", "POST"], Scim),
    rule(
        "/scim/v2/Groups/{id}",
        &["GET", "PUT", "PATCH", "DELETE"],
        Scim,
    ),
];

/// A route as the rules name it: without the trailing slash Label Studio's routes may have.
fn canonical(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Whether `path` (as registered) has at least one rule.
pub fn has_rules(path: &str) -> bool {
    let path = canonical(path);
    RULES.iter().any(|r| r.path == path)
}

/// The access to `method` of the registered route `path`, if it has a rule.
pub fn access(method: &Method, path: &str) -> Option<Access> {
    let path = canonical(path);
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|r| r.path == path && r.methods.contains(&method))
        .map(|r| r.access)
}

/// Refuses the request unless the caller's role allows the matched route and method. Methods
/// without a rule reach the route's own 405.
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let Some(access) = path.and_then(|path| access(request.method(), &path)) else {
        return next.run(request).await;
    };
    if access == Public {
        return next.run(request).await;
    }
    if access == Scim {
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        return match tessera_core::scim::client_of(&state.db, authorization.as_deref()).await {
            Ok(Some(client)) => {
                let mut request = request;
                request.extensions_mut().insert(client);
                next.run(request).await
            }
            Ok(None) => scim::scim_error(tessera_core::scim::ScimError::new(
                401,
                None,
                "A valid SCIM bearer token is required",
            )),
            Err(err) => ApiError::from(err).into_response(),
        };
    }
    let (mut parts, body) = request.into_parts();
    let keys = match access {
        Media(_) => super::Keys::Media,
        _ => super::Keys::Api,
    };
    let caller = match super::identify(&mut parts, &state, keys).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    if let Allowed(action) | Media(action) = access {
        if !action.allows(caller.role) {
            return ApiError::Forbidden(FORBIDDEN.to_string()).into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_routes_up_with_or_without_the_slash() {
        assert_eq!(
            access(&Method::GET, "/api/projects/{id}/"),
            Some(Allowed(ViewProjects))
        );
        assert_eq!(
            access(&Method::HEAD, "/api/projects/{id}"),
            Some(Allowed(ViewProjects))
        );
        assert_eq!(
            access(&Method::DELETE, "/api/projects/{id}/"),
            Some(Allowed(ManageProjects))
        );
        assert_eq!(
            access(&Method::POST, "/api/version/"),
            None,
            "no rule: the route's 405 answers"
        );
    }

    #[test]
    fn permission_names_follow_the_matrix() {
        assert!(permission_names(Role::Owner).contains(&"organizations.change"));
        assert_eq!(permission_names(Role::Owner).len(), PERMISSION_NAMES.len());
        let annotator = permission_names(Role::Annotator);
        assert!(
            annotator.contains(&"annotations.create") && !annotator.contains(&"projects.create")
        );
        assert!(permission_names(Role::Deactivated).is_empty());
    }

    #[test]
    fn each_route_and_method_has_one_rule() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.path == b.path && a.methods.iter().any(|m| b.methods.contains(m))),
                    "{} has two rules",
                    a.path
                );
            }
        }
    }

    #[test]
    fn the_documented_matrix_is_the_enforced_one() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/PERMISSIONS.md"
        ))
        .expect("docs/PERMISSIONS.md");
        assert!(
            doc.contains(&matrix_markdown()),
            "docs/PERMISSIONS.md must hold the table of `matrix_markdown()`:\n{}",
            matrix_markdown()
        );
    }
}
