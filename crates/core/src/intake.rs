//! Files of an import: stored as media under `upload/<project>/`, read into task items by their
//! extension (task files parsed, media one task each), and tallied into the answer's
//! `found_formats`, `could_be_tasks_list` and `data_columns`. Uploads, URL imports and (next)
//! cloud storage syncs bring files here.

use bytes::Bytes;
use serde_json::{json, Map, Value};
use tessera_db::entities::project;
use tessera_formats::import::{self as formats, Parsed, UNDEFINED_KEY};
use tessera_storage::Media;

use crate::error::CoreResult;
use crate::import::{refuse, ItemJson};
use crate::projects::config_of;

/// A file stored under the media root, not yet recorded in the database.
pub struct StoredFile {
    /// Its media key (`upload/<project>/<8 hex>-<name>`).
    pub relative: String,
    /// The name it was uploaded under.
    pub original: String,
    pub size: i64,
}

/// What the request body turned into before validation: items (with the index of the file they
/// came from) and the files stored for them.
pub struct Collected {
    pub items: Vec<(ItemJson, Option<usize>)>,
    pub files: Vec<StoredFile>,
    pub found_formats: Value,
    pub data_columns: Vec<String>,
    pub could_be_tasks_list: bool,
}

/// Media keys written during this request, removed again if the import fails.
#[derive(Default)]
pub struct SavedFiles(Vec<String>);

impl SavedFiles {
    /// Removes every file written.
    pub async fn remove_all(&self, media: &Media) {
        for key in &self.0 {
            if let Err(err) = media.delete(key).await {
                tracing::warn!(error = %err, "removing a refused import's file failed");
            }
        }
    }
}

/// Longest stored name kept from an uploaded file's name (file systems stop at 255 bytes).
const MAX_STORED_NAME: usize = 100;

/// An uploaded file's name made safe to store: its last path segment, ASCII letters, digits and
/// `._-` only, and at most [`MAX_STORED_NAME`] bytes with its extension kept. The name as
/// uploaded is recorded beside it.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        return "file".to_string();
    }
    if cleaned.len() <= MAX_STORED_NAME {
        return cleaned;
    }
    let extension = cleaned
        .rfind('.')
        .map(|dot| &cleaned[dot..])
        .filter(|ext| ext.len() <= 16)
        .unwrap_or("");
    format!(
        "{}{extension}",
        &cleaned[..MAX_STORED_NAME - extension.len()]
    )
}

impl Collected {
    /// Nothing collected yet.
    pub fn empty() -> Collected {
        Collected {
            items: Vec::new(),
            files: Vec::new(),
            found_formats: Value::Object(Map::new()),
            data_columns: Vec::new(),
            could_be_tasks_list: false,
        }
    }
}

/// Refuses a file whose name has an extension the import cannot read, with Label Studio's
/// message.
pub fn check_extension(original: &str) -> CoreResult<String> {
    let ext = formats::extension(original);
    if !formats::is_supported(&ext) {
        let shown = original.rfind('.').map_or("", |pos| &original[pos..]);
        return Err(refuse(format!("{shown} extension is not supported")));
    }
    Ok(ext)
}

/// The files of one import: stored under `<media>/upload/<project>/` and read into items, with
/// their formats and columns tallied.
pub struct FileIntake<'a> {
    project_id: i64,
    media: &'a Media,
    data_keys: usize,
    tally: FileTally,
    collected: Collected,
    saved: &'a mut SavedFiles,
}

