//! The command action and the enforcer, against a real script that logs each call.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palisade_core::Timestamp;
use palisade_firewall::{
    Action, CommandAction, Enforcer, FirewallError, Operation, Recorder, Runner, shell_quote,
};
use palisade_state::{Ban, BanRequest, BanSource, BookConfig, MemoryState, State};

const NOW: Timestamp = Timestamp(1_700_000_000_000);

/// A temp dir with `fw.sh`, which appends its arguments (`|`-separated) to `calls.log` and
/// fails while `fail` exists.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fw.sh");
        let log = dir.path().join("calls.log");
        let fail = dir.path().join("fail");
        fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 if [ -e {fail} ]; then echo 'simulated failure' >&2; exit 4; fi\n\
                 printf '%s|' \"$@\" >> {log}\n\
                 echo >> {log}\n",
                fail = shell_quote(fail.to_str().unwrap()),
                log = shell_quote(log.to_str().unwrap()),
            ),
        )
        .unwrap();
        Fixture { dir }
    }

    fn script(&self) -> String {
        shell_quote(self.dir.path().join("fw.sh").to_str().unwrap())
    }

    fn action(&self, runner: Runner) -> CommandAction {
        let s = self.script();
        CommandAction::new(
            "script",
            runner,
            &format!("sh {s} ban {{ip}} {{cidr}} {{ttl}} {{family}} {{reason}}"),
            &format!("sh {s} unban {{ip}} {{cidr}} {{ttl}} {{family}} {{reason}}"),
        )
        .unwrap()
        .on_start(&format!("sh {s} start"))
        .unwrap()
        .on_stop(&format!("sh {s} stop"))
        .unwrap()
    }

    fn boxed(&self) -> Vec<Box<dyn Action>> {
        vec![Box::new(self.action(Runner::executing()))]
    }

    fn state_file(&self) -> PathBuf {
        self.dir.path().join("state/applied.json")
    }

    /// The calls logged since the last look.
    fn calls(&self) -> Vec<String> {
        let log = self.dir.path().join("calls.log");
        let text = fs::read_to_string(&log).unwrap_or_default();
        let _ = fs::remove_file(&log);
        text.lines().map(str::to_owned).collect()
    }

    fn failing(&self, on: bool) {
        let flag = self.dir.path().join("fail");
        if on {
            fs::write(flag, "").unwrap();
        } else {
            let _ = fs::remove_file(flag);
        }
    }
}

fn ban(target: &str, expires_at: Option<i64>, reason: &str) -> Ban {
    Ban {
        target: target.parse().unwrap(),
        reason: reason.to_owned(),
        source: BanSource::Rule,
        first_seen: NOW,
        last_seen: NOW,
        hits: 0,
        expires_at: expires_at.map(Timestamp),
        bans: 1,
    }
}

fn at(ms: i64) -> Timestamp {
    Timestamp(NOW.0 + ms)
}

#[test]
fn placeholders_reach_the_command() {
    let fx = Fixture::new();
    let mut action = fx.action(Runner::executing());
    action.start().unwrap();
    action
        .ban(
            "192.0.2.7/32".parse().unwrap(),
            Some(Duration::from_millis(90_500)),
            "sqli in query",
        )
        .unwrap();
    action
        .ban("2001:db8::/64".parse().unwrap(), None, "manual")
        .unwrap();
    action.unban("192.0.2.7/32".parse().unwrap()).unwrap();
    action.stop().unwrap();
    assert_eq!(
        fx.calls(),
        [
            "start|",
            "ban|192.0.2.7|192.0.2.7/32|91|inet|sqli in query|",
            "ban|2001:db8::/64|2001:db8::/64|0|inet6|manual|",
            "unban|192.0.2.7|192.0.2.7/32|0|inet||",
            "stop|",
        ]
    );
}

#[test]
fn hostile_reason_is_data_not_code() {
    let fx = Fixture::new();
    let marker = fx.dir.path().join("pwned");
    let m = marker.to_str().unwrap();
    let hostile = format!("'; touch {m}; ' $(touch {m}) `touch {m}` \"; touch {m}; \" \\'");
    let mut action = fx.action(Runner::executing());
    action
        .ban("192.0.2.7/32".parse().unwrap(), None, &hostile)
        .unwrap();
    assert!(!marker.exists(), "the reason was executed");
    assert_eq!(
        fx.calls(),
        [format!("ban|192.0.2.7|192.0.2.7/32|0|inet|{hostile}|")]
    );

    // The literal payload from the brief, with its well-known target.
    let mut action = fx.action(Runner::executing());
    let _ = fs::remove_file("/tmp/pwned");
    action
        .ban(
            "192.0.2.8/32".parse().unwrap(),
            None,
            "'; touch /tmp/pwned; '",
        )
        .unwrap();
    assert!(!Path::new("/tmp/pwned").exists(), "the reason was executed");
}

