//! `docusign-gitops plan`: reads the YAML and the live account and shows the ordered changes.

use std::ffi::OsStr;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use std::fmt::Write as _;

use super::Exit;
use super::args::{AllowClass, ConnectionArgs, Format, PlanArgs};
use super::connection::Served;
use super::session;
use crate::desired::workspace::Workspace;
use crate::markdown::{self, COMMENT_BUDGET};
use crate::plan::{self, Plan, render};

pub fn run(args: PlanArgs) -> Exit {
    match super::whole_workspace(&args.target) {
        Ok(Some(workspace)) => every_account(&workspace, args),
        Ok(None) => one_account(args),
        Err(exit) => exit,
    }
}

/// The plan of one desired state: a directory, or the account `--account` names.
fn one_account(args: PlanArgs) -> Exit {
    let PlanArgs {
        target,
        out,
        format,
        detailed_exitcode,
        allowance,
        connection,
    } = args;
    let Some(target) = super::load_target(&target) else {
        return Exit::Error;
    };
    let plan = match super::block_on(planned(&target, connection, &allowance.allow, None)) {
        Some(Ok(plan)) => plan,
        Some(Err(report)) => return reported(report),
        None => return Exit::Error,
    };
    // An account of a workspace saves a workspace's plan of one account: it names the
    // account, so the plans of a CI matrix's jobs can be shown as one (`show`).
    let saved = || match &target.account {
        None => render::json(&plan),
        Some(name) => workspace_json(&[AccountPlan {
            name: name.clone(),
            plan: Ok(plan.clone()),
            exit: Exit::Success,
        }]),
    };
    let shown = save_and_show(
        out.as_deref(),
        saved,
        format,
        |format, colour| match format {
            Format::Json => render::json(&plan),
            Format::Markdown => render::markdown(&plan),
            Format::Text => render::text(&plan, colour),
        },
    );
    if let Err(exit) = shown {
        return exit;
    }
    exit_of(&plan, detailed_exitcode)
}

/// Writes what `saved` makes to `out` first (made only then), then shows on stdout what
/// `render` makes of `format` (with colour, for the text format on a terminal). A plan that
/// can't be written is said on stderr and shows nothing: the exit code to end with.
fn save_and_show(
    out: Option<&Path>,
    saved: impl FnOnce() -> String,
    format: Format,
    render: impl FnOnce(Format, bool) -> String,
) -> Result<(), Exit> {
    if let Some(path) = out
        && let Err(err) = std::fs::write(path, saved())
    {
        errln!("error: can't write the plan to `{}`: {err}", path.display());
        return Err(Exit::Error);
    }
    let mut stdout = std::io::stdout().lock();
    let shown = render(format, text_colour(format, &stdout));
    let _ = stdout.write_all(shown.as_bytes());
    Ok(())
}

/// Reads the account of `target` (on `served` when a whole-workspace run started the
/// emulator) and plans it.
async fn planned(
    target: &super::Target,
    connection: ConnectionArgs,
    allow: &[Option<AllowClass>],
    served: Option<Arc<Served>>,
) -> Result<Plan, miette::Report> {
    let (connected, read) = session::connect_and_read(target, connection, served).await?;
    session::plan(target, &connected, &read, allow).map_err(miette::Report::new)
}

/// Says why no plan was made: 3 when a rule refused it, else 1.
fn reported(report: miette::Report) -> Exit {
    let refused = report
        .downcast_ref::<plan::RuleBreach>()
        .is_some_and(plan::RuleBreach::is_refusal);
    let exit = super::report_error(report);
    if refused { Exit::Refused } else { exit }
}

/// 3 when a guard refused the plan; with `--detailed-exitcode`, 2 when it has changes.
fn exit_of(plan: &Plan, detailed_exitcode: bool) -> Exit {
    if !plan.refusals().is_empty() {
        Exit::Refused
    } else if detailed_exitcode && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    }
}

