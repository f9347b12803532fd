//! Organization management through the JSON API: the seeds' rules for roles,
//! invitations, seats and removal.

use crate::auth::{csrf_of, last_mail, last_mail_to, mail_count};
use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

backend_tests!(
    members_invite_but_cannot_edit_remove_or_manage_seats,
    invitation_is_pending_until_accepted_then_admin_changes_role,
    invitations_expire_after_five_days_and_can_be_reinvited,
    resend_replaces_the_link_and_revoke_kills_it,
    bulk_invitations_report_each_address,
    seats_limit_invitations_and_acceptance,
    removal_disconnects_and_needs_a_new_invitation,
    the_last_admin_stays,
    workspace_invitations_and_access_rules,
    other_organizations_are_invisible,
    members_page_lists_views_expired_invitations_and_confirms_removal
);

pub async fn page(p: &Person, path: &str) -> (StatusCode, String) {
    let r = p
        .client
        .get(format!("{}{path}", p.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn members_page_lists_views_expired_invitations_and_confirms_removal(app: TestApp) {
    let admin = admin(&app).await;
    let (id, _) = add_member(&app, &admin, "page@acme.test").await;
    let base = format!("/orgs/{}", app.org_id);
    let (s, html) = page(&admin, &format!("{base}/members")).await;
    assert_eq!(s, StatusCode::OK);
    for text in [
        "Licensed Users",
        "Admins",
        "Disconnected",
        "Pending Invitations",
        "page@acme.test",
        "(Admin)",
        "Edit User",
        "Remove User",
        "2 / unlimited seats",
    ] {
        assert!(html.contains(text), "members page shows {text:?}");
    }
    // Invite through the form; then let it expire: Sent On turns red with (Expired).
    let csrf = crate::auth::csrf_of(&html);
    let r = admin
        .client
        .post(format!("{}{base}/invitations", app.base))
        .form(&[("csrf", csrf.as_str()), ("emails", "old@acme.test, bad@@x")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("old@acme.test</strong>: invited")
            && html.contains("bad@@x</strong>: invalid"),
        "{html}"
    );
    app.clock.advance(time::Duration::days(6));
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = page(&admin, &format!("{base}/members?view=pending")).await;
    assert!(
        !html.contains("old@acme.test"),
        "expired hidden unless asked"
    );
    let (_, html) = page(
        &admin,
        &format!("{base}/members?view=pending&include_expired=1"),
    )
    .await;
    assert!(
        html.contains("class=\"expired\"")
            && html.contains("(Expired)")
            && html.contains("Reinvite"),
        "{html}"
    );
    // Remove asks for confirmation first.
    let (s, confirm) = page(&admin, &format!("{base}/members/{id}/remove")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        confirm.contains("Remove page@acme.test?") || confirm.contains("Remove Member?"),
        "{confirm}"
    );
    let r = admin
        .client
        .post(format!("{}{base}/members/{id}/remove", app.base))
        .form(&[("csrf", crate::auth::csrf_of(&confirm).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&admin, &format!("{base}/members?view=disconnected")).await;
    assert!(html.contains("page@acme.test"));
    // A member sees no admin views, and the profile page refuses them nothing but edits.
    let (s, _) = page(&Person::new(&app), &format!("{base}/members")).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed-out people go to sign in");
}

/// A person's own browser: a cookie jar of their own.
pub struct Person {
    pub client: Client,
    pub base: String,
}

impl Person {
    pub fn new(app: &TestApp) -> Person {
        Person {
            client: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
        }
    }

    pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Person {
        let p = Person::new(app);
        let page = p
            .client
            .get(format!("{}/auth/signin", p.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = p
            .client
            .post(format!("{}/auth/signin", p.base))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign in {email}");
        p
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Follows an invitation link: signs up with a password and joins.
    pub async fn join_by_link(&self, link_path: &str, name: &str, password: &str) -> StatusCode {
        self.sign_up_by_link(link_path, name, password)
            .await
            .status()
    }

    /// Opens the invitation link and signs up on its form; the answer to the sign-up.
    pub async fn sign_up_by_link(
        &self,
        link_path: &str,
        name: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self
            .client
            .get(format!("{}{link_path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{link_path}");
        let csrf = csrf_of(&page.text().await.unwrap());
        self.client
            .post(format!("{}{link_path}/signup", self.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("display_name", name),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }
}

pub fn org_path(app: &TestApp, rest: &str) -> String {
    format!("/api/v1/orgs/{}{rest}", app.org_id)
}

/// The invitation path (`/invite/<token>`) from the newest mail.
pub fn invite_link(app: &TestApp) -> String {
    invite_link_in(&last_mail(app))
}

/// The invitation path from the newest mail to `address`.
pub fn invite_link_to(app: &TestApp, address: &str) -> String {
    invite_link_in(&last_mail_to(app, address))
}

pub fn invite_link_in(mail: &str) -> String {
    let start = mail.find("/invite/ghi_").expect("invitation link in mail");
    mail[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

pub async fn admin(app: &TestApp) -> Person {
    Person::sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// Invites `email` as the admin and lets them join; returns their membership id.
pub async fn add_member(app: &TestApp, admin: &Person, email: &str) -> (String, Person) {
    let (s, v) = admin
        .call(
            "POST",
            &org_path(app, "/invitations"),
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["result"], "invited", "{v}");
    let p = Person::new(app);
    assert_eq!(
        p.join_by_link(&invite_link_to(app, email), "Member", "member password")
            .await,
        StatusCode::SEE_OTHER
    );
    let (_, list) = admin.call("GET", &org_path(app, "/members"), None).await;
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .expect("joined")["id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, p)
}

async fn members_invite_but_cannot_edit_remove_or_manage_seats(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    // Members can invite others.
    let (s, v) = member
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "friend@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["result"], "invited");
    // They cannot edit or remove others, nor open billing (seats), nor invite admins.
    let admin_id = app.admin_id.to_string();
    let (_, list) = member.call("GET", &org_path(&app, "/members"), None).await;
    let admin_membership = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == admin_id)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (method, path, body) in [
        (
            "PATCH",
            format!("/members/{admin_membership}"),
            Some(json!({"role": "member"})),
        ),
        ("DELETE", format!("/members/{admin_membership}"), None),
        ("PUT", "/seats".to_string(), Some(json!({"limit": 100}))),
        ("GET", "/members?view=admins".to_string(), None),
        ("GET", "/invitations".to_string(), None),
        ("GET", "/audit-events".to_string(), None),
        (
            "POST",
            "/invitations".to_string(),
            Some(json!({"email": "boss@acme.test", "role": "admin"})),
        ),
    ] {
        let (s, v) = member.call(method, &org_path(&app, &path), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "forbidden");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Only organization admins"),
            "{v}"
        );
    }
}

async fn invitation_is_pending_until_accepted_then_admin_changes_role(app: TestApp) {
    let admin = admin(&app).await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "Paul@Acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mail = last_mail(&app);
    assert!(
        mail.contains("To: Paul@Acme.test") && mail.contains("invited you to join Acme"),
        "{mail}"
    );
    assert!(
        mail.contains("Content-Type: text/html") && mail.contains("Content-Type: text/plain"),
        "plain and HTML parts"
    );
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending[0]["email"], "Paul@Acme.test");
    assert_eq!(pending[0]["expired"], false);
    let paul = Person::new(&app);
    assert_eq!(
        paul.join_by_link(&invite_link(&app), "Paul", "paul's password")
            .await,
        StatusCode::SEE_OTHER
    );
    let (_, me) = paul.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"][0]["name"], "Acme");
    assert_eq!(me["organizations"][0]["role"], "member");
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending, json!([]), "no longer pending");
    // Once accepted, an admin can change the role.
    let (_, list) = admin.call("GET", &org_path(&app, "/members"), None).await;
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "Paul@Acme.test")
        .unwrap()["id"]
        .clone();
    let (s, v) = admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{}", id.as_str().unwrap())),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["role"], "admin");
}

async fn invitations_expire_after_five_days_and_can_be_reinvited(app: TestApp) {
    let admin = admin(&app).await;
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "late@acme.test"})),
        )
        .await;
    let inv_id = v[0]["invitation_id"].as_str().unwrap().to_string();
    let link = invite_link(&app);
    app.clock
        .advance(time::Duration::days(5) + time::Duration::seconds(1));
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await; // days later
    // The link shows a clear page and grants nothing.
    let p = Person::new(&app);
    let r = p
        .client
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("expired"));
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending, json!([]), "expired ones are hidden by default");
    let (_, all) = admin
        .call(
            "GET",
            &org_path(&app, "/invitations?include_expired=true"),
            None,
        )
        .await;
    assert_eq!(all[0]["email"], "late@acme.test");
    assert_eq!(all[0]["expired"], true);
    // Reinvite: a new link, valid 5 more days.
    let (s, _) = admin
        .call(
            "POST",
            &org_path(&app, &format!("/invitations/{inv_id}/resend")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending[0]["expired"], false);
    assert_eq!(
        p.join_by_link(&invite_link(&app), "Late", "late password")
            .await,
        StatusCode::SEE_OTHER
    );
}

async fn resend_replaces_the_link_and_revoke_kills_it(app: TestApp) {
    let admin = admin(&app).await;
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "rex@acme.test"})),
        )
        .await;
    let inv_id = v[0]["invitation_id"].as_str().unwrap().to_string();
    let first = invite_link(&app);
    app.clock.advance(time::Duration::days(4));
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await; // days later
    admin
        .call(
            "POST",
            &org_path(&app, &format!("/invitations/{inv_id}/resend")),
            None,
        )
        .await;
    let second = invite_link(&app);
    assert_ne!(first, second);
    let p = Person::new(&app);
    assert_eq!(
        p.client
            .get(format!("{}{first}", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );
    // The resent link is valid 5 days from the resend.
    app.clock.advance(time::Duration::days(3));
    assert_eq!(
        p.client
            .get(format!("{}{second}", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (s, _) = admin
        .call(
            "DELETE",
            &org_path(&app, &format!("/invitations/{inv_id}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = p
        .client
        .get(format!("{}{second}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("revoked"));
}

async fn bulk_invitations_report_each_address(app: TestApp) {
    let admin = admin(&app).await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"text": "one@acme.test, two@acme.test\nnot-an-email; admin@acme.test one@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let results: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["result"].as_str().unwrap().to_string(),
                r["email"]
                    .as_str()
                    .or(r["input"].as_str())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            ("invited".into(), "one@acme.test".into()),
            ("invited".into(), "two@acme.test".into()),
            ("invalid".into(), "not-an-email".into()),
            ("already_member".into(), "admin@acme.test".into()),
        ]
    );
    // A list over the limit is refused whole, saying so, rather than cut short.
    let long: Vec<String> = (0..501).map(|i| format!("p{i}@acme.test")).collect();
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"text": long.join("\n")})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("at most 500") && message.contains("501"),
        "{message}"
    );
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
}

async fn seats_limit_invitations_and_acceptance(app: TestApp) {
    let admin = admin(&app).await;
    let (s, v) = admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 2})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"used": 1, "limit": 2}));
    // Two invitations go out while one seat is free...
    admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "a@acme.test"})),
        )
        .await;
    let link_a = invite_link(&app);
    admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "b@acme.test"})),
        )
        .await;
    let link_b = invite_link(&app);
    // ...the first acceptance takes the seat, the second is refused with a message.
    assert_eq!(
        Person::new(&app)
            .join_by_link(&link_a, "A", "a password!")
            .await,
        StatusCode::SEE_OTHER
    );
    let before = mail_count(&app);
    let r = Person::new(&app)
        .sign_up_by_link(&link_b, "B", "b password!")
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("No free seat: Acme uses 2 of 2 seats")
    );
    assert_eq!(mail_count(&app), before + 1, "the admin is told");
    assert!(last_mail(&app).contains("could not join Acme: no free seat"));
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats, json!({"used": 2, "limit": 2}));
    // No seat: a new invitation says so.
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "c@acme.test"})),
        )
        .await;
    assert_eq!(v[0]["result"], "no_seat");
}

