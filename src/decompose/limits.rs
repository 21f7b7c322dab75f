//! How large a strategy may be (contract section 9: every list in a request has a maximum).
//! Every task of phase N+1 depends on every activity of phase N, so the edges grow with the
//! product of neighbouring phases: the edge count is bounded on its own, before any is built.

use super::rules::{Agent, agent_for};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `TASKFLEET_MAX_PHASES`
    pub phases: usize,
    /// `TASKFLEET_MAX_ACTIVITIES_PER_PHASE`
    pub activities_per_phase: usize,
    /// `TASKFLEET_MAX_TASKS_PER_DECOMPOSITION`: activities, pillars and KPIs together.
    pub tasks: usize,
    /// `TASKFLEET_MAX_DEPENDENCY_EDGES`: dependency edges of one decomposition.
    pub edges: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            phases: 50,
            activities_per_phase: 200,
            tasks: 1000,
            edges: 20_000,
        }
    }
}

/// A strategy over one of the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is {got}, over the limit of {max} ({var})")]
pub struct Exceeded {
    pub what: String,
    pub got: usize,
    pub max: usize,
    pub var: &'static str,
}

impl Limits {
    /// Checks a strategy's size: the activities of each phase, in order, and how many pillars
    /// and KPIs it has. Linear in the input; nothing is built.
    pub fn check<S: AsRef<str>>(
        &self,
        phases: &[&[S]],
        pillars: usize,
        kpis: usize,
    ) -> Result<(), Exceeded> {
        over(
            "the number of phases".into(),
            phases.len(),
            self.phases,
            "TASKFLEET_MAX_PHASES",
        )?;
        for (i, activities) in phases.iter().enumerate() {
            over(
                format!("the number of key_activities of phase {i}"),
                activities.len(),
                self.activities_per_phase,
                "TASKFLEET_MAX_ACTIVITIES_PER_PHASE",
            )?;
        }
        let tasks = phases.iter().map(|a| a.len()).sum::<usize>() + pillars + kpis;
        over(
            "the number of tasks".into(),
            tasks,
            self.tasks,
            "TASKFLEET_MAX_TASKS_PER_DECOMPOSITION",
        )?;
        over(
            "the number of dependency edges".into(),
            edges(phases),
            self.edges,
            "TASKFLEET_MAX_DEPENDENCY_EDGES",
        )
    }
}

fn over(what: String, got: usize, max: usize, var: &'static str) -> Result<(), Exceeded> {
    if got > max {
        return Err(Exceeded {
            what,
            got,
            max,
            var,
        });
    }
    Ok(())
}

/// The edges the plan would have (contract section 5): each activity depends on every activity
/// of the phase before, and a phase's calendar and email tasks on its content tasks.
fn edges<S: AsRef<str>>(phases: &[&[S]]) -> usize {
    let mut total = 0usize;
    let mut previous = 0usize;
    for activities in phases {
        let agents = activities.iter().map(|a| agent_for(a.as_ref()));
        let (content, waiting) = agents.fold((0usize, 0usize), |(c, w), agent| match agent {
            Agent::ContentGenerator => (c + 1, w),
            Agent::CalendarAgent | Agent::EmailAgent => (c, w + 1),
            _ => (c, w),
        });
        total = total
            .saturating_add(previous.saturating_mul(activities.len()))
            .saturating_add(content.saturating_mul(waiting));
        previous = activities.len();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_count_neighbouring_phases_and_content_before_sending() {
        let one: &[&str] = &[
            "Write blog",
            "Email newsletter",
            "Schedule posts",
            "Run ads",
        ];
        let two: &[&str] = &["Analytics review", "Run ads"];
        // Phase 0: 1 content task × 2 waiting on it; phase 1: 4 × 2 across the phases.
        assert_eq!(edges(&[one, two]), 2 + 8);
    }

    #[test]
    fn each_limit_is_named_when_exceeded() {
        let small = Limits {
            phases: 2,
            activities_per_phase: 3,
            tasks: 6,
            edges: 4,
        };
        let a: &[&str] = &["a", "b", "c"];
        let b: &[&str] = &["d"];
        assert_eq!(small.check(&[a, b], 1, 1), Ok(()));
        let cases: [(&[&[&str]], usize, &str); 4] = [
            (&[a, b, b], 0, "TASKFLEET_MAX_PHASES"),
            (
                &[&["a", "b", "c", "d"]],
                0,
                "TASKFLEET_MAX_ACTIVITIES_PER_PHASE",
            ),
            (&[a, b], 3, "TASKFLEET_MAX_TASKS_PER_DECOMPOSITION"),
            (&[a, &["d", "e"]], 0, "TASKFLEET_MAX_DEPENDENCY_EDGES"),
        ];
        for (phases, pillars, var) in cases {
            let err = small.check(phases, pillars, 0).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().ends_with(&format!("({var})")), "{err}");
        }
    }
}
