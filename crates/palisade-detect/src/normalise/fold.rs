//! The folded form rules match on: lower case, `\` → `/`, comments → space, fullwidth forms →
//! ASCII, control characters dropped, whitespace runs → one space, trimmed.

/// Appends the folded form of `input` to `out`.
pub(crate) fn fold(input: &str, out: &mut String) {
    out.reserve(input.len());
    let bytes = input.as_bytes();
    // Inside a MySQL `/*! … */` comment the content is code, so only its markers go.
    let mut exec_comment = false;
    let mut pending_space = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            if bytes.get(i + 2) == Some(&b'!') {
                exec_comment = true;
                i += 3;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                pending_space = true;
                continue;
            }
            if let Some(end) = memchr::memmem::find(&bytes[i + 2..], b"*/") {
                i += 2 + end + 2;
                pending_space = true;
                continue;
            }
        }
        if exec_comment && b == b'*' && bytes.get(i + 1) == Some(&b'/') {
            exec_comment = false;
            i += 2;
            pending_space = true;
            continue;
        }
        if is_plain(b) {
            // A run of printable ASCII that needs no rule but lower-casing: copied at once
            // rather than char by char (most of every value is such runs).
            let end = bytes[i..]
                .iter()
                .position(|&c| !is_plain(c))
                .map_or(bytes.len(), |p| i + p);
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            let start = out.len();
            out.push_str(&input[i..end]);
            out[start..].make_ascii_lowercase();
            i = end;
            continue;
        }
        if b < 0x80 {
            i += 1;
            let c = match b {
                b'\\' => '/',
                b'A'..=b'Z' => (b + 32) as char,
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    pending_space = true;
                    continue;
                }
                0..=0x1f | 0x7f => continue,
                _ => b as char,
            };
            push(out, c, &mut pending_space);
            continue;
        }
        // Non-ASCII: decode one char (input is a str, so this is a char boundary).
        let c = input[i..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        i += c.len_utf8();
        match c {
            '\u{a0}'
            | '\u{2000}'..='\u{200b}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{3000}'
            | '\u{feff}' => pending_space = true,
            // Fullwidth ASCII (`．．／`) reaches many backends as plain ASCII.
            '\u{ff01}'..='\u{ff5e}' => {
                let a = char::from_u32(c as u32 - 0xfee0).unwrap_or(c);
                let a = if a == '\\' {
                    '/'
                } else {
                    a.to_ascii_lowercase()
                };
                push(out, a, &mut pending_space);
            }
            '\u{2215}' | '\u{2044}' => push(out, '/', &mut pending_space),
            _ => {
                for l in c.to_lowercase() {
                    push(out, l, &mut pending_space);
                }
            }
        }
    }
}

/// Printable ASCII other than the bytes that start a comment or its end (`/`, `*`) or are
/// rewritten (`\\`): folding only lower-cases it.
fn is_plain(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'/' | b'*' | b'\\')
}

fn push(out: &mut String, c: char, pending_space: &mut bool) {
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    out.push(c);
}

/// Collapses `//` and `/./` in a (folded) path, in place semantics: appends to `out`.
/// `..` is kept: resolving it would hide the traversal we look for.
pub(crate) fn collapse_path(path: &str, out: &mut String) {
    out.reserve(path.len());
    for seg in path.split('/') {
        if seg.is_empty() || seg == "." {
            continue;
        }
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || path.ends_with('/') {
        out.push('/');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        let mut out = String::new();
        fold(s, &mut out);
        out
    }

    #[test]
    fn folds_case_space_and_comments() {
        assert_eq!(f("  UNION/**/SeLeCt\t\n 1 "), "union select 1");
        assert_eq!(f("/*!50000UNION*/ SELECT"), "union select");
        assert_eq!(f("a\\b"), "a/b");
        assert_eq!(f("ＳＥＬＥＣＴ．．／"), "select../");
        assert_eq!(f("a\u{1}b"), "ab");
        assert_eq!(f("/* open"), "/* open");
    }

    #[test]
    fn collapses_paths() {
        let c = |s: &str| {
            let mut o = String::new();
            collapse_path(s, &mut o);
            o
        };
        assert_eq!(c("//a/./b//c/"), "/a/b/c/");
        assert_eq!(c("/a/../b"), "/a/../b");
        assert_eq!(c(""), "/");
    }
}
