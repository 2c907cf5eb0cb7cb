use super::*;
use crate::config::{Overrides, Runtime, load_str};
use palisade_supervisor::RestartMode;

fn plan_of(text: &str) -> Result<RunPlan, ConfigError> {
    let cfg = load_str(text, "p.toml")?;
    plan(
        &cfg,
        &Source {
            name: "p.toml",
            text,
        },
    )
}

/// The error `text` makes, with its position and key.
fn error(text: &str) -> ConfigError {
    plan_of(text).expect_err("expected a config error")
}

fn cmd(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

#[test]
fn defaults_are_the_supervisors() {
    let p = plan_of("").unwrap();
    assert_eq!(p.restart, RestartPolicy::default());
    assert_eq!(p.health, Some(HealthSettings::default()));
    assert_eq!(p.watch, None);
    assert_eq!(
        p.logs,
        LogSettings {
            dir: Some(PathBuf::from("logs")),
            ..LogSettings::default()
        }
    );
    assert_eq!(p.hold, Duration::from_secs(2));
    assert_eq!(
        (p.name.as_deref(), p.port, p.max_memory),
        (None, None, None)
    );

    let s = p
        .settings(None, None, cmd(&["/usr/bin/node", "server.js"]))
        .unwrap();
    let d = RunSettings::new("node", cmd(&["/usr/bin/node", "server.js"]));
    assert_eq!(s.name, "node");
    assert_eq!(s.command, d.command);
    assert_eq!((s.cwd, s.port, s.env), (None, None, Vec::new()));
    assert_eq!(s.memory_interval, d.memory_interval);
    assert_eq!(s.stop_timeout, d.stop_timeout);
    assert!(s.handle_stop_signals);
}

#[test]
fn every_key_reaches_the_settings() {
    let text = r#"
[run]
name = "api"
port = 3000
cwd = "app"
restart = "always"
min_delay = "100ms"
max_delay = "10s"
min_uptime = "1m"
max_restarts = 3
window = "2m"
give_up = true
stop_timeout = "20s"
max_memory = "512 MiB"
memory_interval = "1s"
hold = "5s"
env = { NODE_ENV = "production" }

[run.health]
path = "/healthz?deep=1"
interval = "3s"
timeout = "1s"
failures = 2
grace = "0s"
max_status = 400

[run.watch]
paths = ["src", "config.json"]
ignore = ["*.tmp"]
debounce = "1s"

[run.logs]
dir = "/var/log/app"
max_size = "1 MiB"
keep = 2
echo = false
tail_lines = 50
"#;
    let p = plan_of(text).unwrap();
    assert_eq!(p.hold, Duration::from_secs(5));
    let s = p.settings(None, None, cmd(&["./server"])).unwrap();
    assert_eq!(s.name, "api");
    assert_eq!(s.port, Some(3000));
    assert_eq!(
        s.cwd,
        Some(PathBuf::from("app")),
        "relative cwd stays relative"
    );
    assert_eq!(s.env, vec![("NODE_ENV".into(), "production".into())]);
    assert_eq!(
        s.restart,
        RestartPolicy {
            mode: RestartMode::Always,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            min_uptime: Duration::from_secs(60),
            max_restarts: 3,
            window: Duration::from_secs(120),
            give_up: true,
        }
    );
    assert_eq!(s.stop_timeout, Duration::from_secs(20));
    assert_eq!(s.max_memory, Some(512 << 20));
    assert_eq!(s.memory_interval, Duration::from_secs(1));
    assert_eq!(
        s.health,
        Some(HealthSettings {
            path: "/healthz?deep=1".into(),
            interval: Duration::from_secs(3),
            timeout: Duration::from_secs(1),
            failures: 2,
            grace: Duration::ZERO,
            max_status: 400,
        })
    );
    assert_eq!(
        s.watch,
        Some(WatchSettings {
            paths: vec!["src".into(), "config.json".into()],
            ignore: vec!["*.tmp".into()],
            debounce: Duration::from_secs(1),
        })
    );
    assert_eq!(
        s.logs,
        LogSettings {
            dir: Some("/var/log/app".into()),
            max_bytes: 1 << 20,
            keep: 2,
            echo: false,
            tail_lines: 50,
        }
    );
}

#[test]
fn flags_win_over_the_file() {
    let p = plan_of("[run]\nname = \"api\"\nport = 3000\n").unwrap();
    let s = p
        .settings(Some("web".into()), Some(4000), cmd(&["node"]))
        .unwrap();
    assert_eq!((s.name.as_str(), s.port), ("web", Some(4000)));

    let bad = p.settings(Some("../x".into()), None, cmd(&["node"]));
    assert_eq!(bad.unwrap_err().file, "--name");
    let bad = p.settings(None, Some(0), cmd(&["node"]));
    assert_eq!(bad.unwrap_err().file, "--port");
    assert!(p.settings(None, None, Vec::new()).is_err());
}

#[test]
fn the_default_name_is_the_programs() {
    let p = plan_of("").unwrap();
    let name = |c: &str| p.settings(None, None, cmd(&[c])).unwrap().name;
    assert_eq!(name("python3"), "python3");
    assert_eq!(name("./bin/server"), "server");
    assert_eq!(name("/"), "app");
}

#[test]
fn log_files_can_be_switched_off() {
    for text in ["[run.logs]\ndir = \"\"\n", "[run.logs]\nenabled = false\n"] {
        assert_eq!(plan_of(text).unwrap().logs.dir, None, "{text}");
    }
}

#[test]
fn health_and_watch_can_be_switched_off() {
    let p = plan_of("[run.health]\nenabled = false\npath = \"/h\"\n").unwrap();
    assert_eq!(p.health, None);
    let p = plan_of("[run.watch]\npaths = []\ndebounce = \"1s\"\n").unwrap();
    assert_eq!(p.watch, None);
}

#[test]
fn invalid_values_are_located() {
    // (config, key, line, column, words in the message)
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        (
            "[run]\nmin_delay = \"1m\"\nmax_delay = \"30s\"\n",
            "run.min_delay",
            2,
            1,
            "longer than `run.max_delay`",
        ),
        ("[run]\nport = 0\n", "run.port", 2, 1, "port"),
        ("[run]\nname = \"a/b\"\n", "run.name", 2, 1, "separator"),
        ("[run]\nname = \"\"\n", "run.name", 2, 1, "name"),
        ("[run]\ncwd = \"\"\n", "run.cwd", 2, 1, "empty"),
        ("[run]\nwindow = \"0s\"\n", "run.window", 2, 1, "zero"),
        (
            "[run]\nstop_timeout = \"0s\"\n",
            "run.stop_timeout",
            2,
            1,
            "zero",
        ),
        ("[run]\nmax_memory = 0\n", "run.max_memory", 2, 1, "zero"),
        (
            "[run]\nmemory_interval = \"0s\"\n",
            "run.memory_interval",
            2,
            1,
            "zero",
        ),
        ("[run.env]\nPORT = \"1\"\n", "run.env.PORT", 2, 1, "PORT"),
        ("[run.env]\n\"A=B\" = \"1\"\n", "run.env.A=B", 2, 1, "name"),
        ("[run.env]\nA = \"x\\u0000\"\n", "run.env.A", 2, 1, "NUL"),
        (
            "[run.env]\nAPI_KEY = \"<redacted>\"\n",
            "run.env.API_KEY",
            2,
            1,
            "config print",
        ),
        (
            "[run.health]\npath = \"healthz\"\n",
            "run.health.path",
            2,
            1,
            "starting with `/`",
        ),
        (
            "[run.health]\npath = \"/a b\"\n",
            "run.health.path",
            2,
            1,
            "starting with `/`",
        ),
        (
            "[run.health]\nfailures = 0\n",
            "run.health.failures",
            2,
            1,
            "at least 1",
        ),
        (
            "[run.health]\ninterval = \"0s\"\n",
            "run.health.interval",
            2,
            1,
            "zero",
        ),
        (
            "[run.health]\ntimeout = \"0s\"\n",
            "run.health.timeout",
            2,
            1,
            "zero",
        ),
        (
            "[run.health]\nmax_status = 100\n",
            "run.health.max_status",
            2,
            1,
            "between",
        ),
        (
            "[run.watch]\nignore = [\"*.log\", \"a[\"]\n",
            "run.watch.ignore.1",
            2,
            20,
            "`a[`",
        ),
        (
            "[run.watch]\npaths = [\"src\", \"\"]\n",
            "run.watch.paths.1",
            2,
            17,
            "empty",
        ),
        (
            "[run.logs]\nkeep = 0\n",
            "run.logs.keep",
            2,
            1,
            "at least 1",
        ),
        (
            "[run.logs]\nmax_size = 0\n",
            "run.logs.max_size",
            2,
            1,
            "zero",
        ),
        (
            "[run.logs]\nmax_size = \"0 MiB\"\n",
            "run.logs.max_size",
            2,
            1,
            "zero",
        ),
    ];
    for &(text, key, line, col, words) in cases {
        let err = error(text);
        assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
        assert_eq!(err.position, Some((line, col)), "{text}: {err}");
        assert!(err.message.contains(words), "{text}: {err}");
        assert_eq!(err.file, "p.toml");
    }
}

