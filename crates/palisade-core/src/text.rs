//! Text for error messages: positions (`file:line:column`) and cause chains.

/// The 1-based line and character column of a byte `offset` in `text`. The offset is clamped
/// to the text and back to a character boundary, so a parser's bad offset can never panic here.
///
/// ```
/// assert_eq!(palisade_core::text::line_col("ab\ncé\nx", 6), (2, 3));
/// // Inside the two bytes of `é`: back to its start.
/// assert_eq!(palisade_core::text::line_col("ab\ncé\nx", 5), (2, 2));
/// assert_eq!(palisade_core::text::line_col("ab", 99), (1, 3));
/// ```
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// An error with its causes, `a: b: c`, skipping a cause whose text the message already
/// holds: HTTP clients name only the outer step (`error sending request`) and keep the reason
/// (`connection refused`, `invalid peer certificate`) in their sources.
///
/// ```
/// let inner = std::io::Error::other("connection refused");
/// let outer = std::io::Error::new(std::io::ErrorKind::Other, inner);
/// assert_eq!(palisade_core::text::error_chain(&outer), "connection refused");
/// ```
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
