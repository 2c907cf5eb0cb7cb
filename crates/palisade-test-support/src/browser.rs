//! A real browser for the console's tests: Debian's headless Chromium driven over WebDriver by
//! its `chromedriver`, both killed (with their whole process group) on drop.
//!
//! A missing browser is a failure, never a skip: `./scripts/test` installs the `chromium` and
//! `chromium-driver` packages (`scripts/lib/prereqs.sh`).

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};

/// The page size every session (and so every screenshot) has.
pub const WINDOW: (u32, u32) = (1280, 900);

/// How long a page load or a script may take before the WebDriver command fails.
const PAGE_LOAD: Duration = Duration::from_secs(15);

/// Installed on each page after it loads: collects `securitypolicyviolation` events in
/// `window.__palisadeCsp` — a second signal besides the browser's console log, and the only
/// one that names the directive in a structured way. WebDriver scripts are not subject to the
/// page's CSP, so installing it is not itself a violation.
const CSP_LISTENER: &str = r#"
if (!window.__palisadeCsp) {
  window.__palisadeCsp = [];
  document.addEventListener("securitypolicyviolation", function (e) {
    window.__palisadeCsp.push("securitypolicyviolation: " + e.effectiveDirective + " blocked "
      + (e.blockedURI || "inline") + " at " + (e.sourceFile || document.URL) + ":" + e.lineNumber);
  });
}
"#;

/// A headless Chromium session, dereferencing to its [`fantoccini::Client`].
pub struct Browser {
    client: Client,
    driver: Child,
    /// The browser profile (`--user-data-dir`), removed after the processes are gone.
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// The first of `names` that is an executable file on `PATH` or in `/usr/bin`.
fn program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .collect();
    names
        .iter()
        .flat_map(|n| dirs.iter().map(move |d| d.join(n)))
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts `chromedriver` on a free loopback port and opens a headless Chromium session
    /// (1280×900, a fresh temporary profile, the browser's console log recorded).
    ///
    /// # Panics
    ///
    /// When Chromium or chromedriver is not installed (naming the Debian package), or either
    /// fails to start within 30 s.
    pub async fn start() -> Browser {
        let chromium = program(&["chromium", "chromium-browser"]).unwrap_or_else(|| {
            panic!(
                "chromium not found on PATH: install the Debian package `chromium` \
                 (./scripts/test installs it)"
            )
        });
        let chromedriver = program(&["chromedriver"]).unwrap_or_else(|| {
            panic!(
                "chromedriver not found on PATH: install the Debian package `chromium-driver` \
                 (./scripts/test installs it)"
            )
        });
        let profile = tempfile::tempdir().expect("browser profile dir");
        let port = crate::free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, so drop can signal the browser it starts as well.
            .process_group(0)
            // Nothing inherited: a leftover process must not hold the test harness's pipes.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", chromedriver.display()));
        // Killed if anything below panics.
        let mut pending = PendingDriver(Some(driver));
        pending.wait_listening(port).await;
        let client = match Self::session(port, &chromium, profile.path()).await {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        Browser {
            client,
            driver: pending.0.take().expect("driver"),
            _profile: profile,
        }
    }

    /// Opens a WebDriver session with chromedriver on `port`.
    async fn session(port: u16, chromium: &Path, profile: &Path) -> Result<Client, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {
                "pageLoad": PAGE_LOAD.as_millis() as u64,
                "script": PAGE_LOAD.as_millis() as u64,
                "implicit": 0,
            },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-extensions",
                    "--disable-sync",
                    "--disable-component-update",
                    "--metrics-recording-only",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                ],
            },
            // Chromium's console (CSP violations among it), read back by `csp_violations`.
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://{addr}");
        let connect = builder.connect(&url);
        let client = tokio::time::timeout(Duration::from_secs(30), connect)
            .await
            .map_err(|_| "Chromium did not start a session within 30 s".to_owned())?
            .map_err(|e| format!("no WebDriver session with {}: {e}", chromium.display()))?;
        Ok(client)
    }

    /// Navigates to `url`, then watches the page for CSP violations (see [`csp_violations`]).
    ///
    /// [`csp_violations`]: Browser::csp_violations
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.watch_csp().await;
    }

    /// Installs the `securitypolicyviolation` listener on the current page: call it after a
    /// navigation the test did not make through [`open`](Browser::open) (a click, a submit).
    pub async fn watch_csp(&self) {
        self.client
            .execute(CSP_LISTENER, vec![])
            .await
            .unwrap_or_else(|e| panic!("install the CSP listener: {e}"));
    }

    /// The CSP violations reported since the last call: Chromium's console messages about the
    /// Content Security Policy ("… violates the following Content Security Policy directive
    /// …", older versions: "Refused to …"), and the events the listener of the current page
    /// collected. Reading drains both, so each page can be checked on its own.
    pub async fn csp_violations(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .unwrap_or_else(|e| panic!("read the browser log: {e}"));
        let mut found: Vec<String> = log
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["message"].as_str())
            .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
            .map(str::to_owned)
            .collect();
        let seen = self
            .client
            .execute(
                "var v = window.__palisadeCsp || []; if (window.__palisadeCsp) { window.__palisadeCsp = []; } return v;",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("read the CSP listener: {e}"));
        found.extend(
            seen.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
        found
    }

    /// The HTTP status of the current page's navigation (the Navigation Timing API's
    /// `responseStatus`): how a test sees that a form post was answered 401 or 403.
    pub async fn page_status(&self) -> u16 {
        let v = self
            .client
            .execute(
                "var n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0;",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("read the navigation status: {e}"));
        v.as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(0)
    }

    /// Saves a PNG of the whole page as `<dir>/<name>.png` ([`screenshot_dir`]) and returns
    /// its path. The window grows to the page's height for the shot, then goes back to
    /// [`WINDOW`].
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let sizes = self
            .client
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("measure the page: {e}"));
        let px = |i: usize| sizes[i].as_u64().and_then(|v| u32::try_from(v).ok());
        if let (Some(page), Some(viewport)) = (px(0), px(1)) {
            // The window's frame is what it has beyond the viewport; capped, as a browser
            // would refuse an absurd window.
            let frame = WINDOW.1.saturating_sub(viewport);
            let height = (page + frame).clamp(WINDOW.1, 8000);
            let _ = self.client.set_window_size(WINDOW.0, height).await;
        }
        let png = self.client.screenshot().await;
        let _ = self.client.set_window_size(WINDOW.0, WINDOW.1).await;
        let png = png.unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }
}

