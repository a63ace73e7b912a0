use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, ADMIN};

#[tokio::test]
async fn users_list_get_and_patch() {
    let app = TestApp::spawn().await;
    let users = app.get("/api/users/").await.expect(200).body;
    let me = &users[0];
    for key in [
        "id",
        "first_name",
        "last_name",
        "username",
        "email",
        "last_activity",
        "custom_hotkeys",
        "avatar",
        "initials",
        "phone",
        "active_organization",
        "active_organization_meta",
        "allow_newsletters",
        "date_joined",
    ] {
        assert!(me.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        me["active_organization_meta"],
        json!({"title": "Label Studio", "email": ADMIN})
    );
    let id = me["id"].as_i64().unwrap();
    let patched = app
        .patch(
            &format!("/api/users/{id}/"),
            json!({"first_name": "Ada", "last_name": "Lovelace", "phone": "123"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["first_name"], "Ada");
    assert_eq!(patched["initials"], "AL");
    let email = app
        .patch(
            &format!("/api/users/{id}"),
            json!({"email": "new@example.com", "first_name": "Grace"}),
        )
        .await
        .expect(405);
    assert_eq!(email.body["detail"], "Cannot update read-only field: email");
    let fetched = app.get(&format!("/api/users/{id}/")).await.expect(200).body;
    assert_eq!(fetched["email"], ADMIN);
    assert_eq!(
        fetched["first_name"], "Grace",
        "Label Studio applies the other fields first"
    );
    let bad = app
        .patch(
            &format!("/api/users/{id}/"),
            json!({"allow_newsletters": "perhaps"}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad.body["validation_errors"]["allow_newsletters"],
        json!(["Must be a valid boolean."])
    );
    app.get("/api/users/9999/").await.expect(404);

    let other = app.other_organization().await;
    app.call_as(&other, Method::GET, &format!("/api/users/{id}/"), None)
        .await
        .expect(404);
    app.call_as(
        &other,
        Method::PATCH,
        &format!("/api/users/{id}/"),
        Some(json!({"first_name": "Mallory"})),
    )
    .await
    .expect(404);
    assert_eq!(
        app.call_as(&other, Method::GET, "/api/users/", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/api/users/{id}/")).await.body["first_name"],
        "Grace"
    );
}

#[tokio::test]
async fn hotkeys_round_trip() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/api/current-user/hotkeys/").await.expect(200).body,
        json!({"custom_hotkeys": {}})
    );
    let set = app
        .patch(
            "/api/current-user/hotkeys",
            json!({"custom_hotkeys": {"annotation:submit": {"key": "ctrl+enter"}}}),
        )
        .await
        .expect(200);
    assert_eq!(
        set.body["custom_hotkeys"]["annotation:submit"]["key"],
        "ctrl+enter"
    );
    assert_eq!(
        app.get("/api/current-user/whoami").await.body["custom_hotkeys"]["annotation:submit"]
            ["key"],
        "ctrl+enter"
    );
    app.patch("/api/current-user/hotkeys/", json!({"custom_hotkeys": [1]}))
        .await
        .expect(400);
}
