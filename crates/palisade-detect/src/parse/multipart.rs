//! `multipart/form-data`: field names, filenames and the text parts.

use memchr::memmem;

/// One part of a multipart body.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// The `name` of its Content-Disposition.
    pub name: &'a [u8],
    /// The `filename`, when present.
    pub filename: Option<&'a [u8]>,
    /// The content, when it is text (no content type, `text/*`, JSON, XML, forms).
    pub text: Option<&'a [u8]>,
}

/// The `boundary` parameter of a Content-Type value.
pub(crate) fn boundary(content_type: &[u8]) -> Option<&[u8]> {
    param(content_type, b"boundary").filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Calls `f` for each part. Returns the work done.
pub(crate) fn parts<'a>(body: &'a [u8], boundary: &[u8], mut f: impl FnMut(Part<'a>)) -> u64 {
    let mut delim = Vec::with_capacity(boundary.len() + 2);
    delim.extend_from_slice(b"--");
    delim.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&delim);
    let mut starts = finder.find_iter(body).peekable();
    while let Some(start) = starts.next() {
        let from = start + delim.len();
        let to = starts.peek().copied().unwrap_or(body.len());
        let part = &body[from..to];
        if part.starts_with(b"--") {
            break;
        }
        if let Some(p) = parse_part(part) {
            f(p);
        }
    }
    body.len() as u64
}

fn parse_part(part: &[u8]) -> Option<Part<'_>> {
    let (head, content) = match memmem::find(part, b"\r\n\r\n") {
        Some(i) => (&part[..i], &part[i + 4..]),
        None => match memmem::find(part, b"\n\n") {
            Some(i) => (&part[..i], &part[i + 2..]),
            None => (part, &b""[..]),
        },
    };
    let content = content
        .strip_suffix(b"\r\n")
        .or_else(|| content.strip_suffix(b"\n"))
        .unwrap_or(content);
    let mut name: &[u8] = b"";
    let mut filename = None;
    let mut textual = true;
    for line in head.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let (hname, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if hname.eq_ignore_ascii_case(b"content-disposition") {
            name = param(value, b"name").unwrap_or(b"");
            filename = param(value, b"filename");
        } else if hname.eq_ignore_ascii_case(b"content-type") {
            textual = is_text_type(value);
        }
    }
    let sample = &content[..content.len().min(512)];
    // A file claiming another type whose start holds a server-side script tag (a webshell
    // uploaded as an image) is inspected too.
    let head = &content[..content.len().min(4096)];
    let script = filename.is_some()
        && (memmem::find(head, b"<?").is_some() || memmem::find(head, b"<%").is_some());
    let text = ((textual || script) && memchr::memchr(0, sample).is_none()).then_some(content);
    Some(Part {
        name,
        filename,
        text,
    })
}

/// Whether a media type carries text worth inspecting.
pub(crate) fn is_text_type(ct: &[u8]) -> bool {
    let ct = ct.trim_ascii();
    let starts = |p: &[u8]| ct.len() >= p.len() && ct[..p.len()].eq_ignore_ascii_case(p);
    starts(b"text/")
        || starts(b"application/json")
        || starts(b"application/xml")
        || starts(b"application/x-www-form-urlencoded")
        || memmem::find(ct, b"+json").is_some()
        || memmem::find(ct, b"+xml").is_some()
}

/// A `key=value` or `key="value"` parameter of a header value (`; `-separated).
fn param<'a>(value: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    for piece in value.split(|&b| b == b';').skip(1) {
        let piece = piece.trim_ascii();
        let Some(eq) = memchr::memchr(b'=', piece) else {
            continue;
        };
        if piece[..eq].trim_ascii().eq_ignore_ascii_case(key) {
            let v = piece[eq + 1..].trim_ascii();
            return Some(
                v.strip_prefix(b"\"")
                    .map_or(v, |v| v.strip_suffix(b"\"").unwrap_or(v)),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\0\r\n--XyZ--\r\n";
        let b = boundary(b"multipart/form-data; boundary=XyZ").unwrap();
        let mut got = Vec::new();
        parts(body, b, |p| {
            got.push((
                p.name.to_vec(),
                p.filename.map(<[u8]>::to_vec),
                p.text.map(<[u8]>::to_vec),
            ))
        });
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (b"title".to_vec(), None, Some(b"hello".to_vec())));
        assert_eq!(got[1], (b"up".to_vec(), Some(b"a.png".to_vec()), None));
    }
}
