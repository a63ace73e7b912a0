use serde_json::{json, Value};

use crate::helpers::{choice, Reply, TestApp, TEXT_CONFIG, TOKEN};

async fn upload(app: &TestApp, project: i64, files: &[(&str, &[u8])]) -> Reply {
    upload_with(app, project, "return_task_ids=true", files).await
}

/// Uploads files to a project's import with the query string `query`.
async fn upload_with(app: &TestApp, project: i64, query: &str, files: &[(&str, &[u8])]) -> Reply {
    app.upload_files(project, query, files).await
}

#[tokio::test]
async fn json_import_with_annotations_predictions_and_completions() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let body = json!([
        {"data": {"text": "one"}, "annotations": [{"result": choice("Positive"), "lead_time": 1.5}], "predictions": [{"result": choice("Negative"), "score": 0.9, "model_version": "v1"}]},
        {"data": {"text": "two"}, "completions": [{"result": choice("Negative")}]},
        {"text": "three"},
        {"data": {"text": "four"}, "annotations": [{"result": [], "was_cancelled": true, "ground_truth": false}]}
    ]);
    let reply = app.import(project, body).await;
    assert_eq!(reply["task_count"], 4);
    assert_eq!(reply["annotation_count"], 3);
    assert_eq!(reply["prediction_count"], 1);
    assert_eq!(reply["file_upload_ids"], json!([]));
    assert_eq!(reply["found_formats"], json!([]));
    assert_eq!(reply["could_be_tasks_list"], false);
    assert!(reply["duration"].as_f64().unwrap() >= 0.0);
    assert_eq!(reply["task_ids"].as_array().unwrap().len(), 4);

    let p = app.project(project).await;
    assert_eq!(p["task_number"], 4);
    assert_eq!(p["total_annotations_number"], 2);
    assert_eq!(p["skipped_annotations_number"], 1);
    assert_eq!(
        p["ground_truth_number"], 2,
        "imported annotations are ground truth by default"
    );
    assert_eq!(p["useful_annotation_number"], 0);
    assert_eq!(p["num_tasks_with_annotations"], 0);
    assert_eq!(p["total_predictions_number"], 1);
    assert_eq!(p["finished_task_number"], 2);
    assert_eq!(p["model_version"], "v1");

    let first = reply["task_ids"][0].as_i64().unwrap();
    let task = app.get(&format!("/api/tasks/{first}/")).await.body;
    assert_eq!(task["annotations"][0]["lead_time"], 1.5);
    assert_eq!(
        task["annotations"][0]["completed_by"]["email"],
        "admin@example.com"
    );
    assert_eq!(task["predictions"][0]["model_version"], "v1");
    let third = reply["task_ids"][2].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tasks/{third}/")).await.body["data"],
        json!({"text": "three"})
    );
}