impl<'a> FileIntake<'a> {
    /// Starts the intake of files for `project`, noting what it stores in `saved`.
    pub fn new(
        media: &'a Media,
        project: &project::Model,
        saved: &'a mut SavedFiles,
    ) -> FileIntake<'a> {
        FileIntake {
            project_id: project.id,
            media,
            data_keys: config_of(project)
                .as_ref()
                .map_or(0, |c| c.data_types.len()),
            tally: FileTally::default(),
            collected: Collected::empty(),
            saved,
        }
    }

    /// Stores one file (named `original` by its sender, with extension `ext`) and reads its
    /// items.
    pub async fn add(&mut self, original: &str, ext: &str, bytes: Bytes) -> CoreResult<()> {
        let stored_name = format!(
            "{}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8],
            safe_name(original)
        );
        let relative = format!("upload/{}/{stored_name}", self.project_id);
        self.media.put(&relative, bytes.clone()).await?;
        self.saved.0.push(relative.clone());
        let file_index = self.collected.files.len();
        self.collected.files.push(StoredFile {
            relative: relative.clone(),
            original: original.to_string(),
            size: bytes.len() as i64,
        });
        let items = self
            .tally
            .read(ext, &bytes, &relative, self.data_keys, true)?;
        self.collected.items.extend(
            items
                .into_iter()
                .map(|item| (ItemJson::Parsed(item), Some(file_index))),
        );
        Ok(())
    }

    /// What the files added up to.
    pub fn finish(self) -> Collected {
        let mut collected = self.collected;
        (
            collected.found_formats,
            collected.could_be_tasks_list,
            collected.data_columns,
        ) = self.tally.finish();
        collected
    }
}

/// What the files of one import add up to: how many of each format, whether any is tabular,
/// and the data columns they share.
#[derive(Default)]
pub struct FileTally {
    formats: Map<String, Value>,
    tabular: bool,
    columns: Option<Vec<String>>,
}

impl FileTally {
    /// The tasks of one stored file (see [`file_items`]), counted in.
    pub fn read(
        &mut self,
        ext: &str,
        bytes: &[u8],
        relative: &str,
        data_keys: usize,
        as_list: bool,
    ) -> CoreResult<Vec<Value>> {
        let count = self.formats.get(ext).and_then(Value::as_u64).unwrap_or(0) + 1;
        self.formats.insert(ext.to_string(), json!(count));
        self.tabular |= formats::is_tabular(ext);
        let items = file_items(ext, bytes, relative, data_keys, as_list)?;
        merge_columns(&mut self.columns, &items, relative)?;
        Ok(items)
    }

    /// `found_formats`, `could_be_tasks_list` and `data_columns` of the import's answer.
    pub fn finish(self) -> (Value, bool, Vec<String>) {
        (
            Value::Object(self.formats),
            self.tabular,
            self.columns.unwrap_or_default(),
        )
    }
}

/// The tasks of one stored file (`upload/<project>/<name>`): task files parsed (tabular ones
/// one task per row, or with `as_list` off one task per file), media one task each.
fn file_items(
    ext: &str,
    bytes: &[u8],
    relative: &str,
    data_keys: usize,
    as_list: bool,
) -> CoreResult<Vec<Value>> {
    let stored_name = relative.rsplit('/').next().unwrap_or(relative);
    let failed = |message: String| {
        refuse(format!(
            "Failed to parse input file {stored_name}: {message}"
        ))
    };
    let parsed = if formats::is_tabular(ext) && !as_list {
        Parsed::Media
    } else {
        formats::parse_file(ext, bytes).map_err(failed)?
    };
    match parsed {
        Parsed::Items(items) => Ok(items),
        Parsed::Media if data_keys > 1 => Err(failed(
            "Your label config has more than one data key and direct file upload supports only one data key. \
             To import data with multiple data keys, use a JSON or CSV file."
                .into(),
        )),
        Parsed::Media => Ok(vec![json!({"data": {UNDEFINED_KEY: format!("/data/{relative}")}})]),
    }
}

/// Narrows the data columns of the files read so far to those `items` (of the file at
/// `relative`) share; files with no column in common are refused, as Label Studio does.
fn merge_columns(
    common: &mut Option<Vec<String>>,
    items: &[Value],
    relative: &str,
) -> CoreResult<()> {
    let keys: Vec<String> = items
        .first()
        .and_then(|i| i.get("data"))
        .and_then(Value::as_object)
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    *common = Some(match common.take() {
        None => keys,
        Some(old) => {
            let shared: Vec<String> = old.iter().filter(|k| keys.contains(k)).cloned().collect();
            if shared.is_empty() {
                return Err(refuse(format!(
                    "You're trying to import inconsistent data:\nuploading tabular data from \"{relative}\" with data key(s) \"{}\", clashes with data key(s) found from other files:\n\"{}\"",
                    keys.join(","),
                    old.join(",")
                )));
            }
            shared
        }
    });
    Ok(())
}
