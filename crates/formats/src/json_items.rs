//! The items of a JSON array read as its bytes arrive, one item at a time, so that a file of a
//! million tasks is converted with flat memory. `serde_json` reads a whole array, or items from
//! a blocking reader; an export snapshot arrives as chunks of an async stream, so this splitter
//! finds the items' boundaries (tracking nesting and strings) and hands each to `serde_json`.

/// Splits a JSON array, fed in chunks, into its items' bytes.
#[derive(Debug, Default)]
pub struct ArrayItems {
    /// Whether the opening `[` was seen.
    opened: bool,
    /// Nesting inside the current item.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The current item's bytes so far.
    item: Vec<u8>,
}

/// Why the bytes are not a JSON array of items.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a JSON array of objects")]
pub struct NotAnArray;

impl ArrayItems {
    /// Feeds the next chunk; answers the items it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Vec<u8>>, NotAnArray> {
        let mut done = Vec::new();
        for &byte in chunk {
            if !self.opened {
                match byte {
                    b'[' => self.opened = true,
                    b' ' | b'\n' | b'\r' | b'\t' => {}
                    _ => return Err(NotAnArray),
                }
                continue;
            }
            if self.depth == 0 {
                match byte {
                    b'{' | b'[' => {
                        self.depth = 1;
                        self.item.push(byte);
                    }
                    b',' | b']' | b' ' | b'\n' | b'\r' | b'\t' => {}
                    _ => return Err(NotAnArray),
                }
                continue;
            }
            self.item.push(byte);
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        done.push(std::mem::take(&mut self.item));
                    }
                }
                _ => {}
            }
        }
        Ok(done)
    }

    /// Whether the array ended with no item cut short.
    pub fn finished(&self) -> bool {
        self.depth == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{ArrayItems, NotAnArray};

    #[test]
    fn items_are_found_across_chunks_strings_and_nesting() {
        let text = br#" [{"a": "x}]\"{", "b": [1, {"c": 2}]}, {"d": null} ,[3]]"#;
        for split in 0..text.len() {
            let mut items = ArrayItems::default();
            let mut found = items.feed(&text[..split]).unwrap();
            found.extend(items.feed(&text[split..]).unwrap());
            assert!(items.finished());
            let parsed: Vec<serde_json::Value> = found
                .iter()
                .map(|item| serde_json::from_slice(item).unwrap())
                .collect();
            assert_eq!(
                parsed,
                [
                    serde_json::json!({"a": "x}]\"{", "b": [1, {"c": 2}]}),
                    serde_json::json!({"d": null}),
                    serde_json::json!([3]),
                ]
            );
        }
    }

    #[test]
    fn other_documents_are_refused() {
        assert_eq!(ArrayItems::default().feed(b"{}"), Err(NotAnArray));
        assert_eq!(ArrayItems::default().feed(b"[1]"), Err(NotAnArray));
        let mut cut = ArrayItems::default();
        cut.feed(br#"[{"a": 1"#).unwrap();
        assert!(!cut.finished());
    }
}
