//! Workspaces: projects and people grouped inside an organization.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEXT_CONFIG};

#[tokio::test]
async fn workspaces_group_projects_and_members() {
    let app = TestApp::spawn().await;
    let created = app
        .post("/api/workspaces/", json!({"title": "Medical", "description": "Scans", "color": "#FF0000", "is_personal": false}))
        .await
        .expect(201)
        .body;
    let keys: Vec<&str> = created
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
            "description",
            "color",
            "is_personal",
            "is_archived",
            "created_by",
            "projects_count"
        ]
    );
    let ws = created["id"].as_i64().unwrap();

    // The seed's flow: a project created into the workspace, a user added to it.
    let project = app
        .post(
            "/api/projects/",
            json!({"title": "In workspace", "label_config": TEXT_CONFIG, "workspace": ws}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(project["workspace"], ws);
    assert_eq!(
        app.get(&format!("/api/workspaces/{ws}/"))
            .await
            .expect(200)
            .body["projects_count"],
        1
    );
    let listed = app
        .get(&format!("/api/workspaces/{ws}/projects/"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed[0]["id"], project["id"]);
    let bad = app
        .post(
            "/api/projects/",
            json!({"title": "Nowhere", "workspace": 999999}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad.body["validation_errors"]["workspace"],
        json!(["Invalid pk \"999999\" - object does not exist."])
    );

    let member = app.signup("member@example.com").await;
    let member_id = app
        .call_as(&member, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    let added = app
        .post(
            &format!("/api/workspaces/{ws}/memberships/"),
            json!({"user": member_id, "workspace": ws}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(added, json!({"user": member_id, "workspace": ws}));
    let members = app
        .get(&format!("/api/workspaces/{ws}/memberships/"))
        .await
        .expect(200)
        .body;
    let emails: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["admin@example.com", "member@example.com"]);
    app.post(
        &format!("/api/workspaces/{ws}/memberships/"),
        json!({"user": 999999}),
    )
    .await
    .expect(400);
    app.call(
        Method::DELETE,
        &format!("/api/workspaces/{ws}/memberships/?user_id={member_id}"),
        None,
    )
    .await
    .expect(204);
    app.call(
        Method::DELETE,
        &format!("/api/workspaces/{ws}/memberships/?user_id={member_id}"),
        None,
    )
    .await
    .expect(404);

    // Moving the project out and back; an emptied workspace can go.
    let patched = app
        .patch(
            &format!("/api/workspaces/{ws}"),
            json!({"title": "Radiology", "is_archived": true}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            patched["title"].clone(),
            patched["is_archived"].clone(),
            patched["color"].clone()
        ),
        (json!("Radiology"), json!(true), json!("#FF0000"))
    );
    app.delete(&format!("/api/workspaces/{ws}/"))
        .await
        .expect(400);
    app.call(
        Method::DELETE,
        &format!("/api/workspaces/{ws}/projects/"),
        Some(json!({"project": project["id"]})),
    )
    .await
    .expect(204);
    assert_eq!(
        app.get(&format!("/api/projects/{}/", project["id"]))
            .await
            .expect(200)
            .body["workspace"],
        json!(null)
    );
    app.delete(&format!("/api/workspaces/{ws}/"))
        .await
        .expect(204);
    app.get(&format!("/api/workspaces/{ws}/")).await.expect(404);
}

#[tokio::test]
async fn personal_and_foreign_workspaces_stay_hidden() {
    let app = TestApp::spawn().await;
    let personal = app
        .post(
            "/api/workspaces/",
            json!({"title": "Mine", "is_personal": true}),
        )
        .await
        .expect(201)
        .body;
    let shared = app
        .post("/api/workspaces/", json!({"title": "Team"}))
        .await
        .expect(201)
        .body;
    assert_eq!(shared["color"], "#FFFFFF");
    let other = app.signup("other@example.com").await;
    let titles = |body: Value| {
        body.as_array()
            .unwrap()
            .iter()
            .map(|w| w["title"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let seen = titles(
        app.call_as(&other, Method::GET, "/api/workspaces/", None)
            .await
            .expect(200)
            .body,
    );
    assert!(
        seen.is_empty(),
        "an annotator sees only the workspaces they belong to"
    );
    app.call_as(
        &other,
        Method::GET,
        &format!("/api/workspaces/{}/", shared["id"]),
        None,
    )
    .await
    .expect(404);
    let other_id = app
        .call_as(&other, Method::GET, "/api/current-user/whoami", None)
        .await
        .body["id"]
        .clone();
    app.post(
        &format!("/api/workspaces/{}/memberships/", shared["id"]),
        json!({"user": other_id}),
    )
    .await
    .expect(201);
    let seen = titles(
        app.call_as(&other, Method::GET, "/api/workspaces/", None)
            .await
            .expect(200)
            .body,
    );
    assert_eq!(seen, ["Team"]);
    let all = app
        .call_as(
            &other,
            Method::GET,
            "/api/workspaces/?include_all_workspaces=true",
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        titles(all),
        ["Team"],
        "other people's personal workspaces are for administrators"
    );
    app.call_as(
        &other,
        Method::GET,
        &format!("/api/workspaces/{}/", personal["id"]),
        None,
    )
    .await
    .expect(404);
    let mine_only = app
        .get("/api/workspaces/?is_personal=true")
        .await
        .expect(200)
        .body;
    assert_eq!(mine_only.as_array().unwrap().len(), 1);

    let stranger = app.other_organization().await;
    assert_eq!(
        app.call_as(&stranger, Method::GET, "/api/workspaces/", None)
            .await
            .expect(200)
            .body,
        json!([])
    );
    app.call_as(
        &stranger,
        Method::GET,
        &format!("/api/workspaces/{}/", shared["id"]),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        Method::DELETE,
        &format!("/api/workspaces/{}/", shared["id"]),
        None,
    )
    .await
    .expect(404);
    let foreign = app
        .call_as(
            &stranger,
            Method::POST,
            "/api/projects/",
            Some(json!({"title": "Sneaky", "workspace": shared["id"]})),
        )
        .await
        .expect(400);
    assert!(foreign.text.contains("workspace"));
    app.post("/api/workspaces/", json!({"description": "no title"}))
        .await
        .expect(400);
}

#[tokio::test]
async fn project_members_follow_the_seed_flow() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    // Invite link -> sign-up -> added to the project.
    let invite = app.get("/api/invite").await.expect(200).body;
    assert!(invite["invite_url"]
        .as_str()
        .unwrap()
        .starts_with("/user/signup/?token="));
    let member = app.signup("member@example.com").await;
    let member_id = app
        .call_as(&member, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    let added = app
        .post(
            &format!("/api/projects/{project}/members/"),
            json!({"user": member_id}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(added, json!({"user": member_id}));
    app.post(
        &format!("/api/projects/{project}/members"),
        json!({"user": member_id}),
    )
    .await
    .expect(201);
    assert_eq!(
        app.get(&format!("/api/projects/{project}/members/"))
            .await
            .expect(200)
            .body,
        json!([{"user": member_id}])
    );
    let paged = app
        .get(&format!("/api/projects/{project}/members/paginated/"))
        .await
        .expect(200)
        .body;
    assert_eq!(paged["count"], 1);
    assert_eq!(
        (
            paged["results"][0]["email"].clone(),
            paged["results"][0]["implicit_member"].clone()
        ),
        (json!("member@example.com"), json!(false))
    );
    let past = app
        .get(&format!(
            "/api/projects/{project}/members/paginated/?page=2"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(past["results"], json!([]));

    let bad = app
        .post(
            &format!("/api/projects/{project}/members/"),
            json!({"user": 999999}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad.body["validation_errors"]["user"],
        json!(["Invalid pk \"999999\" - object does not exist."])
    );
    app.post(&format!("/api/projects/{project}/members/"), json!({}))
        .await
        .expect(400);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::POST,
        &format!("/api/projects/{project}/members/"),
        Some(json!({"user": member_id})),
    )
    .await
    .expect(404);

    app.call(
        Method::DELETE,
        &format!("/api/projects/{project}/members/?user={member_id}"),
        None,
    )
    .await
    .expect(204);
    app.call(
        Method::DELETE,
        &format!("/api/projects/{project}/members/"),
        Some(json!({"user": member_id})),
    )
    .await
    .expect(404);
    assert_eq!(
        app.get(&format!("/api/projects/{project}/members/"))
            .await
            .expect(200)
            .body,
        json!([])
    );
}
