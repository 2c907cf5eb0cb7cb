//! The `palisade` binary's command-line contracts: subcommands, `config check|print`,
//! `headers`, and the guard's start-up failures, with their exit codes
//! (0 ok, 1 runtime failure, 2 usage or config error).
//!
//! Every command runs with a fresh temporary directory as its working directory, so no
//! stray `./palisade.toml` is picked up, and under a deadline, so a guard that starts
//! when it should not fails the test instead of hanging it.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::HELMET_DEFAULTS;
use tempfile::TempDir;

/// What a finished command left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// The `Name: value` lines of `palisade headers` (comments and blank lines left out).
    fn header_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    }
}

/// A scratch directory to run the binary in.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` inside the directory; returns `name`, as the binary sees it.
    fn write<'a>(&self, name: &'a str, text: &str) -> &'a str {
        std::fs::write(self.path().join(name), text).expect("writing a config file");
        name
    }

    /// Runs `palisade ARGS` here and waits (at most 60 s) for it to exit.
    fn run(&self, args: &[&str]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(args)
            .current_dir(self.path())
            .env_remove("PALISADE_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting palisade");
        // Drain both pipes on their own threads so a chatty child cannot block on a full pipe.
        let mut out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for palisade") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("palisade {args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            code: status.code().expect("palisade exited by a signal"),
            stdout: out.join().expect("stdout reader"),
            stderr: err.join().expect("stderr reader"),
        }
    }
}

// ---------------------------------------------------------------- subcommands and usage

#[test]
fn help_lists_exactly_the_working_subcommands() {
    let run = Scratch::new().run(&["--help"]);
    run.expect_code(0);
    let commands: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A long summary wraps onto lines indented further than the names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        commands,
        [
            "guard",
            "run",
            "audit",
            "outdated",
            "update",
            "status",
            "restart",
            "stop",
            "demo",
            "config",
            "headers",
            "detect",
            "events",
            "alerts",
            "blackbook",
            "pwned",
            "watch",
            "cluster",
            "help"
        ],
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new();
    scratch.run(&["no-such-command"]).expect_code(2);
    scratch
        .run(&["guard", "--listen", "not-an-address"])
        .expect_code(2)
        .stderr_has("not-an-address");
    scratch.run(&["config"]).expect_code(2);
}

// ---------------------------------------------------------------- config check

#[test]
fn config_check_accepts_a_valid_file() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "valid.toml",
        r#"
[guard]
listen = "127.0.0.1:8088"
upstream = "http://127.0.0.1:3000"
trusted_proxies = ["10.0.0.0/8", "::1/128"]
max_request_body = "2 MiB"

[guard.timeouts]
client_header = "5s"
upstream_response = "1m 30s"

[admin]
listen = "127.0.0.1:9999"

[headers]
hsts = { max_age = 63072000, preload = true }
x_frame_options = { action = "deny" }
upstream = "override"

[headers.content_security_policy]
nonce = true
directives = { img-src = ["'self'", "https://img.example"], upgrade-insecure-requests = false }

[[headers.path]]
path = "/admin"
content_security_policy = { directives = { frame-ancestors = ["'none'"] } }
"#,
    );
    scratch
        .run(&["config", "check", file])
        .expect_code(0)
        .stdout_has("ok");
}

#[test]
fn config_check_accepts_an_empty_file() {
    let scratch = Scratch::new();
    let file = scratch.write("empty.toml", "");
    scratch
        .run(&["config", "check", file])
        .expect_code(0)
        .stdout_has("ok");
}

#[test]
fn config_check_defaults_to_the_file_in_the_working_directory() {
    let scratch = Scratch::new();
    // None there: an error, not a silent pass.
    scratch
        .run(&["config", "check"])
        .expect_code(2)
        .stderr_has("palisade.toml");
    scratch.write("palisade.toml", "[guard]\nthreads = 2\n");
    scratch
        .run(&["config", "check"])
        .expect_code(0)
        .stdout_has("palisade.toml: ok");
}

#[test]
fn config_check_locates_an_unknown_key_and_suggests_the_right_one() {
    let scratch = Scratch::new();
    let file = scratch.write("typo.toml", "[headers.hsts]\nmax_agee = 5\n");
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("typo.toml:2:1:")
        .stderr_has("unknown key `headers.hsts.max_agee`")
        .stderr_has("did you mean `max_age`?");
}