async fn removal_disconnects_and_needs_a_new_invitation(app: TestApp) {
    let admin = admin(&app).await;
    let (id, member) = add_member(&app, &admin, "rita@acme.test").await;
    assert_eq!(member.call("GET", "/api/me", None).await.0, StatusCode::OK);
    let (s, v) = admin
        .call("DELETE", &org_path(&app, &format!("/members/{id}")), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "disconnected");
    assert!(v["disconnected_at"].is_string(), "the date is kept");
    // Sessions end at once; the seat is free; the record stays in the Disconnected view.
    assert_eq!(
        member.call("GET", "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats["used"], 1);
    let (_, gone) = admin
        .call("GET", &org_path(&app, "/members?view=disconnected"), None)
        .await;
    assert_eq!(gone[0]["email"], "rita@acme.test");
    // Coming back needs a new invitation (or an admin's reactivation).
    let rita = Person::sign_in(&app, "rita@acme.test", "member password").await;
    let (_, me) = rita.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"], json!([]));
    admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "rita@acme.test"})),
        )
        .await;
    let link = invite_link(&app);
    let page = rita
        .client
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = rita
        .client
        .post(format!("{}{link}/accept", app.base))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me) = rita.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"][0]["name"], "Acme");
    // Reactivation by an admin needs a free seat.
    admin
        .call("DELETE", &org_path(&app, &format!("/members/{id}")), None)
        .await;
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 1})))
        .await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, &format!("/members/{id}/reactivate")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No free seat")
    );
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 5})))
        .await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, &format!("/members/{id}/reactivate")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "active");
}

