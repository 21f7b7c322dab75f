//! GET /api/strategies?workspace_id=: a workspace's strategies, newest first, with whether each
//! is decomposed and how many tasks it has. The dashboard's DAG view picks from this list.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{ApiQuery, Caller};
use crate::api::state::AppState;
use crate::api::store::{self, StrategySummary};
use crate::api::tenancy;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    workspace_id: Uuid,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ListResult {
    success: bool,
    strategies: Vec<StrategySummary>,
}

pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResult>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is outside 1..1000"
        )));
    }
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    let strategies = store::strategy_list(&mut tx, q.workspace_id, limit).await?;
    tx.commit().await?;
    Ok(Json(ListResult {
        success: true,
        strategies,
    }))
}
