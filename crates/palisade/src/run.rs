//! `palisade run -- CMD`: the supervisor, with the guard in front of the app (unless
//! `--no-guard`) and the admin API that `palisade status|restart|stop` talk to.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use palisade_core::AppControl;
use palisade_guard::{GuardServer, OnExit, Supervised};
use palisade_supervisor::{RestartMode, StartError, Supervisor};

use crate::Failure;
use crate::apps::{RunRecord, remove_record, write_record};
use crate::cli::{RestartWhen, RunArgs};
use crate::commands::{load_config, start_events};
use crate::config::Overrides;
use crate::rules::ConfigRules;

/// The work to do once, whichever way the process ends: stop the app, drop the run record,
/// store pending events.
type Cleanup = Arc<Mutex<Option<OnExit>>>;

fn run_cleanup(cleanup: &Cleanup) -> bool {
    let hook = cleanup.lock().ok().and_then(|mut c| c.take());
    match hook {
        Some(hook) => {
            hook();
            true
        }
        None => false,
    }
}

/// `palisade run`
pub fn run(args: RunArgs) -> Result<(), Failure> {
    let loaded = load_config(args.config.as_deref())?;
    let port = match args.port.or(loaded.config.run.port) {
        Some(p) => p,
        None => free_port().context("finding a free port for the app")?,
    };
    let rt = loaded.runtime(&Overrides {
        listen: args.listen,
        upstream: Some(format!("http://127.0.0.1:{port}")),
        admin: args.admin,
    })?;
    let mut settings = rt
        .run
        .settings(args.name.clone(), Some(port), args.command.clone())?;
    if let Some(when) = args.restart {
        settings.restart.mode = match when {
            RestartWhen::Always => RestartMode::Always,
            RestartWhen::OnFailure => RestartMode::OnFailure,
            RestartWhen::Never => RestartMode::Never,
        };
    }
    if !args.watch.is_empty() {
        let mut watch =
            settings
                .watch
                .take()
                .unwrap_or_else(|| palisade_supervisor::WatchSettings {
                    paths: Vec::new(),
                    ignore: loaded.config.run.watch.ignore.clone(),
                    debounce: loaded.config.run.watch.debounce,
                });
        for path in &args.watch {
            if !path.exists() {
                return Err(Failure::Input(format!(
                    "--watch {}: no such file or directory",
                    path.display()
                )));
            }
        }
        watch.paths.extend(args.watch.iter().cloned());
        settings.watch = Some(watch);
    }
    if let Some(max) = args.max_memory {
        settings.max_memory = Some(max.as_u64());
    }
    if args.quiet {
        settings.logs.echo = false;
    }
    settings.handle_stop_signals = args.no_guard;
    let stop_timeout = settings.stop_timeout;
    let name = settings.name.clone();

    // Admin: the configured address, or a free port when the default one is taken (several
    // `palisade run`s on one machine each get theirs; `palisade status` finds them).
    let admin = match rt.guard.admin {
        Some(addr) if args.admin.is_some() => addr,
        Some(addr) => prefer(addr),
        None => prefer(SocketAddr::from(([127, 0, 0, 1], 0))),
    };
    let token = rt.admin_token.clone().unwrap_or_else(new_token);

    let (emit, flush) = start_events(rt.events.clone())?;
    let supervisor = match Supervisor::start(settings, emit.clone()) {
        Ok(s) => s,
        Err(StartError::Spawn(e)) => {
            flush();
            return Err(Failure::Input(e.to_string()));
        }
        Err(e @ (StartError::Logs(_) | StartError::Watch(_))) => {
            flush();
            return Err(Failure::Input(e.to_string()));
        }
        Err(e) => {
            flush();
            return Err(Failure::Runtime(e.into()));
        }
    };
    let listen = (!args.no_guard).then_some(rt.guard.listen);
    let record = RunRecord {
        name: name.clone(),
        pid: std::process::id(),
        admin,
        token: Some(token.clone()),
        listen: listen.map(|l| format!("http://{l}")),
    };
    let record_path = match write_record(&record) {
        Ok(p) => p,
        Err(e) => {
            supervisor.request_stop();
            supervisor.wait(stop_timeout + Duration::from_secs(3));
            flush();
            return Err(e);
        }
    };

    let cleanup: Cleanup = {
        let supervisor = supervisor.clone();
        let record_path = record_path.clone();
        Arc::new(Mutex::new(Some(Box::new(move || {
            supervisor.request_stop();
            if supervisor
                .wait(stop_timeout + Duration::from_secs(3))
                .is_none()
            {
                tracing::warn!("the app did not stop in time");
            }
            remove_record(&record_path);
            flush();
        }))))
    };

    if args.no_guard {
        return supervise_only(supervisor, admin, token, cleanup, &name);
    }

    let mut guard = rt.guard.clone();
    let mut member = None;
    if let Some(plan) = &rt.blackbook {
        let (book, shared) = crate::cluster::open(plan)?;
        guard.blackbook = Some(book);
        member = shared;
    }
    guard.admin = Some(admin);
    let rules = ConfigRules::new(loaded.path.clone());
    guard.admin_routes = crate::console::routes(
        &rt,
        loaded.config.admin.console,
        Some(token.clone()),
        guard.blackbook.as_ref().map(|b| b.state.clone()),
        rules.clone(),
        Some(supervisor.clone() as Arc<dyn AppControl>),
    );
    let supervised = Supervised {
        availability: supervisor.availability(),
        control: supervisor.clone() as Arc<dyn AppControl>,
        hold: rt.run.hold,
    };
    let detect = guard.detect.clone();
    let state = guard.blackbook.as_ref().map(|b| b.state.clone());
    let server = match GuardServer::build_supervised(guard, Some(token), emit, Some(supervised)) {
        Ok(s) => s,
        Err(e) => {
            run_cleanup(&cleanup);
            return Err(Failure::Runtime(
                anyhow::Error::new(e).context("starting the guard"),
            ));
        }
    };
    rules.attach(server.detection());
    if loaded.path.is_some()
        && let Err(e) = crate::rules::reload_on_sighup(rules)
    {
        run_cleanup(&cleanup);
        return Err(Failure::Runtime(
            anyhow::Error::new(e).context("listening for SIGHUP"),
        ));
    }
    let listen = listen.unwrap_or(admin);
    tracing::info!(
        "guarding {name} on http://{listen} (app on 127.0.0.1:{port}); `palisade status` via admin http://{admin}"
    );

    // The app may end for good on its own (restart = never, a clean exit, give_up): then so
    // does `palisade run`, with the app's exit code.
    {
        let cleanup = cleanup.clone();
        let supervisor = supervisor.clone();
        std::thread::Builder::new()
            .name("palisade-run-exit".into())
            .spawn(move || {
                let code = supervisor.wait_forever();
                // Whoever runs the cleanup exits; the guard's shutdown may be doing it.
                if run_cleanup(&cleanup) {
                    std::process::exit(code);
                }
            })
            .context("starting the exit watcher")?;
    }
    let attached = match crate::watch::attach(&loaded, &server, &detect, state) {
        Ok(a) => a,
        Err(e) => {
            run_cleanup(&cleanup);
            return Err(e);
        }
    };
    let traffic = crate::traffic::record(rt.events.as_ref().map(|e| e.database.clone()), &server);
    let heartbeat = member.and_then(|m| m.start(listen, server.served(), server.refused()));
    server.run_then(Box::new(move || {
        drop(heartbeat);
        drop(attached);
        drop(traffic);
        run_cleanup(&cleanup);
    }))
}