#[tokio::test]
async fn single_task_and_deprecated_bulk_route() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    assert_eq!(
        app.import(project, json!({"text": "solo"})).await["task_count"],
        1
    );
    let bulk = app
        .post(
            &format!("/api/projects/{project}/tasks/bulk/"),
            json!([{"text": "b1"}, {"text": "b2"}]),
        )
        .await
        .expect(201);
    assert_eq!(bulk.body["task_count"], 2);
    assert_eq!(app.project(project).await["task_number"], 3);
    app.post(
        &format!("/api/projects/{project}/import/"),
        json!([{"text": "x"}]),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn one_bad_item_rejects_the_whole_import() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let reply = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"data": {"text": "ok1"}}, {"data": {"foo": "bad"}}, {"text": "ok3"}]),
        )
        .await
        .expect(400);
    assert_eq!(
        reply.body["validation_errors"]["non_field_errors"],
        json!([{}, "Error at item 1: \"text\" key is expected in task data [assume: item[\"data\"] = task root with values] :: {'data': {'foo': 'bad'}}", {}])
    );
    let flat = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"text": "ok"}, {"text": {"a": 1}}]),
        )
        .await
        .expect(400);
    assert_eq!(
        flat.body["validation_errors"]["non_field_errors"][1],
        "Error at item 1: data['text']={'a': 1} is of type 'dict', but the object tag Text expects the following types: ['str', 'int', 'float', 'list'] [assume: item as is = task root with values]  :: {'text': {'a': 1}}"
    );
    let mixed = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"data": {"text": "a"}}, "oops", 5]),
        )
        .await
        .expect(400);
    assert_eq!(
        mixed.body["validation_errors"]["non_field_errors"][1],
        "Error at item 1: Task root must be dict with \"data\", \"meta\", \"annotations\", \"predictions\" fields :: oops"
    );
    let no_result = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"data": {"text": "a"}, "annotations": [{"foo": 1}]}]),
        )
        .await
        .expect(400);
    assert!(no_result.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .contains("Annotation must have \"result\" fields"));
    let bad_annotator = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"data": {"text": "a"}, "annotations": [{"result": [], "completed_by": 999}]}]),
        )
        .await
        .expect(400);
    assert!(
        bad_annotator.body["validation_errors"]["non_field_errors"][0]
            .as_str()
            .unwrap()
            .contains("completed_by=999")
    );
    let empty = app
        .post(&format!("/api/projects/{project}/import"), json!([]))
        .await
        .expect(400);
    assert_eq!(
        empty.body["validation_errors"]["non_field_errors"],
        json!(["load_tasks: No tasks added"])
    );
    let malformed = app
        .client
        .post(format!("{}/api/projects/{project}/import", app.base))
        .header("Authorization", format!("Token {TOKEN}"))
        .header("Content-Type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let p = app.project(project).await;
    assert_eq!(p["task_number"], 0, "nothing was written");
    assert_eq!(
        app.get(&format!("/api/tasks/?project={project}"))
            .await
            .body["tasks"],
        json!([])
    );
    app.post("/api/projects/9999/import", json!([{"text": "a"}]))
        .await
        .expect(404);
}

