//! One inspection: split the request into values, normalise each, run the families, turn hits
//! into findings (excluded, deduplicated, scored).

use std::borrow::Cow;
use std::cell::RefCell;

use crate::config::CompiledExclusion;
use crate::families::{
    Families, Hits, Place, View, prefilter, protocol, scanner::Scanner, sensitive::Sensitive,
};
use crate::location::LocRef;
use crate::memo::Memo;
use crate::normalise::{Encoding, Forms, collapse_path, decode_name};
use crate::parse::{self, BodyKind, cookie, json, multipart, query};
use crate::{DetectConfig, Finding, Request, Verdict};

/// Findings kept at most: past this the request is over any sane threshold already, and a
/// bound keeps the verdict's size independent of the input.
pub const MAX_FINDINGS: usize = 128;

/// Everything compiled once by `Engine::new`.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub families: Families,
    pub sensitive: Sensitive,
    pub scanner: Scanner,
    pub exclusions: Vec<CompiledExclusion>,
}

/// Capacity a scratch buffer keeps between inspections: enough for the common request, while a
/// thread that once saw a large body does not hold on to its buffers.
const RETAINED: usize = 16 * 1024;

/// Buffers reused by the inspections on one thread, so a request does not allocate them anew.
#[derive(Debug, Default)]
struct Scratch {
    forms: Forms,
    memo: Memo,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// The state of one inspection.
struct Run<'e> {
    config: &'e DetectConfig,
    compiled: &'e Compiled,
    /// Exclusions whose path prefix matches this request.
    exclusions: Vec<&'e CompiledExclusion>,
    findings: Vec<Finding>,
    score: u32,
    work: u64,
    forms: &'e mut Forms,
    hits: Hits,
    /// Results of body values already inspected (see [`Memo`]). Only bodies use it: they are
    /// where values repeat, and a handful of query parameters would only pay for hashing.
    memo: Option<&'e mut Memo>,
}

impl Run<'_> {
    /// Inspects one value.
    fn value(&mut self, loc: LocRef<'_>, raw: &[u8], encoding: Encoding, place: Place) {
        self.work += 1 + raw.len() as u64;
        if raw.is_empty() || self.findings.len() >= MAX_FINDINGS {
            return;
        }
        let secret = loc.is_secret();
        debug_assert!(self.hits.list.is_empty(), "hits flushed after every value");
        if let Some((hits, work)) = self
            .memo
            .as_ref()
            .and_then(|m| m.get(raw, encoding, place, secret))
        {
            self.hits.list.extend_from_slice(hits);
            self.work += work;
            self.flush(loc);
            return;
        }
        let mut work = self.forms.build(raw, encoding);
        let (seen, decoded, folded) = (&self.forms.seen, &self.forms.decoded, &self.forms.folded);
        let families = &self.compiled.families;
        let view = View::new(seen, decoded, folded, place, families.prefilter());
        self.hits.secret = secret;
        work += families.check(&view, &mut self.hits);
        if view.has(b".") && view.keyword(prefilter::OAST) {
            work += self.compiled.scanner.oast(folded, &mut self.hits);
        }
        self.work += work;
        if let Some(memo) = &mut self.memo {
            memo.insert(raw, encoding, place, secret, &self.hits.list, work);
        }
        self.flush(loc);
    }

    /// Turns the pending hits into findings at `loc`.
    fn flush(&mut self, loc: LocRef<'_>) {
        for (rule, excerpt) in self.hits.list.drain(..) {
            if self.findings.len() >= MAX_FINDINGS {
                break;
            }
            if self.exclusions.iter().any(|e| e.drops(rule, loc)) {
                continue;
            }
            if self
                .findings
                .iter()
                .any(|f| f.rule == rule.id && loc.is(&f.location))
            {
                continue;
            }
            let score = rule.severity.points();
            self.score = self.score.saturating_add(score);
            self.findings.push(Finding {
                rule: rule.id,
                family: rule.family,
                paranoia: rule.paranoia,
                severity: rule.severity,
                location: loc.to_location(),
                excerpt,
                score,
            });
        }
    }
}

