//! `palisade headers csp-suggest`: the CSP allowlist proposed from the violation reports the
//! guard stored as `csp_violation` events. Loads the config for the current policy, reads the
//! events, and leaves the rules to `palisade_headers::suggest`.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use palisade_core::{Category, Timestamp};
use palisade_events::{EventQuery, Store, StoreError};
use palisade_headers::Policy;
use palisade_headers::report::Violation;
use palisade_headers::suggest::{Observation, SuggestOptions, Suggestion};

use crate::Failure;
use crate::cli::CspSuggestArgs;
use crate::commands::load_policy;

/// The newest this many reports are read: plenty to see every source a site uses, and a
/// bound on memory however long the guard has been collecting.
const MAX_REPORTS: usize = 100_000;

/// Proposes the CSP allowlist from stored reports.
pub fn run(args: CspSuggestArgs) -> Result<(), Failure> {
    let (loaded, policy) = load_policy(args.config.as_deref())?;
    let current = current_policy(&policy).ok_or_else(|| {
        Failure::Input(format!(
            "{}: no Content-Security-Policy is configured ([headers] content_security_policy = false), so there is nothing to extend",
            loaded.name
        ))
    })?;
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| loaded.config.events.database.clone());
    let store = Store::open_read_only(&database).map_err(|e| match e {
        StoreError::Missing(_) => Failure::Input(e.to_string()),
        other => Failure::Runtime(other.into()),
    })?;
    let since = SystemTime::now()
        .checked_sub(args.since)
        .unwrap_or(UNIX_EPOCH);
    let rows = store
        .query(&EventQuery {
            since: Some(Timestamp::from(since)),
            categories: vec![Category::CspViolation],
            limit: MAX_REPORTS,
            ..EventQuery::default()
        })
        .context("reading csp_violation events")?;
    let observations: Vec<Observation> = rows
        .iter()
        .filter_map(|row| {
            let event = &row.event;
            let violation = Violation::from_fields(|name| event.fields.get(name).cloned())?;
            Some(Observation {
                // Events without an address count as one client together, never as many.
                client: event
                    .source_ip
                    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
                violation,
            })
        })
        .collect();

    let suggestion = Suggestion::generate(
        &current,
        &observations,
        &SuggestOptions {
            min_clients: args.min_clients,
        },
    );
    if observations.is_empty() {
        let message = format!(
            "no CSP violation reports in {} from the last {}: nothing to suggest (is `report = true` set in [headers.content_security_policy]?)",
            database.display(),
            humantime::format_duration(args.since)
        );
        // With --json, stdout stays parseable.
        if args.json {
            eprintln!("{message}");
        } else {
            println!("{message}");
            return Ok(());
        }
    }
    if args.json {
        let json = serde_json::to_string_pretty(&suggestion).context("rendering JSON")?;
        println!("{json}");
    } else {
        print!("{}", suggestion.render_text());
    }
    Ok(())
}

/// The base set's CSP (enforced or report-only), as sent on HTTPS responses.
fn current_policy(policy: &Policy) -> Option<String> {
    policy
        .base()
        .headers()
        .iter()
        .find(|(name, _)| {
            name == "content-security-policy" || name == "content-security-policy-report-only"
        })
        .and_then(|(_, value)| value.to_str().ok())
        .map(str::to_owned)
}