#[test]
fn config_check_shows_the_offending_line_with_a_caret() {
    let scratch = Scratch::new();
    let file = scratch.write("typo.toml", "[headers.hsts]\nmax_agee = 5\n");
    let run = scratch.run(&["config", "check", file]);
    run.expect_code(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("typo.toml:2:1:"))
        .expect("the located message");
    assert_eq!(
        lines.get(at + 2).map(|l| l.trim()),
        Some("2 | max_agee = 5")
    );
    assert_eq!(lines.get(at + 3).map(|l| l.trim()), Some("| ^"));
    assert!(
        lines
            .get(at + 4)
            .is_some_and(|l| l.trim().starts_with("= hint:")),
        "{}",
        run.stderr
    );
}

#[test]
fn config_check_locates_a_misspelt_table() {
    let scratch = Scratch::new();
    let file = scratch.write("table.toml", "[gaurd]\nlisten = \"127.0.0.1:1\"\n");
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("table.toml:1:2:")
        .stderr_has("did you mean `guard`?");
}

#[test]
fn config_check_locates_a_bad_enum_value() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "enum.toml",
        "[headers.x_frame_options]\naction = \"allow\"\n",
    );
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("enum.toml:2:10:")
        .stderr_has("allow")
        .stderr_has("`deny`")
        .stderr_has("`sameorigin`");

    let file = scratch.write(
        "coop.toml",
        "[headers.cross_origin_opener_policy]\npolicy = \"nope\"\n",
    );
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("coop.toml:2:10:")
        .stderr_has("`same-origin`");
}

/// The key named for a bad value should be the key, not the parent table plus the value.
#[test]
fn config_check_names_the_key_of_a_bad_enum_value() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "enum.toml",
        "[headers.x_frame_options]\naction = \"allow\"\n",
    );
    let run = scratch.run(&["config", "check", file]);
    run.expect_code(2)
        .stderr_has("headers.x_frame_options.action");
    assert!(
        !run.stderr.contains("headers.x_frame_options.allow"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_check_locates_bad_values() {
    let scratch = Scratch::new();
    for (name, text, at, needle) in [
        (
            "duration.toml",
            "[guard.timeouts]\nclient_header = \"ten\"\n",
            "duration.toml:2:",
            "invalid duration",
        ),
        (
            "zero.toml",
            "[guard.timeouts]\nupstream_connect = \"0s\"\n",
            "zero.toml:2:1:",
            "longer than zero",
        ),
        (
            "cidr.toml",
            "[guard]\ntrusted_proxies = [\"10.0.0.0/33\"]\n",
            "cidr.toml:2:",
            "guard.trusted_proxies",
        ),
        (
            "csp.toml",
            "[headers.content_security_policy.directives]\nscript-src = \"self\"\n",
            "csp.toml:",
            "should be quoted",
        ),
        (
            "prefix.toml",
            "[[headers.path]]\npath = \"admin\"\n",
            "prefix.toml:2:",
            "must start with '/'",
        ),
        (
            "upstream.toml",
            "[guard]\nupstream = \"ftp://127.0.0.1:21\"\n",
            "upstream.toml:2:1:",
            "http:// or https://",
        ),
        (
            "admin.toml",
            "[admin]\nlisten = \"0.0.0.0:9181\"\n",
            "admin.toml:2:1:",
            "token",
        ),
    ] {
        let file = scratch.write(name, text);
        scratch
            .run(&["config", "check", file])
            .expect_code(2)
            .stderr_has(at)
            .stderr_has(needle);
    }
}

#[test]
fn config_check_locates_a_syntax_error() {
    let scratch = Scratch::new();
    let file = scratch.write("syntax.toml", "[guard\nlisten = 1\n");
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("syntax.toml:1:7:");

    let file = scratch.write("syntax2.toml", "[guard]\nthreads = = 2\n");
    scratch
        .run(&["config", "check", file])
        .expect_code(2)
        .stderr_has("syntax2.toml:2:");
}

#[test]
fn config_check_of_a_missing_file_exits_2() {
    Scratch::new()
        .run(&["config", "check", "does-not-exist.toml"])
        .expect_code(2)
        .stderr_has("does-not-exist.toml")
        .stderr_has("cannot read");
}

// ---------------------------------------------------------------- config print

#[test]
fn config_print_of_an_empty_file_shows_every_default_and_re_parses() {
    let scratch = Scratch::new();
    let file = scratch.write("empty.toml", "");
    let run = scratch.run(&["config", "print", file]);
    run.expect_code(0);
    for table in ["[guard]", "[guard.timeouts]", "[admin]", "[headers]"] {
        assert!(
            run.stdout.lines().any(|l| l == table),
            "no {table} in:\n{}",
            run.stdout
        );
    }
    for default in [
        "listen = \"127.0.0.1:8080\"",
        "client_header = \"10s\"",
        "listen = \"127.0.0.1:9181\"",
        "upstream = \"keep\"",
        "max_age = 31536000",
    ] {
        run.stdout_has(default);
    }
    // No upstream in the printout, which `config check` tolerates.
    let printed = scratch.write("printed.toml", &run.stdout);
    scratch
        .run(&["config", "check", printed])
        .expect_code(0)
        .stdout_has("ok");
}

#[test]
fn config_print_without_a_file_uses_the_built_in_defaults() {
    let scratch = Scratch::new();
    let bare = scratch.run(&["config", "print"]);
    bare.expect_code(0).stdout_has("[guard.timeouts]");
    let file = scratch.write("empty.toml", "");
    let from_empty = scratch.run(&["config", "print", file]);
    // Same settings; only the first comment line names the source.
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&bare.stdout), body(&from_empty.stdout));
}

