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

/// Flags of an entry whose sizes are in its local header: UTF-8 names (bit 11).
const FLAGS_KNOWN: u16 = 0x0800;
/// Flags of an entry written as it is read: sizes in a data descriptor (bit 3), UTF-8 names.
const FLAGS_STREAMED: u16 = 0x0808;
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

    /// Adds an entry whose content is in memory: its CRC and sizes go in its local header (no
    /// data descriptor, which some readers refuse on stored entries).
    pub fn add_bytes(
        &mut self,
        name: &str,
        method: Method,
        content: &[u8],
    ) -> std::io::Result<Added> {
        let Some(name) = self.claim(name) else {
            return Ok(Added::Duplicate);
        };
        let mut crc = crc32fast::Hasher::new();
        crc.update(content);
        let crc = crc.finalize();
        let deflated;
        let data = match method {
            Method::Stored => content,
            Method::Deflated => {
                let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(content)?;
                deflated = encoder.finish()?;
                &deflated[..]
            }
        };
        let (size, compressed) = (content.len() as u64, data.len() as u64);
        if size >= MAX32 || compressed >= MAX32 {
            return self.add_named(name, method, &mut &content[..]);
        }
        let offset = self.out.written;
        let header = self.local_header(
            &name,
            method,
            FLAGS_KNOWN,
            crc,
            compressed as u32,
            size as u32,
            &[],
        )?;
        self.out.write_all(&header)?;
        self.out.write_all(data)?;
        self.record(&name, method, FLAGS_KNOWN, crc, compressed, size, offset)?;
        Ok(Added::Yes)
    }

    /// Adds an entry whose content is read from `content` as it is written (its size unknown
    /// beforehand: zip64 sizes in a data descriptor).
    pub fn add(
        &mut self,
        name: &str,
        method: Method,
        content: &mut dyn Read,
    ) -> std::io::Result<Added> {
        let Some(name) = self.claim(name) else {
            return Ok(Added::Duplicate);
        };
        self.add_named(name, method, content)
    }

    /// The entry name to write for `name` (made safe), or `None` when that name is taken.
    fn claim(&mut self, name: &str) -> Option<String> {
        let name = safe_name(name);
        self.names
            .insert(self.hasher.hash_one(&name))
            .then_some(name)
    }

    fn add_named(
        &mut self,
        name: String,
        method: Method,
        content: &mut dyn Read,
    ) -> std::io::Result<Added> {
        let offset = self.out.written;
        // A zip64 field in the local header says the descriptor's sizes are 8 bytes each.
        let mut zip64 = Vec::with_capacity(20);
        put16(&mut zip64, 0x0001);
        put16(&mut zip64, 16);
        put64(&mut zip64, 0);
        put64(&mut zip64, 0);
        let header = self.local_header(&name, method, FLAGS_STREAMED, 0, 0, 0, &zip64)?;
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
        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, 0x0807_4b50);
        put32(&mut descriptor, crc);
        put64(&mut descriptor, compressed);
        put64(&mut descriptor, size);
        self.out.write_all(&descriptor)?;
        self.record(&name, method, FLAGS_STREAMED, crc, compressed, size, offset)?;
        Ok(Added::Yes)
    }

    /// A local file header.
    #[allow(clippy::too_many_arguments)]
    fn local_header(
        &self,
        name: &str,
        method: Method,
        flags: u16,
        crc: u32,
        compressed: u32,
        size: u32,
        extra: &[u8],
    ) -> std::io::Result<Vec<u8>> {
        let name_length = u16::try_from(name.len())
            .map_err(|_| std::io::Error::other("a file name in the archive is too long"))?;
        let mut header = Vec::with_capacity(30 + name.len() + extra.len());
        put32(&mut header, 0x0403_4b50);
        put16(&mut header, VERSION);
        put16(&mut header, flags);
        put16(&mut header, method.code());
        put16(&mut header, self.time);
        put16(&mut header, self.date);
        put32(&mut header, crc);
        put32(&mut header, compressed);
        put32(&mut header, size);
        put16(&mut header, name_length);
        put16(&mut header, extra.len() as u16);
        header.extend_from_slice(name.as_bytes());
        header.extend_from_slice(extra);
        Ok(header)
    }

    /// Spools an entry's central directory record, with a zip64 field for what does not fit in
    /// 32 bits.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        name: &str,
        method: Method,
        flags: u16,
        crc: u32,
        compressed: u64,
        size: u64,
        offset: u64,
    ) -> std::io::Result<()> {
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
        put16(&mut record, flags);
        put16(&mut record, method.code());
        put16(&mut record, self.time);
        put16(&mut record, self.date);
        put32(&mut record, crc);
        put32(&mut record, compressed.min(MAX32) as u32);
        put32(&mut record, size.min(MAX32) as u32);
        put16(&mut record, name.len() as u16);
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
        Ok(())
    }

    /// The writer the archive goes into.
    pub fn get_ref(&self) -> &W {
        &self.out.inner
    }

    /// The writer, the archive left unfinished.
    pub fn into_inner(self) -> W {
        self.out.inner
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

/// An entry name that stays inside the folder it is extracted to: `\` and control characters
/// become `_`, as do empty, `.` and `..` path segments.
pub fn safe_name(name: &str) -> String {
    name.split('/')
        .map(|segment| {
            let segment: String = segment
                .chars()
                .map(|c| if c == '\\' || c.is_control() { '_' } else { c })
                .collect();
            if segment.is_empty() || segment == "." || segment == ".." {
                "_".to_string()
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
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
            zip.add_bytes("images/a.png", Method::Stored, b"\x89PNG bytes")
                .unwrap(),
            Added::Yes
        );
        assert_eq!(
            zip.add_bytes("images/a.png", Method::Deflated, b"again")
                .unwrap(),
            Added::Duplicate
        );
        zip.add_bytes("notes.json", Method::Deflated, b"{}")
            .unwrap();
        zip.add("empty.txt", Method::Deflated, &mut &b""[..])
            .unwrap();
        let entries = read_back(zip.finish().unwrap());
        assert_eq!(
            entries,
            [
                ("labels/ünï.txt".to_string(), text.into_bytes()),
                ("images/a.png".to_string(), b"\x89PNG bytes".to_vec()),
                ("notes.json".to_string(), b"{}".to_vec()),
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

    #[test]
    fn names_cannot_leave_the_folder() {
        assert_eq!(safe_name("images/..\\..\\x.png"), "images/.._.._x.png");
        assert_eq!(safe_name("../labels/./a\u{7}.txt"), "_/labels/_/a_.txt");
        assert_eq!(safe_name("/etc/passwd"), "_/etc/passwd");
        assert_eq!(safe_name("images/ünï.png"), "images/ünï.png");
    }
}
