//! The Data Manager: filters, ordering and selection on `/api/tasks/`, and saved views.

use serde_json::{json, Value};

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

/// Six tasks with varied data, annotations, skips and predictions; returns their ids in order.
async fn fixture(app: &TestApp, project: i64) -> Vec<i64> {
    let tasks = json!([
        {"data": {"text": "Apple pie", "num": 5, "flag": true, "day": "2024-05-01T10:00:00.000000Z"}, "predictions": [{"result": choice("Positive"), "score": 0.9, "model_version": "v1"}]},
        {"data": {"text": "banana split", "num": 10, "flag": false, "day": "2023-01-01T00:00:00.000000Z"}},
        {"data": {"text": "Cherry", "num": 2.5}, "predictions": [{"result": choice("Negative"), "score": 0.1, "model_version": "v2"}]},
        {"data": {"text": "apple juice"}},
        {"data": {"text": "", "num": -1}},
        {"data": {"text": "Date 50%", "num": 100}}
    ]);
    let ids: Vec<i64> = app.import_ids(project, tasks).await;
    let annotate = |task: i64, body: Value| async move {
        app.post(&format!("/api/tasks/{task}/annotations/"), body)
            .await
            .expect(201);
    };
    annotate(
        ids[0],
        json!({"result": choice("Positive"), "lead_time": 2.0}),
    )
    .await;
    annotate(ids[1], json!({"result": [], "was_cancelled": true})).await;
    annotate(
        ids[3],
        json!({"result": choice("Negative"), "ground_truth": true, "lead_time": 4.0}),
    )
    .await;
    let other = app.annotator_of("second@example.com", project).await;
    app.call_as(
        &other,
        reqwest::Method::POST,
        &format!("/api/tasks/{}/annotations/", ids[5]),
        Some(json!({"result": choice("Negative")})),
    )
    .await
    .expect(201);
    ids
}

fn filter(column: &str, operator: &str, kind: &str, value: Value) -> Value {
    json!({"filter": format!("filter:tasks:{column}"), "operator": operator, "type": kind, "value": value})
}

/// Lists tasks for `query` and returns (total, ids in order).
async fn listed(app: &TestApp, project: i64, query: Value) -> (i64, Vec<i64>) {
    let encoded = urlencode(&query.to_string());
    let page = app
        .get(&format!("/api/tasks/?project={project}&query={encoded}"))
        .await
        .expect(200)
        .body;
    let ids = page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    (page["total"].as_i64().unwrap(), ids)
}

/// A query-string value, percent-encoded.
fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn pick(ids: &[i64], positions: &[usize]) -> Vec<i64> {
    positions.iter().map(|&i| ids[i]).collect()
}

