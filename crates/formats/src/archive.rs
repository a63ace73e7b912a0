//! A zip archive written as a stream into any [`Write`]: each entry's local header, data
//! (stored, or deflated by `flate2`) and data descriptor go out as they are made; the central
//! directory records are spooled to a temporary file and copied out at the end (zip64 when the
//! archive needs it). Zip libraries keep every entry's record in memory (~0.5 KB each), more
//! than a whole export of a million label files may use; here an entry costs the 8-byte hash of
//! its name (names are written once).

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::{BufWriter, Read, Seek, Write};

use chrono::{Datelike, Timelike};
use flate2::write::DeflateEncoder;
use flate2::Compression;

/// How an entry's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// As they are (media, already compressed).
    Stored,
    /// Deflated (text).
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

/// Whether an entry was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Yes,
    /// An entry of that name is in the archive already; nothing was written.
    Duplicate,
}

/// Counts the bytes written through it.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Takes the CRC and size of what is read through it (an entry's content).
struct Checked<'a> {
    inner: &'a mut dyn Read,
    crc: crc32fast::Hasher,
    size: u64,
}

impl Read for Checked<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.crc.update(&buffer[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// A zip archive being written.
pub struct ZipStream<W: Write> {
    out: Counting<W>,
    directory: BufWriter<std::fs::File>,
    entries: u64,
    /// Hashes of the names written (keyed at random: task data cannot aim at a collision).
    names: HashSet<u64>,
    hasher: RandomState,
    time: u16,
    date: u16,
}

/// Flags: sizes in a data descriptor (bit 3), UTF-8 names (bit 11).
const FLAGS: u16 = 0x0808;
/// Version 4.5 (zip64).
const VERSION: u16 = 45;
/// Made by: Unix (for the file modes), version 4.5.
const MADE_BY: u16 = 3 << 8 | VERSION;
/// `-rw-r--r--`, a regular file.
const FILE_MODE: u32 = 0o100_644 << 16;
const MAX16: u64 = 0xFFFF;
const MAX32: u64 = 0xFFFF_FFFF;

impl<W: Write> ZipStream<W> {
    /// An empty archive writing into `out`; entries are dated now (local time).
    pub fn new(out: W) -> std::io::Result<ZipStream<W>> {
        let now = chrono::Local::now();
        let year = (now.year().clamp(1980, 2107) - 1980) as u16;
        Ok(ZipStream {
            out: Counting {
                inner: out,
                written: 0,
            },
            directory: BufWriter::new(tempfile::tempfile()?),
            entries: 0,
            names: HashSet::new(),
            hasher: RandomState::new(),
            time: (now.hour() as u16) << 11
                | (now.minute() as u16) << 5
                | (now.second() as u16 / 2),
            date: year << 9 | (now.month() as u16) << 5 | now.day() as u16,
        })
    }

    /// Adds an entry whose content is read from `content`.
    pub fn add(
        &mut self,
        name: &str,
        method: Method,
        content: &mut dyn Read,
    ) -> std::io::Result<Added> {
        if !self.names.insert(self.hasher.hash_one(name)) {
            return Ok(Added::Duplicate);
        }
        let name_length = u16::try_from(name.len())
            .map_err(|_| std::io::Error::other("a file name in the archive is too long"))?;
        let offset = self.out.written;
        let mut header = Vec::with_capacity(30 + name.len());
        put32(&mut header, 0x0403_4b50);
        put16(&mut header, VERSION);
        put16(&mut header, FLAGS);
        put16(&mut header, method.code());
        put16(&mut header, self.time);
        put16(&mut header, self.date);
        // The CRC and sizes follow the data, in its descriptor.
        put32(&mut header, 0);
        put32(&mut header, 0);
        put32(&mut header, 0);
        put16(&mut header, name_length);
        put16(&mut header, 0);
        header.extend_from_slice(name.as_bytes());
        self.out.write_all(&header)?;

        let start = self.out.written;
        let mut checked = Checked {
            inner: content,
            crc: crc32fast::Hasher::new(),
            size: 0,
        };
        match method {
            Method::Stored => {
                std::io::copy(&mut checked, &mut self.out)?;
            }
            Method::Deflated => {
                let mut encoder = DeflateEncoder::new(&mut self.out, Compression::default());
                std::io::copy(&mut checked, &mut encoder)?;
                encoder.finish()?;
            }
        }
        let compressed = self.out.written - start;
        let (crc, size) = (checked.crc.finalize(), checked.size);
        let large = size >= MAX32 || compressed >= MAX32;

        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, 0x0807_4b50);
        put32(&mut descriptor, crc);
        if large {
            put64(&mut descriptor, compressed);
            put64(&mut descriptor, size);
        } else {
            put32(&mut descriptor, compressed as u32);
            put32(&mut descriptor, size as u32);
        }
        self.out.write_all(&descriptor)?;

        // Its central directory record, with a zip64 field for what does not fit 32 bits.
        let mut zip64 = Vec::new();
        for value in [size, compressed, offset] {
            if value >= MAX32 {
                put64(&mut zip64, value);
            }
        }
        let mut record = Vec::with_capacity(46 + name.len() + zip64.len() + 4);
        put32(&mut record, 0x0201_4b50);
        put16(&mut record, MADE_BY);
        put16(&mut record, VERSION);
        put16(&mut record, FLAGS);
        put16(&mut record, method.code());
        put16(&mut record, self.time);
        put16(&mut record, self.date);
        put32(&mut record, crc);
        put32(&mut record, compressed.min(MAX32) as u32);
        put32(&mut record, size.min(MAX32) as u32);
        put16(&mut record, name_length);
        put16(
            &mut record,
            if zip64.is_empty() {
                0
            } else {
                zip64.len() as u16 + 4
            },
        );
        put16(&mut record, 0); // comment
        put16(&mut record, 0); // disk
        put16(&mut record, 0); // internal attributes
        put32(&mut record, FILE_MODE);
        put32(&mut record, offset.min(MAX32) as u32);
        record.extend_from_slice(name.as_bytes());
        if !zip64.is_empty() {
            put16(&mut record, 0x0001);
            put16(&mut record, zip64.len() as u16);
            record.extend_from_slice(&zip64);
        }
        self.directory.write_all(&record)?;
        self.entries += 1;
        Ok(Added::Yes)
    }

    /// Writes the central directory and the end records; the writer it wrote into.
    pub fn finish(mut self) -> std::io::Result<W> {
        let directory_start = self.out.written;
        self.directory.flush()?;
        let mut directory = self.directory.into_inner().map_err(|e| e.into_error())?;
        directory.rewind()?;
        std::io::copy(&mut directory, &mut self.out)?;
        let directory_size = self.out.written - directory_start;
        let mut end = Vec::with_capacity(98);
        if self.entries >= MAX16 || directory_start >= MAX32 || directory_size >= MAX32 {
            let zip64_end = self.out.written;
            put32(&mut end, 0x0606_4b50);
            put64(&mut end, 44);
            put16(&mut end, MADE_BY);
            put16(&mut end, VERSION);
            put32(&mut end, 0);
            put32(&mut end, 0);
            put64(&mut end, self.entries);
            put64(&mut end, self.entries);
            put64(&mut end, directory_size);
            put64(&mut end, directory_start);
            put32(&mut end, 0x0706_4b50);
            put32(&mut end, 0);
            put64(&mut end, zip64_end);
            put32(&mut end, 1);
        }
        put32(&mut end, 0x0605_4b50);
        put16(&mut end, 0);
        put16(&mut end, 0);
        put16(&mut end, self.entries.min(MAX16) as u16);
        put16(&mut end, self.entries.min(MAX16) as u16);
        put32(&mut end, directory_size.min(MAX32) as u32);
        put32(&mut end, directory_start.min(MAX32) as u32);
        put16(&mut end, 0);
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut content = Vec::new();
                entry.read_to_end(&mut content).unwrap();
                (entry.name().unwrap().to_string(), content)
            })
            .collect()
    }

    #[test]
    fn entries_read_back_with_a_zip_library() {
        let mut zip = ZipStream::new(Vec::new()).unwrap();
        let text = "label line\n".repeat(1000);
        assert_eq!(
            zip.add("labels/ünï.txt", Method::Deflated, &mut text.as_bytes())
                .unwrap(),
            Added::Yes
        );
        assert_eq!(
            zip.add("images/a.png", Method::Stored, &mut &b"\x89PNG bytes"[..])
                .unwrap(),
            Added::Yes
        );
        assert_eq!(
            zip.add("images/a.png", Method::Stored, &mut &b"again"[..])
                .unwrap(),
            Added::Duplicate
        );
        zip.add("empty.txt", Method::Deflated, &mut &b""[..])
            .unwrap();
        let entries = read_back(zip.finish().unwrap());
        assert_eq!(
            entries,
            [
                ("labels/ünï.txt".to_string(), text.into_bytes()),
                ("images/a.png".to_string(), b"\x89PNG bytes".to_vec()),
                ("empty.txt".to_string(), Vec::new()),
            ]
        );
    }

    #[test]
    fn more_than_65535_entries_take_zip64_end_records() {
        let mut zip = ZipStream::new(Vec::new()).unwrap();
        for i in 0..70_000 {
            zip.add(
                &format!("labels/{i}.txt"),
                Method::Stored,
                &mut &b"0 0.5 0.5 0.1 0.1\n"[..],
            )
            .unwrap();
        }
        let entries = read_back(zip.finish().unwrap());
        assert_eq!(entries.len(), 70_000);
        assert_eq!(entries[69_999].0, "labels/69999.txt");
    }
}
