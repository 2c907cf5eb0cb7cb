//! Built-in and custom parsers over realistic lines.

mod common;

use palisade_logparse::sshd::{Sshd, Verdict};
use palisade_logparse::{BUILTIN, Entry, Outcome, Parser, RegexParser, builtin};

fn login(p: &str, line: &str) -> Option<(Outcome, String, Option<String>, &'static str)> {
    match builtin(p).unwrap().parse(line)? {
        Entry::Login(l) => Some((
            l.outcome,
            l.ip.to_string(),
            l.user.map(str::to_owned),
            l.kind,
        )),
        Entry::Request(_) => None,
    }
}

fn fail(p: &str, line: &str) -> (String, Option<String>) {
    let (o, ip, user, _) = login(p, line).unwrap_or_else(|| panic!("{p}: no login in {line:?}"));
    assert_eq!(o, Outcome::Failure, "{line}");
    (ip, user)
}

fn ok(p: &str, line: &str) -> (String, Option<String>) {
    let (o, ip, user, _) = login(p, line).unwrap_or_else(|| panic!("{p}: no login in {line:?}"));
    assert_eq!(o, Outcome::Success, "{line}");
    (ip, user)
}

fn s(ip: &str, user: Option<&str>) -> (String, Option<String>) {
    (ip.to_owned(), user.map(str::to_owned))
}

#[test]
fn sshd_lines() {
    let p = "Nov 28 10:00:01 gate sshd[812]: ";
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed password for root from 192.0.2.7 port 52001 ssh2")
        ),
        s("192.0.2.7", Some("root"))
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed password for invalid user a b from 192.0.2.7 port 22 ssh2")
        ),
        s("192.0.2.7", Some("a b"))
    );
    assert_eq!(fail("sshd", &format!("{p}Failed password for invalid user x from 9.9.9.9 port 1 ssh2 from 192.0.2.7 port 22 ssh2")).0, "192.0.2.7");
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed password for invalid user from from 192.0.2.7 port 22 ssh2")
        ),
        s("192.0.2.7", Some("from"))
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed password for invalid user Jürgen from 2001:db8::7 port 22 ssh2")
        ),
        s("2001:db8::7", Some("Jürgen"))
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed password for root from ::ffff:192.0.2.7 port 22 ssh2")
        )
        .0,
        "192.0.2.7"
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Failed keyboard-interactive/pam for root from 192.0.2.7 port 22 ssh2")
        )
        .0,
        "192.0.2.7"
    );
    assert!(
        login(
            "sshd",
            &format!("{p}Failed publickey for root from 192.0.2.7 port 22 ssh2: RSA SHA256:x")
        )
        .is_none()
    );
    assert_eq!(
        fail(
            "sshd",
            &format!(
                "{p}Failed publickey for invalid user bob from 192.0.2.7 port 22 ssh2: RSA SHA256:x"
            )
        )
        .1
        .as_deref(),
        Some("bob")
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}Invalid user admin from 192.0.2.7 port 4444")
        ),
        s("192.0.2.7", Some("admin"))
    );
    assert_eq!(
        fail("sshd", &format!("{p}Invalid user admin from 192.0.2.7")),
        s("192.0.2.7", Some("admin"))
    );
    assert_eq!(fail("sshd", &format!("{p}error: maximum authentication attempts exceeded for invalid user x from 192.0.2.7 port 22 ssh2 [preauth]")).0, "192.0.2.7");
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}error: PAM: Authentication failure for root from 192.0.2.7")
        ),
        s("192.0.2.7", Some("root"))
    );
    assert_eq!(
        fail(
            "sshd",
            &format!("{p}User bob from 192.0.2.7 not allowed because not listed in AllowUsers")
        ),
        s("192.0.2.7", Some("bob"))
    );
    assert_eq!(
        ok(
            "sshd",
            &format!(
                "{p}Accepted publickey for bob from 192.0.2.7 port 22 ssh2: ED25519 SHA256:abc"
            )
        ),
        s("192.0.2.7", Some("bob"))
    );
    assert_eq!(
        ok(
            "sshd",
            &format!("{p}Accepted keyboard-interactive/pam for bob from 192.0.2.7 port 22 ssh2")
        )
        .1
        .as_deref(),
        Some("bob")
    );
    // No-fail lines: not failures, but classify() names them.
    for m in [
        "Connection closed by authenticating user root 192.0.2.7 port 22 [preauth]",
        "Connection closed by invalid user a b 192.0.2.7 port 22 [preauth]",
        "Disconnected from authenticating user root 192.0.2.7 port 22 [preauth]",
        "Disconnecting authenticating user root 192.0.2.7 port 22: Too many authentication failures [preauth]",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7  user=root",
    ] {
        let line = format!("{p}{m}");
        assert!(login("sshd", &line).is_none(), "{line}");
        let e = Sshd.classify(&line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(
            (e.verdict, e.ip.to_string()),
            (Verdict::NoFail, "192.0.2.7".to_owned()),
            "{line}"
        );
    }
    assert_eq!(
        Sshd.classify(&format!(
            "{p}Connection closed by invalid user a b 192.0.2.7 port 22 [preauth]"
        ))
        .unwrap()
        .user,
        Some("a b")
    );
    // Prefixes: none (sshd -E, CRLF), sshd-session, ISO dates; other programs ignored.
    assert_eq!(
        fail(
            "sshd",
            "Failed password for root from 192.0.2.7 port 22 ssh2\r"
        )
        .0,
        "192.0.2.7"
    );
    assert_eq!(fail("sshd", "Nov 28 10:00:01 gate sshd-session[9]: Failed password for root from 192.0.2.7 port 22 ssh2").0, "192.0.2.7");
    assert_eq!(
        fail(
            "sshd",
            "2026-11-28T10:00:01.123456+00:00 gate sshd[9]: Invalid user x from 192.0.2.7 port 22"
        )
        .0,
        "192.0.2.7"
    );
    assert!(
        login(
            "sshd",
            "Nov 28 10:00:01 gate CRON[1]: Failed password for root from 192.0.2.7 port 22 ssh2"
        )
        .is_none()
    );
    assert!(
        login(
            "sshd",
            "Nov 28 10:00:01 gate sshd[1]: Failed password for root from host.example port 22 ssh2"
        )
        .is_none()
    );
}

