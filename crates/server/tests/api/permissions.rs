//! The authorization matrix, route by route: every route and method of the router is called by
//! a member of each role, by a user of another organization and by nobody, and each answer is
//! checked against `auth::access`. Also: which projects and annotations each role sees.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_core::roles::Role;
use tessera_server::auth::access::{self, Access, RULES};

use crate::helpers::{choice, TestApp, TEXT_CONFIG, TOKEN};

/// Objects of the organization under test, for the routes' path parameters.
struct Fixture {
    organization: i64,
    admin: i64,
    project: i64,
    task: i64,
    annotation: i64,
    prediction: i64,
    draft: i64,
    view: i64,
    workspace: i64,
}

/// An id no object has: unsafe methods of allowed roles use it, so that passing authorization
/// shows as a 404 and nothing of the fixture is changed or deleted.
const MISSING: i64 = 999_999;

impl Fixture {
    async fn build(app: &TestApp) -> Fixture {
        let project = app.create_project(TEXT_CONFIG).await;
        let tasks = app
            .import(project, json!([{"text": "one"}, {"text": "two"}]))
            .await["task_ids"]
            .clone();
        let (task, other_task) = (tasks[0].as_i64().unwrap(), tasks[1].as_i64().unwrap());
        let annotation = app
            .post(
                &format!("/api/tasks/{task}/annotations/"),
                json!({"result": choice("Positive")}),
            )
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let prediction = app
            .post(
                "/api/predictions/",
                json!({"task": task, "result": choice("Negative"), "score": 0.5}),
            )
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let draft = app
            .post(
                &format!("/api/tasks/{other_task}/drafts"),
                json!({"result": []}),
            )
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let view = app
            .post("/api/dm/views/", json!({"project": project, "data": {}}))
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let workspace = app
            .post("/api/workspaces/", json!({"title": "Team"}))
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let organization = app.get("/api/organizations/").await.expect(200).body[0]["id"]
            .as_i64()
            .unwrap();
        let admin = app.get("/api/current-user/whoami").await.expect(200).body["id"]
            .as_i64()
            .unwrap();
        Fixture {
            organization,
            admin,
            project,
            task,
            annotation,
            prediction,
            draft,
            view,
            workspace,
        }
    }

    /// `pattern` with its parameters filled in: the fixture's objects, or [`MISSING`].
    fn path(&self, pattern: &str, missing: bool) -> String {
        let id = |real: i64| if missing { MISSING } else { real };
        let own_id = match pattern.split('/').nth(2).unwrap_or_default() {
            "projects" => id(self.project),
            "tasks" => id(self.task),
            "annotations" => id(self.annotation),
            "predictions" => id(self.prediction),
            "drafts" => id(self.draft),
            "workspaces" => id(self.workspace),
            "organizations" => id(self.organization),
            "users" => id(self.admin),
            "dm" if pattern.starts_with("/api/dm/views") => id(self.view),
            _ => MISSING,
        };
        let filled = pattern
            .replace("/api/dm/actions/{id}", "/api/dm/actions/delete_tasks")
            .replace("{id}", &own_id.to_string())
            .replace("{user_id}", &id(self.admin).to_string())
            .replace("{aid}", &id(self.annotation).to_string())
            .replace("{project}", &id(self.project).to_string())
            .replace("{name}", "missing.txt");
        // Collection routes of the Data Manager need the project.
        format!("{filled}?project={}", id(self.project))
    }
}

/// What a caller should get: `Passes` = authorization passed (any answer but 401, 403, 405 or a 5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Passes,
    Forbidden,
    Unauthenticated,
    NotFound,
}

fn expectation(access: Access, role: Option<Role>) -> Expect {
    match (access, role) {
        (Access::Public, _) => Expect::Passes,
        // Only a SCIM token opens the SCIM routes (`scim.rs` tests those).
        (Access::Scim, _) | (_, None) => Expect::Unauthenticated,
        (_, Some(role)) if !role.is_active() => Expect::Forbidden,
        (Access::Member, Some(_)) => Expect::Passes,
        (Access::Allowed(action) | Access::Media(action), Some(role)) if action.allows(role) => {
            Expect::Passes
        }
        (Access::Allowed(_) | Access::Media(_), Some(_)) => Expect::Forbidden,
    }
}

