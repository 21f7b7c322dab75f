//! POST /api/strategies then POST /api/tasks/decompose: the contract's section 5 rules end to end
//! over HTTP (agents, types, priorities, dependency edges, the execution plan), idempotence under
//! repetition and under a race, and 422 / 404 answers that write nothing.

mod common;

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, assert_error, other_workspace, row_counts, token, uuid};

type Ctx = ApiCtx;

async fn ctx(pool: PgPool) -> Ctx {
    ApiCtx::new(pool).await
}

/// Three phases (10 days, 20 days, default), two pillars, two KPIs: 13 tasks.
fn launch_strategy(ws: Uuid) -> Value {
    json!({
        "workspace_id": ws,
        "name": "Autumn launch",
        "campaign_calendar": {"phases": [
            {"phase_name": "Launch", "duration_days": 10, "content_focus": "awareness",
             "key_activities": ["Write launch blog post", "Upload lead list", "Schedule posts",
                                "Send welcome email"]},
            {"phase_name": "Grow", "duration_days": 20,
             "key_activities": ["Run ad campaign", "Host webinar", "Write case study copy"]},
            {"phase_name": "Measure",
             "key_activities": ["Set up analytics dashboard", "Email drip for leads"]},
        ]},
        "content_pillars": [
            {"name": "Thought leadership", "percentage_allocation": 25},
            {"name": "Product news", "percentage_allocation": 75},
        ],
        "kpis": [
            {"metric_name": "Signups", "target": 500},
            {"metric_name": "Website traffic"},
        ],
    })
}

/// (description, agent, task_type, priority) the contract's rules (sections 5 and 8) give for [`launch_strategy`],
/// in plan order.
const EXPECTED: [(&str, &str, &str, i64); 13] = [
    // Phase 1: +3
    (
        "Write launch blog post",
        "content-generator",
        "social_media",
        10,
    ),
    ("Upload lead list", "general-executor", "other", 8),
    ("Schedule posts", "calendar-agent", "social_media", 8),
    ("Send welcome email", "email-agent", "email", 8),
    // Phase 2: +2 (campaign, webinar +1)
    ("Run ad campaign", "campaign-manager", "campaign", 8),
    ("Host webinar", "general-executor", "campaign", 8),
    ("Write case study copy", "content-generator", "content", 7),
    // Phase 3: +1
    (
        "Set up analytics dashboard",
        "analytics-agent",
        "analysis",
        6,
    ),
    ("Email drip for leads", "email-agent", "email", 6),
    // Pillars: ceil(percentage / 10)
    (
        "Create content for Thought leadership pillar",
        "content-generator",
        "content",
        3,
    ),
    (
        "Create content for Product news pillar",
        "content-generator",
        "content",
        8,
    ),
    // KPIs
    (
        "Setup tracking for Signups",
        "analytics-agent",
        "analysis",
        7,
    ),
    (
        "Setup tracking for Website traffic",
        "analytics-agent",
        "analysis",
        7,
    ),
];

fn uuids(v: &Value) -> Vec<Uuid> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(uuid)
        .collect()
}

fn set(ids: &[Uuid]) -> HashSet<Uuid> {
    ids.iter().copied().collect()
}

/// Description → task id of a decomposition answer.
fn by_description(resp: &Value) -> HashMap<String, Uuid> {
    resp["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["task_description"].as_str().unwrap().to_owned(),
                uuid(&t["id"]),
            )
        })
        .collect()
}

impl Ctx {
    async fn decompose(&self, strategy: Uuid) -> (u16, Value) {
        self.decompose_with(strategy, json!({})).await
    }

    /// Decomposing `strategy` answers 422 TASK_002 naming `want`, and writes nothing.
    async fn assert_unusable(&self, strategy: Uuid, want: &str) {
        let before = row_counts(&self.db).await;
        let got = self.decompose(strategy).await;
        let message = assert_error(&got, 422, "TASK_002");
        assert!(
            message.contains(want),
            "{message:?} should contain {want:?}"
        );
        assert_eq!(row_counts(&self.db).await, before, "a 422 wrote rows");
    }

