//! A read-only command (drift, seats) on every account of a workspace: each account read side by
//! side, one failing alone, their reports shown under their names, and the worst exit code.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;

use super::args::ConnectionArgs;
use super::connection::Served;
use super::error::CliError;
use super::{Exit, Target};
use crate::desired::workspace::Workspace;

/// One account's name, its report (or why it has none), and its exit code.
pub type Outcome<R> = (String, Result<R, String>, Exit);

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
    let found = super::block_on(async {
        let served = super::emulated_workspace(&targets, connection, false).await?;
        let found = super::side_by_side(&targets, |target| {
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
    Ok(targets
        .iter()
        .zip(found)
        .map(|((name, target), result)| match result {
            Some(Ok(report)) => {
                let exit = exit_of(&report);
                (name.clone(), Ok(report), exit)
            }
            Some(Err(report)) => {
                errln!("account `{name}`:\n{report:?}");
                (name.clone(), Err(report.to_string()), Exit::Error)
            }
            None if target.is_none() => (
                name.clone(),
                Err("its YAML has errors".to_owned()),
                Exit::Error,
            ),
            // Its task gave nothing: it panicked, a bug.
            None => (
                name.clone(),
                Err("reading this account stopped unexpectedly".to_owned()),
                Exit::Error,
            ),
        })
        .collect())
}

/// The worst exit code of all accounts.
pub fn worst<R>(accounts: &[Outcome<R>]) -> Exit {
    accounts
        .iter()
        .map(|(_, _, exit)| *exit)
        .max_by_key(|exit| exit.severity())
        .unwrap_or(Exit::Success)
}

/// Each account's report under its name; a failed one says why.
pub fn text<R>(accounts: &[Outcome<R>], render: impl Fn(&R) -> String) -> String {
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
