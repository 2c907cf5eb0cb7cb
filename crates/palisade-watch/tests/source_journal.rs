//! The journal source against a stand-in for journalctl: a shell script that records its
//! arguments and prints JSON entries (this machine has journalctl but no running journald).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_watch::source::{JournalSource, Offsets, SourceError, Start};

/// A fake journalctl in `dir`: answers `--version`, and otherwise records its arguments and
/// PID in `args.N`/`pid.N` for its Nth run and runs `body` (which sees `$n`).
fn fake_journalctl(dir: &Path, body: &str) -> PathBuf {
    let script = dir.join("journalctl");
    let d = dir.display();
    let text = format!(
        "#!/bin/sh\n\
         if [ \"$1\" = --version ]; then echo 'systemd 252 (fake)'; exit 0; fi\n\
         n=$(( $(cat {d}/count 2>/dev/null || echo 0) + 1 )); echo $n > {d}/count\n\
         printf '%s\\n' \"$@\" > {d}/args.$n\n\
         echo $$ > {d}/pid.$n\n\
         {body}\n"
    );
    fs::write(&script, text).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    // Another test thread may have forked while our write handle was open, and the child
    // holds it until it execs ("text file busy"); wait until it has.
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Err(e) = Command::new(&script).arg("--version").output() {
        assert!(
            e.raw_os_error() == Some(26) && Instant::now() < deadline,
            "{e}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    script
}

fn entry(cursor: &str, fields: &str) -> String {
    format!(r#"echo '{{"__CURSOR":"{cursor}",{fields}}}'"#)
}

/// Polls until `want` lines arrived (or 5 s passed).
fn poll_until(source: &mut JournalSource, want: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while lines.len() < want && Instant::now() < deadline {
        source.poll(&mut |line| lines.push(line.to_owned()));
        std::thread::sleep(Duration::from_millis(5));
    }
    lines
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(text) = fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn args(dir: &Path, run: u32) -> Vec<String> {
    wait_for_file(&dir.join(format!("args.{run}")))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn availability_is_journalctl_answering_version() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!JournalSource::available(dir.path().join("missing")));
    let script = fake_journalctl(dir.path(), "exit 0");
    assert!(JournalSource::available(&script));
    let broken = dir.path().join("broken");
    fs::write(&broken, "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(&broken, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!JournalSource::available(&broken));
}

#[test]
fn entries_become_lines_and_the_cursor_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let body = [
        entry("c1", r#""MESSAGE":"Failed password for root from 192.0.2.1 port 22 ssh2","SYSLOG_IDENTIFIER":"sshd","_COMM":"sshd","_PID":"812""#),
        entry("c2", r#""MESSAGE":[104,105,255],"_COMM":"cron""#),
        entry("c3", r#""_COMM":"sshd""#),
        "exec sleep 30".into(),
    ]
    .join("\n");
    let script = fake_journalctl(dir.path(), &body);
    let offsets = Arc::new(Offsets::in_memory());
    let matches = ["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"].map(String::from);
    let mut source =
        JournalSource::spawn("ssh", &script, &matches, Start::End, offsets.clone()).unwrap();
    let lines = poll_until(&mut source, 2);
    assert_eq!(
        lines,
        [
            "sshd[812]: Failed password for root from 192.0.2.1 port 22 ssh2",
            "cron: hi\u{fffd}"
        ]
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while offsets.journal_cursor("ssh").as_deref() != Some("c3") {
        assert!(
            Instant::now() < deadline,
            "cursor {:?}",
            offsets.journal_cursor("ssh")
        );
        source.poll(&mut |line| panic!("unexpected line {line}"));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        args(dir.path(), 1),
        [
            "-f",
            "-o",
            "json",
            "--no-pager",
            "--all",
            "--quiet",
            "--lines=0",
            "_SYSTEMD_UNIT=ssh.service",
            "+",
            "_COMM=sshd",
        ]
    );
}

#[test]
fn a_saved_cursor_is_resumed_after_and_from_start_reads_everything() {
    let dir = tempfile::tempdir().unwrap();
    let script = fake_journalctl(dir.path(), "exec sleep 30");
    let offsets = Arc::new(Offsets::in_memory());
    offsets.set_journal_cursor("ssh", "s=abc;i=5");
    let _resumed = JournalSource::spawn("ssh", &script, &[], Start::Beginning, offsets.clone());
    let first = args(dir.path(), 1);
    assert!(
        first.contains(&"--after-cursor=s=abc;i=5".to_owned()),
        "{first:?}"
    );
    assert!(
        !first
            .iter()
            .any(|a| a.starts_with("--lines") || a == "--no-tail")
    );
    let _backfill = JournalSource::spawn("other", &script, &[], Start::Beginning, offsets);
    let second = args(dir.path(), 2);
    assert_eq!(
        second.last().map(String::as_str),
        Some("--no-tail"),
        "{second:?}"
    );
}

#[test]
fn journalctl_is_restarted_after_the_last_entry_read() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "if [ $n = 1 ]; then\n{}\n{}\nexit 0\nfi\n{}\nexec sleep 30",
        entry("c1", r#""MESSAGE":"one""#),
        entry("c2", r#""MESSAGE":"two""#),
        entry("c3", r#""MESSAGE":"three""#),
    );
    let script = fake_journalctl(dir.path(), &body);
    let offsets = Arc::new(Offsets::in_memory());
    let mut source = JournalSource::builder("ssh")
        .program(&script)
        .restart_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .spawn(offsets.clone())
        .unwrap();
    assert_eq!(poll_until(&mut source, 3), ["one", "two", "three"]);
    assert!(args(dir.path(), 2).contains(&"--after-cursor=c2".to_owned()));
    assert_eq!(offsets.journal_cursor("ssh").as_deref(), Some("c3"));
}

#[test]
fn a_burst_arrives_whole_and_in_order_through_the_bounded_channel() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"i=0; while [ $i -lt 3000 ]; do echo "{\"__CURSOR\":\"c$i\",\"MESSAGE\":\"m$i\"}"; i=$((i+1)); done; exec sleep 30"#;
    let script = fake_journalctl(dir.path(), body);
    let offsets = Arc::new(Offsets::in_memory());
    let mut source =
        JournalSource::spawn("burst", &script, &[], Start::End, offsets.clone()).unwrap();
    let lines = poll_until(&mut source, 3000);
    let want: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    assert_eq!(lines, want);
    assert_eq!(offsets.journal_cursor("burst").as_deref(), Some("c2999"));
}

#[test]
fn dropping_the_source_kills_journalctl() {
    let dir = tempfile::tempdir().unwrap();
    let script = fake_journalctl(dir.path(), "exec sleep 30");
    let source = JournalSource::spawn(
        "ssh",
        &script,
        &[],
        Start::End,
        Arc::new(Offsets::in_memory()),
    )
    .unwrap();
    let pid = wait_for_file(&dir.path().join("pid.1")).trim().to_owned();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    let started = Instant::now();
    drop(source);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "journalctl {pid} still runs"
    );
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = Arc::new(Offsets::in_memory());
    let missing = JournalSource::spawn(
        "ssh",
        dir.path().join("nope"),
        &[],
        Start::End,
        offsets.clone(),
    );
    assert!(
        matches!(missing, Err(SourceError::Spawn { .. })),
        "{missing:?}"
    );
    let script = fake_journalctl(dir.path(), "exec sleep 30");
    let option = JournalSource::spawn(
        "ssh",
        &script,
        &["--output=cat".into()],
        Start::End,
        offsets.clone(),
    );
    assert!(
        matches!(option, Err(SourceError::InvalidMatch { .. })),
        "{option:?}"
    );
    let unnamed = JournalSource::spawn("", &script, &[], Start::End, offsets);
    assert!(
        matches!(unnamed, Err(SourceError::EmptyName)),
        "{unnamed:?}"
    );
}
