//! Is the app up? A TCP probe for readiness, an HTTP request for health.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Waits until the app accepts connections on `port`: every few milliseconds for the first
/// seconds (requests held by the guard wait for exactly this, so a restart must be noticed
/// within milliseconds; a refused connect on loopback costs microseconds), then less often
/// for slow starters.
pub async fn wait_listening(port: u16) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = tokio::time::Instant::now();
    loop {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        let pause = if started.elapsed() < Duration::from_secs(10) {
            Duration::from_millis(3)
        } else {
            Duration::from_millis(100)
        };
        tokio::time::sleep(pause).await;
    }
}

/// One health check: `GET path` on the app's port, answered within `timeout` with a status
/// below `max_status`. The error says what went wrong, for the `app_unhealthy` event.
pub async fn check(
    port: u16,
    path: &str,
    timeout: Duration,
    max_status: u16,
) -> Result<u16, String> {
    match tokio::time::timeout(timeout, request(port, path)).await {
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(timeout)
        )),
        Ok(Err(e)) => Err(e),
        Ok(Ok(status)) if status < max_status => Ok(status),
        Ok(Ok(status)) => Err(format!("answered {status}")),
    }
}

async fn request(port: u16, path: &str) -> Result<u16, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    let driver = tokio::spawn(conn);
    let req = Request::get(path)
        .header(hyper::header::HOST, format!("127.0.0.1:{port}"))
        .header(hyper::header::USER_AGENT, "palisade-health")
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("bad health check path {path:?}: {e}"))?;
    let result = sender
        .send_request(req)
        .await
        .map(|resp| resp.status().as_u16())
        .map_err(|e| format!("HTTP: {e}"));
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn server(reply: &'static str, delay: Duration) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf).await;
                    tokio::time::sleep(delay).await;
                    let _ = s.write_all(reply.as_bytes()).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn statuses_below_the_limit_are_healthy() {
        let ok = server(
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        assert_eq!(check(ok, "/", Duration::from_secs(2), 500).await, Ok(404));
        assert!(check(ok, "/", Duration::from_secs(2), 400).await.is_err());
        let broken = server(
            "HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        let err = check(broken, "/", Duration::from_secs(2), 500)
            .await
            .unwrap_err();
        assert!(err.contains("503"), "{err}");
    }

    #[tokio::test]
    async fn a_hung_app_fails_after_the_timeout() {
        let hung = server("HTTP/1.1 200 OK\r\n\r\n", Duration::from_secs(30)).await;
        let err = check(hung, "/", Duration::from_millis(100), 500)
            .await
            .unwrap_err();
        assert!(err.contains("no answer"), "{err}");
        wait_listening(hung).await;
    }
}
