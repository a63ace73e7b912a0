//! The storage types and their fields, as Label Studio 1.23.2's serializers name, order and
//! default them (`io_storages/<type>/serializers.py`): which are settings, which are secrets
//! (accepted, sealed, never answered), and how each is read from a request body.

use serde_json::{Map, Value};

use crate::fields::Fields;

/// A storage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    S3,
    Gcs,
    Azure,
    Redis,
    LocalFiles,
}

/// Whether a storage brings tasks in or writes annotations out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Import,
    Export,
}

impl Kind {
    /// Every type, in the order Label Studio lists them.
    pub const ALL: [Kind; 5] = [
        Kind::S3,
        Kind::Gcs,
        Kind::Azure,
        Kind::Redis,
        Kind::LocalFiles,
    ];

    /// The type's name in paths and in `type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::S3 => "s3",
            Kind::Gcs => "gcs",
            Kind::Azure => "azure",
            Kind::Redis => "redis",
            Kind::LocalFiles => "localfiles",
        }
    }

    /// The type's title in `/api/storages/types`.
    pub fn title(self) -> &'static str {
        match self {
            Kind::S3 => "AWS S3",
            Kind::Gcs => "Google Cloud Storage",
            Kind::Azure => "Microsoft Azure",
            Kind::Redis => "Redis",
            Kind::LocalFiles => "Local files",
        }
    }

    /// The type named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The URI scheme of its objects in task data (`s3://bucket/key`); none for Redis and
    /// local files.
    pub fn scheme(self) -> Option<&'static str> {
        match self {
            Kind::S3 => Some("s3"),
            Kind::Gcs => Some("gs"),
            Kind::Azure => Some("azure-blob"),
            Kind::Redis | Kind::LocalFiles => None,
        }
    }

    /// The setting naming the bucket (`container` for Azure, `path` for Redis and local files).
    pub fn bucket_field(self) -> &'static str {
        match self {
            Kind::S3 | Kind::Gcs => "bucket",
            Kind::Azure => "container",
            Kind::Redis | Kind::LocalFiles => "path",
        }
    }
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Import => "import",
            Direction::Export => "export",
        }
    }
}

/// How a field is read and what it holds before anyone sets it.
#[derive(Debug, Clone, Copy)]
enum Spec {
    /// A nullable string, optionally bounded.
    Text(Option<usize>),
    /// A boolean with its default.
    Bool(bool),
    /// A boolean that may be null (its default).
    NullableBool,
    /// An integer at least `min`, with its default.
    Int { min: i64, default: i64 },
    /// A secret string: stored sealed, never answered.
    Secret,
}

