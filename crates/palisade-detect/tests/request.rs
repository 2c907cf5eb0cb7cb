//! Request-level families (sensitive paths, scanners, protocol), scoring, exclusions,
//! paranoia levels and configuration errors.

mod common;

use common::{Owned, Via, carry, engine};
use palisade_detect::{DetectConfig, Engine, Exclusion, Location, Severity, rules};

fn rule_ids(v: &palisade_detect::Verdict) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn sensitive_paths_from_the_list_and_config() {
    let e = engine(1);
    for path in [
        "/.env",
        "/app/.git/config",
        "/backup/db.sql",
        "/index.php.bak",
        "/.aws/credentials",
        "/%2e%65nv",
        "/a//./.htpasswd",
        "/actuator/heapdump",
        "/wp-config.php~",
        "/x/.DS_Store",
    ] {
        let v = Owned::get(path).inspect(&e);
        assert!(
            v.findings
                .iter()
                .any(|f| f.rule == "sensitive-file-probe" && f.location == Location::Path),
            "{path}: {v:#?}"
        );
        assert!(v.over_threshold, "{path}");
    }
    for path in [
        "/",
        "/admin",
        "/.well-known/security.txt",
        "/.github/logo.png",
        "/environment",
        "/products/42",
        "/static/app.js",
    ] {
        let v = Owned::get(path).inspect(&e);
        assert!(v.findings.is_empty(), "{path}: {v:#?}");
    }
    let custom = Engine::new(DetectConfig {
        sensitive_paths: vec!["/internal/metrics".into(), "*.secret".into()],
        ..Default::default()
    })
    .unwrap();
    assert!(
        rule_ids(&Owned::get("/internal/metrics/x").inspect(&custom))
            .contains(&"sensitive-file-probe")
    );
    assert!(
        rule_ids(&Owned::get("/keys.secret").inspect(&custom)).contains(&"sensitive-file-probe")
    );
}

#[test]
fn traversal_in_the_path() {
    let e = engine(1);
    let v = Owned::get("/static/..%2f..%2f..%2fetc/passwd").inspect(&e);
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule == "lfi-dot-dot-slash" && f.location == Location::Path),
        "{v:#?}"
    );
}

#[test]
fn scanners_and_generic_clients() {
    let e = engine(1);
    for ua in [
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
        "Mozilla/5.00 (Nikto/2.1.6)",
        "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        "Fuzz Faster U Fool v2.1.0",
        "Mozilla/5.0 Nuclei - Open-source project",
    ] {
        let v = Owned::get("/").header("User-Agent", ua).inspect(&e);
        assert!(
            v.findings.iter().any(|f| f.rule == "scanner-user-agent"
                && f.location == Location::Header("user-agent".into())),
            "{ua}: {v:#?}"
        );
    }
    for ua in [
        "curl/8.5.0",
        "python-requests/2.31",
        "Go-http-client/1.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    ] {
        let mut r = Owned::get("/");
        r.headers.retain(|(n, _)| n != "User-Agent");
        let v = r.header("User-Agent", ua).inspect(&e);
        assert!(v.findings.is_empty(), "{ua}: {v:#?}");
        let v3 = Owned::get("/").header("User-Agent", ua).inspect(&engine(3));
        assert!(!v3.over_threshold, "{ua}");
    }
    let v = Owned::get("/")
        .header("Acunetix-Product", "WVS")
        .inspect(&e);
    assert!(rule_ids(&v).contains(&"scanner-header"));
    let (req, loc) = carry(Via::Json, "http://abc123.oastify.com/x");
    let v = req.inspect(&e);
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule == "scanner-oast-host" && f.location == loc),
        "{v:#?}"
    );
}

#[test]
fn protocol_anomalies() {
    let e = engine(1);
    let mut r = Owned::post("/", "text/plain", "hello");
    r.headers
        .push(("Transfer-Encoding".into(), b"chunked".to_vec()));
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-cl-te"));
    let r = Owned::get("/").header("Content-Length", "12abc");
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-bad-content-length"));
    let mut r = Owned::get("/");
    r.headers.retain(|(n, _)| n != "Host");
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-missing-host"));
    let mut r = Owned::get("/");
    r.method = "G<T".into();
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-invalid-method"));
    let mut r = Owned::get("/");
    r.method = "FOO".into();
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-unknown-method"));
    let mut r = Owned::get("/");
    for i in 0..120 {
        r.headers.push((format!("X-H{i}"), b"1".to_vec()));
    }
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-header-count"));
    let r = Owned::get("/").header("X-Big", vec![b'a'; 9000]);
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-header-size"));
    let r = Owned::get("/").header("X-Nul", b"a\0b".to_vec());
    assert!(rule_ids(&r.inspect(&e)).contains(&"protocol-nul-in-header"));
    // A plain, complete request has no anomaly.
    assert!(Owned::get("/").inspect(&e).findings.is_empty());
}

#[test]
fn scoring_and_dedup() {
    let e = engine(1);
    let v = Owned::get("/s?a=%27%20or%201%3D1--&a=%27%20or%201%3D1--&b=x").inspect(&e);
    let fp = v
        .findings
        .iter()
        .filter(|f| f.rule == "sqli-fingerprint")
        .count();
    assert_eq!(fp, 1, "one finding per (rule, location): {v:#?}");
    assert_eq!(v.score, v.findings.iter().map(|f| f.score).sum::<u32>());
    for f in &v.findings {
        assert_eq!(f.score, f.severity.points());
        assert!(f.excerpt.chars().count() <= palisade_detect::MAX_EXCERPT);
    }
    assert_eq!(Severity::Critical.points(), 5);
    let high = Engine::new(DetectConfig {
        threshold: 1000,
        ..Default::default()
    })
    .unwrap();
    assert!(
        !Owned::get("/s?a=%27%20or%201%3D1--")
            .inspect(&high)
            .over_threshold
    );
}

