use reqwest::Method;
use serde_json::json;

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

async fn project_with_task(app: &TestApp) -> (i64, i64) {
    let project = app.create_project(TEXT_CONFIG).await;
    let task = app
        .import(project, json!([{"text": "John works at Acme"}]))
        .await["task_ids"][0]
        .as_i64()
        .unwrap();
    (project, task)
}

#[tokio::test]
async fn annotation_lifecycle_keeps_counters_right() {
    let app = TestApp::spawn().await;
    let (project, task) = project_with_task(&app).await;
    let created = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": choice("Positive"), "lead_time": 3.5}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["completed_by"], 1);
    assert_eq!(created["created_username"], " admin@example.com, 1");
    assert_eq!(created["created_ago"], "0\u{a0}minutes");
    assert_eq!(created["ground_truth"], false);
    assert_eq!(created["lead_time"], 3.5);
    assert_eq!(created["task"], task);
    assert_eq!(created["project"], project);
    for key in [
        "was_cancelled",
        "created_at",
        "updated_at",
        "draft_created_at",
        "import_id",
        "last_action",
        "bulk_created",
        "updated_by",
        "parent_prediction",
        "parent_annotation",
        "last_created_by",
    ] {
        assert!(created.get(key).is_some(), "missing {key}");
    }
    let id = created["id"].as_i64().unwrap();
    let task_view = app.get(&format!("/api/tasks/{task}/")).await.body;
    assert_eq!(task_view["total_annotations"], 1);
    assert_eq!(task_view["is_labeled"], true);
    assert_eq!(
        task_view["annotations"][0]["completed_by"]["email"],
        "admin@example.com"
    );
    assert_eq!(
        task_view["updated_by"],
        json!([{"user_id": 1}]),
        "the annotation stamps the task"
    );
    let p = app.project(project).await;
    assert_eq!(
        (
            p["total_annotations_number"].clone(),
            p["useful_annotation_number"].clone(),
            p["num_tasks_with_annotations"].clone(),
            p["finished_task_number"].clone()
        ),
        (json!(1), json!(1), json!(1), json!(1))
    );
    assert_eq!(p["queue_done"], 1);

    assert_eq!(
        app.get(&format!("/api/annotations/{id}/"))
            .await
            .expect(200)
            .body["result"],
        choice("Positive")
    );
    let list = app
        .get(&format!("/api/tasks/{task}/annotations/"))
        .await
        .expect(200)
        .body;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let patched = app
        .patch(
            &format!("/api/annotations/{id}/"),
            json!({"result": choice("Negative"), "ground_truth": true}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        patched["result"][0]["value"]["choices"],
        json!(["Negative"])
    );
    let p = app.project(project).await;
    assert_eq!(p["ground_truth_number"], 1);
    assert_eq!(p["useful_annotation_number"], 0);
    assert_eq!(p["num_tasks_with_annotations"], 0);

    app.delete(&format!("/api/annotations/{id}/"))
        .await
        .expect(204);
    app.get(&format!("/api/annotations/{id}/"))
        .await
        .expect(404);
    let p = app.project(project).await;
    assert_eq!(
        (
            p["total_annotations_number"].clone(),
            p["ground_truth_number"].clone(),
            p["finished_task_number"].clone()
        ),
        (json!(0), json!(0), json!(0))
    );
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["is_labeled"],
        false
    );
}

#[tokio::test]
async fn skips_count_as_cancelled() {
    let app = TestApp::spawn().await;
    let (project, task) = project_with_task(&app).await;
    app.post(
        &format!("/api/tasks/{task}/annotations/?was_cancelled=1"),
        json!({"result": []}),
    )
    .await
    .expect(201);
    let view = app.get(&format!("/api/tasks/{task}/")).await.body;
    assert_eq!(view["cancelled_annotations"], 1);
    assert_eq!(view["total_annotations"], 0);
    assert_eq!(view["is_labeled"], false);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/annotations/"))
            .await
            .body,
        json!([]),
        "the list hides skips"
    );
    let p = app.project(project).await;
    assert_eq!(p["skipped_annotations_number"], 1);
    assert_eq!(
        (p["queue_total"].clone(), p["queue_done"].clone()),
        (json!(1), json!(1)),
        "a skip counts as done for the skipper"
    );
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"skip_queue": "REQUEUE_FOR_ME"}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.project(project).await["queue_done"],
        0,
        "unless skips come back to the skipper"
    );
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"skip_queue": "IGNORE_SKIPPED"}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["is_labeled"],
        true
    );
    assert_eq!(app.project(project).await["finished_task_number"], 1);
}

