//! Webhooks: Label Studio's `/api/webhooks/` contract (compared with Label Studio 1.23.2, whose
//! answers are written into these tests), every event delivered once to a real local receiver
//! with Label Studio's bodies, retries with backoff, failures recorded, order kept.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{json, Value};
use tessera_core::webhooks::deliver::{signature, Timing};

use crate::helpers::{choice, TestApp};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Value,
    raw: Bytes,
}

/// A local webhook receiver: records every request; answers 500 to the first `failures`.
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(failures: usize) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failing = Arc::new(Mutex::new(failures));
        let state = (got.clone(), failing);
        let app = axum::Router::new()
            .route("/{*path}", post(record))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            base: format!("http://127.0.0.1:{}", addr.port()),
            got,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == format!("/{path}"))
            .collect()
    }

    /// Waits until `path` got `count` requests (and a moment more, to see no extra one).
    async fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        for _ in 0..300 {
            if self.at(path).len() >= count {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let got = self.at(path);
                assert_eq!(
                    got.len(),
                    count,
                    "{path}: {:?}",
                    got.iter().map(|r| &r.body["action"]).collect::<Vec<_>>()
                );
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{path} got {:?}, not {count} requests",
            self.at(path)
                .iter()
                .map(|r| r.body["action"].clone())
                .collect::<Vec<_>>()
        );
    }
}

type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<usize>>);

