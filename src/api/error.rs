//! Every error the API answers, as the contract's envelope
//! `{"success": false, "error": {"code": "TASK_0xx", "message": "..."}}` — including unknown
//! routes (404), wrong methods (405), oversized bodies (413) and request heads (431), and panics
//! (500); what hyper still answers below the router is listed in `server`. Errors of the
//! layers below (queue, decomposition, database) become codes here and nowhere else; routes
//! build only their own request-validation errors, with [`ApiError::new`] and a [`Code`].
//! Internal errors are logged, not shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::codes::Code;
use crate::queue;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// A contract error with its usual status.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.as_str(),
            message: message.into(),
        }
    }

    /// 400 TASK_010.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidRequest, message)
    }

    /// 422 TASK_010: well-formed, but a value breaks a documented rule or limit.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: Code::InvalidRequest.as_str(),
            message: message.into(),
        }
    }

    /// 413 TASK_010: the body is over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: Code::InvalidRequest.as_str(),
            message: format!("request body is larger than {} bytes", limit),
        }
    }

    /// 431 TASK_010: the request head is over a limit of `server::limit_head`.
    pub fn head_too_large(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            code: Code::InvalidRequest.as_str(),
            message: message.into(),
        }
    }

    /// 413 TASK_010: a list in the request is longer than its documented limit.
    pub fn over_limit(e: crate::decompose::Exceeded) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: Code::InvalidRequest.as_str(),
            message: format!("request too large: {e}"),
        }
    }

    /// 401 TASK_012.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    /// 500 with a generic message; the cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "TASK_000",
            message: "internal error; see the API log".into(),
        }
    }

    /// 503 TASK_000: the database is unreachable, read-only or out of connections; the same
    /// request may succeed later, and nothing was changed.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database unavailable");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "TASK_000",
            message: "database unavailable; retry later".into(),
        }
    }

    pub fn route_not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: Code::InvalidRequest.as_str(),
            message: "no such route".into(),
        }
    }

    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: Code::InvalidRequest.as_str(),
            message: "method not allowed on this route".into(),
        }
    }
}

/// The body of every error answer; also its schema in the OpenAPI document, so the two cannot
/// drift.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"success": false, "error": {"code": "TASK_003", "message": "task 0190f7c2-0000-7000-8000-000000000000 not found"}}))]
pub struct ErrorEnvelope {
    /// Always `false`.
    success: bool,
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `TASK_001`..`TASK_016` (README "Error codes"), or `TASK_000` for an internal error or
    /// an unreachable database. Each response of the document names the codes it can carry.
    #[schema(pattern = "^TASK_0[0-9]{2}$")]
    code: String,
    /// What went wrong, for people: names the field, the id or the limit.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            success: false,
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Outages here last seconds (a restart, a failover), not minutes.
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 5.into());
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            ApiError::unavailable(e)
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<queue::Error> for ApiError {
    fn from(e: queue::Error) -> Self {
        match (e.code(), e) {
            (Some(code), e) => ApiError::new(code, e.to_string()),
            (None, queue::Error::Db(db)) => db.into(),
            (None, e) => ApiError::internal(e),
        }
    }
}

impl From<crate::decompose::Error> for ApiError {
    fn from(e: crate::decompose::Error) -> Self {
        ApiError::new(
            Code::DecompositionFailed,
            format!("strategy cannot be decomposed: {e}"),
        )
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub async fn fallback() -> ApiError {
    ApiError::route_not_found()
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
