//! The terminal table and the Markdown comment: key lines, colours, and third-party text kept
//! inert. Asserts on lines rather than whole snapshots, so wording elsewhere can evolve.

mod common;

use common::{npm_advisory, rich_report, rich_report_yanked};
use palisade_audit::render::{self, Color};

#[test]
fn table_shows_findings_paths_advice_and_summary() {
    let text = render::table(&rich_report(), Color::Never);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "palisade audit: 7 packages in 2 lockfiles, against 7 advisories (2026-05-01)"
    );
    assert!(
        lines.contains(&"web/package-lock.json (package-lock.json, npm): 5 of 6 packages audited")
    );
    assert!(lines.contains(&"  SEVERITY  PACKAGE         ADVISORY             FIXED IN"));
    assert!(lines.contains(&"  critical  left-pad@1.3.0  GHSA-llll-llll-0001  -"));
    assert!(lines.contains(&"  unknown   left-pad@1.3.0  GHSA-llll-llll-0002  1.3.1"));
    assert!(lines.contains(&"  high      qs@6.7.0        GHSA-qqqq-qqqq-qqqq  6.7.3"));
    assert!(lines.iter().any(|l| l.trim() == "fix:  a newer express is needed: express@4.17.1 requires qs 6.7.0, which excludes 6.7.3"));
    assert!(lines.iter().any(|l| {
        l.trim()
            .starts_with("path: web@1.0.0 > express@4.17.1 > qs@6.7.0 (web/package-lock.json:")
    }));
    assert!(lines.contains(&"  ignored: GHSA-mmmm-mmmm-mmmm for ms@2.0.0: durations are ours, not user input (until 2026-12-31)"));
    assert!(lines.contains(&"  warning: could not check weird@not-a-version against GHSA-wwww-wwww-wwww: not a valid npm semver version"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  not auditable: local: link to "))
    );
    assert!(lines.contains(&"  unmaintained  ansi_term@0.12.1  RUSTSEC-2021-0139  -"));
    assert!(lines.iter().any(|l| l.starts_with(
        "warning: the ignore for GHSA-zzzz-zzzz-zzzz (.palisade-audit.toml:7) expired on 2026-01-31"
    )));
    assert_eq!(
        *lines.last().unwrap(),
        "4 vulnerabilities (2 critical, 1 unknown, 1 high) in 3 packages; 3 warnings; 1 ignored"
    );
    assert!(!text.contains('\x1b'));

    // Not checked: nothing about yanked versions, not even "0 yanked".
    assert!(!text.contains("yanked"));

    let coloured = render::table(&rich_report(), Color::Ansi);
    assert!(coloured.contains("\x1b[1;31mcritical\x1b[0m"));
    assert!(coloured.contains("\x1b[31mhigh    \x1b[0m"));
    // Same text once the escapes are gone.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, text);
}

#[test]
fn table_lists_yanked_packages_as_warnings() {
    let text = render::table(&rich_report_yanked(), Color::Never);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(
            &"  yanked: smallvec@1.6.0, path: app@0.1.0 > smallvec@1.6.0 (Cargo.lock:14)"
        )
    );
    // crates.io was asked, npm not: the npm lockfile says so instead of looking clean.
    assert!(lines.contains(&"  yanked: not checked for npm"));
    assert_eq!(
        *lines.last().unwrap(),
        "4 vulnerabilities (2 critical, 1 unknown, 1 high) in 3 packages; 3 warnings; 1 yanked; 1 ignored"
    );
    let coloured = render::table(&rich_report_yanked(), Color::Ansi);
    assert!(coloured.contains("\x1b[33myanked:\x1b[0m smallvec@1.6.0"));
    assert_eq!(strip_ansi(&coloured), text);

    // Checked, none yanked: "0 yanked", no lines.
    let none = common::rich_report_with(|s| {
        s.with_yanked(palisade_audit::Yanked::checked(
            palisade_lockfile::Ecosystem::CratesIo,
        ))
    });
    let text = render::table(&none, Color::Never);
    assert!(!text.contains("  yanked: smallvec"));
    assert!(text.trim_end().ends_with("3 warnings; 0 yanked; 1 ignored"));
}

