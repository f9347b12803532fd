//! Delivering events to webhook endpoints: at least once, in order per endpoint and
//! organization, shared by the replicas through the database.
//!
//! Each (endpoint, organization) pair is a stream with a cursor (`last_seq`). A replica
//! claims a due stream with a lease (`SKIP LOCKED` on PostgreSQL), posts its next
//! events one at a time, and moves the cursor after each 2xx. A failure leaves the
//! cursor where it is and retries the same event on the backoff [`BACKOFF`]; after
//! `events.webhooks.max_attempts` failures the endpoint is disabled and the admins are
//! mailed. A replica killed mid-delivery loses its lease when it expires, and the event
//! is posted again: receivers deduplicate by `webhook-id` (the event's id).

use super::{sealer, types_of};
use crate::domain::{Event, Role, Status, Timestamp};
use crate::mail::templates;
use crate::services::{Ctx, Result};
use crate::store::webhooks::{self as store, Delivery, Endpoint, Resend, Stream};
use crate::store::{events, memberships, orgs};
use crate::webhook::{guard, signature};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use uuid::Uuid;

/// The wait before each retry of a failed event: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const BACKOFF: [time::Duration; 7] = [
    time::Duration::seconds(5),
    time::Duration::minutes(5),
    time::Duration::minutes(30),
    time::Duration::hours(2),
    time::Duration::hours(5),
    time::Duration::hours(10),
    time::Duration::hours(10),
];
/// How often a replica looks for due deliveries when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// Events one claim of a stream posts at most before it lets go.
const BATCH: i64 = 100;
/// How often the operator's endpoints get streams for new organizations.
const OPERATOR_STREAMS_EVERY: Duration = Duration::from_secs(5);

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Wakes this replica's deliverer (an endpoint changed, a resend was queued).
pub fn wake() {
    WAKE.notify_one();
}

/// The lease of a claim: a request's time limit and some.
fn lease(ctx: &Ctx) -> time::Duration {
    let secs = ctx.config.events.webhooks.timeout_secs.saturating_add(5);
    time::Duration::seconds(i64::try_from(secs).unwrap_or(305))
}

/// Resolves host names and keeps only the addresses webhooks may reach
/// (`webhook::guard`), so the check and the connection use the same addresses.
struct GuardedResolver {
    config: crate::config::events::WebhooksConfig,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let config = self.config.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok = guard::allowed(&config, found)
                .map_err(|m| Box::new(std::io::Error::other(m)) as Box<_>)?;
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of deliveries: the guarded resolver, no redirects, the time limit.
pub fn client(ctx: &Ctx) -> reqwest::Result<reqwest::Client> {
    let w = &ctx.config.events.webhooks;
    reqwest::Client::builder()
        .timeout(Duration::from_secs(w.timeout_secs))
        .connect_timeout(Duration::from_secs(w.timeout_secs.min(10)))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { config: w.clone() }))
        .user_agent("Gatehouse-Webhooks/1")
        .build()
}

/// Delivers due events until `stop` resolves: every half second, or at once when woken.
pub async fn run_deliverer(ctx: Ctx, stop: impl std::future::Future<Output = ()>) {
    let client = match client(&ctx) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: no HTTP client");
            return;
        }
    };
    tokio::pin!(stop);
    let mut operator_streams_at: Option<Instant> = None;
    loop {
        if operator_streams_at.is_none_or(|t| t.elapsed() >= OPERATOR_STREAMS_EVERY) {
            operator_streams_at = Some(Instant::now());
            if let Err(e) = start_operator_streams(&ctx).await {
                e.log();
            }
        }
        let delivered = tokio::select! {
            () = &mut stop => return,
            r = deliver_due(&ctx, &client) => r,
        };
        match delivered {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => e.log(),
        }
        tokio::select! {
            () = &mut stop => return,
            () = WAKE.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn start_operator_streams(ctx: &Ctx) -> Result<()> {
    let mut db = ctx.store.write().await?;
    store::start_operator_streams(&mut db, ctx.now()).await?;
    Ok(())
}

/// One pass: claims due streams and resends (at most `max_concurrency` of each) and
/// delivers them concurrently; returns how many attempts were made.
pub async fn deliver_due(ctx: &Ctx, client: &reqwest::Client) -> Result<u64> {
    let now = ctx.now();
    let limit = i64::try_from(ctx.config.events.webhooks.max_concurrency).unwrap_or(8);
    let until = Timestamp(now.0 + lease(ctx));
    let (streams, resends) = {
        let mut tx = ctx.store.begin().await?;
        let streams = store::claim_streams(&mut tx, now, until, limit).await?;
        let resends = store::claim_resends(&mut tx, now, until, limit).await?;
        tx.commit().await?;
        (streams, resends)
    };
    let mut tasks = tokio::task::JoinSet::new();
    for s in streams {
        let (ctx, client) = (ctx.clone(), client.clone());
        tasks.spawn(async move { deliver_stream(&ctx, &client, s).await });
    }
    for r in resends {
        let (ctx, client) = (ctx.clone(), client.clone());
        tasks.spawn(async move { deliver_resend(&ctx, &client, r).await });
    }
    let mut attempts = 0;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(n)) => attempts += n,
            Ok(Err(e)) => e.log(),
            Err(e) => tracing::error!(error = %e, "webhooks: a delivery task failed"),
        }
    }
    Ok(attempts)
}

