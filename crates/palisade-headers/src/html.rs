//! Writing the CSP nonce into HTML on the fly (`nonce = "auto"`).
//!
//! A streaming rewriter (lol_html: a tokenizer that only builds the start tags it is asked
//! about, so memory stays bounded however large the page or however it is split into chunks)
//! sets `nonce="…"` on every element the nonce covers: `<script>`, `<style>`, and `<link>`s
//! that load or preload a style sheet or a script.
//!
//! # Security
//!
//! The rewriter cannot tell the app's own scripts from a `<script>` element an attacker
//! managed to inject into the HTML: both get the nonce. What the nonce still stops is
//! everything that is not a whole element of that kind — inline event handlers
//! (`onerror=`), `javascript:` URLs, injected `<iframe srcdoc>` scripts, `<base>` tricks —
//! which is where most reflected XSS lands; injected script elements are the detection
//! engine's job (XSS rules in block mode). On any parsing doubt (the rewriter's strict mode:
//! markup whose meaning depends on context it cannot see) rewriting stops and the rest of the
//! page goes out as the upstream sent it: its scripts then lack the nonce and the browser
//! refuses them, which fails closed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use lol_html::html_content::Element;
use lol_html::send::{HtmlRewriter, Settings};
use lol_html::{HandlerResult, MemorySettings, OutputSink, element};

use crate::nonce::CspNonce;

/// Default cap on what the rewriter buffers (a start tag split across chunks, mostly).
pub const DEFAULT_REWRITE_MEMORY: usize = 256 * 1024;

/// `<link rel>` values whose fetches CSP checks against `style-src`/`script-src` nonces.
const NONCED_LINK_RELS: &[&str] = &["stylesheet", "preload", "modulepreload"];

/// Sets the nonce on the script and style elements of one HTML response.
pub struct NonceRewriter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    out: Arc<Mutex<Vec<u8>>>,
    tagged: Arc<AtomicUsize>,
    failed: bool,
}

impl std::fmt::Debug for NonceRewriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceRewriter")
            .field("tagged", &self.tagged())
            .field("failed", &self.failed)
            .finish()
    }
}

/// The rewriter's output, collected between two `write`s.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        lock(&self.0).extend_from_slice(chunk);
    }
}

fn lock(out: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    // Nothing panics while holding it; a poisoned buffer is still just bytes.
    out.lock().unwrap_or_else(PoisonError::into_inner)
}

impl NonceRewriter {
    /// A rewriter for one response; `max_memory` caps its buffers (past it, the rest of the
    /// page passes through unchanged).
    pub fn new(nonce: &CspNonce, max_memory: usize) -> NonceRewriter {
        let out = Arc::new(Mutex::new(Vec::new()));
        let tagged = Arc::new(AtomicUsize::new(0));
        let value = nonce.as_str().to_owned();
        let count = Arc::clone(&tagged);
        let settings = Settings::new_send()
            .append_element_content_handler(element!(
                "script, style, link",
                move |el: &mut Element<'_, '_, _>| -> HandlerResult {
                    if el.tag_name() == "link" && !nonced_link(el) {
                        return Ok(());
                    }
                    // An app's own nonce would not match the header's: ours replaces it.
                    el.set_attribute("nonce", &value)?;
                    count.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
            ))
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(max_memory)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            );
        let rewriter = HtmlRewriter::new(settings, Sink(Arc::clone(&out)));
        NonceRewriter {
            rewriter: Some(rewriter),
            out,
            tagged,
            failed: false,
        }
    }

