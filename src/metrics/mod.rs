//! This process's metrics, in the Prometheus text format (OpenMetrics), served at
//! `/metrics`. Each replica counts its own requests and job runs; Prometheus adds
//! them up. Labels come from small fixed sets (route patterns, known methods, a
//! handful of directory names), never from raw paths or free text.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

mod labels;

pub use labels::directory_client;
use labels::{known_method, scim_operation};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScimLabels {
    client: &'static str,
    resource: &'static str,
    operation: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SsoLabels {
    connection: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobNameLabel {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabel {
    pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgLabel {
    org_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabel {
    connection: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_buckets() -> Histogram {
    // 1 ms .. about 16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

fn job_buckets() -> Histogram {
    // 10 ms .. about 45 min
    Histogram::new(exponential_buckets(0.01, 4.0, 12))
}

/// The metrics of one process. Cheap to share (`Arc`); recording never blocks on I/O.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily<RouteLabels>,
    scim_operations: Family<ScimLabels, Counter>,
    job_runs: Family<JobLabels, Counter>,
    job_duration: HistogramFamily<JobNameLabel>,
    pool_size: Family<PoolLabel, Gauge>,
    pool_idle: Family<PoolLabel, Gauge>,
    pool_max: Family<PoolLabel, Gauge>,
    seats_used: Family<OrgLabel, Gauge>,
    seats_limit: Family<OrgLabel, Gauge>,
    sso_signins: Family<SsoLabels, Counter>,
    saml_certs_expiring: Family<ConnectionLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("gatehouse"),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(request_buckets as fn() -> Histogram),
            scim_operations: Family::default(),
            job_runs: Family::default(),
            job_duration: Family::new_with_constructor(job_buckets as fn() -> Histogram),
            pool_size: Family::default(),
            pool_idle: Family::default(),
            pool_max: Family::default(),
            seats_used: Family::default(),
            seats_limit: Family::default(),
            sso_signins: Family::default(),
            saml_certs_expiring: Family::default(),
        };
        m.registry.register(
            "http_requests",
            "HTTP requests by route pattern, method and status",
            m.http_requests.clone(),
        );
        m.registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route pattern and method",
            m.http_duration.clone(),
        );
        m.registry.register(
            "scim_operations",
            "SCIM operations by directory client, resource, operation and result",
            m.scim_operations.clone(),
        );
        m.registry.register(
            "job_runs",
            "Job runs by job and outcome (succeeded, failed, or skipped: another replica had it)",
            m.job_runs.clone(),
        );
        m.registry.register(
            "job_run_duration_seconds",
            "Duration of job runs that ran here",
            m.job_duration.clone(),
        );
        m.registry.register(
            "db_pool_connections",
            "Open connections per database pool",
            m.pool_size.clone(),
        );
        m.registry.register(
            "db_pool_idle_connections",
            "Idle connections per database pool",
            m.pool_idle.clone(),
        );
        m.registry.register(
            "db_pool_max_connections",
            "Largest size of each database pool",
            m.pool_max.clone(),
        );
        m.registry.register(
            "org_seats_used",
            "Active members (seats in use) per organization",
            m.seats_used.clone(),
        );
        m.registry.register(
            "org_seats_limit",
            "Seat limit per organization (absent when unlimited)",
            m.seats_limit.clone(),
        );
        m.registry.register(
            "sso_signins",
            "Sign-ins through organizations' SSO connections by connection id and outcome",
            m.sso_signins.clone(),
        );
        m.registry.register(
            "saml_certificates_expiring",
            "1 when every signing certificate of a SAML connection expires within 30 days",
            m.saml_certs_expiring.clone(),
        );
        m
    }

    /// Replaces the SAML certificate gauges: (connection id, all expiring), read at
    /// scrape time.
    pub fn set_saml_certificates(&self, connections: &[(uuid::Uuid, bool)]) {
        self.saml_certs_expiring.clear();
        for (id, expiring) in connections {
            let label = ConnectionLabel {
                connection: id.to_string(),
            };
            self.saml_certs_expiring
                .get_or_create(&label)
                .set(i64::from(*expiring));
        }
    }

    /// A sign-in through an existing connection `connection`, with its outcome.
    pub fn sso_signin(&self, connection: uuid::Uuid, outcome: &'static str) {
        self.sso_signins
            .get_or_create(&SsoLabels {
                connection: connection.to_string(),
                outcome,
            })
            .inc();
    }

    /// One finished HTTP request. `route` is the matched route pattern.
    pub fn http_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let method = known_method(method);
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.to_string(),
                method,
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method,
            })
            .observe(took.as_secs_f64());
    }

    /// One SCIM request from `client` (see [`directory_client`]), named by its route
    /// pattern and method.
    pub fn scim_operation(&self, client: &'static str, route: &str, method: &str, status: u16) {
        let (resource, operation) = scim_operation(route, method);
        self.scim_operations
            .get_or_create(&ScimLabels {
                client,
                resource,
                operation,
                result: match status {
                    0..=399 => "ok",
                    400..=499 => "client_error",
                    _ => "server_error",
                },
            })
            .inc();
    }

    /// A job that ran here, with its outcome ("succeeded" or "failed").
    pub fn job_ran(&self, job: &str, outcome: &'static str, took: Duration) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.to_string(),
                outcome,
            })
            .inc();
        self.job_duration
            .get_or_create(&JobNameLabel {
                job: job.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// A job fire that found the lease taken (another replica runs it).
    pub fn job_skipped(&self, job: &str) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.to_string(),
                outcome: "skipped",
            })
            .inc();
    }

    /// Sets the pool gauges, read at scrape time.
    pub fn set_pools(&self, pools: &[crate::store::PoolStats]) {
        for p in pools {
            let label = PoolLabel { pool: p.name };
            self.pool_size.get_or_create(&label).set(i64::from(p.size));
            self.pool_idle
                .get_or_create(&label)
                .set(i64::try_from(p.idle).unwrap_or(i64::MAX));
            self.pool_max.get_or_create(&label).set(i64::from(p.max));
        }
    }

    /// Replaces the seat gauges with `usage`, read at scrape time.
    pub fn set_seats(&self, usage: &[crate::store::usage::SeatUsage]) {
        self.seats_used.clear();
        self.seats_limit.clear();
        for u in usage {
            let label = OrgLabel {
                org_id: u.org_id.to_string(),
            };
            self.seats_used.get_or_create(&label).set(u.used);
            if let Some(limit) = u.seat_limit {
                self.seats_limit.get_or_create(&label).set(limit);
            }
        }
    }

    /// The text exposition of everything recorded so far.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_do_not_grow_the_label_set() {
        let m = Metrics::new();
        m.http_request("/healthz", "BREW", 405, Duration::from_millis(1));
        let text = m.encode();
        assert!(text.contains("method=\"other\""), "{text}");
        assert!(!text.contains("BREW"));
    }
}
