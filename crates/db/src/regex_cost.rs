//! How much work a Data Manager regular expression may cost per row.
//!
//! Counted repetitions multiply: `(a{1,100}){1,100}` is ten thousand positions, and matching it
//! against 10 KB of text took 1.7 s in Rust's engine (SQLite's `REGEXP`, which cannot be
//! interrupted inside one call) and tens of seconds in PostgreSQL's. The cost of a pattern is
//! measured on its syntax tree as the positions it expands to, and patterns above
//! [`MAX_POSITIONS`] are refused before any query runs.

use regex_syntax::hir::{Hir, HirKind};

/// Most positions a pattern may expand to: per-row matching stays within milliseconds per
/// 10 KB of text.
pub const MAX_POSITIONS: u64 = 1_000;

/// Whether `pattern` expands to more than [`MAX_POSITIONS`]; `None` when it does not parse
/// (such a pattern matches nothing, as in Label Studio).
pub fn too_complex(pattern: &str) -> Option<bool> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    Some(positions(&hir) > MAX_POSITIONS)
}

/// Positions `hir` expands to: one per literal character or class, a repetition's body times
/// its upper bound (its lower bound plus one when unbounded). Saturating, so huge counts stay
/// huge.
fn positions(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(literal) => String::from_utf8_lossy(&literal.0).chars().count() as u64,
        HirKind::Class(_) => 1,
        HirKind::Repetition(repetition) => {
            let times = repetition
                .max
                .map_or(u64::from(repetition.min) + 1, u64::from)
                .max(1);
            positions(&repetition.sub).saturating_mul(times)
        }
        HirKind::Capture(capture) => positions(&capture.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().map(positions).fold(0, u64::saturating_add)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_counted_repetitions_are_too_complex() {
        assert_eq!(
            too_complex("(a{1,100}){1,100}(b{1,100}){1,100}"),
            Some(true)
        );
        assert_eq!(too_complex("[a-z]{1,5000}"), Some(true));
        assert_eq!(
            too_complex("((aaaaaaaaaa){1,10}){1,100}"),
            Some(true),
            "a literal counts each character"
        );
        assert_eq!(too_complex("(abcdefghij){1,100}"), Some(false));
        for everyday in [
            r"^[A-Z][a-z]+ \d{1,4}$",
            r"\w+@\w+\.com",
            r"(?i)hello|world",
            r".{0,200}x",
            r"\w{2,30}",
            r"^.*(foo|bar).*$",
        ] {
            assert_eq!(too_complex(everyday), Some(false), "{everyday}");
        }
        assert_eq!(too_complex("(unclosed"), None);
    }
}
