//! One Aho-Corasick pass per value finds which families' keywords are present, so a family's
//! regex set runs only when one of the literals its patterns need occurs. Each list must hold
//! a literal that every match of the family's patterns contains (the tests of each family
//! check that the prefilter lets their attacks through).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// SQL heuristics.
pub(crate) const SQLI: u16 = 1;
/// XSS tags, attributes and sinks.
pub(crate) const XSS: u16 = 1 << 1;
/// `on` — an event handler needs it (with `=`).
pub(crate) const XSS_ON: u16 = 1 << 2;
/// Traversal system files and wrappers.
pub(crate) const TRAVERSAL: u16 = 1 << 3;
/// Java gadget classes.
pub(crate) const JAVA: u16 = 1 << 4;
/// PHP.
pub(crate) const PHP: u16 = 1 << 5;
/// Command names and shell syntax.
pub(crate) const CMDI: u16 = 1 << 6;
/// Out-of-band interaction hosts ([`super::scanner`]): found in this pass, so the scanner's
/// own automaton runs only on the rare value that names one.
pub(crate) const OAST: u16 = 1 << 7;

const LISTS: &[(u16, &[&str])] = &[
    (
        SQLI,
        &[
            "union",
            "select",
            "or",
            "and",
            "xor",
            "||",
            "&&",
            "drop",
            "truncate",
            "exec",
            "insert",
            "delete",
            "update",
            "shutdown",
            "declare",
            "alter",
            "create",
            "grant",
            "sleep",
            "benchmark",
            "waitfor",
            "dbms_",
            "randomblob",
            "--",
            "#",
            "/*",
            "information_schema",
            "mysql.",
            "sys",
            "master..",
            "pg_",
            "sqlite_",
            "_tables",
            "extractvalue",
            "updatexml",
            "gtid_subset",
            "ctxsys",
            "utl_",
            "xmltype",
            "exp",
            "floor",
            "convert",
            "cast",
            "xp_",
            "sp_",
            "openrowset",
            "opendatasource",
            "load_file",
            "into",
            "copy",
            "lo_import",
        ],
    ),
    (
        XSS,
        &[
            "<",
            ">",
            "script",
            "expression",
            "-moz-binding",
            "behavior",
            "@import",
            "srcdoc",
            "formaction",
            "xlink:href",
            "alert",
            "prompt",
            "confirm",
            "eval",
            "settimeout",
            "setinterval",
            "document",
            "window",
            "fromcharcode",
            "innerhtml",
            "atob",
        ],
    ),
    (XSS_ON, &["on"]),
    (
        TRAVERSAL,
        &[
            "etc/",
            "proc/",
            "windows/",
            "winnt/",
            "boot.ini",
            "var/log/",
            "root/.",
            "inetpub",
            "c:/",
            "web.xml",
            "web.config",
            ".htpasswd",
            "file:",
            "zip:",
            "phar:",
            "expect:",
            "glob:",
            "compress.",
            "ogg:",
            "ssh2.",
            "rar:",
            "jar:",
            "netdoc:",
            "gopher:",
            "dict:",
            "data:",
        ],
    ),
    (
        JAVA,
        &[
            "java.",
            "getruntime",
            "ysoserial",
            "org.apache",
            "org.codehaus",
            "org.springframework",
            "com.sun",
            "com.mchange",
            "javax.",
            "sun.rmi",
            "@type",
            "ch.qos",
            "com.zaxxer",
            "oracle.jdbc",
            "org.hibernate",
            "net.sf.ehcache",
            "com.caucho",
            "br.com.anta",
            "clojure.",
            "t(",
            "t (",
        ],
    ),
    (
        PHP,
        &[
            "<?",
            "system",
            "exec",
            "passthru",
            "popen",
            "proc_open",
            "eval",
            "assert",
            "create_function",
            "base64_decode",
            "gzinflate",
            "gzuncompress",
            "str_rot13",
            "call_user_func",
            "phpinfo",
            "preg_replace",
            "php://",
            "$_",
            "$globals",
            "o:",
            "c:",
            "file_",
            "fopen",
            "fwrite",
            "readfile",
            "include",
            "require",
            "highlight_file",
            "show_source",
            "move_uploaded_file",
            "unserialize",
            "array_map",
            "usort",
            "ini_set",
            "putenv",
            "dl",
        ],
    ),
    (
        CMDI,
        &[
            "whoami",
            "uname",
            "wget",
            "curl",
            "nc",
            "bash",
            "zsh",
            "ksh",
            "dash",
            "sh",
            "python",
            "perl",
            "ruby",
            "php",
            "nslookup",
            "chmod",
            "chown",
            "powershell",
            "pwsh",
            "cmd",
            "ifconfig",
            "ipconfig",
            "systeminfo",
            "tasklist",
            "taskkill",
            "certutil",
            "bitsadmin",
            "busybox",
            "tftp",
            "telnet",
            "socat",
            "mkfifo",
            "nohup",
            "xterm",
            "passwd",
            "getent",
            "crontab",
            "useradd",
            "id",
            "ls",
            "cat",
            "rm",
            "ps",
            "pwd",
            "netstat",
            "wmic",
            "reg",
            "rundll32",
            "regsvr32",
            "mshta",
            "cscript",
            "wscript",
            "base64",
            "xxd",
            "awk",
            "sed",
            "dig",
            "timeout",
            "echo",
            "type",
            "dir",
            "ping",
            "sleep",
            "kill",
            "env",
            "find",
            "head",
            "tail",
            "more",
            "less",
            "touch",
            "cp",
            "mv",
            "net",
            "hostname",
            "ver",
            "copy",
            "del",
            "start",
            "tar",
            "zip",
            "grep",
            "which",
            "who",
            "uptime",
            "export",
            "/bin/",
            "/usr/bin",
            "/dev/",
            "invoke-",
            "iex",
            "ifs",
            "()",
            "$(",
            "`",
        ],
    ),
    // Lower case like the folded text, so matching case-sensitively here finds exactly what
    // the scanner's case-insensitive automaton finds.
    (OAST, super::scanner::OAST),
];

/// The compiled keyword automaton.
#[derive(Debug)]
pub(crate) struct Prefilter {
    ac: AhoCorasick,
    bits: Vec<u16>,
}

impl Prefilter {
    pub(crate) fn new() -> Self {
        let mut words = Vec::new();
        let mut bits = Vec::new();
        for (bit, list) in LISTS {
            for w in *list {
                words.push(*w);
                bits.push(*bit);
            }
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            // A DFA: built once, and the fastest to scan every value with.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .expect("prefilter automaton builds");
        Self { ac, bits }
    }

    /// The families whose keywords occur in `folded`.
    pub(crate) fn scan(&self, folded: &str) -> u16 {
        let all = LISTS.iter().fold(0, |a, (b, _)| a | b);
        let mut found = 0;
        for m in self.ac.find_overlapping_iter(folded) {
            found |= self.bits[m.pattern().as_usize()];
            if found == all {
                break;
            }
        }
        found
    }
}