#[tokio::test]
async fn bad_annotations_are_refused() {
    let app = TestApp::spawn().await;
    let (project, task) = project_with_task(&app).await;
    let not_list = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": {"a": 1}}),
        )
        .await
        .expect(400);
    assert_eq!(
        not_list.body["validation_errors"]["result"],
        json!(["annotation \"result\" field in annotation must be list"])
    );
    let null = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": null}),
        )
        .await
        .expect(400);
    assert_eq!(
        null.body["validation_errors"]["result"],
        json!(["This field may not be null."])
    );
    let unknown_control = json!([{"from_name": "nope", "to_name": "text", "type": "choices", "value": {"choices": ["x"]}}]);
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": unknown_control}),
    )
    .await
    .expect(400);
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [], "completed_by": 4242}),
    )
    .await
    .expect(400);
    app.post("/api/tasks/99999/annotations/", json!({"result": []}))
        .await
        .expect(404);
    let foreign = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": [], "parent_prediction": 424242}),
        )
        .await
        .expect(400);
    assert_eq!(
        foreign.body["validation_errors"]["parent_prediction"],
        json!(["Invalid pk \"424242\" - object does not exist."])
    );
    app.get("/api/annotations/not-a-number/").await.expect(404);
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": [], "unique_id": "same-id"}),
    )
    .await
    .expect(201);
    let duplicate = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": [], "unique_id": "same-id"}),
        )
        .await
        .expect(409);
    assert_eq!(
        duplicate.body["detail"],
        "Annotation with this unique id already exists"
    );
    assert_eq!(app.project(project).await["total_annotations_number"], 1);

    let other = app.other_organization().await;
    app.call_as(
        &other,
        Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(json!({"result": []})),
    )
    .await
    .expect(404);
    let mine = app
        .get(&format!("/api/tasks/{task}/annotations/"))
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap();
    app.call_as(
        &other,
        Method::GET,
        &format!("/api/annotations/{mine}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &other,
        Method::DELETE,
        &format!("/api/annotations/{mine}/"),
        None,
    )
    .await
    .expect(404);
    assert_eq!(app.project(project).await["total_annotations_number"], 1);
}

#[tokio::test]
async fn annotation_records_the_prediction_it_started_from() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let task = app
        .import(project, json!([{"data": {"text": "a"}, "predictions": [{"result": choice("Positive"), "model_version": "m1", "score": 0.8}]}]))
        .await["task_ids"][0]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": choice("Positive")}),
    )
    .await
    .expect(201);
    let export = app
        .get(&format!("/api/projects/{project}/export?exportType=JSON"))
        .await
        .expect(200)
        .body;
    let annotation = &export[0]["annotations"][0];
    assert_eq!(annotation["prediction"]["model_version"], "m1");
    assert_eq!(annotation["prediction"]["score"], 0.8);
    assert_eq!(annotation["result_count"], 1);
}

#[tokio::test]
async fn concurrent_writes_keep_counters_and_inner_ids_consistent() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let project = app.create_project(TEXT_CONFIG).await;
    let ids: Vec<i64> = app
        .import_ids(
            project,
            json!((0..5)
                .map(|i| json!({"text": format!("t{i}")}))
                .collect::<Vec<_>>()),
        )
        .await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        let task = ids[i % ids.len()];
        handles.push(tokio::spawn(async move {
            app.post(
                &format!("/api/tasks/{task}/annotations/"),
                json!({"result": choice("Positive")}),
            )
            .await
            .status
            .as_u16()
        }));
    }
    for i in 0..3 {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            let tasks: Vec<_> = (0..10)
                .map(|j| json!({"text": format!("batch {i} task {j}")}))
                .collect();
            app.post(&format!("/api/projects/{project}/import"), json!(tasks))
                .await
                .status
                .as_u16()
        }));
    }
    for handle in handles {
        assert!(matches!(handle.await.unwrap(), 201), "every write succeeds");
    }
    let p = app.project(project).await;
    assert_eq!(p["task_number"], 35);
    assert_eq!(p["total_annotations_number"], 40);
    assert_eq!(p["num_tasks_with_annotations"], 5);
    for task in &ids {
        assert_eq!(
            app.get(&format!("/api/tasks/{task}/")).await.body["total_annotations"],
            8
        );
    }
    let all = app
        .get(&format!("/api/projects/{project}/tasks/?page_size=-1"))
        .await
        .body;
    let mut inner: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["inner_id"].as_i64().unwrap())
        .collect();
    inner.sort_unstable();
    assert_eq!(
        inner,
        (1..=35).collect::<Vec<_>>(),
        "inner ids are unique and gapless"
    );
}
