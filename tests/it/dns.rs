//! `DnsServer`: a real authoritative DNS server (hickory-server) on loopback, UDP and
//! TCP on one port, serving one zone whose TXT records a test adds and removes.

use hickory_server::Server;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::rr::rdata::TXT;
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Arc<InMemoryZoneHandler<TokioRuntimeProvider>>,
    _server: Server<Catalog>,
}

impl DnsServer {
    /// Serves the zone `origin` (e.g. `acme-corp.test`) on 127.0.0.1.
    pub async fn start(origin: &str) -> DnsServer {
        let origin = Name::from_str(&format!("{}.", origin.trim_end_matches('.'))).expect("name");
        let zone = Arc::new(InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
            origin.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
        ));
        let mut catalog = Catalog::new();
        let handler: Arc<dyn ZoneHandler> = zone.clone();
        catalog.upsert(LowerName::new(&origin), vec![handler]);
        let mut server = Server::new(catalog);
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind udp");
        let addr = udp.local_addr().expect("addr");
        server.register_socket(udp);
        if let Ok(tcp) = tokio::net::TcpListener::bind(addr).await {
            server.register_listener(tcp, Duration::from_secs(5), 4096);
        }
        DnsServer {
            addr,
            zone,
            _server: server,
        }
    }

    /// Adds a TXT value at `name` (absolute, without the trailing dot).
    pub async fn add_txt(&self, name: &str, value: &str) {
        let name = Name::from_str(&format!("{name}.")).expect("name");
        let record = Record::from_rdata(name, 1, RData::TXT(TXT::new(vec![value.to_string()])));
        assert!(self.zone.upsert(record, 1).await, "TXT record added");
    }

    /// Adds an A record: `name` (absolute, without the trailing dot) has address `ip`.
    pub async fn add_a(&self, name: &str, ip: std::net::Ipv4Addr) {
        let name = Name::from_str(&format!("{name}.")).expect("name");
        let record = Record::from_rdata(name, 1, RData::A(ip.into()));
        assert!(self.zone.upsert(record, 1).await, "A record added");
    }

    /// Removes every TXT value at `name`.
    pub async fn remove_txt(&self, name: &str) {
        let name = Name::from_str(&format!("{name}.")).expect("name");
        let key = RrKey::new(LowerName::new(&name), RecordType::TXT);
        self.zone.records_mut().await.remove(&key);
    }
}
