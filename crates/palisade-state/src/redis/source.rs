//! Which Redis server to talk to now: the one in the URL, or the master that Redis Sentinel
//! names for a service.
//!
//! With Sentinel the master can move: after a failover the old master is unreachable, or
//! comes back as a replica that refuses writes (`READONLY`). Every connection therefore
//! goes through [`Source::client`], which answers from a cache; the caller drops the cache
//! with [`Source::invalidate`] whenever Redis fails (see `Shared::mark_down`), and the next
//! connection asks the sentinels again. That is the resolution the Sentinel client
//! guidelines describe: ask each sentinel in turn for `get-master-addr-by-name`, then
//! confirm with `ROLE` on the answer (a sentinel cut off from its peers may still name the
//! old master).
//!
//! The `redis` crate's own `sentinel` module is not used: its synchronous client connects
//! without a timeout, and a guard must never wait longer than [`RedisConfig::timeout`] on
//! a silent node.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use ::redis::{
    Client, ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisError, RedisResult,
    Role, TlsCertificates,
};

use super::RedisConfig;
use super::scripts::Keys;
use super::shards::{Shards, with_host};
use crate::error::StateError;

/// Where connections go.
pub(crate) struct Source {
    /// The server of the URL.
    direct: Client,
    /// When set, the master these sentinels name instead, cached until
    /// [`Source::invalidate`].
    sentinels: Option<Sentinels>,
    /// When set, the Redis Cluster master of the deployment's slot instead (see
    /// [`Shards`]), cached likewise.
    shards: Option<Shards>,
}

/// A set of sentinels watching one service.
pub(crate) struct Sentinels {
    /// Asked in this order; the first that names a confirmed master wins.
    nodes: Vec<ConnectionInfo>,
    /// The service name (`sentinel monitor <name> …`).
    master: String,
    /// The URL's settings (database, user, password, TLS) for the data nodes: only the
    /// address is replaced by the one the sentinels give.
    data: ConnectionInfo,
    /// Bound on each connect and each command while resolving.
    timeout: Duration,
    /// The confirmed master, until something fails.
    current: Cached,
}

impl Source {
    /// Parses the URL and, with sentinels, their addresses and the service name; does not
    /// connect. Errors never quote a URL (it may hold a password).
    pub(crate) fn new(redis: &RedisConfig) -> Result<Source, StateError> {
        let client = Client::open(redis.url.as_str())
            .map_err(|e| StateError::Config(format!("redis url: {}", e.category())))?;
        let roots = match &redis.ca_file {
            Some(path) => Some(ca_roots(path, client.get_connection_info())?),
            None => None,
        };
        // Every connection starts from this client (or, with Sentinel, from its
        // `ConnectionInfo`, TLS settings included), so the CA reaches the pooled
        // connections, the subscriber and the async manager alike.
        let client = match &roots {
            Some(tls) => trusting(client.get_connection_info().clone(), tls)?,
            None => client,
        };
        let master = redis.master.as_deref().map(str::trim);
        if !redis.cluster.is_empty() {
            return cluster_source(redis, client, master.is_some());
        }
        if redis.sentinels.is_empty() {
            return match master {
                Some(_) => Err(StateError::Config(
                    "redis master needs the sentinels that watch it".into(),
                )),
                None => Ok(Source {
                    direct: client,
                    sentinels: None,
                    shards: None,
                }),
            };
        }
        let master = match master {
            Some(m) if !m.is_empty() && !m.contains(char::is_whitespace) => m.to_owned(),
            _ => {
                return Err(StateError::Config(
                    "redis sentinels need the master's service name (a word)".into(),
                ));
            }
        };
        let nodes = redis
            .sentinels
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let node = sentinel_node(s).map_err(|why| {
                    StateError::Config(format!("redis sentinel #{}: {why}", i + 1))
                })?;
                // A sentinel behind TLS is most likely under the same private CA.
                match (&roots, node.addr()) {
                    (Some(tls), ConnectionAddr::TcpTls { .. }) => {
                        Ok(trusting(node, tls)?.get_connection_info().clone())
                    }
                    _ => Ok::<_, StateError>(node),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Source {
            sentinels: Some(Sentinels {
                nodes,
                master,
                data: client.get_connection_info().clone(),
                timeout: redis.timeout,
                current: Cached::default(),
            }),
            shards: None,
            direct: client,
        })
    }

    /// The client for the server to talk to now: for Sentinel, the cached master, or the
    /// one the sentinels name when nothing is cached.
    pub(crate) fn client(&self) -> RedisResult<Client> {
        if let Some(shards) = &self.shards {
            return shards.client();
        }
        match &self.sentinels {
            None => Ok(self.direct.clone()),
            Some(s) => s.current.get_or(|| s.resolve()),
        }
    }

