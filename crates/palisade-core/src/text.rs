//! Positions in text, for errors that say `file:line:column`.

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
