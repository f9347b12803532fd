//! `SamlIdp`: a loopback SAML identity provider as a child process for the duration of
//! a test: samlify (`tests/peers/saml-samlify`, Node.js) or pysaml2
//! (`tests/peers/saml-pysaml2`, Python with xmlsec1). Both speak the same small HTTP
//! protocol (see the servers' headers): `/metadata`, `/sso` (a form), `/login`, and
//! `/respond`, which signs a response to the test's order.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

const READY_TIMEOUT: Duration = Duration::from_secs(40);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Samlify,
    Pysaml2,
}

pub struct SamlIdp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

fn peers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

impl SamlIdp {
    /// Starts the IdP and waits for `IDP_READY <base URL>`.
    pub fn start(kind: Kind, config: &Value) -> SamlIdp {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(kind, config) {
                Ok(p) => return p,
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "test SAML IdP did not become ready:\n{}",
            failures.join("\n---\n")
        );
    }

    fn try_start(kind: Kind, config: &Value) -> Result<SamlIdp, String> {
        let (program, dir, script) = match kind {
            Kind::Samlify => {
                let dir = peers().join("saml-samlify");
                assert!(
                    dir.join("node_modules").is_dir(),
                    "samlify is not installed: run scripts/install-deps"
                );
                ("node", dir, "server.mjs")
            }
            Kind::Pysaml2 => ("python3", peers().join("saml-pysaml2"), "server.py"),
        };
        let mut child = Command::new(program)
            .arg(dir.join(script))
            .arg(config.to_string())
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && line.starts_with("IDP_READY ") {
                    let _ = tx.send(line);
                    sent = true;
                }
            }
        });
        let mut idp = SamlIdp {
            base: String::new(),
            child,
            stdin,
            log,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        };
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => {
                idp.base = line["IDP_READY ".len()..].trim().to_string();
                Ok(idp)
            }
            Err(e) => Err(format!("{e}; its log:\n{}", idp.log())),
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The IdP's metadata document.
    pub async fn metadata(&self) -> String {
        let r = self
            .http
            .get(format!("{}/metadata", self.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "metadata: {}", r.status());
        r.text().await.unwrap()
    }

    /// A response signed to order (see the server's `/respond`), base64 as posted.
    pub async fn respond(&self, order: Value) -> String {
        let r = self
            .http
            .post(format!("{}/respond", self.base))
            .json(&order)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status} {v} {}", self.log());
        v["saml_response"]
            .as_str()
            .expect("saml_response")
            .to_string()
    }

    /// The same, decoded.
    pub async fn respond_xml(&self, order: Value) -> String {
        decode(&self.respond(order).await)
    }

    /// Follows our `/sso?SAMLRequest=...` URL: the IdP's form, signed in as `email`.
    /// Returns (ACS URL, SAMLResponse) of the auto-submitting form it answers with.
    pub async fn sign_in(&self, sso_url: &str, email: &str) -> (String, String) {
        let form = self
            .http
            .get(sso_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut fields: Vec<(String, String)> = ["request_id", "acs", "audience", "relay_state"]
            .iter()
            .map(|n| (n.to_string(), hidden(&form, n).unwrap_or_default()))
            .collect();
        fields.push(("email".into(), email.into()));
        let page = self
            .http
            .post(format!("{}/login", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let action = attr_after(&page, "action=\"").expect("form action");
        let saml = hidden(&page, "SAMLResponse").expect("SAMLResponse");
        (action, saml)
    }

    /// The id of the AuthnRequest in our `/sso?SAMLRequest=...` URL (read by the IdP).
    pub async fn request_id(&self, sso_url: &str) -> String {
        let form = self
            .http
            .get(sso_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden(&form, "request_id").expect("request_id")
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

fn attr_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(unescape(&html[start..start + end]))
}

/// The value of the hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    attr_after(&html[tag_start..tag_end], "value=\"")
}

pub fn decode(b64: &str) -> String {
    String::from_utf8(STANDARD.decode(b64.trim()).expect("base64")).expect("utf-8")
}

pub fn encode(xml: &str) -> String {
    STANDARD.encode(xml.as_bytes())
}

impl Drop for SamlIdp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- test SAML IdP log ({}):\n{}", self.base, self.log());
        }
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An order for `/respond`: `email` answering `in_response_to`, for connection `c`.
pub fn order(c: &Value, email: &str, in_response_to: Option<&str>) -> Value {
    json!({
        "email": email,
        "in_response_to": in_response_to,
        "acs": c["saml"]["acs_url"],
        "audience": c["saml"]["sp_entity_id"],
        "first_name": "Kim",
        "last_name": "Doe",
    })
}
