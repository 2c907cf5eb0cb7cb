//! Decoding and normalisation, bounded in rounds and linear in size.
//!
//! Every inspected value gets three forms, each computed once:
//!
//! - **seen**: what the application sees (query and form values decoded once, `+` as space;
//!   JSON strings unescaped; headers as sent);
//! - **decoded**: percent decoding (`%XX`, `%uXXXX`) repeated until stable, at most
//!   [`MAX_ROUNDS`] rounds; overlong UTF-8 (`%c0%af` → `/`); HTML character references (two
//!   rounds); NUL bytes dropped. Case is kept;
//! - **folded**: the decoded form lower-cased, `\` → `/`, `/* … */` comments → one space,
//!   fullwidth forms → ASCII, control characters dropped, whitespace runs → one space.
//!
//! Each step is a single pass, so the cost is a small constant times the value's length.
//!
//! # Example
//!
//! ```
//! use palisade_detect::normalise;
//! assert_eq!(normalise::normalise(b"%253Cscript%253E"), "<script>");
//! assert_eq!(normalise::normalise(b"..%c0%af..%c0%afetc"), "../../etc");
//! assert_eq!(normalise::normalise(b"UNION/**/SELECT"), "union select");
//! ```

mod entity;
mod fold;
mod percent;
mod utf8;

pub(crate) use fold::collapse_path;

/// Percent-decoding rounds at most: enough for double and triple encoding, bounded so a
/// `%25252525…` value costs a fixed number of passes.
pub const MAX_ROUNDS: usize = 3;

/// How a value reached the application, i.e. what its first decoding round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Query strings and forms: percent-encoded, `+` is a space.
    Query,
    /// The URL path: percent-encoded, `+` is a plus.
    Path,
    /// Already decoded by its container (JSON strings, headers, multipart parts).
    Plain,
}

/// Reusable buffers holding the forms of the value being inspected.
#[derive(Debug, Default)]
pub(crate) struct Forms {
    /// What the application sees.
    pub seen: String,
    /// Fully decoded, case kept.
    pub decoded: String,
    /// Decoded and folded.
    pub folded: String,
    a: Vec<u8>,
    b: Vec<u8>,
    tmp: String,
}

impl Forms {
    /// Computes the three forms of `raw`; returns the work done (bytes processed).
    pub(crate) fn build(&mut self, raw: &[u8], encoding: Encoding) -> u64 {
        let mut work = raw.len() as u64;
        self.seen.clear();
        self.decoded.clear();
        self.folded.clear();
        if let Some(text) = Self::plain_text(raw) {
            // Nothing to decode: every round below would copy `text` unchanged (a `+` of a
            // query becomes a blank in every form alike). Most values are like this, so they
            // skip the decoding passes; the work counted is what the full path counts.
            if encoding == Encoding::Query {
                let mut pieces = text.split('+');
                self.seen.push_str(pieces.next().unwrap_or_default());
                for piece in pieces {
                    self.seen.push(' ');
                    self.seen.push_str(piece);
                }
            } else {
                self.seen.push_str(text);
            }
            self.decoded.push_str(&self.seen);
            fold::fold(&self.decoded, &mut self.folded);
            return work + 2 * self.decoded.len() as u64;
        }
        self.a.clear();
        match encoding {
            Encoding::Query | Encoding::Path => {
                percent::decode_round(raw, encoding == Encoding::Query, &mut self.a);
            }
            Encoding::Plain => self.a.extend_from_slice(raw),
        }
        utf8::decode_lenient(&self.a, &mut self.seen);
        // Further rounds on the bytes, so that overlong UTF-8 hidden under double encoding
        // (`%25c0%25af`) is decoded after the last round.
        let mut rounds = usize::from(encoding != Encoding::Plain);
        while rounds < MAX_ROUNDS && memchr::memchr(b'%', &self.a).is_some() {
            work += self.a.len() as u64;
            if !percent::decode_round(&self.a, false, &mut self.b) {
                break;
            }
            std::mem::swap(&mut self.a, &mut self.b);
            rounds += 1;
        }
        // IIS drops a `%` that starts no escape; then what it hid may need a decoding round.
        if percent::strip_stray(&self.a, &mut self.b) {
            work += self.a.len() as u64;
            std::mem::swap(&mut self.a, &mut self.b);
            if percent::decode_round(&self.a, false, &mut self.b) {
                std::mem::swap(&mut self.a, &mut self.b);
            }
        }
        self.tmp.clear();
        utf8::decode_lenient(&self.a, &mut self.tmp);
        work += self.tmp.len() as u64;
        // Two rounds of character references cover `&amp;#x6a;`.
        for _ in 0..2 {
            if memchr::memchr(b'&', self.tmp.as_bytes()).is_none() {
                break;
            }
            work += self.tmp.len() as u64;
            self.decoded.clear();
            if !entity::decode_entities(&self.tmp, &mut self.decoded) {
                break;
            }
            std::mem::swap(&mut self.tmp, &mut self.decoded);
        }
        std::mem::swap(&mut self.tmp, &mut self.decoded);
        if self.decoded.contains('\0') {
            self.decoded.retain(|c| c != '\0');
        }
        fold::fold(&self.decoded, &mut self.folded);
        work + self.decoded.len() as u64
    }
}

