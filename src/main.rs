//! The `gatehouse` command line.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use gatehouse::clock::{SharedClock, SystemClock};
use gatehouse::config::Config;
use gatehouse::services::audit::Actor;
use gatehouse::services::{Ctx, orgs, scim_tokens};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

/// mimalloc instead of glibc malloc: malloc and free were about a tenth of a SCIM GET's CPU.
/// Built without transparent huge pages (Cargo.toml), so it holds no more memory than glibc
/// did (`perf/README.md`, "mimalloc").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod app_cli;
mod domain_cli;
mod webhook_cli;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Identity hub: sign-in, organizations, invitations and SCIM 2.0 provisioning",
    long_about = "Identity hub: sign-in, organizations, invitations and SCIM 2.0 provisioning.\n\n\
        Configuration comes from config/default.toml (built in), then the file given with \
        --config, then GATEHOUSE_* environment variables (`__` between levels, e.g. \
        GATEHOUSE_SERVER__BIND=127.0.0.1:9000)."
)]
struct Cli {
    /// A TOML file overriding the built-in defaults.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "GATEHOUSE_CONFIG_FILE"
    )]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Ask the local server's /readyz (at server.bind) and exit 0 when it is ready;
    /// for container health checks, since slim images have no curl.
    Healthcheck,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Scheduled jobs: see their schedules and last runs, or run one now.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The keys that sign access tokens for the suite's apps.
    #[command(subcommand)]
    Jwt(JwtCommand),
    /// Manage the bearer tokens a directory (Entra ID, Okta, ...) uses for SCIM.
    #[command(subcommand, name = "scim-token")]
    ScimToken(ScimTokenCommand),
    /// Apps (OpenID Connect clients) that sign people in through Gatehouse.
    #[command(subcommand)]
    App(app_cli::AppCommand),
    /// An organization's verified domains (the DNS-proven ones its SSO applies to).
    #[command(subcommand)]
    Domain(domain_cli::DomainCommand),
    /// The keys that sign ID tokens and access tokens (same keys as `jwt`).
    #[command(subcommand)]
    Keys(JwtCommand),
    /// The operator's webhook endpoints, which receive every organization's events.
    #[command(subcommand)]
    Webhook(webhook_cli::WebhookCommand),
}

