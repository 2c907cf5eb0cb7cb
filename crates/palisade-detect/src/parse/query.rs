//! `name=value&…` pairs: query strings and `application/x-www-form-urlencoded` bodies.

/// Calls `f(name, value)` for each pair, still encoded. A pair without `=` has an empty value.
pub(crate) fn pairs<'a>(input: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) {
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        match memchr::memchr(b'=', pair) {
            Some(eq) => f(&pair[..eq], &pair[eq + 1..]),
            None => f(pair, b""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pairs() {
        let mut got = Vec::new();
        pairs(b"a=1&&b&c=x=y&=z", |n, v| {
            got.push((n.to_vec(), v.to_vec()))
        });
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"".to_vec()),
            (b"c".to_vec(), b"x=y".to_vec()),
            (b"".to_vec(), b"z".to_vec()),
        ];
        assert_eq!(got, want);
    }
}
