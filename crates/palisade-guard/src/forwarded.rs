//! Who the client is, and what the upstream is told about it.
//!
//! `X-Forwarded-For` is attacker-controlled unless it was written by a proxy we trust,
//! so it is believed only when the TCP peer is inside a configured trusted-proxies
//! CIDR, and then only up to the first address that is not itself trusted
//! (the "rightmost untrusted" rule nginx's `real_ip_recursive` and Express's
//! `trust proxy` use).

use std::net::IpAddr;

use ipnet::IpNet;

/// The networks whose `X-Forwarded-*` headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

/// What the guard decided about one request's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// The client as far as the guard can tell: the peer, or the rightmost untrusted
    /// address of a trusted proxy's `X-Forwarded-For`.
    pub client_ip: IpAddr,
    /// The `X-Forwarded-For` value to send upstream.
    pub x_forwarded_for: String,
    /// Whether the peer is a trusted proxy (its other `X-Forwarded-*` headers may be kept).
    pub peer_trusted: bool,
}

impl TrustedProxies {
    /// Trust the given networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies { nets }
    }

    /// Whether `ip` is inside a trusted network (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// Resolve the client and the `X-Forwarded-For` to forward.
    ///
    /// `incoming_xff` holds every `X-Forwarded-For` header value of the request, in order.
    pub fn resolve<'a>(
        &self,
        peer: IpAddr,
        incoming_xff: impl IntoIterator<Item = &'a str>,
    ) -> Forwarded {
        let peer = canonical(peer);
        if !self.contains(peer) {
            // An untrusted peer's chain is discarded: forwarding it would let any client
            // pose as any address to the app behind us.
            return Forwarded {
                client_ip: peer,
                x_forwarded_for: peer.to_string(),
                peer_trusted: false,
            };
        }
        let chain: Vec<&str> = incoming_xff
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut client_ip = peer;
        for hop in chain.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.contains(ip) => client_ip = ip,
                Some(ip) => {
                    client_ip = ip;
                    break;
                }
                // A garbled hop ends what we can believe; the last good address stands.
                None => break,
            }
        }
        let mut xff = chain.join(", ");
        if !xff.is_empty() {
            xff.push_str(", ");
        }
        xff.push_str(&peer.to_string());
        Forwarded {
            client_ip,
            x_forwarded_for: xff,
            peer_trusted: true,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses one hop: a bare address, `1.2.3.4:port`, or `[v6]:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn untrusted_peer_replaces_the_chain() {
        let t = trusted(&["10.0.0.0/8"]);
        let f = t.resolve("203.0.113.9".parse().unwrap(), ["1.2.3.4"]);
        assert_eq!(f.client_ip, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(f.x_forwarded_for, "203.0.113.9");
        assert!(!f.peer_trusted);
    }

    #[test]
    fn trusted_peer_yields_rightmost_untrusted() {
        let t = trusted(&["10.0.0.0/8"]);
        let f = t.resolve(
            "10.0.0.2".parse().unwrap(),
            ["6.6.6.6, 198.51.100.7", "10.0.0.1"],
        );
        assert_eq!(f.client_ip, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(
            f.x_forwarded_for,
            "6.6.6.6, 198.51.100.7, 10.0.0.1, 10.0.0.2"
        );
    }

    #[test]
    fn ports_and_mapped_addresses() {
        let t = trusted(&["127.0.0.1/32"]);
        let f = t.resolve("::ffff:127.0.0.1".parse().unwrap(), ["[2001:db8::1]:443"]);
        assert_eq!(f.client_ip, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert!(f.peer_trusted);
    }

    #[test]
    fn garbage_hop_stops_the_walk() {
        let t = trusted(&["127.0.0.0/8"]);
        let f = t.resolve("127.0.0.1".parse().unwrap(), ["9.9.9.9, not-an-ip"]);
        assert_eq!(f.client_ip, "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
