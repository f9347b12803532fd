//! Organization management in a real browser (headless Chromium, see `browser.rs`):
//! the invitation round trip through the mailed link, Edit User and Remove User,
//! the expired invitation in red, the Workspaces pages and the SCIM & SSO page.
//! Screenshots go to `target/screenshots/<test>-<step>.png`.

use crate::auth::{last_mail, link_in};
use crate::browser::Browser;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use gatehouse::store::Backend;

/// Like `browser.rs`'s `browser_tests!`, for the flows of this file.
macro_rules! org_browser_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                let browser = Browser::start(stringify!($name)).await;
                flows::$name(&app, &browser).await;
                browser.close().await;
                app.stop().await;
            }
        )+
    };
}

org_browser_tests!(
    invite_join_edit_remove_and_reinvite_through_the_pages,
    expired_invitation_shows_red_only_with_include_expired_and_reinvite_works,
    workspace_pages_create_invite_and_change_roles,
    connections_page_shows_a_new_token_once
);

mod flows {
    use super::*;

    /// Red as `static/app.css` has it (`--err: #b42318`), as Chromium computes it.
    const RED: &str = "180, 35, 24";

    async fn sign_in(browser: &Browser, app: &TestApp, email: &str, password: &str) {
        browser.goto(&app.url("/auth/signin")).await;
        browser.wait_for("form[action='/auth/signin']").await;
        browser.fill("input[name=email]", email).await;
        browser.fill("input[name=password]", password).await;
        browser
            .click("form[action='/auth/signin'] button[type=submit]")
            .await;
        browser.wait_for("header .who").await;
    }

    async fn sign_out(browser: &Browser) {
        browser
            .click("form[action='/auth/signout'] button[type=submit]")
            .await;
        browser.wait_for("form[action='/auth/signin']").await;
    }

    fn members_url(app: &TestApp, query: &str) -> String {
        app.url(&format!("/orgs/{}/members{query}", app.org_id))
    }

    /// Sends the +User form for `email` and returns the result line shown.
    async fn invite(browser: &Browser, app: &TestApp, email: &str) -> String {
        browser.goto(&members_url(app, "")).await;
        browser.wait_for("a.plus-user").await;
        browser.click("a.plus-user").await;
        browser
            .fill("form.invite textarea[name=emails]", email)
            .await;
        browser.click("form.invite button[type=submit]").await;
        browser.wait_for("ul.results").await.text().await.unwrap()
    }

    async fn open_row_menu(browser: &Browser, email: &str, item: &str) {
        let row = format!("tr[data-email='{email}']");
        browser.click(&format!("{row} details.menu summary")).await;
        let link = browser
            .wait_for(&format!("{row} .menu-items a{item}"))
            .await;
        link.click().await.expect("menu item");
    }

