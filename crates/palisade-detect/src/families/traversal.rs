//! Path traversal and local file inclusion: `../` in any encoding, system files, and stream
//! wrappers that read local files.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, Place, View};
use crate::rules::RuleInfo;
use crate::{Family::Traversal as T, Severity::*};

const DOT_DOT_SLASH: RuleInfo = RuleInfo::new(
    "lfi-dot-dot-slash",
    T,
    1,
    Critical,
    "../ at the start, repeated, or in the path",
);
const DOT_DOT_SINGLE: RuleInfo =
    RuleInfo::new("lfi-dot-dot-single", T, 2, Warning, "a single ../ anywhere");
const ENCODED_DOT_DOT: RuleInfo = RuleInfo::new(
    "lfi-encoded-dot-dot",
    T,
    1,
    Critical,
    "../ that only appears after decoding",
);
const SYSTEM_FILE: RuleInfo = RuleInfo::new(
    "lfi-system-file",
    T,
    1,
    Critical,
    "/etc/passwd, /proc/self/environ, win.ini and kin",
);
const WRAPPER: RuleInfo = RuleInfo::new(
    "lfi-stream-wrapper",
    T,
    1,
    Critical,
    "file://, zip://, phar://, expect://, data:// wrappers",
);

pub(crate) const RULES: &[RuleInfo] = &[
    DOT_DOT_SLASH,
    DOT_DOT_SINGLE,
    ENCODED_DOT_DOT,
    SYSTEM_FILE,
    WRAPPER,
];

const FOLDED: &[Pattern] = &[
    Pattern {
        rule: &SYSTEM_FILE,
        regex: r"(?:^|[/=:\s'\x22]|\.\./)(?:etc/(?:passwd|shadow|group|gshadow|master\.passwd|sudoers|hosts|issue|crontab|hostname|resolv\.conf|security/|ssh/|mysql/my\.cnf|httpd/|apache2?/|nginx/)|proc/(?:self|\d+)/(?:environ|cmdline|maps|mem|fd/|status|cwd|exe|root)|windows/(?:win\.ini|system\.ini|system32|repair/|panther/)|winnt/|boot\.ini|var/log/(?:apache|httpd|nginx|auth\.log|secure|syslog)|root/\.(?:bash_history|ssh)|inetpub/wwwroot|\.\./.*?(?:web\.xml|web\.config|\.htpasswd))|c:/(?:windows|winnt|boot\.ini|inetpub)",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &WRAPPER,
        regex: r"(?:^|[=\s'\x22(])(?:file|zip|phar|expect|glob|compress\.zlib|compress\.bzip2|ogg|ssh2\.\w+|rar|jar|netdoc|gopher|dict)://|(?:^|[=\s'\x22(])data://|(?:^|[=\s'\x22(])data:(?:text/plain|application/x-php)?;base64,",
        gate: Gate::Anywhere,
    },
];

/// The compiled traversal family.
#[derive(Debug)]
pub(crate) struct Traversal {
    folded: Patterns,
}

impl Traversal {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            folded: Patterns::new(FOLDED, paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        if !v.has(b"./:") {
            return 0;
        }
        let f = v.folded;
        let dot_dot = if v.has(b".") { dot_dot_slash(f) } else { None };
        if let Some(at) = dot_dot {
            // `....//`, `..;/` and `..\` all land here after folding (`\` → `/`).
            let repeated = dot_dot_slash(&f[at + 3..]).is_some();
            let at_start = f[..at].trim_end_matches(['.', ' ', '/']).is_empty()
                || f[..at].ends_with(['=', ':', '\'', '"']);
            let encoded =
                !v.seen.contains("../") && !v.seen.contains("..\\") && !v.seen.contains("..;/");
            let end = (at + 3).min(f.len());
            if encoded && v.place != Place::Filename {
                hits.add(&ENCODED_DOT_DOT, f, at..end);
            }
            if repeated || at_start || matches!(v.place, Place::Path | Place::Filename) {
                hits.add(&DOT_DOT_SLASH, f, at..end);
            }
            hits.add(&DOT_DOT_SINGLE, f, at..end);
        }
        if !v.keyword(super::prefilter::TRAVERSAL) {
            return f.len() as u64;
        }
        f.len() as u64 + self.folded.check(f, hits)
    }
}

/// Position of the first `../` (also `..;/` and `.. /`), after folding.
fn dot_dot_slash(f: &str) -> Option<usize> {
    let b = f.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&b[from..], b"..") {
        let at = from + p;
        let mut j = at + 2;
        while j < b.len() && matches!(b[j], b'.' | b';' | b' ') && j - at < 8 {
            j += 1;
        }
        if b.get(j) == Some(&b'/') {
            return Some(at);
        }
        from = j.max(at + 2);
    }
    None
}