#[test]
fn environment_carries_the_same_values() {
    let fx = Fixture::new();
    let out = fx.dir.path().join("env.txt");
    let o = shell_quote(out.to_str().unwrap());
    let mut action = CommandAction::new(
        "env",
        Runner::executing(),
        &format!(
            "printf '%s|%s|%s|%s|%s' \"$PALISADE_IP\" \"$PALISADE_CIDR\" \"$PALISADE_TTL\" \
             \"$PALISADE_FAMILY\" \"$PALISADE_REASON\" > {o}"
        ),
        "true",
    )
    .unwrap();
    action
        .ban(
            "198.51.100.0/24".parse().unwrap(),
            Some(Duration::from_secs(60)),
            "it's\nmultiline",
        )
        .unwrap();
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "198.51.100.0/24|198.51.100.0/24|60|inet|it's multiline"
    );
}

#[test]
fn invalid_templates_are_refused_at_construction() {
    let err =
        CommandAction::new("x", Runner::executing(), "echo {ip}", "echo {adress}").unwrap_err();
    assert!(
        matches!(&err, FirewallError::UnknownPlaceholder { template: "unban", placeholder } if placeholder == "adress"),
        "{err}"
    );
    assert!(err.to_string().contains("unban template"), "{err}");
    assert!(CommandAction::new("x", Runner::executing(), "logger '{reason}'", "true").is_err());
    assert!(
        CommandAction::new("x", Runner::executing(), "true", "true")
            .unwrap()
            .on_start("echo {ip}")
            .is_err()
    );
}

#[test]
fn expiry_unbans_and_extension_rebans() {
    let fx = Fixture::new();
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    assert_eq!(fx.calls(), ["start|"]);

    let bans = [ban("192.0.2.7/32", Some(at(10_000).0), "scan")];
    let report = enforcer.sync(&bans, NOW);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.banned, 1);
    assert_eq!(fx.calls(), ["ban|192.0.2.7|192.0.2.7/32|10|inet|scan|"]);
    assert_eq!(enforcer.next_expiry(), Some(at(10_000)));

    // Nothing changed: nothing runs.
    let report = enforcer.sync(&bans, at(1_000));
    assert_eq!((report.banned, report.rebanned, report.unbanned), (0, 0, 0));
    assert!(fx.calls().is_empty());

    // The ban was extended: applied again with the new TTL.
    let extended = [ban("192.0.2.7/32", Some(at(60_000).0), "scan")];
    let report = enforcer.sync(&extended, at(5_000));
    assert_eq!(report.rebanned, 1);
    assert_eq!(fx.calls(), ["ban|192.0.2.7|192.0.2.7/32|55|inet|scan|"]);
    assert_eq!(enforcer.next_expiry(), Some(at(60_000)));

    // Still listed but expired: lifted.
    let report = enforcer.sync(&extended, at(60_000));
    assert_eq!(report.unbanned, 1);
    assert_eq!(fx.calls(), ["unban|192.0.2.7|192.0.2.7/32|0|inet||"]);
    assert_eq!(enforcer.next_expiry(), None);
    assert_eq!(enforcer.applied().count(), 0);
}

#[test]
fn unban_on_expiry_survives_a_restart() {
    let fx = Fixture::new();
    {
        let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
        let bans = [
            ban("192.0.2.7/32", Some(at(1_000).0), "soon"),
            ban("192.0.2.8/32", None, "forever"),
        ];
        assert_eq!(enforcer.sync(&bans, NOW).banned, 2);
        // Dropped without shutdown: a crash.
    }
    fx.calls();

    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    // The permanent ban is still in the book; the short one expired while we were down.
    let report = enforcer.sync(&[ban("192.0.2.8/32", None, "forever")], at(2_000));
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.banned, report.unbanned), (0, 1));
    assert_eq!(
        fx.calls(),
        ["start|", "unban|192.0.2.7|192.0.2.7/32|0|inet||"]
    );

    // A clean shutdown runs the stop template and keeps what the commands applied.
    assert!(enforcer.shutdown().is_clean());
    assert_eq!(fx.calls(), ["stop|"]);
    drop(enforcer);
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    let report = enforcer.sync(&[], at(3_000));
    assert_eq!(report.unbanned, 1);
    assert_eq!(
        fx.calls(),
        ["start|", "unban|192.0.2.8|192.0.2.8/32|0|inet||"]
    );
}

#[test]
fn failures_are_reported_and_retried() {
    let fx = Fixture::new();
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    fx.calls();
    fx.failing(true);
    let bans = [ban("192.0.2.7/32", None, "scan")];
    let report = enforcer.sync(&bans, NOW);
    assert_eq!(report.banned, 0);
    let failure = &report.failures[0];
    assert_eq!(failure.action.as_deref(), Some("script"));
    assert_eq!(
        failure.operation,
        Operation::Ban("192.0.2.7/32".parse().unwrap())
    );
    assert!(failure.error.contains("simulated failure"), "{failure:?}");
    assert!(failure.error.contains("exit status: 4"), "{failure:?}");
    assert!(failure.error.contains("fw.sh"), "{failure:?}");

    fx.failing(false);
    let report = enforcer.sync(&bans, at(1_000));
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.banned, 1);
    assert_eq!(fx.calls(), ["ban|192.0.2.7|192.0.2.7/32|0|inet|scan|"]);
}

