//! The outcome rule as a table: every way an attempt can end × business hours on/off × urgent or
//! not × retries left or used up, at two local times in Sydney (18:30, inside the start window
//! but past the retry window; 23:30, outside both).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::queue::task::Lease;
use crate::schedule::business_hours::{self, Rules as Hours};
use crate::schedule::{TaskTiming, TimeRules};

const POLICY: RetryPolicy = RetryPolicy {
    base: Duration::from_secs(1),
    unavailable_delay: Duration::from_secs(30),
};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// 18:30 and 23:30 AEDT on Wednesday 25 November 2026.
const EVENING: &str = "2026-11-25T07:30:00Z";
const NIGHT: &str = "2026-11-25T12:30:00Z";
/// 09:00 AEDT the next morning (the retry window opens).
const NINE_AM: &str = "2026-11-25T22:00:00Z";
/// 06:00 AEDT the next morning (the start window opens).
const SIX_AM: &str = "2026-11-25T19:00:00Z";

fn lease() -> Lease {
    Lease {
        task_id: Uuid::from_u128(1),
        token: Uuid::from_u128(2),
        workspace_id: Uuid::from_u128(3),
    }
}

fn view(urgent: bool, exhausted: bool) -> AttemptView<'static> {
    AttemptView {
        lease: lease(),
        retry_count: if exhausted { 3 } else { 0 },
        max_retries: 3,
        timing: TaskTiming {
            priority: if urgent { 9 } else { 5 },
            task_type: "content",
            assigned_agent: "content-generator",
            timezone: Some("Australia/Sydney"),
        },
    }
}

fn time_rules(on: bool) -> TimeRules {
    TimeRules {
        rules: Hours { enabled: on },
        default_zone: business_hours::DEFAULT_ZONE,
    }
}

fn ends() -> Vec<(&'static str, AttemptEnd)> {
    let transient = |retry_after| {
        AttemptEnd::Agent(Outcome::Transient {
            class: "http_503".into(),
            error: "HTTP 503: down".into(),
            retry_after,
        })
    };
    vec![
        (
            "success",
            AttemptEnd::Agent(Outcome::Success(json!({"ok": 1}))),
        ),
        ("transient", transient(None)),
        (
            "transient+retry_after",
            transient(Some(Duration::from_secs(60))),
        ),
        (
            "permanent",
            AttemptEnd::Agent(Outcome::Permanent {
                class: "http_400".into(),
                error: "HTTP 400: bad".into(),
            }),
        ),
        (
            "unavailable",
            AttemptEnd::Agent(Outcome::Unavailable {
                error: "agent x is not registered".into(),
            }),
        ),
        (
            "lease_expired",
            AttemptEnd::LeaseExpired {
                worker: Some("w1".into()),
            },
        ),
        ("out_of_hours", AttemptEnd::OutOfHours),
        ("drained", AttemptEnd::Drained),
        ("held_too_long", AttemptEnd::HeldTooLong),
    ]
}

/// When a requeue may run: exactly at an instant, or after a backoff within its jitter.
#[derive(Debug)]
enum When {
    At(DateTime<Utc>),
    Within(DateTime<Utc>, DateTime<Utc>),
}

#[derive(Debug)]
enum Want {
    Complete,
    Requeue {
        increment: i32,
        action: Action,
        when: When,
        error_starts: Option<&'static str>,
    },
    Fail {
        action: Action,
        error_starts: &'static str,
    },
}

