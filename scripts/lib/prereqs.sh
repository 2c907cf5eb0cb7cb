# Shared by scripts/*: install missing system packages, idempotently.
# Usage: need_packages CMD:PACKAGE ...   (installs PACKAGE when CMD is not on PATH;
#        a CMD starting with / is a path, glob allowed, that must exist instead)

need_packages() {
  local missing=()
  for pair in "$@"; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    if [[ $cmd == /* ]]; then
      compgen -G "$cmd" >/dev/null || missing+=("$pkg")
    else
      command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    fi
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

# What the test suite starts as real receivers: rsyslogd (the syslog sink's tests), with its
# OpenSSL network driver for syslog over TLS; Debian's Python with aiosmtpd (the email sink's
# SMTP server, tests/fixtures/smtp_server.py). Paths, not PATH: /usr/sbin is not on every
# PATH, and a pyenv or venv python3 first on PATH would not see Debian's modules.
#
# `palisade watch`'s tests run real daemons on loopback: OpenSSH's server and client with
# sshpass, vsftpd, nginx (its access log); fail2ban's filter.d files are read by the parser
# tests, and nftables is the firewall action's (in a network namespace the test makes, with
# iproute2).
#
# The console's browser tests drive Debian's headless Chromium through its chromedriver.
#
# The Redis black book's tests start their own redis-server on a free loopback port.
need_test_prereqs() {
  need_packages /usr/sbin/rsyslogd:rsyslog '/usr/lib/*/rsyslog/lmnsd_ossl.so:rsyslog-openssl' \
    /usr/bin/python3:python3 /usr/lib/python3/dist-packages/aiosmtpd/__init__.py:python3-aiosmtpd \
    /usr/sbin/sshd:openssh-server /usr/bin/ssh:openssh-client /usr/bin/sshpass:sshpass \
    /usr/sbin/vsftpd:vsftpd /etc/fail2ban/filter.d/sshd.conf:fail2ban /usr/sbin/nft:nftables \
    /usr/sbin/ip:iproute2 /usr/sbin/nginx:nginx-light \
    /usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver \
    /usr/bin/redis-server:redis-server
}
