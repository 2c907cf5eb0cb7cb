//! The watch loop: one thread per source polls it, parses each new line and hands what it
//! means to a [`Sink`]; offsets are saved after every batch, so a restart neither reads a
//! line twice nor skips one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use palisade_detect::Engine;
use palisade_logparse::{Entry, Login, Parser, Request};

use crate::access::{AccessFinding, AccessMonitor, AccessSettings};
use crate::source::{FileFollower, JournalSource, Offsets, SourceError, Start};

/// Where a source's lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// Files matching a glob, followed across rotation.
    Files {
        /// The path or glob.
        pattern: String,
    },
    /// The systemd journal through `journalctl -f -o json`.
    Journal {
        /// The journalctl program.
        program: PathBuf,
        /// Field matches (`_SYSTEMD_UNIT=ssh.service`, `+` between alternatives).
        matches: Vec<String>,
    },
}

/// One `[[watch]]` source, validated.
#[derive(Clone)]
pub struct SourceSpec {
    /// Its name (events carry it as `log_source`; offsets are kept under it for the journal).
    pub name: String,
    /// Where lines come from.
    pub kind: SourceKind,
    /// How lines are read.
    pub parser: Arc<dyn Parser>,
}

impl std::fmt::Debug for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("parser", &self.parser.name())
            .finish()
    }
}

/// Everything the watcher runs with.
#[derive(Clone)]
pub struct WatchSettings {
    /// The sources.
    pub sources: Vec<SourceSpec>,
    /// The offsets file (read positions and journal cursors).
    pub offsets: PathBuf,
    /// Where sources without a saved offset start.
    pub start: Start,
    /// How often each source is polled.
    pub poll: Duration,
    /// Access-log thresholds.
    pub access: AccessSettings,
    /// The detection engine for access-log request lines (`None`: bursts only).
    pub detect: Option<Arc<Engine>>,
    /// Logins whose line is dated longer ago than this are not counted (a backfill or a
    /// restart after downtime must not ban addresses for what they did last month); `None`:
    /// every line counts.
    pub max_age: Option<Duration>,
}

/// What a line meant, handed to the [`Sink`].
#[derive(Debug)]
pub enum Observation<'a> {
    /// A login attempt.
    Login(&'a Login<'a>),
    /// Something an access-log line showed.
    Request {
        /// The request.
        request: &'a Request<'a>,
        /// What was found.
        finding: AccessFinding,
    },
}

/// Receives observations (the binary connects it to the guard's defences).
pub trait Sink: Send + Sync {
    /// One observation of `source`, whose logins belong to `service`.
    fn observe(&self, source: &str, service: &str, observation: Observation<'_>);
}

/// Counters per source.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// The source's name.
    pub name: String,
    /// Lines read.
    pub lines: AtomicU64,
    /// Lines that meant something.
    pub matched: AtomicU64,
    /// Rotations and truncations followed.
    pub rotations: AtomicU64,
    /// Logins not counted because their line was older than `max_age`.
    pub stale: AtomicU64,
}

/// An error starting the watcher.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A source could not be set up.
    #[error("watch source `{name}`: {error}")]
    Source {
        /// The source.
        name: String,
        /// What went wrong.
        error: SourceError,
    },
    /// A thread could not be started.
    #[error("cannot start a watch thread: {0}")]
    Thread(std::io::Error),
}

/// The running watcher; [`Watcher::stop`] (or drop) ends its threads and saves offsets.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    offsets: Arc<Offsets>,
    stats: Vec<Arc<SourceStats>>,
}