#[test]
fn a_bad_glob_is_an_error_even_while_watching_is_off() {
    let err = error("[run.watch]\nignore = [\"{a\"]\n");
    assert_eq!(err.position, Some((2, 11)), "{err}");
}

#[test]
fn serde_errors_name_run_keys() {
    let err = load_str("[run]\nrestart = \"sometimes\"\n", "p.toml").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("run.restart"));
    assert_eq!(err.position.map(|p| p.0), Some(2));
    assert!(err.hint.as_deref().unwrap().contains("on-failure"), "{err}");

    let err = load_str("[run]\nmin_uptim = \"1s\"\n", "p.toml").unwrap_err();
    assert_eq!(err.hint.as_deref(), Some("did you mean `min_uptime`?"));

    let err = load_str("[run.logs]\nkeep = -1\n", "p.toml").unwrap_err();
    assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");

    let err = load_str("[run]\nport = 70000\n", "p.toml").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("run.port"), "{err}");
}

#[test]
fn the_app_port_must_not_be_a_listeners() {
    let build = |text: &str| {
        let cfg = load_str(text, "p.toml").unwrap();
        Runtime::build(
            &cfg,
            &Overrides {
                upstream: Some("http://127.0.0.1:1".into()),
                ..Overrides::default()
            },
            &Source {
                name: "p.toml",
                text,
            },
        )
    };
    let err = build("[run]\nport = 8080\n").unwrap_err();
    assert_eq!(err.position, Some((2, 1)), "{err}");
    assert!(err.message.contains("guard"), "{err}");
    let err = build("[run]\nport = 9181\n").unwrap_err();
    assert!(err.message.contains("admin"), "{err}");
    assert!(build("[admin]\nenabled = false\n[run]\nport = 9181\n").is_ok());
    let rt = build("[run]\nport = 3000\n").unwrap();
    assert_eq!(rt.run.port, Some(3000));
}

