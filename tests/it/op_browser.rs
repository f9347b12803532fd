//! The browser's part of a sign-in through Gatehouse as an OpenID Provider, shared by
//! the provider tests: follow redirects from `/authorize`, fill in Gatehouse's own
//! sign-in form when it appears, pick an organization on the chooser, and stop at the
//! redirect to the app (returned, not followed).

use crate::auth::csrf_of;
use crate::harness::TestApp;
use gatehouse::services::apps::{self, AppSettings};
use gatehouse::services::audit::Actor;
use reqwest::StatusCode;

pub struct Registered {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

/// Registers an app through the service (the CLI does the same).
pub async fn register(
    app: &TestApp,
    name: &str,
    public: bool,
    alg: &str,
    redirect_uri: &str,
    backchannel: Option<String>,
) -> Registered {
    let created = apps::create(
        &app.ctx,
        &Actor::cli(),
        &AppSettings {
            name: name.into(),
            public,
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![format!("{redirect_uri}/bye")],
            backchannel_logout_uri: backchannel,
            scopes: vec![],
            id_token_alg: alg.into(),
            access_token_secs: None,
            refresh_token_secs: None,
        },
    )
    .await
    .expect("register app");
    Registered {
        client_id: created.app.client_id,
        secret: created.secret,
        redirect_uri: redirect_uri.into(),
    }
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field") + marker.len();
    unescape(html[start..].split('"').next().unwrap_or(""))
}

/// What the browser ended on.
#[derive(Debug)]
pub enum Landing {
    /// The redirect to the app (its full URL).
    App(url::Url),
    /// A page that is neither a form we fill nor a redirect: status and body.
    Page(#[allow(dead_code)] StatusCode, #[allow(dead_code)] String),
}

/// Follows `url` as a browser signed in as `email` (or signing in when asked), choosing
/// the organization named `org` on the chooser. Stops at `redirect_prefix`.
pub async fn browse(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
    redirect_prefix: &str,
    email: &str,
    password: &str,
    org: Option<&str>,
) -> Landing {
    let mut url = url::Url::parse(url).expect("url");
    for _ in 0..12 {
        if url.as_str().starts_with(redirect_prefix) {
            return Landing::App(url);
        }
        let r = browser.get(url.as_str()).send().await.expect("GET");
        let status = r.status();
        if let Some(location) = r.headers().get(reqwest::header::LOCATION) {
            url = url.join(location.to_str().unwrap()).unwrap();
            continue;
        }
        let body = r.text().await.unwrap();
        if body.contains("action=\"/auth/signin\"") && body.contains("name=\"password\"") {
            let form = [
                ("csrf", csrf_of(&body)),
                ("next", hidden(&body, "next")),
                ("email", email.to_string()),
                ("password", password.to_string()),
            ];
            let r = browser
                .post(app.url("/auth/signin"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let location = r
                .headers()
                .get(reqwest::header::LOCATION)
                .unwrap_or_else(|| panic!("sign-in did not redirect: {}", r.status()));
            url = url.join(location.to_str().unwrap()).unwrap();
            continue;
        }
        if let (Some(org), true) = (org, body.contains("class=\"choices\"")) {
            let at = body
                .find(&format!(">{org}</a>"))
                .expect("org on the chooser");
            let start = body[..at].rfind("href=\"").expect("link") + "href=\"".len();
            let href = unescape(body[start..].split('"').next().unwrap());
            url = url.join(&href).unwrap();
            continue;
        }
        return Landing::Page(status, body);
    }
    panic!("too many redirects from {url}");
}

/// The query of an app redirect as pairs.
pub fn query(url: &url::Url) -> std::collections::HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}
