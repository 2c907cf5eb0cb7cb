//! RFC 5424 rendering, pure: the header, palisade's structured-data element, the message;
//! octet-counting framing for stream transports (RFC 6587 §3.4.1) and truncation for UDP.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [palisade@32473 category="…" …] MSG
//! ```

use std::fmt::Write as _;

use super::{Facility, SyslogFormat};
use crate::sinks::{Delivery, json_line};

/// palisade's SD-ID: a private name under the documentation enterprise number (RFC 5612).
pub(crate) const SD_ID: &str = "palisade@32473";

/// The byte order mark RFC 5424 §6.4 puts before a UTF-8 MSG.
const BOM: &str = "\u{feff}";

/// Everything constant across messages, sanitised once.
#[derive(Debug, Clone)]
pub(crate) struct Rfc5424 {
    facility: u8,
    hostname: String,
    app_name: String,
    procid: String,
    json: bool,
    bom: bool,
}

impl Rfc5424 {
    pub fn new(
        facility: Facility,
        hostname: &str,
        app_name: &str,
        procid: u32,
        format: SyslogFormat,
        bom: bool,
    ) -> Self {
        Rfc5424 {
            facility: facility.code(),
            hostname: header_field(hostname, 255),
            app_name: header_field(app_name, 48),
            procid: header_field(&procid.to_string(), 128),
            json: format == SyslogFormat::Json,
            bom,
        }
    }

    /// One message, without framing.
    pub fn render(&self, item: &Delivery<'_>) -> String {
        let (severity, time, msgid, text) = match item {
            Delivery::Event(e) => (e.severity, e.time, e.category.as_str(), &e.message),
            Delivery::Alert(n) => (n.severity, n.time, "alert", &n.title),
        };
        let pri = u16::from(self.facility) * 8 + u16::from(severity.syslog());
        let mut out = format!(
            "<{pri}>1 {} {} {} {} {} ",
            time.rfc3339(),
            self.hostname,
            self.app_name,
            self.procid,
            header_field(msgid, 32),
        );
        structured_data(item, &mut out);
        out.push(' ');
        if self.bom {
            out.push_str(BOM);
        }
        if self.json {
            out.push_str(&json_line(item));
        } else {
            out.push_str(text);
        }
        out
    }
}

/// The `[palisade@32473 …]` element; parameters without a value are left out.
fn structured_data(item: &Delivery<'_>, out: &mut String) {
    let mut params: Vec<(&str, String)> = Vec::new();
    match item {
        Delivery::Event(e) => {
            params.push(("category", e.category.as_str().to_owned()));
            params.push(("severity", e.severity.as_str().to_owned()));
            let optional = [
                ("ip", e.source_ip.map(|ip| ip.to_string())),
                ("user", e.user.clone()),
                ("rule", (!e.rules.is_empty()).then(|| e.rules.join(","))),
                ("request_id", e.request_id.clone()),
                ("method", e.method.clone()),
                ("path", e.path.clone()),
                ("instance", e.instance.clone()),
                ("id", Some(e.id.to_string())),
            ];
            params.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
        }
        Delivery::Alert(n) => {
            params.push(("category", "alert".to_owned()));
            params.push(("severity", n.severity.as_str().to_owned()));
            params.push(("rule", n.rule.clone()));
            params.push(("count", n.count.to_string()));
            if let Some(key) = &n.key {
                params.push(("key", key.clone()));
            }
            params.push(("id", n.id.clone()));
        }
    }
    out.push('[');
    out.push_str(SD_ID);
    for (name, value) in params {
        debug_assert!(valid_sd_name(name), "{name}");
        let _ = write!(out, " {name}=\"");
        escape_param_value(&value, out);
        out.push('"');
    }
    out.push(']');
}

/// PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` take a backslash.
pub(crate) fn escape_param_value(value: &str, out: &mut String) {
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// SD-NAME: 1 to 32 printable US-ASCII characters except `=`, space, `]` and `"`.
pub(crate) fn valid_sd_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"'))
}

/// A header field: printable US-ASCII only (others become `_`), at most `max` characters,
/// and the NILVALUE `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

