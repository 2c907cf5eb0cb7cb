//! fail2ban tags and Python `re` syntax → the `regex` crate.
//!
//! Rewrites (each exactly equivalent on a single line):
//! * `\Z` → `\z`; `\<`, `\>` (Python: plain `<`, `>`) → `<`, `>`; other escaped punctuation as
//!   a literal; a `{` that is not a quantifier → `\{`; `{,n}` → `{0,n}`;
//! * inside `[…]`: `[`, `&`, `~` and a second `-` escaped (the regex crate's nested classes and
//!   set operators), `(?#…)` comments dropped;
//! * fail2ban's IPv6 pattern ends in `(?<=:):`; every repetition before it ends in `:`, so the
//!   look-behind always holds and is dropped;
//! * the idiom `(?:(?!LIT).)*` / `(?:(?!LIT).)*?` ("any text not containing LIT", LIT a plain
//!   literal whose first character does not recur before its last) → an equivalent regex
//!   built from LIT's matching automaton (sshd.conf's `(?:(?! from ).)*?`);
//! * conditionals `(?(name)yes|no)` → one regex per assignment of the referenced groups:
//!   where `name` is taken not to participate its group becomes `(?P<name>[^\s\S]…)` (cannot
//!   match) and the conditional becomes `no`; where it is taken to participate the conditional
//!   becomes `yes` and a match only counts if the group did participate. A match so accepted is
//!   a match Python accepts too (same path); the rewrite can only miss lines, never add any.
//!
//! Unsupported (the line is skipped with the reason): backreferences `(?P=name)` / `\1`,
//! other look-arounds, atomic groups and possessive quantifiers, the `(?a)`/`(?L)` flags,
//! `<SKIPLINES>` (multi-line buffering).

use std::collections::HashMap;

/// One compiled form of a Python regex, plus the groups that must have participated.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub pattern: String,
    pub require: Vec<String>,
}

const IP4: &str = r"(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})";
const IP6: &str = r"(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:))";
const DNS: &str = r"(?P<dns>[\w\-.^_]*\w)";
const CIDR: &str = r"(?P<cidr>\d+)";

fn addr() -> String {
    format!(r"\[?(?:{IP4}|{IP6})\]?")
}

