//! OSV wire records → the advisory model.

use serde_json::Value;

use super::wire::{RawAffected, RawEvent, RawRange, RawRecord, RawSeverity};
use crate::ecosystem::Ecosystem;
use crate::model::{self, Advisory, Affected, Event, Informational, Kind, Range, RangeKind};
use crate::severity::{Cvss, Severity};

pub(crate) fn advisory(raw: RawRecord) -> Advisory {
    let mut kind = Kind::Vulnerability;
    let mut vectors: Vec<&RawSeverity> = raw.severity.iter().collect();
    for entry in &raw.affected {
        vectors.extend(&entry.severity);
        // RustSec's export marks informational advisories per affected package.
        if let Some(name) = text_at(entry.database_specific.as_ref(), &["informational"]) {
            kind = Kind::Informational(Informational::from_name(name));
        }
    }
    let label = text_at(raw.database_specific.as_ref(), &["severity"]);
    let (severity, cvss) = rate(&vectors, label);

    let affected = raw.affected.iter().filter_map(affected).collect();
    let details = raw.details.as_deref().unwrap_or_default();
    let summary = match raw.summary.as_deref().map(str::trim) {
        Some(summary) if !summary.is_empty() => summary.to_owned(),
        _ => model::summary_from_details(details),
    };
    let mut references: Vec<String> = Vec::with_capacity(raw.references.len());
    for reference in &raw.references {
        if !references.contains(&reference.url) {
            references.push(reference.url.clone());
        }
    }
    let url = ["ADVISORY", "WEB"]
        .iter()
        .find_map(|kind| {
            raw.references
                .iter()
                .find(|r| r.kind.as_deref() == Some(kind))
        })
        .or(raw.references.first())
        .map(|r| r.url.clone());

    Advisory {
        aliases: without(raw.aliases, &raw.id),
        related: without(raw.related, &raw.id),
        id: raw.id,
        summary,
        details: model::short_details(details),
        published: raw.published,
        modified: raw.modified,
        withdrawn: raw.withdrawn,
        severity,
        cvss,
        kind,
        affected,
        url,
        references,
    }
}

fn affected(raw: &RawAffected) -> Option<Affected> {
    let package = raw.package.as_ref()?;
    let ecosystem = Ecosystem::from_osv(package.ecosystem.trim());
    let name = ecosystem.normalise_name(package.name.trim()).into_owned();
    let ranges = raw
        .ranges
        .iter()
        .filter_map(|range| match range {
            RawRange::Semver(events) => Some(Range {
                kind: RangeKind::Semver,
                events: events.iter().map(event).collect(),
            }),
            RawRange::Ecosystem(events) => Some(Range {
                kind: RangeKind::Ecosystem,
                events: events.iter().map(event).collect(),
            }),
            RawRange::Git => None,
        })
        .collect();
    let specific = raw.ecosystem_specific.as_ref();
    let mut functions = texts_at(specific, &["affects", "functions"]);
    // GitHub's records list them here.
    for function in texts_at(specific, &["affected_functions"]) {
        if !functions.contains(&function) {
            functions.push(function);
        }
    }
    Some(Affected {
        ecosystem,
        package: name,
        ranges,
        versions: raw.versions.iter().map(|v| v.0.clone()).collect(),
        rustsec: None,
        functions,
        os: texts_at(specific, &["affects", "os"]),
        arch: texts_at(specific, &["affects", "arch"]),
    })
}

fn event(raw: &RawEvent) -> Event {
    match raw {
        RawEvent::Introduced(v) => Event::Introduced(v.clone()),
        RawEvent::Fixed(v) => Event::Fixed(v.clone()),
        RawEvent::LastAffected(v) => Event::LastAffected(v.clone()),
        RawEvent::Limit(v) => Event::Limit(v.clone()),
    }
}

/// The rating from the highest-scoring CVSS v3/v4 vector, else the database's label.
///
/// Vectors that do not parse are skipped, not fatal: GitHub publishes some with an empty
/// score, and the label still rates them.
fn rate(vectors: &[&RawSeverity], label: Option<&str>) -> (Option<Severity>, Option<Cvss>) {
    let best = vectors
        .iter()
        .filter(|s| matches!(s.kind.as_str(), "CVSS_V3" | "CVSS_V4"))
        .filter_map(|s| Cvss::parse(s.score.as_deref()?).ok())
        .max_by(|a, b| a.score.total_cmp(&b.score));
    match best {
        Some(cvss) => (Some(cvss.severity()), Some(cvss)),
        None => (label.and_then(Severity::from_label), None),
    }
}

/// A string at a path in a free-form `*_specific` object.
fn text_at<'v>(value: Option<&'v Value>, path: &[&str]) -> Option<&'v str> {
    let mut value = value?;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str()
}

/// The strings of an array at a path (anything else there reads as empty).
fn texts_at(value: Option<&Value>, path: &[&str]) -> Vec<String> {
    let mut value = match value {
        Some(v) => v,
        None => return Vec::new(),
    };
    for key in path {
        match value.get(key) {
            Some(v) => value = v,
            None => return Vec::new(),
        }
    }
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Ids without `own` and without repeats (some records alias themselves).
fn without(
    ids: Vec<crate::id::AdvisoryId>,
    own: &crate::id::AdvisoryId,
) -> Vec<crate::id::AdvisoryId> {
    let mut out: Vec<_> = ids.into_iter().filter(|id| id != own).collect();
    out.sort();
    out.dedup();
    out
}
