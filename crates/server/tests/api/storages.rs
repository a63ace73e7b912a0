//! Cloud storages against real services started by the test command (`scripts/services.sh`):
//! S3 (moto), Redis, and local folders. Create, validate, sync (tasks made once, re-syncs skip
//! what was synced), secrets never answered, Label Studio's errors.

use std::time::Duration;

use serde_json::{json, Value};
use tessera_storage::remote::{RedisDatabase, Remote};

use crate::helpers::{tasks_query, unzip, TestApp, TEXT_CONFIG};

/// The S3 emulator the test command started.
fn s3_endpoint() -> String {
    std::env::var("TESSERA_TEST_S3_ENDPOINT")
        .expect("TESSERA_TEST_S3_ENDPOINT: run scripts/test.sh, or `source scripts/services.sh && start_services` first")
}

/// The Redis server the test command started (`host:port`).
fn redis_address() -> (String, u16) {
    let address = std::env::var("TESSERA_TEST_REDIS")
        .expect("TESSERA_TEST_REDIS: run scripts/test.sh, or `source scripts/services.sh && start_services` first");
    let (host, port) = address.rsplit_once(':').expect("host:port");
    (host.to_string(), port.parse().expect("port"))
}

/// The outbound client the tests reach the emulators with (no SSRF rule).
fn unguarded() -> tessera_outbound::Outbound {
    tessera_outbound::Outbound::new(tessera_outbound::OutboundConfig {
        allow: tessera_outbound::Allow::Everything,
        ..Default::default()
    })
}

/// An app that may reach the emulators on this machine.
async fn app() -> TestApp {
    TestApp::spawn_with(|config| config.outbound_allow = tessera_outbound::Allow::Everything).await
}

/// A fresh bucket in the S3 emulator holding `objects`.
async fn bucket_with(objects: &[(&str, &str)]) -> String {
    let bucket = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let client = reqwest::Client::new();
    let endpoint = s3_endpoint();
    let created = client
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket: {}",
        created.status()
    );
    for (key, body) in objects {
        put_object(&bucket, key, body).await;
    }
    bucket
}

/// Writes an object, signed as any client would.
async fn put_object(bucket: &str, key: &str, body: &str) {
    s3(bucket).put(key, body.to_string().into()).await.unwrap();
}

/// A signed client of a bucket in the emulator.
fn s3(bucket: &str) -> Remote {
    Remote::s3(
        &tessera_storage::remote::S3Bucket {
            bucket: bucket.to_string(),
            region: Some("us-east-1".into()),
            endpoint: Some(s3_endpoint()),
            access_key_id: Some("AKIDTESSERA".into()),
            secret_access_key: Some("tessera-secret-value".into()),
            session_token: None,
        },
        &unguarded(),
    )
    .unwrap()
}

/// An S3 storage body for `bucket` in the emulator.
fn s3_body(project: i64, bucket: &str, more: Value) -> Value {
    let mut body = json!({
        "project": project,
        "title": "Emulated S3",
        "bucket": bucket,
        "aws_access_key_id": "AKIDTESSERA",
        "aws_secret_access_key": "tessera-secret-value",
        "region_name": "us-east-1",
        "s3_endpoint": s3_endpoint(),
    });
    body.as_object_mut()
        .unwrap()
        .extend(more.as_object().unwrap().clone());
    body
}

/// The project's tasks, in id order.
async fn task_data(app: &TestApp, project: i64) -> Vec<Value> {
    let listed = app
        .get(&format!("/api/projects/{project}/tasks/?page_size=-1"))
        .await
        .expect(200);
    let mut tasks = listed.body.as_array().unwrap().clone();
    tasks.sort_by_key(|t| t["id"].as_i64());
    tasks.into_iter().map(|t| t["data"].clone()).collect()
}

