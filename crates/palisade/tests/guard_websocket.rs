//! WebSockets through the guard: the upgrade, frames both ways, and neither the body limit nor
//! the header deadline applying to frames.
//!
//! They run one at a time: `many_handshakes_each_carry_their_first_frame` guards a race in
//! pingora's HTTP/1 upgrade path (fixed in `vendor/pingora-proxy`, see `vendor/PATCHES.md`)
//! that shows only when the machine is busy, and it should not share the guard with the
//! others.

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use palisade_test_support::{GuardProcess, TestUpstream};
use tokio_tungstenite::tungstenite::Message;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

async fn echo(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
    guard: &GuardProcess,
) -> String {
    match ws.next().await {
        Some(Ok(m)) => m.into_text().unwrap().as_str().to_owned(),
        other => panic!("no echo: {other:?}\nguard log:\n{}", guard.stderr()),
    }
}

#[tokio::test]
async fn websocket_upgrades_pass_through() {
    let _one = ONE_AT_A_TIME.lock().await;
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    let (mut ws, resp) = tokio_tungstenite::connect_async(format!("ws://{}/ws", guard.addr))
        .await
        .expect("websocket handshake through the guard");
    assert_eq!(resp.status(), 101);
    for i in 0..3 {
        ws.send(Message::text(format!("hello {i}"))).await.unwrap();
        assert_eq!(echo(&mut ws, &guard).await, format!("echo: hello {i}"));
    }
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn websocket_traffic_is_not_a_request_body() {
    let _one = ONE_AT_A_TIME.lock().await;
    let up = TestUpstream::start();
    // A 1 KiB body limit must not cap what a long-lived WebSocket may carry.
    let guard = GuardProcess::start(bin(), &up.url(), "max_request_body = 1024", "");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", guard.addr))
        .await
        .unwrap();
    let payload = "x".repeat(600);
    for _ in 0..8 {
        ws.send(Message::text(payload.clone())).await.unwrap();
        assert_eq!(
            echo(&mut ws, &guard).await.len(),
            payload.len() + "echo: ".len()
        );
    }
}

#[tokio::test]
async fn websockets_outlive_the_header_deadline() {
    let _one = ONE_AT_A_TIME.lock().await;
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "[guard.timeouts]\nclient_header = \"1s\"\n",
        "",
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", guard.addr))
        .await
        .unwrap();
    for i in 0..3 {
        ws.send(Message::text(format!("tick {i}"))).await.unwrap();
        assert_eq!(echo(&mut ws, &guard).await, format!("echo: tick {i}"));
        // Frames are not request headers: a pause longer than the deadline is fine.
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
}

/// pingora's upstream half could read the `101` before the (empty) end of the upgrade
/// request's body, take that end for the end of the tunnel and close it: the first frame
/// after the handshake was lost. Many handshakes in a row make that interleaving likely.
#[tokio::test]
async fn many_handshakes_each_carry_their_first_frame() {
    let _one = ONE_AT_A_TIME.lock().await;
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    for i in 0..60 {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", guard.addr))
            .await
            .unwrap();
        ws.send(Message::text(format!("first {i}"))).await.unwrap();
        assert_eq!(echo(&mut ws, &guard).await, format!("echo: first {i}"));
    }
}
