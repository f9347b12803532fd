//! The pages in a real browser: headless Chromium driven over WebDriver (chromedriver).
//!
//! Each test starts its own chromedriver and Chromium (fresh profile), and the server on
//! SQLite only: these tests are about the pages, the storage is covered elsewhere.
//! Screenshots go to `target/screenshots/<test>-<name>.png` for a reviewer to look at.
//! `scripts/install-deps` installs `chromium` and `chromium-driver`; without them these
//! tests fail (they do not skip).

use crate::auth::{last_mail, link_in};
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use gatehouse::store::Backend;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long chromedriver may take to answer `/status`, and Chromium to start a session.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page may take to show the element a step waits for.
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);

/// A headless Chromium behind a chromedriver of its own. Dropping it kills chromedriver
/// and the browser it started (one process group); [`Browser::close`] ends the
/// WebDriver session politely first.
pub struct Browser {
    pub client: Client,
    test: String,
    driver: Child,
    _dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a session. `test` names the
    /// screenshots.
    pub async fn start(test: &str) -> Browser {
        for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need the Debian packages chromium and \
                 chromium-driver; run scripts/install-deps (as root) to install them ({package})"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).expect("log file");
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                // Its own process group, so Drop can end Chromium together with it.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e} (run scripts/install-deps)"))
        };
        let mut driver_guard = DriverGuard(Some(driver));
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_for_status(&webdriver, driver_guard.0.as_mut().unwrap(), dir.path()).await;

        let profile = dir.path().join("profile");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,900",
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let connect = builder.connect(&webdriver);
        let client = match tokio::time::timeout(START_TIMEOUT, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "chromedriver could not start Chromium: {e}\n{}",
                driver_log(dir.path())
            ),
            Err(_) => panic!(
                "Chromium did not start within {START_TIMEOUT:?}\n{}",
                driver_log(dir.path())
            ),
        };
        Browser {
            client,
            test: test.to_string(),
            driver: driver_guard.0.take().unwrap(),
            _dir: dir,
        }
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Waits (bounded) until an element matching `css` is on the page: how the tests
    /// wait for the next page after a click.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let source = self.client.source().await.unwrap_or_default();
                self.screenshot("failed").await;
                panic!(
                    "no `{css}` on the page within {PAGE_TIMEOUT:?}: {e}\nurl: {url:?}\n{source}"
                )
            }
        }
    }

    /// The element matching `css` on the current page.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    /// Types `text` into the field matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Clicks `css`, which submits a form or follows a link, and waits (bounded) until
    /// the next page has replaced this one. A `wait_for` right after a plain `click`
    /// can find the old page's element (a notice from the previous action) before the
    /// browser has left it.
    pub async fn click_to_next_page(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        let deadline = Instant::now() + PAGE_TIMEOUT;
        // An element of a replaced document answers "stale element reference".
        while old.tag_name().await.is_ok() {
            if Instant::now() > deadline {
                self.screenshot("failed").await;
                panic!("clicking `{css}` did not leave the page within {PAGE_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// The current value of the form field matching `css`.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("field value")
            .unwrap_or_default()
    }

    /// The path of the current page.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_string()
    }

    /// Saves the page as `target/screenshots/<test>-<name>.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{}-{name}.png", self.test));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let _ = tokio::time::timeout(START_TIMEOUT, self.client.clone().close()).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // `_dir` (the profile) is removed after this, once the processes are gone.
        kill_group(&mut self.driver);
    }
}

/// Kills a chromedriver that has not been handed to a [`Browser`] yet (a start that panics).
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            kill_group(child);
        }
    }
}

/// Kills chromedriver's process group (chromedriver and the Chromium it started) and
/// reaps chromedriver.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// `target/screenshots` (next to the `target/tmp` cargo gives integration tests).
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn driver_log(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default();
    format!("chromedriver log:\n{log}")
}

/// Polls chromedriver's `/status` until it says ready, for at most [`START_TIMEOUT`].
async fn wait_for_status(webdriver: &str, driver: &mut Child, dir: &Path) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            panic!(
                "chromedriver exited at start ({status})\n{}",
                driver_log(dir)
            );
        }
        if let Ok(r) = http.get(format!("{webdriver}/status")).send().await
            && let Ok(v) = r.json::<serde_json::Value>().await
            && v["value"]["ready"] == true
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer {webdriver}/status within {START_TIMEOUT:?}\n{}",
            driver_log(dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `browser_tests!(a, b)` turns each `async fn a(app: TestApp, browser: &Browser)` into
/// the test `a`, on SQLite, with a browser of its own.
macro_rules! browser_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                let browser = Browser::start(stringify!($name)).await;
                $crate::browser::flows::$name(&app, &browser).await;
                browser.close().await;
                app.stop().await;
            }
        )+
    };
}

browser_tests!(
    sign_up_then_sign_out_and_in_again,
    wrong_password_reshows_the_form_with_a_generic_message,
    forgot_password_mailed_link_sets_a_new_one_and_signs_in
);

