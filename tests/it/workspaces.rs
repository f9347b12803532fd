//! Workspaces, their people and the two invitation types (the help page's "User &
//! Member Invitations" and "User & Org Admin Profiles"), through the JSON API and the
//! pages, on both backends.

use crate::auth::csrf_of;
use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, TestApp};
use crate::orgs::{Person, add_member, admin, invite_link, invite_link_to, org_path, page};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    admins_create_workspaces_and_see_people_counts,
    member_invitation_from_people_grants_one_workspace_and_takes_a_seat,
    member_invitation_without_a_free_seat_points_to_billing,
    user_invitations_are_for_org_admins_and_grant_several_workspaces,
    already_members_get_the_workspaces_at_once_audited,
    managers_manage_only_their_own_workspaces,
    workspace_members_see_people_but_do_not_manage,
    making_someone_an_org_admin_gives_every_workspace,
    revoking_org_admin_keeps_workspace_access_until_disconnected,
    other_organizations_workspaces_are_not_found,
    workspace_pages_show_people_roles_and_the_member_invitation_form,
    disconnected_people_are_reactivated_and_connected_on_their_profile
);

async fn create_workspace(app: &TestApp, admin: &Person, name: &str) -> String {
    let (s, v) = admin
        .call(
            "POST",
            &org_path(app, "/workspaces"),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn ws_path(app: &TestApp, ws: &str, rest: &str) -> String {
    org_path(app, &format!("/workspaces/{ws}{rest}"))
}

/// `(email, workspace_role or "org admin")` of the workspace's people.
async fn people(app: &TestApp, who: &Person, ws: &str) -> Vec<(String, String)> {
    let (s, v) = who.call("GET", &ws_path(app, ws, "/people"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let role = if p["org_role"] == "admin" {
                "org admin".to_string()
            } else {
                p["workspace_role"].as_str().unwrap().to_string()
            };
            (p["email"].as_str().unwrap().to_string(), role)
        })
        .collect()
}

async fn my_workspaces(who: &Person) -> Vec<String> {
    let (_, me) = who.call("GET", "/api/me", None).await;
    me["organizations"][0]["workspaces"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|w| w["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn audit_actions(app: &TestApp, admin: &Person) -> Vec<Value> {
    let (_, v) = admin
        .call("GET", &org_path(app, "/audit-events?limit=500"), None)
        .await;
    v.as_array().unwrap().clone()
}

/// Invites `email` to one workspace (a member invitation) as `who` and lets them join.
async fn join_workspace(
    app: &TestApp,
    who: &Person,
    ws: &str,
    email: &str,
    role: &str,
) -> (String, Person) {
    let (s, v) = who
        .call(
            "POST",
            &ws_path(app, ws, "/invitations"),
            Some(json!({ "email": email, "role": role })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["result"], "invited", "{v}");
    let p = Person::new(app);
    assert_eq!(
        p.join_by_link(&invite_link_to(app, email), "Wanda", "wanda password")
            .await,
        StatusCode::SEE_OTHER
    );
    let id = member_id(app, who, email).await;
    (id, p)
}

async fn member_id(app: &TestApp, admin: &Person, email: &str) -> String {
    let (_, list) = admin.call("GET", &org_path(app, "/members"), None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not listed as a member: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn admins_create_workspaces_and_see_people_counts(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    create_workspace(&app, &admin, "Inventory").await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "deploy"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "names are unique, ignoring case: {v}"
    );
    join_workspace(&app, &admin, &deploy, "wanda@acme.test", "member").await;
    let (s, list) = admin
        .call("GET", &org_path(&app, "/workspaces"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let counts: Vec<(&str, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap(), w["people"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        counts,
        [("Deploy", 2), ("Inventory", 1)],
        "the admin reaches both"
    );
    let (s, v) = admin.call("GET", &ws_path(&app, &deploy, ""), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["name"].as_str(), v["access"].as_str()),
        (Some("Deploy"), Some("org_admin"))
    );
    // Members cannot create workspaces.
    let (_, member) = add_member(&app, &admin, "mo@acme.test").await;
    let (s, _) = member
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let actions = audit_actions(&app, &admin).await;
    assert!(actions.iter().any(|e| e["action"] == "workspace.created"));
}

async fn member_invitation_from_people_grants_one_workspace_and_takes_a_seat(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    create_workspace(&app, &admin, "Inventory").await;
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats["used"], 1);
    let (_, wanda) = join_workspace(&app, &admin, &deploy, "wanda@acme.test", "manager").await;
    // Brand new to the organization: a license (seat) is activated for them.
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats["used"], 2);
    // The invitation was a member invitation to exactly that one workspace, with its role.
    assert_eq!(my_workspaces(&wanda).await, ["Deploy"]);
    assert_eq!(
        people(&app, &admin, &deploy).await,
        [
            (ADMIN_EMAIL.to_string(), "org admin".to_string()),
            ("wanda@acme.test".to_string(), "manager".to_string())
        ]
    );
    let (_, me) = wanda.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"][0]["role"], "member");
    assert_eq!(me["organizations"][0]["workspaces"][0]["role"], "manager");
}

async fn member_invitation_without_a_free_seat_points_to_billing(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 1})))
        .await;
    let (s, v) = admin
        .call(
            "POST",
            &ws_path(&app, &deploy, "/invitations"),
            Some(json!({"email": "late@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["result"], "no_seat", "{v}");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("uses 1 of 1 seats") && reason.contains("add seats on the Billing page"),
        "{reason}"
    );
    // Once an org admin buys a license, the same invitation goes out.
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 2})))
        .await;
    let (_, v) = admin
        .call(
            "POST",
            &ws_path(&app, &deploy, "/invitations"),
            Some(json!({"email": "late@acme.test"})),
        )
        .await;
    assert_eq!(v["result"], "invited", "{v}");
}

async fn user_invitations_are_for_org_admins_and_grant_several_workspaces(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let inventory = create_workspace(&app, &admin, "Inventory").await;
    create_workspace(&app, &admin, "Reports").await;
    // A manager of Deploy may not send a user invitation (several workspaces).
    let (_, manager) = join_workspace(&app, &admin, &deploy, "mia@acme.test", "manager").await;
    let (s, v) = manager
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(
                json!({"email": "u@acme.test", "workspaces": [{"id": deploy}, {"id": inventory}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only organization admins")
    );
    // The admin's user invitation: one invitation, two workspaces with their roles.
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "ursula@acme.test", "workspaces": [{"id": deploy, "role": "manager"}, {"id": inventory}]})),
        )
        .await;
    assert_eq!(v[0]["result"], "invited", "{v}");
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    let kinds: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["email"] == "ursula@acme.test")
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["user"]);
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats["used"], 2, "an invitation takes no seat yet");
    let ursula = Person::new(&app);
    assert_eq!(
        ursula
            .join_by_link(&invite_link(&app), "Ursula", "ursula password")
            .await,
        StatusCode::SEE_OTHER
    );
    // Brand new to the organization: a license is activated for her.
    let (_, seats) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(seats["used"], 3);
    assert_eq!(my_workspaces(&ursula).await, ["Deploy", "Inventory"]);
    let roles: Vec<(String, String)> = {
        let (_, me) = ursula.call("GET", "/api/me", None).await;
        me["organizations"][0]["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["name"].as_str().unwrap().to_string(),
                    w["role"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        roles,
        [
            ("Deploy".to_string(), "manager".to_string()),
            ("Inventory".to_string(), "member".to_string())
        ]
    );
}

async fn already_members_get_the_workspaces_at_once_audited(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let inventory = create_workspace(&app, &admin, "Inventory").await;
    let (_, mo) = add_member(&app, &admin, "mo@acme.test").await;
    assert!(my_workspaces(&mo).await.is_empty());
    let mails_before = crate::auth::mail_count(&app);
    let (_, v) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(
                json!({"email": "MO@acme.test", "workspaces": [{"id": deploy}, {"id": inventory}]}),
            ),
        )
        .await;
    assert_eq!(v[0]["result"], "already_member", "{v}");
    assert_eq!(v[0]["access_granted"], true);
    // Immediate access: no invitation, no mail, no seat.
    assert_eq!(my_workspaces(&mo).await, ["Deploy", "Inventory"]);
    assert_eq!(crate::auth::mail_count(&app), mails_before);
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert_eq!(pending, json!([]));
    let granted: Vec<Value> = audit_actions(&app, &admin)
        .await
        .into_iter()
        .filter(|e| e["action"] == "workspace.access_granted")
        .collect();
    assert_eq!(granted.len(), 2, "{granted:?}");
    assert_eq!(granted[0]["actor_name"], ADMIN_EMAIL);
}

