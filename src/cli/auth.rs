//! `docusign-gitops auth check`: connects the way plan and apply will, and says who you are,
//! which account, how much API budget is left, and whether you can administer the account.

use std::io::Write as _;

use super::Exit;
use super::args::{AuthArgs, AuthCheckArgs, AuthCommand, ConnectionArgs};
use super::connection::{self, Target};
use super::error::CliError;
use crate::docusign::connect::{self, Connection, standing};
use crate::model::controls::visible;

pub fn run(args: AuthArgs) -> Exit {
    let AuthArgs { command } = args;
    match command {
        AuthCommand::Check(args) => check(args),
    }
}

/// The account the YAML in `dir` names, if it names one. YAML that doesn't load is said, not
/// fatal: checking the credentials needs no YAML.
fn account_hint(dir: &std::path::Path) -> Option<connection::AccountHint> {
    hint_from(dir, &crate::desired::load(dir))
}

/// The account `outcome` (the YAML read from `dir`) names, if it names one; YAML with errors
/// is said and names none.
fn hint_from(
    dir: &std::path::Path,
    outcome: &crate::desired::Outcome,
) -> Option<connection::AccountHint> {
    if outcome.files == 0 {
        return None;
    }
    if outcome.desired.is_none() {
        errln!(
            "warning: the YAML in `{}` has errors (run `docusign-gitops validate`), so its account is not used; checking the account the environment names",
            dir.display()
        );
    }
    outcome.desired.as_ref().and_then(super::session::hint_of)
}

fn check(args: AuthCheckArgs) -> Exit {
    let AuthCheckArgs {
        dir,
        account,
        connection,
    } = args;
    let workspace = match super::workspace_at(&dir, account.as_deref()) {
        Ok(workspace) => workspace,
        Err(exit) => return exit,
    };
    let Some(workspace) = workspace else {
        let hint = account_hint(&dir);
        return super::run_to_exit(check_one(connection, hint, "", None));
    };
    if account.is_none()
        && let Err(err) = super::refuse_one_account_settings(&connection)
    {
        return super::report_error(err);
    }
    let entries = match super::accounts_named(&workspace, account.as_deref()) {
        Ok(entries) => entries,
        Err(exit) => return exit,
    };
    let emulated = connection.emulator.then(|| super::session::Emulated {
        home: workspace.root.clone(),
        workspace: Some((
            workspace
                .accounts
                .iter()
                .map(|entry| crate::emulator::SampleAccount::named(entry.name.value.trim()))
                .collect(),
            0,
        )),
    });
    let checked = super::block_on(async {
        // With `--emulator`, the workspace's emulator, which serves every account.
        let served = match &emulated {
            Some(emulated) => Some(emulated.start(false).await?),
            None => None,
        };
        // One after the other, so each account's lines stay together; every account is
        // checked, whatever the others give, and the exit code is the worst.
        let mut worst = Exit::Success;
        for entry in entries {
            outln!("=== account `{}` ===", entry.name.value.trim());
            let hint = hint_from(&workspace.dir_of(entry), &workspace.load(entry));
            let prefix = entry.credentials_prefix();
            let index = workspace
                .accounts
                .iter()
                .position(|account| std::ptr::eq(account, entry))
                .unwrap_or(0);
            let on_emulator = served
                .as_ref()
                .map(|served| served.account(index))
                .transpose()?;
            let exit = match check_one(connection.clone(), hint, &prefix, on_emulator).await {
                Ok(exit) => exit,
                Err(report) => super::report_error(report),
            };
            outln!();
            worst = Exit::worst([worst, exit]);
        }
        Ok::<_, CliError>(worst)
    });
    match checked {
        Some(Ok(worst)) => worst,
        Some(Err(err)) => super::report_error(err),
        None => Exit::Error,
    }
}

/// Checks the credentials `prefix` starts (see [`connection::resolve`]) on the account `hint`
/// names (else the one the environment names, else the user's default).
async fn check_one(
    connection: ConnectionArgs,
    hint: Option<connection::AccountHint>,
    prefix: &str,
    on_emulator: Option<connection::ServedAccount>,
) -> Result<Exit, miette::Report> {
    let Target {
        settings,
        _emulator,
    } = connection::resolve(connection, hint, on_emulator, prefix).await?;
    let connection = connect::connect(settings).await?;
    let standing = standing(&connection).await?;
    print_check(&connection, &standing);
    if standing.is_admin {
        return Ok(Exit::Success);
    }
    errln!(
        "error: `{}` can't administer the account (profile `{}`); give the integration user the Account Administrator profile",
        visible(&standing.email),
        visible(&standing.permission_profile)
    );
    Ok(Exit::Error)
}

fn print_check(connection: &Connection, standing: &connect::Standing) {
    let account = &connection.account;
    let budget = connection.client.budget();
    // The JWT grant with DOCUSIGN_BASE_URL names only the user's ID: the rest is the account's.
    let or_account = |given: &str, held: &str| {
        if given.is_empty() {
            held.to_owned()
        } else {
            given.to_owned()
        }
    };
    let mut out = std::io::stdout().lock();
    if let Some(warning) = &connection.warning {
        // It names accounts as DocuSign holds them.
        errln!("warning: {}", crate::model::controls::visible(warning));
    }
    // Names as DocuSign holds them, typed by anyone: shown with control characters visible.
    let _ = writeln!(
        out,
        "user:       {} <{}> ({})",
        visible(&or_account(&account.user_name, &standing.user_name)),
        visible(&or_account(&account.user_email, &standing.email)),
        visible(&account.user_id)
    );
    let _ = writeln!(
        out,
        "account:    {} ({})",
        visible(&account.account_name),
        visible(&account.account_id)
    );
    let _ = writeln!(out, "base URI:   {}", visible(&account.base_uri));
    let number =
        |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |value| value.to_string());
    let _ = writeln!(
        out,
        "API budget: {} of {} calls left this hour (resets in {} s); burst {} of {} per 30 s",
        number(budget.hourly_remaining),
        number(budget.hourly_limit),
        budget.seconds_to_reset(),
        number(budget.burst_remaining),
        number(budget.burst_limit),
    );
    let _ = writeln!(
        out,
        "admin:      {} (profile `{}`)",
        if standing.is_admin { "yes" } else { "no" },
        visible(&standing.permission_profile)
    );
}
