//! Cross-site scripting: script-capable tags, event handlers in tag or attribute-breakout
//! context, script URIs (also with blanks and entities inside the scheme), CSS expressions.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Xss as F, Severity::*};

const SCRIPT_TAG: RuleInfo =
    RuleInfo::new("xss-script-tag", F, 1, Critical, "<script> and </script>");
const EVENT_HANDLER: RuleInfo = RuleInfo::new(
    "xss-event-handler",
    F,
    1,
    Critical,
    "on*= handler in a tag or after an attribute breakout",
);
const DANGEROUS_TAG: RuleInfo = RuleInfo::new(
    "xss-dangerous-tag",
    F,
    1,
    Critical,
    "iframe, object, embed, base, meta refresh and kin",
);
const SCRIPT_URI: RuleInfo = RuleInfo::new(
    "xss-script-uri",
    F,
    1,
    Critical,
    "javascript:, vbscript:, data:text/html URIs",
);
const IFRAME_EMBED: RuleInfo = RuleInfo::new(
    "xss-iframe-embed",
    F,
    1,
    Error,
    "an iframe of an http(s) page (embeds; scored below the threshold alone)",
);
const JS_STRING_BREAKOUT: RuleInfo = RuleInfo::new(
    "xss-js-string-breakout",
    F,
    1,
    Critical,
    "a quote closing a JS string, then a call and a comment or new string: \";f(1);//",
);
const ATTRIBUTE_BREAKOUT: RuleInfo = RuleInfo::new(
    "xss-attribute-breakout",
    F,
    1,
    Critical,
    "a quote closing an attribute then a new tag",
);
const CSS_EXPRESSION: RuleInfo = RuleInfo::new(
    "xss-css-expression",
    F,
    1,
    Critical,
    "expression(), -moz-binding, behavior: in styles",
);
const SCRIPT_URI_LOOSE: RuleInfo = RuleInfo::new(
    "xss-script-uri-loose",
    F,
    2,
    Warning,
    "a script scheme anywhere, even followed by a blank",
);
const SRCDOC: RuleInfo = RuleInfo::new(
    "xss-srcdoc",
    F,
    1,
    Critical,
    "srcdoc= and formaction= attributes",
);
const JS_SINK: RuleInfo = RuleInfo::new(
    "xss-js-sink",
    F,
    2,
    Error,
    "alert(), document.cookie, eval(), fromCharCode",
);
const HTML_TAG: RuleInfo = RuleInfo::new(
    "xss-html-tag-attribute",
    F,
    2,
    Warning,
    "any tag with an attribute",
);
const ANY_TAG: RuleInfo = RuleInfo::new(
    "xss-any-tag",
    F,
    3,
    Notice,
    "anything that looks like an HTML tag",
);

pub(crate) const RULES: &[RuleInfo] = &[
    SCRIPT_TAG,
    EVENT_HANDLER,
    DANGEROUS_TAG,
    IFRAME_EMBED,
    JS_STRING_BREAKOUT,
    SCRIPT_URI,
    SCRIPT_URI_LOOSE,
    ATTRIBUTE_BREAKOUT,
    CSS_EXPRESSION,
    SRCDOC,
    JS_SINK,
    HTML_TAG,
    ANY_TAG,
];

