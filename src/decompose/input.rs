//! The strategy's three jsonb parts, validated into the shapes the plan is built from. They may
//! have been edited by hand, so every problem is an [`Error::Unusable`] naming its path.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::limits::Exceeded;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The strategy cannot be decomposed; the message names path and problem.
    #[error("{0}")]
    Unusable(String),
    /// The strategy is larger than a configured limit (named in the message).
    #[error(transparent)]
    TooLarge(#[from] Exceeded),
}

/// Phase length used when `duration_days` is absent or null.
const DEFAULT_PHASE_DAYS: i64 = 30;

/// A calendar phase whose shape has been checked.
pub(super) struct Phase<'a> {
    pub(super) name: &'a str,
    pub(super) activities: Vec<&'a str>,
    /// Per activity: its `deadline`, when given as `{"activity", "deadline"}`.
    pub(super) deadlines: Vec<Option<DateTime<Utc>>>,
    /// A string or `Value::Null`.
    pub(super) content_focus: &'a Value,
    pub(super) days: i64,
}

pub(super) struct Pillar<'a> {
    pub(super) raw: &'a Value,
    pub(super) name: &'a str,
    pub(super) percentage: f64,
}

pub(super) struct Kpi<'a> {
    pub(super) raw: &'a Value,
    pub(super) metric_name: &'a str,
}

pub(super) fn unusable(msg: impl Into<String>) -> Error {
    Error::Unusable(msg.into())
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| unusable(format!("{path} is not an object")))
}

/// A required string field that must contain something besides whitespace.
fn text<'a>(obj: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, Error> {
    match obj.get(key) {
        None => Err(unusable(format!("{path}.{key} is missing"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(unusable(format!("{path}.{key} is empty")))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(unusable(format!("{path}.{key} is not a string"))),
    }
}

/// An optional list: JSON null means "none".
fn list<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], Error> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(unusable(format!("{path} is not an array"))),
    }
}

pub(super) fn parse_calendar(calendar: &Value) -> Result<Vec<Phase<'_>>, Error> {
    let obj = object(calendar, "campaign_calendar")?;
    let phases = match obj.get("phases") {
        None => return Err(unusable("campaign_calendar.phases is missing")),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(unusable("campaign_calendar.phases is empty"));
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(unusable("campaign_calendar.phases is not an array")),
    };
    phases
        .iter()
        .enumerate()
        .map(|(i, phase)| parse_phase(phase, &format!("campaign_calendar.phases[{i}]")))
        .collect()
}

fn parse_phase<'a>(phase: &'a Value, path: &str) -> Result<Phase<'a>, Error> {
    let obj = object(phase, path)?;
    let name = text(obj, path, "phase_name")?;

    let items = match obj.get("key_activities") {
        None => return Err(unusable(format!("{path}.key_activities is missing"))),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(unusable(format!("{path}.key_activities is empty")));
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(unusable(format!("{path}.key_activities is not an array"))),
    };
    let (activities, deadlines) = items
        .iter()
        .enumerate()
        .map(|(j, item)| activity(item, &format!("{path}.key_activities[{j}]")))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();

    let content_focus = match obj.get("content_focus") {
        None => &Value::Null,
        Some(v @ (Value::Null | Value::String(_))) => v,
        Some(_) => {
            return Err(unusable(format!(
                "{path}.content_focus is not a string or null"
            )));
        }
    };

    let days = match obj.get("duration_days") {
        None | Some(Value::Null) => DEFAULT_PHASE_DAYS,
        Some(v) => v
            .as_i64()
            .filter(|d| *d > 0)
            .ok_or_else(|| unusable(format!("{path}.duration_days is not a positive integer")))?,
    };

    Ok(Phase {
        name,
        activities,
        deadlines,
        content_focus,
        days,
    })
}

/// A key activity: a string, or `{"activity": "...", "deadline": "<RFC 3339>"}`.
fn activity<'a>(item: &'a Value, path: &str) -> Result<(&'a str, Option<DateTime<Utc>>), Error> {
    let (text, deadline) = match item {
        Value::String(s) => (s.as_str(), None),
        Value::Object(obj) => {
            if let Some(key) = obj.keys().find(|k| *k != "activity" && *k != "deadline") {
                return Err(unusable(format!(
                    "{path}.{key} is not a field of an activity"
                )));
            }
            let deadline = match obj.get("deadline") {
                None | Some(Value::Null) => None,
                Some(Value::String(d)) => Some(
                    DateTime::parse_from_rfc3339(d)
                        .map_err(|e| {
                            unusable(format!("{path}.deadline {d:?} is not RFC 3339: {e}"))
                        })?
                        .with_timezone(&Utc),
                ),
                Some(_) => return Err(unusable(format!("{path}.deadline is not a string"))),
            };
            (text(obj, path, "activity")?, deadline)
        }
        _ => {
            return Err(unusable(format!("{path} is not a string or an object")));
        }
    };
    if text.trim().is_empty() {
        return Err(unusable(format!("{path} is blank")));
    }
    Ok((text, deadline))
}

pub(super) fn parse_pillars(pillars: &Value) -> Result<Vec<Pillar<'_>>, Error> {
    let items = list(pillars, "content_pillars")?;
    items
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let path = format!("content_pillars[{i}]");
            let obj = object(raw, &path)?;
            let name = text(obj, &path, "name")?;
            let percentage = match obj.get("percentage_allocation") {
                None => {
                    return Err(unusable(format!("{path}.percentage_allocation is missing")));
                }
                Some(v) => v.as_f64().ok_or_else(|| {
                    unusable(format!("{path}.percentage_allocation is not a number"))
                })?,
            };
            if !(0.0..=100.0).contains(&percentage) {
                return Err(unusable(format!(
                    "{path}.percentage_allocation is {percentage}, outside 0..=100"
                )));
            }
            Ok(Pillar {
                raw,
                name,
                percentage,
            })
        })
        .collect()
}

pub(super) fn parse_kpis(kpis: &Value) -> Result<Vec<Kpi<'_>>, Error> {
    let items = list(kpis, "kpis")?;
    items
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let path = format!("kpis[{i}]");
            let obj = object(raw, &path)?;
            let metric_name = text(obj, &path, "metric_name")?;
            Ok(Kpi { raw, metric_name })
        })
        .collect()
}
