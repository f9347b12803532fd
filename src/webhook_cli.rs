//! `gatehouse webhook add|list|delete|rotate|enable|disable|resend`: the operator's
//! webhook endpoints, which receive every organization's events (for the suite's own
//! apps). Rules: `services::webhooks`; audited as the CLI.

use anyhow::Result;
use clap::{Args, Subcommand};
use gatehouse::services::audit::Actor;
use gatehouse::services::webhooks::{self, EndpointUpdate, NewEndpoint, Owner, ResendRequest};
use gatehouse::services::{Ctx, orgs};
use uuid::Uuid;

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint for every organization's events; prints its signing secret once.
    Add {
        /// Where to POST the events (https; http to loopback only with
        /// events.webhooks.allow_loopback).
        #[arg(long, value_name = "URL")]
        url: String,
        /// An event type to send (repeatable); none: every type.
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
        /// A label.
        #[arg(long, value_name = "NAME", default_value = "")]
        name: String,
    },
    /// The operator's endpoints (never their secrets).
    List,
    /// Delete an endpoint.
    Delete(Id),
    /// A new secret, printed once; the old one keeps signing beside it for 24 hours.
    Rotate(Id),
    /// Enable an endpoint again: delivery resumes with the first event it missed.
    Enable(Id),
    /// Stop sending to an endpoint (events wait for it).
    Disable(Id),
    /// Send one event of an organization again.
    Resend {
        #[command(flatten)]
        id: Id,
        /// The organization, by name.
        #[arg(long, value_name = "NAME")]
        org: String,
        /// The event's id.
        #[arg(long, value_name = "EVENT_ID")]
        event: Uuid,
    },
}

#[derive(Args)]
pub struct Id {
    /// The endpoint's id (from `list`).
    #[arg(long, value_name = "ID")]
    id: Uuid,
}

pub async fn run(ctx: Ctx, cmd: WebhookCommand) -> Result<()> {
    let owner = Owner::Operator(Actor::cli());
    match cmd {
        WebhookCommand::Add { url, types, name } => {
            let made = webhooks::create(
                &ctx,
                &owner,
                NewEndpoint {
                    url,
                    name: Some(name),
                    event_types: Some(types),
                    enabled: Some(true),
                },
            )
            .await?;
            println!("id: {}", made.endpoint.id);
            println!("secret (shown once): {}", made.secret.expose());
        }
        WebhookCommand::List => {
            for e in webhooks::list(&ctx, &owner).await? {
                let types: Vec<&str> = e.event_types.iter().map(|t| t.as_str()).collect();
                println!(
                    "{}  {}  {}  {}  {}",
                    e.id,
                    if e.enabled { "enabled" } else { "disabled" },
                    e.url,
                    if types.is_empty() {
                        "*".to_string()
                    } else {
                        types.join(",")
                    },
                    e.disabled_reason.unwrap_or_default()
                );
            }
        }
        WebhookCommand::Delete(Id { id }) => {
            webhooks::delete(&ctx, &owner, id).await?;
            println!("deleted {id}");
        }
        WebhookCommand::Rotate(Id { id }) => {
            let made = webhooks::rotate_secret(&ctx, &owner, id).await?;
            println!("secret (shown once): {}", made.secret.expose());
        }
        WebhookCommand::Enable(Id { id }) | WebhookCommand::Disable(Id { id }) => {
            let enabled = matches!(cmd, WebhookCommand::Enable(_));
            let e = webhooks::update(
                &ctx,
                &owner,
                id,
                EndpointUpdate {
                    enabled: Some(enabled),
                    ..EndpointUpdate::default()
                },
            )
            .await?;
            println!(
                "{} {}",
                e.id,
                if e.enabled { "enabled" } else { "disabled" }
            );
        }
        WebhookCommand::Resend { id, org, event } => {
            let org = orgs::find_by_name(&ctx, &org).await?;
            let done = webhooks::resend(
                &ctx,
                &owner,
                id.id,
                Some(org.id),
                ResendRequest {
                    event_id: Some(event),
                    from: None,
                    to: None,
                },
            )
            .await?;
            println!("{} queued", done.queued);
        }
    }
    Ok(())
}
