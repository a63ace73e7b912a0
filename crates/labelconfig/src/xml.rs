//! XML parsing with expat-style error messages (`no element found: line 1, column 6`), because
//! Label Studio reports the Python XML parser's message verbatim. DTDs are refused, as
//! defusedxml does.

use roxmltree::{Document, Error, ParsingOptions};

use crate::{ConfigError, ConfigProblem};

/// Parses `config` (DTD forbidden, nodes limited). Run [`crate::limits::check`] first: the
/// parser is quadratic in the attributes of one tag.
pub fn parse(config: &str) -> Result<Document<'_>, ConfigError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: crate::limits::MAX_NODES,
    };
    Document::parse_with_options(config, options)
        .map_err(|err| ConfigError(message(config, &err), ConfigProblem::Xml))
}

/// Expat's line (1-based) and column (0-based) of the end of the input.
fn end_position(config: &str) -> (usize, usize) {
    let line = config.matches('\n').count() + 1;
    let column = config
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count());
    (line, column)
}

/// Line and 0-based column of a byte offset.
fn position_of(config: &str, offset: usize) -> (usize, usize) {
    let before = &config[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count());
    (line, column)
}

/// The byte offset of roxmltree's position (1-based row, 1-based column in characters), if it
/// lies inside `config`. Rows end at `\n` (a `\r` before it is a character of the row).
fn byte_offset(config: &str, pos: roxmltree::TextPos) -> Option<usize> {
    let line_start = if pos.row <= 1 {
        0
    } else {
        config
            .match_indices('\n')
            .nth(pos.row as usize - 2)
            .map(|(at, _)| at + 1)?
    };
    let column = (pos.col as usize).checked_sub(1)?;
    let line = &config[line_start..];
    let within = line
        .char_indices()
        .map(|(at, _)| at)
        .chain(std::iter::once(line.len()))
        .nth(column)?;
    Some(line_start + within)
}

fn message(config: &str, err: &Error) -> String {
    let at = |pos: roxmltree::TextPos, shift: usize| {
        format!(
            "line {}, column {}",
            pos.row,
            (pos.col as usize - 1) + shift
        )
    };
    match err {
        Error::UnexpectedEndOfStream | Error::UnclosedRootNode | Error::NoRootNode => {
            let last_open = config.rfind('<');
            let inside_tag = last_open.is_some_and(|open| config[open..].find('>').is_none());
            if config.trim().is_empty() || !inside_tag && config.trim_start().starts_with('<') {
                let (line, column) = end_position(config);
                return format!("no element found: line {line}, column {column}");
            }
            match last_open.filter(|_| inside_tag) {
                Some(open) => {
                    let (line, column) = position_of(config, open);
                    format!("unclosed token: line {line}, column {column}")
                }
                None => "syntax error: line 1, column 0".to_string(),
            }
        }
        Error::UnknownToken(pos) if pos.row == 1 && pos.col == 1 => {
            "syntax error: line 1, column 0".to_string()
        }
        Error::UnknownToken(pos) => {
            let complete_before = byte_offset(config, *pos)
                .is_some_and(|offset| Document::parse(&config[..offset]).is_ok());
            let what = if complete_before {
                "junk after document element"
            } else {
                "not well-formed (invalid token)"
            };
            format!("{what}: {}", at(*pos, 0))
        }
        Error::UnexpectedCloseTag(_, _, pos) => format!("mismatched tag: {}", at(*pos, 2)),
        Error::DuplicatedAttribute(_, pos) => format!("duplicate attribute: {}", at(*pos, 0)),
        Error::UnknownEntityReference(_, pos) => format!("undefined entity: {}", at(*pos, 0)),
        Error::MalformedEntityReference(pos) => {
            format!("reference to invalid character number: {}", at(*pos, 0))
        }
        Error::UnknownNamespace(_, pos) => format!(
            "unbound prefix: line {}, column {}",
            pos.row,
            (pos.col as usize).saturating_sub(2)
        ),
        Error::DtdDetected => {
            let name = config
                .split("<!DOCTYPE")
                .nth(1)
                .and_then(|rest| {
                    rest.split(|c: char| c.is_whitespace() || c == '>' || c == '[')
                        .find(|s| !s.is_empty())
                })
                .unwrap_or("");
            format!("DTDForbidden(name='{name}', system_id=None, public_id=None)")
        }
        Error::NodesLimitReached => format!(
            "Label config is too large: more than {} tags and texts",
            crate::limits::MAX_NODES
        ),
        other => format!("not well-formed (invalid token): {}", at(other.pos(), 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expat_style_messages() {
        assert_eq!(
            parse("<View>").unwrap_err().0,
            "no element found: line 1, column 6"
        );
        let cases = [
            ("<View></Vew>", "mismatched tag: line 1, column 8"),
            (
                "<View><Text name=\"t\" value=\"$t\"></View>",
                "mismatched tag: line 1, column 34",
            ),
            ("junk", "syntax error: line 1, column 0"),
            (
                "<View/>junk",
                "junk after document element: line 1, column 7",
            ),
            (
                "<View/><View/>",
                "junk after document element: line 1, column 7",
            ),
            ("<View>&foo;</View>", "undefined entity: line 1, column 6"),
            (
                "<View a=\"1\" a=\"2\"/>",
                "duplicate attribute: line 1, column 12",
            ),
            (
                "<View><Text name=\"t\" value=\"<\"/></View>",
                "not well-formed (invalid token): line 1, column 28",
            ),
            (
                "<View><Text name=\"t\" value=\"$t\"",
                "unclosed token: line 1, column 6",
            ),
            ("<a:View/>", "unbound prefix: line 1, column 0"),
            (
                "<View>&#0;</View>",
                "reference to invalid character number: line 1, column 6",
            ),
            ("<View>\u{e9}</Vew>", "mismatched tag: line 1, column 9"),
        ];
        for (config, expected) in cases {
            assert_eq!(parse(config).unwrap_err().0, expected, "{config}");
        }
        assert_eq!(
            parse("<!DOCTYPE x><View/>").unwrap_err().0,
            "DTDForbidden(name='x', system_id=None, public_id=None)"
        );
        assert!(parse("<!DOCTYPE x [<!ENTITY a \"b\">]><View/>").is_err());
        assert!(parse("<View><Text name=\"t\" value=\"$t\"/></View>").is_ok());
    }

    #[test]
    fn positions_after_multibyte_characters_and_crlf_do_not_panic() {
        assert_eq!(
            parse("<View/>\u{2039}!--\u{e9}\u{e9}\u{e9}\u{e9}-->x")
                .unwrap_err()
                .0,
            "junk after document element: line 1, column 7"
        );
        assert!(parse("<View>\r\n\u{e9}\u{e9}<\u{e9}</View>").is_err());
        assert_eq!(
            byte_offset("\u{e9}\u{e9}x", roxmltree::TextPos::new(1, 3)),
            Some(4)
        );
        assert_eq!(
            byte_offset("a\r\nb", roxmltree::TextPos::new(2, 2)),
            Some(4)
        );
        assert_eq!(byte_offset("a", roxmltree::TextPos::new(5, 1)), None);
    }
}