    /// Feeds a chunk of the upstream body; returns what can be sent on so far (possibly
    /// nothing: a tag split across chunks waits for its end).
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        match self.rewriter.as_mut() {
            Some(rewriter) => {
                if rewriter.write(chunk).is_err() {
                    self.fail(Some(chunk));
                }
            }
            None => lock(&self.out).extend_from_slice(chunk),
        }
        std::mem::take(&mut *lock(&self.out))
    }

    /// Ends the body; returns the rest of the output.
    pub fn finish(&mut self) -> Vec<u8> {
        if let Some(rewriter) = self.rewriter.take()
            && rewriter.end().is_err()
        {
            self.failed = true;
        }
        std::mem::take(&mut *lock(&self.out))
    }

    /// Elements that received the nonce so far.
    pub fn tagged(&self) -> usize {
        self.tagged.load(Ordering::Relaxed)
    }

    /// Whether rewriting stopped early (the rest passed through unchanged).
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn fail(&mut self, chunk: Option<&[u8]>) {
        self.failed = true;
        self.rewriter = None;
        if let Some(chunk) = chunk {
            // The rewriter may have swallowed part of this chunk; sending it raw can repeat a
            // few bytes of markup, which is better than a truncated page.
            lock(&self.out).extend_from_slice(chunk);
        }
    }
}

fn nonced_link(el: &Element<'_, '_, lol_html::send::SendHandlerTypes>) -> bool {
    el.get_attribute("rel").is_some_and(|rel| {
        rel.split_ascii_whitespace()
            .any(|r| NONCED_LINK_RELS.iter().any(|n| r.eq_ignore_ascii_case(n)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(chunks: &[&str]) -> (String, usize) {
        let nonce = CspNonce::generate();
        let mut r = NonceRewriter::new(&nonce, DEFAULT_REWRITE_MEMORY);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(r.write(c.as_bytes()));
        }
        out.extend(r.finish());
        let text = String::from_utf8(out).unwrap();
        (text.replace(nonce.as_str(), "N"), r.tagged())
    }

    #[test]
    fn scripts_styles_and_style_links_get_the_nonce() {
        let (out, n) = rewrite(&[
            "<html><head><link rel=\"stylesheet\" href=\"/a.css\"><link rel=icon href=/i.png>",
            "<style>p{}</style><script src=/app.js></script></head>",
            "<body><script nonce=\"old\">x()</script><p onclick=\"y()\">t</p></body></html>",
        ]);
        assert_eq!(n, 4);
        assert!(out.contains("<link rel=\"stylesheet\" href=\"/a.css\" nonce=\"N\">"));
        assert!(out.contains("<link rel=icon href=/i.png>"), "{out}");
        assert!(out.contains("<style nonce=\"N\">p{}</style>"));
        assert!(out.contains("<script src=/app.js nonce=\"N\"></script>"));
        assert!(out.contains("<script nonce=\"N\">x()</script>"), "{out}");
        assert!(out.contains("<p onclick=\"y()\">t</p>"));
    }

    #[test]
    fn a_tag_split_across_chunks_is_still_found() {
        let (out, n) = rewrite(&["<p>a</p><scr", "ipt sr", "c=\"/x.js\"></sc", "ript>"]);
        assert_eq!(n, 1);
        assert_eq!(out, "<p>a</p><script src=\"/x.js\" nonce=\"N\"></script>");
    }

    #[test]
    fn script_text_that_looks_like_a_tag_is_left_alone() {
        let (out, n) = rewrite(&["<script>var s = '<style>';</script><!-- <script> -->"]);
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "<script nonce=\"N\">var s = '<style>';</script><!-- <script> -->"
        );
    }

    #[test]
    fn over_the_memory_cap_the_rest_passes_through() {
        let nonce = CspNonce::generate();
        let mut r = NonceRewriter::new(&nonce, 4096);
        let mut out = r.write(b"<script>a()</script><script ");
        // A start tag of interest split across chunks is buffered whole: the cap stops it.
        let junk = "x".repeat(10_000);
        for _ in 0..4 {
            out.extend(r.write(format!("data-a=\"{junk}\" ").as_bytes()));
        }
        out.extend(r.write(b">"));
        out.extend(r.write(b"<script>b()</script>"));
        out.extend(r.finish());
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(&format!("<script nonce=\"{nonce}\">a()</script>")));
        assert!(
            text.ends_with("<script>b()</script>"),
            "no nonce after the cap: {}",
            &text[text.len() - 60..]
        );
        assert!(text.contains(&junk));
    }
}
