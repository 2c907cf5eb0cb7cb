//! `palisade blackbook …` and `palisade pwned import`: the black book's SQLite file edited
//! directly (a running guard re-reads it within `[blackbook] refresh`) or its Redis server
//! written (running guards see the change within a second, through pub/sub), and the
//! breached password index built.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use palisade_core::Timestamp;
use palisade_guard::BlackbookSettings;
use palisade_state::exchange::{self, Format, ImportDefaults};
use palisade_state::net::parse_target;
use palisade_state::{
    BanRequest, BanSource, MemoryState, RedisState, SqliteState, State, StateError,
};

use crate::Failure;
use crate::cli::{BlackbookArgs, BlackbookCommand, BookFormat, PwnedCommand};
use crate::commands::load_config;
use crate::config::protect::BlackbookPlan;
use crate::config::{Overrides, Runtime};

/// Opens the black book a plan describes (creating the SQLite file when missing). A guard
/// starts even when Redis is unreachable: it serves from its local copy and reconnects.
pub fn open(plan: &BlackbookPlan) -> Result<BlackbookSettings, Failure> {
    let now = Timestamp::now();
    if let Some(redis) = &plan.redis {
        let state = RedisState::start(redis.clone(), plan.config.clone(), now)
            .context("the black book on Redis")?;
        let state = Arc::new(state);
        return Ok(BlackbookSettings {
            state: state.clone(),
            answer: plan.answer,
            refresh: plan.refresh,
            cluster: Some(state),
        });
    }
    let state: Arc<dyn State> = match &plan.database {
        Some(path) => Arc::new(
            SqliteState::open(path, plan.config.clone(), now)
                .with_context(|| format!("opening the black book {}", path.display()))?,
        ),
        None => Arc::new(MemoryState::new(plan.config.clone()).context("the black book")?),
    };
    Ok(BlackbookSettings {
        state,
        answer: plan.answer,
        refresh: plan.refresh,
        cluster: None,
    })
}

/// The black book as `palisade blackbook` edits it: Redis must answer (a one-shot command
/// must not report a change it could not store).
struct Editing {
    state: Arc<dyn State>,
    redis: Option<Arc<RedisState>>,
}

impl Editing {
    fn open(plan: &BlackbookPlan) -> Result<Self, Failure> {
        let Some(redis) = &plan.redis else {
            return Ok(Editing {
                state: open(plan)?.state,
                redis: None,
            });
        };
        let state = RedisState::connect(redis.clone(), plan.config.clone(), Timestamp::now())
            .context("the black book on Redis")?;
        let state = Arc::new(state);
        Ok(Editing {
            state: state.clone(),
            redis: Some(state),
        })
    }

    /// Fails when a write is still queued because Redis stopped answering mid-command.
    fn stored(&self) -> Result<(), Failure> {
        match &self.redis {
            Some(r) if r.pending() > 0 => Err(Failure::Runtime(anyhow::anyhow!(
                "Redis stopped answering: the change was not stored"
            ))),
            _ => Ok(()),
        }
    }
}

fn plan(args: &BlackbookArgs) -> Result<BlackbookPlan, Failure> {
    let loaded = load_config(args.config.as_deref())?;
    let rt: Runtime = loaded.runtime(&Overrides {
        upstream: Some("http://127.0.0.1:1".into()),
        ..Overrides::default()
    })?;
    let mut plan = rt
        .blackbook
        .ok_or_else(|| Failure::Input(format!("{}: [blackbook] enabled = false", loaded.name)))?;
    if let Some(db) = &args.database {
        plan.database = Some(db.clone());
        plan.redis = None;
    }
    if plan.database.is_none() && plan.redis.is_none() {
        return Err(Failure::Input(
            "[blackbook] storage = \"memory\": there is no file to edit; use the admin API \
             (POST/DELETE /v1/blackbook) of the running guard"
                .into(),
        ));
    }
    Ok(plan)
}

fn format(f: BookFormat) -> Format {
    match f {
        BookFormat::Csv => Format::Csv,
        BookFormat::Json => Format::Json,
        BookFormat::Plain => Format::Plain,
    }
}

fn refused(e: StateError) -> Failure {
    match e {
        StateError::Allowlisted(_) | StateError::Parse(_) => Failure::Input(e.to_string()),
        other => Failure::Runtime(other.into()),
    }
}

