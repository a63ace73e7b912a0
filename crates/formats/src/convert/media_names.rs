//! The names media files get inside an export archive, as Label Studio's converter names the
//! files it downloads: an upload keeps its stored name (`images/3f2a9c1e-cat.jpg`); anything else
//! (a URL, a bucket URI, a local-files link) is prefixed with the first 8 hex digits of the MD5 of
//! its address (`images/1a2b3c4d__cat.jpg`), so equal names from different places don't collide.

use md5::{Digest, Md5};

/// What a task's media address points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// A file uploaded to the project: its media key `upload/<project>/<name>`.
    Upload { key: String },
    /// A file of a Local Files storage: the `d` path.
    LocalFile { path: String },
    /// An object of a cloud storage (`s3://`, `gs://`, `azure-blob://`).
    Bucket { uri: String },
    /// An address on the web.
    Web { url: String },
}

impl MediaSource {
    /// Reads a task's media address; `None` for text that is not one.
    pub fn parse(address: &str) -> Option<MediaSource> {
        let upload = address
            .strip_prefix("/data/upload/")
            .or_else(|| address.strip_prefix("data/upload/"))
            .or_else(|| address.strip_prefix("/upload/"))
            .or_else(|| address.strip_prefix("upload/"));
        if let Some(rest) = upload {
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            let decoded = percent_decode(rest);
            let (project, name) = decoded.split_once('/')?;
            if project.is_empty()
                || !project.bytes().all(|b| b.is_ascii_digit())
                || name.is_empty()
                || name.contains('/')
            {
                return None;
            }
            return Some(MediaSource::Upload {
                key: format!("upload/{project}/{name}"),
            });
        }
        if address.starts_with("/data/") && address.contains("?d=") {
            let query = address.split_once('?').map_or("", |(_, q)| q);
            let path = query
                .split('&')
                .filter_map(|pair| pair.strip_prefix("d="))
                .next_back()
                .map(percent_decode)?;
            return (!path.is_empty()).then_some(MediaSource::LocalFile { path });
        }
        if ["s3:", "gs:", "azure-blob:"]
            .iter()
            .any(|scheme| address.starts_with(scheme))
        {
            return Some(MediaSource::Bucket {
                uri: address.to_string(),
            });
        }
        if address.starts_with("http://") || address.starts_with("https://") {
            return Some(MediaSource::Web {
                url: address.to_string(),
            });
        }
        None
    }
}

/// The file name of a media address inside the archive folder `folder`.
pub fn archive_name(folder: &str, address: &str) -> String {
    match MediaSource::parse(address) {
        Some(MediaSource::Upload { key }) => format!("{folder}/{}", basename(&key)),
        Some(MediaSource::LocalFile { path }) => hashed(folder, address, basename(&path)),
        Some(MediaSource::Bucket { uri }) => hashed(folder, address, basename(&uri)),
        _ => {
            let path = address.split_once("://").map_or(address, |(_, rest)| {
                rest.find('/').map_or("", |i| &rest[i..])
            });
            let path = path.split(['?', '#']).next().unwrap_or(path);
            hashed(folder, address, basename(path))
        }
    }
}

fn hashed(folder: &str, address: &str, name: &str) -> String {
    let digest = Md5::digest(address.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{folder}/{}__{name}", &hex[..8])
}

/// The last segment of a `/`-separated path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `name` without its extension (Python's `os.path.splitext(name)[0]`: a leading dot is not one).
pub fn stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if name[..dot].chars().any(|c| c != '.') => &name[..dot],
        _ => name,
    }
}

/// `%xx` escapes decoded (invalid UTF-8 kept as replacement characters).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_as_the_converter_does() {
        assert_eq!(
            archive_name("images", "/data/upload/3/ab12-cat.jpg"),
            "images/ab12-cat.jpg"
        );
        // md5("https://example.com/pics/cat.jpg?x=1")[:8]
        let url = "https://example.com/pics/cat.jpg?x=1";
        let name = archive_name("images", url);
        assert!(
            name.starts_with("images/") && name.ends_with("__cat.jpg"),
            "{name}"
        );
        assert_eq!(name.len(), "images/".len() + 8 + "__cat.jpg".len());
        assert!(archive_name("images", "s3://bucket/a/b/dog.png").ends_with("__dog.png"));
        assert_eq!(
            MediaSource::parse("/data/local-files/?d=pics%2Fx.png"),
            Some(MediaSource::LocalFile {
                path: "pics/x.png".into()
            })
        );
        assert_eq!(MediaSource::parse("/data/upload/../x.png"), None);
        assert_eq!(stem("a.b.jpg"), "a.b");
        assert_eq!(stem(".hidden"), ".hidden");
    }
}
