//! Export snapshots: a project of many tasks (half annotated) made into a JSON snapshot by the
//! background job, timed from the request to `completed`, then downloaded as CSV (converted from
//! the snapshot as it streams), with the server's peak memory.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::{import, memory_mib, Server, BATCH};

const CONFIG: &str = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;

/// Imports `tasks` tasks, then times a JSON snapshot of them.
pub async fn report(server: &Server, backend: &str, tasks: usize) -> Result<()> {
    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "snapshot bench", "label_config": CONFIG})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;
    let mut imported = 0;
    while imported < tasks {
        let count = BATCH.min(tasks - imported);
        import(server, project, imported, count).await?;
        imported += count;
    }
    let pid = server.child.id();
    let (before, _) = memory_mib(pid);
    let started = Instant::now();
    let created = server
        .json(
            reqwest::Method::POST,
            &format!("/api/projects/{project}/exports/"),
            Some(&json!({})),
        )
        .await?;
    let path = format!("/api/projects/{project}/exports/{}", created["id"]);
    let mut peak = before;
    let snapshot = loop {
        peak = peak.max(memory_mib(pid).0);
        let snapshot = server.json(reqwest::Method::GET, &path, None).await?;
        match snapshot["status"].as_str() {
            Some("completed") => break snapshot,
            Some("failed") => bail!("the snapshot failed: {snapshot}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "[{backend}] JSON snapshot of {tasks} tasks: {} tasks written in {seconds:.1} s = {:.0} tasks/s; server RSS {before:.0} MiB before, {peak:.0} MiB peak",
        snapshot["counters"]["task_number"],
        tasks as f64 / seconds
    );
    // The snapshot converted to CSV on the fly, as a download.
    let started = Instant::now();
    let response = server
        .request(
            reqwest::Method::GET,
            &format!("{path}/download?exportType=CSV"),
        )
        .send()
        .await?;
    let mut stream = response.bytes_stream();
    let (mut bytes, mut peak) = (0u64, memory_mib(pid).0);
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        bytes += chunk?.len() as u64;
        peak = peak.max(memory_mib(pid).0);
    }
    println!(
        "[{backend}] the snapshot as CSV (converted while downloading): {:.1} MB in {:.1} s, server peak RSS {peak:.0} MiB",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
