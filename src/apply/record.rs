//! The record stage: the recorded state an apply leaves (the next of its lineage, holding the
//! objects it manages), written to the state file and committed.

use std::path::Path;

use crate::desired::Desired;
use crate::model::Account;
use crate::plan::{Plan, render};
use crate::state::{self, RecordedState, StateError};

/// The state that follows `base` once DocuSign holds `after`: the objects the YAML (`desired`)
/// and `base` make managed, at the next serial of `base`'s lineage, with the users of them that
/// `sync` generated.
#[must_use]
pub fn next_state(
    base: &RecordedState,
    desired: &Desired,
    plan: &Plan,
    after: &Account,
) -> RecordedState {
    let managed = super::managed_objects(after, &desired.state, Some(&base.objects));
    let mut next = base.after(
        after,
        managed,
        plan.desired_commit.clone(),
        render::json(plan).as_bytes(),
        jiff::Timestamp::now(),
    );
    next.generated = desired
        .generated
        .keys()
        .filter(|key| next.objects.users.contains_key(*key))
        .cloned()
        .collect();
    next
}

/// Where a recorded state went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The serial written.
    pub serial: u64,
    pub commit: Commit,
}

/// What became of committing the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Commit {
    /// The commit that holds it.
    Made(String),
    /// Not asked for (`--no-commit`).
    NotAsked,
    /// The directory is in no git repository: the file is written, not committed.
    NoRepository,
}

/// Writes the state that follows `base` (see [`next_state`]) to `state_path` under `dir`
/// (atomically), and commits it when `commit` says so.
pub fn record(
    dir: &Path,
    state_path: &Path,
    base: &RecordedState,
    desired: &Desired,
    plan: &Plan,
    after: &Account,
    commit: bool,
) -> Result<Recorded, StateError> {
    let next = next_state(base, desired, plan, after);
    state::file::write(dir, state_path, &next)?;
    let commit = if commit {
        match state::git::commit_state(dir, state_path, &commit_message(plan, &next))? {
            Some(made) => Commit::Made(made),
            None => Commit::NoRepository,
        }
    } else {
        Commit::NotAsked
    };
    Ok(Recorded {
        serial: next.serial,
        commit,
    })
}

/// The first 12 characters of a hash, as people quote commits and plans.
#[must_use]
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The commit's message: what the plan changed, counted by kind, then the account, the serial
/// and the plan.
fn commit_message(plan: &Plan, next: &RecordedState) -> String {
    let summary = if plan.summary.is_empty() {
        "no changes".to_owned()
    } else {
        plan.summary
            .iter()
            .map(|(kind, count)| format!("{count} {}", kind.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "docusign-gitops apply: {summary}\n\nAccount {} ({}), serial {}.\nPlan {}.\n",
        next.account_id,
        next.environment,
        next.serial,
        short(&next.plan_hash)
    )
}
