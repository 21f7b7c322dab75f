//! Recurring task templates (issue 17): a task body, a cron expression and the zone it is read
//! in; the `templates` sweep creates one task per due tick.
//!
//! * [`model`]: a template as stored and answered, and the rules of its own fields (cron, zone,
//!   name, catch-up window). The task body's rules are POST /api/tasks's, applied by the API
//!   (`api::routes::templates`) so they cannot drift.
//! * [`tick`]: pure: which tick of a template is due at `now` (daylight saving, catch-up).
//! * [`store`]: the `sql/template_*.sql` statements.
//! * [`sweep`]: one pass of the `templates` sweep: every enabled template's due tick, settled.
//!
//! Exactly one task per (template, tick) across the fleet: the sweep runs under its advisory
//! lock and tick claim like every sweep, but the guarantee is the primary key of
//! `template_ticks`, written by the statement that creates the task.

pub mod model;
pub mod store;
pub mod sweep;
pub mod tick;

pub use model::{NewTemplate, Template};
pub use sweep::{Settled, SweepSummary, run_due};
pub use tick::Due;
