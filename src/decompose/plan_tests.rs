//! The plan a three-phase strategy decomposes into: order, agents, priorities, dependencies.

use super::{Limits, Plan, decompose};
use serde_json::json;

const ID: &str = "00000000-0000-0000-0000-000000000001";

fn three_phase() -> Plan {
    let calendar = json!({"phases": [
        {"phase_name": "Awareness", "content_focus": "education",
         "key_activities": ["Launch blog", "Hire a designer"]},
        {"phase_name": "Engagement", "duration_days": 14,
         "key_activities": ["Email newsletter", "Write copy", "Schedule posts", "Blog series"]},
        {"phase_name": "Conversion", "content_focus": null, "duration_days": null,
         "key_activities": ["Run ads", "Analytics review"]},
    ]});
    let pillars = json!([
        {"name": "Thought leadership", "percentage_allocation": 25},
        {"name": "Product", "percentage_allocation": 0.5, "extra": true},
    ]);
    let kpis = json!([{"metric_name": "Signups", "target": 500}]);
    match decompose(ID, &calendar, &pillars, &kpis, &Limits::default()) {
        Ok(plan) => plan,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[test]
fn task_order_agents_priorities() {
    let plan = three_phase();
    let got: Vec<_> = plan
        .tasks
        .iter()
        .map(|t| {
            (
                t.description.as_str(),
                t.assigned_agent,
                t.task_type,
                t.priority,
                t.phase,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Launch blog", "content-generator", "content", 10, Some(0)),
            ("Hire a designer", "general-executor", "other", 8, Some(0)),
            ("Email newsletter", "email-agent", "email", 7, Some(1)),
            ("Write copy", "content-generator", "content", 7, Some(1)),
            (
                "Schedule posts",
                "calendar-agent",
                "social_media",
                7,
                Some(1)
            ),
            ("Blog series", "content-generator", "content", 7, Some(1)),
            ("Run ads", "campaign-manager", "campaign", 6, Some(2)),
            (
                "Analytics review",
                "analytics-agent",
                "analysis",
                6,
                Some(2)
            ),
            (
                "Create content for Thought leadership pillar",
                "content-generator",
                "content",
                3,
                None
            ),
            (
                "Create content for Product pillar",
                "content-generator",
                "content",
                1,
                None
            ),
            (
                "Setup tracking for Signups",
                "analytics-agent",
                "analysis",
                7,
                None
            ),
        ]
    );
}

#[test]
fn dependency_edges() {
    let plan = three_phase();
    let deps: Vec<Vec<usize>> = plan.tasks.iter().map(|t| t.depends_on.clone()).collect();
    let want: [&[usize]; 11] = [
        &[],
        &[],
        // email and calendar also wait for the phase's content tasks 3 and 5
        &[0, 1, 3, 5],
        &[0, 1],
        &[0, 1, 3, 5],
        &[0, 1],
        &[2, 3, 4, 5],
        &[2, 3, 4, 5],
        &[],
        &[],
        &[],
    ];
    assert_eq!(deps, want);
}

#[test]
fn phases_and_totals() {
    let plan = three_phase();
    let got: Vec<_> = plan
        .phases
        .iter()
        .map(|p| {
            (
                p.phase_name.as_str(),
                p.tasks.clone(),
                p.dependencies.clone(),
                p.estimated_days,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Awareness", vec![0, 1], vec![], 30),
            ("Engagement", vec![2, 3, 4, 5], vec![0, 1], 14),
            ("Conversion", vec![6, 7], vec![2, 3, 4, 5], 30),
        ]
    );
    assert_eq!(plan.ongoing, [8, 9, 10]);
    assert_eq!(plan.estimated_duration_days, 74);
}

#[test]
fn input_data() {
    let plan = three_phase();
    assert_eq!(
        plan.tasks[0].input_data,
        json!({"phase_name": "Awareness", "activity": "Launch blog",
               "content_focus": "education", "strategy_id": ID})
    );
    assert_eq!(
        plan.tasks[2].input_data,
        json!({"phase_name": "Engagement", "activity": "Email newsletter",
               "content_focus": null, "strategy_id": ID})
    );
    assert_eq!(
        plan.tasks[9].input_data,
        json!({"pillar": {"name": "Product", "percentage_allocation": 0.5, "extra": true},
               "strategy_id": ID})
    );
    assert_eq!(
        plan.tasks[10].input_data,
        json!({"kpi": {"metric_name": "Signups", "target": 500}, "strategy_id": ID})
    );
}

#[test]
fn null_pillars_and_kpis_are_empty() {
    let calendar = json!({"phases": [{"phase_name": "Only", "key_activities": ["Blog"]}]});
    let plan = match decompose(
        ID,
        &calendar,
        &json!(null),
        &json!(null),
        &Limits::default(),
    ) {
        Ok(plan) => plan,
        Err(e) => panic!("unexpected error: {e}"),
    };
    assert_eq!(plan.tasks.len(), 1);
    assert!(plan.ongoing.is_empty());
    assert_eq!(plan.estimated_duration_days, 30);
}

#[test]
fn an_activity_may_carry_a_deadline() {
    let calendar = json!({"phases": [{"phase_name": "Only", "key_activities": [
        "Write blog",
        {"activity": "Launch webinar", "deadline": "2026-12-03T09:00:00+11:00"},
        {"activity": "Post recap", "deadline": null},
    ]}]});
    let plan = match decompose(ID, &calendar, &json!([]), &json!([]), &Limits::default()) {
        Ok(plan) => plan,
        Err(e) => panic!("unexpected error: {e}"),
    };
    let got: Vec<_> = plan
        .tasks
        .iter()
        .map(|t| {
            (
                t.description.as_str(),
                t.task_type,
                t.deadline.map(|d| d.to_rfc3339()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Write blog", "content", None),
            (
                "Launch webinar",
                "campaign",
                Some("2026-12-02T22:00:00+00:00".to_owned())
            ),
            ("Post recap", "social_media", None),
        ]
    );
    for (bad, want) in [
        (
            json!({"activity": "x", "deadline": "tomorrow"}),
            "is not RFC 3339",
        ),
        (
            json!({"activity": "x", "due": "2026-12-03T09:00:00Z"}),
            "due is not a field",
        ),
        (
            json!({"deadline": "2026-12-03T09:00:00Z"}),
            "activity is missing",
        ),
        (json!({"activity": "  "}), "activity is empty"),
        (json!(7), "is not a string or an object"),
    ] {
        let calendar = json!({"phases": [{"phase_name": "P", "key_activities": [bad]}]});
        let err = decompose(ID, &calendar, &json!([]), &json!([]), &Limits::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(want), "{err} should contain {want}");
    }
}

#[test]
fn content_approval_gates_only_the_content_of_phases_that_email() {
    let plan = three_phase();
    let gated: Vec<&str> = plan
        .tasks
        .iter()
        .zip(plan.content_approvals())
        .filter(|(_, gated)| *gated)
        .map(|(t, _)| t.description.as_str())
        .collect();
    // Engagement emails: its content waits for approval. Awareness has content but no email;
    // pillar content belongs to no phase.
    assert_eq!(gated, ["Write copy", "Blog series"]);
}
