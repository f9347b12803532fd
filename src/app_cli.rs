//! `gatehouse app ...`: register the apps that sign people in through Gatehouse.

use anyhow::Result;
use clap::Subcommand;
use gatehouse::services::apps::{self, AppSettings};
use gatehouse::services::audit::Actor;
use gatehouse::services::{Ctx, orgs};
use gatehouse::store::oauth_apps::App;

#[derive(Subcommand)]
pub enum AppCommand {
    /// Register an app and print its client id (and, for a confidential app, its
    /// secret: shown only this once, only its hash is stored).
    Create {
        /// A name people recognize (shown on the organization chooser).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// A redirect URI (exact match); repeat for several.
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        /// Where the app may send people after signing out (exact match); repeatable.
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// OpenID Back-Channel Logout endpoint of the app.
        #[arg(long, value_name = "URI")]
        backchannel_logout_uri: Option<String>,
        /// A public app (single-page or native): no secret, PKCE only.
        #[arg(long)]
        public: bool,
        /// A scope the app may ask for (openid, profile, email, offline_access);
        /// repeatable; default all of them.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// ID token signature: EdDSA (default) or RS256 for libraries without EdDSA.
        #[arg(long, value_name = "ALG", default_value = "EdDSA")]
        id_token_alg: String,
        /// Access token lifetime in seconds (60 to 900; default 900).
        #[arg(long, value_name = "SECS")]
        access_token_secs: Option<i64>,
        /// Refresh token lifetime in seconds (default 30 days).
        #[arg(long, value_name = "SECS")]
        refresh_token_secs: Option<i64>,
    },
    /// List the registered apps (never their secrets).
    List,
    /// Give a confidential app a new secret (printed once); the old one stops working.
    RotateSecret {
        /// The app's client id or name.
        app: String,
    },
    /// Delete an app; its refresh tokens stop working at once.
    Delete {
        /// The app's client id or name.
        app: String,
    },
    /// Make a client secret for an app of the config file: prints a new secret (give
    /// it to the app) and its hash (put it in `[apps.<name>] client_secret_hash`).
    /// Needs no database.
    HashSecret,
    /// Turn an app off for an organization's members (or on again with --enable).
    Disable {
        /// The app's client id or name.
        app: String,
        /// The organization, by name.
        #[arg(long, value_name = "NAME")]
        org: String,
        /// Turn it back on instead.
        #[arg(long)]
        enable: bool,
    },
}

/// `gatehouse app hash-secret`: a new secret, and the only form the config file keeps.
pub fn hash_secret() {
    let secret = gatehouse::token::generate("ghcs");
    println!(
        "client_secret (give it to the app; not stored anywhere): {}",
        secret.plaintext
    );
    println!("client_secret_hash = \"{}\"", secret.hash);
}

fn describe(app: &App) -> String {
    let list = |v| apps::strings(v).join(" ");
    format!(
        "{}  {:<24} {}  redirect: {}  scopes: {}  id_token: {}  access {}s refresh {}s{}",
        app.client_id,
        app.name,
        if app.confidential {
            "confidential"
        } else {
            "public"
        },
        list(&app.redirect_uris),
        list(&app.scopes),
        app.id_token_alg,
        app.access_token_secs,
        app.refresh_token_secs,
        app.backchannel_logout_uri
            .as_ref()
            .map(|u| format!("  backchannel: {u}"))
            .unwrap_or_default(),
    )
}

pub async fn run(ctx: Ctx, cmd: AppCommand) -> Result<()> {
    let actor = Actor::cli();
    match cmd {
        AppCommand::Create {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            backchannel_logout_uri,
            public,
            scopes,
            id_token_alg,
            access_token_secs,
            refresh_token_secs,
        } => {
            let settings = AppSettings {
                name,
                public,
                redirect_uris,
                post_logout_redirect_uris,
                backchannel_logout_uri,
                scopes,
                id_token_alg,
                access_token_secs,
                refresh_token_secs,
            };
            let created = apps::create(&ctx, &actor, &settings).await?;
            println!("registered app \"{}\"", created.app.name);
            println!("client_id: {}", created.app.client_id);
            if let Some(secret) = created.secret {
                println!("client_secret (shown only this once): {secret}");
            }
            println!("issuer: {}", ctx.config.server.public_url());
        }
        AppCommand::List => {
            let all = apps::list(&ctx).await?;
            if all.is_empty() {
                println!("no apps registered");
            }
            for app in all {
                println!("{}", describe(&app));
            }
        }
        AppCommand::RotateSecret { app } => {
            let (app, secret) = apps::rotate_secret(&ctx, &actor, &app).await?;
            println!(
                "new secret for \"{}\" ({}), shown only this once:",
                app.name, app.client_id
            );
            println!("{secret}");
        }
        AppCommand::Delete { app } => {
            let app = apps::delete(&ctx, &actor, &app).await?;
            println!("deleted app \"{}\" ({})", app.name, app.client_id);
        }
        AppCommand::HashSecret => hash_secret(),
        AppCommand::Disable { app, org, enable } => {
            let org = orgs::find_by_name(&ctx, &org).await?;
            let app = apps::set_enabled_for_org(&ctx, &actor, org.id, &app, enable).await?;
            let state = if enable { "on" } else { "off" };
            println!("app \"{}\" is {state} for \"{}\"", app.name, org.name);
        }
    }
    Ok(())
}
