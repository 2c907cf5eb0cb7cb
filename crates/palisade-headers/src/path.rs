//! Request paths as an app is likely to understand them, for choosing a path override.
//!
//! A stricter policy under `/admin` must not be dodged by `/Admin`, `//admin`,
//! `/%61dmin` or `/x/../admin`: Express routes case-insensitively by default, and most
//! frameworks decode and normalise the path before routing. Matching the normalised,
//! lowercased form errs towards applying an override, never towards skipping it.

/// Percent-decodes once, collapses repeated slashes, resolves `.` and `..` segments
/// and lowercases ASCII. Linear in the path's length.
pub(crate) fn normalize(path: &str) -> String {
    let decoded = percent_decode(path.as_bytes());
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in decoded.split(|&b| b == b'/') {
        match seg {
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
    if out.is_empty() || decoded.ends_with(b"/") {
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
            "/ADMIN%2f",
        ] {
            let n = normalize(p);
            assert!(n == "/admin" || n == "/admin/", "{p} -> {n}");
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(normalize(""), "/");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("/../../etc"), "/etc");
        assert_eq!(normalize("/a/b/"), "/a/b/");
        assert_eq!(normalize("/%"), "/%");
        assert_eq!(normalize("/%4"), "/%4");
        assert_eq!(normalize("/%zz"), "/%zz");
        assert_eq!(normalize("/caf%C3%A9"), "/café");
    }
}
