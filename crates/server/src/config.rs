//! Typed configuration from the command line and environment, validated once at startup.
//!
//! Label Studio's variable names are honoured where they mean the same thing
//! (`LABEL_STUDIO_USERNAME`, `LABEL_STUDIO_PASSWORD`, `LABEL_STUDIO_USER_TOKEN`,
//! `LABEL_STUDIO_PORT`, `LABEL_STUDIO_BASE_DATA_DIR`), next to `TESSERA_*` equivalents.

use std::path::PathBuf;

use clap::Args;
use tessera_core::roles::Role;

use crate::auth::client_address::AddressRange;

/// Options of `tessera start` (and the parts of them other subcommands share).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, env = "TESSERA_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, short = 'p', env = "LABEL_STUDIO_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Folder for the SQLite database, uploads and exports.
    #[arg(long, env = "LABEL_STUDIO_BASE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://...` or `postgres://...`; default: `tessera.sqlite3` in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Email of the first admin, created on start if missing.
    #[arg(long = "username", env = "LABEL_STUDIO_USERNAME")]
    pub admin_email: Option<String>,
    /// Password of the first admin (generated and printed when not given).
    #[arg(
        long = "password",
        env = "LABEL_STUDIO_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Legacy API token of the first admin (generated and printed when not given).
    #[arg(
        long = "user-token",
        env = "LABEL_STUDIO_USER_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Largest accepted request body in bytes (uploads included); bigger gives 413.
    #[arg(long, env = "TESSERA_MAX_BODY_SIZE", default_value_t = 250 * 1024 * 1024)]
    pub max_body_size: usize,
    /// Secret for signing JWTs; by default one is generated and kept in the database.
    #[arg(long, env = "TESSERA_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Pool size.
    #[arg(long, env = "TESSERA_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// The role of people who sign up without an invitation, once the organization exists (its
    /// founder, the first to sign up, owns it): `annotator`, `reviewer`, `manager`,
    /// `administrator` or `not-activated` (Label Studio Enterprise's codes `AN`, `RE`, `MA`,
    /// `AD`, `NO` work too).
    #[arg(long, env = "TESSERA_SIGNUP_ROLE", default_value = "annotator")]
    pub signup_role: String,
    /// Refuse sign-ups that do not come with the organization's invite link (`?token=`).
    #[arg(
        long,
        env = "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK",
        default_value_t = false
    )]
    pub disable_signup_without_link: bool,
    /// Quiet startup: do not print the admin credentials banner.
    #[arg(long, env = "TESSERA_QUIET", default_value_t = false)]
    pub quiet: bool,
    /// Seconds a task handed out by `/next` stays reserved for its annotator.
    #[arg(long, env = "LABEL_STUDIO_TASK_LOCK_TTL", default_value_t = 86400)]
    pub task_lock_ttl: u64,
    /// SMTP server for invite emails (`smtp://user:pass@host:587?tls=required`, `smtps://...`);
    /// without one, invites are shared as links only.
    #[arg(long, env = "TESSERA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of Tessera's emails.
    #[arg(
        long,
        env = "FROM_EMAIL",
        default_value = "Tessera <noreply@localhost>"
    )]
    pub from_email: String,
    /// The address people reach Tessera at, for links in emails (`https://label.example.com`);
    /// by default the address the request came to.
    #[arg(long, env = "LABEL_STUDIO_HOST")]
    pub public_url: Option<String>,
    /// A folder holding the built web app, served instead of the one built into the binary
    /// (`npm --prefix web run build` writes `web/dist`).
    #[arg(long, env = "TESSERA_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For`
    /// names the client that sign-in throttling counts; without any, the peer address counts.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Seconds (fractions allowed) a database read made for a request may run before it is
    /// cancelled with a 503 (0: no limit). Write transactions are not limited.
    #[arg(long, env = "TESSERA_STATEMENT_TIMEOUT", default_value_t = 30.0)]
    pub statement_timeout: f64,
    /// Background jobs this process runs at once. 0: this process runs no background work
    /// (jobs, search indexing, upload sweeps); a `tessera worker` beside it does.
    #[arg(long, env = "TESSERA_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Addresses outbound requests (URL imports; webhooks, ML backends and storages to come)
    /// may reach beyond the public internet: comma-separated addresses or CIDR ranges, or `all`
    /// to turn SSRF protection off (Label Studio's `SSRF_PROTECTION_ENABLED=false`).
    #[arg(long, env = "TESSERA_OUTBOUND_ALLOW", default_value = "")]
    pub outbound_allow: String,
    /// Let local-files storages read folders of this machine and serve their files
    /// (`/data/local-files/?d=`), as Label Studio's variable of the same name does.
    #[arg(long, env = "LOCAL_FILES_SERVING_ENABLED", default_value_t = false)]
    pub local_files_serving_enabled: bool,
    /// The folder local-files storages must be inside (each storage names a subfolder).
    #[arg(long, env = "LOCAL_FILES_DOCUMENT_ROOT", default_value = "/")]
    pub local_files_document_root: PathBuf,
    /// The Azure Blob service's base URL for Azure storages (Azurite, sovereign clouds); by
    /// default `https://<account>.blob.core.windows.net`.
    #[arg(long, env = "TESSERA_AZURE_BLOB_ENDPOINT")]
    pub azure_blob_endpoint: Option<String>,
    /// Google Cloud Storage's address for GCS storages (an emulator); by default Google's.
    #[arg(long, env = "TESSERA_GCS_ENDPOINT")]
    pub gcs_endpoint: Option<String>,
    /// A bucket for uploads and avatars instead of the data folder, so that several instances
    /// share them: `s3://bucket/prefix` or `az://container/prefix`, credentials from the usual
    /// `AWS_*` or `AZURE_STORAGE_*` variables, other options in the query (`?endpoint=…`).
    #[arg(long, env = "TESSERA_MEDIA_STORE")]
    pub media_store: Option<String>,
    /// Seconds a webhook's receiver has to answer a delivery.
    #[arg(long, env = "TESSERA_WEBHOOK_TIMEOUT", default_value_t = 10.0)]
    pub webhook_timeout: f64,
    /// Seconds before a failed webhook delivery is tried again; each later retry waits four
    /// times longer (at most an hour), six attempts in all.
    #[arg(long, env = "TESSERA_WEBHOOK_RETRY_DELAY", default_value_t = 10.0)]
    pub webhook_retry_delay: f64,
    /// Seconds opening a task waits for the ML backend's prediction of it (Label Studio predicts
    /// a task without predictions when it is opened); past it the prediction finishes in the
    /// background and the task is served without it.
    #[arg(long, env = "TESSERA_ML_OPEN_WAIT", default_value_t = 10.0)]
    pub ml_open_wait: f64,
}

