//! A persistent TCP connection (optionally TLS) to a log receiver, shared by the syslog and
//! logstash stream sinks: connect with a timeout, make sure the peer is still there before each
//! batch, and write framed messages while counting which of them got through.
//!
//! Why the check: writing into a socket whose peer has died succeeds — the bytes land in the
//! kernel's send buffer — and the receiver's RST only fails the *next* write. Without a look
//! first, the first batch after a receiver restart would be reported delivered and lost.

use std::io;
use std::mem::MaybeUninit;
use std::time::Duration;

use socket2::SockRef;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::tls::TlsClient;
use crate::error::SinkError;

/// Bytes handed to the connection between two flushes: the granularity at which a TLS
/// connection can tell how much got out.
const CHUNK: usize = 16 * 1024;

/// Where to connect and how.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsClient>,
    pub connect_timeout: Duration,
    pub write_timeout: Duration,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::Tls(s) => s.get_ref().0,
        }
    }

    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.write(buf).await,
            Io::Tls(s) => s.write(buf).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.flush().await,
            Io::Tls(s) => s.flush().await,
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf).await,
            Io::Tls(s) => s.read(buf).await,
        }
    }

    /// Whether the peer is still there: a non-blocking peek at the socket sees the FIN or RST
    /// a dead receiver left behind. Data the receiver sent (TLS session tickets, an alert) is
    /// read through the stream, so a `close_notify` or EOF behind it shows too.
    async fn alive(&mut self) -> bool {
        for _ in 0..8 {
            let mut probe = [MaybeUninit::<u8>::uninit(); 1];
            match SockRef::from(self.tcp()).peek(&mut probe) {
                Ok(0) => return false,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
                Ok(_) => {
                    let mut sink = [0u8; 4096];
                    match tokio::time::timeout(Duration::from_millis(50), self.read(&mut sink))
                        .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) => return false,
                        // Discarded (receivers have nothing to say to us), or only TLS
                        // housekeeping was pending: look again.
                        Ok(Ok(_)) | Err(_) => continue,
                    }
                }
            }
        }
        true
    }
}

/// The connection, opened on first use and reopened after any failure.
pub(crate) struct Connection {
    endpoint: Endpoint,
    io: Option<Io>,
}

impl Connection {
    pub fn new(endpoint: Endpoint) -> Self {
        Connection { endpoint, io: None }
    }

    fn describe(&self) -> String {
        let e = &self.endpoint;
        let proto = if e.tls.is_some() { "tls" } else { "tcp" };
        format!("{proto}://{}:{}", e.host, e.port)
    }

    async fn connect(&self) -> Result<Io, String> {
        let e = &self.endpoint;
        let target = self.describe();
        let tcp = tokio::time::timeout(
            e.connect_timeout,
            TcpStream::connect((e.host.as_str(), e.port)),
        )
        .await
        .map_err(|_| format!("{target}: connect timed out after {:?}", e.connect_timeout))?
        .map_err(|err| format!("{target}: {err}"))?;
        // Messages go out as they are written; batching is the worker's job.
        let _ = tcp.set_nodelay(true);
        match &e.tls {
            None => Ok(Io::Plain(tcp)),
            Some(tls) => {
                let stream = tokio::time::timeout(
                    e.connect_timeout,
                    tls.connector.connect(tls.server_name.clone(), tcp),
                )
                .await
                .map_err(|_| format!("{target}: TLS handshake timed out"))?
                .map_err(|err| format!("{target}: TLS handshake: {err}"))?;
                Ok(Io::Tls(Box::new(stream)))
            }
        }
    }

    /// Writes `payload`, the concatenation of framed messages where message `i` ends at byte
    /// `ends[i]`. On failure the error counts the messages known to have left: for plain TCP
    /// those wholly accepted by the kernel, for TLS those wholly before the last good flush.
    /// The connection is dropped, so the retry starts on a fresh one and no frame is torn.
    pub async fn send(&mut self, payload: &[u8], ends: &[usize]) -> Result<(), SinkError> {
        if let Some(io) = &mut self.io
            && !io.alive().await
        {
            tracing::debug!(receiver = %self.describe(), "receiver closed the connection; reconnecting");
            self.io = None;
        }
        if self.io.is_none() {
            self.io = Some(self.connect().await.map_err(|m| SinkError::retry(0, m))?);
        }
        let tls = self.endpoint.tls.is_some();
        let io = self.io.as_mut().expect("connected above");
        let mut written = 0;
        let mut flushed = 0;
        let result = tokio::time::timeout(self.endpoint.write_timeout, async {
            while written < payload.len() {
                let end = (written + CHUNK).min(payload.len());
                while written < end {
                    let n = io.write(&payload[written..end]).await?;
                    if n == 0 {
                        return Err(io::Error::from(io::ErrorKind::WriteZero));
                    }
                    written += n;
                }
                io.flush().await?;
                flushed = written;
            }
            Ok(())
        })
        .await;
        let error = match result {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!(
                "write timed out after {:?} (receiver not reading)",
                self.endpoint.write_timeout
            ),
        };
        self.io = None;
        let out = if tls { flushed } else { written };
        let delivered = ends.iter().take_while(|&&end| end <= out).count();
        Err(SinkError::retry(
            delivered,
            format!("{}: {error}", self.describe()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn endpoint(port: u16) -> Endpoint {
        Endpoint {
            host: "127.0.0.1".into(),
            port,
            tls: None,
            connect_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_closed_peer_is_noticed_before_writing() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut conn = Connection::new(endpoint(port));
        conn.send(b"a\n", &[2]).await.unwrap();
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 2];
        first.read_exact(&mut buf).await.unwrap();
        drop(first); // the receiver goes away between two batches

        tokio::time::sleep(Duration::from_millis(20)).await;
        conn.send(b"b\n", &[2]).await.unwrap();
        let (mut second, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), second.read_buf(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            got, b"b\n",
            "sent on a fresh connection, not into the dead one"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_delivers_nothing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = Connection::new(endpoint(port))
            .send(b"a\n", &[2])
            .await
            .unwrap_err();
        assert_eq!(err.delivered, 0);
        assert!(err.retryable);
    }
}
