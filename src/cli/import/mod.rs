//! `docusign-gitops import`: writes desired-state YAML for the live account, and the recorded
//! state that makes every imported object managed, so `plan` on the result has nothing to do.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Exit;
use super::args::ImportArgs;
use super::error::CliError;
use super::session::{self, Connected};
use crate::confined::{self, Confinement};
use crate::desired::checked::Environment;
use crate::import::{self, Imported};
use crate::model::Account;
use crate::state::{self, RecordedState};
use crate::words::counted;

mod workspace;

/// Left-out objects shown one per line; the rest are counted.
const SHOWN_LEFT_OUT: usize = 20;

pub fn run(args: ImportArgs) -> Exit {
    let ImportArgs {
        out,
        force,
        accounts,
        connection,
    } = args;
    // Before connecting, so a wrong directory costs no API call.
    if let Err(report) = check_out_dir(&out, force) {
        return super::report_error(report);
    }
    if !accounts.is_empty() {
        return workspace::run(&out, &accounts, connection);
    }
    let emulated = connection.emulator;
    if emulated && let Err(report) = carry_kept_emulator_account(&out) {
        return super::report_error(report);
    }
    let Some(result) = super::block_on(async {
        let served = if emulated {
            Some(session::Emulated::alone(&out).account(false, None).await?)
        } else {
            None
        };
        let connected = session::connect_to(&out, None, connection, served, "").await?;
        // The recorded state too: with `--force` over an earlier import or apply, the new
        // state continues its lineage, and a state file that can't be read is not replaced.
        let read = session::read(&out, &connected, None).await?;
        Ok::<_, miette::Report>((connected, read))
    }) else {
        return Exit::Error;
    };
    let (connected, read) = match result {
        Ok(done) => done,
        Err(report) => return super::report_error(report),
    };
    match write(&out, &connected, &read.live.account, read.recorded) {
        Ok(summary) => {
            let Summary {
                imported,
                state_path,
                serial,
            } = summary;
            print_summary(&out, &connected, &imported, &state_path, serial, emulated);
            warn_other_files(&out, &imported);
            Exit::Success
        }
        Err(report) => super::report_error(report),
    }
}

/// Refuses a file, and a directory that holds anything but `.git` unless `force`.
fn check_out_dir(out: &Path, force: bool) -> Result<(), CliError> {
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) if out.exists() && !out.is_dir() => {
            return Err(CliError::ImportIntoFile {
                path: out.to_path_buf(),
            });
        }
        Err(err) => {
            return Err(CliError::ImportDirectory {
                path: out.to_path_buf(),
                reason: err.to_string(),
            });
        }
    };
    if force {
        return Ok(());
    }
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".git")
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    let mut shown = found
        .iter()
        .take(3)
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if found.len() > 3 {
        shown.push_str(", …");
    }
    Err(CliError::ImportNotEmpty {
        path: out.to_path_buf(),
        found: shown,
    })
}

/// With `--emulator`, the account an earlier `apply --emulator` kept in the current directory
/// is the one imported (the quick start imports from the directory it applied in), else the
/// fresh sample. It is copied under DIR, so `plan DIR --emulator` reads the same account. An
/// account DIR already keeps wins.
fn carry_kept_emulator_account(out: &Path) -> Result<(), miette::Report> {
    let kept = session::emulator_state(Path::new("."));
    let target = session::emulator_state(out);
    // A link there counts as there, even one to nothing: it is never written through.
    if !kept.is_file() || std::fs::symlink_metadata(&target).is_ok() {
        return Ok(());
    }
    let real = session::prepare_emulator_state(out)?;
    std::fs::copy(&kept, &real).map_err(|err| CliError::ImportEmulatorAccount {
        from: kept.clone(),
        to: target.clone(),
        reason: err.to_string(),
    })?;
    errln!(
        "note: importing the emulator account an earlier `apply --emulator` kept in `{}`; copied to `{}` so that `plan {} --emulator` reads the same account",
        kept.display(),
        target.display(),
        out.display()
    );
    Ok(())
}

/// Writes `contents` to `relative` under `out`, never through a link that leads out of `out`
/// nor into anything but a regular file: `--force` replaces files in a directory that may hold
/// links someone else put there.
fn write_inside(out: &Path, relative: &Path, contents: &str) -> Result<(), CliError> {
    let refused = |error: confined::FileError| CliError::ImportRefused {
        path: out.join(relative),
        reason: error.to_string(),
        help: error.help(),
    };
    std::fs::create_dir_all(out).map_err(|err| CliError::create_directory(out, &err))?;
    let confinement = Confinement::of(out).map_err(refused)?;
    let folder = confinement
        .folder(relative.parent().unwrap_or_else(|| Path::new("")))
        .map_err(refused)?;
    let path = folder.join(relative.file_name().unwrap_or_default());
    let real = confinement.file(&path).map_err(refused)?.unwrap_or(path);
    let mut file = confined::open_regular(
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true),
        &real,
    )
    .map_err(refused)?;
    std::io::Write::write_all(&mut file, contents.as_bytes()).map_err(|err| CliError::ImportWrite {
        path: real.clone(),
        reason: err.to_string(),
    })
}