/// The contract's rule, written out case by case.
fn want(kind: &str, hours: bool, urgent: bool, exhausted: bool, now: DateTime<Utc>) -> Want {
    let windows = hours && !urgent;
    let backoff = |wait_s: i64| {
        if windows {
            // Both instants are outside 09:00-17:00: the retry moves to the next opening.
            When::At(utc(NINE_AM))
        } else {
            let wait = TimeDelta::seconds(wait_s);
            When::Within(now + wait, now + wait + wait / 10)
        }
    };
    match kind {
        "success" => Want::Complete,
        "transient" | "transient+retry_after" | "lease_expired" if exhausted => Want::Fail {
            action: if kind == "lease_expired" {
                Action::Reclaimed
            } else {
                Action::Failed
            },
            error_starts: "TASK_005: max retries exceeded (3); last error: ",
        },
        "transient" => Want::Requeue {
            increment: 1,
            action: Action::RetryScheduled,
            when: backoff(2),
            error_starts: Some("HTTP 503"),
        },
        "transient+retry_after" => Want::Requeue {
            increment: 1,
            action: Action::RetryScheduled,
            // Retry-After (60 s) is longer than the first backoff (2 s): it wins, no jitter on it.
            when: if windows {
                When::At(utc(NINE_AM))
            } else {
                When::At(now + TimeDelta::seconds(60))
            },
            error_starts: Some("HTTP 503"),
        },
        "lease_expired" => Want::Requeue {
            increment: 1,
            action: Action::Reclaimed,
            when: backoff(2),
            error_starts: Some("lease expired: worker w1"),
        },
        "permanent" => Want::Fail {
            action: Action::Failed,
            error_starts: "HTTP 400",
        },
        "unavailable" => Want::Requeue {
            increment: 0,
            action: Action::Deferred,
            when: When::At(now + TimeDelta::seconds(30)),
            error_starts: Some("TASK_004: agent x"),
        },
        "out_of_hours" => Want::Requeue {
            increment: 0,
            action: Action::Deferred,
            when: When::At(if windows && now == utc(NIGHT) {
                utc(SIX_AM)
            } else {
                now
            }),
            error_starts: None,
        },
        "drained" | "held_too_long" => Want::Requeue {
            increment: 0,
            action: Action::Released,
            when: When::At(now),
            error_starts: None,
        },
        other => panic!("no expectation for {other}"),
    }
}

