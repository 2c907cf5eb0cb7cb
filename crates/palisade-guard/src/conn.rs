//! Per-connection concerns that pingora leaves to its users: a total deadline on
//! request headers (slowloris) and the count of open client connections.
//!
//! pingora's downstream read timeout applies to each `read()`, so a client that sends
//! one header byte every few seconds holds a connection forever. nginx's
//! `client_header_timeout` is a single deadline from the request's first byte; we
//! give pingora the same by wrapping each accepted HTTP/1 stream: the deadline arms
//! on the first byte of a request and disarms at the blank line ending its headers.
//! It re-arms only when the proxy reports the request finished ([`request_finished`]),
//! so a body sent after `100 Continue` or the frames of an upgraded (WebSocket)
//! connection are never mistaken for the next request's headers.
//! Idle keep-alive time is not counted (pingora's keep-alive timeout covers it).

use std::fmt;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use pingora::apps::ServerApp;
use pingora::protocols::Stream;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::{SslDigest, TlsRef};
use pingora::protocols::{
    ALPN, GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl,
    TimingDigest, UniqueID, UniqueIDType,
};
use pingora::server::ShutdownWatch;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use palisade_state::ratelimit::{ConnGuard, ConnLimiter};

use crate::forwarded::TrustedProxies;
use crate::metrics::GuardMetrics;

/// The per-client connection limit, counted by TCP peer at accept time.
pub struct ConnLimit {
    /// The counters.
    pub limiter: ConnLimiter,
    /// Peers never limited: trusted proxies (every client behind a load balancer shares its
    /// address)...
    pub exempt: TrustedProxies,
    /// ...and the black book's allowlist.
    pub book: Option<Arc<dyn palisade_state::State>>,
}

impl ConnLimit {
    fn exempt(&self, ip: IpAddr) -> bool {
        self.exempt.contains(ip) || self.book.as_ref().is_some_and(|b| b.is_allowlisted(ip))
    }
}

/// Wraps an HTTP app so every accepted connection gets a header deadline and is counted.
pub struct GuardedApp<A> {
    inner: Arc<A>,
    header_timeout: Duration,
    metrics: Arc<GuardMetrics>,
    limit: Option<ConnLimit>,
}

impl<A> GuardedApp<A> {
    /// Wrap `inner` (pingora's `HttpProxy`).
    pub fn new(inner: A, header_timeout: Duration, metrics: Arc<GuardMetrics>) -> Self {
        GuardedApp {
            inner: Arc::new(inner),
            header_timeout,
            metrics,
            limit: None,
        }
    }

    /// Refuses connections from a peer that already has the limit open.
    pub fn with_connection_limit(mut self, limit: ConnLimit) -> Self {
        self.limit = Some(limit);
        self
    }
}

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for GuardedApp<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // Called once per accepted connection (pingora loops over keep-alive requests
        // inside the inner app). HTTP/2 multiplexes many requests over frames: there is
        // no blank line to wait for, and h2's own flow control and pingora's idle
        // timeout apply, so it is counted but gets no header deadline.
        let http1 = !matches!(stream.selected_alpn_proto(), Some(ALPN::H2));
        let deadline = http1.then_some(self.header_timeout);
        let mut slot = None;
        if let Some(limit) = &self.limit {
            let peer = stream
                .get_socket_digest()
                .and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()));
            if let Some(ip) = peer.filter(|ip| !limit.exempt(*ip)) {
                match limit.limiter.acquire(ip) {
                    Ok(g) => slot = Some(g),
                    Err(_) => {
                        // Closed without a word: answering would cost what the limit saves.
                        self.metrics.connection_refused();
                        return None;
                    }
                }
            }
        }
        let mut stream = GuardedStream::new(stream, deadline, self.metrics.clone());
        stream.slot = slot;
        let stream: Stream = Box::new(stream);
        self.inner.process_new(stream, shutdown).await
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await
    }
}

