//! Benchmarks Tessera through its HTTP API, as a client would see it.
//!
//! `tessera-bench <tessera binary> [sqlite|postgres <admin url>]` starts the server on a fresh
//! database and reports: import throughput (100,000 text tasks, half with one annotation, in one
//! `/import` request), JSON export throughput and the server's resident memory while exporting,
//! `/api/tasks/?project=` page latency once the project holds 1,000,000 tasks, and annotation
//! create latency, then the Data Manager and labeling-stream figures (`data_manager.rs`).
//! `tessera-bench jobs [sqlite|postgres <url>]` measures the job queue (`jobs.rs`).
//! `bench/run.sh` builds the release binary and runs both backends.

mod data_manager;
mod image_formats;
mod jobs;
mod ml;
mod snapshot;
mod storage;
mod webhooks;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use serde_json::{json, Value};

const TOKEN: &str = "bench-token-0123456789";
const BATCH: usize = 100_000;
const TOTAL: usize = 1_000_000;

struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
    data: tempfile::TempDir,
    database_url: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Resident and peak memory of a process in MiB, from `/proc`.
fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

impl Server {
    async fn start(binary: &str, database_url: Option<String>) -> Result<Server> {
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .args(["start", "--port", &port.to_string(), "--data-dir"])
            .arg(data.path())
            .env("LABEL_STUDIO_USERNAME", "bench@example.com")
            .env("LABEL_STUDIO_PASSWORD", "bench-password")
            .env("LABEL_STUDIO_USER_TOKEN", TOKEN)
            .env("TESSERA_QUIET", "true")
            .env("TESSERA_MAX_BODY_SIZE", "1073741824")
            // The storage figures use emulators on this machine.
            .env("TESSERA_OUTBOUND_ALLOW", "127.0.0.1/32")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null());
        if let Some(url) = &database_url {
            command.env("DATABASE_URL", url);
        }
        let child = command.spawn().context("starting tessera")?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1800))
            .build()?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client,
            data,
            database_url,
        };
        for _ in 0..600 {
            if server
                .client
                .get(format!("{}/health", server.base))
                .send()
                .await
                .is_ok()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("tessera did not start")
    }

    /// The server's database, opened beside it.
    async fn database(&self) -> Result<tessera_db::sea_orm::DatabaseConnection> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}/tessera.sqlite3?mode=ro",
                self.data.path().display()
            ),
        };
        Ok(tessera_db::sea_orm::Database::connect(url).await?)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {TOKEN}"))
    }

    async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// `count` text tasks starting at `start`; every other one carries one annotation.
