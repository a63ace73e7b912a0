use serde_json::json;

use crate::helpers::{TestApp, TEXT_CONFIG};

#[tokio::test]
async fn task_crud_with_seed_fields() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let created = app
        .post(
            "/api/tasks/",
            json!({"project": project, "data": {"text": "hello"}, "meta": {"source": "api"}}),
        )
        .await
        .expect(201)
        .body;
    for key in [
        "id",
        "data",
        "meta",
        "created_at",
        "updated_at",
        "is_labeled",
        "overlap",
        "project",
        "file_upload",
        "inner_id",
        "total_annotations",
        "cancelled_annotations",
        "total_predictions",
    ] {
        assert!(created.get(key).is_some(), "missing {key}");
    }
    assert!(created.get("annotations").is_none());
    assert_eq!(created["inner_id"], 1);
    assert_eq!(created["meta"], json!({"source": "api"}));
    let id = created["id"].as_i64().unwrap();
    let second = app
        .post(
            "/api/tasks",
            json!({"project": project, "data": {"text": "two"}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(second["inner_id"], 2);

    let detail = app.get(&format!("/api/tasks/{id}/")).await.expect(200).body;
    assert_eq!(detail["annotations"], json!([]));
    assert_eq!(detail["predictions"], json!([]));
    assert_eq!(detail["drafts"], json!([]));
    assert_eq!(detail["annotators"], json!([]));
    assert!(detail["completed_at"].is_null());

    let patched = app
        .patch(
            &format!("/api/tasks/{id}/"),
            json!({"data": {"text": "changed", "extra": 1}}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["data"], json!({"text": "changed", "extra": 1}));
    assert_eq!(patched["annotations"], json!([]));
    assert_eq!(app.project(project).await["task_number"], 2);

    app.delete(&format!("/api/tasks/{id}/")).await.expect(204);
    let gone = app.get(&format!("/api/tasks/{id}/")).await.expect(404);
    assert_eq!(gone.body["detail"], "No Task matches the given query.");
    assert_eq!(app.project(project).await["task_number"], 1);
}

#[tokio::test]
async fn task_writes_validate_input() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let missing = app
        .post("/api/tasks/", json!({"data": {"text": "x"}}))
        .await
        .expect(400);
    assert_eq!(
        missing.body["validation_errors"]["project"],
        json!(["This field is required."])
    );
    let no_data = app
        .post("/api/tasks/", json!({"project": project}))
        .await
        .expect(400);
    assert_eq!(
        no_data.body["validation_errors"]["data"],
        json!(["This field is required."])
    );
    // As the reference server answers: an unknown project is a 404, bad data a non-field error.
    let unknown = app
        .post(
            "/api/tasks/",
            json!({"project": 99999, "data": {"text": "x"}}),
        )
        .await
        .expect(404);
    assert_eq!(
        unknown.body["detail"],
        "No Project matches the given query."
    );
    app.post(
        "/api/tasks/",
        json!({"project": "abc", "data": {"text": "x"}}),
    )
    .await
    .expect(404);
    let scalar = app
        .post("/api/tasks/", json!({"project": project, "data": "text"}))
        .await
        .expect(400);
    assert_eq!(
        scalar.body["validation_errors"],
        json!({"non_field_errors": ["Task[data] must be dict or list"]})
    );
    let wrong = app
        .post(
            "/api/tasks/",
            json!({"project": project, "data": {"wrong": 1}}),
        )
        .await
        .expect(400);
    assert_eq!(
        wrong.body["validation_errors"],
        json!({"non_field_errors": ["\"text\" key is expected in task data [assume: item[\"data\"] = task root with values]"]})
    );
    let meta = app
        .post(
            "/api/tasks/",
            json!({"project": project, "data": {"text": "ok"}, "meta": "x"}),
        )
        .await
        .expect(400);
    assert_eq!(
        meta.body["validation_errors"],
        json!({"non_field_errors": ["Task[meta] must be dict or list"]})
    );
    assert_eq!(app.project(project).await["task_number"], 0);
}

#[tokio::test]
async fn data_manager_listing_pages_and_totals() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks: Vec<_> = (0..5).map(|i| json!({"data": {"text": format!("t{i}")}, "predictions": [{"result": "Positive", "score": 0.5}]})).collect();
    app.import(project, json!(tasks)).await;
    let page = app
        .get(&format!("/api/tasks/?project={project}&page_size=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(page["total"], 5);
    assert_eq!(page["total_predictions"], 5);
    assert_eq!(page["total_annotations"], 0);
    assert_eq!(page["tasks"].as_array().unwrap().len(), 2);
    assert!(
        page["tasks"][0].get("annotations").is_none(),
        "without fields=all"
    );
    assert!(
        page["tasks"][0].get("predictions_score").is_none(),
        "computed per request, as Label Studio, only when asked"
    );
    let all = app
        .get(&format!(
            "/api/tasks/?project={project}&fields=all&page=3&page_size=2"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(all["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(all["tasks"][0]["predictions"][0]["score"], 0.5);
    assert_eq!(all["tasks"][0]["predictions_score"], 0.5);
    let past = app
        .get(&format!("/api/tasks/?project={project}&page=4&page_size=2"))
        .await
        .expect(404);
    assert_eq!(past.body["detail"], "Invalid page.");
    let first = all["tasks"][0]["id"].as_i64().unwrap() - 4;
    app.delete(&format!("/api/tasks/{first}/"))
        .await
        .expect(204);
    let after_delete = app
        .get(&format!("/api/tasks/?project={project}&page=2&page_size=2"))
        .await
        .expect(200)
        .body;
    let ids: Vec<i64> = after_delete["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![first + 3, first + 4],
        "paging stays right after a deletion leaves a gap"
    );
    assert_eq!(after_delete["total"], 4);
    let neither = app.get("/api/tasks/").await.expect(404);
    assert_eq!(
        neither.body,
        json!({"detail": "Neither project nor view id specified"})
    );
}

#[tokio::test]
async fn project_task_list_is_a_bare_list() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    app.import(
        project,
        json!([{"text": "a"}, {"text": "b"}, {"text": "c"}]),
    )
    .await;
    let list = app
        .get(&format!("/api/projects/{project}/tasks/"))
        .await
        .expect(200)
        .body;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[0]["annotations"], json!([]));
    let paged = app
        .get(&format!(
            "/api/projects/{project}/tasks/?page=2&page_size=2"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(paged.as_array().unwrap().len(), 1);
    let past = app
        .get(&format!(
            "/api/projects/{project}/tasks/?page=3&page_size=2"
        ))
        .await
        .expect(404);
    assert_eq!(past.body["detail"], "Not found.");
    let all = app
        .get(&format!("/api/projects/{project}/tasks/?page_size=-1"))
        .await
        .expect(200)
        .body;
    assert_eq!(all.as_array().unwrap().len(), 3);

    app.delete(&format!("/api/projects/{project}/tasks/"))
        .await
        .expect(204);
    assert_eq!(app.project(project).await["task_number"], 0);
    assert_eq!(
        app.get(&format!("/api/projects/{project}/tasks/"))
            .await
            .body,
        json!([])
    );
}

#[tokio::test]
async fn is_labeled_follows_maximum_annotations() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = app.import(project, json!([{"text": "a"}])).await["task_ids"].clone();
    let task = ids[0].as_i64().unwrap();
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"maximum_annotations": 2}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["overlap"],
        2
    );
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": crate::helpers::choice("Positive")}),
    )
    .await
    .expect(201);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["is_labeled"],
        false
    );
    let other = app.annotator_of("second@example.com", project).await;
    app.call_as(
        &other,
        reqwest::Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(json!({"result": crate::helpers::choice("Negative")})),
    )
    .await
    .expect(201);
    let detail = app.get(&format!("/api/tasks/{task}/")).await.body;
    assert_eq!(detail["is_labeled"], true);
    assert!(detail["completed_at"].is_string());
    assert_eq!(app.project(project).await["finished_task_number"], 1);
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"maximum_annotations": 3}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["is_labeled"],
        false
    );
    assert_eq!(app.project(project).await["finished_task_number"], 0);
}
