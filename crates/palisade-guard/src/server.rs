//! Assembling and running the guard on a pingora server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pingora::apps::HttpServerOptions;
use pingora::listeners::tls::TlsSettings;
use pingora::server::configuration::ServerConf;
use pingora::server::{ExecutionPhase, RunArgs, Server, ShutdownSignal, ShutdownSignalWatch};
use pingora::services::background::background_service;
use pingora::services::listening::Service;
use tokio::signal::unix::{SignalKind, signal};

use palisade_core::Emit;

use crate::admin::AdminService;
use crate::auth::AuthRuntime;
use crate::conn::{ConnLimit, GuardedApp};
use crate::defence::Defences;
use crate::detect::Detection;
use crate::error::GuardError;
use crate::metrics::{GuardMetrics, install_recorder};
use crate::proxy::Guard;
use crate::settings::GuardSettings;
use crate::supervised::{AppGate, Supervised};

/// A guard ready to run: listeners checked, services assembled.
pub struct GuardServer {
    server: Server,
    metrics: Arc<GuardMetrics>,
    drain: Duration,
    defences: Arc<Defences>,
    detection: Detection,
}

/// Runs once, just before the process exits after a shutdown (flush the event store…).
pub type OnExit = Box<dyn FnOnce() + Send>;

static ON_EXIT: std::sync::Mutex<Option<OnExit>> = std::sync::Mutex::new(None);

/// Exits the process, running the exit hook first (whichever thread gets here first).
fn exit() -> ! {
    let hook = ON_EXIT.lock().ok().and_then(|mut h| h.take());
    if let Some(hook) = hook {
        hook();
    }
    std::process::exit(0)
}

impl GuardServer {
    /// Checks the listeners and the TLS material, and assembles the services.
    ///
    /// Installs the process-wide metrics recorder, so build one guard per process.
    pub fn build(
        settings: GuardSettings,
        admin_token: Option<String>,
        events: Arc<dyn Emit>,
    ) -> Result<Self, GuardError> {
        Self::build_supervised(settings, admin_token, events, None)
    }

    /// [`build`](Self::build) for `palisade run`: with `supervised`, requests wait for (or
    /// are told to retry) an app that is not up, and the admin API serves `/v1/app`.
    pub fn build_supervised(
        settings: GuardSettings,
        admin_token: Option<String>,
        events: Arc<dyn Emit>,
        supervised: Option<Supervised>,
    ) -> Result<Self, GuardError> {
        // pingora binds only once it runs, and then a busy port is a log line in a
        // background thread; probing first turns it into a clear start-up error.
        drop(bind(settings.listen)?);
        let admin_listener = settings.admin.map(bind).transpose()?;

        let handle = install_recorder()?;
        let metrics = Arc::new(GuardMetrics::new());

        let conf = ServerConf {
            threads: settings.threads.max(1),
            // The grace period is the drain window; `watch_drain` ends it early once
            // nothing is in flight.
            grace_period_seconds: Some(settings.timeouts.drain.as_secs().max(1)),
            graceful_shutdown_timeout_seconds: Some(1),
            ..ServerConf::default()
        };
        let mut server = Server::new_with_opt_and_conf(None, conf);
        server.bootstrap();

        let defences = Arc::new(Defences::new(
            events.clone(),
            settings.blackbook.clone(),
            settings.ratelimit.clone(),
            settings.auth.clone().map(AuthRuntime::new),
        ));
        defences.start_upkeep();
        let detection = Detection::new(settings.detect.clone());
        let guard = Guard::new(
            &settings,
            metrics.clone(),
            events.clone(),
            defences.clone(),
            supervised.as_ref().map(AppGate::new),
            detection.clone(),
        );
        let mut proxy = pingora::proxy::http_proxy(&server.configuration, guard);
        // HTTP/2 has no header deadline (conn.rs); an idle h2 connection is closed
        // after the keep-alive time, as an idle HTTP/1 one is.
        let mut options = HttpServerOptions::default();
        options.h2_idle_timeout = Some(settings.timeouts.keepalive);
        proxy.server_options = Some(options);
        let mut app = GuardedApp::new(proxy, settings.timeouts.client_header, metrics.clone());
        if let Some(limiter) = settings
            .ratelimit
            .as_ref()
            .and_then(|r| r.connections.clone())
        {
            app = app.with_connection_limit(ConnLimit {
                limiter,
                exempt: settings.trusted_proxies.clone(),
                book: settings.blackbook.as_ref().map(|b| b.state.clone()),
            });
        }
        let mut service = Service::new("palisade guard".to_owned(), app);
        let listen = settings.listen.to_string();
        match &settings.tls {
            None => service.add_tcp(&listen),
            Some(tls) => {
                let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
                for file in [&tls.cert, &tls.key] {
                    std::fs::metadata(file)
                        .map_err(|e| GuardError::Tls(format!("{}: {e}", file.display())))?;
                }
                let mut tls_settings = TlsSettings::intermediate(&path(&tls.cert), &path(&tls.key))
                    .map_err(|e| GuardError::Tls(e.to_string()))?;
                tls_settings.enable_h2();
                service.add_tls_with_settings(&listen, None, tls_settings);
            }
        }
        server.add_service(service);
        if let Some(listener) = admin_listener {
            listener
                .set_nonblocking(true)
                .map_err(|e| GuardError::Metrics(e.to_string()))?;
            server.add_service(background_service(
                "palisade admin",
                AdminService::new(listener, handle, admin_token, events, defences.clone())
                    .with_app(supervised.map(|s| s.control))
                    .with_routes(settings.admin_routes.clone()),
            ));
        }
        Ok(GuardServer {
            server,
            metrics,
            drain: settings.timeouts.drain,
            defences,
            detection,
        })
    }