/// Whether an answer is what `expect` says. A 403 without the permission refusal passed
/// authorization: the route itself refused (local files on a server that does not serve them,
/// as Label Studio's answer).
fn matches(expect: Expect, status: StatusCode, text: &str) -> bool {
    let refused = status == StatusCode::FORBIDDEN && text.contains(access::FORBIDDEN);
    match expect {
        Expect::Passes => {
            !refused && ![401, 405].contains(&status.as_u16()) && !status.is_server_error()
        }
        Expect::Forbidden => refused,
        Expect::Unauthenticated => status == StatusCode::UNAUTHORIZED,
        Expect::NotFound => status == StatusCode::NOT_FOUND,
    }
}

/// Signs up one member per role (besides the owner) and gives them the role; the ones who may
/// label also join the project, so that it is theirs to see.
async fn members(app: &TestApp, fixture: &Fixture) -> HashMap<&'static str, String> {
    let mut tokens = HashMap::from([(Role::Owner.code(), TOKEN.to_string())]);
    for role in [
        Role::Administrator,
        Role::Manager,
        Role::Reviewer,
        Role::Annotator,
        Role::Deactivated,
        Role::NotActivated,
    ] {
        let email = format!("{}@example.com", role.code().to_lowercase());
        let token = app.annotator_of(&email, fixture.project).await;
        let id = app
            .call_as(&token, Method::GET, "/api/current-user/whoami", None)
            .await
            .expect(200)
            .body["id"]
            .clone();
        app.patch(
            &format!("/api/organizations/{}/memberships", fixture.organization),
            json!({"user_id": id, "role": role.code()}),
        )
        .await
        .expect(200);
        tokens.insert(role.code(), token);
    }
    tokens
}

