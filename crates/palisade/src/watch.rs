//! `palisade watch` and `palisade watch test`: log sources wired to the login monitor and
//! the black book (through the guard's `LoginFeed`), and the firewall actions.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use palisade_core::{Category, Event, Severity};
use palisade_guard::{LogLogin, LoginFeed};
use palisade_logparse::{Entry, Outcome, Parser};
use palisade_watch::access::AccessFinding;
use palisade_watch::source::Start;
use palisade_watch::{Observation, Sink, WatchSettings, Watcher};

use crate::Failure;
use crate::cli::{WatchArgs, WatchCommand, WatchTestArgs};
use crate::commands::{Loaded, load_config, start_events};
use crate::config::watch::{WatchFile, WatchPlan, parser_for};
use crate::config::{Overrides, Source};

/// Hands what the sources read to the guard's defences.
pub struct FeedSink {
    feed: LoginFeed,
}

impl FeedSink {
    /// Feeds `feed`.
    pub fn new(feed: LoginFeed) -> Self {
        FeedSink { feed }
    }
}

impl Sink for FeedSink {
    fn observe(&self, source: &str, service: &str, observation: Observation<'_>) {
        match observation {
            Observation::Login(login) => self.feed.login(&LogLogin {
                service,
                source,
                ip: login.ip,
                user: login.user,
                success: login.outcome == Outcome::Success,
                kind: login.kind,
            }),
            Observation::Request { request, finding } => {
                let event = match finding {
                    AccessFinding::Detected(verdict) => {
                        palisade_guard::detect::event(&verdict, false)
                            .with_field("method", request.method)
                            .with_field("path", request.target)
                            .with_field("status", request.status.to_string())
                    }
                    AccessFinding::Burst { status, count, .. } => Event::new(
                        Category::Scanner,
                        Severity::Medium,
                        format!("{count} responses {status} to {} in a burst", request.ip),
                    )
                    .with_field("status", status.to_string())
                    .with_field("count", count.to_string()),
                };
                self.feed
                    .offence(service, source, event.with_source_ip(request.ip));
            }
        }
    }
}

/// `palisade watch …`
pub fn run(args: WatchArgs) -> Result<(), Failure> {
    if let Some(WatchCommand::Test(t)) = args.command {
        return test(&t);
    }
    let loaded = load_config(args.config.as_deref())?;
    let plan = plan(&loaded)?;
    if plan.sources.is_empty() && loaded.config.enforce.is_empty() {
        return Err(Failure::Input(format!(
            "{}: no [[watch]] sources and no [[enforce]] actions: nothing to do \
             (see docs/watch.md)",
            loaded.name
        )));
    }
    // The guard's settings, for the parts `watch` shares with it: events, black book, [auth].
    let rt = loaded.runtime(&Overrides {
        upstream: Some("http://127.0.0.1:1".into()),
        ..Overrides::default()
    })?;
    let book = rt
        .blackbook
        .as_ref()
        .map(crate::blackbook::open)
        .transpose()?;
    let state = book.as_ref().map(|b| b.state.clone());
    if args.dry_run {
        // Only the firewall commands are printed: sources would write real bans.
        if loaded.config.enforce.is_empty() {
            return Err(Failure::Input(format!(
                "{}: --dry-run prints what [[enforce]] would run, and there is no [[enforce]]",
                loaded.name
            )));
        }
        crate::enforce::start(&loaded, state, crate::enforce::Mode::DryRun)?;
        return Ok(());
    }
    let (emit, on_exit) = start_events(rt.events)?;
    let watcher = match rt.guard.auth {
        Some(auth) if !plan.sources.is_empty() => {
            let feed = LoginFeed::standalone(emit, book, auth);
            let settings = watch_settings(&plan, &rt.guard.detect, args.from_start);
            for s in &plan.sources {
                tracing::info!(source = %s.name, parser = %s.parser.name(), "watching {:?}", s.kind);
            }
            let sink = Arc::new(FeedSink::new(feed));
            if args.once {
                once(&settings, sink.as_ref())?;
                None
            } else {
                Some(Watcher::start(settings, sink).context("starting the sources")?)
            }
        }
        _ => None,
    };
    if args.once {
        // The bans the sources just made are in the book: apply them, and leave them applied.
        crate::enforce::start(&loaded, state, crate::enforce::Mode::Once)?;
        on_exit();
        return Ok(());
    }
    let enforcer = crate::enforce::start(&loaded, state, crate::enforce::Mode::Follow)?;
    wait_for_signal()?;
    tracing::info!("stopping");
    if let Some(w) = watcher {
        w.stop();
    }
    drop(enforcer);
    on_exit();
    Ok(())
}

