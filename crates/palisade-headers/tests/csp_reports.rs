//! CSP violation reports in both wire formats, their bounds and privacy trimming, the event
//! field round trip, and the allowlist suggestion rules.

use palisade_headers::report::{
    self, Blocked, Disposition, MAX_FIELD_BYTES, MAX_REPORTS, ReportError, Violation, parse_reports,
};
use palisade_headers::suggest::{Observation, RejectReason, SuggestOptions, Suggestion};
use serde_json::json;

/// A `report-uri` body as Chrome and Firefox post it (CSP3 "deprecated serialization").
const LEGACY: &str = r#"{
  "csp-report": {
    "document-uri": "https://shop.example/checkout?session=abc123#step2",
    "referrer": "https://shop.example/cart",
    "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem",
    "original-policy": "default-src 'self'; script-src 'self'; report-uri /.palisade/csp-report",
    "disposition": "enforce",
    "blocked-uri": "https://user:pw@cdn.example.net:8443/lib/app.js?token=t0k#x",
    "line-number": 12,
    "column-number": 34,
    "source-file": "https://shop.example/static/main.js?v=9",
    "status-code": 200,
    "script-sample": ""
  }
}"#;

/// A Reporting API batch (`application/reports+json`) with a CSP report and another type.
fn reporting_batch() -> serde_json::Value {
    json!([
        {
            "type": "csp-violation",
            "age": 53531,
            "url": "https://shop.example/account?id=42",
            "user_agent": "Mozilla/5.0",
            "body": {
                "documentURL": "https://shop.example/account?id=42",
                "referrer": "",
                "blockedURL": "inline",
                "effectiveDirective": "script-src-elem",
                "originalPolicy": "script-src 'self'; report-to palisade-csp",
                "sourceFile": "https://shop.example/account",
                "sample": "alert(document.cookie); and then some more code that is long",
                "disposition": "report",
                "statusCode": 200,
                "lineNumber": 7,
                "columnNumber": 1
            }
        },
        {
            "type": "deprecation",
            "age": 1,
            "url": "https://shop.example/",
            "user_agent": "Mozilla/5.0",
            "body": { "id": "Foo", "message": "Foo is deprecated" }
        }
    ])
}

#[test]
fn report_uri_format() {
    let got = parse_reports("application/csp-report", LEGACY.as_bytes()).unwrap();
    assert_eq!(
        got,
        [Violation {
            document: "https://shop.example/checkout".into(),
            blocked: Blocked::Url("https://cdn.example.net:8443/lib/app.js".into()),
            directive: "script-src-elem".into(),
            disposition: Disposition::Enforce,
            source_file: Some("https://shop.example/static/main.js".into()),
            line: Some(12),
            column: Some(34),
            sample: None,
            status: Some(200),
        }]
    );
    // Some browsers post the same body as application/json, with parameters.
    let same = parse_reports("Application/JSON; charset=utf-8", LEGACY.as_bytes()).unwrap();
    assert_eq!(same, got);
}

#[test]
fn reporting_api_format_keeps_only_csp_reports() {
    let body = serde_json::to_vec(&reporting_batch()).unwrap();
    let got = parse_reports("application/reports+json", &body).unwrap();
    assert_eq!(got.len(), 1);
    let v = &got[0];
    assert_eq!(v.document, "https://shop.example/account");
    assert_eq!(v.blocked, Blocked::Inline);
    assert_eq!(v.directive, "script-src-elem");
    assert_eq!(v.disposition, Disposition::Report);
    assert_eq!(v.line, Some(7));
    assert_eq!(v.column, Some(1));
    assert_eq!(v.status, Some(200));
    assert_eq!(
        v.sample.as_deref(),
        Some("alert(document.cookie); and then some mo")
    );
    assert_eq!(v.sample.as_ref().unwrap().chars().count(), 40);
}