#[test]
fn ftp_lines() {
    assert_eq!(
        fail(
            "vsftpd",
            "Sat Nov 28 10:00:01 2026 [pid 1234] [bob] FAIL LOGIN: Client \"::ffff:127.0.0.1\""
        ),
        s("127.0.0.1", Some("bob"))
    );
    assert_eq!(
        ok(
            "vsftpd",
            "Sat Nov 28 10:00:01 2026 [pid 1234] [bob] OK LOGIN: Client \"127.0.0.1\""
        ),
        s("127.0.0.1", Some("bob"))
    );
    assert_eq!(
        fail(
            "vsftpd",
            "Nov 28 10:00:01 h vsftpd[1234]: [bob] FAIL LOGIN: Client \"1.2.3.4\""
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "vsftpd",
            "Nov 28 10:00:01 h vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=bob rhost=1.2.3.4  user=bob"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert!(
        login(
            "vsftpd",
            "Sat Nov 28 10:00:01 2026 [pid 1234] CONNECT: Client \"1.2.3.4\""
        )
        .is_none()
    );
    let pro = "Nov 28 10:00:01 h proftpd[1234]: host.example (1.2.3.4[1.2.3.4]) - ";
    assert_eq!(
        fail(
            "proftpd",
            &format!("{pro}USER bob (Login failed): Incorrect password")
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "proftpd",
            &format!("{pro}USER bob: no such user found from 1.2.3.4 [1.2.3.4] to 10.0.0.1:21")
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "proftpd",
            &format!("{pro}Maximum login attempts (3) exceeded")
        ),
        s("1.2.3.4", None)
    );
    assert_eq!(
        ok("proftpd", &format!("{pro}USER bob: Login successful.")),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "pure-ftpd",
            "Nov 28 10:00:01 h pure-ftpd: (?@1.2.3.4) [WARNING] Authentication failed for user [bob]"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "pure-ftpd",
            "Nov 28 10:00:01 h pure-ftpd: (?@2001:db8::2) [WARNING] Authentication failed for user [a b]"
        ),
        s("2001:db8::2", Some("a b"))
    );
    assert_eq!(
        ok(
            "pure-ftpd",
            "Nov 28 10:00:01 h pure-ftpd: (bob@1.2.3.4) [INFO] bob is now logged in"
        ),
        s("1.2.3.4", Some("bob"))
    );
}

#[test]
fn mail_lines() {
    assert_eq!(
        fail(
            "postfix",
            "Nov 28 10:00:01 mx postfix/smtpd[1]: warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
        ),
        s("1.2.3.4", None)
    );
    assert_eq!(
        fail(
            "postfix",
            "Nov 28 10:00:01 mx postfix/submission/smtpd[1]: warning: h.example[2001:db8::3]: SASL CRAM-MD5 authentication failed: authentication failure, sasl_username=bob"
        ),
        s("2001:db8::3", Some("bob"))
    );
    assert!(login("postfix", "Nov 28 10:00:01 mx postfix/smtpd[1]: warning: unknown[1.2.3.4]: SASL PLAIN authentication failed: Connection lost to authentication server").is_none());
    assert_eq!(
        ok(
            "postfix",
            "Nov 28 10:00:01 mx postfix/smtpd[1]: 4Xy: client=unknown[1.2.3.4], sasl_method=PLAIN, sasl_username=bob"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert!(login("postfix", "Nov 28 10:00:01 mx CRON[1]: warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: x").is_none());
    assert_eq!(
        fail(
            "dovecot",
            "Nov 28 10:00:01 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=1.2.3.4, lip=10.0.0.1, TLS, session=<x>"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "dovecot",
            "Nov 28 10:00:01 mx dovecot[9]: pop3-login: Aborted login (auth failed, 3 attempts in 10 secs): user=<bob>, method=PLAIN, rip=1.2.3.4, lip=10.0.0.1"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "dovecot",
            "Nov 28 10:00:01 mx dovecot: auth: passwd-file(bob,1.2.3.4): unknown user"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        fail(
            "dovecot",
            "Nov 28 10:00:01 mx dovecot: auth-worker(12): pam(bob,1.2.3.4): pam_authenticate() failed: Authentication failure"
        ),
        s("1.2.3.4", Some("bob"))
    );
    assert_eq!(
        ok(
            "dovecot",
            "Nov 28 10:00:01 mx dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=1.2.3.4, lip=10.0.0.1, mpid=1"
        ),
        s("1.2.3.4", Some("bob"))
    );
}

#[test]
fn web_lines() {
    let nginx = builtin("nginx").unwrap();
    let Some(Entry::Request(r)) = nginx.parse("203.0.113.5 - alice [28/Nov/2026:10:00:01 +0000] \"GET /path?q=1 HTTP/1.1\" 404 153 \"https://ref/\" \"Mozilla/5.0 \\\"x\\\"\"") else { panic!() };
    assert_eq!(
        (
            r.ip.to_string().as_str(),
            r.method,
            r.target,
            r.status,
            r.user,
            r.user_agent
        ),
        (
            "203.0.113.5",
            "GET",
            "/path?q=1",
            404,
            Some("alice"),
            Some("Mozilla/5.0 \\\"x\\\"")
        )
    );
    let Some(Entry::Request(r)) = nginx.parse(
        "2001:db8::9 - - [28/Nov/2026:10:00:01 +0000] \"\\x16\\x03\\x01\\x00\" 400 157 \"-\" \"-\"",
    ) else {
        panic!()
    };
    assert_eq!(
        (r.method, r.target, r.status, r.user, r.user_agent),
        ("", "", 400, None, None)
    );
    let Some(Entry::Request(r)) =
        nginx.parse("203.0.113.5 - - [28/Nov/2026:10:00:01 +0000] \"-\" 408 0")
    else {
        panic!()
    };
    assert_eq!((r.method, r.status), ("", 408));
    let apache = builtin("apache").unwrap();
    let Some(Entry::Request(r)) = apache.parse("example.com:443 203.0.113.5 - - [28/Nov/2026:10:00:01 +0000] \"POST /login HTTP/1.1\" 401 20 \"-\" \"curl/8\"") else { panic!() };
    assert_eq!(
        (r.method, r.target, r.status, r.user_agent),
        ("POST", "/login", 401, Some("curl/8"))
    );
    assert!(
        nginx
            .parse("example.com:443 203.0.113.5 - - [x] \"GET / HTTP/1.1\" 200 1")
            .is_none()
    );
}

#[test]
fn custom_parsers() {
    let p = RegexParser::with_patterns(
        "app",
        "web",
        &[
            r"auth (?P<outcome>\w+) for (?P<user>\S+) from (?P<ip>\S+)",
            r"^BAN (?P<ip>\S+)$",
        ],
        Outcome::Failure,
    )
    .unwrap();
    let get = |l: &str| match p.parse(l) {
        Some(Entry::Login(l)) => Some((l.outcome, l.user.map(str::to_owned))),
        _ => None,
    };
    assert_eq!(
        get("Nov 28 10:00:01 h app[1]: auth FAILED for bob from 1.2.3.4"),
        Some((Outcome::Failure, Some("bob".into())))
    );
    assert_eq!(
        get("auth Accepted for bob from 1.2.3.4"),
        Some((Outcome::Success, Some("bob".into())))
    );
    assert_eq!(get("auth pending for bob from 1.2.3.4"), None);
    assert_eq!(get("BAN 1.2.3.4"), Some((Outcome::Failure, None)));
    assert_eq!(get("auth failed for bob from not-an-ip"), None);
    let e = RegexParser::new("x", "y", r"(?P<user>\S+)", Outcome::Failure).unwrap_err();
    assert!(e.to_string().contains("no named group `ip`"), "{e}");
    let e = RegexParser::new("x", "y", r"(?P<ip>(\S+)", Outcome::Failure).unwrap_err();
    assert!(e.to_string().contains("(?P<ip>(\\\\S+)"), "{e}");
    assert!(RegexParser::new("x", "y", r"(?P<ip>\S+)(?=x)", Outcome::Failure).is_err());
}

#[test]
fn never_panics() {
    let parsers: Vec<Box<dyn Parser>> = BUILTIN.iter().map(|n| builtin(n).unwrap()).collect();
    let mut lines = common::auth_log(64);
    lines.push(
        "Sat Nov 28 10:00:01 2026 [pid 1234] [bob] FAIL LOGIN: Client \"::ffff:127.0.0.1\"".into(),
    );
    lines.push(
        "203.0.113.5 - alice [28/Nov/2026:10:00:01 +0000] \"GET /p HTTP/1.1\" 404 153 \"r\" \"ua\""
            .into(),
    );
    lines.push("Nov 28 10:00:01 h proftpd[1]: host.example (1.2.3.4[1.2.3.4]) - USER bob (Login failed): Incorrect password".into());
    lines.push("Nov 28 10:00:01 mx dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=1.2.3.4".into());
    let mut seed: u64 = 42;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for line in &lines {
        // Every truncation at a char boundary, and the line with one char replaced.
        for (i, _) in line.char_indices() {
            for p in &parsers {
                let _ = p.parse(&line[..i]);
                let _ = p.parse(&line[i..]);
            }
        }
        for _ in 0..50 {
            let mut chars: Vec<char> = line.chars().collect();
            let at = rnd() as usize % chars.len().max(1);
            if let Some(c) = chars.get_mut(at) {
                *c = [
                    ' ', '"', '[', ']', '(', ')', ':', '\u{e9}', '\0', '>', '<', ',',
                ][rnd() as usize % 12];
            }
            let s: String = chars.into_iter().collect();
            for p in &parsers {
                let _ = p.parse(&s);
            }
        }
    }
    for _ in 0..5000 {
        let len = rnd() as usize % 120;
        const ALPHABET: &[u8] = b" :[]()\"<>@,=/.0123456789abfFDIU\r\n\xc3\xa9";
        let bytes: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rnd() as usize % ALPHABET.len()])
            .collect();
        let s = String::from_utf8_lossy(&bytes);
        for p in &parsers {
            let _ = p.parse(&s);
        }
    }
}

#[test]
fn generated_mix_counts() {
    let lines = common::auth_log(16 * 100);
    let sshd = builtin("sshd").unwrap();
    let fails = lines
        .iter()
        .filter(|l| {
            matches!(
                sshd.parse(l),
                Some(Entry::Login(Login {
                    outcome: Outcome::Failure,
                    ..
                }))
            )
        })
        .count();
    assert!(fails > 300 && fails < 900, "{fails}");
}

use palisade_logparse::Login;