/// The validated configuration the application runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub admin_token: Option<String>,
    pub max_body_size: usize,
    pub secret_key: Option<String>,
    pub db_max_connections: u32,
    pub disable_signup_without_link: bool,
    /// The role of people who sign up without an invitation.
    pub signup_role: Role,
    pub quiet: bool,
    pub task_lock_ttl: u64,
    pub smtp_url: Option<String>,
    pub from_email: String,
    pub public_url: Option<String>,
    /// Serve the web app from this folder instead of the built-in one.
    pub web_dir: Option<PathBuf>,
    pub trusted_proxies: Vec<AddressRange>,
    /// Seconds a request's database read may run (0: no limit).
    pub statement_timeout: f64,
    /// Background jobs run at once (0: no background work in this process).
    pub workers: usize,
    /// Addresses outbound requests may reach beyond the public internet.
    pub outbound_allow: tessera_outbound::Allow,
    /// What local-files storages may read and serve.
    pub local_files: tessera_core::storages::connect::LocalFiles,
    /// The Azure Blob service's base URL, when not Azure's public one.
    pub azure_blob_endpoint: Option<String>,
    /// Google Cloud Storage's address, when not Google's.
    pub gcs_endpoint: Option<String>,
    /// The bucket media lives in, when not the data folder.
    pub media_store: Option<tessera_storage::MediaBucket>,
    /// How webhook deliveries are timed.
    pub webhook_delivery: tessera_core::webhooks::deliver::Timing,
    /// How long opening a task waits for its automatic prediction (`--ml-open-wait`).
    pub ml_open_wait: std::time::Duration,
}

/// A positive number of seconds (fractions allowed) as a duration.
fn seconds(name: &str, value: f64) -> anyhow::Result<std::time::Duration> {
    anyhow::ensure!(
        value.is_finite() && value > 0.0,
        "{name} must be a positive number of seconds"
    );
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("{name} is too large"))
}

/// Reads `--signup-role`: a role's name or code, never the owner's or a deactivated one.
fn signup_role(text: &str) -> anyhow::Result<Role> {
    let wanted = text
        .trim()
        .to_ascii_lowercase()
        .replace(['-', '_', ' '], "");
    [Role::Administrator, Role::Manager, Role::Reviewer, Role::Annotator, Role::NotActivated]
        .into_iter()
        .find(|role| role.code().eq_ignore_ascii_case(&wanted) || role.title().to_ascii_lowercase().replace(' ', "") == wanted)
        .ok_or_else(|| anyhow::anyhow!("--signup-role: {text:?} is not one of annotator, reviewer, manager, administrator, not-activated"))
}

