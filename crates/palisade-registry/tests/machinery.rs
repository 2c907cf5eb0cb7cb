//! What every registry shares: the cache and its TTL, the bound on requests in flight,
//! retries, and failing clearly when a registry is down.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Kind, Server, client_for, quick_settings};
use palisade_registry::{
    CargoRegistry, DiskCache, Error, FetchErrorKind, Request, Settings, Versions,
};

#[tokio::test]
async fn fresh_cache_entries_answer_without_a_request() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    let cache_dir = tempfile::tempdir().unwrap();
    let cache =
        DiskCache::new(cache_dir.path().join("registry")).with_ttl(Duration::from_secs(3600));
    for _ in 0..3 {
        // A new client each time: the answers come from disk, not from memory.
        let client = client_for(&npm, &index, quick_settings()).with_cache(cache.clone());
        let packument = client.npm_packument("left-pad").await.unwrap();
        assert_eq!(packument.latest(), Some("1.3.0"));
        let serde = client
            .crate_versions("serde", &CargoRegistry::CratesIo)
            .await
            .unwrap();
        assert_eq!(serde.versions.len(), 3);
        // The full packument is a different document, cached apart.
        client.npm_metadata("left-pad").await.unwrap();
    }
    assert_eq!(
        npm.requests_for("/left-pad"),
        2,
        "abbreviated and full, once each"
    );
    assert_eq!(index.requests_for("/se/rd/serde"), 1);
}

#[tokio::test]
async fn stale_entries_are_revalidated_with_their_validators() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::new(cache_dir.path()).with_ttl(Duration::ZERO);
    let client = client_for(&npm, &index, quick_settings()).with_cache(cache);
    let first = client
        .crate_versions("libc", &CargoRegistry::CratesIo)
        .await
        .unwrap();
    let second = client
        .crate_versions("libc", &CargoRegistry::CratesIo)
        .await
        .unwrap();
    assert_eq!(first, second);
    let seen = index.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].if_none_match, None);
    assert!(
        seen[1].if_none_match.is_some(),
        "conditional request: {seen:?}"
    );
}

#[tokio::test]
async fn corrupt_cache_files_are_ignored() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::new(cache_dir.path()).with_ttl(Duration::from_secs(3600));
    let client = client_for(&npm, &index, quick_settings()).with_cache(cache);
    client.npm_packument("left-pad").await.unwrap();
    for file in std::fs::read_dir(cache_dir.path()).unwrap() {
        std::fs::write(file.unwrap().path(), b"{\"truncated\n").unwrap();
    }
    let packument = client.npm_packument("left-pad").await.unwrap();
    assert_eq!(packument.latest(), Some("1.3.0"));
    assert_eq!(npm.requests_for("/left-pad"), 2);
}

#[tokio::test]
async fn requests_in_flight_never_exceed_the_bound() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    npm.delay(Duration::from_millis(40));
    let settings = Settings {
        concurrency: 4,
        ..quick_settings()
    };
    let client = client_for(&npm, &index, settings);
    let requests: Vec<Request> = (0..24)
        .map(|n| Request::Npm {
            name: format!("gen-{n}"),
        })
        .collect();
    let progress = Mutex::new(Vec::new());
    let results = client
        .fetch_all(&requests, |done, total| {
            progress.lock().unwrap().push((done, total))
        })
        .await;
    for (n, result) in results.iter().enumerate() {
        match result {
            Ok(Versions::Npm(p)) => assert_eq!(p.name, format!("gen-{n}"), "results keep order"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(npm.max_in_flight(), 4);
    let progress = progress.into_inner().unwrap();
    assert_eq!(
        progress,
        (0..=24).map(|done| (done, 24)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn fetch_all_reports_each_failure_beside_the_successes() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    let client = client_for(&npm, &index, quick_settings());
    let requests = [
        Request::Npm {
            name: "left-pad".into(),
        },
        Request::Crate {
            name: "not-published".into(),
            registry: CargoRegistry::CratesIo,
        },
        Request::Crate {
            name: "log".into(),
            registry: CargoRegistry::CratesIo,
        },
        Request::Npm {
            name: "@acme/widget".into(),
        },
    ];
    let results = client.fetch_all(&requests, |_, _| {}).await;
    assert!(matches!(&results[0], Ok(Versions::Npm(p)) if p.name == "left-pad"));
    assert!(results[1].as_ref().is_err_and(Error::is_not_found));
    assert!(matches!(&results[2], Ok(Versions::Crate(c)) if c.name == "log"));
    assert!(matches!(&results[3], Ok(Versions::Npm(p)) if p.name == "@acme/widget"));
}

#[tokio::test]
async fn a_registry_that_is_down_fails_clearly_and_quickly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let down_url = format!("http://127.0.0.1:{port}/");
    let npm = palisade_registry::NpmConfig::single_registry(&down_url).unwrap();
    let client = palisade_registry::Client::new(
        quick_settings(),
        npm,
        palisade_registry::CargoSources::default(),
    )
    .unwrap();
    let started = Instant::now();
    let error = client.npm_packument("left-pad").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(error.is_registry_down(), "{error}");
    match &error {
        Error::Fetch {
            url,
            kind: FetchErrorKind::Unreachable { attempts, .. },
        } => {
            assert_eq!(url, &format!("{down_url}left-pad"));
            assert_eq!(*attempts, 3, "first attempt and 2 retries");
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains(&down_url) && text.contains("unreachable after 3 attempts"),
        "{text}"
    );
}

#[tokio::test]
async fn a_registry_that_keeps_failing_gives_up_after_the_retries() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    // Retry-After asks for an hour; the cap (20 ms in these settings) keeps the test quick.
    index.fail("/se/rd/serde", 503, 100, Some("3600"));
    npm.fail("/left-pad", 429, 1, Some("0"));
    let client = client_for(&npm, &index, quick_settings());
    let started = Instant::now();
    let error = client
        .crate_versions("serde", &CargoRegistry::CratesIo)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &error,
            Error::Fetch {
                kind: FetchErrorKind::Unavailable {
                    status: 503,
                    attempts: 3
                },
                ..
            }
        ),
        "{error}"
    );
    assert!(error.is_registry_down());
    assert_eq!(index.requests_for("/se/rd/serde"), 3);

    client.npm_packument("left-pad").await.unwrap();
    assert_eq!(
        npm.requests_for("/left-pad"),
        2,
        "429 retried once, then served"
    );
}

#[tokio::test]
async fn a_registry_that_hangs_times_out() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    npm.delay(Duration::from_secs(30));
    let settings = Settings {
        timeout: Duration::from_millis(200),
        retries: 1,
        ..quick_settings()
    };
    let client = client_for(&npm, &index, settings);
    let started = Instant::now();
    let error = client.npm_packument("left-pad").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(error.is_registry_down(), "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let npm = Server::start(Kind::Npm).await;
    let index = Server::start(Kind::Sparse).await;
    let settings = Settings {
        max_body: 100,
        ..quick_settings()
    };
    let client = client_for(&npm, &index, settings);
    let error = client.npm_packument("left-pad").await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Fetch {
                kind: FetchErrorKind::TooLarge { limit: 100 },
                ..
            }
        ),
        "{error}"
    );
}
