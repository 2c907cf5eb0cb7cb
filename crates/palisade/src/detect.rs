//! `palisade detect`: runs the detection engine on one request and prints the verdict — for
//! tuning exclusions, and for trying a payload. Exit 0: under the threshold; 1: an attack;
//! 2: bad input.

use std::io::{Read, Write};

use anyhow::Context;
use palisade_detect::{Engine, Request, Verdict};

use crate::Failure;
use crate::cli::{DetectArgs, PayloadPlace};
use crate::commands::load_config;

/// An owned request, parsed or built.
struct Owned {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Owned {
    fn get(target: String) -> Owned {
        Owned {
            method: "GET".into(),
            target,
            headers: vec![("host".into(), b"localhost".to_vec())],
            body: Vec::new(),
        }
    }
}

/// Parses a raw HTTP/1 request: request line, headers, blank line, body.
fn parse_raw(raw: &[u8]) -> Result<Owned, String> {
    let mut headers = [httparse::EMPTY_HEADER; 256];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        // No blank line after the headers: take everything as the head.
        Ok(httparse::Status::Partial) => {
            let mut with_end = raw.to_vec();
            with_end.extend_from_slice(b"\r\n\r\n");
            let mut headers = [httparse::EMPTY_HEADER; 256];
            let mut again = httparse::Request::new(&mut headers);
            return match again.parse(&with_end) {
                Ok(httparse::Status::Complete(_)) => Ok(owned(&again, Vec::new())),
                _ => Err("not a complete HTTP request (request line, headers, blank line)".into()),
            };
        }
        Err(e) => return Err(format!("not an HTTP request: {e}")),
    };
    Ok(owned(&req, raw[head_len..].to_vec()))
}

fn owned(req: &httparse::Request<'_, '_>, body: Vec<u8>) -> Owned {
    Owned {
        method: req.method.unwrap_or("GET").to_owned(),
        target: req.path.unwrap_or("/").to_owned(),
        headers: req
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
            .collect(),
        body,
    }
}

fn from_url(url: &str) -> Owned {
    // Keep only the path and query of a full URL; the host goes in the Host header.
    let (host, target) = match url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_owned()),
            None => (rest, "/".to_owned()),
        },
        None if url.starts_with('/') => ("localhost", url.to_owned()),
        None => ("localhost", format!("/{url}")),
    };
    let mut r = Owned::get(target);
    r.headers[0].1 = host.as_bytes().to_vec();
    r
}

fn with_payload(payload: &str, place: PayloadPlace) -> Owned {
    let encoded: String = form_urlencoded::byte_serialize(payload.as_bytes()).collect();
    let mut r = Owned::get("/".into());
    match place {
        PayloadPlace::Query => r.target = format!("/search?q={encoded}"),
        PayloadPlace::Path => {
            let path: String = payload
                .bytes()
                .map(|b| match b {
                    b'?' | b'#' | b' ' | b'%' => format!("%{b:02X}"),
                    b if b.is_ascii_graphic() => (b as char).to_string(),
                    b => format!("%{b:02X}"),
                })
                .collect();
            r.target = if path.starts_with('/') {
                path
            } else {
                format!("/{path}")
            };
        }
        PayloadPlace::Form => {
            r.method = "POST".into();
            r.target = "/submit".into();
            r.headers.push((
                "content-type".into(),
                b"application/x-www-form-urlencoded".to_vec(),
            ));
            r.body = format!("q={encoded}").into_bytes();
        }
        PayloadPlace::Json => {
            r.method = "POST".into();
            r.target = "/api".into();
            r.headers
                .push(("content-type".into(), b"application/json".to_vec()));
            r.body = serde_json::json!({ "q": payload }).to_string().into_bytes();
        }
        PayloadPlace::Cookie => r
            .headers
            .push(("cookie".into(), format!("q={encoded}").into_bytes())),
        PayloadPlace::Header => r
            .headers
            .push(("user-agent".into(), payload.as_bytes().to_vec())),
    }
    if !r.body.is_empty() {
        r.headers.push((
            "content-length".into(),
            r.body.len().to_string().into_bytes(),
        ));
    }
    r
}

/// `palisade detect`
pub fn run(args: DetectArgs) -> Result<(), Failure> {
    let loaded = load_config(args.config.as_deref())?;
    let mut config = loaded.config.detect.engine_config();
    if let Some(p) = args.paranoia {
        config.paranoia = p;
    }
    let engine = Engine::new(config).map_err(|e| Failure::Input(format!("[detect] {e}")))?;
    let request = if let Some(url) = &args.url {
        from_url(url)
    } else if let Some(payload) = &args.payload {
        with_payload(payload, args.place)
    } else {
        let mut raw = Vec::new();
        match args.file.as_deref() {
            None => std::io::stdin().read_to_end(&mut raw).map(|_| ()),
            Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut raw).map(|_| ()),
            Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut raw).map(|_| ())),
        }
        .map_err(|e| Failure::Input(format!("cannot read the request: {e}")))?;
        // Files written by hand often have bare \n line ends.
        if !raw.windows(2).any(|w| w == b"\r\n") {
            raw = String::from_utf8_lossy(&raw)
                .replace('\n', "\r\n")
                .into_bytes();
        }
        let name = args
            .file
            .as_ref()
            .map_or("<stdin>".to_owned(), |p| p.display().to_string());
        parse_raw(&raw).map_err(|e| Failure::Input(format!("{name}: {e}")))?
    };
    let headers: Vec<(&str, &[u8])> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let limit = engine.config().body_limit.min(request.body.len());
    let verdict = engine.inspect(&Request {
        method: &request.method,
        target: &request.target,
        headers: &headers,
        body: &request.body[..limit],
    });
    render(&verdict, engine.config().threshold, args.json).context("writing the verdict")?;
    if verdict.over_threshold {
        // 1: findings, the cargo-audit convention.
        std::process::exit(1);
    }
    Ok(())
}

fn render(verdict: &Verdict, threshold: u32, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(verdict).unwrap_or_default()
        )?;
        return Ok(());
    }
    let what = if verdict.over_threshold {
        "an attack: blocked in block mode, recorded in monitor mode"
    } else if verdict.findings.is_empty() {
        "nothing found"
    } else {
        "below the threshold: allowed"
    };
    writeln!(
        out,
        "score {} (threshold {threshold}): {what}",
        verdict.score
    )?;
    for f in &verdict.findings {
        writeln!(
            out,
            "  +{:<2} {:<28} {:<14} PL{}  {:<8}  at {:<24} {}",
            f.score,
            f.rule,
            f.family.as_str(),
            f.paranoia,
            f.severity.as_str(),
            f.location.to_string(),
            f.excerpt
        )?;
    }
    Ok(())
}
