//! Turns a validated strategy into a [`Plan`]: tasks in a fixed order,
//! their priorities, agents and dependency edges, plus per-phase totals.

use serde::Serialize;
use serde_json::{Value, json};

use super::rules::{Agent, activity_priority, agent_for, pillar_priority};
use super::{Kpi, Phase, Pillar};

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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanPhase {
    pub phase_name: String,
    pub tasks: Vec<usize>,
    /// The previous phase's activity tasks (empty for the first phase).
    pub dependencies: Vec<usize>,
    pub estimated_days: i64,
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

        for (activity, agent) in phase.activities.iter().zip(&agents) {
            let mut depends_on = previous.clone();
            if matches!(agent, Agent::CalendarAgent | Agent::EmailAgent) {
                // `previous` precedes this phase, so the list stays ascending.
                depends_on.extend(&content);
            }
            tasks.push(PlannedTask {
                description: (*activity).to_owned(),
                task_type: agent.task_type(),
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
            task_type: agent.task_type(),
            assigned_agent: agent.name(),
            priority: pillar_priority(pillar.percentage),
            depends_on: Vec::new(),
            input_data: json!({ "pillar": pillar.raw, "strategy_id": strategy_id }),
            phase: None,
        });
    }
    for kpi in kpis {
        let agent = Agent::AnalyticsAgent;
        tasks.push(PlannedTask {
            description: format!("Setup tracking for {}", kpi.metric_name),
            task_type: agent.task_type(),
            assigned_agent: agent.name(),
            priority: KPI_PRIORITY,
            depends_on: Vec::new(),
            input_data: json!({ "kpi": kpi.raw, "strategy_id": strategy_id }),
            phase: None,
        });
    }

    Plan {
        ongoing: (ongoing_start..tasks.len()).collect(),
        tasks,
        phases: plan_phases,
        estimated_duration_days,
    }
}

#[cfg(test)]
mod tests {
    use super::super::decompose;
    use serde_json::json;

    const ID: &str = "00000000-0000-0000-0000-000000000001";

    fn three_phase() -> super::Plan {
        let calendar = json!({"phases": [
            {"phase_name": "Awareness", "content_focus": "education",
             "key_activities": ["Launch blog", "Hire a designer"]},
            {"phase_name": "Engagement", "duration_days": 14,
             "key_activities": ["Email newsletter", "Write copy", "Schedule posts", "Blog series"]},
            {"phase_name": "Conversion", "content_focus": null, "duration_days": null,
             "key_activities": ["Run ads", "Analytics review"]},
        ]});
        let pillars = json!([
            {"name": "Thought leadership", "percentage_allocation": 25},
            {"name": "Product", "percentage_allocation": 0.5, "extra": true},
        ]);
        let kpis = json!([{"metric_name": "Signups", "target": 500}]);
        match decompose(ID, &calendar, &pillars, &kpis) {
            Ok(plan) => plan,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[test]
    fn task_order_agents_priorities() {
        let plan = three_phase();
        let got: Vec<_> = plan
            .tasks
            .iter()
            .map(|t| {
                (
                    t.description.as_str(),
                    t.assigned_agent,
                    t.task_type,
                    t.priority,
                    t.phase,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Launch blog", "content-generator", "content", 10, Some(0)),
                ("Hire a designer", "general-executor", "general", 8, Some(0)),
                ("Email newsletter", "email-agent", "email", 7, Some(1)),
                ("Write copy", "content-generator", "content", 7, Some(1)),
                ("Schedule posts", "calendar-agent", "scheduling", 7, Some(1)),
                ("Blog series", "content-generator", "content", 7, Some(1)),
                ("Run ads", "campaign-manager", "campaign", 6, Some(2)),
                (
                    "Analytics review",
                    "analytics-agent",
                    "analysis",
                    6,
                    Some(2)
                ),
                (
                    "Create content for Thought leadership pillar",
                    "content-generator",
                    "content",
                    3,
                    None
                ),
                (
                    "Create content for Product pillar",
                    "content-generator",
                    "content",
                    1,
                    None
                ),
                (
                    "Setup tracking for Signups",
                    "analytics-agent",
                    "analysis",
                    7,
                    None
                ),
            ]
        );
    }

    #[test]
    fn dependency_edges() {
        let plan = three_phase();
        let deps: Vec<Vec<usize>> = plan.tasks.iter().map(|t| t.depends_on.clone()).collect();
        let want: [&[usize]; 11] = [
            &[],
            &[],
            // email and calendar also wait for the phase's content tasks 3 and 5
            &[0, 1, 3, 5],
            &[0, 1],
            &[0, 1, 3, 5],
            &[0, 1],
            &[2, 3, 4, 5],
            &[2, 3, 4, 5],
            &[],
            &[],
            &[],
        ];
        assert_eq!(deps, want);
    }

    #[test]
    fn phases_and_totals() {
        let plan = three_phase();
        let got: Vec<_> = plan
            .phases
            .iter()
            .map(|p| {
                (
                    p.phase_name.as_str(),
                    p.tasks.clone(),
                    p.dependencies.clone(),
                    p.estimated_days,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Awareness", vec![0, 1], vec![], 30),
                ("Engagement", vec![2, 3, 4, 5], vec![0, 1], 14),
                ("Conversion", vec![6, 7], vec![2, 3, 4, 5], 30),
            ]
        );
        assert_eq!(plan.ongoing, [8, 9, 10]);
        assert_eq!(plan.estimated_duration_days, 74);
    }

    #[test]
    fn input_data() {
        let plan = three_phase();
        assert_eq!(
            plan.tasks[0].input_data,
            json!({"phase_name": "Awareness", "activity": "Launch blog",
                   "content_focus": "education", "strategy_id": ID})
        );
        assert_eq!(
            plan.tasks[2].input_data,
            json!({"phase_name": "Engagement", "activity": "Email newsletter",
                   "content_focus": null, "strategy_id": ID})
        );
        assert_eq!(
            plan.tasks[9].input_data,
            json!({"pillar": {"name": "Product", "percentage_allocation": 0.5, "extra": true},
                   "strategy_id": ID})
        );
        assert_eq!(
            plan.tasks[10].input_data,
            json!({"kpi": {"metric_name": "Signups", "target": 500}, "strategy_id": ID})
        );
    }

    #[test]
    fn null_pillars_and_kpis_are_empty() {
        let calendar = json!({"phases": [{"phase_name": "Only", "key_activities": ["Blog"]}]});
        let plan = match decompose(ID, &calendar, &json!(null), &json!(null)) {
            Ok(plan) => plan,
            Err(e) => panic!("unexpected error: {e}"),
        };
        assert_eq!(plan.tasks.len(), 1);
        assert!(plan.ongoing.is_empty());
        assert_eq!(plan.estimated_duration_days, 30);
    }
}
