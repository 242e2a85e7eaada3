//! `apply` on a whole workspace: every account is read and planned side by side, each plan is
//! shown under its account's name, one question (or the saved plan) covers them all, and the
//! accounts that are ready run side by side. An account that fails fails alone, unless
//! `--all-or-nothing` says that then none is applied; the exit code is the worst account's, and
//! a summary says what each account did.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::bars::Bars;
use super::{Options, Prepared, Ready, Said, Settled};
use crate::cli::args::ApplyArgs;
use crate::cli::error::CliError;
use crate::cli::saved::{self, Saved};
use crate::cli::{Exit, Target, prompt};
use crate::desired::workspace::Workspace;
use crate::plan::{Plan, render};

/// Where one account stands as the run goes on.
enum Standing {
    /// Its YAML has errors (said when it was loaded).
    Invalid,
    /// It failed before any write: it can't be connected or read, or its saved plan is stale.
    Failed(miette::Report),
    Settled(Settled),
    Ready(Box<Ready>),
}

pub(super) fn run(workspace: &Workspace, args: ApplyArgs) -> Exit {
    let ApplyArgs {
        plan: plan_file,
        auto_approve,
        no_commit,
        allow_uncommitted,
        all_or_nothing,
        allowance,
        connection,
        ..
    } = args;
    if let Err(err) = crate::cli::refuse_one_account_settings(&connection) {
        return crate::cli::report_error(err);
    }
    if !allow_uncommitted
        && !connection.emulator
        && let Err(report) = super::refuse_uncommitted(&workspace.root)
    {
        return crate::cli::report_error(report);
    }
    // Read before connecting, so a bad or foreign file costs no API call.
    let saved = match plan_file.as_deref().map(saved::read_saved).transpose() {
        Ok(Some(Saved::One(_))) => {
            return crate::cli::report_error(CliError::SavedPlanKind {
                path: plan_file.unwrap_or_default(),
                holds: "one account's plan",
                wanted: "a workspace's plan, which `plan WORKSPACE --out PLAN.json` saves",
            });
        }
        Ok(saved) => saved,
        Err(err) => return crate::cli::report_error(err),
    };
    let targets = crate::cli::every_target(workspace);
    let options = Options {
        allow: allowance.allow,
        no_commit,
        connection,
    };
    let reviewed = plan_file.as_ref().zip(saved.as_ref());
    crate::cli::block_on_accounts(
        targets.len(),
        apply_every(targets, options, reviewed, auto_approve, all_or_nothing),
    )
    .unwrap_or(Exit::Error)
}

async fn apply_every(
    targets: Vec<(String, Option<Target>)>,
    options: Options,
    reviewed: Option<(&PathBuf, &Saved)>,
    auto_approve: bool,
    all_or_nothing: bool,
) -> Exit {
    // One emulator serves every account, as DocuSign serves every account of an organization.
    let served = match crate::cli::emulated_workspace(&targets, &options.connection, true).await {
        Ok(served) => served,
        Err(err) => return crate::cli::report_error(err),
    };
    let mut standings = prepare_every(&targets, &options, reviewed, served).await;
    // Each account's plan, or why it has none, under its name.
    for ((name, _), standing) in targets.iter().zip(&mut standings) {
        outln!("=== account `{name}` ===\n");
        match standing {
            Standing::Invalid => outln!("no plan: its YAML has errors\n"),
            Standing::Failed(report) => {
                outln!("no plan: {report}\n");
                errln!("account `{name}`:\n{report:?}");
            }
            Standing::Settled(settled) => {
                settled.said.print();
                outln!();
            }
            Standing::Ready(ready) => {
                if reviewed.is_none() {
                    out!("{}", render::text(&ready.plan, super::colour()));
                }
                if let Err(report) = ready.check_budget() {
                    errln!("account `{name}`:\n{report:?}");
                    *standing = Standing::Failed(report);
                }
                outln!();
            }
        }
    }
    let ready = standings
        .iter()
        .filter(|standing| matches!(standing, Standing::Ready(_)))
        .count();
    let unready = standings.iter().any(|standing| match standing {
        Standing::Invalid | Standing::Failed(_) => true,
        Standing::Settled(settled) => settled.exit != Exit::Success,
        Standing::Ready(_) => false,
    });
    let mut held_back = None;
    if ready > 0 && all_or_nothing && unready {
        held_back = Some("not applied: another account isn't ready (--all-or-nothing)");
    } else if ready > 0 && reviewed.is_none() && !auto_approve {
        let changes: usize = standings
            .iter()
            .map(|standing| match standing {
                Standing::Ready(ready) => ready.plan.steps.len(),
                _ => 0,
            })
            .sum();
        match confirmed(changes, ready) {
            Ok(true) => {}
            Ok(false) => held_back = Some("not applied: not confirmed"),
            Err(err) => {
                crate::cli::report_error(err);
                held_back = Some("not applied: not confirmed");
            }
        }
    }
    let settled = match held_back {
        Some(why) => hold_back(standings, why),
        None => run_every(&targets, &options, standings).await,
    };
    summarise(&targets, &settled)
}

