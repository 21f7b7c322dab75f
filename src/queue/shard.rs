//! Batches per shard. Every statement that locks task rows takes a `workspaces uuid[]`
//! parameter, the workspaces of its batch: on PostgreSQL one statement writes a whole batch
//! whatever its workspaces; on Citus (`db::citus::distributed`), the batch is split per
//! workspace and each statement names its one workspace, so Citus routes it to that workspace's
//! shard (a row lock can only be taken in a single-shard query). Parts come in workspace order,
//! so two workers writing overlapping batches lock shards in the same order.

use std::borrow::Cow;
use std::collections::BTreeMap;

use uuid::Uuid;

/// One statement's share of a batch: its `workspaces` parameter (never None here; the statements
/// also accept NULL, for "any workspace", on PostgreSQL) and its items.
pub(crate) struct Part<'a, T: Clone> {
    pub workspaces: Option<Vec<Uuid>>,
    pub items: Cow<'a, [T]>,
}

/// The batch as one part (PostgreSQL) or one part per workspace (Citus).
pub(crate) fn parts<T: Clone>(items: &[T], workspace: impl Fn(&T) -> Uuid) -> Vec<Part<'_, T>> {
    if !crate::db::citus::distributed() {
        let mut workspaces: Vec<Uuid> = items.iter().map(&workspace).collect();
        workspaces.sort_unstable();
        workspaces.dedup();
        return vec![Part {
            workspaces: Some(workspaces),
            items: Cow::Borrowed(items),
        }];
    }
    let mut groups: BTreeMap<Uuid, Vec<T>> = BTreeMap::new();
    for item in items {
        groups
            .entry(workspace(item))
            .or_default()
            .push(item.clone());
    }
    groups
        .into_iter()
        .map(|(ws, items)| Part {
            workspaces: Some(vec![ws]),
            items: Cow::Owned(items),
        })
        .collect()
}
