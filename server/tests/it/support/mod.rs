//! Runs a real `strongroom` process on a free loopback port with its own data directory, and
//! talks to it over HTTP the way the browser does (server functions under `/api/`).

pub mod api;
pub mod scenarios;
pub mod step_up;

use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    log_file: PathBuf,
    client: reqwest::Client,
    /// The session `call` uses: the Owner's, signed in at start (unless started `fresh`).
    pub session: Option<Session>,
}

/// The Owner every test server starts with (STRONGROOM_ADMIN_USER / _PASSWORD).
pub const OWNER: &str = "owner";
pub const OWNER_PASSWORD: &str = "owner-password-for-tests";

/// A signed-in session: the two cookies the server set.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub csrf: String,
}

impl Session {
    pub fn cookie(&self) -> String {
        format!(
            "strongroom_session={}; strongroom_csrf={}",
            self.token, self.csrf
        )
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// Starts `strongroom serve` and returns the child without waiting for it to be ready.
pub fn spawn(data_dir: &Path, port: u16, env: &[(&str, &str)], log_file: &Path) -> Child {
    let log = std::fs::File::create(log_file).expect("log file");
    let mut command = Command::new(env!("CARGO_BIN_EXE_strongroom"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STRONGROOM_MASTER_KEY")
        .env("STRONGROOM_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("cannot start strongroom")
}

/// Starts a server on a fresh data directory inside a temporary one (kept while the first half
/// of the pair lives).
pub async fn start_temp() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&tmp.path().join("data")).await;
    (tmp, server)
}

impl Server {
    pub async fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[]).await
    }

    /// Starts with the Owner `OWNER` (created on first start) and signs in as them.
    pub async fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut all = vec![
            ("STRONGROOM_ADMIN_USER", OWNER),
            ("STRONGROOM_ADMIN_PASSWORD", OWNER_PASSWORD),
        ];
        all.extend_from_slice(env);
        let mut server = Server::start_fresh(data_dir, &all).await;
        server.session = Some(
            server
                .sign_in(OWNER, OWNER_PASSWORD)
                .await
                .expect("the Owner signs in"),
        );
        server
    }

    /// Starts with exactly `env`: no Owner unless it says so, and signed out.
    pub async fn start_fresh(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log_file = data_dir.with_extension(format!("{port}.log"));
        let child = spawn(data_dir, port, env, &log_file);
        let mut server = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_owned(),
            log_file,
            client: reqwest::Client::new(),
            session: None,
        };
        server.wait_ready().await;
        server
    }

    /// Signs in through the panel's server function; the session from its cookies.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, (u16, Value)> {
        let response = self
            .client
            .post(format!("{}/api/sign_in", self.base))
            .header("x-csrf-token", "-")
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("request failed");
        session_from(response).await
    }

    /// Calls a server function as `session` (or signed out), with its CSRF header.
    pub async fn call_as(
        &self,
        session: Option<&Session>,
        function: &str,
        args: &[(&str, &str)],
    ) -> (u16, Value) {
        let request = self.client.post(format!("{}/api/{function}", self.base));
        let request = if JSON_INPUT.contains(&function) {
            request.json(&json_args(args))
        } else {
            request.form(args)
        };
        send_as(session, request).await
    }

    /// Calls a server function that takes JSON (`input = Json`), as `session`.
    pub async fn call_json_as(
        &self,
        session: Option<&Session>,
        function: &str,
        args: &Value,
    ) -> (u16, Value) {
        let request = self
            .client
            .post(format!("{}/api/{function}", self.base))
            .json(args);
        send_as(session, request).await
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "strongroom exited with {status} before serving:\n{}",
                    self.logs()
                );
            }
            let url = format!("{}/healthz", self.base);
            if let Ok(response) = self.client.get(&url).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "strongroom did not answer /healthz within 30 s:\n{}",
            self.logs()
        );
    }

    /// Calls a server function with form-encoded arguments; `Ok` is the decoded result, `Err` the
    /// decoded `PanelError`.
    pub async fn call(&self, function: &str, args: &[(&str, &str)]) -> Result<Value, Value> {
        let (status, body) = self.call_raw(function, args).await;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(body)
        }
    }

    /// Like `call`, but returns the HTTP status with the decoded body.
    pub async fn call_raw(&self, function: &str, args: &[(&str, &str)]) -> (u16, Value) {
        self.call_as(self.session.as_ref(), function, args).await
    }

    /// A page, as the signed-in Owner.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(self.session.as_ref(), path).await
    }

    /// A page as `session` (or signed out); redirects are not followed.
    pub async fn get_as(&self, session: Option<&Session>, path: &str) -> reqwest::Response {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut request = client.get(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header("cookie", session.cookie());
        }
        request.send().await.expect("request failed")
    }

    pub async fn create_application(&self, name: &str) -> i64 {
        let app = self
            .call("create_application", &[("name", name)])
            .await
            .expect("create_application");
        app["id"].as_i64().expect("application id")
    }

    pub async fn create_secret(&self, app: i64, name: &str, value: &str, description: &str) -> i64 {
        let app = app.to_string();
        let secret = self
            .call(
                "create_secret",
                &[
                    ("application_id", &app),
                    ("name", name),
                    ("value", value),
                    ("description", description),
                ],
            )
            .await
            .expect("create_secret");
        secret["id"].as_i64().expect("secret id")
    }

    /// The panel's list of one application's secrets: `(id, name)`.
    pub async fn secrets(&self, app: i64) -> Vec<(i64, String)> {
        let page = self
            .call("list_secrets", &[("application_id", &app.to_string())])
            .await
            .expect("list_secrets");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| {
                let id = s["id"].as_i64().expect("secret id");
                (id, s["name"].as_str().expect("name").to_owned())
            })
            .collect()
    }

    pub async fn secret_names(&self, app: i64) -> Vec<String> {
        let secrets = self.secrets(app).await;
        secrets.into_iter().map(|(_, name)| name).collect()
    }

    /// The panel's list of applications: `(id, name)`.
    pub async fn applications(&self) -> Vec<(i64, String)> {
        let apps = self
            .call("list_applications", &[])
            .await
            .expect("list_applications");
        apps.as_array()
            .expect("application list")
            .iter()
            .map(|a| {
                let id = a["id"].as_i64().expect("application id");
                (id, a["name"].as_str().expect("name").to_owned())
            })
            .collect()
    }

    /// Stops the server the way a service manager does (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server already stopped");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        child.wait().expect("wait for strongroom")
    }

    /// Kills the server without warning (SIGKILL), as a crash or power cut would.
    pub fn crash(&mut self) {
        let mut child = self.child.take().expect("server already stopped");
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every byte of every file in `dir` (the database, its `-wal` and `-shm` files, the key file).
/// The session a successful sign-in (or setup) response set in its cookies.
pub async fn session_from(response: reqwest::Response) -> Result<Session, (u16, Value)> {
    let status = response.status().as_u16();
    let cookie = |name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()?
                    .strip_prefix(&format!("{name}="))
                    .map(str::to_owned)
            })
    };
    let (token, csrf) = (cookie("strongroom_session"), cookie("strongroom_csrf"));
    let text = response.text().await.expect("body");
    match (status, token, csrf) {
        (200, Some(token), Some(csrf)) => Ok(Session { token, csrf }),
        _ => Err((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )),
    }
}