/// Posts the stream's next events in order until one fails, the batch is done or the
/// stream is empty.
async fn deliver_stream(ctx: &Ctx, client: &reqwest::Client, s: Stream) -> Result<u64> {
    let endpoint = {
        let mut db = ctx.store.read().await?;
        store::find(&mut db, s.endpoint_id).await?
    };
    let types = types_of(&endpoint);
    let next = {
        let mut db = ctx.store.read().await?;
        events::after(&mut db, s.org_id, s.last_seq, &[], BATCH).await?
    };
    let mut attempts = 0;
    let mut skipped_to = None;
    for event in next {
        if !types.is_empty() && !types.contains(&event.event_type) {
            skipped_to = Some(event.sequence);
            continue;
        }
        if let Some(seq) = skipped_to.take() {
            let mut db = ctx.store.write().await?;
            store::advance(&mut db, s.endpoint_id, s.org_id, seq, ctx.now()).await?;
        }
        let attempt = s.attempts + 1;
        let delivery = post(ctx, client, &endpoint, &event, attempt).await;
        attempts += 1;
        let now = ctx.now();
        let mut tx = ctx.store.begin().await?;
        store::log_delivery(&mut tx, &delivery).await?;
        if delivery.ok {
            store::advance(&mut tx, s.endpoint_id, s.org_id, event.sequence, now).await?;
            tx.commit().await?;
            continue;
        }
        let max = i64::from(ctx.config.events.webhooks.max_attempts);
        let failing_since = s.failing_since.unwrap_or(now);
        if attempt >= max {
            let reason = format!(
                "{attempt} attempts to deliver event {} failed since {} (last: {})",
                event.id,
                failing_since.rfc3339(),
                excerpt(&delivery.response, 200)
            );
            super::disable(ctx, &mut tx, &endpoint, &reason).await?;
            store::failed(&mut tx, &s, attempt, failing_since, now).await?;
            tx.commit().await?;
            tracing::warn!(endpoint = %endpoint.id, "webhooks: endpoint disabled after repeated failures");
            mail_admins(ctx, &endpoint, &reason).await;
        } else {
            let wait = BACKOFF[usize::try_from(attempt - 1)
                .unwrap_or(0)
                .min(BACKOFF.len() - 1)];
            store::failed(&mut tx, &s, attempt, failing_since, Timestamp(now.0 + wait)).await?;
            tx.commit().await?;
        }
        return Ok(attempts);
    }
    let mut db = ctx.store.write().await?;
    if let Some(seq) = skipped_to {
        store::advance(&mut db, s.endpoint_id, s.org_id, seq, ctx.now()).await?;
    }
    store::release(&mut db, s.endpoint_id, s.org_id).await?;
    Ok(attempts)
}

