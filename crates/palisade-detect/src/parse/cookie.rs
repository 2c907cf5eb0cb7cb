//! The `Cookie` header: `name=value; name2=value2`.

/// Calls `f(name, value)` for each cookie, trimmed; a value's surrounding quotes are removed.
pub(crate) fn cookies<'a>(header: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) {
    for part in header.split(|&b| b == b';') {
        let part = part.trim_ascii();
        if part.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', part) {
            Some(eq) => (part[..eq].trim_ascii(), part[eq + 1..].trim_ascii()),
            None => (&b""[..], part),
        };
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        f(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cookies() {
        let mut got = Vec::new();
        cookies(b" a=1; b = \"x y\" ;;flag", |n, v| {
            got.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        });
        assert_eq!(
            got,
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("".into(), "flag".into())
            ]
        );
    }
}
