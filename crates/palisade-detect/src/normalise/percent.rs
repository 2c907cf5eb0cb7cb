//! Percent decoding: `%XX`, IIS-style `%uXXXX`, and `+` as space in query strings and forms.

/// Decodes one round of percent escapes from `input` into `out` (cleared first).
///
/// Malformed escapes are kept literally, as servers do. Returns whether anything was decoded,
/// so callers can stop repeating once the value is stable.
pub(crate) fn decode_round(input: &[u8], plus_as_space: bool, out: &mut Vec<u8>) -> bool {
    out.clear();
    out.reserve(input.len());
    let mut changed = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (hex_at(input, i + 1), hex_at(input, i + 2)) {
                out.push(h << 4 | l);
                i += 3;
                changed = true;
                continue;
            }
            if let Some(cp) = unicode_escape(input, i) {
                let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 6;
                changed = true;
                continue;
            }
        } else if b == b'+' && plus_as_space {
            out.push(b' ');
            i += 1;
            changed = true;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed
}

/// Drops every `%` not starting an escape (`%XX`, `%uXXXX`), as IIS/ASP does (`%S%E%L%E%C%T`
/// → `SELECT`), into `out` (cleared first). Only when at least two such `%` occur next to a
/// letter or digit: a single `100% sure` is prose. Returns whether anything was dropped.
pub(crate) fn strip_stray(input: &[u8], out: &mut Vec<u8>) -> bool {
    let stray = |i: usize| {
        input[i] == b'%'
            && !(hex_at(input, i + 1).is_some() && hex_at(input, i + 2).is_some())
            && unicode_escape(input, i).is_none()
    };
    let mut count = 0;
    for i in memchr::memchr_iter(b'%', input) {
        if stray(i) && input.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
            count += 1;
            if count >= 2 {
                break;
            }
        }
    }
    if count < 2 {
        return false;
    }
    out.clear();
    out.reserve(input.len());
    for (i, &b) in input.iter().enumerate() {
        if !stray(i) {
            out.push(b);
        }
    }
    true
}

/// `%uXXXX` starting at `i` (the `%`), as IIS decodes it.
fn unicode_escape(input: &[u8], i: usize) -> Option<u32> {
    if !matches!(input.get(i + 1), Some(b'u' | b'U')) {
        return None;
    }
    let mut cp = 0u32;
    for k in 0..4 {
        cp = cp << 4 | u32::from(hex_at(input, i + 2 + k)?);
    }
    Some(cp)
}

fn hex_at(input: &[u8], i: usize) -> Option<u8> {
    let b = *input.get(i)?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str, plus: bool) -> Vec<u8> {
        let mut out = Vec::new();
        decode_round(s.as_bytes(), plus, &mut out);
        out
    }

    #[test]
    fn decodes_hex_unicode_and_plus() {
        assert_eq!(dec("a%27b", false), b"a'b");
        assert_eq!(dec("%u0027%U003C", false), b"'<");
        assert_eq!(dec("a+b", true), b"a b");
        assert_eq!(dec("a+b", false), b"a+b");
    }

    #[test]
    fn strips_stray_percent_signs_like_iis() {
        let mut out = Vec::new();
        assert!(strip_stray(b"%U%N%I%O%N %S%E%L%E%C%T %27", &mut out));
        assert_eq!(out, b"UNION SELECT %27");
        assert!(!strip_stray(b"100% sure, 50%off", &mut out));
        assert!(!strip_stray(b"%41%42", &mut out));
    }

    #[test]
    fn keeps_malformed_escapes() {
        assert_eq!(dec("100%", false), b"100%");
        assert_eq!(dec("%zz%u12", false), b"%zz%u12");
    }
}