/// Octet-counting framing (RFC 6587 §3.4.1, RFC 5425 §4.3): `MSG-LEN SP SYSLOG-MSG`.
pub(crate) fn octet_frame(message: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(message.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(message.as_bytes());
}

/// At most `max` bytes, cut at a character boundary (a datagram must stay valid UTF-8).
pub(crate) fn truncate_utf8(message: &str, max: usize) -> &str {
    if message.len() <= max {
        return message;
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use palisade_core::{Category, Event, Severity, Timestamp};

    use super::*;
    use crate::alerts::Notification;

    fn formatter(format: SyslogFormat, bom: bool) -> Rfc5424 {
        Rfc5424::new(Facility::Auth, "edge-1", "palisade", 4242, format, bom)
    }

    fn event() -> Event {
        let mut e = Event::new(
            Category::MaliciousTraffic,
            Severity::High,
            "SQL injection in query",
        )
        .with_source_ip(IpAddr::from([203, 0, 113, 9]))
        .with_request("req-1", "GET", None, "/search?q=\"]\\")
        .with_rule("sqli-union")
        .with_rule("sqli-comment");
        e.time = Timestamp(1_764_309_600_123);
        e
    }

    #[test]
    fn an_event_renders_as_rfc5424_with_structured_data() {
        let e = event();
        let line = formatter(SyslogFormat::Rfc5424, false).render(&Delivery::Event(&e));
        // auth (4) * 8 + error (3, high)
        let want = format!(
            "<35>1 2025-11-28T06:00:00.123Z edge-1 palisade 4242 malicious_traffic \
             [palisade@32473 category=\"malicious_traffic\" severity=\"high\" ip=\"203.0.113.9\" \
             rule=\"sqli-union,sqli-comment\" request_id=\"req-1\" method=\"GET\" \
             path=\"/search?q=\\\"\\]\\\\\" id=\"{}\"] SQL injection in query",
            e.id
        );
        assert_eq!(line, want);
    }

    #[test]
    fn json_format_carries_the_ecs_line_and_bom_is_optional() {
        let e = event();
        let line = formatter(SyslogFormat::Json, true).render(&Delivery::Event(&e));
        let (_, msg) = line.split_once("] ").unwrap();
        let json = msg.strip_prefix(BOM).expect("BOM before MSG");
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["message"], "SQL injection in query");
        let plain = formatter(SyslogFormat::Json, false).render(&Delivery::Event(&e));
        assert!(!plain.contains(BOM));
    }

    #[test]
    fn an_alert_has_msgid_alert_and_its_title() {
        let mut n = Notification::new(
            "brute_force",
            Severity::Critical,
            "Brute force from 203.0.113.9".into(),
            "details".into(),
        );
        n.time = Timestamp(0);
        n.count = 12;
        n.key = Some("203.0.113.9".into());
        let line = Rfc5424::new(
            Facility::Local3,
            "",
            "my app",
            1,
            SyslogFormat::Rfc5424,
            false,
        )
        .render(&Delivery::Alert(&n));
        // local3 (19) * 8 + critical (2); empty hostname is the NILVALUE.
        let want = format!(
            "<154>1 1970-01-01T00:00:00.000Z - my_app 1 alert [palisade@32473 \
             category=\"alert\" severity=\"critical\" rule=\"brute_force\" count=\"12\" \
             key=\"203.0.113.9\" id=\"{}\"] Brute force from 203.0.113.9",
            n.id
        );
        assert_eq!(line, want);
    }

    #[test]
    fn header_fields_are_printable_ascii_and_bounded() {
        let mut e = event();
        e.category = Category::Other("a category with spaces and ünïcode, far too long".into());
        let line = formatter(SyslogFormat::Rfc5424, false).render(&Delivery::Event(&e));
        let msgid = line.split(' ').nth(5).unwrap();
        assert_eq!(msgid, "a_category_with_spaces_and__n_co");
        assert_eq!(msgid.len(), 32);
    }

    #[test]
    fn param_values_escape_quote_backslash_and_bracket() {
        let mut out = String::new();
        escape_param_value(r#"a"b\c]d=e"#, &mut out);
        assert_eq!(out, r#"a\"b\\c\]d=e"#);
    }

    #[test]
    fn sd_names_are_valid() {
        for name in [
            "category",
            "severity",
            "ip",
            "user",
            "rule",
            "request_id",
            "method",
            "path",
            "instance",
            "id",
            "count",
            "key",
            SD_ID,
        ] {
            assert!(valid_sd_name(name), "{name}");
        }
        assert!(!valid_sd_name("with space"));
        assert!(!valid_sd_name("a=b"));
        assert!(!valid_sd_name(&"x".repeat(33)));
    }

    #[test]
    fn octet_framing_counts_bytes_not_chars() {
        let mut out = Vec::new();
        octet_frame("<34>1 - - - - - - é", &mut out);
        octet_frame("x", &mut out);
        assert_eq!(out, "20 <34>1 - - - - - - é1 x".as_bytes());
    }

    #[test]
    fn truncation_keeps_utf8_whole() {
        assert_eq!(truncate_utf8("abc", 10), "abc");
        assert_eq!(truncate_utf8("abcdef", 3), "abc");
        // "é" is two bytes: cutting in its middle drops it whole.
        assert_eq!(truncate_utf8("aé", 2), "a");
        assert_eq!(truncate_utf8("a€b", 3), "a");
        assert_eq!(truncate_utf8("a€b", 4), "a€");
    }
}