fn text_colour(format: Format, stdout: &std::io::StdoutLock<'_>) -> bool {
    colour(
        format,
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// One account's outcome in a workspace's plan.
pub(super) struct AccountPlan {
    pub name: String,
    /// The plan, or why there is none (said on stderr already).
    pub plan: Result<Plan, String>,
    pub exit: Exit,
}

/// The plan of every account of a workspace, the accounts read and planned side by side; an
/// account that fails (its YAML, its connection, a rule) fails alone, and the exit code is the
/// worst of them.
fn every_account(workspace: &Workspace, args: PlanArgs) -> Exit {
    let (format, connection, allow) = (args.format, args.connection, args.allowance.allow);
    if let Err(err) = super::refuse_one_account_settings(&connection) {
        return super::report_error(err);
    }
    // Every account's YAML first, its problems said under its name; then the accounts are
    // read and planned side by side: each has its own DocuSign budget, so the wall time is the
    // slowest account's, not the sum.
    let targets = super::every_target(workspace);
    let has_target: Vec<bool> = targets.iter().map(|(_, target)| target.is_some()).collect();
    // Every account with a target fails for `why` (said on stderr already).
    let all_failed = |why: &str| -> Vec<Option<Result<Plan, miette::Report>>> {
        has_target
            .iter()
            .map(|has| has.then(|| Err(miette::miette!("{why}"))))
            .collect()
    };
    let results = super::block_on_accounts(targets.len(), async {
        // One emulator serves every account, as DocuSign serves every account of an
        // organization: started once, before the accounts are read.
        let served = match super::emulated_workspace(&targets, &connection, false).await {
            Ok(served) => served,
            Err(report) => {
                super::report_error(report);
                return all_failed("the emulator did not start");
            }
        };
        super::side_by_side(targets, |target| {
            let (connection, allow, served) = (connection.clone(), allow.clone(), served.clone());
            async move { planned(&target, connection, &allow, served).await }
        })
        .await
    })
    .unwrap_or_else(|| all_failed("the async runtime did not start"));
    let accounts: Vec<AccountPlan> = workspace
        .accounts
        .iter()
        .zip(results)
        .map(|(entry, result)| {
            let name = entry.name.value.trim().to_owned();
            let (plan, exit) = match result {
                None => (Err("its YAML has errors".to_owned()), Exit::Error),
                Some(Ok(plan)) => {
                    let exit = exit_of(&plan, args.detailed_exitcode);
                    (Ok(plan), exit)
                }
                Some(Err(report)) => {
                    errln!("account `{name}`:");
                    let said = report.to_string();
                    (Err(said), reported(report))
                }
            };
            AccountPlan { name, plan, exit }
        })
        .collect();
    // Every account's plan, for `apply WORKSPACE --plan`.
    let shown = save_and_show(
        args.out.as_deref(),
        || workspace_json(&accounts),
        format,
        |format, colour| match format {
            Format::Json => workspace_json(&accounts),
            Format::Markdown => workspace_markdown(&accounts),
            Format::Text => workspace_text(&accounts, colour),
        },
    );
    if let Err(exit) = shown {
        return exit;
    }
    Exit::worst(accounts.iter().map(|account| account.exit))
}

/// Each account's plan under its name; a failed one says why.
pub(super) fn workspace_text(accounts: &[AccountPlan], colour: bool) -> String {
    let mut text = String::new();
    for account in accounts {
        let _ = writeln!(text, "=== account `{}` ===\n", account.name);
        match &account.plan {
            Ok(plan) => text.push_str(&render::text(plan, colour)),
            Err(why) => {
                let _ = writeln!(text, "no plan: {why}");
            }
        }
        text.push('\n');
    }
    text
}

/// An array of `{account, plan}` (or `{account, error}`), each plan with its own fingerprint.
pub(super) fn workspace_json(accounts: &[AccountPlan]) -> String {
    let entries: Vec<serde_json::Value> = accounts
        .iter()
        .map(|account| match &account.plan {
            Ok(plan) => serde_json::json!({ "account": account.name, "plan": plan }),
            Err(why) => serde_json::json!({ "account": account.name, "error": why }),
        })
        .collect();
    render::pretty_json(&entries)
}

/// One comment: a table of every account first, then each account's plan within its share of
/// the comment's budget.
pub(super) fn workspace_markdown(accounts: &[AccountPlan]) -> String {
    let mut head = String::from("### docusign-gitops plan for the workspace\n\n");
    head.push_str("| account | changes | status |\n| --- | ---: | --- |\n");
    for account in accounts {
        let (changes, status) = match &account.plan {
            Ok(plan) if !plan.refusals().is_empty() => {
                (plan.steps.len().to_string(), "refused by a guard")
            }
            Ok(plan) if plan.is_empty() => ("0".to_owned(), "no changes"),
            Ok(plan) => (plan.steps.len().to_string(), "planned"),
            Err(_) => ("–".to_owned(), "failed: see the job's log"),
        };
        let _ = writeln!(
            head,
            "| {} | {changes} | {status} |",
            markdown::code(&account.name)
        );
    }
    head.push('\n');
    let share = COMMENT_BUDGET.saturating_sub(head.len()) / accounts.len().max(1);
    let mut comment = head;
    for account in accounts {
        if let Ok(plan) = &account.plan {
            comment.push_str(&render::markdown_within(plan, share.saturating_sub(2)));
            comment.push_str("\n\n");
        }
    }
    markdown::within(comment, COMMENT_BUDGET)
}

/// Colour only for the text format on a terminal, and not when `NO_COLOR` is set to something:
/// no-color.org says a present, non-empty value disables colour, so an empty one does not.
/// Markdown and JSON are read by programs (GitHub, `jq`) and never carry escape codes.
pub(super) fn colour(format: Format, stdout_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    format == Format::Text && stdout_is_terminal && no_color.is_none_or(OsStr::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_text_on_a_terminal_without_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(colour(Format::Text, true, None));
        assert!(
            colour(Format::Text, true, empty),
            "an empty NO_COLOR is ignored"
        );
        assert!(!colour(Format::Text, true, set));
        assert!(!colour(Format::Text, false, None), "piped");
        assert!(!colour(Format::Markdown, true, None));
        assert!(!colour(Format::Json, true, None));
    }
}
