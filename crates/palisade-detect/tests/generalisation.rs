//! Classes of attacks and benign inputs the detectors handle by principle rather than by
//! example: injections in path segments, IIS percent stripping, SQL shapes, prose and markdown
//! context, uploads, protocol abuse. The values are our own.

mod common;

use common::{Owned, Via, assert_attack, assert_attack_via, assert_benign, engine};
use palisade_detect::{Family, Location};

fn rules(v: &palisade_detect::Verdict) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn injections_in_path_segments() {
    let e = engine(1);
    for path in [
        "/api/v1/orders/7'%20or%20'x'='x",
        "/catalog/item/3%20UNION%20SELECT%20login,pass%20FROM%20accounts",
        "/docs/4;sleep%2011;%23",
        "/u/%22%3E%3Csvg%20onload=alert(7)%3E",
        "/reports/9%0Aid",
    ] {
        let v = Owned::get(path).inspect(&e);
        assert!(v.over_threshold, "{path}: {v:#?}");
        assert!(
            v.findings.iter().any(|f| f.location == Location::Path),
            "{path}"
        );
    }
    for path in [
        "/products/union-jack-cushion",
        "/blog/select-the-right-size",
        "/files/Quarterly%20Report%20(final).pdf",
        "/users/o'neill/profile",
        "/wiki/Rock_%26_Roll",
        "/search/cats+dogs",
    ] {
        let v = Owned::get(path).inspect(&e);
        assert!(!v.over_threshold, "{path}: {v:#?}");
    }
}

#[test]
fn iis_percent_stripping_reaches_every_family() {
    let e = engine(1);
    assert_attack_via(
        &e,
        &[Via::Query, Via::Form],
        Family::Sqli,
        None,
        "1 %U%N%I%O%N %S%E%L%E%C%T %n%a%m%e FROM accounts",
    );
}

#[test]
fn sql_shapes_beyond_or_1_eq_1() {
    let e = engine(1);
    for v in [
        "5' AND IF(2>1,SLEEP(3),0)-- x",
        "5 AND (CASE WHEN 2>1 THEN 1 ELSE 0 END)=1",
        "'||(select top 1 login from accounts)||'",
        "login,(select pass from accounts limit 1)",
        "5 procedure analyse()",
        "5;\tCOPY (SELECT '') TO PROGRAM 'uname'",
        "5 and cast((select current_user) as int)=1",
    ] {
        assert_attack_via(&e, &[Via::Query, Via::Json], Family::Sqli, None, v);
    }
    for v in [
        "select * from reviews",
        "sleep(5) in python",
        "case when the lid breaks",
        "IF you like it, buy it",
    ] {
        assert_benign(&e, v);
    }
}

#[test]
fn referer_query_values_are_parameters() {
    let e = engine(1);
    let v = Owned::get("/blog/sql")
        .header(
            "Referer",
            "https://www.search.example/s?q=sleep(5)+in+python&lang=en",
        )
        .inspect(&e);
    assert!(!v.over_threshold, "{v:#?}");
    let v = Owned::get("/blog/sql")
        .header("Referer", "https://shop.example/p?id=4'%20or%20'z'='z")
        .inspect(&e);
    assert!(v.over_threshold, "{v:#?}");
}

#[test]
fn prose_and_markdown_are_data() {
    let e = engine(1);
    for v in [
        "Tried it on my laptop and my desktop, and it still fails (using fedora 40 & bash 5.2) any idea?",
        "Here is my deploy script that keeps failing on the CI runners:\n\n```sh\nls -la /srv/app | sort -k2\ntar -czf out-$(date +%s).tgz ./dist\n```\n\nthanks!",
        "<p style=\"color:red\"><em>Sale</em></p><img src=\"/a.png\" alt=\"shop\" width=\"600\">",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><path d=\"M0 0h8v8z\"/></svg>",
        "Go back with the ../ link at the top of the page, then read the whole chapter and come back to ../ later",
    ] {
        // Not as a header: a header holding newlines is a protocol anomaly of its own.
        for via in [Via::Query, Via::Form, Via::Json, Via::Multipart] {
            let (req, _) = common::carry(via, v);
            let verdict = req.inspect(&e);
            assert!(!verdict.over_threshold, "{v:?} via {via:?}: {verdict:#?}");
        }
    }
    // Strong constructs still count inside prose.
    for v in [
        "Great post, thanks so much for writing it all up for us; cat /etc/passwd",
        "nice article <script>alert(1)</script>",
    ] {
        let (req, _) = common::carry(Via::Json, v);
        assert!(req.inspect(&e).over_threshold, "{v}");
    }
}

