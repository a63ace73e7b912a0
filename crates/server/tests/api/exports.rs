use serde_json::json;

use crate::helpers::{choice, unzip, TestApp, TEXT_CONFIG};

/// A project with one annotated task (choices + NER), one with a prediction only, one skipped.
async fn fixture(app: &TestApp) -> (i64, Vec<i64>) {
    let project = app.create_project(TEXT_CONFIG).await;
    let ids: Vec<i64> = app
        .import_ids(project, json!([{"text": "John likes cats", "meta_col": 5}, {"text": "Nothing here", "meta_col": 7}, {"text": "Skipped", "meta_col": 9}])).await;
    let mut result = choice("Positive");
    result.as_array_mut().unwrap().push(json!({"id": "r2", "from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 4, "text": "John", "labels": ["PER"]}}));
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[0]),
        json!({"result": result, "lead_time": 4.2}),
    )
    .await
    .expect(201);
    app.post(
        "/api/predictions/",
        json!({"task": ids[1], "result": choice("Negative"), "score": 0.87, "model_version": "v1"}),
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

#[tokio::test]
async fn json_export_in_the_seed_format() {
    let app = TestApp::spawn().await;
    let (project, ids) = fixture(&app).await;
    let reply = app
        .get(&format!("/api/projects/{project}/export?exportType=JSON"))
        .await
        .expect(200);
    assert_eq!(reply.headers["content-type"], "application/json");
    let disposition = reply.headers["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"project-{project}-at-"))
            && disposition.ends_with(".json\"")
    );
    assert_eq!(
        format!(
            "attachment; filename=\"{}\"",
            reply.headers["filename"].to_str().unwrap()
        ),
        disposition
    );
    let tasks = reply.body.as_array().unwrap();
    assert_eq!(
        tasks.len(),
        2,
        "annotated tasks only, skipped ones included"
    );
    let task = &tasks[0];
    assert_eq!(task["id"], ids[0]);
    assert_eq!(
        task["data"],
        json!({"text": "John likes cats", "meta_col": 5})
    );
    let annotation = &task["annotations"][0];
    assert_eq!(
        annotation["completed_by"],
        json!({"id": 1, "email": "admin@example.com", "first_name": "", "last_name": ""})
    );
    assert_eq!(
        annotation["result"].as_array().unwrap().len(),
        2,
        "result is a single list"
    );
    for key in [
        "was_cancelled",
        "ground_truth",
        "created_at",
        "updated_at",
        "lead_time",
        "prediction",
        "result_count",
        "task",
    ] {
        assert!(annotation.get(key).is_some(), "missing {key}");
    }
    assert_eq!(annotation["task"], ids[0]);
    assert_eq!(annotation["result_count"], 2);
    assert!(annotation.get("aggregated").is_none() && task.get("completions").is_none());
    let keys: Vec<&String> = task.as_object().unwrap().keys().collect();
    assert_eq!(
        &keys[..6].iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        &["id", "annotations", "drafts", "predictions", "data", "meta"]
    );

    let only_id = app.get(&format!("/api/projects/{project}/export?exportType=JSON&annotations__completed_by__only_id=true")).await.expect(200).body;
    assert_eq!(only_id[0]["annotations"][0]["completed_by"], 1);

    let all = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&download_all_tasks=true"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let prediction_ids = all[1]["predictions"].as_array().unwrap();
    assert_eq!(prediction_ids.len(), 1);
    assert!(
        prediction_ids[0].is_i64(),
        "predictions are listed by id, as Label Studio"
    );

    let picked = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&download_all_tasks=true&ids[]={}",
            ids[1]
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(picked.as_array().unwrap().len(), 1);
    assert_eq!(picked[0]["id"], ids[1]);
    let sdk_style = app.get(&format!("/api/projects/{project}/export?download_all_tasks=true&download_resources=true&export_type=JSON")).await.expect(200).body;
    assert_eq!(sdk_style.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn flat_formats_match_label_studio() {
    let app = TestApp::spawn().await;
    let (project, ids) = fixture(&app).await;
    let min = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON_MIN&download_all_tasks=true"
        ))
        .await
        .expect(200);
    assert!(min
        .text
        .starts_with("[\n{\n  \"text\": \"John likes cats\",\n  \"meta_col\": 5,\n"));
    let rows = min.body.as_array().unwrap();
    assert_eq!(rows.len(), 2, "the all-skipped task has no row");
    assert_eq!(rows[0]["sentiment"], "Positive");
    assert_eq!(
        rows[0]["ner"],
        json!([{"start": 0, "end": 4, "text": "John", "labels": ["PER"]}])
    );
    assert_eq!(rows[0]["annotator"], 1);
    assert_eq!(rows[1]["id"], ids[1]);
    assert!(rows[1]["annotation_id"].is_null());

    let csv = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=CSV&download_all_tasks=true"
        ))
        .await
        .expect(200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.text.split("\r\n").collect();
    assert_eq!(lines[0], "\"annotation_id\",\"annotator\",\"created_at\",\"id\",\"lead_time\",\"meta_col\",\"ner\",\"sentiment\",\"text\",\"updated_at\"");
    assert!(lines[1].contains(",\"1\",") && lines[1].contains(",4.2,5,\"[{\"\"start\"\":0,\"\"end\"\":4,\"\"text\"\":\"\"John\"\",\"\"labels\"\":[\"\"PER\"\"]}]\",\"Positive\",\"John likes cats\","));
    assert_eq!(
        lines[2],
        format!(
            "\"\",\"\",\"\",{},\"\",7,\"\",\"\",\"Nothing here\",\"\"",
            ids[1]
        )
    );
    assert_eq!(lines.len(), 4, "two rows and the final empty piece");

    let tsv = app
        .get(&format!("/api/projects/{project}/export?exportType=TSV"))
        .await
        .expect(200);
    assert!(tsv.text.starts_with("\"annotation_id\"\t\"annotator\""));
    assert!(tsv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".csv\""));
}

#[tokio::test]
async fn formats_errors_and_removed_endpoints() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let formats = app
        .get(&format!("/api/projects/{project}/export/formats"))
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = formats
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..4], &["JSON", "JSON_MIN", "CSV", "TSV"]);
    assert_eq!(formats[0]["title"], "JSON");
    assert!(formats[0].get("disabled").is_none());
    assert_eq!(
        app.get(&format!("/api/projects/{project}/export?exportType=JSON"))
            .await
            .expect(200)
            .body,
        json!([])
    );
    let unknown = app
        .get(&format!("/api/projects/{project}/export?exportType=NOPE"))
        .await
        .expect(400);
    assert_eq!(
        unknown.body["detail"],
        "NOPE is not supported export format"
    );
    let bad_flag = app
        .get(&format!(
            "/api/projects/{project}/export?download_all_tasks=maybe"
        ))
        .await
        .expect(400);
    assert_eq!(
        bad_flag.body["validation_errors"]["download_all_tasks"],
        json!(["Must be a valid boolean."])
    );
    for old in ["results", "completions"] {
        let gone = app
            .get(&format!("/api/projects/{project}/{old}/"))
            .await
            .expect(410);
        assert!(gone.body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("/api/projects/{project}/export?exportType=JSON")));
    }
    app.get("/api/projects/99999/export").await.expect(404);
}

