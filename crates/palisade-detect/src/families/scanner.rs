//! Scanner and attack-tool fingerprints: User-Agents, headers the tools add, and the
//! out-of-band interaction hosts they plant in payloads. Generic HTTP clients are not
//! scanners; at paranoia 3 they are a notice.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::Hits;
use crate::rules::RuleInfo;
use crate::{Family::Scanner as S, Severity::*};

const USER_AGENT: RuleInfo = RuleInfo::new(
    "scanner-user-agent",
    S,
    1,
    Critical,
    "User-Agent of a known attack tool",
);
const HEADER: RuleInfo = RuleInfo::new(
    "scanner-header",
    S,
    1,
    Critical,
    "a header only scanners send",
);
const OAST_HOST: RuleInfo = RuleInfo::new(
    "scanner-oast-host",
    S,
    1,
    Critical,
    "an out-of-band interaction host (collaborator, interactsh)",
);
const GENERIC_CLIENT: RuleInfo = RuleInfo::new(
    "scanner-generic-client",
    S,
    3,
    Notice,
    "curl, python-requests, Go-http-client and kin",
);

const CANARY_PATH: RuleInfo = RuleInfo::new(
    "scanner-canary-path",
    S,
    1,
    Critical,
    "a path only a scanner requests (its own marker files)",
);

pub(crate) const RULES: &[RuleInfo] = &[USER_AGENT, HEADER, OAST_HOST, CANARY_PATH, GENERIC_CLIENT];

/// Marker paths scanners request to learn how the site answers for missing files.
const CANARIES: &[&str] = &[
    "nessus_is_probing_you",
    "acunetix-wvs-test",
    "acunetix_wvs_security_test",
    "nikto-test",
    "w00tw00t.at.",
    "appscan_fingerprint",
];

const TOOLS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap scripting engine",
    "nmap nse",
    "masscan",
    "zgrab",
    "nuclei",
    "wpscan",
    "dirbuster",
    "gobuster",
    "fuzz faster u fool",
    "ffuf",
    "acunetix",
    "netsparker",
    "invicti",
    "w3af",
    "havij",
    "openvas",
    "feroxbuster",
    "jaeles",
    "whatweb",
    "arachni",
    "skipfish",
    "commix",
    "xsstrike",
    "owasp zap",
    "zaproxy",
    "wfuzz",
    "dirsearch",
    "morfeus",
    "zmeu",
    "fimap",
    "sqlninja",
    "pangolin",
    "bsqlbf",
    "webinspect",
    "appscan",
    "nessus",
    "paros",
    "grabber",
    "brutus",
    "hydra",
    "medusa",
    "webshag",
    "vega/",
    "burp",
    "crimescanner",
    "nmap",
    "dotdotpwn",
    "joomscan",
    "droopescan",
    "cmsmap",
    "wapiti",
    "uniscan",
    "golismero",
    "masscan-ng",
    "httpx - open-source",
    "interactsh",
    "tsunami",
    "xray/",
    "afrog",
    "katana",
    "hakrawler",
    "gau/",
    "jorgee",
    "zgrab",
    "l9explore",
    "l9tcpid",
    "censysinspect",
];

const HEADERS: &[&str] = &[
    "acunetix-product",
    "acunetix-scanning-agreement",
    "acunetix-user-agreement",
    "x-wipp",
    "x-scan-memo",
    "x-request-memo",
    "x-requestmanager-memo",
    "x-scanner",
    "bugbounty",
    "x-bug-bounty",
];

pub(crate) const OAST: &[&str] = &[
    "burpcollaborator.net",
    "oastify.com",
    "interact.sh",
    "interactsh.com",
    "oast.pro",
    "oast.fun",
    "oast.me",
    "oast.site",
    "oast.online",
    "oast.live",
    "dnslog.cn",
    "ceye.io",
    "canarytokens.com",
    "requestbin.net",
    "dnslog.link",
    "bxss.me",
    "xss.ht",
    "burpcollab",
    "pingb.in",
];

const GENERIC: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "libwww-perl",
    "java/",
    "okhttp",
    "apache-httpclient",
    "node-fetch",
    "axios/",
    "httpie",
    "powershell",
];

