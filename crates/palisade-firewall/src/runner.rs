//! Running the commands actions ask for: for real (argv, no shell unless the action asks for
//! one, bounded in time) or as a dry run that only shows them.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::ActionError;

/// How long a command may run before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

// Enough for any nft or shell diagnostic; a runaway command cannot fill memory.
const MAX_CAPTURE: usize = 64 * 1024;
// Error messages end up in logs and reports: keep them to a readable size.
const MAX_STDERR_IN_ERROR: usize = 1024;

/// One command an action wants run: its argv, optional standard input and extra environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    argv: Vec<String>,
    stdin: Option<String>,
    env: Vec<(String, String)>,
}

impl CommandLine {
    /// A command from its argv (`argv[0]` is the program, looked up in `PATH`).
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandLine {
            argv: argv.into_iter().map(Into::into).collect(),
            stdin: None,
            env: Vec::new(),
        }
    }

    /// Feeds `input` to the command's standard input (an `nft -f -` script).
    pub fn with_stdin(mut self, input: impl Into<String>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Sets an environment variable for the command.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The argv.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The standard input, if any.
    pub fn stdin(&self) -> Option<&str> {
        self.stdin.as_deref()
    }
}

/// Shell-quoted, so a dry run's output can be pasted into a shell; standard input is shown as a
/// quoted here-document.
impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.argv.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&shell_quote(arg))?;
        }
        if let Some(input) = &self.stdin {
            f.write_str(" <<'EOF'\n")?;
            f.write_str(input)?;
            if !input.ends_with('\n') {
                f.write_str("\n")?;
            }
            f.write_str("EOF")?;
        }
        Ok(())
    }
}

/// Quotes `s` for a POSIX shell; words made only of safe characters (addresses, CIDRs, flags)
/// are left as they are so command lines stay readable.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_' | b'.' | b'/' | b':' | b'=' | b'@' | b'+' | b','
                )
        });
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command lines a recording dry run collected; clones share the same list.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Recorder::default()
    }

    /// The command lines seen so far (as [`CommandLine`]'s `Display`, without a prefix).
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Returns the command lines seen so far and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

#[derive(Clone)]
enum Mode {
    Execute,
    Print(SharedWriter),
    Record(Recorder),
}