#[tokio::test]
async fn large_export_streams_every_task() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks: Vec<_> = (0..1_200).map(|i| json!({"data": {"text": format!("task {i}")}, "annotations": [{"result": choice("Positive")}]})).collect();
    app.import(project, json!(tasks)).await;
    let export = app
        .get(&format!("/api/projects/{project}/export?exportType=JSON"))
        .await
        .expect(200)
        .body;
    let exported = export.as_array().unwrap();
    assert_eq!(exported.len(), 1_200, "batches join into one array");
    assert_eq!(exported[1_199]["data"]["text"], "task 1199");
    let csv = app
        .get(&format!("/api/projects/{project}/export?exportType=CSV"))
        .await
        .expect(200);
    assert_eq!(csv.text.matches("\r\n").count(), 1_201);
}

#[tokio::test]
async fn image_exports_do_not_fetch_internal_addresses() {
    // The default outbound guard: loopback is refused, so the server's own address is not read.
    let app = TestApp::spawn().await;
    let project = app
        .create_project(r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Car"/></RectangleLabels></View>"#)
        .await;
    let address = format!("{}/health?x.png", app.base);
    let ids = app.import_ids(project, json!([{"image": address}])).await;
    app.post(
        &format!("/api/tasks/{}/annotations/", ids[0]),
        json!({"result": [{"from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": 10, "original_height": 10,
                           "value": {"x": 0, "y": 0, "width": 50, "height": 50, "rotation": 0, "rectanglelabels": ["Car"]}}]}),
    )
    .await
    .expect(201);
    let download = app
        .download(&format!(
            "/api/projects/{project}/export?exportType=YOLO_WITH_IMAGES"
        ))
        .await;
    assert_eq!(download.status, 200);
    let files = unzip(&download.body);
    assert!(
        files.keys().all(|n| !n.starts_with("images/")),
        "nothing fetched: {:?}",
        files.keys()
    );
    // As Label Studio's converter does when a download fails, the label file is named after
    // the address itself.
    assert_eq!(files["labels/health?x.txt"], b"0 0.25 0.25 0.5 0.5\n");
}
