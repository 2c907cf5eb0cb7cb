//! `palisade demo`: a small sample app (login form, JSON API, static page) with the
//! guard in front, so a newcomer sees what palisade adds in a minute.

use std::net::{SocketAddr, TcpListener};

use anyhow::Context;
use axum::extract::Form;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use palisade_guard::GuardServer;
use palisade_headers::NonceMode;
use palisade_headers::config::Toggle;
use serde::Deserialize;

use crate::Failure;
use crate::cli::DemoArgs;
use crate::commands::{load_config, start_events};
use crate::config::{FileConfig, Overrides};
use crate::rules::ConfigRules;

const DEMO_EMAIL: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "correct horse battery staple";

/// Runs the demo until Ctrl-C.
pub fn run(args: DemoArgs) -> Result<(), Failure> {
    let mut loaded = load_config(args.config.as_deref())?;
    if loaded.text.is_empty() {
        // On built-in defaults the demo also shows what Helmet cannot do: nonces written into
        // the app's pages, and its 5xx stack traces kept out of the browser.
        let headers = &mut loaded.config.headers;
        headers.scrub_errors = true;
        if let Toggle::On(csp) = &mut headers.content_security_policy {
            csp.nonce = NonceMode::Auto;
        }
    }
    let app_listener = TcpListener::bind("127.0.0.1:0").context("binding the demo app")?;
    let app_addr = app_listener.local_addr().context("demo app address")?;
    let listen = args.listen.unwrap_or_else(|| prefer("127.0.0.1:8080"));
    let admin = args.admin.unwrap_or_else(|| prefer("127.0.0.1:9181"));

    let mut rt = loaded.runtime(&Overrides {
        listen: Some(listen),
        upstream: Some(format!("http://{app_addr}")),
        admin: Some(admin),
    })?;

    std::thread::Builder::new()
        .name("demo-app".into())
        .spawn(move || serve_app(app_listener))
        .context("starting the demo app")?;

    let listen = rt.guard.listen;
    let admin = rt.guard.admin;
    // The demo keeps its events apart from a real deployment's unless its config says where.
    let database = if loaded.config.events.database == FileConfig::default().events.database {
        let dir = std::env::temp_dir().join(format!("palisade-demo-{}", std::process::id()));
        dir.join("events.db")
    } else {
        loaded.config.events.database.clone()
    };
    if let Some(events) = &mut rt.events {
        events.spool_dir = palisade_events::settings::spool_dir_for(&database);
        events.database = database.clone();
    }
    if let Some(plan) = &mut rt.blackbook {
        if loaded.path.is_none() {
            // Bans made while trying the demo are forgotten with it.
            plan.database = None;
        }
        rt.guard.blackbook = Some(crate::blackbook::open(plan)?);
    }
    // The console needs a token to log in with; on defaults the demo makes one up and prints
    // it, as `palisade run` does.
    let token = rt.admin_token.clone().unwrap_or_else(crate::run::new_token);
    let rules = ConfigRules::new(loaded.path.clone());
    rt.guard.admin_routes = crate::console::routes(
        &rt,
        loaded.config.admin.console,
        Some(token.clone()),
        rt.guard.blackbook.as_ref().map(|b| b.state.clone()),
        rules.clone(),
        None,
    );
    let console = rt.guard.admin_routes.is_some().then_some(token.as_str());
    let follow = rt.events.is_some();
    let events_db = rt.events.as_ref().map(|e| e.database.clone());
    let (emit, on_exit) = start_events(rt.events)?;
    let server =
        GuardServer::build(rt.guard, Some(token.clone()), emit).context("starting the guard")?;
    rules.attach(server.detection());
    print_banner(
        app_addr,
        listen,
        admin.map(|a| (a, &*token, console.is_some())),
        &database,
    );
    if follow {
        std::thread::Builder::new()
            .name("demo-events".into())
            .spawn(move || crate::events::follow(&database))
            .context("starting the event printer")?;
    }
    let traffic = crate::traffic::record(events_db, &server);
    server.run_then(Box::new(move || {
        drop(traffic);
        on_exit();
    }))
}

/// The preferred address when free, else a free port on loopback.
fn prefer(addr: &str) -> SocketAddr {
    match TcpListener::bind(addr).and_then(|l| l.local_addr()) {
        Ok(a) => a,
        Err(_) => TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
    }
}

