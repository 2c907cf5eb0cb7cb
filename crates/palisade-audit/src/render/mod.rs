//! Reports rendered for people and machines. Pure: each renderer returns a `String`; the caller
//! prints it or writes it to a file.
//!
//! - [`table`]: the terminal report, with ANSI colours when asked;
//! - [`json`]: the stable machine format (`schema_version` 1, documented in
//!   `docs/audit-json.md`, JSON Schema in `docs/audit-report.schema.json`);
//! - [`sarif`]: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers;
//! - [`markdown`]: a pull-request comment.
//!
//! # Security
//!
//! Advisory text and package names come from third parties (advisory databases, the audited
//! repository). The terminal renderer strips control characters, so an advisory cannot send
//! escape sequences to the terminal; the Markdown renderer escapes HTML and Markdown syntax and
//! defuses `@mentions`, so a summary cannot inject markup or ping people in a pull request;
//! the JSON and SARIF renderers rely on JSON string escaping, and only emit `http(s)` URLs
//! without quotes or spaces as links.

mod json_impl;
mod markdown_impl;
mod sarif_impl;
mod table_impl;

pub use json_impl::{SCHEMA_VERSION, json};
pub use markdown_impl::markdown;
pub use sarif_impl::sarif;
pub use table_impl::{Color, table};

use palisade_advisory::Severity;

/// The name a severity is shown under; `unknown` when the advisory has none.
pub(crate) fn severity_name(severity: Option<Severity>) -> &'static str {
    severity.map_or("unknown", Severity::as_str)
}

/// Text from a third party made safe for one line of a terminal or table: control characters
/// (escape sequences, carriage returns, Unicode bidirectional overrides) become spaces, runs
/// of whitespace one space.
pub(crate) fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A dependency path for display: `app@1.0.0 > debug@2.6.9 > ms@2.0.0`.
pub(crate) fn path_text(path: &[String]) -> String {
    one_line(&path.join(" > "))
}

/// ` (until DATE)` for an ignore that expires, else nothing: how table and Markdown say it.
pub(crate) fn until(ignore: &crate::Ignore) -> String {
    ignore
        .expires
        .map(|d| format!(" (until {d})"))
        .unwrap_or_default()
}