async fn send(
    app: &TestApp,
    token: Option<&str>,
    method: &Method,
    path: &str,
) -> reqwest::Response {
    // Redirects (logout, sign-in pages) are answers of their own: not followed.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(method.clone(), format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Token {token}"));
    }
    if ![Method::GET, Method::DELETE].contains(method) {
        request = request.json(&json!({}));
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_matrix_says() {
    let app = TestApp::spawn().await;
    let fixture = Fixture::build(&app).await;
    let mut tokens = members(&app, &fixture).await;
    let stranger = app.other_organization().await;
    let mut failures = Vec::new();

    for rule in RULES {
        // Every method the route handles has a rule: the route's 405 lists them in `Allow`.
        let probe = send(
            &app,
            Some(TOKEN),
            &Method::TRACE,
            &fixture.path(rule.path, false),
        )
        .await;
        assert_eq!(
            probe.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "TRACE {}",
            rule.path
        );
        let allow = probe
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        for method in allow
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty() && *m != "HEAD")
        {
            if access::access(&method.parse().unwrap(), rule.path).is_none() {
                failures.push(format!(
                    "{method} {} is served without a rule in auth::access::RULES",
                    rule.path
                ));
            }
        }

        for method in rule.methods {
            let method: Method = method.parse().unwrap();
            let safe = method == Method::GET;
            let mut callers: Vec<(String, Option<Role>, Option<String>)> =
                vec![("nobody".into(), None, None)];
            for role in Role::ALL {
                callers.push((
                    role.code().to_string(),
                    Some(role),
                    tokens.get(role.code()).cloned(),
                ));
            }
            for (name, role, token) in callers {
                if role.is_some() && token.is_none() {
                    continue;
                }
                let expect = expectation(rule.access, role);
                let path = fixture.path(rule.path, !safe && expect == Expect::Passes);
                let response = send(&app, token.as_deref(), &method, &path).await;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if !matches(expect, status, &text) {
                    failures.push(format!(
                        "{method} {path} as {name}: {status}, expected {expect:?}; {body}"
                    ));
                }
                // Resetting one's own token hands out a new one.
                if rule.path == "/api/current-user/reset-token" && status.is_success() {
                    let new = body["token"].as_str().unwrap().to_string();
                    if let Some(role) = role {
                        tokens.insert(role.code(), new);
                    }
                }
            }

            // Another organization's owner reaches none of this organization's objects.
            if rule.path.contains("{id}") || rule.path.contains("{project}") {
                if matches!(rule.access, Access::Public | Access::Scim)
                    || rule.path.starts_with("/api/dm/actions/{id}")
                {
                    continue;
                }
                let path = fixture.path(rule.path, false);
                let response = send(&app, Some(&stranger), &method, &path).await;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                // Label Studio answers some routes without looking: an empty list (drafts of
                // any task id) or 410 (removed export routes). Neither tells anything.
                let says_nothing =
                    (status == StatusCode::OK && body == json!([])) || status == StatusCode::GONE;
                if !matches(Expect::NotFound, status, &text) && !says_nothing {
                    failures.push(format!(
                        "{method} {path} from another organization: {status}, expected 404; {body}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} answers break the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Nothing of the fixture was deleted on the way (the owner's token was reset meanwhile).
    let owner = &tokens[Role::Owner.code()];
    app.call_as(
        owner,
        Method::GET,
        &format!("/api/annotations/{}/", fixture.annotation),
        None,
    )
    .await
    .expect(200);
    let project = app
        .call_as(
            owner,
            Method::GET,
            &format!("/api/projects/{}/", fixture.project),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            project["task_number"].as_i64(),
            project["total_annotations_number"].as_i64()
        ),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn roles_below_administrator_see_only_their_projects_and_annotators_their_own_work() {
    let app = TestApp::spawn().await;
    let (shared, hidden, in_workspace) = (
        app.create_project(TEXT_CONFIG).await,
        app.create_project(TEXT_CONFIG).await,
        app.create_project(TEXT_CONFIG).await,
    );
    let task = app.import(shared, json!([{"text": "a"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let hidden_task = app.import(hidden, json!([{"text": "b"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let admins = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": choice("Positive")}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let annotator = app.annotator_of("an@example.com", shared).await;
    let workspace = app
        .post("/api/workspaces/", json!({"title": "Team"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/workspaces/{workspace}/projects/"),
        json!({"project": in_workspace}),
    )
    .await
    .expect(201);
    let me = app
        .call_as(&annotator, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/workspaces/{workspace}/memberships/"),
        json!({"user": me, "workspace": workspace}),
    )
    .await
    .expect(201);

    let whoami = app
        .call_as(&annotator, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let granted: Vec<&str> = whoami["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        granted.contains(&"annotations.create") && !granted.contains(&"projects.create"),
        "whoami lists the role's permissions: {granted:?}"
    );
    assert_eq!(whoami["organization_membership"]["role"], "AN");
    assert_eq!(
        whoami["organization_membership"]["organization_id"],
        whoami["active_organization"]
    );
    let listed = app
        .call_as(&annotator, Method::GET, "/api/projects/", None)
        .await
        .expect(200)
        .body;
    let mut ids: Vec<i64> = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [shared, in_workspace],
        "a member's project and a workspace's project, not the other"
    );
    assert_eq!(
        app.get("/api/projects/").await.body["count"],
        3,
        "the owner sees every project"
    );
    app.call_as(
        &annotator,
        Method::GET,
        &format!("/api/projects/{hidden}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &annotator,
        Method::GET,
        &format!("/api/tasks/{hidden_task}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &annotator,
        Method::GET,
        &format!("/api/projects/{hidden}/next"),
        None,
    )
    .await
    .expect(404);

    // Their own annotation is theirs to see; the owner's is not, anywhere.
    let own = app
        .call_as(
            &annotator,
            Method::POST,
            &format!("/api/tasks/{task}/annotations/"),
            Some(json!({"result": choice("Negative")})),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let seen = app
        .call_as(
            &annotator,
            Method::GET,
            &format!("/api/tasks/{task}/"),
            None,
        )
        .await
        .expect(200)
        .body;
    let shown: Vec<i64> = seen["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, [own]);
    let listed = app
        .call_as(
            &annotator,
            Method::GET,
            &format!("/api/tasks/{task}/annotations/"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    app.call_as(
        &annotator,
        Method::GET,
        &format!("/api/annotations/{admins}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &annotator,
        Method::DELETE,
        &format!("/api/annotations/{admins}/"),
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["annotations"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the owner sees both"
    );

    // Drafts likewise: the owner's draft is not the annotator's to see or touch.
    let draft = app
        .post(&format!("/api/tasks/{task}/drafts"), json!({"result": []}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let drafts = app
        .call_as(
            &annotator,
            Method::GET,
            &format!("/api/tasks/{task}/drafts"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(drafts, json!([]));
    app.call_as(
        &annotator,
        Method::DELETE,
        &format!("/api/drafts/{draft}/"),
        None,
    )
    .await
    .expect(404);
    app.get(&format!("/api/drafts/{draft}/")).await.expect(200);

    // A refusal is DRF's 403 and changes nothing.
    let refused = app
        .call_as(
            &annotator,
            Method::POST,
            &format!("/api/projects/{shared}/import"),
            Some(json!([{"text": "x"}])),
        )
        .await
        .expect(403);
    assert_eq!(refused.body["detail"], access::FORBIDDEN);
    assert_eq!(app.project(shared).await["task_number"], 1);
}
