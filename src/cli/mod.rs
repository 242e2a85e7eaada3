//! The command line: clap definitions, dispatch, and exit codes. Nothing else.

#[macro_use]
mod out;

mod apply;
mod args;
mod auth;
mod completions;
mod connection;
mod drift;
mod emulator;
mod error;
mod every;
mod import;
mod plan;
mod probe;
mod prompt;
mod reclaim;
mod render;
mod saved;
mod seats;
mod session;
mod show;
mod sync;

use crate::words::counted;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};
use args::{SchemaArgs, TargetArgs, ValidateArgs};
use render::Renderer;

use crate::desired::workspace::Workspace;
use crate::desired::{self, Level};
use error::CliError;

/// How a run ended; the only place exit codes are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done (and, with `--detailed-exitcode` or for `drift`, nothing to change).
    Success,
    /// 1: an error; nothing was applied.
    Error,
    /// 2: changes present, or drift found.
    Changes,
    /// 3: refused by a guard.
    Refused,
}

impl Exit {
    /// How bad an ending is, for the worst of several (a workspace's accounts): an error, then
    /// a refusal, then changes, then success.
    fn severity(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Changes => 1,
            Self::Refused => 2,
            Self::Error => 3,
        }
    }

    /// The worst of `exits` (see [`Self::severity`]); success when there are none.
    fn worst(exits: impl IntoIterator<Item = Self>) -> Self {
        exits
            .into_iter()
            .max_by_key(|exit| exit.severity())
            .unwrap_or(Self::Success)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Error => 1,
            Exit::Changes => 2,
            Exit::Refused => 3,
        })
    }
}

/// Parses the command line and runs the command.
#[must_use]
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli).into(),
        Err(err) => {
            // Help and version are answers; any other parse failure is a usage error, exit 1:
            // clap's own 2 would read as "changes present" or "drift found" in CI.
            let _ = err.print();
            if err.use_stderr() {
                Exit::Error.into()
            } else {
                Exit::Success.into()
            }
        }
    }
}

fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Validate(args) => validate(args),
        Command::Schema(args) => schema(args),
        Command::Sync(args) => sync::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Show(args) => show::run(args),
        Command::Drift(args) => drift::run(args),
        Command::Seats(args) => seats::run(args),
        Command::Reclaim(args) => reclaim::run(args),
        Command::Import(args) => import::run(args),
        Command::Auth(args) => auth::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man => completions::man(),
    }
}

/// The checked desired state, and the digest of the files it was read from.
struct Loaded {
    desired: desired::Desired,
    digest: String,
}

/// What a command on one account works on: the account's folder, where its recorded state,
/// lock and emulator live; the tree its desired state is read from (the folder itself, or a
/// workspace's root, whose uncommitted files apply refuses); and that desired state.
#[derive(Clone)]
struct Target {
    dir: PathBuf,
    tree: PathBuf,
    /// Shared by the copies of a target (apply's phases hold one each): a whole account's
    /// desired state is not worth copying.
    loaded: std::sync::Arc<Loaded>,
    /// Where `--emulator` serves its account from.
    emulated: session::Emulated,
    /// What its credential variables start with: a workspace account's own (`EMEA_`), or ""
    /// for the shared `DOCUSIGN_…`.
    credentials_prefix: String,
    /// Its name in its workspace (as `workspace.yaml` writes it); `None` for a folder of one
    /// account.
    account: Option<String>,
}

/// The workspace `target` names when the run is on all of it (no `--account`); `Ok(None)` for
/// a folder of one account or one account of a workspace; its problems said (exit 1) when
/// `workspace.yaml` can't be used.
fn whole_workspace(target: &TargetArgs) -> Result<Option<Workspace>, Exit> {
    let workspace = found_workspace(&target.dir)?;
    Ok(workspace.filter(|_| target.account.is_none()))
}

/// The workspace at `dir`, `None` for a folder of one account; its problems said (exit 1) when
/// `workspace.yaml` can't be used.
fn found_workspace(dir: &std::path::Path) -> Result<Option<Workspace>, Exit> {
    Workspace::find(dir).map_err(|problems| {
        report_problems(&problems);
        Exit::Error
    })
}

