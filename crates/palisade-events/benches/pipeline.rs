//! The event pipeline's costs.
//!
//! `cargo bench -p palisade-events --bench pipeline` (or `scripts/bench-events`, which also
//! measures memory while a sink is down).
//!
//! Results on the 2-core dev VM (2026-11-28), medians:
//! - emit (hand-over on the request path): see the note of issue 3
//! - store_batch (4,096 events per SQLite transaction): see the note of issue 3

use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;

use divan::counter::ItemsCount;
use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::{EventsSettings, Pipeline, Store};

fn main() {
    divan::main();
}

fn attack(n: u32) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        "SQL injection in query parameter q",
    )
    .with_source_ip(IpAddr::from(n.to_be_bytes()))
    .with_request(
        "01935f2e-7b7c-7000-8000-000000000000",
        "GET",
        Some("shop.example".into()),
        "/search?q=1%27%20or%201%3D1--",
    )
    .with_rule("sqli-tautology")
    .with_field("score", "5")
}

struct Running {
    _dir: tempfile::TempDir,
    pipeline: Pipeline,
}

static PIPELINE: LazyLock<Running> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = EventsSettings::new(dir.path().join("bench.db"));
    settings.channel_capacity = 1 << 20;
    let pipeline = Pipeline::start(settings).expect("pipeline");
    Running {
        _dir: dir,
        pipeline,
    }
});

/// What the guard pays per event: building it and handing it over (no I/O on this thread).
#[divan::bench(sample_count = 200, sample_size = 100)]
fn emit(bencher: divan::Bencher<'_, '_>) {
    let emitter = PIPELINE.pipeline.emitter();
    bencher.bench_local(|| emitter.emit(attack(7)));
    PIPELINE.pipeline.flush(Duration::from_secs(30));
}

/// The hand-over alone, with the event already built.
#[divan::bench(sample_count = 200, sample_size = 100)]
fn emit_prebuilt(bencher: divan::Bencher<'_, '_>) {
    let emitter = PIPELINE.pipeline.emitter();
    bencher
        .with_inputs(|| attack(9))
        .bench_local_values(|e| emitter.emit(e));
    PIPELINE.pipeline.flush(Duration::from_secs(30));
}

/// The writer's SQLite cost: one transaction of 4,096 redacted events.
#[divan::bench(sample_count = 20)]
fn store_batch(bencher: divan::Bencher<'_, '_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("b.db")).expect("store");
    bencher
        .counter(ItemsCount::new(4096usize))
        .with_inputs(|| {
            (0..4096)
                .map(|n| {
                    let mut e = attack(n);
                    e.redact();
                    e
                })
                .collect::<Vec<_>>()
        })
        .bench_local_values(|batch| store.append(&batch, &[]).expect("append"));
}

/// End to end: 50,000 events emitted, then waited for until stored.
#[divan::bench(sample_count = 5)]
fn pipeline_50k(bencher: divan::Bencher<'_, '_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = EventsSettings::new(dir.path().join("p.db"));
    settings.channel_capacity = 1 << 17;
    let pipeline = Pipeline::start(settings).expect("pipeline");
    let emitter = pipeline.emitter();
    let events: Vec<Event> = (0..50_000).map(attack).collect();
    bencher
        .counter(ItemsCount::new(50_000usize))
        .with_inputs(|| events.clone())
        .bench_local_values(|batch| {
            for e in batch {
                emitter.emit(e);
            }
            assert!(pipeline.flush(Duration::from_secs(60)));
        });
}
