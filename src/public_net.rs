//! Outbound requests on behalf of an organization's admin (an SSO connection's issuer,
//! later a webhook endpoint) must reach the public internet only, never this machine or
//! its private network (SSRF). A URL's literal address is checked when it is saved; a
//! host *name* is checked here, after resolution, by the resolver of the HTTP client
//! that makes those requests, so a name that resolves to a private address (or changes
//! to one later: DNS rebinding) is refused at every connection, not only when saved.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What an address is, for deciding whether a request on an organization's behalf may
/// go there. An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Public,
    /// This machine (127.0.0.0/8, ::1).
    Loopback,
    /// Private networks: RFC 1918, unique local, link-local, shared (CGNAT), site-local,
    /// NAT64 and 6to4 (which may embed a private IPv4 address), reserved ranges.
    Private,
    /// A cloud provider's instance metadata service (169.254.169.254, 100.100.100.200,
    /// fd00:ec2::254): never, whatever the configuration.
    Metadata,
    /// Not one host: unspecified, broadcast, multicast, documentation.
    NotAHost,
}

pub fn classify(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Reach::Metadata
    } else if ip.is_loopback() {
        Reach::Loopback
    } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || ip.is_documentation()
    {
        Reach::NotAHost
    } else if ip.is_private()
        || ip.is_link_local()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240
    {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Reach {
    let s = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Reach::Metadata
    } else if ip.is_loopback() {
        Reach::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() || (s[0] == 0x2001 && s[1] == 0x0db8) {
        Reach::NotAHost
    } else if (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x64 && s[1] == 0xff9b)
        || s[0] == 0x2002
    {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// Whether `ip` may be reached on an admin's behalf when nothing more is allowed.
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip) == Reach::Public
}

/// A resolver that answers only with public addresses, and fails when a name has none.
/// It asks `servers` (`sso.dns_servers`) when given, else the system's resolver.
#[derive(Debug, Clone, Default)]
pub struct PublicOnly {
    pub servers: Vec<SocketAddr>,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let servers = self.servers.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<IpAddr> = if servers.is_empty() {
                tokio::net::lookup_host((host.as_str(), 0))
                    .await?
                    .map(|a| a.ip())
                    .collect()
            } else {
                crate::dns::addresses(&servers, &host).await?
            };
            let public: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| is_public(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (private, loopback and link-local \
                     addresses are refused)"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_metadata_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
    }

    #[tokio::test]
    async fn names_of_this_machine_are_refused() {
        let r = PublicOnly::default()
            .resolve("localhost".parse().unwrap())
            .await;
        let e = r.err().expect("refused").to_string();
        assert!(e.contains("no public address"), "{e}");
    }
}