/// The workspace at `dir`, `None` for a folder of one account; its problems said (exit 1) when
/// `workspace.yaml` can't be used, or when `account` (`--account NAME`) is given for a folder
/// that is no workspace.
fn workspace_at(dir: &std::path::Path, account: Option<&str>) -> Result<Option<Workspace>, Exit> {
    let workspace = found_workspace(dir)?;
    if let (None, Some(account)) = (&workspace, account) {
        return Err(report_error(CliError::NotAWorkspace {
            dir: dir.to_path_buf(),
            account: account.to_owned(),
        }));
    }
    Ok(workspace)
}

/// The accounts of `workspace` a run works on: the one `named` (`--account NAME`), else all
/// of them; said (exit 1) when `named` is no account of it.
fn accounts_named<'w>(
    workspace: &'w Workspace,
    named: Option<&str>,
) -> Result<Vec<&'w desired::workspace::AccountEntry>, Exit> {
    match named {
        None => Ok(workspace.accounts.iter().collect()),
        Some(name) => match workspace.account(name) {
            Some(entry) => Ok(vec![entry]),
            None => Err(report_error(CliError::unknown_account(name, workspace))),
        },
    }
}

/// Loads the desired state `target` names, printing its problems; `None` when it has errors,
/// or names a workspace without `--account`, or one account's folder of a workspace (which
/// alone lacks the shared definitions).
fn load_target(target: &TargetArgs) -> Option<Target> {
    let TargetArgs { dir, account } = target;
    let Some(workspace) = workspace_at(dir, account.as_deref()).ok()? else {
        return Some(Target {
            dir: dir.clone(),
            tree: dir.clone(),
            loaded: std::sync::Arc::new(load(dir)?),
            emulated: session::Emulated::alone(dir),
            credentials_prefix: String::new(),
            account: None,
        });
    };
    let Some(name) = account else {
        report_error(CliError::WholeWorkspace {
            dir: dir.clone(),
            known: known_accounts(&workspace),
        });
        return None;
    };
    let Some(entry) = workspace.account(name) else {
        report_error(CliError::unknown_account(name, &workspace));
        return None;
    };
    account_target(&workspace, entry)
}

/// The target of one account of a workspace, its problems said (under its name when there are
/// any); `None` when its YAML has errors.
fn account_target(
    workspace: &Workspace,
    entry: &desired::workspace::AccountEntry,
) -> Option<Target> {
    let (said, loaded) = checked_account(entry, workspace.load(entry));
    errout!("{said}");
    target_from(workspace, entry, loaded)
}

/// One account of a workspace, checked (`outcome`): what to say of it on stderr, its problems
/// under its name when there are any, and its desired state, `None` when its YAML has errors.
/// Nothing is said yet: the accounts are checked side by side, and said one after another.
fn checked_account(
    entry: &desired::workspace::AccountEntry,
    outcome: desired::Outcome,
) -> (String, Option<Loaded>) {
    let mut said = String::new();
    if !outcome.problems.is_empty() {
        said = format!("account `{}`:\n", entry.name.value.trim());
    }
    let loaded = loaded_said(outcome, &mut said);
    (said, loaded)
}

/// The target of one account of a workspace whose desired state is `loaded`.
fn target_from(
    workspace: &Workspace,
    entry: &desired::workspace::AccountEntry,
    loaded: Option<Loaded>,
) -> Option<Target> {
    Some(Target {
        dir: workspace.dir_of(entry),
        tree: workspace.root.clone(),
        loaded: std::sync::Arc::new(loaded?),
        emulated: emulated_in(workspace, entry),
        credentials_prefix: entry.credentials_prefix(),
        account: Some(entry.name.value.trim().to_owned()),
    })
}

/// Every account of a workspace by name, with its target; `None` for one whose YAML has errors
/// (said under its name). Every account is loaded, whatever the others give: side by side, the
/// shared definitions read once, and each account's problems rendered on its own thread; then
/// they are said in the order `workspace.yaml` names the accounts.
fn every_target(workspace: &Workspace) -> Vec<(String, Option<Target>)> {
    workspace
        .accounts
        .iter()
        .zip(workspace.load_every(checked_account))
        .map(|(entry, (said, loaded))| {
            errout!("{said}");
            (
                entry.name.value.trim().to_owned(),
                target_from(workspace, entry, loaded),
            )
        })
        .collect()
}

