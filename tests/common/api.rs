//! `TestApi`: the real API router (`taskfleet::api::router`) served in-process on 127.0.0.1:0
//! by the API's own server loop (`taskfleet::api::server::serve`) over the test's own pool, plus
//! bearer tokens of every kind (valid, expired, forged, `alg: none`), small JSON request helpers
//! that return `(status, body)`, and [`RawConn`] for requests written byte by byte.

use clap::Parser;
use serde_json::{Value, json};
use uuid::Uuid;

use taskfleet::auth::ApiClaims;

use super::{AGENT_SECRET, TestDb};

/// HS256 secret of the API's bearer tokens in tests.
pub const JWT_SECRET: &str = "test-jwt-secret-of-at-least-32-bytes";

#[derive(clap::Parser)]
struct ApiFlags {
    #[command(flatten)]
    api: taskfleet::config::ApiArgs,
}

/// What a request carries in `Authorization`.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// No header at all.
    None,
    /// `Bearer <token>`.
    Bearer(&'a str),
    /// The header's value exactly as given.
    Raw(&'a str),
}

/// A request body: a JSON value, or raw text sent as it is (malformed JSON, huge bodies).
pub enum Body {
    Json(Value),
    Text(String),
}

impl From<Value> for Body {
    fn from(v: Value) -> Self {
        Body::Json(v)
    }
}

impl From<&Value> for Body {
    fn from(v: &Value) -> Self {
        Body::Json(v.clone())
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Self {
        Body::Text(s.to_owned())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Text(s)
    }
}

pub struct TestApi {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl TestApi {
    /// Serves the API of [`state`] on a free loopback port.
    pub async fn start(db: &TestDb) -> Self {
        Self::serve(state(db)).await
    }

    /// Serves the API of [`state`] whose clock (the "now" of its rules: deadlines, a template's
    /// first tick) reads `now` at start and runs on from there.
    pub async fn start_at(db: &TestDb, now: chrono::DateTime<chrono::Utc>) -> Self {
        let mut s = state(db);
        s.pass.clock = taskfleet::schedule::Clock::starting_at(now);
        Self::serve(s).await
    }

    /// Serves the API of a state the test adjusted (settings of [`state`] changed).
    pub async fn start_with(state: taskfleet::api::AppState) -> Self {
        Self::serve(state).await
    }

    async fn serve(state: taskfleet::api::AppState) -> Self {
        let app = taskfleet::api::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            taskfleet::api::server::serve(listener, app, std::future::pending()).await;
        });
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        Self {
            base,
            client,
            server,
        }
    }

    /// Any request: `(status, body)`; a body that is not JSON comes back as a JSON string.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Body>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.header("authorization", format!("Bearer {t}")),
            Auth::Raw(v) => req = req.header("authorization", v),
        }
        match body {
            None => {}
            Some(Body::Json(v)) => req = req.json(&v),
            Some(Body::Text(s)) => req = req.header("content-type", "application/json").body(s),
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send("GET", path, Auth::Bearer(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: impl Into<Body>) -> (u16, Value) {
        self.send("POST", path, Auth::Bearer(token), Some(body.into()))
            .await
    }

    /// POST /api/tasks with the required fields ([`task_body`]) plus `extra`; panics unless 201.
    /// Returns the task row.
    pub async fn create_task(&self, token: &str, ws: Uuid, extra: Value) -> Value {
        let mut body = task_body(ws);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, resp) = self.post("/api/tasks", token, body).await;
        assert_eq!(status, 201, "{resp}");
        resp["task"].clone()
    }

    /// POST /api/strategies; panics unless 201. Returns the strategy id.
    pub async fn create_strategy(&self, token: &str, body: Value) -> Uuid {
        let (status, resp) = self.post("/api/strategies", token, body).await;
        assert_eq!(status, 201, "{resp}");
        assert_eq!(resp["success"], true, "{resp}");
        resp["strategy_id"].as_str().unwrap().parse().unwrap()
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One HTTP/1.1 connection written by hand, for requests reqwest will not build (hundreds of
/// headers, one huge header) and to see exactly what the server writes back, headers included.
pub struct RawConn {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    host: String,
}

/// One response read off a [`RawConn`].
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `(status, body)` as [`TestApi::send`] gives it, for [`assert_error`].
    pub fn parsed(&self) -> (u16, Value) {
        let body = serde_json::from_str(&self.body).unwrap_or(Value::String(self.body.clone()));
        (self.status, body)
    }
}

impl RawConn {
    pub async fn connect(api: &TestApi) -> Self {
        let host = api.base.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        Self {
            stream: tokio::io::BufReader::new(stream),
            host,
        }
    }

    /// The head [`RawConn::get`] writes: `GET path`, `Host`, then `headers` (`name: value`, no
    /// line ends) in order.
    pub fn head(&self, path: &str, headers: &[String]) -> String {
        let mut head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head
    }

    /// Writes [`RawConn::head`] and reads the one response, leaving the connection open for the
    /// next request.
    pub async fn get(&mut self, path: &str, headers: &[String]) -> RawResponse {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let head = self.head(path, headers);
        self.stream
            .get_mut()
            .write_all(head.as_bytes())
            .await
            .unwrap();
        let read = async {
            let mut line = String::new();
            self.stream.read_line(&mut line).await.unwrap();
            let status = line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("not a status line: {line:?}"));
            let mut headers = Vec::new();
            loop {
                line.clear();
                self.stream.read_line(&mut line).await.unwrap();
                let Some((name, value)) = line.trim_end().split_once(':') else {
                    break;
                };
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse::<usize>().unwrap());
            let mut body = Vec::new();
            match length {
                Some(n) => {
                    body.resize(n, 0);
                    self.stream.read_exact(&mut body).await.unwrap();
                }
                None => {
                    self.stream.read_to_end(&mut body).await.unwrap();
                }
            }
            RawResponse {
                status,
                headers,
                body: String::from_utf8(body).unwrap(),
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .unwrap_or_else(|_| panic!("no response to GET {path} within 30 s"))
    }
}

fn sign(secret: &str, claims: &impl serde::Serialize) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(sub: &str, workspaces: &[Uuid], exp_in_secs: i64) -> ApiClaims {
    let now = chrono::Utc::now().timestamp();
    ApiClaims {
        sub: sub.to_owned(),
        workspaces: workspaces.to_vec(),
        exp: now + exp_in_secs,
        iat: Some(now),
        nbf: None,
    }
}

/// A valid token for `sub`, member of `workspaces`, for an hour.
pub fn token(sub: &str, workspaces: &[Uuid]) -> String {
    sign(JWT_SECRET, &claims(sub, workspaces, 3600))
}

/// The API's state over `db.pool`, with agent calls enabled (`common::AGENT_SECRET`), a 5 s task
/// timeout, a 50 ms backoff base and the time-of-day rules off (so tests do not depend on the
/// hour in Sydney).
pub fn state(db: &TestDb) -> taskfleet::api::AppState {
    taskfleet::install_crypto_provider();
    let flags = ApiFlags::try_parse_from([
        "taskfleet-api-test",
        "--jwt-secret",
        JWT_SECRET,
        "--agent-secret",
        AGENT_SECRET,
        "--task-timeout-secs",
        "5",
        "--backoff-base-ms",
        "50",
        "--business-hours",
        "off",
    ])
    .unwrap();
    taskfleet::api::AppState::new(db.pool.clone(), &flags.api, JWT_SECRET).unwrap()
}

/// Any claims, signed with the API's secret (HS256).
pub fn signed(claims: &Value) -> String {
    sign(JWT_SECRET, claims)
}

/// Signed with the right secret, but expired a minute ago.
pub fn expired_token(sub: &str, workspaces: &[Uuid]) -> String {
    sign(JWT_SECRET, &claims(sub, workspaces, -60))
}

/// Well-formed and unexpired, but signed with another secret.
pub fn forged_token(sub: &str, workspaces: &[Uuid]) -> String {
    sign("not-the-api-secret", &claims(sub, workspaces, 3600))
}

/// `base64url({"alg":"none","typ":"JWT"}).base64url(claims).` with an empty signature.
pub fn alg_none_token(sub: &str, workspaces: &[Uuid]) -> String {
    let header = br#"{"alg":"none","typ":"JWT"}"#;
    let claims = serde_json::to_vec(&claims(sub, workspaces, 3600)).unwrap();
    format!("{}.{}.", base64url(header), base64url(&claims))
}

/// Unpadded base64url (RFC 4648 section 5), as JWTs use.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The required fields of POST /api/tasks: a content task for content-generator in `ws`.
pub fn task_body(ws: Uuid) -> Value {
    json!({
        "workspace_id": ws,
        "task_description": "Write a blog post",
        "task_type": "content",
        "assigned_agent": "content-generator",
    })
}

/// `base` with `key` set to `value` (or removed when `value` is None).
pub fn with(base: &Value, key: &str, value: Option<Value>) -> Value {
    let mut v = base.clone();
    let obj = v.as_object_mut().unwrap();
    match value {
        Some(x) => {
            obj.insert(key.to_owned(), x);
        }
        None => {
            obj.remove(key);
        }
    }
    v
}

/// The uuid in a JSON string (an `id` of a response).
#[track_caller]
pub fn uuid(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("not a uuid string: {v}"))
        .parse()
        .unwrap()
}

/// Asserts the contract's error envelope with `code`, and returns its message.
#[track_caller]
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) -> String {
    let (s, body) = got;
    assert_eq!(*s, status, "status of {body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_else(|| {
        panic!("error.message is not a string: {body}");
    });
    assert!(!message.trim().is_empty(), "empty error message: {body}");
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["error", "success"], "envelope keys: {body}");
    message.to_owned()
}

