//! `cargo bench -p palisade-events --bench pipeline`
fn main() {
    divan::main();
}