/// Runs `work` on every account of a workspace that has a target, side by side (a task each:
/// each account has its own DocuSign budget, so their waiting overlaps), and answers each
/// account's result in the order of `targets`: `None` for one without a target (its YAML has
/// errors), an error for one whose task gave nothing (it panicked: a bug). Each target moves
/// into its task: its desired state is neither copied first nor freed last on this thread.
async fn side_by_side<T, Work>(
    targets: Vec<(String, Option<Target>)>,
    work: impl Fn(Target) -> Work,
) -> Vec<Option<Result<T, miette::Report>>>
where
    T: Send + 'static,
    Work: std::future::Future<Output = Result<T, miette::Report>> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    let mut results: Vec<Option<Result<T, miette::Report>>> = targets
        .iter()
        .map(|(_, target)| {
            target.as_ref().map(|_| {
                Err(miette::miette!(
                    "the work on this account stopped unexpectedly"
                ))
            })
        })
        .collect();
    for (index, (_, target)) in targets.into_iter().enumerate() {
        if let Some(target) = target {
            let done = work(target);
            running.spawn(async move { (index, done.await) });
        }
    }
    while let Some(joined) = running.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
}

/// With `--emulator`, the workspace's emulator, started once for every account of a
/// whole-workspace run (every account's target names the same one); `writes` as for
/// [`session::Emulated::start`].
async fn emulated_workspace(
    targets: &[(String, Option<Target>)],
    connection: &args::ConnectionArgs,
    writes: bool,
) -> Result<Option<std::sync::Arc<connection::Served>>, CliError> {
    let first = targets.iter().find_map(|(_, target)| target.as_ref());
    match first {
        Some(target) if connection.emulator => Ok(Some(target.emulated.start(writes).await?)),
        _ => Ok(None),
    }
}

/// A whole-workspace run connects each account as its YAML says: a flag or variable that names
/// one account (its ID, or its API host) would send every account's changes to it.
fn refuse_one_account_settings(connection: &args::ConnectionArgs) -> Result<(), CliError> {
    let named = if connection.account_id.is_some() {
        Some("--account-id (DOCUSIGN_ACCOUNT_ID)")
    } else if connection.base_url.is_some() {
        Some("--base-url (DOCUSIGN_BASE_URL)")
    } else {
        None
    };
    match named {
        Some(setting) if !connection.emulator => {
            Err(CliError::WorkspaceOneAccountSetting { setting })
        }
        _ => Ok(()),
    }
}

/// A workspace's emulator: one server at its root with an account for each of its accounts,
/// so `--account` runs and whole-workspace runs see the same accounts.
fn emulated_in(
    workspace: &Workspace,
    entry: &desired::workspace::AccountEntry,
) -> session::Emulated {
    let accounts = workspace
        .accounts
        .iter()
        .map(|account| crate::emulator::SampleAccount::named(account.name.value.trim()))
        .collect();
    let index = workspace
        .accounts
        .iter()
        .position(|account| std::ptr::eq(account, entry))
        .unwrap_or(0);
    session::Emulated {
        home: workspace.root.clone(),
        workspace: Some((accounts, index)),
    }
}

/// The checked desired state under `dir`, printing its problems; `None` when it has errors.
/// One account's folder of a workspace is refused: alone it lacks the shared definitions.
fn load(dir: &std::path::Path) -> Option<Loaded> {
    if let Some(refusal) = desired::workspace::single_account_refusal(dir) {
        report_problems(&[refusal]);
        return None;
    }
    loaded_from(desired::load(dir))
}

/// The desired state of `outcome`, its problems printed; `None` when it has errors.
fn loaded_from(outcome: desired::Outcome) -> Option<Loaded> {
    let mut said = String::new();
    let loaded = loaded_said(outcome, &mut said);
    errout!("{said}");
    loaded
}

/// How many warnings of one kind (one code) a command that goes on to use the YAML shows in
/// full; the rest are counted in one line. `validate` shows every one.
const WARNINGS_SHOWN_OF_A_KIND: usize = 3;