#[test]
fn cookie_excerpts_are_redacted() {
    let e = engine(1);
    let token = "eyJhbGciOiJIUzI1NiJ9abcdefghijklmnop";
    let v = Owned::get("/")
        .header("Cookie", format!("session={token}' or 1=1--"))
        .inspect(&e);
    assert!(v.over_threshold, "{v:#?}");
    for f in &v.findings {
        assert!(!f.excerpt.contains(token), "{}", f.excerpt);
    }
}

#[test]
fn exclusions_drop_findings() {
    let attack = "1 union select password from users";
    let (req, _) = carry(Via::Json, attack);
    let by_location = Engine::new(DetectConfig {
        exclusions: vec![Exclusion {
            path: Some("/api".into()),
            location: Some("json:/data".into()),
            rules: vec!["sqli-*".into()],
        }],
        ..Default::default()
    })
    .unwrap();
    let v = req.inspect(&by_location);
    assert!(
        v.findings.iter().all(|f| !f.rule.starts_with("sqli-")),
        "{v:#?}"
    );
    assert_eq!(v.score, v.findings.iter().map(|f| f.score).sum::<u32>());
    // Another path: not excluded.
    let (q, _) = carry(Via::Query, attack);
    assert!(q.inspect(&by_location).over_threshold);
    // Another pointer: not excluded.
    let other = Engine::new(DetectConfig {
        exclusions: vec![Exclusion {
            path: None,
            location: Some("json:/other".into()),
            rules: vec![],
        }],
        ..Default::default()
    })
    .unwrap();
    assert!(req.inspect(&other).over_threshold);
    // Query parameter exclusion, one rule only.
    let one_rule = Engine::new(DetectConfig {
        exclusions: vec![Exclusion {
            path: None,
            location: Some("query:q".into()),
            rules: vec!["sqli-union-select".into()],
        }],
        ..Default::default()
    })
    .unwrap();
    let v = q.inspect(&one_rule);
    assert!(
        !rule_ids(&v).contains(&"sqli-union-select") && rule_ids(&v).contains(&"sqli-fingerprint"),
        "{v:#?}"
    );
}

#[test]
fn paranoia_levels_add_rules() {
    let value = "2) or (3";
    let (req, _) = carry(Via::Query, value);
    assert!(req.inspect(&engine(1)).findings.is_empty());
    let v = req.inspect(&engine(2));
    assert!(rule_ids(&v).contains(&"sqli-fingerprint-weak"), "{v:#?}");
    for level in 1..=4u8 {
        let v = Owned::get("/?q=%3Cb%3Ehi").inspect(&engine(level));
        assert!(v.findings.iter().all(|f| f.paranoia <= level));
    }
    assert!(rule_ids(&Owned::get("/?q=%3Cb%3Ehi").inspect(&engine(3))).contains(&"xss-any-tag"));
}

#[test]
fn config_errors_name_the_field() {
    let bad = |c: DetectConfig| Engine::new(c).unwrap_err().field;
    assert_eq!(
        bad(DetectConfig {
            paranoia: 0,
            ..Default::default()
        }),
        "paranoia"
    );
    assert_eq!(
        bad(DetectConfig {
            paranoia: 5,
            ..Default::default()
        }),
        "paranoia"
    );
    assert_eq!(
        bad(DetectConfig {
            threshold: 0,
            ..Default::default()
        }),
        "threshold"
    );
    assert_eq!(
        bad(DetectConfig {
            extra_headers: vec!["X-Upper".into()],
            ..Default::default()
        }),
        "extra_headers[0]"
    );
    assert_eq!(
        bad(DetectConfig {
            sensitive_paths: vec![" ".into()],
            ..Default::default()
        }),
        "sensitive_paths[0]"
    );
    let ex = |e: Exclusion| DetectConfig {
        exclusions: vec![Exclusion::default(), e],
        ..Default::default()
    };
    assert_eq!(
        bad(ex(Exclusion {
            rules: vec!["".into()],
            ..Default::default()
        })),
        "exclusions[1].rules[0]"
    );
    assert_eq!(
        bad(ex(Exclusion {
            rules: vec!["SQLI-*".into()],
            ..Default::default()
        })),
        "exclusions[1].rules[0]"
    );
    assert_eq!(
        bad(ex(Exclusion {
            rules: vec!["sqli*x".into()],
            ..Default::default()
        })),
        "exclusions[1].rules[0]"
    );
    assert_eq!(
        bad(ex(Exclusion {
            rules: vec!["sqli-unoin-select".into()],
            ..Default::default()
        })),
        "exclusions[1].rules[0]"
    );
    assert_eq!(
        bad(ex(Exclusion {
            location: Some("json:body".into()),
            ..Default::default()
        })),
        "exclusions[1].location"
    );
    assert_eq!(
        bad(ex(Exclusion {
            location: Some("query:".into()),
            ..Default::default()
        })),
        "exclusions[1].location"
    );
    assert_eq!(
        bad(ex(Exclusion {
            location: Some("params:x".into()),
            ..Default::default()
        })),
        "exclusions[1].location"
    );
    assert_eq!(
        bad(ex(Exclusion {
            path: Some("api".into()),
            ..Default::default()
        })),
        "exclusions[1].path"
    );
    let msg = Engine::new(DetectConfig {
        paranoia: 9,
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(msg.starts_with("paranoia: "), "{msg}");
}

#[test]
fn every_rule_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md"))
        .expect("docs/rules.md");
    for r in rules() {
        assert!(
            doc.contains(&format!("`{}`", r.id)),
            "{} missing from docs/rules.md",
            r.id
        );
    }
}