#[tokio::test]
async fn filters_select_the_same_tasks_as_label_studio() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = fixture(&app, project).await;
    let admin_id = app.get("/api/current-user/whoami").await.expect(200).body["id"]
        .as_i64()
        .unwrap();
    let cases: Vec<(Value, Vec<usize>)> = vec![
        (
            filter("data.text", "contains", "String", json!("apple")),
            vec![0, 3],
        ),
        (
            filter("data.text", "not_contains", "String", json!("apple")),
            vec![1, 2, 4, 5],
        ),
        (
            filter("data.text", "contains", "String", json!("50%")),
            vec![5],
        ),
        (
            filter("data.text", "equal", "String", json!("Cherry")),
            vec![2],
        ),
        (
            filter("data.text", "not_equal", "String", json!("Cherry")),
            vec![0, 1, 3, 4, 5],
        ),
        (
            filter("data.text", "regex", "String", json!("^[A-C]")),
            vec![0, 2],
        ),
        (
            filter("data.text", "regex", "String", json!("(unclosed")),
            vec![],
        ),
        (filter("data.text", "empty", "String", json!(true)), vec![4]),
        (
            filter("data.text", "empty", "String", json!(false)),
            vec![0, 1, 2, 3, 5],
        ),
        (
            filter("data.num", "greater", "Number", json!(4)),
            vec![0, 1, 5],
        ),
        (
            filter("data.num", "less_or_equal", "Number", json!("2.5")),
            vec![2, 4],
        ),
        (
            filter("data.num", "in", "Number", json!({"min": 2, "max": 10})),
            vec![0, 1, 2],
        ),
        (
            // Task 3 has no `num`: outside the range and outside its negation.
            filter("data.num", "not_in", "Number", json!({"min": 2, "max": 10})),
            vec![4, 5],
        ),
        (filter("data.num", "empty", "Number", json!(true)), vec![3]),
        (
            filter("data.flag", "equal", "Boolean", json!(true)),
            vec![0],
        ),
        (
            // Only task 1 has a `flag` other than true; the others have none.
            filter("data.flag", "not_equal", "Boolean", json!(true)),
            vec![1],
        ),
        (
            filter(
                "data.day",
                "greater",
                "Datetime",
                json!("2024-01-01T00:00:00.000Z"),
            ),
            vec![0],
        ),
        (
            filter(
                "data.day",
                "in",
                "Datetime",
                json!({"min": "2022-01-01T00:00:00.000Z", "max": "2023-06-01T00:00:00.000Z"}),
            ),
            vec![1],
        ),
        (
            filter("id", "in", "Number", json!({"min": ids[1], "max": ids[2]})),
            vec![1, 2],
        ),
        (
            filter("inner_id", "greater_or_equal", "Number", json!(5)),
            vec![4, 5],
        ),
        (
            filter("total_annotations", "greater", "Number", json!(0)),
            vec![0, 3, 5],
        ),
        (
            filter("total_annotations", "empty", "Number", json!(true)),
            vec![1, 2, 4],
        ),
        (
            filter("cancelled_annotations", "equal", "Number", json!(1)),
            vec![1],
        ),
        (
            filter("total_predictions", "equal", "Number", json!(1)),
            vec![0, 2],
        ),
        (
            filter("annotators", "contains", "List", json!(admin_id)),
            vec![0, 1, 3],
        ),
        (
            filter("annotators", "not_contains", "List", json!(admin_id)),
            vec![2, 4, 5],
        ),
        (
            filter("annotators", "empty", "List", json!(true)),
            vec![2, 4],
        ),
        (
            filter("annotators", "equal", "List", json!(admin_id)),
            vec![0, 1, 3],
        ),
        (
            filter(
                "annotators",
                "contains",
                "List",
                json!(admin_id.to_string()),
            ),
            vec![0, 1, 3],
        ),
        (
            filter("id", "equal", "String", json!(ids[2].to_string())),
            vec![2],
        ),
        (
            filter("total_annotations", "less", "Number", json!("1")),
            vec![1, 2, 4],
        ),
        (
            filter(
                "created_at",
                "greater",
                "Datetime",
                json!("2000-01-01T00:00:00.000Z"),
            ),
            vec![0, 1, 2, 3, 4, 5],
        ),
        (
            filter("id", "contains", "String", json!(ids[3].to_string())),
            vec![3],
        ),
        (
            filter("file_upload", "not_contains", "String", json!("x")),
            vec![],
        ),
        (
            filter("predictions_model_versions", "equal", "List", json!("v2")),
            vec![2],
        ),
        (
            filter("is_labeled", "equal", "Boolean", json!(true)),
            vec![0, 3, 5],
        ),
        (
            filter("data.first__name", "empty", "String", json!(false)),
            vec![],
        ),
        (
            filter(
                "annotations_results",
                "contains",
                "String",
                json!("negative"),
            ),
            vec![3, 5],
        ),
        (
            filter(
                "predictions_results",
                "contains",
                "String",
                json!("Positive"),
            ),
            vec![0],
        ),
        // Scores count for the project's current model version only (v2, the last imported).
        (
            filter("predictions_score", "less", "Number", json!(0.5)),
            vec![2],
        ),
        (
            filter("predictions_score", "empty", "Number", json!(true)),
            vec![0, 1, 3, 4, 5],
        ),
        (
            filter(
                "predictions_model_versions",
                "contains",
                "List",
                json!(["v2", "nope"]),
            ),
            vec![2],
        ),
        (
            filter("ground_truth", "equal", "Boolean", json!(true)),
            vec![3],
        ),
        (
            filter("avg_lead_time", "greater", "Number", json!(3)),
            vec![3],
        ),
        (
            filter("completed_at", "empty", "Datetime", json!(false)),
            vec![0, 3, 5],
        ),
        (
            filter(
                "completed_at",
                "in",
                "Datetime",
                json!({"min": "2000-01-01T00:00:00.000Z", "max": "2999-01-01T00:00:00.000Z"}),
            ),
            vec![0, 3, 5],
        ),
        (
            filter(
                "created_at",
                "less",
                "Datetime",
                json!("2000-01-01T00:00:00.000Z"),
            ),
            vec![],
        ),
        (
            filter("draft_exists", "equal", "Boolean", json!(false)),
            vec![0, 1, 2, 3, 4, 5],
        ),
        (
            filter("file_upload", "empty", "String", json!(true)),
            vec![0, 1, 2, 3, 4, 5],
        ),
    ];
    for (item, expected) in cases {
        let query = json!({"filters": {"conjunction": "and", "items": [item.clone()]}});
        let (total, got) = listed(&app, project, query).await;
        assert_eq!(got, pick(&ids, &expected), "filter {item}");
        assert_eq!(total, expected.len() as i64, "total of {item}");
    }

    // Conjunctions, child filters and ignored items.
    let or = json!({"filters": {"conjunction": "or", "items": [
        filter("data.text", "contains", "String", json!("cherry")),
        filter("data.num", "greater", "Number", json!(50)),
        {"filter": "filter:annotations:id", "operator": "equal", "type": "Number", "value": 1}
    ]}});
    assert_eq!(listed(&app, project, or).await.1, pick(&ids, &[2, 5]));
    let mut with_child = filter("data.text", "contains", "String", json!("apple"));
    with_child["child_filter"] = filter("total_annotations", "greater", "Number", json!(0));
    let child = json!({"filters": {"conjunction": "and", "items": [with_child]}});
    assert_eq!(listed(&app, project, child).await.1, pick(&ids, &[0, 3]));
}