/// `--once`: every source read to its end, and what each read.
fn once(settings: &WatchSettings, sink: &dyn Sink) -> Result<(), Failure> {
    let stats = palisade_watch::run_once(settings, sink).context("reading the sources")?;
    for s in stats {
        let stale = s.stale.load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "{}: {} lines read, {} matched{}",
            s.name,
            s.lines.load(std::sync::atomic::Ordering::Relaxed),
            s.matched.load(std::sync::atomic::Ordering::Relaxed),
            if stale > 0 {
                format!(", {stale} lines older than [watching] max_age not counted")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// The sources of a loaded config, with fail2ban warnings printed.
pub fn plan(loaded: &Loaded) -> Result<WatchPlan, Failure> {
    let plan = crate::config::watch::plan(
        &loaded.config,
        &Source {
            name: &loaded.name,
            text: &loaded.text,
        },
    )?;
    for w in &plan.warnings {
        tracing::warn!("{w}");
    }
    Ok(plan)
}

/// The watcher's settings from a plan and the guard's detection settings.
pub fn watch_settings(
    plan: &WatchPlan,
    detect: &Option<palisade_guard::DetectSettings>,
    from_start: bool,
) -> WatchSettings {
    WatchSettings {
        sources: plan.sources.clone(),
        offsets: plan.offsets.clone(),
        start: if from_start {
            Start::Beginning
        } else {
            Start::End
        },
        poll: plan.options.poll,
        access: plan.access(),
        detect: if plan.options.detect {
            detect.as_ref().map(|d| d.engine.clone())
        } else {
            None
        },
        max_age: (!plan.options.max_age.is_zero()).then_some(plan.options.max_age),
    }
}

fn wait_for_signal() -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the signal handler")?;
    rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        Ok::<(), std::io::Error>(())
    })
    .context("waiting for a signal")?;
    Ok(())
}

