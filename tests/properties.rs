//! Property tests (issue 20, "fuzzing that keeps running"): random strategies always decompose
//! into a valid DAG within the limits or are refused with a 4xx; JSON values of any shape
//! round-trip through a task's input (API and database) and output (settled and written), or are
//! refused cleanly with nothing written. The outcome rule's property is beside its table, in
//! src/queue/settle_tests.rs. Fixed seeds (proptest's deterministic runner), so a failure
//! reproduces.

mod common;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};
use sqlx::PgPool;

use common::TestDb;
use common::api::{TestApi, row_counts, task_body, token};
use taskfleet::api::error::ApiError;
use taskfleet::decompose::{Limits, PlannedTask, decompose};

/// Small limits, so the generator crosses each of them often.
const LIMITS: Limits = Limits {
    phases: 5,
    activities_per_phase: 6,
    tasks: 24,
    edges: 40,
};

/// Any JSON value, nested a few levels, with strings that may hold any character (NUL too).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Activity text: usually words the rules know, sometimes blank or odd.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(write|send|post|schedule|analyse|blog|email|social|review|launch) [a-z ]{0,20}",
        1 => "[ \t]{0,3}",
        1 => ".{0,30}",
    ]
}

fn activity() -> impl Strategy<Value = Value> {
    prop_oneof![
        5 => text().prop_map(Value::from),
        1 => (text(), "2026-1[0-2]-[0-2][1-9]T0[0-9]:00:00Z")
            .prop_map(|(a, d)| json!({"activity": a, "deadline": d})),
        1 => (text(), ".{0,10}").prop_map(|(a, d)| json!({"activity": a, "deadline": d})),
        1 => any_json(),
    ]
}

fn phase() -> impl Strategy<Value = Value> {
    (
        text(),
        prop::collection::vec(activity(), 0..9),
        proptest::option::of(-5i64..400),
    )
        .prop_map(|(name, activities, days)| {
            let mut p = json!({"phase_name": name, "key_activities": activities});
            if let Some(days) = days {
                p["duration_days"] = json!(days);
            }
            p
        })
}

/// A strategy's three parts: mostly well-shaped, sometimes not at all.
fn strategy() -> impl Strategy<Value = (Value, Value, Value)> {
    let calendar = prop_oneof![
        6 => prop::collection::vec(phase(), 0..7).prop_map(|p| json!({"phases": p})),
        1 => any_json(),
    ];
    let pillars = prop_oneof![
        6 => prop::collection::vec((text(), -20.0f64..150.0), 0..8).prop_map(|p| {
            Value::Array(
                p.into_iter()
                    .map(|(n, pct)| json!({"name": n, "percentage_allocation": pct}))
                    .collect(),
            )
        }),
        1 => any_json(),
    ];
    let kpis = prop_oneof![
        6 => prop::collection::vec(text(), 0..8).prop_map(|k| {
            Value::Array(k.into_iter().map(|m| json!({"metric_name": m})).collect())
        }),
        1 => any_json(),
    ];
    (calendar, pillars, kpis)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn random_strategies_decompose_into_a_valid_dag_or_get_a_4xx((calendar, pillars, kpis) in strategy()) {
        match decompose("s", &calendar, &pillars, &kpis, &LIMITS) {
            Ok(plan) => {
                prop_assert!(!plan.tasks.is_empty() || plan.phases.is_empty());
                prop_assert!(plan.tasks.len() <= LIMITS.tasks, "{} tasks", plan.tasks.len());
                let edges: usize = plan.tasks.iter().map(|t| t.depends_on.len()).sum();
                prop_assert!(edges <= LIMITS.edges, "{} edges", edges);
                prop_assert!(acyclic(&plan.tasks), "the plan has a cycle");
                for (i, t) in plan.tasks.iter().enumerate() {
                    // Within a phase an edge may point forwards (a schedule task listed before
                    // the blog post it waits for), so order alone proves nothing: see `acyclic`.
                    prop_assert!(t.depends_on.windows(2).all(|w| w[0] < w[1]), "{:?}", t.depends_on);
                    prop_assert!(t.depends_on.iter().all(|&d| d != i && d < plan.tasks.len()), "task {} depends on {:?}", i, t.depends_on);
                    prop_assert!((1..=10).contains(&t.priority), "priority {}", t.priority);
                    prop_assert!(taskfleet::queue::TASK_TYPES.contains(&t.task_type), "{}", t.task_type);
                    prop_assert!(taskfleet::agents::name::check(t.assigned_agent).is_ok());
                    prop_assert!(!t.description.trim().is_empty());
                }
                let mut placed: Vec<usize> = plan.phases.iter().flat_map(|p| p.tasks.clone()).collect();
                placed.extend(&plan.ongoing);
                placed.sort_unstable();
                prop_assert_eq!(placed, (0..plan.tasks.len()).collect::<Vec<_>>(), "each task in one place");
            }
            Err(e) => {
                let status = ApiError::from(e).status;
                prop_assert!(status.is_client_error(), "refused with {}", status);
            }
        }
    }
}

/// Whether the plan's dependency edges form a DAG (Kahn's algorithm: every task gets removed).
fn acyclic(tasks: &[PlannedTask]) -> bool {
    let mut waiting: Vec<usize> = tasks.iter().map(|t| t.depends_on.len()).collect();
    let mut dependents = vec![Vec::new(); tasks.len()];
    for (i, t) in tasks.iter().enumerate() {
        for &d in &t.depends_on {
            dependents[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..tasks.len()).filter(|&i| waiting[i] == 0).collect();
    let mut removed = 0;
    while let Some(i) = ready.pop() {
        removed += 1;
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(j);
            }
        }
    }
    removed == tasks.len()
}

/// Whether a value holds a NUL character (in a key or a string), which jsonb cannot store.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// `n` values of [`any_json`], from a fixed seed.
fn samples(n: usize) -> Vec<Value> {
    let mut runner = TestRunner::deterministic();
    let strategy = any_json();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn json_of_any_shape_round_trips_through_input_and_output_or_is_refused(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let api = TestApi::start(&db).await;
    let token = token("prop", &[ws]);
    let (mut stored, mut refused) = (0, 0);
    for sample in samples(150) {
        // input_data must be an object (contract section 3); the sample goes inside one.
        let value = json!({"sample": sample});
        // In: POST /api/tasks, read back with GET.
        let before = row_counts(&db).await;
        let mut body = task_body(ws);
        body["input_data"] = value.clone();
        let (status, created) = api.post("/api/tasks", &token, body).await;
        if has_nul(&value) {
            assert!(
                status == 400 || status == 422,
                "{status} {created} for {value}"
            );
            assert_eq!(created["success"], false);
            assert_eq!(row_counts(&db).await, before, "a refused task wrote rows");
            refused += 1;
            continue;
        }
        assert_eq!(status, 201, "{created} for {value}");
        let id: uuid::Uuid = created["task"]["id"].as_str().unwrap().parse().unwrap();
        let (_, got) = api.get(&format!("/api/tasks/{id}"), &token).await;
        assert_eq!(got["task"]["input_data"], value, "input of {id}");

        // Out: the same value as the agent's reply, settled and written by the queue.
        let attempt = db.start_task(id).await;
        db.complete_attempt(&attempt, value.clone()).await;
        assert_eq!(
            db.task(id).await.output_data.as_ref(),
            Some(&value),
            "output of {id}"
        );
        stored += 1;
    }
    // The generator really produces both kinds.
    assert!(
        stored > 50 && refused > 5,
        "stored {stored}, refused {refused}"
    );
    db.assert_queue_consistent().await;
}
