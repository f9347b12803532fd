//! Verified domains: an organization's admin claims a domain and proves it with a DNS
//! TXT record `_gatehouse-challenge.<domain>` whose value Gatehouse chose. Several
//! organizations may claim a domain; one at most has it verified (the first whose
//! record is found). Checks run when an admin asks ([`verify`]) and in the job
//! `verify_domains` ([`recheck_all`]). A verified domain whose record disappears stays
//! verified for `sso.domain_grace_hours`, counted from the first check that missed it,
//! then becomes unverified. An operator can verify (no DNS check; the job then leaves
//! it alone) or release a claim from the CLI.

use super::audit::{self, Actor, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result, not_found};
use crate::dns::{self, TxtAnswer};
use crate::domain::{AuditAction, Timestamp};
use crate::store::org_domains::{self as store, Domain};
use crate::store::{Db, StoreError};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The label before the domain in the TXT record's name.
pub const CHALLENGE_LABEL: &str = "_gatehouse-challenge";
/// Domains the job checks per run at most (the oldest checks first).
const JOB_BATCH: i64 = 1000;

/// A claim as its admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct DomainView {
    pub id: Uuid,
    pub domain: String,
    /// `pending` or `verified`.
    pub status: &'static str,
    /// The TXT record to add: its name and value.
    pub txt_name: String,
    pub txt_value: String,
    pub verified_at: Option<Timestamp>,
    /// `dns`, or `operator` when verified from the CLI.
    pub verified_by: Option<String>,
    pub checked_at: Option<Timestamp>,
    /// While verified, since when the record has not been found.
    pub missing_since: Option<Timestamp>,
    /// When a verified domain whose record is missing becomes unverified.
    pub grace_ends_at: Option<Timestamp>,
    /// What the check just done found, in words (only on [`verify`]'s answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

/// What one check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    Verified,
    StillVerified,
    Missing,
    Unverified,
    StillPending,
    TakenElsewhere,
    NoAnswer,
}

/// The outcome of the job.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RecheckOutcome {
    pub checked: u64,
    pub verified: u64,
    pub missing: u64,
    pub unverified: u64,
    pub no_answer: u64,
}

/// Lower-case ASCII (IDNs in their `xn--` form), labels of letters, digits and
/// hyphens, at least two labels, no trailing dot.
pub fn normalize(domain: &str) -> Result<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = |why: &str| Error::invalid_field("domain", format!("domain {why}"));
    if !d.is_ascii() {
        return Err(bad(
            "must be ASCII: write an internationalized domain in its xn-- form",
        ));
    }
    let labels: Vec<&str> = d.split('.').collect();
    if d.len() > 253 || labels.len() < 2 {
        return Err(bad("must be a domain name such as example.com"));
    }
    for l in &labels {
        let ok = (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-');
        if !ok {
            return Err(bad(
                "must be a domain name: labels of letters, digits and inner hyphens",
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("must be a domain name, not an address"));
    }
    Ok(d)
}

pub fn txt_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

fn grace(ctx: &Ctx) -> time::Duration {
    time::Duration::hours(i64::from(ctx.config.sso.domain_grace_hours))
}

pub(crate) fn view(ctx: &Ctx, d: &Domain, check: Option<String>) -> DomainView {
    DomainView {
        id: d.id,
        domain: d.domain.clone(),
        status: if d.verified_at.is_some() {
            "verified"
        } else {
            "pending"
        },
        txt_name: txt_name(&d.domain),
        txt_value: d.challenge.clone(),
        verified_at: d.verified_at,
        verified_by: d.verified_by.clone(),
        checked_at: d.checked_at,
        missing_since: d.missing_since,
        grace_ends_at: d.missing_since.map(|t| Timestamp(t.0 + grace(ctx))),
        check,
    }
}

pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<DomainView>> {
    actor.require_admin("see the organization's domains")?;
    let mut db = ctx.store.read().await?;
    let rows = store::list(&mut db, actor.org_id).await?;
    Ok(rows.iter().map(|d| view(ctx, d, None)).collect())
}

pub async fn get(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<DomainView> {
    actor.require_admin("see the organization's domains")?;
    let mut db = ctx.store.read().await?;
    let d = store::get(&mut db, actor.org_id, id)
        .await
        .map_err(not_found("domain"))?;
    Ok(view(ctx, &d, None))
}

/// Claims `domain` for the actor's organization, pending until its record is found.
pub async fn claim(ctx: &Ctx, actor: &OrgActor, domain: &str) -> Result<DomainView> {
    actor.require_admin("claim domains")?;
    let d = claim_as(ctx, &actor.audit_actor(), actor.org_id, domain).await?;
    Ok(view(ctx, &d, None))
}

async fn claim_as(ctx: &Ctx, who: &Actor, org_id: Uuid, domain: &str) -> Result<Domain> {
    let domain = normalize(domain)?;
    let d = Domain {
        id: Uuid::now_v7(),
        org_id,
        challenge: crate::token::generate("gh-domain").plaintext,
        domain,
        verified_at: None,
        verified_by: None,
        checked_at: None,
        missing_since: None,
        created_at: ctx.now(),
    };
    let mut tx = ctx.store.begin().await?;
    store::insert(&mut tx, &d).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            Error::Conflict("The organization has already claimed this domain.".into())
        }
        other => other.into(),
    })?;
    record(ctx, &mut tx, who, AuditAction::DomainClaimed, &d, json!({})).await?;
    tx.commit().await?;
    Ok(d)
}

