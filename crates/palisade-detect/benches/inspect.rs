//! `cargo bench -p palisade-detect --bench inspect`
fn main() {
    divan::main();
}
