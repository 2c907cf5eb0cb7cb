//! The subcommands other than `demo`: each loads config, calls a library, renders.

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use palisade_core::{Discard, Emit};
use palisade_events::Pipeline;
use palisade_guard::GuardServer;
use palisade_guard::OnExit;
use palisade_headers::{HeaderSet, Policy};

use crate::Failure;
use crate::cli::{ConfigCommand, GuardArgs, HeadersArgs, HeadersCommand};
use crate::config::{self, ConfigError, FileConfig, Overrides, Runtime, Source};
use crate::rules::ConfigRules;

/// The default config file, used when it exists and no `--config` is given.
pub const DEFAULT_CONFIG: &str = "palisade.toml";

/// A loaded config with the text it came from, so later errors can point into it.
pub struct Loaded {
    /// The parsed file.
    pub config: FileConfig,
    /// How errors name the file.
    pub name: String,
    /// Its text ("" for built-in defaults).
    pub text: String,
    /// The file, `None` for built-in defaults.
    pub path: Option<PathBuf>,
}

impl Loaded {
    /// Validates into runtime settings.
    pub fn runtime(&self, over: &Overrides) -> Result<Runtime, ConfigError> {
        Runtime::build(
            &self.config,
            over,
            &Source {
                name: &self.name,
                text: &self.text,
            },
        )
    }
}

/// Loads `explicit`, or ./palisade.toml when present, or the built-in defaults.
pub fn load_config(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => {
            return Ok(Loaded {
                config: FileConfig::default(),
                name: "<defaults>".to_owned(),
                text: String::new(),
                path: None,
            });
        }
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::whole_file(&name, format!("cannot read: {e}")))?;
    let config = config::load_str(&text, &name)?;
    Ok(Loaded {
        config,
        name,
        text,
        path: Some(path),
    })
}

/// The config (explicit, ./palisade.toml or defaults) and its compiled headers policy; a
/// policy error names the file and the `headers.…` key.
pub fn load_policy(explicit: Option<&Path>) -> Result<(Loaded, Policy), Failure> {
    let loaded = load_config(explicit)?;
    let policy = Policy::from_config(&loaded.config.headers).map_err(|e| {
        Failure::Input(format!(
            "{}: `headers.{}`: {}",
            loaded.name,
            e.path().join("."),
            e.message()
        ))
    })?;
    Ok((loaded, policy))
}

/// `palisade guard`
pub fn guard(args: GuardArgs) -> Result<(), Failure> {
    let loaded = load_config(args.config.as_deref())?;
    let rt = loaded.runtime(&Overrides {
        listen: args.listen,
        upstream: args.upstream,
        admin: args.admin,
    })?;
    let listen = rt.guard.listen;
    let scheme = if rt.guard.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let upstream = format!("{} ({})", rt.guard.upstream.url, rt.guard.upstream.addr);
    let admin = rt.guard.admin;
    let mut settings = rt.guard.clone();
    let mut member = None;
    if let Some(plan) = &rt.blackbook {
        let (book, shared) = crate::cluster::open(plan)?;
        settings.blackbook = Some(book);
        member = shared;
        if let Some(db) = &plan.database {
            tracing::info!("black book in {}", db.display());
        }
    }
    let book = settings.blackbook.as_ref().map(|b| b.state.clone());
    let rules = ConfigRules::new(loaded.path.clone());
    settings.admin_routes = if settings.admin.is_some() {
        crate::console::routes(
            &rt,
            loaded.config.admin.console,
            rt.admin_token.clone(),
            book,
            rules.clone(),
            None,
        )
    } else {
        None
    };
    let console = settings.admin_routes.is_some();
    let events_db = rt.events.as_ref().map(|e| e.database.clone());
    let (emit, on_exit) = start_events(rt.events)?;
    let detect = settings.detect.clone();
    let state = settings.blackbook.as_ref().map(|b| b.state.clone());
    let server =
        GuardServer::build(settings, rt.admin_token, emit).context("starting the guard")?;
    rules.attach(server.detection());
    if loaded.path.is_some() {
        crate::rules::reload_on_sighup(rules).context("listening for SIGHUP")?;
    }
    let attached = crate::watch::attach(&loaded, &server, &detect, state)?;
    let traffic = crate::traffic::record(events_db, &server);
    let heartbeat = member.and_then(|m| m.start(listen, server.served(), server.refused()));
    let on_exit: OnExit = Box::new(move || {
        drop(heartbeat);
        drop(attached);
        drop(traffic);
        on_exit();
    });
    tracing::info!(%listen, %upstream, "guard listening on {scheme}://{listen}, proxying to {upstream}");
    if let Some(admin) = admin {
        tracing::info!(
            "admin listener on http://{admin} (/healthz, /metrics, /v1/events, /v1/auth/events, /v1/blackbook)"
        );
        if console {
            tracing::info!("console on http://{admin}/console (log in with the [admin] token)");
        }
    }
    server.run_then(on_exit)
}