impl Forms {
    /// Gives back memory beyond `max` bytes per buffer, for buffers kept between requests.
    pub(crate) fn trim(&mut self, max: usize) {
        for s in [
            &mut self.seen,
            &mut self.decoded,
            &mut self.folded,
            &mut self.tmp,
        ] {
            s.clear();
            s.shrink_to(max);
        }
        for v in [&mut self.a, &mut self.b] {
            v.clear();
            v.shrink_to(max);
        }
    }

    /// `raw` as text when no decoding step can change it: valid UTF-8 without `%` (percent
    /// escapes), `&` (character references) or NUL (dropped).
    fn plain_text(raw: &[u8]) -> Option<&str> {
        if memchr::memchr3(b'%', b'&', 0, raw).is_some() {
            return None;
        }
        std::str::from_utf8(raw).ok()
    }
}

/// Decodes a parameter name once (percent escapes, `+` as space) into `out`, for locations.
pub(crate) fn decode_name(
    raw: &[u8],
    plus_as_space: bool,
    scratch: &mut Vec<u8>,
    out: &mut String,
) {
    out.clear();
    percent::decode_round(raw, plus_as_space, scratch);
    utf8::decode_lenient(scratch, out);
}

/// The fully decoded and folded form of `value` (query encoding), as the rules see it.
pub fn normalise(value: &[u8]) -> String {
    let mut forms = Forms::default();
    forms.build(value, Encoding::Query);
    forms.folded
}

/// The fully decoded form of `value` (query encoding), case kept, not folded.
pub fn decode(value: &[u8]) -> String {
    let mut forms = Forms::default();
    forms.build(value, Encoding::Query);
    forms.decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_decoding_is_bounded() {
        assert_eq!(normalise(b"%2527"), "'");
        assert_eq!(normalise(b"%252527"), "'");
        // Four levels: three rounds leave one level.
        assert_eq!(normalise(b"%25252527"), "%27");
    }

    #[test]
    fn forms_differ_as_documented() {
        let mut f = Forms::default();
        f.build(b"a+%2527B%26lt;", Encoding::Query);
        assert_eq!(f.seen, "a %27B&lt;");
        assert_eq!(f.decoded, "a 'B<");
        assert_eq!(f.folded, "a 'b<");
    }

    #[test]
    fn iis_percent_stripping() {
        assert_eq!(normalise(b"%U%N%I%O%N%20%S%E%L%E%C%T"), "union select");
        assert_eq!(normalise(b"100%+sure"), "100% sure");
    }

    #[test]
    fn plain_values_still_decode() {
        let mut f = Forms::default();
        f.build(b"%2e%2e%2f\\x\0", Encoding::Plain);
        assert_eq!(f.seen, "%2e%2e%2f\\x");
        assert_eq!(f.folded, "..//x");
    }
}