    /// Redis failed: the master may have moved, so the next [`Source::client`] asks the
    /// sentinels again. Nothing to forget for a direct server.
    pub(crate) fn invalidate(&self) {
        if let Some(shards) = &self.shards {
            shards.invalidate();
        }
        if let Some(s) = &self.sentinels {
            s.current.forget();
        }
    }
}

/// A connection to `node` whose connect, reads and writes are each bounded by `timeout`.
pub(crate) fn bounded(
    node: &ConnectionInfo,
    timeout: Duration,
) -> RedisResult<::redis::Connection> {
    let conn = Client::open(node.clone())?.get_connection_with_timeout(timeout)?;
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))?;
    Ok(conn)
}

/// The client for the node at `host:port` (with `data`'s password, database and TLS) when
/// `ROLE` says it is a master; `None` when it is a replica.
pub(crate) fn confirmed_master(
    data: &ConnectionInfo,
    host: String,
    port: u16,
    timeout: Duration,
) -> RedisResult<Option<Client>> {
    let info = data.clone().set_addr(with_host(data.addr(), host, port));
    let role: Role = ::redis::cmd("ROLE").query(&mut bounded(&info, timeout)?)?;
    if !matches!(role, Role::Primary { .. }) {
        return Ok(None);
    }
    Client::open(info).map(Some)
}

/// The server found to talk to (by sentinels or cluster seeds), until something fails.
/// Held while resolving, so threads that all find it empty ask once, not once each.
#[derive(Default)]
pub(crate) struct Cached(Mutex<Option<Client>>);

impl Cached {
    /// The cached client, or the one `resolve` finds (then cached).
    pub(crate) fn get_or(
        &self,
        resolve: impl FnOnce() -> RedisResult<Client>,
    ) -> RedisResult<Client> {
        let mut current = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = current.as_ref() {
            return Ok(c.clone());
        }
        let client = resolve()?;
        *current = Some(client.clone());
        Ok(client)
    }

    /// Forgets it: the next [`Cached::get_or`] resolves again.
    pub(crate) fn forget(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl Sentinels {
    /// Asks each sentinel in turn; the error of the last one when none names a master.
    fn resolve(&self) -> RedisResult<Client> {
        let mut last = None;
        for node in &self.nodes {
            match self.ask(node) {
                Ok(client) => return Ok(client),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| self.no_master("no sentinel configured")))
    }

    /// One sentinel's answer, confirmed by `ROLE` on the node it names.
    fn ask(&self, node: &ConnectionInfo) -> RedisResult<Client> {
        let mut conn = bounded(node, self.timeout)?;
        let named: Option<(String, u16)> = ::redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.master)
            .query(&mut conn)?;
        let Some((host, port)) = named else {
            return Err(self.no_master("the sentinel does not know the service"));
        };
        // Right after a failover a sentinel may still name the old master, which now
        // answers as a replica (or not at all): keep looking rather than write to it.
        let Some(client) = confirmed_master(&self.data, host.clone(), port, self.timeout)? else {
            return Err(self.no_master("the node the sentinel names is not a master"));
        };
        tracing::info!(
            "black book: Redis Sentinel names {host}:{port} as the master of `{}`",
            self.master
        );
        Ok(client)
    }

    /// An outage-class error (see `is_outage`): retrying later may find the master.
    fn no_master(&self, why: &'static str) -> RedisError {
        RedisError::from((
            ErrorKind::MasterNameNotFoundBySentinel,
            why,
            format!("service `{}`", self.master),
        ))
    }
}

/// The CA certificates of `ca_file`, trusted instead of the system roots.
struct CaRoots<'a> {
    /// For errors.
    path: &'a Path,
    /// The PEM bundle.
    pem: Vec<u8>,
}

/// Reads `ca_file` for a client of `url`. Refused unless `url` is TLS, before the file is
/// read: a CA for a plain-text connection means the operator meant TLS, and ignoring it
/// would send the password in the clear. Errors name the path, never the URL.
fn ca_roots<'a>(path: &'a Path, url: &ConnectionInfo) -> Result<CaRoots<'a>, StateError> {
    if !matches!(url.addr(), ConnectionAddr::TcpTls { .. }) {
        return Err(StateError::Config("ca_file needs a rediss:// url".into()));
    }
    let pem = std::fs::read(path)
        .map_err(|e| StateError::Config(format!("redis ca_file {}: {e}", path.display())))?;
    // An empty trust store would only fail later, at every handshake, with a vaguer error.
    if !pem
        .windows(CERT_HEADER.len())
        .any(|w| w == CERT_HEADER.as_bytes())
    {
        return Err(StateError::Config(format!(
            "redis ca_file {}: no PEM certificate in it",
            path.display()
        )));
    }
    Ok(CaRoots { path, pem })
}

