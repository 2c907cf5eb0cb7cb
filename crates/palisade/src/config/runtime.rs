//! Validating the file config (plus CLI overrides) into the libraries' runtime settings.

use std::net::SocketAddr;
use std::sync::Arc;

use palisade_guard::{GuardSettings, Timeouts, TlsFiles, TrustedProxies, Upstream};
use palisade_headers::Policy;

use super::error::ConfigError;
use super::file::FileConfig;
use super::load::locate;

/// Command-line values that win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--upstream`
    pub upstream: Option<String>,
    /// `--admin`
    pub admin: Option<SocketAddr>,
}

/// Everything validated, ready to run.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The guard's settings.
    pub guard: GuardSettings,
    /// The admin token, if configured.
    pub admin_token: Option<String>,
    /// The event pipeline's settings; `None` when `[events] enabled = false`.
    pub events: Option<palisade_events::EventsSettings>,
    /// The black book, validated but not opened; `None` when off. `palisade guard` opens it
    /// into `guard.blackbook`.
    pub blackbook: Option<super::protect::BlackbookPlan>,
    /// `[run]`, validated: `palisade run` turns it into the supervisor's settings.
    pub run: super::run::RunPlan,
}

/// Where the config came from, so later errors can point into it.
pub struct Source<'a> {
    /// Display name.
    pub name: &'a str,
    /// The text (empty when there was no file).
    pub text: &'a str,
}

