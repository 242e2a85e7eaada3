//! Executes a reviewed plan: phase by phase in the plan's order (each phase a barrier), the
//! operations of a phase batched into DocuSign's bulk calls (see `plan::batching`) and sent
//! concurrently under the client's pacing. Every item's outcome is journaled; a failed item
//! doesn't stop independent work, and the operations that depend on it are skipped.

pub mod budget;
pub mod deps;
pub mod ids;
pub mod record;
mod requests;
mod send;
mod verify;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use self::deps::Dependency;
use self::ids::Ids;
use self::requests::Call;
use crate::docusign::Client;
use crate::docusign::writes::ItemOutcome;
use crate::model::named::{Named, earlier_names};
use crate::model::{Account, EmailKey, NameKey, UserStatus};
use crate::plan::{Operation, Phase, Plan, batching, simulate};

/// What became of one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Done,
    /// DocuSign refused it, or the call carrying it failed; `code` is DocuSign's `errorCode`.
    Failed {
        code: String,
        message: String,
    },
    /// Not sent, because a step it depends on failed or was skipped.
    Skipped {
        because_of_step: usize,
    },
}

/// The journal's line for one plan step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The step's number in the plan, from 1.
    pub step: usize,
    #[serde(flatten)]
    pub status: Status,
}

/// What an apply did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// One entry per plan step, in plan order.
    pub entries: Vec<Entry>,
    /// The live account with what was done applied, and the IDs DocuSign gave new objects.
    pub account: Account,
    /// API calls made (every attempt counts, as DocuSign counts them), reading back included.
    pub calls: u64,
    /// The calls that read the account back to see what DocuSign did, and set right what it
    /// acknowledged but didn't do.
    pub verification_calls: u64,
    /// What apply did beyond the plan's steps, or found DocuSign doing differently.
    pub notes: Vec<String>,
    /// Whether `account` was read back from DocuSign (else it is the live account with the
    /// acknowledged steps applied, and no step counts as done).
    pub read_back: bool,
}

impl Outcome {
    fn count(&self, pred: impl Fn(&Status) -> bool) -> usize {
        self.entries
            .iter()
            .filter(|entry| pred(&entry.status))
            .count()
    }

    #[must_use]
    pub fn done(&self) -> usize {
        self.count(|status| matches!(status, Status::Done))
    }

    #[must_use]
    pub fn failed(&self) -> usize {
        self.count(|status| matches!(status, Status::Failed { .. }))
    }

    #[must_use]
    pub fn skipped(&self) -> usize {
        self.count(|status| matches!(status, Status::Skipped { .. }))
    }

    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.read_back && self.done() == self.entries.len()
    }
}

/// Told how apply is getting on; the CLI draws bars or prints lines.
pub trait Progress {
    fn phase_started(&self, _phase: Phase, _steps: usize) {}
    fn advanced(&self, _steps: usize) {}
    fn phase_finished(&self, _phase: Phase) {}
}

/// Says nothing.
pub struct Silent;

impl Progress for Silent {}

/// Where the run stands between phases.
struct Run<'a> {
    plan: &'a Plan,
    live: &'a Account,
    /// The live account with the done steps applied so far (built up phase by phase, so a big
    /// account is copied once, not once per phase).
    account: Account,
    /// Which steps `account` already reflects.
    applied: Vec<bool>,
    ids: Ids,
    status: Vec<Option<Status>>,
    /// Dependencies made unavailable, and the step that did it.
    broken: HashMap<Dependency, usize>,
    /// DocuSign's `userName` of each closed user a step reopens, read before reopening.
    user_names: HashMap<EmailKey, String>,
}

impl Run<'_> {
    fn operation(&self, index: usize) -> &Operation {
        &self.plan.steps[index].operation
    }

    /// Records a step's outcome; a failure breaks what the step provides.
    fn settle(&mut self, index: usize, status: Status) {
        if !matches!(status, Status::Done) {
            let cause = match &status {
                Status::Skipped { because_of_step } => *because_of_step,
                _ => index + 1,
            };
            for dependency in deps::provides(self.operation(index)) {
                self.broken.entry(dependency).or_insert(cause);
            }
        }
        self.status[index] = Some(status);
    }

    /// The step that broke something `index` needs, if any.
    fn blocked_by(&self, index: usize) -> Option<usize> {
        deps::needs(self.operation(index))
            .iter()
            .find_map(|dependency| self.broken.get(dependency).copied())
    }
}

