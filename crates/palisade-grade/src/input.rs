//! What the grader looks at: the final response of a fetch, the redirects that led to it, the
//! plain-HTTP probe for the redirection test and the CORS preflight. The I/O shell fills these
//! in; the grader never fetches anything itself.

use url::Url;

/// The response the page finally answered with (after any redirects).
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered (the end of the redirect chain).
    pub url: Url,
    /// The HTTP status code.
    pub status: u16,
    /// Every header line, in order, names as sent; repeated headers (`Set-Cookie`) appear
    /// once per line.
    pub headers: Vec<(String, String)>,
    /// The body, when the response is HTML (or has no `Content-Type`); bounded by the caller.
    pub body: Option<String>,
    /// Whether the TLS certificate chain verified (meaningless for `http://`).
    pub certificate: Certificate,
}

/// The outcome of TLS certificate verification for an `https://` fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Certificate {
    /// The chain verified against the trusted roots (or the fetch used plain HTTP).
    #[default]
    Valid,
    /// Verification failed; the fetch was retried without verification, like the Observatory
    /// does, so the other tests still run.
    Invalid,
}

impl Response {
    /// A response from `url` with `status`, no headers, no body and a valid certificate.
    pub fn new(url: Url, status: u16) -> Self {
        Response {
            url,
            status,
            headers: Vec::new(),
            body: None,
            certificate: Certificate::Valid,
        }
    }

    /// Adds one header line.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds header lines in order.
    #[must_use]
    pub fn headers<N, V>(mut self, lines: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        self.headers
            .extend(lines.into_iter().map(|(n, v)| (n.into(), v.into())));
        self
    }

    /// Sets the (HTML) body.
    #[must_use]
    pub fn body(mut self, html: impl Into<String>) -> Self {
        self.body = Some(html.into());
        self
    }

    /// Marks the certificate chain as invalid.
    #[must_use]
    pub fn invalid_certificate(mut self) -> Self {
        self.certificate = Certificate::Invalid;
        self
    }

    /// Every value of the header `name` (case-insensitive), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The header as the Observatory sees it: Node.js joins repeated lines with `", "`, so a
    /// doubled `X-Frame-Options: DENY` reads as `DENY, DENY` (and is invalid there too).
    pub(crate) fn joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self.values(name).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Like [`Response::joined`], but `None` for an empty value: the Observatory tests the
    /// header with JavaScript truthiness, so an empty header counts as absent.
    pub(crate) fn non_empty(&self, name: &str) -> Option<String> {
        self.joined(name).filter(|v| !v.is_empty())
    }

    /// The media type of `Content-Type`, lowercased, without parameters (Node keeps only the
    /// first of repeated `Content-Type` lines).
    pub(crate) fn mime(&self) -> Option<String> {
        let first = self.values("content-type").next()?;
        let mime = first.split(';').next().unwrap_or("").trim();
        Some(mime.to_ascii_lowercase())
    }

    /// Whether the page is HTML by its `Content-Type`.
    pub(crate) fn is_html(&self) -> bool {
        self.mime()
            .is_some_and(|m| m == "text/html" || m == "application/xhtml+xml")
    }

    /// Whether the response came over HTTPS.
    pub(crate) fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }
}

/// One response on a redirect chain.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The URL requested.
    pub url: Url,
    /// The status it answered with.
    pub status: u16,
    /// Its `Set-Cookie` lines: a browser keeps cookies set by redirects, and so does the
    /// Observatory's cookie jar.
    pub set_cookies: Vec<String>,
}

impl Hop {
    /// A hop to `url` that answered `status`, setting no cookies.
    pub fn new(url: Url, status: u16) -> Self {
        Hop {
            url,
            status,
            set_cookies: Vec::new(),
        }
    }

    /// Adds a `Set-Cookie` line.
    #[must_use]
    pub fn set_cookie(mut self, line: impl Into<String>) -> Self {
        self.set_cookies.push(line.into());
        self
    }
}

