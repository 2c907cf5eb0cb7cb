//! Addresses and networks as the black book keys them.
//!
//! One client has one key: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack
//! socket reports for an IPv4 peer) is folded to plain IPv4, and a network is truncated to its
//! prefix, so `192.0.2.7/24` and `192.0.2.0/24` are the same entry.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Folds an IPv4-mapped IPv6 address to IPv4; other addresses are returned as they are.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Truncates a network to its prefix and folds IPv4-mapped IPv6 networks (prefix ≥ 96) to IPv4.
pub fn normalize_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(n.trunc());
    }
    net.trunc()
}

/// The network an automatic decision about `ip` applies to: the address itself for IPv4, its
/// `/ipv6_prefix` for IPv6 (one IPv6 host usually owns a whole /64, so per-address keys would
/// let it walk around any ban or limit).
pub fn client_net(ip: IpAddr, ipv6_prefix: u8) -> IpNet {
    match normalize_ip(ip) {
        IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
        IpAddr::V6(v6) => Ipv6Net::new(v6, ipv6_prefix.min(128))
            .map_or(IpNet::V6(Ipv6Net::from(v6)), |n| IpNet::V6(n.trunc())),
    }
}

/// Parses `192.0.2.1`, `2001:db8::1`, `192.0.2.0/24` or `2001:db8::/32` into a normalised
/// network (a bare address is a host network). Host bits after the prefix are dropped.
pub fn parse_target(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    let net = if s.contains('/') {
        s.parse::<IpNet>()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR network"))?
    } else {
        IpNet::from(
            s.parse::<IpAddr>()
                .map_err(|_| format!("`{s}` is not an IP address or CIDR network"))?,
        )
    };
    Ok(normalize_net(net))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_fold_to_ipv4() {
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(normalize_ip(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            parse_target("::ffff:192.0.2.0/120").unwrap(),
            "192.0.2.0/24".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            client_net(mapped, 64),
            "192.0.2.1/32".parse::<IpNet>().unwrap()
        );
    }

    #[test]
    fn targets_are_truncated_and_checked() {
        assert_eq!(
            parse_target(" 10.1.2.3/8 ").unwrap(),
            "10.0.0.0/8".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            parse_target("2001:db8::1").unwrap(),
            "2001:db8::1/128".parse::<IpNet>().unwrap()
        );
        assert!(parse_target("10.0.0.0/33").is_err());
        assert!(parse_target("example.com").is_err());
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(
            client_net(v6, 64),
            "2001:db8:1:2::/64".parse::<IpNet>().unwrap()
        );
    }
}
