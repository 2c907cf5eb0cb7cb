//! `palisade headers check URL`: fetches a page the way the Mozilla HTTP Observatory does and
//! leaves the grading to `palisade_grade`.
//!
//! The fetch follows redirects by hand (at most 10) to record the chain; a certificate that
//! does not verify is noted and the fetch retried without verification, as the Observatory
//! does, so the other tests still run. For an `https://` URL the plain-HTTP site is probed for
//! the redirection test (`--http-url`, or `http://host/` when the URL uses the default port);
//! for an `http://` URL the fetch itself is that chain. A CORS preflight from a foreign origin
//! goes to the final URL. Nothing else is fetched (the Observatory also reads `/robots.txt`
//! for cookies), and the HSTS preload list is not consulted: palisade has no copy offline.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use palisade_grade::{
    CORS_PROBE_ORIGIN, Certificate, CorsPreflight, Grade, Hop, HttpProbe, Observation, Report,
    Response, Url, Verdict,
};

use crate::Failure;
use crate::cli::HeadersCheckArgs;

/// The Observatory follows at most this many redirects.
const MAX_REDIRECTS: usize = 10;
/// Only this much of the body is read: enough for any page's `<head>` and scripts, and a bound
/// on memory whatever the server sends.
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The statuses the Observatory follows.
const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
/// The Observatory's `Accept`: some servers answer differently to a browser-like request.
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Fetches and grades the URL.
pub fn run(args: HeadersCheckArgs) -> Result<(), Failure> {
    let url = web_url(&args.url, "URL")?;
    let http_url = args
        .http_url
        .as_deref()
        .map(|u| web_url(u, "--http-url"))
        .transpose()?;
    if let Some(http) = &http_url
        && http.scheme() != "http"
    {
        return Err(Failure::Input(format!(
            "--http-url {http} must be an http:// URL"
        )));
    }
    let fail_under = args
        .fail_under
        .as_deref()
        .map(|g| {
            g.parse::<Grade>()
                .map_err(|e| Failure::Input(format!("--fail-under: {e}")))
        })
        .transpose()?;
    let roots = match &args.ca_cert {
        Some(path) => read_ca(path)?,
        None => Vec::new(),
    };

    let clients = Clients::new(&roots, args.timeout)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime")?;
    let observation = rt.block_on(observe(&clients, url, http_url))?;
    let report = palisade_grade::grade(&observation);

    if args.json {
        let json = serde_json::to_string_pretty(&report).context("encoding the report")?;
        println!("{json}");
    } else {
        print!("{}", render_table(&report));
    }
    match fail_under {
        Some(minimum) if report.grade < minimum => Err(Failure::Runtime(anyhow!(
            "grade {} is below --fail-under {minimum}",
            report.grade
        ))),
        _ => Ok(()),
    }
}

/// An absolute `http://` or `https://` URL, or an input error naming `what`.
fn web_url(raw: &str, what: &str) -> Result<Url, Failure> {
    let url = Url::parse(raw).map_err(|e| Failure::Input(format!("{what} {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::Input(format!(
            "{what} {raw:?}: expected an http:// or https:// URL"
        )));
    }
    Ok(url)
}

fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, Failure> {
    let pem = std::fs::read(path)
        .map_err(|e| Failure::Input(format!("--ca-cert {}: {e}", path.display())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| Failure::Input(format!("--ca-cert {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Failure::Input(format!(
            "--ca-cert {}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// One client that verifies certificates and one that does not, for the retry after a
/// certificate error. Neither follows redirects: the chain is what the redirection test judges.
struct Clients {
    verified: reqwest::Client,
    unverified: reqwest::Client,
}

impl Clients {
    fn new(roots: &[reqwest::Certificate], timeout: Duration) -> Result<Clients, Failure> {
        let build = |accept_invalid: bool| {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .user_agent(concat!(
                    "palisade-headers-check/",
                    env!("CARGO_PKG_VERSION")
                ))
                .danger_accept_invalid_certs(accept_invalid);
            for root in roots {
                builder = builder.add_root_certificate(root.clone());
            }
            builder.build().context("building the HTTP client")
        };
        Ok(Clients {
            verified: build(false)?,
            unverified: build(true)?,
        })
    }

    fn for_certificate(&self, certificate: Certificate) -> &reqwest::Client {
        match certificate {
            Certificate::Valid => &self.verified,
            Certificate::Invalid => &self.unverified,
        }
    }
}

/// A fetch followed to its end.
struct Fetched {
    /// The redirects before the final response.
    redirects: Vec<Hop>,
    response: Response,
}

impl Fetched {
    /// The whole chain, final response included, for the redirection test.
    fn chain(&self) -> HttpProbe {
        let mut hops = self.redirects.clone();
        hops.push(Hop::new(self.response.url.clone(), self.response.status));
        HttpProbe::Chain {
            hops,
            certificate: self.response.certificate,
        }
    }
}

async fn observe(
    clients: &Clients,
    url: Url,
    http_url: Option<Url>,
) -> Result<Observation, Failure> {
    let fetched = fetch(clients, &url)
        .await
        .map_err(|e| Failure::Runtime(anyhow!("fetching {url}: {}", error_chain(&e))))?;
    let probe = if url.scheme() == "http" {
        Some(fetched.chain())
    } else {
        match http_url.or_else(|| default_http_url(&url)) {
            Some(http) => Some(match fetch(clients, &http).await {
                Ok(probed) => probed.chain(),
                Err(_) => HttpProbe::Unreachable,
            }),
            None => None,
        }
    };
    let preflight = cors_preflight(
        clients.for_certificate(fetched.response.certificate),
        &fetched.response.url,
    )
    .await;

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut observation = Observation::new(fetched.response)
        .redirected_through(fetched.redirects)
        .at(now);
    if let Some(probe) = probe {
        observation = observation.http_probe(probe);
    }
    if let Some(preflight) = preflight {
        observation = observation.cors_preflight(preflight);
    }
    Ok(observation)
}

/// `http://host/` for a URL on the default HTTPS port; a site on another port has no known
/// plain-HTTP counterpart.
fn default_http_url(url: &Url) -> Option<Url> {
    if url.port().is_some() {
        return None;
    }
    Url::parse(&format!("http://{}/", url.host_str()?)).ok()
}

/// Fetches `url`, retrying without verification after a certificate error.
async fn fetch(clients: &Clients, url: &Url) -> Result<Fetched, reqwest::Error> {
    match follow(&clients.verified, url).await {
        Err(e) if is_certificate_error(&e) => {
            let mut fetched = follow(&clients.unverified, url).await?;
            fetched.response.certificate = Certificate::Invalid;
            Ok(fetched)
        }
        other => other,
    }
}

async fn follow(client: &reqwest::Client, start: &Url) -> Result<Fetched, reqwest::Error> {
    let mut url = start.clone();
    let mut redirects = Vec::new();
    loop {
        let response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, ACCEPT)
            .send()
            .await?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let next = (REDIRECT_STATUSES.contains(&status) && redirects.len() < MAX_REDIRECTS)
            .then(|| response.headers().get(reqwest::header::LOCATION))
            .flatten()
            .and_then(|location| location.to_str().ok())
            .and_then(|location| url.join(location).ok())
            .filter(|next| matches!(next.scheme(), "http" | "https"));
        if let Some(next) = next {
            let mut hop = Hop::new(url, status);
            hop.set_cookies = values(&headers, "set-cookie");
            redirects.push(hop);
            url = next;
            continue;
        }
        let mut graded = Response::new(url, status).headers(headers);
        if keeps_body(&graded) {
            graded = graded.body(read_body(response).await?);
        }
        return Ok(Fetched {
            redirects,
            response: graded,
        });
    }
}

fn values(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .collect()
}

/// The body matters only for HTML (meta policies, scripts); without a `Content-Type` the
/// Observatory parses it as HTML too.
fn keeps_body(response: &Response) -> bool {
    match response.values("content-type").next() {
        None => true,
        Some(content_type) => {
            let mime = content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            mime.is_empty() || mime == "text/html" || mime == "application/xhtml+xml"
        }
    }
}

/// Reads at most [`MAX_BODY`] bytes; the rest is left unread.
async fn read_body(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The Observatory's preflight: `OPTIONS` from a foreign origin. Only a 2xx answer counts.
async fn cors_preflight(client: &reqwest::Client, url: &Url) -> Option<CorsPreflight> {
    let response = client
        .request(reqwest::Method::OPTIONS, url.clone())
        .header(reqwest::header::ORIGIN, CORS_PROBE_ORIGIN)
        .header(reqwest::header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut preflight = CorsPreflight::new(CORS_PROBE_ORIGIN);
    for (name, value) in response.headers() {
        preflight = preflight.header(
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    Some(preflight)
}

/// Whether the TLS handshake failed on the peer's certificate. rustls reports it as
/// "invalid peer certificate: …" somewhere down reqwest's error chain.
fn is_certificate_error(e: &reqwest::Error) -> bool {
    e.is_connect() && error_chain(e).contains("invalid peer certificate")
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let message = inner.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = inner.source();
    }
    text
}

/// The table: test, result id, modifier, pass/fail, description; then the score and grade.
fn render_table(report: &Report) -> String {
    let rows: Vec<[String; 5]> = report
        .tests
        .iter()
        .map(|t| {
            [
                t.test.name().to_owned(),
                t.result.id().to_owned(),
                modifier(t.modifier),
                match t.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "FAIL",
                    Verdict::NotTested => "n/a",
                }
                .to_owned(),
                t.description.to_owned(),
            ]
        })
        .collect();
    let header = ["TEST", "RESULT", "MODIFIER", "PASS", "DESCRIPTION"].map(str::to_owned);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        )
    };
    let mut out = format!("{} ({})\n\n", report.url, report.status);
    out.push_str(&line(&header));
    for (row, test) in rows.iter().zip(&report.tests) {
        out.push_str(&line(row));
        if let Some(note) = &test.note {
            out.push_str(&format!("{:w$}  note: {note}\n", "", w = widths[0]));
        }
    }
    for note in &report.notes {
        out.push_str(&format!("\nnote: {note}"));
    }
    out.push_str(&format!(
        "\nScore: {}/100  Grade: {}\n",
        report.score, report.grade
    ));
    out
}

fn modifier(m: i32) -> String {
    if m > 0 {
        format!("+{m}")
    } else {
        m.to_string()
    }
}