/// Releases the claim (verified or not).
pub async fn release(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<()> {
    actor.require_admin("release domains")?;
    release_as(ctx, &actor.audit_actor(), actor.org_id, id).await
}

async fn release_as(ctx: &Ctx, who: &Actor, org_id: Uuid, id: Uuid) -> Result<()> {
    let mut tx = ctx.store.begin().await?;
    let d = store::get(&mut tx, org_id, id)
        .await
        .map_err(not_found("domain"))?;
    store::delete(&mut tx, org_id, id).await?;
    let details = json!({"was_verified": d.verified_at.is_some()});
    record(ctx, &mut tx, who, AuditAction::DomainReleased, &d, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the domain's TXT record now, and says what was found.
pub async fn verify(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<DomainView> {
    actor.require_admin("verify domains")?;
    let d = {
        let mut db = ctx.store.read().await?;
        store::get(&mut db, actor.org_id, id)
            .await
            .map_err(not_found("domain"))?
    };
    let (d, checked, detail) = check(ctx, &actor.audit_actor(), d).await?;
    let words = match checked {
        Checked::Verified | Checked::StillVerified => "The TXT record was found: verified.".into(),
        Checked::TakenElsewhere => {
            "The TXT record was found, but another organization has this domain verified.".into()
        }
        Checked::NoAnswer => format!("The DNS servers did not answer ({detail}); try again later."),
        Checked::Missing | Checked::Unverified | Checked::StillPending => format!(
            "No TXT record {} with the value shown was found{detail}. DNS changes can take a while to appear.",
            txt_name(&d.domain)
        ),
    };
    if checked == Checked::TakenElsewhere {
        return Err(Error::Conflict(words));
    }
    Ok(view(ctx, &d, Some(words)))
}

/// The job: checks every claim except those an operator verified.
pub async fn recheck_all(ctx: &Ctx) -> Result<RecheckOutcome> {
    let rows = {
        let mut db = ctx.store.read().await?;
        store::to_check(&mut db, JOB_BATCH).await?
    };
    let who = Actor::system("verify_domains");
    let mut out = RecheckOutcome::default();
    for d in rows {
        let (_, checked, _) = check(ctx, &who, d).await?;
        out.checked += 1;
        match checked {
            Checked::Verified => out.verified += 1,
            Checked::Missing => out.missing += 1,
            Checked::Unverified => out.unverified += 1,
            Checked::NoAnswer => out.no_answer += 1,
            _ => {}
        }
    }
    Ok(out)
}

/// One check of one claim: looks the record up (outside any transaction), then writes
/// the new state and its audit event in one transaction.
async fn check(ctx: &Ctx, who: &Actor, mut d: Domain) -> Result<(Domain, Checked, String)> {
    let servers = ctx
        .config
        .sso
        .dns_server_addrs()
        .map_err(|e| Error::Internal(format!("sso.dns_servers: {e}")))?;
    let answer = dns::txt(&servers, &txt_name(&d.domain)).await;
    let now = ctx.now();
    let (found, detail) = match answer {
        TxtAnswer::Failed(e) => return Ok((d, Checked::NoAnswer, e)),
        TxtAnswer::Missing => (false, String::new()),
        TxtAnswer::Found(values) => {
            let hit = values.iter().any(|v| v.trim() == d.challenge);
            let detail = if hit {
                String::new()
            } else {
                format!(" (the name has {} other value(s))", values.len())
            };
            (hit, detail)
        }
    };
    d.checked_at = Some(now);
    let mut event = None;
    let checked = match (found, d.verified_at.is_some()) {
        (true, true) => {
            d.missing_since = None;
            Checked::StillVerified
        }
        (true, false) => {
            d.verified_at = Some(now);
            d.verified_by = Some("dns".into());
            d.missing_since = None;
            event = Some((AuditAction::DomainVerified, json!({"by": "dns"})));
            Checked::Verified
        }
        (false, false) => Checked::StillPending,
        (false, true) => match d.missing_since {
            Some(since) if now.0 - since.0 >= grace(ctx) => {
                d.verified_at = None;
                d.verified_by = None;
                d.missing_since = None;
                let details = json!({"reason": "TXT record missing past the grace period",
                                     "missing_since": since});
                event = Some((AuditAction::DomainUnverified, details));
                Checked::Unverified
            }
            Some(_) => Checked::Missing,
            None => {
                d.missing_since = Some(now);
                let ends = Timestamp(now.0 + grace(ctx));
                event = Some((
                    AuditAction::DomainRecordMissing,
                    json!({"unverified_after": ends}),
                ));
                Checked::Missing
            }
        },
    };
    let mut tx = ctx.store.begin().await?;
    match store::save_state(&mut tx, &d).await {
        Ok(_) => {}
        Err(e) if e.is_conflict_on("domain") || matches!(e, StoreError::Conflict(_)) => {
            return Ok((d, Checked::TakenElsewhere, String::new()));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some((action, details)) = event {
        record(ctx, &mut tx, who, action, &d, details).await?;
    }
    tx.commit().await?;
    Ok((d, checked, detail))
}

/// `gatehouse domain verify --org NAME --domain D`: the operator vouches for the
/// domain (no DNS check); it is claimed first when the organization has no claim.
pub async fn operator_verify(ctx: &Ctx, org_name: &str, domain: &str) -> Result<DomainView> {
    let who = Actor::cli();
    let org = super::orgs::find_by_name(ctx, org_name).await?;
    let name = normalize(domain)?;
    let existing = {
        let mut db = ctx.store.read().await?;
        match store::find(&mut db, org.id, &name).await {
            Ok(d) => Some(d),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let mut d = match existing {
        Some(d) => d,
        None => claim_as(ctx, &who, org.id, &name).await?,
    };
    if d.verified_by.as_deref() == Some("operator") {
        return Ok(view(ctx, &d, None));
    }
    d.verified_at = d.verified_at.or(Some(ctx.now()));
    d.verified_by = Some("operator".into());
    d.missing_since = None;
    let mut tx = ctx.store.begin().await?;
    store::save_state(&mut tx, &d).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            Error::Conflict("Another organization has this domain verified.".into())
        }
        other => other.into(),
    })?;
    let details = json!({"by": "operator"});
    record(ctx, &mut tx, &who, AuditAction::DomainVerified, &d, details).await?;
    tx.commit().await?;
    Ok(view(ctx, &d, None))
}

/// `gatehouse domain release --org NAME --domain D`.
pub async fn operator_release(ctx: &Ctx, org_name: &str, domain: &str) -> Result<()> {
    let org = super::orgs::find_by_name(ctx, org_name).await?;
    let name = normalize(domain)?;
    let d = {
        let mut db = ctx.store.read().await?;
        store::find(&mut db, org.id, &name)
            .await
            .map_err(not_found("domain"))?
    };
    release_as(ctx, &Actor::cli(), org.id, d.id).await
}

async fn record(
    ctx: &Ctx,
    db: &mut dyn Db,
    who: &Actor,
    action: AuditAction,
    d: &Domain,
    mut details: serde_json::Value,
) -> Result<()> {
    if let Some(map) = details.as_object_mut() {
        map.insert("domain".into(), json!(d.domain));
    }
    let change = Change {
        org_id: Some(d.org_id),
        action,
        target_kind: "domain",
        target_id: d.id.to_string(),
        details,
    };
    Ok(audit::record(ctx, db, who, change).await?)
}
