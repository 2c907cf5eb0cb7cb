//! `palisade events [tail|stats]` and `palisade alerts test`: read the event store, render
//! tables or ECS JSON; send a test message through a sink.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use palisade_core::Timestamp;
use palisade_events::alerts::Notification;
use palisade_events::sinks::Delivery;
use palisade_events::{EventQuery, Store, Stored};

use crate::Failure;
use crate::cli::{AlertsCommand, EventFilterArgs, EventsArgs, EventsCommand, StoreArgs};
use crate::commands::load_config;
use crate::config::Overrides;

fn database(store: &StoreArgs) -> Result<PathBuf, Failure> {
    if let Some(db) = &store.database {
        return Ok(db.clone());
    }
    let loaded = load_config(store.config.as_deref())?;
    Ok(loaded.config.events.database.clone())
}

fn open(store: &StoreArgs) -> Result<Store, Failure> {
    let path = database(store)?;
    Store::open_read_only(&path).map_err(|e| match e {
        palisade_events::StoreError::Missing(_) => Failure::Input(e.to_string()),
        other => Failure::Runtime(other.into()),
    })
}

fn since(d: Option<Duration>) -> Option<Timestamp> {
    d.map(|d| Timestamp::from(SystemTime::now() - d))
}

fn query(filter: &EventFilterArgs, limit: usize) -> EventQuery {
    EventQuery {
        since: since(filter.since),
        categories: filter.categories.clone(),
        ip: filter.ip,
        min_severity: filter.severity,
        after_seq: None,
        limit,
    }
}

/// `palisade events`
pub fn run(args: EventsArgs) -> Result<(), Failure> {
    match args.command {
        None => list(&args.store, &args.filter, args.limit),
        Some(EventsCommand::Tail {
            store,
            filter,
            last,
        }) => tail(&store, &filter, last),
        Some(EventsCommand::Stats { store, since, json }) => stats(&store, since, json),
    }
}

fn list(store: &StoreArgs, filter: &EventFilterArgs, limit: usize) -> Result<(), Failure> {
    let db = open(store)?;
    let mut rows = db.query(&query(filter, limit)).context("reading events")?;
    rows.reverse(); // oldest first, like a log
    let mut out = std::io::stdout().lock();
    if rows.is_empty() && !filter.json {
        let _ = writeln!(out, "no events match");
    }
    print_rows(&mut out, &rows, filter.json);
    Ok(())
}

fn tail(store: &StoreArgs, filter: &EventFilterArgs, last: usize) -> Result<(), Failure> {
    let db = open(store)?;
    let mut q = query(filter, last.max(1));
    let mut rows = if last > 0 {
        db.query(&q).context("reading events")?
    } else {
        Vec::new()
    };
    rows.reverse();
    let mut cursor = db
        .query(&EventQuery {
            limit: 1,
            ..EventQuery::default()
        })
        .context("reading events")?
        .first()
        .map_or(0, |r| r.seq);
    let mut out = std::io::stdout().lock();
    print_rows(&mut out, &rows, filter.json);
    q.limit = 1000;
    loop {
        q.after_seq = Some(cursor);
        let rows = db.query(&q).context("reading events")?;
        if let Some(r) = rows.last() {
            cursor = r.seq;
        } else {
            // Rows filtered out still move the cursor: ask for the newest position.
            std::thread::sleep(Duration::from_millis(500));
        }
        print_rows(&mut out, &rows, filter.json);
        if out.flush().is_err() {
            return Ok(()); // the reader went away (`| head`)
        }
    }
}

