//! OS command injection, Unix and Windows: a separator followed by a command, command
//! substitution, `${IFS}`, quote and backslash evasion inside command names, shell paths.
//!
//! Commands that are also English words (`type`, `dir`, `sleep`, `echo`…) need shell-looking
//! arguments, so `cats; dogs` and `Work hard; sleep well` stay clean.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Cmdi as F, Severity::*};

const SEPARATOR_COMMAND: RuleInfo = RuleInfo::new(
    "cmdi-separator-command",
    F,
    1,
    Critical,
    "; | || && & or newline, then a command",
);
const SUBSTITUTION: RuleInfo = RuleInfo::new(
    "cmdi-substitution",
    F,
    1,
    Critical,
    "$(command) or `command`",
);
const IFS: RuleInfo = RuleInfo::new("cmdi-ifs", F, 1, Critical, "${IFS} and $IFS$9 as blanks");
const QUOTE_EVASION: RuleInfo = RuleInfo::new(
    "cmdi-quote-evasion",
    F,
    1,
    Critical,
    "command names split by quotes or backslashes",
);
const SHELL_INVOCATION: RuleInfo = RuleInfo::new(
    "cmdi-shell-invocation",
    F,
    1,
    Critical,
    "/bin/sh, cmd.exe /c, powershell -enc, /dev/tcp",
);
const SHELLSHOCK: RuleInfo = RuleInfo::new(
    "cmdi-shellshock",
    F,
    1,
    Critical,
    "() { :; }; function definitions",
);
const COMMAND_WORD: RuleInfo = RuleInfo::new(
    "cmdi-command-word",
    F,
    2,
    Warning,
    "a strong command name after any separator",
);

pub(crate) const RULES: &[RuleInfo] = &[
    SEPARATOR_COMMAND,
    SUBSTITUTION,
    IFS,
    QUOTE_EVASION,
    SHELL_INVOCATION,
    SHELLSHOCK,
    COMMAND_WORD,
];