#[test]
fn config_print_picks_up_palisade_toml_in_the_working_directory() {
    let scratch = Scratch::new();
    scratch.write(
        "palisade.toml",
        "[guard]\nlisten = \"127.0.0.1:4321\"\nupstream = \"http://127.0.0.1:3000\"\n",
    );
    scratch
        .run(&["config", "print"])
        .expect_code(0)
        .stdout_has("listen = \"127.0.0.1:4321\"")
        .stdout_has("upstream = \"http://127.0.0.1:3000\"");
}

#[test]
fn config_print_is_a_fixed_point_for_a_full_config() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "full.toml",
        r#"
[guard]
upstream = "http://127.0.0.1:3000"
trusted_proxies = ["10.0.0.0/8"]
max_request_body = "1 MiB"
[guard.timeouts]
keepalive = "1m 15s"
[headers]
frameguard = false
[headers.content_security_policy]
report_only = true
directives = { upgrade-insecure-requests = false, imgSrc = "*" }
[[headers.path]]
path = "/admin"
hsts = false
"#,
    );
    let first = scratch.run(&["config", "print", file]);
    first.expect_code(0).stdout_has("[[headers.path]]");
    let printed = scratch.write("printed.toml", &first.stdout);
    scratch.run(&["config", "check", printed]).expect_code(0);
    let second = scratch.run(&["config", "print", printed]);
    second.expect_code(0);
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&first.stdout), body(&second.stdout));
}

/// `config print` should keep a byte size exactly, so its output means the same config.
#[test]
fn config_print_keeps_byte_sizes_exact() {
    let scratch = Scratch::new();
    let file = scratch.write("size.toml", "[guard]\nmax_request_body = 1234567\n");
    let run = scratch.run(&["config", "print", file]);
    run.expect_code(0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("max_request_body"))
        .expect("max_request_body line");
    assert!(
        line.contains("1234567") || line.contains("1234567 B"),
        "{line}"
    );
}

// ---------------------------------------------------------------- headers

#[test]
fn headers_without_config_prints_helmet_defaults() {
    let run = Scratch::new().run(&["headers"]);
    run.expect_code(0);
    let expected: Vec<String> = HELMET_DEFAULTS
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    assert_eq!(run.header_lines(), expected, "{}", run.stdout);
    run.stdout_has("X-Frame-Options: SAMEORIGIN")
        .stdout_has("removes X-Powered-By");
    assert!(!run.stdout.contains("removes Server"), "{}", run.stdout);
}

