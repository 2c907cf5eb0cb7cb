//! The command line (clap derive). Only subcommands that work are listed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// palisade: harden a web app without changing its code.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None)]
pub struct Cli {
    /// Log filter (tracing syntax), e.g. "info" or "palisade_guard=debug".
    #[arg(long, global = true, env = "PALISADE_LOG", default_value = "info")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the guard: a reverse proxy in front of your app.
    Guard(GuardArgs),
    /// Start your app, keep it running and guard it: `palisade run -- node app.js`.
    ///
    /// The app is restarted on crash (with backoff), hang, memory and file change, and
    /// stopped without leaving orphans.
    Run(RunArgs),
    /// Find known-vulnerable dependencies in lockfiles, offline.
    ///
    /// Reads npm, yarn, pnpm, Cargo, Poetry, Pipenv and pip lockfiles; the advisory database
    /// is filled by `palisade audit db import`.
    Audit(AuditArgs),
    /// Dependencies with newer versions: current, wanted, latest, the jump, advisories fixed;
    /// and whether node and rustc are still supported. Exit 1 when something is outdated.
    Outdated(OutdatedArgs),
    /// Try dependency updates against your tests, each in its own git worktree; passing ones
    /// can become branches (`--commit`). Your checkout is never touched.
    Update(UpdateArgs),
    /// Show the apps `palisade run` supervises: pid, uptime, restarts, last exit, memory.
    Status(StatusArgs),
    /// Restart a supervised app gracefully (no backoff).
    Restart(AppArgs),
    /// Stop a supervised app gracefully, and its `palisade run`.
    Stop(AppArgs),
    /// Run a bundled sample app behind the guard, to see what palisade does.
    Demo(DemoArgs),
    /// Check or print a palisade.toml.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the response headers the current policy adds and removes.
    Headers(HeadersArgs),
    /// Inspect a request (raw HTTP, a URL or a payload) and print what detection finds.
    Detect(DetectArgs),
    /// Query the security events the guard stored (`tail` follows, `stats` counts).
    Events(EventsArgs),
    /// Alert channels: send a test message through a sink.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// The black book of banned addresses: list, ban, unban, export, import.
    Blackbook(BlackbookArgs),
    /// Breached passwords: build the compact index from a Have I Been Pwned file.
    #[command(subcommand)]
    Pwned(PwnedCommand),
    /// Follow SSH, FTP, mail and web logs (`[[watch]]`): failed logins feed the black book,
    /// `[[enforce]]` puts its bans in the firewall. `watch test FILE` tries a parser.
    Watch(WatchArgs),
    /// Guards sharing a Redis black book: `cluster status` lists the guards seen recently
    /// (name, version, last heartbeat, counts) and the Redis server's health and latency.
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

/// `palisade cluster status`
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The guards that heartbeat to the shared Redis in the last day (live, stale or
    /// gone), and the server's version, role, clients, memory and PING latency.
    /// Exit 2 without a Redis black book, 1 when Redis cannot be reached.
    Status {
        /// Config file whose `[blackbook.redis]` to use [default: ./palisade.toml when it
        /// exists].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `palisade watch [test FILE]`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct WatchArgs {
    /// Try a parser on a log file instead of watching.
    #[command(subcommand)]
    pub command: Option<WatchCommand>,
    /// Config file with `[[watch]]` sources [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read sources without a saved position from their beginning (a backfill), not the end.
    #[arg(long)]
    pub from_start: bool,
    /// Print the firewall commands `[[enforce]]` would run instead of running them.
    #[arg(long)]
    pub dry_run: bool,
    /// Read what the sources hold now, then exit (instead of following them).
    #[arg(long)]
    pub once: bool,
}

/// `palisade watch test`
#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Print each line a parser matches in FILE: IP, user, outcome; then totals.
    Test(WatchTestArgs),
}

/// `palisade watch test FILE [--parser NAME | --regex RE | --filter FILE]`
#[derive(Debug, Args)]
pub struct WatchTestArgs {
    /// The log file (`-` for standard input).
    pub file: PathBuf,
    /// A built-in parser: sshd, vsftpd, proftpd, pure-ftpd, postfix, dovecot, nginx, apache.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["regex", "filter"])]
    pub parser: Option<String>,
    /// A custom regex with named groups `ip`, `user`, `outcome` (repeatable).
    #[arg(long, value_name = "REGEX", conflicts_with = "filter")]
    pub regex: Vec<String>,
    /// A fail2ban filter.d file.
    #[arg(long, value_name = "FILE")]
    pub filter: Option<PathBuf>,
    /// The service of a custom parser's logins.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Only the totals.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also print the lines no parser matched.
    #[arg(long)]
    pub missed: bool,
    /// JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `palisade blackbook …`
///
/// Works on the black book's SQLite file directly (the guard need not run); a running guard
/// picks the change up within `[blackbook] refresh` (2 s by default).
#[derive(Debug, Args)]
pub struct BlackbookArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BlackbookCommand,
    /// Config file whose `[blackbook]` to use [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The black book database, overriding the config.
    #[arg(long, value_name = "FILE", global = true)]
    pub database: Option<PathBuf>,
}

/// An import/export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BookFormat {
    /// `ip_or_cidr,reason,source,expires_at`
    Csv,
    /// An array of objects.
    Json,
    /// One address or network per line (fail2ban, CrowdSec lists).
    Plain,
}

