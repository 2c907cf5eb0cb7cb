//! Lenient UTF-8: overlong forms decode to what a careless decoder would see (`%c0%af` → `/`),
//! NUL bytes are dropped, anything else invalid becomes U+FFFD.

/// Appends `bytes` to `out` as text.
pub(crate) fn decode_lenient(mut bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                push_without_nul(s, out);
                return;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                // `valid_up_to` guarantees this prefix is valid UTF-8.
                push_without_nul(std::str::from_utf8(good).unwrap_or_default(), out);
                let (c, used) = overlong(rest).unwrap_or((char::REPLACEMENT_CHARACTER, 1));
                if c != '\0' {
                    out.push(c);
                }
                bytes = &rest[used.max(1)..];
            }
        }
    }
}

fn push_without_nul(s: &str, out: &mut String) {
    if memchr::memchr(0, s.as_bytes()).is_none() {
        out.push_str(s);
    } else {
        out.extend(s.chars().filter(|&c| c != '\0'));
    }
}

/// An overlong (non-shortest) encoding at the start of `b`: the character and its length.
fn overlong(b: &[u8]) -> Option<(char, usize)> {
    let cont = |i: usize| {
        b.get(i)
            .filter(|&&x| x & 0xC0 == 0x80)
            .map(|&x| u32::from(x & 0x3F))
    };
    let lead = *b.first()?;
    let cp = match lead {
        0xC0 | 0xC1 => Some((u32::from(lead & 0x1F) << 6 | cont(1)?, 2)),
        0xE0 => Some((u32::from(lead & 0x0F) << 12 | cont(1)? << 6 | cont(2)?, 3)),
        0xF0 => Some((cont(1)? << 12 | cont(2)? << 6 | cont(3)?, 4)),
        _ => None,
    }?;
    Some((char::from_u32(cp.0)?, cp.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(b: &[u8]) -> String {
        let mut s = String::new();
        decode_lenient(b, &mut s);
        s
    }

    #[test]
    fn overlong_forms_decode() {
        assert_eq!(dec(b"..\xc0\xaf"), "../");
        assert_eq!(dec(b"\xc0\xae\xc0\xae/"), "../");
        assert_eq!(dec(b"\xe0\x80\xaf"), "/");
        assert_eq!(dec(b"\xc1\x9c"), "\\");
    }

    #[test]
    fn nul_dropped_and_invalid_replaced() {
        assert_eq!(dec(b"a\0b"), "ab");
        assert_eq!(dec(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(dec("héllo".as_bytes()), "héllo");
    }
}
