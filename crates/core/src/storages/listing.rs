//! The objects of an import storage that become tasks: those under its prefix (in every
//! subfolder with `recursive_scan`; Redis always lists every key), no folder placeholders, and
//! only those its `regex_filter` matches — what a sync reads and the file preview shows.

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tessera_storage::remote::{Remote, RemoteObject};

use super::connect::Values;
use super::kinds::Kind;
use crate::error::{CoreError, CoreResult};

/// A storage's listing rules.
pub(crate) struct Listing {
    kind: Kind,
    prefix: Option<String>,
    recursive: bool,
    filter: Option<regex::Regex>,
}

impl Listing {
    /// The rules of a storage's settings; a `regex_filter` that does not compile is refused.
    pub(crate) fn of(values: &Values<'_>) -> CoreResult<Listing> {
        let filter = match values.text("regex_filter") {
            Some(pattern) => Some(
                regex::Regex::new(&format!("^(?:{pattern})"))
                    .map_err(|err| CoreError::BadRequest(format!("Invalid regex_filter: {err}")))?,
            ),
            None => None,
        };
        Ok(Listing {
            kind: values.kind,
            prefix: values.prefix(),
            recursive: values.kind == Kind::Redis || values.flag("recursive_scan"),
            filter,
        })
    }

    /// The wanted objects of `remote`, in the store's order.
    pub(crate) fn objects(self, remote: &Remote) -> BoxStream<'static, CoreResult<RemoteObject>> {
        remote
            .list(self.prefix.as_deref(), self.recursive)
            .filter_map(move |object| {
                let kept = match object {
                    Ok(object) if self.wants(&object.key) => Some(Ok(object)),
                    Ok(_) => None,
                    Err(err) => Some(Err(CoreError::BadRequest(err.to_string()))),
                };
                std::future::ready(kept)
            })
            .boxed()
    }

    /// Whether `key` is an object (not a folder placeholder) that passes the regular
    /// expression: matched from the start of the full key, of the file name for local files;
    /// Redis ignores it, as Label Studio does.
    fn wants(&self, key: &str) -> bool {
        if key.ends_with('/') {
            return false;
        }
        let Some(filter) = &self.filter else {
            return true;
        };
        match self.kind {
            Kind::Redis => true,
            Kind::LocalFiles => filter.is_match(key.rsplit('/').next().unwrap_or(key)),
            _ => filter.is_match(key),
        }
    }
}
