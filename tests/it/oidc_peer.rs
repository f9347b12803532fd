//! `OidcPeer`: the loopback OpenID Provider of `tests/peers/oidc` (panva's
//! oidc-provider) as a child process for the duration of a test.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

const READY_TIMEOUT: Duration = Duration::from_secs(40);

pub struct OidcPeer {
    /// `http://127.0.0.1:<port>`: the OP's base URL (its issuer in generic/google mode).
    pub issuer: String,
    child: Child,
    /// The OP exits when its stdin closes; held open until drop.
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<String>>,
}

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc")
}

impl OidcPeer {
    /// Starts `node tests/peers/oidc/server.mjs <config>` and waits for `OP_READY`.
    /// A start that stalls (seen once on a loaded machine) is retried, twice at most.
    pub fn start(config: &serde_json::Value) -> OidcPeer {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(config) {
                Ok(peer) => return peer,
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "test OP did not become ready:\n{}",
            failures.join("\n---\n")
        );
    }

    fn try_start(config: &serde_json::Value) -> Result<OidcPeer, String> {
        let dir = peer_dir();
        assert!(
            dir.join("node_modules").is_dir(),
            "the test OP is not installed: run scripts/install-deps (npm ci --prefix tests/peers/oidc)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg(config.to_string())
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node (is Node.js >= 20 installed?)");
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
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {} // keep draining so the OP never blocks on stdout
        });
        let mut peer = OidcPeer {
            issuer: String::new(),
            child,
            stdin,
            log,
        };
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) if line.starts_with("OP_READY ") => {
                peer.issuer = line["OP_READY ".len()..].trim().to_string();
                Ok(peer)
            }
            // Dropping `peer` kills the stalled process.
            other => Err(format!("{other:?}; its log:\n{}", peer.log())),
        }
    }

    /// The port the OP listens on.
    pub fn port(&self) -> u16 {
        self.issuer
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in issuer")
    }

    /// What the OP wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Stops the OP and waits until it has exited (its port is free again).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stdin.take(); // closing stdin asks the OP to exit
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OidcPeer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- test OP log ({}):\n{}", self.issuer, self.log());
        }
        self.shutdown();
    }
}
