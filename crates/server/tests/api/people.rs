//! People and accounts: users created and deleted by owners, avatars, password rules, login
//! throttling, sessions ended when a user's standing changes, and users in several organizations.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN, PASSWORD};

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in through the form; returns the response status and the browser holding the session.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Client, String) {
    let client = browser();
    let reply = client
        .post(format!("{}/user/login/", app.base))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = reply.status();
    (status, client, reply.text().await.unwrap())
}

async fn whoami_status(app: &TestApp, client: &Client) -> StatusCode {
    client
        .get(format!("{}/api/current-user/whoami", app.base))
        .send()
        .await
        .unwrap()
        .status()
}

async fn organization_id(app: &TestApp) -> i64 {
    app.get("/api/organizations/").await.expect(200).body[0]["id"]
        .as_i64()
        .unwrap()
}

async fn set_role(app: &TestApp, token: &str, role: &str) -> i64 {
    let id = app
        .call_as(token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!(
            "/api/organizations/{}/memberships",
            organization_id(app).await
        ),
        json!({"user_id": id, "role": role}),
    )
    .await
    .expect(200);
    id
}

#[tokio::test]
async fn owners_create_and_delete_users() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/users/", json!({"username": "newbie", "email": "Newbie@Example.com", "first_name": "New", "password": "velvet-river-93"}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            created["email"].as_str(),
            created["first_name"].as_str(),
            created["username"].as_str()
        ),
        (Some("newbie@example.com"), Some("New"), Some("newbie"))
    );
    let newbie = created["id"].as_i64().unwrap();
    let (status, client, _) = sign_in(&app, "newbie@example.com", "velvet-river-93").await;
    assert_eq!(
        status,
        StatusCode::FOUND,
        "the created user signs in with the given password"
    );
    assert_eq!(whoami_status(&app, &client).await, StatusCode::OK);

    let missing = app
        .post("/api/users/", json!({"email": "x@example.com"}))
        .await
        .expect(400);
    assert_eq!(
        missing.body["validation_errors"]["username"][0],
        "This field is required."
    );
    let duplicate = app
        .post(
            "/api/users/",
            json!({"username": "again", "email": "newbie@example.com"}),
        )
        .await
        .expect(400);
    assert_eq!(
        duplicate.body["validation_errors"]["email"][0],
        "user with this email address already exists."
    );
    let weak = app
        .post(
            "/api/users/",
            json!({"username": "weak", "email": "weak@example.com", "password": "12345678901"}),
        )
        .await
        .expect(400);
    assert!(weak.body["validation_errors"]["password"][0]
        .as_str()
        .unwrap()
        .starts_with("This password is entirely numeric."));
    let passwordless = app
        .post(
            "/api/users/",
            json!({"username": "nopass", "email": "nopass@example.com"}),
        )
        .await
        .expect(201);
    assert_eq!(
        sign_in(&app, "nopass@example.com", "").await.0,
        StatusCode::OK,
        "no password, no sign-in"
    );
    assert!(passwordless.body["id"].is_i64());

    // Administrators manage people but only the owner deletes accounts; nobody deletes the owner.
    let admin = app.signup("deputy@example.com").await;
    set_role(&app, &admin, "AD").await;
    app.call_as(
        &admin,
        Method::POST,
        "/api/users/",
        Some(json!({"username": "by-admin", "email": "by-admin@example.com"})),
    )
    .await
    .expect(201);
    app.call_as(
        &admin,
        Method::DELETE,
        &format!("/api/users/{newbie}/"),
        None,
    )
    .await
    .expect(403);
    let owner_id = app.get("/api/current-user/whoami").await.body["id"]
        .as_i64()
        .unwrap();
    let refused = app
        .delete(&format!("/api/users/{owner_id}/"))
        .await
        .expect(403);
    assert_eq!(
        refused.body["detail"],
        "The organization owner cannot be deleted"
    );

    app.delete(&format!("/api/users/{newbie}/"))
        .await
        .expect(204);
    assert_eq!(
        whoami_status(&app, &client).await,
        StatusCode::UNAUTHORIZED,
        "signed out and deactivated"
    );
    assert_eq!(
        sign_in(&app, "newbie@example.com", "velvet-river-93")
            .await
            .0,
        StatusCode::OK,
        "a deleted user cannot sign in"
    );
    app.get(&format!("/api/users/{newbie}/")).await.expect(404);
    let emails: Vec<String> = app
        .get("/api/users/")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect();
    assert!(!emails.contains(&"newbie@example.com".to_string()));
    let found = app
        .get("/api/users/?search=BY-ADMIN")
        .await
        .expect(200)
        .body;
    assert_eq!(
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["by-admin@example.com"]
    );
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload_avatar(
    app: &TestApp,
    token: &str,
    user: i64,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
    let form = reqwest::multipart::Form::new().part("avatar", part);
    let reply = Client::new()
        .post(format!("{}/api/users/{user}/avatar", app.base))
        .header("Authorization", format!("Token {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (reply.status(), reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn avatars_upload_show_and_go() {
    let app = TestApp::spawn().await;
    let member = app.signup("painter@example.com").await;
    let me = app
        .call_as(&member, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    let owner = app.get("/api/current-user/whoami").await.body["id"]
        .as_i64()
        .unwrap();

    let (status, body) = upload_avatar(&app, &member, me, "me.png", PNG).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"detail": "avatar saved"}))
    );
    let url = app.get(&format!("/api/users/{me}/")).await.expect(200).body["avatar"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("/data/avatars/"), "{url}");
    let served = Client::new()
        .get(format!("{}{url}", app.base))
        .header("Authorization", format!("Token {member}"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    assert_eq!(
        upload_avatar(&app, &member, me, "me.bmp", PNG).await.1["detail"],
        "Please upload a valid image file with extensions: JPEG, JPG, GIF, or PNG."
    );
    assert_eq!(
        upload_avatar(&app, &member, me, "me.png", b"not an image")
            .await
            .1["detail"],
        "Can't read image, try another one"
    );
    assert_eq!(
        upload_avatar(&app, &member, owner, "x.png", PNG).await.0,
        StatusCode::FORBIDDEN,
        "someone else's avatar"
    );

    let gone = Client::new()
        .delete(format!("{}/api/users/{me}/avatar", app.base))
        .header("Authorization", format!("Token {member}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/users/{me}/")).await.body["avatar"],
        Value::Null
    );
    let stale = Client::new()
        .get(format!("{}{url}", app.base))
        .header("Authorization", format!("Token {member}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        StatusCode::NOT_FOUND,
        "the old file is removed"
    );
}

#[tokio::test]
async fn sign_ups_follow_the_password_rules() {
    let app = TestApp::spawn().await;
    for (email, password, message) in [
        (
            "a@example.com",
            "short",
            "Please enter a password 8-128 characters long",
        ),
        (
            "a@example.com",
            "31415926535",
            "This password is entirely numeric.",
        ),
        (
            "marguerite@example.com",
            "marguerite-2024",
            "The password is too similar to the email.",
        ),
        (
            "a@example.com",
            "password123",
            "This password is too common.",
        ),
    ] {
        let reply = browser()
            .post(format!("{}/user/signup/", app.base))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        assert!(
            reply.text().await.unwrap().contains(message),
            "{password}: {message}"
        );
    }
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    for attempt in 1..=5 {
        let (status, _, page) = sign_in(&app, ADMIN, "wrong-password").await;
        assert_eq!(status, StatusCode::OK, "attempt {attempt}");
        assert!(page.contains("don't match"));
    }
    let (status, _, page) = sign_in(&app, ADMIN, PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the lock"
    );
    assert!(
        page.contains("Too many failed sign-in attempts. Try again in 15 minutes."),
        "{page}"
    );
    app.get("/api/current-user/whoami").await.expect(200);

    // Another account from the same address is not locked by these five failures.
    app.post(
        "/api/users/",
        json!({"username": "other", "email": "other@example.com", "password": "velvet-river-93"}),
    )
    .await
    .expect(201);
    assert_eq!(
        sign_in(&app, "other@example.com", "velvet-river-93")
            .await
            .0,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn failures_from_one_address_lock_it_across_accounts() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        sign_in(&app, &format!("nobody{i}@example.com"), "wrong-password").await;
    }
    assert_eq!(
        sign_in(&app, ADMIN, PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A sign-in attempt sent through a proxy that says the client is `forwarded_for`.
async fn sign_in_via(
    app: &TestApp,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> StatusCode {
    let form = [("email", email), ("password", password)];
    let reply = browser()
        .post(format!("{}/user/login/", app.base))
        .header("X-Forwarded-For", forwarded_for)
        .form(&form)
        .send()
        .await
        .unwrap();
    reply.status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own() {
    let app =
        TestApp::spawn_with(|config| config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
    for i in 0..20 {
        sign_in_via(
            &app,
            "203.0.113.5",
            &format!("nobody{i}@example.com"),
            "wrong-password",
        )
        .await;
    }
    assert_eq!(
        sign_in_via(&app, "203.0.113.5", ADMIN, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_in_via(&app, "203.0.113.6", ADMIN, PASSWORD).await,
        StatusCode::FOUND,
        "another client behind the proxy"
    );

    // Without trusted proxies the header is ignored: changing it does not escape the lock.
    let direct = TestApp::spawn().await;
    for i in 0..20 {
        sign_in_via(
            &direct,
            &format!("198.51.100.{i}"),
            &format!("nobody{i}@example.com"),
            "wrong-password",
        )
        .await;
    }
    assert_eq!(
        sign_in_via(&direct, "198.51.100.200", ADMIN, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn sessions_end_when_role_or_password_changes() {
    let app = TestApp::spawn().await;
    let token = app.signup("shifty@example.com").await;
    let (status, session, _) = sign_in(&app, "shifty@example.com", "blue-harbor-72").await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(whoami_status(&app, &session).await, StatusCode::OK);

    let id = set_role(&app, &token, "RE").await;
    assert_eq!(
        whoami_status(&app, &session).await,
        StatusCode::UNAUTHORIZED,
        "a role change ends the session"
    );

    let (_, session, _) = sign_in(&app, "shifty@example.com", "blue-harbor-72").await;
    let path = format!("/api/users/{id}/");
    let change = |body: Value| app.call_as(&token, Method::PATCH, &path, Some(body));
    let unproven = change(json!({"password": "granite-maple-41"}))
        .await
        .expect(400);
    assert_eq!(
        unproven.body["validation_errors"]["current_password"][0],
        "This field is required."
    );
    let wrong =
        change(json!({"password": "granite-maple-41", "current_password": "guess-guess-1"}))
            .await
            .expect(400);
    assert_eq!(
        wrong.body["validation_errors"]["current_password"][0],
        "The current password is wrong."
    );
    let weak = change(json!({"password": "shifty-shifty", "current_password": "blue-harbor-72"}))
        .await
        .expect(400);
    assert!(weak.body["validation_errors"]["password"][0]
        .as_str()
        .unwrap()
        .starts_with("The password is too similar to the email."));
    change(json!({"password": "granite-maple-41", "current_password": "blue-harbor-72"}))
        .await
        .expect(200);
    assert_eq!(
        whoami_status(&app, &session).await,
        StatusCode::UNAUTHORIZED,
        "a password change ends the session"
    );
    assert_eq!(
        sign_in(&app, "shifty@example.com", "blue-harbor-72")
            .await
            .0,
        StatusCode::OK,
        "the old password is refused"
    );
    let (status, session, _) = sign_in(&app, "shifty@example.com", "granite-maple-41").await;
    assert_eq!(status, StatusCode::FOUND);
    app.call_as(&token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(401);

    // Nobody changes someone else's password, not even the owner.
    app.patch(
        &format!("/api/users/{id}/"),
        json!({"password": "granite-maple-42"}),
    )
    .await
    .expect(403);

    // Deactivation ends it too.
    app.patch(
        &format!(
            "/api/organizations/{}/memberships",
            organization_id(&app).await
        ),
        json!({"user_id": id, "role": "DI"}),
    )
    .await
    .expect(200);
    assert_eq!(
        whoami_status(&app, &session).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn people_belong_to_several_organizations_and_switch_between_them() {
    let app = TestApp::spawn().await;
    let home = organization_id(&app).await;
    let token = app.signup("traveller@example.com").await;
    let me = app
        .call_as(&token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    assert_eq!(me["active_organization"], home);

    // Another organization's invite link: the existing account joins with its password.
    let stranger = app.other_organization().await;
    let invite = app
        .call_as(&stranger, Method::GET, "/api/invite", None)
        .await
        .expect(200)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = browser()
        .post(format!("{}/user/signup/?token={invite}", app.base))
        .form(&[
            ("email", "traveller@example.com"),
            ("password", "not-my-password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        wrong.text().await.unwrap().contains("already exists"),
        "a wrong password does not join"
    );
    let joined = browser()
        .post(format!("{}/user/signup/?token={invite}", app.base))
        .form(&[
            ("email", "traveller@example.com"),
            ("password", "blue-harbor-72"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::FOUND);
    let me = app
        .call_as(&token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let away = me["active_organization"].as_i64().unwrap();
    assert_ne!(away, home, "the invited organization is now the active one");
    let mine: Vec<i64> = app
        .call_as(&token, Method::GET, "/api/organizations/", None)
        .await
        .expect(200)
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine, [home, away]);

    // Switching back, and not into an organization one is not in.
    let id = me["id"].as_i64().unwrap();
    let switched = app
        .call_as(
            &token,
            Method::PATCH,
            &format!("/api/users/{id}/"),
            Some(json!({"active_organization": home})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(switched["active_organization"], home);
    let bad = app
        .call_as(
            &token,
            Method::PATCH,
            &format!("/api/users/{id}/"),
            Some(json!({"active_organization": 999999})),
        )
        .await
        .expect(400);
    assert!(bad.body["validation_errors"]["active_organization"][0]
        .as_str()
        .unwrap()
        .contains("does not exist"));
}

/// Undoes quoted-printable (the body encoding mail clients decode for long lines).
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        ) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn invitations_by_email_grant_their_role_projects_and_workspaces() {
    let without = TestApp::spawn().await;
    let refused = without
        .post(
            "/api/invite/send-email",
            json!({"emails": ["a@example.com"]}),
        )
        .await
        .expect(400);
    assert!(
        refused.body["detail"].as_str().unwrap().contains("SMTP"),
        "{}",
        refused.body
    );

    let sink = crate::helpers::SmtpSink::start(false).await;
    let url = sink.url.clone();
    let app = TestApp::spawn_with(move |config| config.smtp_url = Some(url)).await;
    let project = app.create_project(crate::helpers::TEXT_CONFIG).await;
    let workspace = app
        .post("/api/workspaces/", json!({"title": "Team"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();

    let bad_role = app
        .post(
            "/api/invite/send-email",
            json!({"emails": ["x@example.com"], "role": "OW"}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_role.body["validation_errors"]["role"][0],
        "\"OW\" is not a valid choice."
    );
    let bad_project = app
        .post(
            "/api/invite/send-email",
            json!({"emails": ["x@example.com"], "projects": [999999]}),
        )
        .await
        .expect(400);
    assert!(bad_project.body["validation_errors"]["projects"][0]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    let bad_email = app
        .post(
            "/api/invite/send-email",
            json!({"emails": ["not-an-address"]}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_email.body["validation_errors"]["emails"][0],
        "Enter a valid email address."
    );
    assert!(
        sink.messages.lock().unwrap().is_empty(),
        "refused requests send nothing"
    );

    let sent = app
        .post("/api/invite/send-email", json!({"emails": ["Maker@Example.com", "late@example.com"], "role": "MA", "projects": [project], "workspaces": [workspace]}))
        .await
        .expect(200);
    assert_eq!(
        sent.body["emails"],
        json!(["maker@example.com", "late@example.com"])
    );
    let messages: Vec<String> = sink
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| quoted_printable(m))
        .collect();
    assert_eq!(messages.len(), 2);
    assert!(
        messages[0].contains("To: maker@example.com"),
        "{}",
        messages[0]
    );
    let link = messages[0]
        .lines()
        .find(|l| l.contains("/user/signup/?token="))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        link.starts_with(&app.base) && link.contains("&email=maker%40example%2Ecom&invite="),
        "{link}"
    );

    // The link shows the sign-up form with the address; signing up grants the invitation.
    let page = browser()
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"maker@example.com\""));
    let client = browser();
    let joined = client
        .post(&link)
        .form(&[
            ("email", "maker@example.com"),
            ("password", "quiet-lantern-58"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::FOUND);
    let token: Value = client
        .get(format!("{}/api/current-user/token", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let me = app
        .call_as(&token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    let org = organization_id(&app).await;
    let members = app
        .get(&format!(
            "/api/organizations/{org}/memberships?page_size=-1"
        ))
        .await
        .body;
    let list = members
        .get("results")
        .unwrap_or(&members)
        .as_array()
        .unwrap()
        .clone();
    let role = list.iter().find(|m| m["user"]["id"] == me).unwrap()["role"].clone();
    assert_eq!(role, "MA");
    app.call_as(
        &token,
        Method::GET,
        &format!("/api/projects/{project}/"),
        None,
    )
    .await
    .expect(200);
    let in_workspace: Vec<Value> = app
        .get(&format!("/api/workspaces/{workspace}/memberships/"))
        .await
        .body
        .as_array()
        .unwrap()
        .clone();
    assert!(in_workspace
        .iter()
        .any(|m| m["user"]["id"] == me || m["user"] == me));

    // The invitation's link is the invitee's own: another invited address signing up through
    // it (or through the plain invite link) gets nothing of its own invitation.
    app.post(
        "/api/invite/send-email",
        json!({"emails": ["boss@example.com"], "role": "AD"}),
    )
    .await
    .expect(200);
    let impostor = browser()
        .post(&link)
        .form(&[
            ("email", "boss@example.com"),
            ("password", "quiet-lantern-58"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(impostor.status(), StatusCode::FOUND);
    let members = app
        .get(&format!(
            "/api/organizations/{org}/memberships?page_size=-1"
        ))
        .await
        .body;
    let list = members
        .get("results")
        .unwrap_or(&members)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        list.iter()
            .find(|m| m["user"]["email"] == "boss@example.com")
            .unwrap()["role"],
        "AN"
    );

    // A withdrawn invitation grants nothing: that person joins as an annotator.
    app.post("/api/invite/revoke", json!({"email": "late@example.com"}))
        .await
        .expect(204);
    app.post("/api/invite/revoke", json!({"email": "late@example.com"}))
        .await
        .expect(404);
    let late = browser()
        .post(&link)
        .form(&[
            ("email", "late@example.com"),
            ("password", "quiet-lantern-58"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::FOUND);
    let members = app
        .get(&format!(
            "/api/organizations/{org}/memberships?page_size=-1"
        ))
        .await
        .body;
    let list = members
        .get("results")
        .unwrap_or(&members)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        list.iter()
            .find(|m| m["user"]["email"] == "late@example.com")
            .unwrap()["role"],
        "AN"
    );
}

#[tokio::test]
async fn an_unsendable_invitation_is_not_kept() {
    let sink = crate::helpers::SmtpSink::start(true).await;
    let url = sink.url.clone();
    let app = TestApp::spawn_with(move |config| config.smtp_url = Some(url)).await;
    let failed = app
        .post(
            "/api/invite/send-email",
            json!({"emails": ["bounce@example.com"], "role": "RE"}),
        )
        .await
        .expect(502);
    assert!(
        failed.body["detail"]
            .as_str()
            .unwrap()
            .contains("bounce@example.com"),
        "{}",
        failed.body
    );
    app.post("/api/invite/revoke", json!({"email": "bounce@example.com"}))
        .await
        .expect(404);
}

#[tokio::test]
async fn owners_stay_and_people_act_under_their_own_name() {
    let app = TestApp::spawn().await;
    let org = organization_id(&app).await;
    let owner = app.get("/api/current-user/whoami").await.body["id"]
        .as_i64()
        .unwrap();
    let admin = app.signup("deputy@example.com").await;
    set_role(&app, &admin, "AD").await;
    let removed = app
        .call_as(
            &admin,
            Method::DELETE,
            &format!("/api/organizations/{org}/memberships/{owner}/"),
            None,
        )
        .await
        .expect(403);
    assert!(removed.body["detail"].as_str().unwrap().contains("owner"));
    app.call_as(
        &admin,
        Method::PATCH,
        &format!("/api/users/{owner}/"),
        Some(json!({"first_name": "Renamed"})),
    )
    .await
    .expect(403);

    // An annotator cannot file work under someone else's name.
    let project = app.create_project(crate::helpers::TEXT_CONFIG).await;
    let task = app.import(project, json!([{"text": "a"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let annotator = app.annotator_of("worker@example.com", project).await;
    let body = json!({"result": crate::helpers::choice("Positive"), "completed_by": owner});
    app.call_as(
        &annotator,
        Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(body),
    )
    .await
    .expect(403);
    assert_eq!(app.project(project).await["total_annotations_number"], 0);

    // Removed from the active organization while in another: they carry on in the other one.
    let stranger = app.other_organization().await;
    let invite = app
        .call_as(&stranger, Method::GET, "/api/invite", None)
        .await
        .expect(200)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = browser()
        .post(format!("{}/user/signup/?token={invite}", app.base))
        .form(&[
            ("email", "worker@example.com"),
            ("password", "blue-harbor-72"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::FOUND);
    let me = app
        .call_as(&annotator, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let away = me["active_organization"].as_i64().unwrap();
    app.call_as(
        &annotator,
        Method::PATCH,
        &format!("/api/users/{}/", me["id"]),
        Some(json!({"active_organization": org})),
    )
    .await
    .expect(200);
    app.delete(&format!(
        "/api/organizations/{org}/memberships/{}/",
        me["id"]
    ))
    .await
    .expect(204);
    let after = app
        .call_as(&annotator, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    assert_eq!(after["active_organization"], away);
}

#[tokio::test]
async fn concurrent_failed_sign_ins_all_count() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    // Exactly as many as lock the account: a single lost count would leave it open.
    let attempts = (0..5).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { sign_in(&app, ADMIN, "wrong-password").await.0 })
    });
    for attempt in futures_util::future::join_all(attempts).await {
        assert_ne!(attempt.unwrap(), StatusCode::FOUND);
    }
    assert_eq!(
        sign_in(&app, ADMIN, PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "five parallel failures lock the account"
    );
}
