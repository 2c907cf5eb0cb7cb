//! The `_bulk` API's wire format, with no I/O: the NDJSON request, and what each item of the
//! answer means for delivery.
//!
//! ```text
//! {"create":{"_index":"palisade-events","_id":"0190…"}}
//! {"@timestamp":"2026-01-01T00:00:00.000Z","message":"…","event":{…},…}
//! ```
//!
//! `create` with `_id` = the event id makes delivery idempotent: a batch retried after a lost
//! answer gets `409` for what was stored the first time, which counts as delivered.

use serde::Deserialize;
use serde_json::Value;

/// One document, ready to be sent.
pub(crate) struct Doc {
    /// The event (or alert) id, used as `_id`.
    pub id: String,
    /// The action line and the document line, both ending in `\n`.
    pub lines: String,
}

impl Doc {
    pub fn new(id: String, index: &str, source: &str) -> Doc {
        let action = serde_json::json!({ "create": { "_index": index, "_id": id } });
        let mut lines = String::with_capacity(source.len() + 96);
        lines.push_str(&action.to_string());
        lines.push('\n');
        lines.push_str(source);
        lines.push('\n');
        Doc { id, lines }
    }
}

/// What happened to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// Stored now (201) or before (409 on `create`).
    Stored,
    /// Worth another try (429, 5xx): the reason.
    Retry(String),
    /// The index or data stream is missing and could not be created (404): install the
    /// template again, then retry.
    MissingIndex(String),
    /// Refused for good (a mapping conflict, a malformed document): the reason.
    Refused(String),
}

#[derive(Deserialize)]
struct Response {
    items: Vec<std::collections::HashMap<String, ItemResult>>,
}

#[derive(Deserialize)]
struct ItemResult {
    status: u16,
    #[serde(default)]
    error: Option<Value>,
}

/// Reads a `_bulk` answer for `sent` documents, in order. Fails when the body is not a bulk
/// answer or does not have one item per document (then nobody knows what was stored, and
/// retrying is safe thanks to `create`).
pub(crate) fn parse_response(body: &[u8], sent: usize) -> Result<Vec<Item>, String> {
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        let start: String = String::from_utf8_lossy(body).chars().take(120).collect();
        format!("unreadable bulk response ({e}): {}", start.trim())
    })?;
    if response.items.len() != sent {
        return Err(format!(
            "bulk response has {} items for {sent} documents",
            response.items.len()
        ));
    }
    Ok(response
        .items
        .into_iter()
        .map(|item| {
            let Some(result) = item.into_values().next() else {
                return Item::Retry("empty bulk item".into());
            };
            classify(result.status, result.error.as_ref())
        })
        .collect())
}

fn classify(status: u16, error: Option<&Value>) -> Item {
    let reason = || format!("HTTP {status} {}", describe(error));
    match status {
        200..=299 | 409 => Item::Stored,
        404 => Item::MissingIndex(reason()),
        408 | 429 | 500..=599 => Item::Retry(reason()),
        _ => Item::Refused(reason()),
    }
}

/// `type: reason` from an item's `error` (an object in Elasticsearch and OpenSearch, a string
/// in old versions), cut to a log-friendly length.
pub(crate) fn describe(error: Option<&Value>) -> String {
    let text = match error {
        Some(Value::Object(e)) => {
            let kind = e.get("type").and_then(Value::as_str).unwrap_or("error");
            let reason = e.get("reason").and_then(Value::as_str).unwrap_or_default();
            let cause = e
                .get("caused_by")
                .and_then(|c| c.get("reason"))
                .and_then(Value::as_str)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            format!("{kind}: {reason}{cause}")
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "(no error given)".into(),
    };
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_an_action_line_and_a_source_line() {
        let d = Doc::new("abc".into(), "palisade-events", r#"{"message":"m"}"#);
        let lines: Vec<&str> = d.lines.lines().collect();
        assert_eq!(
            serde_json::from_str::<Value>(lines[0]).unwrap(),
            serde_json::json!({"create": {"_index": "palisade-events", "_id": "abc"}})
        );
        assert_eq!(lines[1], r#"{"message":"m"}"#);
        assert!(d.lines.ends_with('\n'));
    }

    #[test]
    fn items_are_classified() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"create":{"_id":"a","status":201}},
            {"create":{"_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}},
            {"create":{"_id":"c","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
            {"create":{"_id":"d","status":400,"error":{"type":"document_parsing_exception","reason":"failed to parse field [source.ip]","caused_by":{"type":"x","reason":"not an IP"}}}},
            {"create":{"_id":"e","status":404,"error":{"type":"index_not_found_exception","reason":"no such index"}}},
            {"create":{"_id":"f","status":503,"error":"unavailable"}}
        ]}"#;
        let items = parse_response(body, 6).unwrap();
        assert_eq!(items[0], Item::Stored);
        assert_eq!(items[1], Item::Stored);
        assert!(matches!(&items[2], Item::Retry(r) if r.contains("429")));
        assert!(
            matches!(&items[3], Item::Refused(r) if r.contains("document_parsing_exception") && r.contains("not an IP"))
        );
        assert!(matches!(&items[4], Item::MissingIndex(_)));
        assert!(matches!(&items[5], Item::Retry(r) if r.contains("unavailable")));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b"<html>bad gateway</html>"[..],
            b"",
            b"{}",
            b"{\"items\":[{}]}",
            b"\xff\xfe",
            b"{\"items\":[{\"create\":{\"status\":\"x\"}}]}",
        ] {
            let _ = parse_response(body, 1);
        }
        assert!(parse_response(b"{\"items\":[]}", 1).is_err());
        assert!(parse_response(b"<html>", 1).is_err());
    }
}
