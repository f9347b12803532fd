//! The provider's jobs, with the manual clock: signing keys published an hour before
//! they sign and kept while their tokens live (`rotate_signing_keys`), a forced
//! rotation still immediate; expired codes and finished logouts purged (`purge_oauth`).

use crate::backend_tests;
use crate::harness::TestApp;
use crate::op_browser::register;
use gatehouse::domain::Timestamp;
use gatehouse::jobs::{self, RunResult};
use gatehouse::services::jwt::{self, ACCESS_TOKEN_TTL, AccessClaims, CLOCK_SKEW};
use gatehouse::services::key_rotation::PUBLISH_LEAD;
use gatehouse::services::rsa;
use gatehouse::store::{backchannel, oauth_grants};
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

backend_tests!(op_keys_rotate_on_schedule, op_jobs_purge_codes_and_logouts);

const CB: &str = "http://127.0.0.1:9/cb";

fn claims(app: &TestApp) -> AccessClaims {
    AccessClaims {
        sub: app.admin_id.to_string(),
        org: app.org_id.to_string(),
        role: "admin".into(),
        workspaces: vec![],
        email: None,
    }
}

/// The kids that sign now: (EdDSA, RS256).
async fn signers(app: &TestApp) -> (String, String) {
    let ed = jwt::issue(&app.ctx, &claims(app)).await.expect("issue").kid;
    let token = rsa::sign(&app.ctx, &json!({"sub": "x", "iss": "y"}))
        .await
        .expect("RS256 sign");
    let rs = jsonwebtoken::decode_header(&token)
        .expect("header")
        .kid
        .expect("kid");
    (ed, rs)
}