    pub async fn invite_join_edit_remove_and_reinvite_through_the_pages(
        app: &TestApp,
        browser: &Browser,
    ) {
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let result = invite(browser, app, "bea@acme.test").await;
        assert_eq!(result, "bea@acme.test: invited");
        browser.screenshot("1-invited").await;
        browser.goto(&members_url(app, "?view=pending")).await;
        let row = browser.wait_for("tr[data-email='bea@acme.test']").await;
        assert!(row.text().await.unwrap().contains("Resend"));
        browser.screenshot("2-pending").await;

        // Bea follows the link in the mail the outbox holds and creates a password account.
        sign_out(browser).await;
        let mail = last_mail(app);
        assert!(mail.contains("To: bea@acme.test"), "{mail}");
        let link = link_in(&mail, &format!("{}/invite/", app.base));
        browser.goto(&link).await;
        browser.wait_for("form[action$='/signup']").await;
        assert_eq!(browser.text("main h1").await, "Join Acme");
        browser.fill("input[name=display_name]", "Bea Berg").await;
        browser.fill("input[name=password]", "bea's password").await;
        browser.screenshot("3-join-form").await;
        browser.click("button[type=submit]").await;
        browser.wait_for("ul.orgs").await;
        assert!(browser.text("ul.orgs").await.contains("Acme"));
        browser.screenshot("4-joined").await;
        sign_out(browser).await;

        // The admin makes her an Org Admin in Edit User ("Save changes"), then undoes it.
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        browser.goto(&members_url(app, "")).await;
        browser.wait_for("tr[data-email='bea@acme.test']").await;
        assert!(
            !browser
                .text("tr[data-email='bea@acme.test']")
                .await
                .contains("(Admin)")
        );
        // Her name opens the User Profile; the close icon leaves without saving.
        browser
            .click("tr[data-email='bea@acme.test'] td:first-child a")
            .await;
        browser.wait_for("input[name=admin]").await;
        assert_eq!(browser.text("main h1").await, "Bea Berg");
        browser.click("input[name=admin]").await;
        browser.click("a.close").await;
        let row = browser.wait_for("tr[data-email='bea@acme.test']").await;
        assert!(
            !row.text().await.unwrap().contains("(Admin)"),
            "nothing saved"
        );
        open_row_menu(browser, "bea@acme.test", ":not([href$='/remove'])").await;
        browser.wait_for("input[name=admin]:not(:checked)").await;
        browser.click("input[name=admin]").await;
        browser.screenshot("5-edit-user").await;
        // "Save changes" saves and closes.
        browser
            .click_to_next_page("form[action$='/role'] button[type=submit]")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert_eq!(notice, "Saved: bea@acme.test is now admin.");
        assert!(browser.path().await.ends_with("/members"));
        browser.click("nav.tabs a[href='?view=admins']").await;
        let row = browser
            .wait_for("nav.tabs a.current[href='?view=admins']")
            .await;
        drop(row);
        let row = browser.find("tr[data-email='bea@acme.test']").await;
        assert!(row.text().await.unwrap().contains("(Admin)"));
        browser.screenshot("6-admins-view").await;
        open_row_menu(browser, "bea@acme.test", ":not([href$='/remove'])").await;
        browser.wait_for("input[name=admin]:checked").await;
        browser.click("input[name=admin]").await;
        browser
            .click_to_next_page("form[action$='/role'] button[type=submit]")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert_eq!(notice, "Saved: bea@acme.test is now member.");

        // Remove User asks first, then she is under Disconnected.
        browser.goto(&members_url(app, "")).await;
        browser.wait_for("tr[data-email='bea@acme.test']").await;
        open_row_menu(browser, "bea@acme.test", "[href$='/remove']").await;
        browser.wait_for("[role=dialog]").await;
        assert_eq!(browser.text("#confirm-title").await, "Remove Bea Berg?");
        browser.screenshot("7-confirm-removal").await;
        browser
            .click_to_next_page("[role=dialog] button.danger")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert!(notice.contains("bea@acme.test was removed"), "{notice}");
        assert!(
            browser
                .client
                .find(fantoccini::Locator::Css("tr[data-email='bea@acme.test']"))
                .await
                .is_err(),
            "no longer a licensed user"
        );
        browser.click("nav.tabs a[href='?view=disconnected']").await;
        let row = browser.wait_for("tr[data-email='bea@acme.test']").await;
        let today = gatehouse::clock::Clock::now(app.clock.as_ref())
            .date()
            .to_string();
        assert!(
            row.text().await.unwrap().contains(&today),
            "disconnected date"
        );
        browser.screenshot("8-disconnected").await;

        // Re-invited, she accepts with her existing account.
        assert_eq!(
            invite(browser, app, "bea@acme.test").await,
            "bea@acme.test: invited"
        );
        sign_out(browser).await;
        sign_in(browser, app, "bea@acme.test", "bea's password").await;
        assert!(
            browser
                .text("main")
                .await
                .contains("You do not belong to an organization yet."),
            "not in Acme while disconnected"
        );
        let link = link_in(&last_mail(app), &format!("{}/invite/", app.base));
        browser.goto(&link).await;
        browser.wait_for("form[action$='/accept']").await;
        browser.screenshot("9-accept-again").await;
        browser
            .click("form[action$='/accept'] button[type=submit]")
            .await;
        browser.wait_for("ul.orgs").await;
        assert!(browser.text("ul.orgs").await.contains("Acme"));
        browser.screenshot("10-back-in").await;
    }