mod flows {
    use super::*;

    /// Waits for the home page and checks who is signed in there.
    async fn on_home_page(browser: &Browser, email: &str) {
        browser.wait_for("ul.orgs").await;
        assert_eq!(browser.path().await, "/");
        assert_eq!(browser.text("header .who").await, email);
        assert!(
            browser.text("main").await.contains(email),
            "home shows the email"
        );
    }

    pub async fn sign_up_then_sign_out_and_in_again(app: &TestApp, browser: &Browser) {
        browser.goto(&app.url("/auth/signup")).await;
        browser.wait_for("form[action='/auth/signup']").await;
        browser.fill("input[name=display_name]", "Nina New").await;
        browser.fill("input[name=email]", "nina@new.test").await;
        browser.fill("input[name=password]", "first password").await;
        browser.fill("input[name=org_name]", "Nina Co").await;
        browser.screenshot("signup-form").await;
        browser.click("button[type=submit]").await;

        on_home_page(browser, "nina@new.test").await;
        assert_eq!(browser.text("main h1").await, "Welcome, Nina New");
        let orgs = browser.find("ul.orgs").await;
        let items = orgs
            .find_all(Locator::Css("li"))
            .await
            .expect("organizations");
        assert_eq!(items.len(), 1);
        let org = items[0]
            .find(Locator::Css("strong"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let role = items[0]
            .find(Locator::Css(".badge"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!((org.as_str(), role.as_str()), ("Nina Co", "admin"));
        browser.screenshot("home").await;

        // The sign-out button in the header → the sign-in page.
        browser
            .click("form[action='/auth/signout'] button[type=submit]")
            .await;
        browser.wait_for("form[action='/auth/signin']").await;
        assert_eq!(browser.path().await, "/auth/signin");
        // Signed out for real: home sends back to sign-in.
        browser.goto(&app.url("/")).await;
        browser.wait_for("form[action='/auth/signin']").await;

        browser.fill("input[name=email]", "nina@new.test").await;
        browser.fill("input[name=password]", "first password").await;
        browser
            .click("form[action='/auth/signin'] button[type=submit]")
            .await;
        on_home_page(browser, "nina@new.test").await;
    }

    pub async fn wrong_password_reshows_the_form_with_a_generic_message(
        app: &TestApp,
        browser: &Browser,
    ) {
        browser.goto(&app.url("/auth/signin")).await;
        browser.wait_for("form[action='/auth/signin']").await;
        assert!(
            browser.client.find(Locator::Css("p.error")).await.is_err(),
            "no error before trying"
        );
        browser.fill("input[name=email]", ADMIN_EMAIL).await;
        browser
            .fill("input[name=password]", "not the password")
            .await;
        browser.click("button[type=submit]").await;

        let error = browser.wait_for("p.error[role=alert]").await;
        assert_eq!(
            error.text().await.unwrap(),
            "That email and password do not match an account."
        );
        assert_eq!(browser.path().await, "/auth/signin");
        assert_eq!(browser.value("input[name=email]").await, ADMIN_EMAIL);
        assert_eq!(browser.value("input[name=password]").await, "");
        browser.screenshot("wrong-password").await;

        // The re-shown form works: the right password signs in.
        browser.fill("input[name=password]", ADMIN_PASSWORD).await;
        browser.click("button[type=submit]").await;
        on_home_page(browser, ADMIN_EMAIL).await;
    }

    pub async fn forgot_password_mailed_link_sets_a_new_one_and_signs_in(
        app: &TestApp,
        browser: &Browser,
    ) {
        browser.goto(&app.url("/auth/signin")).await;
        browser.wait_for("form[action='/auth/signin']").await;
        browser.click("a[href='/auth/forgot']").await;
        browser.wait_for("form[action='/auth/forgot']").await;
        browser.fill("input[name=email]", ADMIN_EMAIL).await;
        browser.click("button[type=submit]").await;

        let notice = browser.wait_for("p.notice[role=status]").await;
        assert!(
            notice
                .text()
                .await
                .unwrap()
                .contains("a link to set a new one is on its way"),
            "notice"
        );
        browser.screenshot("forgot-notice").await;

        let mail = last_mail(app);
        assert!(mail.contains(&format!("To: {ADMIN_EMAIL}")), "{mail}");
        let link = link_in(&mail, &format!("{}/auth/reset/", app.base));
        browser.goto(&link).await;
        browser.wait_for("form[action^='/auth/reset/']").await;
        browser
            .fill("input[name=password]", "a brand new one")
            .await;
        browser
            .fill("input[name=password_again]", "a brand new one")
            .await;
        browser.screenshot("reset-form").await;
        browser.click("button[type=submit]").await;

        on_home_page(browser, ADMIN_EMAIL).await;
        browser.screenshot("signed-in-after-reset").await;

        // The link worked once.
        browser.goto(&link).await;
        let gone = browser.wait_for("p.error[role=alert]").await;
        assert!(gone.text().await.unwrap().contains("already been used"));
    }
}
