//! Decomposes a marketing strategy (campaign calendar, content pillars, KPIs)
//! into agent tasks with priorities and dependencies.
//!
//! Pure: no IO. The inputs come from jsonb columns that may have been edited
//! by hand, so their shapes are validated here and every problem is reported
//! as [`Error::Unusable`] naming the offending path.

mod input;
mod limits;
mod plan;
mod rules;

pub use input::Error;
pub use limits::{Exceeded, Limits};
pub use plan::{Plan, PlanPhase, PlannedTask};
pub use rules::{Agent, TaskType, activity_priority, agent_for, pillar_priority, task_type_for};

use input::{parse_calendar, parse_kpis, parse_pillars, unusable};
use serde_json::Value;

/// Validates the three strategy parts, checks them against `limits` and builds the task plan.
pub fn decompose(
    strategy_id: &str,
    campaign_calendar: &Value,
    content_pillars: &Value,
    kpis: &Value,
    limits: &Limits,
) -> Result<Plan, Error> {
    let phases = parse_calendar(campaign_calendar)?;
    let total_days = phases
        .iter()
        .try_fold(0i64, |sum, p| sum.checked_add(p.days))
        .ok_or_else(|| unusable("campaign_calendar.phases duration_days total overflows"))?;
    let pillars = parse_pillars(content_pillars)?;
    let kpis = parse_kpis(kpis)?;
    let activities: Vec<&[&str]> = phases.iter().map(|p| p.activities.as_slice()).collect();
    limits.check(&activities, pillars.len(), kpis.len())?;
    Ok(plan::build(
        strategy_id,
        &phases,
        &pillars,
        &kpis,
        total_days,
    ))
}

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;
