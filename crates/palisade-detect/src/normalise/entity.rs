//! HTML character references: numeric (`&#x6a;`, `&#106`, with or without `;`, any number of
//! leading zeros) and the named ones that matter for attacks.

/// Named references decoded; those marked `true` are also recognised without `;`, as HTML's
/// legacy parsing does.
const NAMED: &[(&str, char, bool)] = &[
    ("amp", '&', true),
    ("lt", '<', true),
    ("gt", '>', true),
    ("quot", '"', true),
    ("apos", '\'', false),
    ("nbsp", ' ', true),
    ("tab", '\t', false),
    ("newline", '\n', false),
    ("colon", ':', false),
    ("semi", ';', false),
    ("comma", ',', false),
    ("period", '.', false),
    ("sol", '/', false),
    ("bsol", '\\', false),
    ("lpar", '(', false),
    ("rpar", ')', false),
    ("lsqb", '[', false),
    ("rsqb", ']', false),
    ("lcub", '{', false),
    ("rcub", '}', false),
    ("lbrack", '[', false),
    ("rbrack", ']', false),
    ("lbrace", '{', false),
    ("rbrace", '}', false),
    ("excl", '!', false),
    ("quest", '?', false),
    ("num", '#', false),
    ("dollar", '$', false),
    ("percnt", '%', false),
    ("equals", '=', false),
    ("plus", '+', false),
    ("grave", '`', false),
    ("vert", '|', false),
    ("verbar", '|', false),
    ("ast", '*', false),
    ("commat", '@', false),
    ("hyphen", '-', false),
    ("lowbar", '_', false),
    ("hat", '^', false),
];

/// Decodes character references in `input`, appending to `out`. Returns whether any were found.
pub(crate) fn decode_entities(input: &str, out: &mut String) -> bool {
    let bytes = input.as_bytes();
    let mut changed = false;
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'&', &bytes[i..]) {
        let at = i + off;
        match reference(&bytes[at + 1..]) {
            Some((c, used)) => {
                out.push_str(&input[last..at]);
                if c != '\0' {
                    out.push(c);
                }
                i = at + 1 + used;
                last = i;
                changed = true;
            }
            None => i = at + 1,
        }
    }
    out.push_str(&input[last..]);
    changed
}

/// The reference after a `&`: its character and how many bytes it used.
fn reference(b: &[u8]) -> Option<(char, usize)> {
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let mut cp: u32 = 0;
        let mut i = start;
        while let Some(&d) = b.get(i) {
            let v = match (d, hex) {
                (b'0'..=b'9', _) => u32::from(d - b'0'),
                (b'a'..=b'f', true) => u32::from(d - b'a' + 10),
                (b'A'..=b'F', true) => u32::from(d - b'A' + 10),
                _ => break,
            };
            // Saturate instead of overflowing: a huge number is simply not a character.
            cp = cp
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(v);
            i += 1;
        }
        if i == start {
            return None;
        }
        if b.get(i) == Some(&b';') {
            i += 1;
        }
        let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
        return Some((c, i));
    }
    let name_len = b
        .iter()
        .take(12)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let name = &b[..name_len];
    let with_semi = b.get(name_len) == Some(&b';');
    NAMED.iter().find_map(|&(n, c, legacy)| {
        if with_semi && name.eq_ignore_ascii_case(n.as_bytes()) {
            Some((c, name_len + 1))
        } else if legacy
            && name.len() >= n.len()
            && name[..n.len()].eq_ignore_ascii_case(n.as_bytes())
        {
            Some((c, n.len()))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> String {
        let mut out = String::new();
        decode_entities(s, &mut out);
        out
    }

    #[test]
    fn numeric_and_named() {
        assert_eq!(dec("java&#x09;script&colon;"), "java\tscript:");
        assert_eq!(dec("&#106&#97;&#0000118;a"), "java");
        assert_eq!(dec("&lt;script&gt;"), "<script>");
        assert_eq!(dec("&ltscript"), "<script");
        assert_eq!(dec("Tom &amp Jerry"), "Tom & Jerry");
    }

    #[test]
    fn leaves_plain_ampersands() {
        assert_eq!(
            dec("a & b &&& &#; &#x; &unknown;"),
            "a & b &&& &#; &#x; &unknown;"
        );
        assert_eq!(dec("&#99999999999999;"), "\u{fffd}");
    }
}
