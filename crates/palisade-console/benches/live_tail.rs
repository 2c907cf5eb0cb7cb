//! The live tail under load: events emitted the way the guard emits them (through
//! `palisade_events::Pipeline`'s `Emitter`, at a steady rate) while SSE clients follow
//! `GET /api/v1/events/stream` through the console's router on 127.0.0.1, in the same process
//! as the pipeline, as in the guard. Prints the rate each client received, the lag from
//! emission to arrival (p50/p90/p99/max), and the events missed (must be 0).
//!
//! `cargo bench -p palisade-console --bench live_tail -- [RATE] [SECONDS] [TAILS]`
//! (defaults 5000 events/s, 20 s, 1 tail; run by `scripts/bench-console`).
//!
//! Not a divan benchmark: one run of a load, whose figures are the point.
//!
//! Results on the 2-core dev VM (2026-11-28), fresh store: 5,000 events/s for 20 s, 1 tail:
//! 5,032 events/s received, 0 missed, lag p50 132–141 ms, p99 256–344 ms (the tail polls
//! every 250 ms). 8 tails at 5,000/s: 0 missed each, p50 ~152 ms, p99 ~290 ms. 1 tail at
//! 20,000/s: 0 missed, p50 144 ms, p99 260 ms.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use palisade_console::{Console, ConsoleSettings, router};
use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::{EventsSettings, Pipeline};

const TOKEN: &str = "bench-token";

fn attack(n: u64) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        "SQL injection in query parameter q",
    )
    .with_source_ip(IpAddr::from(
        ((n % 5000) as u32 + 0x0b00_0000).to_be_bytes(),
    ))
    .with_request(
        format!("{n:016x}"),
        "GET",
        Some("shop.example".into()),
        "/search?q=1%27%20or%201%3D1--",
    )
    .with_rule("sqli-tautology")
    .with_field("n", n.to_string())
}

/// What one SSE client saw: arrival time per event number, and the stream's ids in order.
struct Received {
    arrivals: HashMap<u64, Instant>,
    duplicates: u64,
    out_of_order: u64,
}

/// Follows the stream until `total` distinct events arrived or nothing came for `idle`.
async fn follow(res: reqwest::Response, total: u64, idle: Duration) -> Received {
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let mut got = Received {
        arrivals: HashMap::with_capacity(total as usize),
        duplicates: 0,
        out_of_order: 0,
    };
    let mut last_id = 0i64;
    while (got.arrivals.len() as u64) < total {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout(idle, body.next()).await else {
            break;
        };
        let now = Instant::now();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse::<i64>().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str::<serde_json::Value>(v.trim()).ok();
                }
            }
            let (Some(id), Some(data)) = (id, data) else {
                continue;
            };
            if id <= last_id {
                got.out_of_order += 1;
            }
            last_id = id;
            let n = data["fields"]
                .as_array()
                .and_then(|f| f.iter().find(|kv| kv[0] == "n"))
                .and_then(|kv| kv[1].as_str())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(n) = n
                && got.arrivals.insert(n, now).is_some()
            {
                got.duplicates += 1;
            }
        }
    }
    got
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .collect();
    let rate = args.first().copied().unwrap_or(5_000).max(1);
    let seconds = args.get(1).copied().unwrap_or(20).max(1);
    let tails = args.get(2).copied().unwrap_or(1).max(1);
    let total = rate * seconds;

    let dir = tempfile::tempdir().expect("tempdir");
    let settings = EventsSettings::new(dir.path().join("events.db"));
    let db = settings.database.clone();
    let pipeline = Pipeline::start(settings).expect("pipeline");
    let emitter = pipeline.emitter();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        events_db: Some(db),
        ..Default::default()
    });
    let clients = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(console)).await });
        let http = reqwest::Client::new();
        let mut clients = Vec::new();
        for _ in 0..tails {
            let res = http
                .get(format!("http://{addr}/api/v1/events/stream"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("stream");
            assert_eq!(res.status(), 200);
            // The stream's start is fixed once its headers are here: everything stored from now
            // on is this client's.
            clients.push(tokio::spawn(follow(res, total, Duration::from_secs(10))));
        }
        clients
    });

    println!(
        "live tail: {rate} events/s for {seconds} s through the pipeline, {tails} SSE client(s)"
    );
    let producer = std::thread::spawn(move || {
        let mut emitted = Vec::with_capacity(total as usize);
        let start = Instant::now();
        let mut n = 0u64;
        while n < total {
            let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
            while n < due {
                emitter.emit(attack(n));
                emitted.push(Instant::now());
                n += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        (emitted, start.elapsed())
    });
    let (emitted, took) = producer.join().expect("producer");
    println!(
        "emitted {total} events in {:.2} s ({:.0} events/s)",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
    let mut worst_missed = 0;
    for (i, client) in clients.into_iter().enumerate() {
        let got = rt.block_on(client).expect("client");
        let mut lags: Vec<Duration> = got
            .arrivals
            .iter()
            .filter_map(|(n, at)| emitted.get(*n as usize).map(|sent| *at - *sent))
            .collect();
        lags.sort_unstable();
        let missed = total - (0..total).filter(|n| got.arrivals.contains_key(n)).count() as u64;
        worst_missed = worst_missed.max(missed);
        let first = got.arrivals.values().min().copied();
        let last = got.arrivals.values().max().copied();
        let span = match (first, last) {
            (Some(f), Some(l)) if l > f => (l - f).as_secs_f64(),
            _ => f64::NAN,
        };
        println!(
            "tail {}: received {} ({:.0} events/s), missed {missed}, duplicates {}, \
             out of order {}; lag p50 {} p90 {} p99 {} max {}",
            i + 1,
            got.arrivals.len(),
            got.arrivals.len() as f64 / span,
            got.duplicates,
            got.out_of_order,
            ms(percentile(&lags, 0.50)),
            ms(percentile(&lags, 0.90)),
            ms(percentile(&lags, 0.99)),
            ms(percentile(&lags, 1.0)),
        );
    }
    pipeline.shutdown(Duration::from_secs(5));
    println!(
        "target: 0 missed at {rate} events/s: {}",
        if worst_missed == 0 { "met" } else { "MISSED" }
    );
    if worst_missed > 0 {
        std::process::exit(1);
    }
}