struct Summary {
    imported: Imported,
    state_path: PathBuf,
    serial: u64,
}

/// Writes the files, then the recorded state.
fn write(
    out: &Path,
    connected: &Connected,
    live: &Account,
    recorded: Option<RecordedState>,
) -> Result<Summary, miette::Report> {
    let imported = import::import(&source_of(connected, live)).map_err(miette::Report::new)?;
    for (relative, contents) in &imported.files {
        write_inside(out, Path::new(relative), contents)?;
    }
    let serial = record(out, connected, live, imported.objects.clone(), recorded)?;
    Ok(Summary {
        imported,
        state_path: connected.state_path.clone(),
        serial,
    })
}

/// What import works from: the account `connected` reads, as `live`.
fn source_of<'a>(connected: &'a Connected, live: &'a Account) -> import::Source<'a> {
    let environment = if connected.environment == "production" {
        Environment::Production
    } else {
        // The emulator stands for the developer sandbox.
        Environment::Demo
    };
    let integration_user = connected.connection.account.user_email.as_str();
    import::Source {
        live,
        account_id: connected.account_id(),
        environment,
        integration_user: Some(integration_user).filter(|email| !email.is_empty()),
    }
}

/// Writes the recorded state that makes `objects` managed, continuing `recorded` (an earlier
/// import's or apply's, with `--force`); answers its serial.
fn record(
    dir: &Path,
    connected: &Connected,
    live: &Account,
    objects: Account,
    recorded: Option<RecordedState>,
) -> Result<u64, miette::Report> {
    let base = recorded
        .unwrap_or_else(|| RecordedState::first(connected.account_id(), &connected.environment));
    // The imported files are not committed yet, so no commit holds them.
    let next = base.after(
        live,
        objects,
        None,
        state::IMPORT_PLAN,
        jiff::Timestamp::now(),
    );
    state::file::write(dir, &connected.state_path, &next).map_err(miette::Report::new)?;
    Ok(next.serial)
}

fn print_summary(
    out: &Path,
    connected: &Connected,
    imported: &Imported,
    state_path: &Path,
    serial: u64,
    emulated: bool,
) {
    let objects = &imported.objects;
    let mut text = format!(
        "Imported account {} ({}) into {}:\n  {}, {}, {}, {}\n",
        connected.account_id(),
        connected.environment,
        out.display(),
        counted(objects.permission_profiles.len(), "permission profile"),
        counted(objects.groups.len(), "group"),
        counted(objects.signing_groups.len(), "signing group"),
        counted(objects.users.len(), "user"),
    );
    let _ = writeln!(
        text,
        "  not written: {}, {} (they can't be changed), {} (plan leaves them alone)",
        counted(imported.builtin_profiles, "built-in profile"),
        counted(imported.builtin_groups, "built-in group"),
        counted(imported.closed_users, "closed user"),
    );
    text.push_str("Wrote:\n");
    for (relative, _) in &imported.files {
        let note = if relative == import::SCHEMA_PATH {
            " (the schema the files' modelines point editors at)"
        } else {
            ""
        };
        let _ = writeln!(text, "  {relative}{note}");
    }
    let state = state_path.strip_prefix(out).unwrap_or(state_path);
    let _ = writeln!(
        text,
        "  {} (recorded state, serial {serial})",
        state.display()
    );
    let _ = writeln!(
        text,
        "Nothing was committed ({} may not be a git repository yet): review the files, then commit them, state file included.",
        out.display()
    );
    let _ = writeln!(
        text,
        "next: docusign-gitops plan {}{}",
        out.display(),
        if emulated { " --emulator" } else { "" }
    );
    super::print_stdout(&text);

    let mut warnings = String::new();
    for left_out in imported.left_out.iter().take(SHOWN_LEFT_OUT) {
        let _ = writeln!(
            warnings,
            "warning: not written, so left unmanaged: {left_out}"
        );
    }
    if imported.left_out.len() > SHOWN_LEFT_OUT {
        let _ = writeln!(
            warnings,
            "warning: … and {} more not written",
            imported.left_out.len() - SHOWN_LEFT_OUT
        );
    }
    errout!("{warnings}");
}

/// With `--force`: YAML files import didn't write are still read as desired state.
fn warn_other_files(out: &Path, imported: &Imported) {
    let Ok(found) = crate::desired::files::find(out) else {
        return;
    };
    let written: BTreeSet<PathBuf> = imported
        .files
        .iter()
        .map(|(relative, _)| out.join(relative))
        .collect();
    for path in found.files {
        if !written.contains(&path) {
            errln!(
                "warning: `{}` was already there and is read as desired state too; remove it if an earlier import wrote it",
                path.display()
            );
        }
    }
}