/// `palisade blackbook list|ban|unban|export|import`
#[derive(Debug, Subcommand)]
pub enum BlackbookCommand {
    /// Active bans.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Bans an address or network (manual bans are never evicted).
    Ban {
        /// An IP address or CIDR network.
        target: String,
        /// How long, e.g. 1h, 7d [default: permanent].
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        duration: Option<std::time::Duration>,
        /// Why (shown in `list` and exports).
        #[arg(long, default_value = "banned by hand")]
        reason: String,
    },
    /// Lifts a ban (and forgets the target's previous bans).
    Unban {
        /// The address or network exactly as banned.
        target: String,
    },
    /// Prints active bans.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = BookFormat::Csv)]
        format: BookFormat,
    },
    /// Adds bans from a file (`-`: standard input); a bad line is an error naming it.
    Import {
        /// The file.
        file: PathBuf,
        /// Its format [default: from the extension, else plain].
        #[arg(long, value_enum)]
        format: Option<BookFormat>,
    },
}

/// `palisade pwned …`
#[derive(Debug, Subcommand)]
pub enum PwnedCommand {
    /// Converts a HIBP `HASH:COUNT` text file (sorted by hash) into the compact index the
    /// guard searches fastest (`[auth.pwned] file` reads either).
    Import {
        /// The HIBP text file.
        src: PathBuf,
        /// The index to write (atomically).
        dst: PathBuf,
    },
}

/// Where a `--payload` is placed in the request it is tested in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PayloadPlace {
    /// A query parameter `q`.
    Query,
    /// A form field `q` (application/x-www-form-urlencoded body).
    Form,
    /// A JSON body `{"q": PAYLOAD}`.
    Json,
    /// A cookie `q`.
    Cookie,
    /// The User-Agent header.
    Header,
    /// The URL path.
    Path,
}

/// `palisade detect`
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// A file holding a raw HTTP request (`-` or nothing: standard input).
    #[arg(value_name = "FILE", conflicts_with_all = ["url", "payload"])]
    pub file: Option<PathBuf>,
    /// Inspect a GET of this URL or path (e.g. "/search?q=1' or '1'='1").
    #[arg(long, value_name = "URL", conflicts_with = "payload")]
    pub url: Option<String>,
    /// Inspect this value, placed as `--in` says.
    #[arg(long, value_name = "TEXT")]
    pub payload: Option<String>,
    /// Where `--payload` goes.
    #[arg(long = "in", value_enum, default_value_t = PayloadPlace::Query)]
    pub place: PayloadPlace,
    /// Config file whose `[detect]` to apply [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override the paranoia level (1-4).
    #[arg(long, value_name = "LEVEL")]
    pub paranoia: Option<u8>,
    /// The verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where the event store is.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Config file whose `[events] database` to read [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The event database, overriding the config.
    #[arg(long, value_name = "FILE")]
    pub database: Option<PathBuf>,
}

