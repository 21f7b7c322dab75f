//! Approval gates over HTTP (issue 17): a task created with `requires_approval` completes, its
//! dependents stay blocked (views and status say why) until it is approved; a rejection cancels
//! them with TASK_006 naming it; a retry runs the agent again and asks again; refusals are 409,
//! other tenants' ids 404. Agents are real HTTP servers; tasks run through the execute pass.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::api::{AgentCtx, ApiCtx, TestApi, assert_error, other_workspace, state, token, uuid};
use common::{TestDb, wait_until};

type Ctx = AgentCtx;

async fn ctx(pool: PgPool) -> Ctx {
    with_api(ApiCtx::new(pool).await).await
}

async fn with_api(base: ApiCtx) -> Ctx {
    let agent = TestAgent::always(Reply::Ok(json!({"draft": "Ten ways to plan a launch"}))).await;
    let names = ["content-generator", "email-agent", "general-executor"];
    AgentCtx::new(base, agent, &names).await
}

impl Ctx {
    /// One execute pass over every ready task of the workspace.
    async fn execute(&self) -> Value {
        let (code, resp) = self
            .api
            .post(
                "/api/tasks/execute",
                &self.token,
                json!({"workspace_id": self.ws, "max_concurrent": 10}),
            )
            .await;
        assert_eq!(code, 200, "{resp}");
        resp
    }

    async fn create(&self, extra: Value) -> Uuid {
        uuid(&self.api.create_task(&self.token, self.ws, extra).await["id"])
    }

    async fn task(&self, id: Uuid) -> Value {
        self.get_ok(&format!("/api/tasks/{id}")).await["task"].clone()
    }

    async fn decide(&self, id: Uuid, verb: &str, body: Value) -> (u16, Value) {
        self.api
            .post(&format!("/api/tasks/{id}/{verb}"), &self.token, body)
            .await
    }

    async fn status_entry(&self, id: Uuid) -> Value {
        let page = self.status_page(&format!("&task_id={id}")).await;
        page["tasks"][0].clone()
    }

