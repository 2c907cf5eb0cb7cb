# Shared by scripts/*: install missing system packages, idempotently.
# Usage: need_packages CMD:PACKAGE ...   (installs PACKAGE when CMD is not on PATH)

need_packages() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building palisade needs beyond Rust, gcc, make and pkg-config:
# cmake for zlib-ng (pingora's compression, through flate2).
need_build_prereqs() {
  need_packages cmake:cmake
}