/// The desired state of `outcome`, its problems rendered onto `said` for stderr (every error;
/// of each kind of warning the first [`WARNINGS_SHOWN_OF_A_KIND`], then how many more, as
/// Terraform folds its warnings: a plan in CI is read for its changes, and a shared definition
/// that every account repeats would otherwise bury them); `None` when it has errors.
fn loaded_said(outcome: desired::Outcome, said: &mut String) -> Option<Loaded> {
    let renderer = Renderer::for_stderr();
    // Each kind of warning, in the order it first appears, and how many there are of it.
    let mut warnings: Vec<(&'static str, usize)> = Vec::new();
    for problem in &outcome.problems {
        if problem.level() == Level::Warning {
            let code = problem.code();
            let kind = warnings
                .iter()
                .position(|(kind, _)| *kind == code)
                .unwrap_or_else(|| {
                    warnings.push((code, 0));
                    warnings.len() - 1
                });
            warnings[kind].1 += 1;
            if warnings[kind].1 > WARNINGS_SHOWN_OF_A_KIND {
                continue;
            }
        }
        said.push_str(&renderer.render(problem));
    }
    for (code, seen) in warnings {
        if seen > WARNINGS_SHOWN_OF_A_KIND {
            let _ = writeln!(
                said,
                "warning: {} of this kind ({code}) not shown; `docusign-gitops validate` shows every one",
                counted(seen - WARNINGS_SHOWN_OF_A_KIND, "more warning")
            );
        }
    }
    if outcome.desired.is_none() {
        let errors = count(&outcome.problems, Level::Error);
        let _ = writeln!(
            said,
            "{} in the YAML; run `docusign-gitops validate` to see them, and fix them first",
            counted(errors.max(1), "error")
        );
    }
    // `load` gives a digest whenever it read the files, which it did to check them.
    let desired = outcome.desired?;
    let digest = outcome.digest?;
    Some(Loaded { desired, digest })
}

/// Prints the schema, or writes it to the file `--out` names.
fn schema(args: SchemaArgs) -> Exit {
    let SchemaArgs { out } = args;
    let text = desired::schema::json();
    let Some(path) = out else {
        print_stdout(&text);
        return Exit::Success;
    };
    let written = match path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        Some(folder) => std::fs::create_dir_all(folder),
        None => Ok(()),
    }
    .and_then(|()| std::fs::write(&path, text));
    match written {
        Ok(()) => {
            print_stdout(&format!("wrote {}\n", path.display()));
            Exit::Success
        }
        Err(err) => {
            errln!(
                "error: can't write the schema to `{}`: {err}",
                path.display()
            );
            Exit::Error
        }
    }
}

fn validate(args: ValidateArgs) -> Exit {
    let ValidateArgs {
        target: TargetArgs { dir, account },
    } = args;
    let workspace = match Workspace::find(&dir) {
        Ok(workspace) => workspace,
        Err(problems) => {
            report_problems(&problems);
            return Exit::Error;
        }
    };
    let Some(workspace) = workspace else {
        if let Some(name) = account {
            return report_error(CliError::NotAWorkspace { dir, account: name });
        }
        return if said_valid(&desired::load(&dir), "") {
            Exit::Success
        } else {
            Exit::Error
        };
    };
    let (accounts, outcomes): (Vec<_>, Vec<_>) = match &account {
        // Every account is checked, whatever the others give: one run shows every problem.
        None => (
            workspace.accounts.iter().collect(),
            workspace.load_every(|_, outcome| outcome),
        ),
        Some(name) => match workspace.account(name) {
            Some(found) => (vec![found], vec![workspace.load(found)]),
            None => return report_error(CliError::unknown_account(name, &workspace)),
        },
    };
    let mut exit = Exit::Success;
    for (entry, outcome) in accounts.into_iter().zip(&outcomes) {
        let label = format!(
            "account `{}` ({}): ",
            entry.name.value.trim(),
            entry.dir.value.trim()
        );
        if !said_valid(outcome, &label) {
            exit = Exit::Error;
        }
    }
    exit
}

