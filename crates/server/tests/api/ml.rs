//! ML backends against a local model server speaking Label Studio's protocol (`/health`,
//! `/setup`, `/predict`, `/webhook`), with Label Studio 1.23.2's answers: connection checks and
//! their messages, states, Basic auth, the project's model version, training, the test
//! prediction and interactive pre-annotation.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Json;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;

/// What the fake model server was sent, and how it behaves.
#[derive(Default)]
struct Model {
    /// Every request: (path, Authorization header, body).
    requests: Vec<(String, Option<String>, Value)>,
    /// `/setup` fails with a 500.
    broken_setup: bool,
    /// The Basic credentials `/health` wants, if any.
    wants: Option<String>,
    /// How `/predict` answers.
    predict: Answer,
}

/// How the fake model server answers `/predict`.
#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum Answer {
    /// A prediction per task.
    #[default]
    Good,
    /// A 500.
    Broken,
    /// JSON without a `results` list.
    Malformed,
    /// One result fewer than tasks.
    Short,
    /// A single result whatever it was asked (Label Studio then asks task by task).
    Single,
    /// Good, after this many milliseconds.
    Slow(u64),
}

type Shared = Arc<Mutex<Model>>;

fn note(model: &Shared, path: &str, headers: &HeaderMap, body: Value) {
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    model
        .lock()
        .unwrap()
        .requests
        .push((path.into(), auth, body));
}

async fn health(State(model): State<Shared>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    note(&model, "/health", &headers, Value::Null);
    let wants = model.lock().unwrap().wants.clone();
    let given = headers.get("authorization").and_then(|h| h.to_str().ok());
    if wants.is_some() && wants.as_deref() != given {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Unauthorized"})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"status": "UP", "model_class": "Fake"})),
    )
}

async fn setup(
    State(model): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    note(&model, "/setup", &headers, body);
    if model.lock().unwrap().broken_setup {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"detail": "no model"})),
        );
    }
    (StatusCode::OK, Json(json!({"model_version": "fake-1"})))
}

async fn predict(
    State(model): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let answer = model.lock().unwrap().predict;
    match answer {
        Answer::Broken => {
            note(&model, "/predict", &headers, body);
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"detail": "out of memory"})),
            );
        }
        Answer::Malformed => {
            note(&model, "/predict", &headers, body);
            return (StatusCode::OK, Json(json!({"predictions": "none"})));
        }
        Answer::Slow(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
        _ => {}
    }
    let results: Vec<Value> = body["tasks"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .map(|task| {
                    // Less sure of tasks whose id is a multiple of 7.
                    let id = task["id"].as_i64().unwrap_or_default();
                    let score = if id % 7 == 0 { 0.2 } else { 0.87 };
                    json!({"model_version": "fake-1", "score": score, "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]})
                })
                .collect()
        })
        .unwrap_or_default();
    let results = match answer {
        Answer::Short => results[1..].to_vec(),
        Answer::Single => results[..1].to_vec(),
        _ => results,
    };
    note(&model, "/predict", &headers, body);
    (StatusCode::OK, Json(json!({"results": results})))
}

async fn webhook(
    State(model): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    note(&model, "/webhook", &headers, body);
    (StatusCode::CREATED, Json(json!({"status": "ok"})))
}

/// Starts the fake model server; its URL and state.
async fn model_server() -> (String, Shared) {
    let model: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/health", get(health))
        .route("/setup", post(setup))
        .route("/predict", post(predict))
        .route("/webhook", post(webhook))
        .with_state(model.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}"), model)
}

fn paths(model: &Shared) -> Vec<String> {
    model
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r.0.clone())
        .collect()
}

async fn app() -> TestApp {
    TestApp::spawn_with(|config| {
        config.outbound_allow =
            tessera_outbound::Allow::Ranges(vec!["127.0.0.0/8".parse().unwrap()]);
    })
    .await
}

/// Adds a backend for the model server at `url` to `project`, with `more` settings; the backend.
async fn add_backend(app: &TestApp, project: i64, url: &str, more: Value) -> Value {
    let mut body = json!({"project": project, "url": url});
    if let (Value::Object(fields), Value::Object(extra)) = (&mut body, more) {
        fields.extend(extra);
    }
    app.post("/api/ml/", body).await.expect(201).body
}