/// The kids of `/.well-known/jwks.json`, in order.
async fn published(app: &TestApp) -> Vec<String> {
    let doc: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .expect("JWKS");
    doc["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect()
}

async fn op_keys_rotate_on_schedule(app: TestApp) {
    // An RS256 app, so both algorithms have a key to rotate.
    register(&app, "Legacy", false, "RS256", CB, None).await;
    let (k1, r1) = signers(&app).await;
    let ran = jobs::run(&app.ctx, jobs::ROTATE_SIGNING_KEYS, "test")
        .await
        .expect("run");
    assert!(matches!(ran, RunResult::Ran { .. }), "{ran:?}");
    let out = jobs::rotate_signing_keys(&app.ctx).await.expect("rotate");
    assert!(out.scheduled.is_empty(), "young keys stay: {out:?}");

    // 30 days (keys.rotate_after_days): the successors are published, not signing.
    app.clock.advance(Duration::days(30));
    let out = jobs::rotate_signing_keys(&app.ctx).await.expect("rotate");
    assert_eq!(out.scheduled.len(), 2, "{out:?}");
    let next = |alg: &str| {
        out.scheduled
            .iter()
            .find(|u| u.algorithm == alg)
            .unwrap_or_else(|| panic!("{alg} in {out:?}"))
            .clone()
    };
    let (k2, r2) = (next("EdDSA"), next("RS256"));
    assert_eq!(k2.signs_from, Timestamp(app.ctx.now().0 + PUBLISH_LEAD));
    let keys = published(&app).await;
    for kid in [&k1, &r1, &k2.kid, &r2.kid] {
        assert!(keys.contains(kid), "{kid} published: {keys:?}");
    }
    assert!(
        keys[..2].contains(&k1) && keys[..2].contains(&r1),
        "the signing keys come first: {keys:?}"
    );
    assert_eq!(
        signers(&app).await,
        (k1.clone(), r1.clone()),
        "not signing yet"
    );
    let again = jobs::rotate_signing_keys(&app.ctx).await.expect("rotate");
    assert!(again.scheduled.is_empty(), "idempotent: {again:?}");
    assert_eq!(again.pending.len(), 2, "{again:?}");

    // Just before the lead ends the old keys sign; then the new ones do.
    app.clock.advance(PUBLISH_LEAD - Duration::seconds(1));
    let last_old = jwt::issue(&app.ctx, &claims(&app)).await.expect("issue");
    assert_eq!(last_old.kid, k1);
    assert_eq!(signers(&app).await, (k1.clone(), r1.clone()));
    app.clock.advance(Duration::seconds(1));
    assert_eq!(signers(&app).await, (k2.kid.clone(), r2.kid.clone()));
    let keys = published(&app).await;
    assert!(keys.contains(&k1) && keys.contains(&r1), "{keys:?}");
    jwt::verify(&app.ctx, &last_old.token)
        .await
        .expect("the old key's last token still verifies");

    // The old keys stay published while their last tokens can be accepted, then go.
    app.clock
        .advance(ACCESS_TOKEN_TTL + CLOCK_SKEW - Duration::seconds(1));
    let keys = published(&app).await;
    assert!(keys.contains(&k1) && keys.contains(&r1), "{keys:?}");
    app.clock.advance(Duration::seconds(1));
    let keys = published(&app).await;
    assert!(!keys.contains(&k1) && !keys.contains(&r1), "{keys:?}");
    assert_eq!(keys[..2].len(), 2);

    // `gatehouse keys rotate` during a pending rotation: the forced key signs at once,
    // the pending one never does.
    app.clock.advance(Duration::days(30));
    let out = jobs::rotate_signing_keys(&app.ctx).await.expect("rotate");
    assert_eq!(out.scheduled.len(), 2, "{out:?}");
    let forced = jwt::rotate(&app.ctx).await.expect("forced rotation");
    let forced_rs = rsa::rotate(&app.ctx)
        .await
        .expect("forced RS256 rotation")
        .expect("an RS256 key");
    assert_eq!(signers(&app).await, (forced.clone(), forced_rs.clone()));
    app.clock.advance(PUBLISH_LEAD);
    assert_eq!(signers(&app).await, (forced, forced_rs));
    let after = jobs::rotate_signing_keys(&app.ctx).await.expect("rotate");
    assert!(
        after.scheduled.is_empty() && after.pending.is_empty(),
        "a fresh key is not due: {after:?}"
    );
}

async fn op_jobs_purge_codes_and_logouts(app: TestApp) {
    let rp = register(&app, "Deploy", false, "EdDSA", CB, None).await;
    let now = app.ctx.now();
    let later = |d: Duration| Timestamp(now.0 + d);
    let mut tx = app.ctx.store.begin().await.expect("tx");
    for n in 0..2 {
        oauth_grants::insert_code(
            &mut tx,
            &oauth_grants::Code {
                code_hash: format!("code-{n}-{}", Uuid::new_v4()),
                client_id: rp.client_id.clone(),
                user_id: app.admin_id,
                org_id: app.org_id,
                session_hash: "s".into(),
                redirect_uri: CB.into(),
                scope: "openid".into(),
                nonce: None,
                code_challenge: "c".into(),
                auth_time: now,
                amr: "pwd".into(),
                created_at: now,
                expires_at: later(Duration::seconds(60)),
                used_at: None,
                grant_id: None,
            },
        )
        .await
        .expect("code");
    }
    let mut ids = vec![];
    for _ in 0..3 {
        let id = Uuid::now_v7();
        ids.push(id);
        backchannel::insert(
            &mut tx,
            &backchannel::Logout {
                id,
                client_id: rp.client_id.clone(),
                uri: format!("{CB}/logout"),
                sub: app.admin_id.to_string(),
                sid: None,
                created_at: now,
                // Not due within this test: the deliverer leaves them alone.
                next_attempt_at: later(Duration::days(365)),
                attempts: 0,
                delivered_at: None,
                given_up_at: None,
                last_error: None,
            },
        )
        .await
        .expect("logout");
    }
    backchannel::mark_delivered(&mut tx, ids[0], now)
        .await
        .expect("delivered");
    backchannel::mark_failed(
        &mut tx,
        ids[1],
        "gone",
        later(Duration::days(365)),
        Some(now),
    )
    .await
    .expect("given up");
    tx.commit().await.expect("commit");

    let ran = jobs::run(&app.ctx, jobs::PURGE_OAUTH, "test")
        .await
        .expect("run");
    let RunResult::Ran { outcome, .. } = ran else {
        panic!("{ran:?}")
    };
    assert_eq!(outcome, json!({"codes_purged": 0, "logouts_purged": 0}));

    // A day after they expired the codes go; finished logouts stay a week.
    app.clock.advance(Duration::days(1) + Duration::seconds(61));
    let out = jobs::purge_oauth(&app.ctx).await.expect("purge");
    assert_eq!((out.codes_purged, out.logouts_purged), (2, 0), "{out:?}");
    app.clock.advance(Duration::days(6));
    let out = jobs::purge_oauth(&app.ctx).await.expect("purge");
    assert_eq!((out.codes_purged, out.logouts_purged), (0, 2), "{out:?}");
    let mut db = app.ctx.store.read().await.expect("read");
    let left = backchannel::list_for_app(&mut db, &rp.client_id)
        .await
        .expect("list");
    assert_eq!(
        left.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![ids[2]],
        "the pending logout stays"
    );
    drop(db);
    let out = jobs::purge_oauth(&app.ctx).await.expect("purge");
    assert_eq!((out.codes_purged, out.logouts_purged), (0, 0), "idempotent");
}
