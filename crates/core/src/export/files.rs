//! Exports in Label Studio's file formats (COCO, YOLO, VOC, CoNLL, brush masks, ASR manifest):
//! exported tasks stream in (from the database or a stored snapshot), a format converter turns
//! them into files, and the files stream out as one file or a zip archive, so memory stays flat
//! however large the project is.
//!
//! Two workers share the job: an async one reads the tasks and the media the format needs;
//! a blocking one converts and packs (zip compression and the converters' spooled files are
//! synchronous work), writing into the response through a bounded channel.

use std::io::Write;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tessera_formats::archive::{Added, Method, ZipStream};
use tessera_formats::convert::media_names::MediaSource;
use tessera_formats::convert::{self, media_use, ConvertError, Converter, Media, Reads, Sink};
use tessera_formats::export::{Format, Packing};
use tessera_formats::json_items::ArrayItems;
use tessera_labelconfig::LabelConfig;
use tokio::sync::{mpsc, oneshot};

use super::media::MediaReader;
use super::Export;
use crate::error::{CoreError, CoreResult};

/// A byte stream of an export.
pub type IoStream = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// Batches of exported tasks.
pub type TaskStream = futures_util::stream::BoxStream<'static, std::io::Result<Vec<Value>>>;

/// The tasks of a JSON export (a JSON array of tasks), read as its bytes arrive.
pub fn tasks_of(body: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static) -> TaskStream {
    async_stream::try_stream! {
        let mut items = ArrayItems::default();
        futures_util::pin_mut!(body);
        while let Some(chunk) = body.next().await {
            let tasks = items
                .feed(&chunk?)
                .map_err(std::io::Error::other)?
                .iter()
                .map(|item| serde_json::from_slice(item).map_err(std::io::Error::other))
                .collect::<std::io::Result<Vec<Value>>>()?;
            if !tasks.is_empty() {
                yield tasks;
            }
        }
        if !items.finished() {
            Err(std::io::Error::other("the exported tasks are cut short"))?;
        }
    }
    .boxed()
}

/// Converts `tasks` of a project with `config` to `format` (one of the file formats).
/// `download_resources` packs media where the format leaves it to the option (VOC, ASR).
/// Returns once the packing is known; errors after that end the body with an error.
pub async fn convert(
    tasks: TaskStream,
    config: LabelConfig,
    format: Format,
    download_resources: bool,
    media: MediaReader,
) -> CoreResult<Export> {
    let converter = match convert::converter(format, &config) {
        Some(Ok(converter)) => converter,
        Some(Err(err)) => return Err(CoreError::BadRequest(err.to_string())),
        None => {
            return Err(CoreError::BadRequest(format!(
                "{} is not supported export format",
                format.name()
            )))
        }
    };
    // Each export holds a thread of the blocking pool while the client reads: a few at once.
    let permit = EXPORTS
        .acquire()
        .await
        .map_err(|err| CoreError::Internal(err.into()))?;
    let (out_tx, out_rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let uses = media_use(format, download_resources);
    // Media that is packed is read whole (and only a couple of files wait in memory);
    // otherwise its head is enough (sizes, durations).
    let whole = uses.pack.is_some();
    let (in_tx, in_rx) = mpsc::channel::<Message>(if whole { 2 } else { 32 });
    let (packing_tx, packing_rx) = oneshot::channel();
    tokio::spawn(read_tasks(
        tasks,
        convert::first_data_key(&config),
        uses.reads,
        whole,
        media,
        in_tx,
        out_tx.clone(),
    ));
    let packing = format.packing();
    let failed = out_tx.clone();
    let unfinished = out_tx.clone();
    let converting = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let writer = ChannelWriter::new(out_tx);
        let mut packer = match Packer::new(packing, writer, packing_tx) {
            Ok(packer) => packer,
            // The announcement is dropped with the packer: the caller sees the export fail.
            Err(err) => return tracing::warn!(error = %err, "an export could not start"),
        };
        match pack(converter, in_rx, &mut packer, uses.pack) {
            Ok(()) => {
                if let Err(err) = packer.end() {
                    unfinished
                        .blocking_send(Err(std::io::Error::other(err.to_string())))
                        .ok();
                }
            }
            Err(err) => packer.fail(&err.to_string()),
        }
    });
    // A panic in the conversion ends the body with an error, never with a cut-short file.
    tokio::spawn(async move {
        if let Err(err) = converting.await {
            failed
                .send(Err(std::io::Error::other(format!(
                    "the export failed: {err}"
                ))))
                .await
                .ok();
        }
    });
    let (extension, content_type) = packing_rx
        .await
        .map_err(|_| CoreError::Internal(anyhow::anyhow!("the export stopped before it began")))?
        .map_err(|message| CoreError::Internal(anyhow::anyhow!(message)))?;
    let body = futures_util::stream::unfold(out_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed();
    Ok(Export {
        extension,
        content_type,
        body,
    })
}

