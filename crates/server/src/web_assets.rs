//! The built web app's files. By default they are the ones `web/dist` held when the binary was
//! built: embedded in release builds, so a copied binary serves the UI by itself (debug builds
//! read the same folder from disk, so a rebuilt app shows without recompiling). `--web-dir`
//! serves another folder instead.

use std::borrow::Cow;
use std::path::PathBuf;

/// `web/dist` at build time (absent is allowed: the API works without the app).
#[derive(rust_embed::Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct BuiltApp;

/// Where the web app's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebAssets {
    /// The app built into the binary.
    Builtin,
    /// A folder given with `--web-dir`.
    Folder(PathBuf),
}

impl WebAssets {
    /// A folder when one is given, else the built-in app.
    pub fn new(folder: Option<PathBuf>) -> WebAssets {
        folder.map_or(WebAssets::Builtin, WebAssets::Folder)
    }

    /// The file at `relative` (a path inside the app, already checked to stay inside it).
    pub async fn read(&self, relative: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            WebAssets::Builtin => BuiltApp::get(relative).map(|file| file.data),
            WebAssets::Folder(root) => tokio::fs::read(root.join(relative))
                .await
                .ok()
                .map(Cow::Owned),
        }
    }

    /// The names of the entries directly inside the app's folder `dir` (files and folders).
    pub fn entries(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        match self {
            WebAssets::Builtin => {
                let mut names: Vec<String> = BuiltApp::iter()
                    .filter_map(|path| {
                        path.strip_prefix(&prefix)
                            .and_then(|rest| rest.split('/').next())
                            .map(str::to_string)
                    })
                    .collect();
                names.sort();
                names.dedup();
                names
            }
            WebAssets::Folder(root) => std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect(),
        }
    }

    /// Where the app was looked for, for the message shown when it is missing.
    pub fn describe(&self) -> String {
        match self {
            WebAssets::Builtin => format!(
                "{} (at build time)",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/dist")
            ),
            WebAssets::Folder(root) => root.display().to_string(),
        }
    }
}