#[test]
fn a_failing_action_is_deferred_after_a_few_failures() {
    let fx = Fixture::new();
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    fx.failing(true);
    let bans: Vec<Ban> = (1..=20)
        .map(|i| ban(&format!("192.0.2.{i}/32"), None, "scan"))
        .collect();
    let report = enforcer.sync(&bans, NOW);
    assert_eq!(report.failures.len(), 5);
    assert_eq!(report.deferred, 15);
    fx.failing(false);
    assert_eq!(enforcer.sync(&bans, NOW).banned, 20);
}

#[test]
fn start_failure_is_retried_by_sync() {
    let fx = Fixture::new();
    fx.failing(true);
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    let bans = [ban("192.0.2.7/32", None, "scan")];
    let report = enforcer.sync(&bans, NOW);
    assert_eq!(report.failures[0].operation, Operation::Start);
    assert_eq!(report.banned, 0);
    fx.failing(false);
    let report = enforcer.sync(&bans, NOW);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.banned, 1);
    assert_eq!(
        fx.calls(),
        ["start|", "ban|192.0.2.7|192.0.2.7/32|0|inet|scan|"]
    );
}

#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn dry_run_shows_commands_and_runs_nothing() {
    let fx = Fixture::new();
    let recorder = Recorder::new();
    let actions: Vec<Box<dyn Action>> =
        vec![Box::new(fx.action(Runner::recording(recorder.clone())))];
    let mut enforcer = Enforcer::without_state(actions).unwrap();
    let report = enforcer.sync(&[ban("192.0.2.7/32", None, "it's")], NOW);
    assert_eq!(report.banned, 1);
    let s = fx.script();
    assert_eq!(
        recorder.lines(),
        [
            format!("/bin/sh -c {}", shell_quote(&format!("sh {s} start"))),
            format!(
                "/bin/sh -c {}",
                shell_quote(&format!(
                    "sh {s} ban 192.0.2.7 192.0.2.7/32 0 inet 'it'\\''s'"
                ))
            ),
        ]
    );
    assert!(fx.calls().is_empty(), "a dry run executed a command");
    assert!(!fx.state_file().exists(), "a dry run wrote state");

    let out = SharedBuf::default();
    let mut action = fx.action(Runner::printing(Box::new(out.clone())));
    action.unban("192.0.2.7/32".parse().unwrap()).unwrap();
    let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(printed.starts_with("would run: /bin/sh -c "), "{printed}");
    assert!(
        printed.contains("unban 192.0.2.7 192.0.2.7/32 0 inet"),
        "{printed}"
    );
    assert!(fx.calls().is_empty(), "a dry run executed a command");
}

#[test]
fn syncs_from_the_black_book() {
    let fx = Fixture::new();
    let state = MemoryState::new(BookConfig::default()).unwrap();
    state
        .ban(
            BanRequest::lasting(
                "203.0.113.0/24".parse().unwrap(),
                BanSource::Manual,
                "abuse",
                Duration::from_secs(120),
                NOW,
            ),
            NOW,
        )
        .unwrap();
    let mut enforcer = Enforcer::new(fx.boxed(), fx.state_file()).unwrap();
    fx.calls();
    assert_eq!(enforcer.sync_state(&state, NOW).banned, 1);
    assert_eq!(
        fx.calls(),
        ["ban|203.0.113.0/24|203.0.113.0/24|120|inet|abuse|"]
    );
    state.unban("203.0.113.0/24".parse().unwrap(), NOW).unwrap();
    assert_eq!(enforcer.sync_state(&state, at(1)).unbanned, 1);
    let saved = fs::read_to_string(fx.state_file()).unwrap();
    assert!(saved.contains("\"applied\": {}"), "{saved}");
}

#[test]
fn duplicate_action_names_and_corrupt_state_are_errors() {
    let fx = Fixture::new();
    let actions: Vec<Box<dyn Action>> = vec![
        Box::new(fx.action(Runner::executing())),
        Box::new(fx.action(Runner::executing())),
    ];
    assert!(matches!(
        Enforcer::new(actions, fx.state_file()),
        Err(FirewallError::DuplicateAction(name)) if name == "script"
    ));
    fs::create_dir_all(fx.state_file().parent().unwrap()).unwrap();
    fs::write(fx.state_file(), "garbage").unwrap();
    assert!(matches!(
        Enforcer::new(fx.boxed(), fx.state_file()),
        Err(FirewallError::StateFile { .. })
    ));
}