/// `--no-guard`: the supervisor and the admin API only.
fn supervise_only(
    supervisor: Arc<Supervisor>,
    admin: SocketAddr,
    token: String,
    cleanup: Cleanup,
    name: &str,
) -> Result<(), Failure> {
    let listener = TcpListener::bind(admin).with_context(|| format!("binding {admin}"))?;
    listener.set_nonblocking(true).context("admin listener")?;
    let control = supervisor.clone() as Arc<dyn AppControl>;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let admin_thread = std::thread::Builder::new()
        .name("palisade-admin".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let shutdown = async move {
                    let _ = stop_rx.await;
                };
                if let Err(e) =
                    palisade_guard::serve_app_admin(listener, Some(token), control, shutdown).await
                {
                    tracing::error!("admin listener: {e}");
                }
            });
        })
        .context("starting the admin listener")?;
    tracing::info!("supervising {name}; `palisade status` via admin http://{admin}");
    let code = supervisor.wait_forever();
    run_cleanup(&cleanup);
    let _ = stop_tx.send(());
    let _ = admin_thread.join();
    if code == 0 {
        Ok(())
    } else {
        std::process::exit(code)
    }
}

/// `addr` when it can be bound now, else a free port on its IP.
fn prefer(addr: SocketAddr) -> SocketAddr {
    match TcpListener::bind(addr).and_then(|l| l.local_addr()) {
        Ok(a) => a,
        Err(_) => TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .and_then(|l| l.local_addr())
            .unwrap_or(addr),
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A token for this run's admin API when none is configured: the run record carries it to
/// `palisade status`.
pub(crate) fn new_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
