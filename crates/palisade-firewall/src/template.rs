//! Command templates: `iptables -I INPUT -s {ip} -j DROP`, validated once and rendered with
//! shell-safe values.
//!
//! # Security
//!
//! Templates run through `/bin/sh -c`, so every value must be inert in a shell. Addresses and
//! networks are (digits, hex, `.`, `:`, `/`). `{reason}` is free text an attacker may
//! influence (a request path in a detection's reason), so it expands to a single-quoted
//! word; a template that puts it inside quotes or a here-document, where that quoting would
//! break, is refused.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::FirewallError;

// A reason only labels a rule or a log line; a bounded one keeps command lines sane.
const MAX_REASON: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Ip,
    Cidr,
    Ttl,
    Family,
    Reason,
}

impl Placeholder {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ip" => Placeholder::Ip,
            "cidr" => Placeholder::Cidr,
            "ttl" => Placeholder::Ttl,
            "family" => Placeholder::Family,
            "reason" => Placeholder::Reason,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Value(Placeholder),
}

/// What a template's placeholders stand for in one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values<'a> {
    pub target: Option<IpNet>,
    /// Seconds; 0 is permanent.
    pub ttl: u64,
    pub reason: &'a str,
}

/// A validated command template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

impl Template {
    /// Parses `source`; `which` names it in errors. Templates without a target (`start`,
    /// `stop`) take no placeholders.
    pub fn parse(
        which: &'static str,
        source: &str,
        with_target: bool,
    ) -> Result<Self, FirewallError> {
        if source.trim().is_empty() {
            return Err(FirewallError::InvalidTemplate {
                template: which,
                why: "it is empty".to_owned(),
            });
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut quote = Quote::None;
        let mut escaped = false;
        let mut heredoc = false;
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                    chars.next();
                    text.push('{');
                    escaped = false;
                    continue;
                }
                '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                    chars.next();
                    text.push('}');
                    escaped = false;
                    continue;
                }
                '{' if !escaped => {
                    let rest = &source[i + 1..];
                    let name_len = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    if name_len > 0 && rest[name_len..].starts_with('}') {
                        let name = &rest[..name_len];
                        let Some(p) = Placeholder::parse(name) else {
                            return Err(FirewallError::UnknownPlaceholder {
                                template: which,
                                placeholder: name.to_owned(),
                            });
                        };
                        if !with_target {
                            return Err(FirewallError::InvalidTemplate {
                                template: which,
                                why: format!("it runs without a ban, so `{{{name}}}` has no value"),
                            });
                        }
                        // `$'…'` is bash's ANSI-C quoting, where a backslash in the reason
                        // would escape our closing quote.
                        if p == Placeholder::Reason
                            && (quote != Quote::None || heredoc || text.ends_with('$'))
                        {
                            return Err(FirewallError::InvalidTemplate {
                                template: which,
                                why: "`{reason}` must stand outside quotes and here-documents, \
                                      and not after `$`: it is quoted for the shell already"
                                    .to_owned(),
                            });
                        }
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(Piece::Value(p));
                        for _ in 0..=name_len {
                            chars.next();
                        }
                        continue;
                    }
                    text.push(c);
                }
                _ => text.push(c),
            }
            // Track the shell's quoting to know where `{reason}` would land.
            if escaped {
                escaped = false;
                continue;
            }
            match (quote, c) {
                (Quote::None, '\\') | (Quote::Double, '\\') => escaped = true,
                (Quote::None, '\'') => quote = Quote::Single,
                (Quote::Single, '\'') => quote = Quote::None,
                (Quote::None, '"') => quote = Quote::Double,
                (Quote::Double, '"') => quote = Quote::None,
                (Quote::None, '<') if source[i..].starts_with("<<") => heredoc = true,
                _ => {}
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }

    /// The command text with `values` filled in.
    pub fn render(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(p) => out.push_str(&value(*p, values)),
            }
        }
        out
    }
}

fn value(p: Placeholder, v: &Values<'_>) -> String {
    match p {
        Placeholder::Ip => v.target.map(ip_text).unwrap_or_default(),
        Placeholder::Cidr => v.target.map(|t| t.to_string()).unwrap_or_default(),
        Placeholder::Ttl => v.ttl.to_string(),
        Placeholder::Family => v.target.map(family).unwrap_or_default().to_owned(),
        Placeholder::Reason => single_quoted(&clean_reason(v.reason)),
    }
}

/// The address of a single host, the CIDR of a network.
pub(crate) fn ip_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// `inet` or `inet6`, as `ip` and most firewalls name families.
pub(crate) fn family(net: IpNet) -> &'static str {
    match net.addr() {
        IpAddr::V4(_) => "inet",
        IpAddr::V6(_) => "inet6",
    }
}

/// Control characters (newlines in a log line) become spaces; bounded length.
pub(crate) fn clean_reason(reason: &str) -> String {
    let cleaned: String = reason
        .chars()
        .filter(|c| *c != '\0')
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::runner::bounded(&cleaned, MAX_REASON)
}

fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str, target: &str, ttl: u64, reason: &str) -> String {
        Template::parse("ban", src, true).unwrap().render(&Values {
            target: Some(target.parse().unwrap()),
            ttl,
            reason,
        })
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            render(
                "x {ip} {cidr} {ttl} {family} {reason}",
                "192.0.2.7/32",
                60,
                "r"
            ),
            "x 192.0.2.7 192.0.2.7/32 60 inet 'r'"
        );
        assert_eq!(
            render("{ip} {family}", "2001:db8::/64", 0, ""),
            "2001:db8::/64 inet6"
        );
    }

    #[test]
    fn braces_escape_and_shell_groups_stay() {
        assert_eq!(
            render(
                "echo ${{HOME}} {{ip}} && {{ true; }}",
                "192.0.2.7/32",
                0,
                ""
            ),
            "echo ${HOME} {ip} && { true; }"
        );
        assert_eq!(
            render("{ true; } {ip}", "192.0.2.7/32", 0, ""),
            "{ true; } 192.0.2.7"
        );
    }

    #[test]
    fn unknown_placeholder_names_template_and_placeholder() {
        let err = Template::parse("unban", "iptables -D INPUT -s {addr}", true).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unban") && msg.contains("{addr}"), "{msg}");
        assert!(Template::parse("ban", "echo ${HOME}", true).is_err());
    }

    #[test]
    fn reason_is_quoted_and_refused_inside_quotes() {
        assert_eq!(
            render("logger {reason}", "192.0.2.7/32", 0, "it's\n$(x)"),
            r"logger 'it'\''s $(x)'"
        );
        for bad in [
            "logger '{reason}'",
            "logger \"{reason}\"",
            "cat <<EOF\n{reason}\nEOF",
            "echo ${reason}",
        ] {
            assert!(Template::parse("ban", bad, true).is_err(), "{bad}");
        }
        // Quotes closed before it, or escaped, are fine.
        assert!(Template::parse("ban", "logger 'a' \\' {reason}", true).is_ok());
        assert!(Template::parse("ban", "logger \"{ip}\" {reason}", true).is_ok());
    }

    #[test]
    fn start_and_stop_take_no_placeholders() {
        assert!(Template::parse("start", "ipset create x hash:net", false).is_ok());
        assert!(Template::parse("stop", "echo {ip}", false).is_err());
        assert!(Template::parse("stop", "  ", false).is_err());
    }
}
