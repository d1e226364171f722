#!/usr/bin/env python3
"""A tiny token server for the docker-registry `auth: token` tests (Docker's token
flow). Signs RS256 JWTs with `openssl dgst`, putting the certificate in the x5c header
so the registry can check it against its root bundle. Listens on 127.0.0.1, writes its
port to --port-file. Optional --user/--password: basic credentials it demands."""
import argparse, base64, json, subprocess, time, urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
for flag in ("--port-file", "--key", "--cert", "--issuer", "--service", "--user", "--password"):
    p.add_argument(flag, default="")
args = p.parse_args()

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

with open(args.cert) as f:
    pem = f.read()
der = base64.b64decode("".join(l for l in pem.splitlines() if "CERTIFICATE" not in l))

def token(scopes):
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) == 3:
            access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
    claims = {"iss": args.issuer, "sub": args.user or "anonymous", "aud": args.service,
              "exp": now + 600, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
              "access": access}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64(sig)

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        if args.user:
            want = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.end_headers()
                return
        scopes = urllib.parse.parse_qs(url.query).get("scope", [])
        body = json.dumps({"token": token(scopes), "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
