//! The test harness: a real Tessera on an ephemeral port, on a temp SQLite file or, when
//! `TEST_DATABASE_URL` is set, in a fresh PostgreSQL schema that is dropped afterwards.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use tessera_server::config::Config;
use tessera_server::startup::Application;

/// The admin's legacy token in every test app.
pub const TOKEN: &str = "test-admin-token-0123456789";
/// The admin's email.
pub const ADMIN: &str = "admin@example.com";
/// The admin's password.
pub const PASSWORD: &str = "admin-password-1";

/// A running server and a client pointed at it.
pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub client: Client,
    pub data_dir: tempfile::TempDir,
    schema: Option<(String, String)>,
}

/// A response: status and parsed JSON body (`Value::Null` for an empty or non-JSON body).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// Asserts the status, showing the body on failure.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
}

/// Builds a PostgreSQL URL whose connections use `schema`.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

impl TestApp {
    /// Spawns an app with default settings.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Spawns an app after letting the test adjust its configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut schema = None;
        let database_url = match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(base) => {
                let name = format!("test_{}", uuid::Uuid::new_v4().simple());
                let db = tessera_db::Db::connect(&base, 1)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                use sea_orm::ConnectionTrait;
                db.conn()
                    .execute_unprepared(&format!("CREATE SCHEMA {name}"))
                    .await
                    .expect("create schema");
                db.close().await.ok();
                schema = Some((base.clone(), name.clone()));
                with_search_path(&base, &name)
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("tessera.sqlite3").display()
            ),
        };
        let mut config = Config {
            host: "127.0.0.1".into(),
            port: 0,
            data_dir: data_dir.path().to_path_buf(),
            database_url,
            admin_email: Some(ADMIN.into()),
            admin_password: Some(PASSWORD.into()),
            admin_token: Some(TOKEN.into()),
            max_body_size: 50 * 1024 * 1024,
            secret_key: None,
            db_max_connections: 4,
            disable_signup_without_link: false,
            quiet: true,
            task_lock_ttl: 86400,
            smtp_url: None,
            from_email: "Tessera <noreply@example.com>".into(),
            public_url: None,
            web_dir: None,
            trusted_proxies: Vec::new(),
            statement_timeout: 30.0,
            signup_role: tessera_core::roles::Role::Annotator,
            workers: 2,
            outbound_allow: tessera_outbound::Allow::PublicOnly,
            local_files: tessera_core::storages::connect::LocalFiles {
                serving: false,
                root: "/".into(),
            },
            azure_blob_endpoint: None,
            gcs_endpoint: None,
            media_store: None,
            webhook_delivery: Default::default(),
            ml_open_wait: std::time::Duration::from_secs(10),
        };
        adjust(&mut config);
        let database_url = config.database_url.clone();
        let app = Application::build(config).await.expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        TestApp {
            base,
            database_url,
            client,
            data_dir,
            schema,
        }
    }

    /// Sends a request with the admin token and an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(TOKEN, method, path, body).await
    }

    /// Sends a request with `token` (`Authorization: Token`).
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Signs up a new user (an annotator) and adds them to `project`'s members, so that the
    /// project is theirs to label; returns their legacy token.
    pub async fn annotator_of(&self, email: &str, project: i64) -> String {
        let token = self.signup(email).await;
        let id = self
            .call_as(&token, Method::GET, "/api/current-user/whoami", None)
            .await
            .expect(200)
            .body["id"]
            .clone();
        self.post(
            &format!("/api/projects/{project}/members/"),
            json!({"user": id}),
        )
        .await
        .expect(201);
        token
    }

    /// A new personal access token of the admin (`POST /api/token/`).
    pub async fn personal_access_token(&self) -> String {
        self.post("/api/token/", json!({})).await.expect(201).body["token"]
            .as_str()
            .expect("a token")
            .to_string()
    }

    /// A short-lived access token for the personal access token `pat` (`/api/token/refresh/`).
    pub async fn access_token(&self, pat: &str) -> String {
        self.post("/api/token/refresh/", json!({"refresh": pat}))
            .await
            .expect(200)
            .body["access"]
            .as_str()
            .expect("an access token")
            .to_string()
    }

    /// A connection to the app's database, beside the app.
    pub async fn database(&self) -> tessera_db::Db {
        tessera_db::Db::connect(&self.database_url, 1)
            .await
            .expect("connect to the app's database")
    }

    /// Every job of the app, a line each (kind, status, attempts, last error): what a test that
    /// waited for background work in vain prints.
    pub async fn jobs_report(&self) -> String {
        use sea_orm::{ConnectionTrait, Statement};
        let db = self.database().await;
        let conn = db.conn();
        let rows = conn
            .query_all(Statement::from_string(
                conn.get_database_backend(),
                "SELECT id, kind, status, attempts, singleton_key, error FROM jobs ORDER BY id",
            ))
            .await
            .expect("read the jobs");
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("", "id").unwrap_or_default();
                let kind: String = row.try_get("", "kind").unwrap_or_default();
                let status: String = row.try_get("", "status").unwrap_or_default();
                let attempts: i32 = row.try_get("", "attempts").unwrap_or_default();
                let key: Option<String> = row.try_get("", "singleton_key").unwrap_or_default();
                let error: Option<String> = row.try_get("", "error").unwrap_or_default();
                format!("#{id} {kind} {status} attempts={attempts} key={key:?} error={error:?}\n")
            })
            .collect()
    }

    /// Waits until the background search indexer has reached every task (SQLite; PostgreSQL
    /// indexes as it writes).
    pub async fn wait_for_search_index(&self) {
        let db = self.database().await;
        for _ in 0..300 {
            if tessera_db::queries::search::pending(db.conn())
                .await
                .expect("pending count")
                == 0
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the search indexer did not catch up in 30 s");
    }

    /// Creates a project with `label_config` and returns its id.
    pub async fn create_project(&self, label_config: &str) -> i64 {
        let reply = self
            .post(
                "/api/projects/",
                json!({"title": "Test project", "label_config": label_config}),
            )
            .await
            .expect(201);
        reply.body["id"].as_i64().expect("project id")
    }

    /// Sends a form body (`application/x-www-form-urlencoded`) with the admin token.
    pub async fn form(
        &self,
        method: reqwest::Method,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {TOKEN}"));
        Reply::from(request.form(fields).send().await.unwrap()).await
    }

    /// Sends a `multipart/form-data` body of text fields with the admin token.
    pub async fn multipart(
        &self,
        method: reqwest::Method,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let form = fields
            .iter()
            .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
                form.text(name.to_string(), value.to_string())
            });
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {TOKEN}"));
        Reply::from(request.multipart(form).send().await.unwrap()).await
    }

    /// Uploads files (`file` parts) to a project's import with the query string `query`.
    pub async fn upload_files(&self, project: i64, query: &str, files: &[(&str, &[u8])]) -> Reply {
        let form = files
            .iter()
            .fold(reqwest::multipart::Form::new(), |form, (name, bytes)| {
                form.part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
                )
            });
        let request = self
            .client
            .post(format!(
                "{}/api/projects/{project}/import?{query}",
                self.base
            ))
            .header("Authorization", format!("Token {TOKEN}"));
        Reply::from(request.multipart(form).send().await.unwrap()).await
    }

    /// Imports `tasks` (a JSON body) and returns the response body.
    pub async fn import(&self, project: i64, tasks: Value) -> Value {
        self.post(
            &format!("/api/projects/{project}/import?return_task_ids=true"),
            tasks,
        )
        .await
        .expect(201)
        .body
    }

    /// Imports tasks and returns their ids, in order.
    pub async fn import_ids(&self, project: i64, tasks: Value) -> Vec<i64> {
        self.import(project, tasks).await["task_ids"]
            .as_array()
            .expect("task_ids")
            .iter()
            .map(|v| v.as_i64().expect("a task id"))
            .collect()
    }

    /// Project detail.
    pub async fn project(&self, project: i64) -> Value {
        self.get(&format!("/api/projects/{project}/"))
            .await
            .expect(200)
            .body
    }

    /// Signs up a new user through the form and returns their legacy token.
    pub async fn signup(&self, email: &str) -> String {
        let (status, token) = self.signup_through("/user/signup/", email).await;
        assert_eq!(status, StatusCode::FOUND, "signup failed");
        token.expect("token")
    }

    /// Posts the sign-up form at `path` (with any `?token=`); returns the status and, on
    /// success, the new user's legacy token.
    pub async fn signup_through(&self, path: &str, email: &str) -> (StatusCode, Option<String>) {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let reply = client
            .post(format!("{}{path}", self.base))
            .form(&[("email", email), ("password", "blue-harbor-72")])
            .send()
            .await
            .unwrap();
        let status = reply.status();
        if status != StatusCode::FOUND {
            return (status, None);
        }
        let body: Value = client
            .get(format!("{}/api/current-user/token", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (status, body["token"].as_str().map(str::to_string))
    }
}

impl TestApp {
    /// Creates a second organization with its own owner, straight in the database (Tessera has
    /// no public route for that yet), and returns the owner's legacy token.
    pub async fn other_organization(&self) -> String {
        let db = tessera_db::Db::connect(&self.database_url, 1)
            .await
            .unwrap();
        let txn = db.write().await.unwrap();
        let now = tessera_db::time::now();
        let token = format!("other-{}", uuid::Uuid::new_v4().simple());
        let user = tessera_db::queries::users::insert(
            &*txn,
            tessera_db::queries::users::NewUser {
                email: &format!("{token}@example.com"),
                username: "other",
                password_hash: String::new(),
                api_token: token.clone(),
                first_name: "",
                last_name: "",
                allow_newsletters: None,
                is_superuser: false,
                now,
            },
        )
        .await
        .unwrap();
        let org = tessera_db::queries::organizations::insert(
            &*txn,
            "Other org",
            format!("invite-{token}"),
            user.id,
            now,
        )
        .await
        .unwrap();
        tessera_db::queries::organizations::add_member(&*txn, org.id, user, "OW", now)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        db.close().await.ok();
        token
    }
}

impl TestApp {
    /// The existing account `email` (password `blue-harbor-72`, as [`TestApp::signup`] sets)
    /// joins the organization whose owner holds `owner_token`, through its invite link.
    pub async fn join_organization(&self, owner_token: &str, email: &str) {
        let invite = self
            .call_as(owner_token, Method::GET, "/api/invite", None)
            .await
            .expect(200)
            .body["token"]
            .as_str()
            .unwrap()
            .to_string();
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = [("email", email), ("password", "blue-harbor-72")];
        let joined = client
            .post(format!("{}/user/signup/?token={invite}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            joined.status(),
            StatusCode::FOUND,
            "joining the other organization failed"
        );
    }
}

impl Reply {
    /// Reads a response.
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
            text,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.schema.take() {
            // Best effort: a crashed run's schemas are swept by the next run's `.ci/run`.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    if let Ok(db) = tessera_db::Db::connect(&base, 1).await {
                        use sea_orm::ConnectionTrait;
                        // The app's background work runs on the test's runtime, which this
                        // drop blocks: a transaction it left open would hold the schema's
                        // locks forever, so the drop gives up after a while (the next run's
                        // sweep removes the schema).
                        let _ = db
                            .conn()
                            .execute_unprepared(&format!(
                                "SET lock_timeout = '5s'; DROP SCHEMA {schema} CASCADE"
                            ))
                            .await;
                        let _ = db.close().await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// Percent-encodes a query parameter's value.
pub fn urlencoded(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_string()
}

/// The task list of `project` for a Data Manager query.
pub fn tasks_query(project: i64, query: &serde_json::Value) -> String {
    format!(
        "/api/tasks/?project={project}&query={}",
        urlencoded(&query.to_string())
    )
}

/// A text-classification + NER config used across tests.
pub const TEXT_CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/>
  </Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
</View>"#;

/// A choices region for `sentiment`.
pub fn choice(label: &str) -> Value {
    json!([{"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [label]}}])
}

/// A local SMTP server that keeps what it receives: enough of RFC 5321 for a real client.
/// With `refuse_recipients`, every `RCPT TO` is refused (550).
pub struct SmtpSink {
    pub url: String,
    pub messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start(refuse_recipients: bool) -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ready\r\n").await.ok();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 sink\r\n",
                            "RCPT" if refuse_recipients => b"550 no such mailbox\r\n",
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.ok();
                                let mut message = String::new();
                                while let Ok(Some(data)) = lines.next_line().await {
                                    if data == "." {
                                        break;
                                    }
                                    message.push_str(&data);
                                    message.push('\n');
                                }
                                kept.lock().unwrap().push(message);
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.ok();
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(reply).await.ok();
                    }
                });
            }
        });
        SmtpSink { url, messages }
    }
}

/// A download: status, headers and body.
pub struct Download {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl TestApp {
    /// GETs `path` as the admin and reads the whole body (exports, files).
    pub async fn download(&self, path: &str) -> Download {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
            .await
            .unwrap();
        Download {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }
}

/// The entries of a zip archive, by name.
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
            (entry.name().unwrap().to_string(), content)
        })
        .collect()
}
