//! Where Tessera keeps files: uploads, avatars and (soon) export files go through [`Media`], a
//! thin layer over `object_store`'s `ObjectStore` trait. The local-folder implementation serves
//! one machine; object-store implementations (S3, Google Cloud Storage, Azure) plug in behind the
//! same trait so that several instances share their media.

mod media;
pub mod remote;

pub use media::{ByteStream, Media, MediaError, MediaObject};