#[test]
fn headers_reflects_options() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "opts.toml",
        "[headers]\nremove_server = true\nx_xss_protection = false\n\
         hsts = { max_age = 5, preload = true }\n",
    );
    let run = scratch.run(&["headers", "--config", file]);
    run.expect_code(0)
        .stdout_has("Strict-Transport-Security: max-age=5; includeSubDomains; preload")
        .stdout_has("removes Server");
    assert!(!run.stdout.contains("X-XSS-Protection"), "{}", run.stdout);
}

const OVERRIDE: &str = r#"
[[headers.path]]
path = "/admin"
x_frame_options = { action = "deny" }
content_security_policy = { directives = { script-src = ["'self'", "https://cdn.example"] } }
"#;

#[test]
fn headers_with_a_path_override_prints_both_sets() {
    let scratch = Scratch::new();
    let file = scratch.write("over.toml", OVERRIDE);
    let run = scratch.run(&["headers", "--config", file]);
    run.expect_code(0)
        .stdout_has("# all responses")
        .stdout_has("# responses under /admin")
        .stdout_has("X-Frame-Options: SAMEORIGIN")
        .stdout_has("X-Frame-Options: DENY")
        .stdout_has("script-src 'self' https://cdn.example;");
    assert_eq!(run.header_lines().len(), 2 * HELMET_DEFAULTS.len());
}

#[test]
fn headers_for_a_path_prints_only_the_set_that_applies() {
    let scratch = Scratch::new();
    let file = scratch.write("over.toml", OVERRIDE);
    let run = scratch.run(&["headers", "--config", file, "--path", "/admin/x"]);
    run.expect_code(0)
        .stdout_has("X-Frame-Options: DENY")
        .stdout_has("script-src 'self' https://cdn.example;");
    assert!(!run.stdout.contains("SAMEORIGIN"), "{}", run.stdout);
    assert!(!run.stdout.contains("# all responses"), "{}", run.stdout);
    assert_eq!(run.header_lines().len(), HELMET_DEFAULTS.len());

    // Prefixes match whole segments: /administrator is not under /admin.
    let run = scratch.run(&["headers", "--config", file, "--path", "/administrator"]);
    run.expect_code(0).stdout_has("X-Frame-Options: SAMEORIGIN");
    assert!(!run.stdout.contains("DENY"), "{}", run.stdout);
}

#[test]
fn headers_uses_palisade_toml_in_the_working_directory() {
    let scratch = Scratch::new();
    scratch.write("palisade.toml", "[headers]\nx_frame_options = false\n");
    let run = scratch.run(&["headers"]);
    run.expect_code(0);
    assert!(!run.stdout.contains("X-Frame-Options"), "{}", run.stdout);
}

#[test]
fn headers_with_a_bad_config_exits_2() {
    let scratch = Scratch::new();
    let file = scratch.write("bad.toml", "[headers.hsts]\nmax_agee = 5\n");
    scratch
        .run(&["headers", "--config", file])
        .expect_code(2)
        .stderr_has("bad.toml:2:1:");
}

// ---------------------------------------------------------------- guard start-up

#[test]
fn guard_without_an_upstream_says_how_to_give_one() {
    Scratch::new()
        .run(&["guard"])
        .expect_code(2)
        .stderr_has("no upstream")
        .stderr_has("hint")
        .stderr_has("--upstream");
}

#[test]
fn guard_refuses_a_non_http_upstream() {
    Scratch::new()
        .run(&["guard", "--upstream", "ftp://x"])
        .expect_code(2)
        .stderr_has("ftp://x")
        .stderr_has("http:// or https://");
}

#[test]
fn guard_refuses_a_bad_config_file() {
    let scratch = Scratch::new();
    let file = scratch.write("bad.toml", "[guard]\nlisen = \"127.0.0.1:1\"\n");
    scratch
        .run(&[
            "guard",
            "--config",
            file,
            "--upstream",
            "http://127.0.0.1:1",
        ])
        .expect_code(2)
        .stderr_has("bad.toml:2:1:")
        .stderr_has("did you mean `listen`?");
}

