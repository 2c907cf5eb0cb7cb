//! Node.js release lines and where an installed Node.js stands in their support schedule.

use std::fmt;

use crate::error::UpdateError;
use palisade_core::date::Date;

/// One Node.js major release line and its support schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLine {
    /// The major version (`22`).
    pub major: u32,
    /// The LTS codename (`Jod`); `None` for odd, never-LTS lines and for lines not yet named.
    pub codename: Option<&'static str>,
    /// First release of the line: it is "Current" from here.
    pub start: Date,
    /// Start of Active LTS; `None` for odd lines, which never become LTS.
    pub lts: Option<Date>,
    /// Start of maintenance: critical fixes only.
    pub maintenance: Date,
    /// End-of-life: no fixes at all, security ones included.
    pub end: Date,
}

const fn line(
    major: u32,
    codename: Option<&'static str>,
    start: Date,
    lts: Option<Date>,
    maintenance: Date,
    end: Date,
) -> NodeLine {
    NodeLine {
        major,
        codename,
        start,
        lts,
        maintenance,
        end,
    }
}

const fn d(year: i32, month: u8, day: u8) -> Date {
    Date::known(year, month, day)
}

/// Node.js 14 to 26, from the Node.js Release working group's `schedule.json`
/// (github.com/nodejs/Release): actual dates for past events, planned ones for the future
/// (those can still move). Lines before 14 all reached end-of-life by April 2022.
pub const NODE_SCHEDULE: &[NodeLine] = &[
    line(
        14,
        Some("Fermium"),
        d(2020, 4, 21),
        Some(d(2020, 10, 27)),
        d(2021, 10, 19),
        d(2023, 4, 30),
    ),
    line(
        15,
        None,
        d(2020, 10, 20),
        None,
        d(2021, 4, 1),
        d(2021, 6, 1),
    ),
    line(
        16,
        Some("Gallium"),
        d(2021, 4, 20),
        Some(d(2021, 10, 26)),
        d(2022, 10, 18),
        d(2023, 9, 11),
    ),
    line(
        17,
        None,
        d(2021, 10, 19),
        None,
        d(2022, 4, 1),
        d(2022, 6, 1),
    ),
    line(
        18,
        Some("Hydrogen"),
        d(2022, 4, 19),
        Some(d(2022, 10, 25)),
        d(2023, 10, 18),
        d(2025, 4, 30),
    ),
    line(
        19,
        None,
        d(2022, 10, 18),
        None,
        d(2023, 4, 1),
        d(2023, 6, 1),
    ),
    line(
        20,
        Some("Iron"),
        d(2023, 4, 18),
        Some(d(2023, 10, 24)),
        d(2024, 10, 22),
        d(2026, 4, 30),
    ),
    line(
        21,
        None,
        d(2023, 10, 17),
        None,
        d(2024, 4, 1),
        d(2024, 6, 1),
    ),
    line(
        22,
        Some("Jod"),
        d(2024, 4, 24),
        Some(d(2024, 10, 29)),
        d(2025, 10, 21),
        d(2027, 4, 30),
    ),
    line(
        23,
        None,
        d(2024, 10, 16),
        None,
        d(2025, 4, 1),
        d(2025, 6, 1),
    ),
    line(
        24,
        Some("Krypton"),
        d(2025, 5, 6),
        Some(d(2025, 10, 28)),
        d(2026, 10, 20),
        d(2028, 4, 30),
    ),
    line(
        25,
        None,
        d(2025, 10, 15),
        None,
        d(2026, 4, 1),
        d(2026, 6, 1),
    ),
    line(
        26,
        None,
        d(2026, 4, 22),
        Some(d(2026, 10, 28)),
        d(2027, 10, 20),
        d(2029, 4, 30),
    ),
];

/// Where a release line is in its life on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodePhase {
    /// Before the line's first release (a nightly or release candidate).
    Prerelease,
    /// The newest line, not (yet) LTS: supported, but its APIs may still change.
    Current,
    /// Long-term support, actively maintained: what production should run.
    ActiveLts,
    /// Long-term support, critical fixes (security included) only, until end-of-life.
    MaintenanceLts,
    /// An odd line's last weeks: critical fixes only, and it never becomes LTS.
    Maintenance,
    /// No fixes of any kind, security ones included.
    EndOfLife,
    /// A line newer than palisade's schedule.
    Unknown,
}

impl NodePhase {
    /// As the Node.js schedule names it (`Active LTS`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodePhase::Prerelease => "Prerelease",
            NodePhase::Current => "Current",
            NodePhase::ActiveLts => "Active LTS",
            NodePhase::MaintenanceLts => "Maintenance LTS",
            NodePhase::Maintenance => "Maintenance",
            NodePhase::EndOfLife => "End-of-life",
            NodePhase::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for NodePhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NodeLine {
    /// The line's phase on `today`.
    pub fn phase(&self, today: Date) -> NodePhase {
        if today < self.start {
            NodePhase::Prerelease
        } else if today >= self.end {
            NodePhase::EndOfLife
        } else if today >= self.maintenance {
            match self.lts {
                Some(_) => NodePhase::MaintenanceLts,
                None => NodePhase::Maintenance,
            }
        } else if self.lts.is_some_and(|lts| today >= lts) {
            NodePhase::ActiveLts
        } else {
            NodePhase::Current
        }
    }

    /// `Node.js 22 (Jod)`.
    fn name(&self) -> String {
        match self.codename {
            Some(codename) => format!("Node.js {} ({codename})", self.major),
            None => format!("Node.js {}", self.major),
        }
    }
}

/// Where an installed Node.js stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeStatus {
    /// The installed major line.
    pub line: u32,
    /// Its phase on the given day.
    pub status: NodePhase,
    /// Its end-of-life date, when palisade's schedule has the line.
    pub eol: Option<Date>,
    /// The line production should run: the newest LTS line (active or maintenance) on that
    /// day. `None` if the schedule has none (a date past it).
    pub recommended: Option<u32>,
    /// One sentence for the report.
    pub advice: String,
}

