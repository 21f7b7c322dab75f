//! `TestAgent`: a real HTTP agent on 127.0.0.1:0 whose answers a test scripts, recording every
//! call it gets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Ok(Value),
    /// This status with a short body.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    RetryAfter(&'static str),
    /// 307 to this URL (an agent that would hand the task body on elsewhere).
    Redirect(String),
    /// Never answers (until the client gives up).
    Hang,
    /// Waits, then answers.
    After(Duration, Box<Reply>),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub task_id: Uuid,
    pub attempt: i64,
    pub at: Instant,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub body: Value,
}

type Script = Arc<dyn Fn(&Call, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    script: Script,
    calls: Arc<Mutex<Vec<Call>>>,
    /// (task id, when) each call ended: answered, or dropped when the client went away.
    dropped: Arc<Mutex<Vec<(Uuid, Instant)>>>,
    per_task: Arc<Mutex<HashMap<Uuid, usize>>>,
}

pub struct TestAgent {
    pub url: String,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl TestAgent {
    /// `script(call, n)` answers the n-th call (0-based) for that call's task.
    pub async fn start(script: impl Fn(&Call, usize) -> Reply + Send + Sync + 'static) -> Self {
        let shared = Shared {
            script: Arc::new(script),
            calls: Default::default(),
            dropped: Default::default(),
            per_task: Default::default(),
        };
        let app = Router::new()
            .route("/", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            shared,
            server,
        }
    }

    /// Answers every call with `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::start(move |_, _| reply.clone()).await
    }

    /// Each task's n-th call gets `replies[n]`, the last one repeating.
    pub async fn scripted(replies: Vec<Reply>) -> Self {
        Self::start(move |_, n| replies[n.min(replies.len() - 1)].clone()).await
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// When the call of `task_id` ended (answered, or the client went away from a hanging one).
    pub fn ended_at(&self, task_id: Uuid) -> Option<Instant> {
        let dropped = self.shared.dropped.lock().unwrap();
        dropped
            .iter()
            .find(|(id, _)| *id == task_id)
            .map(|(_, at)| *at)
    }

    pub fn calls_for(&self, task_id: Uuid) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.task_id == task_id)
            .collect()
    }

    /// Waits until the agent has been called for `task_id`.
    pub async fn wait_called(&self, task_id: Uuid, limit: Duration) {
        super::wait_until(
            &format!("the agent is called for task {task_id}"),
            limit,
            async || !self.calls_for(task_id).is_empty(),
        )
        .await
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let call = Call {
        task_id: body["task_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default(),
        attempt: body["attempt"].as_i64().unwrap_or(-1),
        at: Instant::now(),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
        body,
    };
    let n = {
        let mut per = s.per_task.lock().unwrap();
        let n = per.entry(call.task_id).or_insert(0);
        *n += 1;
        *n - 1
    };
    let reply = (s.script)(&call, n);
    s.calls.lock().unwrap().push(call.clone());
    // axum drops this future when the client disconnects: record when.
    let _guard = DropGuard(s.dropped.clone(), call.task_id);
    respond(reply).await
}

struct DropGuard(Arc<Mutex<Vec<(Uuid, Instant)>>>, Uuid);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.0.lock().unwrap().push((self.1, Instant::now()));
    }
}

fn respond(reply: Reply) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
            Reply::Status(code) => (
                StatusCode::from_u16(code).unwrap(),
                axum::Json(json!({"error": format!("scripted {code}")})),
            )
                .into_response(),
            Reply::Redirect(to) => {
                (StatusCode::TEMPORARY_REDIRECT, [("location", to)], "moved").into_response()
            }
            Reply::RetryAfter(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs)],
                "slow down",
            )
                .into_response(),
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::OK.into_response()
            }
            Reply::After(wait, then) => {
                tokio::time::sleep(wait).await;
                respond(*then).await
            }
        }
    })
}
