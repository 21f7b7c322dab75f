//! POST /api/strategies: store a marketing strategy for later decomposition.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::extract::{Caller, StrictJson};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::schedule::deadline;

/// A marketing strategy. Limits (configurable, defaults): 50 phases, 200 key activities per
/// phase, 1000 tasks (activities, pillars and KPIs together); over one answers 413 TASK_010.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStrategy {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// A contact of that workspace.
    #[serde(default)]
    contact_id: Option<Uuid>,
    /// Not empty or blank.
    #[schema(min_length = 1, pattern = "\\S")]
    name: String,
    campaign_calendar: Calendar,
    /// One task each: `Create content for <name> pillar`, content-generator, priority
    /// `ceil(percentage_allocation / 10)` clamped to 1..10.
    content_pillars: Vec<Pillar>,
    /// One task each: `Setup tracking for <metric_name>`, analytics-agent, priority 7.
    kpis: Vec<Kpi>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Calendar {
    /// In order: every task of phase N+1 depends on every activity task of phase N.
    phases: Vec<Phase>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Phase {
    phase_name: String,
    /// One task per activity; its agent, type and priority come from its words (README).
    key_activities: Vec<Activity>,
    #[serde(default)]
    content_focus: Option<String>,
    /// The phase's `estimated_days` in the plan (default 30).
    #[serde(default)]
    duration_days: Option<u32>,
}

/// A key activity: a plain string, or `{"activity", "deadline"}` (contract section 9).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
enum Activity {
    Text(String),
    Dated(DatedActivity),
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DatedActivity {
    activity: String,
    /// RFC 3339, not in the past: a task due within 48 hours starts at priority 9 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline: Option<DateTime<Utc>>,
}

/// The answer of `POST /api/strategies`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyCreated {
    success: bool,
    strategy_id: Uuid,
}

impl AsRef<str> for Activity {
    fn as_ref(&self) -> &str {
        match self {
            Activity::Text(s) => s,
            Activity::Dated(d) => &d.activity,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Pillar {
    name: String,
    percentage_allocation: f64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Kpi {
    metric_name: String,
    /// Any JSON value, stored as given.
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    target: Option<Value>,
}

/// Shapes are checked here (400 TASK_010); whether the content can be decomposed (phases,
/// activities) is the decomposition's call (422 TASK_002), as for strategies written by other
/// tools.
#[utoipa::path(post, path = "/api/strategies", operation_id = "create_strategy", tag = "strategies",
    request_body = CreateStrategy,
    responses(
        (status = 201, description = "Stored; decompose it with `POST /api/tasks/decompose`.", body = StrategyCreated),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character, an empty name, a deadline in the past, a contact that is not the workspace's).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB, or a list over its limit (phases, activities per phase, tasks).", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateStrategy>,
) -> ApiResult<(StatusCode, Json<StrategyCreated>)> {
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
        Json(StrategyCreated {
            success: true,
            strategy_id: id,
        }),
    ))
}

/// Serializing the checked shapes back stores them canonically.
fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}