/// Runs commands for the actions, or only shows them (dry run). Clones share the same output,
/// so every action of a dry run prints to one place.
#[derive(Clone)]
pub struct Runner {
    mode: Mode,
    timeout: Duration,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Execute => "execute",
            Mode::Print(_) => "dry run (print)",
            Mode::Record(_) => "dry run (record)",
        };
        f.debug_struct("Runner")
            .field("mode", &mode)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Runner {
    /// Runs commands for real, each killed after [`DEFAULT_TIMEOUT`].
    pub fn executing() -> Self {
        Runner {
            mode: Mode::Execute,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Dry run: writes a `would run: …` line per command to `out` and runs nothing.
    pub fn printing(out: Box<dyn Write + Send>) -> Self {
        Runner {
            mode: Mode::Print(Arc::new(Mutex::new(out))),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Dry run: collects the command lines in `recorder` and runs nothing.
    pub fn recording(recorder: Recorder) -> Self {
        Runner {
            mode: Mode::Record(recorder),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Kills commands that run longer than `timeout` (with their process group).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// True when commands are only shown, never run.
    pub fn is_dry_run(&self) -> bool {
        !matches!(self.mode, Mode::Execute)
    }

    /// Runs `command` (or shows it) and returns its standard output; a dry run returns an
    /// empty string.
    pub fn run(&self, command: &CommandLine) -> Result<String, ActionError> {
        match &self.mode {
            Mode::Execute => execute(command, self.timeout),
            Mode::Print(out) => {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                // A broken dry-run output is not a firewall failure: nothing was to be run.
                let _ = writeln!(out, "would run: {command}");
                let _ = out.flush();
                Ok(String::new())
            }
            Mode::Record(recorder) => {
                recorder.push(command.to_string());
                Ok(String::new())
            }
        }
    }
}

fn execute(command: &CommandLine, timeout: Duration) -> Result<String, ActionError> {
    let shown = || command.to_string();
    let Some((program, args)) = command.argv.split_first() else {
        return Err(ActionError::Spawn {
            command: String::new(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"),
        });
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(if command.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills what a shell template started too.
        .process_group(0);
    let mut child = cmd.spawn().map_err(|source| ActionError::Spawn {
        command: shown(),
        source,
    })?;

    if let (Some(input), Some(mut pipe)) = (command.stdin.clone(), child.stdin.take()) {
        // Written from a thread: a command that does not read its input must not block us
        // past the timeout.
        thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    let status = match wait_until(&mut child, Instant::now() + timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill_group(&mut child);
            return Err(ActionError::Timeout {
                command: shown(),
                after: timeout,
            });
        }
        Err(source) => {
            kill_group(&mut child);
            return Err(ActionError::Wait {
                command: shown(),
                source,
            });
        }
    };
    // A grandchild that outlives the command may hold the pipes open: do not wait for it long.
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(Duration::from_secs(1))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let out = collect(stdout);
    if status.success() {
        return Ok(out);
    }
    Err(ActionError::Failed {
        command: shown(),
        status: status.to_string(),
        stderr: bounded(collect(stderr).trim(), MAX_STDERR_IN_ERROR),
    })
}

fn capture<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 8192];
            // Keep reading past the cap so the command never blocks on a full pipe.
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            let _ = tx.send(kept);
        });
    }
    rx
}

fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    // Short first polls: most firewall commands finish in a few milliseconds.
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `s` cut to at most `max` bytes on a character boundary, marked when cut.
pub(crate) fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_leaves_addresses_alone_and_quotes_the_rest() {
        assert_eq!(shell_quote("192.0.2.0/24"), "192.0.2.0/24");
        assert_eq!(shell_quote("2001:db8::/64"), "2001:db8::/64");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("{ 1.2.3.4 }"), "'{ 1.2.3.4 }'");
    }

    #[test]
    fn display_shows_stdin_as_here_document() {
        let c = CommandLine::new(["nft", "-f", "-"]).with_stdin("delete table inet palisade\n");
        assert_eq!(
            c.to_string(),
            "nft -f - <<'EOF'\ndelete table inet palisade\nEOF"
        );
    }

    #[test]
    fn bounded_cuts_on_char_boundary() {
        assert_eq!(bounded("héllo", 2), "h…");
        assert_eq!(bounded("abc", 3), "abc");
    }

    #[test]
    fn failure_carries_status_and_stderr() {
        let c = CommandLine::new(["sh", "-c", "echo oops >&2; exit 3"]);
        let err = Runner::executing().run(&c).unwrap_err();
        match err {
            ActionError::Failed { status, stderr, .. } => {
                assert!(status.contains('3'), "{status}");
                assert_eq!(stderr, "oops");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn timeout_kills_the_process_group() {
        let c = CommandLine::new(["sh", "-c", "sleep 30 & sleep 30"]);
        let started = Instant::now();
        let err = Runner::executing()
            .with_timeout(Duration::from_millis(200))
            .run(&c)
            .unwrap_err();
        assert!(matches!(err, ActionError::Timeout { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn stdin_and_env_reach_the_command() {
        let c = CommandLine::new(["sh", "-c", "cat; printf %s \"$X\""])
            .with_stdin("in-")
            .with_env("X", "env");
        assert_eq!(Runner::executing().run(&c).unwrap(), "in-env");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let c = CommandLine::new(["/nonexistent/palisade-nft"]);
        assert!(matches!(
            Runner::executing().run(&c),
            Err(ActionError::Spawn { .. })
        ));
    }
}