async fn managers_manage_only_their_own_workspaces(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let inventory = create_workspace(&app, &admin, "Inventory").await;
    let (_, mia) = join_workspace(&app, &admin, &deploy, "mia@acme.test", "manager").await;
    // Their list holds only their workspace.
    let (_, list) = mia.call("GET", &org_path(&app, "/workspaces"), None).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Deploy"]);
    // A member invitation to their own workspace works; to another one it is 403.
    let (s, v) = mia
        .call(
            "POST",
            &ws_path(&app, &deploy, "/invitations"),
            Some(json!({"email": "nico@acme.test"})),
        )
        .await;
    assert_eq!((s, v["result"].as_str()), (StatusCode::OK, Some("invited")));
    let nico = Person::new(&app);
    nico.join_by_link(&invite_link(&app), "Nico", "nico password")
        .await;
    let nico_id = {
        let (_, v) = mia
            .call("GET", &ws_path(&app, &deploy, "/people"), None)
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["email"] == "nico@acme.test")
            .unwrap()["membership_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (method, path, body) in [
        ("GET", ws_path(&app, &inventory, ""), None),
        ("GET", ws_path(&app, &inventory, "/people"), None),
        (
            "POST",
            ws_path(&app, &inventory, "/invitations"),
            Some(json!({"email": "x@acme.test"})),
        ),
        (
            "PUT",
            ws_path(&app, &inventory, &format!("/people/{nico_id}")),
            Some(json!({"role": "manager"})),
        ),
        (
            "DELETE",
            ws_path(&app, &inventory, &format!("/people/{nico_id}")),
            None,
        ),
    ] {
        let (s, v) = mia.call(method, &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
    // In their own workspace: change a role, remove a person.
    let (s, v) = mia
        .call(
            "PUT",
            &ws_path(&app, &deploy, &format!("/people/{nico_id}")),
            Some(json!({"role": "manager"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["workspace_role"], "manager");
    let (s, v) = mia
        .call(
            "DELETE",
            &ws_path(&app, &deploy, &format!("/people/{nico_id}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(my_workspaces(&nico).await.is_empty());
    let (_, me) = nico.call("GET", "/api/me", None).await;
    assert_eq!(
        me["organizations"][0]["name"], "Acme",
        "still in the organization"
    );
    // Someone without access to the workspace: 404 as a workspace member.
    let (s, _) = mia
        .call(
            "PUT",
            &ws_path(&app, &deploy, &format!("/people/{nico_id}")),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Org admins reach every workspace and cannot be removed from one.
    let admin_id = member_id(&app, &admin, ADMIN_EMAIL).await;
    let (s, v) = mia
        .call(
            "DELETE",
            &ws_path(&app, &deploy, &format!("/people/{admin_id}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let actions: Vec<String> = audit_actions(&app, &admin)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in ["workspace.role_changed", "workspace.person_removed"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}

async fn workspace_members_see_people_but_do_not_manage(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let (wid, wanda) = join_workspace(&app, &admin, &deploy, "wanda@acme.test", "member").await;
    let (s, v) = wanda.call("GET", &ws_path(&app, &deploy, ""), None).await;
    assert_eq!((s, v["access"].as_str()), (StatusCode::OK, Some("member")));
    assert_eq!(people(&app, &wanda, &deploy).await.len(), 2);
    for (method, path, body) in [
        (
            "POST",
            ws_path(&app, &deploy, "/invitations"),
            Some(json!({"email": "x@acme.test"})),
        ),
        (
            "PUT",
            ws_path(&app, &deploy, &format!("/people/{wid}")),
            Some(json!({"role": "manager"})),
        ),
        (
            "DELETE",
            ws_path(&app, &deploy, &format!("/people/{wid}")),
            None,
        ),
    ] {
        let (s, v) = wanda.call(method, &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
}

async fn making_someone_an_org_admin_gives_every_workspace(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let inventory = create_workspace(&app, &admin, "Inventory").await;
    let (id, mo) = add_member(&app, &admin, "mo@acme.test").await;
    assert!(my_workspaces(&mo).await.is_empty());
    let (s, _) = mo.call("GET", &ws_path(&app, &inventory, ""), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{id}")),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(my_workspaces(&mo).await, ["Deploy", "Inventory"]);
    for ws in [&deploy, &inventory] {
        let (s, v) = mo.call("GET", &ws_path(&app, ws, ""), None).await;
        assert_eq!(
            (s, v["access"].as_str()),
            (StatusCode::OK, Some("org_admin"))
        );
        assert!(
            people(&app, &admin, ws)
                .await
                .contains(&("mo@acme.test".to_string(), "org admin".to_string()))
        );
    }
    // A workspace created later is theirs too.
    create_workspace(&app, &admin, "Reports").await;
    assert_eq!(my_workspaces(&mo).await, ["Deploy", "Inventory", "Reports"]);
}

async fn revoking_org_admin_keeps_workspace_access_until_disconnected(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    create_workspace(&app, &admin, "Inventory").await;
    let (id, mo) = add_member(&app, &admin, "mo@acme.test").await;
    admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{id}")),
            Some(json!({"role": "admin"})),
        )
        .await;
    let (s, v) = admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{id}")),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("member")));
    // They retain access to all the workspaces...
    let (_, me) = mo.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"][0]["role"], "member");
    assert_eq!(my_workspaces(&mo).await, ["Deploy", "Inventory"]);
    assert!(
        people(&app, &admin, &deploy)
            .await
            .contains(&("mo@acme.test".to_string(), "member".to_string()))
    );
    // ...but no longer the admin's: managing them is refused.
    let (s, _) = mo
        .call(
            "POST",
            &ws_path(&app, &deploy, "/invitations"),
            Some(json!({"email": "x@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // ...until they are disconnected.
    admin
        .call("DELETE", &org_path(&app, &format!("/members/{id}")), None)
        .await;
    let mo = Person::sign_in(&app, "mo@acme.test", "member password").await;
    let (_, me) = mo.call("GET", "/api/me", None).await;
    assert_eq!(me["organizations"], json!([]));
    let (s, _) = mo.call("GET", &ws_path(&app, &deploy, ""), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        !people(&app, &admin, &deploy)
            .await
            .iter()
            .any(|(e, _)| e == "mo@acme.test")
    );
}

async fn other_organizations_workspaces_are_not_found(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let eve = Person::new(&app);
    let signup = eve
        .client
        .get(app.url("/auth/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = eve
        .client
        .post(app.url("/auth/signup"))
        .form(&[
            ("csrf", csrf_of(&signup).as_str()),
            ("display_name", "Eve"),
            ("email", "eve@globex.test"),
            ("password", "eve password"),
            ("org_name", "Globex"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me) = eve.call("GET", "/api/me", None).await;
    let globex = me["organizations"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = eve
        .call(
            "POST",
            &format!("/api/v1/orgs/{globex}/workspaces"),
            Some(json!({"name": "Globex ops"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let globex_ws = v["id"].as_str().unwrap().to_string();
    // Eve on Acme's paths, and Acme's admin on Globex's workspace id: 404 both ways.
    let admin_id = member_id(&app, &admin, ADMIN_EMAIL).await;
    for path in [
        ws_path(&app, &deploy, ""),
        ws_path(&app, &deploy, "/people"),
        org_path(&app, "/workspaces"),
    ] {
        let (s, v) = eve.call("GET", &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    for (method, path) in [
        ("GET", ws_path(&app, &globex_ws, "")),
        ("GET", ws_path(&app, &globex_ws, "/people")),
        (
            "DELETE",
            ws_path(&app, &globex_ws, &format!("/people/{admin_id}")),
        ),
    ] {
        let (s, v) = admin.call(method, &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let (s, v) = admin
        .call(
            "POST",
            &ws_path(&app, &globex_ws, "/invitations"),
            Some(json!({"email": "x@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

async fn workspace_pages_show_people_roles_and_the_member_invitation_form(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let inventory = create_workspace(&app, &admin, "Inventory").await;
    let (wid, wanda) = join_workspace(&app, &admin, &deploy, "wanda@acme.test", "member").await;
    let base = format!("/orgs/{}", app.org_id);
    let (s, html) = page(&admin, &format!("{base}/workspaces")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Deploy") && html.contains("<td class=\"people\">2</td>"),
        "{html}"
    );
    assert!(html.contains("Create workspace"));
    let (s, html) = page(&admin, &format!("{base}/workspaces/{deploy}")).await;
    assert_eq!(s, StatusCode::OK);
    for text in [
        "Deploy · People",
        "wanda@acme.test",
        "Org admin: access to all workspaces",
        "Invite member",
        "Change role",
    ] {
        assert!(html.contains(text), "People page shows {text:?}");
    }
    // Change Wanda's role and invite through the forms.
    let csrf = csrf_of(&html);
    let r = admin
        .client
        .post(app.url(&format!("{base}/workspaces/{deploy}/people/{wid}/role")))
        .form(&[("csrf", csrf.as_str()), ("role", "manager")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = page(&admin, &back).await;
    assert!(
        html.contains("wanda@acme.test is now a workspace manager"),
        "{html}"
    );
    let r = admin
        .client
        .post(app.url(&format!("{base}/workspaces/{deploy}/invitations")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "newbie@acme.test"),
            ("role", "member"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("newbie@acme.test</strong>: invited"),
        "{html}"
    );
    // The members page's +User form offers the workspaces to admins.
    let (_, html) = page(&admin, &format!("{base}/members")).await;
    assert!(html.contains("+User"));
    assert!(html.contains(&format!("name=\"workspace\" value=\"{inventory}\"")));
    let r = admin
        .client
        .post(app.url(&format!("{base}/invitations")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("emails", "multi@acme.test"),
            ("workspace", deploy.as_str()),
            ("workspace", inventory.as_str()),
            ("workspace_role", "member"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("multi@acme.test</strong>: invited")
    );
    let (_, pending) = admin
        .call("GET", &org_path(&app, "/invitations"), None)
        .await;
    assert!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["email"] == "multi@acme.test" && i["kind"] == "user"),
        "{pending}"
    );
    // A workspace member sees the people but no forms; another workspace is refused.
    let (_, mo) = add_member(&app, &admin, "mo@acme.test").await;
    admin
        .call(
            "POST",
            &ws_path(&app, &inventory, "/invitations"),
            Some(json!({"email": "mo@acme.test"})),
        )
        .await;
    let (s, html) = page(&mo, &format!("{base}/workspaces/{inventory}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("Invite member") && !html.contains("Change role"));
    let (s, html) = page(&mo, &format!("{base}/workspaces/{deploy}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("no access to the workspace"));
    let (_, html) = page(&mo, &format!("{base}/workspaces")).await;
    assert!(
        html.contains("Inventory") && !html.contains(">Deploy<"),
        "{html}"
    );
    let _ = wanda;
}

async fn disconnected_people_are_reactivated_and_connected_on_their_profile(app: TestApp) {
    let admin = admin(&app).await;
    let deploy = create_workspace(&app, &admin, "Deploy").await;
    let (id, _) = add_member(&app, &admin, "mo@acme.test").await;
    admin
        .call("DELETE", &org_path(&app, &format!("/members/{id}")), None)
        .await;
    let profile = format!("/orgs/{}/members/{id}", app.org_id);
    let (s, html) = page(&admin, &profile).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Reactivate") && !html.contains("Connect to a workspace"),
        "{html}"
    );
    // Reactivation needs a license: with none free it is refused with the reason.
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 1})))
        .await;
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let client = admin.client.clone();
        let url = app.url(&path);
        async move {
            let r = client.post(url).form(&fields).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    let back = post(
        format!("{profile}/reactivate"),
        vec![("csrf", csrf_of(&html))],
    )
    .await;
    let (_, html) = page(&admin, &back).await;
    assert!(html.contains("No free seat"), "{html}");
    admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 2})))
        .await;
    let back = post(
        format!("{profile}/reactivate"),
        vec![("csrf", csrf_of(&html))],
    )
    .await;
    let (_, html) = page(&admin, &back).await;
    assert!(html.contains("mo@acme.test is active again."), "{html}");
    assert!(html.contains("Connect to a workspace") && html.contains("No workspace yet."));
    let back = post(
        format!("{profile}/workspaces"),
        vec![
            ("csrf", csrf_of(&html)),
            ("workspace", deploy.clone()),
            ("role", "manager".to_string()),
        ],
    )
    .await;
    let (_, html) = page(&admin, &back).await;
    assert!(
        html.contains("mo@acme.test is connected to the workspace as manager."),
        "{html}"
    );
    assert!(
        html.contains("Deploy <span class=\"badge\">manager</span>"),
        "{html}"
    );
    let mo = Person::sign_in(&app, "mo@acme.test", "member password").await;
    assert_eq!(my_workspaces(&mo).await, ["Deploy"]);
}
