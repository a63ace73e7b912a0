//! Export snapshots (`/api/projects/{id}/exports/`): made by a background job, listed,
//! filtered and serialized as asked, downloaded as stored or converted, converted once, deleted
//! with their files, and refused with Label Studio's messages.

use serde_json::{json, Value};

use crate::helpers::{choice, TestApp, ADMIN, TEXT_CONFIG};

/// A project of three tasks: one annotated (with a draft), one skipped, one with a prediction
/// only; answers the project and the task ids.
async fn project_of_three(app: &TestApp) -> (i64, Vec<i64>) {
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks = app
        .import_ids(
            project,
            json!([{"text": "liked"}, {"text": "skipped"}, {"text": "predicted"}]),
        )
        .await;
    app.post(
        &format!("/api/tasks/{}/annotations/", tasks[0]),
        json!({"result": choice("Positive")}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/tasks/{}/annotations/", tasks[1]),
        json!({"result": [], "was_cancelled": true}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/tasks/{}/drafts", tasks[0]),
        json!({"result": choice("Negative")}),
    )
    .await
    .expect(201);
    app.post(
        "/api/predictions/",
        json!({"task": tasks[2], "result": choice("Negative"), "model_version": "v1"}),
    )
    .await
    .expect(201);
    (project, tasks)
}

/// Downloads a snapshot's file (optionally converted): status, headers and body.
async fn download(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let download = app.download(path).await;
    (download.status, download.headers, download.body)
}

#[tokio::test]
async fn a_snapshot_is_made_listed_downloaded_and_deleted_with_its_file() {
    let app = TestApp::spawn().await;
    let (project, tasks) = project_of_three(&app).await;
    let base = format!("/api/projects/{project}/exports");
    let created = app
        .post(&format!("{base}/"), json!({"title": "Nightly"}))
        .await
        .expect(201)
        .body;
    assert_eq!(created["status"], "completed", "{created}");
    assert_eq!(created["title"], "Nightly");
    assert_eq!(created["counters"], json!({"task_number": 3}));
    assert_eq!(created["created_by"]["email"], ADMIN);
    assert_eq!(created["converted_formats"], json!([]));
    for key in [
        "task_filter_options",
        "annotation_filter_options",
        "serialization_options",
    ] {
        assert_eq!(created[key], Value::Null, "{key}");
    }
    let md5 = created["md5"].as_str().unwrap().to_string();
    assert_eq!(md5.len(), 32);
    assert!(created["finished_at"].is_string());
    let id = created["id"].as_i64().unwrap();

    let listed = app.get(&format!("{base}/")).await.expect(200).body;
    let keys: Vec<&str> = listed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "title",
            "id",
            "created_by",
            "created_at",
            "finished_at",
            "status",
            "md5",
            "counters",
            "converted_formats"
        ]
    );
    assert_eq!(listed[0]["id"], id);
    assert_eq!(
        app.get(&format!("{base}/{id}")).await.expect(200).body["md5"],
        md5.as_str()
    );

    let (status, headers, body) = download(&app, &format!("{base}/{id}/download")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".json\""));
    use md5::Digest;
    assert_eq!(
        hex::encode(md5::Md5::digest(&body)),
        md5,
        "the md5 is the file's"
    );
    let file: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        file.iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        tasks
    );
    // Without serialization options: ids for authors, drafts and predictions.
    assert!(file[0]["annotations"][0]["completed_by"].is_i64());
    assert_eq!(file[0]["drafts"].as_array().unwrap().len(), 1);
    assert!(file[0]["drafts"][0].is_i64());
    assert!(file[2]["predictions"][0].is_i64());
    assert_eq!(file[0]["data"], json!({"text": "liked"}));

    // Another format on the fly, from the snapshot's own data.
    let (status, headers, csv) =
        download(&app, &format!("{base}/{id}/download?exportType=CSV")).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().next().unwrap().contains("sentiment"), "{csv}");
    // The flat formats leave skipped annotations out, as the streamed export does.
    assert_eq!(
        csv.lines().count(),
        3,
        "a header and a row per task not skipped: {csv}"
    );
    app.get(&format!("{base}/{id}/download?exportType=COCOA"))
        .await
        .expect(400);

    // A conversion is made once.
    let converted = app
        .post(
            &format!("{base}/{id}/convert"),
            json!({"export_type": "JSON_MIN"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(converted["export_type"], "JSON_MIN");
    let conversion = converted["converted_format"].as_i64().unwrap();
    let shown = app.get(&format!("{base}/{id}")).await.expect(200).body;
    assert_eq!(
        shown["converted_formats"],
        json!([{"id": conversion, "status": "completed", "export_type": "JSON_MIN", "traceback": null}])
    );
    let again = app
        .post(
            &format!("{base}/{id}/convert"),
            json!({"export_type": "JSON_MIN"}),
        )
        .await
        .expect(400)
        .body;
    assert_eq!(
        again["validation_errors"]["non_field_errors"],
        json!(["Conversion to JSON_MIN already started"])
    );
    let unknown = app
        .post(
            &format!("{base}/{id}/convert"),
            json!({"export_type": "BAD"}),
        )
        .await
        .expect(400)
        .body;
    assert_eq!(
        unknown["validation_errors"]["export_type"],
        json!(["BAD is not supported export format"])
    );
    let (status, _, min) =
        download(&app, &format!("{base}/{id}/download?exportType=JSON_MIN")).await;
    assert_eq!(status, 200);
    let min: Vec<Value> = serde_json::from_slice(&min).unwrap();
    assert_eq!(min.len(), 2);

    // Deleted with its files.
    let media = app
        .data_dir
        .path()
        .join("media")
        .join("export")
        .join(project.to_string());
    assert_eq!(
        std::fs::read_dir(&media).unwrap().count(),
        2,
        "the snapshot and its conversion"
    );
    app.delete(&format!("{base}/{id}")).await.expect(204);
    app.get(&format!("{base}/{id}")).await.expect(404);
    assert_eq!(std::fs::read_dir(&media).unwrap().count(), 0);
}

#[tokio::test]
async fn snapshot_options_choose_tasks_annotations_and_shapes() {
    let app = TestApp::spawn().await;
    let (project, tasks) = project_of_three(&app).await;
    let base = format!("/api/projects/{project}/exports/");
    let file_of = |created: Value| {
        let app = &app;
        async move {
            assert_eq!(created["status"], "completed", "{created}");
            let path = format!("/api/projects/{project}/exports/{}/download", created["id"]);
            serde_json::from_slice::<Vec<Value>>(&download(app, &path).await.2).unwrap()
        }
    };
    let ids = |file: &[Value]| {
        file.iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };

    let annotated = app
        .post(&base, json!({"task_filter_options": {"annotated": "only"}}))
        .await
        .expect(201)
        .body;
    assert_eq!(annotated["counters"], json!({"task_number": 1}));
    assert_eq!(ids(&file_of(annotated).await), [tasks[0]]);

    let skipped_only = app
        .post(
            &base,
            json!({"task_filter_options": {"only_with_annotations": true},
                   "annotation_filter_options": {"usual": false, "skipped": true}}),
        )
        .await
        .expect(201)
        .body;
    let file = file_of(skipped_only).await;
    assert_eq!(ids(&file), [tasks[1]]);
    assert_eq!(file[0]["annotations"][0]["was_cancelled"], true);

    let not_skipped = app
        .post(
            &base,
            json!({"task_filter_options": {"skipped": "exclude"}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(ids(&file_of(not_skipped).await), [tasks[0], tasks[2]]);

    let whole = app
        .post(
            &base,
            json!({"serialization_options": {
                "drafts": {"only_id": false}, "predictions": {"only_id": false},
                "annotations__completed_by": {"only_id": false}}}),
        )
        .await
        .expect(201)
        .body;
    let file = file_of(whole).await;
    assert_eq!(file[0]["annotations"][0]["completed_by"]["email"], ADMIN);
    assert_eq!(file[0]["drafts"][0]["result"], choice("Negative"));
    assert_eq!(file[2]["predictions"][0]["model_version"], "v1");

    // A Data Manager view narrows the tasks to those it selects.
    let view = app
        .post(
            "/api/dm/views/",
            json!({"project": project, "data": {"filters": {"conjunction": "and", "items": [
                {"filter": "filter:tasks:id", "operator": "equal", "type": "Number", "value": tasks[2]}]}}}),
        )
        .await
        .expect(201)
        .body;
    let in_view = app
        .post(&base, json!({"task_filter_options": {"view": view["id"]}}))
        .await
        .expect(201)
        .body;
    assert_eq!(ids(&file_of(in_view).await), [tasks[2]]);
}

#[tokio::test]
async fn bad_snapshot_requests_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (project, _) = project_of_three(&app).await;
    let base = format!("/api/projects/{project}/exports/");
    let refused = |body: Value| {
        let (app, base) = (&app, base.clone());
        async move { app.post(&base, body).await.expect(400).body["validation_errors"].clone() }
    };
    assert_eq!(
        refused(json!({"task_filter_options": {"skipped": "maybe"}})).await,
        json!({"task_filter_options": {"skipped": ["\"maybe\" is not a valid choice."]}})
    );
    assert_eq!(
        refused(json!({"serialization_options": {"drafts": true}})).await,
        json!({"serialization_options": {"drafts": {"non_field_errors": ["Invalid data. Expected a dictionary, but got bool."]}}})
    );
    assert_eq!(
        refused(json!({"title": null})).await,
        json!({"title": ["This field may not be null."]})
    );
    assert_eq!(app.get(&base).await.expect(200).body, json!([]));

    // Another project's or organization's snapshot is not found.
    let created = app.post(&base, json!({})).await.expect(201).body;
    let other = app.create_project(TEXT_CONFIG).await;
    app.get(&format!("/api/projects/{other}/exports/{}", created["id"]))
        .await
        .expect(404);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/projects/{project}/exports/{}", created["id"]),
        None,
    )
    .await
    .expect(404);
    app.get(&format!("/api/projects/{project}/exports/987654"))
        .await
        .expect(404);
}

#[tokio::test]
async fn a_snapshot_no_worker_made_yet_cannot_be_downloaded() {
    // No background work in this process: the snapshot waits for a worker.
    let app = TestApp::spawn_with(|config| config.workers = 0).await;
    let project = app.create_project(TEXT_CONFIG).await;
    let created = app
        .post(&format!("/api/projects/{project}/exports/"), json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(created["status"], "created");
    assert_eq!(created["md5"], "");
    let (status, _, body) = download(
        &app,
        &format!("/api/projects/{project}/exports/{}/download", created["id"]),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(String::from_utf8(body).unwrap(), "Export is not completed");
}

#[tokio::test]
async fn formats_a_config_cannot_produce_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (project, _) = project_of_three(&app).await;
    let message = |format: &str| format!("{format} is not supported export format");

    // The streamed export: an image format of a text project, an unknown format.
    for format in ["COCO", "YOLO_WITH_IMAGES", "BRUSH_TO_PNG", "NOPE"] {
        let refused = app
            .get(&format!(
                "/api/projects/{project}/export?exportType={format}"
            ))
            .await
            .expect(400)
            .body;
        assert!(refused.to_string().contains(&message(format)), "{refused}");
    }
    let formats = app
        .get(&format!("/api/projects/{project}/export/formats"))
        .await
        .expect(200)
        .body;
    let enabled: Vec<&str> = formats
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("disabled").is_none())
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(enabled, ["JSON", "JSON_MIN", "CSV", "TSV", "CONLL2003"]);

    // A snapshot: converting or downloading it in such a format is refused; no conversion is
    // recorded.
    let base = format!("/api/projects/{project}/exports/");
    let snapshot = app.post(&base, json!({})).await.expect(201).body;
    let path = format!("{base}{}", snapshot["id"]);
    let refused = app
        .post(&format!("{path}/convert"), json!({"export_type": "VOC"}))
        .await
        .expect(400)
        .body;
    assert_eq!(
        refused["validation_errors"],
        json!({"export_type": [message("VOC")]})
    );
    let (status, _, body) = download(&app, &format!("{path}/download?exportType=COCO")).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains(&message("COCO")));
    assert_eq!(
        app.get(&path).await.expect(200).body["converted_formats"],
        json!([])
    );
    // A deleted snapshot is gone for downloads and conversions.
    app.delete(&path).await.expect(204);
    let (status, _, _) = download(&app, &format!("{path}/download?exportType=CSV")).await;
    assert_eq!(status, 404);
    app.post(&format!("{path}/convert"), json!({"export_type": "CSV"}))
        .await
        .expect(404);
}

#[tokio::test]
async fn a_conll_export_streams_and_converts_from_a_snapshot() {
    let app = TestApp::spawn().await;
    let project = app
        .create_project(r#"<View><Text name="text" value="$text"/><Labels name="ner" toName="text"><Label value="PER"/></Labels></View>"#)
        .await;
    let tasks = app
        .import_ids(
            project,
            json!([{"text": "Ada Lovelace wrote notes."}, {"text": "nothing"}]),
        )
        .await;
    app.post(
        &format!("/api/tasks/{}/annotations/", tasks[0]),
        json!({"result": [{"from_name": "ner", "to_name": "text", "type": "labels",
                           "value": {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PER"]}}]}),
    )
    .await
    .expect(201);
    let expected = "-DOCSTART- -X- O\nAda -X- _ B-PER\nLovelace -X- _ I-PER\nwrote -X- _ O\nnotes -X- _ O\n. -X- _ O\n\n";
    let (status, headers, body) = download(
        &app,
        &format!("/api/projects/{project}/export?exportType=CONLL2003"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["filename"].to_str().unwrap().ends_with(".conll"));
    assert_eq!(String::from_utf8(body).unwrap(), expected);

    let base = format!("/api/projects/{project}/exports/");
    let snapshot = app
        .post(
            &base,
            json!({"task_filter_options": {"only_with_annotations": true}}),
        )
        .await
        .expect(201)
        .body;
    let path = format!("{base}{}", snapshot["id"]);
    let started = app
        .post(
            &format!("{path}/convert"),
            json!({"export_type": "CONLL2003"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(started["export_type"], "CONLL2003");
    let listed = app.get(&path).await.expect(200).body;
    assert_eq!(
        listed["converted_formats"][0]["status"], "completed",
        "{listed}"
    );
    let (status, headers, body) =
        download(&app, &format!("{path}/download?exportType=CONLL2003")).await;
    assert_eq!(status, 200);
    assert!(headers["filename"].to_str().unwrap().ends_with(".conll"));
    assert_eq!(String::from_utf8(body).unwrap(), expected);
    // Converting twice is refused, as Label Studio refuses it.
    app.post(
        &format!("{path}/convert"),
        json!({"export_type": "CONLL2003"}),
    )
    .await
    .expect(400);
}
