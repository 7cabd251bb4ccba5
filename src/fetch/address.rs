//! The address policy: which IP addresses are private or special-purpose
//! (IANA's registries, embedded IPv4 included), a URL whose host is one,
//! and the resolver that hands reqwest only public addresses.

use super::FetchError;
use std::net::{IpAddr, SocketAddr};
use url::Url;

/// Whether `ip` is an address a fetcher for the open web must not reach:
/// every block of IANA's IPv4 and IPv6 special-purpose address registries
/// (loopback, private, shared, link-local, documentation, benchmarking,
/// reserved, discard-only, unique-local, ORCHID, SRv6 SIDs, ...), multicast
/// and broadcast; and an address that embeds an IPv4 one (mapped, NAT64's
/// well-known prefix, 6to4) when the IPv4 address is one of those. The
/// IPv4-compatible (`::/96`), local-use NAT64 (`64:ff9b:1::/48`) and IETF
/// protocol (`2001::/23`, Teredo among them) blocks are refused whole: what
/// they lead to cannot be checked here.
pub(super) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_special_v4(a),
        IpAddr::V6(a) => is_special_v6(a),
    }
}

pub(super) fn is_special_v4(a: std::net::Ipv4Addr) -> bool {
    let n = u32::from(a);
    // (network, prefix length) of the IPv4 special-purpose registry, plus
    // multicast (224.0.0.0/4) and the 6to4 relay anycast block.
    const BLOCKS: &[(u32, u32)] = &[
        (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
        (0x0a00_0000, 8),  // 10.0.0.0/8 private
        (0x6440_0000, 10), // 100.64.0.0/10 shared address space
        (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
        (0xa9fe_0000, 16), // 169.254.0.0/16 link-local
        (0xac10_0000, 12), // 172.16.0.0/12 private
        (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
        (0xc000_0200, 24), // 192.0.2.0/24 TEST-NET-1
        (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast
        (0xc0a8_0000, 16), // 192.168.0.0/16 private
        (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
        (0xc633_6400, 24), // 198.51.100.0/24 TEST-NET-2
        (0xcb00_7100, 24), // 203.0.113.0/24 TEST-NET-3
        (0xe000_0000, 4),  // 224.0.0.0/4 multicast
        (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and the broadcast address
    ];
    BLOCKS
        .iter()
        .any(|&(net, len)| n >> (32 - len) == net >> (32 - len))
}

pub(super) fn is_special_v6(a: std::net::Ipv6Addr) -> bool {
    let n = u128::from(a);
    let within = |net: u128, len: u32| n >> (128 - len) == net >> (128 - len);
    let embedded = |at: u32| std::net::Ipv4Addr::from((n >> at) as u32);
    if within(0xffff_0000_0000, 96) {
        // ::ffff:0:0/96, IPv4-mapped.
        return is_special_v4(embedded(0));
    }
    if within(0x0064_ff9b << 96, 96) {
        // 64:ff9b::/96, NAT64's well-known prefix.
        return is_special_v4(embedded(0));
    }
    if within(0x2002 << 112, 16) {
        // 2002::/16, 6to4: the IPv4 address follows the prefix.
        return is_special_v4(embedded(80));
    }
    // (network, prefix length) of the IPv6 special-purpose registry, plus
    // multicast and the deprecated site-local block.
    const BLOCKS: &[(u128, u32)] = &[
        (0, 96),                      // ::/96 unspecified, loopback, IPv4-compatible
        (0x0064_ff9b_0001 << 80, 48), // 64:ff9b:1::/48 local-use NAT64
        (0x0100 << 112, 64),          // 100::/64 discard-only
        (0x2001 << 112, 23),          // 2001::/23 IETF protocol assignments (Teredo...)
        (0x2001_0db8 << 96, 32),      // 2001:db8::/32 documentation
        (0x3fff << 112, 20),          // 3fff::/20 documentation
        (0x5f00 << 112, 16),          // 5f00::/16 SRv6 SIDs
        (0xfc00 << 112, 7),           // fc00::/7 unique-local
        (0xfe80 << 112, 10),          // fe80::/10 link-local
        (0xfec0 << 112, 10),          // fec0::/10 site-local (deprecated)
        (0xff00 << 112, 8),           // ff00::/8 multicast
    ];
    BLOCKS.iter().any(|&(net, len)| within(net, len))
}

pub(super) fn url_is_private(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => is_private(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => is_private(IpAddr::V6(a)),
        _ => false,
    }
}

/// A resolver that answers only with public addresses, so a connection —
/// the first or after a redirect — can only go where the check allowed: no
/// second lookup can rebind the name between check and connect.
pub(super) struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(FetchError::Refused { host })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
