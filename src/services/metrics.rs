//! The gauges read at scrape time, for `/metrics`.

use super::Ctx;

/// Reads the gauges taken at scrape time (pools, seats: one query; SAML certificates:
/// one query) and encodes all.
pub async fn scrape(ctx: &Ctx) -> String {
    ctx.metrics.set_pools(&ctx.store.pool_stats());
    let seats = async {
        let mut db = ctx.store.read().await?;
        crate::store::usage::seats(&mut db).await
    };
    match seats.await {
        Ok(usage) => ctx.metrics.set_seats(&usage),
        // The other metrics still help while the database is away.
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read seat usage"),
    }
    match super::sso_connections::saml::expiring_certificates(ctx).await {
        Ok(list) => ctx.metrics.set_saml_certificates(&list),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read SAML certificates"),
    }
    ctx.metrics.encode()
}
