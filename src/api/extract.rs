//! Request extractors that answer the contract's envelope instead of axum's plain-text
//! rejections: the caller from the bearer token, strict JSON bodies, queries and path ids.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::ApiError;
use super::unique_keys::UniqueKeys;
use crate::auth::TokenVerifier;

/// Bodies over this answer 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The authenticated caller: who, and which workspaces they may see.
#[derive(Debug, Clone)]
pub struct Caller {
    pub sub: String,
    pub workspaces: Vec<Uuid>,
}

impl Caller {
    pub fn is_member(&self, workspace: Uuid) -> bool {
        self.workspaces.contains(&workspace)
    }

    /// How the caller appears in `audit_logs.agent` and `locked_by`.
    pub fn actor(&self) -> String {
        format!("api:{}", self.sub)
    }
}

impl<S> FromRequestParts<S> for Caller
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("Authorization must be 'Bearer <token>'"))?;
        let claims = TokenVerifier::from_ref(state)
            .verify_api(token)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        Ok(Caller {
            sub: claims.sub,
            workspaces: claims.workspaces,
        })
    }
}

/// A JSON object body decoded strictly: malformed JSON, a non-object, wrong types, missing or
/// unknown fields all answer 400 TASK_010 naming the problem; over [`BODY_LIMIT`] answers 413.
pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_object(&bytes).map(StrictJson)
    }
}

/// Like [`StrictJson`], but an empty body means `T::default()` (cancel and retry take optional
/// bodies).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse_object(&bytes).map(OptionalJson)
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(BODY_LIMIT)
        } else {
            ApiError::bad_request(format!("cannot read the request body: {e}"))
        }
    })
}

/// Parses a body that must be one JSON object into `T`.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = serde_json::from_slice::<UniqueKeys>(bytes)
        .map(|UniqueKeys(v)| v)
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                ApiError::bad_request(format!("invalid body: {e}"))
            }
            _ => ApiError::bad_request(format!("body is not valid JSON: {e}")),
        })?;
    if !value.is_object() {
        return Err(ApiError::bad_request("body must be a JSON object"));
    }
    if contains_nul(&value) {
        // Valid JSON, but Postgres text and jsonb cannot store it.
        return Err(ApiError::bad_request(
            "strings must not contain the NUL character (\\u0000)",
        ));
    }
    // serde_path_to_error (already in the tree through axum) names the field whose value has the
    // wrong type; serde_json alone says only "invalid type: string, expected i32".
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner();
        if path == "." {
            ApiError::bad_request(format!("invalid body: {message}"))
        } else {
            ApiError::bad_request(format!("invalid body: field `{path}`: {message}"))
        }
    })
}

fn contains_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// A list route's `limit` query parameter: 100 when absent, else 1 to `max` (400 TASK_010
/// naming the range otherwise).
pub fn page_limit(limit: Option<i64>, max: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(100);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::bad_request(format!(
            "limit {limit} is outside 1..{max}"
        )))
    }
}

/// Query parameters decoded strictly (unknown parameters and bad values answer 400 TASK_010).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Postgres text cannot hold NUL: refuse it here rather than fail in a query (a 500).
        let query = parts.uri.query().unwrap_or_default();
        if query.to_ascii_lowercase().contains("%00") {
            return Err(ApiError::bad_request(
                "query parameters must not contain the NUL character (%00)",
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))
    }
}

/// A task or strategy id in the path; not a UUID answers 400 TASK_010.
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|Path(raw)| raw.parse().ok())
            .map(IdPath)
            .ok_or_else(|| ApiError::bad_request("id in the path must be a UUID"))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_object;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        priority: i32,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        ids: Vec<uuid::Uuid>,
    }

    fn message(body: &str) -> String {
        parse_object::<Body>(body.as_bytes()).unwrap_err().message
    }

    #[test]
    fn errors_name_the_field_at_its_path() {
        assert_eq!(
            message(r#"{"priority": "5"}"#),
            r#"invalid body: field `priority`: invalid type: string "5", expected i32"#
        );
        assert!(message(r#"{"priority": 1, "inner": {"ids": ["x"]}}"#).contains("`inner.ids[0]`"));
        assert!(message(r#"{"inner": null}"#).contains("missing field `priority`"));
        assert!(message(r#"{"priority": 1, "colour": 2}"#).contains("unknown field `colour`"));
        assert!(
            message(r#"{"priority": 1, "inner": {}}"#).contains("`inner`: missing field `ids`")
        );
    }
}
