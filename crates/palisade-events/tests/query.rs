//! Reading events: by id, and narrowed by user or part of the path (SQL over the rows, bounded
//! to the newest events that pass the indexed filters).

use std::net::IpAddr;

use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_events::{EventQuery, Narrow, Store, Stored};

const T0: i64 = 1_795_824_000_000;

fn event(n: u64) -> Event {
    let cat = if n.is_multiple_of(3) {
        Category::AuthFailure
    } else {
        Category::MaliciousTraffic
    };
    let mut e = Event::new(cat, Severity::High, format!("event {n} /admin"))
        .with_source_ip(IpAddr::from([198, 51, 100, (n % 7) as u8]));
    e.time = Timestamp(T0 + n as i64 * 1_000);
    if !n.is_multiple_of(4) {
        // Paths a JSON body escapes (a quote, a backslash) and one that is only in the message.
        let path = match n % 4 {
            1 => format!("/search?q=\"{n}\""),
            2 => format!("/files\\{}", n % 5),
            _ => format!("/p/{n}"),
        };
        e = e.with_request(format!("r{n}"), "GET", None, path);
    }
    if n.is_multiple_of(5) {
        e = e.with_user(format!("user{}", n % 3));
    }
    e
}

fn store() -> (tempfile::TempDir, Store, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("events.db")).unwrap();
    let events: Vec<Event> = (0..600).map(event).collect();
    store.append(&events, &[]).unwrap();
    (dir, store, events)
}

fn messages(rows: &[Stored]) -> Vec<String> {
    rows.iter().map(|s| s.event.message.clone()).collect()
}

#[test]
fn get_finds_an_event_by_id() {
    let (_dir, store, events) = store();
    let found = store.get(events[42].id).unwrap().unwrap();
    assert_eq!(found.event, events[42]);
    assert_eq!(found.seq, 43);
    let missing = Event::new(Category::Scanner, Severity::Low, "never stored");
    assert_eq!(store.get(missing.id).unwrap(), None);
}

#[test]
fn narrowed_queries_match_filtering_the_rows() {
    let (_dir, store, _) = store();
    let everything = store
        .query(&EventQuery {
            limit: 10_000,
            ..EventQuery::default()
        })
        .unwrap();
    let cases: Vec<(EventQuery, Option<&str>, Option<&str>)> = vec![
        (EventQuery::default(), Some("user1"), None),
        (EventQuery::default(), None, Some("\"1")),
        (EventQuery::default(), None, Some("\\3")),
        (EventQuery::default(), None, Some("/admin")),
        (EventQuery::default(), Some("user2"), Some("/p/")),
        (
            EventQuery {
                categories: vec![Category::MaliciousTraffic],
                since: Some(Timestamp(T0 + 100_000)),
                ..EventQuery::default()
            },
            None,
            Some("search"),
        ),
        (
            EventQuery {
                ip: Some(IpAddr::from([198, 51, 100, 3])),
                ..EventQuery::default()
            },
            Some("user0"),
            None,
        ),
    ];
    for (mut q, user, path) in cases {
        for limit in [1, 7, 1_000] {
            q.limit = limit;
            let got = store
                .query_narrowed(
                    &q,
                    &Narrow {
                        user: user.map(str::to_owned),
                        path_contains: path.map(str::to_owned),
                        scan: 10_000,
                    },
                )
                .unwrap();
            let want: Vec<Stored> = everything
                .iter()
                .filter(|s| {
                    let e = &s.event;
                    q.since.is_none_or(|t| e.time >= t)
                        && (q.categories.is_empty() || q.categories.contains(&e.category))
                        && q.ip.is_none_or(|ip| e.source_ip == Some(ip))
                        && user.is_none_or(|u| e.user.as_deref() == Some(u))
                        && path.is_none_or(|p| e.path.as_deref().is_some_and(|ep| ep.contains(p)))
                })
                .take(limit)
                .cloned()
                .collect();
            assert_eq!(messages(&got), messages(&want), "{q:?} {user:?} {path:?}");
        }
    }
}

#[test]
fn a_narrowed_query_looks_at_the_newest_scan_events_only() {
    let (_dir, store, _) = store();
    let narrow = Narrow {
        path_contains: Some("/p/".into()),
        scan: 40,
        ..Narrow::default()
    };
    let got = store
        .query_narrowed(
            &EventQuery {
                limit: 1_000,
                ..EventQuery::default()
            },
            &narrow,
        )
        .unwrap();
    // Of the newest 40 (560..599), a quarter has a `/p/` path.
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|s| s.seq > 560));
    // After a position: the oldest first.
    let got = store
        .query_narrowed(
            &EventQuery {
                after_seq: Some(100),
                limit: 3,
                ..EventQuery::default()
            },
            &narrow,
        )
        .unwrap();
    assert_eq!(
        messages(&got),
        ["event 103 /admin", "event 107 /admin", "event 111 /admin"]
    );
}
