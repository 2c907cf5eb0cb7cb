//! The `[auth]` file structs: what `palisade.toml` spells, with defaults. Validated once by
//! [`AuthConfig::validate`](crate::AuthConfig::validate) into [`AuthSettings`](crate::AuthSettings).

use serde::{Deserialize, Serialize};

/// `[auth]`: login monitoring. Every table and key is optional; an empty `[auth]` watches
/// nothing until a `[[auth.login]]` route is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `[[auth.login]]`: the app's login routes.
    pub login: Vec<LoginRouteConfig>,
    /// `[[auth.account_change]]`: routes that change an account's email, password, MFA or profile.
    pub account_change: Vec<AccountChangeConfig>,
    /// How usernames are compared: `"lower"` (trimmed, lowercased; default) or `"exact"`.
    pub username_case: String,
    /// IPv4 prefix length that groups addresses (default 24).
    pub ipv4_prefix: u8,
    /// IPv6 prefix length that groups addresses (default 64).
    pub ipv6_prefix: u8,
    /// `[auth.brute_force]`: failures from one IP.
    pub brute_force: BruteForceConfig,
    /// `[auth.prefix]`: failures from one IP prefix.
    pub prefix: PrefixConfig,
    /// `[auth.user]`: per-username protection (risk header, optional 429).
    pub user: UserConfig,
    /// `[auth.stuffing]`: credential stuffing and failure spikes.
    pub stuffing: StuffingConfig,
    /// `[auth.new_ip]`: logins from a prefix never seen for the user, and the report link.
    pub new_ip: NewIpConfig,
    /// `[auth.pwned]`: breached-password checks.
    pub pwned: PwnedConfig,
    /// `[auth.limits]`: memory caps.
    pub limits: LimitsConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            login: Vec::new(),
            account_change: Vec::new(),
            username_case: "lower".into(),
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            brute_force: BruteForceConfig::default(),
            prefix: PrefixConfig::default(),
            user: UserConfig::default(),
            stuffing: StuffingConfig::default(),
            new_ip: NewIpConfig::default(),
            pwned: PwnedConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

/// `[[auth.login]]`: one login route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRouteConfig {
    /// A name for events (default `"METHOD path"`).
    #[serde(default)]
    pub name: Option<String>,
    /// HTTP method (default `POST`).
    #[serde(default = "post")]
    pub method: String,
    /// Exact path, without query (`/login`).
    pub path: String,
    /// Where the username is: `form:NAME`, `json:/pointer`, `query:NAME`, `header:NAME`.
    pub username: String,
    /// Where the password is (same selectors). Optional: without it no breached-password check.
    #[serde(default)]
    pub password: Option<String>,
    /// Where the user's email is, when the username is not one (same selectors).
    #[serde(default)]
    pub email: Option<String>,
    /// What a successful login looks like.
    #[serde(default)]
    pub success: SuccessConfig,
    /// What a failed login looks like. Default: anything that is not a success.
    #[serde(default)]
    pub failure: Option<FailureConfig>,
}

/// `success = { … }`: every given condition must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuccessConfig {
    /// Accepted statuses. Empty (default): any 2xx or 3xx.
    pub status: Vec<u16>,
    /// A `Location` starting with this prefix is a failure (`/login?error`).
    pub location_not: Option<String>,
    /// A response body containing this text is a failure (needs the response body).
    pub body_not_contains: Option<String>,
}

/// `failure = { … }`: when set, only matching responses count as failures; the rest (500s,
/// 429s) are neither success nor failure.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailureConfig {
    /// Statuses that mean a failed login (`[401, 403]`, or `[200]` for apps that re-render the form).
    pub status: Vec<u16>,
    /// A `Location` starting with this prefix means a failed login.
    pub location: Option<String>,
}

/// `[[auth.account_change]]`: one account-change route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountChangeConfig {
    /// HTTP method (default `POST`).
    #[serde(default = "post")]
    pub method: String,
    /// Exact path, without query.
    pub path: String,
    /// `"email"`, `"password"`, `"mfa"` or `"profile"`.
    pub kind: String,
    /// Where the acting user is named (a selector), e.g. `header:X-Auth-User`. Optional.
    #[serde(default)]
    pub user: Option<String>,
    /// What a successful change looks like (default: any 2xx or 3xx).
    #[serde(default)]
    pub success: SuccessConfig,
}

/// `[auth.brute_force]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BruteForceConfig {
    /// Failures from one IP within `window` that make a brute force (default 10).
    pub failures: u32,
    /// The sliding window (default `"5m"`).
    pub window: String,
    /// How long the guard should ban the IP (default `"1h"`; `"0s"`: no ban, event only).
    pub ban: String,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        BruteForceConfig {
            failures: 10,
            window: "5m".into(),
            ban: "1h".into(),
        }
    }
}

/// `[auth.prefix]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrefixConfig {
    /// Failures from one prefix (`ipv4_prefix`/`ipv6_prefix`) within `window` (default 50).
    pub failures: u32,
    /// The sliding window (default `"10m"`).
    pub window: String,
}