    /// A handle for `[[watch]]` sources running in this process: their logins count in the
    /// same windows and scores as the proxy's.
    pub fn login_feed(&self) -> crate::watch::LoginFeed {
        crate::watch::LoginFeed::new(self.defences.clone())
    }

    /// Responses the guard has sent since it started (a counter to sample: the binary turns
    /// it into requests per hour in the event store).
    pub fn served(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let metrics = self.metrics.clone();
        move || metrics.served()
    }

    /// Requests the guard has refused since it started (detection, black book, rate
    /// limits): a counter to sample, as [`GuardServer::served`].
    pub fn refused(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let metrics = self.metrics.clone();
        move || metrics.refused()
    }

    /// The detection settings in force: replace them to reload detection without a restart.
    pub fn detection(&self) -> Detection {
        self.detection.clone()
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests (up to the drain
    /// timeout) and exits the process. A second signal exits at once.
    pub fn run(self) -> ! {
        self.run_then(Box::new(|| {}))
    }

    /// Like [`run`](Self::run), with `on_exit` called once right before the process exits.
    pub fn run_then(self, on_exit: OnExit) -> ! {
        if let Ok(mut hook) = ON_EXIT.lock() {
            *hook = Some(on_exit);
        }
        let phases = self.server.watch_execution_phase();
        let metrics = self.metrics.clone();
        let drain = self.drain;
        std::thread::Builder::new()
            .name("palisade-drain".into())
            .spawn(move || watch_drain(phases, metrics, drain))
            .ok();
        self.server.run(RunArgs {
            shutdown_signal: Box::new(GracefulSignals),
        });
        exit()
    }
}

fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, GuardError> {
    TcpListener::bind(addr).map_err(|source| GuardError::Bind { addr, source })
}

/// SIGTERM and SIGINT both drain: Ctrl-C in a terminal should not cut off a
/// user's upload. SIGQUIT stops at once.
struct GracefulSignals;

#[async_trait]
impl ShutdownSignalWatch for GracefulSignals {
    async fn recv(&self) -> ShutdownSignal {
        let (Ok(mut term), Ok(mut int), Ok(mut quit)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::quit()),
        ) else {
            tracing::error!("cannot install signal handlers; shutting down");
            return ShutdownSignal::FastShutdown;
        };
        tokio::select! {
            _ = term.recv() => ShutdownSignal::GracefulTerminate,
            _ = int.recv() => ShutdownSignal::GracefulTerminate,
            _ = quit.recv() => ShutdownSignal::FastShutdown,
        }
    }
}

/// Once shutdown begins, exits as soon as no request is in flight, the drain window
/// closes, or a second signal arrives — instead of sleeping out pingora's whole grace period.
fn watch_drain(
    mut phases: tokio::sync::broadcast::Receiver<ExecutionPhase>,
    metrics: Arc<GuardMetrics>,
    drain: Duration,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        loop {
            match phases.recv().await {
                Ok(ExecutionPhase::GracefulTerminate) | Ok(ExecutionPhase::ShutdownStarted) => {
                    break;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
        tracing::info!("draining in-flight requests");
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        let started = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = tick.tick() => {
                    if metrics.inflight() == 0 || started.elapsed() >= drain {
                        break;
                    }
                }
            }
        }
        let left = metrics.inflight();
        if left > 0 {
            tracing::warn!("shutting down with {left} request(s) still in flight");
        }
        exit();
    });
}
