//! `taskfleet token`: mints an API bearer token (HS256, TASKFLEET_JWT_SECRET).

use anyhow::{Result, bail};
use uuid::Uuid;

use crate::auth;
use crate::config::{TokenLifetimeArgs, secret};

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
    #[command(flatten)]
    lifetime: TokenLifetimeArgs,
}

pub fn run(args: Args) -> Result<()> {
    let secret = secret(
        &args.jwt_secret,
        "TASKFLEET_JWT_SECRET",
        "the HS256 secret of API tokens",
    )?;
    let max = args.lifetime.jwt_max_ttl_secs;
    if args.ttl_secs > max {
        bail!(
            "--ttl-secs {} exceeds TASKFLEET_JWT_MAX_TTL_SECS ({max}): the API would refuse the token",
            args.ttl_secs
        );
    }
    if args.sub.trim().is_empty() {
        bail!("--sub must not be empty");
    }
    println!(
        "{}",
        auth::mint_api_token(&secret, &args.sub, &args.workspaces, args.ttl_secs)?
    );
    Ok(())
}
