//! The supervision loop: start, watch, stop, decide, wait, start again. It runs on its own
//! thread with its own single-threaded runtime, so the guard's load never delays a restart.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::Signal;
use palisade_core::app::{AppControl, AppStatus, Availability, ControlError, ExitKind, LastExit};
use palisade_core::{Category, Emit, Event, Severity};
use tokio::process::Child;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::child::{self, SpawnError};
use crate::health;
use crate::logs::{LogWriter, Stream, Tail, pump};
use crate::policy::{Backoff, Decision, EndReason};
use crate::proc::{AppProcs, become_subreaper, reap_adopted, unregister};
use crate::settings::RunSettings;
use crate::watch::{FileWatch, Filter};

/// Why the supervisor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The command could not be started (not found, not executable…).
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// The log files could not be opened.
    #[error("cannot open the app's log files: {0}")]
    Logs(std::io::Error),
    /// The file watcher could not start.
    #[error("{0}")]
    Watch(String),
    /// The supervisor's thread or runtime could not start.
    #[error("cannot start the supervisor: {0}")]
    Runtime(std::io::Error),
}

enum Command {
    Restart,
    Stop,
}

#[derive(Default)]
struct Shared {
    state: &'static str,
    pid: Option<u32>,
    started: Option<Instant>,
    restarts: u64,
    last_exit: Option<LastExit>,
    health_failures: u32,
    finished: Option<i32>,
}

/// A running supervisor: status, controls, and the app's availability for the guard.
pub struct Supervisor {
    name: String,
    command: Vec<String>,
    port: Option<u16>,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    availability: watch::Receiver<Availability>,
}

impl Supervisor {
    /// Starts the app and supervises it on a thread of its own. Returns once the first start
    /// succeeded, or with the reason it failed (a bad command is reported here, not as a
    /// crash loop).
    pub fn start(settings: RunSettings, events: Arc<dyn Emit>) -> Result<Arc<Self>, StartError> {
        if settings.command.is_empty() {
            return Err(SpawnError::Empty.into());
        }
        let tail = Tail::new(settings.logs.tail_lines);
        let out = LogWriter::open(&settings.logs, &settings.name, Stream::Out, None)
            .map_err(StartError::Logs)?;
        let err = LogWriter::open(
            &settings.logs,
            &settings.name,
            Stream::Err,
            Some(tail.clone()),
        )
        .map_err(StartError::Logs)?;
        let filter = match &settings.watch {
            Some(w) => Some(
                Filter::new(w, settings.logs.dir.iter().cloned().collect())
                    .map_err(StartError::Watch)?,
            ),
            None => None,
        };
        become_subreaper();

        let (commands, rx) = mpsc::unbounded_channel();
        let (avail_tx, availability) = watch::channel(Availability::Starting);
        let shared = Arc::new((
            Mutex::new(Shared {
                state: "starting",
                ..Shared::default()
            }),
            Condvar::new(),
        ));
        let supervisor = Arc::new(Supervisor {
            name: settings.name.clone(),
            command: settings
                .command
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect(),
            port: settings.port,
            commands,
            shared: shared.clone(),
            availability,
        });
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("palisade-supervisor".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = first_tx.send(Err(StartError::Runtime(e)));
                        return;
                    }
                };
                let loop_shared = shared.clone();
                let code = rt.block_on(async move {
                    let watch = match (&settings.watch, filter) {
                        (Some(w), Some(f)) => match FileWatch::start(w, f) {
                            Ok(w) => Some(w),
                            Err(e) => {
                                let _ = first_tx.send(Err(StartError::Watch(e)));
                                return 2;
                            }
                        },
                        _ => None,
                    };
                    let lp = Loop {
                        backoff: Backoff::new(settings.restart.clone()),
                        settings,
                        events,
                        shared: loop_shared,
                        avail: avail_tx,
                        commands: rx,
                        out: Arc::new(Mutex::new(out)),
                        err: Arc::new(Mutex::new(err)),
                        tail,
                        watch,
                        signals: Signals::install(),
                    };
                    lp.run(first_tx).await
                });
                let (lock, cv) = &*shared;
                if let Ok(mut s) = lock.lock() {
                    s.finished = Some(code);
                    s.state = "stopped";
                    s.pid = None;
                }
                cv.notify_all();
            })
            .map_err(StartError::Runtime)?;
        match first_rx.recv() {
            Ok(Ok(())) => Ok(supervisor),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StartError::Runtime(std::io::Error::other(
                "the supervisor thread ended before the app started",
            ))),
        }
    }

    /// The app's availability, for the guard.
    pub fn availability(&self) -> watch::Receiver<Availability> {
        self.availability.clone()
    }

    /// Asks for a graceful stop of the app; the supervisor then ends.
    pub fn request_stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    /// Waits until the supervisor has ended (the app stopped and will not be restarted),
    /// at most `timeout`. Returns the exit code `palisade run` should end with.
    pub fn wait(&self, timeout: Duration) -> Option<i32> {
        let (lock, cv) = &*self.shared;
        let guard = lock.lock().ok()?;
        let (guard, _) = cv
            .wait_timeout_while(guard, timeout, |s| s.finished.is_none())
            .ok()?;
        guard.finished
    }

    /// Waits until the supervisor ends, however long that is.
    pub fn wait_forever(&self) -> i32 {
        loop {
            if let Some(code) = self.wait(Duration::from_secs(3600)) {
                return code;
            }
        }
    }
}