#[test]
fn guard_on_a_busy_address_exits_1_naming_it() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("binding a port");
    let addr = busy.local_addr().expect("its address").to_string();
    let admin = TcpListener::bind("127.0.0.1:0").expect("binding a port");
    let admin = admin.local_addr().expect("its address").to_string();
    // `admin` is released again: free, so only the listen address is in the way.
    Scratch::new()
        .run(&[
            "guard",
            "--listen",
            &addr,
            "--upstream",
            "http://127.0.0.1:1",
            "--admin",
            &admin,
        ])
        .expect_code(1)
        .stderr_has(&addr);
    drop(busy);
}

#[test]
fn guard_flags_override_the_file() {
    // The file's upstream is unusable and its listen address free; the flags replace
    // both, so the run gets past config validation (exit 2) and fails on the flag's
    // busy address (exit 1), naming it.
    let busy = TcpListener::bind("127.0.0.1:0").expect("binding a port");
    let addr = busy.local_addr().expect("its address").to_string();
    let scratch = Scratch::new();
    let file = scratch.write(
        "flags.toml",
        "[guard]\nlisten = \"127.0.0.1:1\"\nupstream = \"ftp://nowhere\"\n",
    );
    scratch
        .run(&[
            "guard",
            "--config",
            file,
            "--listen",
            &addr,
            "--upstream",
            "http://127.0.0.1:1",
        ])
        .expect_code(1)
        .stderr_has(&addr);
    // Without the flag, the file's upstream is refused with its location.
    scratch
        .run(&["guard", "--config", file])
        .expect_code(2)
        .stderr_has("flags.toml:3:1:");
    drop(busy);
}

#[test]
fn guard_picks_up_palisade_toml_in_the_working_directory() {
    let scratch = Scratch::new();
    scratch.write("palisade.toml", "[guard]\nupstream = \"gopher://x\"\n");
    scratch
        .run(&["guard"])
        .expect_code(2)
        .stderr_has("palisade.toml:2:1:");
}

#[test]
fn guard_refuses_a_public_admin_listener_without_a_token() {
    Scratch::new()
        .run(&[
            "guard",
            "--upstream",
            "http://127.0.0.1:1",
            "--admin",
            "0.0.0.0:9",
        ])
        .expect_code(2)
        .stderr_has("token");
}

// ---------------------------------------------------------------- examples/palisade.toml

fn example_config() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/palisade.toml");
    std::fs::read_to_string(path).expect("examples/palisade.toml")
}

#[test]
fn example_config_is_valid_and_means_the_defaults() {
    let scratch = Scratch::new();
    let file = scratch.write("example.toml", &example_config());
    scratch
        .run(&["config", "check", file])
        .expect_code(0)
        .stdout_has("ok");
    // Everything but the upstream is commented out: the same settings as the defaults.
    let base = scratch.write(
        "base.toml",
        "[guard]\nupstream = \"http://127.0.0.1:3000\"\n",
    );
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    let example = scratch.run(&["config", "print", file]);
    let defaults = scratch.run(&["config", "print", base]);
    assert_eq!(body(&example.expect_code(0).stdout), body(&defaults.stdout));
}

#[test]
fn example_config_stays_valid_with_every_setting_uncommented() {
    // `#key = value` and `#[table]` lines are settings; prose comments have a space after `#`.
    let uncommented: String = example_config()
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') => rest,
            _ => l,
        })
        .fold(String::new(), |acc, l| acc + l + "\n");
    let scratch = Scratch::new();
    // The TLS files must exist for the config to check: point them at real (empty) files.
    let cert = scratch.write("cert.pem", "");
    let key = scratch.write("key.pem", "");
    let uncommented = uncommented
        .replace("/etc/palisade/cert.pem", cert)
        .replace("/etc/palisade/key.pem", key);
    let file = scratch.write("all.toml", &uncommented);
    scratch.run(&["config", "check", file]).expect_code(0);
    scratch
        .run(&["headers", "--config", file])
        .expect_code(0)
        .stdout_has("# responses under /admin")
        .stdout_has("Cross-Origin-Embedder-Policy: require-corp");
}

#[test]
fn config_print_never_shows_the_admin_token() {
    let scratch = Scratch::new();
    let file = scratch.write("secret.toml", "[admin]\ntoken = \"hunter2-s3cret\"\n");
    let run = scratch.run(&["config", "print", file]);
    run.expect_code(0).stdout_has("token = \"<redacted>\"");
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}

