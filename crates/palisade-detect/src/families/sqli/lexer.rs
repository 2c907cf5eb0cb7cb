//! A small SQL lexer in the spirit of libinjection: it turns input into token kinds, one
//! character each, so that a value's first tokens make a compact fingerprint.
//!
//! Kinds: `s` string, `1` number (and `true`/`false`/`null`), `n` bareword, `f` function (a
//! bareword before `(`), `k` keyword, `U` union-like set operator, `E` statement keyword
//! (`select`, `drop`, `exec`…), `B` clause (`order`/`group`/`limit`/`having`), `&` logic
//! operator, `o` operator, `c` line comment, `v` variable (`@x`, `@@x`), `(` `)` `,` `;`, and
//! `C` for `case`, `x` for anything else. Internal kinds `a` (`all`/`distinct`) and `b` (`by`) are folded away
//! by the fingerprinter.

/// One token: its kind.
pub(crate) type Kind = u8;

/// Lexes SQL-ish input, optionally starting inside a string opened by `quote`.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    quote: Option<u8>,
}

impl<'a> Lexer<'a> {
    /// `quote`: lex as if the input were spliced into a string delimited by it.
    pub(crate) fn new(s: &'a str, quote: Option<u8>) -> Self {
        Self {
            s: s.as_bytes(),
            i: 0,
            quote,
        }
    }

    /// Bytes consumed so far (for the work counter).
    pub(crate) fn consumed(&self) -> usize {
        self.i
    }

    /// The next token kind, or `None` at the end.
    pub(crate) fn next_kind(&mut self) -> Option<Kind> {
        if let Some(q) = self.quote.take() {
            self.i = string_end(self.s, 0, q);
            return Some(b's');
        }
        let s = self.s;
        loop {
            let &b = s.get(self.i)?;
            let start = self.i;
            self.i += 1;
            return Some(match b {
                // MSSQL reads every control character as a blank.
                b' ' | 0x01..=0x1f => continue,
                b'\'' | b'"' => {
                    self.i = string_end(s, self.i, b);
                    b's'
                }
                b'`' => {
                    self.i = memchr::memchr(b'`', &s[self.i..]).map_or(s.len(), |p| self.i + p + 1);
                    b'n'
                }
                b'0'..=b'9' => {
                    self.number(start);
                    b'1'
                }
                b'.' if s.get(self.i).is_some_and(u8::is_ascii_digit) => {
                    self.number(start);
                    b'1'
                }
                b'@' => {
                    while self.i < s.len() && (is_word(s[self.i]) || s[self.i] == b'@') {
                        self.i += 1;
                    }
                    b'v'
                }
                b'#' => self.line_comment(),
                b'-' if s.get(self.i) == Some(&b'-') => self.line_comment(),
                b'/' if s.get(self.i) == Some(&b'*') => {
                    if s.get(self.i + 1) == Some(&b'!') {
                        // MySQL executable comment: its content is code.
                        self.i += 2;
                        while self.i < s.len() && s[self.i].is_ascii_digit() {
                            self.i += 1;
                        }
                    } else {
                        let from = self.i + 1;
                        self.i = memchr::memmem::find(&s[from..], b"*/")
                            .map_or(s.len(), |p| from + p + 2);
                    }
                    continue;
                }
                b'*' if s.get(self.i) == Some(&b'/') => {
                    self.i += 1;
                    continue;
                }
                b'(' | b')' | b',' | b';' => b,
                b'|' if s.get(self.i) == Some(&b'|') => {
                    self.i += 1;
                    b'&'
                }
                b'&' if s.get(self.i) == Some(&b'&') => {
                    self.i += 1;
                    b'&'
                }
                b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'~'
                | b'|' | b'&' | b':' => {
                    while self.i < s.len() && matches!(s[self.i], b'=' | b'<' | b'>' | b'!') {
                        self.i += 1;
                    }
                    b'o'
                }
                b if is_word_start(b) => self.word(start),
                _ => b'x',
            });
        }
    }

