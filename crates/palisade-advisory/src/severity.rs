//! How bad an advisory is: a rating ordered for `--fail-on`, from CVSS vectors or a database's
//! own label.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A severity rating, ordered `None < Low < Moderate < High < Critical` so a threshold is a
/// plain comparison (`severity >= Severity::High`).
///
/// The steps are CVSS's qualitative scale (the same for v3.x and v4.0), with npm's and GitHub's
/// word `Moderate` for CVSS's `Medium`. `None` is CVSS's rating for a 0.0 score, not "unknown":
/// an advisory with no severity information has `Option::<Severity>::None`, and the caller
/// decides what a threshold does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// CVSS 0.0.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9 (CVSS says "Medium", npm and GitHub "Moderate").
    Moderate,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The rating of a CVSS v3.x/v4.0 base score. Scores outside 0–10 (or NaN) are clamped into
    /// the scale rather than trusted.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Moderate,
            s if s > 0.0 => Severity::Low,
            _ => Severity::None,
        }
    }

    /// A database's own label: GitHub's `LOW`/`MODERATE`/`HIGH`/`CRITICAL`, and `MEDIUM`, `NONE`,
    /// in any case. `None` for anything else.
    pub fn from_label(label: &str) -> Option<Severity> {
        label.trim().parse().ok()
    }

    /// Lower-case name, as npm prints it (`moderate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of `none`, `low`, `moderate`/`medium`, `high`, `critical`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected none, low, moderate, medium, high or critical)")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Case-insensitive; accepts both `moderate` and `medium` (for `--fail-on`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Severity::None),
            "low" => Ok(Severity::Low),
            "moderate" | "medium" => Ok(Severity::Moderate),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(ParseSeverityError(s.to_owned())),
        }
    }
}

/// A CVSS v3.0, v3.1 or v4.0 vector with its base score, computed by RustSec's `cvss` crate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// The vector as the advisory wrote it (`CVSS:3.1/AV:N/AC:L/…`).
    pub vector: String,
    /// Base score, 0.0–10.0.
    pub score: f64,
}

impl Cvss {
    /// Parses and scores a vector. CVSS v2 vectors (no `CVSS:` prefix) are not accepted:
    /// advisories carrying one also carry a v3 vector or a label.
    pub fn parse(vector: &str) -> Result<Cvss, String> {
        let vector = vector.trim();
        let parsed: cvss::Cvss = vector.parse().map_err(|e: cvss::Error| e.to_string())?;
        let score = parsed.score();
        if !(0.0..=10.0).contains(&score) {
            return Err(format!("score {score} is outside 0–10"));
        }
        Ok(Cvss {
            vector: vector.to_owned(),
            score,
        })
    }

    /// The rating of the base score.
    pub fn severity(&self) -> Severity {
        Severity::from_score(self.score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_serves_a_threshold() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Moderate >= "medium".parse().unwrap());
        assert_eq!(Severity::from_label("MODERATE"), Some(Severity::Moderate));
        assert_eq!(Severity::from_label("bogus"), None);
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn scores_v3_and_v4_vectors() {
        let v3 = Cvss::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(v3.score, 9.8);
        assert_eq!(v3.severity(), Severity::Critical);
        let v4 =
            Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(v4.severity(), Severity::High);
        assert!(Cvss::parse("").is_err());
        assert!(Cvss::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_err());
        assert_eq!(Severity::from_score(f64::NAN), Severity::None);
    }
}
