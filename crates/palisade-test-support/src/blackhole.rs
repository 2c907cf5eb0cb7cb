//! An address where TCP connects hang, for testing connect timeouts on loopback.
//!
//! A listener with a backlog of zero whose one queue slot is taken and never
//! accepted: Linux drops further SYNs, so a connect neither succeeds nor is refused
//! until the client gives up — what an unreachable host looks like.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

/// Holds the listener and the connection filling its queue.
pub struct Blackhole {
    /// Connects to this address hang.
    pub addr: SocketAddr,
    _listener: Socket,
    _held: Vec<TcpStream>,
}

impl Blackhole {
    /// Creates the blackhole on 127.0.0.1.
    pub fn start() -> Blackhole {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        listener.bind(&any.into()).expect("bind");
        listener.listen(0).expect("listen");
        let addr = listener
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .expect("local addr");
        let mut held = Vec::new();
        // Fill the accept queue until a connect stops completing.
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
        Blackhole {
            addr,
            _listener: listener,
            _held: held,
        }
    }

    /// `http://ADDR`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