/// Prints `problems` to stderr, rendered with their file and line.
fn report_problems(problems: &[desired::Problem]) {
    let renderer = Renderer::for_stderr();
    let mut stderr = std::io::stderr().lock();
    for problem in problems {
        // A closed stderr is not worth failing over; the exit code still tells.
        let _ = stderr.write_all(renderer.render(problem).as_bytes());
    }
}

/// Says what `validate` found in one desired state (`label` before its summary: the account of
/// a workspace); true when it is valid.
fn said_valid(outcome: &desired::Outcome, label: &str) -> bool {
    if !label.is_empty() && !outcome.problems.is_empty() {
        errln!("{}", label.trim_end_matches([' ', ':']));
    }
    report_problems(&outcome.problems);
    let errors = count(&outcome.problems, Level::Error);
    let warnings = count(&outcome.problems, Level::Warning);
    let Some(state) = &outcome.desired else {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "{label}{} found; fix {} and run `docusign-gitops validate` again",
            counted(errors.max(1), "error"),
            if errors > 1 { "them" } else { "it" },
        );
        if !outcome.references_checked && outcome.files > 0 {
            let _ = writeln!(
                stderr,
                "note: a file could not be read or parsed, so references to groups and profiles were not checked yet"
            );
        }
        return false;
    };
    let accounts = &state.state;
    let mut summary = format!(
        "{label}valid: {}, {}, {}, {} in {}",
        counted(accounts.permission_profiles.len(), "permission profile"),
        counted(accounts.groups.len(), "group"),
        counted(accounts.signing_groups.len(), "signing group"),
        counted(accounts.users.len(), "user"),
        counted(outcome.files, "file"),
    );
    if warnings > 0 {
        summary = format!("{summary} ({})", counted(warnings, "warning"));
    }
    summary.push('\n');
    print_stdout(&summary);
    true
}

fn count(problems: &[desired::Problem], level: Level) -> usize {
    problems
        .iter()
        .filter(|problem| problem.level() == level)
        .count()
}

/// Runs `work` on the async runtime the network commands run on; `None` (said why) when the
/// runtime can't start.
fn block_on<F: std::future::Future>(work: F) -> Option<F::Output> {
    started(tokio::runtime::Runtime::new()).map(|runtime| runtime.block_on(work))
}

/// Runs `work`, which works on `accounts` accounts side by side, as [`block_on`] does, on a
/// runtime with a worker for each account (and no fewer than the machine's cores). Decoding an
/// account's pages and planning it are long stretches of CPU that never yield: with fewer
/// workers than accounts, one account's would wait for another's to end, where a thread each
/// lets the system share the cores among them (BENCHMARKS.md, "Several accounts").
fn block_on_accounts<F: std::future::Future>(accounts: usize, work: F) -> Option<F::Output> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(accounts.max(cores))
        .enable_all()
        .build();
    started(runtime).map(|runtime| runtime.block_on(work))
}

/// The runtime, or `None` with why it could not start said.
fn started(runtime: std::io::Result<tokio::runtime::Runtime>) -> Option<tokio::runtime::Runtime> {
    runtime
        .map_err(|err| errln!("error: can't start the async runtime: {err}"))
        .ok()
}

/// Runs a command's `work` (see [`block_on`]) to its exit code; an error is reported, exit 1.
fn run_to_exit(work: impl std::future::Future<Output = Result<Exit, miette::Report>>) -> Exit {
    match block_on(work) {
        Some(Ok(exit)) => exit,
        Some(Err(report)) => report_error(report),
        None => Exit::Error,
    }
}

/// Prints an error report (miette's, no colour off a terminal) and ends with exit 1.
fn report_error(report: impl Into<miette::Report>) -> Exit {
    let report = report.into();
    let _ = writeln!(std::io::stderr().lock(), "{report:?}");
    Exit::Error
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) {
    out!("{text}");
}

/// The accounts of a workspace, each in backticks, for an error's help.
fn known_accounts(workspace: &Workspace) -> String {
    let names: Vec<String> = workspace
        .accounts
        .iter()
        .map(|entry| format!("`{}`", entry.name.value.trim()))
        .collect();
    names.join(", ")
}
