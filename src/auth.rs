//! The two kinds of JWT taskfleet deals in, both HS256:
//!
//! * API bearer tokens ([`ApiClaims`], `TASKFLEET_JWT_SECRET`): minted by `taskfleet token` and the
//!   demo, verified by the API ([`TokenVerifier`]);
//! * agent tokens ([`AgentClaims`], `TASKFLEET_AGENT_SECRET`): minted per attempt by the worker's
//!   agent client, verified by agents (and the demo's simulated ones).

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Claims of an API token (contract section 3: `sub`, `workspaces` and `exp` are required).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiClaims {
    pub sub: String,
    pub workspaces: Vec<Uuid>,
    pub exp: i64,
    /// Issued at: when present, not in the future, and the lifetime counts from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before: when present, the token is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// Claims of the JWT an agent receives (contract section 4).
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentClaims {
    /// The task id.
    pub sub: Uuid,
    pub workspace_id: Uuid,
    pub agent: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs an API token valid for `ttl_secs`.
pub fn mint_api_token(
    secret: &str,
    sub: &str,
    workspaces: &[Uuid],
    ttl_secs: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = Utc::now().timestamp();
    let claims = ApiClaims {
        sub: sub.to_string(),
        workspaces: workspaces.to_vec(),
        exp: now + ttl_secs,
        iat: Some(now),
        nbf: None,
    };
    sign(&EncodingKey::from_secret(secret.as_bytes()), &claims)
}

/// Signs claims with `key` (HS256).
pub fn sign<C: Serialize>(
    key: &EncodingKey,
    claims: &C,
) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, key)
}

/// Default longest lifetime of an API token (`TASKFLEET_JWT_MAX_TTL_SECS`): a leaked token
/// stays useful for at most a day.
pub const DEFAULT_MAX_TTL_SECS: i64 = 24 * 3600;

/// Verifies HS256 tokens (so `alg: none` and other algorithms are refused), `exp` and `sub`
/// required, `exp` and `nbf` checked with no leeway, `iat` never in the future, and API tokens
/// living at most `max_ttl_secs` (from `iat`, or from now when a token has none).
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    max_ttl_secs: i64,
}

/// Why a token was refused, as a client may be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token algorithm must be HS256")]
    BadAlgorithm,
    #[error("token is malformed")]
    Malformed,
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    #[error("token is issued in the future (iat)")]
    IssuedInFuture,
    #[error("token lifetime exceeds the maximum of {0} seconds")]
    LivesTooLong(i64),
}

impl TokenVerifier {
    pub fn new(secret: &str, max_ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            max_ttl_secs,
        }
    }

    /// The API claims of a bearer token.
    pub fn verify_api(&self, token: &str) -> Result<ApiClaims, TokenError> {
        let claims: ApiClaims = self.verify(token)?;
        self.check_times(claims.iat, claims.exp)?;
        Ok(claims)
    }

    /// The agent claims of an agent token.
    pub fn verify_agent(&self, token: &str) -> Result<AgentClaims, TokenError> {
        let claims: AgentClaims = self.verify(token)?;
        self.check_times(Some(claims.iat), claims.exp)?;
        Ok(claims)
    }

    /// What the library leaves to us: `iat` not after now, and the lifetime bound.
    fn check_times(&self, iat: Option<i64>, exp: i64) -> Result<(), TokenError> {
        let now = Utc::now().timestamp();
        if iat.is_some_and(|iat| iat > now) {
            return Err(TokenError::IssuedInFuture);
        }
        if exp.saturating_sub(iat.unwrap_or(now)) > self.max_ttl_secs {
            return Err(TokenError::LivesTooLong(self.max_ttl_secs));
        }
        Ok(())
    }

    fn verify<C: serde::de::DeserializeOwned>(&self, token: &str) -> Result<C, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<C>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm => TokenError::BadAlgorithm,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                _ => TokenError::Malformed,
            })
    }
}
