//! The seat rule across every path that takes a seat: invitation acceptance and SCIM
//! creates race for the last seat, and exactly one wins.

use crate::backend_tests;
use crate::harness::TestApp;
use crate::scim::user;
use gatehouse::services::{Error, invitations};
use gatehouse::store::invitations::{Invitation, InvitationStatus, Kind};
use gatehouse::store::memberships::Role;
use gatehouse::store::users::User;
use gatehouse::store::{Timestamp, orgs};
use reqwest::StatusCode;
use std::sync::Arc;
use tokio::sync::Barrier;
use uuid::Uuid;

backend_tests!(one_free_seat_goes_to_exactly_one_of_twenty_racing_joins);

/// A person with an account and a pending invitation; the invitation's link token.
async fn invited_person(app: &TestApp, email: &str) -> (User, String) {
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
        kind: Kind::Organization,
        inviter_id: Some(app.admin_id),
        status: InvitationStatus::Pending,
        sent_at: now,
        expires_at: Timestamp(now.0 + invitations::VALID_FOR),
        accepted_at: None,
        revoked_at: None,
        created_at: now,
    };
    let mut tx = app.ctx.store.begin().await.unwrap();
    gatehouse::store::users::insert(&mut tx, &user).await.unwrap();
    gatehouse::store::invitations::insert(&mut tx, &inv, &token.hash)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (user, token.plaintext)
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
    let mut invited = Vec::new();
    for i in 0..10 {
        invited.push(invited_person(&app, &format!("inv-{i}@acme.test")).await);
    }
    let mut tx = app.ctx.store.begin().await.unwrap();
    orgs::set_seat_limit(
        &mut tx,
        app.org_id,
        Some(used + 1),
        app.ctx.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let start = Arc::new(Barrier::new(20));
    let mut racers = tokio::task::JoinSet::new();
    for (user, token) in invited {
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
