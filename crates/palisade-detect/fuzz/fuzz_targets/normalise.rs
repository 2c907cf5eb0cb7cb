//! Normalisation never panics, and its output is bounded by its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_detect::normalise;

fuzz_target!(|data: &[u8]| {
    let folded = normalise::normalise(data);
    let decoded = normalise::decode(data);
    // `%uXXXX` (6 bytes) → at most 3 bytes of UTF-8; an invalid byte → U+FFFD (3 bytes).
    assert!(decoded.len() <= 3 * data.len() + 3);
    assert!(folded.len() <= 3 * decoded.len() + 3);
});
