//! ML backend figures: "Retrieve Predictions" for `BENCH_ML_TASKS` tasks (default 100,000) from
//! a fast local model server that speaks Label Studio's protocol: tasks predicted per second and
//! the server's peak memory while the job runs.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::routing::{get, post};
use axum::Json;
use serde_json::{json, Value};

use crate::{memory_mib, Server};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;
const CHUNK: usize = 50_000;

async fn predict(Json(body): Json<Value>) -> Json<Value> {
    let results: Vec<Value> = body["tasks"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .map(|_| json!({"score": 0.9, "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]}))
                .collect()
        })
        .unwrap_or_default();
    Json(json!({"results": results}))
}

/// Starts the model server; its URL.
async fn model_server() -> Result<String> {
    let app = axum::Router::new()
        .route("/health", get(|| async { Json(json!({"status": "UP"})) }))
        .route(
            "/setup",
            post(|| async { Json(json!({"model_version": "bench-1"})) }),
        )
        .route("/predict", post(predict))
        .route("/webhook", post(|| async { Json(json!({"status": "ok"})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://127.0.0.1:{port}"))
}

pub async fn report(server: &Server, backend: &str, tasks: usize) -> Result<()> {
    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "Predicted", "label_config": CONFIG})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;
    for start in (0..tasks).step_by(CHUNK) {
        let items: Vec<Value> = (start..(start + CHUNK).min(tasks))
            .map(|i| json!({"text": format!("task {i}: the quick brown fox")}))
            .collect();
        server
            .json(
                reqwest::Method::POST,
                &format!("/api/projects/{project}/import"),
                Some(&Value::Array(items)),
            )
            .await?;
    }
    let url = model_server().await?;
    server
        .json(
            reqwest::Method::POST,
            "/api/ml/",
            Some(&json!({"project": project, "url": url})),
        )
        .await?;
    let before = memory_mib(server.child.id()).0;
    let started = Instant::now();
    server
        .json(
            reqwest::Method::POST,
            &format!("/api/dm/actions?id=retrieve_tasks_predictions&project={project}"),
            Some(&json!({"selectedItems": {"all": true, "excluded": []}})),
        )
        .await?;
    let mut peak = before;
    loop {
        peak = peak.max(memory_mib(server.child.id()).0);
        let counted = server
            .json(
                reqwest::Method::GET,
                &format!("/api/projects/{project}/"),
                None,
            )
            .await?["total_predictions_number"]
            .as_u64()
            .unwrap_or_default();
        if counted as usize >= tasks {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("{counted} of {tasks} tasks predicted in 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "[{backend}] ML predictions: {tasks} tasks in {seconds:.1} s = {:.0} tasks/s (32 per /predict call); server RSS {before:.0} MiB before, peak {peak:.0} MiB",
        tasks as f64 / seconds
    );
    Ok(())
}
