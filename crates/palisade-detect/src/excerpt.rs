//! Excerpts: at most 64 characters of the normalised value around a match, control characters
//! escaped; secrets (cookies, credentials) reduced to the matched part with long tokens cut.

use std::ops::Range;

/// Characters an excerpt holds at most.
pub const MAX_EXCERPT: usize = 64;

/// Tokens longer than this in a secret-bearing location are cut to their first 4 characters.
const LONG_TOKEN: usize = 16;

/// The excerpt of `text` around `range`; `secret` keeps only the matched part, redacted.
pub(crate) fn excerpt(text: &str, range: Range<usize>, secret: bool) -> String {
    let start = floor(text, range.start.min(text.len()));
    let end = ceil(text, range.end.min(text.len()).max(start));
    let (from, to) = if secret {
        (start, end)
    } else {
        // Context on both sides, up to MAX_EXCERPT chars in all (counted in chars).
        let matched = text[start..end].chars().count();
        let room = MAX_EXCERPT.saturating_sub(matched);
        let before = text[..start]
            .char_indices()
            .rev()
            .take(room / 2)
            .last()
            .map_or(start, |(i, _)| i);
        let used_before = text[before..start].chars().count();
        let after_room = room - used_before;
        let after = text[end..]
            .char_indices()
            .nth(after_room)
            .map_or(text.len(), |(i, _)| end + i);
        (before, after)
    };
    let slice = &text[from..to];
    let mut out = String::with_capacity(slice.len().min(MAX_EXCERPT * 2));
    let mut chars = 0;
    let mut push = |s: &str, out: &mut String| {
        for c in s.chars() {
            let escaped;
            let piece = match c {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if c.is_control() => {
                    escaped = format!("\\x{:02x}", c as u32);
                    &escaped
                }
                c => {
                    escaped = c.to_string();
                    &escaped
                }
            };
            let n = piece.chars().count();
            if chars + n > MAX_EXCERPT {
                return;
            }
            chars += n;
            out.push_str(piece);
        }
    };
    if secret {
        let mut token = String::new();
        let mut flush = |token: &mut String, out: &mut String| {
            if token.chars().count() > LONG_TOKEN {
                let head: String = token.chars().take(4).collect();
                push(&head, out);
                push("…", out);
            } else {
                push(token, out);
            }
            token.clear();
        };
        for c in slice.chars() {
            if is_separator(c) {
                flush(&mut token, &mut out);
                let mut b = [0u8; 4];
                token.push_str(c.encode_utf8(&mut b));
                flush(&mut token, &mut out);
            } else {
                token.push(c);
            }
        }
        flush(&mut token, &mut out);
    } else {
        push(slice, &mut out);
    }
    out
}

fn is_separator(c: char) -> bool {
    !(c.is_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.' | '%'))
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_escaped() {
        let text = format!("{}<script>\n{}", "a".repeat(100), "b".repeat(100));
        let start = 100;
        let e = excerpt(&text, start..start + 8, false);
        assert!(e.chars().count() <= MAX_EXCERPT, "{e}");
        assert!(e.contains("<script>\\n"), "{e}");
    }

    #[test]
    fn secrets_keep_only_the_match_with_long_tokens_cut() {
        let text = "abcdefghijklmnopqrstuvwxyz' or 1=1";
        assert_eq!(excerpt(text, 0..text.len(), true), "abcd…' or 1=1");
    }

    #[test]
    fn handles_multibyte_boundaries() {
        let text = "ééééé<x>ééééé";
        let e = excerpt(text, 3..12, false);
        assert!(e.contains("<x>"));
    }
}