/// Command names found by the evasion check (letters only).
const EVASION_WORDS: &[&str] = &[
    "whoami",
    "uname",
    "wget",
    "curl",
    "ncat",
    "netcat",
    "nc",
    "bash",
    "zsh",
    "ksh",
    "sh",
    "python",
    "perl",
    "ruby",
    "php",
    "nslookup",
    "chmod",
    "chown",
    "powershell",
    "cmd",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "tasklist",
    "certutil",
    "bitsadmin",
    "busybox",
    "tftp",
    "telnet",
    "socat",
    "passwd",
    "id",
    "ls",
    "cat",
    "rm",
    "ps",
    "pwd",
    "netstat",
    "wmic",
    "echo",
    "ping",
    "sleep",
    "type",
    "dir",
    "net",
    "env",
    "head",
    "tail",
    "more",
    "less",
    "find",
    "hostname",
    "base64",
    "nohup",
];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &SEPARATOR_COMMAND,
        regex: concat!(
            r"(?:[;|&\n`]|\$\(|\|\||&&)\s*(?:\{\s*)?(?:/usr)?(?:/s?bin/)?(?:",
            "whoami|uname|wget|curl|ncat|netcat|nc|bash|zsh|ksh|dash|sh|python[23]?|perl|ruby|php|nslookup|chmod|chown|powershell|pwsh|cmd|ifconfig|ipconfig|systeminfo|tasklist|taskkill|certutil|bitsadmin|busybox|tftp|telnet|socat|mkfifo|nohup|xterm|passwd|getent|crontab|useradd|id|ls|cat|rm|ps|pwd|netstat|wmic|reg|rundll32|regsvr32|mshta|cscript|wscript|base64|xxd|awk|gawk|sed|dig|timeout",
            r")(?:\.exe)?(?:\s+[-/.~$'\x22+\w]|\s*[;|&<>`),]|\s*$)",
            r"|[;|&\n`]\s*(?:\{\s*)?(?:",
            "echo|type|dir|ping|sleep|kill|env|printenv|find|head|tail|more|less|touch|cp|mv|net|hostname|ver|copy|del|start|tar|zip|grep|which|who|uptime|export",
            r")(?:\.exe)?(?:\s+(?:[-/.~$>|]|\d+\s*(?:[;|&]|$)|[a-z]:|user\b|localgroup\b|%\w+%|[\x22'])|,|\s+[^;|&\n]{0,80}?>>?\s*[/~$%])",
            // A command assembled from variables (`a=wh;b=oami;$a$b`), or a file run from a
            // world-writable directory.
            r"|(?:^|[;|&\n`]|\$\()\s*\$\{?[a-z_]\w*\}?\$\{?[a-z_]\w*\}?(?:\s|$|[;|&`)])",
            r"|[;|&\n`]\s*(?:/tmp|/var/tmp|/dev/shm)/[\w.-]+\s*(?:[;|&`]|$)"
        ),
        gate: Gate::Shell,
    },
    Pattern {
        rule: &SUBSTITUTION,
        regex: r"\$\(\s*(?:/usr)?(?:/s?bin/)?[a-z]+[\s);|]|`\s*(?:/usr)?(?:/s?bin/)?(?:whoami|uname|id|ls|cat|wget|curl|nc|ping|sleep|echo|bash|sh|python[23]?|perl|nslookup|dig|hostname|pwd|env)(?:\s[^`]*)?`|`\s*\{[a-z]+,[^`]{0,200}`|`[^`]{0,200}\$\{?[a-z_]\w*\}?\$\{?[a-z_]\w*\}?\s*`",
        gate: Gate::Shell,
    },
    Pattern {
        rule: &IFS,
        regex: r"\$\{ifs\}|\$ifs\b|\$\{ifs%\?\?\}|\$\{ifs:\d",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &SHELL_INVOCATION,
        regex: r"/bin/(?:ba|z|k|da|c|tc)?sh\b|/usr/bin/(?:env|python[23]?|perl|ruby|wget|curl|nc|id|whoami)\b|\bcmd(?:\.exe)?\s+/[ck]\b|\bpowershell(?:\.exe)?\s+.{0,32}?-(?:e|enc|encodedcommand|nop|noprofile|w\s+hidden|windowstyle|c|command|exec(?:utionpolicy)?|iex)\b|/dev/(?:tcp|udp)/|\bnc(?:at)?\s+(?:-\w+\s+)*-[ec]\s|\bbash\s+-[ic]\b|\bsh\s+-c\s|\binvoke-(?:expression|webrequest|mimikatz)\b|\biex\s*\(|\bcertutil\s+-urlcache\b|\b(?:python[23]?|perl|ruby|php)\s+-[ecr]\s",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &SHELLSHOCK,
        // Also a value that opens with a function definition (a cookie split at its `;`).
        regex: r"\(\s*\)\s*\{[^}]{0,64};\s*\}\s*;|^\(\s*\)\s*\{",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &COMMAND_WORD,
        regex: r"(?:[;|&\n`]|\$\()\s*(?:whoami|uname|wget|curl|netcat|nc|bash|sh|python|perl|nslookup|chmod|powershell|cmd|ifconfig|ipconfig|id|ls|cat|ping|echo|sleep)\b",
        gate: Gate::Anywhere,
    },
];

/// The compiled command injection family.
#[derive(Debug)]
pub(crate) struct Cmdi {
    patterns: Patterns,
    /// The shell-context rules (separator + command, substitution) alone, and the others.
    shell: Patterns,
    rest: Patterns,
}