/// Row counts of (autonomous_tasks, marketing_strategies, audit_logs): what a rejected request
/// must leave unchanged.
pub async fn row_counts(db: &TestDb) -> (i64, i64, i64) {
    (
        db.count("SELECT count(*) FROM autonomous_tasks").await,
        db.count("SELECT count(*) FROM marketing_strategies").await,
        db.count("SELECT count(*) FROM audit_logs").await,
    )
}

/// A second workspace (tenant) with its own name.
pub async fn other_workspace(db: &TestDb) -> Uuid {
    let (id,): (Uuid,) = sqlx::query_as(taskfleet::db::sql::WORKSPACE_CREATE)
        .bind("other tenant")
        .bind(None::<String>)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    id
}

/// What most API tests start from: a database, the API on it, one workspace and a member's token.
pub struct ApiCtx {
    pub db: TestDb,
    pub api: TestApi,
    pub ws: Uuid,
    pub token: String,
}

impl ApiCtx {
    pub async fn new(pool: sqlx::PgPool) -> Self {
        let db = TestDb::new(pool);
        let api = TestApi::start(&db).await;
        let ws = db.workspace().await;
        let token = token("alice", &[ws]);
        Self { db, api, ws, token }
    }

    /// Sends with a valid token, asserts the error envelope, and that no row was written.
    pub async fn reject(
        &self,
        method: &str,
        path: &str,
        body: Option<Body>,
        status: u16,
        code: &str,
    ) -> String {
        let before = row_counts(&self.db).await;
        let got = self
            .api
            .send(method, path, Auth::Bearer(&self.token), body)
            .await;
        let message = assert_error(&got, status, code);
        assert_eq!(
            row_counts(&self.db).await,
            before,
            "{method} {path} was rejected but wrote rows"
        );
        message
    }