fn check(got: &Transition, want: &Want, case: &str) {
    match (got, want) {
        (Transition::Complete { lease: l, output }, Want::Complete) => {
            assert_eq!(*l, lease(), "{case}");
            assert_eq!(output, &json!({"ok": 1}), "{case}");
        }
        (
            Transition::Requeue(r),
            Want::Requeue {
                increment,
                action,
                when,
                error_starts,
            },
        ) => {
            assert_eq!(r.lease, lease(), "{case}");
            assert_eq!(r.increment, *increment, "{case}");
            assert_eq!(r.action, *action, "{case}");
            match when {
                When::At(at) => assert_eq!(r.next_run_at, *at, "{case}"),
                When::Within(lo, hi) => assert!(
                    *lo <= r.next_run_at && r.next_run_at <= *hi,
                    "{case}: {} not in [{lo}, {hi}]",
                    r.next_run_at
                ),
            }
            match error_starts {
                Some(prefix) => assert!(
                    r.error.as_deref().unwrap_or_default().starts_with(prefix),
                    "{case}: {:?}",
                    r.error
                ),
                None => assert_eq!(r.error, None, "{case}"),
            }
        }
        (
            Transition::Fail(f),
            Want::Fail {
                action,
                error_starts,
            },
        ) => {
            assert_eq!(f.lease, lease(), "{case}");
            assert_eq!(f.action, *action, "{case}");
            assert!(f.error.starts_with(error_starts), "{case}: {}", f.error);
        }
        _ => panic!("{case}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn every_end_under_every_rule() {
    let mut cases = 0;
    for now in [utc(EVENING), utc(NIGHT)] {
        for (kind, end) in ends() {
            for hours in [false, true] {
                for urgent in [false, true] {
                    for exhausted in [false, true] {
                        let time = time_rules(hours);
                        let rules = Rules {
                            retry: &POLICY,
                            time: &time,
                        };
                        let case = format!(
                            "{kind} at {now}, hours {hours}, urgent {urgent}, exhausted {exhausted}"
                        );
                        let got = settle(view(urgent, exhausted), &end, rules, now);
                        check(&got, &want(kind, hours, urgent, exhausted, now), &case);
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 2 * 9 * 2 * 2 * 2);
}

#[test]
fn a_claim_is_held_only_outside_its_start_window() {
    for (now, hours, urgent, held_until) in [
        (EVENING, true, false, None),
        (NIGHT, true, false, Some(SIX_AM)),
        (NIGHT, true, true, None),
        (NIGHT, false, false, None),
    ] {
        let time = time_rules(hours);
        let rules = Rules {
            retry: &POLICY,
            time: &time,
        };
        let got = hold(view(urgent, false), rules, utc(now));
        let case = format!("{now}, hours {hours}, urgent {urgent}");
        match (got, held_until) {
            (None, None) => {}
            (Some(Transition::Requeue(r)), Some(at)) => {
                assert_eq!(r.next_run_at, utc(at), "{case}");
                assert_eq!(r.action, Action::Deferred, "{case}");
                assert_eq!(r.increment, 0, "{case}");
            }
            (got, want) => panic!("{case}: got {got:?}, want held until {want:?}"),
        }
    }
}

/// Property tests (issue 20): whatever an attempt's end, the task's retry budget and position,
/// business hours on or off and the hour of the week, settle keeps a success's output whole and
/// counts at most the one retry the contract says.
mod properties {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    fn output() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn end() -> impl Strategy<Value = AttemptEnd> {
        prop_oneof![
            output().prop_map(|o| AttemptEnd::Agent(Outcome::Success(o))),
            proptest::option::of(0u64..600).prop_map(|secs| {
                AttemptEnd::Agent(Outcome::Transient {
                    class: "http_503".into(),
                    error: "HTTP 503: down".into(),
                    retry_after: secs.map(Duration::from_secs),
                })
            }),
            Just(AttemptEnd::Agent(Outcome::Permanent {
                class: "http_400".into(),
                error: "TASK_015: agent refused the task: HTTP 400".into(),
            })),
            Just(AttemptEnd::Agent(Outcome::Unavailable {
                error: "TASK_004: agent x".into(),
            })),
            Just(AttemptEnd::LeaseExpired {
                worker: Some("w1".into()),
            }),
            Just(AttemptEnd::OutOfHours),
            Just(AttemptEnd::Drained),
            Just(AttemptEnd::HeldTooLong),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn settle_never_loses_a_result_or_double_counts_a_retry(
            end in end(),
            max_retries in 0i32..8,
            used in 0i32..8,
            priority in 1i32..=10,
            hours in any::<bool>(),
            offset_secs in 0i64..(7 * 24 * 3600),
        ) {
            let retry_count = used.min(max_retries);
            let view = AttemptView {
                lease: lease(),
                retry_count,
                max_retries,
                timing: TaskTiming {
                    priority,
                    task_type: "content",
                    assigned_agent: "content-generator",
                    timezone: Some("Australia/Sydney"),
                },
            };
            let now = utc(EVENING) + TimeDelta::seconds(offset_secs);
            let time = time_rules(hours);
            let got = settle(view, &end, Rules { retry: &POLICY, time: &time }, now);
            let counts_as_retry = matches!(
                end,
                AttemptEnd::Agent(Outcome::Transient { .. }) | AttemptEnd::LeaseExpired { .. }
            );
            match (&end, &got) {
                (AttemptEnd::Agent(Outcome::Success(sent)), Transition::Complete { lease: l, output }) => {
                    prop_assert_eq!(*l, lease());
                    prop_assert_eq!(output, sent, "the output is kept whole");
                }
                (AttemptEnd::Agent(Outcome::Success(_)), other) => {
                    prop_assert!(false, "a success became {:?}", other);
                }
                (_, Transition::Complete { .. }) => prop_assert!(false, "only a success completes"),
                (_, Transition::Requeue(r)) => {
                    prop_assert_eq!(r.lease, lease());
                    prop_assert_eq!(r.increment, i32::from(counts_as_retry));
                    prop_assert!(
                        retry_count + r.increment <= max_retries,
                        "retry_count {} + {} over max_retries {}", retry_count, r.increment, max_retries
                    );
                    prop_assert!(r.next_run_at >= now, "a requeue runs no earlier than now");
                }
                (_, Transition::Fail(f)) => {
                    prop_assert_eq!(f.lease, lease());
                    let permanent = matches!(end, AttemptEnd::Agent(Outcome::Permanent { .. }));
                    prop_assert!(
                        permanent || (counts_as_retry && retry_count == max_retries),
                        "failed with retries left: {:?}", f
                    );
                }
            }
        }
    }
}
