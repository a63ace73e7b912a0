//! Cloud storage figures: a sync of many one-task JSON objects from the S3 emulator (tasks/s and
//! the server's peak memory), the re-sync with nothing changed, and how far an export storage
//! lags behind 20 annotators submitting at once.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tessera_storage::remote::{Remote, S3Bucket};

use crate::{memory_mib, Server};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;
const ANNOTATORS: usize = 20;
const SUBMISSIONS_EACH: usize = 25;

fn bucket(endpoint: &str, name: &str) -> Result<Remote> {
    let outbound = tessera_outbound::Outbound::new(tessera_outbound::OutboundConfig {
        allow: tessera_outbound::Allow::Everything,
        ..Default::default()
    });
    Ok(Remote::s3(
        &S3Bucket {
            bucket: name.to_string(),
            region: Some("us-east-1".into()),
            endpoint: Some(endpoint.to_string()),
            access_key_id: Some("bench".into()),
            secret_access_key: Some("bench-secret".into()),
            session_token: None,
        },
        &outbound,
    )?)
}

/// Waits for the storage's sync to end, sampling the server's memory; (seconds, peak MiB).
async fn finished(server: &Server, path: &str, started: Instant) -> Result<(Value, f64, f64)> {
    let mut peak = 0f64;
    loop {
        peak = peak.max(memory_mib(server.child.id()).0);
        let storage = server.json(reqwest::Method::GET, path, None).await?;
        match storage["status"].as_str() {
            Some("queued" | "in_progress") => tokio::time::sleep(Duration::from_millis(100)).await,
            Some("completed") => return Ok((storage, started.elapsed().as_secs_f64(), peak)),
            _ => bail!("the sync failed: {storage}"),
        }
    }
}

pub async fn report(server: &Server, backend: &str, endpoint: &str, objects: usize) -> Result<()> {
    let name = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await?
        .error_for_status()
        .context("creating the bucket")?;
    let remote = bucket(endpoint, &name)?;
    let seeding = Instant::now();
    futures_util::stream::iter(0..objects)
        .map(|i| {
            let remote = remote.clone();
            async move {
                let body = json!({"text": format!("Object number {i}: the quick brown fox")});
                remote
                    .put(&format!("tasks/{i:07}.json"), body.to_string().into())
                    .await
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await?;
    println!(
        "[{backend}] storage: {objects} objects put into the S3 emulator in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "storage bench", "label_config": CONFIG})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;
    let storage = json!({
        "project": project, "bucket": name, "prefix": "tasks", "s3_endpoint": endpoint,
        "aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret",
        "region_name": "us-east-1",
    });
    let created = server
        .json(reqwest::Method::POST, "/api/storages/s3/", Some(&storage))
        .await?;
    let path = format!("/api/storages/s3/{}", created["id"]);
    let started = Instant::now();
    server
        .json(reqwest::Method::POST, &format!("{path}/sync"), None)
        .await?;
    let (synced, seconds, peak) = finished(server, &path, started).await?;
    let created_tasks = synced["last_sync_count"].as_f64().unwrap_or_default();
    println!(
        "[{backend}] storage sync: {created_tasks} tasks in {seconds:.1} s = {:.0} tasks/s, server peak RSS {peak:.0} MiB",
        created_tasks / seconds
    );
    let started = Instant::now();
    server
        .json(reqwest::Method::POST, &format!("{path}/sync"), None)
        .await?;
    let (again, seconds, _) = finished(server, &path, started).await?;
    println!(
        "[{backend}] storage re-sync, nothing changed: {seconds:.1} s ({} tasks created, {} existed)",
        again["last_sync_count"], again["meta"]["tasks_existed"]
    );

    // Export lag: 20 annotators submit at once; how long until every annotation is in the bucket.
    server
        .json(
            reqwest::Method::POST,
            "/api/storages/export/s3",
            Some(&json!({
                "project": project, "bucket": name, "prefix": "out", "s3_endpoint": endpoint,
                "aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret",
            })),
        )
        .await?;
    let tasks = server
        .json(
            reqwest::Method::GET,
            &format!(
                "/api/tasks/?project={project}&page_size={}",
                ANNOTATORS * SUBMISSIONS_EACH
            ),
            None,
        )
        .await?;
    let ids: Vec<i64> = tasks["tasks"]
        .as_array()
        .context("tasks")?
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let submitting = Instant::now();
    let mut saves = Vec::new();
    for annotator in 0..ANNOTATORS {
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .skip(annotator * SUBMISSIONS_EACH)
            .take(SUBMISSIONS_EACH)
            .collect();
        saves.push(async move {
            for id in ids {
                let body = json!({"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]});
                server
                    .json(
                        reqwest::Method::POST,
                        &format!("/api/tasks/{id}/annotations/"),
                        Some(&body),
                    )
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    futures_util::future::try_join_all(saves).await?;
    let submitted = submitting.elapsed().as_secs_f64();
    let total = ANNOTATORS * SUBMISSIONS_EACH;
    loop {
        let written = remote
            .list(Some("out"), true)
            .try_collect::<Vec<_>>()
            .await?
            .len();
        if written >= total {
            break;
        }
        if submitting.elapsed() > Duration::from_secs(600) {
            bail!("the export storage wrote {written} of {total} annotations in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_written = submitting.elapsed().as_secs_f64();
    println!(
        "[{backend}] export storage: {total} annotations by {ANNOTATORS} annotators submitted in {submitted:.1} s, all in the bucket after {all_written:.1} s (lag {:.1} s)",
        all_written - submitted
    );
    Ok(())
}
