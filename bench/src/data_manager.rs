//! Data Manager and labeling-stream figures on the big project: a filtered and ordered task
//! page, `/next`, 20 annotators pulling and submitting at once, and a bulk `delete_tasks`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::{percentile, Server};

const ANNOTATORS: usize = 20;
const CONCURRENT_SECONDS: u64 = 30;

fn choice(label: &str) -> Value {
    json!({"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [label]}}], "lead_time": 1.0})
}

/// A query-string value, percent-encoded.
fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Waits for the server's search indexer to reach the last imported task (SQLite; PostgreSQL
/// indexes as it writes) and prints how long that took, so that the figures after it are the
/// steady state's rather than those of a server still indexing on one of two cores.
pub async fn wait_for_search_index(server: &Server, backend: &str) -> Result<()> {
    let database = server.database().await?;
    let started = Instant::now();
    let pending = tessera_db::queries::search::pending(&database).await?;
    while tessera_db::queries::search::pending(&database).await? > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "[{backend}] search index: {pending} tasks left to index after the last import, caught up {:.1} s later",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A filtered (`data.text contains`, `completed_at` range) page ordered by `total_annotations`.
async fn filtered_pages(server: &Server, backend: &str, project: i64) -> Result<()> {
    let mut samples = Vec::new();
    let mut totals = Vec::new();
    for i in 0..30 {
        let query = json!({
            "filters": {"conjunction": "and", "items": [
                {"filter": "filter:tasks:data.text", "operator": "contains", "type": "String", "value": format!("number {}", 10 + i)},
                {"filter": "filter:tasks:completed_at", "operator": "in", "type": "Datetime",
                 "value": {"min": "2000-01-01T00:00:00.000Z", "max": "2100-01-01T00:00:00.000Z"}}
            ]},
            "ordering": ["-tasks:total_annotations"]
        });
        let path = format!(
            "/api/tasks/?project={project}&page=1&page_size=100&query={}",
            urlencode(&query.to_string())
        );
        let started = Instant::now();
        let page = server.json(reqwest::Method::GET, &path, None).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        totals.push(page["total"].as_i64().unwrap_or(0));
    }
    totals.sort_unstable();
    println!(
        "[{backend}] /api/tasks/ filtered (data.text contains + completed_at range) and ordered by -total_annotations, {} matches typical: p50 {:.1} ms, p95 {:.1} ms",
        totals[totals.len() / 2],
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95)
    );
    Ok(())
}

/// An annotator of `project`: signs up through the form, reads their token, and is added to
/// the project's members (annotators see only their projects).
async fn annotator(server: &Server, project: i64, email: &str) -> Result<String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let reply = client
        .post(format!("{}/user/signup/", server.base))
        .form(&[("email", email), ("password", "annotator-pass-1")])
        .send()
        .await?;
    if reply.status() != reqwest::StatusCode::FOUND {
        bail!("signup of {email} failed: {}", reply.status());
    }
    let token: Value = client
        .get(format!("{}/api/current-user/token", server.base))
        .send()
        .await?
        .json()
        .await?;
    let me: Value = client
        .get(format!("{}/api/current-user/whoami", server.base))
        .send()
        .await?
        .json()
        .await?;
    server
        .json(
            reqwest::Method::POST,
            &format!("/api/projects/{project}/members/"),
            Some(&serde_json::json!({"user": me["id"]})),
        )
        .await?;
    Ok(token["token"].as_str().context("token")?.to_string())
}

/// `/next` then submit, sequentially, timing `/next`.
async fn next_latency(server: &Server, backend: &str, project: i64) -> Result<()> {
    let mut samples = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let task = server
            .json(
                reqwest::Method::GET,
                &format!("/api/projects/{project}/next"),
                None,
            )
            .await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        let id = task["id"].as_i64().context("next task id")?;
        server
            .json(
                reqwest::Method::POST,
                &format!("/api/tasks/{id}/annotations/"),
                Some(&choice("Positive")),
            )
            .await?;
    }
    println!(
        "[{backend}] /next at the big project (then submit, 200 times): p50 {:.2} ms, p95 {:.2} ms",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95)
    );
    Ok(())
}

#[derive(Default)]
struct Tally {
    served: Vec<(usize, i64)>,
    submitted: u64,
    server_errors: u64,
    next_ms: Vec<f64>,
}

