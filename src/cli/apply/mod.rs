//! `docusign-gitops apply`: plans now and executes that plan, once it is the reviewed one
//! (`--plan`) or the operator agreed to it; records what DocuSign then holds in the state file,
//! and commits it. On a workspace, every account is applied side by side ([`workspace`]).

mod bars;
mod workspace;

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use super::Exit;
use super::args::{AllowClass, ApplyArgs, ConnectionArgs};
use super::connection::Served;
use super::error::CliError;
use super::prompt;
use super::saved;
use super::session::{self, Connected};
use crate::apply::record::{self, Commit, Recorded};
use crate::apply::{self, Outcome, Status};
use crate::model::controls::visible;
use crate::plan::{self, Plan, render};
use crate::state::{self, Lock, RecordedState};
use bars::Bars;

pub fn run(args: ApplyArgs) -> Exit {
    match super::whole_workspace(&args.target) {
        Ok(Some(workspace)) => workspace::run(&workspace, args),
        Ok(None) => {
            let Some(target) = super::load_target(&args.target) else {
                return Exit::Error;
            };
            super::run_to_exit(apply_one(args, &target))
        }
        Err(exit) => exit,
    }
}

/// What each account's apply is told besides its target.
#[derive(Clone)]
struct Options {
    allow: Vec<Option<AllowClass>>,
    no_commit: bool,
    connection: ConnectionArgs,
}

/// What an account's apply has to say, held until it is said: a workspace's accounts, applied
/// side by side, are said one after the other.
#[derive(Default)]
struct Said {
    out: String,
    err: String,
}

impl Said {
    fn print(&self) {
        // A closed pipe is not worth failing over; the exit code still tells.
        let _ = std::io::stdout().lock().write_all(self.out.as_bytes());
        let _ = std::io::stderr().lock().write_all(self.err.as_bytes());
    }
}

/// How an account's apply ended, and what it said, and the summary line a workspace gives it.
struct Settled {
    exit: Exit,
    said: Said,
    summary: String,
}

/// An account's apply before its first write: either already settled (nothing to change, or a
/// rule or guard refused the plan), or ready to run.
enum Prepared {
    Settled(Settled),
    Ready(Box<Ready>),
}

/// An account read and planned, its lock held, ready to run.
struct Ready {
    connected: Connected,
    read: session::Read,
    plan: Plan,
    _lock: Lock,
}

/// One account's apply: a folder of one account, or the account `--account` names.
async fn apply_one(args: ApplyArgs, target: &super::Target) -> Result<Exit, miette::Report> {
    let ApplyArgs {
        target: target_args,
        plan: plan_file,
        auto_approve,
        no_commit,
        allow_uncommitted,
        all_or_nothing: _,
        allowance,
        connection,
    } = args;
    if !allow_uncommitted && !connection.emulator {
        // The whole tree: in a workspace, the shared definitions are this account's YAML too.
        refuse_uncommitted(&target.tree)?;
    }
    // Read and checked against the files before connecting, so a bad or foreign plan costs
    // no API call.
    let saved = match &plan_file {
        None => None,
        Some(path) => {
            let file = saved::read_saved(path)?;
            Some(match &target_args.account {
                Some(name) => file.of_account(path, name)?,
                None => file.alone(path)?,
            })
        }
    };
    let options = Options {
        allow: allowance.allow,
        no_commit,
        connection,
    };
    let ready = match prepare(target, &options, saved.as_ref(), None).await? {
        Prepared::Settled(settled) => {
            settled.said.print();
            return Ok(settled.exit);
        }
        Prepared::Ready(ready) => ready,
    };
    if plan_file.is_none() {
        out!("{}", render::text(&ready.plan, colour()));
    }
    ready.check_budget()?;
    if plan_file.is_none() && !auto_approve && !confirmed(&ready.plan, &ready.connected)? {
        errln!("Nothing was applied.");
        return Ok(Exit::Error);
    }
    let settled = ready.run(target, &options, Bars::new()).await?;
    settled.said.print();
    Ok(settled.exit)
}

