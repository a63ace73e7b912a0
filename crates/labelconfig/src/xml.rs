//! XML parsing with expat-style error messages (`no element found: line 1, column 6`), because
//! Label Studio reports the Python XML parser's message verbatim. DTDs are refused, as
//! defusedxml does.

use roxmltree::{Document, Error, ParsingOptions};

use crate::ConfigError;

/// Parses `config` (DTD forbidden, nodes limited).
pub fn parse(config: &str) -> Result<Document<'_>, ConfigError> {
    let options = ParsingOptions { allow_dtd: false, nodes_limit: 100_000 };
    Document::parse_with_options(config, options).map_err(|err| ConfigError(message(config, &err)))
}

/// Expat's line (1-based) and column (0-based) of the end of the input.
fn end_position(config: &str) -> (usize, usize) {
    let line = config.matches('\n').count() + 1;
    let column = config.rsplit('\n').next().map_or(0, |last| last.chars().count());
    (line, column)
}

fn message(config: &str, err: &Error) -> String {
    let at = |pos: roxmltree::TextPos| format!("line {}, column {}", pos.row, pos.col.saturating_sub(1));
    match err {
        Error::UnexpectedEndOfStream | Error::UnclosedRootNode => {
            let (line, column) = end_position(config);
            format!("no element found: line {line}, column {column}")
        }
        Error::NoRootNode => {
            if config.trim().is_empty() {
                let (line, column) = end_position(config);
                format!("no element found: line {line}, column {column}")
            } else {
                "syntax error: line 1, column 0".to_string()
            }
        }
        Error::UnexpectedCloseTag(_, _, pos) => format!("mismatched tag: {}", at(*pos)),
        Error::DuplicatedAttribute(_, pos) => format!("duplicate attribute: {}", at(*pos)),
        Error::UnknownEntityReference(_, pos) => format!("undefined entity: {}", at(*pos)),
        Error::DtdDetected => "DTD is forbidden in label configs".to_string(),
        Error::NodesLimitReached => "label config is too large".to_string(),
        other => format!("not well-formed (invalid token): {}", at(other.pos())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expat_style_messages() {
        assert_eq!(parse("<View>").unwrap_err().0, "no element found: line 1, column 6");
        assert!(parse("<View></Viw>").unwrap_err().0.starts_with("mismatched tag: line 1"));
        assert!(parse("<!DOCTYPE x [<!ENTITY a \"b\">]><View/>").is_err());
        assert!(parse("<View><Text name=\"t\" value=\"$t\"/></View>").is_ok());
    }
}