impl AppControl for Supervisor {
    fn status(&self) -> AppStatus {
        let (lock, _) = &*self.shared;
        let s = lock.lock().map(|s| StatusParts {
            state: s.state,
            pid: s.pid,
            started: s.started,
            restarts: s.restarts,
            last_exit: s.last_exit.clone(),
            health_failures: s.health_failures,
        });
        let s = s.unwrap_or_default();
        AppStatus {
            name: self.name.clone(),
            command: self.command.clone(),
            state: s.state.to_owned(),
            pid: s.pid,
            supervisor_pid: std::process::id(),
            uptime_secs: s.started.map(|t| t.elapsed().as_secs()),
            restarts: s.restarts,
            last_exit: s.last_exit,
            memory_bytes: s.pid.map(|pid| AppProcs { pgid: pid as i32 }.rss_bytes()),
            port: self.port,
            health_failures: s.health_failures,
        }
    }

    fn restart(&self) -> Result<(), ControlError> {
        self.commands
            .send(Command::Restart)
            .map_err(|_| ControlError("the supervisor has stopped".into()))
    }

    fn stop(&self) -> Result<(), ControlError> {
        self.commands
            .send(Command::Stop)
            .map_err(|_| ControlError("the supervisor has stopped".into()))
    }
}

#[derive(Default)]
struct StatusParts {
    state: &'static str,
    pid: Option<u32>,
    started: Option<Instant>,
    restarts: u64,
    last_exit: Option<LastExit>,
    health_failures: u32,
}

/// The signals palisade passes on. SIGTERM and SIGINT stop the app (when the supervisor owns
/// them); SIGHUP, SIGUSR1 and SIGUSR2 are forwarded to the app's group as they are
/// (reload, log reopen…).
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
    usr1: Option<tokio::signal::unix::Signal>,
    usr2: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Self {
        let on = |k| signal(k).ok();
        Signals {
            term: None,
            int: None,
            hup: on(SignalKind::hangup()),
            usr1: on(SignalKind::user_defined1()),
            usr2: on(SignalKind::user_defined2()),
        }
    }

    fn own_stop_signals(&mut self) {
        self.term = signal(SignalKind::terminate()).ok();
        self.int = signal(SignalKind::interrupt()).ok();
    }

    /// The next signal received.
    async fn recv(&mut self) -> Signal {
        async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = next(&mut self.term) => Signal::SIGTERM,
            _ = next(&mut self.int) => Signal::SIGINT,
            _ = next(&mut self.hup) => Signal::SIGHUP,
            _ = next(&mut self.usr1) => Signal::SIGUSR1,
            _ = next(&mut self.usr2) => Signal::SIGUSR2,
        }
    }
}

struct Loop {
    settings: RunSettings,
    backoff: Backoff,
    events: Arc<dyn Emit>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    avail: watch::Sender<Availability>,
    commands: mpsc::UnboundedReceiver<Command>,
    out: Arc<Mutex<LogWriter>>,
    err: Arc<Mutex<LogWriter>>,
    tail: Tail,
    watch: Option<FileWatch>,
    signals: Signals,
}

/// How one run ended.
struct Ended {
    reason: EndReason,
    exit: ExitKind,
    uptime: Duration,
}

/// What interrupted a wait between runs.
enum Interrupt {
    Elapsed,
    Restart,
    Stop,
}

