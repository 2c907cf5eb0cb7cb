//! PHP code injection: open tags, calls of functions that run code or commands, superglobals,
//! `php://` wrappers and serialized objects.

use super::pattern::{Gate, Pattern, Patterns};
use super::{Hits, View};
use crate::rules::RuleInfo;
use crate::{Family::Php as F, Severity::*};

const OPEN_TAG: RuleInfo = RuleInfo::new("php-open-tag", F, 1, Critical, "<?php and <?= open tags");
const DANGEROUS_CALL: RuleInfo = RuleInfo::new(
    "php-dangerous-call",
    F,
    1,
    Critical,
    "system(, eval(, base64_decode(, phpinfo() …",
);
const WRAPPER: RuleInfo = RuleInfo::new(
    "php-wrapper",
    F,
    1,
    Critical,
    "php://filter, php://input and kin",
);
const SUPERGLOBAL: RuleInfo = RuleInfo::new(
    "php-superglobal",
    F,
    1,
    Error,
    "$_GET[, $_POST[, $_SERVER[ …",
);
const OBJECT_INJECTION: RuleInfo = RuleInfo::new(
    "php-object-injection",
    F,
    1,
    Critical,
    "a serialized PHP object O:8:\"Class\":",
);
const FUNCTION_CALL: RuleInfo = RuleInfo::new(
    "php-function-call",
    F,
    2,
    Warning,
    "file and callback functions called with arguments",
);

const SCRIPT_UPLOAD: RuleInfo = RuleInfo::new(
    "php-script-upload",
    F,
    1,
    Critical,
    "an uploaded file named .php, .phtml, .phar (also x.php;.jpg, x.php%00.jpg)",
);

pub(crate) const RULES: &[RuleInfo] = &[
    OPEN_TAG,
    SCRIPT_UPLOAD,
    DANGEROUS_CALL,
    WRAPPER,
    SUPERGLOBAL,
    OBJECT_INJECTION,
    FUNCTION_CALL,
];

const PATTERNS: &[Pattern] = &[
    Pattern {
        rule: &OPEN_TAG,
        regex: r"<\?(?:php\b|=)",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &DANGEROUS_CALL,
        regex: r#"\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|base64_decode|gzinflate|gzuncompress|str_rot13|call_user_func(?:_array)?)\s*\(\s*(?:['"$@(]|[a-z_]+\s*\()|\bphpinfo\s*\(\s*\)|\bini_set\s*\(\s*['"]?(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode)|\bpreg_replace\s*\(\s*['"].{0,64}/e['"]"#,
        gate: Gate::NotProse,
    },
    Pattern {
        rule: &WRAPPER,
        regex: r"\bphp://(?:filter|input|stdin|memory|temp|fd|output)",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &SUPERGLOBAL,
        regex: r"\$_(?:get|post|request|cookie|server|files|env|session)\s*\[|\$globals\s*\[",
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &OBJECT_INJECTION,
        regex: r#"\b[oc]:\+?\d+:"[a-z_\\/][\w\\/]*":\+?\d+:\{|\ba:\d+:\{(?:i:\d+|s:\d+:"[^"]{0,64}");[oc]:\+?\d+:""#,
        gate: Gate::Anywhere,
    },
    Pattern {
        rule: &FUNCTION_CALL,
        regex: r#"\b(?:file_get_contents|file_put_contents|fopen|fwrite|readfile|include|include_once|require|require_once|highlight_file|show_source|move_uploaded_file|unserialize|array_map|usort|preg_replace|ini_set|putenv|dl)\s*\(\s*['"$]"#,
        gate: Gate::Anywhere,
    },
];

/// Extensions a PHP-enabled server runs.
const SCRIPT_EXTENSIONS: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "php8", "pht", "phtml", "phar", "phps", "pgif",
];

/// A filename with a PHP extension, last or followed by what servers cut at or still run
/// (`x.php;.jpg`, `x.php%00.jpg`, `x.php.jpg` under a loose handler).
fn script_upload(name: &str, hits: &mut Hits) {
    let base = name.rsplit('/').next().unwrap_or(name);
    for (dot, _) in base.match_indices('.') {
        let ext = &base[dot + 1..];
        let end = ext.find([';', '\0', ' ', '.', ':']).unwrap_or(ext.len());
        if SCRIPT_EXTENSIONS.contains(&&ext[..end]) {
            let at = name.len() - base.len() + dot;
            hits.add(&SCRIPT_UPLOAD, name, at..at + 1 + end);
            return;
        }
    }
}

/// The compiled PHP family.
#[derive(Debug)]
pub(crate) struct Php {
    patterns: Patterns,
}

impl Php {
    pub(crate) fn new(paranoia: u8) -> Self {
        Self {
            patterns: Patterns::new(PATTERNS, paranoia),
        }
    }

    pub(crate) fn check(&self, v: &View<'_>, hits: &mut Hits) -> u64 {
        if v.place == super::Place::Filename && v.has(b".") {
            script_upload(v.folded, hits);
        }
        if !v.has(b"(<$:") || !v.keyword(super::prefilter::PHP) {
            return 0;
        }
        self.patterns.check(v.folded, hits)
    }
}