/// Where Node.js `installed` (`v20.11.1`, `20.11.1`, `20`) stands on `today`.
///
/// ```
/// use palisade_update::{Date, NodePhase, node_status};
///
/// let today = Date::parse("2025-06-01").unwrap();
/// let status = node_status("v18.20.4", today).unwrap();
/// assert_eq!(status.status, NodePhase::EndOfLife);
/// assert_eq!(status.eol, Some(Date::parse("2025-04-30").unwrap()));
/// assert_eq!(status.recommended, Some(22));
/// ```
pub fn node_status(installed: &str, today: Date) -> Result<RuntimeStatus, UpdateError> {
    let major = node_major(installed)?;
    let recommended = NODE_SCHEDULE.iter().rev().find(|l| {
        matches!(
            l.phase(today),
            NodePhase::ActiveLts | NodePhase::MaintenanceLts
        )
    });
    let move_to = |verb: &str| match recommended {
        Some(r) if r.major != major => format!(
            "; {verb} {} ({}, supported until {})",
            r.name(),
            r.phase(today),
            r.end
        ),
        _ => String::new(),
    };
    let Some(line) = NODE_SCHEDULE.iter().find(|l| l.major == major) else {
        let (status, advice) = if NODE_SCHEDULE
            .first()
            .is_some_and(|first| major < first.major)
        {
            (
                NodePhase::EndOfLife,
                format!(
                    "Node.js {major} is past its end-of-life and gets no security fixes{}",
                    move_to("upgrade to")
                ),
            )
        } else {
            (
                NodePhase::Unknown,
                format!(
                    "Node.js {major} is newer than palisade's release schedule (lines 14 to 26); check https://nodejs.org/en/about/previous-releases"
                ),
            )
        };
        return Ok(RuntimeStatus {
            line: major,
            status,
            eol: None,
            recommended: recommended.map(|r| r.major),
            advice,
        });
    };
    let phase = line.phase(today);
    let name = line.name();
    let advice = match phase {
        NodePhase::Prerelease => format!(
            "{name} is not released until {}: a prerelease is no production runtime{}",
            line.start,
            move_to("use")
        ),
        NodePhase::Current if line.lts.is_none() => format!(
            "{name} is an odd-numbered Current release, supported only until {} and never LTS{}",
            line.end,
            move_to("production should use")
        ),
        NodePhase::Current => format!(
            "{name} is the Current release; it becomes LTS on {} and is supported until {}",
            line.lts.map_or_else(String::new, |d| d.to_string()),
            line.end
        ),
        NodePhase::ActiveLts => format!("{name} is in Active LTS, supported until {}", line.end),
        NodePhase::MaintenanceLts | NodePhase::Maintenance => format!(
            "{name} is in maintenance: critical and security fixes only, until its end-of-life on {}{}",
            line.end,
            move_to("plan the move to")
        ),
        NodePhase::EndOfLife | NodePhase::Unknown => format!(
            "{name} reached end-of-life on {} and gets no security fixes{}",
            line.end,
            move_to("upgrade to")
        ),
    };
    Ok(RuntimeStatus {
        line: major,
        status: phase,
        eol: Some(line.end),
        recommended: recommended.map(|r| r.major),
        advice,
    })
}

/// The major version of `node --version` output or a version written by hand.
fn node_major(installed: &str) -> Result<u32, UpdateError> {
    let text = installed.trim();
    let text = text.strip_prefix("node").unwrap_or(text).trim_start();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let major = text.split(['.', '-', '+']).next().unwrap_or_default();
    major
        .parse()
        .map_err(|_| UpdateError::InvalidRuntimeVersion {
            runtime: "Node.js",
            version: installed.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_dates_are_real_and_in_order() {
        for (i, l) in NODE_SCHEDULE.iter().enumerate() {
            assert_eq!(l.major, 14 + i as u32);
            for date in [l.start, l.maintenance, l.end].into_iter().chain(l.lts) {
                assert_eq!(
                    Date::from_ymd(date.year(), date.month(), date.day()),
                    Some(date)
                );
            }
            assert!(
                l.start < l.maintenance && l.maintenance < l.end,
                "{}",
                l.major
            );
            if let Some(lts) = l.lts {
                assert!(l.start < lts && lts < l.maintenance, "{}", l.major);
            }
            // Even lines become LTS, odd ones never do.
            assert_eq!(l.lts.is_some(), l.major % 2 == 0, "{}", l.major);
        }
    }

    #[test]
    fn versions_are_read_like_node_prints_them() {
        assert_eq!(node_major("v20.11.1"), Ok(20));
        assert_eq!(node_major("20"), Ok(20));
        assert_eq!(node_major(" node v22.0.0-nightly2024 "), Ok(22));
        assert!(node_major("lts/iron").is_err());
        assert!(node_major("").is_err());
    }
}
