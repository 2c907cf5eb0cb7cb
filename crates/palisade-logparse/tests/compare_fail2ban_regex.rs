//! Failure counts against `fail2ban-regex` and Debian's sshd.conf, when both are installed
//! (./scripts/test installs fail2ban; fail2ban-regex takes about a second here).

mod common;

use std::path::Path;

use palisade_logparse::fail2ban::Fail2banFilter;
use palisade_logparse::{Entry, Login, Outcome, Parser, builtin};

#[test]
fn sshd_counts_match_fail2ban_regex() {
    let conf = Path::new("/etc/fail2ban/filter.d/sshd.conf");
    if !conf.exists() {
        eprintln!("skipping: {} not found", conf.display());
        return;
    }
    let lines = common::auth_log(20_000);
    let file = std::env::temp_dir().join(format!("palisade-logparse-{}.log", std::process::id()));
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new("fail2ban-regex")
        .arg(&file)
        .arg(conf)
        .output();
    let _ = std::fs::remove_file(&file);
    let Ok(out) = out else {
        eprintln!("skipping: fail2ban-regex not runnable");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .unwrap_or_else(|| panic!("{text}"));
    let matched: usize = summary
        .split(", ")
        .find_map(|p| p.strip_suffix(" matched"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let is_fail = |e: Option<Entry<'_>>| {
        matches!(
            e,
            Some(Entry::Login(Login {
                outcome: Outcome::Failure,
                ..
            }))
        )
    };
    let sshd = builtin("sshd").unwrap();
    let ours = lines.iter().filter(|l| is_fail(sshd.parse(l))).count();
    let filter = Fail2banFilter::load(conf, &|p| std::fs::read_to_string(p)).unwrap();
    let emulated = lines.iter().filter(|l| is_fail(filter.parse(l))).count();
    eprintln!(
        "fail2ban-regex: {matched}, builtin sshd: {ours}, Fail2banFilter(sshd.conf): {emulated}"
    );
    assert_eq!(ours, matched);
    assert_eq!(emulated, matched);
}