impl Loop {
    async fn run(mut self, first: std::sync::mpsc::Sender<Result<(), StartError>>) -> i32 {
        if self.settings.handle_stop_signals {
            self.signals.own_stop_signals();
        }
        let mut first = Some(first);
        let mut restart_reason: Option<EndReason> = None;
        loop {
            let child = match child::spawn(&self.settings) {
                Ok(c) => c,
                Err(e) => {
                    if let Some(tx) = first.take() {
                        let _ = tx.send(Err(e.into()));
                        return 2;
                    }
                    // The program went away between runs: a failure like a crash.
                    tracing::error!("{e}");
                    self.emit(Event::new(
                        Category::AppCrash,
                        Severity::High,
                        format!("{}: {e}", self.settings.name),
                    ));
                    match self.decide(EndReason::Crashed, Duration::ZERO, 127).await {
                        Some(code) => return code,
                        None => {
                            restart_reason = Some(EndReason::Crashed);
                            continue;
                        }
                    }
                }
            };
            if let Some(tx) = first.take() {
                let _ = tx.send(Ok(()));
            }
            let ended = self.run_once(child, restart_reason.take()).await;
            self.record_exit(&ended);
            let code = child::exit_code(&ended.exit);
            if let Some(code) = self.decide(ended.reason, ended.uptime, code).await {
                return code;
            }
            restart_reason = Some(ended.reason);
        }
    }

    /// One run of the app, from start to exit.
    async fn run_once(&mut self, mut child: Child, after: Option<EndReason>) -> Ended {
        let pid = child.id().unwrap_or_default();
        let procs = AppProcs { pgid: pid as i32 };
        let started = Instant::now();
        let restarts = {
            let (lock, _) = &*self.shared;
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            if after.is_some() {
                s.restarts += 1;
            }
            s.pid = Some(pid);
            s.started = Some(started);
            s.state = "starting";
            s.health_failures = 0;
            s.restarts
        };
        let pumps = [
            child
                .stdout
                .take()
                .map(|o| tokio::spawn(pump(o, self.out.clone()))),
            child
                .stderr
                .take()
                .map(|e| tokio::spawn(pump(e, self.err.clone()))),
        ];
        self.tail.take();
        let mut start = Event::new(
            Category::AppStart,
            Severity::Info,
            format!("{} started (pid {pid})", self.settings.name),
        )
        .with_field("pid", pid.to_string())
        .with_field("command", self.command_line())
        .with_field("restarts", restarts.to_string());
        if let Some(reason) = after {
            start = start.with_field("after", reason.as_str());
        }
        if let Some(port) = self.settings.port {
            start = start.with_field("port", port.to_string());
        }
        self.emit(start);
        tracing::info!(pid, "{} started", self.settings.name);

        let port = self.settings.port;
        let ready = async move {
            if let Some(port) = port {
                health::wait_listening(port).await;
            }
        };
        tokio::pin!(ready);
        let mut is_ready = false;
        let _ = self.avail.send(Availability::Starting);

        let health = self.settings.health.clone().filter(|_| port.is_some());
        let mut health_tick = tokio::time::interval_at(
            tokio::time::Instant::now()
                + health
                    .as_ref()
                    .map_or(Duration::from_secs(3600), |h| h.grace.min(h.interval)),
            health
                .as_ref()
                .map_or(Duration::from_secs(3600), |h| h.interval),
        );
        health_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failures = 0u32;
        let mut checking: Option<tokio::task::JoinHandle<Result<u16, String>>> = None;
        let mut memory_tick =
            tokio::time::interval(self.settings.memory_interval.max(Duration::from_millis(10)));
        memory_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reap_tick = tokio::time::interval(Duration::from_secs(1));

        let (reason, status) = loop {
            tokio::select! {
                status = child.wait() => {
                    let reason = match &status {
                        Ok(s) if s.success() => EndReason::CleanExit,
                        _ => EndReason::Crashed,
                    };
                    break (reason, status);
                }
                () = &mut ready, if !is_ready => {
                    is_ready = true;
                    self.set_state("running");
                    let _ = self.avail.send(Availability::Up);
                    tracing::info!(pid, "{} is accepting connections after {} ms", self.settings.name, started.elapsed().as_millis());
                }
                _ = health_tick.tick(), if health.is_some() && checking.is_none() => {
                    let Some(h) = &health else { continue };
                    if started.elapsed() < h.grace && !is_ready {
                        continue;
                    }
                    let Some(port) = port else { continue };
                    // On a task of its own: a check may take its whole timeout, and a crash or
                    // a stop request meanwhile must not wait for it.
                    let (path, timeout, max) = (h.path.clone(), h.timeout, h.max_status);
                    checking = Some(tokio::spawn(async move {
                        health::check(port, &path, timeout, max).await
                    }));
                }
                result = async { checking.as_mut().expect("guarded by the branch condition").await }, if checking.is_some() => {
                    checking = None;
                    let Some(h) = &health else { continue };
                    match result.unwrap_or_else(|e| Err(format!("health check task: {e}"))) {
                        Ok(_) => {
                            failures = 0;
                        }
                        Err(why) => {
                            failures += 1;
                            tracing::warn!(pid, "health check {failures}/{} failed: {why}", h.failures);
                            if failures >= h.failures {
                                self.emit(Event::new(
                                    Category::AppUnhealthy,
                                    Severity::High,
                                    format!("{} failed {failures} health checks in a row ({why}); restarting it", self.settings.name),
                                )
                                .with_field("check", "health")
                                .with_field("path", h.path.clone())
                                .with_field("error", why)
                                .with_field("pid", pid.to_string()));
                                break (EndReason::Unhealthy, self.stop_child(&mut child, procs, Signal::SIGTERM).await);
                            }
                        }
                    }
                    self.set_health_failures(failures);
                }
                _ = memory_tick.tick(), if self.settings.max_memory.is_some() => {
                    let limit = self.settings.max_memory.unwrap_or(u64::MAX);
                    let rss = procs.rss_bytes();
                    if rss > limit {
                        self.emit(Event::new(
                            Category::AppUnhealthy,
                            Severity::High,
                            format!("{} uses {} MiB, over its {} MiB limit; restarting it", self.settings.name, rss >> 20, limit >> 20),
                        )
                        .with_field("check", "memory")
                        .with_field("rss_bytes", rss.to_string())
                        .with_field("limit_bytes", limit.to_string())
                        .with_field("pid", pid.to_string()));
                        break (EndReason::Memory, self.stop_child(&mut child, procs, Signal::SIGTERM).await);
                    }
                }
                Some(path) = next_change(&mut self.watch) => {
                    tracing::info!("{} changed; restarting {}", path.display(), self.settings.name);
                    break (EndReason::FileChange, self.stop_child(&mut child, procs, Signal::SIGTERM).await);
                }
                cmd = self.commands.recv() => {
                    let (reason, sig) = match cmd {
                        Some(Command::Restart) => (EndReason::RestartRequested, Signal::SIGTERM),
                        Some(Command::Stop) | None => (EndReason::StopRequested, Signal::SIGTERM),
                    };
                    break (reason, self.stop_child(&mut child, procs, sig).await);
                }
                sig = self.signals.recv() => {
                    if matches!(sig, Signal::SIGTERM | Signal::SIGINT) {
                        break (EndReason::StopRequested, self.stop_child(&mut child, procs, sig).await);
                    }
                    tracing::info!("forwarding {sig} to {}", self.settings.name);
                    procs.signal(sig);
                }
                _ = reap_tick.tick() => reap_adopted(),
            }
        };
        if let Some(check) = checking {
            check.abort();
        }
        let uptime = started.elapsed();
        // Whatever the main process left behind dies with it, so the next run finds its
        // port free.
        child::sweep(
            procs,
            tokio::time::Instant::now() + self.settings.stop_timeout,
        )
        .await;
        unregister(pid);
        for p in pumps.into_iter().flatten() {
            // A grandchild holding the pipe is gone after the sweep; don't wait forever anyway.
            let _ = tokio::time::timeout(Duration::from_secs(1), p).await;
        }
        let exit = match status {
            Ok(s) => child::exit_kind(s),
            Err(e) => {
                tracing::error!("waiting for the app: {e}");
                ExitKind::Code { code: -1 }
            }
        };
        Ended {
            reason,
            exit,
            uptime,
        }
    }