/// Starts the event pipeline (or a discarding stand-in when events are off), and the hook
/// that stores what is pending before the process exits.
pub fn start_events(
    settings: Option<palisade_events::EventsSettings>,
) -> Result<(Arc<dyn Emit>, OnExit), Failure> {
    let Some(settings) = settings else {
        tracing::warn!("[events] enabled = false: security events are not stored");
        return Ok((Arc::new(Discard), Box::new(|| {})));
    };
    let database = settings.database.display().to_string();
    let sinks: Vec<String> = settings.sinks.iter().map(|s| s.name.clone()).collect();
    let pipeline = Pipeline::start(settings).context("starting the event pipeline")?;
    tracing::info!(%database, sinks = %sinks.join(", "), "events stored in {database}");
    let emit: Arc<dyn Emit> = Arc::new(pipeline.emitter());
    Ok((
        emit,
        Box::new(move || pipeline.shutdown(Duration::from_secs(2))),
    ))
}

/// `palisade config check|print`
pub fn config(cmd: ConfigCommand) -> Result<(), Failure> {
    match cmd {
        ConfigCommand::Check { file } => {
            let file = file.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
            let loaded = load_config(Some(&file))?;
            // The upstream may legitimately come from --upstream at run time, so a file
            // without one is still checked with a placeholder.
            let over = Overrides {
                upstream: loaded
                    .config
                    .guard
                    .upstream
                    .is_none()
                    .then(|| "http://127.0.0.1:1".to_owned()),
                ..Overrides::default()
            };
            loaded.runtime(&over)?;
            crate::watch::plan(&loaded)?;
            crate::enforce::check(&loaded)?;
            println!("{}: ok", loaded.name);
            Ok(())
        }
        ConfigCommand::Print { file } => {
            let loaded = load_config(file.as_deref())?;
            let text =
                toml::to_string_pretty(&loaded.config).context("rendering the configuration")?;
            println!("# effective configuration from {}\n{text}", loaded.name);
            Ok(())
        }
    }
}

/// `palisade headers`
pub fn headers(args: HeadersArgs) -> Result<(), Failure> {
    match args.command {
        Some(HeadersCommand::Check(check)) => return crate::headers_check::run(check),
        Some(HeadersCommand::CspSuggest(suggest)) => return crate::csp_suggest::run(suggest),
        None => {}
    }
    let (_, policy) = load_policy(args.config.as_deref())?;
    let https = !args.http;
    let over = if https { "" } else { " over plain HTTP" };
    match &args.path {
        Some(path) => print_set(
            &format!("responses under {path}{over}"),
            policy.for_request(path, https),
        ),
        None => {
            let base = if https {
                policy.base()
            } else {
                policy.base_http()
            };
            print_set(&format!("all responses{over}"), base);
            for (prefix, on_https, on_http) in policy.overrides() {
                println!();
                let set = if https { on_https } else { on_http };
                print_set(&format!("responses under {prefix}{over}"), set);
            }
        }
    }
    Ok(())
}

fn print_set(title: &str, set: &HeaderSet) {
    println!("# {title}");
    for (name, value) in set.headers() {
        println!(
            "{}: {}",
            display_name(name),
            value.to_str().unwrap_or("<binary>")
        );
    }
    for name in set.removes() {
        println!("# removes {}", display_name(name));
    }
    println!(
        "# headers the app already sent: {:?}",
        set.upstream_policy()
    );
    match set.nonce_mode() {
        palisade_headers::NonceMode::Off => {}
        palisade_headers::NonceMode::Header => {
            println!("# a fresh CSP nonce per response (sent to the app as X-Csp-Nonce)")
        }
        palisade_headers::NonceMode::Auto => println!(
            "# a fresh CSP nonce per response, written into every <script> and <style> of HTML pages"
        ),
    }
    if set.csp_report() {
        println!(
            "# CSP violation reports collected at {}",
            palisade_headers::CSP_REPORT_PATH
        );
    }
    if set.scrub_errors() {
        println!("# the app's 5xx pages are replaced (originals go to the event log)");
    }
}

/// Header names as Helmet writes them (HTTP/1 names are case-insensitive; people read them this way).
pub fn display_name(name: &http::HeaderName) -> String {
    if let Some(spelled) = palisade_headers::helmet_case(name) {
        return spelled.to_owned();
    }
    name.as_str()
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}