/// How many file-format exports convert at once (each holds a thread while its client reads);
/// more wait their turn.
static EXPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(8);

/// What the task reader sends the converter: tasks, then the end (a reader that stops without
/// it failed, and the export must not look complete).
enum Message {
    Task(Input),
    End,
}

/// A task on its way to the converter, with its media as read.
struct Input {
    task: Value,
    address: Option<String>,
    media: MediaState,
}

enum MediaState {
    Unread,
    Read(Bytes),
    Failed,
}

/// Reads the tasks and their media; an error goes to the output.
async fn read_tasks(
    mut tasks: TaskStream,
    data_key: String,
    reads: Reads,
    whole: bool,
    mut media: MediaReader,
    to_converter: mpsc::Sender<Message>,
    out: mpsc::Sender<std::io::Result<Bytes>>,
) {
    while let Some(batch) = tasks.next().await {
        if out.is_closed() {
            // The client went away.
            return;
        }
        let batch = match batch {
            Ok(batch) => batch,
            Err(err) => {
                out.send(Err(err)).await.ok();
                return;
            }
        };
        for task in batch {
            // A task whose every annotation was skipped yields nothing: its media is not read.
            let address = convert::address_at(&task, &data_key)
                .filter(|_| tessera_formats::items::yields_items(&task));
            let wanted = address.as_deref().is_some_and(|address| match reads {
                Reads::Nothing => false,
                Reads::Uploads => matches!(
                    MediaSource::parse(address),
                    Some(MediaSource::Upload { .. })
                ),
                Reads::Everything => true,
            });
            let state = match address.as_deref().filter(|_| wanted) {
                Some(address) => match media.read(address, !whole).await {
                    Some(bytes) => MediaState::Read(bytes),
                    None => MediaState::Failed,
                },
                None => MediaState::Unread,
            };
            let input = Input {
                task,
                address,
                media: state,
            };
            if to_converter.send(Message::Task(input)).await.is_err() {
                return;
            }
        }
    }
    to_converter.send(Message::End).await.ok();
}

/// Converts every task that arrives, packing media where the format asks, then finishes.
fn pack(
    mut converter: Box<dyn Converter>,
    mut inputs: mpsc::Receiver<Message>,
    packer: &mut Packer,
    pack_as: Option<fn(&str) -> String>,
) -> Result<(), ConvertError> {
    loop {
        let input = match inputs.blocking_recv() {
            Some(Message::Task(input)) => input,
            Some(Message::End) => break,
            None => return Err(std::io::Error::other("the exported tasks stopped coming").into()),
        };
        if packer.is_closed() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the download was dropped",
            )
            .into());
        }
        let media = match &input.media {
            MediaState::Unread => Media::Unread,
            MediaState::Read(bytes) => Media::Read(bytes),
            MediaState::Failed => Media::Failed,
        };
        converter.add(&input.task, media, packer)?;
        if let (Some(name_of), Some(address), MediaState::Read(bytes)) =
            (pack_as, &input.address, &input.media)
        {
            packer.media_file(&name_of(address), bytes)?;
        }
    }
    converter.finish(packer)
}

/// Writes into the response channel in chunks, waiting while the client is slow.
struct ChannelWriter {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buffer: Vec<u8>,
}

/// How much is gathered before it is sent.
const CHUNK: usize = 256 * 1024;

impl ChannelWriter {
    fn new(tx: mpsc::Sender<std::io::Result<Bytes>>) -> ChannelWriter {
        ChannelWriter {
            tx,
            buffer: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was dropped")
        })
    }
}

/// The packing, announced once known: a single file's extension and media type, or why the
/// export failed before it was known.
type Announce = oneshot::Sender<Result<(&'static str, &'static str), String>>;

/// Packs the converter's files as the format is delivered.
enum Packer {
    /// One file: everything written goes straight out.
    Plain(ChannelWriter),
    /// A zip archive (a name already in it is not written twice).
    Zip(Box<ZipStream<ChannelWriter>>),
    /// One file if only one comes, otherwise a zip archive: the first file waits.
    Pending {
        first: Option<(String, Vec<u8>)>,
        writer: Option<ChannelWriter>,
        announce: Option<Announce>,
        extension: &'static str,
        content_type: &'static str,
    },
}

