//! OSV records as they are written (schema 1.x), for serde; converted to the model in `convert`.
//!
//! Unknown fields are ignored: OSV grows new fields in minor schema versions, and a new field
//! must not stop palisade reading a whole database. Checks that need a location (ids, range
//! types, events) run inside deserialisation, so the parser reports line and column.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::id::AdvisoryId;

#[derive(Deserialize)]
pub(crate) struct RawRecord {
    pub(crate) id: AdvisoryId,
    #[serde(default)]
    pub(crate) modified: Option<String>,
    #[serde(default)]
    pub(crate) published: Option<String>,
    #[serde(default)]
    pub(crate) withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) aliases: Vec<AdvisoryId>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) related: Vec<AdvisoryId>,
    #[serde(default)]
    pub(crate) summary: Option<String>,
    #[serde(default)]
    pub(crate) details: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) affected: Vec<RawAffected>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) references: Vec<RawReference>,
    #[serde(default)]
    pub(crate) database_specific: Option<Value>,
}

#[derive(Deserialize)]
pub(crate) struct RawSeverity {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) score: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawReference {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    pub(crate) url: String,
}

#[derive(Deserialize)]
pub(crate) struct RawAffected {
    /// Optional in the schema: an entry with only `GIT` ranges may name no package.
    #[serde(default)]
    pub(crate) package: Option<RawPackage>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) severity: Vec<RawSeverity>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) ranges: Vec<RawRange>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) versions: Vec<VersionText>,
    #[serde(default)]
    pub(crate) ecosystem_specific: Option<Value>,
    #[serde(default)]
    pub(crate) database_specific: Option<Value>,
}

#[derive(Deserialize)]
pub(crate) struct RawPackage {
    pub(crate) ecosystem: String,
    pub(crate) name: String,
}

/// A range: `GIT` ranges are kept only as a marker (they need the repository to evaluate).
#[derive(Deserialize)]
#[serde(try_from = "UncheckedRange")]
pub(crate) enum RawRange {
    Semver(Vec<RawEvent>),
    Ecosystem(Vec<RawEvent>),
    Git,
}

#[derive(Deserialize)]
struct UncheckedRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    events: Vec<RawEvent>,
}

impl TryFrom<UncheckedRange> for RawRange {
    type Error = String;

    fn try_from(range: UncheckedRange) -> Result<Self, Self::Error> {
        let has_introduced = range
            .events
            .iter()
            .any(|e| matches!(e, RawEvent::Introduced(_)));
        match range.kind.as_str() {
            "GIT" => return Ok(RawRange::Git),
            "SEMVER" | "ECOSYSTEM" if !has_introduced => {
                // The schema requires one; without it the range would silently match nothing.
                return Err(format!("{} range has no `introduced` event", range.kind));
            }
            _ => {}
        }
        match range.kind.as_str() {
            "SEMVER" => Ok(RawRange::Semver(range.events)),
            "ECOSYSTEM" => Ok(RawRange::Ecosystem(range.events)),
            other => Err(format!(
                "unknown range type {other:?} (expected SEMVER, ECOSYSTEM or GIT)"
            )),
        }
    }
}

/// One event: an object with exactly one of `introduced`, `fixed`, `last_affected`, `limit`.
pub(crate) enum RawEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;

        impl<'de> Visitor<'de> for EventVisitor {
            type Value = RawEvent;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event object with one of introduced, fixed, last_affected, limit")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEvent, A::Error> {
                let mut event = None;
                while let Some(key) = map.next_key::<String>()? {
                    let make: fn(String) -> RawEvent = match key.as_str() {
                        "introduced" => RawEvent::Introduced,
                        "fixed" => RawEvent::Fixed,
                        "last_affected" => RawEvent::LastAffected,
                        "limit" => RawEvent::Limit,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    let VersionText(version) = map.next_value()?;
                    if event.is_some() {
                        return Err(de::Error::custom(
                            "an event may have only one of introduced, fixed, last_affected, limit",
                        ));
                    }
                    event = Some(make(version));
                }
                event.ok_or_else(|| {
                    de::Error::custom("event has none of introduced, fixed, last_affected, limit")
                })
            }
        }

        deserializer.deserialize_map(EventVisitor)
    }
}

/// A version string. Asked for as a string, so an unquoted YAML `1.10` arrives as the text
/// `1.10`, never as the float 1.1.
pub(crate) struct VersionText(pub(crate) String);

impl<'de> Deserialize<'de> for VersionText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl Visitor<'_> for TextVisitor {
            type Value = VersionText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version string")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<VersionText, E> {
                Ok(VersionText(v.to_owned()))
            }
        }

        deserializer.deserialize_str(TextVisitor)
    }
}

/// `null` reads as the empty list (RustSec's OSV export writes `"affected_functions": null`).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
