//! NLTK's Treebank word tokenizer (`TreebankWordTokenizer.span_tokenize`) with the punctuation
//! rules Label Studio's converter installs (`/` split off as well), so CoNLL tokens fall exactly
//! where Label Studio's do. The rules are NLTK's regular expressions, run by the linear-time
//! `regex` crate: NLTK's three lookaheads are written without them (Python's `$`, the end or
//! before a final newline, as a captured `(\n?)\z`; `(?=\s)` as a captured whitespace put back).

use std::sync::OnceLock;

use regex::Regex;

/// A rule: pattern and replacement (`${n}` for groups).
type Rule = (Regex, &'static str);

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the rules compile")
}

fn rules() -> &'static [Vec<Rule>; 3] {
    static RULES: OnceLock<[Vec<Rule>; 3]> = OnceLock::new();
    RULES.get_or_init(|| {
        let compile = |list: &[(&str, &'static str)]| -> Vec<Rule> {
            list.iter()
                .map(|(pattern, with)| (compile(pattern), *with))
                .collect()
        };
        [
            // Before the text is padded with spaces: starting quotes, punctuation, brackets,
            // double dashes.
            compile(&[
                (r#"^""#, "``"),
                (r"(``)", " ${1} "),
                (r#"([ (\[{<])("|'{2})"#, "${1} `` "),
                (r"([:,])([^\d])", " ${1} ${2}"),
                (r"([:,])(\n?)\z", " ${1} ${2}"),
                (r"\.\.\.", " ... "),
                (r"[;@#$/%&]", " ${0} "),
                (r#"([^.])(\.)([\])}>"']*)\s*\z"#, "${1} ${2}${3} "),
                (r"[?!]", " ${0} "),
                (r"([^'])' ", "${1} ' "),
                (r"[\]\[(){}<>]", " ${0} "),
                (r"--", " -- "),
            ]),
            // After padding: ending quotes.
            compile(&[
                (r"''", " '' "),
                (r#"""#, " '' "),
                (r"([^' ])('[sS]|'[mM]|'[dD]|') ", "${1} ${2} "),
                (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "${1} ${2} "),
            ]),
            // Contractions.
            compile(&[
                (r"(?i)\b(can)(not)\b", " ${1} ${2} "),
                (r"(?i)\b(d)('ye)\b", " ${1} ${2} "),
                (r"(?i)\b(gim)(me)\b", " ${1} ${2} "),
                (r"(?i)\b(gon)(na)\b", " ${1} ${2} "),
                (r"(?i)\b(got)(ta)\b", " ${1} ${2} "),
                (r"(?i)\b(lem)(me)\b", " ${1} ${2} "),
                (r"(?i)\b(more)('n)\b", " ${1} ${2} "),
                (r"(?i)\b(wan)(na)(\s)", " ${1} ${2} ${3}"),
                (r"(?i) ('t)(is)\b", " ${1} ${2} "),
                (r"(?i) ('t)(was)\b", " ${1} ${2} "),
            ]),
        ]
    })
}

fn apply(rules: &[Rule], mut text: String) -> String {
    for (pattern, with) in rules {
        text = pattern.replace_all(&text, *with).into_owned();
    }
    text
}

/// `TreebankWordTokenizer().tokenize(text)`.
pub fn tokenize(text: &str) -> Vec<String> {
    let [before, ending, contractions] = rules();
    let text = apply(before, text.to_string());
    let text = apply(ending, format!(" {text} "));
    let text = apply(contractions, text);
    text.split_whitespace().map(str::to_string).collect()
}

/// The tokens of `text` with their start offsets in characters (`span_tokenize`); tokens stop
/// where one cannot be found in the text (where NLTK would raise).
pub fn span_tokenize(text: &str) -> Vec<(String, usize)> {
    let mut tokens = tokenize(text);
    if text.contains('"') || text.contains("''") {
        // Quotes the tokenizer rewrote are put back as they were written.
        static QUOTES: OnceLock<Regex> = OnceLock::new();
        let quotes = QUOTES.get_or_init(|| compile(r#"``|'{2}|""#));
        let mut originals = quotes.find_iter(text).map(|m| m.as_str().to_string());
        for token in &mut tokens {
            if matches!(token.as_str(), "\"" | "``" | "''") {
                if let Some(original) = originals.next() {
                    *token = original;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(tokens.len());
    let (mut byte_point, mut char_point) = (0usize, 0usize);
    for token in tokens {
        let Some(found) = text[byte_point..].find(&token) else {
            break;
        };
        let start_byte = byte_point + found;
        let start = char_point + text[byte_point..start_byte].chars().count();
        byte_point = start_byte + token.len();
        char_point = start + token.chars().count();
        out.push((token, start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_as_nltk() {
        let s = "Good muffins cost $3.88\nin New (York).  Please (buy) me\ntwo of them.\n(Thanks).";
        let starts: Vec<usize> = span_tokenize(s).iter().map(|(_, start)| *start).collect();
        assert_eq!(
            starts,
            [
                0, 5, 13, 18, 19, 24, 27, 31, 32, 36, 37, 40, 47, 48, 51, 53, 56, 60, 63, 69, 70,
                76, 77
            ]
        );
        assert_eq!(
            tokenize("They'll save and/or invest more, can't they?"),
            [
                "They", "'ll", "save", "and", "/", "or", "invest", "more", ",", "ca", "n't",
                "they", "?"
            ]
        );
        let quoted: Vec<String> = span_tokenize("He said \"hi\" ''twice''")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            quoted,
            ["He", "said", "\"", "hi", "\"", "''", "twice", "''"]
        );
    }

    #[test]
    fn long_texts_tokenize() {
        let text = "word, another: word. ".repeat(100_000) + "end.";
        let tokens = span_tokenize(&text);
        assert_eq!(tokens.len(), 500_002);
        assert_eq!(tokens.last().unwrap().0, ".");
    }
}