/// Syncs a storage and waits for its final status (the answer may come before the end).
async fn sync(app: &TestApp, path: &str) -> Value {
    let mut storage = app
        .post(&format!("{path}/sync"), json!({}))
        .await
        .expect(200)
        .body;
    for _ in 0..200 {
        if !matches!(storage["status"].as_str(), Some("queued" | "in_progress")) {
            return storage;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        storage = app.get(path).await.expect(200).body;
    }
    panic!("the sync did not finish: {storage}");
}

#[tokio::test]
async fn s3_tasks_sync_once_and_secrets_are_never_answered() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let bucket = bucket_with(&[
        ("tasks/a.json", r#"{"text": "one"}"#),
        (
            "tasks/b.json",
            r#"[{"text": "two"}, {"data": {"text": "three"}}]"#,
        ),
        (
            "tasks/c.jsonl",
            "{\"text\": \"four\"}\n\n{\"text\": \"five\"}\n",
        ),
        ("tasks/deeper/d.json", r#"{"text": "nested"}"#),
        ("elsewhere/e.json", r#"{"text": "not under the prefix"}"#),
    ])
    .await;

    let created = app
        .post(
            "/api/storages/s3/",
            s3_body(project, &bucket, json!({"prefix": "tasks"})),
        )
        .await
        .expect(201)
        .body;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["type"], "s3");
    assert_eq!(created["status"], "initialized");
    assert_eq!(created["bucket"], bucket.as_str());
    assert_eq!(created["prefix"], "tasks");
    assert_eq!(created["presign"], true);
    assert_eq!(created["presign_ttl"], 1);
    assert_eq!(created["use_blob_urls"], false);
    assert_eq!(created["recursive_scan"], false);
    assert_eq!(created["meta"], json!({}));
    assert_eq!(created["project"], project);
    for secret in [
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ] {
        assert!(created.get(secret).is_none(), "{secret} is never answered");
    }
    let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    assert_eq!(keys[..4], ["id", "type", "synchronizable", "presign"]);
    assert_eq!(keys.last().unwrap().as_str(), "project");

    // The secret is sealed in the database, not stored as given.
    let db = app.database().await;
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .conn()
        .query_one(Statement::from_string(
            db.conn().get_database_backend(),
            format!("SELECT secrets FROM storages WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: String = row.try_get("", "secrets").unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains("tessera-secret-value"));

    let listed = app
        .get(&format!("/api/storages/s3?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let all = app
        .get(&format!("/api/storages/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(all[0]["id"], id);
    assert_eq!(app.get("/api/storages/").await.expect(200).body, json!([]));
    let types = app.get("/api/storages/types").await.expect(200).body;
    assert_eq!(types[0], json!({"name": "s3", "title": "AWS S3"}));
    assert_eq!(types.as_array().unwrap().len(), 5);

    let path = format!("/api/storages/s3/{id}");
    let synced = sync(&app, &path).await;
    assert_eq!(synced["status"], "completed", "{synced}");
    assert_eq!(synced["last_sync_count"], 5);
    assert_eq!(synced["meta"]["attempts"], 1);
    assert_eq!(synced["meta"]["tasks_existed"], 0);
    assert!(synced["last_sync"].is_string());
    let mut texts: Vec<String> = task_data(&app, project)
        .await
        .iter()
        .map(|d| d["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    assert_eq!(texts, ["five", "four", "one", "three", "two"]);

    // The Data Manager shows and filters the object each task came from.
    let query = json!({"filters": {"conjunction": "and", "items": [{
        "filter": "filter:tasks:storage_filename", "operator": "contains",
        "type": "String", "value": "c.jsonl"
    }]}});
    let from_jsonl = app
        .get(&format!("{}&fields=all", tasks_query(project, &query)))
        .await
        .expect(200)
        .body;
    assert_eq!(from_jsonl["total"], 2);
    for task in from_jsonl["tasks"].as_array().unwrap() {
        assert_eq!(task["storage_filename"], "tasks/c.jsonl");
    }

    let again = sync(&app, &path).await;
    assert_eq!(again["status"], "completed");
    assert_eq!(again["last_sync_count"], 0, "a re-sync makes nothing twice");
    assert_eq!(again["meta"]["tasks_existed"], 5);
    assert_eq!(again["meta"]["attempts"], 2);
    assert_eq!(app.project(project).await["task_number"], 5);

    put_object(&bucket, "tasks/f.json", r#"{"text": "six"}"#).await;
    let recursive = app
        .patch(
            &path,
            json!({"recursive_scan": true, "title": "Everything under tasks/"}),
        )
        .await
        .expect(200)
        .body;
    assert!(
        recursive.get("type").is_none(),
        "PATCH answers leave out type"
    );
    assert_eq!(recursive["title"], "Everything under tasks/");
    let third = sync(&app, &path).await;
    assert_eq!(
        third["last_sync_count"], 2,
        "the new object and the nested one"
    );
    assert_eq!(app.project(project).await["task_number"], 7);

    app.delete(&path).await.expect(204);
    app.get(&path).await.expect(404);
    assert_eq!(
        app.project(project).await["task_number"],
        7,
        "deleting a storage keeps its tasks"
    );
}

#[tokio::test]
async fn s3_connection_problems_use_label_studio_messages() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let bucket = bucket_with(&[("tasks/a.json", r#"{"text": "one"}"#)]).await;
    let message = |reply: crate::helpers::Reply| {
        reply.expect(400).body["validation_errors"]["non_field_errors"][0]
            .as_str()
            .unwrap()
            .to_string()
    };

    let missing = app
        .post(
            "/api/storages/s3/",
            s3_body(project, "no-such-bucket-here", json!({})),
        )
        .await;
    assert_eq!(
        message(missing),
        "Cannot find bucket no-such-bucket-here in S3"
    );
    let empty_prefix = app
        .post(
            "/api/storages/s3/",
            s3_body(project, &bucket, json!({"prefix": "nothing"})),
        )
        .await;
    assert_eq!(
        message(empty_prefix),
        format!("s3://{bucket}/nothing not found.")
    );
    let validated = app
        .post(
            "/api/storages/s3/validate",
            s3_body(project, &bucket, json!({"prefix": "tasks"})),
        )
        .await
        .expect(200);
    assert_eq!(validated.text, "", "validate answers an empty body");

    let no_project = app
        .post("/api/storages/s3/", json!({"bucket": bucket}))
        .await
        .expect(400);
    assert_eq!(
        no_project.body["validation_errors"]["project"],
        json!(["This field is required."])
    );
    let bad = app
        .post(
            "/api/storages/s3/",
            json!({"project": project, "use_blob_urls": "maybe", "presign_ttl": -1, "title": "x".repeat(257)}),
        )
        .await
        .expect(400);
    let errors = &bad.body["validation_errors"];
    assert_eq!(errors["use_blob_urls"], json!(["Must be a valid boolean."]));
    assert_eq!(
        errors["presign_ttl"],
        json!(["Ensure this value is greater than or equal to 0."])
    );
    assert_eq!(
        errors["title"],
        json!(["Ensure this field has no more than 256 characters."])
    );
    app.get("/api/storages/s3?project=999999").await.expect(404);
    app.get("/api/storages/s3").await.expect(400);
    app.get("/api/storages/ftp?project=1").await.expect(404);

    // A storage that may not sync says so without Label Studio's envelope.
    let id = app
        .post(
            "/api/storages/s3/",
            s3_body(project, &bucket, json!({"synchronizable": false})),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let refused = app
        .post(&format!("/api/storages/s3/{id}/sync"), json!({}))
        .await
        .expect(400);
    assert_eq!(
        refused.body,
        json!({"message": format!("Storage {id} is not synchronizable")})
    );

    // A file that is not a task file fails the sync, and says why.
    put_object(&bucket, "tasks/picture.jpg", "not json").await;
    let id = app
        .post(
            "/api/storages/s3/",
            s3_body(project, &bucket, json!({"prefix": "tasks"})),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let failed = sync(&app, &format!("/api/storages/s3/{id}")).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["traceback"]
        .as_str()
        .unwrap()
        .contains("File \"tasks/picture.jpg\" is not a JSON/JSONL/Parquet file."));
}

#[tokio::test]
async fn s3_objects_become_tasks_of_their_uri_with_blob_urls() {
    let app = app().await;
    let project = app
        .create_project(r#"<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="a"/></Choices></View>"#)
        .await;
    let bucket = bucket_with(&[
        ("images/1.jpg", "jpeg bytes"),
        ("images/2.png", "png bytes"),
        ("images/notes.txt", "skipped by the filter"),
    ])
    .await;
    let id = app
        .post(
            "/api/storages/s3/",
            s3_body(
                project,
                &bucket,
                json!({"prefix": "images/", "use_blob_urls": true, "regex_filter": ".*(jpg|png)"}),
            ),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let synced = sync(&app, &format!("/api/storages/s3/{id}")).await;
    assert_eq!(synced["last_sync_count"], 2, "{synced}");
    assert_eq!(
        task_data(&app, project).await,
        [
            json!({"image": format!("s3://{bucket}/images/1.jpg")}),
            json!({"image": format!("s3://{bucket}/images/2.png")})
        ]
    );

    // The editor reads bucket URIs as resolve links, which redirect to a presigned URL...
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    let first = &page["tasks"][0];
    let link = first["data"]["image"].as_str().unwrap().to_string();
    let uri = format!("s3://{bucket}/images/1.jpg");
    assert_eq!(
        link,
        format!(
            "/tasks/{}/resolve/?fileuri={}",
            first["id"],
            base64::engine::Engine::encode(&base64::engine::general_purpose::URL_SAFE, &uri)
        )
    );
    let one = app
        .get(&format!("/api/tasks/{}", first["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(one["data"]["image"], link.as_str());
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirected = no_redirects
        .get(format!("{}{link}", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected.status(), 303);
    assert_eq!(
        redirected.headers()["cache-control"],
        "no-store, max-age=60",
        "presign_ttl is in minutes"
    );
    let signed = redirected.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(signed.starts_with(&format!("{}/{bucket}/images/1.jpg?", s3_endpoint())));
    assert!(signed.contains("X-Amz-Signature=") && signed.contains("X-Amz-Expires=60"));
    let object = reqwest::get(&signed).await.unwrap().text().await.unwrap();
    assert_eq!(object, "jpeg bytes");
    // ML backends fetch media with a JWT access token as well as with a legacy token (the
    // browser's session cookie is the browser test's); without either, nothing.
    let refresh = app.personal_access_token().await;
    let access = no_redirects
        .post(format!("{}/api/token/refresh/", app.base))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access"]
        .as_str()
        .unwrap()
        .to_string();
    let with_jwt = no_redirects
        .get(format!("{}{link}", app.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(with_jwt.status(), 303);
    let anonymous = no_redirects
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // ... or, without presigning, answer the object itself.
    app.patch(&format!("/api/storages/s3/{id}"), json!({"presign": false}))
        .await
        .expect(200);
    let streamed = app.get(&link).await.expect(200);
    assert_eq!(streamed.text, "jpeg bytes");
    assert_eq!(streamed.headers["content-type"], "image/jpeg");
    assert_eq!(streamed.headers["accept-ranges"], "bytes");
    // Players seek with ranges: the part asked for, or 416 past the end.
    let ranged = |range: &'static str| {
        let (app, link) = (&app, link.clone());
        async move {
            app.client
                .get(format!("{}{link}", app.base))
                .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
                .header("Range", range)
                .send()
                .await
                .unwrap()
        }
    };
    let part = ranged("bytes=0-3").await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 0-3/10");
    assert_eq!(part.text().await.unwrap(), "jpeg");
    let tail = ranged("bytes=-5").await;
    assert_eq!(tail.headers()["content-range"], "bytes 5-9/10");
    assert_eq!(tail.text().await.unwrap(), "bytes");
    let past = ranged("bytes=100-").await;
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */10");
    let project_link = link.replace(
        &format!("/tasks/{}/", first["id"]),
        &format!("/projects/{project}/"),
    );
    assert_eq!(app.get(&project_link).await.expect(200).text, "jpeg bytes");
    app.get(&format!("/tasks/{}/resolve/", first["id"]))
        .await
        .expect(400);
    let elsewhere = base64::engine::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE,
        "s3://another-bucket/x.jpg",
    );
    app.get(&format!(
        "/tasks/{}/presign/?fileuri={elsewhere}",
        first["id"]
    ))
    .await
    .expect(404);
}

#[tokio::test]
async fn redis_values_become_tasks() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let (host, port) = redis_address();
    let prefix = format!("t{}:", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let redis = Remote::redis(
        &RedisDatabase {
            host: host.clone(),
            port,
            password: None,
            db: 1,
        },
        &unguarded(),
    );
    redis
        .put(&format!("{prefix}1"), r#"{"text": "from redis"}"#.into())
        .await
        .unwrap();
    redis
        .put(
            &format!("{prefix}2"),
            r#"[{"text": "a"}, {"text": "b"}]"#.into(),
        )
        .await
        .unwrap();
    let created = app
        .post(
            "/api/storages/redis/",
            json!({"project": project, "path": prefix, "host": host, "port": port, "password": ""}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["db"], 1);
    assert_eq!(created["port"], port.to_string());
    assert!(created.get("password").is_none());
    let path = format!("/api/storages/redis/{}", created["id"]);
    let synced = sync(&app, &path).await;
    assert_eq!(synced["status"], "completed", "{synced}");
    assert_eq!(synced["last_sync_count"], 3);
    assert_eq!(sync(&app, &path).await["last_sync_count"], 0);

    let unreachable = app
        .post(
            "/api/storages/redis/",
            json!({"project": project, "host": "127.0.0.1", "port": 1}),
        )
        .await
        .expect(400);
    assert_eq!(
        unreachable.body["validation_errors"]["non_field_errors"],
        json!(["Can't connect to Redis server."])
    );
}

#[tokio::test]
async fn local_files_stay_inside_the_document_root() {
    let root = tempfile::tempdir().unwrap();
    let dataset = root.path().join("dataset1");
    std::fs::create_dir_all(dataset.join("sub")).unwrap();
    std::fs::write(dataset.join("a.json"), r#"{"text": "local"}"#).unwrap();
    std::fs::write(dataset.join("sub").join("b.json"), r#"{"text": "deeper"}"#).unwrap();
    let root_path = root.path().to_path_buf();
    let app = TestApp::spawn_with(move |config| {
        config.local_files.serving = true;
        config.local_files.root = root_path;
    })
    .await;
    let project = app.create_project(TEXT_CONFIG).await;
    let message = |reply: crate::helpers::Reply| {
        reply.expect(400).body["validation_errors"]["non_field_errors"][0]
            .as_str()
            .unwrap()
            .to_string()
    };
    let root_text = root.path().to_string_lossy().to_string();
    let outside = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": project, "path": "/tmp"}),
        )
        .await;
    assert!(message(outside).contains("must be a subdirectory of LOCAL_FILES_DOCUMENT_ROOT"));
    let the_root = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": project, "path": root_text}),
        )
        .await;
    assert!(message(the_root).contains("cannot be the same as LOCAL_FILES_DOCUMENT_ROOT"));
    let missing = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": project, "path": format!("{root_text}/nope")}),
        )
        .await;
    assert_eq!(
        message(missing),
        format!("Absolute local path \"{root_text}/nope\" does not exist")
    );

    let created = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": project, "path": format!("{}/", dataset.display()), "recursive_scan": true}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        created["path"],
        dataset.to_string_lossy().as_ref(),
        "the path is normalized"
    );
    let synced = sync(&app, &format!("/api/storages/localfiles/{}", created["id"])).await;
    assert_eq!(synced["last_sync_count"], 2, "{synced}");
    let mut texts: Vec<Value> = task_data(&app, project).await;
    texts.sort_by_key(|d| d["text"].as_str().map(str::to_string));
    assert_eq!(texts, [json!({"text": "deeper"}), json!({"text": "local"})]);

    // Files mode: each file becomes a task of its local-files link, served to members.
    let pictures = root.path().join("pictures");
    std::fs::create_dir_all(&pictures).unwrap();
    std::fs::write(pictures.join("cat 1.png"), b"PNG fake").unwrap();
    std::fs::write(root.path().join("secret.txt"), b"outside any storage").unwrap();
    let images = app
        .create_project(r#"<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="a"/></Choices></View>"#)
        .await;
    let created = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": images, "path": pictures.to_string_lossy(), "use_blob_urls": true}),
        )
        .await
        .expect(201)
        .body;
    sync(&app, &format!("/api/storages/localfiles/{}", created["id"])).await;
    let data = task_data(&app, images).await;
    assert_eq!(
        data,
        [json!({"image": "/data/local-files/?d=pictures/cat%201.png"})]
    );
    let served = app
        .get(data[0]["image"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(served.text, "PNG fake");
    assert_eq!(served.headers["content-type"], "image/png");
    app.get("/data/local-files/?d=secret.txt").await.expect(404);
    // A link inside the storage's folder to a file outside it is not followed.
    std::os::unix::fs::symlink(root.path().join("secret.txt"), pictures.join("escape.txt"))
        .unwrap();
    app.get("/data/local-files/?d=pictures/escape.txt")
        .await
        .expect(404);
    app.get("/data/local-files/?d=pictures/../secret.txt")
        .await
        .expect(404);
    app.get("/data/local-files/?d=../etc/passwd")
        .await
        .expect(404);
    app.get("/data/local-files/?d=").await.expect(403);
}

#[tokio::test]
async fn local_files_are_not_served_unless_enabled() {
    let app = TestApp::spawn().await;
    let refused = app.get("/data/local-files/?d=any.png").await.expect(403);
    assert!(refused
        .text
        .starts_with("Serving local files can be dangerous"));
    let project = app.create_project(TEXT_CONFIG).await;
    // A folder sure not to exist (a fixed path such as /tmp/x may).
    let missing = tempfile::tempdir().unwrap().path().join("missing");
    let created = app
        .post(
            "/api/storages/localfiles/",
            json!({"project": project, "path": missing.to_string_lossy()}),
        )
        .await
        .expect(400);
    assert!(created.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .contains("does not exist"));
}

/// The body of an object in the S3 emulator, once it is there.
async fn object_eventually(bucket: &str, key: &str) -> Option<Value> {
    for _ in 0..100 {
        let response = s3_get(bucket, key).await;
        if let Some(body) = response {
            return Some(body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// An object's JSON body (the emulator refuses unsigned reads).
async fn s3_get(bucket: &str, key: &str) -> Option<Value> {
    let bytes = s3(bucket).get(key).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[tokio::test]
async fn s3_export_storage_receives_every_annotation_save() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks = app
        .import_ids(project, json!([{"text": "first"}, {"text": "second"}]))
        .await;
    let before = app
        .post(
            &format!("/api/tasks/{}/annotations/", tasks[0]),
            json!({"result": crate::helpers::choice("Positive")}),
        )
        .await
        .expect(201)
        .body;
    let bucket = bucket_with(&[]).await;
    let created = app
        .post(
            "/api/storages/export/s3",
            s3_body(
                project,
                &bucket,
                json!({"prefix": "out", "can_delete_objects": true}),
            ),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["type"], "s3");
    assert_eq!(
        created["status"], "queued",
        "an export storage syncs once created"
    );
    assert_eq!(created["can_delete_objects"], true);
    assert!(created.get("presign").is_none());
    let path = format!("/api/storages/export/s3/{}", created["id"]);
    let mut storage = created.clone();
    for _ in 0..100 {
        storage = app.get(&path).await.expect(200).body;
        if storage["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(storage["status"], "completed", "{storage}");
    assert_eq!(storage["last_sync_count"], 1, "{storage}");
    assert_eq!(storage["meta"]["total_annotations"], 1, "{storage}");
    let written = s3_get(&bucket, &format!("out/{}", before["id"]))
        .await
        .unwrap();
    assert_eq!(written["id"], before["id"]);
    assert_eq!(written["task"]["data"], json!({"text": "first"}));
    assert_eq!(written["task"]["id"], tasks[0]);
    assert_eq!(
        written["result"][0]["value"]["choices"],
        json!(["Positive"])
    );
    assert_eq!(written["completed_by"]["email"], crate::helpers::ADMIN);

    // A new annotation is written by a background job, soon after the request.
    let after = app
        .post(
            &format!("/api/tasks/{}/annotations/", tasks[1]),
            json!({"result": crate::helpers::choice("Negative")}),
        )
        .await
        .expect(201)
        .body;
    let key = format!("out/{}", after["id"]);
    let exported = object_eventually(&bucket, &key).await.expect("exported");
    assert_eq!(exported["task"]["data"], json!({"text": "second"}));

    // A change rewrites it; a deletion removes it (can_delete_objects).
    app.patch(
        &format!("/api/annotations/{}/", after["id"]),
        json!({"result": crate::helpers::choice("Positive")}),
    )
    .await
    .expect(200);
    let mut rewritten = None;
    for _ in 0..100 {
        let body = s3_get(&bucket, &key).await.unwrap();
        if body["result"][0]["value"]["choices"] == json!(["Positive"]) {
            rewritten = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rewritten.is_some(), "the object follows the change");
    app.delete(&format!("/api/annotations/{}/", after["id"]))
        .await
        .expect(204);
    let mut gone = false;
    for _ in 0..100 {
        if s3_get(&bucket, &key).await.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the object of a deleted annotation is removed");
    assert!(s3_get(&bucket, &format!("out/{}", before["id"]))
        .await
        .is_some());
}

/// Azurite's documented development account key.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The Azure Blob emulator the test command started (with a container `tessera`).
fn azure_endpoint() -> String {
    std::env::var("TESSERA_TEST_AZURE_ENDPOINT")
        .expect("TESSERA_TEST_AZURE_ENDPOINT: run scripts/test.sh, or `source scripts/services.sh && start_services` first")
}

/// The Azurite container `tessera`, signed with the development account.
fn azurite() -> Remote {
    Remote::azure(
        &tessera_storage::remote::AzureContainer {
            container: "tessera".into(),
            account_name: "devstoreaccount1".into(),
            account_key: AZURITE_KEY.into(),
            endpoint: Some(azure_endpoint()),
        },
        &unguarded(),
    )
    .unwrap()
}

#[tokio::test]
async fn azure_blobs_become_tasks_and_resolve_to_signed_urls() {
    let endpoint = azure_endpoint();
    let app = TestApp::spawn_with(move |config| {
        config.outbound_allow = tessera_outbound::Allow::Everything;
        config.azure_blob_endpoint = Some(endpoint);
    })
    .await;
    let container = azurite();
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    container
        .put(&format!("{prefix}/a.wav"), "wave bytes".into())
        .await
        .unwrap();
    container
        .put(&format!("{prefix}/b.wav"), "more wave bytes".into())
        .await
        .unwrap();
    let project = app
        .create_project(r#"<View><Audio name="audio" value="$audio"/><TextArea name="t" toName="audio"/></View>"#)
        .await;
    let body = |more: Value| {
        let mut body = json!({
            "project": project, "container": "tessera", "prefix": prefix,
            "account_name": "devstoreaccount1", "account_key": AZURITE_KEY,
        });
        body.as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        body
    };
    let created = app
        .post(
            "/api/storages/azure/",
            body(json!({"use_blob_urls": true, "presign_ttl": 5})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["type"], "azure");
    assert!(created.get("account_name").is_none() && created.get("account_key").is_none());
    let synced = sync(&app, &format!("/api/storages/azure/{}", created["id"])).await;
    assert_eq!(synced["last_sync_count"], 2, "{synced}");
    assert_eq!(
        task_data(&app, project).await[0],
        json!({"audio": format!("azure-blob://tessera/{prefix}/a.wav")})
    );
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    let link = page["tasks"][0]["data"]["audio"]
        .as_str()
        .unwrap()
        .to_string();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirected = no_redirects
        .get(format!("{}{link}", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected.status(), 303);
    assert_eq!(
        redirected.headers()["cache-control"],
        "no-store, max-age=300"
    );
    let signed = redirected.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    // Azurite checks shared access signatures: a good one reads, a tampered one does not.
    let read = reqwest::get(&signed).await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.text().await.unwrap(), "wave bytes");
    let tampered = signed.replace("sig=", "sig=A");
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);

    let wrong_container = app
        .post(
            "/api/storages/azure/",
            body(json!({"container": "nothere"})),
        )
        .await
        .expect(400);
    assert_eq!(
        wrong_container.body["validation_errors"]["non_field_errors"],
        json!(["Container not found: nothere"])
    );
    let no_key = app
        .post(
            "/api/storages/azure/",
            json!({"project": project, "container": "tessera"}),
        )
        .await
        .expect(400);
    assert!(no_key.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .starts_with("Azure account name and key must be set"));

    // An export storage writes annotations as blobs.
    let task = page["tasks"][0]["id"].as_i64().unwrap();
    let annotation = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": [{"from_name": "t", "to_name": "audio", "type": "textarea", "value": {"text": ["hello"]}}]}),
        )
        .await
        .expect(201)
        .body;
    app.post(
        "/api/storages/export/azure",
        body(json!({"prefix": format!("{prefix}-out")})),
    )
    .await
    .expect(201);
    let key = format!("{prefix}-out/{}", annotation["id"]);
    let mut written = None;
    for _ in 0..100 {
        if let Ok(bytes) = container.get(&key).await {
            written = Some(serde_json::from_slice::<Value>(&bytes).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let written = written.expect("the annotation is written to the container");
    assert_eq!(written["result"][0]["value"]["text"], json!(["hello"]));
}

/// The Google Cloud Storage emulator the test command started (with a bucket `tessera`).
fn gcs_endpoint() -> String {
    std::env::var("TESSERA_TEST_GCS_ENDPOINT")
        .expect("TESSERA_TEST_GCS_ENDPOINT: run scripts/test.sh, or `source scripts/services.sh && start_services` first")
}

#[tokio::test]
async fn gcs_objects_become_tasks_and_receive_annotations() {
    let endpoint = gcs_endpoint();
    let app = TestApp::spawn_with(move |config| {
        config.outbound_allow = tessera_outbound::Allow::Everything;
        config.gcs_endpoint = Some(endpoint);
    })
    .await;
    let bucket = Remote::gcs("tessera", None, Some(gcs_endpoint()), &unguarded()).unwrap();
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    bucket
        .put(
            &format!("{prefix}/a.json"),
            r#"{"text": "from gcs"}"#.into(),
        )
        .await
        .unwrap();
    bucket
        .put(
            &format!("{prefix}/b.jsonl"),
            "{\"text\": \"x\"}\n{\"text\": \"y\"}".into(),
        )
        .await
        .unwrap();
    let project = app.create_project(TEXT_CONFIG).await;
    let created = app
        .post(
            "/api/storages/gcs/",
            json!({"project": project, "bucket": "tessera", "prefix": prefix, "google_project_id": "demo"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["type"], "gcs");
    assert_eq!(created["google_project_id"], "demo");
    let path = format!("/api/storages/gcs/{}", created["id"]);
    let synced = sync(&app, &path).await;
    assert_eq!(synced["status"], "completed", "{synced}");
    assert_eq!(synced["last_sync_count"], 3);
    assert_eq!(sync(&app, &path).await["last_sync_count"], 0);
    let mut texts: Vec<String> = task_data(&app, project)
        .await
        .iter()
        .map(|d| d["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    assert_eq!(texts, ["from gcs", "x", "y"]);
    // A part of an object, as a proxied media link reads it.
    let part = bucket
        .read(
            &format!("{prefix}/a.json"),
            Some(tessera_storage::remote::ByteRange::Bounded { first: 2, last: 5 }),
        )
        .await
        .unwrap();
    assert_eq!((part.size, part.range.clone()), (20, 2..6));
    let bytes: Vec<_> = futures_util::TryStreamExt::try_collect::<Vec<_>>(part.body)
        .await
        .unwrap();
    assert_eq!(bytes.concat(), b"text".to_vec());

    let empty = app
        .post(
            "/api/storages/gcs/",
            json!({"project": project, "bucket": "tessera", "prefix": "nothing-here"}),
        )
        .await
        .expect(400);
    assert_eq!(
        empty.body["validation_errors"]["non_field_errors"],
        json!(["No blobs found in tessera/nothing-here or prefix doesn't exist"])
    );
    let bad_key = app
        .post(
            "/api/storages/gcs/",
            json!({"project": project, "bucket": "tessera", "google_application_credentials": "not json"}),
        )
        .await
        .expect(400);
    assert!(bad_key.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap()
        .starts_with("Google Application Credentials must be valid JSON string."));

    let task = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    let annotation = app
        .post(
            &format!("/api/tasks/{task}/annotations/"),
            json!({"result": crate::helpers::choice("Positive")}),
        )
        .await
        .expect(201)
        .body;
    app.post(
        "/api/storages/export/gcs",
        json!({"project": project, "bucket": "tessera", "prefix": format!("{prefix}-out")}),
    )
    .await
    .expect(201);
    let key = format!("{prefix}-out/{}", annotation["id"]);
    let mut written = None;
    for _ in 0..100 {
        if let Ok(bytes) = bucket.get(&key).await {
            written = Some(serde_json::from_slice::<Value>(&bytes).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(written.expect("written")["id"], annotation["id"]);
}

#[tokio::test]
async fn changed_and_vanished_objects_update_their_tasks_when_asked() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let bucket = bucket_with(&[
        ("tasks/a.json", r#"{"text": "v1"}"#),
        ("tasks/list.json", r#"[{"text": "r0"}, {"text": "r1"}]"#),
    ])
    .await;
    let asked = app
        .post(
            "/api/storages/s3/",
            s3_body(
                project,
                &bucket,
                json!({"prefix": "tasks", "update_changed_tasks": true, "delete_vanished_tasks": true}),
            ),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(asked["update_changed_tasks"], true);
    let path = format!("/api/storages/s3/{}", asked["id"]);
    assert_eq!(sync(&app, &path).await["last_sync_count"], 3);
    let texts = |data: Vec<Value>| -> Vec<String> {
        let mut texts: Vec<String> = data
            .iter()
            .map(|d| d["text"].as_str().unwrap().to_string())
            .collect();
        texts.sort();
        texts
    };
    let listed = app
        .get(&format!("/api/projects/{project}/tasks/?page_size=-1"))
        .await
        .expect(200)
        .body;
    let first = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["data"]["text"] == "v1")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/tasks/{first}/annotations/"),
        json!({"result": crate::helpers::choice("Positive")}),
    )
    .await
    .expect(201);

    put_object(&bucket, "tasks/a.json", r#"{"text": "v2"}"#).await;
    put_object(&bucket, "tasks/list.json", r#"[{"text": "r0 again"}]"#).await;
    let synced = sync(&app, &path).await;
    assert_eq!(synced["last_sync_count"], 0, "{synced}");
    assert_eq!(synced["meta"]["tasks_updated"], 2);
    assert_eq!(synced["meta"]["tasks_deleted"], 1, "the lost row's task");
    assert_eq!(texts(task_data(&app, project).await), ["r0 again", "v2"]);
    let task = app
        .get(&format!("/api/tasks/{first}"))
        .await
        .expect(200)
        .body;
    assert_eq!(task["data"]["text"], "v2");
    assert_eq!(
        task["total_annotations"], 1,
        "annotations stay with their task"
    );

    s3(&bucket).delete("tasks/a.json").await.unwrap();
    let synced = sync(&app, &path).await;
    assert_eq!(synced["meta"]["tasks_deleted"], 1, "{synced}");
    assert_eq!(texts(task_data(&app, project).await), ["r0 again"]);

    // Without those settings, a sync leaves synced objects' tasks as they are (Label Studio's
    // behaviour).
    let other = app.create_project(TEXT_CONFIG).await;
    let plain = app
        .post(
            "/api/storages/s3/",
            s3_body(other, &bucket, json!({"prefix": "tasks"})),
        )
        .await
        .expect(201)
        .body;
    let plain_path = format!("/api/storages/s3/{}", plain["id"]);
    sync(&app, &plain_path).await;
    put_object(&bucket, "tasks/list.json", r#"[{"text": "changed"}]"#).await;
    let again = sync(&app, &plain_path).await;
    assert!(again["meta"].get("tasks_updated").is_none());
    assert_eq!(texts(task_data(&app, other).await), ["r0 again"]);
}

/// An upload through one instance is served by another sharing the database and the media
/// bucket; it lands under the bucket's prefix and leaves it when the upload is deleted.
async fn uploads_shared_through(media_store: &str, bucket: &Remote, prefix: &str) {
    let store: tessera_storage::MediaBucket = media_store.parse().unwrap();
    let first_store = store.clone();
    let first = TestApp::spawn_with(move |config| config.media_store = Some(first_store)).await;
    let project = first.create_project(TEXT_CONFIG).await;
    let csv = b"text\nfrom a bucket\n";
    let uploaded = first
        .upload_files(project, "commit_to_project=false", &[("shared.csv", csv)])
        .await
        .expect(201)
        .body;
    let upload = uploaded["file_upload_ids"][0].as_i64().unwrap();
    let file = first
        .get(&format!("/api/import/file-upload/{upload}"))
        .await
        .expect(200)
        .body["file"]
        .as_str()
        .unwrap()
        .to_string();
    let key = format!("{prefix}/{}", file.trim_start_matches('/'));
    assert_eq!(bucket.get(&key).await.unwrap().as_ref(), csv, "{key}");

    let database_url = first.database_url.clone();
    let second = TestApp::spawn_with(move |config| {
        config.database_url = database_url;
        config.media_store = Some(store);
    })
    .await;
    let path = format!("/data/{}", file.trim_start_matches('/'));
    let served = second
        .client
        .get(format!("{}{path}", second.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200, "{path}");
    assert_eq!(served.bytes().await.unwrap().as_ref(), csv);

    second
        .delete(&format!("/api/import/file-upload/{upload}"))
        .await
        .expect(204);
    assert!(matches!(
        bucket.get(&key).await,
        Err(tessera_storage::remote::RemoteError::NotFound(_))
    ));
}

#[tokio::test]
async fn uploads_live_in_an_s3_media_bucket_that_instances_share() {
    let bucket = bucket_with(&[]).await;
    let store = format!(
        "s3://{bucket}/media?endpoint={}&allow_http=true&access_key_id=AKIDTESSERA&secret_access_key=tessera-secret-value&region=us-east-1",
        s3_endpoint()
    );
    uploads_shared_through(&store, &s3(&bucket), "media").await;
}

#[tokio::test]
async fn uploads_live_in_an_azure_media_container_that_instances_share() {
    let container = azurite();
    let prefix = format!("media-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let store = format!(
        "az://tessera/{prefix}?account_name=devstoreaccount1&access_key={}&endpoint={}/devstoreaccount1&allow_http=true",
        crate::helpers::urlencoded(AZURITE_KEY),
        azure_endpoint()
    );
    uploads_shared_through(&store, &container, &prefix).await;
}

#[tokio::test]
async fn the_file_preview_lists_what_a_sync_would_read_before_saving() {
    let app = app().await;
    let project = app.create_project(TEXT_CONFIG).await;
    let bucket = bucket_with(&[
        ("pets/a.json", r#"{"text": "a"}"#),
        ("pets/b.json", r#"{"text": "b"}"#),
        ("pets/notes.txt", "not a task"),
        ("pets/deeper/c.json", r#"{"text": "c"}"#),
        ("other/d.json", r#"{"text": "d"}"#),
    ])
    .await;
    let preview = |more: Value| {
        let body = s3_body(project, &bucket, more);
        let app = &app;
        async move { app.post("/api/storages/s3/files", body).await }
    };
    let keys = |reply: crate::helpers::Reply| -> Vec<Value> {
        reply.expect(200).body["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file["key"].clone())
            .collect()
    };

    let listed = preview(json!({"prefix": "pets", "regex_filter": ".*\\.json"}))
        .await
        .expect(200)
        .body;
    let files = listed["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{listed}");
    assert_eq!(files[0]["key"], "pets/a.json");
    assert_eq!(files[0]["size"], 13);
    let modified = files[0]["last_modified"].as_str().unwrap();
    assert!(
        modified.ends_with('Z') && modified.contains('T'),
        "{modified}"
    );
    assert_eq!(files[1]["key"], "pets/b.json");
    assert_eq!(
        keys(
            preview(json!({"prefix": "pets", "regex_filter": ".*\\.json", "recursive_scan": true}))
                .await
        ),
        [
            json!("pets/a.json"),
            json!("pets/b.json"),
            json!("pets/deeper/c.json")
        ]
    );
    // More than the limit: the limit's files, then an entry of nulls.
    let limited = preview(json!({"prefix": "pets", "limit": 1}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        limited["files"],
        json!([
            {"key": "pets/a.json", "last_modified": limited["files"][0]["last_modified"], "size": 13},
            {"key": null, "last_modified": null, "size": null}
        ])
    );

    // A saved storage's secrets stand in for those the body leaves out.
    let created = app
        .post(
            "/api/storages/s3/",
            s3_body(project, &bucket, json!({"prefix": "other"})),
        )
        .await
        .expect(201)
        .body;
    let by_id = app
        .post(
            "/api/storages/s3/files",
            json!({"id": created["id"], "project": project, "bucket": bucket, "prefix": "other",
                   "region_name": "us-east-1", "s3_endpoint": s3_endpoint()}),
        )
        .await;
    assert_eq!(keys(by_id), [json!("other/d.json")]);
    // The saved settings stand in for those the body leaves out.
    let only_id = app
        .post(
            "/api/storages/s3/files",
            json!({"id": created["id"], "project": project, "limit": 5}),
        )
        .await;
    assert_eq!(keys(only_id), [json!("other/d.json")]);
    // Another direction's storage, or someone who may not import, is refused.
    let target = app
        .post(
            "/api/storages/export/s3",
            s3_body(project, &bucket, json!({"prefix": "other"})),
        )
        .await
        .expect(201)
        .body;
    app.post(
        "/api/storages/s3/files",
        json!({"id": target["id"], "project": project}),
    )
    .await
    .expect(404);
    let annotator = app.annotator_of("previewer@example.com", project).await;
    app.call_as(
        &annotator,
        reqwest::Method::POST,
        "/api/storages/s3/files",
        Some(s3_body(project, &bucket, json!({}))),
    )
    .await
    .expect(403);

    // Bad input: Label Studio's messages, and nothing is made.
    let refused = preview(json!({"limit": "many"})).await.expect(400).body;
    assert!(
        refused["validation_errors"]["limit"].is_array(),
        "{refused}"
    );
    let missing = app
        .post(
            "/api/storages/s3/files",
            s3_body(project, "no-such-bucket-here", json!({})),
        )
        .await
        .expect(400)
        .body;
    assert_eq!(
        missing["validation_errors"]["non_field_errors"][0],
        "Cannot find bucket no-such-bucket-here in S3"
    );
    let no_project = app
        .post("/api/storages/s3/files", json!({"bucket": bucket}))
        .await
        .expect(400)
        .body;
    assert!(
        no_project["validation_errors"]["project"].is_array(),
        "{no_project}"
    );
    assert_eq!(task_data(&app, project).await.len(), 0);
    let listed = app
        .get(&format!("/api/storages/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "only the storage created on purpose"
    );
}

/// Submits a choice on `task` and answers the annotation's id.
async fn annotate(app: &TestApp, task: i64) -> i64 {
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": crate::helpers::choice("Positive")}),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

/// Waits for `read` to find something (an export job writes after the save commits); when it
/// never does, fails with `what` and the app's jobs.
async fn eventually<F, Fut>(app: &TestApp, what: &str, mut read: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    // Generous: a loaded CI machine runs many servers' workers at once.
    for _ in 0..300 {
        if let Some(found) = read().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} within 30 s; the jobs:\n{}", app.jobs_report().await);
}

#[tokio::test]
async fn redis_and_local_files_export_storages_receive_annotations() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("annotations");
    std::fs::create_dir_all(&folder).unwrap();
    let root_path = root.path().to_path_buf();
    let app = TestApp::spawn_with(move |config| {
        config.outbound_allow = tessera_outbound::Allow::Everything;
        config.local_files.serving = true;
        config.local_files.root = root_path;
    })
    .await;
    let project = app.create_project(TEXT_CONFIG).await;
    let tasks = app
        .import_ids(project, json!([{"text": "one"}, {"text": "two"}]))
        .await;
    let (host, port) = redis_address();
    // A database of its own: keys are annotation ids, which other tests' servers share.
    let db = 7;
    app.post(
        "/api/storages/export/redis",
        json!({"project": project, "host": host, "port": port, "db": db, "title": "Redis out"}),
    )
    .await
    .expect(201);
    app.post(
        "/api/storages/export/localfiles",
        json!({"project": project, "path": folder.to_string_lossy(), "can_delete_objects": true}),
    )
    .await
    .expect(201);
    let refused = app
        .post(
            "/api/storages/export/redis",
            json!({"project": project, "host": "127.0.0.1", "port": 1}),
        )
        .await
        .expect(400);
    assert_eq!(
        refused.body["validation_errors"]["non_field_errors"],
        json!(["Can't connect to Redis server."])
    );

    let annotation = annotate(&app, tasks[0]).await;
    let redis = Remote::redis(
        &RedisDatabase {
            host,
            port,
            password: None,
            db,
        },
        &unguarded(),
    );
    let first = tasks[0];
    let in_redis = eventually(&app, "the annotation was not in Redis", || {
        let redis = redis.clone();
        async move {
            let bytes = redis.get(&annotation.to_string()).await.ok()?;
            let value: Value = serde_json::from_slice(&bytes).ok()?;
            (value["task"]["id"] == first).then_some(value)
        }
    })
    .await;
    assert_eq!(
        in_redis["result"][0]["value"]["choices"],
        json!(["Positive"])
    );
    let file = folder.join(annotation.to_string());
    let in_folder = eventually(&app, "the annotation's file was not written", || {
        let file = file.clone();
        async move { serde_json::from_slice(&std::fs::read(file).ok()?).ok() }
    })
    .await;
    assert_eq!(in_folder["id"], annotation);
    assert_eq!(in_folder["task"]["data"], json!({"text": "one"}));

    // A deleted annotation's file goes when the storage may delete objects.
    app.delete(&format!("/api/annotations/{annotation}/"))
        .await
        .expect(204);
    eventually(
        &app,
        "the deleted annotation's file was not removed",
        || {
            let file = file.clone();
            async move { (!file.exists()).then_some(Value::Null) }
        },
    )
    .await;
}

/// The name the converter gives a downloaded file: the first 8 hex digits of its address's MD5.
fn hashed(address: &str, name: &str) -> String {
    use md5::{Digest, Md5};
    format!(
        "images/{}__{name}",
        &hex::encode(Md5::digest(address.as_bytes()))[..8]
    )
}

#[tokio::test]
async fn bucket_images_are_packed_into_image_exports() {
    let app = app().await;
    let project = app
        .create_project(r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Car"/></RectangleLabels></View>"#)
        .await;
    let bucket = bucket_with(&[("pics/a.png", "bytes of a"), ("pics/b.png", "bytes of b")]).await;
    let id = app
        .post(
            "/api/storages/s3/",
            s3_body(
                project,
                &bucket,
                json!({"prefix": "pics/", "use_blob_urls": true}),
            ),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    sync(&app, &format!("/api/storages/s3/{id}")).await;
    let tasks = app
        .get(&format!("/api/projects/{project}/tasks/?page_size=-1"))
        .await
        .expect(200)
        .body;
    let first = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .min()
        .unwrap();
    app.post(
        &format!("/api/tasks/{first}/annotations/"),
        json!({"result": [{"from_name": "box", "to_name": "image", "type": "rectanglelabels",
                           "original_width": 200, "original_height": 100,
                           "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Car"]}}]}),
    )
    .await
    .expect(201);
    let (a, b) = (
        format!("s3://{bucket}/pics/a.png"),
        format!("s3://{bucket}/pics/b.png"),
    );

    let export = |format: &'static str| {
        let app = &app;
        async move {
            let download = app
                .download(&format!(
                    "/api/projects/{project}/export?exportType={format}&download_all_tasks=true"
                ))
                .await;
            assert_eq!(download.status, 200);
            assert_eq!(download.headers["content-type"], "application/zip");
            assert!(download.headers["filename"]
                .to_str()
                .unwrap()
                .ends_with(".zip"));
            unzip(&download.body)
        }
    };
    let yolo = export("YOLO_WITH_IMAGES").await;
    assert_eq!(
        yolo[&hashed(&a, "a.png")],
        b"bytes of a",
        "{:?}",
        yolo.keys()
    );
    assert_eq!(yolo[&hashed(&b, "b.png")], b"bytes of b");
    let label = hashed(&a, "a.txt").replace("images/", "labels/");
    assert_eq!(
        String::from_utf8_lossy(&yolo[&label]),
        "0 0.25 0.4 0.3 0.4\n"
    );
    assert_eq!(yolo["classes.txt"], b"Car\n");
    // Without images, nothing is read from the bucket.
    let plain = export("YOLO").await;
    assert!(
        plain.keys().all(|k| !k.starts_with("images/")),
        "{:?}",
        plain.keys()
    );
    assert!(plain.contains_key(&label));

    // A snapshot converted with its images reads the bucket too.
    let snapshot = app
        .post(&format!("/api/projects/{project}/exports/"), json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(snapshot["status"], "completed");
    let converted = app
        .post(
            &format!("/api/projects/{project}/exports/{}/convert", snapshot["id"]),
            json!({"export_type": "COCO_WITH_IMAGES"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(converted["export_type"], "COCO_WITH_IMAGES");
    let response = app
        .client
        .get(format!(
            "{}/api/projects/{project}/exports/{}/download?exportType=COCO_WITH_IMAGES",
            app.base, snapshot["id"]
        ))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let coco = unzip(&response.bytes().await.unwrap());
    assert_eq!(coco[&hashed(&a, "a.png")], b"bytes of a");
    let result: Value = serde_json::from_slice(&coco["result.json"]).unwrap();
    assert_eq!(result["images"][0]["file_name"], hashed(&a, "a.png"));
    assert_eq!(
        result["annotations"][0]["bbox"],
        json!([20.0, 20.0, 60.0, 40.0])
    );
}