/// `palisade blackbook`
pub fn run(args: BlackbookArgs) -> Result<(), Failure> {
    let plan = plan(&args)?;
    // Parse before opening, so bad input never creates a database.
    let now = Timestamp::now();
    let mut out = std::io::stdout().lock();
    match &args.command {
        BlackbookCommand::List { json } => {
            let book = Editing::open(&plan)?;
            let bans = book.state.list(now);
            if *json {
                let text = serde_json::to_string_pretty(&bans).context("rendering")?;
                let _ = writeln!(out, "{text}");
            } else if bans.is_empty() {
                let _ = writeln!(out, "no active bans");
            } else {
                let _ = writeln!(
                    out,
                    "{:<40}  {:<7}  {:<20}  {:>6}  reason",
                    "target", "source", "expires (UTC)", "hits"
                );
                for b in &bans {
                    let expires = b
                        .expires_at
                        .map_or_else(|| "never".to_owned(), |t| t.rfc3339()[..19].to_owned());
                    let _ = writeln!(
                        out,
                        "{:<40}  {:<7}  {:<20}  {:>6}  {}",
                        exchange::display_target(&b.target),
                        b.source,
                        expires,
                        b.hits,
                        b.reason
                    );
                }
            }
        }
        BlackbookCommand::Ban {
            target,
            duration,
            reason,
        } => {
            let net = parse_target(target).map_err(Failure::Input)?;
            if duration.is_some_and(|d| d.is_zero()) {
                return Err(Failure::Input("--for must be longer than zero".into()));
            }
            let request = match duration {
                Some(d) => BanRequest::lasting(net, BanSource::Manual, reason.clone(), *d, now),
                None => BanRequest::permanent(net, BanSource::Manual, reason.clone()),
            };
            let book = Editing::open(&plan)?;
            let ban = book.state.ban(request, now).map_err(refused)?;
            book.stored()?;
            let until = ban.expires_at.map_or_else(
                || "permanently".to_owned(),
                |t| format!("until {}", t.rfc3339()),
            );
            let _ = writeln!(
                out,
                "banned {} {until}",
                exchange::display_target(&ban.target)
            );
        }
        BlackbookCommand::Unban { target } => {
            let net = parse_target(target).map_err(Failure::Input)?;
            let book = Editing::open(&plan)?;
            let removed = book.state.unban(net, now).map_err(refused)?;
            book.stored()?;
            match removed {
                Some(b) => {
                    let _ = writeln!(out, "unbanned {}", exchange::display_target(&b.target));
                }
                None => {
                    return Err(Failure::Runtime(anyhow::anyhow!(
                        "{target} is not in the black book"
                    )));
                }
            }
        }
        BlackbookCommand::Export { format: f } => {
            let book = Editing::open(&plan)?;
            let _ = write!(
                out,
                "{}",
                exchange::export(&book.state.list(now), format(*f))
            );
        }
        BlackbookCommand::Import { file, format: f } => {
            let name = file.display().to_string();
            let text = read_input(file)
                .map_err(|e| Failure::Input(format!("{name}: cannot read: {e}")))?;
            let fmt = f.map(format).unwrap_or_else(|| guess(file));
            let requests = exchange::parse(&text, fmt, &ImportDefaults::default())
                .map_err(|e| Failure::Input(format!("{name}: {e}")))?;
            let book = Editing::open(&plan)?;
            let s = book.state.import(requests, now).map_err(refused)?;
            book.stored()?;
            let _ = writeln!(
                out,
                "imported {name}: {} added, {} updated, {} expired, {} allowlisted, {} kept (manual)",
                s.added, s.updated, s.expired, s.allowlisted, s.kept_manual
            );
        }
    }
    Ok(())
}

fn read_input(file: &Path) -> std::io::Result<String> {
    if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(file)
}

fn guess(file: &Path) -> Format {
    match file.extension().and_then(|e| e.to_str()) {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        _ => Format::Plain,
    }
}

/// `palisade pwned import SRC DST`
pub fn pwned(cmd: PwnedCommand) -> Result<(), Failure> {
    let PwnedCommand::Import { src, dst } = cmd;
    match palisade_auth::pwned::import(&src, &dst) {
        Ok(stats) => {
            println!(
                "wrote {}: {} hashes, {} bytes",
                dst.display(),
                stats.hashes,
                stats.bytes
            );
            Ok(())
        }
        Err(e @ palisade_auth::pwned::PwnedError::Format { .. }) => {
            Err(Failure::Input(e.to_string()))
        }
        Err(e) => Err(Failure::Runtime(e.into())),
    }
}
