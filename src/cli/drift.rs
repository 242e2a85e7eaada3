//! `docusign-gitops drift`: what changed in DocuSign outside git since the last apply, and what
//! the YAML asks that no apply has done yet. Exit 0 for none, 2 for drift, 1 for errors; on a
//! whole workspace, every account side by side, and the worst of them.

use std::fmt::Write as _;
use std::sync::Arc;

use super::Exit;
use super::args::{ConnectionArgs, DriftArgs};
use super::connection::Served;
use super::error::CliError;
use super::{every, session};
use crate::drift::{self, Report, render};
use crate::markdown::{self, COMMENT_BUDGET};

pub fn run(args: DriftArgs) -> Exit {
    every::run(
        args.report,
        |target, connection, served| async move { detected(&target, connection, served).await },
        &every::Forms {
            json: render::json,
            markdown: render::markdown,
            text: render::text,
            workspace_markdown,
            exit: exit_of,
        },
    )
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

/// 2 when drift was found, else 0.
fn exit_of(report: &Report) -> Exit {
    if report.drift_found() {
        Exit::Changes
    } else {
        Exit::Success
    }
}

type AccountReport = every::Outcome<Report>;

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
