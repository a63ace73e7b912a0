//! Media in buckets, as the editor reads it: task data holding `s3://`, `gs://` or
//! `azure-blob://` URIs of a bucket one of the project's import storages names is answered with
//! Tessera's links instead (`/tasks/<id>/resolve/?fileuri=<base64 of the URI>`), and those
//! links answer with a presigned URL (303) or the object itself, as Label Studio's do.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use serde_json::{Map, Value};
use tessera_db::entities::storage;
use tessera_db::{queries, Db};
use tessera_storage::remote::{ByteRange, ObjectRead, Remote, RemoteError};

use super::connect::{self, StorageEnv, Values};
use super::kinds::{Direction, Kind};
use super::{kind_of, object_of};
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::scope;

/// The buckets whose URIs a project's task data may hold, with the storage that reads each.
pub struct Resolver {
    /// `(scheme, bucket)` of each import storage that can resolve, in Label Studio's order.
    buckets: Vec<(&'static str, String)>,
}

impl Resolver {
    /// The project's import storages that resolve URIs (S3, GCS, Azure).
    pub async fn load(db: &Db, project_id: i64) -> CoreResult<Resolver> {
        let storages =
            queries::storages::of_project(db.conn(), project_id, Direction::Import.name(), None)
                .await?;
        Ok(Resolver {
            buckets: resolvable(&storages)
                .into_iter()
                .map(|(scheme, bucket, _)| (scheme, bucket))
                .collect(),
        })
    }

    /// Rewrites, in place, the URIs of this project's buckets anywhere in `data` (top-level
    /// values, lists and objects, and URIs quoted inside text such as HTML).
    pub fn rewrite(&self, task_id: i64, data: &mut Value) {
        if self.buckets.is_empty() {
            return;
        }
        match data {
            Value::String(text) => {
                if let Some(rewritten) = self.rewrite_text(task_id, text) {
                    *text = rewritten;
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|item| self.rewrite(task_id, item)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|item| self.rewrite(task_id, item)),
            _ => {}
        }
    }

    fn link(task_id: i64, uri: &str) -> String {
        format!("/tasks/{task_id}/resolve/?fileuri={}", URL_SAFE.encode(uri))
    }

    fn owns(&self, uri: &str) -> bool {
        self.buckets.iter().any(|(scheme, bucket)| {
            uri.strip_prefix(scheme)
                .and_then(|rest| rest.strip_prefix("://"))
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(b, path)| b == bucket && !path.is_empty())
        })
    }