/// Where a field of the answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A column every storage has (`id`, `status`, `title`, ...).
    Common(&'static str),
    /// A setting of this type.
    Setting(&'static str),
    /// A secret of this type: read from requests, left out of answers.
    Secret(&'static str),
}

use Slot::{Common, Secret, Setting};

const STATUS: [Slot; 6] = [
    Common("last_sync"),
    Common("last_sync_count"),
    Common("last_sync_job"),
    Common("status"),
    Common("traceback"),
    Common("meta"),
];
const NAMED: [Slot; 3] = [Common("title"), Common("description"), Common("created_at")];

/// The fields of a storage of `kind` and `direction`, in the order Label Studio answers them.
/// Tessera's own settings (`delete_vanished_tasks`, `update_changed_tasks`) come last before
/// `project`.
pub fn layout(kind: Kind, direction: Direction) -> Vec<Slot> {
    let import = direction == Direction::Import;
    let mut slots = vec![Common("id"), Common("type"), Setting("synchronizable")];
    let status_and_names = |slots: &mut Vec<Slot>| {
        slots.extend(STATUS);
        slots.extend(NAMED);
        if !import {
            slots.push(Setting("can_delete_objects"));
        }
    };
    match kind {
        Kind::S3 => {
            if import {
                slots.push(Setting("presign"));
            }
            status_and_names(&mut slots);
            slots.extend([
                Setting("bucket"),
                Setting("prefix"),
                Setting("regex_filter"),
                Setting("use_blob_urls"),
                Secret("aws_access_key_id"),
                Secret("aws_secret_access_key"),
                Secret("aws_session_token"),
                Setting("aws_sse_kms_key_id"),
                Setting("region_name"),
                Setting("s3_endpoint"),
            ]);
            if import {
                slots.extend([Setting("presign_ttl"), Setting("recursive_scan")]);
            }
        }
        Kind::Gcs | Kind::Azure => {
            if import {
                slots.push(Setting("presign"));
            }
            if kind == Kind::Gcs {
                slots.extend([
                    Setting("bucket"),
                    Setting("prefix"),
                    Setting("regex_filter"),
                    Setting("use_blob_urls"),
                    Secret("google_application_credentials"),
                    Setting("google_project_id"),
                ]);
            } else {
                slots.extend([
                    Setting("container"),
                    Setting("prefix"),
                    Setting("regex_filter"),
                    Setting("use_blob_urls"),
                    Secret("account_name"),
                    Secret("account_key"),
                ]);
            }
            status_and_names(&mut slots);
            if import {
                slots.extend([Setting("presign_ttl"), Setting("recursive_scan")]);
            }
        }
        Kind::Redis => {
            slots.extend([
                Setting("path"),
                Setting("host"),
                Setting("port"),
                Secret("password"),
                Setting("regex_filter"),
                Setting("use_blob_urls"),
            ]);
            status_and_names(&mut slots);
            slots.push(Setting("db"));
        }
        Kind::LocalFiles => {
            slots.extend([
                Setting("path"),
                Setting("regex_filter"),
                Setting("use_blob_urls"),
            ]);
            status_and_names(&mut slots);
            if import {
                slots.push(Setting("recursive_scan"));
            }
        }
    }
    if import {
        slots.extend([
            Setting("delete_vanished_tasks"),
            Setting("update_changed_tasks"),
        ]);
    }
    slots.push(Common("project"));
    slots
}

/// How a setting or secret is read, for `kind` and `direction`.
fn spec(name: &str, kind: Kind, direction: Direction) -> Spec {
    match name {
        "synchronizable" | "presign" => Spec::Bool(true),
        "use_blob_urls" | "delete_vanished_tasks" | "update_changed_tasks" => Spec::Bool(false),
        "recursive_scan" if kind == Kind::S3 => Spec::Bool(false),
        "recursive_scan" | "can_delete_objects" => Spec::NullableBool,
        "presign_ttl" => Spec::Int { min: 0, default: 1 },
        "db" => Spec::Int {
            min: 0,
            default: if direction == Direction::Import { 1 } else { 2 },
        },
        "aws_access_key_id"
        | "aws_secret_access_key"
        | "aws_session_token"
        | "google_application_credentials"
        | "account_name"
        | "account_key"
        | "password" => Spec::Secret,
        _ => Spec::Text(None),
    }
}

/// A storage's settings as they are before anyone sets them.
pub fn default_settings(kind: Kind, direction: Direction) -> Map<String, Value> {
    layout(kind, direction)
        .into_iter()
        .filter_map(|slot| match slot {
            Setting(name) => Some((
                name.to_string(),
                match spec(name, kind, direction) {
                    Spec::Bool(default) => Value::Bool(default),
                    Spec::Int { default, .. } => Value::from(default),
                    Spec::NullableBool | Spec::Text(_) | Spec::Secret => Value::Null,
                },
            )),
            _ => None,
        })
        .collect()
}

/// The settings and secrets a body gives (only those present), with DRF's messages recorded in
/// `fields` for the rest.
pub fn read(
    fields: &mut Fields,
    kind: Kind,
    direction: Direction,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut settings = Map::new();
    let mut secrets = Map::new();
    for slot in layout(kind, direction) {
        let (Setting(name) | Secret(name)) = slot else {
            continue;
        };
        if !fields.has(name) {
            continue;
        }
        let value = match spec(name, kind, direction) {
            Spec::Text(max) => fields.nullable_string(name).map(|text| match (text, max) {
                (Some(text), Some(max)) if text.chars().count() > max => {
                    fields.error(
                        name,
                        format!("Ensure this field has no more than {max} characters."),
                    );
                    Value::Null
                }
                (text, _) => text.map_or(Value::Null, Value::String),
            }),
            Spec::Secret => fields
                .nullable_string(name)
                .map(|text| text.map_or(Value::Null, Value::String)),
            Spec::Bool(_) => fields.boolean(name).map(Value::Bool),
            Spec::NullableBool => fields
                .nullable_bool(name)
                .map(|b| b.map_or(Value::Null, Value::Bool)),
            Spec::Int { min, .. } => fields.integer(name).and_then(|n| {
                if n < min {
                    fields.error(
                        name,
                        format!("Ensure this value is greater than or equal to {min}."),
                    );
                    None
                } else {
                    Some(Value::from(n))
                }
            }),
        };
        if let Some(value) = value {
            match slot {
                Secret(name) => secrets.insert(name.to_string(), value),
                _ => settings.insert(name.to_string(), value),
            };
        }
    }
    (settings, secrets)
}

/// A field's label in the storage form.
fn label(name: &str) -> String {
    match name {
        "bucket" => "Bucket name".into(),
        "container" => "Container name".into(),
        "prefix" => "Prefix".into(),
        "path" => "Path".into(),
        "regex_filter" => "File filter (regular expression)".into(),
        "use_blob_urls" => {
            "Import each object as a task (files) instead of reading tasks (JSON)".into()
        }
        "presign" => "Use presigned URLs".into(),
        "presign_ttl" => "Presigned URL lifetime (minutes)".into(),
        "recursive_scan" => "Scan all subfolders".into(),
        "s3_endpoint" => "S3 endpoint".into(),
        "region_name" => "Region".into(),
        "aws_access_key_id" => "Access key ID".into(),
        "aws_secret_access_key" => "Secret access key".into(),
        "aws_session_token" => "Session token".into(),
        "aws_sse_kms_key_id" => "KMS key ID".into(),
        "google_application_credentials" => "Service account key (JSON)".into(),
        "google_project_id" => "Google project ID".into(),
        "account_name" => "Account name".into(),
        "account_key" => "Account key".into(),
        "can_delete_objects" => "Delete objects of deleted annotations".into(),
        "delete_vanished_tasks" => "Delete tasks whose object is gone".into(),
        "update_changed_tasks" => "Update tasks whose object changed".into(),
        other => {
            let mut text = other.replace('_', " ");
            if let Some(first) = text.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            text
        }
    }
}

/// The storage form's layout (`/api/storages/<type>/form`): one row per field, a title first,
/// secrets as password fields that are never filled in.
pub fn form(kind: Kind, direction: Direction) -> Value {
    let mut rows = vec![serde_json::json!({"columnCount": 1, "fields": [
        {"type": "text", "name": "title", "label": "Storage title", "required": true}
    ]})];
    for slot in layout(kind, direction) {
        let field = match slot {
            Slot::Common(_) => continue,
            Setting("synchronizable") => continue,
            Secret(name) => serde_json::json!({
                "type": "password", "name": name, "label": label(name),
                "autoComplete": "off", "protectedValue": true,
            }),
            Setting(name) => match spec(name, kind, direction) {
                Spec::Bool(default) => serde_json::json!({
                    "type": "toggle", "name": name, "label": label(name), "value": default,
                }),
                Spec::NullableBool => serde_json::json!({
                    "type": "toggle", "name": name, "label": label(name), "value": false,
                }),
                Spec::Int { min, default } => serde_json::json!({
                    "type": "counter", "name": name, "label": label(name),
                    "min": min, "value": default,
                }),
                Spec::Text(_) | Spec::Secret => serde_json::json!({
                    "type": "text", "name": name, "label": label(name),
                    "required": name == kind.bucket_field(),
                }),
            },
        };
        rows.push(serde_json::json!({"columnCount": 1, "fields": [field]}));
    }
    Value::Array(rows)
}

#[cfg(test)]
mod tests {
    use super::{default_settings, layout, Direction, Kind, Slot};

    #[test]
    fn layouts_follow_label_studio_key_orders() {
        let names = |kind, direction| -> Vec<&'static str> {
            layout(kind, direction)
                .into_iter()
                .filter_map(|slot| match slot {
                    Slot::Secret(_) => None,
                    Slot::Common(name) | Slot::Setting(name) => Some(name),
                })
                .collect()
        };
        assert_eq!(
            names(Kind::S3, Direction::Import)[..6],
            [
                "id",
                "type",
                "synchronizable",
                "presign",
                "last_sync",
                "last_sync_count"
            ]
        );
        assert_eq!(
            names(Kind::Redis, Direction::Export)[..6],
            ["id", "type", "synchronizable", "path", "host", "port"]
        );
        assert!(names(Kind::LocalFiles, Direction::Export).contains(&"can_delete_objects"));
        assert!(!names(Kind::S3, Direction::Export).contains(&"presign"));
        assert_eq!(names(Kind::Gcs, Direction::Import).last(), Some(&"project"));
        assert_eq!(default_settings(Kind::Redis, Direction::Import)["db"], 1);
        assert_eq!(default_settings(Kind::Redis, Direction::Export)["db"], 2);
        assert_eq!(
            default_settings(Kind::S3, Direction::Import)["presign_ttl"],
            1
        );
        assert_eq!(
            default_settings(Kind::S3, Direction::Import)["presign"],
            true
        );
    }
}
