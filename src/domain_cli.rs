//! `gatehouse domain verify|release --org NAME --domain D`: the operator vouches for an
//! organization's domain (no DNS check; the job `verify_domains` then leaves it alone)
//! or releases its claim. Audited as the CLI.

use anyhow::Result;
use clap::{Args, Subcommand};
use gatehouse::services::{Ctx, domains};

#[derive(Subcommand)]
pub enum DomainCommand {
    /// Mark the domain verified for the organization (claiming it first if needed),
    /// without a DNS check. Refused when another organization has it verified.
    Verify(Target),
    /// Release the organization's claim of the domain, verified or not.
    Release(Target),
}

#[derive(Args)]
pub struct Target {
    /// The organization, by name.
    #[arg(long, value_name = "NAME")]
    org: String,
    /// The domain, e.g. example.com.
    #[arg(long, value_name = "D")]
    domain: String,
}

pub async fn run(ctx: Ctx, cmd: DomainCommand) -> Result<()> {
    match cmd {
        DomainCommand::Verify(t) => {
            let d = domains::operator_verify(&ctx, &t.org, &t.domain).await?;
            println!("{} is verified for {} (by the operator)", d.domain, t.org);
        }
        DomainCommand::Release(t) => {
            domains::operator_release(&ctx, &t.org, &t.domain).await?;
            println!("{} released by {}", t.domain.trim(), t.org);
        }
    }
    Ok(())
}