async fn the_last_admin_stays(app: TestApp) {
    let admin = admin(&app).await;
    let (_, list) = admin.call("GET", &org_path(&app, "/members"), None).await;
    let me = list[0]["id"].as_str().unwrap().to_string();
    for (method, body) in [("PATCH", Some(json!({"role": "member"}))), ("DELETE", None)] {
        let (s, v) = admin
            .call(method, &org_path(&app, &format!("/members/{me}")), body)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("at least one admin")
        );
    }
}

async fn workspace_invitations_and_access_rules(app: TestApp) {
    let admin = admin(&app).await;
    let (_, w1) = admin
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "Deploy"})),
        )
        .await;
    let (_, w2) = admin
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "Inventory"})),
        )
        .await;
    let (w1, w2) = (
        w1["id"].as_str().unwrap().to_string(),
        w2["id"].as_str().unwrap().to_string(),
    );
    // A user invitation grants several workspaces at once.
    let (_, v) = admin
        .call("POST", &org_path(&app, "/invitations"), Some(json!({"email": "wes@acme.test", "role": "admin", "workspaces": [{"id": w1, "role": "manager"}, {"id": w2}]})))
        .await;
    assert_eq!(v[0]["result"], "invited", "{v}");
    let wes = Person::new(&app);
    assert_eq!(
        wes.join_by_link(&invite_link(&app), "Wes", "wes password")
            .await,
        StatusCode::SEE_OTHER
    );
    // Revoking org admin leaves workspace access as it was.
    let (_, list) = admin.call("GET", &org_path(&app, "/members"), None).await;
    let wes_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "wes@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{wes_id}")),
            Some(json!({"role": "member"})),
        )
        .await;
    let (_, me) = wes.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"][0]["role"], "member");
    let names: Vec<&str> = me["organizations"][0]["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Deploy", "Inventory"]);
    // A manager may send a member invitation to their workspace, not a user invitation.
    let (s, v) = wes
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "x@acme.test", "workspaces": [{"id": w1}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = wes
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "y@acme.test", "workspaces": [{"id": w2}]})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "member, not manager, of Inventory"
    );
    let (s, _) = wes
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "z@acme.test", "workspaces": [{"id": w1}, {"id": w2}]})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "user invitations are for org admins"
    );
    // Someone already in the organization gets the access at once.
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": ADMIN_EMAIL, "workspaces": [{"id": w2}]})),
        )
        .await;
    assert_eq!(v[0]["result"], "already_member");
    assert_eq!(v[0]["access_granted"], true);
}

async fn other_organizations_are_invisible(app: TestApp) {
    let admin = admin(&app).await;
    let (_, list) = admin.call("GET", &org_path(&app, "/members"), None).await;
    let member_id = list[0]["id"].as_str().unwrap().to_string();
    // An admin of another organization.
    let csrf = {
        let p = Person::new(&app);
        let page = p
            .client
            .get(format!("{}/auth/signup", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = p
            .client
            .post(format!("{}/auth/signup", app.base))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("display_name", "Eve"),
                ("email", "eve@globex.test"),
                ("password", "eve password"),
                ("org_name", "Globex"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        p
    };
    let eve = csrf;
    for (method, path) in [
        ("GET", "/members".to_string()),
        ("GET", format!("/members/{member_id}")),
        ("DELETE", format!("/members/{member_id}")),
        ("GET", "/invitations".to_string()),
        ("GET", "/seats".to_string()),
        ("GET", "/audit-events".to_string()),
    ] {
        let (s, v) = eve.call(method, &org_path(&app, &path), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let _ = app.url("/");
}