/// The Data Manager's "Retrieve Predictions" on every task of `project`; the action's answer.
async fn retrieve_predictions(app: &TestApp, project: i64) -> Value {
    app.post(
        &format!("/api/dm/actions?id=retrieve_tasks_predictions&project={project}"),
        json!({"selectedItems": {"all": true, "excluded": []}}),
    )
    .await
    .expect(200)
    .body
}

/// Waits until `project` counts `count` predictions; how many it counted last.
async fn wait_for_predictions(app: &TestApp, project: i64, count: i64) -> i64 {
    let mut predicted = 0;
    for _ in 0..200 {
        predicted = app.project(project).await["total_predictions_number"]
            .as_i64()
            .unwrap_or_default();
        if predicted == count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    predicted
}

/// Waits until the app has no prediction job waiting or running.
async fn predictions_settled(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database().await;
    let conn = db.conn();
    for _ in 0..400 {
        let row = conn
            .query_one(Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'ml.predict' \
                 AND status IN ('queued', 'running')",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "prediction jobs still waiting:\n{}",
        app.jobs_report().await
    );
}

/// How many `/predict` calls the model server had.
fn predict_calls(model: &Shared) -> usize {
    paths(model).iter().filter(|p| *p == "/predict").count()
}

/// Waits until the stored backend's error says `fragment`; the error.
async fn backend_error(app: &TestApp, id: i64, fragment: &str) -> String {
    let db = app.database().await;
    let mut last = None;
    for _ in 0..200 {
        let found = tessera_db::queries::ml_backends::find(db.conn(), id)
            .await
            .unwrap()
            .unwrap();
        if found.state == "ER"
            && found
                .error_message
                .as_deref()
                .is_some_and(|e| e.contains(fragment))
        {
            return found.error_message.unwrap();
        }
        last = Some((found.state, found.error_message));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the backend never said {fragment:?}; last {last:?}");
}

#[tokio::test]
async fn ml_backends_are_checked_connected_and_answer_as_label_studio() {
    let app = app().await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let tasks = app.import_ids(project, json!([{"text": "good"}])).await;

    let missing = app
        .post("/api/ml/", json!({"project": project}))
        .await
        .expect(400);
    assert_eq!(
        missing.body["validation_errors"]["url"],
        json!(["This field is required."])
    );
    let private = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": "http://10.2.3.4:9090"}),
        )
        .await
        .expect(403);
    assert_eq!(
        private.body["detail"],
        "URL resolves to a reserved network address (block: 10.0.0.0/8)"
    );
    let down = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": "http://127.0.0.1:9"}),
        )
        .await
        .expect(400);
    let message = down.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("Can't connect to ML backend http://127.0.0.1:9, health check failed."),
        "{message}"
    );
    model.lock().unwrap().broken_setup = true;
    let broken = app
        .post("/api/ml/", json!({"project": project, "url": url}))
        .await
        .expect(400);
    let message = broken.body["validation_errors"]["non_field_errors"][0]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with(&format!(
            "Successfully connected to {url} but it doesn't look like a valid ML backend. Reason: "
        )),
        "{message}"
    );
    model.lock().unwrap().broken_setup = false;
    assert_eq!(
        app.get(&format!("/api/ml/?project={project}"))
            .await
            .expect(200)
            .body,
        json!([])
    );

    let created = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": url, "title": "Fake", "is_interactive": true, "extra_params": "{\"label\": \"Positive\"}"}),
        )
        .await
        .expect(201);
    let keys: Vec<&str> = created
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "state",
            "readable_state",
            "is_interactive",
            "url",
            "error_message",
            "title",
            "auth_method",
            "basic_auth_user",
            "basic_auth_pass_is_set",
            "description",
            "extra_params",
            "model_version",
            "timeout",
            "created_at",
            "updated_at",
            "auto_update",
            "project"
        ]
    );
    assert_eq!(created.body["state"], "CO");
    assert_eq!(created.body["readable_state"], "Connected");
    assert_eq!(
        created.body["model_version"], "fake-1",
        "setup's version, with auto_update"
    );
    assert_eq!(created.body["timeout"], 100.0);
    let id = created.body["id"].as_i64().unwrap();
    // The setup call: Label Studio's body.
    let setup_body = model
        .lock()
        .unwrap()
        .requests
        .iter()
        .rev()
        .find(|r| r.0 == "/setup")
        .unwrap()
        .2
        .clone();
    assert_eq!(setup_body["schema"], CONFIG);
    assert!(setup_body["project"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{project}.")));
    assert_eq!(setup_body["extra_params"], "{\"label\": \"Positive\"}");
    assert!(setup_body["access_token"].is_string());
    // The project's model version is the backend's title, and a webhook feeds it events.
    assert_eq!(app.project(project).await["model_version"], "Fake");
    let hooks = app
        .get(&format!("/api/webhooks/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(hooks[0]["url"], format!("{url}/webhook"));

    let listed = app
        .get(&format!("/api/ml?project={project}"))
        .await
        .expect(200);
    assert_eq!(listed.body[0]["id"], id);
    assert_eq!(
        app.get(&format!("/api/ml/{id}")).await.expect(200).body["title"],
        "Fake"
    );
    app.get(&format!("/api/ml/{id}/")).await.expect(404);

    // A PATCH of one field works (Label Studio fails without `url`), and a rename follows to
    // the project's model version.
    let renamed = app
        .patch(&format!("/api/ml/{id}"), json!({"title": "Renamed"}))
        .await
        .expect(200);
    assert_eq!(renamed.body["title"], "Renamed");
    assert_eq!(app.project(project).await["model_version"], "Renamed");

    // Training: START_TRAINING with the project to /webhook; the state says so.
    app.post(&format!("/api/ml/{id}/train"), json!({}))
        .await
        .expect(200);
    let training = model
        .lock()
        .unwrap()
        .requests
        .iter()
        .rev()
        .find(|r| r.0 == "/webhook")
        .unwrap()
        .2
        .clone();
    assert_eq!(training["action"], "START_TRAINING");
    assert_eq!(training["project"]["id"], project);
    let db = app.database().await;
    let stored = tessera_db::queries::ml_backends::find(db.conn(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, "TR", "training until the next check");

    // The test prediction (random=true only) and interactive pre-annotation.
    let refused = app
        .post(&format!("/api/ml/{id}/predict/test"), json!({}))
        .await
        .expect(501);
    assert_eq!(
        refused.body["error"],
        "Not implemented - you must provide random=true query parameter"
    );
    let tested = app
        .post(&format!("/api/ml/{id}/predict/test?random=true"), json!({}))
        .await
        .expect(200);
    assert_eq!(tested.body["status"], 200);
    assert_eq!(tested.body["url"], format!("{url}/predict"));
    assert_eq!(tested.body["task"]["id"], tasks[0]);
    assert_eq!(tested.body["request"]["label_config"], CONFIG);
    assert_eq!(tested.body["response"][0]["score"], 0.87);
    let suggested = app
        .post(
            &format!("/api/ml/{id}/interactive-annotating"),
            json!({"task": tasks[0], "context": {"result": [{"type": "keypointlabels"}]}}),
        )
        .await
        .expect(200);
    assert_eq!(
        suggested.body["data"]["result"][0]["value"]["choices"],
        json!(["Positive"])
    );
    let asked = model
        .lock()
        .unwrap()
        .requests
        .iter()
        .rev()
        .find(|r| r.0 == "/predict")
        .unwrap()
        .2
        .clone();
    assert_eq!(
        asked["params"]["context"],
        json!({"result": [{"type": "keypointlabels"}]})
    );
    assert_eq!(asked["tasks"][0]["data"], json!({"text": "good"}));
    app.post(
        &format!("/api/ml/{id}/interactive-annotating"),
        json!({"context": {}}),
    )
    .await
    .expect(400);
    app.patch(&format!("/api/ml/{id}"), json!({"is_interactive": false}))
        .await
        .expect(200);
    let off = app
        .post(
            &format!("/api/ml/{id}/interactive-annotating"),
            json!({"task": tasks[0]}),
        )
        .await
        .expect(200);
    assert_eq!(
        off.body,
        json!({"errors": ["Model is not set to be used for interactive preannotations"]})
    );

    // A model server without /versions: the version known, and Label Studio's hint.
    let versions = app.get(&format!("/api/ml/{id}/versions")).await.expect(200);
    assert_eq!(
        versions.body,
        json!({"versions": ["fake-1"], "message": "Upgrade your ML backend version to latest."})
    );

    // Every look at a backend checked its server again (list, get, each change).
    assert!(paths(&model).iter().filter(|p| *p == "/health").count() >= 5);
    app.delete(&format!("/api/ml/{id}")).await.expect(204);
    assert_eq!(app.project(project).await["model_version"], "");
    app.get(&format!("/api/ml/{id}")).await.expect(404);
}

#[tokio::test]
async fn basic_auth_is_sent_and_its_password_never_answered() {
    let app = app().await;
    let (url, model) = model_server().await;
    model.lock().unwrap().wants = Some("Basic dXNlcjpzM2NyZXQ=".into());
    let project = app.create_project(CONFIG).await;
    let needs = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": url, "auth_method": "BASIC_AUTH", "basic_auth_user": "user"}),
        )
        .await
        .expect(400);
    assert_eq!(
        needs.body["validation_errors"]["non_field_errors"],
        json!(["Authentication username and password is required for Basic Authentication."])
    );
    let wrong = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": url, "auth_method": "BASIC_AUTH", "basic_auth_user": "user", "basic_auth_pass": "nope"}),
        )
        .await
        .expect(400);
    assert_eq!(
        wrong.body["validation_errors"]["non_field_errors"],
        json!(["Able to connect to ML Server, but authentication parameters were either not provided or are incorrect."])
    );
    let created = app
        .post(
            "/api/ml/",
            json!({"project": project, "url": url, "auth_method": "BASIC_AUTH", "basic_auth_user": "user", "basic_auth_pass": "s3cret"}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["basic_auth_pass_is_set"], true);
    assert!(!created.body.to_string().contains("s3cret"));
    let id = created.body["id"].as_i64().unwrap();
    // An empty password keeps the one stored.
    app.patch(&format!("/api/ml/{id}"), json!({"basic_auth_pass": ""}))
        .await
        .expect(200);
    let sent = model.lock().unwrap().requests.last().unwrap().1.clone();
    assert_eq!(sent.as_deref(), Some("Basic dXNlcjpzM2NyZXQ="));
    // Annotators and other organizations see no backend.
    let annotator = app.annotator_of("annotator@example.com", project).await;
    app.call_as(
        &annotator,
        reqwest::Method::GET,
        &format!("/api/ml/{id}"),
        None,
    )
    .await
    .expect(403);
    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        reqwest::Method::GET,
        &format!("/api/ml/{id}"),
        None,
    )
    .await
    .expect(404);
}

/// The Data Manager's "Retrieve Predictions" runs as a job: 70 tasks go to `/predict` in
/// batches, every task gets the backend's prediction once (a second run adds none), the
/// counters follow, and a batch the server fails shows in the backend's state.
#[tokio::test]
async fn retrieving_predictions_is_a_job_in_batches() {
    let app = app().await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let items: Vec<Value> = (0..70)
        .map(|i| json!({"text": format!("task {i}")}))
        .collect();
    app.import_ids(project, Value::Array(items)).await;
    let none = retrieve_predictions(&app, project).await;
    assert!(none["detail"]
        .as_str()
        .unwrap()
        .starts_with("No ML backend"));
    let id = add_backend(&app, project, &url, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let retrieve = || retrieve_predictions(&app, project);
    let answer = retrieve().await;
    assert_eq!(answer["processed_items"], 70);
    assert_eq!(wait_for_predictions(&app, project, 70).await, 70);
    let batches: Vec<usize> = model
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.0 == "/predict")
        .map(|r| r.2["tasks"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [32, 32, 6]);
    let listed = app
        .get(&format!("/api/predictions/?project={project}"))
        .await
        .expect(200);
    let first = &listed.body.as_array().unwrap()[0];
    assert_eq!(first["model_version"], "fake-1");
    assert_eq!(first["score"], 0.87);

    // Again: nothing new to predict, nothing sent.
    retrieve().await;
    predictions_settled(&app).await;
    assert_eq!(paths(&model).iter().filter(|p| *p == "/predict").count(), 3);
    assert_eq!(app.project(project).await["total_predictions_number"], 70);

    // A server that fails: the backend says so.
    model.lock().unwrap().predict = Answer::Broken;
    app.post(
        "/api/tasks/",
        json!({"project": project, "data": {"text": "one more"}}),
    )
    .await
    .expect(201);
    retrieve().await;
    backend_error(&app, id, "answered 500").await;
}

/// With `min_annotations_to_start_training`, every N-th annotation of the project asks its
/// backends to train (in the background); the project webhook Label Studio adds with a backend
/// also tells the model server of each annotation.
#[tokio::test]
async fn annotations_start_training_every_n() {
    let app = app().await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let tasks = app
        .import_ids(
            project,
            json!([{"text": "a"}, {"text": "b"}, {"text": "c"}]),
        )
        .await;
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"min_annotations_to_start_training": 2}),
    )
    .await
    .expect(200);
    add_backend(&app, project, &url, json!({})).await;
    let actions = |model: &Shared| -> Vec<String> {
        model
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.0 == "/webhook")
            .map(|r| r.2["action"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let annotate = |task: i64| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/tasks/{task}/annotations/"),
                json!({"result": crate::helpers::choice("Positive")}),
            )
            .await
            .expect(201);
        }
    };
    annotate(tasks[0]).await;
    annotate(tasks[1]).await;
    annotate(tasks[2]).await;
    for _ in 0..200 {
        let heard = actions(&model);
        if heard.iter().filter(|a| *a == "ANNOTATION_CREATED").count() == 3
            && heard.contains(&"START_TRAINING".to_string())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let heard = actions(&model);
    assert_eq!(
        heard.iter().filter(|a| *a == "START_TRAINING").count(),
        1,
        "the second annotation of three: {heard:?}"
    );
    assert_eq!(
        heard.iter().filter(|a| *a == "ANNOTATION_CREATED").count(),
        3
    );
}