/// Colour for the plan on a terminal, as `plan` gives it.
fn colour() -> bool {
    super::plan::colour(
        super::args::Format::Text,
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// Connects to `target`'s account (on `served`, a whole-workspace run's emulator), takes its
/// lock, reads it and plans it; a saved plan must match what this gives. Settled when there
/// is nothing to run: no changes (a first apply still records the account), or a rule or a
/// guard refused the plan.
async fn prepare(
    target: &super::Target,
    options: &Options,
    saved: Option<&Plan>,
    served: Option<Arc<Served>>,
) -> Result<Prepared, miette::Report> {
    let super::Target { dir, loaded, .. } = target;
    let super::Loaded { desired, digest } = &**loaded;
    if let Some(saved) = saved {
        let commit = state::git::desired_commit(dir);
        plan::saved::check_desired_state(saved, dir, digest, commit.as_deref())?;
    }
    let connected = session::connect(target, options.connection.clone(), true, served).await?;
    if let Some(saved) = saved {
        plan::saved::check_account(saved, connected.account_id(), &connected.environment)?;
    }
    // Held until apply ends; the OS lets go of it if the process dies.
    let lock = Lock::acquire(dir, connected.account_id()).map_err(miette::Report::new)?;
    let read = session::read(dir, &connected, Some(desired)).await?;
    // Always planned here, with apply's own `--allow`: the rules that never bend and the
    // guards are checked on the steps that will run. A saved plan only has to match it.
    let plan = match plan_here(target, &read, &options.allow, saved, &connected)? {
        Ok(plan) => plan,
        Err(refusal) => {
            return Ok(Prepared::Settled(Settled {
                exit: Exit::Refused,
                said: Said {
                    out: String::new(),
                    err: format!("{refusal:?}\n"),
                },
                summary: "refused by a rule; nothing was applied".to_owned(),
            }));
        }
    };
    if !plan.refusals().is_empty() {
        return Ok(Prepared::Settled(Settled {
            exit: Exit::Refused,
            said: Said {
                out: render::text(&plan, false),
                err: "error: the plan is past a guard's limit; nothing was applied\n".to_owned(),
            },
            summary: "refused by a guard; nothing was applied".to_owned(),
        }));
    }
    if !plan.is_empty() {
        return Ok(Prepared::Ready(Box::new(Ready {
            connected,
            read,
            plan,
            _lock: lock,
        })));
    }
    let mut said = Said::default();
    // A first apply on an account that already matches still records it.
    if read.recorded.is_none() {
        let recorded = record::record(
            dir,
            &connected.state_path,
            &first_state(&connected),
            desired,
            &plan,
            &read.live.account,
            !options.no_commit,
        )?;
        said.out
            .push_str("No changes: the account matches the YAML.\n");
        say(&mut said, dir, &connected, &recorded);
    } else {
        said.out
            .push_str("No changes: the account matches the YAML.\n");
    }
    Ok(Prepared::Settled(Settled {
        exit: Exit::Success,
        said,
        summary: "no changes".to_owned(),
    }))
}

impl Ready {
    /// Before asking, and before the first write: a plan that can't finish this hour would
    /// leave the account half changed until the reset.
    fn check_budget(&self) -> Result<(), miette::Report> {
        let client = &self.connected.connection.client;
        // Reading the account back afterwards costs about what reading it cost just now.
        let needed = self.plan.api_calls + self.read.live.calls;
        apply::budget::check(needed, client.hourly_room()).map_err(miette::Report::new)
    }

    /// Executes the plan, records what DocuSign then holds (and commits it), and says the
    /// outcome.
    async fn run(
        self,
        target: &super::Target,
        options: &Options,
        progress: Arc<Bars>,
    ) -> Result<Settled, miette::Report> {
        let Self {
            connected,
            read,
            plan,
            _lock,
        } = self;
        let (dir, desired) = (&target.dir, &target.loaded.desired);
        let (recorded, live) = (read.recorded.as_ref(), &read.live.account);
        let client = &connected.connection.client;
        let state_path = connected.state_path.clone();
        // One base for every checkpoint and the end: a first apply starts its lineage once, so
        // its checkpoints and its final state are one history.
        let base = recorded.cloned().unwrap_or_else(|| first_state(&connected));
        let mut checkpoint = |account: &crate::model::Account| {
            // Progress that survives an interruption: written, not committed.
            let next = record::next_state(&base, desired, &plan, account);
            if let Err(err) = state::file::write(dir, &state_path, &next) {
                progress.println(&format!("warning: {err}"));
            }
        };
        let outcome = apply::execute(&plan, live, client, &progress, &mut checkpoint).await;
        progress.clear();
        // DocuSign has been changed: record it (and commit) before saying anything.
        let recorded = record::record(
            dir,
            &connected.state_path,
            &base,
            desired,
            &plan,
            &outcome.account,
            !options.no_commit,
        );
        let mut said = Said::default();
        said_outcome(&mut said, &plan, &outcome);
        say(&mut said, dir, &connected, &recorded?);
        let steps = plan.steps.len();
        if outcome.is_complete() {
            return Ok(Settled {
                exit: Exit::Success,
                said,
                summary: format!("applied: {} done", crate::words::counted(steps, "change")),
            });
        }
        if let Some(room) = client.hourly_room().filter(|room| room.ours() == 0) {
            let _ = writeln!(
                said.err,
                "error: {}",
                apply::budget::ran_out(outcome.done(), steps, room)
            );
        }
        Ok(Settled {
            exit: Exit::Error,
            said,
            summary: format!(
                "partly applied: {} of {steps} changes done, {} failed, {} skipped",
                outcome.done(),
                outcome.failed(),
                outcome.skipped()
            ),
        })
    }
}

/// Apply runs what a commit holds: YAML changed, staged, new, deleted or ignored since HEAD
/// is refused, before any call, naming the files.
fn refuse_uncommitted(dir: &Path) -> Result<(), miette::Report> {
    let dirty = state::git::uncommitted_yaml(dir).map_err(miette::Report::new)?;
    if dirty.is_empty() {
        return Ok(());
    }
    // The paths come from the repository's (canonical) working tree.
    let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let names: Vec<String> = dirty
        .iter()
        .map(|path| format!("`{}`", path.strip_prefix(&base).unwrap_or(path).display()))
        .collect();
    Err(CliError::Uncommitted {
        files: names.join(", "),
    }
    .into())
}

/// Plans on the account as just read; a saved plan must match what this gives. The inner
/// error is a rule's refusal (exit 3).
fn plan_here(
    target: &super::Target,
    read: &session::Read,
    allow: &[Option<AllowClass>],
    saved: Option<&Plan>,
    connected: &Connected,
) -> Result<Result<Plan, miette::Report>, miette::Report> {
    let plan = match session::plan(target, connected, read, allow) {
        Ok(plan) => plan,
        Err(breach) if breach.is_refusal() => return Ok(Err(miette::Report::new(breach))),
        Err(breach) => return Err(miette::Report::new(breach)),
    };
    if let Some(saved) = saved {
        let now = read
            .recorded
            .as_ref()
            .map(|state| (state.lineage.as_str(), state.serial));
        plan::saved::check_recorded_state(saved, now, &connected.state_path)?;
        plan::saved::check_same_plan(saved, &plan)?;
    }
    Ok(Ok(plan))
}

/// Asks on a terminal; refuses anywhere else.
fn confirmed(plan: &Plan, connected: &Connected) -> Result<bool, CliError> {
    let ask = || {
        out!(
            "\nApply these {} changes to account {}? Only `yes` is accepted: ",
            plan.steps.len(),
            connected.account_id()
        );
    };
    prompt::agreed(ask, CliError::ApplyUnconfirmed)
}

/// The state before the account's first apply.
fn first_state(connected: &Connected) -> RecordedState {
    RecordedState::first(connected.account_id(), &connected.environment)
}

/// Says where the state was recorded; said once nothing is left to record.
fn say(said: &mut Said, dir: &Path, connected: &Connected, recorded: &Recorded) {
    let _ = writeln!(
        said.out,
        "Recorded state: {} (serial {})",
        connected.state_path.display(),
        recorded.serial
    );
    match &recorded.commit {
        Commit::Made(commit) => {
            let _ = writeln!(said.out, "Committed {}", record::short(commit));
        }
        Commit::NotAsked => {}
        Commit::NoRepository => {
            let _ = writeln!(
                said.err,
                "warning: `{}` is not in a git repository; the state file was written, not committed",
                dir.display()
            );
        }
    }
}

/// Says what failed or was skipped, the notes, and the count of calls.
fn said_outcome(said: &mut Said, plan: &Plan, outcome: &Outcome) {
    let out = &mut said.out;
    for entry in &outcome.entries {
        let operation = &plan.steps[entry.step - 1].operation;
        match &entry.status {
            Status::Done => {}
            Status::Failed { code, message } => {
                let code = if code.is_empty() { "-" } else { code };
                // DocuSign's words, which a hostile server controls.
                let _ = writeln!(
                    out,
                    "failed  [{}] {}: {}: {}",
                    entry.step,
                    plan::kind(operation),
                    visible(code),
                    visible(message)
                );
            }
            Status::Skipped { because_of_step } => {
                let _ = writeln!(
                    out,
                    "skipped [{}] {}: step {because_of_step} did not succeed",
                    entry.step,
                    plan::kind(operation)
                );
            }
        }
    }
    for note in &outcome.notes {
        // DocuSign's IDs and names, which a hostile server controls.
        let _ = writeln!(out, "note    {}", visible(note));
    }
    let read_back = if outcome.read_back {
        format!(
            "{} to read the account back and set right what DocuSign didn't do",
            outcome.verification_calls
        )
    } else {
        "the account could not be read back, so nothing is confirmed".to_owned()
    };
    let calls = crate::words::counted(outcome.calls, "API call");
    let _ = writeln!(
        out,
        "Apply: {} done, {} failed, {} skipped, in {calls}: {} for the plan (planned {}), {read_back}.",
        outcome.done(),
        outcome.failed(),
        outcome.skipped(),
        outcome.calls.saturating_sub(outcome.verification_calls),
        plan.api_calls
    );
}