impl Default for PrefixConfig {
    fn default() -> Self {
        PrefixConfig {
            failures: 50,
            window: "10m".into(),
        }
    }
}

/// `[auth.user]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserConfig {
    /// Failures on one username within `window` that raise its risk to `elevated` (default 5).
    pub risk_failures: u32,
    /// Failures that raise it to `high` (default 20).
    pub block_failures: u32,
    /// The sliding window (default `"15m"`).
    pub window: String,
    /// Answer `429` to logins for a `high`-risk username from IPs not known for it (default false).
    pub block: bool,
    /// How long `high` lasts without a success from a known IP (default `"15m"`).
    pub cooldown: String,
}

impl Default for UserConfig {
    fn default() -> Self {
        UserConfig {
            risk_failures: 5,
            block_failures: 20,
            window: "15m".into(),
            block: false,
            cooldown: "15m".into(),
        }
    }
}

/// `[auth.stuffing]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StuffingConfig {
    /// Distinct usernames failing from one IP within `window` (default 5).
    pub users_per_ip: u32,
    /// Distinct IPs failing on one username within `window` (default 5).
    pub ips_per_user: u32,
    /// The sliding window (default `"10m"`).
    pub window: String,
    /// Global failure ratio that makes a spike (default 0.8).
    pub spike_ratio: f64,
    /// Attempts needed within `spike_window` before the ratio means anything (default 50).
    pub spike_min_attempts: u32,
    /// The window of the global ratio (default `"5m"`).
    pub spike_window: String,
}

impl Default for StuffingConfig {
    fn default() -> Self {
        StuffingConfig {
            users_per_ip: 5,
            ips_per_user: 5,
            window: "10m".into(),
            spike_ratio: 0.8,
            spike_min_attempts: 50,
            spike_window: "5m".into(),
        }
    }
}

/// `[auth.new_ip]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewIpConfig {
    /// Watch for logins from new prefixes (default true).
    pub enabled: bool,
    /// Also report a user's very first login (default false: the first prefix is learnt silently).
    pub alert_first_login: bool,
    /// HMAC secret for "this wasn't me" links (at least 32 bytes). Without it, no links.
    pub secret: Option<String>,
    /// Public base URL of the site for links (`https://app.example.com`). Needed with `secret`.
    pub link_base: Option<String>,
    /// How long a link stays valid (default `"7d"`).
    pub link_ttl: String,
    /// How long an IP reported through a link is banned (default `"24h"`).
    pub report_ban: String,
    /// The `[[sinks]]` entry (kind `email`) whose relay mails users about new-IP logins, with
    /// the report link. Optional: without it, `new_ip_login` events only. The binary checks
    /// the name.
    pub mail_sink: Option<String>,
}

impl Default for NewIpConfig {
    fn default() -> Self {
        NewIpConfig {
            enabled: true,
            alert_first_login: false,
            secret: None,
            link_base: None,
            link_ttl: "7d".into(),
            report_ban: "24h".into(),
            mail_sink: None,
        }
    }
}

/// `[auth.pwned]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PwnedConfig {
    /// A local Pwned Passwords file (HIBP `HASH:COUNT` text, sorted, or `palisade pwned import`'s index).
    pub file: Option<String>,
    /// Base URL of a k-anonymity range API (`https://api.pwnedpasswords.com`). Optional.
    pub api: Option<String>,
    /// Timeout of one range request (default `"2s"`).
    pub api_timeout: String,
    /// Ranges kept in the cache (default 4096).
    pub cache_ranges: usize,
    /// How long a cached range is trusted (default `"1h"`).
    pub cache_ttl: String,
    /// Breach count from which a password counts as breached (default 1).
    pub min_count: u64,
    /// Also report breached passwords on failed logins (default false: only on success).
    pub alert_on_failure: bool,
    /// Refuse (403) a login whose password is breached, before the app sees it (default
    /// false: the app gets the `X-Palisade-Breached-Password` header and decides).
    pub block: bool,
}

impl Default for PwnedConfig {
    fn default() -> Self {
        PwnedConfig {
            file: None,
            api: None,
            api_timeout: "2s".into(),
            cache_ranges: 4096,
            cache_ttl: "1h".into(),
            min_count: 1,
            alert_on_failure: false,
            block: false,
        }
    }
}

/// `[auth.limits]`: caps on every map the monitor keeps (least recently used entries go first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// IPs tracked (default 100 000).
    pub ips: usize,
    /// Usernames tracked (default 100 000).
    pub users: usize,
    /// IP prefixes tracked (default 50 000).
    pub prefixes: usize,
    /// Known (user, prefix) pairs kept in memory (default 200 000).
    pub known_pairs: usize,
    /// Used report-link nonces remembered (default 100 000).
    pub used_nonces: usize,
    /// Usernames longer than this are cut (default 256 bytes).
    pub username_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            ips: 100_000,
            users: 100_000,
            prefixes: 50_000,
            known_pairs: 200_000,
            used_nonces: 100_000,
            username_bytes: 256,
        }
    }
}

fn post() -> String {
    "POST".into()
}
