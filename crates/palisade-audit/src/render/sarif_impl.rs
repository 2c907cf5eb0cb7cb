//! `--sarif`: SARIF 2.1.0, as GitHub code scanning ingests it.
//!
//! One run; the driver `palisade` has one rule per advisory (sorted by id) with its summary,
//! link, `defaultConfiguration.level` and, for vulnerabilities, `properties.security-severity`
//! — the CVSS base score as a string, which GitHub turns into critical/high/medium/low. An
//! advisory rated only by a database label gets the lowest score of its band (critical 9.0,
//! high 7.0, moderate 4.0, low 0.1), so GitHub files it under the same band; an unrated one
//! gets none. Each finding is a result at the lockfile (`region.startLine`: the package's
//! entry when it was found, else 1) with a `partialFingerprints` entry, so GitHub tracks the
//! same (lockfile, package@version, advisory) across runs. Ignored findings are results with
//! an accepted external suppression carrying the ignore's reason; advisories that could not be
//! evaluated are `warning` results; expired ignores are tool notifications. Yanked versions are
//! `warning` results of the rule `palisade/yanked`, located and fingerprinted like findings.
//!
//! Levels: vulnerabilities rated critical, high or unknown are `error`, moderate `warning`, low
//! and none `note`; informational advisories (unmaintained, unsound, notice) are `note`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use palisade_advisory::Severity;

use super::{path_text, severity_name};
use crate::report::{
    AdvisoryInfo, AffectedPackage, FindingKind, Report, is_web_url, severity_rank,
};

/// The SARIF schema the output declares (OASIS's final 2.1.0 schema, errata 01).
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The report as a SARIF 2.1.0 log (pretty-printed JSON).
///
/// ```
/// use palisade_audit::{AuditSettings, Date, Report, render};
///
/// let report = Report::generate(
///     &palisade_advisory::Index::new([]),
///     &[],
///     &AuditSettings::new(Date::parse("2026-05-01").unwrap()),
/// );
/// let log: serde_json::Value = serde_json::from_str(&render::sarif(&report)).unwrap();
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "palisade");
/// ```
pub fn sarif(report: &Report) -> String {
    // Rules, one per advisory id (and one for yanked versions), sorted so indexes are stable.
    let mut rules: BTreeMap<&str, Rule<'_>> = BTreeMap::new();
    for lockfile in &report.lockfiles {
        for f in &lockfile.findings {
            rules
                .entry(f.advisory.id.as_str())
                .or_insert(Rule::Advisory(&f.advisory, &f.kind));
        }
        for i in &lockfile.ignored {
            rules
                .entry(i.advisory.id.as_str())
                .or_insert(Rule::Advisory(&i.advisory, &i.kind));
        }
        for u in &lockfile.unchecked {
            rules
                .entry(u.advisory.id.as_str())
                .or_insert(Rule::Advisory(&u.advisory, &u.kind));
        }
        if !lockfile.yanked.is_empty() {
            rules.insert(YANKED_RULE, Rule::Yanked);
        }
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();

    let mut results = Vec::new();
    for lockfile in &report.lockfiles {
        let uri = artifact_uri(&lockfile.path);
        for f in &lockfile.findings {
            let fix = match &f.fixed_in {
                Some(fixed) => format!("Fixed in {fixed}: {}.", f.advice),
                None => format!("{}.", capitalise(&f.advice.to_string())),
            };
            let what = match &f.kind {
                FindingKind::Vulnerability => format!(
                    "{} is affected by {} ({})",
                    f.package.id(),
                    f.advisory.id,
                    severity_name(f.severity())
                ),
                FindingKind::Warning(kind) => format!(
                    "{} has an informational advisory, {} ({})",
                    f.package.id(),
                    f.advisory.id,
                    kind.as_str()
                ),
            };
            let message = format!(
                "{what}: {} {fix} Dependency path: {}.",
                sentence(&f.advisory.summary),
                path_text(&f.package.path)
            );
            let mut result = result(
                f.advisory.id.as_str(),
                index[f.advisory.id.as_str()],
                level(&f.kind, f.severity()),
                message,
                &uri,
                f.line,
                &f.package,
            );
            if let Some(fixed) = &f.fixed_in {
                result["properties"]["fixedIn"] = json!(fixed);
            }
            result["properties"]["advice"] = json!(f.advice.action());
            results.push(result);
        }
        for i in &lockfile.ignored {
            let message = format!(
                "{} is affected by {} ({}): {} Ignored: {}",
                i.package.id(),
                i.advisory.id,
                severity_name(i.advisory.severity),
                sentence(&i.advisory.summary),
                i.ignore.reason
            );
            let mut result = result(
                i.advisory.id.as_str(),
                index[i.advisory.id.as_str()],
                level(&i.kind, i.advisory.severity),
                message,
                &uri,
                i.line,
                &i.package,
            );
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": i.ignore.reason,
            }]);
            results.push(result);
        }
        for u in &lockfile.unchecked {
            let message = format!(
                "Could not tell whether {} is affected by {}: {}.",
                u.package.id(),
                u.advisory.id,
                u.reason
            );
            results.push(result(
                u.advisory.id.as_str(),
                index[u.advisory.id.as_str()],
                "warning",
                message,
                &uri,
                u.line,
                &u.package,
            ));
        }
        for y in &lockfile.yanked {
            let message = format!(
                "{} is a yanked version: its registry ({}) withdrew it. Update to a version \
                 that is not yanked. Dependency path: {}.",
                y.package.id(),
                y.package.ecosystem,
                path_text(&y.package.path)
            );
            results.push(result(
                YANKED_RULE,
                index[YANKED_RULE],
                "warning",
                message,
                &uri,
                y.line,
                &y.package,
            ));
        }
    }

    let notifications: Vec<Value> = report
        .expired_ignores
        .iter()
        .map(|ignore| {
            let expires = ignore.expires.map(|d| d.to_string()).unwrap_or_default();
            json!({
                "level": "warning",
                "message": {"text": format!(
                    "The ignore for {} ({}:{}) expired on {expires} and no longer applies: {}",
                    ignore.id, ignore.file, ignore.line, ignore.reason
                )},
            })
        })
        .collect();

    let rules: Vec<Value> = rules
        .values()
        .map(|r| match r {
            Rule::Advisory(a, kind) => rule(a, kind),
            Rule::Yanked => yanked_rule(),
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "palisade",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

/// The rule of yanked-version results: not an advisory, so a palisade id (advisory ids have
/// no `/`).
const YANKED_RULE: &str = "palisade/yanked";

/// What a SARIF rule describes.
enum Rule<'a> {
    Advisory(&'a AdvisoryInfo, &'a FindingKind),
    Yanked,
}

fn yanked_rule() -> Value {
    let short = "Locked version yanked from its registry";
    let full = "The lockfile pins a package version that its registry has yanked (withdrawn \
        from new resolution, usually because of a serious bug, a security problem or a \
        mistaken release). Update the package to a version that is not yanked.";
    json!({
        "id": YANKED_RULE,
        "name": "YankedVersion",
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": format!("{short}\n\n{full}"), "markdown": format!("**{short}**\n\n{full}")},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["security", "yanked"]},
    })
}

fn rule(advisory: &AdvisoryInfo, kind: &FindingKind) -> Value {
    let summary = if advisory.summary.trim().is_empty() {
        advisory.id.to_string()
    } else {
        advisory.summary.clone()
    };
    let full = if advisory.details.trim().is_empty() {
        summary.clone()
    } else {
        advisory.details.clone()
    };
    let link = advisory.link();
    let mut tags = vec!["security".to_owned()];
    match kind {
        FindingKind::Vulnerability => tags.push("vulnerability".to_owned()),
        FindingKind::Warning(k) => tags.push(k.as_str().to_owned()),
    }
    tags.extend(advisory.aliases.iter().map(|a| a.to_string()));
    let mut properties = json!({ "tags": tags });
    if *kind == FindingKind::Vulnerability
        && let Some(score) = security_severity(advisory)
    {
        properties["security-severity"] = json!(score);
    }
    if let Some(cvss) = &advisory.cvss {
        properties["cvssVector"] = json!(cvss.vector);
    }
    let mut rule = json!({
        "id": advisory.id.as_str(),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {
            "text": format!("{summary}\n\n{full}\n\nMore: {link}"),
            "markdown": format!("**{}**\n\n{}\n\n[{}]({link})",
                md_text(&summary), md_text(&full), advisory.id),
        },
        "defaultConfiguration": {"level": level(kind, advisory.severity)},
        "properties": properties,
    });
    if is_web_url(&link) {
        rule["helpUri"] = json!(link);
    }
    rule
}

fn result(
    rule_id: &str,
    rule_index: usize,
    level: &str,
    message: String,
    uri: &str,
    line: Option<u32>,
    package: &AffectedPackage,
) -> Value {
    json!({
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": line.unwrap_or(1).max(1)},
            },
        }],
        "partialFingerprints": {
            "palisadeFinding/v1": format!(
                "{}:{}@{}:{}",
                uri, package.name, package.version, rule_id
            ),
        },
        "properties": {
            "package": package.name,
            "version": package.version,
            "ecosystem": package.ecosystem.as_str(),
            "direct": package.direct,
            "dev": package.dev,
            "path": package.path,
        },
    })
}