#[test]
fn config_print_never_shows_the_report_link_secret() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "secret.toml",
        "[auth.new_ip]\nsecret = \"0123456789abcdef0123456789abcdef-s3cret\"\nlink_base = \"https://app.example.com\"\n",
    );
    let run = scratch.run(&["config", "print", file]);
    run.expect_code(0).stdout_has("secret = \"<redacted>\"");
    assert!(!run.stdout.contains("s3cret"), "{}", run.stdout);
    let printed = scratch.write("printed.toml", &run.stdout);
    scratch.run(&["config", "check", printed]).expect_code(2);
}

// ---------------------------------------------------------------- watch

#[test]
fn config_check_locates_bad_watch_sources_and_actions() {
    let scratch = Scratch::new();
    for (name, text, at, needle) in [
        (
            "parser.toml",
            "[[watch]]\npath = \"/var/log/auth.log\"\nparser = \"sshdd\"\n",
            "parser.toml:3:",
            "unknown parser `sshdd`",
        ),
        (
            "regex.toml",
            "[[watch]]\npath = \"/x.log\"\nregex = ['failed (?P<user>\\S+)']\n",
            "regex.toml:3:",
            "ip",
        ),
        (
            "both.toml",
            "[[watch]]\npath = \"/x.log\"\n",
            "both.toml:1:",
            "exactly one of `parser`, `regex` or `fail2ban_filter`",
        ),
        (
            "filter.toml",
            "[[watch]]\npath = \"/x.log\"\nfail2ban_filter = \"no-such-filter.conf\"\n",
            "filter.toml:3:",
            "no-such-filter.conf",
        ),
        (
            "twice.toml",
            "[[watch]]\npath = \"/x.log\"\nparser = \"sshd\"\n\n[[watch]]\nname = \"b\"\npath = \"/x.log\"\nparser = \"vsftpd\"\n",
            "twice.toml:5:",
            "already read by source `sshd`",
        ),
        (
            "enforce.toml",
            "[[enforce]]\nkind = \"command\"\nban = \"echo {address}\"\nunban = \"echo {ip}\"\n",
            "enforce.toml",
            "address",
        ),
    ] {
        let file = scratch.write(name, text);
        scratch
            .run(&["config", "check", file])
            .expect_code(2)
            .stderr_has(at)
            .stderr_has(needle);
    }
}

#[test]
fn watch_test_prints_each_login_and_the_totals() {
    let scratch = Scratch::new();
    let log = scratch.write(
        "auth.log",
        "Nov 28 10:00:01 host sshd[1]: Failed password for root from 203.0.113.7 port 4 ssh2\n\
         Nov 28 10:00:02 host CRON[2]: pam_unix(cron:session): session opened for user root\n\
         Nov 28 10:00:03 host sshd[3]: Accepted publickey for deploy from 2001:db8::5 port 9 ssh2\n",
    );
    scratch
        .run(&["watch", "test", log, "--parser", "sshd"])
        .expect_code(0)
        .stdout_has("failure  203.0.113.7")
        .stdout_has("root")
        .stdout_has("success  2001:db8::5")
        .stdout_has("3 lines, 1 failures, 1 successes, 0 requests, 1 not matched");
    scratch
        .run(&[
            "watch",
            "test",
            log,
            "--regex",
            r"Failed password for (?P<user>\S+) from (?P<ip>\S+)",
            "--json",
        ])
        .expect_code(0)
        .stdout_has(r#""ip":"203.0.113.7""#)
        .stdout_has(r#""failures":1"#);
    scratch
        .run(&["watch", "test", log, "--parser", "nope"])
        .expect_code(2)
        .stderr_has("unknown parser `nope`");
    scratch
        .run(&["watch", "test", log])
        .expect_code(2)
        .stderr_has("--parser");
    scratch
        .run(&["watch", "test", "missing.log", "--parser", "sshd"])
        .expect_code(2)
        .stderr_has("missing.log");
}

#[test]
fn watch_without_sources_is_a_usage_error() {
    let scratch = Scratch::new();
    let file = scratch.write("palisade.toml", "");
    scratch
        .run(&["watch", "--config", file])
        .expect_code(2)
        .stderr_has("no [[watch]] sources");
}
