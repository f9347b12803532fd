//! Where webhooks may go: https only (plain http to loopback when the operator allows
//! it, for tests and local development), and never, after DNS resolution, to a private,
//! link-local, loopback or cloud metadata address unless the operator allows it (a
//! webhook URL must not reach into the network Gatehouse runs in).

use crate::config::events::WebhooksConfig;
use crate::public_net::{Reach, classify};
use std::net::{IpAddr, SocketAddr};
use url::Url;

/// Checks an endpoint URL as given (before any DNS look-up); the message is for the admin.
pub fn check_url(config: &WebhooksConfig, raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|_| "must be an absolute URL".to_string())?;
    if url.username() != "" || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let host = url.host().ok_or_else(|| "must name a host".to_string())?;
    let loopback = match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback && config.allow_loopback => {}
        _ => return Err("must be https://".into()),
    }
    if let Some(ip) = literal_ip(&url) {
        check_ip(config, ip)?;
    }
    Ok(url)
}

/// The host of `url` when it is an IP address.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Refuses an address webhooks may not reach (`crate::public_net::classify`): metadata
/// services never; loopback unless `allow_loopback`; private networks unless
/// `allow_private_networks`.
pub fn check_ip(config: &WebhooksConfig, ip: IpAddr) -> Result<(), String> {
    match classify(ip) {
        Reach::Public => Ok(()),
        Reach::Metadata => Err(format!("{ip} is a cloud metadata address")),
        Reach::Loopback if config.allow_loopback => Ok(()),
        Reach::Loopback => Err(format!("{ip} is a loopback address")),
        Reach::NotAHost => Err(format!("{ip} is not a host address")),
        Reach::Private if config.allow_private_networks => Ok(()),
        Reach::Private => Err(format!("{ip} is a private or link-local address")),
    }
}

/// The resolved addresses the request may use: those [`check_ip`] allows.
pub fn allowed(config: &WebhooksConfig, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
    let mut refused = None;
    let ok: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match check_ip(config, a.ip()) {
            Ok(()) => true,
            Err(e) => {
                refused = Some(e);
                false
            }
        })
        .collect();
    if ok.is_empty() {
        Err(refused.unwrap_or_else(|| "the host name has no address".into()))
    } else {
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(allow_loopback: bool, allow_private_networks: bool) -> WebhooksConfig {
        WebhooksConfig {
            allow_loopback,
            allow_private_networks,
            ..WebhooksConfig::default()
        }
    }

    #[test]
    fn https_only_and_http_only_to_loopback_when_allowed() {
        let strict = config(false, false);
        assert!(check_url(&strict, "https://hooks.example.com/x").is_ok());
        assert!(check_url(&strict, "http://hooks.example.com/x").is_err());
        assert!(check_url(&strict, "http://127.0.0.1:9000/x").is_err());
        assert!(check_url(&strict, "https://127.0.0.1/x").is_err());
        assert!(check_url(&strict, "ftp://example.com/").is_err());
        assert!(check_url(&strict, "https://user:pw@example.com/").is_err());
        let tests = config(true, false);
        assert!(check_url(&tests, "http://127.0.0.1:9000/x").is_ok());
        assert!(check_url(&tests, "http://localhost:9000/x").is_ok());
        assert!(check_url(&tests, "http://example.com/x").is_err());
    }

    #[test]
    fn private_link_local_and_metadata_addresses_are_refused() {
        let strict = config(false, false);
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "fd00:ec2::254",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(check_ip(&strict, ip).is_err(), "{ip}");
        }
        assert!(check_ip(&strict, "93.184.216.34".parse().unwrap()).is_ok());
        assert!(check_ip(&strict, "2606:2800:220:1::1".parse().unwrap()).is_ok());
        let lan = config(false, true);
        assert!(check_ip(&lan, "10.1.2.3".parse().unwrap()).is_ok());
        assert!(
            check_ip(&lan, "169.254.169.254".parse().unwrap()).is_err(),
            "metadata never"
        );
    }
}
