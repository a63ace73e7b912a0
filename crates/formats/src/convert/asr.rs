//! ASR manifest (NVIDIA NeMo): `manifest.json` with one JSON line per transcribed item
//! (`audio_filepath`, `duration`, `text`, `annotator`), the audio under `audio/`.

use serde_json::{json, Value};
use tessera_labelconfig::pyrepr::json_dumps_ascii;
use tessera_labelconfig::LabelConfig;

use super::media_info::wav_duration;
use super::media_names::{archive_name, basename, MediaSource};
use super::{address_at, first_data_key, ConvertError, Converter, Media, Sink};
use crate::items::items;

/// The ASR manifest converter.
pub struct AsrManifest {
    config: std::sync::Arc<LabelConfig>,
    data_key: String,
    lines: super::Spool,
}

impl AsrManifest {
    /// A converter for `config`.
    pub fn new(config: &LabelConfig) -> std::io::Result<AsrManifest> {
        Ok(AsrManifest {
            config: std::sync::Arc::new(config.clone()),
            data_key: first_data_key(config),
            lines: super::Spool::new()?,
        })
    }
}

/// The name an audio file gets under `audio/`: its upload name, or (for anything else) its
/// name prefixed with its address's hash, so that two files of the same name do not collide.
pub fn audio_name(address: &str) -> String {
    match MediaSource::parse(address) {
        Some(MediaSource::Upload { key }) => format!("audio/{}", basename(&key)),
        _ => archive_name("audio", address),
    }
}

impl Converter for AsrManifest {
    fn add(
        &mut self,
        task: &Value,
        media: Media,
        _sink: &mut dyn Sink,
    ) -> Result<(), ConvertError> {
        let Some(address) = address_at(task, &self.data_key) else {
            return Ok(());
        };
        // Only audio whose duration can be read (WAV) is listed, as Label Studio's converter.
        let Some(duration) = media.bytes().and_then(wav_duration) else {
            return Ok(());
        };
        for item in items(&self.config, task, false) {
            let transcript = item
                .output
                .values()
                .find(|regions| regions[0].has("text"))
                .and_then(|regions| regions[0].value.get("text"))
                .and_then(Value::as_array)
                .and_then(|texts| texts.first())
                .cloned();
            let Some(text) = transcript else {
                continue;
            };
            let line = json!({
                "audio_filepath": audio_name(&address),
                "duration": duration,
                "text": text,
                "annotator": item.annotator(""),
            });
            let mut text = json_dumps_ascii(&line);
            text.push('\n');
            self.lines.write(text.as_bytes())?;
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), ConvertError> {
        sink.file_from("manifest.json", &mut self.lines.reader()?)?;
        Ok(())
    }
}