/// What fetching the plain-HTTP version of the site gave, for the redirection test.
#[derive(Debug, Clone)]
pub enum HttpProbe {
    /// Nothing answered over plain HTTP (`redirection-not-needed-no-http`).
    Unreachable,
    /// The chain of responses, starting with the `http://` URL and ending with the response
    /// that did not redirect.
    Chain {
        /// Every response in order, the first one the `http://` URL.
        hops: Vec<Hop>,
        /// Whether an `https://` hop needed an invalid certificate.
        certificate: Certificate,
    },
}

impl HttpProbe {
    /// A chain whose certificates (if any) verified.
    pub fn chain(hops: Vec<Hop>) -> Self {
        HttpProbe::Chain {
            hops,
            certificate: Certificate::Valid,
        }
    }
}

/// The answer to the CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method: GET`) the Observatory sends to the final URL.
#[derive(Debug, Clone)]
pub struct CorsPreflight {
    /// The `Origin` the probe sent: a server echoing it back with credentials allowed is
    /// reflecting any origin.
    pub origin: String,
    /// The response's header lines.
    pub headers: Vec<(String, String)>,
}

impl CorsPreflight {
    /// The answer to a preflight sent with `origin`.
    pub fn new(origin: impl Into<String>) -> Self {
        CorsPreflight {
            origin: origin.into(),
            headers: Vec::new(),
        }
    }

    /// Adds one header line of the answer.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(crate) fn first(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// The origin the shell's CORS preflight sends: not a real site, so any server that echoes it
/// back is reflecting arbitrary origins.
pub const CORS_PROBE_ORIGIN: &str = "https://grader.palisade.invalid";

/// Everything one grading looks at.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The final response.
    pub response: Response,
    /// The redirects the fetch followed before [`Observation::response`] (for their cookies).
    pub redirects: Vec<Hop>,
    /// The plain-HTTP probe; `None` when it was not run (the redirection test then reports
    /// "not tested" with modifier 0).
    pub http_probe: Option<HttpProbe>,
    /// The CORS preflight's answer; `None` when it failed or answered outside 2xx, which the
    /// Observatory treats as "CORS not implemented".
    pub cors_preflight: Option<CorsPreflight>,
    /// Hosts known to be on the browsers' HSTS preload list. Offline palisade has no copy of
    /// the list, so the binary leaves this empty and never reports `hsts-preloaded` or
    /// `redirection-all-redirects-preloaded`.
    pub preloaded_hosts: Vec<String>,
    /// The current time (seconds since the Unix epoch), to drop cookies whose `Expires` is in
    /// the past (deletions); without it only `Max-Age=0` counts as a deletion.
    pub now_unix: Option<i64>,
}

impl Observation {
    /// An observation of `response` alone: no redirects, no HTTP probe, no preflight.
    pub fn new(response: Response) -> Self {
        Observation {
            response,
            redirects: Vec::new(),
            http_probe: None,
            cors_preflight: None,
            preloaded_hosts: Vec::new(),
            now_unix: None,
        }
    }

    /// The redirects followed before the response.
    #[must_use]
    pub fn redirected_through(mut self, hops: Vec<Hop>) -> Self {
        self.redirects = hops;
        self
    }

    /// The plain-HTTP probe's result.
    #[must_use]
    pub fn http_probe(mut self, probe: HttpProbe) -> Self {
        self.http_probe = Some(probe);
        self
    }

    /// The CORS preflight's answer.
    #[must_use]
    pub fn cors_preflight(mut self, preflight: CorsPreflight) -> Self {
        self.cors_preflight = Some(preflight);
        self
    }

    /// Declares `host` to be on the HSTS preload list.
    #[must_use]
    pub fn hsts_preloaded(mut self, host: impl Into<String>) -> Self {
        self.preloaded_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// The current time, in seconds since the Unix epoch.
    #[must_use]
    pub fn at(mut self, now_unix: i64) -> Self {
        self.now_unix = Some(now_unix);
        self
    }

    pub(crate) fn is_preloaded(&self, host: Option<&str>) -> bool {
        host.is_some_and(|h| {
            self.preloaded_hosts
                .iter()
                .any(|p| p.eq_ignore_ascii_case(h))
        })
    }
}
