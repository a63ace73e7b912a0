//! The address a request comes from, for sign-in throttling: the connection's peer, or — when
//! that peer is a reverse proxy the operator trusts (`--trusted-proxies`) — the nearest address
//! in `X-Forwarded-For` that is not one of those proxies. An untrusted peer's header is ignored,
//! so nobody can pick the address they are throttled under.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// An address or a CIDR range (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<AddressRange, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{text}` has a bad prefix length"))?,
            None => bits,
        };
        Ok(AddressRange { network, prefix })
    }
}

impl AddressRange {
    /// Whether `address` lies in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), self.prefix, 32)
                    == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128)
                    == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    bits >> (width - prefix)
}

/// The client's address: `peer` unless it is a trusted proxy, else the rightmost address of
/// `X-Forwarded-For` that is not a trusted proxy (the leftmost when all are; `peer` when the
/// header is missing or unreadable).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[AddressRange]) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|range| range.contains(address));
    if !is_trusted(peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        for hop in value.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(address) => hops.push(address),
                Err(_) => return peer,
            }
        }
    }
    hops.iter()
        .rev()
        .copied()
        .find(|address| !is_trusted(*address))
        .or(hops.first().copied())
        .unwrap_or(peer)
}

/// Whether the client reached us over HTTPS: through a trusted proxy that says so with
/// `X-Forwarded-Proto: https` (its first value). Tessera itself serves plain HTTP.
pub fn forwarded_https(peer: IpAddr, headers: &HeaderMap, trusted: &[AddressRange]) -> bool {
    trusted.iter().any(|range| range.contains(peer))
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(list: &[&str]) -> Vec<AddressRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn parses_addresses_and_ranges() {
        assert!("10.0.0.0/8"
            .parse::<AddressRange>()
            .unwrap()
            .contains("10.9.8.7".parse().unwrap()));
        assert!(!"10.0.0.0/8"
            .parse::<AddressRange>()
            .unwrap()
            .contains("11.0.0.1".parse().unwrap()));
        assert!("::1"
            .parse::<AddressRange>()
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!("127.0.0.1"
            .parse::<AddressRange>()
            .unwrap()
            .contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!("0.0.0.0/0"
            .parse::<AddressRange>()
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<AddressRange>().is_err());
        assert!("proxy.local".parse::<AddressRange>().is_err());
    }

    #[test]
    fn trusts_the_header_only_from_trusted_proxies() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = ranges(&["10.0.0.0/24"]);
        let headers = forwarded("198.51.100.7, 203.0.113.9, 10.0.0.1");
        assert_eq!(
            client_address(peer, &headers, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap(),
            "the nearest untrusted hop"
        );
        assert_eq!(
            client_address(peer, &headers, &[]),
            peer,
            "no trusted proxies: the header is ignored"
        );
        let outsider: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            client_address(outsider, &headers, &trusted),
            outsider,
            "a client cannot choose its address"
        );
        assert_eq!(
            client_address(peer, &forwarded("10.0.0.5, 10.0.0.1"), &trusted),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(peer, &forwarded("not-an-ip"), &trusted),
            peer
        );
        assert_eq!(client_address(peer, &HeaderMap::new(), &trusted), peer);
    }
}