pub fn all_file_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .expect("data dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read data file");
            (p, bytes)
        })
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Opens a stopped server's data directory directly, with the key file it generated, to check
/// what it stored (the panel never shows values).
pub async fn open_store_files(data_dir: &Path) -> store::SecretStore {
    use base64::Engine;
    let text = std::fs::read_to_string(data_dir.join("master.key")).expect("master.key");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("base64 key");
    let key = store::MasterKey::from_bytes(&bytes).expect("32-byte key");
    let url = format!("sqlite://{}", data_dir.join("strongroom.db").display());
    store::SecretStore::open(&url, key)
        .await
        .expect("open the stopped server's store")
}

/// The status and the decoded body of a response (plain text when it is not JSON).
pub async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

impl Server {
    /// Posts form `args` to a server function with exactly `headers`: no cookie and no CSRF
    /// header unless they are among them (for tests of what the server refuses).
    pub async fn post_api(
        &self,
        function: &str,
        args: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let request = self.client.post(format!("{}/api/{function}", self.base));
        let mut request = if JSON_INPUT.contains(&function) {
            request.json(&json_args(args))
        } else {
            request.form(args)
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request failed")
    }

    /// The one-time setup code a server without users printed in its log.
    pub fn setup_code(&self) -> Option<String> {
        const MARK: &str = "code to create the first Owner: ";
        let logs = self.logs();
        let line = logs.lines().rev().find(|line| line.contains(MARK))?;
        let code = line.split(MARK).nth(1)?.split_whitespace().next()?;
        Some(code.to_owned())
    }

    /// Adds a user as the signed-in Owner; their id.
    pub async fn create_user(&self, username: &str, password: &str, role: &str) -> i64 {
        let user = self
            .call(
                "create_user",
                &[
                    ("username", username),
                    ("password", password),
                    ("role", role),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("create_user {username}: {e}"));
        user["id"].as_i64().expect("user id")
    }
}

/// The audit records matching `filters`, newest first, as the Owner reads them.
pub async fn audit_records(server: &Server, filters: &[(&str, &str)]) -> Vec<Value> {
    let mut records = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut args = filters.to_vec();
        args.push(("limit", "500"));
        if let Some(before) = &before {
            args.push(("before", before));
        }
        let page = server.call("audit_log", &args).await.expect("audit_log");
        records.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next.to_string()),
            None => return records,
        }
    }
}

/// Sends a server-function request as `session` (or signed out, with the header the panel
/// sends then): the status and the decoded body (a string when it is not JSON).
async fn send_as(session: Option<&Session>, request: reqwest::RequestBuilder) -> (u16, Value) {
    let request = match session {
        Some(session) => request
            .header("cookie", session.cookie())
            .header("x-csrf-token", &session.csrf),
        None => request.header("x-csrf-token", "-"),
    };
    let response = request.send().await.expect("request failed");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Server functions that take JSON arguments (`input = Json`) instead of a form.
pub const JSON_INPUT: [&str; 2] = ["create_scenario", "update_scenario"];

/// Form-style arguments as a JSON object: numbers where they parse as one.
pub fn json_args(args: &[(&str, &str)]) -> Value {
    let map = args
        .iter()
        .map(|(k, v)| {
            let value = v
                .parse::<i64>()
                .map_or_else(|_| Value::String((*v).to_owned()), Value::from);
            ((*k).to_owned(), value)
        })
        .collect();
    Value::Object(map)
}

/// Runs `strongroom ARGS --data-dir DIR` (no master key in the environment) with `stdin` as
/// standard input: (success, stdout, stderr).
pub fn run_cli(data_dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STRONGROOM_MASTER_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strongroom");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("exit");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
