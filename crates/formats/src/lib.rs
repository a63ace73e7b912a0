//! File formats: parsing uploaded task files and converting tasks to Label Studio's export formats.

pub mod archive;
pub mod convert;
pub mod export;
pub mod import;
pub mod items;
pub mod json_items;
pub mod video;
