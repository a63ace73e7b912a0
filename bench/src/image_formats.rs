//! COCO and YOLO exports of an image project: many tasks, each with three boxes, exported
//! through the streamed `/export` as zip archives, timed, with the server's peak memory.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::{import_body, memory_mib, Server};

/// Tasks per import request (small, so the import's own memory does not hide the export's).
const BATCH: usize = 10_000;

const CONFIG: &str = r#"<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image"><Label value="Car"/><Label value="Person"/><Label value="Bike"/></RectangleLabels></View>"#;

/// `count` image tasks from `start`, each annotated with three boxes.
fn tasks(start: usize, count: usize) -> Vec<u8> {
    let items: Vec<Value> = (start..start + count)
        .map(|i| {
            let boxes: Vec<Value> = ["Car", "Person", "Bike"]
                .iter()
                .enumerate()
                .map(|(n, label)| {
                    json!({"id": format!("b{n}"), "from_name": "box", "to_name": "image", "type": "rectanglelabels",
                           "original_width": 1280, "original_height": 720,
                           "value": {"x": 10.5 + n as f64 * 20.0, "y": 12.25, "width": 15.0, "height": 30.5, "rotation": 0,
                                     "rectanglelabels": [label]}})
                })
                .collect();
            json!({"data": {"image": format!("https://images.example.com/street/{i:07}.jpg")},
                   "annotations": [{"result": boxes}]})
        })
        .collect();
    serde_json::to_vec(&items).expect("serializable")
}

/// Imports `count` tasks, then times COCO and YOLO exports of them.
pub async fn report(server: &Server, backend: &str, count: usize) -> Result<()> {
    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "formats bench", "label_config": CONFIG})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;
    let mut imported = 0;
    while imported < count {
        let batch = BATCH.min(count - imported);
        import_body(server, project, tasks(imported, batch)).await?;
        imported += batch;
    }
    let pid = server.child.id();
    let formats = std::env::var("BENCH_FORMATS").unwrap_or_else(|_| "COCO,YOLO".into());
    for format in formats.split(',') {
        let (before, _) = memory_mib(pid);
        let started = Instant::now();
        let response = server
            .request(
                reqwest::Method::GET,
                &format!("/api/projects/{project}/export?exportType={format}"),
            )
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("{format} export failed: {}", response.text().await?);
        }
        let mut stream = response.bytes_stream();
        let (mut bytes, mut peak) = (0u64, before);
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            bytes += chunk?.len() as u64;
            peak = peak.max(memory_mib(pid).0);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "[{backend}] {format} of {count} image tasks (3 boxes each): {:.1} MB zip in {seconds:.1} s = {:.0} tasks/s; server RSS {before:.0} MiB before, {peak:.0} MiB peak",
            bytes as f64 / 1e6,
            count as f64 / seconds
        );
    }
    Ok(())
}