/// Where the connection is in the request cycle (an `AtomicU8` so the proxy's
/// logging phase can mark the end of a request through a shared reference).
mod state {
    /// Between requests: no deadline until a byte arrives.
    pub const IDLE: u8 = 0;
    /// Inside a request's headers: the deadline runs.
    pub const READING: u8 = 1;
    /// Headers complete: body, response and upgrades are someone else's business.
    pub const DONE: u8 = 2;
}

/// Tells the connection under `stream` that its current request is over, so the
/// next byte it reads starts a new header deadline.
///
/// pingora drains an unread request body only after `logging`; that never re-arms
/// us on body bytes of a kept-alive connection because pingora 0.9 turns keep-alive
/// off whenever a response finishes before its request body
/// (`close_on_response_before_downstream_finish`, on by default).
pub fn request_finished(stream: &Stream) {
    if let Some(guarded) = stream.as_any().downcast_ref::<GuardedStream>() {
        guarded.state.store(state::IDLE, Ordering::Relaxed);
    }
}

/// A client stream with a header deadline and connection accounting.
pub struct GuardedStream {
    inner: Stream,
    timeout: Option<Duration>,
    state: AtomicU8,
    /// The last bytes seen, to find `\r\n\r\n` across read boundaries.
    tail: u32,
    sleep: Option<Pin<Box<Sleep>>>,
    metrics: Arc<GuardMetrics>,
    /// The client's connection slot, given back when the connection closes.
    slot: Option<ConnGuard>,
}

impl GuardedStream {
    fn new(inner: Stream, timeout: Option<Duration>, metrics: Arc<GuardMetrics>) -> Self {
        metrics.connection_opened();
        GuardedStream {
            inner,
            timeout,
            state: AtomicU8::new(state::IDLE),
            tail: 0,
            sleep: None,
            metrics,
            slot: None,
        }
    }

    /// Feeds newly read bytes through the header scanner.
    fn observe(&mut self, bytes: &[u8]) {
        let Some(timeout) = self.timeout else { return };
        let current = self.state.get_mut();
        for &b in bytes {
            match *current {
                state::IDLE => {
                    *current = state::READING;
                    self.tail = 0;
                    self.sleep = Some(Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
                }
                state::READING => {}
                _ => return,
            }
            // httparse skips empty lines before a request line (RFC 9112 §2.2): they
            // start the clock but must not count as the blank line ending the headers,
            // or a client could send "\r\n\r\n" first and then dribble for ever.
            if self.tail == 0 && (b == b'\r' || b == b'\n') {
                continue;
            }
            self.tail = (self.tail << 8) | u32::from(b);
            // httparse accepts bare LF line endings too, for the last header line
            // ("\n\n", "\r\n\n") and for the blank line ("\n\r\n").
            if self.tail == u32::from_be_bytes(*b"\r\n\r\n")
                || self.tail & 0xffff == 0x0a0a
                || self.tail & 0xff_ffff == 0x0a_0d0a
            {
                *current = state::DONE;
                self.sleep = None;
            }
        }
    }
}

impl fmt::Debug for GuardedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedStream")
            .field("inner", &self.inner)
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish()
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.observe(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let expired = this
                    .sleep
                    .as_mut()
                    .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
                if expired {
                    this.metrics.header_timeout();
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client did not finish its request headers in time",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[async_trait]
impl Shutdown for GuardedStream {
    async fn shutdown(&mut self) {
        self.inner.shutdown().await
    }
}

impl UniqueID for GuardedStream {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for GuardedStream {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }
    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }
    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for GuardedStream {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }
    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }
    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for GuardedStream {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }
    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest)
    }
}

impl GetSocketDigest for GuardedStream {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }
    fn set_socket_digest(&mut self, digest: SocketDigest) {
        self.inner.set_socket_digest(digest)
    }
}

#[async_trait]
impl Peek for GuardedStream {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}
