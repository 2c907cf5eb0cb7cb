//! Runtime currency on fixed dates: Node.js release lines, Rust's six-week train.

use palisade_update::{
    Date, NODE_SCHEDULE, NodePhase, UpdateError, latest_rustc_on, node_status, rustc_status,
};

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

#[test]
fn node_lines_on_2025_06_01() {
    let today = date("2025-06-01");
    let phase = |v: &str| node_status(v, today).unwrap().status;
    assert_eq!(phase("v12.22.12"), NodePhase::EndOfLife);
    assert_eq!(phase("v16.20.2"), NodePhase::EndOfLife);
    assert_eq!(phase("18.20.4"), NodePhase::EndOfLife);
    assert_eq!(phase("v20.11.1"), NodePhase::MaintenanceLts);
    assert_eq!(phase("v22.12.0"), NodePhase::ActiveLts);
    assert_eq!(
        phase("v23.11.0"),
        NodePhase::EndOfLife,
        "its last day was 2025-05-31"
    );
    assert_eq!(phase("v24.1.0"), NodePhase::Current);
    assert_eq!(phase("v25.0.0-nightly"), NodePhase::Prerelease);
    assert_eq!(phase("v27.0.0"), NodePhase::Unknown);

    let s = node_status("v18.20.4", today).unwrap();
    assert_eq!(
        (s.line, s.eol, s.recommended),
        (18, Some(date("2025-04-30")), Some(22))
    );
    assert_eq!(
        s.advice,
        "Node.js 18 (Hydrogen) reached end-of-life on 2025-04-30 and gets no security fixes; \
         upgrade to Node.js 22 (Jod) (Active LTS, supported until 2027-04-30)"
    );
    let s = node_status("v20.11.1", today).unwrap();
    assert_eq!(
        s.advice,
        "Node.js 20 (Iron) is in maintenance: critical and security fixes only, until its \
         end-of-life on 2026-04-30; plan the move to Node.js 22 (Jod) (Active LTS, supported \
         until 2027-04-30)"
    );
    let s = node_status("22", today).unwrap();
    assert_eq!(
        s.advice,
        "Node.js 22 (Jod) is in Active LTS, supported until 2027-04-30"
    );
    let s = node_status("v24.1.0", today).unwrap();
    assert_eq!(
        s.advice,
        "Node.js 24 (Krypton) is the Current release; it becomes LTS on 2025-10-28 and is \
         supported until 2028-04-30"
    );
    let s = node_status("v12.22.12", today).unwrap();
    assert_eq!((s.eol, s.recommended), (None, Some(22)));
}

#[test]
fn node_phase_boundaries() {
    // Active LTS starts on its day; end-of-life on its day.
    assert_eq!(
        node_status("22", date("2024-10-28")).unwrap().status,
        NodePhase::Current
    );
    assert_eq!(
        node_status("22", date("2024-10-29")).unwrap().status,
        NodePhase::ActiveLts
    );
    assert_eq!(
        node_status("20", date("2026-04-29")).unwrap().status,
        NodePhase::MaintenanceLts
    );
    assert_eq!(
        node_status("20", date("2026-04-30")).unwrap().status,
        NodePhase::EndOfLife
    );
    // The week between 22's maintenance and 24's LTS: 22 is still the newest LTS line.
    let gap = date("2025-10-24");
    assert_eq!(
        node_status("22", gap).unwrap().status,
        NodePhase::MaintenanceLts
    );
    assert_eq!(node_status("24", gap).unwrap().status, NodePhase::Current);
    assert_eq!(node_status("24", gap).unwrap().recommended, Some(22));
    // An odd line: Current, then two months of maintenance, never LTS.
    let s = node_status("v25.2.0", date("2026-01-15")).unwrap();
    assert_eq!((s.status, s.recommended), (NodePhase::Current, Some(24)));
    assert_eq!(
        s.advice,
        "Node.js 25 is an odd-numbered Current release, supported only until 2026-06-01 and \
         never LTS; production should use Node.js 24 (Krypton) (Active LTS, supported until \
         2028-04-30)"
    );
    assert_eq!(
        node_status("25", date("2026-04-15")).unwrap().status,
        NodePhase::Maintenance
    );
    // 26 is planned: LTS from 2026-10-28.
    assert_eq!(
        node_status("26", date("2026-11-01")).unwrap().status,
        NodePhase::ActiveLts
    );
    assert_eq!(NODE_SCHEDULE.first().map(|l| l.major), Some(14));
    assert_eq!(NODE_SCHEDULE.last().map(|l| l.major), Some(26));
}

#[test]
fn node_versions_that_do_not_parse() {
    assert_eq!(
        node_status("lts/iron", date("2025-01-01")),
        Err(UpdateError::InvalidRuntimeVersion {
            runtime: "Node.js",
            version: "lts/iron".into()
        })
    );
}

#[test]
fn rustc_releases_behind() {
    let today = date("2025-03-01");
    assert_eq!(latest_rustc_on(today), Some(85));
    let s = rustc_status("1.85.0", today).unwrap();
    assert_eq!((s.behind, s.supported), (0, true));
    assert_eq!(
        s.advice,
        "rustc 1.85.0 is the latest stable release (1.85.0, released 2025-02-20)"
    );
    let s = rustc_status("rustc 1.84.1 (e71f9a9a9 2025-01-27)", today).unwrap();
    assert_eq!(
        (s.installed.as_str(), s.behind, s.supported),
        ("1.84.1", 1, false)
    );
    assert_eq!(
        s.advice,
        "rustc 1.84.1 is 1 release behind the latest stable (1.85.0, released 2025-02-20); \
         only the latest stable release gets security fixes: run `rustup update stable`"
    );
    let s = rustc_status("1.70", today).unwrap();
    assert_eq!((s.behind, s.latest_released), (15, date("2025-02-20")));
    // Betas and nightlies ahead of stable.
    for v in [
        "1.86.0-beta.3",
        "rustc 1.87.0-nightly (f5a1ef712 2025-02-28)",
    ] {
        let s = rustc_status(v, today).unwrap();
        assert!(s.supported && s.behind == 0, "{v}");
        assert!(
            s.advice.contains("toolchain ahead of stable 1.85.0"),
            "{}",
            s.advice
        );
    }
    for bad in ["2.0.0", "nightly", "", "1.x"] {
        assert!(rustc_status(bad, today).is_err(), "{bad}");
    }
}

#[test]
fn rustc_on_release_days() {
    for (day, latest) in [
        ("2023-06-01", "1.70.0"),
        ("2024-07-24", "1.79.0"),
        ("2024-07-25", "1.80.0"),
        ("2025-02-20", "1.85.0"),
        ("2026-04-16", "1.95.0"),
    ] {
        let s = rustc_status("1.70.0", date(day)).unwrap();
        assert_eq!(s.latest, latest, "{day}");
    }
}
