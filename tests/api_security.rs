//! API authentication and tenancy: every route refuses missing or bad credentials with 401
//! TASK_012, another tenant's workspace, strategy or task answers 404 exactly like a missing one,
//! and row-level security holds behind the API's own checks.

mod common;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{
    Auth, Body, TestApi, alg_none_token, assert_error, expired_token, forged_token,
    other_workspace, row_counts, token,
};
use common::{TestDb, new_task};

/// A one-phase strategy body for `ws`.
fn strategy_body(ws: Uuid) -> Value {
    json!({
        "workspace_id": ws,
        "name": "Spring launch",
        "campaign_calendar": {"phases": [
            {"phase_name": "Launch", "key_activities": ["Write launch blog post"]}
        ]},
        "content_pillars": [{"name": "Education", "percentage_allocation": 50}],
        "kpis": [{"metric_name": "Signups", "target": 100}],
    })
}

/// Tenant A with a strategy and a task, tenant B with nothing, and the API.
struct Tenants {
    db: TestDb,
    api: TestApi,
    a: Uuid,
    b: Uuid,
    token_a: String,
    token_b: String,
    strategy_a: Uuid,
    task_a: Uuid,
}

async fn tenants(pool: PgPool) -> Tenants {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    let a = db.workspace().await;
    let b = other_workspace(&db).await;
    let token_a = token("alice", &[a]);
    let token_b = token("bob", &[b]);
    let strategy_a = api.create_strategy(&token_a, strategy_body(a)).await;
    let task = api.create_task(&token_a, a, json!({})).await;
    let task_a = task["id"].as_str().unwrap().parse().unwrap();
    Tenants {
        db,
        api,
        a,
        b,
        token_a,
        token_b,
        strategy_a,
        task_a,
    }
}

