//! Helpers shared by the integration tests: build requests that carry one value through each
//! location the engine inspects (STYLE habit 12).
#![allow(dead_code)]

use palisade_detect::{DetectConfig, Engine, Family, Location, Request, Verdict};

/// Where a test value is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Query,
    Form,
    Json,
    Header,
    Cookie,
    Multipart,
}

pub const ALL: &[Via] = &[
    Via::Query,
    Via::Form,
    Via::Json,
    Via::Header,
    Via::Cookie,
    Via::Multipart,
];

/// An engine with `x-search` inspected as an extra header.
pub fn engine(paranoia: u8) -> Engine {
    Engine::new(DetectConfig {
        paranoia,
        extra_headers: vec!["x-search".into()],
        ..DetectConfig::default()
    })
    .expect("valid config")
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An owned request, borrowed as a [`Request`] by [`Owned::inspect`].
pub struct Owned {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Owned {
    pub fn get(target: &str) -> Self {
        Self {
            method: "GET".into(),
            target: target.into(),
            headers: vec![
                ("Host".into(), b"shop.example".to_vec()),
                (
                    "User-Agent".into(),
                    b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
                        .to_vec(),
                ),
                (
                    "Accept".into(),
                    b"text/html,application/xhtml+xml;q=0.9,*/*;q=0.8".to_vec(),
                ),
            ],
            body: Vec::new(),
        }
    }

    pub fn post(target: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut r = Self::get(target);
        r.method = "POST".into();
        r.body = body.into();
        r.headers
            .push(("Content-Type".into(), content_type.as_bytes().to_vec()));
        r.headers.push((
            "Content-Length".into(),
            r.body.len().to_string().into_bytes(),
        ));
        r
    }

    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn inspect(&self, engine: &Engine) -> Verdict {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        engine.inspect(&Request {
            method: &self.method,
            target: &self.target,
            headers: &headers,
            body: &self.body,
        })
    }
}

/// A request carrying `value` via `via`, and the location a finding on it must report.
pub fn carry(via: Via, value: &str) -> (Owned, Location) {
    match via {
        Via::Query => (
            Owned::get(&format!("/search?page=2&q={}", encode(value))),
            Location::Query("q".into()),
        ),
        Via::Form => (
            Owned::post(
                "/submit",
                "application/x-www-form-urlencoded",
                format!("page=2&q={}", encode(value)),
            ),
            Location::Form("q".into()),
        ),
        Via::Json => {
            let body = serde_json::json!({"data": {"items": [{"q": value}], "page": 2}});
            (
                Owned::post("/api/items", "application/json", body.to_string()),
                Location::Json("/data/items/0/q".into()),
            )
        }
        Via::Header => (
            Owned::get("/").header("X-Search", value.as_bytes()),
            Location::Header("x-search".into()),
        ),
        Via::Cookie => (
            Owned::get("/").header(
                "Cookie",
                format!("sid=abc123; q={}", encode(value)).into_bytes(),
            ),
            Location::Cookie("q".into()),
        ),
        Via::Multipart => {
            let body = format!(
                "--b0und\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n{value}\r\n--b0und\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\u{1}PNG\r\n--b0und--\r\n"
            );
            (
                Owned::post("/upload", "multipart/form-data; boundary=b0und", body),
                Location::Multipart("q".into()),
            )
        }
    }
}

/// Asserts `value` is detected as `family` (and `rule`, when given) at its location on every path.
pub fn assert_attack(engine: &Engine, family: Family, rule: Option<&str>, value: &str) {
    assert_attack_via(engine, ALL, family, rule, value);
}

/// [`assert_attack`] on some paths only.
pub fn assert_attack_via(
    engine: &Engine,
    vias: &[Via],
    family: Family,
    rule: Option<&str>,
    value: &str,
) {
    for &via in vias {
        if via == Via::Header && value.contains(['\n', '\r']) {
            continue;
        }
        let (req, loc) = carry(via, value);
        let v = req.inspect(engine);
        let hit = v
            .findings
            .iter()
            .any(|f| f.family == family && f.location == loc && rule.is_none_or(|r| r == f.rule));
        assert!(
            hit,
            "{family:?}/{rule:?} not found for {value:?} via {via:?} at {loc:?}: {:#?}",
            v.findings
        );
        assert!(
            v.over_threshold,
            "{value:?} via {via:?} under threshold: {:#?}",
            v.findings
        );
    }
}

/// Asserts `value` yields no finding on any path.
pub fn assert_benign(engine: &Engine, value: &str) {
    for &via in ALL {
        let (req, _) = carry(via, value);
        let v = req.inspect(engine);
        assert!(
            v.findings.is_empty(),
            "false positive for {value:?} via {via:?}: {:#?}",
            v.findings
        );
    }
}
