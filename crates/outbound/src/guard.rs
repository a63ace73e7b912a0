//! Which addresses an outbound request may reach.
//!
//! By default every address that is not on the public internet is refused: loopback, private
//! and shared ranges, link-local (cloud metadata at 169.254.169.254), multicast, reserved and
//! documentation ranges, unique-local IPv6 (AWS's `fd00:ec2::254`), and IPv6 forms that carry an
//! IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4), which are judged by that IPv4
//! address. The operator may allow ranges, or everything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// IPv4 ranges not on the public internet (IANA special-purpose registry).
const BLOCKED_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// IPv6 ranges not on the public internet (those that embed an IPv4 address are handled apart).
const BLOCKED_V6: &[&str] = &[
    "::/128",
    "::1/128",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

static BLOCKED: LazyLock<(Vec<Ipv4Net>, Vec<Ipv6Net>)> = LazyLock::new(|| {
    (
        BLOCKED_V4
            .iter()
            .map(|net| net.parse().expect("valid range"))
            .collect(),
        BLOCKED_V6
            .iter()
            .map(|net| net.parse().expect("valid range"))
            .collect(),
    )
});

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // `::` and `::1` are not IPv4-compatible addresses; the IPv6 list has them.
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

/// The blocked range `ip` falls in, if any.
pub fn blocked_range(ip: IpAddr) -> Option<IpNet> {
    let (v4, v6) = &*BLOCKED;
    match ip {
        IpAddr::V4(ip) => v4
            .iter()
            .find(|net| net.contains(&ip))
            .map(|&net| net.into()),
        IpAddr::V6(ip) => match embedded_v4(ip) {
            Some(inner) => blocked_range(IpAddr::V4(inner)),
            None => v6
                .iter()
                .find(|net| net.contains(&ip))
                .map(|&net| net.into()),
        },
    }
}

/// What the operator allows beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Allow {
    /// Public addresses only (the default).
    #[default]
    PublicOnly,
    /// Public addresses and these ranges.
    Ranges(Vec<IpNet>),
    /// Any address: SSRF protection off.
    Everything,
}

impl std::str::FromStr for Allow {
    type Err = String;

    /// `all` (or `*`), or comma-separated addresses and CIDR ranges; empty means public only.
    fn from_str(text: &str) -> Result<Allow, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("all") || text == "*" {
            return Ok(Allow::Everything);
        }
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => part
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{part:?} is not an address or a CIDR range"))?,
            };
            ranges.push(net);
        }
        Ok(if ranges.is_empty() {
            Allow::PublicOnly
        } else {
            Allow::Ranges(ranges)
        })
    }
}

impl Allow {
    /// Refuses `ip` unless it is public or allowed; the error names the blocked range.
    pub fn check(&self, ip: IpAddr) -> Result<(), IpNet> {
        let Some(range) = blocked_range(ip) else {
            return Ok(());
        };
        match self {
            Allow::Everything => Ok(()),
            Allow::Ranges(ranges) if ranges.iter().any(|net| net.contains(&ip)) => Ok(()),
            _ => Err(range),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(ip: &str) -> Option<String> {
        blocked_range(ip.parse().unwrap()).map(|net| net.to_string())
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_judged_by_the_ipv4_address() {
        assert_eq!(range("::ffff:127.0.0.1").as_deref(), Some("127.0.0.0/8"));
        assert_eq!(range("::ffff:8.8.8.8"), None);
        assert_eq!(range("::10.1.2.3").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(
            range("64:ff9b::169.254.169.254").as_deref(),
            Some("169.254.0.0/16")
        );
        assert_eq!(
            range("2002:c0a8:0101::1").as_deref(),
            Some("192.168.0.0/16")
        );
        assert_eq!(range("2002:0808:0808::1"), None);
        assert_eq!(range("::1").as_deref(), Some("::1/128"));
        assert_eq!(range("::").as_deref(), Some("::/128"));
        assert_eq!(range("2606:4700::1111"), None);
    }

    #[test]
    fn allowed_ranges_and_everything() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(Allow::PublicOnly.check(ip).is_err());
        assert!(Allow::Everything.check(ip).is_ok());
        let some: Allow = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        assert!(some.check(ip).is_ok());
        assert!(some.check("127.0.0.2".parse().unwrap()).is_err());
        assert!(some.check("10.9.9.9".parse().unwrap()).is_ok());
        assert_eq!("".parse::<Allow>().unwrap(), Allow::PublicOnly);
        assert_eq!("ALL".parse::<Allow>().unwrap(), Allow::Everything);
        assert!("10.0.0.0/33".parse::<Allow>().is_err());
        assert!("example.com".parse::<Allow>().is_err());
    }
}