/// Inspects `req` with `compiled` rules.
pub(crate) fn run(config: &DetectConfig, compiled: &Compiled, req: &Request<'_>) -> Verdict {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let verdict = inspect(config, compiled, req, &mut scratch);
            scratch.forms.trim(RETAINED);
            verdict
        }
        // Only if an inspection were nested in another on this thread: fresh buffers then.
        Err(_) => inspect(config, compiled, req, &mut Scratch::default()),
    })
}

fn inspect<'e>(
    config: &'e DetectConfig,
    compiled: &'e Compiled,
    req: &Request<'_>,
    scratch: &'e mut Scratch,
) -> Verdict {
    let Scratch { forms, memo } = scratch;
    memo.clear();
    let mut run = Run {
        config,
        compiled,
        exclusions: Vec::new(),
        findings: Vec::new(),
        score: 0,
        work: 0,
        forms,
        hits: Hits {
            paranoia: config.paranoia,
            secret: false,
            list: Vec::new(),
        },
        memo: None,
    };
    let target = req.target.as_bytes();
    let target = &target[..memchr::memchr(b'#', target).unwrap_or(target.len())];
    let (path, query_string) = match memchr::memchr(b'?', target) {
        Some(q) => (&target[..q], &target[q + 1..]),
        None => (target, &b""[..]),
    };

    // The path: normalised once, its collapsed form is what exclusions and probes see.
    run.work += run.forms.build(path, Encoding::Path);
    let mut norm_path = String::new();
    collapse_path(&run.forms.folded, &mut norm_path);
    run.exclusions = compiled
        .exclusions
        .iter()
        .filter(|e| e.applies_to_path(&norm_path))
        .collect();
    run.work += compiled.sensitive.check(&norm_path, &mut run.hits);
    run.work += compiled.scanner.path(&norm_path, &mut run.hits);
    {
        let forms = &run.forms;
        let prefilter = compiled.families.prefilter();
        let view = View::new(
            &forms.seen,
            &forms.decoded,
            &norm_path,
            Place::Path,
            prefilter,
        );
        run.work += compiled.families.check(&view, &mut run.hits);
    }
    run.flush(LocRef::Path);
    // The path as a value: from the first segment holding a character no plain slug, id or
    // file name has, to the end (`/api/items/1' or 'a'='a`, `/files/1;sleep 9`).
    if let Some(tail) = path_tail(path) {
        run.value(LocRef::Path, tail, Encoding::Path, Place::Segment);
    }

    let mut name = String::new();
    let mut scratch = Vec::new();
    query::pairs(query_string, |n, v| {
        decode_name(n, true, &mut scratch, &mut name);
        run.value(LocRef::QueryName(&name), n, Encoding::Query, Place::Name);
        run.value(LocRef::Query(&name), v, Encoding::Query, Place::Param);
    });

    headers(&mut run, req);
    let mut hits = std::mem::take(&mut run.hits);
    run.work += protocol::check(req, &mut hits);
    run.hits = hits;
    run.flush(LocRef::Request);

    run.memo = Some(memo);
    body(&mut run, req);

    let over_threshold = run.score >= config.threshold;
    Verdict {
        findings: run.findings,
        score: run.score,
        over_threshold,
        work: run.work,
    }
}

/// Header names checked by default besides `extra_headers`.
const INSPECTED: &[&str] = &["user-agent", "referer", "x-forwarded-for"];