    async fn decomposed_audits(&self) -> i64 {
        self.db
            .count("SELECT count(*) FROM audit_logs WHERE action = 'strategy.decomposed'")
            .await
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_three_phase_strategy_becomes_the_contracts_task_dag(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy = c.api.create_strategy(&c.token, launch_strategy(c.ws)).await;
    let (status, resp) = c.decompose(strategy).await;
    assert_eq!(status, 201, "{resp}");
    assert_eq!(resp["success"], true);
    assert_eq!(resp["tasks_created"], 13, "{resp}");
    let tasks = resp["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 13);

    // Agents, types and priorities, in plan order.
    let got: Vec<(String, String, String, i64)> = tasks
        .iter()
        .map(|t| {
            (
                t["task_description"].as_str().unwrap().to_owned(),
                t["assigned_agent"].as_str().unwrap().to_owned(),
                t["task_type"].as_str().unwrap().to_owned(),
                t["priority"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, i64)> = EXPECTED
        .iter()
        .map(|(d, a, ty, p)| (d.to_string(), a.to_string(), ty.to_string(), *p))
        .collect();
    assert_eq!(got, want);
    for t in tasks {
        assert_eq!(t["status"], "queued", "{t}");
        assert_eq!(t["workspace_id"], c.ws.to_string());
        assert_eq!(t["strategy_id"], strategy.to_string());
        assert_eq!(t["retry_count"], 0);
        assert_eq!(t["max_retries"], 3);
    }

    // Dependency edges.
    let id = by_description(&resp);
    let deps: HashMap<Uuid, HashSet<Uuid>> = tasks
        .iter()
        .map(|t| (uuid(&t["id"]), set(&uuids(&t["depends_on"]))))
        .collect();
    let of = |names: &[&str]| -> HashSet<Uuid> { names.iter().map(|n| id[*n]).collect() };
    let phase1 = [
        "Write launch blog post",
        "Upload lead list",
        "Schedule posts",
        "Send welcome email",
    ];
    let phase2 = ["Run ad campaign", "Host webinar", "Write case study copy"];
    let phase3 = ["Set up analytics dashboard", "Email drip for leads"];
    let expected_deps: Vec<(&str, HashSet<Uuid>)> = vec![
        ("Write launch blog post", of(&[])),
        ("Upload lead list", of(&[])),
        // calendar and email tasks wait for their phase's content tasks
        ("Schedule posts", of(&["Write launch blog post"])),
        ("Send welcome email", of(&["Write launch blog post"])),
        // every phase-2 task depends on every phase-1 task
        ("Run ad campaign", of(&phase1)),
        ("Host webinar", of(&phase1)),
        ("Write case study copy", of(&phase1)),
        ("Set up analytics dashboard", of(&phase2)),
        // phase 3 has no content task, so the email task only waits for phase 2
        ("Email drip for leads", of(&phase2)),
        ("Create content for Thought leadership pillar", of(&[])),
        ("Create content for Product news pillar", of(&[])),
        ("Setup tracking for Signups", of(&[])),
        ("Setup tracking for Website traffic", of(&[])),
    ];
    for (name, want) in &expected_deps {
        assert_eq!(&deps[&id[*name]], want, "depends_on of {name:?}");
    }
    // Nothing depends on pillar or KPI tasks.
    let ongoing = of(&[
        "Create content for Thought leadership pillar",
        "Create content for Product news pillar",
        "Setup tracking for Signups",
        "Setup tracking for Website traffic",
    ]);
    for d in deps.values() {
        assert!(d.is_disjoint(&ongoing), "a task depends on an ongoing task");
    }

    // The execution plan.
    let plan = &resp["execution_plan"];
    assert_eq!(plan["total_tasks"], 13, "{plan}");
    let phases = plan["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["phase_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Launch", "Grow", "Measure"]);
    let days: Vec<i64> = phases
        .iter()
        .map(|p| p["estimated_days"].as_i64().unwrap())
        .collect();
    assert_eq!(days, [10, 20, 30], "duration_days, default 30");
    assert_eq!(plan["estimated_duration_days"], 60);
    let groups = [&phase1[..], &phase2[..], &phase3[..]];
    for (i, p) in phases.iter().enumerate() {
        assert_eq!(set(&uuids(&p["tasks"])), of(groups[i]), "phase {i} tasks");
        let want_deps = if i == 0 { of(&[]) } else { of(groups[i - 1]) };
        assert_eq!(set(&uuids(&p["dependencies"])), want_deps, "phase {i} deps");
    }
    assert_eq!(set(&uuids(&plan["ongoing_task_ids"])), ongoing);

    // Input data carries the phase context.
    let blog = tasks
        .iter()
        .find(|t| t["task_description"] == "Write launch blog post")
        .unwrap();
    assert_eq!(blog["input_data"]["phase_name"], "Launch");
    assert_eq!(blog["input_data"]["content_focus"], "awareness");

    // The database holds exactly these tasks, one strategy.decomposed audit row, and readiness
    // follows the edges.
    let in_db: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM autonomous_tasks WHERE strategy_id = $1")
            .bind(strategy)
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(set(&in_db), id.values().copied().collect());
    assert_eq!(c.decomposed_audits().await, 1);
    let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&c.db.pool)
        .await
        .unwrap();
    let mut want_ready = of(&["Write launch blog post", "Upload lead list"]);
    want_ready.extend(&ongoing);
    assert_eq!(set(&ready), want_ready);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn decomposing_again_returns_the_same_tasks_with_200(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy = c.api.create_strategy(&c.token, launch_strategy(c.ws)).await;
    let (status, first) = c.decompose(strategy).await;
    assert_eq!(status, 201, "{first}");
    let counts = row_counts(&c.db).await;

    let (status, second) = c.decompose(strategy).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["success"], true);
    assert_eq!(second["tasks_created"], 0);
    assert_eq!(by_description(&second), by_description(&first));
    assert_eq!(second["execution_plan"], first["execution_plan"]);
    assert_eq!(second["tasks"], first["tasks"], "same rows, same order");
    assert_eq!(row_counts(&c.db).await, counts, "nothing new was written");
    assert_eq!(c.decomposed_audits().await, 1);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn two_concurrent_decompositions_create_the_tasks_once(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy = c.api.create_strategy(&c.token, launch_strategy(c.ws)).await;
    let ((s1, r1), (s2, r2)) = tokio::join!(c.decompose(strategy), c.decompose(strategy));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "{r1}\n{r2}");
    let created: Vec<i64> = [&r1, &r2]
        .iter()
        .map(|r| r["tasks_created"].as_i64().unwrap())
        .collect();
    assert!(
        created == [13, 0] || created == [0, 13],
        "tasks_created {created:?}"
    );
    assert_eq!(by_description(&r1), by_description(&r2));
    assert_eq!(r1["execution_plan"], r2["execution_plan"]);
    assert_eq!(
        c.db.count("SELECT count(*) FROM autonomous_tasks").await,
        13
    );
    assert_eq!(
        c.db.count(
            "SELECT count(*) FROM (SELECT DISTINCT task_description FROM autonomous_tasks) d"
        )
        .await,
        13,
        "a task was inserted twice"
    );
    assert_eq!(c.decomposed_audits().await, 1);
    // The decomposition is recorded once, by strategy.decomposed (task.created per task only
    // with TASKFLEET_AUDIT=full).
    assert_eq!(
        c.db.count("SELECT count(*) FROM audit_logs WHERE action = 'task.created'")
            .await,
        0
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn unusable_strategies_answer_422_task_002_naming_the_problem(pool: PgPool) {
    let c = ctx(pool).await;
    let base = launch_strategy(c.ws);
    let with = |key: &str, value: Value| {
        let mut b = base.clone();
        b[key] = value;
        b
    };
    // Shapes POST accepts, content decomposition cannot use.
    let posted = [
        (
            with("campaign_calendar", json!({"phases": []})),
            "campaign_calendar.phases is empty",
        ),
        (
            with(
                "campaign_calendar",
                json!({"phases": [
                    {"phase_name": "Launch", "key_activities": ["Write blog"]},
                    {"phase_name": "Grow", "key_activities": []},
                ]}),
            ),
            "campaign_calendar.phases[1].key_activities is empty",
        ),
        (
            with(
                "campaign_calendar",
                json!({"phases": [{"phase_name": "Launch", "key_activities": ["  "]}]}),
            ),
            "campaign_calendar.phases[0].key_activities[0] is blank",
        ),
        (
            with(
                "campaign_calendar",
                json!({"phases": [{"phase_name": " ", "key_activities": ["Blog"]}]}),
            ),
            "campaign_calendar.phases[0].phase_name is empty",
        ),
        (
            with(
                "content_pillars",
                json!([{"name": "Everything", "percentage_allocation": 150}]),
            ),
            "content_pillars[0].percentage_allocation",
        ),
        (
            with("kpis", json!([{"metric_name": ""}])),
            "kpis[0].metric_name is empty",
        ),
    ];
    for (body, want) in posted {
        let strategy = c.api.create_strategy(&c.token, body.clone()).await;
        c.assert_unusable(strategy, want).await;
    }

    // Shapes POST would refuse, written by another tool straight into the table.
    for (calendar, pillars, kpis, want) in [
        (
            r#""oops""#,
            "[]",
            "[]",
            "campaign_calendar is not an object",
        ),
        ("{}", "[]", "[]", "campaign_calendar.phases is missing"),
        (
            r#"{"phases": [{"phase_name": "P", "key_activities": "Blog"}]}"#,
            "[]",
            "[]",
            "campaign_calendar.phases[0].key_activities is not an array",
        ),
        (
            r#"{"phases": [{"phase_name": "P", "key_activities": ["Blog"], "duration_days": 0}]}"#,
            "[]",
            "[]",
            "campaign_calendar.phases[0].duration_days",
        ),
        (
            r#"{"phases": [{"phase_name": "P", "key_activities": ["Blog"]}]}"#,
            "{}",
            "[]",
            "content_pillars is not an array",
        ),
        (
            r#"{"phases": [{"phase_name": "P", "key_activities": ["Blog"]}]}"#,
            "[]",
            r#"[{"target": 5}]"#,
            "kpis[0].metric_name is missing",
        ),
    ] {
        let strategy: Uuid = sqlx::query_scalar(
            "INSERT INTO marketing_strategies (workspace_id, name, campaign_calendar, \
             content_pillars, kpis) VALUES ($1, 'hand-written', $2::jsonb, $3::jsonb, $4::jsonb) \
             RETURNING id",
        )
        .bind(c.ws)
        .bind(calendar)
        .bind(pillars)
        .bind(kpis)
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
        c.assert_unusable(strategy, want).await;
    }
    assert_eq!(c.db.count("SELECT count(*) FROM autonomous_tasks").await, 0);
    assert_eq!(c.decomposed_audits().await, 0);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn unknown_or_other_workspace_strategies_answer_404_task_001(pool: PgPool) {
    let c = ctx(pool).await;
    let other = other_workspace(&c.db).await;
    let theirs = c
        .api
        .create_strategy(&token("bob", &[other]), launch_strategy(other))
        .await;
    let before = row_counts(&c.db).await;

    let got = c.decompose(theirs).await;
    let msg_theirs = assert_error(&got, 404, "TASK_001");
    let random = Uuid::new_v4();
    let got = c.decompose(random).await;
    let msg_missing = assert_error(&got, 404, "TASK_001");
    assert_eq!(
        msg_theirs.replace(&theirs.to_string(), "<id>"),
        msg_missing.replace(&random.to_string(), "<id>")
    );
    // A member of both workspaces: the strategy is not one of the workspace it names.
    let both = token("carol", &[c.ws, other]);
    let got = c
        .api
        .post(
            "/api/tasks/decompose",
            &both,
            json!({"strategy_id": theirs, "workspace_id": c.ws}),
        )
        .await;
    assert_error(&got, 404, "TASK_001");
    assert_eq!(row_counts(&c.db).await, before);
    assert_eq!(c.decomposed_audits().await, 0);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn creating_a_strategy_stores_it_with_a_strategy_created_audit_row(pool: PgPool) {
    let c = ctx(pool).await;
    let before = row_counts(&c.db).await;
    let strategy = c.api.create_strategy(&c.token, launch_strategy(c.ws)).await;
    let after = row_counts(&c.db).await;
    assert_eq!(after, (before.0, before.1 + 1, before.2 + 1));
    let (ws, name): (Uuid, String) =
        sqlx::query_as("SELECT workspace_id, name FROM marketing_strategies WHERE id = $1")
            .bind(strategy)
            .fetch_one(&c.db.pool)
            .await
            .unwrap();
    assert_eq!((ws, name.as_str()), (c.ws, "Autumn launch"));
    assert_eq!(c.db.audit_actions(strategy).await, ["strategy.created"]);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]

async fn redecomposing_an_edited_strategy_describes_only_existing_tasks(pool: PgPool) {
    // Another tool adds an activity to an already decomposed strategy. Decomposing again must
    // still not duplicate anything, and the plan it answers must name real tasks only.
    let c = ctx(pool).await;
    let strategy = c.api.create_strategy(&c.token, launch_strategy(c.ws)).await;
    let (status, first) = c.decompose(strategy).await;
    assert_eq!(status, 201, "{first}");
    sqlx::query(
        "UPDATE marketing_strategies SET campaign_calendar = jsonb_set(campaign_calendar, \
         '{phases,0,key_activities}', \
         (campaign_calendar #> '{phases,0,key_activities}') || '[\"Record a podcast\"]') \
         WHERE id = $1",
    )
    .bind(strategy)
    .execute(&c.db.pool)
    .await
    .unwrap();
    let (status, second) = c.decompose(strategy).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["tasks_created"], 0);
    assert_eq!(
        c.db.count("SELECT count(*) FROM autonomous_tasks").await,
        13
    );
    let returned: HashSet<Uuid> = second["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| uuid(&t["id"]))
        .collect();
    assert_eq!(returned.len(), 13);
    let plan = &second["execution_plan"];
    let mut named: Vec<Uuid> = uuids(&plan["ongoing_task_ids"]);
    for p in plan["phases"].as_array().unwrap() {
        named.extend(uuids(&p["tasks"]));
        named.extend(uuids(&p["dependencies"]));
    }
    let mut problems = Vec::new();
    let unknown: Vec<&Uuid> = named.iter().filter(|id| !returned.contains(id)).collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "the plan names tasks that do not exist: {unknown:?}"
        ));
    }
    if plan["total_tasks"] != 13 {
        problems.push(format!("total_tasks is {}", plan["total_tasks"]));
    }
    // Each phase lists exactly the existing tasks decomposed from that phase.
    let tasks = second["tasks"].as_array().unwrap();
    let description: HashMap<Uuid, &str> = tasks
        .iter()
        .map(|t| (uuid(&t["id"]), t["task_description"].as_str().unwrap()))
        .collect();
    let names = |ids: &HashSet<Uuid>| -> Vec<String> {
        let mut v: Vec<String> = ids
            .iter()
            .map(|id| {
                description
                    .get(id)
                    .map_or_else(|| id.to_string(), |d| d.to_string())
            })
            .collect();
        v.sort();
        v
    };
    for p in plan["phases"].as_array().unwrap() {
        let name = p["phase_name"].as_str().unwrap();
        let want: HashSet<Uuid> = tasks
            .iter()
            .filter(|t| t["input_data"]["phase_name"] == name)
            .map(|t| uuid(&t["id"]))
            .collect();
        let got = set(&uuids(&p["tasks"]));
        if got != want {
            problems.push(format!(
                "phase {name} lists {:?}; its tasks are {:?}",
                names(&got),
                names(&want)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn pillar_priorities_clamp_and_later_phases_get_no_bonus(pool: PgPool) {
    let c = ctx(pool).await;
    let body = json!({
        "workspace_id": c.ws,
        "name": "Long haul",
        "campaign_calendar": {"phases": [
            {"phase_name": "One", "key_activities": ["Hire a designer"]},
            {"phase_name": "Two", "key_activities": ["Hire a designer"]},
            {"phase_name": "Three", "key_activities": ["Hire a designer"]},
            {"phase_name": "Four", "key_activities": ["Hire a designer", "Meet the DEADLINE",
                                                      "Run ads", "Generate leads"]},
        ]},
        "content_pillars": [
            {"name": "Zero", "percentage_allocation": 0},
            {"name": "Tenth", "percentage_allocation": 10.5},
            {"name": "All", "percentage_allocation": 100},
        ],
        "kpis": [],
    });
    let strategy = c.api.create_strategy(&c.token, body).await;
    let (status, resp) = c.decompose(strategy).await;
    assert_eq!(status, 201, "{resp}");
    let got: Vec<(String, String, i64)> = resp["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["task_description"].as_str().unwrap().to_owned(),
                t["assigned_agent"].as_str().unwrap().to_owned(),
                t["priority"].as_i64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("Hire a designer", "general-executor", 8),
        ("Hire a designer", "general-executor", 7),
        ("Hire a designer", "general-executor", 6),
        ("Hire a designer", "general-executor", 5),
        ("Meet the DEADLINE", "general-executor", 7),
        ("Run ads", "campaign-manager", 5),
        ("Generate leads", "general-executor", 5),
        ("Create content for Zero pillar", "content-generator", 1),
        ("Create content for Tenth pillar", "content-generator", 2),
        ("Create content for All pillar", "content-generator", 10),
    ];
    let want: Vec<(String, String, i64)> = want
        .iter()
        .map(|(d, a, p)| (d.to_string(), a.to_string(), *p))
        .collect();
    assert_eq!(got, want);
    assert_eq!(resp["execution_plan"]["estimated_duration_days"], 120);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_strategys_contact_is_checked_and_carried_to_its_tasks(pool: PgPool) {
    let c = ctx(pool).await;
    let other = other_workspace(&c.db).await;
    let contact = |ws: Uuid| {
        let pool = c.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "INSERT INTO contacts (workspace_id, name) VALUES ($1, 'Dana') RETURNING id",
            )
            .bind(ws)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let mine = contact(c.ws).await;
    let theirs = contact(other).await;

    let mut body = launch_strategy(c.ws);
    body["contact_id"] = json!(theirs);
    let before = row_counts(&c.db).await;
    let got = c.api.post("/api/strategies", &c.token, body.clone()).await;
    let msg_theirs = assert_error(&got, 400, "TASK_010");
    let random = Uuid::new_v4();
    body["contact_id"] = json!(random);
    let got = c.api.post("/api/strategies", &c.token, body.clone()).await;
    let msg_missing = assert_error(&got, 400, "TASK_010");
    assert!(msg_theirs.contains("contact_id"), "{msg_theirs:?}");
    assert_eq!(
        msg_theirs.replace(&theirs.to_string(), "<id>"),
        msg_missing.replace(&random.to_string(), "<id>"),
        "another tenant's contact is reported like a missing one"
    );
    assert_eq!(row_counts(&c.db).await, before);

    body["contact_id"] = json!(mine);
    let strategy = c.api.create_strategy(&c.token, body).await;
    let (status, resp) = c.decompose(strategy).await;
    assert_eq!(status, 201, "{resp}");
    for t in resp["tasks"].as_array().unwrap() {
        assert_eq!(t["contact_id"], mine.to_string(), "{t}");
    }
}