impl Runtime {
    /// Validates `cfg` with `over` applied on top.
    pub fn build(
        cfg: &FileConfig,
        over: &Overrides,
        src: &Source<'_>,
    ) -> Result<Self, ConfigError> {
        let located = |path: &[&str], message: String| {
            let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
            match locate(src.text, &path) {
                Some(off) => err.at(src.text, off),
                None => err,
            }
        };

        let headers = Policy::from_config(&cfg.headers).map_err(|e| {
            let mut path = vec!["headers".to_owned()];
            path.extend(e.path().iter().cloned());
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            located(&refs, format!("`{}`: {}", path.join("."), e.message()))
        })?;

        let upstream_url = over
            .upstream
            .clone()
            .or_else(|| cfg.guard.upstream.clone())
            .ok_or_else(|| {
                ConfigError::whole_file(
                    src.name,
                    "no upstream: the guard needs to know where the app listens",
                )
                .with_key("guard.upstream")
                .with_hint("pass --upstream http://127.0.0.1:3000 or set `upstream` under [guard]")
            })?;
        let upstream = Upstream::parse(&upstream_url).map_err(|e| {
            if over.upstream.is_some() {
                ConfigError::whole_file("--upstream", e.to_string())
            } else {
                located(&["guard", "upstream"], e.to_string())
            }
        })?;

        let admin_listen = over.admin.unwrap_or(cfg.admin.listen);
        // Asking for an admin address on the command line is asking for the listener.
        let admin_enabled = cfg.admin.enabled || over.admin.is_some();
        let admin_token = cfg.admin.token.clone().filter(|t| !t.is_empty());
        if admin_token.as_deref() == Some(super::file::REDACTED) {
            return Err(located(
                &["admin", "token"],
                "`admin.token` is the placeholder `config print` writes, not a secret".to_owned(),
            )
            .with_hint("set a token of your own (e.g. `openssl rand -hex 32`)"));
        }
        if admin_enabled && !admin_listen.ip().is_loopback() && admin_token.is_none() {
            let message = format!(
                "the admin listener on {admin_listen} is reachable from other machines but has no token"
            );
            let err = match over.admin {
                Some(_) => ConfigError::whole_file("--admin", message),
                None => located(&["admin", "listen"], message),
            };
            return Err(err.with_hint("set `token` under [admin], or listen on 127.0.0.1"));
        }

        if let Some(tls) = &cfg.guard.tls {
            for (key, file) in [("cert", &tls.cert), ("key", &tls.key)] {
                if let Err(e) = std::fs::File::open(file) {
                    return Err(located(
                        &["guard", "tls", key],
                        format!("`guard.tls.{key}`: cannot read {}: {e}", file.display()),
                    ));
                }
            }
        }

        let t = &cfg.guard.timeouts;
        let timeouts = Timeouts {
            client_header: t.client_header,
            client_body: t.client_body,
            client_send: t.client_send,
            upstream_connect: t.upstream_connect,
            upstream_response: t.upstream_response,
            keepalive: t.keepalive,
            drain: t.drain,
        };
        for (name, d) in [
            ("client_header", timeouts.client_header),
            ("client_body", timeouts.client_body),
            ("client_send", timeouts.client_send),
            ("upstream_connect", timeouts.upstream_connect),
            ("upstream_response", timeouts.upstream_response),
        ] {
            if d.is_zero() {
                return Err(located(
                    &["guard", "timeouts", name],
                    format!("`guard.timeouts.{name}` must be longer than zero"),
                ));
            }
        }
        // pingora counts keep-alive in whole seconds and reads 0 as "no limit at all",
        // which would let idle connections pile up forever.
        if timeouts.keepalive < std::time::Duration::from_secs(1) {
            return Err(located(
                &["guard", "timeouts", "keepalive"],
                "`guard.timeouts.keepalive` must be at least 1s".to_owned(),
            ));
        }

        // Trusting every address makes X-Forwarded-For the client's to choose, which
        // undoes the point of the setting; a deployment behind a load balancer lists
        // the balancer's networks instead.
        if let Some(pos) = cfg
            .guard
            .trusted_proxies
            .iter()
            .position(|net| net.prefix_len() == 0)
        {
            let net = cfg.guard.trusted_proxies[pos];
            return Err(located(
                &["guard", "trusted_proxies"],
                format!("`guard.trusted_proxies` contains {net}, which trusts every client's X-Forwarded-For"),
            )
            .with_hint("list the networks of your load balancers or proxies, e.g. \"10.0.0.0/8\""));
        }

        let listen = over.listen.unwrap_or(cfg.guard.listen);
        if admin_enabled && same_socket(admin_listen, listen) {
            return Err(ConfigError::whole_file(
                src.name,
                format!("the guard and the admin listener both want {listen}"),
            )
            .with_key("admin.listen")
            .with_hint("give [admin] listen (or --admin) another port"));
        }
        if same_socket(upstream.addr, listen) {
            return Err(ConfigError::whole_file(
                src.name,
                format!(
                    "the upstream {} is the guard's own listener: requests would loop",
                    upstream.url
                ),
            )
            .with_key("guard.upstream"));
        }

        let threads = match cfg.guard.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let events = super::events::settings(cfg, src)?;
        let detect = super::detect::settings(&cfg.detect, src)?;
        let blackbook = super::protect::blackbook(cfg, src)?;
        let ratelimit = super::protect::ratelimit(cfg, src)?;
        let auth = super::auth::settings(cfg, src)?;
        let run = super::run::plan(cfg, src)?;
        if let Some(port) = run.port {
            // The app would fight the guard (or the admin listener) for the port: apps
            // commonly bind every address, which clashes with any listener on it.
            let taken = [
                ("guard", Some(listen)),
                ("admin", admin_enabled.then_some(admin_listen)),
            ]
            .into_iter()
            .find_map(|(who, addr)| addr.filter(|a| a.port() == port).map(|a| (who, a)));
            if let Some((who, addr)) = taken {
                return Err(located(
                    &["run", "port"],
                    format!("`run.port` {port} is the {who} listener's ({addr})"),
                )
                .with_hint("give the app a port of its own, or leave `port` out for a free one"));
            }
        }
        Ok(Runtime {
            events,
            blackbook,
            run,
            guard: GuardSettings {
                listen,
                upstream,
                tls: cfg.guard.tls.as_ref().map(|t| TlsFiles {
                    cert: t.cert.clone(),
                    key: t.key.clone(),
                }),
                trusted_proxies: TrustedProxies::new(cfg.guard.trusted_proxies.clone()),
                timeouts,
                max_request_body: cfg.guard.max_request_body.as_u64(),
                admin: admin_enabled.then_some(admin_listen),
                headers: Arc::new(headers),
                threads,
                detect,
                blackbook: None,
                ratelimit,
                auth,
                admin_routes: None,
            },
            admin_token,
        })
    }
}

