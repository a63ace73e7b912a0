//! What the formats read from media files: an image's size and channel count (from its header,
//! as Pillow reports them) and a WAV file's duration.

use std::io::Cursor;

use image::{ExtendedColorType, ImageDecoder, ImageReader};

/// An image's width, height and number of bands (`L` 1, `LA` 2, `RGB` 3, `RGBA` 4; a palette
/// image counts 1 band, as Pillow's `P` mode).
pub fn image_info(bytes: &[u8]) -> Option<(u32, u32, u8)> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let decoder = reader.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    let bands = match decoder.original_color_type() {
        ExtendedColorType::L1
        | ExtendedColorType::L2
        | ExtendedColorType::L4
        | ExtendedColorType::L8
        | ExtendedColorType::L16
        | ExtendedColorType::A8
        | ExtendedColorType::Unknown(_) => 1,
        ExtendedColorType::La1
        | ExtendedColorType::La2
        | ExtendedColorType::La4
        | ExtendedColorType::La8
        | ExtendedColorType::La16 => 2,
        ExtendedColorType::Rgba1
        | ExtendedColorType::Rgba2
        | ExtendedColorType::Rgba4
        | ExtendedColorType::Rgba8
        | ExtendedColorType::Rgba16
        | ExtendedColorType::Rgba32F
        | ExtendedColorType::Bgra8
        | ExtendedColorType::Cmyk8 => 4,
        _ => 3,
    };
    Some((width, height, bands))
}

/// A WAV file's duration in seconds (frames / frame rate, as Python's `wave`); `None` for
/// anything else.
pub fn wav_duration(bytes: &[u8]) -> Option<f64> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).ok()?;
    let spec = reader.spec();
    if spec.sample_rate == 0 {
        return None;
    }
    Some(f64::from(reader.duration()) / f64::from(spec.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes_and_durations() {
        let mut png = Vec::new();
        image::RgbImage::new(7, 3)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(image_info(&png), Some((7, 3, 3)));
        assert_eq!(image_info(b"not an image"), None);

        let mut wav = Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(&mut wav, spec).unwrap();
        for _ in 0..4000 {
            writer.write_sample(0i16).unwrap();
        }
        writer.finalize().unwrap();
        assert_eq!(wav_duration(wav.get_ref()), Some(0.5));
        assert_eq!(wav_duration(&png), None);
    }
}
