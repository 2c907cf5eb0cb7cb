use palisade_core::{Event, Severity, Timestamp};
use serde::{Deserialize, Serialize};

/// One message for one channel: the triggering event, or a digest's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique id (UUIDv7), e.g. for webhook receivers to deduplicate.
    pub id: String,
    /// When the rule fired.
    pub time: Timestamp,
    /// The rule's name.
    pub rule: String,
    /// The highest severity among the events it covers.
    pub severity: Severity,
    /// One line: a mail subject, an SMS, a chat message's first line.
    pub title: String,
    /// The details, plain text, several lines.
    pub text: String,
    /// How many events it covers.
    pub count: u64,
    /// The key the rule counted by (an IP, a user), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The event that made the rule fire (none for digests and tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
}

impl Notification {
    /// A notification with a fresh id, stamped now.
    pub fn new(rule: impl Into<String>, severity: Severity, title: String, text: String) -> Self {
        Notification {
            id: uuid::Uuid::now_v7().hyphenated().to_string(),
            time: Timestamp::now(),
            rule: rule.into(),
            severity,
            title,
            text,
            count: 1,
            key: None,
            event: None,
        }
    }

    /// What `palisade alerts test SINK` sends.
    pub fn test(sink: &str) -> Self {
        Notification::new(
            "test",
            Severity::Info,
            format!("[palisade] test message for sink {sink}"),
            format!(
                "This is a test message from palisade to the sink `{sink}`.\n\
                 If you can read it, alerts will reach you here."
            ),
        )
    }

    /// The value templates see: the notification's fields, with `event` as the ECS document.
    pub fn template_context(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "time": self.time.rfc3339(),
            "rule": self.rule,
            "severity": self.severity.as_str(),
            "title": self.title,
            "text": self.text,
            "count": self.count,
            "key": self.key,
        });
        if let Some(e) = &self.event {
            v["event"] = serde_json::to_value(e.ecs()).unwrap_or_default();
        }
        v
    }
}
