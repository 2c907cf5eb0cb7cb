//! Requests per hour in the store: added up per hour, read from an hour on, expired with the
//! events' age limit, and absent (not an error) in a store no guard wrote to.

use std::time::Duration;

use palisade_core::Timestamp;
use palisade_events::{Store, TrafficRow};

const HOUR: i64 = 3_600_000;

#[test]
fn requests_add_up_per_hour_and_expire_with_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    let base = 1_800_000_000_000_i64 / HOUR * HOUR;
    store.add_traffic(Timestamp(base + 5), 10).unwrap();
    store.add_traffic(Timestamp(base + HOUR - 1), 5).unwrap();
    store
        .add_traffic(Timestamp(base + 2 * HOUR + 7), 1)
        .unwrap();
    assert_eq!(
        store.traffic(Timestamp(base + 30)).unwrap(),
        [
            TrafficRow {
                hour: Timestamp(base),
                requests: 15
            },
            TrafficRow {
                hour: Timestamp(base + 2 * HOUR),
                requests: 1
            },
        ]
    );
    assert_eq!(store.traffic(Timestamp(base + HOUR)).unwrap().len(), 1);

    // Events older than 90 minutes go, and so do the hours that ended before then.
    let now = Timestamp(base + 2 * HOUR + 40 * 60_000);
    store
        .expire(now, Duration::from_secs(90 * 60), u64::MAX)
        .unwrap();
    assert_eq!(
        store.traffic(Timestamp(0)).unwrap(),
        [TrafficRow {
            hour: Timestamp(base + HOUR * 2),
            requests: 1
        }]
    );
    drop(store);
    let read_only = Store::open_read_only(&db).unwrap();
    assert_eq!(read_only.traffic(Timestamp(0)).unwrap().len(), 1);
}

#[test]
fn a_store_without_the_table_reads_as_no_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    // A file another tool made: no palisade tables at all.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE unrelated (x INTEGER);")
        .unwrap();
    let store = Store::open_read_only(&db).unwrap();
    assert!(store.traffic(Timestamp(0)).unwrap().is_empty());
}