async fn record(
    State((got, failures)): State<ReceiverState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> StatusCode {
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    got.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        headers,
        body,
        raw,
    });
    let mut failures = failures.lock().unwrap();
    if *failures > 0 {
        *failures -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// An app that may call loopback receivers and retries quickly.
async fn app_with(timing: Timing) -> TestApp {
    TestApp::spawn_with(move |config| {
        config.outbound_allow =
            tessera_outbound::Allow::Ranges(vec!["127.0.0.0/8".parse().unwrap()]);
        config.webhook_delivery = timing;
    })
    .await
}

fn quick() -> Timing {
    Timing {
        timeout: Duration::from_secs(5),
        retry_base: Duration::from_millis(100),
        attempts: 3,
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

const TASK_KEYS: [&str; 20] = [
    "id",
    "data",
    "meta",
    "created_at",
    "updated_at",
    "is_labeled",
    "allow_skip",
    "overlap",
    "inner_id",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "precomputed_agreement",
    "comment_count",
    "unresolved_comment_count",
    "last_comment_updated_at",
    "project",
    "updated_by",
    "file_upload",
    "comment_authors",
];

const ANNOTATION_KEYS: [&str; 21] = [
    "id",
    "result",
    "was_cancelled",
    "ground_truth",
    "created_at",
    "updated_at",
    "draft_created_at",
    "lead_time",
    "prediction",
    "result_count",
    "unique_id",
    "import_id",
    "last_action",
    "bulk_created",
    "task",
    "project",
    "completed_by",
    "updated_by",
    "parent_prediction",
    "parent_annotation",
    "last_created_by",
];

const PROJECT_KEYS: [&str; 50] = [
    "id",
    "task_number",
    "finished_task_number",
    "total_predictions_number",
    "total_annotations_number",
    "num_tasks_with_annotations",
    "useful_annotation_number",
    "ground_truth_number",
    "skipped_annotations_number",
    "title",
    "description",
    "label_config",
    "parsed_label_config",
    "label_config_hash",
    "expert_instruction",
    "show_instruction",
    "show_skip_button",
    "enable_empty_annotation",
    "reveal_preannotations_interactively",
    "show_annotation_history",
    "show_collab_predictions",
    "evaluate_predictions_automatically",
    "token",
    "result_count",
    "color",
    "maximum_annotations",
    "min_annotations_to_start_training",
    "control_weights",
    "model_version",
    "data_types",
    "is_draft",
    "is_published",
    "created_at",
    "updated_at",
    "sampling",
    "skip_queue",
    "show_ground_truth_first",
    "annotator_evaluation_enabled",
    "show_overlap_first",
    "overlap_cohort_percentage",
    "task_data_login",
    "task_data_password",
    "pinned_at",
    "custom_task_lock_ttl",
    "deleted_at",
    "purge_at",
    "search_vector",
    "organization",
    "created_by",
    "deleted_by",
];

#[tokio::test]
async fn the_webhooks_api_answers_as_label_studio_does() {
    let app = app_with(quick()).await;
    let project = app.create_project(CONFIG).await;
    let hook_url = "http://127.0.0.1:9/hook";

    // Anyone may read which actions exist.
    let info = app
        .client
        .get(format!("{}/api/webhooks/info/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info.as_object().unwrap().len(), 12);
    assert_eq!(
        info["TASKS_CREATED"],
        json!({"name": "Task created", "description": "", "key": "tasks", "organization-only": false})
    );
    let only = app
        .get("/api/webhooks/info?organization-only=true")
        .await
        .expect(200);
    assert_eq!(keys(&only.body), ["PROJECT_CREATED", "PROJECT_DELETED"]);
    let not_only = app
        .get("/api/webhooks/info/?organization-only=no")
        .await
        .expect(200);
    assert_eq!(not_only.body.as_object().unwrap().len(), 10);

    assert_eq!(app.get("/api/webhooks/").await.expect(200).body, json!([]));
    // Label Studio's refusals, in its words.
    let missing = app
        .post("/api/webhooks/", json!({"url": hook_url}))
        .await
        .expect(404);
    assert_eq!(missing.body["detail"], "Project not found.");
    let unknown = app
        .post("/api/webhooks/", json!({"url": hook_url, "project": 99999}))
        .await
        .expect(400);
    assert_eq!(
        unknown.body["validation_errors"]["project"],
        json!(["Invalid pk \"99999\" - object does not exist."])
    );
    let no_url = app
        .post("/api/webhooks/", json!({"project": project}))
        .await
        .expect(400);
    assert_eq!(
        no_url.body["validation_errors"]["url"],
        json!(["This field is required."])
    );
    let bad_url = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": "not a url"}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_url.body["validation_errors"]["url"],
        json!(["Enter a valid URL."])
    );
    let bad_action = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": hook_url, "actions": ["TASKS_CREATED", "FOO"]}),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_action.body["validation_errors"]["actions"],
        json!({"1": ["\"FOO\" is not a valid choice."]})
    );
    let org_only = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": hook_url, "actions": ["PROJECT_CREATED"]}),
        )
        .await
        .expect(400);
    assert_eq!(
        org_only.body["validation_errors"]["non_field_errors"],
        json!(["Project webhook can't contain organization-only action."])
    );
    // Label Studio's schema, and (Tessera) values that could not be sent as they are and
    // headers that frame the request.
    for headers in [
        json!([1]),
        json!({"X-A": 1}),
        json!({"bad key": "v"}),
        json!({"X-A": "a\r\nX-Injected: 1"}),
        json!({"Host": "elsewhere.example.com"}),
    ] {
        let refused = app
            .post(
                "/api/webhooks/",
                json!({"project": project, "url": hook_url, "headers": headers}),
            )
            .await
            .expect(400);
        assert!(
            refused.body["validation_errors"]["headers"][0]
                .as_str()
                .unwrap()
                .ends_with("failed JSON schema check"),
            "{}",
            refused.body
        );
    }
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("X-{i}"), json!("v"))).collect();
    app.post(
        "/api/webhooks/",
        json!({"project": project, "url": hook_url, "headers": eleven}),
    )
    .await
    .expect(400);
    // The SSRF guard: private addresses are refused unless allowed (this app allows loopback).
    let private = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": "http://10.1.2.3/hook"}),
        )
        .await
        .expect(403);
    assert_eq!(
        private.body["detail"],
        "URL resolves to a reserved network address (block: 10.0.0.0/8)"
    );
    assert_eq!(
        app.get("/api/webhooks/").await.expect(200).body,
        json!([]),
        "nothing written"
    );

    let created = app
        .post(
            "/api/webhooks/",
            json!({
                "project": project,
                "url": hook_url,
                "send_for_all_actions": false,
                "actions": ["TASKS_CREATED", "ANNOTATION_CREATED", "TASKS_CREATED"],
                "headers": {"X-Custom": "yes"},
                "secret": "s3cret",
            }),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        keys(&created.body)[..11],
        [
            "id",
            "organization",
            "project",
            "url",
            "send_payload",
            "send_for_all_actions",
            "headers",
            "is_active",
            "actions",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(
        created.body["actions"],
        json!(["ANNOTATION_CREATED", "TASKS_CREATED"])
    );
    assert_eq!(created.body["send_payload"], true);
    assert_eq!(created.body["is_active"], true);
    assert_eq!(created.body["headers"], json!({"X-Custom": "yes"}));
    assert_eq!(created.body["signed"], true);
    assert!(
        !created.body.to_string().contains("s3cret"),
        "the secret is never answered"
    );

    let listed = app
        .get(&format!("/api/webhooks?project={project}"))
        .await
        .expect(200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/webhooks/?project=null")
            .await
            .expect(200)
            .body,
        json!([])
    );
    let bad_filter = app.get("/api/webhooks/?project=99999").await.expect(400);
    assert_eq!(
        bad_filter.body["validation_errors"]["project"],
        json!(["Select a valid choice. That choice is not one of the available choices."])
    );
    assert_eq!(
        app.get(&format!("/api/webhooks/{id}"))
            .await
            .expect(200)
            .body["id"],
        id
    );

    // PATCH without actions clears them (Label Studio's serializer defaults the list); the
    // project cannot move.
    let patched = app
        .patch(
            &format!("/api/webhooks/{id}/"),
            json!({"is_active": false, "project": 12345}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["actions"], json!([]));
    assert_eq!(patched.body["is_active"], false);
    assert_eq!(patched.body["project"], project);
    let put_without_url = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/webhooks/{id}/"),
            Some(json!({"is_active": true})),
        )
        .await
        .expect(400);
    assert_eq!(
        put_without_url.body["validation_errors"]["url"],
        json!(["This field is required."])
    );

    // An annotator sees no webhooks; another organization finds none of ours.
    let annotator = app.annotator_of("annotator@example.com", project).await;
    app.call_as(&annotator, reqwest::Method::GET, "/api/webhooks/", None)
        .await
        .expect(403);
    let stranger = app.other_organization().await;
    // Another organization's project exists: Label Studio's filter lists nothing for it.
    let theirs_filtered = app
        .call_as(
            &stranger,
            reqwest::Method::GET,
            &format!("/api/webhooks/?project={project}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(theirs_filtered.body, json!([]));
    let theirs = app
        .call_as(&stranger, reqwest::Method::GET, "/api/webhooks/", None)
        .await
        .expect(200);
    assert_eq!(theirs.body, json!([]));
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/webhooks/{id}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        reqwest::Method::POST,
        "/api/webhooks/",
        Some(json!({"project": project, "url": hook_url})),
    )
    .await
    .expect(404);

    app.delete(&format!("/api/webhooks/{id}/"))
        .await
        .expect(204);
    app.get(&format!("/api/webhooks/{id}/")).await.expect(404);
}

/// Every event Label Studio sends, from the writes that make it, reaches each webhook listening
/// exactly once, in order, with Label Studio's body; a webhook without `send_payload` gets the
/// action alone; signed bodies verify.
#[tokio::test]
async fn every_event_reaches_the_webhooks_listening_once_in_order() {
    let app = app_with(quick()).await;
    let receiver = Receiver::start(0).await;
    let project = app.create_project(CONFIG).await;
    app.post(
        "/api/webhooks/",
        json!({"project": null, "url": receiver.url("org"), "headers": {"X-Custom": "yes"}}),
    )
    .await
    .expect(201);
    app.post(
        "/api/webhooks/",
        json!({"project": project, "url": receiver.url("all"), "secret": "k3y"}),
    )
    .await
    .expect(201);
    app.post(
        "/api/webhooks/",
        json!({
            "project": project,
            "url": receiver.url("some"),
            "send_payload": false,
            "send_for_all_actions": false,
            "actions": ["TASKS_CREATED", "ANNOTATION_CREATED"],
        }),
    )
    .await
    .expect(201);
    let second = app.create_project(CONFIG).await;

    // Project settings, tasks (import and one by one), annotations, Data Manager actions.
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"title": "Renamed"}),
    )
    .await
    .expect(200);
    let tasks = app
        .import_ids(project, json!([{"text": "one"}, {"text": "deux é"}]))
        .await;
    let third = app
        .post(
            "/api/tasks/",
            json!({"project": project, "data": {"text": "three"}}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let annotation = app
        .post(
            &format!("/api/tasks/{}/annotations/", tasks[0]),
            json!({"result": choice("Positive")}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!("/api/annotations/{annotation}/"),
        json!({"result": choice("Negative")}),
    )
    .await
    .expect(200);
    app.post(
        "/api/predictions/",
        json!({"task": tasks[1], "result": choice("Positive"), "model_version": "m1"}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/dm/actions?id=predictions_to_annotations&project={project}"),
        json!({"selectedItems": {"all": false, "included": [tasks[1]]}, "model_version": "m1"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/annotations/{annotation}/"))
        .await
        .expect(204);
    app.post(
        &format!("/api/dm/actions?id=delete_tasks_annotations&project={project}"),
        json!({"selectedItems": {"all": false, "included": [tasks[1]]}}),
    )
    .await
    .expect(200);
    let labels = app
        .post(
            "/api/labels/",
            json!([{"project": project, "from_name": "sentiment", "title": "Neutral", "value": {"choices": ["Neutral"]}}]),
        )
        .await
        .expect(201);
    let label = labels.body[0]["id"].as_i64().unwrap();
    let link = app
        .get(&format!("/api/label_links/?project={project}"))
        .await
        .expect(200)
        .body["results"][0]["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!("/api/label_links/{link}/"),
        json!({"from_name": "sentiment"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/label_links/{link}/"))
        .await
        .expect(204);
    app.delete(&format!("/api/tasks/{third}/"))
        .await
        .expect(204);
    app.delete(&format!("/api/projects/{project}/tasks/"))
        .await
        .expect(204);
    app.delete(&format!("/api/projects/{second}/"))
        .await
        .expect(204);

    let all = receiver.wait_for("all", 12).await;
    let actions = |got: &[Received]| -> Vec<String> {
        got.iter()
            .map(|r| r.body["action"].as_str().unwrap().to_string())
            .collect()
    };
    let project_events = [
        "PROJECT_UPDATED",
        "TASKS_CREATED",
        "TASKS_CREATED",
        "ANNOTATION_CREATED",
        "ANNOTATION_UPDATED",
        "ANNOTATIONS_CREATED",
        "ANNOTATIONS_DELETED",
        "ANNOTATIONS_DELETED",
        "LABEL_LINK_CREATED",
        "LABEL_LINK_UPDATED",
        "LABEL_LINK_DELETED",
        "TASKS_DELETED",
    ];
    assert_eq!(actions(&all), project_events);
    // The organization's webhook hears them too, and what only it hears: projects created and
    // deleted, and all of a project's tasks deleted at once (without the project, as in Label
    // Studio).
    let org = receiver.wait_for("org", 15).await;
    let mut expected = vec!["PROJECT_CREATED"];
    expected.extend(project_events);
    expected.extend(["TASKS_DELETED", "PROJECT_DELETED"]);
    assert_eq!(actions(&org), expected);
    let some = receiver.wait_for("some", 3).await;
    assert_eq!(
        actions(&some),
        ["TASKS_CREATED", "TASKS_CREATED", "ANNOTATION_CREATED"]
    );
    for received in &some {
        assert_eq!(
            keys(&received.body),
            ["action"],
            "send_payload false: the action alone"
        );
        assert!(received.headers.get("x-tessera-signature-256").is_none());
    }

    // Label Studio's bodies: the keys in its order, Python's JSON text.
    let updated = &all[0].body;
    assert_eq!(keys(updated), ["action", "project"]);
    assert_eq!(keys(&updated["project"]), PROJECT_KEYS);
    assert_eq!(updated["project"]["title"], "Renamed");
    assert_eq!(updated["project"]["id"], project);
    let imported = &all[1];
    assert_eq!(keys(&imported.body), ["action", "tasks", "project"]);
    assert_eq!(imported.body["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(keys(&imported.body["tasks"][0]), TASK_KEYS);
    assert_eq!(imported.body["tasks"][1]["data"], json!({"text": "deux é"}));
    let text = std::str::from_utf8(&imported.raw).unwrap();
    assert!(
        text.starts_with(r#"{"action": "TASKS_CREATED", "tasks": [{"id": "#),
        "{text}"
    );
    assert!(text.contains(r#""deux \u00e9""#), "{text}");
    let created = &all[3].body;
    assert_eq!(keys(created), ["action", "annotation", "project", "task"]);
    assert_eq!(keys(&created["annotation"]), ANNOTATION_KEYS);
    assert_eq!(created["annotation"]["id"], annotation);
    assert_eq!(created["annotation"]["task"], tasks[0]);
    assert_eq!(created["task"]["id"], tasks[0]);
    assert_eq!(created["project"]["total_annotations_number"], 1);
    assert_eq!(all[4].body["annotation"]["result"], choice("Negative"));
    let from_predictions = &all[5].body;
    assert_eq!(
        keys(from_predictions),
        ["action", "annotation", "project", "task"]
    );
    assert_eq!(from_predictions["annotation"][0]["task"], tasks[1]);
    assert_eq!(from_predictions["task"][0]["id"], tasks[1]);
    assert_eq!(all[6].body["annotations"], json!([{"id": annotation}]));
    assert_eq!(keys(&all[6].body), ["action", "annotations", "project"]);
    assert_eq!(all[8].body["label_link"][0]["label"], label);
    assert_eq!(
        keys(&all[9].body),
        ["action", "label_link", "project", "label"]
    );
    assert_eq!(all[10].body["label_link"], json!({"id": link}));
    assert_eq!(all[11].body["tasks"], json!([{"id": third}]));
    let emptied = &org[13].body;
    assert_eq!(keys(emptied), ["action", "tasks"]);
    assert_eq!(
        emptied["tasks"],
        json!([{"id": tasks[0]}, {"id": tasks[1]}])
    );
    assert_eq!(org[0].body["project"]["id"], second);
    assert_eq!(
        org[14].body,
        json!({"action": "PROJECT_DELETED", "project": {"id": second}})
    );

    // Headers: JSON, the webhook's own, the delivery's id (unique), the signature of the body.
    for received in &org {
        assert_eq!(received.headers["content-type"], "application/json");
        assert_eq!(received.headers["x-custom"], "yes");
    }
    let mut ids: Vec<&str> = all
        .iter()
        .chain(&org)
        .map(|r| r.headers["x-tessera-delivery"].to_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len() + org.len());
    for received in &all {
        assert_eq!(
            received.headers["x-tessera-signature-256"]
                .to_str()
                .unwrap(),
            signature("k3y", &received.raw)
        );
        assert_eq!(
            received.headers["x-tessera-event"],
            received.body["action"].as_str().unwrap()
        );
    }
}

/// A receiver that fails is tried again after growing delays; the deliveries behind wait, so
/// the order holds; each failure is recorded on the delivery and the webhook; a delivery that
/// keeps failing is given up and the next ones still go.
#[tokio::test]
async fn failing_receivers_are_retried_in_order_and_failures_are_recorded() {
    let app = app_with(quick()).await;
    let receiver = Receiver::start(2).await;
    let project = app.create_project(CONFIG).await;
    let hook = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": receiver.url("flaky"), "send_for_all_actions": false, "actions": ["TASKS_CREATED"]}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.import_ids(project, json!([{"text": "first"}])).await;
    app.import_ids(project, json!([{"text": "second"}])).await;
    // Two refusals of the first, then both in order.
    let got = receiver.wait_for("flaky", 4).await;
    let texts: Vec<&Value> = got
        .iter()
        .map(|r| &r.body["tasks"][0]["data"]["text"])
        .collect();
    assert_eq!(
        texts,
        [
            &json!("first"),
            &json!("first"),
            &json!("first"),
            &json!("second")
        ]
    );
    let log = app
        .get(&format!("/api/webhooks/{hook}/deliveries/"))
        .await
        .expect(200);
    let log = log.body.as_array().unwrap().clone();
    assert_eq!(log.len(), 2);
    let (second, first) = (&log[0], &log[1]);
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["response_status"], 200);
    assert_eq!(second["attempts"], 1);
    let webhook = app
        .get(&format!("/api/webhooks/{hook}/"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        webhook["consecutive_failures"], 0,
        "a delivery ends the run of failures"
    );
    assert_eq!(webhook["last_failure"], "the receiver answered 500");

    // A receiver that is down: three attempts, then the delivery is failed and recorded.
    let down = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": "http://127.0.0.1:9/down", "send_for_all_actions": false, "actions": ["TASKS_CREATED"]}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.import_ids(project, json!([{"text": "third"}])).await;
    let mut log = Value::Null;
    for _ in 0..100 {
        log = app
            .get(&format!("/api/webhooks/{down}/deliveries/"))
            .await
            .expect(200)
            .body;
        if log[0]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(log[0]["status"], "failed", "{log}");
    assert_eq!(log[0]["attempts"], 3);
    assert!(
        log[0]["error"]
            .as_str()
            .unwrap()
            .contains("could not fetch"),
        "{log}"
    );
    let webhook = app
        .get(&format!("/api/webhooks/{down}/"))
        .await
        .expect(200)
        .body;
    assert_eq!(webhook["consecutive_failures"], 3);
    // The working webhook got the third import, once.
    receiver.wait_for("flaky", 5).await;
}

/// An inactive webhook hears nothing (not even once turned back on), as in Label Studio.
#[tokio::test]
async fn inactive_webhooks_hear_nothing() {
    let app = app_with(quick()).await;
    let receiver = Receiver::start(0).await;
    let project = app.create_project(CONFIG).await;
    let hook = app
        .post(
            "/api/webhooks/",
            json!({"project": project, "url": receiver.url("held"), "is_active": false}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    app.import_ids(project, json!([{"text": "unheard"}])).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        receiver.at("held").is_empty(),
        "an inactive webhook is not called"
    );
    app.patch(
        &format!("/api/webhooks/{hook}/"),
        json!({"is_active": true}),
    )
    .await
    .expect(200);
    app.import_ids(project, json!([{"text": "heard"}])).await;
    let got = receiver.wait_for("held", 1).await;
    assert_eq!(got[0].body["tasks"][0]["data"]["text"], "heard");
}