/// Which events.
#[derive(Debug, Clone, Args)]
pub struct EventFilterArgs {
    /// Only events this recent, e.g. 1h, 30m, 7d.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// Only this category (repeatable), e.g. malicious_traffic, brute_force.
    #[arg(long = "category", value_name = "CATEGORY")]
    pub categories: Vec<palisade_core::Category>,
    /// Only events from this client IP.
    #[arg(long, value_name = "IP")]
    pub ip: Option<std::net::IpAddr>,
    /// Only events at least this severe (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub severity: Option<palisade_core::Severity>,
    /// One ECS JSON document per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `palisade events`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EventsArgs {
    /// `tail` or `stats`; without one, lists the newest events.
    #[command(subcommand)]
    pub command: Option<EventsCommand>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub filter: EventFilterArgs,
    /// At most this many events (newest first).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// `palisade events tail|stats`
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print new events as they are stored, until Ctrl-C.
    Tail {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        filter: EventFilterArgs,
        /// Also print this many of the newest existing events first.
        #[arg(long, default_value_t = 10)]
        last: usize,
    },
    /// Counts by hour and category.
    Stats {
        #[command(flatten)]
        store: StoreArgs,
        /// The period counted [default: 24h].
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        since: Option<std::time::Duration>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `palisade alerts …`
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Send a test message through a configured sink, right now, and report the outcome.
    Test {
        /// The sink's `name` in `[[sinks]]`.
        sink: String,
        /// Config file [default: ./palisade.toml].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `palisade guard`
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Address clients connect to [default: 127.0.0.1:8080, or the file's].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The app, e.g. http://127.0.0.1:3000.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Admin listener address (/healthz, /metrics) [default: 127.0.0.1:9181].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
}

/// `palisade run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The app's name in events, logs and `palisade status` [default: the command's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The port the app is told to listen on (`PORT`) [default: `[run] port`, else a free one].
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Address the guard listens on [default: 127.0.0.1:8080, or the file's].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Admin listener (status, restart, stop) [default: 127.0.0.1:9181, or a free port when busy].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Supervise only: no guard in front of the app.
    #[arg(long)]
    pub no_guard: bool,
    /// Which exits restart the app [default: `[run] restart`, on-failure].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub restart: Option<RestartWhen>,
    /// Restart when files under this path change (repeatable; adds to `[run.watch] paths`).
    #[arg(long, value_name = "PATH")]
    pub watch: Vec<PathBuf>,
    /// Restart when the app's memory goes over this, e.g. "512MiB".
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<bytesize::ByteSize>,
    /// Don't echo the app's output (it still goes to the log files).
    #[arg(long)]
    pub quiet: bool,
    /// The app's command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// `palisade audit`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// `db import|status`; without one, audits PATH.
    #[command(subcommand)]
    pub command: Option<AuditDbCommand>,
    /// A lockfile, or a directory searched for lockfiles (honouring .gitignore, skipping
    /// node_modules and target) [default: .].
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table, conflicts_with_all = ["json", "sarif", "markdown"])]
    pub format: AuditFormat,
    /// Same as `--format json`.
    #[arg(long, conflicts_with_all = ["sarif", "markdown"])]
    pub json: bool,
    /// Same as `--format sarif`.
    #[arg(long, conflicts_with = "markdown")]
    pub sarif: bool,
    /// Same as `--format markdown`.
    #[arg(long)]
    pub markdown: bool,
    /// Exit 1 when a vulnerability is at least this severe (low, moderate, high, critical)
    /// [default: low: any vulnerability].
    #[arg(long, value_name = "LEVEL", value_parser = parse_fail_on)]
    pub fail_on: Option<palisade_audit::FailOn>,
    /// Leave out development-only dependencies.
    #[arg(long)]
    pub no_dev: bool,
    /// Also report crates whose locked version was yanked (asks the crates.io sparse index, or
    /// the registry cargo's config replaces it with; answers cached for 15 minutes).
    #[arg(long)]
    pub yanked: bool,
    /// The ignore file [default: PATH/.palisade-audit.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// The advisory database [default: $PALISADE_ADVISORY_DB, else ~/.palisade/advisories].
    #[arg(long, value_name = "DIR", global = true)]
    pub database: Option<PathBuf>,
    /// Ask an OSV API instead of the local database (online), e.g. https://api.osv.dev: the
    /// lockfiles' packages are sent to `/v1/querybatch` and the matching records fetched.
    #[arg(long, value_name = "URL", conflicts_with = "watch")]
    pub osv_api: Option<String>,
    /// Keep watching: re-audit when a lockfile or the database changes, and record new
    /// findings as `vulnerable_dependency` events.
    #[arg(long)]
    pub watch: bool,
    /// How often `--watch` looks for changes.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub interval: std::time::Duration,
    /// Config file for `--watch`'s event store and sinks [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Don't save the report for the console's Dependencies page (saved by default in
    /// $PALISADE_REPORTS, else ~/.palisade/reports).
    #[arg(long)]
    pub no_save: bool,
}

impl AuditArgs {
    /// The output format, from `--format` or its shortcuts.
    pub fn output(&self) -> AuditFormat {
        match (self.json, self.sarif, self.markdown) {
            (true, _, _) => AuditFormat::Json,
            (_, true, _) => AuditFormat::Sarif,
            (_, _, true) => AuditFormat::Markdown,
            _ => self.format,
        }
    }
}

fn parse_fail_on(s: &str) -> Result<palisade_audit::FailOn, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not one of low, moderate, high, critical"))
}

