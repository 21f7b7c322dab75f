//! Turns a validated strategy into a [`Plan`]: tasks in a fixed order,
//! their priorities, agents and dependency edges, plus per-phase totals.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::input::{Kpi, Phase, Pillar};
use super::rules::{Agent, TaskType, activity_priority, agent_for, pillar_priority, task_type_for};

/// Everything needed to insert a strategy's tasks; indices refer to `tasks`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub tasks: Vec<PlannedTask>,
    pub phases: Vec<PlanPhase>,
    /// Pillar and KPI tasks: not tied to any phase.
    pub ongoing: Vec<usize>,
    pub estimated_duration_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedTask {
    pub description: String,
    pub task_type: &'static str,
    pub assigned_agent: &'static str,
    pub priority: i16,
    /// Indices into `Plan.tasks`, ascending, no duplicates.
    pub depends_on: Vec<usize>,
    pub input_data: Value,
    pub phase: Option<usize>,
    /// The activity's deadline, if it gave one: the caller raises the priority of a task due
    /// soon (`schedule::deadline`), which depends on when the plan is inserted.
    pub deadline: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanPhase {
    pub phase_name: String,
    pub tasks: Vec<usize>,
    /// The previous phase's activity tasks (empty for the first phase).
    pub dependencies: Vec<usize>,
    pub estimated_days: i64,
}

impl Plan {
    /// The content-approval rule (README "Approval gates"): a content task of a phase that also
    /// has an email task needs approval, so that phase's email, which waits for its content,
    /// never sends content nobody approved. One flag per task, in plan order.
    pub fn content_approvals(&self) -> Vec<bool> {
        let has_email: Vec<bool> = self
            .phases
            .iter()
            .map(|p| {
                p.tasks
                    .iter()
                    .any(|&i| self.tasks[i].task_type == TaskType::Email.as_str())
            })
            .collect();
        self.tasks
            .iter()
            .map(|t| {
                t.task_type == TaskType::Content.as_str() && t.phase.is_some_and(|p| has_email[p])
            })
            .collect()
    }
}

/// Priority of every KPI tracking task.
const KPI_PRIORITY: i16 = 7;

/// Builds the plan; inputs are already validated so this cannot fail.
pub(super) fn build(
    strategy_id: &str,
    phases: &[Phase<'_>],
    pillars: &[Pillar<'_>],
    kpis: &[Kpi<'_>],
    estimated_duration_days: i64,
) -> Plan {
    let mut tasks = Vec::new();
    let mut plan_phases: Vec<PlanPhase> = Vec::with_capacity(phases.len());

    for (index, phase) in phases.iter().enumerate() {
        let previous = plan_phases
            .last()
            .map(|p| p.tasks.clone())
            .unwrap_or_default();
        let first = tasks.len();
        let agents: Vec<Agent> = phase.activities.iter().map(|a| agent_for(a)).collect();
        // Scheduling and sending need the phase's content to exist first.
        let content: Vec<usize> = agents
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == Agent::ContentGenerator)
            .map(|(i, _)| first + i)
            .collect();

        for ((activity, agent), deadline) in
            phase.activities.iter().zip(&agents).zip(&phase.deadlines)
        {
            let mut depends_on = previous.clone();
            if matches!(agent, Agent::CalendarAgent | Agent::EmailAgent) {
                // `previous` precedes this phase, so the list stays ascending.
                depends_on.extend(&content);
            }
            tasks.push(PlannedTask {
                description: (*activity).to_owned(),
                task_type: task_type_for(activity).as_str(),
                assigned_agent: agent.name(),
                priority: activity_priority(index, activity),
                depends_on,
                input_data: json!({
                    "phase_name": phase.name,
                    "activity": activity,
                    "content_focus": phase.content_focus,
                    "strategy_id": strategy_id,
                }),
                phase: Some(index),
                deadline: *deadline,
            });
        }

        plan_phases.push(PlanPhase {
            phase_name: phase.name.to_owned(),
            tasks: (first..tasks.len()).collect(),
            dependencies: previous,
            estimated_days: phase.days,
        });
    }

    let ongoing_start = tasks.len();
    for pillar in pillars {
        let agent = Agent::ContentGenerator;
        tasks.push(PlannedTask {
            description: format!("Create content for {} pillar", pillar.name),
            task_type: TaskType::Content.as_str(),
            assigned_agent: agent.name(),
            priority: pillar_priority(pillar.percentage),
            depends_on: Vec::new(),
            input_data: json!({ "pillar": pillar.raw, "strategy_id": strategy_id }),
            phase: None,
            deadline: None,
        });
    }
    for kpi in kpis {
        let agent = Agent::AnalyticsAgent;
        tasks.push(PlannedTask {
            description: format!("Setup tracking for {}", kpi.metric_name),
            task_type: TaskType::Analysis.as_str(),
            assigned_agent: agent.name(),
            priority: KPI_PRIORITY,
            depends_on: Vec::new(),
            input_data: json!({ "kpi": kpi.raw, "strategy_id": strategy_id }),
            phase: None,
            deadline: None,
        });
    }

    Plan {
        ongoing: (ongoing_start..tasks.len()).collect(),
        tasks,
        phases: plan_phases,
        estimated_duration_days,
    }
}
