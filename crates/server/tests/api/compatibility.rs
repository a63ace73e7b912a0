//! Label Studio compatibility (issue 12): answers that differed from Label Studio 1.23.2's on
//! the same requests. Expected values come from the reference server
//! (`../shared/tools/reference-server.sh`) given the same project, import and annotations.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;

fn choice(label: &str) -> Value {
    json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [label]}}])
}

/// The reference scenario: a task imported with an annotation, a plain one annotated through
/// the API, one skipped. Returns the project and task ids.
async fn scenario(app: &TestApp) -> (i64, Vec<i64>) {
    let project = app.create_project(CONFIG).await;
    let imported = app.import(project, json!([{"data": {"text": "imported"}, "annotations": [{"result": choice("Positive")}]}, {"text": "plain"}, {"text": "skipped"}])).await;
    let ids: Vec<i64> = imported["task_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[1]),
        json!({"result": choice("Negative")}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[2]),
        json!({"result": [], "was_cancelled": true}),
    )
    .await
    .expect(201);
    (project, ids)
}

fn keys(task: &Value) -> Vec<String> {
    let mut keys: Vec<String> = task.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn the_task_list_carries_label_studios_default_fields() {
    let app = TestApp::spawn().await;
    let (project, _) = scenario(&app).await;
    let list = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    let expected = [
        "annotations_ids",
        "annotations_results",
        "annotators",
        "cancelled_annotations",
        "comment_authors",
        "comment_count",
        "created_at",
        "data",
        "drafts",
        "file_upload",
        "id",
        "inner_id",
        "is_labeled",
        "last_comment_updated_at",
        "meta",
        "overlap",
        "predictions_model_versions",
        "predictions_results",
        "project",
        "storage_filename",
        "total_annotations",
        "total_predictions",
        "unresolved_comment_count",
        "updated_at",
        "updated_by",
    ];
    assert_eq!(keys(&list["tasks"][0]), expected);
    let all = app
        .get(&format!("/api/tasks/?project={project}&fields=all"))
        .await
        .expect(200)
        .body;
    let mut with_all: Vec<&str> = expected.to_vec();
    with_all.extend([
        "annotations",
        "avg_lead_time",
        "completed_at",
        "draft_exists",
        "predictions",
        "predictions_score",
    ]);
    with_all.sort();
    assert_eq!(keys(&all["tasks"][0]), with_all);
    // A filter or an ordering on a computed field, or a view showing it, brings it along.
    let hidden = json!([
        "tasks:avg_lead_time",
        "tasks:draft_exists",
        "tasks:predictions_score"
    ]);
    let query = json!({"ordering": ["-tasks:completed_at"], "hiddenColumns": {"explore": hidden, "labeling": hidden}});
    let ordered = app
        .get(&crate::helpers::tasks_query(project, &query))
        .await
        .expect(200)
        .body;
    assert!(
        ordered["tasks"][0].get("completed_at").is_some()
            && ordered["tasks"][0].get("avg_lead_time").is_none()
    );
    // A column counts as hidden when it is hidden in both the table and the labeling list.
    let view = app.post("/api/dm/views/", json!({"project": project, "data": {"hiddenColumns": {"explore": ["tasks:completed_at", "tasks:draft_exists"], "labeling": ["tasks:completed_at"]}}})).await.expect(201).body;
    let through_view = app
        .get(&format!("/api/tasks/?view={}", view["id"]))
        .await
        .expect(200)
        .body;
    let task = &through_view["tasks"][0];
    assert!(
        task.get("completed_at").is_none()
            && task.get("draft_exists").is_some()
            && task.get("avg_lead_time").is_some()
            && task.get("predictions_score").is_some()
    );
    let included = app
        .get(&format!(
            "/api/tasks/?project={project}&include=id,completed_at"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(keys(&included["tasks"][0]), ["completed_at", "id"]);
}

#[tokio::test]
async fn imported_annotations_have_no_updated_by_and_stay_out_of_the_summary() {
    let app = TestApp::spawn().await;
    let (project, ids) = scenario(&app).await;
    let updated_by = |task: &Value| {
        task["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["updated_by"].clone())
            .collect::<Vec<_>>()
    };
    let admin = app.get("/api/current-user/whoami").await.expect(200).body["id"].clone();
    assert_eq!(
        updated_by(
            &app.get(&format!("/api/tasks/{}/", ids[0]))
                .await
                .expect(200)
                .body
        ),
        [Value::Null]
    );
    assert_eq!(
        updated_by(
            &app.get(&format!("/api/tasks/{}/", ids[1]))
                .await
                .expect(200)
                .body
        ),
        std::slice::from_ref(&admin)
    );
    let export = app
        .get(&format!("/api/projects/{project}/export?exportType=JSON"))
        .await
        .expect(200)
        .body;
    let exported: Vec<Value> = export
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["annotations"][0]["updated_by"].clone())
        .collect();
    assert_eq!(exported, [Value::Null, admin.clone(), admin]);
    let summary = app
        .get(&format!("/api/projects/{project}/summary/"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        summary["created_labels"],
        json!({"sentiment": {"Negative": 1}})
    );
    assert_eq!(
        summary["created_annotations"],
        json!({"sentiment|text|choices": 1})
    );
}

/// Every route family takes form bodies as Label Studio's (DRF's) do, with its coercions:
/// `"True"`/`"false"`, numbers as text, JSON objects and lists as text (answers compared with
/// the reference server's on the same requests).
#[tokio::test]
async fn form_bodies_work_like_json_everywhere() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let created = app
        .form(
            Method::POST,
            "/api/projects/",
            &[
                ("title", "form project"),
                ("label_config", CONFIG),
                ("show_instruction", "True"),
                ("maximum_annotations", "2"),
                ("control_weights", r#"{"sentiment": {"overall": 2.0}}"#),
            ],
        )
        .await
        .expect(201);
    assert_eq!(
        (
            created.body["show_instruction"].as_bool(),
            created.body["maximum_annotations"].as_i64()
        ),
        (Some(true), Some(2))
    );
    assert_eq!(created.body["control_weights"]["sentiment"]["overall"], 2.0);
    let project = created.body["id"].as_i64().unwrap();
    let other = app
        .multipart(
            Method::POST,
            "/api/projects/",
            &[
                ("title", "multipart project"),
                ("show_skip_button", "false"),
            ],
        )
        .await
        .expect(201);
    assert_eq!(other.body["show_skip_button"], false);
    let patched = app
        .form(
            Method::PATCH,
            &format!("/api/projects/{project}/"),
            &[("title", "renamed"), ("enable_empty_annotation", "false")],
        )
        .await
        .expect(200);
    assert_eq!(
        (
            patched.body["title"].as_str(),
            patched.body["enable_empty_annotation"].as_bool()
        ),
        (Some("renamed"), Some(false))
    );
    let refused = app
        .form(
            Method::POST,
            "/api/projects/",
            &[("title", "bad"), ("maximum_annotations", "abc")],
        )
        .await
        .expect(400);
    assert_eq!(
        refused.body["validation_errors"]["maximum_annotations"],
        json!(["A valid integer is required."])
    );

    let task = app
        .form(
            Method::POST,
            "/api/tasks/",
            &[
                ("project", &project.to_string()),
                ("data", r#"{"text": "from form"}"#),
            ],
        )
        .await
        .expect(201);
    assert_eq!(task.body["data"], json!({"text": "from form"}));
    let task_id = task.body["id"].as_i64().unwrap();
    let result = choice("Positive").to_string();
    let annotation = app
        .form(
            Method::POST,
            &format!("/api/tasks/{task_id}/annotations/"),
            &[("result", &result), ("lead_time", "1.5")],
        )
        .await
        .expect(201);
    assert_eq!(
        (
            annotation.body["result"].clone(),
            annotation.body["lead_time"].as_f64()
        ),
        (choice("Positive"), Some(1.5))
    );
    let view = app
        .form(
            Method::POST,
            "/api/dm/views/",
            &[
                ("project", &project.to_string()),
                ("data", r#"{"title": "Form tab"}"#),
            ],
        )
        .await
        .expect(201);
    assert_eq!(view.body["data"]["title"], "Form tab");
    let workspace = app
        .multipart(
            Method::POST,
            "/api/workspaces/",
            &[("title", "Form workspace"), ("is_personal", "false")],
        )
        .await
        .expect(201);
    assert_eq!(workspace.body["title"], "Form workspace");
    let me = app.get("/api/current-user/whoami").await.expect(200).body["id"]
        .as_i64()
        .unwrap();
    let user = app
        .form(
            Method::PATCH,
            &format!("/api/users/{me}/"),
            &[("first_name", "Formal")],
        )
        .await
        .expect(200);
    assert_eq!(user.body["first_name"], "Formal");
    // `curl -d '{...}'` sends JSON labelled as a form; it is read as JSON.
    let curl = app
        .client
        .post(format!("{}/api/projects/", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(r#"{"title": "curl project"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        crate::helpers::Reply::from(curl).await.expect(201).body["title"],
        "curl project"
    );
    let nul = app
        .form(
            Method::PATCH,
            &format!("/api/users/{me}/"),
            &[("last_name", "a\u{0}")],
        )
        .await
        .expect(400);
    assert_eq!(
        nul.body["validation_errors"]["last_name"],
        json!(["Null characters are not allowed."])
    );
}

/// The organization's token settings (`/api/jwt/settings`, Label Studio Enterprise's shape, as
/// the SDK's `jwt_settings` client reads it) are honoured on every request.
#[tokio::test]
async fn jwt_settings_turn_token_kinds_off_and_set_lifetimes() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let defaults = app.get("/api/jwt/settings").await.expect(200).body;
    assert_eq!(
        defaults,
        json!({"api_tokens_enabled": true, "legacy_api_tokens_enabled": true, "api_token_ttl_days": 73000})
    );
    let annotator = app.signup("plain@example.com").await;
    app.call_as(
        &annotator,
        Method::POST,
        "/api/jwt/settings",
        Some(json!({"legacy_api_tokens_enabled": false})),
    )
    .await
    .expect(403);

    // Lifetimes: a new personal access token lives as many days as the setting says.
    app.post("/api/jwt/settings", json!({"api_token_ttl_days": 30}))
        .await
        .expect(200);
    let pat = app.personal_access_token().await;
    let payload = pat.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30 * 86400
    );
    app.post("/api/jwt/settings", json!({"api_token_ttl_days": 0}))
        .await
        .expect(400);

    // Legacy tokens off: Token is refused, a personal access token still works.
    let access = app.access_token(&pat).await;
    app.post(
        "/api/jwt/settings",
        json!({"legacy_api_tokens_enabled": false}),
    )
    .await
    .expect(200);
    let refused = app.get("/api/projects/").await.expect(401);
    assert_eq!(
        refused.body["detail"],
        "Legacy API token authentication is disabled for this organization."
    );
    let bearer = app
        .client
        .get(format!("{}/api/projects/", app.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    // And personal access tokens off too: only browser sessions remain; turning tokens back on
    // takes one.
    let settings = app
        .client
        .post(format!("{}/api/jwt/settings", app.base))
        .bearer_auth(&access)
        .json(&json!({"api_tokens_enabled": false, "legacy_api_tokens_enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), 200);
    let bearer = app
        .client
        .get(format!("{}/api/projects/", app.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    app.get("/api/projects/").await.expect(200);
    let again = app.post("/api/token/", json!({})).await.expect(403);
    assert_eq!(
        again.body["detail"],
        "Personal access token authentication is disabled for this organization."
    );
    app.post("/api/token/refresh/", json!({"refresh": pat}))
        .await
        .expect(401);
}

#[tokio::test]
async fn instructions_are_sanitized_when_saved_as_label_studio_stores_them() {
    let app = TestApp::spawn().await;
    let html = r#"<h1 style="color:red">Title</h1><b>Read</b><script>alert(1)</script><img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)" target="_blank">link</a><p class="c">para<br>line</p><iframe src="x"></iframe><table><tr><td>c</td></tr></table>"#;
    let created = app
        .post(
            "/api/projects/",
            json!({"title": "instructions", "expert_instruction": html}),
        )
        .await
        .expect(201)
        .body;
    // Label Studio 1.23.2 stores the same, but keeps `<script>alert(1)</script>` and the
    // `<iframe>`; Tessera removes those as well.
    let expected = r#"<h1>Title</h1><b>Read</b><img src="x.png"><a>link</a><p class="c">para<br>line</p><table><tbody><tr><td>c</td></tr></tbody></table>"#;
    assert_eq!(created["expert_instruction"], expected);
}

/// Data Manager semantics on the reference server's scenario (a skipped task, one annotated with
/// an empty result, an unlabeled one with non-ASCII text, a labeled one). Label Studio answers
/// the same on SQLite and PostgreSQL here, except for case folding beyond ASCII, where Tessera
/// gives PostgreSQL's answer on both databases (docs/COMPATIBILITY.md).
#[tokio::test]
async fn data_manager_filters_and_orderings_follow_label_studio() {
    let app = TestApp::spawn().await;
    let mut labeled_by_queue = Vec::new();
    for queue in ["REQUEUE_FOR_OTHERS", "IGNORE_SKIPPED"] {
        let project = app.post("/api/projects/", json!({"title": format!("dm {queue}"), "label_config": CONFIG, "skip_queue": queue})).await.expect(201).body["id"].as_i64().unwrap();
        let ids: Vec<i64> = app.import_ids(project, json!([{"text": "skipped"}, {"text": "empty result"}, {"text": "Ünïcode ÄBC"}, {"text": "labeled"}])).await;
        app.post(
            &format!("/api/tasks/{}/annotations/", ids[0]),
            json!({"result": [], "was_cancelled": true}),
        )
        .await
        .expect(201);
        app.post(
            &format!("/api/tasks/{}/annotations/", ids[1]),
            json!({"result": []}),
        )
        .await
        .expect(201);
        app.post(
            &format!("/api/tasks/{}/annotations/", ids[3]),
            json!({"result": choice("Positive")}),
        )
        .await
        .expect(201);
        let all = app
            .get(&format!("/api/tasks/?project={project}&fields=all"))
            .await
            .expect(200)
            .body;
        let mut tasks: Vec<Value> = all["tasks"].as_array().unwrap().clone();
        tasks.sort_by_key(|t| t["id"].as_i64());
        labeled_by_queue.push(
            tasks
                .iter()
                .map(|t| {
                    (
                        t["is_labeled"].as_bool().unwrap(),
                        !t["completed_at"].is_null(),
                    )
                })
                .collect::<Vec<_>>(),
        );
        if queue != "REQUEUE_FOR_OTHERS" {
            continue;
        }
        let select = |filters: Value, ordering: Value| {
            let path = crate::helpers::tasks_query(
                project,
                &json!({"filters": {"conjunction": "and", "items": filters}, "ordering": ordering}),
            );
            let ids = ids.clone();
            let app = &app;
            async move {
                let page = app.get(&path).await.expect(200).body;
                page["tasks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| {
                        ids.iter()
                            .position(|id| *id == t["id"].as_i64().unwrap())
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            }
        };
        let filter = |column: &str, operator: &str, kind: &str, value: Value| json!([{"filter": format!("filter:tasks:{column}"), "operator": operator, "type": kind, "value": value}]);
        assert_eq!(
            select(
                filter("completed_at", "empty", "Datetime", json!(false)),
                json!([])
            )
            .await,
            [1, 3]
        );
        assert_eq!(
            select(
                filter("completed_at", "empty", "Datetime", json!(true)),
                json!([])
            )
            .await,
            [0, 2]
        );
        assert_eq!(
            select(
                filter("annotations_results", "empty", "String", json!(true)),
                json!([])
            )
            .await,
            [0, 1, 2],
            "a [] result is empty"
        );
        assert_eq!(
            select(
                filter("annotations_results", "empty", "String", json!(false)),
                json!([])
            )
            .await,
            [3]
        );
        assert_eq!(
            select(json!([]), json!(["tasks:completed_at"])).await,
            [1, 3, 0, 2],
            "nulls last, ties by id"
        );
        assert_eq!(
            select(json!([]), json!(["-tasks:completed_at"])).await,
            [3, 1, 0, 2],
            "nulls last, ties by id"
        );
        for search in ["ÜNÏ", "äbc", "ünïcode äbc"] {
            assert_eq!(
                select(
                    filter("data.text", "contains", "String", json!(search)),
                    json!([])
                )
                .await,
                [2],
                "{search} folds like PostgreSQL"
            );
            assert_eq!(
                select(
                    filter("data.text", "not_contains", "String", json!(search)),
                    json!([])
                )
                .await,
                [0, 1, 3],
                "{search}"
            );
        }
        app.wait_for_search_index().await;
        assert_eq!(
            select(
                filter("data.text", "contains", "String", json!("ÄBC")),
                json!([])
            )
            .await,
            [2],
            "the same once indexed"
        );
    }
    // A task with only a skip: unlabeled and incomplete unless skips are ignored.
    assert_eq!(
        labeled_by_queue[0],
        [(false, false), (true, true), (false, false), (true, true)]
    );
    assert_eq!(
        labeled_by_queue[1],
        [(true, true), (true, true), (false, false), (true, true)]
    );
}

/// Missing keys, explicit nulls and absent scores, filtered and ordered: the expected tasks are
/// Label Studio's answers on PostgreSQL (its SQLite answers differ: there a JSON `null` compares
/// as 0 and sorts as text). One exception, in docs/COMPATIBILITY.md: an empty string is always
/// an empty value, where Label Studio on PostgreSQL decides by the type of an arbitrary row's value.
#[tokio::test]
async fn data_manager_nulls_follow_label_studio_on_postgresql() {
    let app = TestApp::spawn().await;
    let project = app
        .post(
            "/api/projects/",
            json!({"title": "nulls", "label_config": CONFIG}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let ids: Vec<i64> = app
        .import_ids(
            project,
            json!([
                {"data": {"text": "five", "num": 5, "s": "abc", "b": true}, "predictions": [{"result": [], "score": 0.5}]},
                {"data": {"text": "fifty", "num": 50}},
                {"data": {"text": "missing"}},
                {"data": {"text": "null", "num": null, "s": null, "b": null}, "predictions": [{"result": []}]},
                {"data": {"text": "zero", "num": 0, "s": "", "b": false}, "predictions": [{"result": [], "score": 0.9}]},
                {"data": {"text": "neg", "num": -3.5, "s": "xyz"}}
            ]),
        ).await;
    let select = |filters: Value, ordering: Value| {
        let path = crate::helpers::tasks_query(
            project,
            &json!({"filters": {"conjunction": "and", "items": filters}, "ordering": ordering}),
        );
        let (app, ids) = (&app, &ids);
        async move {
            let page = app.get(&path).await.expect(200).body;
            page["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    ids.iter()
                        .position(|id| *id == t["id"].as_i64().unwrap())
                        .unwrap()
                })
                .collect::<Vec<_>>()
        }
    };
    // ((column, operator, type, value), the tasks selected)
    type Case<'a> = ((&'a str, &'a str, &'a str, Value), &'a [usize]);
    let filters: &[Case] = &[
        (("data.num", "less", "Number", json!(10)), &[0, 4, 5]),
        (
            ("data.num", "greater_or_equal", "Number", json!(5)),
            &[0, 1],
        ),
        (("data.num", "equal", "Number", json!(0)), &[4]),
        (("data.num", "not_equal", "Number", json!(5)), &[1, 4, 5]),
        (("data.num", "empty", "Number", json!(true)), &[2, 3]),
        (("data.num", "empty", "Number", json!(false)), &[0, 1, 4, 5]),
        (
            ("data.num", "in", "Number", json!({"min": 0, "max": 100})),
            &[0, 1, 4],
        ),
        (
            ("data.num", "not_in", "Number", json!({"min": 0, "max": 10})),
            &[1, 5],
        ),
        (("data.s", "contains", "String", json!("b")), &[0]),
        (("data.s", "not_contains", "String", json!("b")), &[4, 5]),
        (("data.s", "equal", "String", json!("abc")), &[0]),
        (("data.s", "not_equal", "String", json!("abc")), &[3, 4, 5]),
        (("data.s", "empty", "String", json!(true)), &[1, 2, 3, 4]),
        (("data.s", "empty", "String", json!(false)), &[0, 5]),
        (("data.b", "equal", "Boolean", json!(true)), &[0]),
        (("data.b", "equal", "Boolean", json!(false)), &[4]),
        (("data.b", "not_equal", "Boolean", json!(true)), &[3, 4]),
        (("data.b", "empty", "Boolean", json!(true)), &[1, 2, 5]),
        (("data.b", "empty", "Boolean", json!(false)), &[0, 3, 4]),
        (("predictions_score", "less", "Number", json!(0.7)), &[0]),
        (
            ("predictions_score", "not_equal", "Number", json!(0.5)),
            &[4],
        ),
        (
            (
                "predictions_score",
                "not_in",
                "Number",
                json!({"min": 0, "max": 0.6}),
            ),
            &[4],
        ),
        (
            ("predictions_score", "empty", "Number", json!(true)),
            &[1, 2, 3, 5],
        ),
    ];
    for ((column, operator, kind, value), expected) in filters {
        let item = json!([{"filter": format!("filter:tasks:{column}"), "operator": operator, "type": kind, "value": value}]);
        assert_eq!(
            select(item, json!([])).await,
            *expected,
            "{column} {operator} {value}"
        );
    }
    let orderings: &[(&str, &[usize])] = &[
        ("tasks:data.num", &[5, 4, 0, 1, 2, 3]),
        ("-tasks:data.num", &[1, 0, 4, 5, 2, 3]),
        ("tasks:data.s", &[4, 0, 5, 1, 2, 3]),
        ("-tasks:data.s", &[5, 0, 4, 1, 2, 3]),
        ("tasks:predictions_score", &[0, 4, 1, 2, 3, 5]),
        ("-tasks:predictions_score", &[4, 0, 1, 2, 3, 5]),
    ];
    for (ordering, expected) in orderings {
        assert_eq!(
            select(json!([]), json!([ordering])).await,
            *expected,
            "{ordering}"
        );
    }
}

/// The labels manager, on the reference server's scenario: two tasks annotated "Positive", a
/// label "Neutral" created for the `sentiment` control, "Positive" renamed to "Good".
#[tokio::test]
async fn the_labels_manager_creates_links_and_relabels_annotations() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let project = app.create_project(CONFIG).await;
    let ids = app
        .import(project, json!([{"text": "a"}, {"text": "b"}]))
        .await["task_ids"]
        .clone();
    for id in ids.as_array().unwrap() {
        app.post(
            &format!("/api/tasks/{id}/annotations/"),
            json!({"result": choice("Positive")}),
        )
        .await
        .expect(201);
    }
    let created = app.post("/api/labels/", json!([{"project": project, "from_name": "sentiment", "value": "Neutral", "title": "Neutral"}])).await.expect(201).body;
    let label = &created[0];
    assert_eq!(
        (
            label["project"].as_i64(),
            label["from_name"].as_str(),
            label["value"].as_str()
        ),
        (Some(project), Some("sentiment"), Some("Neutral"))
    );
    assert_eq!(
        (label["approved"].as_bool(), label["projects"].clone()),
        (Some(false), json!([project]))
    );
    let again = app.post("/api/labels/", json!([{"project": project, "from_name": "sentiment", "value": "Neutral", "title": "Neutral"}])).await.expect(201).body;
    assert_eq!(
        again[0]["id"], label["id"],
        "a label exists once per organization"
    );
    let refused = app.post("/api/labels/", json!({"project": project, "from_name": "sentiment", "value": "Mixed", "title": "Mixed"})).await.expect(400);
    assert_eq!(
        refused.body["validation_errors"],
        json!({"non_field_errors": ["Expected a list of items but got type \"dict\"."]})
    );
    let partial = app
        .post("/api/labels/", json!([{"project": project, "value": "X"}]))
        .await
        .expect(400);
    assert_eq!(
        partial.body["validation_errors"],
        json!({"non_field_errors": [{"from_name": ["This field is required."], "title": ["This field is required."]}]})
    );

    let listed = app.get("/api/labels/").await.expect(200).body;
    assert_eq!(listed["count"], 1);
    let link_id = listed["results"][0]["links"][0].as_i64().unwrap();
    let links = app
        .get(&format!("/api/label_links/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        links["results"],
        json!([{"id": link_id, "annotations_count": 0, "from_name": "sentiment", "project": project, "label": label["id"]}])
    );
    let positive = app.post("/api/labels/", json!([{"project": project, "from_name": "sentiment", "value": "Positive", "title": "Positive"}])).await.expect(201).body;
    let positive_link = app
        .get(&format!("/api/label_links/?project={project}"))
        .await
        .expect(200)
        .body["results"][1]
        .clone();
    assert_eq!(
        (
            positive_link["label"].clone(),
            positive_link["annotations_count"].as_u64()
        ),
        (positive[0]["id"].clone(), Some(2))
    );

    let renamed = app
        .post(
            "/api/labels/bulk",
            json!({"project": project, "old_label": ["Positive"], "new_label": ["Good"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(renamed, json!({"annotations_updated": 2}));
    let task = app
        .get(&format!("/api/tasks/{}/", ids[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(task["annotations"][0]["result"], choice("Good"));
    let summary = app
        .get(&format!("/api/projects/{project}/summary/"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        summary["created_labels"],
        json!({"sentiment": {"Good": 2}}),
        "the summary follows the rename"
    );
    let bad_approver = app.post("/api/labels/", json!([{"project": project, "from_name": "sentiment", "value": "Z", "title": "Z", "approved_by": 999999}])).await.expect(400);
    assert!(
        bad_approver.text.contains("approved_by"),
        "{}",
        bad_approver.text
    );
    assert_eq!(
        app.get(&format!("/api/projects/{project}/"))
            .await
            .expect(200)
            .body["label_config"],
        CONFIG,
        "the config is left alone"
    );

    let patched = app
        .patch(
            &format!("/api/labels/{}/", label["id"]),
            json!({"approved": true, "description": "calm"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            patched["approved"].as_bool(),
            patched["description"].as_str()
        ),
        (Some(true), Some("calm"))
    );
    // Another organization sees none of it; annotators may read but not change.
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::GET,
        &format!("/api/labels/{}/", label["id"]),
        None,
    )
    .await
    .expect(404);
    assert_eq!(
        app.call_as(&stranger, Method::GET, "/api/labels/", None)
            .await
            .expect(200)
            .body["count"],
        0
    );
    let annotator = app.annotator_of("labeler@example.com", project).await;
    app.call_as(
        &annotator,
        Method::DELETE,
        &format!("/api/labels/{}/", label["id"]),
        None,
    )
    .await
    .expect(403);
    app.delete(&format!("/api/label_links/{link_id}/"))
        .await
        .expect(204);
    app.delete(&format!("/api/labels/{}/", label["id"]))
        .await
        .expect(204);
    assert_eq!(app.get("/api/labels/").await.expect(200).body["count"], 1);

    // A manager sees and relabels only the projects they see.
    let manager = app.signup("lead@example.com").await;
    let me = app
        .call_as(&manager, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body;
    let org = me["active_organization"].as_i64().unwrap();
    app.patch(
        &format!("/api/organizations/{org}/memberships"),
        json!({"user_id": me["id"], "role": "MA"}),
    )
    .await
    .expect(200);
    let theirs = app
        .call_as(
            &manager,
            Method::POST,
            "/api/projects/",
            Some(json!({"title": "Managed", "label_config": CONFIG})),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.call_as(&manager, Method::GET, "/api/label_links/", None)
            .await
            .expect(200)
            .body["count"],
        0,
        "links of hidden projects stay hidden"
    );
    let listed = app
        .call_as(&manager, Method::GET, "/api/labels/", None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed["results"][0]["projects"],
        json!([]),
        "so do their ids"
    );
    let blanket = json!({"project": null, "old_label": ["Good"], "new_label": ["Bad"]});
    let done = app
        .call_as(&manager, Method::POST, "/api/labels/bulk", Some(blanket))
        .await
        .expect(200)
        .body;
    assert_eq!(
        done,
        json!({"annotations_updated": 0}),
        "the owner's project is not the manager's to relabel"
    );
    assert_eq!(
        app.get(&format!("/api/tasks/{}/", ids[0]))
            .await
            .expect(200)
            .body["annotations"][0]["result"],
        choice("Good")
    );
    // Their own project's links they do see.
    let own =
        json!([{"project": theirs, "from_name": "sentiment", "value": "Good", "title": "Good"}]);
    app.call_as(&manager, Method::POST, "/api/labels/", Some(own))
        .await
        .expect(201);
    let links = app
        .call_as(&manager, Method::GET, "/api/label_links/", None)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            links["count"].as_i64(),
            links["results"][0]["project"].as_i64()
        ),
        (Some(1), Some(theirs))
    );
}

/// Labels of any length are kept (a 5,000-character value, a 2,048-character title, as the
/// reference server does on both databases); a longer title is Label Studio's 400; the same
/// label created by many requests at once is one label with one link.
#[tokio::test]
async fn labels_of_any_length_and_created_at_once_are_one_label() {
    let app = TestApp::spawn().await;
    let project = app.create_project(CONFIG).await;
    let create = |value: Value, title: String| {
        let app = &app;
        async move {
            app.post(
                "/api/labels/",
                json!([{"project": project, "from_name": "sentiment", "value": value, "title": title}]),
            )
            .await
        }
    };
    let long = "x".repeat(5000);
    let created = create(json!(long), "long".into()).await.expect(201).body;
    assert_eq!(created[0]["value"], json!(long));
    create(json!(["a", "b"]), "n".repeat(2048))
        .await
        .expect(201);
    let refused = create(json!("v"), "t".repeat(2049)).await.expect(400).body;
    assert_eq!(
        refused["validation_errors"],
        json!({"non_field_errors": [{"title": ["Ensure this field has no more than 2048 characters."]}]})
    );
    let replies =
        futures_util::future::join_all((0..8).map(|_| create(json!("Same"), "Same".into()))).await;
    let ids: std::collections::BTreeSet<i64> = replies
        .into_iter()
        .map(|reply| reply.expect(201).body[0]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one label");
    let listed = app.get("/api/labels/").await.expect(200).body;
    assert_eq!(listed["count"], 3);
    let links = app
        .get(&format!("/api/label_links/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(links["count"], 3, "one link per label");
}

/// Validation errors of projects, tasks, annotations, views, predictions, imports and config
/// checks, with the status and `validation_errors` Label Studio 1.23.2 answers (the same on its
/// SQLite and PostgreSQL; taken from the reference server by a walk of 341 cases).
#[tokio::test]
async fn validation_errors_have_label_studios_keys_and_messages() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let project = app.create_project(CONFIG).await;
    let task = app.import(project, json!([{"text": "hello"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
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
    let missing = |key: &str| json!({key: ["Invalid pk \"999999999\" - object does not exist."]});
    let result = choice("Positive");
    let long_column = format!("filter:tasks:data.{}", "x".repeat(1020));
    let cases: Vec<(Method, String, Value, u16, Value)> = vec![
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "task_data_login": "x".repeat(257)}),
            400,
            json!({"task_data_login": ["Ensure this field has no more than 256 characters."]}),
        ),
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "created_by": 5}),
            400,
            json!({"created_by": {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}}),
        ),
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "organization": 999999999}),
            400,
            missing("organization"),
        ),
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "organization": "abc"}),
            400,
            json!({"organization": ["Incorrect type. Expected pk value, received str."]}),
        ),
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "color": "#".repeat(17)}),
            400,
            json!({"color": ["Ensure this field has no more than 16 characters."]}),
        ),
        (
            Method::POST,
            "/api/projects/".into(),
            json!({"title": "abc", "sampling": null}),
            201,
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/projects/{project}/"),
            json!({"model_version": null}),
            400,
            json!({"model_version": ["Model version doesn't exist either as live model or as static predictions."]}),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": {"text": "x"}, "is_labeled": "maybe"}),
            400,
            json!({"is_labeled": ["Must be a valid boolean."]}),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": {"text": "x"}, "overlap": "abc"}),
            400,
            json!({"overlap": ["A valid integer is required."]}),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": {"text": "x"}, "inner_id": "abc"}),
            400,
            json!({"inner_id": ["A valid biginteger is required."]}),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": {"text": "x"}, "file_upload": 999999999}),
            400,
            missing("file_upload"),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": null, "data": {"text": "x"}}),
            400,
            json!({"project": ["This field is required."]}),
        ),
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": null}),
            400,
            json!({"data": ["This field may not be null."]}),
        ),
        // A boolean is an int to Python's isinstance: a Text tag takes it.
        (
            Method::POST,
            "/api/tasks/".into(),
            json!({"project": project, "data": {"text": true}}),
            201,
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/tasks/{task}/"),
            json!({"is_labeled": "maybe"}),
            400,
            json!({"is_labeled": ["Must be a valid boolean."]}),
        ),
        (
            Method::PATCH,
            format!("/api/tasks/{task}/"),
            json!({"data": null}),
            400,
            json!({"data": ["This field may not be null."]}),
        ),
        (
            Method::POST,
            format!("/api/tasks/{task}/annotations/"),
            json!({"result": result, "project": 999999999}),
            400,
            missing("project"),
        ),
        (
            Method::POST,
            format!("/api/tasks/{task}/annotations/"),
            json!({"result": result, "last_action": "nope"}),
            400,
            json!({"last_action": ["\"nope\" is not a valid choice."]}),
        ),
        (
            Method::POST,
            format!("/api/tasks/{task}/annotations/"),
            json!({"result": result, "completed_by": "abc"}),
            400,
            json!({"completed_by": ["Incorrect type. Expected pk value, received str."]}),
        ),
        (
            Method::PATCH,
            format!("/api/annotations/{annotation}/"),
            json!({"task": 999999999}),
            400,
            missing("task"),
        ),
        (
            Method::POST,
            "/api/dm/views/".into(),
            json!({"project": project, "order": "abc"}),
            400,
            json!({"order": ["A valid integer is required."]}),
        ),
        (
            Method::POST,
            "/api/dm/views/".into(),
            json!({"project": project, "user": 999999999}),
            400,
            missing("user"),
        ),
        (
            Method::POST,
            "/api/dm/views/".into(),
            json!({"project": project, "data": {"filters": {"conjunction": "and", "items": [{"filter": long_column, "operator": "equal", "type": "String", "value": "x"}]}}}),
            400,
            json!({"filter_group": {"filters": [{"column": ["Ensure this field has no more than 1024 characters."]}]}}),
        ),
        (
            Method::POST,
            "/api/dm/views/".into(),
            json!({"project": project, "data": {"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:data.text", "operator": 5, "type": "String", "value": "x"}]}}}),
            201,
            Value::Null,
        ),
        (
            Method::POST,
            "/api/predictions/".into(),
            json!({}),
            400,
            json!({"result": ["This field is required."], "task": ["This field is required."]}),
        ),
        (
            Method::POST,
            "/api/predictions/".into(),
            json!({"task": task, "result": [], "cluster": "abc"}),
            400,
            json!({"cluster": ["A valid integer is required."]}),
        ),
        (
            Method::POST,
            "/api/predictions/".into(),
            json!({"task": task, "result": [], "mislabeling": "abc"}),
            400,
            json!({"mislabeling": ["A valid number is required."]}),
        ),
        (
            Method::POST,
            "/api/predictions/".into(),
            json!({"task": task, "result": [], "project": 999999999}),
            400,
            missing("project"),
        ),
        (
            Method::POST,
            format!("/api/projects/{project}/validate/"),
            json!({"label_config": null}),
            400,
            json!({"non_field_errors": ["Label config is not set or is empty"]}),
        ),
        (
            Method::POST,
            format!("/api/projects/{project}/import"),
            json!([{"data": {"text": "x"}, "predictions": [{"result": [], "score": "abc"}]}]),
            201,
            Value::Null,
        ),
    ];
    for (method, path, body, status, errors) in cases {
        let reply = app.call(method.clone(), &path, Some(body.clone())).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {path} {body}: {}",
            reply.body
        );
        if !errors.is_null() {
            assert_eq!(
                reply.body["validation_errors"], errors,
                "{method} {path} {body}"
            );
        }
    }
    // Unwrapped on the unauthenticated config check, as all its refusals are.
    let bare = app
        .post("/api/projects/validate/", json!([]))
        .await
        .expect(400)
        .body;
    assert_eq!(
        bare,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    // A body of a type DRF has no parser for.
    let plain = app
        .client
        .post(format!("{}/api/projects/{project}/import", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let plain = crate::helpers::Reply::from(plain).await.expect(415).body;
    assert_eq!(
        plain["detail"],
        "Unsupported media type \"text/plain\" in request."
    );
    // Nothing refused changed anything.
    assert_eq!(app.project(project).await["task_number"], 3);
}
