//! `[auth]` parsing and validation: defaults, misspelt keys, errors that name the key, and
//! extraction through every selector kind.

use http::{HeaderMap, Method, StatusCode};
use palisade_auth::{AuthConfig, MonitorSettings, Outcome};

fn parse(text: &str) -> Result<AuthConfig, toml::de::Error> {
    toml::from_str(text)
}

#[test]
fn defaults_match_the_monitor_defaults() {
    let s = parse("").unwrap().validate().unwrap();
    assert_eq!(s.monitor, MonitorSettings::default());
    assert!(s.routes.login.is_empty() && s.report.is_none());
    assert!(s.pwned.file.is_none() && s.pwned.api.is_none());
}

#[test]
fn misspelt_keys_are_errors() {
    for text in [
        "[brute_force]\nfailure = 3",
        "[[login]]\npath = \"/l\"\nusername = \"form:u\"\npasword = \"form:p\"",
        "[[login]]\npath = \"/l\"\nusername = \"form:u\"\nsuccess = { statuss = [200] }",
        "[pwned]\nfiles = \"x\"",
        "unknown = 1",
    ] {
        assert!(parse(text).is_err(), "{text}");
    }
}

#[test]
fn errors_name_the_key() {
    let cases = [
        (
            "[[login]]\npath = \"login\"\nusername = \"form:u\"",
            "auth.login[0].path",
        ),
        (
            "[[login]]\npath = \"/l\"\nusername = \"form:u\"\nmethod = \"PO ST\"",
            "auth.login[0].method",
        ),
        (
            "[[login]]\npath = \"/l\"\nusername = \"form:u\"\n[[login]]\npath = \"/l/\"\nusername = \"form:u\"",
            "auth.login[1].path",
        ),
        (
            "[[login]]\npath = \"/l\"\nusername = \"form:u\"\npassword = \"json:p\"",
            "auth.login[0].password",
        ),
        (
            "[[login]]\npath = \"/l\"\nusername = \"form:u\"\nsuccess = { status = [999] }",
            "auth.login[0].success.status",
        ),
        (
            "[[login]]\npath = \"/l\"\nusername = \"form:u\"\nfailure = {}",
            "auth.login[0].failure",
        ),
        (
            "[[account_change]]\npath = \"/a\"\nkind = \"avatar\"",
            "auth.account_change[0].kind",
        ),
        (
            "[brute_force]\nwindow = \"five minutes\"",
            "auth.brute_force.window",
        ),
        ("[brute_force]\nfailures = 0", "auth.brute_force.failures"),
        (
            "[user]\nrisk_failures = 10\nblock_failures = 5",
            "auth.user.block_failures",
        ),
        ("[stuffing]\nspike_ratio = 1.5", "auth.stuffing.spike_ratio"),
        (
            "[stuffing]\nusers_per_ip = 1000",
            "auth.stuffing.users_per_ip",
        ),
        (
            "[new_ip]\nsecret = \"short\"\nlink_base = \"https://a.example\"",
            "auth.new_ip.secret",
        ),
        (
            "[new_ip]\nsecret = \"0123456789abcdef0123456789abcdef\"",
            "auth.new_ip.link_base",
        ),
        ("[pwned]\napi = \"ftp://x\"", "auth.pwned.api"),
        ("[limits]\nips = 0", "auth.limits.ips"),
        ("ipv4_prefix = 4", "auth.ipv4_prefix"),
        ("username_case = \"upper\"", "auth.username_case"),
    ];
    for (text, field) in cases {
        let e = parse(text).unwrap().validate().unwrap_err();
        assert_eq!(e.field, field, "{text}: {e}");
        assert!(e.to_string().starts_with(&format!("`{field}`")));
    }
}

#[test]
fn every_selector_kind_extracts_the_same_attempt() {
    let routes = [
        (
            "username = \"form:email\"\npassword = \"form:password\"",
            "/login",
            b"email=Alice%40Example.com&password=s3cret".to_vec(),
            HeaderMap::new(),
        ),
        (
            "username = \"json:/user/email\"\npassword = \"json:/user/password\"",
            "/login",
            br#"{"user":{"email":"alice@example.com","password":"s3cret"}}"#.to_vec(),
            HeaderMap::new(),
        ),
        (
            "username = \"query:u\"\npassword = \"header:X-Pass\"",
            "/login?u=alice%40example.com",
            Vec::new(),
            {
                let mut h = HeaderMap::new();
                h.insert("x-pass", "s3cret".parse().unwrap());
                h
            },
        ),
    ];
    for (sel, target, body, headers) in routes {
        let s = parse(&format!("[[login]]\npath = \"/login\"\n{sel}"))
            .unwrap()
            .validate()
            .unwrap();
        // Path variants reach the same route.
        for t in [
            target.to_owned(),
            target.replacen("/login", "//login/", 1),
            target.replacen("/login", "/%6Cogin", 1),
        ] {
            let route = s.routes.login(&Method::POST, &t).expect(&t);
            let a = route
                .extract(&Method::POST, &t, &headers, &body)
                .expect(sel);
            assert_eq!(a.username, "alice@example.com");
            assert_eq!(a.email.as_deref(), Some("alice@example.com"));
            assert_eq!(a.password.as_ref().unwrap().len(), 6);
            let debug = format!("{a:?}");
            assert!(
                !debug.contains("s3cret") && debug.contains("***"),
                "{debug}"
            );
        }
        assert!(s.routes.login(&Method::GET, target).is_none());
        assert!(s.routes.login(&Method::POST, "/login2").is_none());
    }
}

#[test]
fn outcomes_follow_the_rules() {
    let s = parse(
        "[[login]]\npath = \"/login\"\nusername = \"form:u\"\nsuccess = { status = [200, 302], location_not = \"/login?error\", body_not_contains = \"Invalid\" }\nfailure = { status = [200, 302, 401] }",
    )
    .unwrap()
    .validate()
    .unwrap();
    let r = &s.routes.login[0];
    let loc = |l: &str| {
        let mut h = HeaderMap::new();
        h.insert("location", l.parse().unwrap());
        h
    };
    assert!(r.success.needs_body());
    assert_eq!(
        r.outcome(StatusCode::FOUND, &loc("/home")),
        Outcome::Success
    );
    assert_eq!(
        r.outcome(StatusCode::FOUND, &loc("/login?error=1")),
        Outcome::Failure
    );
    assert_eq!(
        r.outcome(StatusCode::UNAUTHORIZED, &HeaderMap::new()),
        Outcome::Failure
    );
    assert_eq!(
        r.outcome(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new()),
        Outcome::Unknown
    );
    assert_eq!(
        r.outcome_with_body(
            StatusCode::OK,
            &HeaderMap::new(),
            b"<p>Invalid password</p>"
        ),
        Outcome::Failure
    );
    assert_eq!(
        r.outcome_with_body(StatusCode::OK, &HeaderMap::new(), b"<p>Welcome</p>"),
        Outcome::Success
    );
}

#[test]
fn secrets_stay_hidden_in_debug() {
    let s = parse("[new_ip]\nsecret = \"0123456789abcdef0123456789abcdef-xyz\"\nlink_base = \"https://a.example\"")
        .unwrap()
        .validate()
        .unwrap();
    let debug = format!("{s:?} {:?}", s.report.as_ref().unwrap().signer());
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
}
