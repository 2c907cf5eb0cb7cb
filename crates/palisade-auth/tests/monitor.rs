//! The monitor's decisions, driven through real routes: brute force, each stuffing pattern,
//! per-user risk, new-IP logins with report links, account changes, bounds and events.

use std::net::IpAddr;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use palisade_auth::{
    AuthConfig, AuthSettings, ChangeKind, Decision, KnownPair, Monitor, Outcome, RiskLevel,
    TokenError,
};
use palisade_core::{Category, Severity, Timestamp};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

fn settings(extra: &str) -> AuthSettings {
    let text = format!(
        r#"
        [[login]]
        path = "/login"
        username = "form:email"
        password = "form:password"
        success = {{ status = [302], location_not = "/login?error" }}

        [[account_change]]
        path = "/account/email"
        kind = "email"
        user = "header:X-User"
        {extra}
        "#
    );
    let config: AuthConfig = toml::from_str(&text).expect("config parses");
    config.validate().expect("config is valid")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn t(secs: i64) -> Timestamp {
    Timestamp(1_700_000_000_000 + secs * 1000)
}

/// One login through the route: extract from a form body, outcome from a response.
fn login(
    s: &AuthSettings,
    m: &mut Monitor,
    user: &str,
    password: &str,
    ok: bool,
    from: &str,
    at: Timestamp,
) -> Vec<Decision> {
    let route = s.routes.login(&Method::POST, "/login").unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", user)
        .append_pair("password", password)
        .finish();
    let attempt = route
        .extract(&Method::POST, "/login", &HeaderMap::new(), body.as_bytes())
        .expect("a login");
    let mut headers = HeaderMap::new();
    let location = if ok { "/home" } else { "/login?error=bad" };
    headers.insert("location", location.parse().unwrap());
    let outcome = route.outcome(StatusCode::FOUND, &headers);
    assert_eq!(
        outcome,
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    );
    m.observe(&attempt, outcome, ip(from), at)
}

fn count(ds: &[Decision], f: impl Fn(&Decision) -> bool) -> usize {
    ds.iter().filter(|d| f(d)).count()
}

#[test]
fn ten_wrong_passwords_are_a_brute_force_with_a_ban() {
    let s = settings("");
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..10 {
        let ds = login(
            &s,
            &mut m,
            "alice@example.com",
            "wrong",
            false,
            "203.0.113.7",
            t(i),
        );
        if i < 9 {
            assert!(
                !ds.iter().any(|d| matches!(d, Decision::BruteForce { .. })),
                "at {i}"
            );
        }
        all.extend(ds);
    }
    assert_eq!(
        count(&all, |d| matches!(d, Decision::AuthFailure { .. })),
        10
    );
    let bf = all
        .iter()
        .find(|d| matches!(d, Decision::BruteForce { .. }))
        .expect("brute force");
    assert_eq!(
        bf.ban(),
        Some((ip("203.0.113.7"), Duration::from_secs(3600)))
    );
    let e = bf.to_event();
    assert_eq!(
        (e.category, e.severity),
        (Category::BruteForce, Severity::High)
    );
    assert_eq!(e.source_ip, Some(ip("203.0.113.7")));
    assert_eq!(e.fields["failures"], "10");
    // Once per window, not on every further failure.
    let more = login(
        &s,
        &mut m,
        "alice@example.com",
        "wrong",
        false,
        "203.0.113.7",
        t(11),
    );
    assert_eq!(
        count(&more, |d| matches!(d, Decision::BruteForce { .. })),
        0
    );
    // Spread beyond the window: no brute force.
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..10 {
        all.extend(login(
            &s,
            &mut m,
            "bob",
            "wrong",
            false,
            "198.51.100.1",
            t(i * 60),
        ));
    }
    assert_eq!(count(&all, |d| matches!(d, Decision::BruteForce { .. })), 0);
}

#[test]
fn one_ip_many_usernames_is_stuffing() {
    let s = settings("");
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..5 {
        all.extend(login(
            &s,
            &mut m,
            &format!("user{i}@example.com"),
            "x",
            false,
            "203.0.113.9",
            t(i),
        ));
    }
    let d = all
        .iter()
        .find(|d| matches!(d, Decision::StuffingFromIp { .. }))
        .expect("stuffing from ip");
    let Decision::StuffingFromIp { ip: from, users } = d else {
        unreachable!()
    };
    assert_eq!(*from, ip("203.0.113.9"));
    assert_eq!(users.len(), 5);
    let e = d.to_event();
    assert_eq!(e.category, Category::CredentialStuffing);
    assert_eq!(e.fields["pattern"], "many_users_from_ip");
}

#[test]
fn many_ips_one_username_is_stuffing_and_raises_user_risk() {
    let s = settings("");
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..5 {
        all.extend(login(
            &s,
            &mut m,
            "carol@example.com",
            "x",
            false,
            &format!("192.0.2.{}", i + 1),
            t(i),
        ));
    }
    let d = all
        .iter()
        .find(|d| matches!(d, Decision::StuffingOnUser { .. }))
        .expect("stuffing on user");
    let Decision::StuffingOnUser { user, ips } = d else {
        unreachable!()
    };
    assert_eq!(user, "carol@example.com");
    assert_eq!(ips.len(), 5);
    assert_eq!(d.to_event().user.as_deref(), Some("carol@example.com"));
    // Five failures on one name also make it `elevated`.
    assert!(all.iter().any(|d| matches!(
        d,
        Decision::UserAtRisk {
            level: RiskLevel::Elevated,
            ..
        }
    )));
    let r = m.risk("carol@example.com", ip("192.0.2.200"), t(6));
    assert_eq!(r.header_value(), Some("elevated"));
    assert!(!r.block);
}

#[test]
fn failure_spike_over_all_traffic() {
    let s = settings("");
    let mut m = s.monitor();
    let mut all = Vec::new();
    // 50 attempts, all failing, each from its own IP and username (no other pattern fires).
    for i in 0..50 {
        let from = format!("10.{}.{}.1", i / 200, i % 200);
        all.extend(login(&s, &mut m, &format!("u{i}"), "x", false, &from, t(i)));
    }
    let spikes: Vec<_> = all
        .iter()
        .filter(|d| matches!(d, Decision::FailureSpike { .. }))
        .collect();
    assert_eq!(spikes.len(), 1);
    let Decision::FailureSpike {
        ratio, attempts, ..
    } = spikes[0]
    else {
        unreachable!()
    };
    assert_eq!((*ratio, *attempts), (1.0, 50));
    assert!(!all.iter().any(|d| matches!(
        d,
        Decision::StuffingFromIp { .. }
            | Decision::StuffingOnUser { .. }
            | Decision::BruteForce { .. }
    )));
    // Mostly successes: no spike.
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..60 {
        all.extend(login(
            &s,
            &mut m,
            &format!("u{i}"),
            "x",
            i % 4 == 0,
            "10.9.9.9",
            t(i * 10),
        ));
    }
    assert!(
        !all.iter()
            .any(|d| matches!(d, Decision::FailureSpike { .. }))
    );
}

#[test]
fn prefix_failures_catch_a_spread_out_brute_force() {
    let s = settings("[prefix]\nfailures = 20\n[brute_force]\nfailures = 100");
    let mut m = s.monitor();
    let mut all = Vec::new();
    for i in 0..20 {
        all.extend(login(
            &s,
            &mut m,
            "dave",
            "x",
            false,
            &format!("198.51.100.{}", i % 4 + 1),
            t(i),
        ));
    }
    let d = all
        .iter()
        .find(|d| matches!(d, Decision::PrefixFailures { .. }))
        .expect("prefix");
    assert_eq!(d.to_event().fields["prefix"], "198.51.100.0/24");
}

#[test]
fn high_risk_user_is_429d_only_from_unknown_ips_and_recovers() {
    let s = settings(
        "[user]\nrisk_failures = 3\nblock_failures = 6\nblock = true\ncooldown = \"10m\"\n[brute_force]\nfailures = 1000\n[stuffing]\nips_per_user = 100\nusers_per_ip = 100",
    );
    let mut m = s.monitor();
    let user = "erin@example.com";
    // The real user logs in from home once.
    login(&s, &mut m, user, "right", true, "192.0.2.10", t(0));
    let mut all = Vec::new();
    for i in 0..6 {
        all.extend(login(
            &s,
            &mut m,
            user,
            "x",
            false,
            &format!("203.0.113.{}", i + 1),
            t(10 + i),
        ));
    }
    assert!(all.iter().any(|d| matches!(
        d,
        Decision::UserAtRisk {
            level: RiskLevel::High,
            ..
        }
    )));
    let attacker = m.risk(user, ip("203.0.113.99"), t(20));
    assert_eq!((attacker.level, attacker.block), (RiskLevel::High, true));
    assert!(attacker.retry_after.is_some());
    // Home (known /24) is never blocked.
    let home = m.risk(user, ip("192.0.2.77"), t(20));
    assert_eq!((home.level, home.block), (RiskLevel::High, false));
    // Cool-down over: unblocked, counts start afresh.
    let later = m.risk(user, ip("203.0.113.99"), t(20 + 600));
    assert_eq!((later.level, later.block), (RiskLevel::None, false));
    // Blocked again, then a success from home clears it at once.
    for i in 0..6 {
        login(&s, &mut m, user, "x", false, "203.0.113.1", t(700 + i));
    }
    assert!(m.risk(user, ip("203.0.113.99"), t(710)).block);
    login(&s, &mut m, user, "right", true, "192.0.2.10", t(711));
    assert_eq!(
        m.risk(user, ip("203.0.113.99"), t(712)).level,
        RiskLevel::None
    );
    // A success from an unknown IP does not clear it.
    for i in 0..6 {
        login(&s, &mut m, user, "x", false, "203.0.113.1", t(800 + i));
    }
    login(&s, &mut m, user, "right", true, "198.51.100.5", t(810));
    assert!(m.risk(user, ip("203.0.113.99"), t(811)).block);
}

#[test]
fn new_ip_login_gives_a_link_that_works_once() {
    let s = settings(&format!(
        "[new_ip]\nsecret = \"{SECRET}\"\nlink_base = \"https://app.example.com/\"\nlink_ttl = \"1h\""
    ));
    let mut m = s.monitor();
    let user = "frank@example.com";
    // First login ever: learnt silently.
    let first = login(&s, &mut m, user, "pw", true, "192.0.2.10", t(0));
    assert!(first.is_empty(), "{first:?}");
    // Same /24: nothing.
    assert!(login(&s, &mut m, user, "pw", true, "192.0.2.99", t(10)).is_empty());
    // New network.
    let ds = login(&s, &mut m, user, "pw", true, "203.0.113.50", t(20));
    let [
        Decision::NewIpLogin {
            user: u,
            ip: from,
            prefix,
            email,
            report: Some(token),
        },
    ] = ds.as_slice()
    else {
        panic!("expected one new-IP decision with a link, got {ds:?}");
    };
    assert_eq!((u.as_str(), *from), (user, ip("203.0.113.50")));
    assert_eq!(prefix.to_string(), "203.0.113.0/24");
    assert_eq!(email.as_deref(), Some(user));
    let link = token.link(&s.report.as_ref().unwrap().link_base);
    assert!(
        link.starts_with("https://app.example.com/.palisade/report/"),
        "{link}"
    );
    assert_eq!(format!("{token:?}"), "ReportToken(***)");
    // The event never carries the token.
    let e = ds[0].to_event();
    assert_eq!(
        (e.category.clone(), e.severity),
        (Category::NewIpLogin, Severity::Medium)
    );
    let json = serde_json::to_string(&e).unwrap();
    assert!(!json.contains(token.as_str()));
    assert!(!json.contains("pw\""));
    // Known from now on.
    assert!(login(&s, &mut m, user, "pw", true, "203.0.113.51", t(30)).is_empty());
    assert!(m.is_known(user, ip("203.0.113.1")));

    // The user says "this wasn't me": ban, critical, pair forgotten.
    let d = m.redeem_report(token.as_str(), t(40)).expect("valid once");
    assert_eq!(
        d.ban(),
        Some((ip("203.0.113.50"), Duration::from_secs(24 * 3600)))
    );
    let e = d.to_event();
    assert_eq!(
        (e.category, e.severity),
        (Category::NewIpLogin, Severity::Critical)
    );
    assert!(!m.is_known(user, ip("203.0.113.1")));
    // Not twice.
    assert_eq!(
        m.redeem_report(token.as_str(), t(41)),
        Err(TokenError::AlreadyUsed)
    );
    // Not after expiry.
    let ds = login(&s, &mut m, user, "pw", true, "198.51.100.7", t(50));
    let Some(Decision::NewIpLogin {
        report: Some(late), ..
    }) = ds.first()
    else {
        panic!("{ds:?}")
    };
    assert_eq!(
        m.redeem_report(late.as_str(), t(50 + 3600)),
        Err(TokenError::Expired)
    );
}

#[test]
fn no_email_no_link_and_first_login_option() {
    let s = settings(&format!(
        "[new_ip]\nsecret = \"{SECRET}\"\nlink_base = \"https://app.example.com\"\nalert_first_login = true"
    ));
    let mut m = s.monitor();
    let ds = login(&s, &mut m, "grace", "pw", true, "192.0.2.1", t(0));
    let [
        Decision::NewIpLogin {
            email: None,
            report: None,
            ..
        },
    ] = ds.as_slice()
    else {
        panic!("{ds:?}")
    };
    assert_eq!(ds[0].to_event().fields["notified"], "false");
}

#[test]
fn account_change_says_whether_the_ip_is_new() {
    let s = settings("");
    let mut m = s.monitor();
    login(
        &s,
        &mut m,
        "heidi@example.com",
        "pw",
        true,
        "192.0.2.10",
        t(0),
    );
    let route = s
        .routes
        .account_change(&Method::POST, "/account/email")
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-user", "Heidi@Example.com".parse().unwrap());
    let user = route.user("/account/email", &headers, b"");
    assert_eq!(user.as_deref(), Some("heidi@example.com"));
    assert!(route.succeeded(StatusCode::OK, &HeaderMap::new()));
    assert!(!route.succeeded(StatusCode::FORBIDDEN, &HeaderMap::new()));

    let known = m.account_change(route.kind, user.as_deref(), ip("192.0.2.20"), t(5));
    assert_eq!(
        known,
        Decision::AccountChange {
            user: user.clone(),
            ip: ip("192.0.2.20"),
            kind: ChangeKind::Email,
            new_ip: Some(false)
        }
    );
    assert_eq!(known.to_event().severity, Severity::Low);
    let new = m.account_change(route.kind, user.as_deref(), ip("203.0.113.20"), t(5));
    let e = new.to_event();
    assert_eq!(
        (e.category, e.severity),
        (Category::AccountChange, Severity::High)
    );
    assert_eq!(
        (e.fields["new_ip"].as_str(), e.fields["change"].as_str()),
        ("true", "email")
    );
    let anon = m.account_change(ChangeKind::Profile, None, ip("203.0.113.20"), t(5));
    assert_eq!(anon.to_event().fields["new_ip"], "unknown");
}

#[test]
fn breached_password_on_success_is_a_decision() {
    let s = settings("");
    let mut m = s.monitor();
    let route = s.routes.login(&Method::POST, "/login").unwrap();
    let mut a = route
        .extract(
            &Method::POST,
            "/login",
            &HeaderMap::new(),
            b"email=ivan&password=password",
        )
        .unwrap();
    assert_eq!(
        a.password.as_ref().unwrap().sha1().to_hex_upper(),
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
    );
    a.set_breach_count(42);
    assert!(a.password.is_none(), "the password is dropped once checked");
    let ds = m.observe(&a, Outcome::Failure, ip("192.0.2.1"), t(0));
    assert!(
        !ds.iter()
            .any(|d| matches!(d, Decision::BreachedPassword { .. }))
    );
    let ds = m.observe(&a, Outcome::Success, ip("192.0.2.1"), t(1));
    let d = ds
        .iter()
        .find(|d| matches!(d, Decision::BreachedPassword { .. }))
        .unwrap();
    let e = d.to_event();
    assert_eq!(
        (e.category, e.severity),
        (Category::BreachedPassword, Severity::High)
    );
    assert_eq!(e.fields["breach_count"], "42");
}

#[test]
fn known_pairs_export_import_and_drain() {
    let s = settings("");
    let mut m = s.monitor();
    login(&s, &mut m, "judy", "pw", true, "192.0.2.1", t(0));
    login(&s, &mut m, "judy", "pw", true, "2001:db8:1:2::5", t(1));
    let (learned, dropped) = m.drain_learned();
    assert_eq!((learned.len(), dropped), (2, 0));
    assert!(m.drain_learned().0.is_empty());
    let exported = m.export_known();
    let json = serde_json::to_string(&exported).unwrap();
    let back: Vec<KnownPair> = serde_json::from_str(&json).unwrap();
    assert_eq!(back[1].prefix.to_string(), "2001:db8:1:2::/64");
    let mut fresh = s.monitor();
    fresh.import_known(back);
    assert!(fresh.is_known("judy", ip("2001:db8:1:2:ffff::1")));
    assert!(fresh.drain_learned().0.is_empty());
    // The next login from the first known prefix is not new.
    assert!(login(&s, &mut fresh, "judy", "pw", true, "192.0.2.200", t(5)).is_empty());
}

#[test]
fn every_map_is_bounded() {
    let s = settings("[limits]\nips = 100\nusers = 50\nprefixes = 20\nknown_pairs = 30");
    let mut m = s.monitor();
    for i in 0..1000u32 {
        let from = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        login(
            &s,
            &mut m,
            &format!("user{i}"),
            "x",
            i % 3 == 0,
            &from,
            t(i64::from(i)),
        );
    }
    let z = m.sizes();
    assert!(
        z.ips <= 100 && z.users <= 50 && z.prefixes <= 20 && z.known_pairs <= 30,
        "{z:?}"
    );
    assert!(z.known_users <= z.known_pairs);
    assert!(z.approx_bytes > 0);
}

#[test]
fn unknown_outcomes_are_not_counted_and_reports_feed_the_monitor() {
    let s = settings("");
    let mut m = s.monitor();
    let body: palisade_auth::AuthEventReport = serde_json::from_str(
        r#"{"user": " Kim@Example.com ", "ip": "203.0.113.7", "outcome": "failure", "source": "mobile"}"#,
    )
    .unwrap();
    let (attempt, outcome, from) = body
        .into_observation(&palisade_auth::UsernamePolicy::default())
        .unwrap();
    assert_eq!(attempt.email.as_deref(), Some("kim@example.com"));
    assert!(m.observe(&attempt, Outcome::Unknown, from, t(0)).is_empty());
    let ds = m.observe(&attempt, outcome, from, t(0));
    let Decision::AuthFailure { route, user, .. } = &ds[0] else {
        panic!()
    };
    assert_eq!(
        (route.as_str(), user.as_str()),
        ("mobile", "kim@example.com")
    );
    // A password in a report body is refused outright.
    let bad = serde_json::from_str::<palisade_auth::AuthEventReport>(
        r#"{"user": "kim", "ip": "203.0.113.7", "outcome": "failure", "password": "x"}"#,
    );
    assert!(bad.is_err());
}

/// A log line that names no user (a Postfix SASL failure): the IP's windows count it, no
/// user's do, so many such IPs never look like a stuffing attack on one "empty" user.
#[test]
fn failures_without_a_username_count_for_the_ip_only() {
    let s = settings("");
    let mut m = s.monitor();
    let mut decisions = Vec::new();
    for i in 0..10u8 {
        let from = IpAddr::from([198, 51, 100, 10 + i]);
        let attempt = palisade_auth::Attempt::reported("mail", String::new(), None);
        decisions.extend(m.observe(&attempt, Outcome::Failure, from, t(i64::from(i))));
    }
    assert!(
        !decisions.iter().any(|d| matches!(
            d,
            Decision::StuffingOnUser { .. } | Decision::UserAtRisk { .. }
        )),
        "{decisions:?}"
    );
    let attacker = ip("203.0.113.9");
    let mut brute = false;
    for i in 0..10 {
        let attempt = palisade_auth::Attempt::reported("mail", String::new(), None);
        brute |= m
            .observe(&attempt, Outcome::Failure, attacker, t(100 + i))
            .iter()
            .any(|d| matches!(d, Decision::BruteForce { .. }));
    }
    assert!(
        brute,
        "ten anonymous failures from one IP are a brute force"
    );
    let attempt = palisade_auth::Attempt::reported("mail", String::new(), None);
    assert!(
        m.observe(&attempt, Outcome::Success, attacker, t(200))
            .iter()
            .all(|d| !matches!(d, Decision::NewIpLogin { .. }))
    );
}

/// Two monitors (two guards) fed the counts a shared store would give: the one whose count
/// is `first` acts, the other stays quiet even past the threshold, and neither acts on its
/// own local count.
#[test]
fn shared_counts_decide_a_brute_force_once_across_monitors() {
    use palisade_auth::{Attempt, SharedCount, SharedCounts, SharedLogin};
    let s = settings("");
    let (mut a, mut b) = (s.monitor(), s.monitor());
    let attempt = Attempt::reported("http", "alice".into(), None);
    let shared = |n: u32, first: bool| SharedCounts {
        ip: Some(SharedCount { count: n, first }),
        ..SharedCounts::default()
    };
    let brute = |ds: &[Decision]| count(ds, |d| matches!(d, Decision::BruteForce { .. }));
    let from = ip("198.51.100.3");
    let mut acted = 0;
    for n in 1..=12u32 {
        let m = if n % 2 == 0 { &mut a } else { &mut b };
        let ds = m.observe_shared(
            &attempt,
            Outcome::Failure,
            from,
            t(i64::from(n)),
            &shared(n.min(10), n == 10),
        );
        acted += brute(&ds);
        if n == 10 {
            assert_eq!(brute(&ds), 1, "the tenth failure in all is a brute force");
        }
    }
    assert_eq!(acted, 1);
    // The keys a shared store counts under.
    let keys = a.shared_keys("alice", from);
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "auth:ip:198.51.100.3",
            "auth:net:198.51.100.0/24",
            "auth:user:alice"
        ]
    );
    assert_eq!(keys[0].threshold, 10);
    assert_eq!(
        a.shared_keys("", from).len(),
        2,
        "no user count without a username"
    );

    // A login the deployment knows the user for, from a new network: a new-IP login even
    // on a monitor that never saw the user.
    let mut c = s.monitor();
    let login = |user_known, prefix_known| SharedCounts {
        login: Some(SharedLogin {
            user_known,
            prefix_known,
        }),
        ..SharedCounts::default()
    };
    let new_ip = |ds: &[Decision]| count(ds, |d| matches!(d, Decision::NewIpLogin { .. }));
    let ds = c.observe_shared(
        &attempt,
        Outcome::Success,
        ip("203.0.113.9"),
        t(20),
        &login(true, false),
    );
    assert_eq!(new_ip(&ds), 1);
    let ds = c.observe_shared(
        &attempt,
        Outcome::Success,
        ip("192.0.2.9"),
        t(21),
        &login(true, true),
    );
    assert_eq!(new_ip(&ds), 0, "a network another guard saw is known");
}
