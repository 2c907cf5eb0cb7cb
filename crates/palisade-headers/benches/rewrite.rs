//! The cost of writing CSP nonces into HTML (`nonce = "auto"`), per page.
//!
//! Run: `cargo bench -p palisade-headers --bench rewrite`
//!
//! Last results (2-core shared VM, 2026-11-28, median):
//!   rewrite_100k_page (4/16/64 KiB chunks)  317–322 µs  (~320 MB/s; ~7,000 tags, 51 nonced)
//!   construct_and_finish_tiny_page          1.8 µs
//! perf: a quarter of the time is lol_html's selector-VM element stack (push/pop per tag),
//! the rest its tokenizer; chunk size does not matter.

use divan::{Bencher, counter::BytesCount};
use palisade_headers::{CspNonce, DEFAULT_REWRITE_MEMORY, NonceRewriter};

fn main() {
    divan::main();
}

/// A 100 KiB server-rendered page: markup, text, 40 inline scripts, 10 styles (the shape
/// scripts/bench-proxy serves).
fn page() -> Vec<u8> {
    let mut parts = vec![
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Catalogue</title>"
            .to_owned(),
        "<link rel=\"stylesheet\" href=\"/static/app.css\"><link rel=\"icon\" href=\"/favicon.ico\">"
            .to_owned(),
    ];
    for i in 0..10 {
        parts.push(format!("<style>.c{i} {{ margin: {i}px; }}</style>"));
    }
    parts.push("</head><body><main>".to_owned());
    let mut i = 0;
    while parts.iter().map(String::len).sum::<usize>() < 100 * 1024 - 200 {
        parts.push(format!(
            "<article class=\"item c{}\" data-id=\"{i}\"><h2>Running shoe model {i}</h2>\
             <p>Lightweight, breathable mesh upper with a cushioned sole; size guide and reviews \
             below. Price <b>{}.99</b> &euro;.</p><img src=\"/img/{i}.jpg\" alt=\"shoe {i}\">\
             <button onclick=\"addToCart({i})\">Add</button></article>",
            i % 10,
            40 + i % 60
        ));
        if i % 8 == 0 && i / 8 < 40 {
            parts.push(format!(
                "<script>window.items = (window.items || []).concat([{i}]);</script>"
            ));
        }
        i += 1;
    }
    parts.push("<script src=\"/static/app.js\" defer></script></main></body></html>".to_owned());
    parts.concat().into_bytes()
}

#[divan::bench(args = [4096, 16384, 65536])]
fn rewrite_100k_page(bencher: Bencher, chunk: usize) {
    let page = page();
    let nonce = CspNonce::generate();
    bencher
        .counter(BytesCount::new(page.len()))
        .bench_local(|| {
            let mut r = NonceRewriter::new(&nonce, DEFAULT_REWRITE_MEMORY);
            let mut n = 0;
            for c in page.chunks(chunk) {
                n += r.write(c).len();
            }
            n += r.finish().len();
            divan::black_box(n)
        });
}

#[divan::bench]
fn construct_and_finish_tiny_page(bencher: Bencher) {
    let nonce = CspNonce::generate();
    bencher.bench_local(|| {
        let mut r = NonceRewriter::new(&nonce, DEFAULT_REWRITE_MEMORY);
        let n = r.write(b"<p>hi</p>").len() + r.finish().len();
        divan::black_box(n)
    });
}
