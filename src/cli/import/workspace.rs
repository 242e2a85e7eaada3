//! `import --out WS --account NAME=ACCOUNT_ID …`: several accounts into one workspace, what
//! they hold alike written once in `shared/` (see [`crate::import::import_workspace`]).

use std::fmt::Write as _;
use std::path::Path;

use super::super::args::ConnectionArgs;
use super::super::error::CliError;
use super::super::session::{self, Connected, Emulated};
use super::{record, source_of, write_inside};
use crate::cli::Exit;
use crate::desired::workspace::WORKSPACE_FILE;
use crate::emulator::SampleAccount;
use crate::import;
use crate::words::counted;

/// One account to import: its name (and folder), and its API account ID (none with
/// `--emulator`, whose accounts are named alone).
struct Wanted {
    name: String,
    id: Option<String>,
}

pub(super) fn run(out: &Path, accounts: &[String], connection: ConnectionArgs) -> Exit {
    let emulated = connection.emulator;
    let wanted = match parse(accounts, emulated) {
        Ok(wanted) => wanted,
        Err(err) => return crate::cli::report_error(err),
    };
    if let Err(err) = crate::cli::refuse_one_account_settings(&connection) {
        return crate::cli::report_error(err);
    }
    // The accounts an earlier `apply --emulator` kept in the workspace run from (as for one
    // account): the emulator serves the accounts of the same names from it.
    if emulated && let Err(report) = super::carry_kept_emulator_account(out) {
        return crate::cli::report_error(report);
    }
    let Some(read) =
        crate::cli::block_on_accounts(wanted.len(), read_every(out, &wanted, connection))
    else {
        return Exit::Error;
    };
    let read = match read {
        Ok(read) => read,
        Err(report) => return crate::cli::report_error(report),
    };
    match write(out, &wanted, &read) {
        Ok(text) => {
            crate::cli::print_stdout(&text);
            Exit::Success
        }
        Err(report) => crate::cli::report_error(report),
    }
}

/// `NAME=ACCOUNT_ID` (or `NAME` with `--emulator`) for each account: names that make folders,
/// each once.
fn parse(accounts: &[String], emulated: bool) -> Result<Vec<Wanted>, CliError> {
    let mut wanted: Vec<Wanted> = Vec::new();
    for given in accounts {
        let refused = |reason: &'static str| CliError::ImportAccount {
            given: given.clone(),
            reason,
        };
        let (name, id) = match given.split_once('=') {
            Some((name, id)) => (name.trim(), Some(id.trim())),
            None => (given.trim(), None),
        };
        let folder_name = name
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !folder_name {
            return Err(refused(
                "the name makes the account's folder: letters, digits, `-`, `_` and `.`, starting with a letter or digit",
            ));
        }
        if name.eq_ignore_ascii_case("shared") {
            return Err(refused("`shared` is the folder of the shared definitions"));
        }
        if wanted
            .iter()
            .any(|other| other.name.eq_ignore_ascii_case(name))
        {
            return Err(refused("the name is given twice"));
        }
        let id = match (id, emulated) {
            (Some(_), true) => {
                return Err(refused(
                    "with --emulator, name the accounts alone: the emulator serves one for each name",
                ));
            }
            (None | Some(""), false) => {
                return Err(refused("the account's API account ID is missing"));
            }
            (id, _) => id.map(str::to_owned),
        };
        wanted.push(Wanted {
            name: name.to_owned(),
            id,
        });
    }
    Ok(wanted)
}

/// Each account connected and read, one after the other (with `--emulator`, one emulator
/// serving them all, as `plan` on the workspace will find it).
async fn read_every(
    out: &Path,
    wanted: &[Wanted],
    connection: ConnectionArgs,
) -> Result<Vec<(Connected, session::Read)>, miette::Report> {
    let served = if connection.emulator {
        let emulated = Emulated {
            home: out.to_path_buf(),
            workspace: Some((
                wanted
                    .iter()
                    .map(|account| SampleAccount::named(&account.name))
                    .collect(),
                0,
            )),
        };
        Some(emulated.start(false).await?)
    } else {
        None
    };
    let mut read = Vec::new();
    for (index, account) in wanted.iter().enumerate() {
        let dir = out.join(&account.name);
        let args = ConnectionArgs {
            account_id: account.id.clone(),
            ..connection.clone()
        };
        let on_emulator = served
            .as_ref()
            .map(|served| served.account(index))
            .transpose()?;
        let connected = session::connect_to(&dir, None, args, on_emulator, "").await?;
        // With `--force` over an earlier import or apply, the new state continues its lineage.
        let recorded = session::read(&dir, &connected, None).await?;
        read.push((connected, recorded));
    }
    Ok(read)
}

/// Writes the workspace's files, then each account's recorded state; answers the summary.
fn write(
    out: &Path,
    wanted: &[Wanted],
    read: &[(Connected, session::Read)],
) -> Result<String, miette::Report> {
    let sources: Vec<(&str, import::Source<'_>)> = wanted
        .iter()
        .zip(read)
        .map(|(account, (connected, read))| {
            (
                account.name.as_str(),
                source_of(connected, &read.live.account),
            )
        })
        .collect();
    let imported = import::import_workspace(&sources).map_err(miette::Report::new)?;
    for (relative, contents) in &imported.files {
        write_inside(out, Path::new(relative), contents)?;
    }
    let shared = imported.shared;
    let mut text = format!(
        "Imported {} into the workspace {} ({WORKSPACE_FILE}):\n  shared/: {}, {}, {}, {} that every account holds alike\n",
        counted(wanted.len(), "account"),
        out.display(),
        counted(shared.permission_profiles, "permission profile"),
        counted(shared.groups, "group"),
        counted(shared.signing_groups, "signing group"),
        counted(shared.users, "user"),
    );
    for ((account, (connected, read)), imported) in wanted.iter().zip(read).zip(imported.accounts) {
        let dir = out.join(&account.name);
        let objects = &imported.objects;
        let serial = record(
            &dir,
            connected,
            &read.live.account,
            imported.objects.clone(),
            read.recorded.clone(),
        )?;
        let _ = writeln!(
            text,
            "  {}/: account {} ({}): {}, {}, {}, {} in all, recorded in {} (serial {serial})",
            account.name,
            connected.account_id(),
            connected.environment,
            counted(objects.permission_profiles.len(), "permission profile"),
            counted(objects.groups.len(), "group"),
            counted(objects.signing_groups.len(), "signing group"),
            counted(objects.users.len(), "user"),
            connected
                .state_path
                .strip_prefix(out)
                .unwrap_or(&connected.state_path)
                .display(),
        );
        for left_out in &imported.left_out {
            errln!(
                "warning: {}: not written, so left unmanaged: {left_out}",
                account.name
            );
        }
    }
    let _ = writeln!(
        text,
        "Nothing was committed: review the files, then commit them, state files included.\nnext: docusign-gitops plan {}{}",
        out.display(),
        if read
            .iter()
            .any(|(connected, _)| connected.environment == "emulator")
        {
            " --emulator"
        } else {
            ""
        }
    );
    Ok(text)
}