const CERT_HEADER: &str = "-----BEGIN CERTIFICATE-----";

/// A client for `info` (a `rediss://` address) that trusts only `roots`.
fn trusting(info: ConnectionInfo, roots: &CaRoots<'_>) -> Result<Client, StateError> {
    let certs = TlsCertificates {
        client_tls: None,
        root_cert: Some(roots.pem.clone()),
    };
    // The crate's error here is about the PEM (a certificate it cannot parse), never the
    // URL.
    Client::build_with_tls(info, certs)
        .map_err(|e| StateError::Config(format!("redis ca_file {}: {e}", roots.path.display())))
}

/// A Redis Cluster source: the seed nodes (`host:port`) with the URL's password and TLS,
/// asked for the master of the deployment's slot. Errors never quote an entry.
fn cluster_source(redis: &RedisConfig, client: Client, master: bool) -> Result<Source, StateError> {
    if !redis.sentinels.is_empty() || master {
        return Err(StateError::Config(
            "redis cluster: a cluster is not behind sentinels; set `cluster` or `sentinels`, not both"
                .into(),
        ));
    }
    let data = client.get_connection_info().clone();
    if data.redis_settings().db() != 0 {
        return Err(StateError::Config(
            "redis cluster: a cluster has only database 0; drop the /N from the url".into(),
        ));
    }
    let seeds = redis
        .cluster
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            match entry.trim().rsplit_once(':') {
                Some((host, port)) if !host.is_empty() => match port.parse::<u16>() {
                    Ok(port) => Ok(data.clone().set_addr(with_host(
                        data.addr(),
                        host.trim_matches(['[', ']']).to_owned(),
                        port,
                    ))),
                    Err(_) => Err(()),
                },
                _ => Err(()),
            }
            .map_err(|()| {
                StateError::Config(format!(
                    "redis cluster node #{}: expected `host:port`",
                    i + 1
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Source {
        shards: Some(Shards::new(
            seeds,
            Keys::new(&redis.prefix).index(),
            redis.timeout,
        )),
        sentinels: None,
        direct: client,
    })
}

/// A sentinel's address: `host:port`, or a `redis://`/`rediss://` URL for a sentinel with
/// its own password or TLS. The reason never quotes the entry (a URL may hold a password).
fn sentinel_node(entry: &str) -> Result<ConnectionInfo, String> {
    let entry = entry.trim();
    let url = if entry.contains("://") {
        entry.to_owned()
    } else {
        // Sentinels listen on 26379, not the crate's default 6379: make the port explicit.
        match entry.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                format!("redis://{entry}")
            }
            _ => return Err("expected `host:port`".into()),
        }
    };
    let info = url
        .as_str()
        .into_connection_info()
        .map_err(|e| e.category().to_owned())?;
    match info.addr() {
        ConnectionAddr::Tcp(..) | ConnectionAddr::TcpTls { .. } => Ok(info),
        _ => Err("a sentinel is reached over TCP".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentinel(list: &[&str], master: Option<&str>) -> Result<Source, StateError> {
        Source::new(&RedisConfig {
            sentinels: list.iter().map(|s| s.to_string()).collect(),
            master: master.map(str::to_owned),
            ..RedisConfig::new("redis://:s3cret@ignored/2")
        })
    }

    #[test]
    fn sentinel_settings_are_checked_without_quoting_passwords() {
        let two = sentinel(&["127.0.0.1:26379", "[::1]:26380"], Some("mymaster")).unwrap();
        assert_eq!(two.sentinels.map(|s| s.nodes.len()), Some(2));
        assert!(sentinel(&["redis://:p4ss@s1:26379"], Some("mymaster")).is_ok());
        assert!(sentinel(&[], None).is_ok_and(|s| s.sentinels.is_none()));
        for (list, master) in [
            (&["127.0.0.1:26379"][..], None),
            (&["127.0.0.1:26379"][..], Some(" ")),
            (&[][..], Some("mymaster")),
            (&["127.0.0.1"][..], Some("mymaster")),
            (&["http://u:p4ss@s1:1"][..], Some("mymaster")),
        ] {
            let err = sentinel(list, master).err().expect("refused");
            assert!(!err.to_string().contains("p4ss"), "{err}");
        }
    }

    #[test]
    fn a_direct_source_always_answers_the_url() {
        let s = Source::new(&RedisConfig::new("redis://127.0.0.1:1/")).unwrap();
        s.invalidate();
        let addr = s.client().unwrap().get_connection_info().addr().clone();
        assert_eq!(addr, ConnectionAddr::Tcp("127.0.0.1".into(), 1));
    }
}