/// Replaces fail2ban's `<HOST>`-style and `<F-…>` tags (fail2ban's `Regex._resolveHostTag`).
pub(crate) fn resolve_tags(re: &str) -> Result<String, String> {
    let mut out = String::with_capacity(re.len() + 64);
    let mut open: HashMap<String, ()> = HashMap::new();
    let mut rest = re;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // FTAG_CRE: </?[\w\-]+/?>
        let body_len = after.find('>').filter(|&j| {
            let b = &after[..j];
            let core = b.strip_prefix('/').unwrap_or(b);
            let core = core.strip_suffix('/').unwrap_or(core);
            !core.is_empty()
                && core
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        });
        let Some(j) = body_len else {
            out.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..j];
        rest = &after[j + 1..];
        let rep: Option<String> = match tag {
            "HOST" => Some(format!("(?:{}|{DNS})", addr())),
            "IP4" | "F-IP4/" => Some(IP4.into()),
            "IP6" | "F-IP6/" => Some(IP6.into()),
            "ADDR" | "F-ADDR/" => Some(addr()),
            "CIDR" | "F-CIDR/" => Some(CIDR.into()),
            "SUBNET" | "F-SUBNET/" => Some(format!(r"\[?(?:{IP4}|{IP6})(?:/{CIDR})?\]?")),
            "DNS" | "F-DNS/" => Some(DNS.into()),
            "F-ID/" => Some(r"(?P<fid>\S+)".into()),
            "F-PORT/" => Some(r"(?P<fport>\w+)".into()),
            "SKIPLINES" => return Err("<SKIPLINES> needs multi-line buffering".into()),
            _ => None,
        };
        if let Some(r) = rep {
            out.push_str(&r);
            continue;
        }
        let (close, name) = match tag.strip_prefix('/') {
            Some(t) => (true, t),
            None => (false, tag),
        };
        let custom = name.strip_prefix("F-").filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        });
        match custom {
            Some(n) if close && open.contains_key(n) => out.push(')'),
            Some(_) if close => {
                out.push('<');
                out.push_str(tag);
                out.push('>');
            }
            Some(n) => {
                open.insert(n.to_owned(), ());
                let lower = n.to_ascii_lowercase().replace('-', "_");
                let mapped = match lower.as_str() {
                    "id" => "fid".to_owned(),
                    "port" => "fport".to_owned(),
                    _ => lower,
                };
                out.push_str("(?P<");
                out.push_str(&mapped);
                out.push('>');
            }
            None => {
                out.push('<');
                out.push_str(tag);
                out.push('>');
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Translates a Python regex (tags already resolved) into its `regex`-crate variants.
pub(crate) fn translate(py: &str) -> Result<Vec<Variant>, String> {
    let mut conds: Vec<String> = Vec::new();
    collect_conditionals(py, &mut conds)?;
    if conds.len() > 4 {
        return Err("more than 4 conditional groups".into());
    }
    let mut out = Vec::new();
    // Participating assignments first: a greedy `(…)?` tries to take its group first.
    for mask in (0u32..(1 << conds.len())).rev() {
        let assign: HashMap<&str, bool> = conds
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), mask & (1 << i) != 0))
            .collect();
        let mut t = Translator {
            assign: &assign,
            seen: HashMap::new(),
        };
        let pattern = t.run(py)?;
        let require = conds
            .iter()
            .filter(|n| assign[n.as_str()])
            .cloned()
            .collect();
        out.push(Variant { pattern, require });
    }
    Ok(out)
}

fn collect_conditionals(py: &str, out: &mut Vec<String>) -> Result<(), String> {
    let mut rest = py;
    while let Some(i) = rest.find("(?(") {
        // An escaped "\(?(" is not a conditional.
        let escaped = rest[..i].chars().rev().take_while(|c| *c == '\\').count() % 2 == 1;
        let after = &rest[i + 3..];
        if !escaped {
            let end = after.find(')').ok_or("unterminated conditional")?;
            let name = &after[..end];
            if name.is_empty()
                || name.bytes().all(|b| b.is_ascii_digit())
                || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                return Err(format!(
                    "conditional on group {name:?} (only named groups are rewritten)"
                ));
            }
            if !out.iter().any(|n| n == name) {
                out.push(name.to_owned());
            }
        }
        rest = after;
    }
    Ok(())
}

struct Translator<'a> {
    assign: &'a HashMap<&'a str, bool>,
    seen: HashMap<String, usize>,
}

/// A regex for "text not containing `lit`" (see the module doc), or `None` when `lit` has a
/// shape the construction does not cover.
pub(crate) fn not_containing(lit: &str) -> Option<String> {
    let chars: Vec<char> = lit.chars().collect();
    let n = chars.len();
    let c = *chars.first()?;
    if n < 2 || chars[1..n - 1].contains(&c) {
        return None;
    }
    let e = |ch: char| regex::escape(&ch.to_string());
    let not = |extra: Option<char>| match extra {
        Some(x) if x != c => format!("[^{}{}]", e(c), e(x)),
        _ => format!("[^{}]", e(c)),
    };
    // From "after a run of c": leave to state 0 via w[1..k] + a char that is neither w[k] nor c;
    // or stop at a partial prefix w[1..k] before the next run of c or the end.
    let mut leave = Vec::new();
    let mut partial = Vec::new();
    for k in 1..n {
        let pre: String = chars[1..k].iter().map(|&ch| e(ch)).collect();
        leave.push(format!("{pre}{}", not(Some(chars[k]))));
        if k > 1 {
            partial.push(pre);
        }
    }
    // The full prefix w[..n-1] may end the text; followed by c it would complete `lit`
    // (when the last char is c) — so it is only allowed at the end.
    let last_full: String = chars[1..n - 1].iter().map(|&ch| e(ch)).collect();
    let last_is_c = chars[n - 1] == c;
    let mut mid = partial.clone();
    if last_is_c {
        mid.retain(|p| *p != last_full);
    }
    let cc = e(c);
    let nc = format!("[^{cc}]");
    let mut alts = vec![format!("(?:{})(?:{nc})*", leave.join("|"))];
    alts.extend(mid);
    let mut tail = partial;
    tail.push(String::new());
    Some(format!(
        "(?:(?:{nc})*(?:{cc}+(?:{}))*(?:{cc}+(?:{}))?)",
        alts.join("|"),
        tail.join("|")
    ))
}