/// Every account read and planned side by side, each against its plan in `reviewed` when a
/// saved plan is applied.
async fn prepare_every(
    targets: &[(String, Option<Target>)],
    options: &Options,
    reviewed: Option<(&PathBuf, &Saved)>,
    served: Option<Arc<crate::cli::connection::Served>>,
) -> Vec<Standing> {
    let mut running = tokio::task::JoinSet::new();
    let mut standings: Vec<Standing> = targets
        .iter()
        .map(|(_, target)| match target {
            None => Standing::Invalid,
            // Until its task answers; one that never does (it panicked: a bug) says so.
            Some(_) => {
                Standing::Failed(miette::miette!("reading this account stopped unexpectedly"))
            }
        })
        .collect();
    for (index, (name, target)) in targets.iter().enumerate() {
        let Some(target) = target.clone() else {
            continue;
        };
        let saved: Option<Plan> = match reviewed.map(|(path, saved)| saved.of_account(path, name)) {
            None => None,
            Some(Ok(plan)) => Some(plan),
            Some(Err(err)) => {
                standings[index] = Standing::Failed(err.into());
                continue;
            }
        };
        let (options, served) = (options.clone(), served.clone());
        running.spawn(async move {
            let prepared = super::prepare(&target, &options, saved.as_ref(), served).await;
            (index, prepared)
        });
    }
    while let Some(joined) = running.join_next().await {
        if let Ok((index, prepared)) = joined {
            standings[index] = match prepared {
                Ok(Prepared::Settled(settled)) => Standing::Settled(settled),
                Ok(Prepared::Ready(ready)) => Standing::Ready(ready),
                Err(report) => Standing::Failed(report),
            };
        }
    }
    standings
}

/// The accounts that are ready, run side by side, each said under its name once all are done.
async fn run_every(
    targets: &[(String, Option<Target>)],
    options: &Options,
    standings: Vec<Standing>,
) -> Vec<Settled> {
    let multi = Bars::drawn();
    let mut running = tokio::task::JoinSet::new();
    let mut settled: Vec<Settled> = standings
        .into_iter()
        .enumerate()
        .map(|(index, standing)| match standing {
            Standing::Ready(ready) => {
                let (name, target) = &targets[index];
                let (target, options) = (target.clone(), options.clone());
                let bars = Bars::within(&multi, format!("account `{name}`: "));
                running.spawn(async move {
                    let Some(target) = target else {
                        return (index, Err(miette::miette!("the account has no target")));
                    };
                    (index, ready.run(&target, &options, bars).await)
                });
                // Until its task answers; one that never does (it panicked: a bug) says so.
                failed(&miette::miette!(
                    "applying this account stopped unexpectedly; run `docusign-gitops drift` on it to see what DocuSign holds"
                ))
            }
            other => settle(other),
        })
        .collect();
    while let Some(joined) = running.join_next().await {
        if let Ok((index, result)) = joined {
            settled[index] = result.unwrap_or_else(|report| failed(&report));
        }
    }
    let _ = multi.clear();
    for ((name, _), settled) in targets.iter().zip(&settled) {
        if !settled.said.out.is_empty() || !settled.said.err.is_empty() {
            outln!("=== account `{name}`: applied ===\n");
            settled.said.print();
            outln!();
        }
    }
    settled
}

/// Every account as it stands when none runs: a ready one is not applied, for `why`.
fn hold_back(standings: Vec<Standing>, why: &str) -> Vec<Settled> {
    standings
        .into_iter()
        .map(|standing| match standing {
            Standing::Ready(_) => Settled {
                exit: Exit::Error,
                said: Said::default(),
                summary: why.to_owned(),
            },
            other => settle(other),
        })
        .collect()
}

/// An account that won't run, as it ended. What it said was said already.
fn settle(standing: Standing) -> Settled {
    match standing {
        Standing::Invalid => Settled {
            exit: Exit::Error,
            said: Said::default(),
            summary: "not applied: its YAML has errors".to_owned(),
        },
        Standing::Failed(report) => failed(&report),
        Standing::Settled(settled) => Settled {
            said: Said::default(),
            ..settled
        },
        Standing::Ready(_) => failed(&miette::miette!("it was never run")),
    }
}

/// An account that failed before or during its run, said on stderr under its name already.
fn failed(report: &miette::Report) -> Settled {
    let exit = if report
        .downcast_ref::<crate::plan::RuleBreach>()
        .is_some_and(crate::plan::RuleBreach::is_refusal)
    {
        Exit::Refused
    } else {
        Exit::Error
    };
    Settled {
        exit,
        said: Said::default(),
        summary: format!("failed: {report}"),
    }
}

/// Says which account did what, and answers the worst exit code.
fn summarise(targets: &[(String, Option<Target>)], settled: &[Settled]) -> Exit {
    let width = targets
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0);
    let mut summary = String::from("Workspace:\n");
    for ((name, _), settled) in targets.iter().zip(settled) {
        let _ = writeln!(summary, "  {name:width$}  {}", settled.summary);
    }
    out!("{summary}");
    Exit::worst(settled.iter().map(|settled| settled.exit))
}

/// One question for every account that is ready; refused off a terminal.
fn confirmed(changes: usize, accounts: usize) -> Result<bool, CliError> {
    let ask = || {
        out!(
            "\nApply these {} to {}? Only `yes` is accepted: ",
            crate::words::counted(changes, "change"),
            crate::words::counted(accounts, "account")
        );
    };
    prompt::agreed(ask, CliError::ApplyUnconfirmed)
}
