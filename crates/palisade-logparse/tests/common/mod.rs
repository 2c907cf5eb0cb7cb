//! A deterministic mixed auth.log, shared by tests and the benchmark.

/// `n` lines of a realistic auth.log mix (sshd failures, successes, noise of other programs).
#[allow(dead_code)]
pub fn auth_log(n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ip = format!(
            "{}.{}.{}.{}",
            1 + (x % 223),
            (x >> 8) % 256,
            (x >> 16) % 256,
            1 + (x >> 24) % 254
        );
        let pid = 1000 + i;
        let port = 1024 + (x >> 32) % 60000;
        let user = ["root", "admin", "oracle", "test", "ubuntu", "git"][(x >> 40) as usize % 6];
        let p = format!("Nov 28 10:{:02}:{:02} gate", (i / 60) % 60, i % 60);
        let line = match (x >> 44) % 16 {
            0 | 1 => {
                format!("{p} sshd[{pid}]: Failed password for {user} from {ip} port {port} ssh2")
            }
            2 => format!("{p} sshd[{pid}]: Invalid user {user} from {ip} port {port}"),
            3 => format!(
                "{p} sshd[{pid}]: Failed password for invalid user {user} from {ip} port {port} ssh2"
            ),
            4 => format!(
                "{p} sshd[{pid}]: Connection closed by authenticating user {user} {ip} port {port} [preauth]"
            ),
            5 => format!(
                "{p} sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}"
            ),
            6 => format!(
                "{p} sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:abcdef"
            ),
            7 => format!(
                "{p} sshd[{pid}]: Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"
            ),
            8 => format!(
                "{p} sshd[{pid}]: Disconnected from invalid user {user} {ip} port {port} [preauth]"
            ),
            9 => format!(
                "{p} sshd[{pid}]: error: maximum authentication attempts exceeded for {user} from {ip} port {port} ssh2 [preauth]"
            ),
            10 => format!(
                "{p} CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
            ),
            11 => format!("{p} systemd-logind[412]: New session {pid} of user {user}."),
            12 => format!(
                "{p} sudo:    {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/apt update"
            ),
            13 => format!(
                "{p} sshd[{pid}]: Failed publickey for {user} from {ip} port {port} ssh2: RSA SHA256:xyz"
            ),
            14 => format!("{p} sshd[{pid}]: Connection reset by {ip} port {port} [preauth]"),
            _ => format!("{p} CRON[{pid}]: pam_unix(cron:session): session closed for user root"),
        };
        out.push(line);
    }
    out
}
