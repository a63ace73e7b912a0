//! Bounds on a label config, checked before any XML parsing.
//!
//! Configs reach the validator from anyone (`POST /api/projects/validate/` needs no sign-in), so
//! the work a config can cause is bounded up front: its size, how deeply its tags nest and how
//! many attributes one tag carries. The XML parser checks each new attribute against the tag's
//! earlier ones (quadratic in attributes per tag), and the schema rules walk nested `View`s
//! recursively, so both bounds must hold before either runs.
//!
//! The scan is hand-written because no XML parser reports these figures without first doing the
//! work they bound. It is deliberately approximate on malformed input: it reads `<`…`>` spans,
//! skipping comments, CDATA, processing instructions and declarations, and counts `=` outside
//! quotes as attributes. Anything it over-counts is malformed XML the parser refuses anyway.

use crate::ConfigError;

/// Largest config accepted, in bytes.
pub const MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;
/// Deepest nesting of tags accepted.
pub const MAX_DEPTH: usize = 100;
/// Most attributes one tag may carry.
pub const MAX_ATTRIBUTES: usize = 256;
/// Most XML nodes (tags, texts, comments) the parser builds.
pub const MAX_NODES: u32 = 100_000;

/// Refuses a config that exceeds a bound, with a message saying which; linear in its length.
pub fn check(config: &str) -> Result<(), ConfigError> {
    if config.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::rule(format!(
            "Label config is too large: {} bytes, the limit is {MAX_CONFIG_BYTES} bytes",
            config.len()
        )));
    }
    let mut depth = 0usize;
    let mut rest = config;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let skip_past = |end: &str| rest.find(end).map_or("", |at| &rest[at + end.len()..]);
        if rest.starts_with("<!--") {
            rest = skip_past("-->");
        } else if rest.starts_with("<![CDATA[") {
            rest = skip_past("]]>");
        } else if rest.starts_with("<?") {
            rest = skip_past("?>");
        } else if rest.starts_with("<!") {
            rest = skip_past(">");
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            rest = skip_past(">");
        } else {
            let tag = start_tag(&rest[1..]);
            if tag.attributes > MAX_ATTRIBUTES {
                return Err(ConfigError::rule(format!(
                    "Label config has a tag with too many attributes: more than {MAX_ATTRIBUTES}"
                )));
            }
            if !tag.self_closing {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ConfigError::rule(format!(
                        "Label config nests tags too deeply: more than {MAX_DEPTH} levels"
                    )));
                }
            }
            rest = &rest[1 + tag.length..];
        }
    }
    Ok(())
}

/// What the scan learns of one start tag.
struct StartTag {
    /// Bytes up to and including its `>` (or to the end of the input).
    length: usize,
    attributes: usize,
    self_closing: bool,
}

/// Reads a start tag's body (after its `<`): `=` outside quotes count as attributes.
fn start_tag(body: &str) -> StartTag {
    let mut quote = None;
    let mut attributes = 0;
    let mut previous = 0u8;
    for (at, byte) in body.bytes().enumerate() {
        match (quote, byte) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'=') => attributes += 1,
            (None, b'>') => {
                return StartTag {
                    length: at + 1,
                    attributes,
                    self_closing: previous == b'/',
                }
            }
            _ => {}
        }
        previous = byte;
    }
    StartTag {
        length: body.len(),
        attributes,
        self_closing: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "<View>".repeat(depth), "</View>".repeat(depth))
    }

    #[test]
    fn bounds_depth_attributes_and_size() {
        assert!(check(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            check(&nested(MAX_DEPTH + 1)).unwrap_err().0,
            "Label config nests tags too deeply: more than 100 levels"
        );
        let siblings = "<View/>".repeat(10_000);
        assert!(
            check(&format!("<View>{siblings}</View>")).is_ok(),
            "self-closing siblings do not nest"
        );
        let attributes = |n: usize| {
            format!(
                "<View {}/>",
                (0..n)
                    .map(|i| format!("a{i}=\"x\""))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        assert!(check(&attributes(MAX_ATTRIBUTES)).is_ok());
        assert!(check(&attributes(MAX_ATTRIBUTES + 1))
            .unwrap_err()
            .0
            .contains("too many attributes"));
        assert!(check(&" ".repeat(MAX_CONFIG_BYTES + 1))
            .unwrap_err()
            .0
            .starts_with("Label config is too large"));
    }

    #[test]
    fn quoted_and_skipped_text_does_not_count() {
        let quoted = format!("<View a=\"{}\" b='>'/>", "=".repeat(1000));
        assert!(check(&quoted).is_ok());
        let comment = format!("<View><!-- {} --></View>", "<View>".repeat(500));
        assert!(check(&comment).is_ok());
        let cdata = format!("<View><![CDATA[{}]]></View>", "<View>".repeat(500));
        assert!(check(&cdata).is_ok());
        assert!(
            check("<View><Text name=\"t\" value=\"$t\"").is_ok(),
            "unterminated input is left to the parser"
        );
    }
}
