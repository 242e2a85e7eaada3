//! `docusign-gitops show`: saved plans shown again. One is shown as `plan` showed it; several
//! (each CI matrix job's plan of one account) as one plan of a workspace, the way `plan` shows
//! a whole workspace. Only the files are read.

use std::io::Write as _;

use super::Exit;
use super::args::{Format, ShowArgs};
use super::error::CliError;
use super::plan::{self, AccountPlan};
use super::saved::{self, Saved};
use crate::model::controls::visible;
use crate::plan::render;

pub fn run(args: ShowArgs) -> Exit {
    let ShowArgs { plans, format } = args;
    let mut accounts: Vec<AccountPlan> = Vec::new();
    for path in &plans {
        let file = match saved::read_saved(path) {
            Ok(file) => file,
            Err(err) => return super::report_error(err),
        };
        match file {
            // One account's plan alone: shown as `plan` showed it.
            Saved::One(plan) if plans.len() == 1 => {
                let shown = match format {
                    Format::Json => render::json(&plan),
                    Format::Markdown => render::markdown(&plan),
                    Format::Text => render::text(&plan, false),
                };
                let _ = std::io::stdout().lock().write_all(shown.as_bytes());
                return Exit::Success;
            }
            // Among others, it is called by its account's ID, all it says of itself.
            Saved::One(plan) => accounts.push(AccountPlan {
                name: plan.origin.account_id.clone(),
                plan: Ok(*plan),
                exit: Exit::Success,
            }),
            Saved::Accounts(entries) => {
                accounts.extend(entries.into_iter().map(|(name, plan)| AccountPlan {
                    // Written by whoever wrote the file: shown, never obeyed.
                    name: visible(&name).into_owned(),
                    plan: plan.map_err(|why| visible(&why).into_owned()),
                    exit: Exit::Success,
                }));
            }
        }
    }
    let mut names = std::collections::HashSet::new();
    if let Some(twice) = accounts
        .iter()
        .find(|account| !names.insert(account.name.to_lowercase()))
    {
        return super::report_error(CliError::ShowSameAccount {
            account: twice.name.clone(),
        });
    }
    let shown = match format {
        Format::Json => plan::workspace_json(&accounts),
        Format::Markdown => plan::workspace_markdown(&accounts),
        Format::Text => plan::workspace_text(&accounts, false),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    Exit::Success
}
