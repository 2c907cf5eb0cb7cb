//! Set-Cookie hardening: flags added on the right transport, the app's own attributes kept
//! byte for byte, per-cookie exceptions, name-prefix repairs, malformed headers untouched.

use palisade_headers::cookies::{
    Change, CookieException, CookiePolicy, CookiesOptions, Rewrite, SameSite, SameSiteOption,
};

fn policy(toml_text: &str) -> CookiePolicy {
    let options: CookiesOptions = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    CookiePolicy::from_options(&options).unwrap_or_else(|e| panic!("{e}"))
}

/// The rewritten header (the input when unchanged or only flagged) and the changes.
fn run(policy: &CookiePolicy, header: &str, https: bool) -> (String, Vec<Change>) {
    match policy.rewrite(header.as_bytes(), https) {
        Rewrite::Unchanged => (header.to_owned(), Vec::new()),
        Rewrite::Flagged(notes) => {
            assert!(notes.iter().all(|c| c.is_note()), "{notes:?}");
            (header.to_owned(), notes)
        }
        Rewrite::Rewritten { value, changes } => {
            assert!(value.len() <= header.len() + 48);
            (value.to_str().unwrap().to_owned(), changes)
        }
    }
}

fn https(policy: &CookiePolicy, header: &str) -> String {
    run(policy, header, true).0
}

fn http(policy: &CookiePolicy, header: &str) -> String {
    run(policy, header, false).0
}

#[test]
fn defaults_add_every_flag_on_https() {
    let p = CookiePolicy::default();
    let (value, changes) = run(&p, "sid=abc", true);
    assert_eq!(value, "sid=abc; Secure; HttpOnly; SameSite=Lax");
    assert_eq!(
        changes,
        [
            Change::AddedSecure,
            Change::AddedHttpOnly,
            Change::AddedSameSite(SameSite::Lax)
        ]
    );
}

#[test]
fn each_flag_alone() {
    let only = |table: &str, expected: &str| {
        let p = policy(table);
        assert_eq!(https(&p, "a=1"), expected, "{table}");
    };
    only("http_only = false\nsame_site = false", "a=1; Secure");
    only("secure = false\nsame_site = false", "a=1; HttpOnly");
    only(
        "secure = false\nhttp_only = false\nsame_site = \"strict\"",
        "a=1; SameSite=Strict",
    );
    only(
        "secure = false\nhttp_only = false\nsame_site = false",
        "a=1",
    );
    only(
        "http_only = false\nsame_site = \"none\"",
        "a=1; Secure; SameSite=None",
    );
}

