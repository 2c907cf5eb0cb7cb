//! A tolerant JSON walker: every key and string value with its JSON pointer.
//!
//! Why not `serde_json`: the body is a prefix cut at `body_limit`, so it is often not valid
//! JSON, and an attacker controls nesting. This walker never fails, tracks at most
//! [`MAX_DEPTH`] levels (deeper values are reported at the deepest tracked pointer), caps
//! pointer length, and does one pass: linear in the body whatever its shape.

use std::fmt::Write as _;

/// Nesting levels tracked in pointers.
pub(crate) const MAX_DEPTH: usize = 32;
/// Bytes of one pointer segment kept (longer keys are cut).
const MAX_SEGMENT: usize = 64;
/// Pointer length beyond which no segment is added.
const MAX_POINTER: usize = 512;

#[derive(Debug, Clone, Copy)]
struct Frame {
    array: bool,
    index: usize,
    base: usize,
    expect_key: bool,
}

/// Whether `body` looks like JSON (first non-blank byte `{` or `[`).
pub(crate) fn sniff(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Calls `f(pointer, text)` for each key and string value. Returns the work done.
pub(crate) fn walk(body: &[u8], mut f: impl FnMut(&str, &[u8])) -> u64 {
    let mut stack: Vec<Frame> = Vec::new();
    let mut untracked = 0usize; // levels deeper than MAX_DEPTH
    let mut pointer = String::new();
    let mut text: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'{' | b'[' => {
                enter_value(&stack, &mut pointer);
                if stack.len() < MAX_DEPTH {
                    stack.push(Frame {
                        array: body[i] == b'[',
                        index: 0,
                        base: pointer.len(),
                        expect_key: body[i] == b'{',
                    });
                } else {
                    untracked += 1;
                }
                i += 1;
            }
            b'}' | b']' => {
                if untracked > 0 {
                    untracked -= 1;
                } else if stack.pop().is_some() {
                    let base = stack.last().map_or(0, |f| f.base);
                    truncate_to(&mut pointer, base);
                }
                i += 1;
            }
            b',' => {
                if let Some(top) = stack.last_mut().filter(|_| untracked == 0) {
                    if top.array {
                        top.index += 1;
                    } else {
                        top.expect_key = true;
                    }
                }
                i += 1;
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    top.expect_key = false;
                }
                i += 1;
            }
            b'"' => {
                i = string(body, i + 1, &mut text);
                let is_key =
                    untracked == 0 && stack.last().is_some_and(|t| !t.array && t.expect_key);
                if is_key {
                    let base = stack.last().map_or(0, |f| f.base);
                    truncate_to(&mut pointer, base);
                    if pointer.len() < MAX_POINTER {
                        push_segment(&mut pointer, &text);
                    }
                } else if untracked == 0 {
                    enter_value(&stack, &mut pointer);
                }
                f(&pointer, &text);
            }
            _ => i += 1,
        }
    }
    body.len() as u64
}

/// Before a value inside an array, point at its index.
fn enter_value(stack: &[Frame], pointer: &mut String) {
    if let Some(top) = stack.last().filter(|t| t.array) {
        truncate_to(pointer, top.base);
        if pointer.len() < MAX_POINTER {
            // Formatted in place: `to_string` would allocate for every array element.
            let _ = write!(pointer, "/{}", top.index);
        }
    }
}

fn truncate_to(pointer: &mut String, len: usize) {
    if len <= pointer.len() {
        pointer.truncate(len);
    }
}

/// Appends `/key`, escaped as RFC 6901 says and cut to [`MAX_SEGMENT`] bytes.
fn push_segment(pointer: &mut String, key: &[u8]) {
    pointer.push('/');
    let key = String::from_utf8_lossy(&key[..key.len().min(MAX_SEGMENT)]);
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            _ => pointer.push(c),
        }
    }
}

/// Unescapes the string starting after its opening quote into `out`; returns the index after
/// the closing quote (or the end of the body).
fn string(body: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
    out.clear();
    while i < body.len() {
        let Some(off) = memchr::memchr2(b'"', b'\\', &body[i..]) else {
            out.extend_from_slice(&body[i..]);
            return body.len();
        };
        out.extend_from_slice(&body[i..i + off]);
        i += off;
        if body[i] == b'"' {
            return i + 1;
        }
        let Some(&esc) = body.get(i + 1) else {
            return body.len();
        };
        i += 2;
        let c = match esc {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let (c, used) = unicode(&body[i..]);
                i += used;
                c
            }
            other => other as char,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    body.len()
}

/// `XXXX` after `\u`, joining a surrogate pair; returns the char and bytes used.
fn unicode(b: &[u8]) -> (char, usize) {
    let hex4 = |s: &[u8]| -> Option<u32> {
        let s = std::str::from_utf8(s.get(..4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let Some(hi) = hex4(b) else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    let surrogate_pair = (0xD800..0xDC00).contains(&hi) && b.get(4..6) == Some(b"\\u");
    let low = hex4(b.get(6..).unwrap_or_default())
        .filter(|lo| surrogate_pair && (0xDC00..0xE000).contains(lo));
    if let Some(lo) = low {
        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return (
            char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER),
            10,
        );
    }
    (char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER), 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(body: &str) -> Vec<(String, String)> {
        let mut got = Vec::new();
        walk(body.as_bytes(), |p, t| {
            got.push((p.to_owned(), String::from_utf8_lossy(t).into_owned()))
        });
        got
    }

    #[test]
    fn pointers_for_keys_and_values() {
        let got = all(r#"{"a":{"b":["x",1,{"c/d":"y\u0027"}]},"e":"z"}"#);
        let want = [
            ("/a", "a"),
            ("/a/b", "b"),
            ("/a/b/0", "x"),
            ("/a/b/2/c~1d", "c/d"),
            ("/a/b/2/c~1d", "y'"),
            ("/e", "e"),
            ("/e", "z"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn truncated_and_deep_input_is_tolerated() {
        assert_eq!(
            all(r#"{"a":"unterminated"#),
            [
                ("/a".into(), "a".into()),
                ("/a".into(), "unterminated".into())
            ]
        );
        let deep = format!("{}\"v\"{}", "[".repeat(100), "]".repeat(100));
        let got = all(&deep);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "/0".repeat(MAX_DEPTH));
    }
}
