//! The OSV API client against a double of the API on 127.0.0.1 (tests/common/osv_server.rs):
//! batching, paging, fetching and parsing records, and each way the server can fail.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::osv_server::OsvDouble;
use palisade_advisory::{Ecosystem, Index};
use palisade_vulndb::osv_api::{self, Client, Query, Settings};
use palisade_vulndb::{Database, DbError, RecordErrorKind};

const CRATES: Ecosystem = Ecosystem::CratesIo;
const NPM: Ecosystem = Ecosystem::Npm;

fn client(base: &str) -> Client {
    let settings = Settings {
        timeout: Duration::from_secs(10),
        ..Settings::default()
    };
    Client::new(base, settings).unwrap()
}

fn query<'a>(ecosystem: &'a Ecosystem, name: &'a str, version: &'a str) -> Query<'a> {
    Query {
        ecosystem,
        name,
        version,
    }
}

fn upstream_message(result: Result<impl std::fmt::Debug, DbError>) -> String {
    match result {
        Err(e @ DbError::Upstream { .. }) => e.to_string(),
        other => panic!("expected an upstream error, got {other:?}"),
    }
}

#[test]
fn finds_and_fetches_the_advisories_of_package_versions() {
    let server = OsvDouble::start();
    let client = client(&server.base);
    let toolchain = Ecosystem::RustToolchain;
    let queries = [
        query(&CRATES, "smallvec", "0.6.2"),
        query(&NPM, "qs", "6.5.2"),
        query(&CRATES, "no-such-crate", "1.0.0"),
        query(&CRATES, "smallvec", "1.13.2"),
        query(&toolchain, "std", "1.0.0"),
    ];
    let ids = client.query_batch(&queries).unwrap();
    assert_eq!(ids.len(), queries.len());
    assert!(!ids[0].is_empty() && !ids[1].is_empty(), "{ids:?}");
    assert!(ids[2].is_empty() && ids[3].is_empty() && ids[4].is_empty());
    // The toolchain query is not sent: OSV has no such ecosystem.
    assert_eq!(server.batches(), [4]);

    let fetched = client
        .fetch(ids.iter().flatten().map(String::as_str))
        .unwrap();
    assert!(fetched.errors.is_empty(), "{:?}", fetched.errors);
    assert_eq!(fetched.advisories.len(), ids[0].len() + ids[1].len());
    let index = Index::new(fetched.advisories);
    assert!(!index.affected(&CRATES, "smallvec", "0.6.2").is_empty());
    assert!(!index.affected(&NPM, "qs", "6.5.2").is_empty());

    // The online answer agrees with the offline database built from the same records.
    let offline = Database::open(&common::SHARED.1)
        .unwrap()
        .load_index()
        .unwrap();
    for finding in index.affected(&CRATES, "smallvec", "0.6.2") {
        assert!(
            offline.get(finding.id().as_str()).is_some(),
            "{} not offline",
            finding.id()
        );
    }
}

#[test]
fn the_free_function_uses_default_settings() {
    let server = OsvDouble::start();
    let ids = osv_api::query_batch(&server.base, &[query(&NPM, "qs", "6.5.2")]).unwrap();
    assert!(!ids[0].is_empty());
}

#[test]
fn paged_results_are_followed_to_the_end() {
    let server = OsvDouble::start();
    let client = client(&server.base);
    let queries = [
        query(&CRATES, "wasmtime", "0.30.0"),
        query(&NPM, "qs", "6.5.2"),
    ];
    let unpaged = client.query_batch(&queries).unwrap();
    assert!(unpaged[0].len() > 6, "{unpaged:?}");

    server.state.batches.lock().unwrap().clear();
    server.state.page_size.store(2, Ordering::Relaxed);
    let paged = client.query_batch(&queries).unwrap();
    assert_eq!(paged, unpaged);
    // The first request asks both; each later page only the queries still paging.
    let batches = server.state.batches.lock().unwrap().clone();
    assert_eq!(batches[0], 2);
    assert_eq!(batches.len(), unpaged[0].len().div_ceil(2));
    assert_eq!(*batches.last().unwrap(), 1);
}

