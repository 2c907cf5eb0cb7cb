//! An axum app served on a thread and runtime of its own, so synchronous tests can run one
//! beside the code under test; stopped (not gracefully: idle keep-alive connections would hold
//! it open) and joined when dropped.

use std::net::SocketAddr;

use tokio::sync::oneshot;

/// The running server.
pub struct ThreadServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadServer {
    /// Listens on 127.0.0.1:`port` (0: any free port) and serves `app`.
    pub fn start(port: u16, app: axum::Router) -> ThreadServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{port}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    r = async { axum::serve(listener, app).await } => r.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        ThreadServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
