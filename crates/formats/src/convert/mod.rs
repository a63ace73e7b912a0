//! Label Studio's file formats beyond the flat ones, written task by task from the JSON export
//! the way Label Studio's converter (`label_studio_sdk.converter`) writes them: the items of each
//! task go in, files of the output come out through a [`Sink`]. Reading media (the address at
//! the config's [`first_data_key`], see [`address_at`]) and packing it is the caller's business,
//! as [`media_use`] says; a converter uses what was read.

pub mod asr;
pub mod brush;
pub mod brush_coco;
pub mod categories;
pub mod coco;
pub mod conll;
pub mod contours;
pub mod media_info;
pub mod media_names;
pub mod treebank;
pub mod voc;
pub mod yolo;

use std::io::Read;

use serde_json::Value;
use tessera_labelconfig::LabelConfig;

use crate::export::Format;

/// Where converted files go (a zip archive, or the response itself for one-file formats).
pub trait Sink {
    /// Adds a whole file. For a one-file format (CoNLL) the path is the file's and every call
    /// appends to it: the file is written as it goes.
    fn file(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Adds a file read from `reader` (a large one assembled from spooled parts).
    fn file_from(&mut self, path: &str, reader: &mut dyn Read) -> std::io::Result<()>;
}

/// A task's media as the caller found it.
#[derive(Debug, Clone, Copy)]
pub enum Media<'a> {
    /// The format did not ask for it, or the task has no media address.
    Unread,
    /// Its bytes.
    Read(&'a [u8]),
    /// It could not be read (missing, not allowed, unreachable).
    Failed,
}

impl<'a> Media<'a> {
    /// The bytes, when read.
    pub fn bytes(self) -> Option<&'a [u8]> {
        match self {
            Media::Read(bytes) => Some(bytes),
            _ => None,
        }
    }
}

/// Why a conversion cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The project cannot be converted to this format (the message says why).
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A format's converter: fed every exported task in order, then finished.
pub trait Converter: Send {
    /// Converts one exported task (`media` is what was read of its media address).
    fn add(&mut self, task: &Value, media: Media, sink: &mut dyn Sink) -> Result<(), ConvertError>;

    /// Writes what is left once every task is in.
    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError>;
}

/// The first data key the config's object tags read (the converter's `_data_keys[0]`; the
/// formats that use it are only offered for configs with one).
pub fn first_data_key(config: &LabelConfig) -> String {
    config
        .controls
        .values()
        .flat_map(|control| &control.inputs)
        .map(|input| input.value.trim_start_matches('$').to_string())
        .next()
        .unwrap_or_default()
}

/// The path the converter gives a task's media: its name in the archive folder `folder`, or the
/// address itself when reading it failed (the converter then keeps the address as it is).
pub fn media_path(folder: &str, address: &str, media: Media) -> String {
    match media {
        Media::Failed => address.to_string(),
        _ => media_names::archive_name(folder, address),
    }
}

/// The media address of a task at `key` (a list of addresses: its last one).
pub fn address_at(task: &Value, key: &str) -> Option<String> {
    match task.get("data")?.get(key)? {
        Value::String(address) => Some(address.clone()),
        Value::Array(list) => list.last()?.as_str().map(str::to_string),
        _ => None,
    }
}

/// Python's `json.dump(value, f, indent=2)`: two-space indent, `": "` after keys.
pub fn json_indented(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("serializing JSON in memory cannot fail");
    out
}

/// The time an export's `info` block names: the year, and `date_created` as Python prints a
/// local `datetime` (`2026-12-07 17:45:12.123456`).
pub struct Now {
    pub year: i32,
    pub date_created: String,
}

impl Now {
    /// The current local time.
    pub fn get() -> Now {
        use chrono::Datelike;
        let now = chrono::Local::now();
        Now {
            year: now.year(),
            date_created: now.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        }
    }
}

/// The converter of a file format; `None` for the flat formats, which are written from the
/// database directly, and for formats Tessera does not write.
pub fn converter(
    format: Format,
    config: &LabelConfig,
) -> Option<Result<Box<dyn Converter>, ConvertError>> {
    let boxed = |c: Box<dyn Converter>| Some(Ok(c));
    match format {
        Format::Conll2003 => boxed(Box::new(conll::Conll::new(config))),
        Format::Coco | Format::CocoWithImages => {
            Some(coco::Coco::new(config).map(|c| Box::new(c) as Box<dyn Converter>))
        }
        Format::Voc => boxed(Box::new(voc::Voc::new(config))),
        Format::Yolo | Format::YoloWithImages => boxed(Box::new(yolo::Yolo::new(config, false))),
        Format::YoloObb | Format::YoloObbWithImages => {
            boxed(Box::new(yolo::Yolo::new(config, true)))
        }
        Format::BrushToNumpy => boxed(Box::new(brush::Brush::new(
            config,
            brush::MaskFormat::Numpy,
        ))),
        Format::BrushToPng => boxed(Box::new(brush::Brush::new(config, brush::MaskFormat::Png))),
        Format::AsrManifest => Some(
            asr::AsrManifest::new(config)
                .map(|c| Box::new(c) as Box<dyn Converter>)
                .map_err(ConvertError::from),
        ),
        Format::BrushToCoco => Some(
            brush_coco::BrushCoco::new(config)
                .map(|c| Box::new(c) as Box<dyn Converter>)
                .map_err(ConvertError::from),
        ),
        Format::Json | Format::JsonMin | Format::Csv | Format::Tsv | Format::Doclang => None,
    }
}