/// Prints every event stored from now on, one table line each (the demo's live view).
pub fn follow(database: &std::path::Path) {
    let mut store = None;
    let mut cursor = None;
    loop {
        if store.is_none() {
            store = Store::open_read_only(database).ok();
        }
        if let Some(db) = &store {
            if cursor.is_none() {
                cursor = db
                    .query(&EventQuery {
                        limit: 1,
                        ..EventQuery::default()
                    })
                    .ok()
                    .map(|rows| rows.first().map_or(0, |r| r.seq));
            }
            if let Some(after) = cursor {
                let rows = db
                    .query(&EventQuery {
                        after_seq: Some(after),
                        limit: 1000,
                        ..EventQuery::default()
                    })
                    .unwrap_or_default();
                if let Some(last) = rows.last() {
                    cursor = Some(last.seq);
                }
                let mut out = std::io::stdout().lock();
                print_rows(&mut out, &rows, false);
                let _ = out.flush();
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn print_rows(out: &mut impl Write, rows: &[Stored], json: bool) {
    for r in rows {
        let e = &r.event;
        let line = if json {
            serde_json::to_string(&e.ecs()).unwrap_or_default()
        } else {
            let request = match (&e.method, &e.path) {
                (Some(m), Some(p)) => format!("{m} {}", truncate(p, 60)),
                _ => "-".into(),
            };
            format!(
                "{}  {:<8}  {:<20}  {:<15}  {:<40}  {}  {}",
                e.time.rfc3339(),
                e.severity,
                e.category,
                e.source_ip.map_or("-".into(), |ip| ip.to_string()),
                request,
                if e.rules.is_empty() {
                    "-".into()
                } else {
                    e.rules.join(",")
                },
                e.message
            )
        };
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

fn stats(store: &StoreArgs, since_arg: Option<Duration>, json: bool) -> Result<(), Failure> {
    let db = open(store)?;
    let from =
        since(Some(since_arg.unwrap_or(Duration::from_secs(24 * 3600)))).unwrap_or(Timestamp(0));
    let rows = db.stats(from).context("counting events")?;
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(());
    }
    if rows.is_empty() {
        let _ = writeln!(out, "no events in that period");
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<20}  {:<24}  {:>8}",
        "hour (UTC)", "category", "events"
    );
    let mut totals: std::collections::BTreeMap<&str, u64> = Default::default();
    for r in &rows {
        let hour = r.hour.rfc3339();
        let _ = writeln!(
            out,
            "{:<20}  {:<24}  {:>8}",
            &hour[..16.min(hour.len())],
            r.category,
            r.count
        );
        *totals.entry(&r.category).or_default() += r.count;
    }
    let _ = writeln!(out, "\ntotal");
    for (c, n) in totals {
        let _ = writeln!(out, "  {c:<24}  {n:>8}");
    }
    Ok(())
}

/// `palisade alerts test SINK`
pub fn alerts(cmd: AlertsCommand) -> Result<(), Failure> {
    let AlertsCommand::Test { sink, config } = cmd;
    let loaded = load_config(config.as_deref())?;
    let rt = loaded.runtime(&Overrides {
        upstream: Some("http://127.0.0.1:1".into()),
        ..Overrides::default()
    })?;
    let settings = rt
        .events
        .ok_or_else(|| Failure::Input("[events] enabled = false: there are no sinks".into()))?;
    let Some(found) = settings.sinks.iter().find(|s| s.name == sink) else {
        let names: Vec<&str> = settings.sinks.iter().map(|s| s.name.as_str()).collect();
        return Err(Failure::Input(format!(
            "no sink named `{sink}` in {} (sinks: {})",
            loaded.name,
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    };
    let mut client = found
        .kind
        .build()
        .map_err(|m| Failure::Input(format!("sink `{sink}`: {m}")))?;
    let note = Notification::test(&sink);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime")?;
    let sent = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(30),
            client.send(&[Delivery::Alert(&note)]),
        )
        .await
    });
    match sent {
        Ok(Ok(())) => {
            println!(
                "sent a test message through `{sink}` ({})",
                found.kind.name()
            );
            Ok(())
        }
        Ok(Err(e)) => Err(Failure::Runtime(anyhow::anyhow!(
            "sink `{sink}` failed: {}",
            e.message
        ))),
        Err(_) => Err(Failure::Runtime(anyhow::anyhow!(
            "sink `{sink}` did not answer within 30 s"
        ))),
    }
}
