//! RustSec `patched`/`unaffected` requirements as intervals, exactly as cargo-audit reads them.
//!
//! cargo-audit (the `rustsec` crate, `osv::unaffected_range`) does not use `VersionReq::matches`:
//! it turns each requirement into an interval of SemVer precedence and calls a version affected
//! when no interval contains it. So prereleases are ordinary points on the line: `>= 1.2.0`
//! covers `1.3.0-alpha`, and `^1.2.3` ends just before `2.0.0-0`. The same requirements are
//! rejected: more than two comparators, two lower (or upper) bounds, `^`/`~`/`=` combined with
//! another comparator, wildcards, and empty intervals.

use std::cmp::Ordering;

use semver::{Comparator, Op, Prerelease, Version, VersionReq};

/// One end of an interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    Unbounded,
    Inclusive(Version),
    Exclusive(Version),
}

/// The versions a requirement covers, by SemVer precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) start: Bound,
    pub(crate) end: Bound,
}

impl Interval {
    /// Reads a requirement string the way cargo-audit does; the error says why it would not.
    pub(crate) fn from_requirement(text: &str) -> Result<Interval, String> {
        let req = VersionReq::parse(text).map_err(|e| e.to_string())?;
        Self::from_req(&req)
    }

    fn from_req(req: &VersionReq) -> Result<Interval, String> {
        let alone = req.comparators.len() == 1;
        if req.comparators.len() > 2 {
            return Err("more than two comparators".into());
        }
        let mut start = Bound::Unbounded;
        let mut end = Bound::Unbounded;
        for c in &req.comparators {
            let v = comparator_version(c);
            match c.op {
                Op::Greater | Op::GreaterEq => {
                    if start != Bound::Unbounded {
                        return Err("more than one lower bound".into());
                    }
                    start = if c.op == Op::Greater {
                        Bound::Exclusive(v)
                    } else {
                        Bound::Inclusive(v)
                    };
                }
                Op::Less | Op::LessEq => {
                    if end != Bound::Unbounded {
                        return Err("more than one upper bound".into());
                    }
                    end = if c.op == Op::Less {
                        Bound::Exclusive(v)
                    } else {
                        Bound::Inclusive(v)
                    };
                }
                Op::Exact | Op::Caret | Op::Tilde if !alone => {
                    return Err(format!("`{c}` sets both bounds and must be alone"));
                }
                Op::Exact => {
                    start = Bound::Inclusive(v.clone());
                    end = Bound::Inclusive(v);
                }
                Op::Caret | Op::Tilde => {
                    let upper = if c.op == Op::Caret {
                        caret_upper(c)
                    } else {
                        tilde_upper(c)
                    };
                    start = Bound::Inclusive(v);
                    end = Bound::Exclusive(upper.ok_or("version number overflow")?);
                }
                _ => return Err(format!("operator of `{c}` is not supported by RustSec")),
            }
        }
        if !start_le_end(&start, &end) {
            return Err("the range is empty".into());
        }
        Ok(Interval { start, end })
    }

    /// Whether `version` lies in the interval (SemVer precedence).
    pub(crate) fn contains(&self, version: &Version) -> bool {
        let above_start = match &self.start {
            Bound::Unbounded => true,
            Bound::Inclusive(s) => version.cmp_precedence(s) != Ordering::Less,
            Bound::Exclusive(s) => version.cmp_precedence(s) == Ordering::Greater,
        };
        let below_end = match &self.end {
            Bound::Unbounded => true,
            Bound::Inclusive(e) => version.cmp_precedence(e) != Ordering::Greater,
            Bound::Exclusive(e) => version.cmp_precedence(e) == Ordering::Less,
        };
        above_start && below_end
    }

    /// The lowest release a user could upgrade to inside the interval: the start itself, or the
    /// next patch after an exclusive start. `None` for unbounded starts or exclusive prerelease
    /// starts, which name no release.
    pub(crate) fn lowest_release(&self) -> Option<Version> {
        match &self.start {
            Bound::Inclusive(v) => Some(v.clone()),
            Bound::Exclusive(v) if v.pre.is_empty() => {
                Some(Version::new(v.major, v.minor, v.patch.checked_add(1)?))
            }
            _ => None,
        }
    }
}

