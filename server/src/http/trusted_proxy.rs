//! `--trusted-proxy`: which peers may say who the client is, and the client address that
//! follows for each request (the audit log and sign-in throttling record it).
//!
//! X-Forwarded-For is a list that each proxy extends on the right with the address it got the
//! request from; everything left of the entry our nearest trusted proxy wrote is whatever the
//! client sent. So the list is read from the right, past the trusted proxies, and the first
//! address that is not one of them is the client (nginx's `real_ip_recursive`). From a peer
//! that is not trusted the header is ignored: anybody can send it.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(ranges: &[IpNet]) -> Self {
        TrustedProxies(ranges.iter().map(IpNet::trunc).collect())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // On a dual-stack listener an IPv4 peer shows up as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.0.iter().any(|range| range.contains(&ip))
    }

    /// The client address of a request that came from `peer` with `headers`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for entry in forwarded_for_from_the_right(headers) {
            // An entry that is not an address breaks the chain: nothing left of it is trusted,
            // so the last address read (a trusted proxy's peer) is the best there is.
            let Some(ip) = entry else { break };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// The X-Forwarded-For entries, the last header's last entry first; `None` for an entry that
/// is not an address (a header that is not text counts as one such entry).
fn forwarded_for_from_the_right(headers: &HeaderMap) -> impl Iterator<Item = Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|value| match value.to_str() {
            Ok(text) => text.rsplit(',').map(parse_entry).collect::<Vec<_>>(),
            Err(_) => vec![None],
        })
}

/// `1.2.3.4`, `2001:db8::1`, or the same with a port (`1.2.3.4:5678`, `[2001:db8::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// One `--trusted-proxy` item: a CIDR range, or a single address meaning just itself.
pub fn parse_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!(
                "{text:?} is not an address or a CIDR range (examples: 127.0.0.1, 10.0.0.0/8, \
                 ::1/128)"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        let ranges: Vec<IpNet> = list.iter().map(|s| parse_range(s).unwrap()).collect();
        TrustedProxies::new(&ranges)
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_its_own_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let headers = forwarded(&["1.2.3.4"]);
        assert_eq!(
            trusted.client_address(ip("192.0.2.9"), &headers),
            ip("192.0.2.9")
        );
        let nobody = proxies(&[]);
        assert_eq!(
            nobody.client_address(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_client_in_its_last_entry() {
        let trusted = proxies(&["127.0.0.1"]);
        let headers = forwarded(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("1.2.3.4")
        );
        // No header: the proxy itself is all we know.
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn several_trusted_hops_are_skipped_from_the_right() {
        let trusted = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        // The client forged 6.6.6.6; the outer proxy saw 1.2.3.4; the inner one saw 10.1.1.1.
        let headers = forwarded(&["6.6.6.6, 1.2.3.4", "10.1.1.1"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("1.2.3.4")
        );
        // Every entry trusted: the leftmost is the furthest we can see.
        let headers = forwarded(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_address_read() {
        let trusted = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        let headers = forwarded(&["unknown, 10.2.2.2"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("10.2.2.2")
        );
        let headers = forwarded(&["not-an-ip"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn entries_with_ports_and_mapped_addresses() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let headers = forwarded(&["[2001:db8::1]:443"]);
        assert_eq!(
            trusted.client_address(ip("::ffff:127.0.0.1"), &headers),
            ip("2001:db8::1")
        );
        let headers = forwarded(&["1.2.3.4:5678"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn ranges_parse_with_a_clear_error() {
        assert_eq!(parse_range("10.1.2.3/8").unwrap().to_string(), "10.1.2.3/8");
        assert!(proxies(&["10.1.2.3/8"]).contains(ip("10.200.0.1")));
        assert_eq!(parse_range(" ::1 ").unwrap().to_string(), "::1/128");
        let err = parse_range("localhost").unwrap_err();
        assert!(err.contains("\"localhost\" is not an address"), "{err}");
        assert!(parse_range("10.0.0.0/33").is_err());
    }
}
