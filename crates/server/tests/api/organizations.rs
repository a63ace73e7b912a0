//! Organizations and their invite links.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, TEXT_CONFIG};

/// Signs up through an invite link; returns the status and, on success, the new user's token.
async fn signup_with(app: &TestApp, email: &str, token: &str) -> (StatusCode, Option<String>) {
    app.signup_through(&format!("/user/signup/?token={token}"), email)
        .await
}

#[tokio::test]
async fn invite_links_sign_people_up_into_their_organization() {
    let app = TestApp::spawn().await;
    let mine = app.create_project(TEXT_CONFIG).await;
    let owner = app.other_organization().await;
    let theirs_invite = app
        .call_as(&owner, Method::GET, "/api/invite", None)
        .await
        .expect(200)
        .body;
    let token = theirs_invite["token"].as_str().unwrap().to_string();
    assert_eq!(
        theirs_invite["invite_url"],
        format!("/user/signup/?token={token}")
    );
    app.call_as(&owner, Method::GET, "/api/invite/", None)
        .await
        .expect(404);

    // The invited user lands in the other organization and sees nothing of the first one.
    let (status, invited) = signup_with(&app, "invited@example.com", &token).await;
    assert_eq!(status, StatusCode::FOUND);
    let invited = invited.unwrap();
    let me = app
        .call_as(&invited, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let their_org = app
        .call_as(&owner, Method::GET, "/api/organizations/", None)
        .await
        .expect(200)
        .body[0]["id"]
        .clone();
    assert_eq!(me["active_organization"], their_org);
    app.call_as(
        &invited,
        Method::GET,
        &format!("/api/projects/{mine}/"),
        None,
    )
    .await
    .expect(404);

    // Resetting the token retires the old link.
    let reset = app
        .call_as(&owner, Method::POST, "/api/invite/reset-token", None)
        .await
        .expect(201)
        .body;
    assert_ne!(reset["token"], token.as_str());
    assert_eq!(
        signup_with(&app, "late@example.com", &token).await.0,
        StatusCode::FORBIDDEN
    );
    let fresh = reset["token"].as_str().unwrap();
    assert_eq!(
        signup_with(&app, "late@example.com", fresh).await.0,
        StatusCode::FOUND
    );
    assert_eq!(
        signup_with(&app, "nobody@example.com", "not-a-token")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn organizations_show_and_change_only_the_callers() {
    let app = TestApp::spawn().await;
    let listed = app.get("/api/organizations/").await.expect(200).body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let keys: Vec<&str> = listed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "title", "contact_info", "created_at"]);
    assert_eq!(listed[0]["title"], "Label Studio");
    let id = listed[0]["id"].as_i64().unwrap();

    let detail = app
        .get(&format!("/api/organizations/{id}"))
        .await
        .expect(200)
        .body;
    let keys: Vec<&str> = detail
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "title",
            "token",
            "created_at",
            "updated_at",
            "contact_info",
            "created_by",
            "users"
        ]
    );
    let admin = app.get("/api/current-user/whoami").await.expect(200).body["id"].clone();
    assert_eq!(detail["users"], json!([admin]));
    assert_eq!(
        detail["token"],
        app.get("/api/invite").await.expect(200).body["token"]
    );

    let patched = app
        .patch(
            &format!("/api/organizations/{id}"),
            json!({"title": "Labelers", "contact_info": "ops@example.com"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (patched["title"].clone(), patched["contact_info"].clone()),
        (json!("Labelers"), json!("ops@example.com"))
    );
    let blank = app
        .patch(&format!("/api/organizations/{id}"), json!({"title": " "}))
        .await
        .expect(400);
    assert_eq!(
        blank.body["validation_errors"]["title"],
        json!(["This field may not be blank."])
    );

    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::GET,
        &format!("/api/organizations/{id}"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        Method::PATCH,
        &format!("/api/organizations/{id}"),
        Some(json!({"title": "Mine now"})),
    )
    .await
    .expect(404);
    assert_eq!(
        app.get(&format!("/api/organizations/{id}"))
            .await
            .expect(200)
            .body["title"],
        "Labelers"
    );
}

#[tokio::test]
async fn memberships_list_show_and_remove_members() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let member = app.annotator_of("zed@example.com", project).await;
    let task = app.import(project, json!([{"text": "a"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    app.call_as(
        &member,
        Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(json!({"result": []})),
    )
    .await
    .expect(201);
    let org = app.get("/api/organizations/").await.expect(200).body[0]["id"]
        .as_i64()
        .unwrap();
    let member_id = app
        .call_as(&member, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();

    let page = app
        .get(&format!("/api/organizations/{org}/memberships"))
        .await
        .expect(200)
        .body;
    assert_eq!(page["count"], 2);
    let emails: Vec<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["admin@example.com", "zed@example.com"],
        "by username"
    );
    let searched = app
        .get(&format!("/api/organizations/{org}/memberships?search=ZED"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            searched["count"].as_i64(),
            searched["results"][0]["user"]["email"].as_str()
        ),
        (Some(1), Some("zed@example.com"))
    );
    assert_eq!(
        app.get(&format!(
            "/api/organizations/{org}/memberships?search=50%25_"
        ))
        .await
        .expect(200)
        .body["count"],
        0,
        "wildcards are literal"
    );
    let owners = app
        .get(&format!("/api/organizations/{org}/memberships?role=OW,ma"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            owners["count"].as_i64(),
            owners["results"][0]["role"].as_str()
        ),
        (Some(1), Some("OW"))
    );
    app.get(&format!("/api/organizations/{org}/memberships?role=XX"))
        .await
        .expect(400);
    let first = &page["results"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "organization",
            "user",
            "created_projects",
            "contributed_to_projects",
            "role"
        ]
    );
    assert_eq!(
        (
            page["results"][0]["role"].clone(),
            page["results"][1]["role"].clone()
        ),
        (json!("OW"), json!("AN"))
    );
    assert!(first["created_projects"].is_null());
    let paged = app
        .get(&format!("/api/organizations/{org}/memberships?page_size=1"))
        .await
        .expect(200)
        .body;
    assert_eq!(paged["results"].as_array().unwrap().len(), 1);
    assert!(paged["next"].as_str().unwrap().contains("page=2"));
    app.get(&format!(
        "/api/organizations/{org}/memberships?page=3&page_size=1"
    ))
    .await
    .expect(404);
    let all = app
        .get(&format!(
            "/api/organizations/{org}/memberships?page_size=-1&contributed_to_projects=1"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        all["results"][0]["created_projects"],
        json!([{"id": project, "title": "Test project"}])
    );
    assert_eq!(
        all["results"][1]["contributed_to_projects"],
        json!([{"id": project, "title": "Test project"}])
    );

    let detail = app
        .get(&format!(
            "/api/organizations/{org}/memberships/{member_id}/"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            detail["user"].as_i64(),
            detail["annotations_count"].as_i64(),
            detail["contributed_projects_count"].as_i64()
        ),
        (Some(member_id), Some(1), Some(1))
    );

    // Removing a member keeps their work and locks them out; nobody removes themselves.
    let admin_id = app.get("/api/current-user/whoami").await.expect(200).body["id"]
        .as_i64()
        .unwrap();
    let own = app
        .delete(&format!("/api/organizations/{org}/memberships/{admin_id}/"))
        .await
        .expect(405);
    assert_eq!(own.body, json!({"detail": "User cannot soft delete self"}));
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::DELETE,
        &format!("/api/organizations/{org}/memberships/{member_id}/"),
        None,
    )
    .await
    .expect(404);
    app.delete(&format!("/api/organizations/{org}/memberships/{member_id}"))
        .await
        .expect(204);
    app.call_as(&member, Method::GET, "/api/projects/", None)
        .await
        .expect(403);
    app.delete(&format!(
        "/api/organizations/{org}/memberships/{member_id}/"
    ))
    .await
    .expect(404);
    assert_eq!(
        app.get(&format!("/api/organizations/{org}/memberships"))
            .await
            .expect(200)
            .body["count"],
        1
    );
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/"))
            .await
            .expect(200)
            .body["total_annotations"],
        1
    );
    app.call_as(
        &stranger,
        Method::GET,
        &format!("/api/organizations/{org}/memberships"),
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn owners_change_roles_and_deactivated_members_cannot_act() {
    let app = TestApp::spawn().await;
    let org = app.get("/api/organizations/").await.expect(200).body[0]["id"]
        .as_i64()
        .unwrap();
    let member = app.signup("member@example.com").await;
    let other = app.signup("other@example.com").await;
    let id_of = |token: String| {
        let app = &app;
        async move {
            app.call_as(&token, Method::GET, "/api/current-user/whoami", None)
                .await
                .expect(200)
                .body["id"]
                .as_i64()
                .unwrap()
        }
    };
    let member_id = id_of(member.clone()).await;
    let admin_id = id_of(crate::helpers::TOKEN.to_string()).await;
    let path = format!("/api/organizations/{org}/memberships");

    // The seed's step: change the user's role to annotator (here: reviewer, then annotator).
    let changed = app
        .patch(&path, json!({"user_id": member_id, "role": "RE"}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (changed["role"].clone(), changed["user"]["id"].clone()),
        (json!("RE"), json!(member_id))
    );
    let listed = app.get(&path).await.expect(200).body;
    let roles: Vec<&str> = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"RE"));
    app.patch(&path, json!({"user_id": member_id, "role": "AN"}))
        .await
        .expect(200);

    let invalid = app
        .patch(&path, json!({"user_id": member_id, "role": "XX"}))
        .await
        .expect(400);
    assert_eq!(
        invalid.body["validation_errors"]["role"],
        json!(["\"XX\" is not a valid choice."])
    );
    app.patch(&path, json!({"user_id": 999999, "role": "AN"}))
        .await
        .expect(400);
    app.patch(&path, json!({"user_id": admin_id, "role": "AN"}))
        .await
        .expect(403);
    // Annotators do not manage people.
    app.call_as(
        &member,
        Method::PATCH,
        &path,
        Some(json!({"user_id": admin_id, "role": "AN"})),
    )
    .await
    .expect(403);
    let other_id = id_of(other.clone()).await;
    app.call_as(
        &member,
        Method::DELETE,
        &format!("{path}/{other_id}/"),
        None,
    )
    .await
    .expect(403);

    // A deactivated member cannot act until reactivated.
    app.patch(&path, json!({"user_id": member_id, "role": "DI"}))
        .await
        .expect(200);
    app.call_as(&member, Method::GET, "/api/projects/", None)
        .await
        .expect(403);
    app.patch(&path, json!({"user_id": member_id, "role": "AN"}))
        .await
        .expect(200);
    app.call_as(&member, Method::GET, "/api/projects/", None)
        .await
        .expect(200);

    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::PATCH,
        &path,
        Some(json!({"user_id": member_id, "role": "DI"})),
    )
    .await
    .expect(404);
}

/// `last_activity` follows use: a member whose last visit is an hour old is seen active again
/// after a request (written in the background), and the member list shows it.
#[tokio::test]
async fn last_activity_follows_use() {
    let app = TestApp::spawn().await;
    let member = app.signup("active@example.com").await;
    let me = app
        .call_as(&member, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let user_id = me["id"].as_i64().unwrap();
    let hour_ago = tessera_db::time::now() - chrono::Duration::hours(1);
    {
        let db = app.database().await;
        let txn = db.write().await.unwrap();
        tessera_db::queries::users::note_activity(
            &*txn,
            user_id,
            hour_ago,
            tessera_db::time::now(),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        db.close().await.ok();
    }
    let path = format!("/api/users/{user_id}/");
    let seen = || async {
        let user = app.get(&path).await.expect(200).body;
        chrono::DateTime::parse_from_rfc3339(user["last_activity"].as_str().unwrap()).unwrap()
    };
    assert!(seen().await < tessera_db::time::now() - chrono::Duration::minutes(30));
    app.call_as(&member, Method::GET, "/api/projects/", None)
        .await
        .expect(200);
    let mut fresh = false;
    for _ in 0..50 {
        if seen().await > tessera_db::time::now() - chrono::Duration::minutes(1) {
            fresh = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fresh, "the request moved last_activity");
}