#[tokio::test]
async fn ordering_selection_and_totals() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = fixture(&app, project).await;
    let order = |column: &str| json!({"ordering": [column]});
    assert_eq!(
        listed(&app, project, order("-tasks:id")).await.1,
        pick(&ids, &[5, 4, 3, 2, 1, 0])
    );
    // Ties broken by id ascending in either direction, nulls last either way (as Label Studio).
    assert_eq!(
        listed(&app, project, order("-tasks:total_annotations"))
            .await
            .1,
        pick(&ids, &[0, 3, 5, 1, 2, 4])
    );
    assert_eq!(
        listed(&app, project, order("tasks:predictions_score"))
            .await
            .1,
        pick(&ids, &[2, 0, 1, 3, 4, 5])
    );
    assert_eq!(
        listed(&app, project, order("-tasks:predictions_score"))
            .await
            .1,
        pick(&ids, &[2, 0, 1, 3, 4, 5])
    );
    // Data columns order as text (code point order) unless displayed as numbers.
    assert_eq!(
        listed(&app, project, order("tasks:data.text")).await.1,
        pick(&ids, &[4, 0, 2, 5, 3, 1])
    );
    let numeric = json!({"ordering": ["tasks:data.num"], "columnsDisplayType": {"num": "Number"}});
    assert_eq!(
        listed(&app, project, numeric).await.1,
        pick(&ids, &[4, 2, 0, 1, 5, 3])
    );

    assert_eq!(
        listed(&app, project, order("-tasks:comment_count")).await.0,
        6
    );
    assert_eq!(
        listed(
            &app,
            project,
            json!({"selectedItems": {"all": false, "included": []}})
        )
        .await
        .0,
        6,
        "nothing picked is everything"
    );
    let included = json!({"selectedItems": {"all": false, "included": [ids[4], ids[1]]}, "ordering": ["-tasks:id"]});
    assert_eq!(
        listed(&app, project, included).await,
        (2, pick(&ids, &[4, 1]))
    );
    let excluded = json!({"selectedItems": {"all": true, "excluded": [ids[0]]},
        "filters": {"conjunction": "and", "items": [filter("data.text", "contains", "String", json!("apple"))]}});
    assert_eq!(listed(&app, project, excluded).await, (1, pick(&ids, &[3])));

    // Totals sum the counters of every selected task, not just the page.
    let query = json!({"filters": {"conjunction": "and", "items": [filter("total_annotations", "greater", "Number", json!(0))]}});
    let encoded = urlencode(&query.to_string());
    let page = app
        .get(&format!(
            "/api/tasks/?project={project}&page_size=1&query={encoded}"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            page["total"].clone(),
            page["total_annotations"].clone(),
            page["total_predictions"].clone()
        ),
        (json!(3), json!(3), json!(1))
    );
    assert_eq!(page["tasks"].as_array().unwrap().len(), 1);
    app.get(&format!(
        "/api/tasks/?project={project}&page_size=1&page=4&query={encoded}"
    ))
    .await
    .expect(404);
    // Stacked results read as Label Studio shows them: Python's JSON without quotes.
    let first = &app
        .get(&format!("/api/tasks/?project={project}&page_size=1"))
        .await
        .expect(200)
        .body["tasks"][0];
    assert_eq!(
        first["annotations_results"],
        "[{id: r1, from_name: sentiment, to_name: text, type: choices, value: {choices: [Positive]}}]"
    );
    assert_eq!(first["predictions_results"], first["annotations_results"]);
    assert!(
        first["predictions_score"].is_null(),
        "its prediction is of another model version"
    );
    let only_ids = app
        .get(&format!(
            "/api/tasks/?project={project}&include=id&page_size=2"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(only_ids["tasks"], json!([{"id": ids[0]}, {"id": ids[1]}]));
}

#[tokio::test]
async fn bad_queries_are_400_and_name_the_problem() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    fixture(&app, project).await;
    let bad = |query: String| {
        let app = &app;
        async move {
            app.get(&format!(
                "/api/tasks/?project={project}&query={}",
                urlencode(&query)
            ))
            .await
            .expect(400)
            .body["detail"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let item = |i: Value| json!({"filters": {"conjunction": "and", "items": [i]}}).to_string();
    assert!(bad("{not json".into()).await.contains("not valid JSON"));
    assert!(bad(item(filter("nope", "equal", "Number", json!(1))))
        .await
        .contains("Unknown filter column"));
    assert!(bad(item(filter("id", "around", "Number", json!(1))))
        .await
        .contains("Unknown filter operator"));
    assert!(bad(item(filter("id", "equal", "Number", json!("abc"))))
        .await
        .contains("Wrong value"));
    assert!(bad(item(filter(
        "created_at",
        "less",
        "Datetime",
        json!("yesterday")
    )))
    .await
    .contains("Wrong datetime"));
    assert!(bad(item(filter(
        "project__title",
        "equal",
        "String",
        json!("x")
    )))
    .await
    .contains("DATA_MANAGER_FILTER_ALLOWLIST"));
    assert!(bad(json!({"ordering": ["tasks:nope"]}).to_string())
        .await
        .contains("Unknown filter column"));
    assert!(
        bad(item(filter("data.text", "empty", "String", json!("maybe"))))
            .await
            .contains("Incorrect bool value")
    );
    assert!(bad(item(filter(
        "total_annotations",
        "greater",
        "Number",
        json!("many")
    )))
    .await
    .contains("Wrong value"));
    assert!(
        bad(json!({"filters": {"conjunction": "AND", "items": []}}).to_string())
            .await
            .contains("conjunction")
    );
    assert!(
        bad(item(filter("data.text", "greater", "Boolean", json!(true))))
            .await
            .contains("Wrong value")
    );
    let neither = app.get("/api/tasks/").await.expect(404);
    assert_eq!(
        neither.body,
        json!({"detail": "Neither project nor view id specified"})
    );
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/tasks/?project={project}"),
        None,
    )
    .await
    .expect(404);

    // A pattern Rust's engine takes but PostgreSQL's refuses (repetition over 255) is a 400 there
    // and matches nothing on SQLite; never a 500.
    let query = json!({"filters": {"conjunction": "and", "items": [filter("data.text", "regex", "String", json!("x{300}"))]}});
    let reply = app
        .get(&format!(
            "/api/tasks/?project={project}&query={}",
            urlencode(&query.to_string())
        ))
        .await;
    match reply.status.as_u16() {
        400 => assert_eq!(
            reply.body["detail"],
            "Invalid regular expression in a filter."
        ),
        200 => assert_eq!(reply.body["total"], 0),
        other => panic!("x{{300}} answered {other}"),
    }
}

#[tokio::test]
async fn views_store_filters_apart_and_drive_the_task_list() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = fixture(&app, project).await;
    let data = json!({"title": "Apples", "hiddenColumns": {"explore": ["tasks:inner_id"]},
        "filters": {"conjunction": "and", "items": [filter("data.text", "contains", "String", json!("apple"))]},
        "ordering": ["-tasks:id"]});
    let created = app
        .post("/api/dm/views/", json!({"project": project, "data": data}))
        .await
        .expect(201)
        .body;
    let view = created["id"].as_i64().unwrap();
    assert_eq!(created["project"], project);
    assert_eq!(created["order"], 0);
    assert_eq!(created["data"], data);
    let second = app
        .post(
            "/api/dm/views",
            json!({"project": project, "data": {"title": "All"}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(second["data"], json!({"title": "All"}));
    assert_eq!(
        app.get(&format!("/api/tasks/?view={}", second["id"]))
            .await
            .expect(200)
            .body["total"],
        6
    );

    let page = app
        .get(&format!("/api/tasks/?view={view}"))
        .await
        .expect(200)
        .body;
    let got: Vec<i64> = page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, pick(&ids, &[3, 0]));
    let other_project = app.create_project(TEXT_CONFIG).await;
    app.get(&format!("/api/tasks/?view={view}&project={other_project}"))
        .await
        .expect(400);

    // PATCH: filters replaced only with a conjunction, ordering kept when empty.
    let patched = app
        .patch(
            &format!("/api/dm/views/{view}/"),
            json!({"data": {"title": "Renamed", "filters": {"items": []}, "ordering": []}}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["data"]["title"], "Renamed");
    assert_eq!(patched["data"]["filters"], data["filters"]);
    assert_eq!(patched["data"]["ordering"], json!(["-tasks:id"]));
    let cleared = app
        .patch(
            &format!("/api/dm/views/{view}"),
            json!({"data": {"title": "Renamed", "filters": {"conjunction": "or", "items": []}}}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        cleared["data"]["filters"],
        json!({"conjunction": "or", "items": []})
    );
    assert_eq!(
        app.get(&format!("/api/tasks/?view={view}"))
            .await
            .expect(200)
            .body["total"],
        6
    );

    let listed = app
        .get(&format!("/api/dm/views/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    app.post(
        "/api/dm/views/order/",
        json!({"project": project, "ids": [second["id"], view]}),
    )
    .await
    .expect(200);
    let listed = app
        .get(&format!("/api/dm/views/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed[0]["id"], second["id"]);

    // PUT needs the project; the order of a view without filters is kept as given.
    let put = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/dm/views/{view}/"),
            Some(json!({"data": {"title": "x"}})),
        )
        .await
        .expect(400);
    assert_eq!(
        put.body["validation_errors"]["project"],
        json!(["This field is required."])
    );
    let placed = app
        .post(
            "/api/dm/views/",
            json!({"project": project, "order": 7, "data": {}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(placed["order"], 7);
    app.delete(&format!("/api/dm/views/{}/", placed["id"]))
        .await
        .expect(204);
    let empty_order = app
        .post(
            "/api/dm/views/order/",
            json!({"project": project, "ids": []}),
        )
        .await
        .expect(400);
    assert_eq!(
        empty_order.body["validation_errors"]["ids"],
        json!(["This list may not be empty."])
    );
    let no_project = app
        .call(reqwest::Method::DELETE, "/api/dm/views/reset/", None)
        .await
        .expect(400);
    assert_eq!(
        no_project.body["validation_errors"]["project"],
        json!(["This field may not be null."])
    );
    app.call(
        reqwest::Method::DELETE,
        "/api/dm/views/reset/?project=999999",
        None,
    )
    .await
    .expect(400);
    let blank = app
        .post("/api/dm/views/", json!({"project": project, "data": {"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:id"}]}}}))
        .await
        .expect(400);
    assert_eq!(
        blank.body["validation_errors"]["filter_group"]["filters"][0]["operator"],
        json!(["This field may not be blank."])
    );
    let bad_project = app.get("/api/tasks/?project=abc").await.expect(400);
    assert!(bad_project.body["validation_errors"]["project"]
        .as_str()
        .unwrap()
        .contains("digit string"));

    // Bad input changes nothing.
    let bad_column = app
        .post("/api/dm/views/", json!({"project": project, "data": {"filters": {"conjunction": "and", "items": [{"filter": "tasks:id", "operator": "equal", "type": "Number", "value": 1}]}}}))
        .await
        .expect(400);
    assert!(bad_column.text.contains("should start with"));
    app.post("/api/dm/views/", json!({"data": {}}))
        .await
        .expect(400);
    app.post("/api/dm/views/", json!({"project": 999999, "data": {}}))
        .await
        .expect(400);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/dm/views/{view}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        reqwest::Method::DELETE,
        &format!("/api/dm/views/{view}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        reqwest::Method::POST,
        "/api/dm/views/",
        Some(json!({"project": project, "data": {}})),
    )
    .await
    .expect(400);
    assert_eq!(
        app.get(&format!("/api/dm/views/?project={project}"))
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    app.delete(&format!("/api/dm/views/{view}/"))
        .await
        .expect(204);
    app.get(&format!("/api/dm/views/{view}/")).await.expect(404);
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/dm/views/reset/?project={project}"),
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        app.get(&format!("/api/dm/views/?project={project}"))
            .await
            .expect(200)
            .body,
        json!([])
    );
}

#[tokio::test]
async fn columns_and_project_for_the_data_manager() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    app.import(project, json!([{"data": {"text": "a", "meta_info": 1}, "predictions": [{"result": choice("Positive"), "model_version": "v7"}]}])).await;
    let columns = app
        .get(&format!("/api/dm/columns/?project={project}"))
        .await
        .expect(200)
        .body["columns"]
        .clone();
    let ids: Vec<&str> = columns
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "text",
            "meta_info",
            "id",
            "inner_id",
            "completed_at",
            "total_annotations",
            "cancelled_annotations",
            "total_predictions",
            "annotators",
            "annotations_results",
            "annotations_ids",
            "predictions_score",
            "predictions_model_versions",
            "predictions_results",
            "file_upload",
            "storage_filename",
            "created_at",
            "updated_at",
            "updated_by",
            "avg_lead_time",
            "draft_exists",
            "data"
        ]
    );
    assert_eq!(
        columns[0],
        json!({"id": "text", "title": "text", "type": "String", "target": "tasks", "parent": "data",
        "visibility_defaults": {"explore": true, "labeling": true}, "project_defined": true})
    );
    assert_eq!(columns[1]["type"], "Unknown");
    assert_eq!(columns[1]["visibility_defaults"]["labeling"], false);
    let admin = app.get("/api/current-user/whoami").await.expect(200).body["id"].clone();
    assert_eq!(columns[8]["schema"], json!({"items": [admin]}));
    assert_eq!(
        columns[12]["schema"],
        json!({"items": ["v7"], "multiple": true})
    );
    assert_eq!(columns[19]["type"], "Time");
    assert_eq!(
        columns[21],
        json!({"id": "data", "title": "data", "type": "List", "target": "tasks", "children": ["text", "meta_info"], "project_defined": false})
    );

    let dm = app
        .get(&format!("/api/dm/project/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(dm["id"], project);
    assert!(dm["task_number"].is_null());
    assert_eq!(
        (
            dm["task_count"].clone(),
            dm["annotation_count"].clone(),
            dm["can_delete_tasks"].clone()
        ),
        (json!(1), json!(0), json!(true))
    );
    app.get("/api/dm/columns/?project=999999").await.expect(404);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/dm/project/?project={project}"),
        None,
    )
    .await
    .expect(404);
}

/// `data` searches give the same tasks whether the substring index has reached them or not,
/// and the index follows data edits and deletions (SQLite's triggers; PostgreSQL's own index).
#[tokio::test]
async fn data_searches_agree_before_and_after_indexing() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let words = ["Apple pie", "Crème BRÛLÉE", "apple STRUDEL", "banana"];
    let texts: Vec<String> = (0..3000)
        .map(|i| format!("Row {i}: {}", words[i % words.len()]))
        .collect();
    let tasks: Vec<Value> = texts
        .iter()
        .map(|t| json!({"data": {"text": t, "meta": {"n": 1}}}))
        .collect();
    let ids: Vec<i64> = app.import_ids(project, json!(tasks)).await;
    let search = |text: &str| json!({"filters": {"conjunction": "and", "items": [filter("data.text", "contains", "String", json!(text))]}});
    let expected = |texts: &[String], needle: &str| {
        texts
            .iter()
            .filter(|t| t.to_lowercase().contains(&needle.to_lowercase()))
            .count() as i64
    };
    let needles = ["row 12", "CRÈME b", "STRUDEL", "ow 299", "no such words"];
    for needle in needles {
        assert_eq!(
            listed(&app, project, search(needle)).await.0,
            expected(&texts, needle),
            "{needle} before indexing"
        );
    }

    app.wait_for_search_index().await;
    let db = app.database().await;
    let compiled = |needle: &str| {
        let query = tessera_db::filters::parse_query(&search(needle)).unwrap();
        tessera_db::filters::CompiledQuery::new(db.conn().get_database_backend(), project, &query)
            .unwrap()
    };
    let chosen = tessera_db::queries::search::selective(db.conn(), &compiled("row 12"), 3000)
        .await
        .unwrap();
    if db.conn().get_database_backend() == sea_orm::DbBackend::Sqlite {
        assert_eq!(
            chosen,
            vec!["row 12".to_string()],
            "a rare search goes through the index"
        );
        let common = tessera_db::queries::search::selective(db.conn(), &compiled("apple"), 3000)
            .await
            .unwrap();
        assert!(
            common.is_empty(),
            "a search most tasks hold reads the tasks instead"
        );
    }
    for needle in needles {
        let (total, listed_ids) = listed(&app, project, search(needle)).await;
        assert_eq!(total, expected(&texts, needle), "{needle} after indexing");
        let wanted: Vec<i64> = ids
            .iter()
            .zip(&texts)
            .filter(|(_, t)| t.to_lowercase().contains(&needle.to_lowercase()))
            .map(|(id, _)| *id)
            .take(listed_ids.len())
            .collect();
        assert_eq!(
            listed_ids, wanted,
            "{needle} lists the matching tasks in id order"
        );
    }

    // Edited data is searched as edited; deleted tasks are gone from the results.
    app.patch(
        &format!("/api/tasks/{}/", ids[5]),
        json!({"data": {"text": "now it says no such words"}}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/tasks/{}/", ids[12]))
        .await
        .expect(204);
    let (total, found) = listed(&app, project, search("no such words")).await;
    assert_eq!((total, found), (1, vec![ids[5]]));
    assert_eq!(
        listed(&app, project, search("row 5:")).await.0,
        0,
        "the old text no longer matches"
    );
    assert_eq!(
        listed(&app, project, search("row 12")).await.0,
        expected(&texts, "row 12") - 1
    );
}

/// After many deletions the SQLite index is rebuilt behind the searches, which stay right.
#[tokio::test]
async fn search_index_rebuilds_after_mass_deletion() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks: Vec<Value> = (0..12_000)
        .map(|i| json!({"data": {"text": format!("Item {i} zebra")}}))
        .collect();
    app.import(project, json!(tasks)).await;
    app.wait_for_search_index().await;
    let by_inner = json!({"filters": {"conjunction": "and", "items": [filter("inner_id", "less_or_equal", "Number", json!(10_500))]},
                          "selectedItems": {"all": true, "excluded": []}});
    let deleted = app
        .post(
            &format!("/api/dm/actions/?project={project}&id=delete_tasks"),
            by_inner,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(deleted["processed_items"], 10_500);
    let search = |text: &str| json!({"filters": {"conjunction": "and", "items": [filter("data.text", "contains", "String", json!(text))]}});

    let db = app.database().await;
    if db.conn().get_database_backend() == sea_orm::DbBackend::Sqlite {
        assert!(
            tessera_db::queries::search::rebuild_if_stale(db.conn())
                .await
                .unwrap(),
            "10,500 of 12,000 entries are stale"
        );
        assert_eq!(
            listed(&app, project, search("item 11000 ")).await.0,
            1,
            "searches read the tasks while the index rebuilds"
        );
        app.wait_for_search_index().await;
        assert!(
            !tessera_db::queries::search::rebuild_if_stale(db.conn())
                .await
                .unwrap(),
            "a fresh index is not rebuilt"
        );
    }
    assert_eq!(listed(&app, project, search("item 11000 ")).await.0, 1);
    assert_eq!(listed(&app, project, search("item 100 ")).await.0, 0);
    assert_eq!(listed(&app, project, search("zebra")).await.0, 1_500);
}
