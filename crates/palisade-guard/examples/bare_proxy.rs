//! pingora with no policy at all: the engine's floor, for `scripts/bench-proxy`.
//!
//! It uses the same timeouts as the guard (keep-alive, body and upstream read timeouts
//! cost timer work per request), so the difference between this and the guard is what
//! palisade's phases cost.
//!
//! Run: `cargo run --release -p palisade-guard --example bare_proxy -- LISTEN UPSTREAM`
//! (both `host:port`).

use std::time::Duration;

use async_trait::async_trait;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;

struct Bare(std::net::SocketAddr);

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn early_request_filter(&self, session: &mut Session, _ctx: &mut ()) -> Result<()> {
        session.set_keepalive(Some(75));
        session.set_read_timeout(Some(Duration::from_secs(60)));
        Ok(())
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        let mut peer = HttpPeer::new(self.0, false, String::new());
        peer.options.connection_timeout = Some(Duration::from_secs(5));
        peer.options.read_timeout = Some(Duration::from_secs(60));
        peer.options.idle_timeout = Some(Duration::from_secs(60));
        Ok(Box::new(peer))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(listen), Some(upstream)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bare_proxy LISTEN UPSTREAM   (both host:port)");
        std::process::exit(2);
    };
    let Ok(upstream) = upstream.parse() else {
        eprintln!("bare_proxy: UPSTREAM must be an address like 127.0.0.1:3000");
        std::process::exit(2);
    };
    let conf = ServerConf {
        threads: 1,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut service = pingora::proxy::http_proxy_service(&server.configuration, Bare(upstream));
    service.add_tcp(listen);
    server.add_service(service);
    server.run_forever();
}
