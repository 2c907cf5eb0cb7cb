//! What the tests read from the HTML body: `<meta http-equiv="Content-Security-Policy">`,
//! `<meta name="referrer">` and every `<script>` (with its `src` and `integrity`). One
//! streaming pass with lol_html: bounded memory, no DOM.

use std::cell::RefCell;

use lol_html::html_content::Element;
use lol_html::{HtmlRewriter, Settings, element};

/// A `<script>` element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    /// `src`, entity-decoded; `None` for inline scripts.
    pub(crate) src: Option<String>,
    /// `integrity`, when present.
    pub(crate) integrity: Option<String>,
}

/// What the body holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    /// `content` of each `<meta http-equiv="content-security-policy">`.
    pub(crate) csp: Vec<String>,
    /// `content` of the last `<meta name="referrer">`.
    pub(crate) referrer: Option<String>,
    /// Every `<script>`, inline ones included (the SRI test counts them).
    pub(crate) scripts: Vec<Script>,
}

/// Scans `html`; `None` when the parser gives up (the SRI test's `html-not-parseable`).
pub(crate) fn scan(html: &str) -> Option<Page> {
    let page = RefCell::new(Page::default());
    let on_script = |el: &mut Element| {
        page.borrow_mut().scripts.push(Script {
            src: el.get_attribute("src").map(|s| decode_entities(&s)),
            integrity: el.get_attribute("integrity").map(|s| decode_entities(&s)),
        });
        Ok(())
    };
    let on_meta = |el: &mut Element| {
        let content = el.get_attribute("content").map(|c| decode_entities(&c));
        let mut page = page.borrow_mut();
        // The Observatory's parseHttpEquivHeaders: a meta with http-equiv and content is
        // only ever a CSP candidate; only other metas are looked at for name="referrer".
        if let (Some(equiv), Some(content)) = (el.get_attribute("http-equiv"), &content) {
            if equiv.trim().eq_ignore_ascii_case("content-security-policy") {
                page.csp.push(content.clone());
            }
        } else if let Some(content) = content
            && el
                .get_attribute("name")
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("referrer"))
        {
            page.referrer = Some(content);
        }
        Ok(())
    };
    let settings = Settings::new()
        .with_strict(false)
        .append_element_content_handler(element!("script", on_script))
        .append_element_content_handler(element!("meta", on_meta));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(html.as_bytes()).ok()?;
    rewriter.end().ok()?;
    Some(page.into_inner())
}

/// Decodes the character references that occur in attribute values in practice (lol_html
/// hands values over raw): `&amp;`, `&quot;`, `&apos;`, `&lt;`, `&gt;` and numeric ones.
fn decode_entities(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let ch = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_metas_and_scripts() {
        let page = scan(
            "<html><head>\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src &apos;none&apos;\">\
             <meta name=referrer content=no-referrer>\
             <script src=\"/a.js\" integrity=\"sha384-x\"></script><script>1</script>\
             </head></html>",
        )
        .unwrap();
        assert_eq!(page.csp, ["default-src 'none'"]);
        assert_eq!(page.referrer.as_deref(), Some("no-referrer"));
        assert_eq!(page.scripts.len(), 2);
        assert_eq!(page.scripts[0].src.as_deref(), Some("/a.js"));
        assert_eq!(page.scripts[0].integrity.as_deref(), Some("sha384-x"));
        assert!(page.scripts[1].src.is_none());
    }

    #[test]
    fn decodes_numeric_references_and_leaves_stray_ampersands() {
        assert_eq!(decode_entities("a&#39;b&#x27;c & d&zz;"), "a'b'c & d&zz;");
    }
}