/// `<target>/console-screenshots`: `CARGO_TARGET_DIR` when it is set and absolute, else the
/// target directory the running test binary lives in (`<target>/<profile>/deps/<test>`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            let deps = exe.ancestors().find(|p| p.ends_with("deps"))?;
            Some(deps.parent()?.parent()?.to_owned())
        })
        .unwrap_or_else(|| std::env::temp_dir().join("palisade-target"));
    target.join("console-screenshots")
}

/// ChromeDriver's log endpoint (not in W3C WebDriver, still served in W3C mode): the
/// browser's console messages since the last read.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// A chromedriver not yet wrapped in a [`Browser`]: killed if dropped before it is.
struct PendingDriver(Option<Child>);

impl PendingDriver {
    async fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let child = self.0.as_mut().expect("driver");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromedriver exited during start-up: {status}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("chromedriver did not listen on 127.0.0.1:{port} within 30 s");
    }
}

impl Drop for PendingDriver {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            stop_group(child);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        stop_group(&mut self.driver);
    }
}

/// SIGTERM to chromedriver's process group (the driver and the browser it started), up to 2 s
/// for the driver to exit, then SIGKILL to whatever of the group is left.
fn stop_group(child: &mut Child) {
    let Ok(pid) = i32::try_from(child.id()) else {
        return;
    };
    let group = Pid::from_raw(pid);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Browser processes outlive a killed driver (they are re-parented, still in the group).
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
}