impl Cmdi {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            patterns: Patterns::new(PATTERNS, paranoia),
            shell: Patterns::new(&PATTERNS[..2], paranoia),
            rest: Patterns::new(&PATTERNS[2..], paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        let mut work = 0;
        // Markdown code fences and spans (```` ```bash ````) are no command substitution: runs of
        // two or more backticks become blanks first.
        let fenced = v.has(b"`") && v.folded.contains("``");
        if fenced
            && v.keyword(super::prefilter::CMDI)
            && let Some(outside) = prose_outside_fences(v.decoded)
        {
            // A markdown document: code in its fences is quoted, not run. The shell-context
            // rules read the prose around the fences; the others (shell paths, `${IFS}`,
            // Shellshock) read everything.
            work += self.shell.check(&outside, hits);
            work += self.rest.check(v.folded, hits);
            work += self.rest.check(&v.decoded.to_lowercase(), hits);
            if v.has(b"'\"^") || v.decoded.contains('\\') {
                work += quote_evasion(v.decoded, hits);
            }
            return work;
        }
        // Quote evasion hides the command name from the keyword prefilter: checked regardless.
        if v.has(b";|&`$(/") && v.keyword(super::prefilter::CMDI) {
            if fenced {
                work += self.patterns.check(&unfence(v.folded), hits);
            } else {
                work += self.patterns.check(v.folded, hits);
            }
        }
        // Folding turns newlines into blanks, but a newline separates commands.
        // memchr2: `contains` with a char array is a generic per-char loop.
        let newline = memchr::memchr2(b'\n', b'\r', v.decoded.as_bytes()).is_some();
        if newline && v.keyword(super::prefilter::CMDI) {
            let mut lower = v.decoded.to_lowercase();
            if fenced {
                lower = unfence(&lower);
            }
            work += self.patterns.check(&lower, hits);
        }
        if v.has(b"'\"^") || v.decoded.contains('\\') {
            work += quote_evasion(v.decoded, hits);
        }
        work
    }
}

/// For a markdown document — fenced code blocks (```` ``` ````, in pairs) with at least five
/// words of prose outside them — the lower-cased text with the fenced blocks blanked.
fn prose_outside_fences(text: &str) -> Option<String> {
    let fences: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), b"```").collect();
    if fences.len() < 2 {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut inside = false;
    let mut i = 0;
    while i < fences.len() {
        let at = fences[i];
        // A run of more than three backticks is one fence.
        let mut end = at + 3;
        while i + 1 < fences.len() && fences[i + 1] < end + 1 {
            end = fences[i + 1] + 3;
            i += 1;
        }
        if inside {
            out.extend(std::iter::repeat_n(' ', end - last));
        } else {
            out.push_str(&text[last..at]);
            out.extend(std::iter::repeat_n(' ', end - at));
        }
        last = end;
        inside = !inside;
        i += 1;
    }
    if inside {
        // An unclosed fence: not a document.
        return None;
    }
    out.push_str(&text[last..]);
    (out.split_ascii_whitespace().nth(4).is_some()).then(|| out.to_lowercase())
}

/// `text` with every run of two or more backticks replaced by as many blanks.
fn unfence(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|&&c| c == b'`').count();
        if run >= 2 {
            out.extend(std::iter::repeat_n(' ', run));
            i += run;
        } else if run == 1 {
            out.push('`');
            i += 1;
        } else {
            let next = text[i..].find('`').map_or(text.len(), |p| i + p);
            out.push_str(&text[i..next]);
            i = next;
        }
    }
    out
}

/// Finds a word whose letters are split by `'`, `"`, `\` or `^` inside it and which is a
/// command once they are removed: `w"h"o"am"i`, `c'a't`, `\c\a\t`, `wh^oami`.
fn quote_evasion(text: &str, hits: &mut Hits) -> u64 {
    let b = text.as_bytes();
    let mut i = 0;
    let mut word = String::new();
    while i < b.len() {
        if !(b[i].is_ascii_alphabetic() || matches!(b[i], b'\'' | b'"' | b'\\' | b'^')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'\'' | b'"' | b'\\' | b'^'))
        {
            i += 1;
        }
        let raw = &text[start..i];
        let inner = raw.trim_matches(['\'', '"']);
        let splits = inner
            .bytes()
            .filter(|c| matches!(c, b'\'' | b'"' | b'\\' | b'^'))
            .count();
        if splits == 0 || raw.len() > 40 {
            continue;
        }
        word.clear();
        word.extend(
            inner
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase()),
        );
        // One apostrophe in a short word is English (`I'd`); evasion splits more.
        if EVASION_WORDS.contains(&word.as_str()) && (word.len() >= 3 || splits >= 2) {
            hits.add(&QUOTE_EVASION, text, start..i);
            break;
        }
    }
    b.len() as u64
}
