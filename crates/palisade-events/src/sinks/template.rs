//! What the message-like sinks (webhook, email, SMS) say: one template context for an alert
//! or an event, and minijinja templates compiled once when the sink is built.
//!
//! The context has the same keys for both, so one template serves alerts and streamed events:
//!
//! | key        | alert                                   | event                          |
//! |------------|-----------------------------------------|--------------------------------|
//! | `kind`     | `"alert"`                               | `"event"`                      |
//! | `id`       | the notification id                     | the event id                   |
//! | `time`     | RFC 3339                                | RFC 3339                       |
//! | `rule`     | the rule's name                         | `none`                         |
//! | `severity` | `info` … `critical`                     | the same                       |
//! | `category` | the triggering event's (none: digests)  | the event's                    |
//! | `title`    | one line (subject, SMS, chat)           | a one-line summary             |
//! | `text`     | several lines of details                | the event's fields, one a line |
//! | `count`    | events covered                          | `1`                            |
//! | `key`      | what the rule counted by (an IP, …)     | `none`                         |
//! | `event`    | the triggering event as ECS JSON        | the event as ECS JSON          |

use minijinja::{AutoEscape, Environment};
use serde_json::{Value, json};

use super::Delivery;

/// The id receivers deduplicate by: the notification's or the event's.
pub(crate) fn delivery_id(item: &Delivery<'_>) -> String {
    match item {
        Delivery::Alert(n) => n.id.clone(),
        Delivery::Event(e) => e.id.to_string(),
    }
}

/// The template context (see the module docs).
pub(crate) fn context(item: &Delivery<'_>) -> Value {
    match item {
        Delivery::Alert(n) => {
            let mut v = n.template_context();
            v["kind"] = json!("alert");
            v["category"] = n
                .event
                .as_ref()
                .map_or(Value::Null, |e| json!(e.category.as_str()));
            v
        }
        Delivery::Event(e) => json!({
            "kind": "event",
            "id": e.id.to_string(),
            "time": e.time.rfc3339(),
            "rule": null,
            "severity": e.severity.as_str(),
            "category": e.category.as_str(),
            "title": e.title(),
            "text": format!("{}\n\n{}", e.message, e.details()),
            "count": 1,
            "key": null,
            "event": serde_json::to_value(e.ecs()).unwrap_or_default(),
        }),
    }
}

/// A sink's templates, compiled when the sink is built, each named after its config key
/// (`body`, `subject`, `template`) so that errors say which one is wrong and where.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// No templates yet. Nothing is escaped: bodies are text, or JSON written with `tojson`.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_keep_trailing_newline(true);
        Templates { env }
    }

    /// Compiles `source` as the template for config key `field`; a syntax error names the
    /// key and the line (`` `body` template: syntax error: … (in body:2) ``).
    pub fn with(mut self, field: &'static str, source: &str) -> Result<Self, String> {
        self.env
            .add_template_owned(field, source.to_owned())
            .map_err(|e| format!("`{field}` template: {e}"))?;
        Ok(self)
    }

    /// Renders the template of `field` (which must have been added).
    pub fn render(&self, field: &str, ctx: &Value) -> Result<String, String> {
        self.env
            .get_template(field)
            .and_then(|t| t.render(ctx))
            .map_err(|e| format!("`{field}` template: {e}"))
    }
}

/// At most `max` characters (not bytes), cut on a character boundary.
pub(crate) fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::{Category, Event, Severity};

    use super::*;
    use crate::alerts::Notification;

    #[test]
    fn events_and_alerts_share_the_context_keys() {
        let e = Event::new(Category::BruteForce, Severity::High, "many logins\nfailed")
            .with_source_ip([203, 0, 113, 7].into())
            .with_user("alice");
        let ev = context(&Delivery::Event(&e));
        assert_eq!(ev["kind"], "event");
        assert_eq!(ev["id"], e.id.to_string());
        assert_eq!(
            ev["title"],
            "[palisade] brute_force (high) from 203.0.113.7 for alice: many logins failed"
        );
        assert!(ev["text"].as_str().unwrap().contains("user: alice\n"));
        assert_eq!(ev["event"]["source"]["ip"], "203.0.113.7");

        let n = Notification::test("hook");
        let al = context(&Delivery::Alert(&n));
        assert_eq!(al["kind"], "alert");
        assert_eq!(al["id"], n.id);
        let keys = |v: &Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.retain(|k| k != "event");
            k.sort();
            k
        };
        assert_eq!(keys(&ev), keys(&al));
    }

    #[test]
    fn template_errors_name_the_key_and_line() {
        let err = Templates::new()
            .with("body", "line one\n{{ title }\n")
            .err()
            .unwrap();
        assert!(err.starts_with("`body` template: "), "{err}");
        assert!(err.contains("body:2"), "{err}");
    }

    #[test]
    fn templates_render_the_context() {
        let t = Templates::new()
            .with("subject", "{{ severity|upper }}: {{ title }}")
            .unwrap();
        let n = Notification::test("mail");
        let out = t.render("subject", &context(&Delivery::Alert(&n))).unwrap();
        assert_eq!(out, format!("INFO: {}", n.title));
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("hi", 5), "hi");
    }
}
