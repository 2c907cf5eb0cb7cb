//! Request paths as an app is likely to understand them, for choosing a path override.
//!
//! A stricter policy under `/admin` must not be dodged by `/Admin`, `//admin`,
//! `/%61dmin`, `/x/../admin` or `/admin;jsessionid=x`: Express routes case-insensitively
//! by default, most frameworks decode and normalise the path before routing, and
//! servlet containers drop `;` path parameters. An encoded slash (`%2F`) or backslash
//! (`%5C`) stays data, as it does for most routers, so it cannot be used to climb out
//! of one prefix into another.
//!
//! Normalising cuts both ways: it also widens a *looser* override (say `/embed` with
//! framing allowed) to the spellings an app routes there, which is what the app does.

/// Splits on `/`, percent-decodes each segment once (but not `%2F`/`%5C`), drops
/// `;` parameters, resolves `.`, `..` and empty segments and lowercases ASCII.
/// Linear in the path's length.
pub(crate) fn normalize(path: &str) -> String {
    let decoded: Vec<Vec<u8>> = path
        .as_bytes()
        .split(|&b| b == b'/')
        .map(|seg| {
            let seg = seg.split(|&b| b == b';').next().unwrap_or_default();
            percent_decode(seg)
        })
        .collect();
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in &decoded {
        match seg.as_slice() {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for seg in &segments {
        out.push('/');
        out.push_str(&String::from_utf8_lossy(seg).to_ascii_lowercase());
    }
    // Keep a trailing slash: `/admin/` still means the directory.
    if out.is_empty() || path.ends_with('/') {
        out.push('/');
    }
    out
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
            && !matches!(h << 4 | l, b'/' | b'\\')
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn evasions_normalise_to_the_same_path() {
        for p in [
            "/admin",
            "/Admin",
            "//admin",
            "/%61dmin",
            "/x/../admin",
            "/./admin",
            "/ADMIN/",
            "/admin;jsessionid=1",
        ] {
            let n = normalize(p);
            assert!(n == "/admin" || n == "/admin/", "{p} -> {n}");
        }
    }

    #[test]
    fn encoded_separators_stay_data() {
        // `..%2f` is not a parent step: it cannot climb from /admin into /embed.
        assert_eq!(
            normalize("/admin/..%2f..%2fembed"),
            "/admin/..%2f..%2fembed"
        );
        assert_eq!(normalize("/a%5Cb"), "/a%5cb");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("/../../etc"), "/etc");
        assert_eq!(normalize("/a/b/"), "/a/b/");
        assert_eq!(normalize("/%"), "/%");
        assert_eq!(normalize("/a;b/c;d"), "/a/c");
        assert_eq!(normalize("/%4"), "/%4");
        assert_eq!(normalize("/%zz"), "/%zz");
        assert_eq!(normalize("/caf%C3%A9"), "/café");
    }
}
