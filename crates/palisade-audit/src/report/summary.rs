//! Totals over a report, and the one-line summary every renderer ends with.

use std::collections::HashSet;
use std::fmt::Write as _;

use palisade_advisory::Severity;

use super::Report;

/// Counts over every lockfile of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lockfiles audited.
    pub lockfiles: usize,
    /// Packages in them (the project's own excluded).
    pub packages: usize,
    /// Packages checked against the advisories.
    pub audited: usize,
    /// Development-only packages left out.
    pub dev_skipped: usize,
    /// Packages that cannot be audited.
    pub not_auditable: usize,
    /// Vulnerabilities (not ignored).
    pub vulnerabilities: usize,
    /// Of which critical.
    pub critical: usize,
    /// Of which high.
    pub high: usize,
    /// Of which moderate.
    pub moderate: usize,
    /// Of which low.
    pub low: usize,
    /// Of which rated none (CVSS 0.0).
    pub none: usize,
    /// Of which without severity data.
    pub unknown: usize,
    /// Distinct (ecosystem, name, version) with at least one vulnerability.
    pub vulnerable_packages: usize,
    /// Informational advisories (unmaintained, unsound, notice).
    pub informational: usize,
    /// Advisories that could not be evaluated.
    pub unchecked: usize,
    /// Ignores past their expiry date.
    pub expired_ignores: usize,
    /// Findings accepted by an ignore.
    pub ignored: usize,
    /// Whether any registry was asked for yanked versions ([`Report::yanked_checked`]).
    pub yanked_checked: bool,
    /// Audited packages whose locked version was yanked (warnings of their own, not counted
    /// in [`Summary::warnings`]).
    pub yanked: usize,
}

impl Summary {
    /// Everything reported as a warning: informational advisories, advisories that could not
    /// be evaluated, expired ignores.
    pub fn warnings(&self) -> usize {
        self.informational + self.unchecked + self.expired_ignores
    }

    /// `3 vulnerabilities (1 critical, 2 high) in 2 packages; 1 warning`, or
    /// `no vulnerabilities in 57 audited packages; 0 warnings`; with `; 1 yanked` (`0 yanked`
    /// included) after the warnings when yanked versions were checked.
    pub fn line(&self) -> String {
        let mut out = String::new();
        if self.vulnerabilities == 0 {
            let _ = write!(
                out,
                "no vulnerabilities in {}",
                plural(self.audited, "audited package", "audited packages")
            );
        } else {
            out.push_str(&plural(
                self.vulnerabilities,
                "vulnerability",
                "vulnerabilities",
            ));
            let parts: Vec<String> = [
                (self.critical, "critical"),
                (self.unknown, "unknown"),
                (self.high, "high"),
                (self.moderate, "moderate"),
                (self.low, "low"),
                (self.none, "none"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, name)| format!("{n} {name}"))
            .collect();
            let _ = write!(
                out,
                " ({}) in {}",
                parts.join(", "),
                plural(self.vulnerable_packages, "package", "packages")
            );
        }
        let _ = write!(out, "; {}", plural(self.warnings(), "warning", "warnings"));
        if self.yanked_checked {
            let _ = write!(out, "; {} yanked", self.yanked);
        }
        if self.ignored > 0 {
            let _ = write!(out, "; {} ignored", self.ignored);
        }
        out
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Report {
    /// Totals over every lockfile.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            lockfiles: self.lockfiles.len(),
            expired_ignores: self.expired_ignores.len(),
            yanked_checked: self.yanked_checked,
            ..Summary::default()
        };
        let mut vulnerable = HashSet::new();
        for lockfile in &self.lockfiles {
            s.packages += lockfile.packages;
            s.audited += lockfile.audited;
            s.dev_skipped += lockfile.dev_skipped;
            s.not_auditable += lockfile.not_auditable.len();
            s.unchecked += lockfile.unchecked.len();
            s.ignored += lockfile.ignored.len();
            s.yanked += lockfile.yanked.len();
            for finding in &lockfile.findings {
                if !finding.is_vulnerability() {
                    s.informational += 1;
                    continue;
                }
                s.vulnerabilities += 1;
                vulnerable.insert((
                    finding.package.ecosystem,
                    &finding.package.name,
                    &finding.package.version,
                ));
                match finding.severity() {
                    Some(Severity::Critical) => s.critical += 1,
                    Some(Severity::High) => s.high += 1,
                    Some(Severity::Moderate) => s.moderate += 1,
                    Some(Severity::Low) => s.low += 1,
                    Some(Severity::None) => s.none += 1,
                    None => s.unknown += 1,
                }
            }
        }
        s.vulnerable_packages = vulnerable.len();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        let s = Summary {
            vulnerabilities: 3,
            critical: 1,
            high: 2,
            vulnerable_packages: 2,
            informational: 1,
            ..Summary::default()
        };
        assert_eq!(
            s.line(),
            "3 vulnerabilities (1 critical, 2 high) in 2 packages; 1 warning"
        );
        let clean = Summary {
            audited: 57,
            ignored: 2,
            ..Summary::default()
        };
        assert_eq!(
            clean.line(),
            "no vulnerabilities in 57 audited packages; 0 warnings; 2 ignored"
        );
        let checked = Summary {
            yanked_checked: true,
            ..clean
        };
        assert_eq!(
            checked.line(),
            "no vulnerabilities in 57 audited packages; 0 warnings; 0 yanked; 2 ignored"
        );
        let yanked = Summary {
            yanked: 2,
            ..checked
        };
        assert_eq!(
            yanked.line(),
            "no vulnerabilities in 57 audited packages; 0 warnings; 2 yanked; 2 ignored"
        );
    }
}
