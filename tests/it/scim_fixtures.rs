//! Replays the recorded request sequences of real SCIM clients
//! (`scim-tests/fixtures/<client>/*.json`; the format is in `scim-tests/README.md`)
//! against the real server, one fresh organization per client, on both backends.

use crate::backend_tests;
use crate::harness::TestApp;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;

backend_tests!(entra, okta, onelogin, jumpcloud, google);

async fn entra(app: TestApp) {
    replay_client(app, "entra").await;
}
async fn okta(app: TestApp) {
    replay_client(app, "okta").await;
}
async fn onelogin(app: TestApp) {
    replay_client(app, "onelogin").await;
}
async fn jumpcloud(app: TestApp) {
    replay_client(app, "jumpcloud").await;
}
async fn google(app: TestApp) {
    replay_client(app, "google").await;
}

fn fixtures(client: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scim-tests/fixtures")
        .join(client);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures for {client}");
    files
}

async fn replay_client(app: TestApp, client: &str) {
    let mut failures = Vec::new();
    let files = fixtures(client);
    for file in &files {
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        if let Err(e) = replay(&app, &fixture).await {
            failures.push(format!(
                "{}: {e}",
                file.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {client} fixtures failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

async fn replay(app: &TestApp, fixture: &Value) -> Result<(), String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let steps = fixture["steps"].as_array().ok_or("no steps")?;
    for (i, step) in steps.iter().enumerate() {
        let name = step["name"].as_str().unwrap_or("?");
        run_step(app, step, &mut vars)
            .await
            .map_err(|e| format!("step {} \"{name}\": {e}", i + 1))?;
    }
    Ok(())
}

async fn run_step(
    app: &TestApp,
    step: &Value,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    let req = &step["request"];
    let method = req["method"].as_str().ok_or("no method")?;
    let path = substitute_str(req["path"].as_str().ok_or("no path")?, vars);
    let url = format!("{}/scim/v2{}", app.base, path);
    let mut builder = app
        .client
        .request(method.parse().map_err(|_| "bad method")?, &url);
    let mut headers: Map<String, Value> = req["headers"].as_object().cloned().unwrap_or_default();
    let body = req
        .get("body")
        .filter(|b| !b.is_null())
        .map(|b| substitute(b, vars));
    if body.is_some()
        && !headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(
            "Content-Type".into(),
            Value::String("application/scim+json".into()),
        );
    }
    builder = builder.header("Authorization", format!("Bearer {}", app.scim_token));
    let mut drop_user_agent = false;
    for (k, v) in &headers {
        match v {
            Value::Null if k.eq_ignore_ascii_case("user-agent") => drop_user_agent = true,
            Value::Null => {}
            Value::String(s) => builder = builder.header(k.as_str(), substitute_str(s, vars)),
            other => builder = builder.header(k.as_str(), other.to_string()),
        }
    }
    if !drop_user_agent && !headers.keys().any(|k| k.eq_ignore_ascii_case("user-agent")) {
        builder = builder.header("User-Agent", "gatehouse-fixture-replay");
    }
    if let Some(b) = &body {
        builder = builder.body(b.to_string());
    }
    let response = builder.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| e.to_string())?;
    let got: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(|e| format!("response is not JSON ({e}): {text}"))?
    };
    let expect = &step["expect"];
    let want_status = expect["status"].as_u64().ok_or("expect.status missing")?;
    if u64::from(status) != want_status {
        return Err(format!(
            "{method} {path}: status {status}, expected {want_status}; body {text}"
        ));
    }
    if let Some(want) = expect.get("json") {
        let want = substitute(want, vars);
        partial_match(&want, &got, "").map_err(|e| format!("{method} {path}: {e}; body {text}"))?;
    }
    if let Some(absent) = expect["absent"].as_array() {
        for pointer in absent.iter().filter_map(Value::as_str) {
            if got.pointer(pointer).is_some() {
                return Err(format!(
                    "{method} {path}: {pointer} should be absent; body {text}"
                ));
            }
        }
    }
    if let Some(capture) = expect["capture"].as_object() {
        for (name, pointer) in capture {
            let value = got
                .pointer(pointer.as_str().unwrap_or(""))
                .ok_or_else(|| format!("capture {name}: {pointer} not in {text}"))?;
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            vars.insert(name.clone(), value);
        }
    }
    Ok(())
}

fn substitute_str(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

fn substitute(v: &Value, vars: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(substitute_str(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn partial_match(want: &Value, got: &Value, at: &str) -> Result<(), String> {
    match want {
        Value::Object(w) => {
            if let Some(items) = w.get("$contains") {
                let arr = got
                    .as_array()
                    .ok_or_else(|| format!("{at}: expected an array"))?;
                for item in items.as_array().into_iter().flatten() {
                    if !arr.iter().any(|g| partial_match(item, g, at).is_ok()) {
                        return Err(format!("{at}: no element matches {item}"));
                    }
                }
                return Ok(());
            }
            if let Some(n) = w.get("$len") {
                let arr = got
                    .as_array()
                    .ok_or_else(|| format!("{at}: expected an array"))?;
                return if Some(arr.len() as u64) == n.as_u64() {
                    Ok(())
                } else {
                    Err(format!("{at}: expected {n} elements, got {}", arr.len()))
                };
            }
            let g = got
                .as_object()
                .ok_or_else(|| format!("{at}: expected an object, got {got}"))?;
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{at}/{k}: missing"))?;
                partial_match(wv, gv, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{at}: expected {want}, got {got}")),
    }
}