#[test]
fn print_shows_the_defaults_and_reads_back() {
    let cfg = load_str("", "p.toml").unwrap();
    let text = toml::to_string_pretty(&cfg).unwrap();
    for line in [
        "[run]",
        "restart = \"on-failure\"",
        "min_delay = \"50ms\"",
        "hold = \"2s\"",
        "[run.health]",
        "path = \"/\"",
        "[run.watch]",
        "debounce = \"500ms\"",
        "[run.logs]",
        "dir = \"logs\"",
        "max_size = \"10 MiB\"",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    let again = load_str(&text, "printed.toml").unwrap();
    assert_eq!(
        toml::to_string_pretty(&again).unwrap(),
        text,
        "print → load → print is stable"
    );
}

#[test]
fn print_hides_secret_env_values() {
    let text = "[run.env]\nNODE_ENV = \"production\"\nAPI_KEY = \"k-123456\"\nDATABASE_URL = \"postgres://app:hunter2@db/app\"\n";
    let cfg = load_str(text, "p.toml").unwrap();
    let printed = toml::to_string_pretty(&cfg).unwrap();
    assert!(printed.contains("NODE_ENV = \"production\""), "{printed}");
    assert!(!printed.contains("k-123456"), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
    // The printed file reused as it is fails loudly rather than run with a placeholder.
    let err = plan_of(&printed).unwrap_err();
    assert!(err.message.contains("config print"), "{err}");
}