/// SARIF result level for a finding.
fn level(kind: &FindingKind, severity: Option<Severity>) -> &'static str {
    match kind {
        FindingKind::Warning(_) => "note",
        FindingKind::Vulnerability => match severity_rank(severity) {
            0..=2 => "error", // critical, unknown, high
            3 => "warning",
            _ => "note",
        },
    }
}

/// GitHub's `security-severity`: the CVSS base score, else the lowest score of the label's
/// band.
fn security_severity(advisory: &AdvisoryInfo) -> Option<String> {
    if let Some(cvss) = &advisory.cvss {
        return Some(format!("{:.1}", cvss.score));
    }
    let band = match advisory.severity? {
        Severity::Critical => "9.0",
        Severity::High => "7.0",
        Severity::Moderate => "4.0",
        Severity::Low => "0.1",
        Severity::None => "0.0",
    };
    Some(band.to_owned())
}

/// A lockfile path as a relative URI reference: `/` separators, no leading `./`, and
/// percent-encoding for anything outside RFC 3986's unreserved and path characters.
fn artifact_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A summary as a sentence: trimmed, ending with a full stop.
fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        String::new()
    } else if t.ends_with(['.', '!', '?']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Advisory text for SARIF's Markdown help: HTML and link syntax defused.
fn md_text(text: &str) -> String {
    super::markdown_impl::escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(
            artifact_uri("./web/package-lock.json"),
            "web/package-lock.json"
        );
        assert_eq!(artifact_uri("a b\\Cargo.lock"), "a%20b/Cargo.lock");
        assert_eq!(artifact_uri("é/x"), "%C3%A9/x");
    }
}