const ZIP: (&str, &str) = ("zip", "application/zip");

impl Packer {
    fn new(packing: Packing, writer: ChannelWriter, announce: Announce) -> std::io::Result<Packer> {
        match packing {
            Packing::File {
                extension,
                content_type,
            } => {
                announce.send(Ok((extension, content_type))).ok();
                Ok(Packer::Plain(writer))
            }
            Packing::Zip => {
                announce.send(Ok(ZIP)).ok();
                Ok(Packer::Zip(Box::new(ZipStream::new(writer)?)))
            }
            Packing::FileOrZip {
                extension,
                content_type,
            } => Ok(Packer::Pending {
                first: None,
                writer: Some(writer),
                announce: Some(announce),
                extension,
                content_type,
            }),
        }
    }

    /// Switches a pending packer to a zip archive holding its first file.
    fn switch_to_zip(&mut self) -> std::io::Result<()> {
        if let Packer::Pending {
            first,
            writer,
            announce,
            ..
        } = self
        {
            if let Some(announce) = announce.take() {
                announce.send(Ok(ZIP)).ok();
            }
            let writer = writer.take().expect("a pending packer holds its writer");
            let first = first.take();
            *self = Packer::Zip(Box::new(ZipStream::new(writer)?));
            if let Some((path, bytes)) = first {
                self.add(&path, &bytes, Method::Deflated)?;
            }
        }
        Ok(())
    }

    fn add(&mut self, path: &str, bytes: &[u8], method: Method) -> std::io::Result<()> {
        match self {
            Packer::Plain(writer) => writer.write_all(bytes),
            Packer::Zip(zip) => {
                if zip.add_bytes(path, method, bytes)? == Added::Duplicate {
                    tracing::warn!(
                        path,
                        "a file of this name is already in the export: left out"
                    );
                }
                Ok(())
            }
            Packer::Pending { first, .. } => {
                if first.is_none() {
                    *first = Some((path.to_string(), bytes.to_vec()));
                    return Ok(());
                }
                self.switch_to_zip()?;
                self.add(path, bytes, method)
            }
        }
    }

    /// Whether the client is gone.
    fn is_closed(&self) -> bool {
        match self {
            Packer::Plain(writer) => writer.tx.is_closed(),
            Packer::Zip(zip) => zip.get_ref().tx.is_closed(),
            Packer::Pending { writer, .. } => writer.as_ref().is_none_or(|w| w.tx.is_closed()),
        }
    }

    /// Ends the export with `message`: as the answer when nothing was announced yet, else as an
    /// error in the body.
    fn fail(self, message: &str) {
        let tx = match self {
            Packer::Pending {
                announce: Some(announce),
                ..
            } => {
                announce.send(Err(message.to_string())).ok();
                return;
            }
            Packer::Plain(writer) => writer.tx,
            Packer::Zip(zip) => zip.into_inner().tx,
            Packer::Pending { writer, .. } => match writer {
                Some(writer) => writer.tx,
                None => return,
            },
        };
        tx.blocking_send(Err(std::io::Error::other(message.to_string())))
            .ok();
    }

    /// Adds a media file as it is (media is compressed already).
    fn media_file(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.add(path, bytes, Method::Stored)
    }

    /// Finishes the output: the archive's directory, or the lone pending file.
    fn end(self) -> Result<(), ConvertError> {
        let mut writer = match self {
            Packer::Plain(writer) => writer,
            Packer::Zip(zip) => zip.finish()?,
            Packer::Pending {
                first: Some((_, bytes)),
                writer: Some(mut writer),
                announce,
                extension,
                content_type,
            } => {
                if let Some(announce) = announce {
                    announce.send(Ok((extension, content_type))).ok();
                }
                writer.write_all(&bytes)?;
                writer
            }
            mut pending @ Packer::Pending { .. } => {
                pending.switch_to_zip()?;
                return pending.end();
            }
        };
        writer.flush()?;
        Ok(())
    }
}

impl Sink for Packer {
    fn file(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.add(path, bytes, Method::Deflated)
    }

    fn file_from(&mut self, path: &str, reader: &mut dyn std::io::Read) -> std::io::Result<()> {
        match self {
            Packer::Plain(writer) => {
                std::io::copy(reader, writer)?;
                Ok(())
            }
            Packer::Zip(zip) => {
                zip.add(path, Method::Deflated, reader)?;
                Ok(())
            }
            Packer::Pending { .. } => {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes)?;
                self.file(path, &bytes)
            }
        }
    }
}