#[tokio::test]
async fn files_of_every_format() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let csv = upload(
        &app,
        project,
        &[("tasks.csv", b"text,score,flag\nhello,1,true\nbye,,false\n")],
    )
    .await
    .expect(201)
    .body;
    assert_eq!(csv["task_count"], 2);
    assert_eq!(csv["found_formats"], json!({".csv": 1}));
    assert_eq!(csv["could_be_tasks_list"], true);
    assert_eq!(csv["data_columns"], json!(["text", "score", "flag"]));
    let id = csv["task_ids"][0].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tasks/{id}/")).await.body["data"],
        json!({"text": "hello", "score": 1.0, "flag": true})
    );
    let upload_name = app.get(&format!("/api/tasks/{id}/")).await.body["file_upload"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(upload_name.ends_with("-tasks.csv"), "{upload_name}");

    let tsv = upload(&app, project, &[("t.tsv", b"text\tn\na\t1\n")])
        .await
        .expect(201)
        .body;
    assert_eq!(tsv["task_count"], 1);
    let txt = upload(&app, project, &[("lines.txt", b"line one\nline two\n")])
        .await
        .expect(201)
        .body;
    assert_eq!(txt["task_count"], 2);
    let line = txt["task_ids"][0].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tasks/{line}/")).await.body["data"],
        json!({"text": "line one"})
    );
    let jsonl = upload(&app, project, &[("t.jsonl", b"{\"text\": \"j1\"}\n{\"data\": {\"text\": \"j2\"}, \"annotations\": [{\"result\": []}]}\n")]).await.expect(201).body;
    assert_eq!(jsonl["task_count"], 2);
    assert_eq!(jsonl["annotation_count"], 1);
    let json_file = upload(
        &app,
        project,
        &[
            ("t.json", br#"[{"text": "f1"}, {"text": "f2"}]"#),
            ("u.json", br#"{"text": "f3"}"#),
        ],
    )
    .await
    .expect(201)
    .body;
    assert_eq!(json_file["task_count"], 3);
    assert_eq!(json_file["file_upload_ids"].as_array().unwrap().len(), 2);
    assert_eq!(app.project(project).await["task_number"], 10);

    let listed = app
        .get(&format!("/api/projects/{project}/file-uploads?all=true"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 6);
    assert!(listed[0]["file"]
        .as_str()
        .unwrap()
        .starts_with(&format!("upload/{project}/")));
    let one = listed[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/import/file-upload/{one}"))
            .await
            .expect(200)
            .body["id"],
        one
    );
}

#[tokio::test]
async fn bad_files_change_nothing() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let exe = upload(&app, project, &[("virus.exe", b"MZ")])
        .await
        .expect(400);
    assert_eq!(
        exe.body["validation_errors"]["non_field_errors"],
        json!([".exe extension is not supported"])
    );
    let broken = upload(
        &app,
        project,
        &[("good.csv", b"text\nfine\n"), ("bad.json", b"{oops")],
    )
    .await
    .expect(400);
    let message = broken.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("Failed to parse input file ")
            && message.ends_with("bad.json: Expected object or value"),
        "{message}"
    );
    let clash = upload(
        &app,
        project,
        &[("a.csv", b"text\nx\n"), ("b.csv", b"other\ny\n")],
    )
    .await
    .expect(400);
    assert!(clash.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .starts_with("You're trying to import inconsistent data"));
    assert_eq!(app.project(project).await["task_number"], 0);
    assert_eq!(
        app.get(&format!("/api/projects/{project}/file-uploads?all=true"))
            .await
            .body,
        json!([])
    );
    let upload_dir = app
        .data_dir
        .path()
        .join("media/upload")
        .join(project.to_string());
    let leftovers = std::fs::read_dir(&upload_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "files of a failed import are removed");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::spawn_with(|config| config.max_body_size = 1024).await;
    let project = app.create_project(TEXT_CONFIG).await;
    let big: Vec<Value> = (0..200)
        .map(|i| json!({"text": format!("task number {i}")}))
        .collect();
    let reply = app
        .post(&format!("/api/projects/{project}/import"), json!(big))
        .await
        .expect(413);
    assert_eq!(reply.body["status_code"], 413);
    upload(&app, project, &[("big.csv", &vec![b'a'; 4096])])
        .await
        .expect(413);
    assert_eq!(app.project(project).await["task_number"], 0);
    // Form bodies too, of either kind.
    let title = "t".repeat(4096);
    for reply in [
        app.form(
            reqwest::Method::POST,
            "/api/projects/",
            &[("title", &title)],
        )
        .await,
        app.multipart(
            reqwest::Method::POST,
            "/api/projects/",
            &[("title", &title)],
        )
        .await,
    ] {
        assert_eq!(reply.expect(413).body["status_code"], 413);
    }
    assert_eq!(app.get("/api/projects/").await.expect(200).body["count"], 1);
}

#[tokio::test]
async fn media_files_become_tasks_served_from_data_upload() {
    let app = TestApp::spawn().await;
    let config = r#"<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="cat"/></Choices></View>"#;
    let project = app.create_project(config).await;
    let png = b"\x89PNG\r\n\x1a\nfake-image-bytes";
    let reply = upload(&app, project, &[("cat.png", png)])
        .await
        .expect(201)
        .body;
    assert_eq!(reply["found_formats"], json!({".png": 1}));
    let task = reply["task_ids"][0].as_i64().unwrap();
    let url = app.get(&format!("/api/tasks/{task}/")).await.body["data"]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        url.starts_with(&format!("/data/upload/{project}/")) && url.ends_with("-cat.png"),
        "{url}"
    );
    let served = app
        .client
        .get(format!("{}{url}", app.base))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["content-security-policy"], "sandbox");
    assert_eq!(served.bytes().await.unwrap().as_ref(), png);
    let anonymous = reqwest::get(format!("{}{url}", app.base)).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let two_keys = app
        .create_project(
            r#"<View><Image name="image" value="$image"/><Text name="t" value="$caption"/></View>"#,
        )
        .await;
    let refused = upload(&app, two_keys, &[("cat.png", png)])
        .await
        .expect(400);
    assert!(refused.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .contains("more than one data key"));
}

