//! One test per defect of the adversarial pass (issue 11): each failed before its fix.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TEXT_CONFIG};

/// A config of `depth` nested `View`s.
fn nested_views(depth: usize) -> String {
    format!("{}{}", "<View>".repeat(depth), "</View>".repeat(depth))
}

#[tokio::test]
async fn deeply_nested_configs_are_refused_without_crashing() {
    let app = TestApp::spawn().await;
    let deep = nested_views(3_100);
    let anonymous = app
        .client
        .post(format!("{}/api/projects/validate/", app.base))
        .json(&json!({"label_config": deep}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 400);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(
        body,
        json!({"label_config": ["Label config nests tags too deeply: more than 100 levels"]})
    );
    let created = app
        .post(
            "/api/projects/",
            json!({"title": "deep", "label_config": deep}),
        )
        .await
        .expect(400);
    assert_eq!(
        created.body["validation_errors"]["label_config"][0],
        "Label config nests tags too deeply: more than 100 levels"
    );
    let project = app.create_project(TEXT_CONFIG).await;
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"label_config": deep}),
    )
    .await
    .expect(400);
    assert_eq!(
        app.project(project).await["label_config"],
        TEXT_CONFIG,
        "nothing changed"
    );
    app.get("/health").await.expect(200);
}

#[tokio::test]
async fn configs_are_bounded_before_any_expensive_work() {
    let app = TestApp::spawn().await;
    let validate = |config: String| {
        let request = app
            .client
            .post(format!("{}/api/projects/validate/", app.base))
            .json(&json!({"label_config": config}));
        async move {
            let reply = crate::helpers::Reply::from(request.send().await.unwrap()).await;
            (
                reply.status.as_u16(),
                reply.body["label_config"][0]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        }
    };
    let attributes: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
    let (status, message) = validate(format!("<View{attributes}/>")).await;
    assert_eq!(
        (status, message.as_str()),
        (
            400,
            "Label config has a tag with too many attributes: more than 256"
        )
    );
    let (status, message) = validate(format!("<View>{}</View>", "x".repeat(3 * 1024 * 1024))).await;
    assert_eq!(status, 400);
    assert!(
        message.starts_with("Label config is too large: 3145741 bytes"),
        "{message}"
    );
    let (status, _) = validate(TEXT_CONFIG.to_string()).await;
    assert_eq!(status, 204);
    app.call(Method::GET, "/health", None).await.expect(200);
}

/// `whoami` of the holder of `token`.
async fn whoami(app: &TestApp, token: &str) -> serde_json::Value {
    app.call_as(token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body
}

#[tokio::test]
async fn scim_cannot_enroll_another_organizations_account() {
    let app = TestApp::spawn().await;
    let victim = app.signup("victim@example.com").await;
    let home = whoami(&app, &victim).await["active_organization"].clone();
    let intruder = app.other_organization().await;
    let scim_token = app
        .call_as(&intruder, Method::POST, "/api/scim/token/", Some(json!({})))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let scim = |path: &str, body: serde_json::Value| {
        app.client
            .post(format!("{}/scim/v2{path}", app.base))
            .bearer_auth(&scim_token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let schema = "urn:ietf:params:scim:schemas:core:2.0:User";
    for email in [
        "victim@example.com",
        "Victim@Example.com",
        crate::helpers::ADMIN,
    ] {
        let reply = scim(
            "/Users",
            json!({"schemas": [schema], "userName": email, "active": true}),
        )
        .await
        .unwrap();
        assert_eq!(reply.status(), 409, "{email}");
    }
    assert_eq!(
        whoami(&app, &victim).await["active_organization"],
        home,
        "the victim stays where they were"
    );
    let theirs = app
        .call_as(&intruder, Method::GET, "/api/users/", None)
        .await
        .expect(200)
        .body;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"] != "victim@example.com"),
        "{theirs}"
    );
    // What the identity provider may do: create accounts of its own.
    let created = scim(
        "/Users",
        json!({"schemas": [schema], "userName": "new-hire@example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn a_shared_account_is_changed_only_by_its_user() {
    let app = TestApp::spawn().await;
    let traveller = app.signup("traveller@example.com").await;
    let id = whoami(&app, &traveller).await["id"].as_i64().unwrap();
    let other = app.other_organization().await;
    app.join_organization(&other, "traveller@example.com").await;
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    for admin in [crate::helpers::TOKEN, other.as_str()] {
        for field in [
            json!({"first_name": "Mallory"}),
            json!({"username": "x"}),
            json!({"phone": "1"}),
            json!({"custom_hotkeys": {"a": "b"}}),
        ] {
            app.call_as(
                admin,
                Method::PATCH,
                &format!("/api/users/{id}/"),
                Some(field),
            )
            .await
            .expect(403);
        }
        let part = reqwest::multipart::Part::bytes(png.clone()).file_name("a.png");
        let form = reqwest::multipart::Form::new().part("avatar", part);
        let upload = app
            .client
            .post(format!("{}/api/users/{id}/avatar", app.base))
            .header("Authorization", format!("Token {admin}"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 403);
        app.call_as(
            admin,
            Method::DELETE,
            &format!("/api/users/{id}/avatar"),
            None,
        )
        .await
        .expect(403);
    }
    let me = whoami(&app, &traveller).await;
    assert_eq!(
        (me["first_name"].as_str(), me["avatar"].is_null()),
        (Some(""), true),
        "nothing changed"
    );
    app.call_as(
        &traveller,
        Method::PATCH,
        &format!("/api/users/{id}/"),
        Some(json!({"first_name": "Tess"})),
    )
    .await
    .expect(200);
    // An account of one organization alone stays its administrators' to change.
    let local = app.signup("local@example.com").await;
    let local_id = whoami(&app, &local).await["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/users/{local_id}/"),
        json!({"first_name": "Lou"}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn member_lists_show_only_projects_the_caller_may_see() {
    let app = TestApp::spawn().await;
    let hidden = app
        .post("/api/projects/", json!({"title": "Hidden plans"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let shared = app
        .post("/api/projects/", json!({"title": "Shared work"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let annotator = app.annotator_of("reader@example.com", shared).await;
    let me = whoami(&app, &annotator).await;
    let org = me["active_organization"].as_i64().unwrap();
    let admin_id = whoami(&app, crate::helpers::TOKEN).await["id"]
        .as_i64()
        .unwrap();
    let titles = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_string())
            .collect()
    };
    // The owner annotated both projects.
    for project in [hidden, shared] {
        let task = app.import(project, json!([{"text": "a"}])).await["task_ids"][0]
            .as_i64()
            .unwrap();
        app.post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": []}),
        )
        .await
        .expect(201);
    }
    let page = app
        .call_as(
            &annotator,
            Method::GET,
            &format!("/api/organizations/{org}/memberships?contributed_to_projects=true"),
            None,
        )
        .await
        .expect(200)
        .body;
    let admin = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == admin_id)
        .unwrap();
    assert_eq!(titles(&admin["created_projects"]), ["Shared work"]);
    assert_eq!(titles(&admin["contributed_to_projects"]), ["Shared work"]);
    let detail = app
        .call_as(
            &annotator,
            Method::GET,
            &format!(
                "/api/organizations/{org}/memberships/{admin_id}/?contributed_to_projects=true"
            ),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(titles(&detail["created_projects"]), ["Shared work"]);
    assert_eq!(titles(&detail["contributed_to_projects"]), ["Shared work"]);
    assert_eq!(
        (
            detail["contributed_projects_count"].as_i64(),
            detail["annotations_count"].as_i64()
        ),
        (Some(1), Some(1)),
        "counts too"
    );
    // The owner sees every project.
    let detail = app
        .get(&format!(
            "/api/organizations/{org}/memberships/{admin_id}/?contributed_to_projects=true"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        titles(&detail["created_projects"]),
        ["Hidden plans", "Shared work"]
    );
    assert_eq!(detail["contributed_projects_count"], 2);
    let ids: Vec<i64> = detail["created_projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [hidden, shared]);
}

#[tokio::test]
async fn nul_characters_are_refused_everywhere_with_a_400() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let refused = app
        .post("/api/projects/", json!({"title": "a\u{0}b"}))
        .await
        .expect(400);
    assert_eq!(
        refused.body["validation_errors"]["title"],
        json!(["Null characters are not allowed."])
    );
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"model_version": "v\u{0}1"}),
    )
    .await
    .expect(400);
    app.post("/api/workspaces/", json!({"title": "w\u{0}"}))
        .await
        .expect(400);
    let me = whoami(&app, crate::helpers::TOKEN).await["id"]
        .as_i64()
        .unwrap();
    app.patch(&format!("/api/users/{me}/"), json!({"first_name": "\u{0}"}))
        .await
        .expect(400);
    let query = json!({"filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:data.text", "operator": "contains", "type": "String", "value": "x\u{0}"}]}});
    app.get(&crate::helpers::tasks_query(project, &query))
        .await
        .expect(400);
    app.get("/api/projects/?title=a%00b").await.expect(400);
    app.get(&format!("/data/upload/{project}/a%00.csv"))
        .await
        .expect(400);
    let form = [("email", "a\u{0}@example.com"), ("password", "whatever-1")];
    for page in ["/user/login/", "/user/signup/"] {
        let reply = app
            .client
            .post(format!("{}{page}", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 400, "{page}");
    }
    let scim_token = app
        .post("/api/scim/token/", json!({}))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let scim_user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x\u{0}@example.com"});
    let reply = app
        .client
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&scim_token)
        .json(&scim_user)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert_eq!(
        app.get("/api/projects/").await.expect(200).body["count"],
        1,
        "nothing was created"
    );
    assert_eq!(
        app.get("/api/users/")
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "nobody was created"
    );
}

/// Data Manager filters: `data.text` matching `pattern`.
fn query_filters(pattern: &str) -> serde_json::Value {
    json!({"conjunction": "and", "items": [{"filter": "filter:tasks:data.text", "operator": "regex", "type": "String", "value": pattern}]})
}

#[tokio::test]
async fn work_past_the_statement_timeout_is_cancelled_with_a_503() {
    let app = TestApp::spawn_with(|config| config.statement_timeout = 0.05).await;
    let project = app.create_project(TEXT_CONFIG).await;
    let text = "a".repeat(10_000);
    let tasks: Vec<serde_json::Value> = (0..2_000).map(|_| json!({"text": text})).collect();
    app.import(project, json!(tasks)).await;
    let regex_query = |pattern: &str| {
        crate::helpers::tasks_query(project, &json!({"filters": query_filters(pattern)}))
    };
    // Repetitions that multiply into thousands of positions are refused before anything runs.
    let refused = app
        .get(&regex_query("(a{1,100}){1,100}(b{1,100}){1,100}"))
        .await
        .expect(400);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{}",
        refused.text
    );
    // An allowed but slow search (about 0.2 s on PostgreSQL, seconds on SQLite, for these
    // 20 MB of text) runs into the timeout.
    let path = regex_query("(a{1,30}){1,30}[^a]");
    let started = std::time::Instant::now();
    let cancelled = app.get(&path).await.expect(503);
    assert!(
        cancelled.body["detail"]
            .as_str()
            .unwrap()
            .contains("--statement-timeout"),
        "{}",
        cancelled.text
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "cancelled promptly: {:?}",
        started.elapsed()
    );
    // The same filter inside a write transaction (the labeling stream's Data Manager queue,
    // which annotators may call) is held to the timeout too: on SQLite it would hold the writer.
    let annotator = app.annotator_of("queue@example.com", project).await;
    let body = json!({"filters": query_filters("(a{1,30}){1,30}[^a]")});
    let queued = app
        .client
        .get(format!("{}/api/projects/{project}/next", app.base))
        .header("Authorization", format!("Token {annotator}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 503);
    // The connections stay usable, and bulk imports (unbounded) still run: 20 MB of text again.
    for _ in 0..8 {
        app.get(&format!("/api/projects/{project}/"))
            .await
            .expect(200);
    }
    app.import(project, json!(tasks)).await;
    assert_eq!(app.project(project).await["task_number"], 4_000);
}

#[tokio::test]
async fn every_pager_answers_huge_pages_with_invalid_page() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let org = whoami(&app, crate::helpers::TOKEN).await["active_organization"]
        .as_i64()
        .unwrap();
    for page in ["18446744073709551615", "9223372036854775807"] {
        for path in [
            format!("/api/projects/?page={page}"),
            format!("/api/projects/{project}/members/paginated/?page={page}"),
            format!("/api/organizations/{org}/memberships?page={page}"),
        ] {
            let reply = app.get(&path).await.expect(404);
            assert_eq!(reply.body["detail"], "Invalid page.", "{path}");
        }
        app.get(&format!(
            "/api/projects/{project}/tasks/?page={page}&page_size=1000"
        ))
        .await
        .expect(404);
    }
    app.get(&format!(
        "/api/projects/{project}/tasks/?page_size=18446744073709551615"
    ))
    .await
    .expect(200);
    let scim_token = app
        .post("/api/scim/token/", json!({}))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    for path in ["/Users", "/Groups"] {
        let reply = app
            .client
            .get(format!(
                "{}/scim/v2{path}?startIndex=18446744073709551615",
                app.base
            ))
            .bearer_auth(&scim_token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        let body: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(body["Resources"], json!([]), "{path}");
    }
    app.get("/health").await.expect(200);
}

#[tokio::test]
async fn annotators_neither_grade_themselves_nor_read_settings_secrets() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"task_data_login": "media", "task_data_password": "s3cret"}),
    )
    .await
    .expect(200);
    let task = app.import(project, json!([{"text": "a"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let annotator = app.annotator_of("grader@example.com", project).await;
    let mine = json!({"result": crate::helpers::choice("Positive"), "ground_truth": true});
    app.call_as(
        &annotator,
        Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(mine),
    )
    .await
    .expect(403);
    let plain = json!({"result": crate::helpers::choice("Positive")});
    let id = app
        .call_as(
            &annotator,
            Method::POST,
            &format!("/api/tasks/{task}/annotations/"),
            Some(plain),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.call_as(
        &annotator,
        Method::PATCH,
        &format!("/api/annotations/{id}/"),
        Some(json!({"ground_truth": true})),
    )
    .await
    .expect(403);
    app.call_as(
        &annotator,
        Method::PATCH,
        &format!("/api/annotations/{id}/"),
        Some(json!({"ground_truth": false, "lead_time": 2.0})),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/api/annotations/{id}/"))
            .await
            .expect(200)
            .body["ground_truth"],
        false
    );
    // Managers and above mark ground truth.
    app.patch(
        &format!("/api/annotations/{id}/"),
        json!({"ground_truth": true}),
    )
    .await
    .expect(200);
    let seen = app
        .call_as(
            &annotator,
            Method::GET,
            &format!("/api/projects/{project}/"),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            seen["task_data_login"].as_str(),
            seen["task_data_password"].is_null()
        ),
        (Some("media"), true)
    );
    let listed = app
        .call_as(&annotator, Method::GET, "/api/projects/", None)
        .await
        .expect(200)
        .body;
    assert!(listed["results"][0]["task_data_password"].is_null());
    assert_eq!(app.project(project).await["task_data_password"], "s3cret");
}

#[tokio::test]
async fn csv_and_tsv_exports_neutralize_formulas_by_default() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let formulas = [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "=HYPERLINK(\"http://evil\")",
    ];
    app.import(
        project,
        json!(formulas
            .iter()
            .map(|f| json!({"text": f}))
            .collect::<Vec<_>>()),
    )
    .await;
    for (format, content_type) in [
        ("CSV", "text/csv; charset=utf-8"),
        ("TSV", "text/tab-separated-values; charset=utf-8"),
    ] {
        let export = app
            .get(&format!(
                "/api/projects/{project}/export?exportType={format}&download_all_tasks=true"
            ))
            .await
            .expect(200);
        assert_eq!(export.headers["content-type"], content_type);
        assert!(
            export.headers["filename"]
                .to_str()
                .unwrap()
                .ends_with(".csv"),
            "Label Studio's file name is kept"
        );
        for formula in formulas {
            let quoted = formula.replace('"', "\"\"");
            assert!(
                export.text.contains(&format!("\"'{quoted}\"")),
                "{format}: {formula:?} neutralized"
            );
            assert!(
                !export.text.contains(&format!("\"{quoted}\"")),
                "{format}: {formula:?} not raw"
            );
        }
        let raw = app.get(&format!("/api/projects/{project}/export?exportType={format}&download_all_tasks=true&escape_formulas=false")).await.expect(200);
        assert!(
            raw.text.contains("\"=1+1\""),
            "{format}: the option turns it off"
        );
    }
    app.get(&format!(
        "/api/projects/{project}/export?exportType=CSV&escape_formulas=maybe"
    ))
    .await
    .expect(400);
}

#[tokio::test]
async fn export_ids_must_be_task_ids() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = app
        .import(project, json!([{"text": "a"}, {"text": "b"}]))
        .await["task_ids"]
        .clone();
    let refused = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&ids[]=abc&download_all_tasks=true"
        ))
        .await
        .expect(400);
    assert!(
        refused.body["validation_errors"]["ids[]"][0]
            .as_str()
            .unwrap()
            .contains("abc"),
        "{}",
        refused.text
    );
    let one = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&ids[]={}&download_all_tasks=true",
            ids[0]
        ))
        .await
        .expect(200);
    assert_eq!(one.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn long_upload_names_are_shortened_and_kept() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let name = format!("{}.csv", "very-long-name-".repeat(20));
    assert!(name.len() > 246);
    let part = reqwest::multipart::Part::bytes(b"text\nhello\n".to_vec()).file_name(name.clone());
    let form = reqwest::multipart::Form::new().part("file", part);
    let reply = app
        .client
        .post(format!("{}/api/projects/{project}/import", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    let uploads = app
        .get(&format!("/api/projects/{project}/file-uploads?all=true"))
        .await
        .expect(200)
        .body;
    assert_eq!(uploads[0]["original_name"], name.as_str());
    let stored = uploads[0]["file"].as_str().unwrap();
    assert!(stored.len() < 150 && stored.ends_with(".csv"), "{stored}");
    let file = app
        .client
        .get(format!("{}/data/{stored}", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
}

#[tokio::test]
async fn files_no_import_recorded_are_swept_at_start() {
    let first = TestApp::spawn().await;
    let project = first.create_project(TEXT_CONFIG).await;
    let part = reqwest::multipart::Part::bytes(b"text\nkept\n".to_vec()).file_name("kept.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    let reply = first
        .client
        .post(format!("{}/api/projects/{project}/import", first.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    let folder = first
        .data_dir
        .path()
        .join(format!("media/upload/{project}"));
    // What a process killed between storing a file and committing its import leaves behind.
    let days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    let age = |path: &std::path::Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(days_ago)
            .unwrap()
    };
    let orphan = folder.join("deadbeef-killed.csv");
    std::fs::write(&orphan, "text\nlost\n").unwrap();
    age(&orphan);
    let avatars = first.data_dir.path().join("media/avatars");
    std::fs::create_dir_all(&avatars).unwrap();
    let lost_avatar = avatars.join("1-00000000.png");
    std::fs::write(&lost_avatar, b"\x89PNG\r\n\x1a\n").unwrap();
    age(&lost_avatar);
    let fresh = folder.join("cafebabe-in-flight.csv");
    std::fs::write(&fresh, "text\nstill importing\n").unwrap();
    let (database_url, data_dir) = (
        first.database_url.clone(),
        first.data_dir.path().to_path_buf(),
    );
    let _second = TestApp::spawn_with(move |config| {
        config.database_url = database_url;
        config.data_dir = data_dir;
    })
    .await;
    for _ in 0..100 {
        if !orphan.exists() && !lost_avatar.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!orphan.exists(), "the old orphan is removed");
    assert!(!lost_avatar.exists(), "so is an avatar no user shows");
    assert!(fresh.exists(), "a file an import may still record stays");
    let kept = std::fs::read_dir(&folder)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with("-kept.csv"))
        .count();
    assert_eq!(kept, 1, "recorded uploads stay");
}

/// A browser-like client that keeps cookies and does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in through the form with extra headers; returns the reply.
async fn sign_in_with(
    app: &TestApp,
    client: &reqwest::Client,
    headers: &[(&str, &str)],
    email: &str,
    password: &str,
) -> reqwest::Response {
    let mut request = client
        .post(format!("{}/user/login/", app.base))
        .form(&[("email", email), ("password", password)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn opaque_origins_and_foreign_sites_cannot_use_a_session() {
    let app = TestApp::spawn().await;
    let client = browser();
    assert_eq!(
        sign_in_with(
            &app,
            &client,
            &[],
            crate::helpers::ADMIN,
            crate::helpers::PASSWORD
        )
        .await
        .status(),
        302
    );
    let write = |origin: Option<&str>, site: Option<&str>| {
        let mut request = client
            .post(format!("{}/api/projects/", app.base))
            .json(&json!({"title": "via session"}));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(site) = site {
            request = request.header("Sec-Fetch-Site", site);
        }
        request.send()
    };
    assert_eq!(write(Some("null"), None).await.unwrap().status(), 403);
    assert_eq!(write(None, Some("same-site")).await.unwrap().status(), 403);
    assert_eq!(
        write(Some("http://evil.example"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        write(Some(&app.base), Some("same-origin"))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(app.get("/api/projects/").await.expect(200).body["count"], 1);

    // Signing out: never from another site; the app's POST and a plain GET link do.
    let cross = client
        .get(format!("{}/logout", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(
        client
            .get(format!("{}/api/current-user/whoami", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still signed in"
    );
    let posted = client
        .post(format!("{}/logout/", app.base))
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 302);
    assert_eq!(
        client
            .get(format!("{}/api/current-user/whoami", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    sign_in_with(
        &app,
        &client,
        &[],
        crate::helpers::ADMIN,
        crate::helpers::PASSWORD,
    )
    .await;
    assert_eq!(
        client
            .get(format!("{}/logout", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        302,
        "Label Studio's link"
    );
    assert_eq!(
        client
            .get(format!("{}/api/current-user/whoami", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_client_came_over_https() {
    let app =
        TestApp::spawn_with(|config| config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
    let cookie =
        |reply: &reqwest::Response| reply.headers()["set-cookie"].to_str().unwrap().to_string();
    let https = sign_in_with(
        &app,
        &browser(),
        &[("X-Forwarded-Proto", "https")],
        crate::helpers::ADMIN,
        crate::helpers::PASSWORD,
    )
    .await;
    assert!(cookie(&https).contains("; Secure"), "{}", cookie(&https));
    let http = sign_in_with(
        &app,
        &browser(),
        &[("X-Forwarded-Proto", "http")],
        crate::helpers::ADMIN,
        crate::helpers::PASSWORD,
    )
    .await;
    assert!(!cookie(&http).contains("Secure"));
    // From a client that is not a trusted proxy, the header means nothing.
    let direct = TestApp::spawn().await;
    let spoofed = sign_in_with(
        &direct,
        &browser(),
        &[("X-Forwarded-Proto", "https")],
        crate::helpers::ADMIN,
        crate::helpers::PASSWORD,
    )
    .await;
    assert!(!cookie(&spoofed).contains("Secure"));
    let public =
        TestApp::spawn_with(|config| config.public_url = Some("https://label.example.com".into()))
            .await;
    let behind = sign_in_with(
        &public,
        &browser(),
        &[],
        crate::helpers::ADMIN,
        crate::helpers::PASSWORD,
    )
    .await;
    assert!(cookie(&behind).contains("; Secure"));
}

#[tokio::test]
async fn a_password_change_also_replaces_the_legacy_token() {
    let app = TestApp::spawn().await;
    let token = app.signup("rotating@example.com").await;
    let id = whoami(&app, &token).await["id"].as_i64().unwrap();
    let change = json!({"password": "fresh-meadow-41", "current_password": "blue-harbor-72"});
    app.call_as(
        &token,
        Method::PATCH,
        &format!("/api/users/{id}/"),
        Some(change),
    )
    .await
    .expect(200);
    app.call_as(&token, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(401);
    let client = browser();
    assert_eq!(
        sign_in_with(
            &app,
            &client,
            &[],
            "rotating@example.com",
            "fresh-meadow-41"
        )
        .await
        .status(),
        302
    );
    let fresh: serde_json::Value = client
        .get(format!("{}/api/current-user/token", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(fresh["token"], token.as_str());
    app.call_as(
        fresh["token"].as_str().unwrap(),
        Method::GET,
        "/api/current-user/whoami",
        None,
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_known_user_out() {
    let app =
        TestApp::spawn_with(|config| config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
    let (admin, password) = (crate::helpers::ADMIN, crate::helpers::PASSWORD);
    let attempt = |address: String, password: &'static str| {
        let app = &app;
        async move {
            sign_in_with(
                app,
                &browser(),
                &[("X-Forwarded-For", address.as_str())],
                admin,
                password,
            )
            .await
            .status()
        }
    };
    for _ in 0..5 {
        attempt("203.0.113.66".into(), "wrong-password").await;
    }
    assert_eq!(
        attempt("203.0.113.66".into(), password).await,
        429,
        "the guessing address is locked out"
    );
    assert_eq!(
        attempt("198.51.100.7".into(), password).await,
        302,
        "the user is not"
    );
    // A distributed attack (many addresses, few guesses each) locks the account for everyone.
    for i in 0..25 {
        for _ in 0..4 {
            attempt(format!("192.0.2.{i}"), "wrong-password").await;
        }
    }
    assert_eq!(attempt("198.51.100.8".into(), password).await, 429);
}