#[test]
fn violated_directive_is_the_fallback_and_missing_fields_are_tolerated() {
    let body = json!({"csp-report": {
        "document-uri": "http://a.example/",
        "violated-directive": "img-src 'self' data:",
        "blocked-uri": "data",
        "line-number": "12",
        "status-code": 70000,
        "disposition": 5
    }});
    let got = parse_reports("application/csp-report", body.to_string().as_bytes()).unwrap();
    let v = &got[0];
    assert_eq!(v.directive, "img-src");
    assert_eq!(v.blocked, Blocked::Scheme("data".into()));
    // Wrong types are skipped, not errors.
    assert_eq!((v.line, v.status), (None, None));
    assert_eq!(v.disposition, Disposition::Enforce);

    let empty = parse_reports("application/csp-report", br#"{"csp-report": {}}"#).unwrap();
    assert_eq!(empty[0].directive, "");
    assert_eq!(empty[0].blocked, Blocked::Other(String::new()));
    // Reports without a body, of other types, or not objects are skipped.
    let odd = json!([1, "x", {"type": "csp-violation"}, {"type": "csp-violation", "body": []}]);
    assert!(
        parse_reports("application/reports+json", odd.to_string().as_bytes())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn errors() {
    assert!(matches!(
        parse_reports("text/plain", LEGACY.as_bytes()),
        Err(ReportError::ContentType(_))
    ));
    assert!(matches!(
        parse_reports("application/csp-report", b"csp-report=1"),
        Err(ReportError::Json(_))
    ));
    assert_eq!(
        parse_reports("application/csp-report", br#"{"report": {}}"#),
        Err(ReportError::Shape)
    );
    assert_eq!(
        parse_reports("application/json", b"42"),
        Err(ReportError::Shape)
    );
    let huge = vec![b' '; report::MAX_BODY_BYTES + 1];
    assert!(matches!(
        parse_reports("application/json", &huge),
        Err(ReportError::TooLarge(_))
    ));
}

#[test]
fn bounded_count_and_strings() {
    let one = reporting_batch()[0].clone();
    let batch: Vec<_> = std::iter::repeat_n(one, 101).collect();
    let body = serde_json::to_vec(&batch).unwrap();
    assert_eq!(
        parse_reports("application/reports+json", &body)
            .unwrap()
            .len(),
        MAX_REPORTS
    );

    // Multi-byte characters straddling the limit are not split.
    let long_path = "é".repeat(400);
    let body = json!({"csp-report": {
        "document-uri": format!("https://a.example/{long_path}"),
        "effective-directive": "x".repeat(2000),
        "blocked-uri": format!("https://b.example/{long_path}"),
        "script-sample": "ü".repeat(100),
    }});
    let v = &parse_reports("application/csp-report", body.to_string().as_bytes()).unwrap()[0];
    assert!(v.document.len() <= MAX_FIELD_BYTES && v.document.len() > MAX_FIELD_BYTES - 2);
    assert!(v.document.starts_with("https://a.example/éé"));
    assert_eq!(v.directive.len(), MAX_FIELD_BYTES);
    let Blocked::Url(blocked) = &v.blocked else {
        panic!("{:?}", v.blocked)
    };
    assert!(blocked.len() <= MAX_FIELD_BYTES);
    assert_eq!(v.sample.as_deref(), Some("ü".repeat(40).as_str()));
}

#[test]
fn blocked_values_are_classified() {
    let cases = [
        ("inline", Blocked::Inline),
        ("eval", Blocked::Eval),
        ("wasm-eval", Blocked::WasmEval),
        ("trusted-types-policy", Blocked::TrustedTypesPolicy),
        ("trusted-types-sink", Blocked::TrustedTypesSink),
        ("data", Blocked::Scheme("data".into())),
        ("blob", Blocked::Scheme("blob".into())),
        (
            "data:image/png;base64,iVBOR",
            Blocked::Scheme("data".into()),
        ),
        (
            "blob:https://a.example/uuid",
            Blocked::Scheme("blob".into()),
        ),
        (
            "chrome-extension",
            Blocked::Scheme("chrome-extension".into()),
        ),
        (
            "moz-extension://1234/content.js",
            Blocked::Scheme("moz-extension".into()),
        ),
        ("about", Blocked::Scheme("about".into())),
        (
            "wss://rt.example/socket?auth=1",
            Blocked::Url("wss://rt.example/socket".into()),
        ),
        ("self", Blocked::Other("self".into())),
        ("", Blocked::Other(String::new())),
    ];
    for (raw, expected) in cases {
        assert_eq!(Blocked::from_reported(raw), expected, "{raw}");
        // What is stored reads back the same.
        assert_eq!(
            Blocked::from_reported(&expected.to_string()),
            expected,
            "{raw}"
        );
    }
}

#[test]
fn fields_round_trip() {
    let all = parse_reports("application/csp-report", LEGACY.as_bytes()).unwrap();
    let batch = serde_json::to_vec(&reporting_batch()).unwrap();
    let more = parse_reports("application/reports+json", &batch).unwrap();
    for v in all.iter().chain(&more) {
        let fields = v.to_fields();
        let back = Violation::from_fields(|name| {
            fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| value.clone())
        });
        assert_eq!(back.as_ref(), Some(v));
        let message = v.message();
        assert!(!message.contains('\n'));
        assert!(message.starts_with("script-src-elem blocked "), "{message}");
    }
    assert_eq!(
        more[0].message(),
        "script-src-elem blocked inline on https://shop.example/account (report-only)"
    );
    let names: Vec<_> = all[0].to_fields().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "csp_directive",
            "csp_blocked",
            "csp_document",
            "csp_disposition",
            "csp_source_file",
            "csp_line",
            "csp_column",
            "csp_status"
        ]
    );
    assert_eq!(Violation::from_fields(|_| None), None);
}

// ---- suggestions ----

fn violation(directive: &str, blocked: &str, document: &str) -> Violation {
    Violation {
        document: document.into(),
        blocked: Blocked::from_reported(blocked),
        directive: directive.into(),
        disposition: Disposition::Enforce,
        source_file: None,
        line: None,
        column: None,
        sample: None,
        status: None,
    }
}

/// The same violation from `clients` distinct clients.
fn seen(directive: &str, blocked: &str, clients: usize) -> Vec<Observation> {
    (0..clients)
        .map(|i| Observation {
            client: format!("192.0.2.{i}"),
            violation: violation(directive, blocked, "https://shop.example/page"),
        })
        .collect()
}

const HELMET: &str = "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

fn suggest(policy: &str, observations: &[Observation]) -> Suggestion {
    Suggestion::generate(policy, observations, &SuggestOptions { min_clients: 2 })
}

fn added(s: &Suggestion) -> Vec<(String, Vec<String>)> {
    s.additions
        .iter()
        .map(|a| {
            (
                a.directive.clone(),
                a.sources.iter().map(|x| x.source.clone()).collect(),
            )
        })
        .collect()
}

fn reasons(s: &Suggestion) -> Vec<(String, RejectReason)> {
    s.rejected
        .iter()
        .map(|r| (r.blocked.clone(), r.reason))
        .collect()
}

fn pair(directive: &str, sources: &[&str]) -> (String, Vec<String>) {
    (
        directive.to_owned(),
        sources.iter().map(|s| (*s).to_owned()).collect(),
    )
}

#[test]
fn blocked_url_becomes_its_origin() {
    let mut obs = seen("script-src-elem", "https://cdn.example.net/lib/a.js", 3);
    obs.extend(seen(
        "script-src-elem",
        "https://cdn.example.net/lib/b.js?x=1",
        1,
    ));
    obs.extend(seen(
        "script-src-elem",
        "https://api.example.org:8443/x.js",
        2,
    ));
    obs.extend(seen(
        "script-src-elem",
        "https://cdn.example.net:443/c.js",
        1,
    ));
    let s = suggest(HELMET, &obs);
    assert_eq!(
        added(&s),
        [pair(
            "script-src",
            &["https://cdn.example.net", "https://api.example.org:8443"]
        )]
    );
    let cdn = &s.additions[0].sources[0];
    assert_eq!((cdn.reports, cdn.clients), (5, 3));
    assert_eq!(cdn.example_document, "https://shop.example/page");
    assert!(
        s.proposed_policy
            .contains(";script-src 'self' https://cdn.example.net https://api.example.org:8443;"),
        "{}",
        s.proposed_policy
    );
}

#[test]
fn same_origin_becomes_self_and_schemes_keep_their_scheme() {
    let policy = "default-src 'none'; img-src https://img.example; connect-src https://api.example";
    let mut obs = seen("img-src", "https://shop.example/logo.png", 2);
    obs.extend(seen("img-src", "data", 2));
    obs.extend(seen("img-src", "blob:https://shop.example/123", 2));
    obs.extend(seen("connect-src", "wss://shop.example/live", 2));
    obs.extend(seen("connect-src", "ws://rt.example:8080/live", 2));
    obs.extend(seen("connect-src", "http://shop.example/api", 2));
    let s = suggest(policy, &obs);
    assert_eq!(
        added(&s),
        [
            pair("img-src", &["'self'", "blob:", "data:"]),
            pair(
                "connect-src",
                &["'self'", "http://shop.example", "ws://rt.example:8080"]
            ),
        ]
    );
    // The separator style of the current policy is kept.
    assert_eq!(
        s.proposed_policy,
        "default-src 'none'; img-src https://img.example 'self' blob: data:; connect-src https://api.example 'self' http://shop.example ws://rt.example:8080"
    );
}

#[test]
fn fallback_chain_picks_the_first_directive_present() {
    let policy = "default-src 'self';script-src 'self';child-src 'self'";
    let mut obs = seen("worker-src", "https://w.example/worker.js", 2);
    obs.extend(seen("frame-src", "https://video.example/embed", 2));
    obs.extend(seen("style-src-attr", "https://never.example/x", 2));
    let s = suggest(policy, &obs);
    // style-src-attr reached default-src: a new style-src (seeded from it) right after it.
    assert_eq!(
        added(&s),
        [
            pair("style-src", &["https://never.example"]),
            pair("child-src", &["https://video.example", "https://w.example"]),
        ]
    );
    assert_eq!(
        s.proposed_policy,
        "default-src 'self';style-src 'self' https://never.example;script-src 'self';child-src 'self' https://video.example https://w.example"
    );
    let with_script = "default-src 'self';child-src 'none'";
    let s = suggest(
        with_script,
        &seen("worker-src", "https://w.example/w.js", 2),
    );
    assert_eq!(added(&s), [pair("child-src", &["https://w.example"])]);
    assert_eq!(
        s.proposed_policy,
        "default-src 'self';child-src https://w.example"
    );
}

#[test]
fn a_chain_ending_at_default_src_gets_a_new_directive() {
    let policy = "default-src 'self' https://static.example;base-uri 'self'";
    let mut obs = seen("img-src", "https://img.example/a.png", 2);
    obs.extend(seen("script-src-elem", "https://cdn.example/a.js", 2));
    let s = suggest(policy, &obs);
    assert_eq!(
        added(&s),
        [
            pair("img-src", &["https://img.example"]),
            pair("script-src", &["https://cdn.example"]),
        ]
    );
    assert!(s.additions.iter().all(|a| a.new_directive));
    assert_eq!(
        s.additions[0].seeded_from_default_src,
        ["'self'", "https://static.example"]
    );
    assert_eq!(
        s.proposed_policy,
        "default-src 'self' https://static.example;img-src 'self' https://static.example https://img.example;script-src 'self' https://static.example https://cdn.example;base-uri 'self'"
    );
    // default-src 'none' seeds nothing.
    let s = suggest(
        "default-src 'none'",
        &seen("font-src", "https://f.example/a.woff2", 2),
    );
    assert_eq!(
        s.proposed_policy,
        "default-src 'none';font-src https://f.example"
    );
}

#[test]
fn directives_without_fallback() {
    let mut obs = seen("form-action", "https://pay.example/submit", 2);
    obs.extend(seen("base-uri", "https://evil.example/", 2));
    obs.extend(seen("frame-ancestors", "https://partner.example/", 2));
    // form-action is in the policy; base-uri and frame-ancestors are not, and default-src
    // does not cover them, so nothing restricts them.
    let s = suggest("default-src 'self';form-action 'self'", &obs);
    assert_eq!(added(&s), [pair("form-action", &["https://pay.example"])]);
    let mut rejected = reasons(&s);
    rejected.sort();
    assert_eq!(
        rejected,
        [
            (
                "https://evil.example/".to_owned(),
                RejectReason::NotRestricted
            ),
            (
                "https://partner.example/".to_owned(),
                RejectReason::NotRestricted
            ),
        ]
    );
}

#[test]
fn extensions_about_inline_eval_are_rejected() {
    let mut obs = seen("script-src-elem", "chrome-extension", 9);
    obs.extend(seen("script-src-elem", "moz-extension://abc/x.js", 3));
    obs.extend(seen(
        "script-src-elem",
        "safari-web-extension://abc/x.js",
        3,
    ));
    obs.extend(seen("frame-src", "about", 3));
    obs.extend(seen("script-src-elem", "inline", 5));
    obs.extend(seen("script-src", "eval", 4));
    obs.extend(seen("script-src", "wasm-eval", 2));
    obs.extend(seen("require-trusted-types-for", "trusted-types-sink", 2));
    obs.extend(seen("script-src-elem", "data", 2));
    let s = suggest(HELMET, &obs);
    assert!(s.additions.is_empty());
    assert_eq!(s.proposed_policy, HELMET);
    let rejected = reasons(&s);
    for expected in [
        ("chrome-extension:", RejectReason::BrowserExtension),
        ("moz-extension:", RejectReason::BrowserExtension),
        ("safari-web-extension:", RejectReason::BrowserExtension),
        ("about:", RejectReason::About),
        ("inline", RejectReason::Inline),
        ("eval", RejectReason::Eval),
        ("wasm-eval", RejectReason::Eval),
        ("trusted-types-sink", RejectReason::TrustedTypes),
        ("data:", RejectReason::UnsafeScheme),
    ] {
        assert!(
            rejected.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {rejected:?}"
        );
    }
    // Most reported first.
    assert_eq!(s.rejected[0].blocked, "chrome-extension:");
    assert_eq!(s.rejected[0].reports, 9);
    let inline = s
        .rejected
        .iter()
        .find(|r| r.reason == RejectReason::Inline)
        .unwrap();
    assert!(
        inline.explanation.contains("nonce = \"auto\""),
        "{}",
        inline.explanation
    );
    assert!(inline.explanation.contains("'unsafe-inline'"));
}

#[test]
fn min_clients_counts_distinct_clients_across_dispositions() {
    // One client reporting many times is still one client.
    let mut obs: Vec<Observation> = (0..10)
        .map(|_| Observation {
            client: "198.51.100.7".into(),
            violation: violation(
                "img-src",
                "https://tracker.example/p.gif",
                "https://shop.example/",
            ),
        })
        .collect();
    // Two clients, one enforced and one report-only: both count.
    let mut report_only = violation(
        "img-src",
        "https://img.example/a.png",
        "https://shop.example/",
    );
    report_only.disposition = Disposition::Report;
    obs.push(Observation {
        client: "203.0.113.1".into(),
        violation: report_only,
    });
    obs.push(Observation {
        client: "203.0.113.2".into(),
        violation: violation(
            "img-src",
            "https://img.example/b.png",
            "https://shop.example/",
        ),
    });
    let s = suggest(HELMET, &obs);
    assert_eq!(added(&s), [pair("img-src", &["https://img.example"])]);
    assert_eq!(
        reasons(&s),
        [(
            "https://tracker.example".to_owned(),
            RejectReason::TooFewClients
        )]
    );
    assert_eq!((s.rejected[0].reports, s.rejected[0].clients), (10, 1));
    assert_eq!(s.rejected[0].directive, "img-src");
    assert!(s.rejected[0].explanation.contains("fewer than 2"));

    let lenient = Suggestion::generate(HELMET, &obs, &SuggestOptions { min_clients: 1 });
    assert_eq!(
        added(&lenient),
        [pair(
            "img-src",
            &["https://tracker.example", "https://img.example"]
        )]
    );
}

#[test]
fn already_allowed_and_strict_dynamic() {
    let policy = "default-src 'self';img-src *;font-src https:;connect-src *.example.com;script-src 'nonce-abc' 'strict-dynamic'";
    let mut obs = seen("img-src", "https://any.example/a.png", 2);
    obs.extend(seen("font-src", "https://fonts.example/a.woff2", 2));
    obs.extend(seen("connect-src", "https://api.example.com/v1", 2));
    obs.extend(seen("script-src-elem", "https://cdn.example/a.js", 2));
    // `*` does not cover data:.
    obs.extend(seen("img-src", "data", 2));
    let s = suggest(policy, &obs);
    assert_eq!(added(&s), [pair("img-src", &["data:"])]);
    let rejected = reasons(&s);
    assert!(rejected.contains(&(
        "https://any.example/a.png".into(),
        RejectReason::AlreadyAllowed
    )));
    assert!(rejected.contains(&(
        "https://fonts.example/a.woff2".into(),
        RejectReason::AlreadyAllowed
    )));
    assert!(rejected.contains(&(
        "https://api.example.com/v1".into(),
        RejectReason::AlreadyAllowed
    )));
    assert!(rejected.contains(&(
        "https://cdn.example/a.js".into(),
        RejectReason::StrictDynamic
    )));
}

#[test]
fn none_is_replaced_and_untouched_directives_are_copied() {
    let policy =
        "default-src 'self'; object-src 'none'; media-src   'none' ;upgrade-insecure-requests";
    let s = suggest(policy, &seen("media-src", "https://media.example/v.mp4", 2));
    assert_eq!(
        s.proposed_policy,
        "default-src 'self'; object-src 'none'; media-src https://media.example; upgrade-insecure-requests"
    );
}

#[test]
fn rendering() {
    let mut obs = seen("script-src-elem", "https://cdn.example/a.js", 3);
    obs.extend(seen("script-src-elem", "inline", 2));
    obs.extend(seen("img-src", "https://img.example/a.png", 2));
    let s = suggest("default-src 'self';script-src 'self'", &obs);
    let text = s.render_text();
    assert!(
        text.contains("7 CSP violation report(s) considered."),
        "{text}"
    );
    assert!(text.contains("Add to script-src:\n  https://cdn.example  3 report(s) from 3 client(s), e.g. on https://shop.example/page"), "{text}");
    assert!(text.contains("New directive img-src"), "{text}");
    assert!(
        text.contains(
            "Not proposed:\n  script-src-elem inline  2 report(s) from 2 client(s): inline code"
        ),
        "{text}"
    );
    assert!(text.contains("Proposed policy:\n  default-src 'self';img-src 'self' https://img.example;script-src 'self' https://cdn.example\n"), "{text}");

    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["additions"][0]["directive"], "img-src");
    assert_eq!(json["additions"][0]["new_directive"], true);
    assert_eq!(json["rejected"][0]["reason"], "inline");
    assert_eq!(json["reports"], 7);

    let nothing = suggest("default-src 'self'", &[]);
    assert!(nothing.render_text().contains("Nothing to add"));
    assert_eq!(nothing.proposed_policy, "default-src 'self'");
}