/// Whether two addresses would claim the same socket: same port, and the same IP or
/// either one unspecified (`0.0.0.0` / `[::]` take every address).
fn same_socket(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn build(text: &str, over: Overrides) -> Result<Runtime, ConfigError> {
        let cfg = load_str(text, "p.toml")?;
        Runtime::build(
            &cfg,
            &over,
            &Source {
                name: "p.toml",
                text,
            },
        )
    }

    #[test]
    fn flags_override_the_file() {
        let text = "[guard]\nlisten = \"127.0.0.1:1111\"\nupstream = \"http://127.0.0.1:2222\"\n";
        let rt = build(text, Overrides::default()).unwrap();
        assert_eq!(rt.guard.listen.port(), 1111);
        let rt = build(
            text,
            Overrides {
                listen: Some("127.0.0.1:3333".parse().unwrap()),
                upstream: Some("http://127.0.0.1:4444".into()),
                admin: None,
            },
        )
        .unwrap();
        assert_eq!(rt.guard.listen.port(), 3333);
        assert_eq!(rt.guard.upstream.addr.port(), 4444);
    }

    #[test]
    fn missing_upstream_says_how_to_fix() {
        let err = build("", Overrides::default()).unwrap_err();
        assert!(err.hint.as_deref().unwrap().contains("--upstream"));
    }

    #[test]
    fn public_admin_needs_a_token() {
        let text =
            "[guard]\nupstream = \"http://127.0.0.1:1\"\n[admin]\nlisten = \"0.0.0.0:9181\"\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert_eq!(err.position, Some((4, 1)));
        let ok = format!("{text}token = \"s3cret\"\n");
        assert!(build(&ok, Overrides::default()).is_ok());
    }

    #[test]
    fn trusting_everyone_is_refused() {
        let text = "[guard]\nupstream = \"http://127.0.0.1:1\"\ntrusted_proxies = [\"10.0.0.0/8\", \"0.0.0.0/0\"]\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(3));
        assert!(err.message.contains("0.0.0.0/0"), "{err}");
        let ok = "[guard]\nupstream = \"http://127.0.0.1:1\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n";
        assert!(build(ok, Overrides::default()).is_ok());
    }

    #[test]
    fn listeners_must_not_collide() {
        let text = "[guard]\nlisten = \"127.0.0.1:7000\"\nupstream = \"http://127.0.0.1:7000\"\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert!(err.message.contains("loop"), "{err}");
        let text = "[guard]\nlisten = \"127.0.0.1:7001\"\nupstream = \"http://127.0.0.1:1\"\n[admin]\nlisten = \"127.0.0.1:7001\"\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("admin.listen"));
        let text = "[guard]\nlisten = \"0.0.0.0:7002\"\nupstream = \"http://127.0.0.1:7002\"\n";
        assert!(
            build(text, Overrides::default()).is_err(),
            "0.0.0.0 covers 127.0.0.1"
        );
    }

    #[test]
    fn the_redaction_placeholder_is_not_a_token() {
        let text = "[guard]\nupstream = \"http://127.0.0.1:1\"\n[admin]\ntoken = \"<redacted>\"\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(4));
    }

    #[test]
    fn policy_errors_point_into_the_file() {
        let text = "[guard]\nupstream = \"http://127.0.0.1:1\"\n\n[headers.content_security_policy]\nuse_defaults = false\ndirectives = { img-src = [\"*\"] }\n";
        let err = build(text, Overrides::default()).unwrap_err();
        assert!(err.position.is_some(), "{err}");
        assert!(err.message.contains("default-src"), "{err}");
    }
}
