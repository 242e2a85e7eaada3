//! A command that reads accounts and reports (drift, seats): on one account, its report; on a
//! whole workspace, every account read side by side, one failing alone, their reports under
//! their names, and the worst exit code. Either way the JSON can also be saved (`--out`).

use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;

use super::args::{ConnectionArgs, Format, ReportArgs};
use super::connection::Served;
use super::error::CliError;
use super::{Exit, Target};
use crate::desired::workspace::Workspace;

/// One account's name, its report (or why it has none), and its exit code.
pub type Outcome<R> = (String, Result<R, String>, Exit);

/// How a report is shown, and its exit code.
pub struct Forms<R> {
    pub json: fn(&R) -> String,
    pub markdown: fn(&R) -> String,
    pub text: fn(&R) -> String,
    /// A whole workspace's reports as one markdown comment.
    pub workspace_markdown: fn(&[Outcome<R>]) -> String,
    pub exit: fn(&R) -> Exit,
}

/// Runs `work` on the account or the workspace `args` names, and shows what it reports.
pub fn run<R, Work, Fut>(args: ReportArgs, work: Work, forms: &Forms<R>) -> Exit
where
    Work: Fn(Target, ConnectionArgs, Option<Arc<Served>>) -> Fut,
    Fut: Future<Output = Result<R, miette::Report>> + Send + 'static,
    R: serde::Serialize + Send + 'static,
{
    let ReportArgs {
        target,
        format,
        out,
        connection,
    } = args;
    let (json, shown, exit) = match super::whole_workspace(&target) {
        Ok(Some(workspace)) => {
            let accounts = match read(&workspace, &connection, work, forms.exit) {
                Ok(accounts) => accounts,
                Err(exit) => return exit,
            };
            let shown = match format {
                Format::Json => json(&accounts),
                Format::Markdown => (forms.workspace_markdown)(&accounts),
                Format::Text => text(&accounts, forms.text),
            };
            (json(&accounts), shown, worst(&accounts))
        }
        Ok(None) => {
            let Some(target) = super::load_target(&target) else {
                return Exit::Error;
            };
            let report = match super::block_on(work(target, connection, None)) {
                Some(Ok(report)) => report,
                Some(Err(report)) => return super::report_error(report),
                None => return Exit::Error,
            };
            let shown = match format {
                Format::Json => (forms.json)(&report),
                Format::Markdown => (forms.markdown)(&report),
                Format::Text => (forms.text)(&report),
            };
            ((forms.json)(&report), shown, (forms.exit)(&report))
        }
        Err(exit) => return exit,
    };
    if let Some(path) = &out
        && let Err(err) = std::fs::write(path, json)
    {
        errln!(
            "error: can't write the report to `{}`: {err}",
            path.display()
        );
        return Exit::Error;
    }
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    exit
}

/// Runs `work` on every account of `workspace` side by side (on one emulator with
/// `--emulator`); `exit_of` says what a report's exit code is. `Err` when the run as a whole
/// can't start (an account-specific setting, the emulator), said already.
pub fn read<R, Work, Fut>(
    workspace: &Workspace,
    connection: &ConnectionArgs,
    work: Work,
    exit_of: impl Fn(&R) -> Exit,
) -> Result<Vec<Outcome<R>>, Exit>
where
    Work: Fn(Target, ConnectionArgs, Option<Arc<Served>>) -> Fut,
    Fut: Future<Output = Result<R, miette::Report>> + Send + 'static,
    R: Send + 'static,
{
    if let Err(err) = super::refuse_one_account_settings(connection) {
        return Err(super::report_error(err));
    }
    let targets = super::every_target(workspace);
    let names: Vec<String> = targets.iter().map(|(name, _)| name.clone()).collect();
    let found = super::block_on_accounts(targets.len(), async {
        let served = super::emulated_workspace(&targets, connection, false).await?;
        let found = super::side_by_side(targets, |target| {
            work(target, connection.clone(), served.clone())
        })
        .await;
        Ok::<_, CliError>(found)
    });
    let found = match found {
        Some(Ok(found)) => found,
        Some(Err(err)) => return Err(super::report_error(err)),
        None => return Err(Exit::Error),
    };
    // `side_by_side` answers `None` only for an account without a target; a task that gave
    // nothing (a panic, a bug) is an error of its own.
    Ok(names
        .into_iter()
        .zip(found)
        .map(|(name, result)| match result {
            Some(Ok(report)) => {
                let exit = exit_of(&report);
                (name, Ok(report), exit)
            }
            Some(Err(report)) => {
                errln!("account `{name}`:\n{report:?}");
                (name, Err(report.to_string()), Exit::Error)
            }
            None => (name, Err("its YAML has errors".to_owned()), Exit::Error),
        })
        .collect())
}

/// The worst exit code of all accounts.
pub fn worst<R>(accounts: &[Outcome<R>]) -> Exit {
    Exit::worst(accounts.iter().map(|(_, _, exit)| *exit))
}

/// Each account's report under its name; a failed one says why.
pub fn text<R>(accounts: &[Outcome<R>], render: fn(&R) -> String) -> String {
    let mut text = String::new();
    for (name, report, _) in accounts {
        let _ = writeln!(text, "=== account `{name}` ===\n");
        match report {
            Ok(report) => text.push_str(&render(report)),
            Err(why) => {
                let _ = writeln!(text, "no report: {why}");
            }
        }
        text.push('\n');
    }
    text
}

/// Each account's markdown report under a heading of its name; a failed one says why.
pub fn markdown_sections<R>(accounts: &[Outcome<R>], render: fn(&R) -> String) -> String {
    let mut text = String::new();
    for (name, report, _) in accounts {
        let _ = writeln!(text, "# Account {}\n", crate::markdown::code(name));
        match report {
            Ok(report) => text.push_str(&render(report)),
            Err(why) => {
                let _ = writeln!(text, "No report: {}", crate::markdown::text(why));
            }
        }
        text.push('\n');
    }
    text
}

/// An array of `{account, report}` (or `{account, error}`).
pub fn json<R: serde::Serialize>(accounts: &[Outcome<R>]) -> String {
    let entries: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(name, report, _)| match report {
            Ok(report) => serde_json::json!({ "account": name, "report": report }),
            Err(why) => serde_json::json!({ "account": name, "error": why }),
        })
        .collect();
    crate::plan::render::pretty_json(&entries)
}
