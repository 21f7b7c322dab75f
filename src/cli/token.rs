//! `taskfleet token`: mints an API bearer token (HS256, TASKFLEET_JWT_SECRET).

use anyhow::{Result, bail};
use chrono::Utc;
use jsonwebtoken::{EncodingKey, Header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::required;

/// Claims of an API token (contract section 3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiClaims {
    pub sub: String,
    pub workspaces: Vec<Uuid>,
    pub exp: i64,
    pub iat: i64,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The user the token is for (the `sub` claim).
    #[arg(long)]
    sub: String,
    /// A workspace the user is a member of; repeat for several.
    #[arg(long = "workspace", required = true)]
    workspaces: Vec<Uuid>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(1..))]
    ttl_secs: i64,
    #[arg(long, env = "TASKFLEET_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let secret = required(
        &args.jwt_secret,
        "TASKFLEET_JWT_SECRET",
        "the HS256 secret of API tokens",
    )?;
    if args.sub.trim().is_empty() {
        bail!("--sub must not be empty");
    }
    println!(
        "{}",
        mint(&secret, &args.sub, &args.workspaces, args.ttl_secs)?
    );
    Ok(())
}

/// Signs an API token valid for `ttl_secs`.
pub fn mint(secret: &str, sub: &str, workspaces: &[Uuid], ttl_secs: i64) -> Result<String> {
    let now = Utc::now().timestamp();
    let claims = ApiClaims {
        sub: sub.to_string(),
        workspaces: workspaces.to_vec(),
        exp: now + ttl_secs,
        iat: now,
    };
    Ok(jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