/// `palisade audit db`
#[derive(Debug, Subcommand)]
pub enum AuditDbCommand {
    /// The advisory database.
    #[command(subcommand)]
    Db(DbCommand),
}

/// `palisade audit db import|remove|status`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import advisories: a directory of OSV records (JSON or YAML), an osv.dev `all.zip`, or a
    /// RustSec advisory-db checkout. Re-importing a source replaces it.
    Import {
        /// The directory or archive.
        source: PathBuf,
        /// The source's name in the database [default: from the source: `rustsec`,
        /// `osv-npm`, …].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Remove an imported source (by the name `db status` shows) and rebuild the index
    /// without it.
    Remove {
        /// The source's name.
        name: String,
    },
    /// Sources, counts and ages.
    Status {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `palisade audit --format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// A table for people (colour on a terminal).
    Table,
    /// Stable JSON (docs/audit-json.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// A pull-request comment.
    Markdown,
}

/// `--restart`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RestartWhen {
    /// After every exit.
    Always,
    /// After a crash (non-zero exit or signal).
    OnFailure,
    /// Never: `palisade run` ends with the app.
    Never,
}

/// Which supervised app, and how to reach it.
#[derive(Debug, Clone, Args)]
pub struct AppArgs {
    /// The app's name (`--name` of `palisade run`) [default: the only one running].
    pub name: Option<String>,
    /// Talk to this admin listener instead of looking the app up.
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// The admin token for `--admin`.
    #[arg(
        long,
        env = "PALISADE_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

/// `palisade status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub app: AppArgs,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `palisade demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address of the guarded demo [default: 127.0.0.1:8080, or a free port when busy].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Admin listener address [default: 127.0.0.1:9181, or a free port when busy].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// Config file to apply to the demo's guard.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `palisade config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file; exit 0 when valid, 2 with located errors otherwise.
    Check {
        /// The file [default: ./palisade.toml].
        file: Option<PathBuf>,
    },
    /// Print the effective configuration, every default filled in.
    Print {
        /// The file [default: ./palisade.toml when it exists, else built-in defaults].
        file: Option<PathBuf>,
    },
}

/// `palisade headers`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HeadersArgs {
    /// `check` or `csp-suggest`; without one, print the policy.
    #[command(subcommand)]
    pub command: Option<HeadersCommand>,
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show only the policy that applies to this request path.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Show the policy for plain-HTTP responses (no HSTS, no `upgrade-insecure-requests`
    /// when `tls_aware`), instead of HTTPS ones.
    #[arg(long)]
    pub http: bool,
}

/// `palisade headers …`
#[derive(Debug, Subcommand)]
pub enum HeadersCommand {
    /// Fetch a URL and grade its headers and cookies the way the Mozilla HTTP Observatory
    /// scores them: each test, its modifier, the score and the grade.
    Check(HeadersCheckArgs),
    /// Propose the CSP allowlist that would have permitted the legitimate sources seen in the
    /// stored violation reports (to move from report-only to enforcing).
    CspSuggest(CspSuggestArgs),
}

/// `palisade headers check`
#[derive(Debug, Args)]
pub struct HeadersCheckArgs {
    /// The page to grade (`https://…` or `http://…`).
    #[arg(value_name = "URL")]
    pub url: String,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where the site answers plain HTTP, for the redirection test [default: the URL with
    /// `http://` on port 80, when the URL uses the default port].
    #[arg(long, value_name = "URL")]
    pub http_url: Option<String>,
    /// Also trust this CA certificate (PEM), e.g. a test or internal CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Exit 1 when the grade is below this one (e.g. `A`, `B+`).
    #[arg(long, value_name = "GRADE")]
    pub fail_under: Option<String>,
    /// Request timeout.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
}

/// `palisade headers csp-suggest`
#[derive(Debug, Args)]
pub struct CspSuggestArgs {
    /// Config file [default: ./palisade.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The events database, overriding the config.
    #[arg(long, value_name = "FILE")]
    pub database: Option<PathBuf>,
    /// Only reports received within this long.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub since: std::time::Duration,
    /// A source must be reported by at least this many client addresses to be proposed
    /// (one client alone is more likely an extension or an attack than the site).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub min_clients: usize,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `palisade outdated` and `palisade update` share: the project and the registries.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// The project directory (package.json and/or Cargo.toml, with their lockfiles).
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// How long registry answers are reused from the cache.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub cache_ttl: std::time::Duration,
    /// Ask the registries again, ignoring the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Registry requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// The advisory database used to mark updates that fix vulnerabilities
    /// [default: $PALISADE_ADVISORY_DB, else $PALISADE_HOME/advisories; skipped when empty].
    #[arg(long, value_name = "DIR")]
    pub database: Option<PathBuf>,
}

/// `palisade outdated`
#[derive(Debug, Args)]
pub struct OutdatedArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List every dependency, also the current ones.
    #[arg(long)]
    pub all: bool,
    /// Don't save the result for the console's Dependencies page (saved by default in
    /// $PALISADE_REPORTS, else ~/.palisade/reports).
    #[arg(long)]
    pub no_save: bool,
}

/// `palisade update`
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The test command, run with `sh -c` in the project directory of each trial.
    #[arg(long, value_name = "CMD")]
    pub test: String,
    /// Only these packages (repeatable).
    #[arg(long, value_name = "PKG")]
    pub only: Vec<String>,
    /// Try updates that fix known vulnerabilities first.
    #[arg(long)]
    pub security_first: bool,
    /// Turn each passing update into a branch `palisade/update-<pkg>-<version>` with one
    /// commit (Greenkeeper).
    #[arg(long)]
    pub commit: bool,
    /// `patch`: all passing patch updates on one branch.
    #[arg(long, value_name = "KIND", value_parser = ["patch"])]
    pub group: Option<String>,
    /// Test all updates at once first; on failure, bisect to the breaking ones (about
    /// log2(n) test runs instead of n).
    #[arg(long)]
    pub together: bool,
    /// Update to the highest version the declared range allows, not the latest.
    #[arg(long)]
    pub wanted: bool,
    /// The test command's timeout.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    /// Print the plan without running anything.
    #[arg(long)]
    pub dry_run: bool,
    /// JSON results instead of a table.
    #[arg(long)]
    pub json: bool,
}
