use reqwest::{Client, Method};
use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN, PASSWORD, TOKEN};

#[tokio::test]
async fn missing_and_bad_credentials_get_label_studio_errors() {
    let app = TestApp::spawn().await;
    let reply = Client::new()
        .get(format!("{}/api/projects/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
    assert_eq!(reply.headers()["www-authenticate"], "Token");
    let body: Value = reply.json().await.unwrap();
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided."
    );
    assert_eq!(body["status_code"], 401);
    assert_eq!(body["version"], "1.23.2");
    assert!(body["exc_info"].is_null());
    assert_eq!(body["id"].as_str().unwrap().len(), 36);

    let bad = app
        .call_as("nope", Method::GET, "/api/projects/", None)
        .await
        .expect(401);
    assert_eq!(bad.body["detail"], "Invalid token.");

    let health = Client::new()
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "UP"})
    );
}

#[tokio::test]
async fn legacy_token_works_in_every_spelling() {
    let app = TestApp::spawn().await;
    let me = app.get("/api/current-user/whoami").await.expect(200);
    assert_eq!(me.body["email"], ADMIN);
    assert_eq!(me.body["initials"], "ad");
    assert!(me.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "projects.create"));
    let lower = Client::new()
        .get(format!("{}/api/current-user/whoami", app.base))
        .header("Authorization", format!("token {TOKEN}"));
    assert_eq!(lower.send().await.unwrap().status(), 200);
    let api_key = Client::new()
        .get(format!("{}/api/current-user/whoami", app.base))
        .header("X-Api-Key", TOKEN);
    assert_eq!(api_key.send().await.unwrap().status(), 200);
    assert_eq!(
        app.get("/api/current-user/token").await.expect(200).body,
        json!({"token": TOKEN})
    );
}

#[tokio::test]
async fn reset_token_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    let new = app
        .post("/api/current-user/reset-token/", json!({}))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(new.len(), 40);
    app.get("/api/projects/").await.expect(401);
    app.call_as(&new, Method::GET, "/api/projects/", None)
        .await
        .expect(200);
}

#[tokio::test]
async fn personal_access_tokens_follow_the_jwt_flow() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/api/token/").await.expect(200).body, json!([]));
    let refresh = app.personal_access_token().await;
    assert_eq!(refresh.split('.').count(), 3);
    let again = app.post("/api/token/", json!({})).await.expect(409);
    assert_eq!(
        again.body["detail"],
        "You already have a valid token. Please revoke it before creating a new one."
    );
    let listed = app.get("/api/token/").await.expect(200).body;
    assert_eq!(
        listed[0]["token"].as_str().unwrap(),
        refresh.rsplit_once('.').unwrap().0
    );

    let client = Client::new();
    let refreshed = client
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let access = refreshed.json::<Value>().await.unwrap()["access"]
        .as_str()
        .unwrap()
        .to_string();
    let me = client
        .get(format!("{}/api/current-user/whoami", app.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["email"], ADMIN);
    let as_bearer = client
        .get(format!("{}/api/projects/", app.base))
        .bearer_auth(&refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_bearer.status(),
        401,
        "a refresh token is not an access token"
    );

    let missing = client
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        missing.json::<Value>().await.unwrap()["validation_errors"],
        json!({"refresh": ["This field is required."]})
    );
    let garbage = client
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": "garbage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);

    app.post("/api/token/blacklist/", json!({"refresh": refresh}))
        .await
        .expect(204);
    let twice = app
        .post("/api/token/blacklist/", json!({"refresh": refresh}))
        .await
        .expect(404);
    assert_eq!(
        twice.body,
        json!({"detail": "Token is invalid or already blacklisted."})
    );
    let after = client
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(
        after.json::<Value>().await.unwrap()["detail"],
        "Token is blacklisted"
    );
    app.post("/api/token/", json!({})).await.expect(201);
}

