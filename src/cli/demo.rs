//! `taskfleet demo` and `taskfleet agents-sim`

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::config::secret;
use crate::demo::{self, DemoArgs, sim};

pub async fn run(args: DemoArgs) -> Result<()> {
    demo::run(args, crate::signal::shutdown()).await
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:9000")]
    addr: SocketAddr,
    /// Typical latency of an answer in milliseconds.
    #[arg(long, default_value_t = 200)]
    latency_ms: u64,
    /// Share of calls answered 503 (0..1).
    #[arg(long, default_value_t = 0.1)]
    failure_rate: f64,
    /// Secret the agent JWTs are checked with.
    #[arg(long, env = "TASKFLEET_AGENT_SECRET", hide_env_values = true)]
    agent_secret: Option<String>,
}

pub async fn agents_sim(args: SimArgs) -> Result<()> {
    let secret = secret(
        &args.agent_secret,
        "TASKFLEET_AGENT_SECRET",
        "the secret agent JWTs are checked with",
    )?;
    if !(0.0..=1.0).contains(&args.failure_rate) {
        bail!("--failure-rate must be between 0 and 1");
    }
    let cfg = sim::SimConfig {
        latency: Duration::from_millis(args.latency_ms),
        failure_rate: args.failure_rate,
        ..Default::default()
    };
    let addr = sim::start(args.addr, &secret, cfg).await?;
    println!(
        "agents-sim on http://{addr}: POST /<agent> for content-generator, calendar-agent, email-agent, campaign-manager, analytics-agent, general-executor"
    );
    crate::signal::shutdown().await;
    Ok(())
}
