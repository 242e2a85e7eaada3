//! `docusign-gitops apply`: plans now and executes that plan, once it is the reviewed one
//! (`--plan`) or the operator agreed to it; records what DocuSign then holds in the state file,
//! and commits it.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Exit;
use super::args::ApplyArgs;
use super::error::CliError;
use super::prompt;
use super::session::{self, Connected};
use crate::apply::record::{self, Commit, Recorded};
use crate::apply::{self, Outcome, Progress, Status};
use crate::desired::Desired;
use crate::model::Account;
use crate::model::controls::visible;
use crate::plan::{self, Phase, Plan, render, saved};
use crate::state::{self, Lock, RecordedState};

pub fn run(args: ApplyArgs) -> Exit {
    let Some(target) = super::load_target(&args.target) else {
        return Exit::Error;
    };
    super::run_to_exit(apply(args, &target))
}

async fn apply(args: ApplyArgs, target: &super::Target) -> Result<Exit, miette::Report> {
    let super::Target {
        dir,
        tree,
        loaded: super::Loaded { desired, digest },
        ..
    } = target;
    let dir = dir.clone();
    let ApplyArgs {
        target: _,
        plan: plan_file,
        auto_approve,
        no_commit,
        allow_uncommitted,
        allowance,
        connection,
    } = args;
    if !allow_uncommitted && !connection.emulator {
        // The whole tree: in a workspace, the shared definitions are this account's YAML too.
        refuse_uncommitted(tree)?;
    }
    // Read and checked against the files before connecting, so a bad or foreign plan costs
    // no API call.
    let saved = plan_file.as_deref().map(read_plan).transpose()?;
    if let Some(saved) = &saved {
        let commit = state::git::desired_commit(&dir);
        saved::check_desired_state(saved, &dir, digest, commit.as_deref())?;
    }
    let connected = session::connect(target, connection, true, None).await?;
    if let Some(saved) = &saved {
        saved::check_account(saved, connected.account_id(), &connected.environment)?;
    }
    // Held until apply ends; the OS lets go of it if the process dies.
    let _lock = Lock::acquire(&dir, connected.account_id()).map_err(miette::Report::new)?;
    let read = session::read(&dir, &connected, Some(desired)).await?;
    let recorded = read.recorded.as_ref();
    let live = &read.live.account;
    // Always planned here, with apply's own `--allow`: the rules that never bend and the
    // guards are checked on the steps that will run. A saved plan only has to match it.
    let context = session::context(&dir, digest, &connected, &read, &allowance.allow);
    let Some(plan) = plan_here(desired, &read, &context, saved.as_ref(), &connected)? else {
        return Ok(Exit::Refused);
    };
    if !plan.refusals().is_empty() {
        out!("{}", render::text(&plan, false));
        errln!("error: the plan is past a guard's limit; nothing was applied");
        return Ok(Exit::Refused);
    }
    if plan.is_empty() {
        // A first apply on an account that already matches still records it.
        let recorded = match recorded {
            None => Some(record::record(
                &dir,
                &connected.state_path,
                &first_state(&connected),
                desired,
                &plan,
                live,
                !no_commit,
            )?),
            Some(_) => None,
        };
        outln!("No changes: the account matches the YAML.");
        if let Some(recorded) = &recorded {
            say(&dir, &connected, recorded);
        }
        return Ok(Exit::Success);
    }
    if plan_file.is_none() {
        let colour = super::plan::colour(
            super::args::Format::Text,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        );
        out!("{}", render::text(&plan, colour));
    }
    // Before asking, and before the first write: a plan that can't finish this hour would
    // leave the account half changed until the reset.
    let client = &connected.connection.client;
    // Reading the account back afterwards costs about what reading it cost just now.
    let needed = plan.api_calls + read.live.calls;
    apply::budget::check(needed, client.hourly_room()).map_err(miette::Report::new)?;
    if plan_file.is_none() && !auto_approve && !confirmed(&plan, &connected)? {
        errln!("Nothing was applied.");
        return Ok(Exit::Error);
    }
    run_and_record(&dir, &connected, desired, &read, &plan, no_commit).await
}