    /// The text with this project's bucket URIs replaced: the whole text when it is one,
    /// else those between matching quotes.
    fn rewrite_text(&self, task_id: i64, text: &str) -> Option<String> {
        let trimmed = text.trim();
        if self.owns(trimmed) {
            return Some(text.replace(trimmed, &Resolver::link(task_id, trimmed)));
        }
        if !self
            .buckets
            .iter()
            .any(|(scheme, _)| text.contains(&format!("{scheme}://")))
        {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(start) = rest.find(['"', '\'']) {
            let quote = rest.as_bytes()[start] as char;
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            let Some(end) = rest.find(quote) else {
                break;
            };
            let quoted = &rest[..end];
            if self.owns(quoted) && !quoted.contains('=') {
                out.push_str(&Resolver::link(task_id, quoted));
                changed = true;
            } else {
                out.push_str(quoted);
            }
            out.push(quote);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }
}

/// Import storages that resolve URIs: `(scheme, bucket, storage)`, S3 first, then GCS and Azure.
fn resolvable(storages: &[storage::Model]) -> Vec<(&'static str, String, &storage::Model)> {
    let mut found = Vec::new();
    for kind in [Kind::S3, Kind::Gcs, Kind::Azure] {
        for model in storages.iter().filter(|s| kind_of(s) == kind) {
            let settings = object_of(&model.settings);
            let bucket = settings
                .get(kind.bucket_field())
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default();
            if let (Some(scheme), false) = (kind.scheme(), bucket.is_empty()) {
                found.push((scheme, bucket.to_string(), model));
            }
        }
    }
    found
}

/// A `fileuri` as links carry it: URL-safe base64 of the URI, or the URI percent-encoded.
fn decode(fileuri: &str) -> Option<String> {
    URL_SAFE
        .decode(fileuri.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .or_else(|| {
            percent_encoding::percent_decode_str(fileuri)
                .decode_utf8()
                .ok()
                .map(|text| text.into_owned())
        })
}

/// What a resolve link answers.
pub enum Resolved {
    /// A presigned URL, valid for `max_age` seconds.
    Redirect { url: String, max_age: u64 },
    /// The object itself, or the part the request's range asked for (the storage does not
    /// presign).
    Object { read: ObjectRead, key: String },
    /// The range asked for is outside the object, whose size this is.
    Unsatisfiable { size: u64 },
}

/// Resolves a link of a task (or, with `task_id` `None`, of a project) for the actor; `range`
/// asks for part of the object when it is proxied.
pub async fn resolve(
    db: &Db,
    env: &StorageEnv,
    actor: &Actor,
    project_id: Option<i64>,
    task_id: Option<i64>,
    fileuri: Option<&str>,
    range: Option<ByteRange>,
) -> CoreResult<Resolved> {
    let project = match (task_id, project_id) {
        (Some(task), _) => scope::task(db.conn(), actor, task).await?.1,
        (None, Some(project)) => scope::project(db.conn(), actor, project).await?,
        (None, None) => return Err(CoreError::no_match("Project")),
    };
    let fileuri = fileuri
        .filter(|f| !f.is_empty())
        .ok_or_else(|| CoreError::BadRequest("fileuri is missing".into()))?;
    let not_found = || CoreError::NotFound("Not found.".into());
    let uri = decode(fileuri).ok_or_else(not_found)?;
    let (remote, key, settings) = bucket_object(db, env, project.id, &uri)
        .await?
        .ok_or_else(not_found)?;
    if settings
        .get("presign")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        let minutes = settings
            .get("presign_ttl")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let signed = remote
            .signed_url(&key, Duration::from_secs(minutes * 60))
            .await
            .map_err(|_| not_found())?
            .ok_or_else(not_found)?;
        return Ok(Resolved::Redirect {
            url: signed.to_string(),
            max_age: minutes * 60,
        });
    }
    match remote.read(&key, range).await {
        Ok(read) => Ok(Resolved::Object { read, key }),
        Err(RemoteError::Unsatisfiable(size)) => Ok(Resolved::Unsatisfiable { size }),
        Err(err) => Err(CoreError::Upstream(format!(
            "Storage stream failed while proxying data: {err}"
        ))),
    }
}

/// The object a bucket URI names, through the project's import storage for that bucket: the
/// connection, the object's key and the storage's settings; `None` when no storage reads it.
pub(crate) async fn bucket_object(
    db: &Db,
    env: &StorageEnv,
    project_id: i64,
    uri: &str,
) -> CoreResult<Option<(Remote, String, Map<String, Value>)>> {
    let storages =
        queries::storages::of_project(db.conn(), project_id, Direction::Import.name(), None)
            .await?;
    let Some((scheme, bucket, model)) =
        resolvable(&storages)
            .into_iter()
            .find(|(scheme, bucket, _)| {
                uri.strip_prefix(scheme)
                    .and_then(|rest| rest.strip_prefix("://"))
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(b, _)| b == bucket)
            })
    else {
        return Ok(None);
    };
    let key = uri[scheme.len() + 3 + bucket.len() + 1..].to_string();
    let settings = object_of(&model.settings);
    let secrets = connect::unseal(model.secrets.as_deref(), &env.sealer)?;
    let values = Values {
        kind: kind_of(model),
        direction: Direction::Import,
        settings: &settings,
        secrets: &secrets,
    };
    let remote = connect::connect(&values, env)?;
    Ok(Some((remote, key, settings)))
}

/// Resolves the URIs of a rendered task's `data` for its project's buckets.
pub fn rewrite_data(resolver: &Resolver, task_id: i64, task: &mut Map<String, Value>) {
    if let Some(data) = task.get_mut("data") {
        resolver.rewrite(task_id, data);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Resolver;

    #[test]
    fn bucket_uris_become_resolve_links_wherever_they_are() {
        let resolver = Resolver {
            buckets: vec![("s3", "mybucket".into()), ("azure-blob", "cont".into())],
        };
        let mut data = json!({
            "image": "s3://mybucket/a/b c.jpg",
            "html": "<img src=\"s3://mybucket/x.png\"> and more",
            "list": ["s3://mybucket/1.jpg", {"k": "s3://mybucket/2.jpg"}],
            "nomatch": "s3://otherbucket/z.jpg",
            "az": "azure-blob://cont/f/g.wav",
            "num": 5
        });
        resolver.rewrite(18, &mut data);
        assert_eq!(
            data,
            json!({
                "image": "/tasks/18/resolve/?fileuri=czM6Ly9teWJ1Y2tldC9hL2IgYy5qcGc=",
                "html": "<img src=\"/tasks/18/resolve/?fileuri=czM6Ly9teWJ1Y2tldC94LnBuZw==\"> and more",
                "list": ["/tasks/18/resolve/?fileuri=czM6Ly9teWJ1Y2tldC8xLmpwZw==", {"k": "/tasks/18/resolve/?fileuri=czM6Ly9teWJ1Y2tldC8yLmpwZw=="}],
                "nomatch": "s3://otherbucket/z.jpg",
                "az": "/tasks/18/resolve/?fileuri=YXp1cmUtYmxvYjovL2NvbnQvZi9nLndhdg==",
                "num": 5
            })
        );
    }
}