/// Executes `plan` on the account `live` describes (the snapshot the plan was checked
/// against). `checkpoint` is called after every phase with the account as it stands, so the
/// caller can record progress that survives an interruption.
pub async fn execute(
    plan: &Plan,
    live: &Account,
    client: &Arc<Client>,
    progress: &(dyn Progress + Sync),
    checkpoint: &mut (dyn FnMut(&Account) + Send),
) -> Outcome {
    let calls_before = client.calls();
    let mut run = Run {
        plan,
        live,
        account: live.clone(),
        applied: vec![false; plan.steps.len()],
        ids: Ids::of(live),
        status: vec![None; plan.steps.len()],
        broken: HashMap::new(),
        user_names: HashMap::new(),
    };
    let riding = crate::plan::batching::joins_at_creation(
        plan.steps.iter().map(|step| &step.operation),
        live,
    );
    let mut phases: BTreeMap<Phase, Vec<usize>> = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        phases.entry(step.phase).or_default().push(index);
    }
    for (phase, indices) in phases {
        let pending: Vec<usize> = indices
            .into_iter()
            .filter(|&index| run.status[index].is_none())
            .collect();
        if pending.is_empty() {
            continue;
        }
        let extra = if phase == Phase::CreateUsers {
            // The joins that ride in their users' create calls go with them.
            riding
                .iter()
                .enumerate()
                .filter(|(_, riding)| **riding)
                .map(|(index, _)| index)
                .collect()
        } else {
            Vec::new()
        };
        progress.phase_started(phase, pending.len() + extra.len());
        run_phase(&mut run, client, progress, phase, &pending, &extra).await;
        progress.phase_finished(phase);
        catch_up(&mut run);
        checkpoint(&run.account);
    }
    catch_up(&mut run);
    let verification_started = client.calls();
    let mut notes = Vec::new();
    let read = if plan.steps.is_empty() {
        None
    } else {
        Box::pin(verify::settle(&mut run, client, &mut notes)).await
    };
    let verification_calls = client.calls().saturating_sub(verification_started);
    let read_back = plan.steps.is_empty() || read.is_some();
    let account = read.unwrap_or_else(|| std::mem::take(&mut run.account));
    Outcome {
        account,
        verification_calls,
        notes,
        read_back,
        entries: run
            .status
            .iter()
            .enumerate()
            .map(|(index, status)| Entry {
                step: index + 1,
                status: status.clone().unwrap_or(Status::Failed {
                    code: String::new(),
                    message: "never run".to_owned(),
                }),
            })
            .collect(),
        calls: client.calls().saturating_sub(calls_before),
    }
}

async fn run_phase(
    run: &mut Run<'_>,
    client: &Arc<Client>,
    progress: &(dyn Progress + Sync),
    phase: Phase,
    pending: &[usize],
    folded: &[usize],
) {
    // Skip what depends on a failure, before anything of this phase is sent.
    let mut ready = Vec::new();
    for &index in pending {
        match run.blocked_by(index) {
            Some(step) => {
                run.settle(
                    index,
                    Status::Skipped {
                        because_of_step: step,
                    },
                );
                progress.advanced(1);
            }
            None => ready.push(index),
        }
    }
    let folded: Vec<usize> = folded
        .iter()
        .copied()
        .filter(|&index| run.blocked_by(index).is_none())
        .collect();
    // Renames first in the ID table: the object keeps its ID under its new name.
    for &index in &ready {
        match run.plan.steps[index].operation.clone() {
            Operation::RenameProfile { from, to, .. } => {
                Ids::rename(&mut run.ids.profiles, &from, &to);
            }
            Operation::RenameGroup { from, to, .. } => {
                Ids::rename(&mut run.ids.groups, &from, &to);
            }
            Operation::RenameSigningGroup { from, to, .. } => {
                Ids::rename(&mut run.ids.signing_groups, &from, &to);
            }
            _ => {}
        }
    }
    if phase == Phase::CreateUsers {
        read_user_names(run, client, &ready).await;
    }
    let built = build_calls(run, &ready, &folded);
    for (index, error) in built.unresolved {
        run.settle(
            index,
            Status::Failed {
                code: String::new(),
                message: error,
            },
        );
        progress.advanced(1);
    }
    let mut calls: JoinSet<(Call, Vec<ItemOutcome>)> = JoinSet::new();
    for call in built.calls {
        let client = Arc::clone(client);
        calls.spawn(async move {
            let outcomes = send::send(&client, &call.request).await;
            (call, outcomes)
        });
    }
    while let Some(joined) = calls.join_next().await {
        let Ok((call, outcomes)) = joined else {
            // A panicked task: its steps stay unsettled and are reported as never run.
            continue;
        };
        for (steps, outcome) in call.items.iter().zip(outcomes) {
            for (position, &index) in steps.iter().enumerate() {
                let status = match &outcome {
                    Ok(new_id) => {
                        if let Some(id) = new_id {
                            record_id(run, index, id);
                        }
                        Status::Done
                    }
                    // The joins that ride in a user's create item depend on the creation: when
                    // it fails they were never attempted on their own, so they are skipped
                    // because of it, as a join in its own call would be.
                    // An answer lost on the way says nothing about them either: they are
                    // failed without a word, and reading back settles them.
                    Err(error)
                        if position > 0
                            && creates_user(run.operation(steps[0]))
                            && !error.code.is_empty() =>
                    {
                        Status::Skipped {
                            because_of_step: steps[0] + 1,
                        }
                    }
                    Err(error) => Status::Failed {
                        code: error.code.clone(),
                        message: error.message.clone(),
                    },
                };
                run.settle(index, status);
                progress.advanced(1);
            }
        }
    }
}

