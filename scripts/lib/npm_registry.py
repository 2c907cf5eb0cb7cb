"""A local npm registry for scripts/bench-update: packages made with `npm pack`, packuments
and tarballs written as static files, served by http.server on 127.0.0.1 (what
registry.npmjs.org serves, minus the database).

Usage: npm_registry.py DIR N BREAKING   -> writes DIR, serves it, prints the URL, then serves
until killed. Packages dep-0..dep-(N-1) at 1.0.0 and 1.1.0; dep-BREAKING's 1.1.0 returns 2.
"""
import base64, functools, hashlib, http.server, json, os, subprocess, sys, tempfile, threading

def publish(root, url, name, versions):
    doc = {"name": name, "dist-tags": {}, "versions": {},
           "repository": {"type": "git", "url": f"git+https://github.com/example/{name}.git"}}
    os.makedirs(os.path.join(root, "-"), exist_ok=True)
    for version, value in versions:
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "package.json"), "w") as f:
                json.dump({"name": name, "version": version, "main": "index.js", "license": "MIT"}, f)
            with open(os.path.join(work, "index.js"), "w") as f:
                f.write(f"module.exports = () => {value};\n")
            out = subprocess.run(["npm", "pack", "--silent", "--pack-destination", work],
                                 cwd=work, check=True, capture_output=True, text=True)
            tgz = out.stdout.strip().splitlines()[-1]
            data = open(os.path.join(work, tgz), "rb").read()
        file = f"{name}-{version}.tgz"
        open(os.path.join(root, "-", file), "wb").write(data)
        doc["versions"][version] = {
            "name": name, "version": version, "main": "index.js",
            "dist": {"tarball": f"{url}/-/{file}", "shasum": hashlib.sha1(data).hexdigest(),
                     "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()},
        }
        doc["dist-tags"]["latest"] = version
    with open(os.path.join(root, name), "w") as f:
        json.dump(doc, f)

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

def main():
    root, n, breaking = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(root, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for i in range(n):
        publish(root, url, f"dep-{i}", [("1.0.0", 1), ("1.1.0", 2 if i == breaking else 1)])
    print(url, flush=True)
    server.serve_forever()

main()