impl Config {
    /// Resolves defaults (data dir, database URL) and checks the database URL's scheme.
    pub fn from_args(args: ServeArgs) -> anyhow::Result<Config> {
        let data_dir = match args.data_dir {
            Some(dir) => dir,
            None => dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("tessera"),
        };
        std::fs::create_dir_all(&data_dir)?;
        let database_url = match args.database_url.filter(|url| !url.is_empty()) {
            Some(url) => url,
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("tessera.sqlite3").display()
            ),
        };
        tessera_db::check_url(&database_url).map_err(anyhow::Error::msg)?;
        Ok(Config {
            host: args.host,
            port: args.port,
            data_dir,
            database_url,
            admin_email: args.admin_email.filter(|s| !s.is_empty()),
            admin_password: args.admin_password.filter(|s| !s.is_empty()),
            admin_token: args.admin_token.filter(|s| !s.is_empty()),
            max_body_size: args.max_body_size,
            secret_key: args.secret_key.filter(|s| !s.is_empty()),
            db_max_connections: args.db_max_connections,
            disable_signup_without_link: args.disable_signup_without_link,
            signup_role: signup_role(&args.signup_role)?,
            quiet: args.quiet,
            task_lock_ttl: args.task_lock_ttl,
            smtp_url: args.smtp_url.filter(|s| !s.is_empty()),
            from_email: args.from_email,
            public_url: args.public_url.filter(|s| !s.is_empty()).map(|u| u.trim_end_matches('/').to_string()),
            web_dir: args.web_dir.filter(|dir| !dir.as_os_str().is_empty()),
            trusted_proxies: args
                .trusted_proxies
                .iter()
                .filter(|range| !range.trim().is_empty())
                .map(|range| range.parse().map_err(|e: String| anyhow::anyhow!("--trusted-proxies: {e}")))
                .collect::<anyhow::Result<_>>()?,
            statement_timeout: match args.statement_timeout {
                // PostgreSQL takes whole milliseconds up to i32::MAX (about 24 days).
                t if t == 0.0 || (0.001..=2_147_483.0).contains(&t) => t,
                other => anyhow::bail!("--statement-timeout: {other} is not 0 or a number of seconds from 0.001 to 2147483"),
            },
            workers: args.workers,
            outbound_allow: args
                .outbound_allow
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--outbound-allow: {e}"))?,
            local_files: tessera_core::storages::connect::LocalFiles {
                serving: args.local_files_serving_enabled,
                root: PathBuf::from(tessera_core::storages::connect::normalize_path(
                    &args.local_files_document_root.to_string_lossy(),
                )),
            },
            azure_blob_endpoint: args.azure_blob_endpoint.filter(|url| !url.trim().is_empty()),
            gcs_endpoint: args.gcs_endpoint.filter(|url| !url.trim().is_empty()),
            media_store: args
                .media_store
                .filter(|url| !url.trim().is_empty())
                .map(|url| url.trim().parse())
                .transpose()?,
            webhook_delivery: tessera_core::webhooks::deliver::Timing {
                timeout: seconds("--webhook-timeout", args.webhook_timeout)?,
                retry_base: seconds("--webhook-retry-delay", args.webhook_retry_delay)?,
                ..Default::default()
            },
            ml_open_wait: seconds("--ml-open-wait", args.ml_open_wait)?,
        })
    }

    /// The address Tessera listens on, as a URL (`localhost` for every interface).
    pub fn local_url(&self) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" | "::" | "[::]" | "" => "localhost".to_string(),
            host if host.contains(':') && !host.starts_with('[') => format!("[{host}]"),
            host => host.to_string(),
        };
        format!("http://{host}:{}", self.port)
    }

    /// Where Tessera tells other servers (model servers) it is, as Label Studio's `HOSTNAME`
    /// does: the public address, else the address it listens on. Never a request's `Host`, which
    /// the caller chooses.
    pub fn own_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => self.local_url(),
        }
    }

    /// The database options the server runs with.
    pub fn db_options(&self) -> tessera_db::DbOptions {
        tessera_db::DbOptions {
            max_connections: self.db_max_connections,
            statement_timeout: (self.statement_timeout > 0.0)
                .then(|| std::time::Duration::from_secs_f64(self.statement_timeout)),
        }
    }

    /// How mail goes out (`--smtp-url`, `--from-email`).
    pub fn mailer(&self) -> tessera_core::mail::Mailer {
        tessera_core::mail::Mailer::new(self.smtp_url.clone(), self.from_email.clone())
    }

    /// Where uploaded files live: the media bucket, or `<data dir>/media`.
    pub fn media(&self) -> Result<tessera_storage::Media, tessera_storage::MediaError> {
        if let Some(bucket) = &self.media_store {
            tracing::info!(%bucket, "uploads and avatars are kept in a bucket");
        }
        tessera_storage::Media::open(&self.data_dir.join("media"), self.media_store.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signup_roles_by_name_or_code() {
        assert_eq!(signup_role("annotator").unwrap(), Role::Annotator);
        assert_eq!(signup_role("MA").unwrap(), Role::Manager);
        assert_eq!(signup_role(" Not-Activated ").unwrap(), Role::NotActivated);
        assert_eq!(signup_role("administrator").unwrap(), Role::Administrator);
        assert!(signup_role("owner").is_err());
        assert!(signup_role("DI").is_err());
    }
}