/// A comparator's version with missing parts as 0 and no build metadata (as cargo-audit).
fn comparator_version(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

/// `-0` is the lowest prerelease, so `^1.0.0` stops before `2.0.0-alpha`.
fn lowest_prerelease(mut v: Version) -> Version {
    v.pre = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
    v
}

/// Cargo's caret: the left-most non-zero part may not change (`^0.2.3` → `<0.3.0-0`).
fn caret_upper(c: &Comparator) -> Option<Version> {
    let upper = if c.major == 0 {
        match (c.minor, c.patch) {
            (Some(0), Some(patch)) => Version::new(0, 0, patch.checked_add(1)?),
            (Some(minor), _) => Version::new(0, minor.checked_add(1)?, 0),
            (None, _) => Version::new(1, 0, 0),
        }
    } else {
        Version::new(c.major.checked_add(1)?, 0, 0)
    };
    Some(lowest_prerelease(upper))
}

/// Cargo's tilde: `~1.2.3` and `~1.2` → `<1.3.0-0`, `~1` → `<2.0.0-0`.
fn tilde_upper(c: &Comparator) -> Option<Version> {
    let upper = match c.minor {
        Some(minor) => Version::new(c.major, minor.checked_add(1)?, 0),
        None => Version::new(c.major.checked_add(1)?, 0, 0),
    };
    Some(lowest_prerelease(upper))
}

/// cargo-audit's validity check: start ≤ end, and equal ends must both be inclusive.
fn start_le_end(start: &Bound, end: &Bound) -> bool {
    let (s, e) = match (start, end) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => return true,
        (Bound::Inclusive(s) | Bound::Exclusive(s), Bound::Inclusive(e) | Bound::Exclusive(e)) => {
            (s, e)
        }
    };
    match s.cmp_precedence(e) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => matches!((start, end), (Bound::Inclusive(_), Bound::Inclusive(_))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(req: &str, version: &str) -> bool {
        Interval::from_requirement(req)
            .unwrap()
            .contains(&Version::parse(version).unwrap())
    }

    #[test]
    fn caret_and_tilde_follow_cargo_with_prerelease_ends() {
        assert!(covers("^0.2.3", "0.2.9"));
        assert!(!covers("^0.2.3", "0.3.0"));
        assert!(!covers("^0.2.3", "0.3.0-alpha"));
        assert!(!covers("^0.2.3", "0.2.2"));
        assert!(covers("^0.0.3", "0.0.3"));
        assert!(!covers("^0.0.3", "0.0.4"));
        assert!(covers("0.2", "0.2.7")); // a bare version is a caret requirement
        assert!(covers("~1.2", "1.2.9"));
        assert!(!covers("~1.2", "1.3.0-rc.1"));
        assert!(covers("=1.0", "1.0.0"));
    }

    #[test]
    fn prereleases_are_points_on_the_line() {
        // VersionReq::matches(">= 1.2.0", "1.3.0-alpha") is false; cargo-audit counts it patched.
        assert!(covers(">= 1.2.0", "1.3.0-alpha"));
        assert!(!covers(">= 1.2.0", "1.2.0-rc.1"));
        assert!(covers(">= 1.2, < 1.5", "1.4.99"));
        assert!(!covers(">= 1.2, < 1.5", "1.5.0"));
        assert!(covers("> 1.2.3", "1.2.4-0"));
    }

    #[test]
    fn rejects_what_cargo_audit_rejects() {
        for bad in [
            ">= 1.0, >= 2.0",
            "< 1, <= 2",
            "^1.0, < 1.5",
            "> 1, < 2, < 3",
            "1.2.*",
            ">= 2.0, < 1.0",
            "> 1.0.0, < 1.0.0",
            "not a version",
        ] {
            assert!(Interval::from_requirement(bad).is_err(), "{bad}");
        }
        assert!(Interval::from_requirement(&format!("^{}.0.0", u64::MAX)).is_err());
    }

    #[test]
    fn lowest_release_inside() {
        let low = |r: &str| Interval::from_requirement(r).unwrap().lowest_release();
        assert_eq!(low(">= 1.2.0"), Some(Version::new(1, 2, 0)));
        assert_eq!(low("> 1.2.0"), Some(Version::new(1, 2, 1)));
        assert_eq!(low("^0.3"), Some(Version::new(0, 3, 0)));
        assert_eq!(low("< 1.0"), None);
    }
}