impl Translator<'_> {
    fn run(&mut self, py: &str) -> Result<String, String> {
        let mut out = String::with_capacity(py.len() + 16);
        let b: Vec<char> = py.chars().collect();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                '\\' => {
                    let n = *b.get(i + 1).ok_or("trailing backslash")?;
                    i += 2;
                    self.escape(n, &b, &mut i, &mut out, false)?;
                }
                '[' => {
                    i = self.class(&b, i, &mut out)?;
                }
                '(' => {
                    i = self.group(&b, i, &mut out)?;
                }
                '{' => {
                    let rest: String = b[i..b.len().min(i + 24)].iter().collect();
                    match quantifier(&rest) {
                        Some((len, q)) => {
                            out.push_str(&q);
                            i += len;
                            if matches!(b.get(i), Some('+')) {
                                return Err("possessive quantifier".into());
                            }
                        }
                        None => {
                            out.push_str("\\{");
                            i += 1;
                        }
                    }
                }
                '}' => {
                    out.push_str("\\}");
                    i += 1;
                }
                '*' | '+' | '?' => {
                    out.push(c);
                    i += 1;
                    if matches!(b.get(i), Some('+')) {
                        return Err("possessive quantifier".into());
                    }
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    fn escape(
        &self,
        n: char,
        b: &[char],
        i: &mut usize,
        out: &mut String,
        in_class: bool,
    ) -> Result<(), String> {
        match n {
            'Z' if !in_class => out.push_str("\\z"),
            'A' | 'b' | 'B' if !in_class => {
                out.push('\\');
                out.push(n);
            }
            'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' | 'a' => {
                out.push('\\');
                out.push(n);
            }
            'x' => {
                let hex: String = b
                    .get(*i..*i + 2)
                    .map(|h| h.iter().collect())
                    .unwrap_or_default();
                if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err("bad \\x escape".into());
                }
                out.push_str("\\x");
                out.push_str(&hex);
                *i += 2;
            }
            'u' | 'U' => {
                let len = if n == 'u' { 4 } else { 8 };
                let hex: String = b
                    .get(*i..*i + len)
                    .map(|h| h.iter().collect())
                    .unwrap_or_default();
                if hex.len() != len || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err("bad \\u escape".into());
                }
                out.push_str(&format!("\\x{{{hex}}}"));
                *i += len;
            }
            '0'..='9' => return Err("backreference or octal escape".into()),
            c if c.is_alphanumeric() => return Err(format!("unsupported escape \\{c}")),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        Ok(())
    }

    /// `[...]` starting at `start`; returns the index after it.
    fn class(&self, b: &[char], start: usize, out: &mut String) -> Result<usize, String> {
        let mut i = start + 1;
        out.push('[');
        if b.get(i) == Some(&'^') {
            out.push('^');
            i += 1;
        }
        if b.get(i) == Some(&']') {
            out.push_str("\\]");
            i += 1;
        }
        while i < b.len() {
            let c = b[i];
            match c {
                ']' => {
                    out.push(']');
                    return Ok(i + 1);
                }
                '\\' => {
                    let n = *b.get(i + 1).ok_or("trailing backslash")?;
                    i += 2;
                    self.escape(n, b, &mut i, out, true)?;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if b.get(i + 1) == Some(&'-') => {
                    out.push_str("-\\-");
                    i += 1;
                }
                _ => out.push(c),
            }
            i += 1;
        }
        Err("unterminated character class".into())
    }

    /// A `(` at `start`; returns the index after what was consumed.
    fn group(&mut self, b: &[char], start: usize, out: &mut String) -> Result<usize, String> {
        let rest: String = b[start..b.len().min(start + 256)].iter().collect();
        if let Some((len, lit)) = no_lit_idiom(&rest) {
            let r = not_containing(&lit)
                .ok_or_else(|| format!("look-ahead (?!{lit}) of a shape not rewritten"))?;
            out.push_str(&r);
            return Ok(start + len);
        }
        if b.get(start + 1) != Some(&'?') {
            out.push('(');
            return Ok(start + 1);
        }
        let i = start + 2;
        match b.get(i) {
            Some('P') => match b.get(i + 1) {
                Some('<') => self.named(b, i + 2, out),
                Some('=') => Err("backreference (?P=name)".into()),
                _ => Err("unknown (?P construct".into()),
            },
            Some('<') => match b.get(i + 1) {
                Some('=') | Some('!') => Err("look-behind".into()),
                _ => self.named(b, i + 1, out),
            },
            Some('=') | Some('!') => Err("look-ahead".into()),
            Some('>') => Err("atomic group".into()),
            Some('#') => {
                let end = b[i..]
                    .iter()
                    .position(|c| *c == ')')
                    .ok_or("unterminated comment")?;
                Ok(i + end + 1)
            }
            Some('(') => self.conditional(b, i + 1, out),
            Some(':') => {
                out.push_str("(?:");
                Ok(i + 1)
            }
            _ => {
                // Flags: (?imsux) or (?imsux-imsux:...).
                let mut j = i;
                let mut flags = String::new();
                while let Some(&c) = b.get(j) {
                    if c == ')' || c == ':' {
                        break;
                    }
                    if !"imsux-".contains(c) {
                        return Err(format!("unsupported flag {c:?}"));
                    }
                    flags.push(c);
                    j += 1;
                }
                let end = *b.get(j).ok_or("unterminated group")?;
                out.push_str("(?");
                out.push_str(&flags);
                out.push(end);
                Ok(j + 1)
            }
        }
    }

    fn named(&mut self, b: &[char], i: usize, out: &mut String) -> Result<usize, String> {
        let len = b[i..]
            .iter()
            .position(|c| *c == '>')
            .ok_or("unterminated group name")?;
        let name: String = b[i..i + len].iter().collect();
        if name.is_empty()
            || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(format!("bad group name {name:?}"));
        }
        let count = self.seen.entry(name.clone()).or_insert(0);
        *count += 1;
        // The regex crate rejects duplicate names: later ones get a suffix the matcher strips.
        let emitted = if *count == 1 {
            name.clone()
        } else {
            format!("{name}__d{count}")
        };
        out.push_str("(?P<");
        out.push_str(&emitted);
        out.push('>');
        if self.assign.get(name.as_str()) == Some(&false) {
            out.push_str(r"[^\s\S]");
        }
        Ok(i + len + 1)
    }

    fn conditional(&mut self, b: &[char], i: usize, out: &mut String) -> Result<usize, String> {
        let len = b[i..]
            .iter()
            .position(|c| *c == ')')
            .ok_or("unterminated conditional")?;
        let name: String = b[i..i + len].iter().collect();
        let take_yes = *self
            .assign
            .get(name.as_str())
            .ok_or("conditional on an unknown group")?;
        // Split the body at its top-level '|', up to the matching ')'.
        let mut j = i + len + 1;
        let body_start = j;
        let mut depth = 0usize;
        let mut bar = None;
        let mut in_class = false;
        while j < b.len() {
            match b[j] {
                '\\' => j += 1,
                '[' if !in_class => in_class = true,
                ']' if in_class => in_class = false,
                '(' if !in_class => depth += 1,
                ')' if !in_class => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                '|' if !in_class && depth == 0 && bar.is_none() => bar = Some(j),
                _ => {}
            }
            j += 1;
        }
        if j >= b.len() {
            return Err("unterminated conditional".into());
        }
        let (yes, no): (String, String) = match bar {
            Some(p) => (
                b[body_start..p].iter().collect(),
                b[p + 1..j].iter().collect(),
            ),
            None => (b[body_start..j].iter().collect(), String::new()),
        };
        let branch = if take_yes { yes } else { no };
        out.push_str("(?:");
        out.push_str(&self.run(&branch)?);
        out.push(')');
        Ok(j + 1)
    }
}