    async fn stop_child(
        &mut self,
        child: &mut Child,
        procs: AppProcs,
        first: Signal,
    ) -> std::io::Result<std::process::ExitStatus> {
        self.set_state("stopping");
        let _ = self.avail.send(Availability::Starting);
        child::stop(child, procs, first, self.settings.stop_timeout).await
    }

    fn record_exit(&mut self, ended: &Ended) {
        let name = &self.settings.name;
        let uptime_ms = ended.uptime.as_millis().to_string();
        let last = LastExit {
            kind: ended.exit.clone(),
            at_ms: epoch_ms(),
            reason: ended.reason.as_str().to_owned(),
        };
        {
            let (lock, _) = &*self.shared;
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            s.last_exit = Some(last);
            s.pid = None;
            s.started = None;
        }
        let exit = ended.exit.to_string();
        let severity = match ended.reason {
            EndReason::CleanExit
            | EndReason::StopRequested
            | EndReason::RestartRequested
            | EndReason::FileChange => Severity::Info,
            _ => Severity::Medium,
        };
        tracing::info!(
            "{name} ended ({exit}, {}) after {uptime_ms} ms",
            ended.reason.as_str()
        );
        self.emit(
            Event::new(
                Category::AppExit,
                severity,
                format!("{name} ended: {exit} ({})", ended.reason.as_str()),
            )
            .with_field("exit", exit.clone())
            .with_field("reason", ended.reason.as_str())
            .with_field("uptime_ms", uptime_ms.clone()),
        );
        if ended.reason == EndReason::Crashed {
            let tail = self.tail.take();
            let mut e = Event::new(
                Category::AppCrash,
                Severity::High,
                format!("{name} crashed: {exit} after {uptime_ms} ms"),
            )
            .with_field("exit", exit)
            .with_field("uptime_ms", uptime_ms);
            if !tail.is_empty() {
                e = e.with_field("stderr_tail", tail.join("\n"));
            }
            self.emit(e);
        }
    }

