//! DNS look-ups through the servers of `sso.dns_servers` (or the system's): TXT records
//! for verified domains, and addresses for requests on an organization's behalf
//! (`crate::public_net`). A fresh resolver per look-up: no cache, so a record that was
//! just added or removed is seen at once.

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::SocketAddr;
use std::time::Duration;

/// What a TXT look-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The name's TXT values (each value's strings joined, as RFC 7208 reads them).
    Found(Vec<String>),
    /// The name does not exist, or has no TXT record.
    Missing,
    /// No answer (timeout, server failure): nothing can be concluded.
    Failed(String),
}

fn resolver(servers: &[SocketAddr]) -> Result<TokioResolver, String> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = if servers.is_empty() {
        Resolver::builder(provider).map_err(|e| format!("system DNS configuration: {e}"))?
    } else {
        let name_servers = servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        Resolver::builder_with_config(ResolverConfig::from_name_servers(name_servers), provider)
    };
    let options = builder.options_mut();
    options.timeout = Duration::from_secs(5);
    options.attempts = 2;
    builder.build().map_err(|e| format!("DNS resolver: {e}"))
}

/// The TXT values of `name` (an absolute name; a trailing dot is added).
pub async fn txt(servers: &[SocketAddr], name: &str) -> TxtAnswer {
    let resolver = match resolver(servers) {
        Ok(r) => r,
        Err(e) => return TxtAnswer::Failed(e),
    };
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn.as_str()).await {
        Ok(lookup) => {
            let values: Vec<String> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect();
            if values.is_empty() {
                TxtAnswer::Missing
            } else {
                TxtAnswer::Found(values)
            }
        }
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => TxtAnswer::Missing,
        Err(e) => TxtAnswer::Failed(e.to_string()),
    }
}

/// The addresses of host `name`, through `servers` (never empty when `Ok`).
pub async fn addresses(
    servers: &[SocketAddr],
    name: &str,
) -> Result<Vec<std::net::IpAddr>, String> {
    let resolver = resolver(servers)?;
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    let lookup = resolver
        .lookup_ip(fqdn.as_str())
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let ips: Vec<std::net::IpAddr> = lookup.iter().collect();
    if ips.is_empty() {
        return Err(format!("{name} has no address"));
    }
    Ok(ips)
}
