//! Round trips made on a request's path, off the caller's thread.
//!
//! The guard's worker threads serve many connections each: a synchronous round trip there
//! stalls every one of them for its duration (measured: with one worker, offences through a
//! shared black book fell from 7,977 to 2,306 req/s). Decisions that must ask Redis (an
//! offence's score, a shared rate limit, a login count) are therefore `async` and run on a
//! thread of their own with a current-thread Tokio runtime and the `redis` crate's
//! [`ConnectionManager`]: one multiplexed connection that pipelines concurrent requests and
//! reconnects itself. The caller only awaits a task handle, so any runtime (or none, through
//! a blocking wait) can use it, and the I/O never lands on a runtime that may shut down first.
//!
//! Every call is bounded by [`RedisConfig::timeout`](super::RedisConfig::timeout) (default
//! 50 ms); while Redis is marked down, calls fail at once without trying, so a dead server
//! costs one timeout, not one per request. The thread starts on first use: the CLI, which
//! only makes synchronous calls, never starts it.

use std::future::Future;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{RedisError, RedisResult};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::Shared;

/// The I/O thread and the connection it holds.
pub(crate) struct Io {
    handle: Handle,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Built lazily on the I/O thread; dropped on an outage so the next one is built from
    /// the server to talk to *then* (a Sentinel failover moves the master).
    manager: Mutex<Option<ConnectionManager>>,
}

impl Io {
    fn start() -> io::Result<Io> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("palisade-redis-io".into())
            .spawn(move || {
                // Runs the spawned round trips until the state is dropped.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Io {
            handle,
            stop: Mutex::new(Some(stop)),
            thread: Mutex::new(Some(thread)),
            manager: Mutex::new(None),
        })
    }

    /// Stops the thread; round trips in flight are cancelled (their callers get an error
    /// and decide locally). Never called from the I/O thread itself: only `RedisState`'s
    /// drop calls it, and the tasks hold `Shared`, not the state.
    pub(crate) fn shutdown(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }

    /// Forgets the connection (after an outage).
    pub(crate) fn reset(&self) {
        self.manager
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }
}

fn unavailable(why: &'static str) -> RedisError {
    RedisError::from(io::Error::new(io::ErrorKind::NotConnected, why))
}

impl Shared {
    /// The I/O thread, started on first use; `None` (logged once) when the OS refuses it.
    pub(crate) fn io(&self) -> Option<&Io> {
        self.io
            .get_or_init(|| match Io::start() {
                Ok(io) => Some(io),
                Err(e) => {
                    tracing::error!("black book: cannot start the Redis I/O thread: {e}");
                    None
                }
            })
            .as_ref()
    }

    /// The connection manager; built on first use (must run on the I/O thread).
    fn manager(&self, io: &Io) -> RedisResult<ConnectionManager> {
        let mut slot = io.manager.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.redis.timeout))
            .set_response_timeout(Some(self.redis.timeout))
            // Our own timeout bounds the call; retrying inside it would only hide an outage.
            .set_number_of_retries(1);
        let manager = ConnectionManager::new_lazy_with_config(self.current_client()?, config)?;
        *slot = Some(manager.clone());
        Ok(manager)
    }

    /// Opens the async connection and loads the scripts ahead of the first request, so
    /// that request is not the one paying for the connect and `SCRIPT LOAD` within its
    /// timeout (on a busy machine that alone can exceed 50 ms and look like an outage).
    /// Bounded by [`BULK_TIMEOUT`](super::BULK_TIMEOUT); a failure is left to the first
    /// request to find.
    pub(crate) fn warm_up(self: &Arc<Self>) {
        let Some(io) = self.io() else { return };
        let me = self.clone();
        io.handle.spawn(async move {
            let Some(io) = me.io() else { return };
            let Ok(mut conn) = me.manager(io) else { return };
            let load = async {
                for script in me.counters.all().into_iter().chain([&me.scripts.record]) {
                    script.load_async(&mut conn).await?;
                }
                Ok::<(), RedisError>(())
            };
            if let Ok(Err(e)) = tokio::time::timeout(super::BULK_TIMEOUT, load).await {
                tracing::debug!("black book: Redis scripts not preloaded: {e}");
            }
        });
    }

    /// Runs `work` on the I/O thread with the shared connection, bounded by the request
    /// timeout. Fails at once while Redis is marked down. An outage found here marks it
    /// down (counted, logged once) and drops the connection.
    pub(crate) async fn run<T, F, Fut>(self: &Arc<Self>, work: F) -> RedisResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Shared>, ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send + 'static,
    {
        if self.down.load(Ordering::Acquire) {
            return Err(unavailable("Redis is down"));
        }
        let Some(io) = self.io() else {
            return Err(unavailable("no Redis I/O thread"));
        };
        let me = self.clone();
        let timeout = self.redis.timeout;
        let task = io.handle.spawn(async move {
            let Some(io) = me.io() else {
                return Err(unavailable("no Redis I/O thread"));
            };
            let conn = me.manager(io)?;
            match tokio::time::timeout(timeout, work(me.clone(), conn)).await {
                Ok(result) => result,
                Err(_) => Err(RedisError::from(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "Redis did not answer in time",
                ))),
            }
        });
        let result = match task.await {
            Ok(result) => result,
            Err(_) => Err(unavailable("Redis I/O thread stopped")),
        };
        if let Err(e) = &result
            && super::is_outage(e)
        {
            self.mark_down(e);
        }
        result
    }
}