/// `(?:(?!LIT).)*` or `(?:(?!LIT).)*?` with LIT free of regex syntax: (length in chars, LIT).
fn no_lit_idiom(s: &str) -> Option<(usize, String)> {
    let r = s.strip_prefix("(?:(?!")?;
    let end = r.find(").)*")?;
    let lit = &r[..end];
    if lit.is_empty() || lit.chars().any(|c| "\\[](){}.*+?|^$".contains(c)) {
        return None;
    }
    let mut len = "(?:(?!".chars().count() + lit.chars().count() + ").)*".chars().count();
    if s.chars().nth(len) == Some('?') {
        len += 1;
    }
    Some((len, lit.to_owned()))
}

/// A Python quantifier `{n}`, `{n,}`, `{,m}`, `{n,m}` (with a lazy `?`): (length, rust form).
fn quantifier(s: &str) -> Option<(usize, String)> {
    let close = s.find('}')?;
    let body = &s[1..close];
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body, None),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let q = match hi {
        Some(h) => format!("{{{lo},{h}}}"),
        None => format!("{{{lo}}}"),
    };
    Some((close + 1, q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_containing_from() {
        let r = regex::Regex::new(&format!("^{}$", not_containing(" from ").unwrap())).unwrap();
        for ok in [
            "",
            "a b",
            "from",
            " from",
            "a from",
            "x  fro m",
            "a  from",
            "f from",
            "a fromx from",
        ] {
            assert_eq!(r.is_match(ok), !ok.contains(" from "), "{ok:?}");
        }
        for bad in [" from ", "a from b", "a  from  b", "x fr from y"] {
            assert!(!r.is_match(bad), "{bad:?}");
        }
        // Exhaustive over a small alphabet.
        let alpha = [' ', 'f', 'r', 'o', 'm', 'x'];
        let mut words = vec![String::new()];
        for _ in 0..7 {
            let mut next = Vec::new();
            for w in &words {
                for c in alpha {
                    next.push(format!("{w}{c}"));
                }
            }
            for w in &next {
                assert_eq!(r.is_match(w), !w.contains(" from "), "{w:?}");
            }
            words = next;
        }
    }

    #[test]
    fn never_match_compiles() {
        assert!(
            regex::Regex::new(r"(?P<x>[^\s\S]a)?b")
                .unwrap()
                .captures("ab")
                .unwrap()
                .get(1)
                .is_none()
        );
    }

    #[test]
    fn python_bits() {
        let v = translate(r"[^[]*\[x\]\Z{,3}a{b").unwrap();
        assert_eq!(v[0].pattern, r"[^\[]*\[x\]\z{0,3}a\{b");
        assert!(translate(r"(?P<a>x)(?P=a)").is_err());
        assert!(translate(r"a(?=b)").is_err());
        assert_eq!(translate(r"(?P<c>x)?(?(c)y|z)").unwrap().len(), 2);
    }
}
