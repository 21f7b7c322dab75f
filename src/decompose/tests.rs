//! Shape validation and end-to-end decomposition tests.
use super::*;
use serde_json::json;

/// Expects `Unusable` and returns its message.
fn message(calendar: Value, pillars: Value, kpis: Value) -> String {
    match decompose("id", &calendar, &pillars, &kpis, &Limits::default()) {
        Err(Error::Unusable(msg)) => msg,
        Err(other) => panic!("expected Unusable, got {other}"),
        Ok(plan) => panic!("expected an error, got {plan:?}"),
    }
}

fn ok_phase() -> Value {
    json!({"phase_name": "P", "key_activities": ["Blog"]})
}

#[test]
fn unusable_calendar() {
    let p = "campaign_calendar.phases[1]";
    for (calendar, want) in [
        (json!([]), "campaign_calendar is not an object".to_owned()),
        (json!(null), "campaign_calendar is not an object".to_owned()),
        (json!({}), "campaign_calendar.phases is missing".to_owned()),
        (
            json!({"phases": {}}),
            "campaign_calendar.phases is not an array".to_owned(),
        ),
        (
            json!({"phases": null}),
            "campaign_calendar.phases is not an array".to_owned(),
        ),
        (
            json!({"phases": []}),
            "campaign_calendar.phases is empty".to_owned(),
        ),
        (
            json!({"phases": [ok_phase(), "x"]}),
            format!("{p} is not an object"),
        ),
        (
            json!({"phases": [ok_phase(), {"key_activities": ["a"]}]}),
            format!("{p}.phase_name is missing"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": " ", "key_activities": ["a"]}]}),
            format!("{p}.phase_name is empty"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": 3, "key_activities": ["a"]}]}),
            format!("{p}.phase_name is not a string"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q"}]}),
            format!("{p}.key_activities is missing"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q", "key_activities": "a"}]}),
            format!("{p}.key_activities is not an array"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q", "key_activities": []}]}),
            format!("{p}.key_activities is empty"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q", "key_activities": ["a", 1]}]}),
            format!("{p}.key_activities[1] is not a string or an object"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q", "key_activities": ["a", " \t"]}]}),
            format!("{p}.key_activities[1] is blank"),
        ),
        (
            json!({"phases": [ok_phase(), {"phase_name": "Q", "key_activities": ["a"], "content_focus": 1}]}),
            format!("{p}.content_focus is not a string or null"),
        ),
    ] {
        assert_eq!(message(calendar, json!([]), json!([])), want);
    }
}

#[test]
fn unusable_duration() {
    for days in [
        json!(0),
        json!(-3),
        json!(1.5),
        json!(30.0),
        json!("30"),
        json!(u64::MAX),
    ] {
        let calendar = json!({"phases": [
            ok_phase(),
            {"phase_name": "Q", "key_activities": ["a"], "duration_days": days},
        ]});
        assert_eq!(
            message(calendar, json!([]), json!([])),
            "campaign_calendar.phases[1].duration_days is not a positive integer",
            "{days}"
        );
    }
    let huge = json!({"phase_name": "P", "key_activities": ["a"], "duration_days": i64::MAX});
    assert_eq!(
        message(
            json!({"phases": [huge.clone(), huge]}),
            json!([]),
            json!([])
        ),
        "campaign_calendar.phases duration_days total overflows"
    );
}

#[test]
fn unusable_pillars_and_kpis() {
    let cal = || json!({"phases": [ok_phase()]});
    for (pillars, kpis, want) in [
        (json!({}), json!([]), "content_pillars is not an array"),
        (
            json!(["x"]),
            json!([]),
            "content_pillars[0] is not an object",
        ),
        (
            json!([{"percentage_allocation": 5}]),
            json!([]),
            "content_pillars[0].name is missing",
        ),
        (
            json!([{"name": 5, "percentage_allocation": 5}]),
            json!([]),
            "content_pillars[0].name is not a string",
        ),
        (
            json!([{"name": "", "percentage_allocation": 5}]),
            json!([]),
            "content_pillars[0].name is empty",
        ),
        (
            json!([{"name": "A", "percentage_allocation": 5}, {"name": "B"}]),
            json!([]),
            "content_pillars[1].percentage_allocation is missing",
        ),
        (
            json!([{"name": "A", "percentage_allocation": "5"}]),
            json!([]),
            "content_pillars[0].percentage_allocation is not a number",
        ),
        (
            json!([{"name": "A", "percentage_allocation": -1}]),
            json!([]),
            "content_pillars[0].percentage_allocation is -1, outside 0..=100",
        ),
        (
            json!([{"name": "A", "percentage_allocation": 100.5}]),
            json!([]),
            "content_pillars[0].percentage_allocation is 100.5, outside 0..=100",
        ),
        (json!([]), json!("x"), "kpis is not an array"),
        (json!([]), json!([1]), "kpis[0] is not an object"),
        (
            json!([]),
            json!([{"target": 1}]),
            "kpis[0].metric_name is missing",
        ),
        (
            json!(null),
            json!([{"metric_name": "A"}, {"metric_name": ""}]),
            "kpis[1].metric_name is empty",
        ),
        (
            json!(null),
            json!([{"metric_name": ["A"]}]),
            "kpis[0].metric_name is not a string",
        ),
    ] {
        assert_eq!(message(cal(), pillars, kpis), want);
    }
}

#[test]
fn boundaries_are_usable() {
    let calendar = json!({"phases": [
        {"phase_name": "P", "key_activities": ["a"], "duration_days": 1, "extra": [1]},
    ]});
    let pillars = json!([
        {"name": "Zero", "percentage_allocation": 0},
        {"name": "All", "percentage_allocation": 100.0},
    ]);
    let plan = match decompose("id", &calendar, &pillars, &json!([]), &Limits::default()) {
        Ok(plan) => plan,
        Err(e) => panic!("unexpected error: {e}"),
    };
    let priorities: Vec<i16> = plan.tasks.iter().map(|t| t.priority).collect();
    assert_eq!(priorities, [8, 1, 10]);
    assert_eq!(plan.estimated_duration_days, 1);
}

#[test]
fn error_display_is_the_message() {
    let err = Error::Unusable("kpis is not an array".into());
    assert_eq!(err.to_string(), "kpis is not an array");
}
