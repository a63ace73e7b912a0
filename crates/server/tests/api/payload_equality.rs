//! The JSON export writes its documents from stored JSON text — whole tasks by the database, or
//! byte by byte when `$undefined$` keys need renaming — for speed. Both must equal the Rust
//! rendering in `tessera_core::payload` (`export_task_out`, `export_annotation_out`), field
//! order and number forms included, on a varied corpus.

use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use tessera_core::payload::{
    export_annotation_out, export_task_out, first_data_key, ExportTaskOut,
};
use tessera_db::entities::{annotation, file_upload, prediction, project, task, user};

use crate::helpers::{choice, TestApp, TEXT_CONFIG, TOKEN};

/// The Rust rendering of `project`'s JSON export, from the database rows.
async fn rendered(app: &TestApp, project_id: i64, only_id: bool) -> Value {
    let db = app.database().await;
    let conn = db.conn();
    let project = project::Entity::find_by_id(project_id)
        .one(conn)
        .await
        .unwrap()
        .expect("project");
    let first_key = first_data_key(&project);
    let tasks = task::Entity::find()
        .filter(task::Column::ProjectId.eq(project_id))
        .order_by_asc(task::Column::Id)
        .all(conn)
        .await
        .unwrap();
    let mut out: Vec<ExportTaskOut> = Vec::new();
    for t in &tasks {
        let annotations = annotation::Entity::find()
            .filter(annotation::Column::TaskId.eq(t.id))
            .order_by_asc(annotation::Column::Id)
            .all(conn)
            .await
            .unwrap();
        let mut rendered_annotations = Vec::new();
        for a in &annotations {
            let author = match a.completed_by_id {
                Some(id) => user::Entity::find_by_id(id).one(conn).await.unwrap(),
                None => None,
            };
            rendered_annotations.push(export_annotation_out(a, author.as_ref(), only_id));
        }
        let predictions = prediction::Entity::find()
            .filter(prediction::Column::TaskId.eq(t.id))
            .order_by_asc(prediction::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        let upload = match t.file_upload_id {
            Some(id) => file_upload::Entity::find_by_id(id)
                .one(conn)
                .await
                .unwrap()
                .map(|u| u.file.rsplit('/').next().unwrap().to_string()),
            None => None,
        };
        out.push(export_task_out(
            t,
            rendered_annotations,
            upload,
            predictions,
            first_key.as_deref(),
        ));
    }
    serde_json::to_value(out).unwrap()
}

/// The export as served, parsed (key order kept).
async fn exported(app: &TestApp, project: i64, only_id: bool) -> Value {
    let reply = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&download_all_tasks=true&annotations__completed_by__only_id={only_id}"
        ))
        .await
        .expect(200);
    serde_json::from_str(&reply.text).expect("the export is JSON")
}

/// Compares the served export with the rendering as text, so that key order and number forms
/// (`2.0` against `2`) count.
async fn assert_export_equals_rendering(app: &TestApp, project: i64) {
    for only_id in [false, true] {
        let served = serde_json::to_string_pretty(&exported(app, project, only_id).await).unwrap();
        let reference =
            serde_json::to_string_pretty(&rendered(app, project, only_id).await).unwrap();
        assert_eq!(
            served, reference,
            "export (left) and Rust rendering (right) differ, only_id={only_id}"
        );
    }
}

#[tokio::test]
async fn the_database_written_export_equals_the_rust_rendering() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = app
        .import_ids(
            project,
            json!([
                {
                    "data": {"text": "naïve café — 日本語 🎉 \"quoted\" \\ back\nslash\ttab \u{0007}"},
                    "meta": {"source": "ünï", "none": null, "list": [1, 2.5, "x"]},
                    "annotations": [{"result": choice("Positive"), "lead_time": 2.0, "ground_truth": true}],
                    "predictions": [{"result": choice("Negative"), "score": 0.5, "model_version": "v1"}, {"result": choice("Positive"), "model_version": "v2"}]
                },
                {
                    "data": {"text": "nulls and nesting", "extra": null, "nested": {"a": [1, {"b": null}], "deep": {"x": {"y": [true, false, 1.5e10, -0.0]}}}},
                    "annotations": [{"result": [], "was_cancelled": true, "lead_time": 1.25}]
                },
                {"data": {"text": "no annotations yet", "big": 12345678901234_i64, "small": 0.1}},
                {
                    "data": {"text": "   two annotators  "},
                    "annotations": [{"result": choice("Negative")}, {"result": choice("Positive"), "lead_time": 0}]
                }
            ]),
        )
        .await;
    // Written through the API: an annotation later updated, a draft (exports list none).
    let created = app
        .post(
            &format!("/api/tasks/{}/annotations/", ids[2]),
            json!({"result": choice("Negative"), "lead_time": 3.5}),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/api/annotations/{}/", created.body["id"]),
        json!({"result": choice("Positive"), "lead_time": 7.0}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/tasks/{}/drafts", ids[0]),
        json!({"result": choice("Negative"), "lead_time": 1.0}),
    )
    .await
    .expect(201);
    assert_export_equals_rendering(&app, project).await;
}

#[tokio::test]
async fn the_row_by_row_export_of_renamed_keys_equals_the_rust_rendering() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    // A text file's lines are stored under `$undefined$`, renamed to `text` on the way out.
    let form = Form::new().part(
        "file",
        Part::bytes(
            "première ligne\nsecond line \"quoted\"\n"
                .as_bytes()
                .to_vec(),
        )
        .file_name("lines.txt"),
    );
    let reply = app
        .client
        .post(format!("{}/api/projects/{project}/import", app.base))
        .header("Authorization", format!("Token {TOKEN}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    let task = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .body["tasks"][0]["id"]
        .clone();
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": choice("Positive"), "lead_time": 4.0, "was_cancelled": false}),
    )
    .await
    .expect(201);
    let exported = exported(&app, project, false).await;
    assert!(exported[0]["file_upload"]
        .as_str()
        .unwrap()
        .ends_with("-lines.txt"));
    assert_eq!(exported[0]["data"], json!({"text": "première ligne"}));
    assert_export_equals_rendering(&app, project).await;
}