#[test]
fn large_lockfiles_go_in_batches_of_at_most_1000() {
    let server = OsvDouble::start();
    let client = Client::new(
        &server.base,
        Settings {
            concurrency: 2,
            ..Settings::default()
        },
    )
    .unwrap();
    let names: Vec<String> = (0..2499).map(|i| format!("no-such-crate-{i}")).collect();
    let mut queries: Vec<Query<'_>> = names
        .iter()
        .map(|name| query(&CRATES, name, "1.0.0"))
        .collect();
    queries.push(query(&CRATES, "smallvec", "0.6.2"));
    let ids = client.query_batch(&queries).unwrap();
    assert_eq!(ids.len(), 2500);
    assert!(ids[..2499].iter().all(Vec::is_empty));
    assert!(!ids[2499].is_empty());
    assert_eq!(server.batches(), [500, 1000, 1000]);

    let small = Client::new(
        &server.base,
        Settings {
            batch_size: 7,
            ..Settings::default()
        },
    )
    .unwrap();
    server.state.batches.lock().unwrap().clear();
    assert_eq!(small.query_batch(&queries[..20]).unwrap().len(), 20);
    assert_eq!(server.batches(), [6, 7, 7]);
}

#[test]
fn a_base_url_path_is_kept() {
    let server = OsvDouble::start();
    let client = client(&format!("{}/mirror/", server.base));
    let ids = client
        .query_batch(&[query(&CRATES, "smallvec", "0.6.2")])
        .unwrap();
    let fetched = client.fetch(ids[0].iter().map(String::as_str)).unwrap();
    assert_eq!(fetched.advisories.len(), ids[0].len());
    assert_eq!(server.state.vuln_gets.load(Ordering::Relaxed), ids[0].len());
}

#[test]
fn missing_records_are_reported_and_duplicates_fetched_once() {
    let server = OsvDouble::start();
    let fetched = client(&server.base)
        .fetch([
            "RUSTSEC-2018-0003",
            "GHSA-nope-nope-nope",
            "RUSTSEC-2018-0003",
        ])
        .unwrap();
    assert_eq!(fetched.advisories.len(), 1);
    assert_eq!(fetched.advisories[0].id, "RUSTSEC-2018-0003");
    assert_eq!(fetched.errors.len(), 1);
    let error = &fetched.errors[0];
    assert!(
        error.file.ends_with("/v1/vulns/GHSA-nope-nope-nope"),
        "{error}"
    );
    assert!(
        matches!(&error.kind, RecordErrorKind::Read(m) if m.contains("404")),
        "{error}"
    );
    assert_eq!(server.state.vuln_gets.load(Ordering::Relaxed), 2);
}

#[test]
fn server_errors_are_clear() {
    let server = OsvDouble::start();
    let broken = client(&format!("{}/broken", server.base));
    let message = upstream_message(broken.query_batch(&[query(&NPM, "qs", "6.5.2")]));
    assert!(message.contains("/broken/v1/querybatch"), "{message}");
    assert!(
        message.contains("HTTP 500 Internal Server Error"),
        "{message}"
    );
    assert!(message.contains("the database exploded"), "{message}");
    let message = upstream_message(broken.fetch(["RUSTSEC-2018-0003"]));
    assert!(message.contains("HTTP 500"), "{message}");

    let short = client(&format!("{}/short", server.base));
    let message = upstream_message(short.query_batch(&[query(&NPM, "qs", "6.5.2")]));
    assert!(message.contains("0 results for 1 queries"), "{message}");

    let looping = Client::new(
        &format!("{}/loop", server.base),
        Settings {
            max_pages: 3,
            ..Settings::default()
        },
    )
    .unwrap();
    let message = upstream_message(looping.query_batch(&[query(&NPM, "qs", "6.5.2")]));
    assert!(message.contains("still paging after 3 pages"), "{message}");
}

#[test]
fn a_silent_server_times_out_and_a_closed_port_is_refused() {
    let server = OsvDouble::start();
    let hanging = Client::new(
        &format!("{}/hang", server.base),
        Settings {
            timeout: Duration::from_millis(300),
            ..Settings::default()
        },
    )
    .unwrap();
    let message = upstream_message(hanging.query_batch(&[query(&NPM, "qs", "6.5.2")]));
    assert!(message.contains("timed out"), "{message}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let message = upstream_message(
        client(&format!("http://{addr}")).query_batch(&[query(&NPM, "qs", "6.5.2")]),
    );
    assert!(message.contains(&addr.to_string()), "{message}");
}

#[tokio::test]
async fn calling_from_an_async_runtime_is_an_error_not_a_panic() {
    let result = client("http://127.0.0.1:9").query_batch(&[query(&NPM, "qs", "6.5.2")]);
    assert!(
        matches!(result, Err(DbError::InsideAsyncRuntime)),
        "{result:?}"
    );
}
