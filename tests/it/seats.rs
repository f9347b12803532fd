//! The seat rule across every path that takes a seat: invitation acceptance and SCIM
//! creates race for the last seat, and exactly one wins.

use crate::auth::last_mail_to;
use crate::backend_tests;
use crate::harness::TestApp;
use crate::orgs::{Person, admin, invite_link_in, org_path};
use crate::scim::user;
use gatehouse::domain::{InvitationKind, InvitationStatus, Role, Timestamp};
use gatehouse::services::{Error, invitations};
use gatehouse::store::invitations::Invitation;
use gatehouse::store::orgs;
use gatehouse::store::users::User;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Barrier;
use uuid::Uuid;

backend_tests!(
    one_free_seat_goes_to_exactly_one_of_twenty_racing_joins,
    signing_up_with_an_invitation_revoked_meanwhile_creates_no_account,
    signing_up_through_an_invitation_without_a_free_seat_creates_no_account
);

/// A person with a pending invitation (and an account when `account`): the person,
/// the invitation's link token and its id.
async fn invited(app: &TestApp, email: &str, account: bool) -> (User, String, Uuid) {
    let now = app.ctx.now();
    let user = User {
        id: Uuid::now_v7(),
        email: email.into(),
        display_name: email.into(),
        password_hash: None,
        created_at: now,
        updated_at: now,
    };
    let token = gatehouse::token::generate("ghi");
    let inv = Invitation {
        id: Uuid::now_v7(),
        org_id: app.org_id,
        email: email.into(),
        role: Role::Member,
        kind: InvitationKind::Organization,
        inviter_id: Some(app.admin_id),
        status: InvitationStatus::Pending,
        sent_at: now,
        expires_at: Timestamp(now.0 + invitations::VALID_FOR),
        accepted_at: None,
        revoked_at: None,
        created_at: now,
    };
    let mut tx = app.ctx.store.begin().await.unwrap();
    if account {
        gatehouse::store::users::insert(&mut tx, &user)
            .await
            .unwrap();
    }
    gatehouse::store::invitations::insert(&mut tx, &inv, &token.hash)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (user, token.plaintext, inv.id)
}

async fn seats(app: &TestApp) -> (i64, Option<i64>, i64) {
    let mut db = app.ctx.store.read().await.unwrap();
    let org = orgs::get(&mut db, app.org_id).await.unwrap();
    let active = gatehouse::store::memberships::count_active(&mut db, app.org_id)
        .await
        .unwrap();
    (org.seats_used, org.seat_limit, active)
}

/// With exactly one seat free, ten invitation acceptances and ten SCIM creates start
/// together: one of the twenty joins, the nineteen others are refused for want of a
/// seat (409 / 403 with the admins' message), and the counter matches the members.
async fn one_free_seat_goes_to_exactly_one_of_twenty_racing_joins(app: TestApp) {
    let (used, _, _) = seats(&app).await;
    let mut joiners = Vec::new();
    for i in 0..10 {
        let (user, token, _) = invited(&app, &format!("inv-{i}@acme.test"), true).await;
        joiners.push((user, token));
    }
    let mut tx = app.ctx.store.begin().await.unwrap();
    orgs::set_seat_limit(&mut tx, app.org_id, Some(used + 1), app.ctx.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let start = Arc::new(Barrier::new(20));
    let mut racers = tokio::task::JoinSet::new();
    for (user, token) in joiners {
        let (ctx, start) = (app.ctx.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            match invitations::accept(&ctx, &token, &user).await {
                Ok(_) => "joined".to_string(),
                Err(e @ Error::NoFreeSeat { .. }) => {
                    assert!(e.to_string().starts_with("No free seat: Acme uses"), "{e}");
                    "refused".to_string()
                }
                Err(e) => format!("accept failed otherwise: {e}"),
            }
        });
    }
    for i in 0..10 {
        let request = app
            .client
            .post(app.url("/scim/v2/Users"))
            .bearer_auth(&app.scim_token)
            .header("Content-Type", "application/scim+json")
            .body(user(&format!("scim-{i}@acme.test")).to_string());
        let start = start.clone();
        racers.spawn(async move {
            start.wait().await;
            let r = request.send().await.unwrap();
            match r.status() {
                StatusCode::CREATED => "joined".to_string(),
                StatusCode::FORBIDDEN => {
                    let body = r.text().await.unwrap();
                    assert!(body.contains("No free seat: Acme uses"), "{body}");
                    "refused".to_string()
                }
                other => format!("create failed otherwise: {other}"),
            }
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = racers.join_next().await {
        outcomes.push(done.unwrap());
    }
    let joined = outcomes.iter().filter(|o| *o == "joined").count();
    let refused = outcomes.iter().filter(|o| *o == "refused").count();
    assert_eq!((joined, refused), (1, 19), "{outcomes:?}");
    assert_eq!(seats(&app).await, (used + 1, Some(used + 1), used + 1));
}

async fn account_exists(app: &TestApp, email: &str) -> bool {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut db, email)
        .await
        .is_ok()
}

/// Signing up through an invitation link creates the account and joins in one
/// transaction: refused for want of a seat, the person is left with no account (not
/// an account without a membership), and the same link works once a seat is free.
async fn signing_up_through_an_invitation_without_a_free_seat_creates_no_account(app: TestApp) {
    let admin = admin(&app).await;
    for email in ["first@acme.test", "late@acme.test"] {
        let (s, v) = admin
            .call(
                "POST",
                &org_path(&app, "/invitations"),
                Some(json!({ "email": email })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let late_link = invite_link_in(&last_mail_to(&app, "late@acme.test"));
    let (s, v) = admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 1})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let r = Person::new(&app)
        .sign_up_by_link(&late_link, "Late", "a late password")
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("No free seat: Acme uses 1 of 1 seats"),
        "{body}"
    );
    assert!(
        !account_exists(&app, "late@acme.test").await,
        "no account without its membership"
    );

    // A seat comes free: the same link signs the person up and joins.
    let (s, v) = admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 2})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        Person::new(&app)
            .join_by_link(&late_link, "Late", "a late password")
            .await,
        StatusCode::SEE_OTHER
    );
    assert!(account_exists(&app, "late@acme.test").await);
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats, json!({"used": 2, "limit": 2}));
}

/// The invitation is revoked between the page showing the sign-up form and the
/// sign-up: refused, and no account is left behind.
async fn signing_up_with_an_invitation_revoked_meanwhile_creates_no_account(app: TestApp) {
    let (_, token, id) = invited(&app, "rev@acme.test", false).await;
    let mut tx = app.ctx.store.begin().await.unwrap();
    gatehouse::store::invitations::close(
        &mut tx,
        app.org_id,
        id,
        InvitationStatus::Revoked,
        app.ctx.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let refused =
        invitations::sign_up_and_accept(&app.ctx, &token, "a long password".into(), "Rev").await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert!(!account_exists(&app, "rev@acme.test").await);
}
