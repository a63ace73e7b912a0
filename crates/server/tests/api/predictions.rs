use reqwest::Method;
use serde_json::json;

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

#[tokio::test]
async fn prediction_crud_and_counters() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let task = app.import(project, json!([{"text": "a"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    let created = app.post("/api/predictions/", json!({"task": task, "result": choice("Positive"), "score": 0.5, "model_version": "m1"})).await.expect(201).body;
    assert_eq!(created["model_version"], "m1");
    assert_eq!(created["score"], 0.5);
    assert_eq!(created["mislabeling"], 0.0);
    assert_eq!(created["project"], project);
    assert!(
        created["cluster"].is_null()
            && created["neighbors"].is_null()
            && created["model"].is_null()
    );
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["total_predictions"],
        1
    );
    assert_eq!(app.project(project).await["total_predictions_number"], 1);

    let shorthand = app
        .post(
            "/api/predictions/",
            json!({"task": task, "result": "Negative"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        shorthand["result"],
        json!([{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}}])
    );
    let listed = app
        .get(&format!("/api/predictions/?task={task}"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let patched = app
        .patch(&format!("/api/predictions/{id}/"), json!({"score": 0.1}))
        .await
        .expect(200)
        .body;
    assert_eq!(patched["score"], 0.1);
    app.delete(&format!("/api/predictions/{id}/"))
        .await
        .expect(204);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["total_predictions"],
        1
    );
    assert_eq!(app.project(project).await["total_predictions_number"], 1);

    let missing = app
        .post("/api/predictions/", json!({"result": []}))
        .await
        .expect(400);
    assert_eq!(
        missing.body["validation_errors"]["task"],
        json!(["This field is required."])
    );
    app.post("/api/predictions/", json!({"task": task, "result": ["x"]}))
        .await
        .expect(400);
    let other = app.other_organization().await;
    app.call_as(
        &other,
        Method::POST,
        "/api/predictions/",
        Some(json!({"task": task, "result": []})),
    )
    .await
    .expect(400);
    assert_eq!(
        app.call_as(&other, Method::GET, "/api/predictions/", None)
            .await
            .body,
        json!([])
    );
    let remaining = shorthand["id"].as_i64().unwrap();
    app.call_as(
        &other,
        Method::GET,
        &format!("/api/predictions/{remaining}/"),
        None,
    )
    .await
    .expect(404);
}
