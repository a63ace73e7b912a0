//! A Redis database as a bucket: keys are object names, string values their bodies. The address
//! is resolved and checked by the guard before connecting, and the connection goes to the
//! checked address (no second lookup to rebind).

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use tessera_outbound::Outbound;
use tokio::sync::OnceCell;

use super::{RedisDatabase, RemoteError, RemoteObject};

/// How many keys one `SCAN` step asks for.
const SCAN_COUNT: usize = 1000;

#[derive(Clone)]
pub(super) struct RedisDb {
    database: RedisDatabase,
    outbound: Outbound,
    connection: std::sync::Arc<OnceCell<MultiplexedConnection>>,
}

fn failed(err: redis::RedisError) -> RemoteError {
    RemoteError::Failed(err.to_string())
}

impl RedisDb {
    pub(super) fn new(database: RedisDatabase, outbound: Outbound) -> RedisDb {
        RedisDb {
            database,
            outbound,
            connection: Default::default(),
        }
    }

    async fn connection(&self) -> Result<MultiplexedConnection, RemoteError> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let database = &self.database;
                let host = database.host.trim();
                let host = if host.is_empty() { "localhost" } else { host };
                let address = tokio::net::lookup_host((host, database.port))
                    .await
                    .map_err(|err| RemoteError::Failed(format!("Can't resolve {host}: {err}")))?
                    .next()
                    .ok_or_else(|| RemoteError::Failed(format!("Can't resolve {host}")))?;
                self.outbound
                    .check(&format!("http://{address}/"))
                    .map_err(|err| RemoteError::Denied(err.to_string()))?;
                let mut settings = redis::RedisConnectionInfo::default().set_db(database.db);
                if let Some(password) = database.password.as_deref().filter(|p| !p.is_empty()) {
                    settings = settings.set_password(password);
                }
                let info = redis::IntoConnectionInfo::into_connection_info(
                    redis::ConnectionAddr::Tcp(address.ip().to_string(), address.port()),
                )
                .map_err(failed)?
                .set_redis_settings(settings);
                let client = redis::Client::open(info).map_err(failed)?;
                client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(failed)
            })
            .await?;
        Ok(connection.clone())
    }

    /// Checks that the database answers.
    pub(super) async fn ping(&self) -> Result<(), RemoteError> {
        let mut connection = self.connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// The keys starting with `prefix`, by `SCAN` (never `KEYS`, which blocks the server).
    pub(super) fn list(
        &self,
        prefix: String,
    ) -> BoxStream<'static, Result<RemoteObject, RemoteError>> {
        let this = self.clone();
        let pattern = format!("{}*", escape_glob(&prefix));
        stream::try_unfold(Some(0u64), move |cursor| {
            let this = this.clone();
            let pattern = pattern.clone();
            async move {
                let Some(cursor) = cursor else {
                    return Ok::<_, RemoteError>(None);
                };
                let mut connection = this.connection().await?;
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query_async(&mut connection)
                    .await
                    .map_err(failed)?;
                let objects: Vec<Result<RemoteObject, RemoteError>> = keys
                    .into_iter()
                    .map(|key| {
                        Ok(RemoteObject {
                            key,
                            size: 0,
                            last_modified: None,
                            version: None,
                        })
                    })
                    .collect();
                Ok(Some((stream::iter(objects), (next != 0).then_some(next))))
            }
        })
        .try_flatten()
        .boxed()
    }

    pub(super) async fn get(&self, key: &str) -> Result<Bytes, RemoteError> {
        let mut connection = self.connection().await?;
        let value: Option<Vec<u8>> = connection.get(key).await.map_err(failed)?;
        value
            .map(Bytes::from)
            .ok_or_else(|| RemoteError::NotFound(key.to_string()))
    }

    pub(super) async fn set(&self, key: &str, bytes: Bytes) -> Result<(), RemoteError> {
        let mut connection = self.connection().await?;
        connection
            .set::<_, _, ()>(key, bytes.as_ref())
            .await
            .map_err(failed)
    }

    pub(super) async fn delete(&self, key: &str) -> Result<(), RemoteError> {
        let mut connection = self.connection().await?;
        connection.del::<_, ()>(key).await.map_err(failed)
    }
}

/// `text` with Redis glob characters escaped, so a prefix matches literally.
fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