/// The calls carrying the phase's `ready` steps (and the `riding` joins), batched by
/// `plan::batching` and filled in with the IDs known now.
fn build_calls(run: &Run<'_>, ready: &[usize], riding: &[usize]) -> requests::Built {
    let steps = &run.plan.steps;
    let shapes = batching::calls(|index| &steps[index].operation, ready, riding);
    let mut built = requests::build(steps, run.live, &run.ids, shapes, &run.user_names);
    // A join riding with a creation that isn't sent here has no call of its own.
    let mut accounted = vec![false; steps.len()];
    for index in built
        .calls
        .iter()
        .flat_map(|call| call.items.iter().flatten())
        .chain(built.unresolved.iter().map(|(index, _)| index))
    {
        accounted[*index] = true;
    }
    for &index in ready.iter().chain(riding) {
        if !accounted[index] {
            built
                .unresolved
                .push((index, "its user's creation was not sent".to_owned()));
        }
    }
    built
}

/// Reads DocuSign's `userName` of each closed user the phase reopens: DocuSign reopens a
/// closed user only for its exact `userName` and email, so it is never guessed.
async fn read_user_names(run: &mut Run<'_>, client: &Arc<Client>, ready: &[usize]) {
    for &index in ready {
        let Operation::ReactivateUser { email, .. } = run.operation(index) else {
            continue;
        };
        let key = EmailKey::new(email);
        let Some(user_id) = run.ids.users.get(&key).cloned() else {
            continue;
        };
        if let Ok(reading) = crate::docusign::snapshot::user(client, &user_id, run.live).await {
            run.user_names.insert(key, reading.user_name);
        }
    }
}

fn creates_user(operation: &Operation) -> bool {
    matches!(
        operation,
        Operation::CreateUser { .. } | Operation::ReactivateUser { .. }
    )
}

/// Keeps the ID DocuSign gave an object the step created.
fn record_id(run: &mut Run<'_>, index: usize, id: &str) {
    match run.operation(index).clone() {
        Operation::CreateProfile { name, .. } => {
            run.ids.profiles.insert(NameKey::new(&name), id.to_owned());
        }
        Operation::CreateGroup { name, .. } => {
            run.ids.groups.insert(NameKey::new(&name), id.to_owned());
        }
        Operation::CreateSigningGroup { name, .. } => {
            run.ids
                .signing_groups
                .insert(NameKey::new(&name), id.to_owned());
        }
        Operation::CreateUser { email, .. } | Operation::ReactivateUser { email, .. } => {
            run.ids.users.insert(EmailKey::new(&email), id.to_owned());
        }
        _ => {}
    }
}

/// Brings `run.account` up to date: the done steps not yet applied (in plan order), and every
/// ID DocuSign gave a new object.
fn catch_up(run: &mut Run<'_>) {
    for index in 0..run.status.len() {
        if run.applied[index] || !matches!(run.status[index], Some(Status::Done)) {
            continue;
        }
        run.applied[index] = true;
        let operation = &run.plan.steps[index].operation;
        simulate::apply(&mut run.account, operation);
        if let Operation::CreateUser { email, .. } | Operation::ReactivateUser { email, .. } =
            operation
            && let Some(user) = run.account.users.get_mut(&EmailKey::new(email))
        {
            // DocuSign sends an activation email to a new or reopened user; it isn't active yet.
            user.status = UserStatus::Pending;
        }
    }
    run.ids.fill(&mut run.account);
}

/// The objects recorded state keeps after an apply: those the YAML names, and those it
/// managed before that still exist (a delete that failed is retried by the next plan);
/// closed users the YAML no longer names are let go.
#[must_use]
pub fn managed_objects(after: &Account, desired: &Account, recorded: Option<&Account>) -> Account {
    let empty = Account::default();
    let recorded = recorded.unwrap_or(&empty);
    Account {
        permission_profiles: kept(
            &after.permission_profiles,
            &desired.permission_profiles,
            &recorded.permission_profiles,
        ),
        groups: kept(&after.groups, &desired.groups, &recorded.groups),
        signing_groups: kept(
            &after.signing_groups,
            &desired.signing_groups,
            &recorded.signing_groups,
        ),
        users: after
            .users
            .iter()
            .filter(|(key, user)| {
                desired.users.contains_key(*key)
                    || (recorded.users.contains_key(*key) && user.status != UserStatus::Closed)
            })
            .map(|(key, user)| (key.clone(), user.clone()))
            .collect(),
    }
}

/// The objects of one kind recorded state keeps: those the YAML names, and those recorded
/// before that the YAML doesn't name by an earlier name (`previously`: it was renamed).
fn kept<T: Named + Clone>(
    after: &BTreeMap<NameKey, T>,
    desired: &BTreeMap<NameKey, T>,
    recorded: &BTreeMap<NameKey, T>,
) -> BTreeMap<NameKey, T> {
    let renamed = earlier_names(desired);
    after
        .iter()
        .filter(|(key, _)| {
            desired.contains_key(*key) || (recorded.contains_key(*key) && !renamed.contains(*key))
        })
        .map(|(key, object)| (key.clone(), object.clone()))
        .collect()
}
