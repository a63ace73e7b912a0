//! Data Manager bulk actions: each keeps every counter right and changes nothing on bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

async fn run(app: &TestApp, project: i64, action: &str, body: Value) -> Value {
    app.post(
        &format!("/api/dm/actions/?project={project}&id={action}"),
        body,
    )
    .await
    .expect(200)
    .body
}

fn only(ids: &[i64]) -> Value {
    json!({"selectedItems": {"all": false, "included": ids}})
}

fn counters(project: &Value) -> [i64; 5] {
    [
        "task_number",
        "total_annotations_number",
        "skipped_annotations_number",
        "total_predictions_number",
        "finished_task_number",
    ]
    .map(|key| project[key].as_i64().unwrap())
}

/// Four tasks: two annotated (one by a second user), one skipped, predictions v1/v2.
async fn fixture(app: &TestApp) -> (i64, Vec<i64>, String) {
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks = json!([
        {"data": {"text": "a"}, "predictions": [{"result": choice("Positive"), "model_version": "v1", "score": 0.5}]},
        {"data": {"text": "b"}, "predictions": [{"result": choice("Negative"), "model_version": "v2"}]},
        {"data": {"text": "c"}},
        {"data": {"text": "d"}, "predictions": [{"result": choice("Positive"), "model_version": "v1"}]}
    ]);
    let ids: Vec<i64> = app.import_ids(project, tasks).await;
    let second = app.annotator_of("second@example.com", project).await;
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[0]),
        json!({"result": choice("Positive")}),
    )
    .await
    .expect(201);
    app.call_as(
        &second,
        Method::POST,
        &format!("/api/tasks/{}/annotations/", ids[1]),
        Some(json!({"result": choice("Negative")})),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[2]),
        json!({"result": [], "was_cancelled": true}),
    )
    .await
    .expect(201);
    (project, ids, second)
}

