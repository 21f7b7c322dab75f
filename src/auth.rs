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

/// Claims of an API token (contract section 3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiClaims {
    pub sub: String,
    pub workspaces: Vec<Uuid>,
    pub exp: i64,
    pub iat: i64,
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
        iat: now,
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

/// Verifies HS256 tokens (so `alg: none` and other algorithms are refused), `exp` and `sub`
/// required, `exp` checked with no leeway.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
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
}

impl TokenVerifier {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// The API claims of a bearer token.
    pub fn verify_api(&self, token: &str) -> Result<ApiClaims, TokenError> {
        self.verify(token)
    }

    /// The agent claims of an agent token.
    pub fn verify_agent(&self, token: &str) -> Result<AgentClaims, TokenError> {
        self.verify(token)
    }

    fn verify<C: serde::de::DeserializeOwned>(&self, token: &str) -> Result<C, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<C>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm => TokenError::BadAlgorithm,
                _ => TokenError::Malformed,
            })
    }
}