/// Label Studio predicts a task as it is opened: `GET /api/tasks/{id}` when the project shows or
/// evaluates predictions and the task has none, `/next` when the project's model version is a
/// live backend. Tessera waits at most `--ml-open-wait` for it: a slow server's prediction
/// arrives in the background, and a failing one is recorded while the task is still served.
#[tokio::test]
async fn tasks_are_predicted_as_they_are_opened_within_a_bounded_wait() {
    let app = TestApp::spawn_with(|config| {
        config.outbound_allow =
            tessera_outbound::Allow::Ranges(vec!["127.0.0.0/8".parse().unwrap()]);
        config.ml_open_wait = std::time::Duration::from_secs(2);
    })
    .await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let tasks = app
        .import_ids(
            project,
            json!([{"text": "a"}, {"text": "b"}, {"text": "c"}, {"text": "d"}, {"text": "e"}]),
        )
        .await;
    let open = |task: i64| {
        let app = &app;
        async move {
            app.get(&format!("/api/tasks/{task}/"))
                .await
                .expect(200)
                .body
        }
    };
    let versions = |task: &Value| -> Vec<String> {
        task["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["model_version"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(versions(&open(tasks[0]).await).is_empty(), "no backend yet");
    let created = add_backend(&app, project, &url, json!({"title": "live"})).await;
    let id = created["id"].as_i64().unwrap();

    // Opened: predicted on the spot, and answered with the prediction and the counters it
    // changed.
    let opened = open(tasks[0]).await;
    assert_eq!(versions(&opened), ["fake-1"]);
    assert_eq!(opened["total_predictions"], 1);
    assert_eq!(predict_calls(&model), 1);
    let asked = model.lock().unwrap().requests.last().unwrap().2.clone();
    assert_eq!(asked["tasks"][0]["id"], tasks[0]);
    // Opened again: it has a prediction, the server is not asked.
    open(tasks[0]).await;
    assert_eq!(predict_calls(&model), 1);

    // A project that neither shows nor evaluates predictions does not ask; evaluating does.
    let settings = |body: Value| {
        let app = &app;
        async move {
            app.patch(&format!("/api/projects/{project}/"), body)
                .await
                .expect(200);
        }
    };
    settings(json!({"show_collab_predictions": false})).await;
    assert!(versions(&open(tasks[1]).await).is_empty());
    assert_eq!(predict_calls(&model), 1);
    settings(json!({"evaluate_predictions_automatically": true})).await;
    assert_eq!(versions(&open(tasks[1]).await), ["fake-1"]);
    settings(json!({"evaluate_predictions_automatically": false, "show_collab_predictions": true}))
        .await;

    // A slow server: the request waits two seconds, the prediction arrives in the background.
    model.lock().unwrap().predict = Answer::Slow(6000);
    let started = std::time::Instant::now();
    assert!(versions(&open(tasks[2]).await).is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_millis(5000),
        "opening waited {:?}",
        started.elapsed()
    );
    let mut arrived = Vec::new();
    for _ in 0..400 {
        arrived = app
            .get(&format!("/api/predictions/?task={}", tasks[2]))
            .await
            .expect(200)
            .body
            .as_array()
            .unwrap()
            .clone();
        if !arrived.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(arrived.len(), 1, "the background prediction arrived once");

    // A failing server: the task is served, the backend says why.
    model.lock().unwrap().predict = Answer::Broken;
    assert!(versions(&open(tasks[3]).await).is_empty());
    backend_error(&app, id, "answered 500").await;
    // Back up: an errored backend is checked again before it is asked.
    model.lock().unwrap().predict = Answer::Good;
    assert_eq!(versions(&open(tasks[3]).await), ["fake-1"]);
    let backend = app.get(&format!("/api/ml/{id}")).await.expect(200).body;
    assert_eq!(backend["state"], "CO");

    // A Data Manager page predicts its tasks without predictions only when the project evaluates
    // predictions automatically: all of them in one call, the page answered with them.
    let more = app
        .import_ids(project, json!([{"text": "f"}, {"text": "g"}]))
        .await;
    let page = format!("/api/tasks/?project={project}&fields=all");
    let calls = predict_calls(&model);
    app.get(&page).await.expect(200);
    assert_eq!(predict_calls(&model), calls);
    settings(json!({"evaluate_predictions_automatically": true})).await;
    let listed = app.get(&page).await.expect(200).body;
    for task in listed["tasks"].as_array().unwrap() {
        assert_eq!(task["total_predictions"], 1, "{task}");
        assert_eq!(task["predictions"].as_array().unwrap().len(), 1);
    }
    assert_eq!(listed["total_predictions"], 7);
    assert_eq!(predict_calls(&model), calls + 1);
    let asked: Vec<i64> = model.lock().unwrap().requests.last().unwrap().2["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(asked, [tasks[4], more[0], more[1]]);

    // `/next` predicts when the project's model version is the live backend's title (as it is
    // once a backend is added), and serves that backend's predictions with their counters.
    let streamed = app.create_project(CONFIG).await;
    let only = app.import_ids(streamed, json!([{"text": "h"}])).await[0];
    add_backend(&app, streamed, &url, json!({"title": "streaming"})).await;
    assert_eq!(app.project(streamed).await["model_version"], "streaming");
    let calls = predict_calls(&model);
    let next = app
        .get(&format!("/api/projects/{streamed}/next"))
        .await
        .expect(200)
        .body;
    assert_eq!(next["id"], only);
    assert_eq!(versions(&next), ["fake-1"]);
    assert_eq!(next["total_predictions"], 1);
    assert_eq!(predict_calls(&model), calls + 1);
}

/// Every way a model server can fail a prediction run (500, an answer without results, too few
/// results, too slow for the backend's timeout) shows in the backend's state and error and
/// stores nothing half-done; a server answering one result for several tasks is asked task by
/// task; once the server is fixed, the same selection predicts every task.
#[tokio::test]
async fn failing_model_servers_show_in_the_backend_and_lose_nothing() {
    let app = app().await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let items: Vec<Value> = (0..5).map(|i| json!({"text": format!("t{i}")})).collect();
    app.import_ids(project, Value::Array(items)).await;
    let id = add_backend(&app, project, &url, json!({"timeout": 1.0})).await["id"]
        .as_i64()
        .unwrap();
    let retrieve = || retrieve_predictions(&app, project);
    let failures = [
        (Answer::Broken, "answered 500"),
        (Answer::Malformed, "no \"results\" list"),
        (Answer::Short, "answered 4 results for 5 tasks"),
        (Answer::Slow(1500), "did not answer in time"),
    ];
    for (answer, says) in failures {
        model.lock().unwrap().predict = answer;
        retrieve().await;
        backend_error(&app, id, says).await;
        assert_eq!(
            app.project(project).await["total_predictions_number"],
            0,
            "{answer:?} stored nothing"
        );
    }

    model.lock().unwrap().predict = Answer::Single;
    let before = predict_calls(&model);
    retrieve().await;
    assert_eq!(
        wait_for_predictions(&app, project, 5).await,
        5,
        "every task predicted one by one"
    );
    assert_eq!(
        predict_calls(&model) - before,
        6,
        "one batch, then five tasks"
    );

    // Nothing left to predict, and a further run adds nothing.
    model.lock().unwrap().predict = Answer::Good;
    retrieve().await;
    predictions_settled(&app).await;
    assert_eq!(app.project(project).await["total_predictions_number"], 5);
}

/// `/api/projects/{id}/model-versions/` as Label Studio answers it: each prediction version with
/// its count (the latest first, the project's own version added with 0), the extended form with
/// the live backends, and deleting one version's predictions with the counters following.
#[tokio::test]
async fn model_versions_are_counted_listed_and_deleted() {
    let app = app().await;
    let (url, _model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let predicted = |version: &str| json!({"data": {"text": "x"}, "predictions": [{"model_version": version, "result": crate::helpers::choice("Positive")}]});
    let tasks = app
        .import_ids(project, json!([{"data": {"text": "a"}, "predictions": [{"model_version": "v1", "result": crate::helpers::choice("Positive")}]}, {"data": {"text": "b"}, "predictions": [{"model_version": "v1", "result": crate::helpers::choice("Negative")}]}]))
        .await;
    assert_eq!(tasks.len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.import_ids(project, json!([predicted("v2")])).await;
    let versions = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/projects/{project}/model-versions/{query}"))
                .await
                .expect(200)
                .body
        }
    };
    // Importing predictions into a project without a version gives it the first one.
    let own = app.project(project).await["model_version"].clone();
    let plain = versions("").await;
    let keys: Vec<&String> = plain.as_object().unwrap().keys().collect();
    assert_eq!(keys[..2], ["v2", "v1"], "{plain}");
    assert_eq!(plain["v1"], 2);
    assert_eq!(plain["v2"], 1);
    assert_eq!(own, "v1");
    assert_eq!(versions("?limit=1").await, json!({"v2": 1}));

    add_backend(&app, project, &url, json!({"title": "live"})).await;
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"model_version": "live"}),
    )
    .await
    .expect(200);
    assert_eq!(versions("").await, json!({"v2": 1, "v1": 2, "live": 0}));
    let extended = versions("?extended=true").await;
    assert_eq!(extended["static"][0]["model_version"], "v2");
    assert_eq!(extended["static"][1]["count"], 2);
    assert!(extended["static"][0]["latest"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(extended["live"], Value::Null);
    let with_live = versions("?extended=true&include_live_models=true").await;
    assert_eq!(with_live["live"][0]["title"], "live");
    app.get(&format!(
        "/api/projects/{project}/model-versions/?extended=maybe"
    ))
    .await
    .expect(400);

    // Deleting a version: its predictions go, the counters follow, and the project forgets a
    // live model version (as Label Studio does).
    let path = format!("/api/projects/{project}/model-versions/");
    app.call(reqwest::Method::DELETE, &path, Some(json!({})))
        .await
        .expect(400);
    let deleted = app
        .call(
            reqwest::Method::DELETE,
            &path,
            Some(json!({"model_version": "v1"})),
        )
        .await
        .expect(200);
    assert_eq!(deleted.body, json!({"deleted_predictions": 2}));
    let after = app.project(project).await;
    assert_eq!(after["total_predictions_number"], 1);
    assert_eq!(after["model_version"], "");
    assert_eq!(versions("").await, json!({"v2": 1}));
}

/// Model servers fetch task media with whatever key they were given: the legacy token or a
/// personal access token, under `Token` or `Bearer` (label-studio-ml sends a JWT as `Bearer`),
/// or an access token. Every media route takes them all, including the
/// `/storage-data/uploaded/` path label-studio-ml tries first; the API keeps Label Studio's
/// rules, and a wrong key is still refused.
#[tokio::test]
async fn media_routes_take_every_key_under_either_keyword() {
    let app = TestApp::spawn().await;
    let config = r#"<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="cat"/></Choices></View>"#;
    let project = app.create_project(config).await;
    let png = b"\x89PNG\r\n\x1a\nmodel-input";
    let uploaded = app
        .upload_files(project, "return_task_ids=true", &[("cat.png", png)])
        .await
        .expect(201)
        .body;
    let task = uploaded["task_ids"][0].as_i64().unwrap();
    let url = app.get(&format!("/api/tasks/{task}/")).await.body["data"]["image"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = format!(
        "/storage-data/uploaded/?filepath={}",
        &url["/data/".len()..]
    );
    let pat = app.personal_access_token().await;
    let access = app.access_token(&pat).await;
    let fetch = |path: String, authorization: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}{path}", app.base))
                .header("Authorization", authorization)
                .send()
                .await
                .unwrap()
        }
    };
    let legacy = crate::helpers::TOKEN.to_string();
    let keys = [
        format!("Token {legacy}"),
        format!("Bearer {legacy}"),
        format!("Token {pat}"),
        format!("Bearer {pat}"),
        format!("Bearer {access}"),
    ];
    for key in &keys {
        for path in [url.clone(), stored.clone()] {
            let answer = fetch(path.clone(), key.clone()).await;
            assert_eq!(answer.status(), 200, "{path} with {key}");
            assert_eq!(answer.bytes().await.unwrap().as_ref(), png);
        }
    }
    for wrong in ["Token nope", "Bearer nope", "Bearer a.b.c"] {
        let answer = fetch(url.clone(), wrong.to_string()).await;
        assert_eq!(answer.status(), 401, "{wrong}");
    }
    // The API itself keeps Label Studio's keywords: a legacy token is no Bearer there, a personal
    // access token is neither.
    for key in [
        format!("Bearer {legacy}"),
        format!("Token {pat}"),
        format!("Bearer {pat}"),
    ] {
        let api = fetch("/api/projects/".into(), key.clone()).await;
        assert_eq!(api.status(), 401, "{key}");
    }
    // Label Studio's answers for a missing path and a file that is not one's to read.
    let missing = fetch("/storage-data/uploaded/".into(), format!("Token {legacy}")).await;
    assert_eq!(missing.status(), 404);
    let other = fetch(
        format!(
            "/storage-data/uploaded/?filepath=upload/{}/x.png",
            project + 1000
        ),
        format!("Token {legacy}"),
    )
    .await;
    assert_eq!(other.status(), 403);
}

/// The active-learning loop: a live backend predicts every task (less sure of some), the project
/// samples by uncertainty, and `/next` serves the least confident tasks first with the
/// backend's predictions; each annotation asks the backend to train.
#[tokio::test]
async fn the_stream_serves_the_live_models_least_confident_tasks_first() {
    let app = app().await;
    let (url, model) = model_server().await;
    let project = app.create_project(CONFIG).await;
    let items: Vec<Value> = (0..14).map(|i| json!({"text": format!("t{i}")})).collect();
    let tasks = app.import_ids(project, Value::Array(items)).await;
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"sampling": "Uncertainty sampling", "min_annotations_to_start_training": 1}),
    )
    .await
    .expect(200);
    add_backend(&app, project, &url, json!({"title": "live"})).await;
    assert_eq!(app.project(project).await["model_version"], "live");
    retrieve_predictions(&app, project).await;
    assert_eq!(wait_for_predictions(&app, project, 14).await, 14);
    // The fake server is less sure (0.2) of tasks whose id is a multiple of 7.
    let unsure: Vec<i64> = tasks.iter().copied().filter(|t| t % 7 == 0).collect();
    assert_eq!(unsure.len(), 2);
    let trainings = || {
        model
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.0 == "/webhook" && r.2["action"] == "START_TRAINING")
            .count()
    };
    let mut served = Vec::new();
    for round in 1..=2 {
        let next = app
            .get(&format!("/api/projects/{project}/next"))
            .await
            .expect(200)
            .body;
        assert_eq!(next["queue"], "Active learning or random queue");
        assert_eq!(next["predictions"][0]["score"], 0.2);
        assert_eq!(next["predictions"][0]["model_version"], "fake-1");
        let id = next["id"].as_i64().unwrap();
        served.push(id);
        app.post(
            &format!("/api/tasks/{id}/annotations/"),
            json!({"result": crate::helpers::choice("Negative")}),
        )
        .await
        .expect(201);
        // Training requests made while one waits are one request; this one is not waiting.
        for _ in 0..200 {
            if trainings() == round {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            trainings(),
            round,
            "each annotation asks the backend to train"
        );
    }
    served.sort_unstable();
    assert_eq!(served, unsure);
}