fn headers(run: &mut Run<'_>, req: &Request<'_>) {
    let mut lower = String::new();
    for &(name, value) in req.headers {
        run.compiled.scanner.header_name(name, &mut run.hits);
        lower.clear();
        lower.push_str(name);
        lower.make_ascii_lowercase();
        run.flush(LocRef::Header(&lower));
        if lower == "cookie" {
            cookie::cookies(value, |n, v| {
                let n = String::from_utf8_lossy(n);
                run.value(LocRef::Cookie(&n), v, Encoding::Plain, Place::Param);
            });
            continue;
        }
        if lower == "user-agent" {
            let ua = String::from_utf8_lossy(value);
            run.work += run.compiled.scanner.user_agent(&ua, &mut run.hits);
            run.flush(LocRef::Header(&lower));
        }
        if lower == "referer"
            && let Some(q) = memchr::memchr(b'?', value)
            && value[q + 1..]
                .iter()
                .any(|&b| is_odd_path_byte(b) && !b"=&+,".contains(&b))
        {
            // A URL whose query holds more than words: its query values are parameters (of
            // another page), read with the same gates as ours; the rest is a header value.
            let (url, query_string) = (&value[..q], &value[q + 1..]);
            let query_string =
                &query_string[..memchr::memchr(b'#', query_string).unwrap_or(query_string.len())];
            run.value(LocRef::Header(&lower), url, Encoding::Plain, Place::Header);
            query::pairs(query_string, |_, v| {
                run.value(LocRef::Header(&lower), v, Encoding::Query, Place::Param);
            });
            continue;
        }
        if INSPECTED.contains(&lower.as_str()) || run.config.extra_headers.contains(&lower) {
            run.value(
                LocRef::Header(&lower),
                value,
                Encoding::Plain,
                Place::Header,
            );
        }
    }
}

fn body(run: &mut Run<'_>, req: &Request<'_>) {
    let body = &req.body[..req.body.len().min(run.config.body_limit)];
    if body.is_empty() {
        return;
    }
    let content_type = req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| *v);
    let mut name = String::new();
    let mut scratch = Vec::new();
    match parse::body_kind(content_type, body) {
        BodyKind::Form => query::pairs(body, |n, v| {
            decode_name(n, true, &mut scratch, &mut name);
            run.value(LocRef::Form(&name), n, Encoding::Query, Place::Name);
            run.value(LocRef::Form(&name), v, Encoding::Query, Place::Param);
        }),
        BodyKind::Json => {
            run.work += json::walk(body, |pointer, text| {
                run.value(LocRef::Json(pointer), text, Encoding::Plain, Place::Param);
            });
        }
        BodyKind::Multipart(boundary) => {
            run.work += multipart::parts(body, boundary, |part| {
                let n: Cow<'_, str> = String::from_utf8_lossy(part.name);
                run.value(
                    LocRef::Multipart(&n),
                    part.name,
                    Encoding::Plain,
                    Place::Name,
                );
                if let Some(f) = part.filename {
                    run.value(LocRef::Filename(&n), f, Encoding::Plain, Place::Filename);
                }
                if let Some(t) = part.text {
                    run.value(LocRef::Multipart(&n), t, Encoding::Plain, Place::Param);
                }
            });
        }
        BodyKind::Text => run.value(LocRef::Body, body, Encoding::Plain, Place::Body),
        BodyKind::Binary => {
            run.work += body.len() as u64;
            let java = content_type.is_some_and(|ct| {
                memchr::memmem::find(&ct.to_ascii_lowercase(), b"java-serialized-object").is_some()
            });
            if java || body.starts_with(JAVA_MAGIC) {
                run.hits
                    .add(&crate::families::java::SERIALIZED, "aced0005", 0..8);
                run.flush(LocRef::Body);
            }
        }
    }
}

/// The stream header of a Java serialization stream (`AC ED 00 05`).
const JAVA_MAGIC: &[u8] = &[0xac, 0xed, 0x00, 0x05];

/// Bytes a plain path segment (slug, id, file name) does not hold.
fn is_odd_path_byte(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/' | b':'))
}

/// The raw path from the start of its first segment holding an odd byte, if any.
fn path_tail(path: &[u8]) -> Option<&[u8]> {
    let odd = path.iter().position(|&b| is_odd_path_byte(b))?;
    let start = path[..odd]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |p| p + 1);
    Some(&path[start..])
}