#[tokio::test]
async fn undefined_key_is_renamed_to_the_config_key() {
    let app = TestApp::spawn().await;
    let project = app
        .post("/api/projects/", json!({"title": "No config yet"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let txt = upload(&app, project, &[("lines.txt", b"first line\n")])
        .await
        .expect(201)
        .body;
    let task = txt["task_ids"][0].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["data"],
        json!({"$undefined$": "first line"})
    );
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"label_config": "<View><Text name=\"t\" value=\"$body\"/></View>"}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/api/tasks/{task}/")).await.body["data"],
        json!({"body": "first line"})
    );
    let export = app
        .get(&format!(
            "/api/projects/{project}/export?exportType=JSON&download_all_tasks=true"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(export[0]["data"], json!({"body": "first line"}));
}

#[tokio::test]
async fn predictions_import_endpoint() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let ids = app
        .import(project, json!([{"text": "a"}, {"text": "b"}]))
        .await["task_ids"]
        .clone();
    let reply = app
        .post(
            &format!("/api/projects/{project}/import/predictions"),
            json!([{"task": ids[0], "result": choice("Positive"), "score": 0.7, "model_version": "m1"}, {"task": ids[1], "result": "Negative"}]),
        )
        .await
        .expect(201);
    assert_eq!(reply.body, json!({"created": 2}));
    assert_eq!(app.project(project).await["total_predictions_number"], 2);
    let unknown = app
        .post(
            &format!("/api/projects/{project}/import/predictions"),
            json!([{"task": 99999, "result": []}]),
        )
        .await
        .expect(400);
    assert!(unknown.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .contains("contains invalid \"task\" field"));
    assert_eq!(app.project(project).await["total_predictions_number"], 2);
}

#[tokio::test]
async fn preannotated_fields_become_predictions() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let reply = app
        .post(&format!("/api/projects/{project}/import?preannotated_from_fields=model_label&return_task_ids=true"), json!([{"text": "a", "model_label": "Positive"}]))
        .await
        .expect(201)
        .body;
    assert_eq!(reply["prediction_count"], 1);
    let task = app
        .get(&format!("/api/tasks/{}/", reply["task_ids"][0]))
        .await
        .body;
    assert_eq!(task["data"], json!({"text": "a"}));
    assert_eq!(
        task["predictions"][0]["result"][0]["value"],
        json!({"choices": ["Positive"]})
    );
    let missing = app
        .post(
            &format!("/api/projects/{project}/import?preannotated_from_fields=nope"),
            json!([{"text": "b"}]),
        )
        .await
        .expect(400);
    assert!(missing.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .contains("\"nope\""));
    assert_eq!(app.project(project).await["task_number"], 1);
}

#[tokio::test]
async fn nul_characters_in_data_are_refused_everywhere() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let refused = app
        .post(
            &format!("/api/projects/{project}/import"),
            json!([{"text": "fine"}, {"text": "a\u{0}b"}]),
        )
        .await
        .expect(400);
    assert!(refused.text.contains("NUL character"), "{}", refused.text);
    assert_eq!(app.project(project).await["task_number"], 0);
    app.post(
        "/api/tasks/",
        json!({"project": project, "data": {"text": "x\u{0}"}}),
    )
    .await
    .expect(400);
}

