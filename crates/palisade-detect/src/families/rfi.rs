//! Remote file inclusion: a parameter whose value is a URL to a script on another host, or
//! ends in `?` (to cut off a suffix the application appends), or names a host by IP address.
//! A plain URL as a value (a redirect target) is benign at paranoia 1.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Rfi as F, Severity::*};

const SCRIPT_URL: RuleInfo = RuleInfo::new(
    "rfi-script-url",
    F,
    1,
    Critical,
    "URL value ending in a script/text file or `?`",
);
const IP_HOST: RuleInfo = RuleInfo::new(
    "rfi-ip-host",
    F,
    1,
    Error,
    "URL value whose host is an IP literal",
);
const OFFSITE_URL: RuleInfo = RuleInfo::new(
    "rfi-offsite-url",
    F,
    3,
    Notice,
    "any absolute URL as a value",
);

pub(crate) const RULES: &[RuleInfo] = &[SCRIPT_URL, IP_HOST, OFFSITE_URL];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &SCRIPT_URL,
        regex: r"^\s*(?:(?:https?|ftps?|smb|webdav):)?//[^\s]+?(?:\.(?:php\d?|phtml|phar|txt|asp|aspx|jsp|jspx|cgi|pl|py|sh|inc|dat|gif\?|jpg\?)(?:\?|%00|#|$)|\?+$|%00$|#$)",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &IP_HOST,
        regex: r"^\s*(?:(?:https?|ftps?):)?//(?:[^/@\s]*@)?(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[0-9a-f:.]+\]|0x[0-9a-f]+|\d{8,10})(?:[:/?#]|$)",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &OFFSITE_URL,
        regex: r"^\s*(?:https?|ftps?)://",
        gate: Gate::Anywhere,
    },
];

/// The compiled RFI family.
#[derive(Debug)]
pub(crate) struct Rfi {
    patterns: Patterns,
}

impl Rfi {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            patterns: Patterns::new(PATTERNS, paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        if !v
            .folded
            .trim_start()
            .get(..3)
            // `//host/…` is protocol-relative, or a UNC path `\\host\share` once folded.
            .is_some_and(|s| matches!(s, "htt" | "ftp" | "smb" | "web") || s.starts_with("//"))
        {
            return 0;
        }
        self.patterns.check(v.folded, hits)
    }
}