/// A token for `sub` signed with the API's secret but with `alg`.
fn sign_with(alg: jsonwebtoken::Algorithm, sub: &str, workspaces: &[Uuid]) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &taskfleet::auth::ApiClaims {
            sub: sub.to_owned(),
            workspaces: workspaces.to_vec(),
            exp: now + 3600,
            iat: Some(now),
            nbf: None,
        },
        &jsonwebtoken::EncodingKey::from_secret(common::api::JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// Every authenticated route with a valid request for tenant A's data: (method, path, body).
fn routes(t: &Tenants) -> Vec<(&'static str, String, Option<Value>)> {
    let a = t.a;
    vec![
        ("POST", "/api/strategies".into(), Some(strategy_body(a))),
        (
            "POST",
            "/api/tasks/decompose".into(),
            Some(json!({"strategy_id": t.strategy_a, "workspace_id": a})),
        ),
        (
            "POST",
            "/api/tasks".into(),
            Some(json!({"workspace_id": a, "task_description": "Write copy",
                        "task_type": "content", "assigned_agent": "content-generator"})),
        ),
        (
            "POST",
            "/api/tasks/execute".into(),
            Some(json!({"workspace_id": a})),
        ),
        ("GET", format!("/api/tasks/status?workspace_id={a}"), None),
        ("GET", format!("/api/tasks/{}", t.task_a), None),
        (
            "GET",
            format!("/api/metrics/orchestrator?workspace_id={a}"),
            None,
        ),
    ]
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn every_route_answers_401_task_012_without_valid_credentials(pool: PgPool) {
    let t = tenants(pool).await;
    let ws = [t.a];
    let expired = expired_token("alice", &ws);
    let forged = forged_token("alice", &ws);
    let none = alg_none_token("alice", &ws);
    // The hand-built token really is `alg: none` with the right claims and no signature.
    assert!(
        none.starts_with("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."),
        "{none}"
    );
    assert!(none.ends_with('.'), "{none}");
    assert_eq!(
        common::api::base64url(br#"{"sub":"alice"}"#),
        "eyJzdWIiOiJhbGljZSJ9"
    );
    let bearer_none = format!("Bearer {none}");
    // Right secret, wrong algorithm: the API accepts HS256 only.
    let hs512 = sign_with(jsonwebtoken::Algorithm::HS512, "alice", &ws);
    // A valid token with its signature cut off.
    let unsigned = format!(
        "{}.",
        t.token_a.rsplit_once('.').map(|(head, _)| head).unwrap()
    );
    let basic = "Basic YWxpY2U6c2VjcmV0";
    // The valid token itself in the wrong scheme or without its scheme.
    let scheme_less = t.token_a.clone();
    let lower_case = format!("bearer{}", t.token_a);
    let credentials: Vec<(&str, Auth)> = vec![
        ("no Authorization header", Auth::None),
        ("empty header", Auth::Raw("")),
        ("Bearer with no token", Auth::Raw("Bearer ")),
        ("Basic scheme", Auth::Raw(basic)),
        ("token without scheme", Auth::Raw(&scheme_less)),
        ("scheme glued to token", Auth::Raw(&lower_case)),
        ("not a JWT", Auth::Bearer("not-a-jwt")),
        ("three garbage segments", Auth::Bearer("aaa.bbb.ccc")),
        ("expired", Auth::Bearer(&expired)),
        ("forged (other secret)", Auth::Bearer(&forged)),
        ("alg none", Auth::Raw(&bearer_none)),
        ("HS512 with the right secret", Auth::Bearer(&hs512)),
        ("signature removed", Auth::Bearer(&unsigned)),
    ];
    let before = row_counts(&t.db).await;
    for (method, path, body) in routes(&t) {
        for (what, auth) in &credentials {
            let got = t
                .api
                .send(method, &path, *auth, body.as_ref().map(Body::from))
                .await;
            assert_eq!(got.0, 401, "{method} {path} with {what}: {}", got.1);
            assert_error(&got, 401, "TASK_012");
        }
    }
    assert_eq!(row_counts(&t.db).await, before, "a 401 request wrote rows");
    let task = t.db.task(t.task_a).await;
    assert_eq!(
        task.status, "queued",
        "the execute pass ran without credentials"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn credentials_are_checked_before_the_body(pool: PgPool) {
    let t = tenants(pool).await;
    for path in [
        "/api/strategies",
        "/api/tasks/decompose",
        "/api/tasks",
        "/api/tasks/execute",
    ] {
        let got = t
            .api
            .send("POST", path, Auth::None, Some(Body::from("{not json")))
            .await;
        assert_error(&got, 401, "TASK_012");
    }
    let got = t
        .api
        .send("GET", "/api/tasks/not-a-uuid", Auth::Raw("Bearer x"), None)
        .await;
    assert_error(&got, 401, "TASK_012");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn token_times_are_honoured(pool: PgPool) {
    // nbf and iat are checked, and a token lives at most TASKFLEET_JWT_MAX_TTL_SECS (24 h by
    // default) from its iat, or from now when it has none (the contract requires only exp).
    let t = tenants(pool).await;
    let now = chrono::Utc::now().timestamp();
    let day = 24 * 3600;
    let cases = [
        (
            "nbf in a minute",
            json!({"nbf": now + 60, "exp": now + 600}),
            Some("not valid yet"),
        ),
        (
            "iat in a minute",
            json!({"iat": now + 60, "exp": now + 600}),
            Some("issued in the future"),
        ),
        (
            "25 h from iat",
            json!({"iat": now - 10, "exp": now + day + 3600}),
            Some("exceeds the maximum of 86400"),
        ),
        (
            "no iat, exp in 2 days",
            json!({"exp": now + 2 * day}),
            Some("exceeds the maximum"),
        ),
        (
            "old iat, still beyond",
            json!({"iat": now - day, "exp": now + 60}),
            Some("exceeds the maximum"),
        ),
        (
            "nbf passed",
            json!({"nbf": now - 5, "iat": now - 5, "exp": now + 600}),
            None,
        ),
        ("no iat, exp in an hour", json!({"exp": now + 3600}), None),
        ("exactly 24 h", json!({"iat": now, "exp": now + day}), None),
    ];
    for (label, times, refused) in cases {
        let mut claims = json!({"sub": "alice", "workspaces": [t.a]});
        claims
            .as_object_mut()
            .unwrap()
            .extend(times.as_object().unwrap().clone());
        let token = common::api::signed(&claims);
        let got = t
            .api
            .get(&format!("/api/tasks/status?workspace_id={}", t.a), &token)
            .await;
        match refused {
            Some(why) => {
                let message = assert_error(&got, 401, "TASK_012");
                assert!(message.contains(why), "{label}: {message}");
            }
            None => assert_eq!(got.0, 200, "{label}: {}", got.1),
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_valid_token_reaches_every_route(pool: PgPool) {
    // The control for the 401 matrix: the same requests with tenant A's token succeed.
    let t = tenants(pool).await;
    for (method, path, body) in routes(&t) {
        let (status, resp) = t
            .api
            .send(
                method,
                &path,
                Auth::Bearer(&t.token_a),
                body.as_ref().map(Body::from),
            )
            .await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {resp}"
        );
        assert_eq!(resp["success"], true, "{method} {path}: {resp}");
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn another_tenants_workspace_answers_404_task_013_on_every_route(pool: PgPool) {
    let t = tenants(pool).await;
    let before = row_counts(&t.db).await;
    for (method, path, body) in routes(&t) {
        if path.starts_with("/api/tasks/") && !path.contains('?') && method == "GET" {
            continue; // GET /api/tasks/{id} names a task, not a workspace: see the next test
        }
        let got = t
            .api
            .send(
                method,
                &path,
                Auth::Bearer(&t.token_b),
                body.as_ref().map(Body::from),
            )
            .await;
        let message = assert_error(&got, 404, "TASK_013");
        // Existence never leaks: a workspace that does not exist at all answers the same.
        let missing = Uuid::new_v4();
        let path_missing = path.replace(&t.a.to_string(), &missing.to_string());
        let body_missing = body.as_ref().map(|b| {
            let text = b
                .to_string()
                .replace(&t.a.to_string(), &missing.to_string());
            Body::Json(serde_json::from_str(&text).unwrap())
        });
        let token_with_missing = token("bob", &[t.b, missing]);
        let got_missing = t
            .api
            .send(
                method,
                &path_missing,
                Auth::Bearer(&token_with_missing),
                body_missing,
            )
            .await;
        let message_missing = assert_error(&got_missing, 404, "TASK_013");
        assert_eq!(
            message.replace(&t.a.to_string(), "<id>"),
            message_missing.replace(&missing.to_string(), "<id>"),
            "{method} {path}"
        );
    }
    assert_eq!(row_counts(&t.db).await, before, "a 404 request wrote rows");
    assert_eq!(t.db.task(t.task_a).await.status, "queued");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn another_tenants_task_answers_404_task_003_like_a_random_id(pool: PgPool) {
    let t = tenants(pool).await;
    let theirs = t
        .api
        .get(&format!("/api/tasks/{}", t.task_a), &t.token_b)
        .await;
    assert_error(&theirs, 404, "TASK_003");
    let random = Uuid::new_v4();
    let missing = t.api.get(&format!("/api/tasks/{random}"), &t.token_b).await;
    assert_error(&missing, 404, "TASK_003");
    assert_eq!(
        theirs.1.to_string().replace(&t.task_a.to_string(), "<id>"),
        missing.1.to_string().replace(&random.to_string(), "<id>"),
        "the 404 for another tenant's task must be the 404 for a missing one"
    );

    // Named as a status filter in the caller's own workspace: also TASK_003.
    let b = t.b;
    let theirs = t
        .api
        .get(
            &format!("/api/tasks/status?workspace_id={b}&task_id={}", t.task_a),
            &t.token_b,
        )
        .await;
    assert_error(&theirs, 404, "TASK_003");
    let missing = t
        .api
        .get(
            &format!("/api/tasks/status?workspace_id={b}&task_id={random}"),
            &t.token_b,
        )
        .await;
    assert_error(&missing, 404, "TASK_003");
    assert_eq!(
        theirs.1.to_string().replace(&t.task_a.to_string(), "<id>"),
        missing.1.to_string().replace(&random.to_string(), "<id>"),
    );

    // The owner still sees it.
    let (status, mine) = t
        .api
        .get(&format!("/api/tasks/{}", t.task_a), &t.token_a)
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["task"]["id"], t.task_a.to_string());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn another_tenants_strategy_answers_404_task_001_like_a_random_id(pool: PgPool) {
    let t = tenants(pool).await;
    let before = row_counts(&t.db).await;
    let theirs = t
        .api
        .post(
            "/api/tasks/decompose",
            &t.token_b,
            json!({"strategy_id": t.strategy_a, "workspace_id": t.b}),
        )
        .await;
    assert_error(&theirs, 404, "TASK_001");
    let random = Uuid::new_v4();
    let missing = t
        .api
        .post(
            "/api/tasks/decompose",
            &t.token_b,
            json!({"strategy_id": random, "workspace_id": t.b}),
        )
        .await;
    assert_error(&missing, 404, "TASK_001");
    assert_eq!(
        theirs
            .1
            .to_string()
            .replace(&t.strategy_a.to_string(), "<id>"),
        missing.1.to_string().replace(&random.to_string(), "<id>"),
    );
    // A member of both workspaces naming A's strategy under B: not B's strategy either.
    let both = token("carol", &[t.a, t.b]);
    let crossed = t
        .api
        .post(
            "/api/tasks/decompose",
            &both,
            json!({"strategy_id": t.strategy_a, "workspace_id": t.b}),
        )
        .await;
    assert_error(&crossed, 404, "TASK_001");
    assert_eq!(
        row_counts(&t.db).await,
        before,
        "a 404 decomposition wrote rows"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_token_with_no_workspaces_sees_nothing(pool: PgPool) {
    let t = tenants(pool).await;
    let nobody = token("nobody", &[]);
    let got = t
        .api
        .get(&format!("/api/tasks/status?workspace_id={}", t.a), &nobody)
        .await;
    assert_error(&got, 404, "TASK_013");
    let got = t
        .api
        .get(&format!("/api/tasks/{}", t.task_a), &nobody)
        .await;
    assert_error(&got, 404, "TASK_003");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn row_level_security_limits_the_api_role_to_the_callers_workspaces(pool: PgPool) {
    let db = TestDb::new(pool);
    let a = db.workspace().await;
    let b = other_workspace(&db).await;
    // Each task with its task.created row, so both workspaces have audit rows to hide.
    let created = async |tasks: Vec<taskfleet::queue::NewTask>| {
        taskfleet::queue::insert(&mut db.pool.acquire().await.unwrap(), "test", &tasks, true)
            .await
            .unwrap();
        tasks.iter().map(|t| t.id).collect::<Vec<Uuid>>()
    };
    created(vec![
        new_task(a, "content-generator"),
        new_task(a, "email-agent"),
    ])
    .await;
    let b_ids = created(vec![
        new_task(b, "content-generator"),
        new_task(b, "email-agent"),
        new_task(b, "calendar-agent"),
    ])
    .await;
    assert_eq!(db.count("SELECT count(*) FROM autonomous_tasks").await, 5);

    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(
        "SELECT set_config('role', 'taskfleet_api', true), \
                set_config('taskfleet.workspaces', $1, true)",
    )
    .bind(format!("{{{b}}}"))
    .execute(&mut *tx)
    .await
    .unwrap();
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(role, "taskfleet_api");
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM autonomous_tasks")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 3, "the API role sees only workspace B's tasks");
    let mut ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM autonomous_tasks")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    ids.sort();
    let mut want = b_ids.clone();
    want.sort();
    assert_eq!(ids, want);
    let audit_workspaces: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT workspace_id FROM audit_logs")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(audit_workspaces, [b], "audit rows are scoped too");
    let queued: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT workspace_id FROM task_queue")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(queued, [b], "the ready queue is scoped too");
    let workspaces: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM workspaces")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(workspaces, [b]);
    let updated = sqlx::query("UPDATE autonomous_tasks SET priority = 9 WHERE workspace_id = $1")
        .bind(a)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(updated, 0, "A's rows are invisible to an UPDATE under B");

    let err = sqlx::query(
        "INSERT INTO autonomous_tasks (workspace_id, task_description, task_type, assigned_agent, \
         next_run_at) VALUES ($1, 'sneaky', 'content', 'content-generator', now())",
    )
    .bind(a)
    .execute(&mut *tx)
    .await
    .expect_err("an INSERT into another workspace must fail under RLS");
    let message = err.to_string();
    assert!(
        message.contains("row-level security"),
        "not an RLS error: {message}"
    );
    tx.rollback().await.unwrap();

    // A caller of no workspace sees nothing at all.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(
        "SELECT set_config('role', 'taskfleet_api', true), \
                set_config('taskfleet.workspaces', '{}', true)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    for sql in [
        "SELECT count(*) FROM autonomous_tasks",
        "SELECT count(*) FROM audit_logs",
        "SELECT count(*) FROM workspaces",
        "SELECT count(*) FROM ready_tasks",
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(n, 0, "{sql} under no workspaces");
    }
    tx.rollback().await.unwrap();

    // Same for strategies.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(
        "SELECT set_config('role', 'taskfleet_api', true), \
                set_config('taskfleet.workspaces', $1, true)",
    )
    .bind(format!("{{{b}}}"))
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = sqlx::query(
        "INSERT INTO marketing_strategies (workspace_id, name, campaign_calendar) \
         VALUES ($1, 'x', '{}')",
    )
    .bind(a)
    .execute(&mut *tx)
    .await
    .expect_err("a strategy in another workspace must fail under RLS");
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    assert_eq!(
        db.count("SELECT count(*) FROM autonomous_tasks WHERE priority = 9")
            .await,
        0
    );
    assert_eq!(db.count("SELECT count(*) FROM autonomous_tasks").await, 5);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn health_readiness_and_metrics_need_no_token(pool: PgPool) {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, body) = api.send("GET", path, Auth::None, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        // A bad token does not turn them into 401s either.
        let (status, body) = api
            .send("GET", path, Auth::Raw("Bearer garbage"), None)
            .await;
        assert_eq!(status, 200, "{path} with a bad token: {body}");
    }
    // After a request, the API's own request counter is exported.
    let (_, text) = api.send("GET", "/metrics", Auth::None, None).await;
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains("taskfleet_http_requests_total"),
        "/metrics: {text}"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_api_login_cannot_reset_role_into_more_rights(pool: PgPool) {
    // The API's tenant transactions log in as taskfleet_api itself, not as the owner: a handler
    // bug that runs RESET ROLE, or any statement outside the tenant scope, still meets the
    // policies and the role's grants.
    let db = TestDb::new(pool);
    let a = db.workspace().await;
    db.insert(&[new_task(a, "content-generator")]).await;
    let state = common::api::state(&db);
    let mut conn = state.tenant.acquire().await.unwrap();
    sqlx::query("RESET ROLE").execute(&mut *conn).await.unwrap();
    let (session, current): (String, String) =
        sqlx::query_as("SELECT session_user::text, current_user::text")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        (session.as_str(), current.as_str()),
        ("taskfleet_api", "taskfleet_api")
    );
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM autonomous_tasks")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(seen, 0, "no workspaces set: the policies hide every row");
    // Each of these needs a right the API role does not have.
    for (sql, refusal) in [
        ("SET ROLE postgres", "permission denied"),
        ("DELETE FROM autonomous_tasks", "permission denied"),
        (
            "ALTER TABLE autonomous_tasks DISABLE ROW LEVEL SECURITY",
            "must be owner",
        ),
        (
            "SET row_security = off; SELECT count(*) FROM autonomous_tasks",
            "row-level security",
        ),
        ("CREATE TABLE escape (id int)", "permission denied"),
    ] {
        let err = sqlx::raw_sql(sql)
            .execute(&mut *conn)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains(refusal), "{sql}: {err}");
    }
    assert_eq!(db.count("SELECT count(*) FROM autonomous_tasks").await, 1);
}
