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
        regex: r"(?:^|[/=:\s'\x22]|\.\./)(?:etc/(?:passwd|shadow|group|gshadow|master\.passwd|sudoers|hosts|issue|crontab|hostname|resolv\.conf|security/|ssh/|mysql/my\.cnf|httpd/|apache2?/|nginx/)|proc/(?:self|\d+)/(?:environ|cmdline|maps|mem|fd/|status|cwd|exe|root)|windows/(?:win\.ini|system\.ini|system32|repair/|panther/)|winnt/|boot\.ini|var/log/(?:apache|httpd|nginx|auth\.log|secure|syslog)|root/\.(?:bash_history|ssh|aws|docker|kube)|\.aws/credentials|inetpub/wwwroot|\.\./.*?(?:web\.xml|web\.config|\.htpasswd))|c:/(?:windows|winnt|boot\.ini|inetpub)",
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
            // Repeated means in a row (`../../`, `....//`), not twice somewhere in a long text.
            let next = &f[at + 3..];
            let repeated = dot_dot_slash(&next[..floor_char(next, 8)]).is_some();
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
        // `/etc/./passwd`, `/etc//shadow`: what a file system resolves to the same file.
        let mut work = f.len() as u64 + self.folded.check(f, hits);
        if f.contains("//") || f.contains("/./") {
            work += self.folded.check(&collapse_dots(f), hits);
        }
        // A bare relative name opening a phrase (`etc/passwd format`) is a search, when the rest
        // holds no system file of its own.
        if v.place != Place::Path
            && !f.starts_with(['/', '.'])
            && !f.contains("../")
            && hits.has(&SYSTEM_FILE)
            && let Some((_, rest)) = f.split_once(' ')
        {
            let mut again = Hits {
                paranoia: hits.paranoia,
                ..Hits::default()
            };
            work += self.folded.check(rest, &mut again);
            if !again.has(&SYSTEM_FILE) {
                hits.list.retain(|(r, _)| r.id != SYSTEM_FILE.id);
            }
        }
        work
    }
}

/// The largest char boundary of `s` not beyond `n`.
fn floor_char(s: &str, n: usize) -> usize {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// `s` with `//` and `/./` collapsed to `/`.
fn collapse_dots(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            out.push('/');
            i += 1;
            loop {
                if b.get(i) == Some(&b'/') {
                    i += 1;
                } else if b.get(i) == Some(&b'.') && b.get(i + 1) == Some(&b'/') {
                    i += 2;
                } else {
                    break;
                }
            }
            continue;
        }
        let next = s[i..].find('/').map_or(s.len(), |p| i + p);
        out.push_str(&s[i..next]);
        i = next;
    }
    out
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