async fn deliver_resend(ctx: &Ctx, client: &reqwest::Client, r: Resend) -> Result<u64> {
    let (endpoint, event) = {
        let mut db = ctx.store.read().await?;
        let endpoint = store::find(&mut db, r.endpoint_id).await?;
        let event = events::at(&mut db, r.org_id, r.seq).await;
        (endpoint, event)
    };
    let mut db = ctx.store.write().await?;
    let Ok(event) = event else {
        // Gone with the retention meanwhile.
        store::resend_done(&mut db, r.id).await?;
        return Ok(0);
    };
    drop(db);
    let delivery = post(ctx, client, &endpoint, &event, 1).await;
    let mut tx = ctx.store.begin().await?;
    store::log_delivery(&mut tx, &delivery).await?;
    store::resend_done(&mut tx, r.id).await?;
    tx.commit().await?;
    Ok(1)
}

/// The secrets that sign now: the current one, and the rotated one for 24 hours.
fn secrets(ctx: &Ctx, e: &Endpoint, now: Timestamp) -> Vec<String> {
    let Ok(sealer) = sealer(ctx) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(s) = sealer.open(e.id.as_bytes(), &e.secret_sealed) {
        out.push(s.expose().clone());
    }
    if let (Some(old), Some(until)) = (&e.old_secret_sealed, e.old_secret_until)
        && until > now
        && let Ok(s) = sealer.open(e.id.as_bytes(), old)
    {
        out.push(s.expose().clone());
    }
    out
}

/// One POST of `event` to the endpoint, as the delivery log keeps it.
pub async fn post(
    ctx: &Ctx,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    event: &Event,
    attempt: i64,
) -> Delivery {
    let now = ctx.now();
    let started = Instant::now();
    let result = send(ctx, client, endpoint, event, now).await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, ok, response) = match result {
        Ok((status, body)) => (Some(i64::from(status)), (200..300).contains(&status), body),
        Err(why) => (None, false, why),
    };
    Delivery {
        id: Uuid::now_v7(),
        endpoint_id: endpoint.id,
        org_id: event.org_id,
        event_id: event.id,
        event_type: event.event_type.as_str().to_string(),
        seq: event.sequence,
        attempt,
        status,
        ok,
        latency_ms,
        response,
        created_at: now,
    }
}

async fn send(
    ctx: &Ctx,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    event: &Event,
    now: Timestamp,
) -> std::result::Result<(u16, String), String> {
    let w = &ctx.config.events.webhooks;
    // The rules may have changed since the URL was saved.
    guard::check_url(w, &endpoint.url).map_err(|m| format!("refused: the URL {m}"))?;
    let secrets = secrets(ctx, endpoint, now);
    if secrets.is_empty() {
        return Err("the endpoint's secret cannot be opened (sso.secret_key changed?)".into());
    }
    let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
    let id = event.id.to_string();
    let timestamp = now.0.unix_timestamp();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = signature::header(&refs, &id, timestamp, &body);
    let mut response = client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let mut read = Vec::new();
    while read.len() < w.max_response_bytes {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => return Err(describe(&e)),
        }
    }
    read.truncate(w.max_response_bytes);
    Ok((status, String::from_utf8_lossy(&read).into_owned()))
}

/// An error as the log shows it (without the URL, which the page shows anyway).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut out = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out
}

fn excerpt(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

async fn mail_admins(ctx: &Ctx, e: &Endpoint, reason: &str) {
    let Some(org_id) = e.org_id else {
        tracing::error!(endpoint = %e.id, url = %e.url, reason, "webhooks: the operator's endpoint was disabled");
        return;
    };
    let found = async {
        let mut db = ctx.store.read().await?;
        let admins =
            memberships::list_view(&mut db, org_id, Status::Active, Some(Role::Admin)).await?;
        let org = orgs::get(&mut db, org_id).await?;
        Ok::<_, crate::store::StoreError>((admins, org))
    }
    .await;
    let Ok((admins, org)) = found else {
        tracing::error!("webhooks: could not find the admins to tell about a disabled endpoint");
        return;
    };
    let link = format!(
        "{}/orgs/{org_id}/webhooks/{}",
        ctx.config.server.public_url(),
        e.id
    );
    for admin in admins {
        let mail = templates::WebhookDisabled {
            url: &e.url,
            org_name: &org.name,
            reason,
            link: &link,
        }
        .to(&admin.email);
        let sent = match mail {
            Ok(m) => ctx.mailer.send(m).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::error!(error = %e, "webhooks: could not mail an admin");
        }
    }
}