const FOLDED: &[Pattern] = &[
    Pattern {
        rule: &SCRIPT_TAG,
        regex: r"<\s*/?\s*script\b",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &EVENT_HANDLER,
        regex: r#"<[a-z][^>]*?[\s/"'`]on[a-z]{3,24}\s*=|["'`][^"'`<>]{0,80}?[\s/]on[a-z]{3,24}\s*=\s*\S|^\s*on[a-z]{3,24}\s*=\s*\S"#,
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &DANGEROUS_TAG,
        // An iframe counts here without a src, or with one that is no http(s) page.
        regex: r"<\s*i?frame\b(?:\s*/?>|\s*$|[^>]*?\bsrc\s*=\s*['\x22]?\s*(?:[^h/'\x22\s]|h[^t]))|<\s*(?:frameset|object|embed|applet|base|isindex|xss|import|meta\b[^>]*http-equiv|link\b[^>]*\bhref\s*=\s*\S*javascript)\b",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &IFRAME_EMBED,
        regex: r"<\s*i?frame\b",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &JS_STRING_BREAKOUT,
        regex: r#"["'`]\s*[)\]]*\s*[;+*/|&-]\s*[a-z_$][\w$.]{0,40}\s*\([^()]{0,100}\)\s*(?:;|//|<!--|[+*/|&-]\s*["'`]|[+*/|&-]\s*$)"#,
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &ATTRIBUTE_BREAKOUT,
        regex: r#"["'`]\s*/?>\s*<\s*[a-z!/]|-->\s*<\s*[a-z]|\]\]>\s*<\s*[a-z]"#,
        gate: Gate::UnbalancedQuote,
    },
    Pattern {
        rule: &CSS_EXPRESSION,
        regex: r"[:=]\s*expression\s*\(|-moz-binding\s*:|\bbehavior\s*:\s*url\s*\(|@import\s+['\x22]?\s*javascript",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &SRCDOC,
        regex: r"\b(?:srcdoc|formaction|xlink:href)\s*=",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &JS_SINK,
        regex: r"\b(?:alert|prompt|confirm|eval|settimeout|setinterval)\s*[(`]|\bdocument\s*\.\s*(?:cookie|domain|write)|\bwindow\s*\.\s*location|\bstring\s*\.\s*fromcharcode\b|\.innerhtml\s*=|\batob\s*\(",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &HTML_TAG,
        regex: r"<[a-z][a-z0-9-]*[\s/]+[^>]*=",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &ANY_TAG,
        regex: r"<[a-z!/?][a-z0-9-]*[\s/>]",
        gate: Gate::Anywhere,
    },
];

/// One of these occurs in every match of [`FOLDED`]: `<` (tags, breakouts), `=` (handlers,
/// `srcdoc=`), `(` or `` ` `` (sink calls), `.` (`document.cookie`…), `:` and `@` (CSS).
const FOLDED_BYTES: &[u8] = b"<=(`.:@";

/// Script schemes; folding left at most one blank between letters (`java&#x09;script:`),
/// which browsers ignore. At paranoia 1 code must follow the colon at once: prose ("JavaScript:
/// the good parts") has a blank there.
const SCHEMES: &[Pattern] = &[
    Pattern {
        rule: &SCRIPT_URI,
        regex: r"(?:j ?a ?v ?a ?s ?c ?r ?i ?p ?t|v ?b ?s ?c ?r ?i ?p ?t|l ?i ?v ?e ?s ?c ?r ?i ?p ?t) ?:[^\s]|d ?a ?t ?a ?: ?(?:t ?e ?x ?t ?/ ?h ?t ?m ?l|i ?m ?a ?g ?e ?/ ?s ?v ?g|a ?p ?p ?l ?i ?c ?a ?t ?i ?o ?n ?/ ?(?:x-)?(?:xhtml|xml))",
        gate: Gate::ValueStart,
    },
    Pattern {
        rule: &SCRIPT_URI_LOOSE,
        regex: r"\b(?:javascript|vbscript) ?:",
        gate: Gate::Anywhere,
    },
];

/// The compiled XSS family.
#[derive(Debug)]
pub(crate) struct Xss {
    folded: Patterns,
    schemes: Patterns,
}

impl Xss {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            folded: Patterns::new(FOLDED, paranoia),
            schemes: Patterns::new(SCHEMES, paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        let mut work = 0;
        // Every folded pattern needs one of `FOLDED_BYTES`: without them the keyword scan is moot.
        if (v.has(FOLDED_BYTES) && v.keyword(super::prefilter::XSS))
            || (v.has(b"=") && v.keyword(super::prefilter::XSS_ON))
        {
            work += self.folded.check(v.folded, hits);
        }
        if v.has(b":") {
            work += self.schemes.check(v.folded, hits);
        }
        work
    }
}