    pub async fn expired_invitation_shows_red_only_with_include_expired_and_reinvite_works(
        app: &TestApp,
        browser: &Browser,
    ) {
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(
            invite(browser, app, "late@acme.test").await,
            "late@acme.test: invited"
        );
        browser.goto(&members_url(app, "?view=pending")).await;
        let sent = browser
            .wait_for("tr[data-email='late@acme.test'] td:nth-child(3)")
            .await;
        assert!(!sent.text().await.unwrap().contains("(Expired)"));
        assert!(!sent.css_value("color").await.unwrap().contains(RED));
        browser.screenshot("1-pending").await;

        // Five days later the job has expired it (sessions have timed out meanwhile).
        app.clock
            .advance(time::Duration::days(5) + time::Duration::minutes(1));
        let outcome = gatehouse::jobs::expire_invitations(&app.ctx).await.unwrap();
        assert_eq!(outcome.expired, 1);
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        browser.goto(&members_url(app, "?view=pending")).await;
        browser.wait_for("form.filter").await;
        assert!(
            !browser.text("main").await.contains("late@acme.test"),
            "hidden unless Include expired is checked"
        );
        browser.screenshot("2-expired-hidden").await;
        browser.click("input[name=include_expired]").await;
        browser.click("form.filter button[type=submit]").await;
        let cell = browser
            .wait_for("tr[data-email='late@acme.test'] td.expired")
            .await;
        assert!(cell.text().await.unwrap().ends_with("(Expired)"));
        let color = cell.css_value("color").await.unwrap();
        assert!(color.contains(RED), "Sent On is red: {color}");
        browser.screenshot("3-expired-red").await;
        // Unchecking the box excludes them again. (The old page's box is unchecked by the
        // click already: wait for the next page, not for the box.)
        browser.click("input[name=include_expired]").await;
        browser
            .click_to_next_page("form.filter button[type=submit]")
            .await;
        browser
            .wait_for("form.filter input[name=include_expired]:not(:checked)")
            .await;
        assert!(!browser.text("main").await.contains("late@acme.test"));

        // Reinvite issues a new invitation, valid for 5 more days, with a working link.
        browser.click("input[name=include_expired]").await;
        browser.click("form.filter button[type=submit]").await;
        browser
            .wait_for("tr[data-email='late@acme.test'] td.expired")
            .await;
        let button = browser.find("tr[data-email='late@acme.test'] button").await;
        assert_eq!(button.text().await.unwrap(), "Reinvite");
        browser
            .click_to_next_page("tr[data-email='late@acme.test'] button")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert_eq!(notice, "Invitation sent again, valid for 5 days.");
        let sent = browser
            .wait_for("tr[data-email='late@acme.test'] td:nth-child(3)")
            .await;
        assert!(!sent.text().await.unwrap().contains("(Expired)"));
        assert!(!sent.css_value("color").await.unwrap().contains(RED));
        browser.screenshot("4-reinvited").await;
        let link = link_in(&last_mail(app), &format!("{}/invite/", app.base));
        sign_out(browser).await;
        browser.goto(&link).await;
        browser.wait_for("form[action$='/signup']").await;
        assert!(browser.text("main").await.contains("late@acme.test"));
    }

