# Shared by scripts/compare-cargo-audit and scripts/bench-audit: the peer tool, palisade
# (release), and a palisade advisory database imported from the same advisory-db.

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/palisade-bench"
ADVISORY_DB="${ADVISORY_DB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/data/rustsec-advisory-db}"
CARGO_AUDIT_VERSION=0.22.2

# cargo-audit from crates.io, built once into the cache (ANCHORS.md: 0.22, --locked).
need_cargo_audit() {
  CARGO_AUDIT="$CACHE/cargo-audit/bin/cargo-audit"
  if [ ! -x "$CARGO_AUDIT" ] || ! "$CARGO_AUDIT" audit --version 2>/dev/null | grep -q "$CARGO_AUDIT_VERSION"; then
    echo "== installing cargo-audit $CARGO_AUDIT_VERSION (once, into $CACHE)" >&2
    cargo install -q cargo-audit --version "$CARGO_AUDIT_VERSION" --locked --root "$CACHE/cargo-audit" >&2
  fi
}

# palisade in release, and its database imported from $ADVISORY_DB into $1.
need_palisade_db() {
  cargo build -q --release --locked -p palisade >&2
  PALISADE="$PWD/target/release/palisade"
  PALISADE_ADVISORY_DB="$1"
  export PALISADE_ADVISORY_DB
  "$PALISADE" audit db import "$ADVISORY_DB" >&2
}
