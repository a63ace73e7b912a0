//! A fresh server without `LABEL_STUDIO_USERNAME`, as Label Studio starts: no account exists, the
//! first person to sign up founds the organization and owns it, later sign-ups join with the
//! operator's `--signup-role` (annotator by default).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEXT_CONFIG};

/// A server whose configuration names no first admin.
async fn fresh(role: Option<tessera_core::roles::Role>) -> TestApp {
    TestApp::spawn_with(|config| {
        config.admin_email = None;
        config.admin_password = None;
        config.admin_token = None;
        if let Some(role) = role {
            config.signup_role = role;
        }
    })
    .await
}

/// The role code of `email` in the organization, read by `token`'s holder.
async fn role_of(app: &TestApp, token: &str, email: &str) -> String {
    let me = app
        .call_as(token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let org = me["active_organization"].as_i64().unwrap();
    let page = app
        .call_as(
            token,
            Method::GET,
            &format!("/api/organizations/{org}/memberships?page_size=-1"),
            None,
        )
        .await
        .expect(200)
        .body;
    let member = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["email"] == email)
        .cloned()
        .unwrap_or(Value::Null);
    member["role"].as_str().unwrap_or("none").to_string()
}

#[tokio::test]
async fn the_first_sign_up_owns_the_organization() {
    let app = fresh(None).await;
    let db = app.database().await;
    assert_eq!(
        tessera_db::queries::users::count(db.conn()).await.unwrap(),
        0,
        "no account is made at start"
    );
    let founder = app.signup("founder@example.com").await;
    assert_eq!(role_of(&app, &founder, "founder@example.com").await, "OW");
    let project = app
        .call_as(
            &founder,
            Method::POST,
            "/api/projects/",
            Some(json!({"title": "First", "label_config": TEXT_CONFIG})),
        )
        .await
        .expect(201);
    assert_eq!(project.body["created_by"]["email"], "founder@example.com");
    let second = app.signup("second@example.com").await;
    assert_eq!(
        role_of(&app, &founder, "second@example.com").await,
        "AN",
        "later sign-ups join as annotators"
    );
    app.call_as(
        &second,
        Method::POST,
        "/api/projects/",
        Some(json!({"title": "Not mine"})),
    )
    .await
    .expect(403);
    let orgs = app
        .call_as(&founder, Method::GET, "/api/organizations/", None)
        .await
        .expect(200)
        .body;
    assert_eq!(orgs.as_array().unwrap().len(), 1, "one organization");
}

#[tokio::test]
async fn the_operator_chooses_the_role_of_later_sign_ups() {
    let app = fresh(Some(tessera_core::roles::Role::Manager)).await;
    let founder = app.signup("founder@example.com").await;
    assert_eq!(
        role_of(&app, &founder, "founder@example.com").await,
        "OW",
        "the founder still owns it"
    );
    let manager = app.signup("lead@example.com").await;
    assert_eq!(role_of(&app, &founder, "lead@example.com").await, "MA");
    app.call_as(
        &manager,
        Method::POST,
        "/api/projects/",
        Some(json!({"title": "Managed"})),
    )
    .await
    .expect(201);
    // An invitation link still makes an annotator.
    let invite = app
        .call_as(&founder, Method::GET, "/api/invite", None)
        .await
        .expect(200)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .signup_through(
            &format!("/user/signup/?token={invite}"),
            "invited@example.com",
        )
        .await;
    assert_eq!(status, 302);
    assert_eq!(role_of(&app, &founder, "invited@example.com").await, "AN");
}

#[tokio::test]
async fn a_server_that_requires_invite_links_still_lets_its_founder_sign_up() {
    let app = TestApp::spawn_with(|config| {
        config.admin_email = None;
        config.admin_password = None;
        config.admin_token = None;
        config.disable_signup_without_link = true;
    })
    .await;
    let founder = app.signup("founder@example.com").await;
    assert_eq!(role_of(&app, &founder, "founder@example.com").await, "OW");
    let (status, _) = app
        .signup_through("/user/signup/", "walk-in@example.com")
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::FORBIDDEN,
        "after the founder, only invite links sign people up"
    );
}
