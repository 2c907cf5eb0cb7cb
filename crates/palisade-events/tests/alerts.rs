//! Alert rules, driven by event times (no clocks, no sleeps).

use std::net::IpAddr;
use std::time::Duration;

use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_events::alerts::{AlertEngine, AlertRule, GroupBy, default_rules};

fn at(ms: i64, category: Category, ip: [u8; 4]) -> Event {
    let mut e = Event::new(category, Severity::High, "x").with_source_ip(IpAddr::from(ip));
    e.time = Timestamp(ms);
    e
}

fn rule(threshold: u32, window_s: u64, cooldown_s: u64) -> AlertRule {
    AlertRule {
        threshold,
        window: Duration::from_secs(window_s),
        channels: vec!["mail".into(), "sms".into()],
        ..AlertRule::on(
            "flood",
            &[Category::MaliciousTraffic],
            GroupBy::Ip,
            Duration::from_secs(cooldown_s),
        )
    }
}

#[test]
fn a_flood_from_one_ip_sends_one_message_per_channel_per_cooldown() {
    let mut engine = AlertEngine::new(vec![rule(3, 60, 600)]);
    let mut sent = Vec::new();
    for n in 0..100 {
        sent.extend(engine.observe(&at(n * 100, Category::MaliciousTraffic, [1, 2, 3, 4])));
    }
    assert_eq!(sent.len(), 2, "one per channel");
    assert_eq!(sent[0].0, "mail");
    assert_eq!(sent[1].0, "sms");
    assert_eq!(sent[0].1.key.as_deref(), Some("1.2.3.4"));
    assert_eq!(sent[0].1.count, 3);
    assert!(sent[0].1.title.contains("1.2.3.4"));

    // Another IP is another key.
    let other = engine.observe(&at(10_000, Category::MaliciousTraffic, [5, 6, 7, 8]));
    assert!(other.is_empty(), "below threshold");
    // After the cooldown the first IP can fire again.
    let mut later = Vec::new();
    for n in 0..3 {
        later.extend(engine.observe(&at(700_000 + n, Category::MaliciousTraffic, [1, 2, 3, 4])));
    }
    assert_eq!(later.len(), 2);
}

#[test]
fn the_threshold_counts_within_the_window_only() {
    let mut engine = AlertEngine::new(vec![rule(3, 60, 0)]);
    // Three events, but 61 s apart: never three in one window.
    for n in 0..3 {
        assert!(
            engine
                .observe(&at(n * 61_000, Category::MaliciousTraffic, [1, 1, 1, 1]))
                .is_empty()
        );
    }
    // Three within 60 s fire.
    let mut fired = Vec::new();
    for n in 0..3 {
        fired.extend(engine.observe(&at(
            500_000 + n * 1000,
            Category::MaliciousTraffic,
            [1, 1, 1, 1],
        )));
    }
    assert_eq!(fired.len(), 2);
}

#[test]
fn filters_pick_category_severity_path_and_network() {
    let mut r = rule(1, 60, 0);
    r.filter.min_severity = Severity::Critical;
    r.path_prefix = Some("/admin".into());
    r.ips = vec!["10.0.0.0/8".parse().unwrap()];
    let mut engine = AlertEngine::new(vec![r]);
    let mut e = at(0, Category::MaliciousTraffic, [10, 1, 2, 3]);
    e.severity = Severity::Critical;
    e.path = Some("/admin/users".into());
    assert_eq!(engine.observe(&e).len(), 2);
    let mut wrong_path = e.clone();
    wrong_path.path = Some("/shop".into());
    assert!(engine.observe(&wrong_path).is_empty());
    let mut wrong_net = e.clone();
    wrong_net.source_ip = Some(IpAddr::from([192, 168, 1, 1]));
    assert!(engine.observe(&wrong_net).is_empty());
    let mut low = e.clone();
    low.severity = Severity::High;
    assert!(engine.observe(&low).is_empty());
    let mut other = e;
    other.category = Category::Scanner;
    assert!(engine.observe(&other).is_empty());
}

#[test]
fn digests_summarise_once_per_interval() {
    let mut r = rule(1, 60, 0);
    r.digest = Some(Duration::from_secs(3600));
    r.filter.categories.push(Category::Scanner);
    let mut engine = AlertEngine::new(vec![r]);
    for n in 0..40 {
        let cat = if n % 4 == 0 {
            Category::Scanner
        } else {
            Category::MaliciousTraffic
        };
        assert!(
            engine
                .observe(&at(n * 1000, cat, [9, 9, 9, (n % 3) as u8]))
                .is_empty()
        );
    }
    assert!(
        engine.tick(Timestamp(1_000_000)).is_empty(),
        "interval not over"
    );
    let sent = engine.tick(Timestamp(3_700_000));
    assert_eq!(sent.len(), 2);
    let n = &sent[0].1;
    assert_eq!(n.count, 40);
    assert!(n.text.contains("malicious_traffic: 30"), "{}", n.text);
    assert!(n.text.contains("scanner: 10"), "{}", n.text);
    assert!(n.text.contains("9.9.9.0"), "{}", n.text);
    assert!(
        engine.tick(Timestamp(9_000_000)).is_empty(),
        "nothing new, nothing sent"
    );
}

#[test]
fn key_tracking_is_bounded_under_ip_rotation() {
    let mut engine = AlertEngine::new(vec![rule(5, 60, 60)]);
    // 200k distinct IPs, one event each: nothing fires and memory stays bounded (the
    // engine evicts); the test would take far longer and grow without the bound.
    for n in 0u32..200_000 {
        let ip = n.to_be_bytes();
        assert!(
            engine
                .observe(&at(i64::from(n), Category::MaliciousTraffic, ip))
                .is_empty()
        );
    }
}

#[test]
fn the_default_rules_cover_what_the_issue_names() {
    let rules = default_rules(&["ops".into()]);
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "brute-force",
        "new-ip-login",
        "account-change",
        "breached-password",
        "app-crash",
        "critical-vulnerability",
        "attack-flood",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let mut engine = AlertEngine::new(rules);
    let mut crash = at(0, Category::AppCrash, [0, 0, 0, 0]);
    crash.source_ip = None;
    assert_eq!(engine.observe(&crash).len(), 1);
    let mut vuln = at(0, Category::VulnerableDependency, [0, 0, 0, 0]);
    vuln.severity = Severity::High;
    assert!(
        engine.observe(&vuln).is_empty(),
        "only critical vulnerabilities page"
    );
}
