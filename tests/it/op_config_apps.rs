//! Apps registered in the config file (`[apps.<name>]`): upserted at start with source
//! `config`, the secret known only by its hash, rewritten when the file changes, and
//! out of the CLI's reach while the file defines them.

use crate::backend_tests;
use crate::harness::TestApp;
use gatehouse::config::Config;
use gatehouse::config::apps::AppConfig;
use gatehouse::services::apps::{self, ClientAuth};
use gatehouse::services::audit::Actor;
use gatehouse::services::{Error, config_apps};

backend_tests!(op_config_apps_upserted_and_guarded);

fn deploy(secret_hash: &str) -> AppConfig {
    AppConfig {
        client_id: "deploy".into(),
        name: None,
        redirect_uris: vec!["https://deploy.example.com/cb".into()],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
        public: false,
        client_secret_hash: Some(secret_hash.into()),
        scopes: vec!["openid".into(), "email".into()],
        id_token_alg: "EdDSA".into(),
        access_token_secs: Some(300),
        refresh_token_secs: None,
    }
}

async fn op_config_apps_upserted_and_guarded(app: TestApp) {
    // The harness connected without apps; connect again as a restart with the file.
    let secret = gatehouse::token::generate("ghcs");
    let mut config: Config = (*app.ctx.config).clone();
    config.apps.insert("Deploy".into(), deploy(&secret.hash));
    let ctx = gatehouse::connect(config.clone(), app.ctx.clock.clone())
        .await
        .expect("start with [apps.Deploy]");

    let found = apps::find(&ctx, "deploy").await.expect("registered");
    assert_eq!(found.source, "config");
    assert_eq!(found.name, "Deploy", "the table's name by default");
    assert_eq!(found.access_token_secs, 300);
    let authed = apps::authenticate(
        &ctx,
        ClientAuth::Secret {
            client_id: "deploy",
            secret: &secret.plaintext,
        },
    )
    .await
    .expect("the secret behind the configured hash works");
    assert_eq!(authed.client_id, "deploy");

    // A start without changes changes nothing; a changed file is applied.
    assert!(config_apps::sync(&ctx).await.expect("sync").is_empty());
    let mut changed = deploy(&secret.hash);
    changed
        .redirect_uris
        .push("https://deploy.example.com/cb2".into());
    config.apps.insert("Deploy".into(), changed);
    let ctx2 = ctx.with_config(config.clone());
    assert_eq!(
        config_apps::sync(&ctx2).await.expect("sync"),
        vec!["deploy"]
    );
    let found = apps::find(&ctx2, "deploy").await.expect("app");
    assert_eq!(apps::strings(&found.redirect_uris).len(), 2);

    // The CLI leaves it alone while the file defines it.
    for refused in [
        apps::delete(&ctx2, &Actor::cli(), "deploy")
            .await
            .map(|_| ()),
        apps::rotate_secret(&ctx2, &Actor::cli(), "Deploy")
            .await
            .map(|_| ()),
    ] {
        assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    }
    // Out of the file, the operator may delete it.
    let mut without = config.clone();
    without.apps.clear();
    let ctx3 = ctx2.with_config(without);
    apps::delete(&ctx3, &Actor::cli(), "deploy")
        .await
        .expect("deleted once out of the file");

    // A bad app in the file stops the start, naming its key.
    let mut bad = config.clone();
    let mut wrong = deploy(&secret.hash);
    wrong.redirect_uris = vec!["ftp://nope".into()];
    bad.apps.insert("Broken".into(), wrong);
    bad.apps.remove("Deploy");
    let err = gatehouse::connect(bad, app.ctx.clock.clone())
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("apps.Broken.redirect_uris"),
        "{err}"
    );
}

#[test]
fn op_config_apps_file_rules() {
    let load = |toml: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gatehouse.toml");
        std::fs::write(&path, toml).unwrap();
        Config::load(Some(&path), std::iter::empty()).map(|c| c.apps)
    };
    let hash = "a".repeat(64);
    let ok = load(&format!(
        "[apps.Deploy]\nclient_id = \"deploy\"\nredirect_uris = [\"https://d.example/cb\"]\nclient_secret_hash = \"{hash}\"\n"
    ))
    .expect("valid");
    assert_eq!(ok["Deploy"].client_id, "deploy");
    for (toml, key) in [
        (
            "[apps.A]\nclient_id = \"a\"\nredirect_uris = [\"https://d.example/cb\"]\n".to_string(),
            "apps.A.client_secret_hash",
        ),
        (
            "[apps.A]\nclient_id = \"a\"\nredirect_uris = [\"https://d.example/cb\"]\nclient_secret_hash = \"ghcs_clear_secret\"\n".to_string(),
            "apps.A.client_secret_hash",
        ),
        (
            format!("[apps.A]\nclient_id = \"a\"\npublic = true\nredirect_uris = [\"https://d.example/cb\"]\nclient_secret_hash = \"{hash}\"\n"),
            "apps.A.client_secret_hash",
        ),
        (
            "[apps.A]\nclient_id = \"a b\"\npublic = true\nredirect_uris = [\"https://d.example/cb\"]\n".to_string(),
            "apps.A.client_id",
        ),
        (
            "[apps.A]\nclient_id = \"a\"\npublic = true\nredirect_uris = []\nclient_secret = \"x\"\n".to_string(),
            "client_secret",
        ),
    ] {
        let err = load(&toml).expect_err("refused").to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
}