/// `ANNOTATORS` users pull `/next` and submit for `CONCURRENT_SECONDS`; checks that no task went
/// to two of them (overlap is 1), that every submitted annotation is counted, and that nothing
/// answered 5xx.
async fn concurrent_annotators(server: &Server, backend: &str, project: i64) -> Result<()> {
    let mut tokens = Vec::new();
    for i in 0..ANNOTATORS {
        tokens.push(
            annotator(
                server,
                project,
                &format!("annotator{i}-{}@example.com", uuid::Uuid::new_v4().simple()),
            )
            .await?,
        );
    }
    let before = server
        .json(
            reqwest::Method::GET,
            &format!("/api/projects/{project}/"),
            None,
        )
        .await?["total_annotations_number"]
        .as_i64()
        .unwrap_or(0);
    let base = Arc::new(server.base.clone());
    let deadline = Instant::now() + Duration::from_secs(CONCURRENT_SECONDS);
    let mut handles = Vec::new();
    for (who, token) in tokens.into_iter().enumerate() {
        let base = base.clone();
        handles.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let started = Instant::now();
                let reply = client
                    .get(format!("{base}/api/projects/{project}/next"))
                    .header("Authorization", format!("Token {token}"))
                    .send()
                    .await?;
                tally.next_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                if reply.status().is_server_error() {
                    tally.server_errors += 1;
                    continue;
                }
                let task: Value = reply.json().await?;
                let Some(id) = task["id"].as_i64() else { break };
                tally.served.push((who, id));
                let posted = client
                    .post(format!("{base}/api/tasks/{id}/annotations/"))
                    .header("Authorization", format!("Token {token}"))
                    .json(&choice("Negative"))
                    .send()
                    .await?;
                if posted.status().is_server_error() {
                    tally.server_errors += 1;
                } else if posted.status().is_success() {
                    tally.submitted += 1;
                }
            }
            anyhow::Ok(tally)
        }));
    }
    let mut all = Tally::default();
    for handle in handles {
        let tally = handle.await??;
        all.served.extend(tally.served);
        all.submitted += tally.submitted;
        all.server_errors += tally.server_errors;
        all.next_ms.extend(tally.next_ms);
    }
    let mut receivers: HashMap<i64, HashSet<usize>> = HashMap::new();
    for (who, task) in &all.served {
        receivers.entry(*task).or_default().insert(*who);
    }
    let shared = receivers.values().filter(|users| users.len() > 1).count();
    let after = server
        .json(
            reqwest::Method::GET,
            &format!("/api/projects/{project}/"),
            None,
        )
        .await?["total_annotations_number"]
        .as_i64()
        .unwrap_or(0);
    let counted = (after - before) as u64;
    println!(
        "[{backend}] {ANNOTATORS} annotators for {CONCURRENT_SECONDS} s: {} annotations submitted ({:.0}/s), /next p50 {:.1} ms p95 {:.1} ms; tasks given to two annotators: {shared}; annotations counted by the project: {counted} (lost: {}); 5xx: {}",
        all.submitted,
        all.submitted as f64 / CONCURRENT_SECONDS as f64,
        percentile(&mut all.next_ms, 0.5),
        percentile(&mut all.next_ms, 0.95),
        all.submitted.saturating_sub(counted),
        all.server_errors
    );
    if shared > 0 || counted != all.submitted || all.server_errors > 0 {
        bail!("the concurrent labeling stream broke its guarantees");
    }
    Ok(())
}

/// `delete_tasks` on the first 100,000 tasks selected by an `inner_id` range filter.
async fn bulk_delete(server: &Server, backend: &str, project: i64) -> Result<()> {
    let body = json!({
        "filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:inner_id", "operator": "in", "type": "Number", "value": {"min": 1, "max": 100000}}]},
        "selectedItems": {"all": true, "excluded": []}
    });
    let started = Instant::now();
    let reply = server
        .json(
            reqwest::Method::POST,
            &format!("/api/dm/actions/?project={project}&id=delete_tasks"),
            Some(&body),
        )
        .await?;
    println!(
        "[{backend}] delete_tasks of {} selected tasks: {:.2} s",
        reply["processed_items"],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every Data Manager and labeling-stream figure, on a project that holds the big import.
pub async fn report(server: &Server, backend: &str, project: i64) -> Result<()> {
    filtered_pages(server, backend, project).await?;
    next_latency(server, backend, project).await?;
    concurrent_annotators(server, backend, project).await?;
    bulk_delete(server, backend, project).await
}
