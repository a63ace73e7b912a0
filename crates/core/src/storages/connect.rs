//! From a storage's settings and secrets to a connection to its bucket, and the connection
//! check Label Studio runs on create, update, validate and sync, with its messages.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};
use tessera_outbound::Outbound;
use tessera_storage::remote::{AzureContainer, RedisDatabase, Remote, RemoteError, S3Bucket};

use super::kinds::{Direction, Kind};
use crate::error::{CoreError, CoreResult};
use crate::sealed::Sealer;

/// Where local-files storages may read and how their files are served (Label Studio's
/// `LOCAL_FILES_SERVING_ENABLED` and `LOCAL_FILES_DOCUMENT_ROOT`).
#[derive(Debug, Clone)]
pub struct LocalFiles {
    pub serving: bool,
    pub root: PathBuf,
}

/// What storages need from the server: the guarded client, the sealer of their secrets, the
/// local-files rules and where Azure's Blob service is.
#[derive(Clone)]
pub struct StorageEnv {
    pub outbound: Outbound,
    pub sealer: Sealer,
    pub local_files: LocalFiles,
    /// The Blob service's base URL when not Azure's public one (Azurite, sovereign clouds).
    pub azure_endpoint: Option<String>,
    /// Google Cloud Storage's address when not Google's (an emulator).
    pub gcs_endpoint: Option<String>,
}

/// A storage's settings and secrets together, as one connection needs them.
pub struct Values<'a> {
    pub kind: Kind,
    pub direction: Direction,
    pub settings: &'a Map<String, Value>,
    pub secrets: &'a Map<String, Value>,
}

impl Values<'_> {
    /// A text setting or secret, trimmed; `None` when unset or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.settings
            .get(name)
            .or_else(|| self.secrets.get(name))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.settings
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The bucket (container, folder or key prefix for Redis).
    pub fn bucket(&self) -> Option<String> {
        self.text(self.kind.bucket_field())
    }

    /// The prefix objects are listed under (local files and Redis have none: their `path` is
    /// the place itself).
    pub fn prefix(&self) -> Option<String> {
        match self.kind {
            Kind::S3 | Kind::Gcs | Kind::Azure => self
                .text("prefix")
                .map(|p| p.trim_matches('/').to_string())
                .filter(|p| !p.is_empty()),
            Kind::Redis => self.text("path"),
            Kind::LocalFiles => None,
        }
    }
}

fn refused(message: impl Into<String>) -> CoreError {
    CoreError::field("non_field_errors", message)
}

