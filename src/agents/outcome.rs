//! Pure: an agent's HTTP answer (or the failure to get one) → [`Outcome`]. Contract section 4:
//! timeout, connection error, 408, 429 (with `Retry-After`) and 5xx are transient; other 4xx
//! are permanent; 2xx is success with the JSON body as output.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::codes::Code;
use crate::queue::Outcome;

/// How much of an error body goes into `error_message`.
const BODY_SNIPPET: usize = 300;

/// Classifies a response. `retry_after` is the raw header value; `now` resolves HTTP dates.
pub fn classify(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Outcome {
    if (200..300).contains(&status) {
        return match success_body(body) {
            Ok(output) => Outcome::Success(output),
            Err(why) => Outcome::Permanent {
                class: "unusable_reply".into(),
                error: format!(
                    "{}: agent reply cannot be stored: {why}",
                    Code::UnusableReply
                ),
            },
        };
    }
    let error = format!("HTTP {status}: {}", snippet(body));
    let class = format!("http_{status}");
    match status {
        408 | 429 | 500..=599 => Outcome::Transient {
            class,
            error,
            retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
        },
        _ => Outcome::Permanent {
            class,
            error: format!("{}: agent refused the task: {error}", Code::AgentRefused),
        },
    }
}

/// The attempt hit the task timeout (TASK_008, transient).
pub fn timeout(after: Duration) -> Outcome {
    Outcome::Transient {
        class: "timeout".into(),
        error: format!(
            "{}: execution timed out after {}s",
            Code::ExecutionTimeout,
            after.as_secs_f64()
        ),
        retry_after: None,
    }
}

/// The request never got an answer (connection refused, reset, DNS...): transient.
pub fn transport(error: &str) -> Outcome {
    Outcome::Transient {
        class: "connect".into(),
        error: format!("agent unreachable: {error}"),
        retry_after: None,
    }
}

/// A 2xx body: JSON as is, empty as `{}`, anything else kept as text so no output is lost.
/// Refused (with the reason) when Postgres could not store it: jsonb and text hold no NUL
/// character, which JSON allows as `\u0000`.
fn success_body(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let Ok(output) = serde_json::from_slice::<Value>(body) else {
        if body.contains(&0) {
            return Err("its text contains a NUL byte".into());
        }
        return Ok(json!({ "text": String::from_utf8_lossy(body) }));
    };
    // Only a body that spells `\u0000` can hold a NUL: skip the walk for every other one.
    let spelled = body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"));
    match spelled.then(|| nul_at(&output, "$")).flatten() {
        Some(path) => Err(format!("a NUL character (\\u0000) at {path}")),
        None => Ok(output),
    }
}

/// The JSON path of the first string or key holding a NUL character.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(|| path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(format!("a key of {path}"))
            } else {
                nul_at(item, &format!("{path}.{key}"))
            }
        }),
        _ => None,
    }
}

/// The start of an error body for `error_message` (text, which cannot hold NUL: replaced).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).replace('\0', "\u{FFFD}");
    let text = text.trim();
    match text.char_indices().nth(BODY_SNIPPET) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-25T10:00:00Z".parse().unwrap()
    }

    fn kind(o: &Outcome) -> &'static str {
        match o {
            Outcome::Success(_) => "success",
            Outcome::Transient { .. } => "transient",
            Outcome::Permanent { .. } => "permanent",
            Outcome::Unavailable { .. } => "unavailable",
            Outcome::Held { .. } => "held",
        }
    }

    #[test]
    fn statuses_are_classified_as_the_contract_says() {
        for (status, want) in [
            (200, "success"),
            (201, "success"),
            (204, "success"),
            (400, "permanent"),
            (401, "permanent"),
            (404, "permanent"),
            (409, "permanent"),
            (422, "permanent"),
            (408, "transient"),
            (429, "transient"),
            (500, "transient"),
            (502, "transient"),
            (503, "transient"),
            (599, "transient"),
            (302, "permanent"),
        ] {
            let outcome = classify(status, None, b"", now());
            assert_eq!(kind(&outcome), want, "{status}");
            if let Outcome::Permanent { error, .. } = outcome {
                // Permanent refusals carry a code DBAs can filter on, like every failure.
                assert!(
                    error.starts_with("TASK_015: agent refused the task: HTTP "),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("1", now()), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
        match classify(429, Some("7"), b"slow down", now()) {
            Outcome::Transient {
                retry_after,
                class,
                error,
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                assert_eq!(class, "http_429");
                assert_eq!(error, "HTTP 429: slow down");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn success_bodies_are_kept() {
        assert_eq!(
            classify(200, None, br#"{"a":1}"#, now()),
            Outcome::Success(json!({"a": 1}))
        );
        assert_eq!(
            classify(200, None, b"  ", now()),
            Outcome::Success(json!({}))
        );
        assert_eq!(
            classify(200, None, b"done", now()),
            Outcome::Success(json!({"text": "done"}))
        );
    }

    #[test]
    fn replies_postgres_cannot_store_fail_the_task_with_task_014() {
        for (body, at) in [
            (&br#"{"x":"a\u0000b"}"#[..], "$.x"),
            (br#"{"list":[1,{"deep":"\u0000"}]}"#, "$.list[1].deep"),
            (br#"{"k\u0000":1}"#, "a key of $"),
        ] {
            match classify(200, None, body, now()) {
                Outcome::Permanent { class, error } => {
                    assert_eq!(class, "unusable_reply");
                    assert!(error.starts_with("TASK_014: "), "{error}");
                    assert!(error.ends_with(at), "{error}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            classify(200, None, b"plain\0text", now()),
            Outcome::Permanent { .. }
        ));
        // An escaped backslash before "u0000" is no NUL.
        assert_eq!(
            classify(200, None, br#"{"x":"\\u0000"}"#, now()),
            Outcome::Success(json!({"x": "\\u0000"}))
        );
        // Error bodies are text: a NUL there is replaced, the failure class kept.
        match classify(503, None, b"down\0", now()) {
            Outcome::Transient { error, .. } => assert_eq!(error, "HTTP 503: down\u{FFFD}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_error_bodies_are_cut() {
        let body = "x".repeat(1000);
        match classify(400, None, body.as_bytes(), now()) {
            // The code and prefix, "HTTP 400: ", and at most 300 characters of the body.
            Outcome::Permanent { error, .. } => assert!(error.chars().count() < 360, "{error}"),
            other => panic!("{other:?}"),
        }
    }
}