/// The compiled scanner matchers.
#[derive(Debug)]
pub(crate) struct Scanner {
    /// [`TOOLS`] and [`GENERIC`] in lower case, matched case-sensitively on a lower-cased
    /// User-Agent: the same matches at the same offsets as a case-insensitive automaton, at a
    /// fraction of its cost (its prefilter can use the rare bytes of the words).
    tools: AhoCorasick,
    generic: AhoCorasick,
    oast: AhoCorasick,
    canaries: AhoCorasick,
}

fn build_lower(words: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build(words.iter().map(|w| w.to_ascii_lowercase()))
        .expect("scanner automaton builds")
}

fn build(words: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build(words)
        .expect("scanner automaton builds")
}

impl Scanner {
    pub(crate) fn new() -> Self {
        Self {
            tools: build_lower(TOOLS),
            generic: build_lower(GENERIC),
            oast: build(OAST),
            canaries: build_lower(CANARIES),
        }
    }

    /// Checks a User-Agent value.
    pub(crate) fn user_agent(&self, ua: &str, hits: &mut Hits) -> u64 {
        // ASCII lower-casing keeps every byte offset, so ranges apply to `ua` as they are.
        let lower = ua.to_ascii_lowercase();
        if let Some(m) = self.tools.find(&lower) {
            // Word-ish boundary: `burp` must not match inside another word.
            let before = ua[..m.start()].chars().next_back();
            if before.is_none_or(|c| !c.is_ascii_alphanumeric()) {
                hits.add(&USER_AGENT, ua, m.range());
            }
        }
        if let Some(m) = self.generic.find(&lower) {
            hits.add(&GENERIC_CLIENT, ua, m.range());
        }
        ua.len() as u64
    }

    /// Checks a normalised path for scanner marker files.
    pub(crate) fn path(&self, path: &str, hits: &mut Hits) -> u64 {
        // Every marker holds `_`, `-` or `.`: most paths are ruled out by one memchr.
        if memchr::memchr3(b'_', b'-', b'.', path.as_bytes()).is_none() {
            return 0;
        }
        if let Some(m) = self.canaries.find(path) {
            hits.add(&CANARY_PATH, path, m.range());
        }
        path.len() as u64
    }

    /// Checks a header name.
    pub(crate) fn header_name(&self, name: &str, hits: &mut Hits) {
        // Acunetix marks its requests with `Acunetix-*` headers.
        let acunetix = name.len() > 9 && name[..9].eq_ignore_ascii_case("acunetix-");
        if acunetix || HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            hits.add(&HEADER, name, 0..name.len());
        }
    }

    /// Checks any value for interaction hosts. Callers skip values in which the prefilter found
    /// none of [`OAST`].
    pub(crate) fn oast(&self, folded: &str, hits: &mut Hits) -> u64 {
        if let Some(m) = self.oast.find(folded) {
            hits.add(&OAST_HOST, folded, m.range());
        }
        folded.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyword prefilter matches these case-sensitively on folded (lower-case) text.
    #[test]
    fn oast_words_are_lower_case() {
        assert!(OAST.iter().all(|w| *w == w.to_ascii_lowercase()));
    }

    /// The lower-cased automata find what case-insensitive ones find, at the same offsets.
    #[test]
    fn lower_cased_matching_is_case_insensitive_matching() {
        let s = Scanner::new();
        let (tools, generic) = (build(TOOLS), build(GENERIC));
        for ua in [
            "Mozilla/5.0 (compatible; SQLMap/1.7)",
            "BurpSuite Pro",
            "xBURP",
            "Go-HTTP-Client/1.1 NiKtO",
            "Ünïcödé curl/8.0 Nmap Scripting Engine",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
        ] {
            let lower = ua.to_ascii_lowercase();
            let range = |ac: &AhoCorasick, t: &str| ac.find(t).map(|m| m.range());
            assert_eq!(range(&s.tools, &lower), range(&tools, ua), "{ua}");
            assert_eq!(range(&s.generic, &lower), range(&generic, ua), "{ua}");
        }
    }
}
