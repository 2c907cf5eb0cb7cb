//! Memory and disk while a sink is down: emits N events (default 1,000,000) through a
//! pipeline whose only sink cannot deliver, and prints peak RSS, the store and spool sizes,
//! and the rate. Run by `scripts/bench-events`.
//!
//! `cargo run --release -p palisade-events --example sink_down -- [N]`

use std::net::IpAddr;
use std::time::{Duration, Instant};

use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::sinks::file::FileConfig;
use palisade_events::sinks::{SinkKind, SinkSettings};
use palisade_events::{EventsSettings, Pipeline, Store};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    // The sink's "file" is a directory: every write fails, so it retries while its backlog
    // grows — the same as a receiver that is down.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir_all(&blocked).expect("mkdir");
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    let mut sink = SinkSettings::new(
        "down",
        SinkKind::File(FileConfig {
            path: blocked,
            max_bytes: 0,
            keep: 0,
        }),
    );
    sink.retry_max = Duration::from_secs(5);
    settings.sinks.push(sink);
    let capacity = settings.channel_capacity;
    let pipeline = Pipeline::start(settings.clone()).expect("pipeline");
    let emitter = pipeline.emitter();
    let before = rss_kib("VmRSS:");
    let started = Instant::now();
    for i in 0..n {
        emitter.emit(
            Event::new(Category::MaliciousTraffic, Severity::High, "attack")
                .with_source_ip(IpAddr::from(i.to_be_bytes()))
                .with_request("r", "GET", None, format!("/x?i={i}"))
                .with_rule("sqli-tautology"),
        );
    }
    let emitted = started.elapsed();
    assert!(pipeline.flush(Duration::from_secs(600)), "flush");
    // Spooled events are ingested by the writer's housekeeping.
    let store = Store::open_read_only(&settings.database).expect("store");
    let deadline = Instant::now() + Duration::from_secs(600);
    while store.count().unwrap_or(0) < u64::from(n) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let stored_in = started.elapsed();
    let count = store.count().unwrap_or(0);
    let db_bytes = dir_size(dir.path());
    println!("events emitted:           {n}");
    println!("events stored:            {count}");
    println!(
        "emit loop:                {:.2} s ({:.0} events/s offered)",
        emitted.as_secs_f64(),
        f64::from(n) / emitted.as_secs_f64()
    );
    println!(
        "all stored after:         {:.2} s ({:.0} events/s into SQLite)",
        stored_in.as_secs_f64(),
        count as f64 / stored_in.as_secs_f64()
    );
    println!("channel capacity:         {capacity} events");
    println!(
        "RSS before / peak:        {} MiB / {} MiB",
        before / 1024,
        rss_kib("VmHWM:") / 1024
    );
    println!("store + spool on disk:    {} MiB", db_bytes / (1 << 20));
    pipeline.shutdown(Duration::from_secs(1));
}