#[tokio::test]
async fn lists_actions_and_their_forms() {
    let app = TestApp::spawn().await;
    let (project, _, _) = fixture(&app).await;
    let listed = app
        .get(&format!("/api/dm/actions/?project={project}"))
        .await
        .expect(200)
        .body;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "retrieve_tasks_predictions",
            "predictions_to_annotations",
            "remove_duplicates",
            "delete_tasks",
            "delete_tasks_annotations",
            "delete_tasks_predictions",
            "delete_ground_truths"
        ]
    );
    let delete = &listed[3];
    assert_eq!(
        (
            delete["order"].clone(),
            delete["permission"].clone(),
            delete["reload"].clone()
        ),
        (json!(100), json!("tasks.delete"), json!(true))
    );
    assert_eq!(
        listed[2]["permission"],
        json!(["projects.change", "tasks.delete"])
    );
    assert_eq!(listed[1]["dialog"]["form"], Value::Null);
    assert!(listed[1]["dialog"]
        .as_object()
        .unwrap()
        .contains_key("form"));
    assert_eq!(listed[1]["dialog"]["type"], "confirm");

    let form = app
        .get(&format!(
            "/api/dm/actions/delete_tasks_annotations/form/?project={project}"
        ))
        .await
        .expect(200)
        .body;
    let options: Vec<&str> = form[0]["fields"][0]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_str().unwrap())
        .collect();
    assert_eq!(options.len(), 2);
    assert_eq!(form[0]["fields"][0]["name"], "annotator");
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"model_version": "v2"}),
    )
    .await
    .expect(200);
    let versions = app
        .get(&format!(
            "/api/dm/actions/predictions_to_annotations/form/?project={project}"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(versions[0]["fields"][0]["options"], json!(["v2", "v1"]));
    assert_eq!(versions[0]["fields"][0]["value"], "v2");
}

#[tokio::test]
async fn delete_actions_keep_counters_right() {
    let app = TestApp::spawn().await;
    let (project, ids, second) = fixture(&app).await;
    assert_eq!(counters(&app.project(project).await), [4, 2, 1, 3, 2]);
    let second_id = app
        .call_as(&second, Method::GET, "/api/current-user/whoami", None)
        .await
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();

    app.call(
        Method::POST,
        &format!("/api/tasks/{}/drafts", ids[1]),
        Some(json!({"result": []})),
    )
    .await
    .expect(201);
    let deleted = run(
        &app,
        project,
        "delete_tasks_annotations",
        json!({"selectedItems": {"all": true, "excluded": []}, "annotator": second_id.to_string()}),
    )
    .await;
    assert_eq!(
        deleted,
        json!({"processed_items": 1, "detail": "Deleted 1 annotations"})
    );
    assert_eq!(counters(&app.project(project).await), [4, 1, 1, 3, 1]);
    assert_eq!(
        app.get(&format!("/api/tasks/{}/drafts", ids[1]))
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the annotator's drafts go"
    );

    let predictions = run(
        &app,
        project,
        "delete_tasks_predictions",
        only(&[ids[0], ids[2]]),
    )
    .await;
    assert_eq!(
        predictions,
        json!({"processed_items": 1, "detail": "Deleted 1 predictions"})
    );
    assert_eq!(counters(&app.project(project).await), [4, 1, 1, 2, 1]);
    assert_eq!(
        app.get(&format!("/api/tasks/{}/", ids[0]))
            .await
            .expect(200)
            .body["total_predictions"],
        0
    );

    // Ids of other projects in the selection are ignored.
    let other = app.create_project(TEXT_CONFIG).await;
    let foreign = app.import(other, json!([{"text": "x"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let tasks = run(&app, project, "delete_tasks", only(&[ids[0], foreign])).await;
    assert_eq!(
        tasks,
        json!({"processed_items": 1, "reload": false, "detail": "Deleted 1 tasks"})
    );
    assert_eq!(counters(&app.project(project).await), [3, 0, 1, 2, 0]);
    app.get(&format!("/api/tasks/{foreign}/")).await.expect(200);

    // An empty explicit selection means every task; the emptied project loses its tabs.
    app.post(
        "/api/dm/views/",
        json!({"project": project, "data": {"title": "tab"}}),
    )
    .await
    .expect(201);
    let all = run(&app, project, "delete_tasks", only(&[])).await;
    assert_eq!(
        all,
        json!({"processed_items": 3, "reload": true, "detail": "Deleted 3 tasks"})
    );
    assert_eq!(counters(&app.project(project).await), [0, 0, 0, 0, 0]);
    assert_eq!(
        app.get(&format!("/api/dm/views/?project={project}"))
            .await
            .expect(200)
            .body,
        json!([])
    );
}

#[tokio::test]
async fn predictions_become_annotations_once() {
    let app = TestApp::spawn().await;
    let (project, ids, _) = fixture(&app).await;
    let created = run(
        &app,
        project,
        "predictions_to_annotations",
        json!({"selectedItems": {"all": true, "excluded": []}, "model_version": "v1"}),
    )
    .await;
    assert_eq!(created, json!({"detail": "Created 2 annotations"}));
    let again = run(
        &app,
        project,
        "predictions_to_annotations",
        json!({"selectedItems": {"all": true, "excluded": []}, "model_version": ["v1", "v2"]}),
    )
    .await;
    assert_eq!(again, json!({"detail": "Created 1 annotations"}));
    let task = app
        .get(&format!("/api/tasks/{}/", ids[3]))
        .await
        .expect(200)
        .body;
    assert_eq!(task["total_annotations"], 1);
    assert_eq!(task["is_labeled"], true);
    let annotation = &task["annotations"][0];
    assert_eq!(annotation["result"], choice("Positive"));
    assert!(annotation["parent_prediction"].is_i64());
    assert_eq!(counters(&app.project(project).await), [4, 5, 1, 3, 3]);
}

#[tokio::test]
async fn remove_duplicates_merges_annotations_into_one_task() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks = json!([
        {"data": {"text": "dup"}},
        {"data": {"text": "dup"}, "annotations": [{"result": choice("Positive")}]},
        {"data": {"text": "dup"}, "annotations": [{"result": choice("Negative")}]},
        {"data": {"text": "one", "n": 1}},
        {"data": {"text": "one", "n": 1.0}}
    ]);
    let ids: Vec<i64> = app.import_ids(project, tasks).await;
    assert_eq!(
        run(
            &app,
            project,
            "remove_duplicates",
            json!({"selectedItems": {"all": true}})
        )
        .await,
        json!({})
    );
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    let left: Vec<i64> = page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(left, [ids[1], ids[3], ids[4]]);
    assert_eq!(page["tasks"][0]["total_annotations"], 2);
    assert_eq!(counters(&app.project(project).await)[..2], [3, 2]);
}

#[tokio::test]
async fn ground_truths_and_retrieval() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = app
        .import(
            project,
            json!([{"data": {"text": "a"}, "annotations": [{"result": choice("Positive")}]}]),
        )
        .await["task_ids"]
        .clone();
    assert_eq!(app.project(project).await["ground_truth_number"], 1);
    let cleared = run(&app, project, "delete_ground_truths", json!({})).await;
    assert_eq!(
        cleared,
        json!({"processed_items": 1, "detail": "Deleted 1 ground truths"})
    );
    assert_eq!(app.project(project).await["ground_truth_number"], 0);
    let task = app
        .get(&format!("/api/tasks/{}/", ids[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(task["annotations"][0]["ground_truth"], false);
    let retrieved = run(&app, project, "retrieve_tasks_predictions", json!({})).await;
    // Label Studio counts the selected tasks, with or without a model to ask.
    assert_eq!(
        retrieved["processed_items"],
        app.project(project).await["task_number"]
    );
    assert!(retrieved["detail"]
        .as_str()
        .unwrap()
        .contains("No ML backend"));
}

#[tokio::test]
async fn bad_action_requests_change_nothing() {
    let app = TestApp::spawn().await;
    let (project, ids, _) = fixture(&app).await;
    let before = counters(&app.project(project).await);
    let no_id = app
        .post(&format!("/api/dm/actions/?project={project}"), only(&ids))
        .await
        .expect(422);
    assert_eq!(
        no_id.body,
        json!({"detail": "No action id \"None\", use ?id=<action-id>"})
    );
    let unknown = app
        .post(
            &format!("/api/dm/actions/?project={project}&id=explode"),
            only(&ids),
        )
        .await
        .expect(400);
    assert_eq!(
        unknown.body["detail"],
        "Can't find 'explode' in registered actions"
    );
    app.post("/api/dm/actions/?id=delete_tasks", only(&ids))
        .await
        .expect(404);
    let bad_filter = json!({"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:nonexistent", "operator": "equal", "type": "Number", "value": 5}]}});
    app.post(
        &format!("/api/dm/actions/?project={project}&id=delete_tasks"),
        bad_filter,
    )
    .await
    .expect(400);
    app.post(
        &format!("/api/dm/actions/?project={project}&id=delete_tasks_annotations"),
        json!({"annotator": "abc"}),
    )
    .await
    .expect(400);
    app.post(
        &format!("/api/dm/actions/?project={project}&id=delete_tasks"),
        json!({"selectedItems": {"all": false, "included": "1"}}),
    )
    .await
    .expect(400);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::POST,
        &format!("/api/dm/actions/?project={project}&id=delete_tasks"),
        Some(only(&ids)),
    )
    .await
    .expect(404);
    assert_eq!(counters(&app.project(project).await), before);
    // A filtered selection deletes only what matches.
    let filtered = json!({"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": ids[3]}]}, "selectedItems": {"all": true, "excluded": []}});
    assert_eq!(
        run(&app, project, "delete_tasks", filtered).await["processed_items"],
        1
    );
}