    fn number(&mut self, start: usize) {
        let s = self.s;
        if s[start] == b'0' && matches!(s.get(self.i), Some(b'x' | b'X' | b'b' | b'B')) {
            self.i += 1;
            while self.i < s.len() && s[self.i].is_ascii_hexdigit() {
                self.i += 1;
            }
            return;
        }
        while self.i < s.len() && (s[self.i].is_ascii_digit() || s[self.i] == b'.') {
            self.i += 1;
        }
        if matches!(s.get(self.i), Some(b'e' | b'E'))
            && s.get(self.i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+')
        {
            self.i += 2;
            while self.i < s.len() && s[self.i].is_ascii_digit() {
                self.i += 1;
            }
        }
    }

    fn line_comment(&mut self) -> Kind {
        self.i = memchr::memchr(b'\n', &self.s[self.i..]).map_or(self.s.len(), |p| self.i + p);
        b'c'
    }

    fn word(&mut self, start: usize) -> Kind {
        let s = self.s;
        while self.i < s.len() && (is_word(s[self.i]) || s[self.i] == b'.' || s[self.i] == b'$') {
            self.i += 1;
        }
        let word = &s[start..self.i];
        let mut j = self.i;
        while j < s.len() && (s[j] == b' ' || (0x01..=0x1f).contains(&s[j])) {
            j += 1;
        }
        let call = s.get(j) == Some(&b'(');
        match keyword(word) {
            // `if(`, `cast(`, `exists(`: keywords called like functions.
            Some(b'k') if call => b'f',
            Some(k) => k,
            None if call => b'f',
            None => b'n',
        }
    }
}

/// End of a string whose body starts at `i`: after the closing quote (doubled quotes and
/// backslash escapes stay inside), or the end of input.
fn string_end(s: &[u8], mut i: usize, q: u8) -> usize {
    while i < s.len() {
        let Some(off) = memchr::memchr2(q, b'\\', &s[i..]) else {
            return s.len();
        };
        i += off;
        // A backslash escape or a doubled quote stays inside the string.
        if s[i] == b'\\' || s.get(i + 1) == Some(&q) {
            i += 2;
        } else {
            return i + 1;
        }
    }
    s.len()
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The kind of a keyword, or `None` for a bareword.
fn keyword(word: &[u8]) -> Option<Kind> {
    if word.len() > 16 {
        return None;
    }
    let mut buf = [0u8; 16];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"and" | b"or" | b"xor" => b'&',
        b"not" | b"like" | b"rlike" | b"regexp" | b"in" | b"is" | b"between" | b"div" | b"mod"
        | b"sounds" | b"glob" | b"collate" | b"escape" => b'o',
        b"union" | b"intersect" | b"except" => b'U',
        b"all" | b"distinct" => b'a',
        b"by" => b'b',
        b"select" | b"insert" | b"update" | b"delete" | b"drop" | b"create" | b"alter"
        | b"truncate" | b"exec" | b"execute" | b"declare" | b"shutdown" | b"waitfor" | b"grant"
        | b"revoke" | b"rename" | b"merge" | b"handler" => b'E',
        b"order" | b"group" | b"having" | b"limit" | b"procedure" | b"offset" => b'B',
        b"true" | b"false" | b"null" => b'1',
        b"case" => b'C',
        b"from" | b"where" | b"as" | b"when" | b"then" | b"else" | b"end" | b"into" | b"values"
        | b"table" | b"database" | b"set" | b"top" | b"exists" | b"join" | b"on" | b"using"
        | b"with" | b"asc" | b"desc" | b"if" | b"delay" | b"cast" => b'k',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str, q: Option<u8>) -> String {
        let mut l = Lexer::new(s, q);
        let mut out = String::new();
        while let Some(k) = l.next_kind() {
            out.push(k as char);
        }
        out
    }

    #[test]
    fn token_kinds() {
        assert_eq!(
            kinds("1 UNION ALL SELECT @@version,2-- x", None),
            "1UaEv,1c"
        );
        assert_eq!(kinds("x' or 'a'='a", Some(b'\'')), "s&sos");
        assert_eq!(kinds("sleep (5)", None), "f(1)");
        assert_eq!(kinds("a/**/or/*!50000select*/", None), "n&E");
        assert_eq!(kinds("'it''s'", None), "s");
        assert_eq!(kinds("1 and if(1=1,2,3)", None), "1&f(1o1,1,1)");
        assert_eq!(kinds("(case\x0cwhen", None), "(Ck");
    }
}
