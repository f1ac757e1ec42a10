#!/usr/bin/env python3
"""Interop test: the official Voximplant Python client against a real Strongroom server.

    pip install -r requirements.txt
    python python_client.py --binary target/release/strongroom [--site-root target/site]

Starts `strongroom serve` over HTTPS with a throwaway self-signed certificate and data
directory, creates service-account keys with the CLI, drives every secret and application
method through `voximplant-apiclient` (the contract: docs/api.md) and checks the
results, the error codes, roles, revocation, a clean SIGTERM shutdown and that no secret value
or private key reached the server log. Prints one line per step; exits 0 on success and 1 on
the first failure.
"""

import argparse
import datetime
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import shutil
import traceback
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from voximplant.apiclient import VoximplantAPI, VoximplantException

ACCOUNT_NAME = "default"
STARTUP_TIMEOUT = 30
# The panel Owner the server creates at start (STRONGROOM_ADMIN_USER / _PASSWORD).
PANEL_USER = "interop-owner"
PANEL_PASSWORD = "interop-owner-password"
SHUTDOWN_TIMEOUT = 15
CLI_TIMEOUT = 60
REPO_ROOT = Path(__file__).resolve().parents[3]


def full_name(short):
    return f"{short}.{ACCOUNT_NAME}.strongroom"


# ----------------------------------------------------------------------------- checks


class Failure(Exception):
    """A check failed; the message says which and why."""


def ok(msg):
    print(f"ok    {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(actual, expected, what):
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def check_int(value, what):
    check(isinstance(value, int) and not isinstance(value, bool),
          f"{what}: expected an integer, got {value!r}")


def check_utc_datetime(value, what):
    """The client turns `YYYY-MM-DD HH:MM:SS` into an aware UTC datetime; anything else stays a str."""
    check(isinstance(value, datetime.datetime) and value.tzinfo is not None,
          f"{what}: expected a datetime parsed by the client, got {value!r}")
    now = datetime.datetime.now(datetime.timezone.utc)
    check(abs(now - value) < datetime.timedelta(minutes=5),
          f"{what}: {value} is not within 5 minutes of now ({now}); not UTC?")


def expect_error(code, fn, *args, **kw):
    """Call fn and require it to raise VoximplantException with this code; returns the exception."""
    try:
        res = fn(*args, **kw)
    except VoximplantException as e:
        check(e.code == code,
              f"{fn.__name__}: expected error {code}, got error {e.code}: {e.message}")
        return e
    raise Failure(f"{fn.__name__}: expected error {code}, got success: {res!r}")


def single(res, what):
    """The one item of an array-of-one `result` (AddSecret, GetSecretValue)."""
    items = res.get("result") if isinstance(res, dict) else None
    check(isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict),
          f"{what}: expected result to be a list of one object, got {res!r}")
    return items[0]


# ----------------------------------------------------------------------------- setup


def make_certificate(tmp):
    """Self-signed P-256 certificate for 127.0.0.1/localhost that is its own trust anchor."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strongroom interop test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName("localhost"),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_path.chmod(0o600)
    ok(f"self-signed certificate written to {cert_path}")
    return cert_path, key_path


def clean_env():
    """The caller's environment without any STRONGROOM_* setting (notably STRONGROOM_MASTER_KEY)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}


