# Generates a mixed auth.log (sshd failures and successes, PAM, cron, sudo, logind), seeded:
# the same file every run. Usage: gen_auth_log.py LINES OUT
import random, sys
n = int(sys.argv[1]); out = open(sys.argv[2], "w")
rnd = random.Random(42)
users = ["root","admin","ubuntu","test","oracle","postgres","deploy","git","user","pi"]
months = ["Nov"]
def ip():
    if rnd.random() < 0.1:
        return "2001:db8:%x:%x::%x" % (rnd.randrange(65536), rnd.randrange(65536), rnd.randrange(1,65536))
    return "%d.%d.%d.%d" % (rnd.randrange(1,224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(1,255))
for i in range(n):
    s = i % 86400
    ts = "Nov %2d %02d:%02d:%02d" % (1 + (i // 86400) % 28, s // 3600, (s // 60) % 60, s % 60)
    # One pid per line: fail2ban ties lines of one connection (host + pid) together, and
    # random pids would join unrelated lines into one "connection".
    pid = 1000 + i % 4000000
    r = rnd.random(); u = rnd.choice(users); a = ip(); port = rnd.randrange(1024, 65536)
    if r < 0.20: msg = f"sshd[{pid}]: Failed password for {u} from {a} port {port} ssh2"
    elif r < 0.30: msg = f"sshd[{pid}]: Failed password for invalid user {u}{rnd.randrange(100)} from {a} port {port} ssh2"
    elif r < 0.38: msg = f"sshd[{pid}]: Invalid user {u}{rnd.randrange(100)} from {a} port {port}"
    elif r < 0.43: msg = f"sshd[{pid}]: Accepted publickey for {u} from {a} port {port} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    elif r < 0.45: msg = f"sshd[{pid}]: Accepted password for {u} from {a} port {port} ssh2"
    elif r < 0.55: msg = f"sshd[{pid}]: Connection closed by authenticating user {u} {a} port {port} [preauth]"
    elif r < 0.62: msg = f"sshd[{pid}]: Received disconnect from {a} port {port}:11: Bye Bye [preauth]"
    elif r < 0.68: msg = f"sshd[{pid}]: Disconnected from invalid user {u} {a} port {port} [preauth]"
    elif r < 0.70: msg = f"sshd[{pid}]: error: maximum authentication attempts exceeded for {u} from {a} port {port} ssh2 [preauth]"
    elif r < 0.72: msg = f"sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={a}  user={u}"
    elif r < 0.80: msg = f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {u}(uid=1000) by (uid=0)"
    elif r < 0.86: msg = f"CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
    elif r < 0.90: msg = f"systemd-logind[{pid}]: New session {pid} of user {u}."
    elif r < 0.95: msg = f"sshd[{pid}]: Connection from {a} port {port} on 10.0.0.1 port 22 rdomain \"\""
    else: msg = f"sudo[{pid}]:     {u} : TTY=pts/0 ; PWD=/home/{u} ; USER=root ; COMMAND=/usr/bin/apt update"
    out.write(f"{ts} host {msg}\n")