/// A local-files path as Label Studio normalizes it: trimmed, `\` as `/`, `.` and `..` and
/// trailing separators resolved.
pub fn normalize_path(path: &str) -> String {
    let path = path.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(&path).components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            _ => {}
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Label Studio's checks of a local-files path, in its order and words.
fn check_local_path(path: Option<&str>, rules: &LocalFiles) -> CoreResult<PathBuf> {
    let Some(path) = path else {
        return Err(refused("Path must be set for Local Files storage"));
    };
    let root = rules.root.to_string_lossy();
    let dir = PathBuf::from(path);
    if !dir.is_dir() {
        return Err(refused(format!(
            "Absolute local path \"{path}\" does not exist"
        )));
    }
    if dir == rules.root {
        return Err(refused(format!(
            "Absolute local path \"{path}\" cannot be the same as LOCAL_FILES_DOCUMENT_ROOT=\"{root}\" by security reasons. Please add a subdirectory. For example: \"{root}/dataset1\"."
        )));
    }
    if !dir.starts_with(&rules.root) {
        return Err(refused(format!(
            "Absolute local path \"{path}\" must be a subdirectory of LOCAL_FILES_DOCUMENT_ROOT=\"{root}\" by security reasons. For example: \"{root}/dataset1\"."
        )));
    }
    if !rules.serving {
        return Err(refused(
            "Serving local files from the host filesystem can be a security risk, so LOCAL_FILES_SERVING_ENABLED is disabled by default. To enable Local Files storage, set the LOCAL_FILES_SERVING_ENABLED environment variable to \"true\" and restart Tessera.",
        ));
    }
    Ok(dir)
}

/// A connection to the storage's bucket (no request is made yet), or why the settings cannot
/// describe one.
pub fn connect(values: &Values, env: &StorageEnv) -> CoreResult<Remote> {
    let unavailable = |err: RemoteError| refused(err.to_string());
    match values.kind {
        Kind::S3 => Remote::s3(
            &S3Bucket {
                bucket: values.bucket().unwrap_or_default(),
                region: values.text("region_name"),
                endpoint: values.text("s3_endpoint"),
                access_key_id: values.text("aws_access_key_id"),
                secret_access_key: values.text("aws_secret_access_key"),
                session_token: values.text("aws_session_token"),
            },
            &env.outbound,
        )
        .map_err(unavailable),
        Kind::Azure => {
            let (Some(account_name), Some(account_key)) =
                (values.text("account_name"), values.text("account_key"))
            else {
                return Err(refused("Azure account name and key must be set using environment variables AZURE_BLOB_ACCOUNT_NAME and AZURE_BLOB_ACCOUNT_KEY or account_name and account_key fields."));
            };
            Remote::azure(
                &AzureContainer {
                    container: values.bucket().unwrap_or_default(),
                    account_name,
                    account_key,
                    endpoint: env.azure_endpoint.clone(),
                },
                &env.outbound,
            )
            .map_err(unavailable)
        }
        Kind::Redis => {
            let port = values
                .text("port")
                .map_or(Ok(6379), |p| p.parse::<u16>())
                .map_err(|_| refused("Can't connect to Redis server."))?;
            let db = values
                .settings
                .get("db")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            Ok(Remote::redis(
                &RedisDatabase {
                    host: values.text("host").unwrap_or_else(|| "localhost".into()),
                    port,
                    password: values.text("password"),
                    db,
                },
                &env.outbound,
            ))
        }
        Kind::LocalFiles => {
            let path = values.text("path").map(|p| normalize_path(&p));
            let dir = check_local_path(path.as_deref(), &env.local_files)?;
            Remote::local(&dir).map_err(unavailable)
        }
        Kind::Gcs => Remote::gcs(
            &values.bucket().unwrap_or_default(),
            values.text("google_application_credentials").as_deref(),
            env.gcs_endpoint.clone(),
            &env.outbound,
        )
        .map_err(unavailable),
    }
}

/// Connects and checks that the bucket answers (and, for an import storage with a prefix,
/// that something is under it), answering Label Studio's messages.
pub async fn check(values: &Values<'_>, env: &StorageEnv) -> CoreResult<Remote> {
    let remote = connect(values, env)?;
    let bucket = values.bucket().unwrap_or_default();
    let prefix = values.prefix();
    let import = values.direction == Direction::Import;
    let found = remote.check(prefix.as_deref()).await;
    let message = match (values.kind, found) {
        (Kind::Redis, Err(_)) => "Can't connect to Redis server.".to_string(),
        (Kind::Redis, Ok(_)) if values.settings.get("db").and_then(Value::as_i64) == Some(0) => {
            "Can't connect to Redis server.".to_string()
        }
        (_, Ok(true)) => return Ok(remote),
        (Kind::Redis | Kind::LocalFiles, Ok(false)) => return Ok(remote),
        (_, Ok(false)) if !import || prefix.is_none() => return Ok(remote),
        (Kind::S3, Ok(false)) => format!("s3://{bucket}/{} not found.", prefix.unwrap_or_default()),
        (Kind::Azure, Ok(false)) => {
            format!(
                "azure-blob://{bucket}/{} not found.",
                prefix.unwrap_or_default()
            )
        }
        (Kind::S3, Err(RemoteError::NotFound(_))) => format!("Cannot find bucket {bucket} in S3"),
        (Kind::S3, Err(RemoteError::Denied(_))) => {
            format!("Cannot connect to S3 {bucket} with specified AWS credentials")
        }
        (Kind::Azure, Err(RemoteError::NotFound(_))) => format!("Container not found: {bucket}"),
        (Kind::Gcs, Ok(false)) => format!(
            "No blobs found in {bucket}/{} or prefix doesn't exist",
            prefix.unwrap_or_default()
        ),
        (_, Err(err)) => err.to_string(),
    };
    Err(refused(message))
}

/// Seals a storage's secrets for the database; `None` when there are none.
pub fn seal(secrets: &Map<String, Value>, sealer: &Sealer) -> Option<String> {
    let set: Map<String, Value> = secrets
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    (!set.is_empty()).then(|| sealer.seal(&Value::Object(set)))
}

/// Opens a storage's sealed secrets.
pub fn unseal(sealed: Option<&str>, sealer: &Sealer) -> CoreResult<Map<String, Value>> {
    match sealed {
        None => Ok(Map::new()),
        Some(text) => match sealer.open(text)? {
            Value::Object(map) => Ok(map),
            _ => Ok(Map::new()),
        },
    }
}
