//! `palisade demo`: the sample app comes up behind the guard, the banner tells the truth,
//! and Ctrl-C stops it cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use palisade_test_support::{free_port, raw_get};

#[test]
fn demo_serves_the_sample_app_behind_the_guard() {
    let listen = format!("127.0.0.1:{}", free_port());
    let admin = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["demo", "--listen", &listen, "--admin", &admin])
        .current_dir(dir.path())
        .env("PALISADE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("Ctrl-C") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("demo exited early; printed:\n{banner}");
        }
        banner.push_str(&line);
    }
    assert!(banner.contains(&format!("http://{listen}/")), "{banner}");
    assert!(
        banner.contains(&format!("http://{admin}/metrics")),
        "{banner}"
    );
    assert!(banner.contains("curl"), "{banner}");
    let app_url = banner
        .lines()
        .find(|l| l.contains("unprotected"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_owned();
    let app_addr = app_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();

    // Wait for the guard's listener (the banner comes just before it binds).
    let guard_addr = listen.parse().unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(guard_addr).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }

    let direct = raw_get(app_addr, "/", &[]);
    assert_eq!(direct.header("X-Powered-By"), Some("Express"));
    assert!(direct.header("Content-Security-Policy").is_none());

    let guarded = raw_get(guard_addr, "/", &[]);
    assert_eq!(guarded.status(), 200);
    assert!(guarded.header("X-Powered-By").is_none());
    assert!(guarded.header("Content-Security-Policy").is_some());
    assert!(guarded.header("X-Request-Id").is_some());
    assert!(String::from_utf8_lossy(&guarded.body).contains("Demo shop"));

    // On defaults the demo writes the CSP nonce into its pages and scrubs its stack traces.
    let page = raw_get(guard_addr, "/", &[("Accept", "text/html")]);
    let csp = page.header("Content-Security-Policy").unwrap().to_owned();
    let nonce = csp
        .split(['\'', ' ', ';'])
        .find_map(|s| s.strip_prefix("nonce-"))
        .expect("a nonce in the policy")
        .to_owned();
    assert!(
        String::from_utf8_lossy(&page.body).contains(&format!("<script nonce=\"{nonce}\">")),
        "the page's inline script carries the policy's nonce"
    );
    let boom = raw_get(guard_addr, "/boom", &[]);
    assert_eq!(boom.status(), 500);
    assert!(!String::from_utf8_lossy(&boom.body).contains("TypeError"));
    assert!(String::from_utf8_lossy(&raw_get(app_addr, "/boom", &[]).body).contains("TypeError"));

    // The console: its address and a made-up token are in the banner, and the token logs in.
    assert!(
        banner.contains(&format!("http://{admin}/console")),
        "{banner}"
    );
    let token = banner
        .lines()
        .find(|l| l.contains("console token:"))
        .and_then(|l| l.split_whitespace().last())
        .expect("the console token in the banner")
        .to_owned();
    let admin_addr: std::net::SocketAddr = admin.parse().unwrap();
    let login = |token: &str| -> u16 {
        use std::io::{Read, Write};
        let body = format!("token={token}");
        let mut conn = std::net::TcpStream::connect(admin_addr).unwrap();
        write!(
            conn,
            "POST /console/login HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer.split(' ').nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(login("wrong"), 401);
    assert_eq!(login(&token), 303);

    let api = raw_get(guard_addr, "/api/items", &[]);
    assert!(String::from_utf8_lossy(&api.body).contains("Lamp"));

    // The attacks the banner suggests are refused, and their events show up live.
    let attack = raw_get(guard_addr, "/.env", &[]);
    assert_eq!(attack.status(), 403);
    let sqli = raw_get(
        guard_addr,
        "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--",
        &[],
    );
    assert_eq!(sqli.status(), 403);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(seen.contains("sensitive_file_probe") && seen.contains("malicious_traffic")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push_str(&line),
            Err(_) => panic!("the demo did not print the events; printed:\n{seen}"),
        }
    }

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..400 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    panic!("demo did not stop on SIGINT");
}
