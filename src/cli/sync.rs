//! `docusign-gitops sync`: the directory's people, written as YAML for review.

use std::path::Path;

use super::Exit;
use super::args::SyncArgs;
use super::error::CliError;
use super::render::Renderer;
use crate::confined::Confinement;
use crate::desired::workspace::Workspace;
use crate::desired::write::GENERATED_FOLDER;
use crate::desired::{self, Level};
use crate::sync::{config::SyncSection, rules, write};

/// One generated file: where, and its text.
struct Generated {
    relative: String,
    text: String,
    users: usize,
}

pub fn run(args: SyncArgs) -> Exit {
    let SyncArgs {
        dir,
        account,
        check,
    } = args;
    let workspace = match super::workspace_at(&dir, account.as_deref()) {
        Ok(workspace) => workspace,
        Err(exit) => return exit,
    };
    let Some(workspace) = workspace else {
        // One account's folder of a workspace is refused: its `sync` may be its own, but what
        // it generates is checked against the shared definitions it lacks alone.
        if let Some(refusal) = desired::workspace::single_account_refusal(&dir) {
            super::report_problems(&[refusal]);
            return Exit::Error;
        }
        let Some(section) = sync_section(&dir, desired::load(&dir)) else {
            return Exit::Error;
        };
        return sync_folder(&dir, "", &section, check);
    };
    every_account(&workspace, account.as_deref(), check)
}

/// `sync` on a workspace: each account (or the one `--account` names) generates from its own
/// `sync` section into its own folder; an account without one has nothing to generate. One
/// account failing fails alone, and the exit code is the worst of them.
fn every_account(workspace: &Workspace, named: Option<&str>, check: bool) -> Exit {
    let accounts = match super::accounts_named(workspace, named) {
        Ok(accounts) => accounts,
        Err(exit) => return exit,
    };
    let shared = workspace.shared();
    let mut worst = Exit::Success;
    for entry in accounts {
        let name = entry.name.value.trim();
        let outcome = workspace.load_with(entry, &shared);
        let folder = workspace.dir_of(entry);
        if outcome.sync.is_none() {
            let errors = super::count(&outcome.problems, Level::Error) > 0;
            if named.is_none() && !errors {
                outln!("account `{name}`: no `sync` section, nothing to generate");
                continue;
            }
            // Its errors follow, under its name.
            if errors {
                errln!("account `{name}`:");
            }
        }
        let exit = match sync_section(&folder, outcome) {
            Some(section) => {
                let shown = format!("{}/", entry.dir.value.trim().trim_end_matches('/'));
                sync_folder(&folder, &shown, &section, check)
            }
            None => Exit::Error,
        };
        worst = Exit::worst([worst, exit]);
    }
    worst
}

/// Generates the files of `section`'s sources under `dir` (`--check`: says what would change
/// and writes nothing). `shown` is put before each path said: the account's folder in a
/// workspace, nothing for one account's directory.
fn sync_folder(dir: &Path, shown: &str, section: &SyncSection, check: bool) -> Exit {
    // Everything is read and mapped before anything is written: a source that fails leaves
    // every file as it was.
    let mut generated = Vec::new();
    for source in &section.sources {
        let written = source
            .people(dir)
            .map_err(miette::Report::new)
            .and_then(|people| rules::map(&people, section).map_err(miette::Report::new))
            .and_then(|users| {
                write::users_file(&source.name, &users)
                    .map(|text| Generated {
                        relative: write::path_of(&source.name),
                        text,
                        users: users.len(),
                    })
                    .map_err(|error| {
                        miette::Report::new(CliError::SyncYaml {
                            source_name: source.name.clone(),
                            reason: error.to_string(),
                        })
                    })
            });
        match written {
            Ok(file) => generated.push(file),
            Err(report) => {
                let report = report.wrap_err(match shown.trim_end_matches('/') {
                    "" => format!("the source `{}`", source.name),
                    folder => format!("the source `{}` of `{folder}`", source.name),
                });
                errln!("{report:?}");
                return Exit::Error;
            }
        }
    }
    let changed: Vec<&Generated> = generated
        .iter()
        .filter(|file| {
            std::fs::read_to_string(dir.join(&file.relative))
                .ok()
                .as_deref()
                != Some(&file.text)
        })
        .collect();
    let Some(stale) = stale_files(dir, shown, &generated) else {
        return Exit::Error;
    };
    if check {
        for file in &changed {
            outln!("{shown}{} would change", file.relative);
        }
        for relative in &stale {
            outln!("{shown}{relative} would be removed: no source writes it");
        }
        if changed.is_empty() && stale.is_empty() {
            match shown.trim_end_matches('/') {
                "" => outln!("the generated files are up to date"),
                folder => outln!("the generated files in `{folder}` are up to date"),
            }
            return Exit::Success;
        }
        return Exit::Changes;
    }
    for file in &changed {
        if let Err(reason) = write_file(dir, &file.relative, &file.text) {
            say_unwritable(shown, &file.relative, reason);
            return Exit::Error;
        }
    }
    // Removed last: a failure above leaves the old files, and so the old users, in place.
    for relative in &stale {
        if let Err(error) = std::fs::remove_file(dir.join(relative)) {
            say_unwritable(shown, relative, error.to_string());
            return Exit::Error;
        }
        outln!("removed {shown}{relative}: no source writes it");
    }
    for file in &generated {
        let verb = if changed.iter().any(|c| c.relative == file.relative) {
            "wrote"
        } else {
            "unchanged"
        };
        outln!(
            "{verb} {shown}{} ({})",
            file.relative,
            crate::words::counted(file.users, "user")
        );
    }
    Exit::Success
}