#[tokio::test]
async fn a_token_is_revoked_by_its_listed_form_as_the_web_app_does() {
    let app = TestApp::spawn().await;
    let refresh = app.personal_access_token().await;
    let listed = app.get("/api/token/").await.expect(200).body[0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.signup("mallory@example.com").await;
    app.call_as(
        &other,
        Method::POST,
        "/api/token/blacklist/",
        Some(json!({"refresh": listed})),
    )
    .await
    .expect(404);
    app.post(
        "/api/token/blacklist/",
        json!({"refresh": format!("{listed}x")}),
    )
    .await
    .expect(404);
    app.post("/api/token/blacklist/", json!({"refresh": listed}))
        .await
        .expect(204);
    assert_eq!(app.get("/api/token/").await.expect(200).body, json!([]));
    let after = Client::new()
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn session_login_logout_and_same_site_checks() {
    let app = TestApp::spawn().await;
    let client = browser();
    let page = client
        .get(format!("{}/user/login/", app.base))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("<form"));
    let carried = client
        .get(format!(
            "{}/user/login/?next=/projects/3/data&token=abc",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        carried.contains("href=\"/user/signup/?next=%2Fprojects%2F3%2Fdata&amp;token=abc\""),
        "the sign-up link keeps next and the invite: {carried}"
    );
    let wrong = client
        .post(format!("{}/user/login/", app.base))
        .form(&[("email", ADMIN), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 200);
    let ok = client
        .post(format!("{}/user/login/?next=/projects/", app.base))
        .form(&[
            ("email", ADMIN),
            ("password", PASSWORD),
            ("persist_session", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 302);
    assert_eq!(ok.headers()["location"], "/projects/");
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let created = client
        .post(format!("{}/api/projects/", app.base))
        .json(&json!({"title": "From a browser"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let cross = client
        .post(format!("{}/api/projects/", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"title": "Forged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let foreign_origin = client
        .post(format!("{}/api/projects/", app.base))
        .header("Origin", "https://evil.example")
        .json(&json!({"title": "Forged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status(), 403);
    assert_eq!(app.get("/api/projects/").await.body["count"], 1);

    let out = client
        .get(format!("{}/logout", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 302);
    let after = client
        .get(format!("{}/api/projects/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn wrong_password_rerenders_the_form() {
    let app = TestApp::spawn().await;
    let reply = browser()
        .post(format!("{}/user/login/", app.base))
        .form(&[("email", ADMIN), ("password", "nope-nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(reply
        .text()
        .await
        .unwrap()
        .contains("The email and password you entered"));
}

#[tokio::test]
async fn signup_joins_the_existing_organization() {
    let app = TestApp::spawn().await;
    let project = app.create_project("<View></View>").await;
    let token = app.annotator_of("newbie@example.com", project).await;
    let seen = app
        .call_as(
            &token,
            Method::GET,
            &format!("/api/projects/{project}/"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(seen.body["id"], project);
    let users = app.get("/api/users/").await.expect(200).body;
    assert_eq!(users.as_array().unwrap().len(), 2);
    let newbie = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "newbie@example.com")
        .unwrap();
    assert_eq!(newbie["username"], "newbie");
    assert_eq!(newbie["allow_newsletters"], false);

    let client = browser();
    let short = client
        .post(format!("{}/user/signup/", app.base))
        .form(&[("email", "x@example.com"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 200);
    assert!(short.text().await.unwrap().contains("8-128 characters"));
    let taken = client
        .post(format!("{}/user/signup/", app.base))
        .form(&[("email", ADMIN), ("password", "long-enough-1")])
        .send()
        .await
        .unwrap();
    assert!(taken.text().await.unwrap().contains("already exists"));
}

#[tokio::test]
async fn another_users_token_cannot_be_revoked_and_unknown_routes_are_json() {
    let app = TestApp::spawn().await;
    let refresh = app.personal_access_token().await;
    let other = app.signup("mallory@example.com").await;
    app.call_as(
        &other,
        Method::POST,
        "/api/token/blacklist/",
        Some(json!({"refresh": refresh})),
    )
    .await
    .expect(404);
    app.call_as(
        &other,
        Method::POST,
        "/api/token/rotate/",
        Some(json!({"refresh": refresh})),
    )
    .await
    .expect(400);
    let still = Client::new()
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "the owner's token still works");

    let rotated = app
        .post("/api/token/rotate/", json!({"refresh": refresh}))
        .await
        .expect(200)
        .body["refresh"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rotated, refresh);
    let old = Client::new()
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);

    let missing = app.get("/api/no-such-thing/").await.expect(404);
    assert_eq!(missing.body["detail"], "Not found.");
    assert_eq!(missing.headers["content-type"], "application/json");
}

#[tokio::test]
async fn signup_can_require_the_invite_link() {
    let app = TestApp::spawn_with(|config| config.disable_signup_without_link = true).await;
    let client = browser();
    let page = client
        .get(format!("{}/user/signup/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let posted = client
        .post(format!("{}/user/signup/", app.base))
        .form(&[("email", "x@example.com"), ("password", "long-enough-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 403);
    let wrong = client
        .post(format!("{}/user/signup/?token=nope", app.base))
        .form(&[("email", "x@example.com"), ("password", "long-enough-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("The invite link is invalid or has expired."),
        "a page that says why"
    );
    assert_eq!(
        app.get("/api/users/").await.body.as_array().unwrap().len(),
        1,
        "nobody joined"
    );

    let db = tessera_db::Db::connect(&app.database_url, 1).await.unwrap();
    let invite = tessera_db::queries::organizations::first(db.conn())
        .await
        .unwrap()
        .unwrap()
        .token;
    let joined = client
        .post(format!("{}/user/signup/?token={invite}", app.base))
        .form(&[("email", "x@example.com"), ("password", "long-enough-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 302);
    assert_eq!(
        app.get("/api/users/").await.body.as_array().unwrap().len(),
        2
    );
}
