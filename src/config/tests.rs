use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_work_without_any_file() {
    let c = Config::defaults().unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.public_url(), "http://127.0.0.1:8080");
    assert!(c.database.url.expose().starts_with("sqlite://data/"));
    assert_eq!(c.log.format, LogFormat::Pretty);
}

#[test]
fn env_overrides_file_which_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        "[server]\nbind = \"127.0.0.1:7000\"\npublic_url = \"https://id.example.com/\"\n",
    )
    .unwrap();
    let c = Config::load(
        Some(&file),
        env(&[
            ("GATEHOUSE_SERVER__BIND", "127.0.0.1:9000"),
            ("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "3"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(c.server.public_url(), "https://id.example.com");
    assert_eq!(c.database.max_connections, 3);
}

#[test]
fn unknown_key_is_named() {
    let err = Config::load(None, env(&[("GATEHOUSE_SERVER__BINDD", "x")])).unwrap_err();
    assert_eq!(err.to_string(), "unknown config key `server.bindd`");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[log]\nformatt = \"json\"\n").unwrap();
    let err = Config::load(Some(&file), env(&[])).unwrap_err();
    assert_eq!(err.to_string(), "unknown config key `log.formatt`");
}

#[test]
fn bad_value_is_named() {
    let err = Config::load(None, env(&[("GATEHOUSE_SERVER__BIND", "nowhere")])).unwrap_err();
    assert!(
        err.to_string().starts_with("config key `server.bind`"),
        "{err}"
    );
    let err = Config::load(None, env(&[("GATEHOUSE_LOG__FORMAT", "xml")])).unwrap_err();
    assert!(
        err.to_string().starts_with("config key `log.format`"),
        "{err}"
    );
    let err = Config::load(None, env(&[("GATEHOUSE_DATABASE__URL", "mysql://x")])).unwrap_err();
    assert!(
        err.to_string().starts_with("config key `database.url`"),
        "{err}"
    );
    let err = Config::load(
        None,
        env(&[("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "many")]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("config key `database.max_connections`"),
        "{err}"
    );
}

#[test]
fn secrets_come_from_files_and_stay_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("db_url");
    std::fs::write(&secret, "postgres://u:p4ss@127.0.0.1/gh\n").unwrap();
    let c = Config::load(
        None,
        env(&[("GATEHOUSE_DATABASE__URL_FILE", secret.to_str().unwrap())]),
    )
    .unwrap();
    assert_eq!(c.database.url.expose(), "postgres://u:p4ss@127.0.0.1/gh");
    assert!(!format!("{c:?}").contains("p4ss"));
    assert!(!toml::to_string(&c).unwrap().contains("p4ss"));

    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        format!("[database]\nurl_file = {:?}\n", secret.to_str().unwrap()),
    )
    .unwrap();
    let c = Config::load(Some(&file), env(&[])).unwrap();
    assert_eq!(c.database.url.expose(), "postgres://u:p4ss@127.0.0.1/gh");
}

#[test]
fn text_settings_stay_text_even_when_they_look_like_numbers() {
    let err = Config::load(None, env(&[("GATEHOUSE_SERVER__PUBLIC_URL", "8080")])).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("config key `server.public_url`"), "{msg}");
    assert!(!msg.contains("invalid type"), "{msg}");
}

#[test]
fn sso_keys_are_checked_and_read_from_files() {
    let err = Config::load(None, env(&[("GATEHOUSE_SSO__SECRET_KEY", "c2hvcnQ=")])).unwrap_err();
    assert!(
        err.to_string().starts_with("config key `sso.secret_key`"),
        "{err}"
    );
    let err =
        Config::load(None, env(&[("GATEHOUSE_SSO__OLD_SECRET_KEYS", "[\"%%\"]")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("config key `sso.old_secret_keys`"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sso_key");
    std::fs::write(&key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n").unwrap();
    let c = Config::load(
        None,
        env(&[("GATEHOUSE_SSO__SECRET_KEY_FILE", key.to_str().unwrap())]),
    )
    .unwrap();
    assert!(c.sso.secret_key.expose().starts_with("AAECAwQF"));
    assert!(!format!("{c:?}").contains("AAECAwQF"));
    assert!(!toml::to_string(&c).unwrap().contains("AAECAwQF"));
}