#[derive(Subcommand)]
enum JwtCommand {
    /// Start signing with a new key; the old one stays in the JWKS until the tokens it
    /// signed have expired, so no valid token is invalidated.
    Rotate,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Each job's schedule, last run, outcome and duration.
    List,
    /// Run a job now (expire_invitations, sync_disconnected_users); it takes the same
    /// lease as scheduled runs, so it never overlaps one.
    Run {
        /// The job's name.
        name: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print the effective values, secrets redacted.
    Check,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an organization and its first admin.
    ///
    /// Prints a one-time link (valid 24 hours) where the admin sets a password, or with
    /// --password-stdin sets the password read from standard input.
    Bootstrap {
        /// Name of the new organization.
        #[arg(long, value_name = "NAME")]
        org: String,
        /// Email address of its first admin.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Read the admin's password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Args)]
struct OrgArg {
    /// The organization, by name.
    #[arg(long, value_name = "NAME")]
    org: String,
}

#[derive(Subcommand)]
enum ScimTokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        #[command(flatten)]
        org: OrgArg,
        /// A label telling where the token is used, e.g. "Entra ID".
        #[arg(long, value_name = "LABEL", default_value = "SCIM")]
        name: String,
    },
    /// List the organization's tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        org: OrgArg,
    },
    /// Revoke a token by its label or id; it stops working at once.
    Revoke {
        #[command(flatten)]
        org: OrgArg,
        /// The token's label.
        #[arg(long, value_name = "LABEL", required_unless_present = "id")]
        name: Option<String>,
        /// The token's id (from `list`).
        #[arg(long, value_name = "ID", conflicts_with = "name")]
        id: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    gatehouse::install_tls_provider();
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    gatehouse::telemetry::init(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gatehouse: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Config(ConfigCommand::Check) => {
            println!("# configuration is valid; effective values (secrets redacted):");
            print!("{}", toml::to_string(&config)?);
            Ok(())
        }
        Command::Migrate => {
            connect(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::Healthcheck => healthcheck(&config).await,
        Command::Admin(AdminCommand::Bootstrap {
            org,
            email,
            password_stdin,
        }) => {
            let ctx = connect(config).await?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let done = orgs::bootstrap(
                &ctx,
                &Actor::cli(),
                orgs::BootstrapRequest {
                    org_name: org,
                    email: email.clone(),
                    password,
                    display_name: None,
                },
            )
            .await?;
            println!(
                "created organization \"{}\" ({})",
                done.org.name, done.org.id
            );
            match done.setup_link {
                Some(link) => println!(
                    "{email} is its admin. Send them this one-time link to set a password (valid 24 hours):\n{link}"
                ),
                None => println!("{email} is its admin and can sign in with the password given."),
            }
            Ok(())
        }
        Command::ScimToken(cmd) => scim_token(connect(config).await?, cmd).await,
        Command::App(app_cli::AppCommand::HashSecret) => {
            app_cli::hash_secret();
            Ok(())
        }
        Command::App(cmd) => app_cli::run(connect(config).await?, cmd).await,
        Command::Domain(cmd) => domain_cli::run(connect(config).await?, cmd).await,
        Command::Webhook(cmd) => webhook_cli::run(connect(config).await?, cmd).await,
        Command::Jwt(JwtCommand::Rotate) | Command::Keys(JwtCommand::Rotate) => {
            let ctx = connect(config).await?;
            let kid = gatehouse::services::jwt::rotate(&ctx).await?;
            println!(
                "now signing with key {kid}; the previous key stays published until its tokens expire"
            );
            if let Some(kid) = gatehouse::services::rsa::rotate(&ctx).await? {
                println!("now signing RS256 ID tokens with key {kid}");
            }
            Ok(())
        }
        Command::Jobs(JobsCommand::List) => {
            let ctx = connect(config).await?;
            for job in gatehouse::jobs::list(&ctx).await? {
                let schedule = if job.schedule.is_empty() {
                    "(not scheduled)".to_string()
                } else {
                    job.schedule.clone()
                };
                match job.last_run {
                    Some(r) => println!(
                        "{:<26} {:<18} last run {} {} {}",
                        job.name,
                        schedule,
                        r.started_at.rfc3339(),
                        r.status,
                        r.outcome.map(|o| o.to_string()).unwrap_or_default()
                    ),
                    None => println!("{:<26} {:<18} never run", job.name, schedule),
                }
            }
            Ok(())
        }
        Command::Jobs(JobsCommand::Run { name }) => {
            let ctx = connect(config).await?;
            let result = gatehouse::jobs::run(&ctx, &name, &gatehouse::jobs::holder_id()).await?;
            println!("{}", serde_json::to_string(&result)?);
            Ok(())
        }
    }
}

async fn connect(config: Config) -> Result<Ctx> {
    let clock: SharedClock = Arc::new(SystemClock);
    let backend = gatehouse::store::Backend::from_url(config.database.url.expose())
        .map_err(anyhow::Error::msg)?;
    gatehouse::connect(config, clock)
        .await
        .with_context(|| format!("cannot open the {backend} database (database.url)"))
}

async fn serve(config: Config) -> Result<()> {
    let bind = config.server.bind;
    let ctx = connect(config).await?;
    // The access-token signing key is made on first start (kept in the database);
    // should that fail, the first token request makes it.
    if let Err(e) = gatehouse::services::jwt::jwks(&ctx).await {
        tracing::warn!(error = %e, "could not prepare the access-token signing key yet");
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (server.bind)"))?;
    let public_url = ctx.config.server.public_url();
    tracing::info!(
        address = %listener.local_addr()?,
        %public_url,
        database = %ctx.store.backend(),
        "gatehouse listening"
    );
    if !orgs::any_exist(&ctx).await? {
        tracing::info!(
            "no organization yet: create the first with `gatehouse admin bootstrap --org NAME --email EMAIL`"
        );
    }
    let mut scheduler = gatehouse::jobs::start(ctx.clone(), gatehouse::jobs::holder_id())
        .await
        .map_err(anyhow::Error::msg)?;
    gatehouse::serve(ctx.clone(), listener, gatehouse::shutdown_signal()).await?;
    let _ = scheduler.shutdown().await;
    ctx.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn healthcheck(config: &Config) -> Result<()> {
    let mut addr = config.server.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{addr}/readyz");
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    let status = response.status();
    if !status.is_success() {
        bail!(
            "{url} answered {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    println!("ready");
    Ok(())
}

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn scim_token(ctx: Ctx, cmd: ScimTokenCommand) -> Result<()> {
    let actor = Actor::cli();
    match cmd {
        ScimTokenCommand::Create { org, name } => {
            let org = orgs::find_by_name(&ctx, &org.org).await?;
            let created = scim_tokens::create(&ctx, &actor, org.id, &name).await?;
            println!(
                "SCIM token \"{}\" for \"{}\" (id {}). It is shown only this once:",
                created.token.name, org.name, created.token.id
            );
            println!("{}", created.plaintext);
            println!("SCIM base URL: {}/scim/v2", ctx.config.server.public_url());
        }
        ScimTokenCommand::List { org } => {
            let org = orgs::find_by_name(&ctx, &org.org).await?;
            let tokens = scim_tokens::list(&ctx, org.id).await?;
            if tokens.is_empty() {
                println!("no SCIM tokens for \"{}\"", org.name);
            }
            for t in tokens {
                let state = match (&t.revoked_at, &t.last_used_at) {
                    (Some(r), _) => format!("revoked {}", r.rfc3339()),
                    (None, Some(u)) => format!("active, last used {}", u.rfc3339()),
                    (None, None) => "active, never used".to_string(),
                };
                println!(
                    "{}  {:<24}  created {}  {}",
                    t.id,
                    t.name,
                    t.created_at.rfc3339(),
                    state
                );
            }
        }
        ScimTokenCommand::Revoke { org, name, id } => {
            let org = orgs::find_by_name(&ctx, &org.org).await?;
            let key = name.or(id).unwrap_or_default();
            let revoked = scim_tokens::revoke(&ctx, &actor, org.id, &key).await?;
            for t in revoked {
                println!("revoked SCIM token \"{}\" ({})", t.name, t.id);
            }
        }
    }
    Ok(())
}
