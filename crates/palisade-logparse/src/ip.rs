//! Address parsing shared by the parsers.

use std::net::IpAddr;

/// Parses a client address as logged: plain IPv4/IPv6, optionally in brackets, IPv4-mapped
/// IPv6 folded to IPv4 so that one client has one key whichever socket family logged it.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    // Cheap reject before std's parser: addresses are short and start with a hex digit or ':'.
    if s.is_empty() || s.len() > 45 {
        return None;
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_hexdigit() || first == b':') {
        return None;
    }
    let ip: IpAddr = s.parse().ok()?;
    Some(canonical(ip))
}

/// Folds `::ffff:a.b.c.d` to `a.b.c.d`.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}
