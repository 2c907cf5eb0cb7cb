//! The small pages palisade answers with itself: no stack traces, no server banner,
//! nothing an attacker can fingerprint beyond the status.

/// The HTML page for `status`, naming the request id so a user can quote it to support.
pub fn render(status: u16, request_id: &str) -> String {
    let title = match status {
        400 => "Bad request",
        403 => "Forbidden",
        408 => "Request timeout",
        413 => "Request body too large",
        429 => "Too many requests",
        500 => "Internal error",
        502 => "The application is not answering",
        503 => "Service unavailable",
        504 => "The application took too long to answer",
        _ => "Error",
    };
    // request_id is validated ([A-Za-z0-9._:=+/-]) before it gets here, so it is HTML-safe.
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} {title}</title></head>\n\
         <body><h1>{status} {title}</h1><p>Request id: <code>{request_id}</code></p></body></html>\n"
    )
}

/// A page with a message of palisade's own (the report link's answers). `title` and `text`
/// are static strings of ours, never request data.
pub fn render_notice(title: &str, text: &str, request_id: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1><p>{text}</p><p>Request id: <code>{request_id}</code></p></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_name_status_and_id() {
        let page = super::render(502, "abc");
        assert!(page.contains("502 The application is not answering"));
        assert!(page.contains("<code>abc</code>"));
    }
}