/// `palisade watch test FILE`: what a parser makes of each line.
fn test(args: &WatchTestArgs) -> Result<(), Failure> {
    let file = WatchFile {
        parser: args.parser.clone(),
        regex: args.regex.clone(),
        fail2ban_filter: args.filter.clone(),
        service: args.service.clone(),
        ..WatchFile::default()
    };
    let file = if file.parser.is_none() && file.regex.is_empty() && file.fail2ban_filter.is_none() {
        return Err(Failure::Input(
            "say how to read the file: --parser NAME, --regex REGEX or --filter FILE".into(),
        ));
    } else {
        file
    };
    let name = args
        .parser
        .clone()
        .or_else(|| {
            args.filter
                .as_ref()
                .and_then(|f| f.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "custom".into());
    let mut warnings = Vec::new();
    let parser = parser_for(
        &file,
        &name,
        Path::new("."),
        &Source {
            name: "command line",
            text: "",
        },
        &["--parser"],
        &mut warnings,
    )
    .map_err(|e| Failure::Input(e.to_string().replace("command line: ", "")))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let input: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file)
            .map_err(|e| Failure::Input(format!("{}: {e}", args.file.display())))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let totals = scan(parser.as_ref(), input, args)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let summary = serde_json::json!({
            "summary": {
                "lines": totals.lines,
                "failures": totals.failures,
                "successes": totals.successes,
                "requests": totals.requests,
                "missed": totals.lines - totals.failures - totals.successes - totals.requests,
            }
        });
        let _ = writeln!(out, "{summary}");
    } else {
        let _ = writeln!(
            out,
            "{}: {} lines, {} failures, {} successes, {} requests, {} not matched ({}, service {})",
            args.file.display(),
            totals.lines,
            totals.failures,
            totals.successes,
            totals.requests,
            totals.lines - totals.failures - totals.successes - totals.requests,
            if args.filter.is_some() {
                format!("fail2ban filter {}", parser.name())
            } else if !args.regex.is_empty() {
                "custom regex".to_owned()
            } else {
                format!("{} parser", parser.name())
            },
            parser.service(),
        );
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    lines: u64,
    failures: u64,
    successes: u64,
    requests: u64,
}

fn scan(
    parser: &dyn Parser,
    mut input: Box<dyn BufRead>,
    args: &WatchTestArgs,
) -> std::io::Result<Totals> {
    let mut totals = Totals::default();
    let mut buf = Vec::with_capacity(4096);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        totals.lines += 1;
        let raw = String::from_utf8_lossy(&buf);
        let line = raw.trim_end_matches(['\n', '\r']);
        let entry = parser.parse(line);
        match &entry {
            Some(Entry::Login(l)) if l.outcome == Outcome::Failure => totals.failures += 1,
            Some(Entry::Login(_)) => totals.successes += 1,
            Some(Entry::Request(_)) => totals.requests += 1,
            None => {}
        }
        if args.quiet {
            continue;
        }
        match entry {
            Some(Entry::Login(l)) => {
                let outcome = match l.outcome {
                    Outcome::Failure => "failure",
                    Outcome::Success => "success",
                };
                if args.json {
                    let j = serde_json::json!({
                        "line": totals.lines, "ip": l.ip.to_string(), "user": l.user,
                        "outcome": outcome, "kind": l.kind, "text": line,
                    });
                    writeln!(out, "{j}")?;
                } else {
                    writeln!(
                        out,
                        "{:>7}  {outcome:<7}  {:<39}  {:<20}  {}",
                        totals.lines,
                        l.ip,
                        l.user.unwrap_or("-"),
                        l.kind
                    )?;
                }
            }
            Some(Entry::Request(r)) => {
                if args.json {
                    let j = serde_json::json!({
                        "line": totals.lines, "ip": r.ip.to_string(), "user": r.user,
                        "method": r.method, "target": r.target, "status": r.status,
                    });
                    writeln!(out, "{j}")?;
                } else {
                    writeln!(
                        out,
                        "{:>7}  request  {:<39}  {} {} {}",
                        totals.lines, r.ip, r.status, r.method, r.target
                    )?;
                }
            }
            None if args.missed => {
                if args.json {
                    let j = serde_json::json!({"line": totals.lines, "missed": line});
                    writeln!(out, "{j}")?;
                } else {
                    writeln!(out, "{:>7}  missed   {line}", totals.lines)?;
                }
            }
            None => {}
        }
    }
    out.flush()?;
    Ok(totals)
}

/// The `[[watch]]` sources and `[[enforce]]` actions running beside a guard; dropping it
/// stops them (offsets saved, the nftables table removed).
pub struct Attached {
    _watcher: Option<Watcher>,
    _enforcer: Option<crate::enforce::Running>,
}

/// Starts the config's sources, fed into `server`'s defences, and its firewall actions.
pub fn attach(
    loaded: &Loaded,
    server: &palisade_guard::GuardServer,
    detect: &Option<palisade_guard::DetectSettings>,
    state: Option<Arc<dyn palisade_state::State>>,
) -> Result<Attached, Failure> {
    let plan = plan(loaded)?;
    let enforcer = crate::enforce::start(loaded, state, crate::enforce::Mode::Follow)?;
    let watcher = if plan.sources.is_empty() {
        None
    } else {
        for s in &plan.sources {
            tracing::info!(source = %s.name, parser = %s.parser.name(), "watching {:?}", s.kind);
        }
        let settings = watch_settings(&plan, detect, false);
        let sink = Arc::new(FeedSink::new(server.login_feed()));
        Some(Watcher::start(settings, sink).context("starting the [[watch]] sources")?)
    };
    Ok(Attached {
        _watcher: watcher,
        _enforcer: enforcer,
    })
}
