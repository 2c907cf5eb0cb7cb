//! `palisade status`, `restart` and `stop`: find the running `palisade run`s through the
//! records they leave in `$PALISADE_HOME/run/`, and talk to their admin API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use palisade_core::AppStatus;
use serde::{Deserialize, Serialize};

use crate::Failure;
use crate::cli::{AppArgs, StatusArgs};

/// What a `palisade run` leaves behind so that the other commands can find it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The app's name.
    pub name: String,
    /// `palisade run`'s pid.
    pub pid: u32,
    /// Its admin listener.
    pub admin: SocketAddr,
    /// The admin token (the file is private to its user).
    pub token: Option<String>,
    /// The guard's listener, when there is a guard.
    pub listen: Option<String>,
}

/// `$PALISADE_HOME`, else `~/.palisade`.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("PALISADE_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".palisade")
}

fn run_dir() -> PathBuf {
    home().join("run")
}

fn record_path(name: &str) -> PathBuf {
    run_dir().join(format!("{name}.json"))
}

/// True while `pid` runs (an exited process not yet reaped by its parent does not count).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z')
    })
}

/// Records a starting `palisade run`. Refuses a name already in use by a live one.
pub fn write_record(record: &RunRecord) -> Result<PathBuf, Failure> {
    let dir = run_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = record_path(&record.name);
    if let Some(old) = read(&path)
        && old.pid != record.pid
        && alive(old.pid)
    {
        return Err(Failure::Input(format!(
            "an app named {:?} is already supervised by palisade run (pid {}); give this one another --name",
            record.name, old.pid
        )));
    }
    let text = serde_json::to_vec_pretty(record).context("encoding the run record")?;
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        // The token is in it: readable by its owner only.
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(&text)
            .with_context(|| format!("writing {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn read(path: &std::path::Path) -> Option<RunRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Every live record; stale ones (their `palisade run` is gone) are removed.
fn records() -> Vec<RunRecord> {
    let Ok(entries) = std::fs::read_dir(run_dir()) else {
        return Vec::new();
    };
    let mut out: Vec<RunRecord> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| match read(&p) {
            Some(r) if alive(r.pid) => Some(r),
            _ => {
                let _ = std::fs::remove_file(&p);
                None
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Which apps a command is about.
fn targets(args: &AppArgs, all_when_unnamed: bool) -> Result<Vec<RunRecord>, Failure> {
    if let Some(admin) = args.admin {
        return Ok(vec![RunRecord {
            name: args.name.clone().unwrap_or_else(|| admin.to_string()),
            pid: 0,
            admin,
            token: args.token.clone(),
            listen: None,
        }]);
    }
    let all = records();
    match &args.name {
        Some(name) => match all.into_iter().find(|r| &r.name == name) {
            Some(mut r) => {
                if args.token.is_some() {
                    r.token = args.token.clone();
                }
                Ok(vec![r])
            }
            None => Err(Failure::Input(format!(
                "no app named {name:?} is running under palisade run (records in {})",
                run_dir().display()
            ))),
        },
        None if all.is_empty() => Err(Failure::Input(format!(
            "no app is running under palisade run (records in {})",
            run_dir().display()
        ))),
        None if all.len() > 1 && !all_when_unnamed => Err(Failure::Input(format!(
            "{} apps are running ({}); name one",
            all.len(),
            all.iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(all),
    }
}

fn client() -> Result<(tokio::runtime::Runtime, reqwest::Client), Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .context("building the HTTP client")?;
    Ok((rt, client))
}

async fn call(
    client: &reqwest::Client,
    r: &RunRecord,
    method: reqwest::Method,
    path: &str,
) -> anyhow::Result<String> {
    let url = format!("http://{}{path}", r.admin);
    let mut req = client.request(method, &url);
    if let Some(t) = &r.token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("{}: cannot reach its admin listener {}", r.name, r.admin))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        anyhow::bail!("{}: {url} answered {status}: {}", r.name, body.trim());
    }
    Ok(body)
}

/// `palisade status`
pub fn status(args: StatusArgs) -> Result<(), Failure> {
    let targets = targets(&args.app, true)?;
    let (rt, client) = client()?;
    let mut rows = Vec::new();
    for r in &targets {
        let body = rt.block_on(call(&client, r, reqwest::Method::GET, "/v1/app"))?;
        let st: AppStatus = serde_json::from_str(&body)
            .with_context(|| format!("{}: unexpected answer from {}", r.name, r.admin))?;
        rows.push((r, st));
    }
    if args.json {
        let docs: Vec<_> = rows
            .iter()
            .map(|(r, s)| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["guard"] = serde_json::json!(r.listen);
                v["admin"] = serde_json::json!(r.admin.to_string());
                v
            })
            .collect();
        let text = serde_json::to_string_pretty(&docs).context("encoding")?;
        println!("{text}");
        return Ok(());
    }
    println!(
        "{:<16} {:<10} {:>8} {:>10} {:>8} {:>10}  {:<32} GUARD",
        "NAME", "STATE", "PID", "UPTIME", "RESTARTS", "MEMORY", "LAST EXIT"
    );
    for (r, s) in rows {
        let last = s
            .last_exit
            .as_ref()
            .map(|e| {
                let kind = match &e.kind {
                    palisade_core::app::ExitKind::Code { code } => format!("code {code}"),
                    palisade_core::app::ExitKind::Signal { name, .. } => name.clone(),
                };
                format!("{} ({kind}) {} ago", e.reason, ago(e.at_ms))
            })
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<16} {:<10} {:>8} {:>10} {:>8} {:>10}  {:<32} {}",
            s.name,
            s.state,
            s.pid.map_or("-".into(), |p| p.to_string()),
            s.uptime_secs
                .map_or("-".into(), |u| humantime::format_duration(
                    Duration::from_secs(u)
                )
                .to_string()),
            s.restarts,
            s.memory_bytes
                .map_or("-".into(), |m| bytesize::ByteSize(m).to_string()),
            last,
            r.listen.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

fn ago(at_ms: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(at_ms);
    let secs = u64::try_from((now - at_ms) / 1000).unwrap_or(0);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// What `restart` and `stop` ask for.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// `POST /v1/app/restart`
    Restart,
    /// `POST /v1/app/stop`
    Stop,
}

/// `palisade restart` / `palisade stop`
pub fn control(args: AppArgs, action: Action) -> Result<(), Failure> {
    let targets = targets(&args, false)?;
    let (rt, client) = client()?;
    let (path, verb) = match action {
        Action::Restart => ("/v1/app/restart", "restarting"),
        Action::Stop => ("/v1/app/stop", "stopping"),
    };
    for r in &targets {
        rt.block_on(call(&client, r, reqwest::Method::POST, path))?;
        println!("{verb} {}", r.name);
        if matches!(action, Action::Stop) && r.pid != 0 {
            // Return once it is really gone, so scripts can start a new one right after.
            let until = std::time::Instant::now() + Duration::from_secs(60);
            while alive(r.pid) && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

/// Removes the record when `palisade run` ends.
pub fn remove_record(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
}