/// Says that `relative` (under the folder `shown` names) could not be read, written or removed.
fn say_unwritable(shown: &str, relative: &str, reason: String) {
    let error = CliError::SyncWrite {
        path: format!("{shown}{relative}"),
        reason,
    };
    errln!("{:?}", miette::Report::new(error));
}

/// The `sync` section of the desired state in `dir`, or the problems that hide it (said).
fn sync_section(dir: &Path, outcome: desired::Outcome) -> Option<SyncSection> {
    if let Some(section) = outcome.sync {
        return Some(section);
    }
    let renderer = Renderer::for_stderr();
    let errors: Vec<_> = outcome
        .problems
        .iter()
        .filter(|problem| problem.level() == Level::Error)
        .collect();
    for problem in &errors {
        errln!("{}", renderer.render(problem).trim_end());
    }
    if errors.is_empty() {
        let error = CliError::NoSyncSection {
            dir: dir.to_path_buf(),
        };
        errln!("{:?}", miette::Report::new(error));
    }
    None
}

/// The files `sync` wrote before under `generated/` that no source writes now (a source removed
/// or renamed), relative to `dir`: left there, they would go on declaring their users. A file
/// there that `sync` didn't write is left alone, with a warning; `None` when the folder can't
/// be read (said).
fn stale_files(dir: &Path, shown: &str, generated: &[Generated]) -> Option<Vec<String>> {
    let folder = dir.join(GENERATED_FOLDER);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(error) => {
            say_unwritable(shown, GENERATED_FOLDER, error.to_string());
            return None;
        }
    };
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{GENERATED_FOLDER}/{name}");
        if !desired::files::is_yaml(Path::new(&name))
            || generated.iter().any(|file| file.relative == relative)
        {
            continue;
        }
        // Only a regular file: a link is never followed, so nothing outside `dir` is touched.
        let ours = entry.file_type().is_ok_and(|kind| kind.is_file())
            && std::fs::read_to_string(entry.path()).is_ok_and(|text| write::is_generated(&text));
        if ours {
            stale.push(relative);
        } else {
            errln!(
                "warning: `{shown}{relative}` is not a file `sync` wrote, so it is left alone; everything under `{GENERATED_FOLDER}/` is read as generated, so move it out if it is hand-written"
            );
        }
    }
    stale.sort();
    Some(stale)
}

/// Writes `text` to `relative` under `dir`, atomically and never through a link out of it.
fn write_file(dir: &Path, relative: &str, text: &str) -> Result<(), String> {
    let confinement = Confinement::of(dir).map_err(|error| error.to_string())?;
    let relative = Path::new(relative);
    let folder = confinement
        .folder(relative.parent().unwrap_or_else(|| Path::new("")))
        .map_err(|error| error.to_string())?;
    let name = relative.file_name().unwrap_or_default();
    confinement
        .write_atomic(&folder, name, text.as_bytes(), ".sync-")
        .map_err(|error| error.to_string())
}
