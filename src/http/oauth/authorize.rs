//! `GET /authorize`: the person's browser arrives from an app. Someone not signed in
//! (or who must sign in again) goes through the normal sign-in page and comes back
//! here; someone in several organizations chooses one on a page; someone whose
//! organization requires SSO, with a session made another way, goes through its
//! identity provider first (step-up) and comes back here.

use crate::http::AppState;
use crate::http::pages::error_page;
use crate::http::redirects;
use crate::http::session::MaybeSignedIn;
use crate::services::oauth::authorize::{self, AUTH_AFTER_PARAM, AuthorizeRequest, Outcome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/authorize", get(authorize))
}

#[derive(Template, WebTemplate)]
#[template(path = "choose_org.html")]
struct ChooseOrgPage {
    app_name: String,
    choices: Vec<(String, String)>,
}

/// `/authorize?` with `pairs`, re-encoded.
fn authorize_url(pairs: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("/authorize?{}", query.finish())
}

async fn authorize(
    State(ctx): State<AppState>,
    MaybeSignedIn(who): MaybeSignedIn,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let req = AuthorizeRequest::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match authorize::authorize(&ctx, &req, who.as_ref()).await {
        Ok(Outcome::Redirect(url)) => Redirect::to(&url).into_response(),
        Ok(Outcome::SignIn {
            fresh_after,
            login_hint,
        }) => {
            let mut back: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| k != AUTH_AFTER_PARAM)
                .cloned()
                .collect();
            if let Some(t) = fresh_after {
                back.push((AUTH_AFTER_PARAM.to_string(), t.to_string()));
            }
            let mut to = format!(
                "/auth/signin?next={}",
                redirects::encode(&authorize_url(&back))
            );
            if fresh_after.is_some() {
                to.push_str("&reauth=1");
            }
            if let Some(hint) = login_hint {
                to.push_str(&format!("&login_hint={}", redirects::encode(&hint)));
            }
            Redirect::to(&to).into_response()
        }
        // Back here once the organization's identity provider has signed the person in.
        Ok(Outcome::StepUp(step)) => {
            Redirect::to(&step.start_path(&authorize_url(&pairs))).into_response()
        }
        Ok(Outcome::ChooseOrg { app_name, orgs }) => {
            let choices = orgs
                .into_iter()
                .map(|(id, name)| {
                    let with_org: Vec<(String, String)> = pairs
                        .iter()
                        .map(|(k, v)| {
                            if k == "scope" {
                                (k.clone(), format!("{v} org:{id}"))
                            } else {
                                (k.clone(), v.clone())
                            }
                        })
                        .collect();
                    (authorize_url(&with_org), name)
                })
                .collect();
            ChooseOrgPage { app_name, choices }.into_response()
        }
        Err(e) => error_page(e),
    }
}