#[test]
fn secure_only_on_https() {
    let p = CookiePolicy::default();
    assert_eq!(http(&p, "sid=abc"), "sid=abc; HttpOnly; SameSite=Lax");
    assert_eq!(
        https(&p, "sid=abc"),
        "sid=abc; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn configured_same_site_none_is_not_added_over_plain_http() {
    let p = policy("same_site = \"none\"");
    // Without Secure, which plain HTTP cannot have, browsers would reject the cookie.
    assert_eq!(http(&p, "a=1"), "a=1; HttpOnly");
    assert_eq!(https(&p, "a=1"), "a=1; Secure; HttpOnly; SameSite=None");
}

#[test]
fn existing_attributes_are_kept_case_insensitively_without_duplicates() {
    let p = CookiePolicy::default();
    for header in [
        "sid=abc; Secure; HttpOnly; SameSite=Strict",
        "sid=abc; secure; httponly; samesite=strict",
        "sid=abc;SECURE;HTTPONLY;SAMESITE=LAX",
        "sid=abc; Secure=yes; HttpOnly ; SameSite = None",
        // An unknown SameSite value is still the app's choice.
        "sid=abc; Secure; HttpOnly; SameSite=Bogus",
    ] {
        assert_eq!(
            p.rewrite(header.as_bytes(), true),
            Rewrite::Unchanged,
            "{header}"
        );
    }
    assert_eq!(
        https(&p, "sid=abc; httponly; Path=/x"),
        "sid=abc; httponly; Path=/x; Secure; SameSite=Lax"
    );
}

#[test]
fn unknown_attributes_and_original_bytes_survive() {
    let p = CookiePolicy::default();
    let header = "id=a3fWa;  Expires=Wed, 21 Oct 2015 07:28:00 GMT;Priority=High; Partitioned; Max-Age=3600; Path=/docs; Domain=example.com; Foo";
    assert_eq!(
        https(&p, header),
        format!("{header}; Secure; HttpOnly; SameSite=Lax")
    );
    // Trailing separators do not leave an empty attribute behind.
    assert_eq!(https(&p, "a=1; "), "a=1; Secure; HttpOnly; SameSite=Lax");
    assert_eq!(https(&p, "a=1;"), "a=1; Secure; HttpOnly; SameSite=Lax");
    // Values with `=` and non-ASCII bytes are copied as they are.
    let raw = b"tok=YWJj==; Path=/\xc3\xa9";
    let Rewrite::Rewritten { value, .. } = p.rewrite(raw, true) else {
        panic!("not rewritten")
    };
    assert_eq!(
        value.as_bytes(),
        b"tok=YWJj==; Path=/\xc3\xa9; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn app_same_site_none_gets_secure_on_https_only() {
    let p = policy("secure = false");
    let (value, changes) = run(&p, "a=1; SameSite=None; HttpOnly", true);
    assert_eq!(value, "a=1; SameSite=None; HttpOnly; Secure");
    assert_eq!(changes, [Change::AddedSecure]);
    let (value, changes) = run(&p, "a=1; SameSite=None; HttpOnly", false);
    assert_eq!(value, "a=1; SameSite=None; HttpOnly");
    assert_eq!(changes, [Change::SameSiteNoneNeedsHttps]);
}

#[test]
fn per_cookie_exceptions_replace_each_field() {
    let p = policy(
        r#"
        [name.widget]
        secure = false
        [name.theme]
        http_only = false
        [name.embed]
        same_site = "none"
        [name.legacy]
        same_site = false
        "#,
    );
    assert_eq!(https(&p, "widget=1"), "widget=1; HttpOnly; SameSite=Lax");
    assert_eq!(https(&p, "theme=1"), "theme=1; Secure; SameSite=Lax");
    assert_eq!(
        https(&p, "embed=1"),
        "embed=1; Secure; HttpOnly; SameSite=None"
    );
    assert_eq!(https(&p, "legacy=1"), "legacy=1; Secure; HttpOnly");
    // Names are exact and case-sensitive.
    assert_eq!(
        https(&p, "Theme=1"),
        "Theme=1; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        https(&p, "other=1"),
        "other=1; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn exceptions_built_in_code() {
    let mut options = CookiesOptions::default();
    options.name.insert(
        "x".to_owned(),
        CookieException {
            same_site: Some(SameSiteOption::Add(SameSite::Strict)),
            ..CookieException::default()
        },
    );
    let p = CookiePolicy::from_options(&options).unwrap();
    assert_eq!(https(&p, "x=1"), "x=1; Secure; HttpOnly; SameSite=Strict");
}

#[test]
fn framework_csrf_cookies_stay_readable_by_script() {
    let p = CookiePolicy::default();
    assert_eq!(
        https(&p, "XSRF-TOKEN=t"),
        "XSRF-TOKEN=t; Secure; SameSite=Lax"
    );
    assert_eq!(
        https(&p, "csrftoken=t"),
        "csrftoken=t; Secure; SameSite=Lax"
    );
    assert_eq!(
        https(&p, "xsrf-token=t"),
        "xsrf-token=t; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn user_config_overrides_the_built_in_csrf_default() {
    let p = policy("[name.XSRF-TOKEN]\nhttp_only = true");
    assert_eq!(
        https(&p, "XSRF-TOKEN=t"),
        "XSRF-TOKEN=t; Secure; HttpOnly; SameSite=Lax"
    );
    // Setting another field keeps the built-in http_only = false.
    let p = policy("[name.XSRF-TOKEN]\nsame_site = \"strict\"");
    assert_eq!(
        https(&p, "XSRF-TOKEN=t"),
        "XSRF-TOKEN=t; Secure; SameSite=Strict"
    );
}

#[test]
fn host_prefix_is_repaired_on_https() {
    let p = policy("http_only = false\nsame_site = false");
    let (value, changes) = run(
        &p,
        "__Host-sid=1; Domain=example.com; Path=/app; Priority=High",
        true,
    );
    assert_eq!(value, "__Host-sid=1; Priority=High; Path=/; Secure");
    assert_eq!(
        changes,
        [
            Change::HostPrefixPathFixed,
            Change::HostPrefixDomainRemoved,
            Change::AddedSecure
        ]
    );
    // Already conforming: untouched.
    assert_eq!(
        p.rewrite(b"__Host-sid=1; Secure; Path=/", true),
        Rewrite::Unchanged
    );
    // No Path at all is not enough: browsers want `Path=/` written.
    assert_eq!(
        https(&p, "__Host-sid=1; Secure"),
        "__Host-sid=1; Secure; Path=/"
    );
    // The last Path is the one browsers use.
    assert_eq!(
        https(&p, "__Host-sid=1; Path=/; path=/x; Secure"),
        "__Host-sid=1; Secure; Path=/"
    );
    // Prefixes are matched case-insensitively, like browsers do.
    assert_eq!(
        https(&p, "__HOST-sid=1; domain=a.example"),
        "__HOST-sid=1; Path=/; Secure"
    );
}

#[test]
fn secure_prefixes_get_secure_even_when_secure_is_off() {
    let p = policy("secure = false\nhttp_only = false\nsame_site = false");
    assert_eq!(https(&p, "__Secure-id=1"), "__Secure-id=1; Secure");
    assert_eq!(https(&p, "__secure-id=1"), "__secure-id=1; Secure");
    assert_eq!(https(&p, "plain=1"), "plain=1");
    assert_eq!(https(&p, "__Http-id=1"), "__Http-id=1; Secure; HttpOnly");
    assert_eq!(
        https(&p, "__Host-Http-id=1; Path=/"),
        "__Host-Http-id=1; Path=/; Secure; HttpOnly"
    );
}

#[test]
fn prefixes_over_plain_http_are_flagged_not_changed() {
    let p = policy("http_only = false\nsame_site = false");
    assert_eq!(
        p.rewrite(b"__Host-sid=1; Domain=a.example", false),
        Rewrite::Flagged(vec![Change::SecurePrefixNeedsHttps])
    );
    let (value, changes) = run(&CookiePolicy::default(), "__Secure-id=1", false);
    assert_eq!(value, "__Secure-id=1; HttpOnly; SameSite=Lax");
    assert_eq!(
        changes,
        [
            Change::SecurePrefixNeedsHttps,
            Change::AddedHttpOnly,
            Change::AddedSameSite(SameSite::Lax)
        ]
    );
}

#[test]
fn deletion_cookies_are_hardened_too() {
    let p = CookiePolicy::default();
    assert_eq!(
        https(&p, "sid=; Max-Age=0"),
        "sid=; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        https(
            &p,
            "__Host-sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/account"
        ),
        "__Host-sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn malformed_headers_are_left_alone() {
    let p = CookiePolicy::default();
    for header in [
        &b""[..],
        b"novalue",
        b"novalue; Path=/",
        b"=value",
        b"  =value; Secure",
        b"a=1\x00; Path=/",
        b"a=1\r\nSet-Cookie: b=2",
        b"a=1\x7f",
        b";",
        b";a=1",
    ] {
        assert_eq!(p.rewrite(header, true), Rewrite::Unchanged, "{header:?}");
    }
    // A huge header is handled in one pass and grows by a bounded amount.
    let big = format!("big={}; Path=/", "x".repeat(1 << 20));
    let (value, _) = run(&p, &big, true);
    assert_eq!(
        value.len(),
        big.len() + "; Secure; HttpOnly; SameSite=Lax".len()
    );
    // Many attributes: still linear, still kept.
    let many = format!("m=1{}", "; Path=/a".repeat(10_000));
    assert!(https(&p, &many).ends_with("; Path=/a; Secure; HttpOnly; SameSite=Lax"));
}

#[test]
fn config_errors_name_the_key() {
    let parse_err = |text: &str| match toml::from_str::<CookiesOptions>(text) {
        Ok(o) => panic!("accepted {text:?}: {o:?}"),
        Err(e) => e.to_string(),
    };
    let err = parse_err("same_site = \"lenient\"");
    assert!(
        err.contains(r#"expected "strict", "lax", "none" or `false`"#),
        "{err}"
    );
    let err = parse_err("same_site = true");
    assert!(err.contains("invalid value: boolean `true`"), "{err}");
    let err = parse_err("httponly = true");
    assert!(err.contains("unknown field `httponly`"), "{err}");
    let err = parse_err("[name.sid]\nsamesite = \"lax\"");
    assert!(err.contains("unknown field `samesite`"), "{err}");
    let err = parse_err("[name.\"my cookie\"]\nsecure = false");
    assert!(err.contains("not an RFC 6265 token"), "{err}");

    let policy_err = |text: &str| {
        let options: CookiesOptions = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        match CookiePolicy::from_options(&options) {
            Ok(_) => panic!("compiled {text:?}"),
            Err(e) => e,
        }
    };
    let err = policy_err("secure = false\nsame_site = \"none\"");
    assert_eq!(err.path(), ["same_site"]);
    assert!(err.message().contains("needs secure = true"), "{err}");
    let err = policy_err("[name.embed]\nsame_site = \"none\"\nsecure = false");
    assert_eq!(err.path(), ["name", "embed"]);
    assert!(err.message().contains("SameSite=None"), "{err}");
    let err = policy_err("[name.__Host-sid]\nsecure = false");
    assert_eq!(err.path(), ["name", "__Host-sid", "secure"]);
    let err = policy_err("[name.__Http-sid]\nhttp_only = false");
    assert_eq!(err.path(), ["name", "__Http-sid", "http_only"]);

    // Names built in code are checked too.
    let mut options = CookiesOptions::default();
    options
        .name
        .insert("a;b".to_owned(), CookieException::default());
    let err = CookiePolicy::from_options(&options).unwrap_err();
    assert_eq!(err.path(), ["name", "a;b"]);
}

#[test]
fn options_round_trip_through_toml() {
    let text = "secure = true\nhttp_only = false\nsame_site = \"strict\"\n\n[name.sid]\nsame_site = false\n";
    let options: CookiesOptions = toml::from_str(text).unwrap();
    let back: CookiesOptions = toml::from_str(&toml::to_string(&options).unwrap()).unwrap();
    assert_eq!(options, back);
    assert_eq!(options.same_site, SameSiteOption::Add(SameSite::Strict));
    assert_eq!(options.name["sid"].same_site, Some(SameSiteOption::Off));
}

#[test]
fn errors_through_the_headers_config_name_the_full_key() {
    let cfg: palisade_headers::HeadersConfig =
        toml::from_str("[cookies]\nsecure = false\nsame_site = \"none\"").unwrap();
    let err = palisade_headers::Policy::from_config(&cfg).unwrap_err();
    assert_eq!(err.path(), ["cookies", "same_site"]);
    let cfg: palisade_headers::HeadersConfig =
        toml::from_str("[cookies.name.__Secure-id]\nsecure = false").unwrap();
    let err = palisade_headers::Policy::from_config(&cfg).unwrap_err();
    assert_eq!(err.path(), ["cookies", "name", "__Secure-id", "secure"]);
}
