//! Webhook figures: 20 annotators submit at once while a webhook listens for every annotation
//! created; a local receiver times each delivery. Reports deliveries per second and the delay
//! from the API's answer to the delivery's arrival (p50, p95, worst).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{json, Value};

use crate::Server;

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;
const ANNOTATORS: usize = 20;
const SUBMISSIONS_EACH: usize = 50;

/// When each annotation's delivery arrived.
type Arrivals = Arc<Mutex<HashMap<i64, Instant>>>;

async fn arrive(State(arrivals): State<Arrivals>, body: Bytes) -> &'static str {
    let now = Instant::now();
    if let Ok(body) = serde_json::from_slice::<Value>(&body) {
        if let Some(id) = body["annotation"]["id"].as_i64() {
            arrivals.lock().expect("not poisoned").insert(id, now);
        }
    }
    "ok"
}

/// Starts the receiver; its URL.
async fn receiver(arrivals: Arrivals) -> Result<String> {
    let app = axum::Router::new()
        .route("/hook", post(arrive))
        .with_state(arrivals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://127.0.0.1:{port}/hook"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub async fn report(server: &Server, backend: &str) -> Result<()> {
    let total = ANNOTATORS * SUBMISSIONS_EACH;
    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "Webhooks", "label_config": CONFIG})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;
    let tasks: Vec<Value> = (0..total)
        .map(|i| json!({"text": format!("task {i}")}))
        .collect();
    let imported = server
        .json(
            reqwest::Method::POST,
            &format!("/api/projects/{project}/import?return_task_ids=true"),
            Some(&Value::Array(tasks)),
        )
        .await?;
    let ids: Vec<i64> = imported["task_ids"]
        .as_array()
        .context("task ids")?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    let arrivals: Arrivals = Arc::default();
    let url = receiver(arrivals.clone()).await?;
    server
        .json(
            reqwest::Method::POST,
            "/api/webhooks/",
            Some(&json!({"project": project, "url": url, "send_for_all_actions": false, "actions": ["ANNOTATION_CREATED"]})),
        )
        .await?;

    let started = Instant::now();
    let mut annotators = Vec::new();
    for annotator in 0..ANNOTATORS {
        let mine: Vec<i64> = ids
            .iter()
            .copied()
            .skip(annotator * SUBMISSIONS_EACH)
            .take(SUBMISSIONS_EACH)
            .collect();
        annotators.push(async move {
            let mut answered = Vec::with_capacity(mine.len());
            for id in mine {
                let body = json!({"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]});
                let saved = server
                    .json(
                        reqwest::Method::POST,
                        &format!("/api/tasks/{id}/annotations/"),
                        Some(&body),
                    )
                    .await?;
                answered.push((saved["id"].as_i64().context("annotation id")?, Instant::now()));
            }
            Ok::<_, anyhow::Error>(answered)
        });
    }
    let answered: Vec<(i64, Instant)> = futures_util::future::try_join_all(annotators)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let submitted = started.elapsed().as_secs_f64();
    loop {
        let arrived = arrivals.lock().expect("not poisoned").len();
        if arrived >= total {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("{arrived} of {total} deliveries arrived in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrivals = arrivals.lock().expect("not poisoned").clone();
    let mut delays: Vec<f64> = answered
        .iter()
        .filter_map(|(id, at)| {
            arrivals
                .get(id)
                .map(|arrived| arrived.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    let last = arrivals.values().max().copied().unwrap_or(started);
    let span = last.duration_since(started).as_secs_f64();
    println!(
        "[{backend}] webhooks: {total} annotations by {ANNOTATORS} annotators submitted in {submitted:.1} s ({:.0}/s); all {total} delivered {span:.1} s after the first submission ({:.0} deliveries/s); API answer to delivery p50 {:.0} ms, p95 {:.0} ms, worst {:.0} ms",
        total as f64 / submitted,
        total as f64 / span,
        percentile(&delays, 0.5),
        percentile(&delays, 0.95),
        delays.last().copied().unwrap_or_default(),
    );
    Ok(())
}
