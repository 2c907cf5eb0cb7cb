//! Attack families. Each module declares its rules (`RULES`) and checks one value's forms.
//!
//! Families look at a value only when its trigger characters or words are present (see
//! [`View::has`] and [`View::keyword`]), so benign values cost a byte-set lookup per family.
//! Byte-set checks come first: the keyword scan runs only for values that pass one.

use std::cell::OnceCell;
use std::ops::Range;

use crate::excerpt::excerpt;
use crate::rules::RuleInfo;

pub(crate) mod cmdi;
pub(crate) mod java;
pub(crate) mod jndi;
pub(crate) mod pattern;
pub(crate) mod php;
pub(crate) mod prefilter;
pub(crate) mod protocol;
pub(crate) mod rfi;
pub(crate) mod scanner;
pub(crate) mod sensitive;
pub(crate) mod sqli;
pub(crate) mod ssti;
pub(crate) mod traversal;
pub(crate) mod xss;

/// What kind of place a value came from: some rules only make sense in some places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A parameter value: query, form, JSON, multipart, cookie.
    Param,
    /// A parameter name or JSON key.
    Name,
    /// The URL path.
    Path,
    /// The URL path from its first segment with an odd character on, read as a value.
    Segment,
    /// An inspected header value.
    Header,
    /// A multipart filename.
    Filename,
    /// A whole unparsed body.
    Body,
}

/// The forms of one value, as families see them.
#[derive(Debug)]
pub(crate) struct View<'a> {
    pub seen: &'a str,
    pub decoded: &'a str,
    pub folded: &'a str,
    pub place: Place,
    bytes: u128,
    prefilter: &'a prefilter::Prefilter,
    /// Families whose keywords occur (see [`prefilter`]): scanned on first use, as most values
    /// are ruled out by their bytes before any family asks.
    keywords: OnceCell<u16>,
}

impl<'a> View<'a> {
    pub(crate) fn new(
        seen: &'a str,
        decoded: &'a str,
        folded: &'a str,
        place: Place,
        prefilter: &'a prefilter::Prefilter,
    ) -> Self {
        let mut bytes = 0u128;
        for &b in folded.as_bytes() {
            if b < 128 {
                bytes |= 1 << b;
            }
        }
        Self {
            seen,
            decoded,
            folded,
            place,
            bytes,
            prefilter,
            keywords: OnceCell::new(),
        }
    }

    /// Whether a keyword of `family` (a [`prefilter`] bit) occurs in the folded form.
    pub(crate) fn keyword(&self, family: u16) -> bool {
        let found = self
            .keywords
            .get_or_init(|| self.prefilter.scan(self.folded));
        found & family != 0
    }

    /// Whether any of `chars` occurs in the folded form.
    pub(crate) fn has(&self, chars: &[u8]) -> bool {
        chars.iter().any(|&c| c < 128 && self.bytes & (1 << c) != 0)
    }
}

/// The rule hits for the value being inspected: at most one per rule.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// Rules above this paranoia level are ignored.
    pub paranoia: u8,
    /// Excerpts keep only the matched part, redacted (cookies, credentials).
    pub secret: bool,
    pub list: Vec<(&'static RuleInfo, String)>,
}

impl Hits {
    /// Records that `rule` matched `text[range]`.
    pub(crate) fn add(&mut self, rule: &'static RuleInfo, text: &str, range: Range<usize>) {
        if rule.paranoia > self.paranoia || self.has(rule) {
            return;
        }
        self.list.push((rule, excerpt(text, range, self.secret)));
    }

    /// Whether `rule` already matched this value.
    pub(crate) fn has(&self, rule: &RuleInfo) -> bool {
        self.list.iter().any(|(r, _)| r.id == rule.id)
    }
}

/// The value-level families, compiled for one paranoia level.
#[derive(Debug)]
pub(crate) struct Families {
    sqli: sqli::Sqli,
    xss: xss::Xss,
    traversal: traversal::Traversal,
    rfi: rfi::Rfi,
    cmdi: cmdi::Cmdi,
    jndi: jndi::Jndi,
    php: php::Php,
    java: java::Java,
    ssti: ssti::Ssti,
    prefilter: prefilter::Prefilter,
}

impl Families {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            sqli: sqli::Sqli::new(paranoia),
            xss: xss::Xss::new(paranoia),
            traversal: traversal::Traversal::new(paranoia),
            rfi: rfi::Rfi::new(paranoia),
            cmdi: cmdi::Cmdi::new(paranoia),
            jndi: jndi::Jndi::new(paranoia),
            php: php::Php::new(paranoia),
            java: java::Java::new(paranoia),
            ssti: ssti::Ssti::new(paranoia),
            prefilter: prefilter::Prefilter::new(),
        }
    }

    /// The keyword automaton, for [`View::new`].
    pub(crate) fn prefilter(&self) -> &prefilter::Prefilter {
        &self.prefilter
    }

    /// Runs every family that applies to `v`; returns the work done.
    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        let mut work = v.folded.len() as u64;
        if v.place != Place::Path {
            work += self.sqli.check(v, hits);
            work += self.cmdi.check(v, hits);
        }
        if matches!(v.place, Place::Param | Place::Body) {
            work += self.rfi.check(v, hits);
        }
        work += self.xss.check(v, hits);
        // The whole path had its traversal check.
        if v.place != Place::Segment {
            work += self.traversal.check(v, hits);
        }
        work += self.jndi.check(v, hits);
        work += self.php.check(v, hits);
        work += self.java.check(v, hits);
        work += self.ssti.check(v, hits);
        work
    }
}