#[test]
fn command_injection_evasions() {
    let e = engine(1);
    for v in [
        "`{ping,-c,9,127.0.0.1}`",
        "1;x=who;y=ami;$x$y",
        "1;$(printf '\\x69\\x64')",
        "a\r\necho owned > /tmp/p",
        "\"; chmod +x /tmp/s;/tmp/s; \"",
    ] {
        assert_attack_via(&e, &[Via::Query, Via::Json], Family::Cmdi, None, v);
    }
}

#[test]
fn template_js_and_iframe_classes() {
    let e = engine(1);
    assert_attack(
        &e,
        Family::Xss,
        Some("xss-js-string-breakout"),
        "\";alert(5);//",
    );
    assert_attack(
        &e,
        Family::Xss,
        Some("xss-js-string-breakout"),
        "'-confirm(5)-'",
    );
    // A plain embed scores below the threshold alone; a script-carrying iframe does not.
    let (req, _) = common::carry(
        Via::Json,
        "<iframe src=\"https://video.example/embed/abc\" width=\"560\"></iframe>",
    );
    let v = req.inspect(&e);
    assert!(
        !v.over_threshold && rules(&v).contains(&"xss-iframe-embed"),
        "{v:#?}"
    );
    assert_attack(&e, Family::Xss, Some("xss-dangerous-tag"), "<iframe>");
    assert_attack(
        &e,
        Family::Xss,
        Some("xss-dangerous-tag"),
        "<iframe src=data:text/html,x>",
    );
}

#[test]
fn uploads_and_serialized_objects() {
    let e = engine(1);
    for name in ["shell.php", "a.phtml", "x.php;.jpg", "x.phar"] {
        let body = format!(
            "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\nGIF89a\r\n--B--\r\n"
        );
        let v = Owned::post("/upload", "multipart/form-data; boundary=B", body).inspect(&e);
        assert!(rules(&v).contains(&"php-script-upload"), "{name}: {v:#?}");
    }
    let body = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"cat.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nGIF89a<?php echo 1; ?>\r\n--B--\r\n";
    let v = Owned::post("/upload", "multipart/form-data; boundary=B", body).inspect(&e);
    assert!(rules(&v).contains(&"php-open-tag"), "{v:#?}");
    assert_attack(&e, Family::Php, None, "a:1:{i:0;O:6:\"Logger\":0:{}}");
    assert_attack(&e, Family::Php, None, "O:+6:\"Logger\":0:{}");
    let mut raw = vec![0xac, 0xed, 0x00, 0x05, 0x73, 0x72];
    raw.extend_from_slice(b"\x00\x11java.util.HashMap");
    let v = Owned::post("/rpc", "application/octet-stream", raw).inspect(&e);
    assert!(rules(&v).contains(&"java-serialized-object"), "{v:#?}");
}

#[test]
fn remote_and_local_files() {
    let e = engine(1);
    for v in ["\\\\192.0.2.7\\pub\\x.php", "//192.0.2.7/x.txt?"] {
        assert_attack_via(&e, &[Via::Query, Via::Form], Family::Rfi, None, v);
    }
    for v in ["/etc/./passwd", "/etc//shadow", "/root/.aws/credentials"] {
        assert_attack(&e, Family::Traversal, None, v);
    }
    assert_benign(&e, "etc/passwd format explained");
    for path in [
        "/.kube/config",
        "/infra/terraform.tfstate",
        "/backup.sql.",
        "/app/storage/logs/laravel.log",
    ] {
        let v = Owned::get(path).inspect(&e);
        assert!(rules(&v).contains(&"sensitive-file-probe"), "{path}");
    }
}

#[test]
fn protocol_abuse_reaches_the_threshold() {
    let e = engine(1);
    let mut no_host = Owned::get("/");
    no_host.headers.retain(|(n, _)| n != "Host");
    assert!(no_host.inspect(&e).over_threshold);
    let mut trace = Owned::get("/");
    trace.method = "TRACE".into();
    assert!(trace.inspect(&e).over_threshold);
    let mut many = Owned::get("/");
    for i in 0..150 {
        many.headers.push((format!("X-H{i}"), b"1".to_vec()));
    }
    assert!(many.inspect(&e).over_threshold);
    for target in ["/a\\b.aspx", "/%zz", "/q?a b"] {
        assert!(Owned::get(target).inspect(&e).over_threshold, "{target}");
    }
    let bad_name = Owned::get("/").header("Content-Length ", "0");
    assert!(bad_name.inspect(&e).over_threshold);
    let v = Owned::get("/")
        .header("Acunetix-Aspect", "enabled")
        .inspect(&e);
    assert!(rules(&v).contains(&"scanner-header"));
    assert!(Owned::get("/ok").inspect(&e).findings.is_empty());
}