enum Reader {
    Files(FileFollower),
    Journal(JournalSource),
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Watcher {
    /// Opens the offsets and every source (errors are reported here, before any thread
    /// runs), then starts one thread per source.
    pub fn start(settings: WatchSettings, sink: Arc<dyn Sink>) -> Result<Watcher, WatchError> {
        let offsets = open_offsets(&settings)?;
        let mut readers = Vec::new();
        for spec in &settings.sources {
            let reader = match &spec.kind {
                SourceKind::Files { pattern } => {
                    FileFollower::new(pattern, settings.start, offsets.clone()).map(Reader::Files)
                }
                SourceKind::Journal { program, matches } => JournalSource::spawn(
                    &spec.name,
                    program,
                    matches,
                    settings.start,
                    offsets.clone(),
                )
                .map(Reader::Journal),
            }
            .map_err(|error| WatchError::Source {
                name: spec.name.clone(),
                error,
            })?;
            readers.push((spec.clone(), reader));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut watcher = Watcher {
            stop: stop.clone(),
            threads: Vec::new(),
            offsets: offsets.clone(),
            stats: Vec::new(),
        };
        let access = Arc::new(Mutex::new(AccessMonitor::new(settings.access.clone())));
        for (spec, reader) in readers {
            let stats = Arc::new(SourceStats {
                name: spec.name.clone(),
                ..SourceStats::default()
            });
            watcher.stats.push(stats.clone());
            let mut run = SourceLoop {
                spec,
                reader,
                sink: sink.clone(),
                offsets: offsets.clone(),
                access: access.clone(),
                detect: settings.detect.clone(),
                max_age: settings.max_age,
                stats,
            };
            let stop = stop.clone();
            let poll = settings.poll;
            let handle = std::thread::Builder::new()
                .name(format!("watch-{}", run.spec.name))
                .spawn(move || run.run(&stop, poll))
                .map_err(WatchError::Thread)?;
            watcher.threads.push(handle);
        }
        Ok(watcher)
    }

    /// The counters of each source.
    pub fn stats(&self) -> &[Arc<SourceStats>] {
        &self.stats
    }

    /// Stops every source after its current batch and saves the offsets.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Err(e) = self.offsets.save() {
            tracing::warn!("cannot save watch offsets: {e}");
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct SourceLoop {
    spec: SourceSpec,
    reader: Reader,
    sink: Arc<dyn Sink>,
    offsets: Arc<Offsets>,
    access: Arc<Mutex<AccessMonitor>>,
    detect: Option<Arc<Engine>>,
    max_age: Option<Duration>,
    stats: Arc<SourceStats>,
}

impl SourceLoop {
    fn run(&mut self, stop: &AtomicBool, poll: Duration) {
        let mut last_error: Option<String> = None;
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            let result = self.poll_once();
            match result {
                Ok(()) => last_error = None,
                Err(e) => {
                    let text = e.to_string();
                    // Once per distinct error: a missing file is polled every quarter second.
                    if last_error.as_deref() != Some(&text) {
                        tracing::warn!(source = %self.spec.name, "{text}");
                        last_error = Some(text);
                    }
                }
            }
            if let Err(e) = self.offsets.save() {
                tracing::warn!("cannot save watch offsets: {e}");
            }
            let spent = started.elapsed();
            if spent < poll {
                sleep_unless_stopped(poll - spent, stop);
            }
        }
    }

    fn poll_once(&mut self) -> Result<(), SourceError> {
        let Self {
            spec,
            reader,
            sink,
            access,
            detect,
            max_age,
            stats,
            ..
        } = self;
        let ctx = LineContext {
            sink: sink.as_ref(),
            access,
            detect: detect.as_deref(),
            max_age: *max_age,
            stats,
        };
        let handle = |line: &str| {
            stats.lines.fetch_add(1, Ordering::Relaxed);
            if handle_line(spec, line, &ctx) {
                stats.matched.fetch_add(1, Ordering::Relaxed);
            }
        };
        match reader {
            Reader::Files(f) => {
                let s = f.poll(&mut |_path, line| handle(line))?;
                stats
                    .rotations
                    .fetch_add(s.rotations + s.truncations, Ordering::Relaxed);
            }
            Reader::Journal(j) => {
                j.poll(&mut |line| handle(line));
            }
        }
        Ok(())
    }
}

/// What handling a line needs besides the line.
struct LineContext<'a> {
    sink: &'a dyn Sink,
    access: &'a Mutex<AccessMonitor>,
    detect: Option<&'a Engine>,
    max_age: Option<Duration>,
    stats: &'a SourceStats,
}

/// When a matched line was written: its own date (never in the future), else now.
fn seen_at(line: &str) -> i64 {
    let now = now_ms();
    crate::time::line_time(line, chrono::Local::now()).map_or(now, |at| at.min(now))
}

/// True when a line written at `at` is older than `max_age`.
fn stale(at: i64, max_age: Option<Duration>) -> bool {
    max_age.is_some_and(|max| {
        now_ms().saturating_sub(at) > i64::try_from(max.as_millis()).unwrap_or(i64::MAX)
    })
}

/// Parses one line and hands what it means to the sink; true when it meant something.
fn handle_line(spec: &SourceSpec, line: &str, ctx: &LineContext<'_>) -> bool {
    let LineContext {
        sink,
        access,
        detect,
        ..
    } = *ctx;
    let service = spec.parser.service();
    let Some(entry) = spec.parser.parse(line) else {
        return false;
    };
    // Only matched lines pay for reading a date.
    let at = seen_at(line);
    if stale(at, ctx.max_age) {
        ctx.stats.stale.fetch_add(1, Ordering::Relaxed);
        return true;
    }
    match entry {
        Entry::Login(login) => {
            sink.observe(&spec.name, service, Observation::Login(&login));
        }
        Entry::Request(request) => {
            // A 401 naming a user is a failed HTTP basic-auth login.
            if request.status == 401
                && let Some(user) = request.user
            {
                let login = Login {
                    ip: request.ip,
                    user: Some(user),
                    outcome: palisade_logparse::Outcome::Failure,
                    kind: "http_401",
                };
                sink.observe(&spec.name, service, Observation::Login(&login));
            }
            // Bursts are counted at the lines' own times, so a catch-up after downtime does
            // not squeeze minutes of 404s into one window.
            let findings = access
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe(&request, detect, at);
            for finding in findings {
                sink.observe(
                    &spec.name,
                    service,
                    Observation::Request {
                        request: &request,
                        finding,
                    },
                );
            }
        }
    }
    true
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let deadline = Instant::now() + total;
    while !stop.load(Ordering::SeqCst) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Reads what the file sources hold now, once, on this thread, and saves the offsets (a
/// backfill with `Start::Beginning`, or a catch-up from the saved positions). Journal
/// sources are skipped: a journal is never "read to the end" while it is followed.
pub fn run_once(
    settings: &WatchSettings,
    sink: &dyn Sink,
) -> Result<Vec<Arc<SourceStats>>, WatchError> {
    let offsets = open_offsets(settings)?;
    let access = Mutex::new(AccessMonitor::new(settings.access.clone()));
    let mut report = Vec::new();
    for spec in &settings.sources {
        let SourceKind::Files { pattern } = &spec.kind else {
            tracing::warn!(source = %spec.name, "a journal source is not read with --once");
            continue;
        };
        let err = |error| WatchError::Source {
            name: spec.name.clone(),
            error,
        };
        let mut follower =
            FileFollower::new(pattern, settings.start, offsets.clone()).map_err(err)?;
        let stats = Arc::new(SourceStats {
            name: spec.name.clone(),
            ..SourceStats::default()
        });
        let ctx = LineContext {
            sink,
            access: &access,
            detect: settings.detect.as_deref(),
            max_age: settings.max_age,
            stats: &stats,
        };
        follower
            .poll(&mut |_path, line| {
                stats.lines.fetch_add(1, Ordering::Relaxed);
                if handle_line(spec, line, &ctx) {
                    stats.matched.fetch_add(1, Ordering::Relaxed);
                }
            })
            .map_err(err)?;
        report.push(stats);
    }
    offsets.save().map_err(|error| WatchError::Source {
        name: "offsets".into(),
        error,
    })?;
    Ok(report)
}

fn open_offsets(settings: &WatchSettings) -> Result<Arc<Offsets>, WatchError> {
    Offsets::open(&settings.offsets)
        .map(Arc::new)
        .map_err(|error| WatchError::Source {
            name: "offsets".into(),
            error,
        })
}