    pub async fn workspace_pages_create_invite_and_change_roles(app: &TestApp, browser: &Browser) {
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        browser.goto(&members_url(app, "")).await;
        browser.wait_for("nav.orgnav").await;
        browser.click("nav.orgnav a[href$='/workspaces']").await;
        browser.wait_for("form.create-workspace").await;
        browser
            .fill("form.create-workspace input[name=name]", "Deploy")
            .await;
        browser.screenshot("1-new-workspace").await;
        browser
            .click("form.create-workspace button[type=submit]")
            .await;

        // The People page: the admin reaches it as org admin; invite a member.
        browser.wait_for("form.member-invite").await;
        assert_eq!(browser.text("main h1").await, "Deploy · People");
        let admin_row = browser
            .text(&format!("tr[data-email='{ADMIN_EMAIL}']"))
            .await;
        assert!(
            admin_row.contains("Org admin: access to all workspaces"),
            "{admin_row}"
        );
        browser
            .fill("form.member-invite input[name=email]", "wes@acme.test")
            .await;
        browser
            .click("form.member-invite button[type=submit]")
            .await;
        let result = browser.wait_for("ul.results").await.text().await.unwrap();
        assert_eq!(result, "wes@acme.test: invited");
        browser.screenshot("2-member-invited").await;

        // Wes joins through the link; the admin sees him and makes him a manager.
        let link = link_in(&last_mail(app), &format!("{}/invite/", app.base));
        sign_out(browser).await;
        browser.goto(&link).await;
        browser.wait_for("form[action$='/signup']").await;
        browser.fill("input[name=display_name]", "Wes West").await;
        browser.fill("input[name=password]", "wes password!").await;
        browser.click("button[type=submit]").await;
        browser.wait_for("ul.orgs").await;
        sign_out(browser).await;
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        browser
            .goto(&app.url(&format!("/orgs/{}/workspaces", app.org_id)))
            .await;
        let count = browser.wait_for("tr[data-name='Deploy'] td.people").await;
        assert_eq!(count.text().await.unwrap(), "2");
        browser.screenshot("3-workspaces").await;
        browser.click("tr[data-name='Deploy'] a").await;
        let role = browser
            .wait_for("tr[data-email='wes@acme.test'] td.role")
            .await;
        assert_eq!(role.text().await.unwrap(), "member");
        browser
            .find("tr[data-email='wes@acme.test'] select[name=role] option[value=manager]")
            .await
            .click()
            .await
            .unwrap();
        browser
            .click_to_next_page("tr[data-email='wes@acme.test'] form.role-form button")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert_eq!(notice, "Saved: wes@acme.test is now a workspace manager.");
        assert_eq!(
            browser.text("tr[data-email='wes@acme.test'] td.role").await,
            "manager"
        );
        browser.screenshot("4-manager").await;
    }

    pub async fn connections_page_shows_a_new_token_once(app: &TestApp, browser: &Browser) {
        sign_in(browser, app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        browser
            .goto(&app.url(&format!("/orgs/{}/connections", app.org_id)))
            .await;
        let base = browser.wait_for("code.scim-base-url").await;
        assert_eq!(base.text().await.unwrap(), format!("{}/scim/v2", app.base));
        assert!(
            browser
                .text("table.tokens")
                .await
                .contains("Test directory")
        );
        browser
            .fill("form.new-token input[name=name]", "Entra ID")
            .await;
        browser.screenshot("1-connections").await;
        browser.click("form.new-token button[type=submit]").await;
        let token = browser.wait_for("code.secret").await.text().await.unwrap();
        assert!(token.starts_with("ghs_"), "{token}");
        assert!(browser.text("p.notice").await.contains("shown only once"));
        browser.screenshot("2-token-shown-once").await;
        browser.click("a.button").await;
        let row = browser.wait_for("tr[data-name='Entra ID']").await;
        assert!(row.text().await.unwrap().contains("never"), "not used yet");
        assert!(
            !browser.client.source().await.unwrap().contains(&token),
            "the token is not shown again"
        );
        // Map a directory group to the admin role, then revoke the new token.
        browser
            .fill("form.new-mapping input[name=group]", "Helpdesk")
            .await;
        browser.click("form.new-mapping button[type=submit]").await;
        let mapped = browser.wait_for("tr[data-group='Helpdesk']").await;
        assert!(mapped.text().await.unwrap().contains("Organization admin"));
        browser
            .click_to_next_page("tr[data-name='Entra ID'] button.danger")
            .await;
        let notice = browser.wait_for("p.notice").await.text().await.unwrap();
        assert!(notice.contains("\"Entra ID\" is revoked"), "{notice}");
        assert!(
            browser
                .text("tr[data-name='Entra ID']")
                .await
                .contains("revoked")
        );
        browser.screenshot("3-revoked").await;
    }
}