    /// The required fields of POST /api/tasks in the context's workspace.
    pub fn task_body(&self) -> Value {
        task_body(self.ws)
    }

    /// A minimal valid POST /api/strategies body in the context's workspace.
    pub fn strategy_body(&self) -> Value {
        json!({
            "workspace_id": self.ws,
            "name": "Spring",
            "campaign_calendar": {"phases": [{"phase_name": "P1", "key_activities": ["Blog"]}]},
            "content_pillars": [],
            "kpis": [],
        })
    }

    /// GET `path` with the context's token, asserting 200 and success.
    pub async fn get_ok(&self, path: &str) -> Value {
        let (code, body) = self.api.get(path, &self.token).await;
        assert_eq!(code, 200, "{path}: {body}");
        assert_eq!(body["success"], true, "{path}: {body}");
        body
    }

    /// GET /api/tasks/status in the context's workspace plus `query` (`&key=value...`),
    /// asserting 200 and success.
    pub async fn status_page(&self, query: &str) -> Value {
        self.get_ok(&format!(
            "/api/tasks/status?workspace_id={}{query}",
            self.ws
        ))
        .await
    }

    /// POST /api/tasks/decompose for `strategy` in the context's workspace, plus `extra` fields.
    pub async fn decompose_with(&self, strategy: Uuid, extra: Value) -> (u16, Value) {
        let mut body = json!({"strategy_id": strategy, "workspace_id": self.ws});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        self.api
            .post("/api/tasks/decompose", &self.token, body)
            .await
    }
}

/// [`ApiCtx`] plus one loopback agent answering under every name of `names`: what the tests that
/// run tasks through `POST /api/tasks/execute` start from. Each test file adds its own helpers.
pub struct AgentCtx {
    pub base: ApiCtx,
    pub agent: super::agent::TestAgent,
}

impl std::ops::Deref for AgentCtx {
    type Target = ApiCtx;
    fn deref(&self) -> &ApiCtx {
        &self.base
    }
}

impl AgentCtx {
    pub async fn new(base: ApiCtx, agent: super::agent::TestAgent, names: &[&str]) -> Self {
        for name in names {
            base.db.register_agent(name, &agent.url).await;
        }
        Self { base, agent }
    }
}