    /// Applies the policy. `Some(code)`: the supervisor ends, and `palisade run` exits with
    /// `code`: 0 when stopped on request, 1 when it gave up on a crash loop, else the app's
    /// own `exit_code`.
    async fn decide(&mut self, reason: EndReason, uptime: Duration, exit_code: i32) -> Option<i32> {
        let name = self.settings.name.clone();
        match self
            .backoff
            .decide(reason, uptime, Instant::now(), rand::random::<f64>())
        {
            Decision::Stop { gave_up } => {
                if gave_up {
                    let p = self.backoff.policy();
                    self.emit(Event::new(
                        Category::CrashLoop,
                        Severity::Critical,
                        format!(
                            "{name} crashed more than {} times within {}; giving up (give_up = true)",
                            p.max_restarts,
                            humantime::format_duration(p.window)
                        ),
                    ));
                }
                let _ = self.avail.send(Availability::Down {
                    retry_after_secs: 60,
                });
                self.set_state("stopped");
                Some(if gave_up {
                    1
                } else if reason == EndReason::StopRequested {
                    0
                } else {
                    exit_code
                })
            }
            Decision::Restart {
                delay,
                crash_loop_began,
                recent_failures,
            } => {
                let p = self.backoff.policy().clone();
                if crash_loop_began {
                    self.emit(
                        Event::new(
                            Category::CrashLoop,
                            Severity::Critical,
                            format!(
                                "{name} crashed {recent_failures} times within {}; retrying every {}",
                                humantime::format_duration(p.window),
                                humantime::format_duration(p.max_delay)
                            ),
                        )
                        .with_field("failures", recent_failures.to_string()),
                    );
                }
                self.emit(
                    Event::new(
                        Category::AppRestart,
                        Severity::Low,
                        format!(
                            "restarting {name} in {} ms ({})",
                            delay.as_millis(),
                            reason.as_str()
                        ),
                    )
                    .with_field("reason", reason.as_str())
                    .with_field("delay_ms", delay.as_millis().to_string()),
                );
                let secs = u32::try_from(delay.as_secs())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1);
                let _ = self.avail.send(if delay.is_zero() {
                    Availability::Starting
                } else {
                    Availability::Down {
                        retry_after_secs: secs,
                    }
                });
                self.set_state(if self.backoff.in_crash_loop() {
                    "crash_loop"
                } else {
                    "backoff"
                });
                match self.pause(delay).await {
                    Interrupt::Elapsed | Interrupt::Restart => None,
                    Interrupt::Stop => {
                        self.set_state("stopped");
                        Some(0)
                    }
                }
            }
        }
    }

    /// Waits out a backoff delay; a restart request cuts it short, a stop ends it.
    async fn pause(&mut self, delay: Duration) -> Interrupt {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return Interrupt::Elapsed,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Restart) => return Interrupt::Restart,
                    Some(Command::Stop) | None => return Interrupt::Stop,
                },
                sig = self.signals.recv() => {
                    if matches!(sig, Signal::SIGTERM | Signal::SIGINT) {
                        return Interrupt::Stop;
                    }
                }
                Some(_) = next_change(&mut self.watch) => return Interrupt::Restart,
            }
        }
    }

    fn emit(&self, event: Event) {
        self.events.emit(
            event
                .with_field("app", self.settings.name.clone())
                .with_field("supervisor_pid", std::process::id().to_string()),
        );
    }

    fn set_state(&self, state: &'static str) {
        let (lock, _) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.state = state;
        }
    }

    fn set_health_failures(&self, n: u32) {
        let (lock, _) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.health_failures = n;
        }
    }

    fn command_line(&self) -> String {
        self.settings
            .command
            .iter()
            .map(|s| s.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn next_change(watch: &mut Option<FileWatch>) -> Option<std::path::PathBuf> {
    match watch {
        Some(w) => w.changed().await,
        None => std::future::pending().await,
    }
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
