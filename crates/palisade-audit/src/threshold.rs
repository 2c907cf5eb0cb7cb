//! `--fail-on`: the lowest severity that makes an audit fail.

use std::fmt;
use std::str::FromStr;

use palisade_advisory::Severity;

use crate::error::{AuditError, ErrorKind};

/// The lowest severity that fails an audit ([`Report::fails`](crate::Report::fails)).
///
/// **Vulnerabilities without severity data fail at every threshold.** An advisory that carries
/// neither a CVSS vector nor a database rating has an *unknown* severity, not a low one, and an
/// audit gate should fail closed. This is what the tools palisade is measured against do:
/// cargo-audit's `severity_threshold` never filters out an advisory without a CVSS score (many
/// RustSec advisories have none, and they still fail the run), and `osv-scanner scan` fails on
/// any vulnerability whatever its rating. npm audit has no such case: GitHub rates every
/// advisory it serves. To accept one such finding, ignore it with a reason.
///
/// A vulnerability rated `none` (CVSS 0.0) fails at no threshold.
///
/// ```
/// use palisade_advisory::Severity;
/// use palisade_audit::FailOn;
///
/// let high: FailOn = "high".parse().unwrap();
/// assert!(high.is_met_by(Some(Severity::Critical)));
/// assert!(!high.is_met_by(Some(Severity::Moderate)));
/// assert!(high.is_met_by(None)); // unknown severity fails closed
/// assert_eq!("medium".parse::<FailOn>().unwrap(), FailOn::Moderate);
/// assert!("severe".parse::<FailOn>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailOn {
    /// Low and above (CVSS 0.1+).
    Low,
    /// Moderate (CVSS "medium", 4.0+) and above.
    Moderate,
    /// High (7.0+) and critical.
    High,
    /// Critical (9.0+) only.
    Critical,
}

impl FailOn {
    /// The severity the threshold starts at.
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Low => Severity::Low,
            FailOn::Moderate => Severity::Moderate,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }

    /// Whether a vulnerability of this severity (`None`: unknown) is at or above the
    /// threshold.
    pub fn is_met_by(self, severity: Option<Severity>) -> bool {
        severity.is_none_or(|s| s >= self.severity())
    }

    /// The lower-case name (`moderate`).
    pub fn as_str(self) -> &'static str {
        self.severity().as_str()
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailOn {
    type Err = AuditError;

    /// `low`, `moderate` (or `medium`), `high`, `critical`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(FailOn::Low),
            "moderate" | "medium" => Ok(FailOn::Moderate),
            "high" => Ok(FailOn::High),
            "critical" => Ok(FailOn::Critical),
            _ => Err(AuditError::new(
                ErrorKind::InvalidThreshold,
                format!(
                    "unknown severity {s:?} (expected low, moderate, medium, high or critical)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        for (text, fail_on) in [
            ("LOW", FailOn::Low),
            ("moderate", FailOn::Moderate),
            ("Medium", FailOn::Moderate),
            ("high", FailOn::High),
            (" critical ", FailOn::Critical),
        ] {
            assert_eq!(text.parse::<FailOn>().unwrap(), fail_on);
        }
        let err = "none".parse::<FailOn>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidThreshold);
        assert!(FailOn::Low.is_met_by(Some(Severity::Low)));
        assert!(!FailOn::Low.is_met_by(Some(Severity::None)));
        assert!(FailOn::Critical.is_met_by(None));
        assert!(!FailOn::Critical.is_met_by(Some(Severity::High)));
        assert_eq!(FailOn::Moderate.to_string(), "moderate");
    }
}