/// The web app's wizard flow, as Label Studio's: files uploaded on selection without tasks
/// (`commit_to_project=false`, which answers their columns), then `reimport` makes the tasks;
/// importing the same files again replaces their tasks instead of adding more.
#[tokio::test]
async fn uploads_kept_aside_become_tasks_by_reimport() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let csv = b"text,stars\nGreat,5\nBad,1\n";
    let uploaded = upload_with(
        &app,
        project,
        "commit_to_project=false",
        &[("reviews.csv", csv)],
    )
    .await
    .expect(201)
    .body;
    assert_eq!(uploaded["data_columns"], json!(["text", "stars"]));
    assert_eq!(
        app.project(project).await["task_number"],
        0,
        "nothing imported yet"
    );
    let ids = uploaded["file_upload_ids"].clone();
    let path = format!("/api/projects/{project}/reimport");
    for _ in 0..2 {
        let reimported = app
            .post(&path, json!({"file_upload_ids": ids}))
            .await
            .expect(201)
            .body;
        assert_eq!(
            (
                reimported["task_count"].as_i64(),
                reimported["data_columns"].clone()
            ),
            (Some(2), json!(["text", "stars"]))
        );
        assert_eq!(
            app.project(project).await["task_number"],
            2,
            "replaced, not added"
        );
    }
    // A file as one task, and no files at all.
    let one = app
        .post(
            &path,
            json!({"file_upload_ids": ids, "files_as_tasks_list": false}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(one["task_count"], 1);
    let tasks = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(tasks["total"], 1);
    assert!(tasks["tasks"][0]["data"]["text"]
        .as_str()
        .unwrap()
        .starts_with("/data/upload/"));
    let nothing = app
        .post(&path, json!({"file_upload_ids": []}))
        .await
        .expect(200)
        .body;
    assert_eq!(nothing["task_count"], 0);
    // Another project's uploads are not this project's to import.
    let other = app.create_project(TEXT_CONFIG).await;
    let foreign = app
        .post(
            &format!("/api/projects/{other}/reimport"),
            json!({"file_upload_ids": ids}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(foreign["task_count"], 0);
    app.post(&path, json!({"file_upload_ids": "abc"}))
        .await
        .expect(400);
}

/// A file server on 127.0.0.1 for URL imports; returns its base URL.
async fn file_server() -> String {
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    let png: &'static [u8] = b"\x89PNG\r\n\x1a\n";
    let router = axum::Router::new()
        .route(
            "/tasks.json",
            get(|| async { r#"[{"text": "from a url"}, {"text": "second"}]"# }),
        )
        .route(
            "/reviews.csv",
            get(|| async { "text,stars\ngreat,5\nbad,1\n" }),
        )
        .route(
            "/cat.png",
            get(move || async move { ([(header::CONTENT_TYPE, "image/png")], png) }),
        )
        .route("/tool.exe", get(|| async { "MZ" }))
        .route(
            "/gone.json",
            get(|| async { (StatusCode::NOT_FOUND, "no such file") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Imports from `url` with a form body, as Label Studio's URL import is sent.
async fn import_url(app: &TestApp, project: i64, url: &str) -> Reply {
    let response = app
        .client
        .post(format!("{}/api/projects/{project}/import", app.base))
        .header("Authorization", format!("Token {TOKEN}"))
        .form(&[("url", url)])
        .send()
        .await
        .unwrap();
    Reply::from(response).await
}

fn first_error(reply: &Reply) -> &str {
    reply.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_url_import_of_a_local_address_is_refused_by_default_and_changes_nothing() {
    let files = file_server().await;
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    for url in [
        format!("{files}/tasks.json"),
        "http://localhost:9/tasks.json".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:127.0.0.1]/tasks.json".to_string(),
    ] {
        let refused = import_url(&app, project, &url).await.expect(400);
        assert!(
            first_error(&refused)
                .starts_with("URL resolves to a reserved network address (block: "),
            "{url}: {}",
            refused.text
        );
    }
    let refused = import_url(&app, project, "file:///etc/passwd")
        .await
        .expect(400);
    assert_eq!(first_error(&refused), "URLs must use http:// or https://");
    let refused = import_url(&app, project, " ").await.expect(400);
    assert_eq!(
        first_error(&refused),
        "\"url\" is not found in request data"
    );
    let tasks = app
        .get(&format!("/api/projects/{project}/"))
        .await
        .expect(200);
    assert_eq!(tasks.body["task_number"], 0);
    let uploads = app
        .get(&format!("/api/projects/{project}/file-uploads?all=true"))
        .await
        .expect(200);
    assert_eq!(uploads.body, json!([]));
}

#[tokio::test]
async fn a_url_import_from_an_allowed_address_reads_the_file_as_an_upload() {
    let files = file_server().await;
    let app = TestApp::spawn_with(|config| {
        config.outbound_allow = "127.0.0.1/32".parse().unwrap();
    })
    .await;
    let project = app.create_project(TEXT_CONFIG).await;

    let json_import = import_url(&app, project, &format!("{files}/tasks.json"))
        .await
        .expect(201);
    assert_eq!(json_import.body["task_count"], 2);
    assert_eq!(json_import.body["found_formats"], json!({".json": 1}));
    assert_eq!(json_import.body["data_columns"], json!(["text"]));
    assert_eq!(json_import.body["could_be_tasks_list"], false);
    let upload = json_import.body["file_upload_ids"][0]
        .as_i64()
        .expect("a file upload");
    let csv_import = import_url(&app, project, &format!("{files}/reviews.csv"))
        .await
        .expect(201);
    assert_eq!(csv_import.body["task_count"], 2);
    assert_eq!(csv_import.body["could_be_tasks_list"], true);
    assert_eq!(csv_import.body["data_columns"], json!(["text", "stars"]));

    let tasks = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200);
    let texts: Vec<&str> = tasks.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["data"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["from a url", "second", "great", "bad"]);
    let uploads = app
        .get(&format!("/api/projects/{project}/file-uploads?all=true"))
        .await
        .expect(200);
    let names: Vec<&str> = uploads
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["file"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("-tasks.json")),
        "{names:?}"
    );
    let file = app
        .get(&format!("/api/import/file-upload/{upload}"))
        .await
        .expect(200);
    assert!(file.body["file"].as_str().unwrap().ends_with("-tasks.json"));

    let refused = import_url(&app, project, &format!("{files}/tool.exe"))
        .await
        .expect(400);
    assert_eq!(first_error(&refused), ".exe extension is not supported");
    let refused = import_url(&app, project, &format!("{files}/gone.json"))
        .await
        .expect(400);
    assert!(
        first_error(&refused).ends_with("answered 404"),
        "{}",
        refused.text
    );
    // Addresses outside the allowed range stay refused.
    let refused = import_url(&app, project, "http://127.0.0.2:9/tasks.json")
        .await
        .expect(400);
    assert!(
        first_error(&refused).contains("(block: 127.0.0.0/8)"),
        "{}",
        refused.text
    );
    let after = app
        .get(&format!("/api/projects/{project}/"))
        .await
        .expect(200);
    assert_eq!(after.body["task_number"], 4);
}

#[tokio::test]
async fn a_url_import_of_a_media_file_makes_one_task_pointing_at_the_stored_copy() {
    let files = file_server().await;
    let app =
        TestApp::spawn_with(|config| config.outbound_allow = tessera_outbound::Allow::Everything)
            .await;
    let project = app
        .create_project(r#"<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="cat"/></Choices></View>"#)
        .await;
    let imported = import_url(&app, project, &format!("{files}/cat.png"))
        .await
        .expect(201);
    assert_eq!(imported.body["task_count"], 1);
    let tasks = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200);
    let image = tasks.body["tasks"][0]["data"]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        image.starts_with(&format!("/data/upload/{project}/")) && image.ends_with("-cat.png"),
        "{image}"
    );
    let served = app
        .client
        .get(format!("{}{image}", app.base))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
}