/// `admin`: the admin listener, its token, and whether the console is on.
fn print_banner(
    app: SocketAddr,
    guard: SocketAddr,
    admin: Option<(SocketAddr, &str, bool)>,
    database: &std::path::Path,
) {
    println!("palisade demo\n");
    println!("  the app, unprotected:     http://{app}/");
    println!("  the app behind palisade:  http://{guard}/");
    if let Some((admin, token, console)) = admin {
        if console {
            println!("  console:                  http://{admin}/console");
            println!("  console token:            {token}");
        }
        println!("  admin (metrics):          http://{admin}/metrics");
    }
    println!("\nTry:");
    println!(
        "  curl -si http://{app}/ | head -8          # the app alone: X-Powered-By, no security headers"
    );
    println!(
        "  curl -si http://{guard}/ | head -20       # Helmet headers, X-Request-Id, X-Powered-By gone"
    );
    println!("  curl -si -d 'email={DEMO_EMAIL}&password=wrong' http://{guard}/login | head -3");
    println!(
        "  curl -si -H 'Content-Length: 99999999999' -d x http://{guard}/login | head -1   # 413"
    );
    if let Some((admin, token, _)) = admin {
        println!(
            "  curl -s -H 'Authorization: Bearer {token}' http://{admin}/metrics | grep palisade_requests_total"
        );
    }
    println!("\nAttacks the guard blocks (403) — the app alone would take them:");
    println!(
        "  curl -si \"http://{guard}/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--\" | head -1"
    );
    println!(
        "  curl -si -d 'email=<script>alert(1)</script>&password=x' http://{guard}/login | head -1"
    );
    println!("  curl -si http://{guard}/.env | head -1");
    println!("\nBeyond Helmet (see docs/headers.md):");
    println!(
        "  curl -s -H 'Accept: text/html' http://{guard}/ | grep -o '<script nonce=[^>]*>'   # nonce written in"
    );
    println!(
        "  curl -si http://{app}/boom | tail -2; curl -si http://{guard}/boom | tail -2   # stack trace scrubbed"
    );
    println!(
        "  curl -si http://{guard}/login -d 'email={DEMO_EMAIL}&password={DEMO_PASSWORD}' | grep -i set-cookie"
    );
    println!("  curl -si -A 'sqlmap/1.8' http://{guard}/ | head -1");
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "palisade".into());
    println!("\nSecurity events are printed below as they are stored; query them with:");
    println!("  {exe} events --database {}", database.display());
    println!("  {exe} events stats --database {}", database.display());
    println!("\nCtrl-C stops (in-flight requests are drained first).\n");
}

fn serve_app(listener: TcpListener) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("demo app: cannot start a runtime");
        return;
    };
    rt.block_on(async move {
        let served = async {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app()).await
        };
        if let Err(e) = served.await {
            eprintln!("demo app stopped: {e}");
        }
    });
}

/// The sample app: what a small Express app typically looks like, leaks included.
pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/account", get(account))
        .route("/api/items", get(items))
        .route("/boom", get(boom))
        .layer(axum::middleware::map_response(
            |mut res: Response| async move {
                // Express announces itself; the guard removes it.
                res.headers_mut()
                    .insert("x-powered-by", header::HeaderValue::from_static("Express"));
                res
            },
        ))
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>palisade demo</title>\
         <script>document.documentElement.dataset.js = 'on';</script></head>\
         <body><h1>Demo shop</h1><p><a href=\"/login\">Sign in</a> · <a href=\"/api/items\">API</a></p></body></html>",
    )
}

/// A bug, rendered the way Express does in development: the stack trace in the page.
async fn boom() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(
            "<pre>TypeError: Cannot read properties of undefined (reading 'price')\n    \
             at itemTotal (/srv/shop/routes/cart.js:27:31)\n    at Layer.handle (/srv/shop/node_modules/express/lib/router/layer.js:95:5)</pre>",
        ),
    )
        .into_response()
}

async fn login_form() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title></head><body>\
         <form method=\"post\" action=\"/login\"><label>Email <input name=\"email\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label><button>Sign in</button></form></body></html>",
    )
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(Form(form): Form<Login>) -> Response {
    if form.email == DEMO_EMAIL && form.password == DEMO_PASSWORD {
        (
            StatusCode::FOUND,
            [
                (header::LOCATION, "/account"),
                (header::SET_COOKIE, "session=demo-session; Path=/"),
            ],
        )
            .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Html("<p>Invalid email or password.</p>"),
        )
            .into_response()
    }
}

async fn account() -> Html<&'static str> {
    Html("<!doctype html><p>Signed in.</p>")
}

async fn items() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "items": [
            {"id": 1, "name": "Lamp", "price": 29.5},
            {"id": 2, "name": "Chair", "price": 89.0}
        ]
    }))
}