#[test]
fn markdown_has_a_yanked_section() {
    let md = render::markdown(&rich_report_yanked());
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines.contains(&"**4 vulnerabilities (2 critical, 1 unknown, 1 high) in 3 packages; 3 warnings; 1 yanked; 1 ignored**"));
    let at = lines.iter().position(|l| *l == "#### Yanked").unwrap();
    assert_eq!(
        lines[at + 2],
        "- `smallvec@1.6.0` in `Cargo.lock` line 14: yanked from crates.io; path `app@0.1.0` → `smallvec@1.6.0`"
    );
    assert_eq!(
        lines[at + 3],
        "- not checked for `web/package-lock.json` (npm)"
    );
    // After the warnings, before the ignored.
    assert!(lines.iter().position(|l| *l == "#### Warnings").unwrap() < at);
    assert!(lines.iter().position(|l| *l == "#### Ignored").unwrap() > at);
    // Yanked versions are not vulnerabilities: still four details blocks.
    assert_eq!(md.matches("<details>\n<summary>").count(), 4);

    // Not checked: no section.
    assert!(!render::markdown(&rich_report()).contains("Yanked"));
}

#[test]
fn markdown_comment_has_a_table_and_details() {
    let md = render::markdown(&rich_report());
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "### palisade audit");
    assert!(lines.contains(&"**4 vulnerabilities (2 critical, 1 unknown, 1 high) in 3 packages; 3 warnings; 1 ignored**"));
    assert!(lines.contains(&"| Severity | Package | Advisory | Fixed in | Lockfile |"));
    assert!(lines.contains(&"| high | `qs@6.7.0` | [GHSA-qqqq-qqqq-qqqq](https://osv.dev/vulnerability/GHSA-qqqq-qqqq-qqqq) | `6.7.3` | `web/package-lock.json` |"));
    assert!(lines.contains(&"| critical | `left-pad@1.3.0` | [GHSA-llll-llll-0001](https://osv.dev/vulnerability/GHSA-llll-llll-0001) | none | `web/package-lock.json` |"));
    assert_eq!(md.matches("<details>\n<summary>").count(), 4);
    assert!(lines.contains(&"<summary><b>high</b> <code>qs@6.7.0</code> <code>GHSA-qqqq-qqqq-qqqq</code>: GHSA-qqqq-qqqq-qqqq in qs</summary>"));
    assert!(lines.contains(&"- **Dependency path:** `web@1.0.0` → `express@4.17.1` → `qs@6.7.0`"));
    assert!(lines.contains(
        &"- **Severity:** high, CVSS 7.5 `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N`"
    ));
    assert!(lines.contains(&"#### Warnings"));
    assert!(lines.iter().any(|l| l.starts_with("- **unmaintained** `ansi_term@0.12.1`: [RUSTSEC-2021-0139](https://rustsec.org/advisories/RUSTSEC-2021-0139.html)")));
    assert!(lines.contains(&"#### Ignored"));
    assert!(lines.contains(&"- `GHSA-mmmm-mmmm-mmmm` for `ms@2.0.0`: durations are ours, not user input (until 2026-12-31)"));
    assert!(lines.contains(&"<details><summary>1 package not auditable</summary>"));
}

#[test]
fn hostile_advisory_text_stays_inert() {
    let mut advisory = npm_advisory("GHSA-evil-evil-evil", &[], "ms", "0", Some("2.0.1"), "LOW");
    advisory.summary =
        "\x1b[2J\x1b]8;;http://x\x07click <script>alert(1)</script> @everyone | x".into();
    let index = common::index(vec![advisory]);
    let lock = r#"{"name": "app", "lockfileVersion": 3, "packages": {
      "": {"name": "app", "dependencies": {"ms": "^2.0.0"}},
      "node_modules/ms": {"version": "2.0.0"}}}"#;
    let report = common::audit(
        &index,
        "package-lock.json",
        lock,
        &palisade_audit::AuditSettings::new(common::today()),
    );
    let table = render::table(&report, Color::Never);
    assert!(!table.contains('\x1b') && !table.contains('\x07'));
    let md = render::markdown(&report);
    assert!(!md.contains("<script>") && !md.contains("@everyone"));
    assert!(md.contains("&lt;script&gt;"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report)).unwrap();
    assert!(
        json["lockfiles"][0]["vulnerabilities"][0]["advisory"]["summary"]
            .as_str()
            .unwrap()
            .contains("<script>")
    );
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
