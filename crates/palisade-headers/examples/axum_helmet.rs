//! A small axum app behind `HelmetLayer`, with a per-response CSP nonce.
//!
//! Run: `cargo run -p palisade-headers --example axum_helmet [port]`, then
//! `curl -i http://127.0.0.1:<port>/`.

use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};
use palisade_headers::{CspNonce, HeadersConfig, HelmetLayer, Policy};

const CONFIG: &str = r#"
content_security_policy = { nonce = true }
remove_server = true

[[path]]
path = "/embed"
x_frame_options = false
"#;

async fn index(Extension(nonce): Extension<CspNonce>) -> Html<String> {
    Html(format!(
        "<!doctype html><title>palisade</title>\
         <script nonce=\"{nonce}\">document.title += ' (script ran)'</script>\
         <p>Inspect the response headers.</p>"
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg: HeadersConfig = toml::from_str(CONFIG)?;
    let policy = Arc::new(Policy::from_config(&cfg)?);

    let app = Router::new()
        .route("/", get(index))
        .route("/embed", get(index))
        .layer(HelmetLayer::new(policy));

    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 0,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