def run_cli(binary, *args):
    cmd = [str(binary), *args]
    try:
        proc = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"`{' '.join(cmd)}` did not finish within {CLI_TIMEOUT} s")
    check(proc.returncode == 0,
          f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc.stdout


def create_service_account(binary, data_dir, role, out):
    run_cli(binary, "service-account", "create", "--role", role, "--out", str(out),
            "--data-dir", str(data_dir))
    check(out.is_file(), f"service-account create --role {role}: {out} was not created")
    mode = stat.S_IMODE(out.stat().st_mode)
    check(mode == 0o600, f"{out}: expected mode 0600, got {mode:04o}")
    try:
        creds = json.loads(out.read_text())
    except ValueError as e:
        raise Failure(f"{out} is not JSON: {e}")
    check(isinstance(creds, dict), f"{out}: expected a JSON object, got {creds!r}")
    check(isinstance(creds.get("account_email"), str),
          f"{out}: account_email missing or not a string: {creds.get('account_email')!r}")
    check_int(creds.get("account_id"), f"{out}: account_id")
    check(isinstance(creds.get("key_id"), str) and creds["key_id"],
          f"{out}: key_id missing or not a non-empty string: {creds.get('key_id')!r}")
    pem = creds.get("private_key")
    check(isinstance(pem, str) and pem.startswith("-----BEGIN"),
          f"{out}: private_key missing or not a PEM string")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as e:
        raise Failure(f"{out}: private_key does not parse as a PEM private key: {e}")
    check(isinstance(key, rsa.RSAPrivateKey),
          f"{out}: private_key is a {type(key).__name__}, expected RSA (the client signs RS256)")
    ok(f"service-account create --role {role}: {out.name} (mode 0600, key_id {creds['key_id']})")
    return creds


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, site_root, cert_path, key_path, log_path):
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.tls = ssl.create_default_context(cafile=str(cert_path))
        env = clean_env()
        env["STRONGROOM_LOG"] = "debug"
        env["STRONGROOM_ADMIN_USER"] = PANEL_USER
        env["STRONGROOM_ADMIN_PASSWORD"] = PANEL_PASSWORD
        self.cmd = [
            str(binary), "serve",
            "--listen", f"127.0.0.1:{self.port}",
            "--tls-cert", str(cert_path),
            "--tls-key", str(key_path),
            "--data-dir", str(data_dir),
            "--site-root", str(site_root),
        ]
        self.log_file = open(log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, env=env, cwd=str(data_dir.parent),
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)

    def log_tail(self, lines=40):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"

    def healthz(self, timeout=2.0):
        return httpx.get(f"{self.base}/healthz", verify=self.tls, timeout=timeout,
                         trust_env=False)

    def wait_healthy(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no attempt"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise Failure(f"server exited with code {code} before answering /healthz")
            try:
                r = self.healthz()
                if r.status_code == 200:
                    ok(f"server healthy at {self.base} (pid {self.proc.pid})")
                    return
                last = f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"
            time.sleep(0.2)
        raise Failure(f"{self.base}/healthz did not answer 200 within {STARTUP_TIMEOUT} s "
                      f"(last: {last})")

    def stop(self):
        """SIGTERM; the server must exit 0 within SHUTDOWN_TIMEOUT seconds."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"server did not exit within {SHUTDOWN_TIMEOUT} s of SIGTERM")
        check(code == 0, f"server exited with code {code} after SIGTERM")
        ok("SIGTERM: server exited 0")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


# ----------------------------------------------------------------------------- phases


def check_tls_only(server):
    url = f"http://127.0.0.1:{server.port}/healthz"
    try:
        r = httpx.get(url, timeout=5.0, trust_env=False)
    except httpx.HTTPError as e:
        outcome = type(e).__name__
    else:
        check(not r.is_success, f"plain {url} got HTTP {r.status_code}; the port must be TLS only")
        outcome = f"HTTP {r.status_code}"
    check(server.healthz(timeout=5.0).status_code == 200,
          "server stopped answering /healthz over TLS after a plain-HTTP request")
    ok(f"plain http:// refused ({outcome}); TLS still healthy")


def panel_over_https_phase(server, owner_key_id):
    """Sign in to the panel over HTTPS: cookies are __Host- prefixed, Secure, HttpOnly (the
    session) and SameSite=Strict; pages send HSTS; the API's value reads are in the audit log
    under the service-account key id."""
    with httpx.Client(base_url=server.base, verify=server.tls, trust_env=False) as client:
        r = client.post("/api/sign_in", headers={"x-csrf-token": "-"},
                        data={"username": PANEL_USER, "password": PANEL_PASSWORD})
        check_eq(r.status_code, 200, "sign_in over HTTPS status")
        cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
        check(set(cookies) == {"__Host-strongroom_session", "__Host-strongroom_csrf"},
              f"cookie names over HTTPS: {sorted(cookies)}")
        for name, cookie in cookies.items():
            attrs = [a.strip() for a in cookie.split(";")[1:]]
            for want in ("Path=/", "SameSite=Strict", "Secure"):
                check(want in attrs, f"{name} lacks {want}: {cookie}")
            check(("HttpOnly" in attrs) == name.endswith("session"),
                  f"only the session cookie is HttpOnly: {cookie}")
        ok("sign-in over HTTPS: __Host- cookies, Secure, SameSite=Strict, session HttpOnly")
        csrf = r.cookies.get("__Host-strongroom_csrf")
        page = client.get("/")
        check_eq(page.status_code, 200, "signed-in page status")
        check(page.headers.get("strict-transport-security", "").startswith("max-age="),
              f"no HSTS on a page: {dict(page.headers)}")
        check("'nonce-" in page.headers.get("content-security-policy", ""),
              "no nonce-based CSP on a page")
        ok("signed-in page over HTTPS: HSTS and a nonce-based CSP")
        r = client.post("/api/audit_log", headers={"x-csrf-token": csrf},
                        data={"actor": owner_key_id, "action": "secret.read"})
        check_eq(r.status_code, 200, "audit_log status")
        items = r.json()["items"]
        check(len(items) >= 1 and all(i["source"] == "api" and i["detail"] == "GetSecretValue"
                                      and i["actor_kind"] == "service_account" for i in items),
              f"GetSecretValue reads by {owner_key_id} not audited as expected: {items!r}")
        ok(f"audit log: {len(items)} GetSecretValue reads by key {owner_key_id}, source api")


def applications_phase(api):
    res = api.add_application("interop-app")
    check_eq(res.get("result"), 1, "add_application result")
    app_id = res.get("application_id")
    check_int(app_id, "add_application application_id")
    check_eq(res.get("application_name"), full_name("interop-app"), "add_application application_name")
    ok(f"add_application interop-app -> id {app_id}, {res['application_name']}")

    res = api.get_applications(application_name="interop")
    found = [a for a in res.get("result", []) if a.get("application_id") == app_id]
    check(len(found) == 1, f"get_applications(application_name='interop') lacks id {app_id}: {res!r}")
    check_eq(found[0].get("application_name"), full_name("interop-app"), "get_applications name")
    check_utc_datetime(found[0].get("modified"), "get_applications modified")
    check_int(res.get("count"), "get_applications count")
    check_int(res.get("total_count"), "get_applications total_count")
    ok("get_applications(application_name='interop') finds it; modified parsed to datetime")

    res = api.set_application_info(application_id=app_id, application_name="interop-renamed")
    check_eq(res.get("result"), 1, "set_application_info result")
    check_eq(res.get("application_name"), full_name("interop-renamed"),
             "set_application_info application_name")
    res = api.get_applications(application_id=app_id)
    check(len(res.get("result", [])) == 1, f"get_applications(application_id) after rename: {res!r}")
    check_eq(res["result"][0].get("application_name"), full_name("interop-renamed"),
             "application name after rename")
    ok(f"set_application_info -> {full_name('interop-renamed')}")
    return app_id


def secrets_phase(api, app_id, canaries):
    db_value = canaries["db"]
    res = api.add_secret(application_id=app_id, secret_name="db_password", secret_value=db_value,
                         description="primary")
    db_id = single(res, "add_secret db_password").get("secret_id")
    check_int(db_id, "add_secret db_password secret_id")
    ok(f"add_secret db_password by application_id -> secret_id {db_id}")

    res = api.add_secret(application_name="interop-renamed", secret_name="api_token",
                         secret_value=canaries["token"])
    token_id = single(res, "add_secret api_token").get("secret_id")
    check_int(token_id, "add_secret api_token secret_id")
    check(token_id > db_id, f"secret ids must increase: {db_id} then {token_id}")
    ok(f"add_secret api_token by short application_name -> secret_id {token_id}")

    res = api.get_secrets(application_id=app_id, secret_name_part="DB")
    check_eq(res.get("count"), 1, "get_secrets(secret_name_part='DB') count")
    check_eq(res.get("total_count"), 1, "get_secrets(secret_name_part='DB') total_count")
    check(isinstance(res.get("result"), list) and len(res["result"]) == 1,
          f"get_secrets(secret_name_part='DB') result: {res!r}")
    item = res["result"][0]
    check_eq(item.get("secret_id"), db_id, "get_secrets secret_id")
    check_eq(item.get("secret_name"), "db_password", "get_secrets secret_name")
    check_eq(item.get("description"), "primary", "get_secrets description")
    check_utc_datetime(item.get("created"), "get_secrets created")
    check_utc_datetime(item.get("modified"), "get_secrets modified")
    check("secret_value" not in item, f"get_secrets must never return values: {item!r}")
    ok("get_secrets(secret_name_part='DB'): 1 of 1, no secret_value, created parsed")

    res = api.get_secrets(application_id=app_id, count=1, offset=1)
    check_eq(res.get("count"), 1, "get_secrets(count=1, offset=1) count")
    check_eq(res.get("total_count"), 2, "get_secrets(count=1, offset=1) total_count")
    check(isinstance(res.get("result"), list) and len(res["result"]) == 1,
          f"get_secrets(count=1, offset=1) result: {res!r}")
    item = res["result"][0]
    check_eq(item.get("secret_id"), token_id, "get_secrets(offset=1) secret_id")
    check_eq(item.get("secret_name"), "api_token", "get_secrets(offset=1) secret_name")
    check("description" not in item, f"an empty description must be omitted: {item!r}")
    check("secret_value" not in item, f"get_secrets must never return values: {item!r}")
    ok("get_secrets(count=1, offset=1): api_token, total_count 2")

    res = api.get_secret_value(application_id=app_id, secret_name="db_password")
    item = single(res, "get_secret_value db_password")
    check(item.get("secret_value") == db_value, "get_secret_value db_password: wrong secret_value")
    check_eq(item.get("secret_id"), db_id, "get_secret_value secret_id")
    check_eq(item.get("secret_name"), "db_password", "get_secret_value secret_name")
    check_eq(item.get("description"), "primary", "get_secret_value description")
    check_utc_datetime(item.get("created"), "get_secret_value created")
    ok("get_secret_value db_password returns the canary")

    res = api.set_secret_info(application_id=app_id, secret_name="db_password",
                              new_secret_name="db_pass", secret_value=canaries["db_new"])
    check_eq(res.get("result"), 1, "set_secret_info result")
    item = single(api.get_secret_value(application_id=app_id, secret_name="db_pass"),
                  "get_secret_value db_pass")
    check(item.get("secret_value") == canaries["db_new"],
          "get_secret_value db_pass: value was not replaced")
    check_eq(item.get("secret_id"), db_id, "secret_id after rename")
    check_eq(item.get("description"), "primary", "description after set_secret_info without one")
    ok("set_secret_info rename db_password -> db_pass with a new value")
    return db_id, token_id


def errors_phase(api, app_id, canaries):
    e = expect_error(493, api.add_secret, application_id=app_id, secret_name="api_token",
                     secret_value=canaries["dup"])
    check_eq(e.message, "The 'secret_name' is not unique.", "493 message")
    ok("add_secret duplicate name -> 493")

    expect_error(493, api.set_secret_info, application_id=app_id, secret_name="db_pass",
                 new_secret_name="api_token")
    ok("set_secret_info rename onto api_token -> 493")

    expect_error(101, api.get_secret_value, application_id=app_id, secret_name="no_such_secret")
    expect_error(101, api.get_secret_value, application_id=app_id, secret_name="db_password")
    ok("get_secret_value unknown name (and the old name after rename) -> 101")

    expect_error(107, api.add_application, "Bad_Name")
    ok("add_application 'Bad_Name' -> 107")

    expect_error(129, api.add_application, "interop-renamed")
    ok("add_application duplicate -> 129")

    expect_error(116, api.get_secrets, application_id=999999)
    ok("get_secrets application_id=999999 -> 116")

    expect_error(558, api.get_secrets, application_name="nope")
    ok("get_secrets application_name='nope' -> 558")

    expect_error(101, api.del_secret, application_id=app_id, secret_name=["db_pass", "missing"])
    res = api.get_secrets(application_id=app_id)
    names = sorted(s.get("secret_name") for s in res.get("result", []))
    check_eq(names, ["api_token", "db_pass"], "secrets after the failed del_secret")
    check_eq(res.get("total_count"), 2, "total_count after the failed del_secret")
    ok("del_secret ['db_pass', 'missing'] -> 101, nothing deleted")


def deletion_phase(api, app_id):
    res = api.del_secret(application_id=app_id, secret_id="all")
    check_eq(res.get("result"), 1, "del_secret(secret_id='all') result")
    res = api.get_secrets(application_id=app_id)
    check_eq(res.get("result"), [], "secrets after del_secret all")
    check_eq(res.get("count"), 0, "count after del_secret all")
    check_eq(res.get("total_count"), 0, "total_count after del_secret all")
    ok("del_secret(secret_id='all') -> list empty")

    res = api.del_application(application_id=app_id)
    check_eq(res.get("result"), 1, "del_application result")
    res = api.get_applications(application_name="interop")
    ids = [a.get("application_id") for a in res.get("result", [])]
    check(app_id not in ids, f"get_applications still returns deleted application {app_id}: {res!r}")
    ok("del_application -> gone from get_applications")


def roles_phase(binary, data_dir, tmp, endpoint, owner):
    viewer = create_service_account(binary, data_dir, "Viewer", tmp / "viewer.json")
    viewer_api = VoximplantAPI(str(tmp / "viewer.json"), endpoint=endpoint)

    res = viewer_api.get_applications()
    check(isinstance(res.get("result"), list), f"viewer get_applications: {res!r}")
    ok("viewer: get_applications works")
    expect_error(104, viewer_api.add_application, "viewer-app")
    ok("viewer: add_application -> 104")

    out = run_cli(binary, "service-account", "list", "--data-dir", str(data_dir))
    for needle in (owner["key_id"], viewer["key_id"], "Owner", "Viewer"):
        check(needle in out, f"service-account list does not mention {needle!r}:\n{out}")
    ok("service-account list shows both keys and roles")

    run_cli(binary, "service-account", "revoke", viewer["key_id"], "--data-dir", str(data_dir))
    ok(f"service-account revoke {viewer['key_id']}")
    expect_error(100, viewer_api.get_applications)
    ok("revoked viewer key -> 100")
    return viewer


def check_log_clean(log_path, canaries, credentials):
    text = log_path.read_text(errors="replace")
    for label, value in canaries.items():
        check(value not in text, f"server log contains the {label} secret value")
    for creds in credentials:
        pem = creds["private_key"]
        body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
        check(pem not in text and not any(line in text for line in body),
              f"server log contains the private key of {creds['key_id']}")
    ok(f"server log ({len(text.splitlines())} lines) holds no secret value or private key")


# ----------------------------------------------------------------------------- main


def run(binary, site_root, tmp):
    cert_path, key_path = make_certificate(tmp)
    data_dir = tmp / "data"
    owner = create_service_account(binary, data_dir, "Owner", tmp / "owner.json")

    tag = secrets.token_hex(8)
    canaries = {
        "db": f"canary-{tag}",
        "token": f"canary-token-{tag}",
        "db_new": f"new-canary-{tag}",
        "dup": f"canary-dup-{tag}",
    }

    server = Server(binary, data_dir, site_root, cert_path, key_path, tmp / "server.log")
    try:
        server.wait_healthy()
        check_tls_only(server)

        os.environ["REQUESTS_CA_BUNDLE"] = str(cert_path)
        os.environ.pop("CURL_CA_BUNDLE", None)
        endpoint = f"127.0.0.1:{server.port}"
        api = VoximplantAPI(str(tmp / "owner.json"), endpoint=endpoint)

        app_id = applications_phase(api)
        secrets_phase(api, app_id, canaries)
        errors_phase(api, app_id, canaries)
        deletion_phase(api, app_id)
        viewer = roles_phase(binary, data_dir, tmp, endpoint, owner)
        panel_over_https_phase(server, owner["key_id"])

        server.stop()
        check_log_clean(server.log_path, {**canaries, "panel password": PANEL_PASSWORD},
                        [owner, viewer])
    except Exception:
        print(f"--- last lines of {server.log_path} ---\n{server.log_tail()}\n---",
              file=sys.stderr)
        raise
    finally:
        server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="path to the strongroom executable")
    parser.add_argument("--site-root", default=str(REPO_ROOT / "target" / "site"),
                        help="built panel assets (default: <repo>/target/site)")
    parser.add_argument("--keep-temp", action="store_true",
                        help="keep the temporary directory (certificate, data, log) afterwards")
    args = parser.parse_args()

    binary = Path(args.binary).resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        print(f"FAIL: {binary} is not an executable file", file=sys.stderr)
        return 2
    site_root = Path(args.site_root).resolve()

    # The client calls httpx with trust_env; never send 127.0.0.1 through a proxy.
    for var in ("NO_PROXY", "no_proxy"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

    tmp = Path(tempfile.mkdtemp(prefix="strongroom-interop-"))
    print(f"temp dir {tmp}", flush=True)
    try:
        run(binary, site_root, tmp)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    except VoximplantException as e:
        traceback.print_exc()
        print(f"FAIL: unexpected API error {e.code}: {e.message}", file=sys.stderr)
        return 1
    except Exception as e:
        traceback.print_exc()
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep_temp:
            print(f"kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS: voximplant-apiclient interop", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
