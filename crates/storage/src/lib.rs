//! Where Tessera keeps files: uploads, avatars and (soon) export files go through [`Media`], a
//! thin layer over `object_store`'s `ObjectStore` trait: a folder of this machine by default, or
//! a bucket ([`MediaBucket`]: S3 or Azure Blob) that several instances share.

mod media;
mod media_bucket;
pub mod remote;

pub use media::{ByteStream, Media, MediaError, MediaObject, MediaWriter};
pub use media_bucket::{BucketUrlError, MediaBucket};
