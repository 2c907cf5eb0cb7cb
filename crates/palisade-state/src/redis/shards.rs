//! Redis Cluster: which master holds the deployment's keys now.
//!
//! Every key of a deployment carries the hash tag `{<prefix>}` (see `Keys`), so all of
//! them hash to one slot and live on one master. palisade therefore talks to that master
//! directly, as to a single server: the scripts that touch several keys, the pipelined
//! resync and pub/sub (which Redis Cluster broadcasts to every node) all work unchanged,
//! and no cluster-aware client is needed. The price is that one deployment's state is not
//! spread over several masters — it is small (bans, counters), and several deployments
//! with different prefixes do spread.
//!
//! The master is found by asking the seed nodes, each in turn and each bounded by the
//! timeout, for the slot of the tag (`CLUSTER KEYSLOT`, so the hashing is the server's
//! own) and the slot map (`CLUSTER SLOTS`), then confirmed with `ROLE`. It is cached until
//! something fails: after a failover or a resharding the old master answers `MOVED` (or
//! not at all), `Shared::mark_down` forgets the cache, and the next connection asks again.

use std::time::Duration;

use super::source::{Cached, bounded, confirmed_master};
use ::redis::{Client, ConnectionAddr, ConnectionInfo, ErrorKind, RedisError, RedisResult, Value};

/// The seed nodes of a Redis Cluster and the master they name for one hash tag.
pub(crate) struct Shards {
    /// Asked in this order.
    seeds: Vec<ConnectionInfo>,
    /// A key with the deployment's hash tag, whose slot is looked up.
    key: String,
    /// Bound on each connect and command while resolving.
    timeout: Duration,
    /// The confirmed master, until something fails.
    current: Cached,
}

impl Shards {
    /// `seeds` carry the URL's settings (password, TLS); `key` any key of the deployment.
    pub(crate) fn new(seeds: Vec<ConnectionInfo>, key: String, timeout: Duration) -> Self {
        Shards {
            seeds,
            key,
            timeout,
            current: Cached::default(),
        }
    }

    /// The master holding the deployment's slot: cached, or asked for.
    pub(crate) fn client(&self) -> RedisResult<Client> {
        self.current.get_or(|| self.resolve())
    }

    /// Forgets the master: the next [`Shards::client`] asks the seeds again.
    pub(crate) fn invalidate(&self) {
        self.current.forget();
    }

    fn resolve(&self) -> RedisResult<Client> {
        let mut last = None;
        for seed in &self.seeds {
            match self.ask(seed) {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| no_master("no cluster node configured")))
    }

    /// One seed's slot map, and the master it names confirmed by `ROLE`.
    fn ask(&self, seed: &ConnectionInfo) -> RedisResult<Client> {
        let mut conn = bounded(seed, self.timeout)?;
        let slot: i64 = ::redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&self.key)
            .query(&mut conn)?;
        let map: Vec<Value> = ::redis::cmd("CLUSTER").arg("SLOTS").query(&mut conn)?;
        let (host, port) =
            master_of(&map, slot).ok_or_else(|| no_master("no node serves the slot"))?;
        // An announced empty host means "the address you reached me at".
        let host = if host.is_empty() {
            seed_host(seed).unwrap_or_default()
        } else {
            host
        };
        // A seed that has not yet seen a failover may name a node that is now a replica.
        let Some(client) = confirmed_master(seed, host.clone(), port, self.timeout)? else {
            return Err(no_master("the node serving the slot is not a master"));
        };
        tracing::info!(
            "black book: Redis Cluster serves palisade's slot {slot} from {host}:{port}"
        );
        Ok(client)
    }
}

/// `host:port` of the master of `slot` in a `CLUSTER SLOTS` reply: entries of
/// `[start, end, [host, port, id, …], replicas…]`.
fn master_of(map: &[Value], slot: i64) -> Option<(String, u16)> {
    map.iter().find_map(|range| {
        let Value::Array(items) = range else {
            return None;
        };
        let [start, end, master, ..] = items.as_slice() else {
            return None;
        };
        let (Value::Int(start), Value::Int(end)) = (start, end) else {
            return None;
        };
        if !(*start..=*end).contains(&slot) {
            return None;
        }
        let Value::Array(node) = master else {
            return None;
        };
        let host = match node.first()? {
            Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            Value::SimpleString(s) => s.clone(),
            _ => return None,
        };
        let Value::Int(port) = node.get(1)? else {
            return None;
        };
        Some((host, u16::try_from(*port).ok()?))
    })
}

fn seed_host(seed: &ConnectionInfo) -> Option<String> {
    match seed.addr() {
        ConnectionAddr::Tcp(host, _) | ConnectionAddr::TcpTls { host, .. } => Some(host.clone()),
        _ => None,
    }
}

/// `addr` moved to `host:port`, keeping its TLS settings.
pub(crate) fn with_host(addr: &ConnectionAddr, host: String, port: u16) -> ConnectionAddr {
    match addr {
        ConnectionAddr::TcpTls {
            insecure,
            tls_params,
            ..
        } => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => ConnectionAddr::Tcp(host, port),
    }
}

/// An outage-class error (see `is_outage`): asking again later may find the master.
fn no_master(why: &'static str) -> RedisError {
    RedisError::from((ErrorKind::ClusterConnectionNotFound, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::BulkString(host.as_bytes().to_vec()),
            Value::Int(port),
            Value::BulkString(b"id".to_vec()),
        ])
    }

    #[test]
    fn the_master_of_a_slot_is_read_from_the_slot_map() {
        let map = vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node("10.0.0.1", 7000),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node("10.0.0.2", 7001),
                node("10.0.0.5", 7004),
            ]),
            Value::Array(vec![Value::Int(10923), Value::Int(16383), node("", 7002)]),
        ];
        assert_eq!(master_of(&map, 0), Some(("10.0.0.1".into(), 7000)));
        assert_eq!(master_of(&map, 6000), Some(("10.0.0.2".into(), 7001)));
        assert_eq!(master_of(&map, 16383), Some((String::new(), 7002)));
        assert_eq!(master_of(&map[..1], 9000), None);
        assert_eq!(master_of(&[Value::Nil], 1), None);
    }
}
