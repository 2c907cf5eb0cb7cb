//! The rule catalogue: every rule the engine can report, with its family, paranoia level and
//! severity. Each family module declares its own rules; this module gathers them.

use std::sync::OnceLock;

use serde::Serialize;

use crate::{Family, Severity};

/// What the engine knows about one rule (see docs/rules.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RuleInfo {
    /// Stable kebab-case id, `family-what`.
    pub id: &'static str,
    /// The family it belongs to.
    pub family: Family,
    /// Lowest paranoia level (1–4) at which it runs.
    pub paranoia: u8,
    /// Its severity; the points it scores are [`Severity::points`].
    pub severity: Severity,
    /// One line: what it catches.
    pub summary: &'static str,
}

impl RuleInfo {
    pub(crate) const fn new(
        id: &'static str,
        family: Family,
        paranoia: u8,
        severity: Severity,
        summary: &'static str,
    ) -> Self {
        Self {
            id,
            family,
            paranoia,
            severity,
            summary,
        }
    }
}

impl Severity {
    /// Anomaly points a finding of this severity adds (critical 5, error 4, warning 3, notice 2).
    pub const fn points(self) -> u32 {
        match self {
            Severity::Critical => 5,
            Severity::Error => 4,
            Severity::Warning => 3,
            Severity::Notice => 2,
        }
    }
}

/// Every rule the engine can report, in family order.
pub fn rules() -> &'static [RuleInfo] {
    static ALL: OnceLock<Vec<RuleInfo>> = OnceLock::new();
    ALL.get_or_init(|| {
        use crate::families::*;
        [
            sqli::RULES,
            xss::RULES,
            traversal::RULES,
            rfi::RULES,
            cmdi::RULES,
            jndi::RULES,
            php::RULES,
            java::RULES,
            ssti::RULES,
            sensitive::RULES,
            scanner::RULES,
            protocol::RULES,
        ]
        .concat()
    })
}

/// Whether `pattern` (a rule id, or a prefix ending in `*`) matches `id`.
pub(crate) fn glob_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_and_levels_valid() {
        let mut seen = std::collections::HashSet::new();
        for r in rules() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.id
            );
            assert!((1..=4).contains(&r.paranoia), "{}", r.id);
        }
    }

    #[test]
    fn globs() {
        assert!(glob_matches("sqli-*", "sqli-union-select"));
        assert!(glob_matches("*", "xss-script-tag"));
        assert!(!glob_matches("sqli", "sqli-union-select"));
    }
}
