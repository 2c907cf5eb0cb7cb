//! How far an installed Rust toolchain is behind the latest stable release.
//!
//! Rust ships a stable release every six weeks, on a Thursday: 1.0 on 2015-05-15, then 1.1 on
//! 2015-06-25 and every 42 days since, without a slip so far. So the latest stable on a given
//! day is computed, not fetched; if the project ever moves a release, the result is off by
//! one release for at most that gap.

use crate::error::UpdateError;
use palisade_core::date::Date;

/// The cadence's anchor: 1.1.0, the first release on the six-week train.
const RUST_1_1: Date = Date::known(2015, 6, 25);
const RUST_1_0: Date = Date::known(2015, 5, 15);
const TRAIN_DAYS: i64 = 42;

/// The release date of Rust `1.minor.0`.
///
/// ```
/// use palisade_update::{Date, rustc_release_date};
///
/// assert_eq!(rustc_release_date(70), Date::parse("2023-06-01").unwrap());
/// assert_eq!(rustc_release_date(85), Date::parse("2025-02-20").unwrap());
/// ```
pub fn rustc_release_date(minor: u32) -> Date {
    match minor {
        0 => RUST_1_0,
        n => RUST_1_1.plus_days(TRAIN_DAYS * (i64::from(n) - 1)),
    }
}

/// The minor version of the latest stable Rust (`1.N.0`) released on or before `today`;
/// `None` before 1.0.
pub fn latest_rustc_on(today: Date) -> Option<u32> {
    if today < RUST_1_0 {
        return None;
    }
    let since = today.days() - RUST_1_1.days();
    if since < 0 {
        return Some(0);
    }
    u32::try_from(since / TRAIN_DAYS + 1).ok()
}

/// How an installed `rustc` compares with the latest stable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustcStatus {
    /// The installed version as read (`1.80.1`, `1.87.0-nightly`).
    pub installed: String,
    /// The latest stable release on the given day, `1.N.0`.
    pub latest: String,
    /// Its release date.
    pub latest_released: Date,
    /// Stable releases between the installed one and the latest (0 when up to date, or when a
    /// beta or nightly is ahead of stable).
    pub behind: u32,
    /// Whether it still gets security fixes: only the latest stable does (a point release
    /// `1.N.x` of it included), and betas and nightlies that are ahead of it.
    pub supported: bool,
    /// One sentence for the report.
    pub advice: String,
}

/// Where rustc `installed` stands on `today`. Takes `rustc --version` output
/// (`rustc 1.80.1 (3f5fd8dd4 2024-08-06)`) or a bare version (`1.80.1`, `1.80`,
/// `1.87.0-nightly`).
///
/// ```
/// use palisade_update::{Date, rustc_status};
///
/// let today = Date::parse("2025-03-01").unwrap();
/// let status = rustc_status("rustc 1.80.1 (3f5fd8dd4 2024-08-06)", today).unwrap();
/// assert_eq!((status.latest.as_str(), status.behind, status.supported), ("1.85.0", 5, false));
/// ```
pub fn rustc_status(installed: &str, today: Date) -> Result<RustcStatus, UpdateError> {
    let invalid = || UpdateError::InvalidRuntimeVersion {
        runtime: "rustc",
        version: installed.to_owned(),
    };
    let text = installed.trim();
    let text = text.strip_prefix("rustc").unwrap_or(text).trim_start();
    let version = text.split_whitespace().next().ok_or_else(invalid)?;
    let mut parts = version.split(['.', '-', '+']);
    let (Some("1"), Some(minor)) = (parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let minor: u32 = minor.parse().map_err(|_| invalid())?;
    let channel = version.split_once('-').map(|(_, c)| c);
    let latest_minor = latest_rustc_on(today).unwrap_or(0);
    let latest = format!("1.{latest_minor}.0");
    let latest_released = rustc_release_date(latest_minor);
    let behind = latest_minor.saturating_sub(minor);
    let supported = behind == 0;
    let advice = if minor > latest_minor || (minor == latest_minor && channel.is_some()) {
        format!(
            "rustc {version} is a {} toolchain ahead of stable {latest}: fine for development; \
             release builds usually want stable",
            channel.unwrap_or("pre-release")
        )
    } else if supported {
        format!(
            "rustc {version} is the latest stable release ({latest}, released {latest_released})"
        )
    } else {
        let releases = if behind == 1 { "release" } else { "releases" };
        format!(
            "rustc {version} is {behind} {releases} behind the latest stable ({latest}, released \
             {latest_released}); only the latest stable release gets security fixes: run \
             `rustup update stable`"
        )
    };
    Ok(RustcStatus {
        installed: version.to_owned(),
        latest,
        latest_released,
        behind,
        supported,
        advice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// Release dates as announced on blog.rust-lang.org.
    #[test]
    fn cadence_matches_known_releases() {
        let known = [
            (0, "2015-05-15"),
            (1, "2015-06-25"),
            (3, "2015-09-17"),
            (31, "2018-12-06"),
            (56, "2021-10-21"),
            (65, "2022-11-03"),
            (70, "2023-06-01"),
            (75, "2023-12-28"),
            (80, "2024-07-25"),
            (85, "2025-02-20"),
            (88, "2025-06-26"),
        ];
        for (minor, released) in known {
            assert_eq!(rustc_release_date(minor), date(released), "1.{minor}");
            assert_eq!(latest_rustc_on(date(released)), Some(minor), "1.{minor}");
        }
        // 1.2 was announced a day after its train date (2015-08-07); the train, and every
        // release since, kept the Thursday.
        assert_eq!(rustc_release_date(2), date("2015-08-06"));
        // The day before a release, the previous one is latest.
        assert_eq!(latest_rustc_on(date("2025-02-19")), Some(84));
        assert_eq!(latest_rustc_on(date("2015-05-14")), None);
        assert_eq!(latest_rustc_on(date("2015-06-01")), Some(0));
    }
}