fn tasks(start: usize, count: usize) -> Vec<u8> {
    let items: Vec<Value> = (start..start + count)
        .map(|i| {
            let data = json!({"text": format!("Task number {i}: the quick brown fox jumps over the lazy dog"), "source": "bench"});
            if i % 2 == 0 {
                json!({"data": data, "annotations": [{"result": [{"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]}]})
            } else {
                json!({"data": data})
            }
        })
        .collect();
    serde_json::to_vec(&items).expect("serializable")
}

async fn import(server: &Server, project: i64, start: usize, count: usize) -> Result<Duration> {
    import_body(server, project, tasks(start, count)).await
}

/// Imports a JSON body of tasks; how long the request took.
async fn import_body(server: &Server, project: i64, body: Vec<u8>) -> Result<Duration> {
    let started = Instant::now();
    let response = server
        .request(
            reqwest::Method::POST,
            &format!("/api/projects/{project}/import"),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await?;
    let elapsed = started.elapsed();
    if !response.status().is_success() {
        bail!("import failed: {}", response.text().await?);
    }
    Ok(elapsed)
}

/// Downloads a JSON export, sampling the server's memory; returns (bytes, seconds, peak RSS MiB).
async fn export(server: &Server, project: i64) -> Result<(u64, f64, f64)> {
    let pid = server.child.id();
    let started = Instant::now();
    let response = server
        .request(
            reqwest::Method::GET,
            &format!("/api/projects/{project}/export?exportType=JSON&download_all_tasks=true"),
        )
        .send()
        .await?;
    let mut stream = response.bytes_stream();
    let mut bytes = 0u64;
    let mut peak = memory_mib(pid).0;
    while let Some(chunk) = stream.next().await {
        bytes += chunk?.len() as u64;
        peak = peak.max(memory_mib(pid).0);
    }
    Ok((bytes, started.elapsed().as_secs_f64(), peak))
}

/// Exports the project as JSON and prints throughput and the server's memory around it.
async fn report_export(server: &Server, backend: &str, project: i64, tasks: usize) -> Result<()> {
    let (rss_before, _) = memory_mib(server.child.id());
    let (bytes, seconds, peak) = export(server, project).await?;
    println!(
        "[{backend}] JSON export of {tasks} tasks: {:.1} MB in {:.2} s = {:.0} MB/s; server RSS {:.0} MiB before, {:.0} MiB peak while streaming",
        bytes as f64 / 1e6,
        seconds,
        bytes as f64 / 1e6 / seconds,
        rss_before,
        peak
    );
    Ok(())
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

async fn time_gets(server: &Server, paths: &[String]) -> Result<Vec<f64>> {
    let mut samples = Vec::with_capacity(paths.len());
    for path in paths {
        let started = Instant::now();
        let response = server.request(reqwest::Method::GET, path).send().await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            bail!("{path}: {status}");
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(samples)
}

async fn run(binary: &str, backend: &str, database_url: Option<String>) -> Result<()> {
    let server = Server::start(binary, database_url).await?;
    let config = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;
    let project = server
        .json(
            reqwest::Method::POST,
            "/api/projects/",
            Some(&json!({"title": "Benchmark", "label_config": config})),
        )
        .await?["id"]
        .as_i64()
        .context("project id")?;

    let elapsed = import(&server, project, 0, BATCH).await?;
    println!(
        "[{backend}] import {BATCH} tasks (50% annotated): {:.2} s = {:.0} tasks/s",
        elapsed.as_secs_f64(),
        BATCH as f64 / elapsed.as_secs_f64()
    );

    report_export(&server, backend, project, BATCH).await?;

    let mut import_seconds = elapsed.as_secs_f64();
    for start in (BATCH..TOTAL).step_by(BATCH) {
        import_seconds += import(&server, project, start, BATCH).await?.as_secs_f64();
    }
    println!(
        "[{backend}] {TOTAL} tasks imported in {import_seconds:.1} s overall ({:.0} tasks/s)",
        TOTAL as f64 / import_seconds
    );
    data_manager::wait_for_search_index(&server, backend).await?;

    let first_pages: Vec<String> = (0..200)
        .map(|_| format!("/api/tasks/?project={project}&page=1&page_size=100"))
        .collect();
    let mut samples = time_gets(&server, &first_pages).await?;
    println!(
        "[{backend}] /api/tasks/ first page of 100 at {TOTAL} tasks: p50 {:.2} ms, p95 {:.2} ms",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95)
    );
    let pages = TOTAL / 100;
    let spread: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "/api/tasks/?project={project}&page={}&page_size=100",
                1 + (i * 7919) % pages
            )
        })
        .collect();
    let mut samples = time_gets(&server, &spread).await?;
    println!(
        "[{backend}] /api/tasks/ pages spread over all {pages}: p50 {:.2} ms, p95 {:.2} ms",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95)
    );
    let full: Vec<String> = (0..100)
        .map(|_| format!("/api/tasks/?project={project}&page=1&page_size=100&fields=all"))
        .collect();
    let mut samples = time_gets(&server, &full).await?;
    println!(
        "[{backend}] /api/tasks/ first page with fields=all: p50 {:.2} ms",
        percentile(&mut samples, 0.5)
    );

    let first_task = server
        .json(
            reqwest::Method::GET,
            &format!("/api/tasks/?project={project}&page=1&page_size=1"),
            None,
        )
        .await?["tasks"][0]["id"]
        .as_i64()
        .context("task id")?;
    let mut samples = Vec::new();
    let body = json!({"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}}], "lead_time": 1.0});
    for i in 0..500 {
        let task = first_task + 1 + 2 * i;
        let started = Instant::now();
        server
            .json(
                reqwest::Method::POST,
                &format!("/api/tasks/{task}/annotations/"),
                Some(&body),
            )
            .await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "[{backend}] annotation create (500 sequential): p50 {:.2} ms, p95 {:.2} ms",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95)
    );

    report_export(&server, backend, project, TOTAL).await?;
    data_manager::report(&server, backend, project).await
}

/// The database a mode's arguments name: `postgres <url>` after the binary, else SQLite.
fn backend_of(args: &[String]) -> Result<(&'static str, Option<String>)> {
    Ok(match args.get(3).map(String::as_str) {
        Some("postgres") => (
            "postgres",
            Some(args.get(4).context("postgres needs a URL")?.clone()),
        ),
        _ => ("sqlite", None),
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("jobs") {
        return match args.get(2).map(String::as_str).unwrap_or("sqlite") {
            "sqlite" => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/jobs.sqlite3?mode=rwc", dir.path().display());
                jobs::report("sqlite", &url).await
            }
            "postgres" => {
                let url = args
                    .get(3)
                    .context("postgres needs the URL of an empty database")?;
                jobs::report("postgres", url).await
            }
            other => bail!("unknown backend {other}"),
        };
    }
    if args.get(1).map(String::as_str) == Some("snapshot") {
        let binary = args
            .get(2)
            .context("usage: tessera-bench snapshot <tessera binary> [postgres <url>]")?;
        let tasks = std::env::var("BENCH_SNAPSHOT_TASKS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(TOTAL);
        let (backend, url) = backend_of(&args)?;
        let server = Server::start(binary, url).await?;
        return snapshot::report(&server, backend, tasks).await;
    }
    if args.get(1).map(String::as_str) == Some("formats") {
        let binary = args
            .get(2)
            .context("usage: tessera-bench formats <tessera binary> [postgres <url>]")?;
        let tasks = std::env::var("BENCH_FORMAT_TASKS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000);
        let (backend, url) = backend_of(&args)?;
        let server = Server::start(binary, url).await?;
        return image_formats::report(&server, backend, tasks).await;
    }
    if args.get(1).map(String::as_str) == Some("ml") {
        let binary = args
            .get(2)
            .context("usage: tessera-bench ml <tessera binary> [postgres <url>]")?;
        let tasks = std::env::var("BENCH_ML_TASKS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000);
        let (backend, url) = backend_of(&args)?;
        let server = Server::start(binary, url).await?;
        return ml::report(&server, backend, tasks).await;
    }
    if args.get(1).map(String::as_str) == Some("webhooks") {
        let binary = args
            .get(2)
            .context("usage: tessera-bench webhooks <tessera binary> [postgres <url>]")?;
        let (backend, url) = backend_of(&args)?;
        let server = Server::start(binary, url).await?;
        return webhooks::report(&server, backend).await;
    }
    if args.get(1).map(String::as_str) == Some("storage") {
        let binary = args
            .get(2)
            .context("usage: tessera-bench storage <tessera binary> [postgres <url>]")?;
        let endpoint = std::env::var("TESSERA_TEST_S3_ENDPOINT")
            .context("TESSERA_TEST_S3_ENDPOINT: bench/run.sh storage starts the S3 emulator")?;
        let objects = std::env::var("BENCH_STORAGE_OBJECTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000);
        let (backend, url) = backend_of(&args)?;
        let server = Server::start(binary, url).await?;
        return storage::report(&server, backend, &endpoint, objects).await;
    }
    let binary = args
        .get(1)
        .context("usage: tessera-bench <tessera binary> [sqlite|postgres <admin url>]")?;
    match args.get(2).map(String::as_str).unwrap_or("sqlite") {
        "sqlite" => run(binary, "sqlite", None).await,
        "postgres" => {
            let url = args
                .get(3)
                .context("postgres needs the URL of an existing database")?;
            run(binary, "postgres", Some(url.clone())).await
        }
        other => bail!("unknown backend {other}"),
    }
}