/// Executes `plan`, records what DocuSign then holds (and commits it) before printing the
/// outcome, and answers the exit code.
async fn run_and_record(
    dir: &Path,
    connected: &Connected,
    desired: &Desired,
    read: &session::Read,
    plan: &Plan,
    no_commit: bool,
) -> Result<Exit, miette::Report> {
    let (recorded, live) = (read.recorded.as_ref(), &read.live.account);
    let client = &connected.connection.client;
    let progress = Bars::new(plan.steps.len());
    let state_path = connected.state_path.clone();
    // One base for every checkpoint and the end: a first apply starts its lineage once, so
    // its checkpoints and its final state are one history.
    let base = recorded.cloned().unwrap_or_else(|| first_state(connected));
    let mut checkpoint = |account: &Account| {
        // Progress that survives an interruption: written, not committed.
        let next = record::next_state(&base, desired, plan, account);
        if let Err(err) = state::file::write(dir, &state_path, &next) {
            progress.println(&format!("warning: {err}"));
        }
    };
    let outcome = apply::execute(plan, live, client, &progress, &mut checkpoint).await;
    progress.clear();
    // DocuSign has been changed: record it (and commit) before printing anything.
    let recorded = record::record(
        dir,
        &connected.state_path,
        &base,
        desired,
        plan,
        &outcome.account,
        !no_commit,
    );
    print_outcome(plan, &outcome);
    say(dir, connected, &recorded?);
    if outcome.is_complete() {
        return Ok(Exit::Success);
    }
    if let Some(room) = client.hourly_room().filter(|room| room.ours() == 0) {
        errln!(
            "error: {}",
            apply::budget::ran_out(outcome.done(), plan.steps.len(), room)
        );
    }
    Ok(Exit::Error)
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

/// Plans on the account as just read; a saved plan must match what this gives. `None` when a
/// rule refuses the plan (said on stderr, exit 3).
fn plan_here(
    desired: &Desired,
    read: &session::Read,
    context: &plan::Context,
    saved: Option<&Plan>,
    connected: &Connected,
) -> Result<Option<Plan>, miette::Report> {
    let recorded = read.recorded.as_ref();
    let plan = match plan::plan(
        desired,
        &read.live.account,
        session::recorded_objects(recorded),
        context,
    ) {
        Ok(plan) => plan,
        Err(breach) if breach.is_refusal() => {
            errln!("{:?}", miette::Report::new(breach));
            return Ok(None);
        }
        Err(breach) => return Err(miette::Report::new(breach)),
    };
    if let Some(saved) = saved {
        let now = recorded.map(|state| (state.lineage.as_str(), state.serial));
        saved::check_recorded_state(saved, now, &connected.state_path)?;
        saved::check_same_plan(saved, &plan)?;
    }
    Ok(Some(plan))
}

/// A saved plan larger than this is refused unread. Far above any real plan (a plan that
/// changes 100,000 users is tens of MB), it keeps a hostile file from filling memory.
const MAX_PLAN_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a saved plan: a regular file, of this format version. Its content never reaches an
/// error message (the path may lead to any file), and it is trusted for nothing: apply
/// checks it against the plan it makes itself.
fn read_plan(path: &Path) -> Result<Plan, CliError> {
    // The version first, on its own: a plan of another format is refused as such, not for
    // the fields it lacks.
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let bytes = read_plan_bytes(path)?;
    let Version { format_version } =
        serde_json::from_slice(&bytes).map_err(|err| not_a_plan(path, &err))?;
    if format_version != plan::FORMAT_VERSION {
        return Err(CliError::PlanFormat {
            path: path.to_path_buf(),
            found: format_version,
            supported: plan::FORMAT_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map_err(|err| not_a_plan(path, &err))
}

fn read_plan_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    let cant_read = |err: std::io::Error| CliError::PlanUnreadable {
        path: path.to_path_buf(),
        reason: err.to_string(),
    };
    // Judged before opening, so a FIFO or a device never blocks or streams forever.
    let metadata = std::fs::metadata(path).map_err(cant_read)?;
    if !metadata.is_file() {
        return Err(CliError::PlanNotAFile {
            path: path.to_path_buf(),
        });
    }
    let too_big = || CliError::PlanTooLarge {
        path: path.to_path_buf(),
        megabytes: MAX_PLAN_BYTES / (1024 * 1024),
    };
    if metadata.len() > MAX_PLAN_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PLAN_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cant_read)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Says where the file stops being a plan, never what it holds: serde quotes the values it
/// rejects, and the path may lead to a file of secrets.
fn not_a_plan(path: &Path, err: &serde_json::Error) -> CliError {
    let what = match err.classify() {
        serde_json::error::Category::Io => "it can't be read",
        serde_json::error::Category::Syntax => "it is not JSON",
        serde_json::error::Category::Eof => "it ends too early",
        serde_json::error::Category::Data => {
            "a field is missing, unknown, or not of the plan's shape"
        }
    };
    CliError::NotAPlan {
        path: path.to_path_buf(),
        what,
        line: err.line(),
        column: err.column(),
    }
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

/// Says where the state was recorded; printed once nothing is left to record.
fn say(dir: &Path, connected: &Connected, recorded: &Recorded) {
    outln!(
        "Recorded state: {} (serial {})",
        connected.state_path.display(),
        recorded.serial
    );
    match &recorded.commit {
        Commit::Made(commit) => outln!("Committed {}", record::short(commit)),
        Commit::NotAsked => {}
        Commit::NoRepository => errln!(
            "warning: `{}` is not in a git repository; the state file was written, not committed",
            dir.display()
        ),
    }
}

fn print_outcome(plan: &Plan, outcome: &Outcome) {
    for entry in &outcome.entries {
        let operation = &plan.steps[entry.step - 1].operation;
        match &entry.status {
            Status::Done => {}
            Status::Failed { code, message } => {
                let code = if code.is_empty() { "-" } else { code };
                // DocuSign's words, which a hostile server controls.
                outln!(
                    "failed  [{}] {}: {}: {}",
                    entry.step,
                    plan::kind(operation),
                    visible(code),
                    visible(message)
                );
            }
            Status::Skipped { because_of_step } => outln!(
                "skipped [{}] {}: step {because_of_step} did not succeed",
                entry.step,
                plan::kind(operation)
            ),
        }
    }
    for note in &outcome.notes {
        // DocuSign's IDs and names, which a hostile server controls.
        outln!("note    {}", visible(note));
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
    outln!(
        "Apply: {} done, {} failed, {} skipped, in {calls}: {} for the plan (planned {}), {read_back}.",
        outcome.done(),
        outcome.failed(),
        outcome.skipped(),
        outcome.calls.saturating_sub(outcome.verification_calls),
        plan.api_calls
    );
}

/// One bar per phase on a terminal; a line per phase elsewhere (CI logs).
struct Bars {
    multi: MultiProgress,
    current: std::sync::Mutex<Option<(Phase, ProgressBar)>>,
    terminal: bool,
    _total: usize,
}

impl Bars {
    fn new(total: usize) -> Arc<Self> {
        let terminal = std::io::stderr().is_terminal();
        let target = if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Arc::new(Self {
            multi: MultiProgress::with_draw_target(target),
            current: std::sync::Mutex::new(None),
            terminal,
            _total: total,
        })
    }

    fn println(&self, line: &str) {
        let _ = self.multi.println(line);
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Arc<Bars> {
    fn phase_started(&self, phase: Phase, steps: usize) {
        let bar = self.multi.add(ProgressBar::new(steps as u64));
        if let Ok(style) = ProgressStyle::with_template("{msg:32} {bar:30} {pos}/{len}") {
            bar.set_style(style);
        }
        bar.set_message(phase.title());
        if let Ok(mut current) = self.current.lock() {
            *current = Some((phase, bar));
        }
    }

    fn advanced(&self, steps: usize) {
        if let Ok(current) = self.current.lock()
            && let Some((_, bar)) = current.as_ref()
        {
            bar.inc(steps as u64);
        }
    }

    fn phase_finished(&self, phase: Phase) {
        if let Ok(mut current) = self.current.lock()
            && let Some((_, bar)) = current.take()
        {
            bar.finish();
            if !self.terminal {
                errln!(
                    "{}: {} of {} steps settled",
                    phase.title(),
                    bar.position(),
                    bar.length().unwrap_or(0)
                );
            }
        }
    }
}