    /// A content task that needs approval, and an email task that waits for it.
    async fn content_then_email(&self) -> (Uuid, Uuid) {
        let content = self.create(json!({"requires_approval": true})).await;
        let email = self
            .create(
                json!({"task_type": "email", "assigned_agent": "email-agent",
                           "task_description": "Send the launch email",
                           "depends_on": [content]}),
            )
            .await;
        (content, email)
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn content_completes_email_waits_for_approval_then_runs(pool: PgPool) {
    let c = ctx(pool).await;
    let (content, email) = c.content_then_email().await;
    let pending = c.task(content).await;
    assert_eq!(pending["approval"]["state"], "pending", "{pending}");
    assert_eq!(pending["approval"]["requested_at"], Value::Null);

    c.execute().await;
    let done = c.task(content).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["approval"]["state"], "pending");
    assert!(done["approval"]["requested_at"].is_string(), "{done}");
    assert_eq!(
        done["output_data"],
        json!({"draft": "Ten ways to plan a launch"})
    );

    // The email stays blocked, and every view says why.
    c.execute().await;
    assert_eq!(c.task(email).await["status"], "queued");
    assert!(
        c.agent.calls_for(email).is_empty(),
        "the email ran unapproved"
    );
    let entry = c.status_entry(email).await;
    assert_eq!(entry["dependencies_met"], false, "{entry}");
    assert_eq!(entry["approval"], Value::Null);
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT unnest(reasons) FROM blocked_tasks WHERE id = $1")
            .bind(email)
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(reasons, [format!("awaiting approval of {content}")]);
    let ready: i64 = sqlx::query_scalar("SELECT count(*) FROM ready_tasks WHERE id = $1")
        .bind(email)
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
    assert_eq!(ready, 0);
    let awaiting: i64 =
        sqlx::query_scalar("SELECT awaiting_approval FROM queue_summary WHERE workspace_id = $1")
            .bind(c.ws)
            .fetch_one(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(awaiting, 1);
    let summary = c.status_page("").await["summary"].clone();
    assert_eq!(summary["awaiting_approval"], 1, "{summary}");

    // The approval queue shows the agent's output and who waits on it.
    let queue = c
        .get_ok(&format!("/api/approvals?workspace_id={}", c.ws))
        .await;
    let approvals = queue["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{queue}");
    assert_eq!(approvals[0]["id"], json!(content));
    assert_eq!(
        approvals[0]["output_data"]["draft"],
        "Ten ways to plan a launch"
    );
    assert_eq!(approvals[0]["waiting_dependents"], json!([email]));
    assert_eq!(approvals[0]["approval"]["stale"], false);
    c.db.assert_queue_consistent().await;

    let (code, body) = c
        .decide(content, "approve", json!({"comment": "  Looks good  "}))
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["ready_dependents"], 1);
    assert_eq!(body["approval"]["state"], "approved");
    assert_eq!(body["approval"]["by"], "api:alice");
    assert_eq!(body["approval"]["comment"], "Looks good");
    assert!(body["approval"]["at"].is_string(), "{body}");
    assert_eq!(c.task(content).await["approval"], body["approval"]);
    c.db.assert_queue_consistent().await;

    c.execute().await;
    assert_eq!(c.task(email).await["status"], "completed");
    assert_eq!(c.agent.calls_for(email).len(), 1);
    assert_eq!(c.agent.calls_for(content).len(), 1);
    let actions = c.db.audit_actions(content).await;
    assert!(actions.contains(&"task.approved".to_owned()), "{actions:?}");
    let empty = c
        .get_ok(&format!("/api/approvals?workspace_id={}", c.ws))
        .await;
    assert_eq!(empty["approvals"], json!([]));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn reject_cascades_task_006_and_a_retry_asks_again(pool: PgPool) {
    let c = ctx(pool).await;
    let (content, email) = c.content_then_email().await;
    let report = c
        .create(
            json!({"task_type": "analysis", "assigned_agent": "general-executor",
                       "task_description": "Report on the email", "depends_on": [email]}),
        )
        .await;
    c.execute().await;

    let (code, body) = c
        .decide(content, "reject", json!({"reason": "Off brand"}))
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["approval"]["state"], "rejected");
    assert_eq!(body["approval"]["comment"], "Off brand");
    let mut cancelled: Vec<Uuid> = body["cancelled_dependents"]
        .as_array()
        .unwrap()
        .iter()
        .map(uuid)
        .collect();
    cancelled.sort();
    let mut want = vec![email, report];
    want.sort();
    assert_eq!(cancelled, want);
    for id in [email, report] {
        let t = c.task(id).await;
        assert_eq!(t["status"], "cancelled");
        let message = t["error_message"].as_str().unwrap();
        assert_eq!(
            message,
            format!("TASK_006: upstream task {content} was rejected: Off brand")
        );
    }
    assert_eq!(c.task(content).await["status"], "completed");
    assert!(
        c.db.audit_actions(content)
            .await
            .contains(&"task.rejected".to_owned())
    );
    c.db.assert_queue_consistent().await;

    // Deciding again is refused either way.
    let again = c.decide(content, "approve", json!({})).await;
    let message = assert_error(&again, 409, "TASK_009");
    assert!(message.contains("rejected already"), "{message}");

    // A retry runs the agent again and asks for approval again.
    let (code, body) = c.decide(content, "retry", json!({})).await;
    assert_eq!(code, 200, "{body}");
    let mut requeued: Vec<Uuid> = body["requeued_dependents"]
        .as_array()
        .unwrap()
        .iter()
        .map(uuid)
        .collect();
    requeued.sort();
    assert_eq!(requeued, want);
    let again = c.task(content).await;
    assert_eq!(again["status"], "queued");
    assert_eq!(again["output_data"], Value::Null);
    assert_eq!(
        again["approval"],
        json!({"state": "pending", "by": null, "at": null, "comment": null,
               "requested_at": null, "stale": false})
    );
    c.db.assert_queue_consistent().await;

    c.execute().await;
    c.execute().await;
    assert_eq!(c.agent.calls_for(content).len(), 2);
    assert_eq!(c.task(content).await["approval"]["state"], "pending");
    assert_eq!(c.task(email).await["status"], "queued");
    assert!(c.agent.calls_for(email).is_empty());

    let (code, body) = c.decide(content, "approve", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["approval"]["comment"], Value::Null);
    c.execute().await;
    c.execute().await;
    assert_eq!(c.task(report).await["status"], "completed");
    c.db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn decisions_are_refused_when_they_do_not_apply(pool: PgPool) {
    let c = ctx(pool).await;
    let plain = c.create(json!({})).await;
    let gated = c.create(json!({"requires_approval": true})).await;

    // Not completed yet, and no approval needed: 409, nothing written.
    let m = c
        .reject(
            "POST",
            &format!("/api/tasks/{gated}/approve"),
            None,
            409,
            "TASK_009",
        )
        .await;
    assert!(m.contains("it is queued"), "{m}");
    c.execute().await;
    let m = c
        .reject(
            "POST",
            &format!("/api/tasks/{plain}/approve"),
            None,
            409,
            "TASK_009",
        )
        .await;
    assert!(m.contains("needs no approval"), "{m}");
    let body = Some(json!({"reason": "no"}).into());
    c.reject(
        "POST",
        &format!("/api/tasks/{plain}/reject"),
        body,
        409,
        "TASK_009",
    )
    .await;

    // Bodies: a reason is required and not blank; fields are checked.
    let reject_path = format!("/api/tasks/{gated}/reject");
    c.reject("POST", &reject_path, None, 400, "TASK_010").await;
    for body in [
        json!({}),
        json!({"reason": "  "}),
        json!({"reason": 7}),
        json!({"reason": "x", "extra": 1}),
        json!({"reason": "x".repeat(2001)}),
    ] {
        c.reject("POST", &reject_path, Some(body.into()), 400, "TASK_010")
            .await;
    }
    let approve_path = format!("/api/tasks/{gated}/approve");
    c.reject(
        "POST",
        &approve_path,
        Some(json!({"comment": 1}).into()),
        400,
        "TASK_010",
    )
    .await;

    // Another tenant's token, and an unknown id: 404, as if it did not exist.
    let stranger = token("mallory", &[other_workspace(&c.db).await]);
    let got = c.api.post(&approve_path, &stranger, json!({})).await;
    assert_error(&got, 404, "TASK_003");
    let got = c
        .api
        .post(&reject_path, &stranger, json!({"reason": "mine"}))
        .await;
    assert_error(&got, 404, "TASK_003");
    let got = c
        .api
        .get(&format!("/api/approvals?workspace_id={}", c.ws), &stranger)
        .await;
    assert_error(&got, 404, "TASK_013");
    let unknown = Uuid::now_v7();
    c.reject(
        "POST",
        &format!("/api/tasks/{unknown}/approve"),
        None,
        404,
        "TASK_003",
    )
    .await;
    assert_eq!(c.task(gated).await["approval"]["state"], "pending");

    // Approving twice: the second is a 409.
    let (code, _) = c.decide(gated, "approve", json!({})).await;
    assert_eq!(code, 200);
    let m = assert_error(
        &c.decide(gated, "approve", json!({})).await,
        409,
        "TASK_009",
    );
    assert!(m.contains("approved already by api:alice"), "{m}");
    c.reject(
        "GET",
        &format!("/api/approvals?workspace_id={}&limit=0", c.ws),
        None,
        400,
        "TASK_010",
    )
    .await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_result_waiting_longer_than_the_reminder_is_stale(pool: PgPool) {
    let db = TestDb::new(pool);
    let mut s = state(&db);
    s.approval_remind = Duration::from_secs(1);
    let ws = db.workspace().await;
    let base = ApiCtx {
        api: TestApi::start_with(s).await,
        token: token("alice", &[ws]),
        ws,
        db,
    };
    let c = with_api(base).await;
    let (content, email) = c.content_then_email().await;
    c.execute().await;
    wait_until("the result is stale", Duration::from_secs(10), async || {
        c.task(content).await["approval"]["stale"] == true
    })
    .await;
    assert_eq!(c.status_entry(content).await["approval"]["stale"], true);
    let queue = c
        .get_ok(&format!("/api/approvals?workspace_id={}", c.ws))
        .await;
    assert_eq!(queue["remind_after_secs"], 1);
    assert_eq!(queue["approvals"][0]["approval"]["stale"], true);
    assert_eq!(c.status_entry(email).await["approval"], Value::Null);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn content_approval_gates_content_of_phases_that_send_email(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy = c
        .api
        .create_strategy(
            &c.token,
            json!({
                "workspace_id": c.ws,
                "name": "Launch",
                "campaign_calendar": {"phases": [
                    {"phase_name": "Launch",
                     "key_activities": ["Launch blog", "Send welcome email"]},
                    {"phase_name": "Grow", "key_activities": ["Write case study copy"]},
                ]},
                "content_pillars": [{"name": "Thought leadership", "percentage_allocation": 25}],
                "kpis": [],
            }),
        )
        .await;
    let (code, plan) = c
        .decompose_with(strategy, json!({"content_approval": true}))
        .await;
    assert_eq!(code, 201, "{plan}");
    let gated: Vec<(String, bool)> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                format!(
                    "{} ({})",
                    t["task_description"].as_str().unwrap(),
                    t["task_type"]
                ),
                t["approval"]["state"] == "pending",
            )
        })
        .collect();
    // Only the content of the phase that also emails; not the later phase's, not the pillar's.
    let needing: Vec<&str> = gated
        .iter()
        .filter(|(_, g)| *g)
        .map(|(d, _)| d.as_str())
        .collect();
    assert_eq!(needing.len(), 1, "{gated:?}");
    assert!(needing[0].starts_with("Launch blog"), "{gated:?}");

    // Without the setting, nothing needs approval.
    let other = c.api.create_strategy(&c.token, c.strategy_body()).await;
    let (_, plain) = c.decompose_with(other, json!({})).await;
    assert!(
        plain["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["approval"].is_null()),
        "{plain}"
    );
}
