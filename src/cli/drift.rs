//! `docusign-gitops drift`: what changed in DocuSign outside git since the last apply, and what
//! the YAML asks that no apply has done yet. Exit 0 for none, 2 for drift, 1 for errors; on a
//! whole workspace, every account side by side, and the worst of them.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

use super::Exit;
use super::args::{ConnectionArgs, DriftArgs, Format};
use super::connection::Served;
use super::error::CliError;
use super::session;
use crate::desired::workspace::Workspace;
use crate::drift::{self, Report, render};
use crate::markdown::{self, COMMENT_BUDGET};

pub fn run(args: DriftArgs) -> Exit {
    match super::whole_workspace(&args.target) {
        Ok(Some(workspace)) => every_account(&workspace, args),
        Ok(None) => one_account(args),
        Err(exit) => exit,
    }
}

/// The drift of one account: a directory, or the account `--account` names.
fn one_account(args: DriftArgs) -> Exit {
    let DriftArgs {
        target,
        format,
        out,
        connection,
    } = args;
    let Some(target) = super::load_target(&target) else {
        return Exit::Error;
    };
    let report = match super::block_on(detected(&target, connection, None)) {
        Some(Ok(report)) => report,
        Some(Err(report)) => return super::report_error(report),
        None => return Exit::Error,
    };
    if !saved(out.as_deref(), &render::json(&report)) {
        return Exit::Error;
    }
    let shown = match format {
        Format::Json => render::json(&report),
        Format::Markdown => render::markdown(&report),
        Format::Text => render::text(&report),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    exit_of(&report)
}

/// Reads `target`'s account (on `served`, a whole-workspace run's emulator) and its recorded
/// state, and finds the drift.
async fn detected(
    target: &super::Target,
    connection: ConnectionArgs,
    served: Option<Arc<Served>>,
) -> Result<Report, miette::Report> {
    let (connected, read) = session::connect_and_read(target, connection, served).await?;
    let Some(recorded) = read.recorded else {
        return Err(CliError::NoRecordedState {
            account: connected.account_id().to_owned(),
            path: connected.state_path.clone(),
        }
        .into());
    };
    let today = jiff::Zoned::now().date();
    Ok(drift::detect(
        &target.loaded.desired,
        &read.live.account,
        &recorded,
        connected.integration_user(&read.live.account).as_deref(),
        today,
    ))
}

/// Writes `json` to `out` when given; false (said why) when it can't.
fn saved(out: Option<&std::path::Path>, json: &str) -> bool {
    let Some(path) = out else {
        return true;
    };
    match std::fs::write(path, json) {
        Ok(()) => true,
        Err(err) => {
            errln!(
                "error: can't write the report to `{}`: {err}",
                path.display()
            );
            false
        }
    }
}

/// 2 when drift was found, else 0.
fn exit_of(report: &Report) -> Exit {
    if report.drift_found() {
        Exit::Changes
    } else {
        Exit::Success
    }
}

/// The drift of every account of a workspace, read side by side; an account that fails (its
/// YAML, its connection, no recorded state yet) fails alone, and the exit code is the worst.
fn every_account(workspace: &Workspace, args: DriftArgs) -> Exit {
    let DriftArgs {
        format,
        out,
        connection,
        ..
    } = args;
    if let Err(err) = super::refuse_one_account_settings(&connection) {
        return super::report_error(err);
    }
    let targets = super::every_target(workspace);
    let found = super::block_on(async {
        let served = super::emulated_workspace(&targets, &connection, false).await?;
        let found = super::side_by_side(&targets, |target| {
            let (connection, served) = (connection.clone(), served.clone());
            async move { detected(&target, connection, served).await }
        })
        .await;
        Ok::<_, CliError>(found)
    });
    let found = match found {
        Some(Ok(found)) => found,
        Some(Err(err)) => return super::report_error(err),
        None => return Exit::Error,
    };
    let accounts: Vec<(String, Result<Report, String>, Exit)> = targets
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
        .collect();
    if !saved(out.as_deref(), &workspace_json(&accounts)) {
        return Exit::Error;
    }
    let shown = match format {
        Format::Json => workspace_json(&accounts),
        Format::Markdown => workspace_markdown(&accounts),
        Format::Text => workspace_text(&accounts),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    accounts
        .iter()
        .map(|(_, _, exit)| *exit)
        .max_by_key(|exit| exit.severity())
        .unwrap_or(Exit::Success)
}

type AccountReport = (String, Result<Report, String>, Exit);

/// Each account's report under its name; a failed one says why.
fn workspace_text(accounts: &[AccountReport]) -> String {
    let mut text = String::new();
    for (name, report, _) in accounts {
        let _ = writeln!(text, "=== account `{name}` ===\n");
        match report {
            Ok(report) => text.push_str(&render::text(report)),
            Err(why) => {
                let _ = writeln!(text, "no report: {why}");
            }
        }
        text.push('\n');
    }
    text
}

/// An array of `{account, report}` (or `{account, error}`).
fn workspace_json(accounts: &[AccountReport]) -> String {
    let entries: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(name, report, _)| match report {
            Ok(report) => serde_json::json!({ "account": name, "report": report }),
            Err(why) => serde_json::json!({ "account": name, "error": why }),
        })
        .collect();
    crate::plan::render::pretty_json(&entries)
}

/// One issue or comment: a table of every account first, then each account's report within
/// its share of the budget.
fn workspace_markdown(accounts: &[AccountReport]) -> String {
    let mut head = String::from("### docusign-gitops drift for the workspace\n\n");
    head.push_str("| account | status |\n| --- | --- |\n");
    for (name, report, _) in accounts {
        let status = match report {
            Ok(report) if report.drift_found() => "drift found",
            Ok(_) => "no drift",
            Err(_) => "failed: see the job's log",
        };
        let _ = writeln!(head, "| {} | {status} |", markdown::code(name));
    }
    head.push('\n');
    let share = COMMENT_BUDGET.saturating_sub(head.len()) / accounts.len().max(1);
    let mut comment = head;
    for (_, report, _) in accounts {
        if let Ok(report) = report {
            comment.push_str(&markdown::within(
                render::markdown(report),
                share.saturating_sub(2),
            ));
            comment.push_str("\n\n");
        }
    }
    markdown::within(comment, COMMENT_BUDGET)
}
