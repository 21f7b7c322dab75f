//! POST /api/strategies: store a marketing strategy for later decomposition.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, StrictJson};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::schedule::deadline;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStrategy {
    workspace_id: Uuid,
    #[serde(default)]
    contact_id: Option<Uuid>,
    name: String,
    campaign_calendar: Calendar,
    content_pillars: Vec<Pillar>,
    kpis: Vec<Kpi>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Calendar {
    phases: Vec<Phase>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Phase {
    phase_name: String,
    key_activities: Vec<Activity>,
    #[serde(default)]
    content_focus: Option<String>,
    #[serde(default)]
    duration_days: Option<u32>,
}

/// A key activity: a plain string, or `{"activity", "deadline"}` (contract section 9).
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
enum Activity {
    Text(String),
    Dated(DatedActivity),
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DatedActivity {
    activity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline: Option<DateTime<Utc>>,
}

impl AsRef<str> for Activity {
    fn as_ref(&self) -> &str {
        match self {
            Activity::Text(s) => s,
            Activity::Dated(d) => &d.activity,
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Pillar {
    name: String,
    percentage_allocation: f64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Kpi {
    metric_name: String,
    #[serde(default)]
    target: Option<Value>,
}

/// Shapes are checked here (400 TASK_010); whether the content can be decomposed (phases,
/// activities) is the decomposition's call (422 TASK_002), as for strategies written by other
/// tools.
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateStrategy>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    let now = s.pass.clock.now();
    for (i, phase) in body.campaign_calendar.phases.iter().enumerate() {
        for (j, activity) in phase.key_activities.iter().enumerate() {
            if let Activity::Dated(DatedActivity {
                deadline: Some(d), ..
            }) = activity
            {
                deadline::check(*d, now).map_err(|e| {
                    ApiError::bad_request(format!(
                        "campaign_calendar.phases[{i}].key_activities[{j}]: {e}"
                    ))
                })?;
            }
        }
    }
    let phases: Vec<&[Activity]> = body
        .campaign_calendar
        .phases
        .iter()
        .map(|p| p.key_activities.as_slice())
        .collect();
    s.limits
        .check(&phases, body.content_pillars.len(), body.kpis.len())
        .map_err(ApiError::over_limit)?;
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, body.workspace_id).await?;
    if let Some(contact) = body.contact_id
        && !store::contact_exists(&mut tx, contact, body.workspace_id).await?
    {
        return Err(ApiError::bad_request(format!(
            "contact_id {contact} is not a contact of this workspace"
        )));
    }
    let id = store::insert_strategy(
        &mut tx,
        store::NewStrategy {
            workspace_id: body.workspace_id,
            contact_id: body.contact_id,
            name: body.name.trim(),
            campaign_calendar: to_json(&body.campaign_calendar)?,
            content_pillars: to_json(&body.content_pillars)?,
            kpis: to_json(&body.kpis)?,
        },
        &caller.actor(),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"success": true, "strategy_id": id})),
    ))
}

/// Serializing the checked shapes back stores them canonically.
fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}
