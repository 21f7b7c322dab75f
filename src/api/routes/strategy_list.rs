//! GET /api/strategies?workspace_id=: a workspace's strategies, newest first, with whether each
//! is decomposed and how many tasks it has. The dashboard's DAG view picks from this list.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller, page_limit};
use crate::api::state::AppState;
use crate::api::store::{self, StrategySummary};
use crate::api::tenancy;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// At most this many, 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListResult {
    success: bool,
    strategies: Vec<StrategySummary>,
}

#[utoipa::path(get, path = "/api/strategies", operation_id = "list_strategies", tag = "strategies",
    params(ListQuery),
    responses(
        (status = 200, description = "The workspace's strategies, newest first.", body = ListResult),
        (status = 400, description = "TASK_010: invalid query (workspace_id missing, a bad UUID, an unknown parameter, limit outside 1..1000, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResult>> {
    let limit = page_limit(q.limit, 1000)?;
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    let strategies = store::strategy_list(&mut tx, q.workspace_id, limit).await?;
    tx.commit().await?;
    Ok(Json(ListResult {
        success: true,
        strategies,
    }))
}