/// Whether Tessera writes `format` through a converter.
pub fn converter_exists(format: Format) -> bool {
    !format.is_flat() && format != Format::Doclang
}

/// Which tasks' media a format reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Nothing,
    /// Uploaded files only (the converter measures the images on Label Studio's own disk).
    Uploads,
    /// Every media address it can.
    Everything,
}

/// What a format does with media: which it reads, and under which name it packs what it read
/// (`None`: nothing is packed).
pub struct MediaUse {
    pub reads: Reads,
    pub pack: Option<fn(&str) -> String>,
}

/// The media use of `format`; `download_resources` is the export's option (VOC and the ASR
/// manifest pack media only with it; the `_WITH_IMAGES` formats always do).
pub fn media_use(format: Format, download_resources: bool) -> MediaUse {
    fn image(address: &str) -> String {
        media_names::archive_name("images", address)
    }
    let images = |pack: bool| MediaUse {
        reads: if pack {
            Reads::Everything
        } else {
            Reads::Uploads
        },
        pack: pack.then_some(image as fn(&str) -> String),
    };
    match format {
        Format::Coco => images(false),
        Format::Voc => images(download_resources),
        Format::CocoWithImages => images(true),
        Format::YoloWithImages | Format::YoloObbWithImages => images(true),
        // The manifest lists only audio whose duration was read, so audio is always read.
        Format::AsrManifest => MediaUse {
            reads: Reads::Everything,
            pack: download_resources.then_some(asr::audio_name as fn(&str) -> String),
        },
        _ => MediaUse {
            reads: Reads::Nothing,
            pack: None,
        },
    }
}

/// A temporary file written as a conversion goes, read back at its end (large lists).
pub(crate) struct Spool {
    file: std::io::BufWriter<std::fs::File>,
    /// Entries written.
    pub count: usize,
}

impl Spool {
    pub fn new() -> std::io::Result<Spool> {
        Ok(Spool {
            file: std::io::BufWriter::new(tempfile::tempfile()?),
            count: 0,
        })
    }

    /// Appends bytes (one entry).
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.file.write_all(bytes)?;
        self.count += 1;
        Ok(())
    }

    /// What was written, read back from the start.
    pub fn reader(&mut self) -> std::io::Result<std::fs::File> {
        use std::io::{Seek, Write};
        self.file.flush()?;
        let mut file = self.file.get_ref().try_clone()?;
        file.rewind()?;
        Ok(file)
    }
}

/// A JSON list of a large document, spooled entry by entry (one entry per line).
pub(crate) struct JsonList(Spool);

impl JsonList {
    pub fn new() -> std::io::Result<JsonList> {
        Spool::new().map(JsonList)
    }

    /// The entries so far.
    pub fn len(&self) -> usize {
        self.0.count
    }

    pub fn push(&mut self, entry: &Value) -> std::io::Result<()> {
        let mut text = if self.0.count > 0 {
            b",\n    ".to_vec()
        } else {
            b"\n    ".to_vec()
        };
        serde_json::to_writer(&mut text, entry)?;
        self.0.write(&text)
    }
}

/// A member of a JSON document written by [`write_document`].
pub(crate) enum Member<'a> {
    /// A spooled list.
    List(&'static str, &'a mut JsonList),
    /// A value in memory.
    Value(&'static str, Value),
}

/// Writes a JSON object of `members` (lists read back from their spools) as the file `path`,
/// two-space indented as Python's `json.dump(indent=2)`.
pub(crate) fn write_document(
    sink: &mut dyn Sink,
    path: &str,
    members: Vec<Member>,
) -> std::io::Result<()> {
    let mut reader: Box<dyn Read> = Box::new(std::io::Cursor::new(b"{".to_vec()));
    let count = members.len();
    for (i, member) in members.into_iter().enumerate() {
        let comma = if i + 1 < count { "," } else { "" };
        match member {
            Member::List(name, list) => {
                let head = format!("\n  \"{name}\": [");
                let close = if list.len() > 0 { "\n  ]" } else { "]" };
                reader = Box::new(
                    reader
                        .chain(std::io::Cursor::new(head.into_bytes()))
                        .chain(list.0.reader()?)
                        .chain(std::io::Cursor::new(format!("{close}{comma}").into_bytes())),
                );
            }
            Member::Value(name, value) => {
                let pretty = String::from_utf8(json_indented(&value))
                    .expect("serde_json writes UTF-8")
                    .replace('\n', "\n  ");
                let text = format!("\n  \"{name}\": {pretty}{comma}");
                reader = Box::new(reader.chain(std::io::Cursor::new(text.into_bytes())));
            }
        }
    }
    let mut reader = reader.chain(std::io::Cursor::new(b"\n}".to_vec()));
    sink.file_from(path, &mut reader)
}
