use std::net::IpAddr;
use std::time::{Duration, Instant};

use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::sinks::file::FileConfig;
use palisade_events::sinks::{SinkKind, SinkSettings};
use palisade_events::{EventQuery, EventsSettings, Pipeline, Store};

fn attack(n: usize) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        format!("attack {n}"),
    )
    .with_source_ip(IpAddr::from([203, 0, 113, (n % 250) as u8]))
    .with_request(
        format!("req-{n}"),
        "GET",
        None,
        format!("/x?n={n}&password=hunter2"),
    )
    .with_field("n", n.to_string())
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The complete lines of a file the sink may be writing right now.
fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn events_are_stored_redacted_and_streamed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out/events.jsonl");
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings.instance = Some("edge-1".into());
    settings.sinks.push(SinkSettings::new(
        "file",
        SinkKind::File(FileConfig {
            path: out.clone(),
            max_bytes: 0,
            keep: 0,
        }),
    ));
    let pipeline = Pipeline::start(settings.clone()).unwrap();
    let emitter = pipeline.emitter();
    for n in 0..1000 {
        emitter.emit(attack(n));
    }
    assert!(pipeline.flush(Duration::from_secs(10)));
    let store = Store::open_read_only(&settings.database).unwrap();
    assert_eq!(store.count().unwrap(), 1000);
    let newest = store
        .query(&EventQuery {
            limit: 1,
            ..EventQuery::default()
        })
        .unwrap();
    let e = &newest[0].event;
    assert_eq!(e.message, "attack 999");
    assert_eq!(e.instance.as_deref(), Some("edge-1"));
    assert!(
        !e.path.as_deref().unwrap().contains("hunter2"),
        "stored events are redacted"
    );

    wait_for("the file sink", || lines(&out).len() == 1000);
    let got = lines(&out);
    for (n, line) in got.iter().enumerate() {
        assert_eq!(line["message"], format!("attack {n}"), "in order");
        assert!(!line.to_string().contains("hunter2"));
    }
    pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_restarted_pipeline_resumes_each_sink_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    let file = SinkSettings::new(
        "file",
        SinkKind::File(FileConfig {
            path: out.clone(),
            max_bytes: 0,
            keep: 0,
        }),
    );
    settings.sinks.push(file);

    let first = Pipeline::start(settings.clone()).unwrap();
    for n in 0..10 {
        first.emitter().emit(attack(n));
    }
    first.flush(Duration::from_secs(5));
    wait_for("first delivery", || lines(&out).len() == 10);
    first.shutdown(Duration::from_secs(5));

    // Events stored while no worker runs (e.g. the sink crashed) are delivered on restart.
    let mut no_sinks = settings.clone();
    no_sinks.sinks.clear();
    let offline = Pipeline::start(no_sinks).unwrap();
    for n in 10..20 {
        offline.emitter().emit(attack(n));
    }
    offline.shutdown(Duration::from_secs(5));

    let again = Pipeline::start(settings).unwrap();
    wait_for("catch-up", || lines(&out).len() == 20);
    let got: Vec<String> = lines(&out)
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..20).map(|n| format!("attack {n}")).collect();
    assert_eq!(got, want, "exactly once, in order");
    again.shutdown(Duration::from_secs(5));
}

#[test]
fn a_full_channel_spills_to_the_spool_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings.channel_capacity = 4;
    let pipeline = Pipeline::start(settings.clone()).unwrap();
    let emitter = pipeline.emitter();
    for n in 0..5000 {
        emitter.emit(attack(n));
    }
    pipeline.flush(Duration::from_secs(10));
    let store = Store::open_read_only(&settings.database).unwrap();
    wait_for("spool ingestion", || store.count().unwrap() == 5000);
    pipeline.shutdown(Duration::from_secs(5));
}

#[tokio::test]
async fn durable_emits_resolve_after_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EventsSettings::new(dir.path().join("events.db"));
    let pipeline = Pipeline::start(settings.clone()).unwrap();
    assert!(pipeline.emitter().emit_durable(attack(1)).await);
    let store = Store::open_read_only(&settings.database).unwrap();
    assert_eq!(
        store.count().unwrap(),
        1,
        "stored before the future resolved"
    );
    pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn spool_left_by_a_crash_is_ingested_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EventsSettings::new(dir.path().join("events.db"));
    std::fs::create_dir_all(&settings.spool_dir).unwrap();
    let mut text = String::new();
    for n in 0..3 {
        text.push_str(&serde_json::to_string(&attack(n)).unwrap());
        text.push('\n');
    }
    text.push_str("{\"torn"); // the process died mid-write
    std::fs::write(settings.spool_dir.join("overflow.jsonl"), text).unwrap();
    let pipeline = Pipeline::start(settings.clone()).unwrap();
    let store = Store::open_read_only(&settings.database).unwrap();
    assert_eq!(store.count().unwrap(), 3);
    pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn the_file_sink_rotates_by_size_and_keeps_n_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings.sinks.push(SinkSettings::new(
        "file",
        SinkKind::File(FileConfig {
            path: out.clone(),
            max_bytes: 4096,
            keep: 2,
        }),
    ));
    let pipeline = Pipeline::start(settings).unwrap();
    for n in 0..200 {
        pipeline.emitter().emit(attack(n));
    }
    pipeline.flush(Duration::from_secs(10));
    let rotated = |n: u32| {
        let mut p = out.as_os_str().to_owned();
        p.push(format!(".{n}"));
        std::path::PathBuf::from(p)
    };
    wait_for("rotation", || {
        lines(&out)
            .last()
            .is_some_and(|l| l["message"] == "attack 199")
    });
    pipeline.shutdown(Duration::from_secs(5));
    for path in [out.clone(), rotated(1), rotated(2)] {
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 4096, "{} is {size} bytes", path.display());
        assert!(size > 0);
    }
    assert!(!rotated(3).exists(), "only `keep` rotated files are kept");
    // The newest rotated file continues where .2 stopped, and the live file after .1.
    let last_of = |p: &std::path::Path| lines(p).last().unwrap()["message"].clone();
    let first_of = |p: &std::path::Path| lines(p).first().unwrap()["message"].clone();
    let n = |v: serde_json::Value| -> u32 {
        v.as_str()
            .unwrap()
            .trim_start_matches("attack ")
            .parse()
            .unwrap()
    };
    assert_eq!(n(last_of(&rotated(2))) + 1, n(first_of(&rotated(1))));
    assert_eq!(n(last_of(&rotated(1))) + 1, n(first_of(&out)));
}
