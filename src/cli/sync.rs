//! `docusign-gitops sync`: the directory's people, written as YAML for review.

use std::path::Path;

use super::Exit;
use super::args::SyncArgs;
use super::error::CliError;
use super::render::Renderer;
use crate::confined::Confinement;
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
    let SyncArgs { dir, check } = args;
    let Some(section) = sync_section(&dir) else {
        return Exit::Error;
    };
    // Everything is read and mapped before anything is written: a source that fails leaves
    // every file as it was.
    let mut generated = Vec::new();
    for source in &section.sources {
        let written = source
            .people(&dir)
            .map_err(miette::Report::new)
            .and_then(|people| rules::map(&people, &section).map_err(miette::Report::new))
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
                let report = report.wrap_err(format!("the source `{}`", source.name));
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
    let Some(stale) = stale_files(&dir, &generated) else {
        return Exit::Error;
    };
    if check {
        for file in &changed {
            outln!("{} would change", file.relative);
        }
        for relative in &stale {
            outln!("{relative} would be removed: no source writes it");
        }
        if changed.is_empty() && stale.is_empty() {
            outln!("the generated files are up to date");
            return Exit::Success;
        }
        return Exit::Changes;
    }
    for file in &changed {
        if let Err(reason) = write_file(&dir, &file.relative, &file.text) {
            let error = CliError::SyncWrite {
                path: file.relative.clone(),
                reason,
            };
            errln!("{:?}", miette::Report::new(error));
            return Exit::Error;
        }
    }
    // Removed last: a failure above leaves the old files, and so the old users, in place.
    for relative in &stale {
        if let Err(error) = std::fs::remove_file(dir.join(relative)) {
            let error = CliError::SyncWrite {
                path: relative.clone(),
                reason: error.to_string(),
            };
            errln!("{:?}", miette::Report::new(error));
            return Exit::Error;
        }
        outln!("removed {relative}: no source writes it");
    }
    for file in &generated {
        let verb = if changed.iter().any(|c| c.relative == file.relative) {
            "wrote"
        } else {
            "unchanged"
        };
        outln!(
            "{verb} {} ({})",
            file.relative,
            crate::words::counted(file.users, "user")
        );
    }
    Exit::Success
}

/// The `sync` section of the desired state in `dir`, or the problems that hide it (said).
fn sync_section(dir: &Path) -> Option<SyncSection> {
    let outcome = desired::load(dir);
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
fn stale_files(dir: &Path, generated: &[Generated]) -> Option<Vec<String>> {
    let folder = dir.join(GENERATED_FOLDER);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(error) => {
            let error = CliError::SyncWrite {
                path: GENERATED_FOLDER.to_owned(),
                reason: error.to_string(),
            };
            errln!("{:?}", miette::Report::new(error));
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
                "warning: `{relative}` is not a file `sync` wrote, so it is left alone; everything under `{GENERATED_FOLDER}/` is read as generated, so move it out if it is hand-written"
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
