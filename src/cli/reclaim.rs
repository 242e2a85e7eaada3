//! `docusign-gitops reclaim`: the idle seats and stale invitations `seats` finds, marked in the
//! YAML (see [`crate::reclaim`]) for the usual pull request, plan, guards and apply. Nothing is
//! changed in DocuSign. The edited files are checked as `validate` would before the command
//! ends; if they don't pass, every file is put back as it was. Exit 0, or with `--check` 2 when
//! anything would be marked; 1 for errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::args::{ReclaimArgs, TargetArgs};
use super::error::CliError;
use super::seats::{Measured, measured};
use super::{Exit, Target, every};
use crate::desired;
use crate::model::{BuiltinProfile, NameKey};
use crate::reclaim::{self, Action, Marked};

pub fn run(args: ReclaimArgs) -> Exit {
    let ReclaimArgs {
        target: target_args,
        usage,
        profile,
        check,
        connection,
    } = args;
    let action = profile.map_or(Action::Close, Action::Profile);
    match super::whole_workspace(&target_args) {
        Ok(Some(workspace)) => {
            let accounts = match every::read(
                &workspace,
                &connection,
                |target, connection, served| {
                    let usage = usage.clone();
                    async move {
                        let measured = measured(&target, &usage, connection, served, true).await?;
                        Ok((target, measured))
                    }
                },
                |_| Exit::Success,
            ) {
                Ok(accounts) => accounts,
                Err(exit) => return exit,
            };
            let exits: Vec<Exit> = accounts
                .into_iter()
                .map(|(name, read, exit)| match read {
                    Ok((target, measured)) => {
                        outln!("account `{name}`:");
                        let again = TargetArgs {
                            dir: target_args.dir.clone(),
                            account: Some(name),
                        };
                        marked(&target, &again, measured, &action, check)
                    }
                    Err(_) => exit,
                })
                .collect();
            Exit::worst(exits)
        }
        Ok(None) => {
            let Some(target) = super::load_target(&target_args) else {
                return Exit::Error;
            };
            match super::block_on(measured(&target, &usage, connection, None, true)) {
                Some(Ok(measured)) => marked(&target, &target_args, measured, &action, check),
                Some(Err(report)) => super::report_error(report),
                None => Exit::Error,
            }
        }
        Err(exit) => exit,
    }
}

/// Marks one account's candidates in its folder (or, with `check`, only lists them); the files
/// are read again as `target_args` names them, and put back if they no longer pass.
fn marked(
    target: &Target,
    target_args: &TargetArgs,
    measured: Measured,
    action: &Action,
    check: bool,
) -> Exit {
    let desired = &target.loaded.desired;
    if let Action::Profile(profile) = action
        && BuiltinProfile::from_name(profile).is_none()
        && !desired
            .state
            .permission_profiles
            .contains_key(&NameKey::new(profile))
    {
        return super::report_error(CliError::UnknownReclaimProfile {
            profile: profile.clone(),
        });
    }
    // Reclaim always reads the account whole (`measured(…, true)`).
    let live = measured.live.unwrap_or_default();
    let (candidates, mut skipped) = reclaim::candidates(&measured.report, &live, desired, action);
    let own = match desired::read_tree(&target.dir).hand_written() {
        Ok(own) => own,
        Err(problems) => {
            super::report_problems(&problems);
            return Exit::Error;
        }
    };
    let reclaimed_path = target.dir.join(reclaim::RECLAIMED_FILE);
    let reclaimed = std::fs::read_to_string(&reclaimed_path).ok();
    let Marked {
        files,
        marks,
        skipped: unplaced,
    } = reclaim::mark(
        &candidates,
        &own,
        &target.dir,
        reclaimed.as_deref(),
        &live,
        desired,
    );
    skipped.extend(unplaced);
    for mark in &marks {
        outln!(
            "{}:{}: {} — {}",
            mark.path.display(),
            mark.line,
            crate::model::controls::visible(&mark.email),
            mark.said
        );
    }
    for skip in &skipped {
        outln!(
            "left alone: {} — {}",
            crate::model::controls::visible(&skip.email),
            skip.why
        );
    }
    if marks.is_empty() {
        outln!(
            "Nothing to reclaim: no idle user or stale invitation that the YAML doesn't already close."
        );
        return Exit::Success;
    }
    if check {
        outln!(
            "{} would be marked (--check: no file changed).",
            crate::words::counted(marks.len(), "user")
        );
        return Exit::Changes;
    }
    if let Err(exit) = written(&files, target_args) {
        return exit;
    }
    outln!(
        "Marked {} in {}. Review the change, then plan and apply as usual.",
        crate::words::counted(marks.len(), "user"),
        crate::words::counted(files.len(), "file")
    );
    Exit::Success
}

/// Writes `files`, then loads the desired state again as `target_args` names it; if it no
/// longer passes, every file is put back as it was (a new one removed) and its problems said.
fn written(files: &BTreeMap<PathBuf, String>, target_args: &TargetArgs) -> Result<(), Exit> {
    let before: Vec<(&PathBuf, Option<String>)> = files
        .keys()
        .map(|path| (path, std::fs::read_to_string(path).ok()))
        .collect();
    let put_back = || {
        for (path, text) in &before {
            let _ = match text {
                Some(text) => std::fs::write(path, text),
                None => std::fs::remove_file(path),
            };
        }
    };
    for (path, text) in files {
        if let Err(err) = std::fs::write(path, text) {
            put_back();
            errln!(
                "error: can't write `{}`: {err}; nothing was changed",
                path.display()
            );
            return Err(Exit::Error);
        }
    }
    if super::load_target(target_args).is_none() {
        put_back();
        errln!(
            "error: the marked YAML would not validate (above); every file was put back as it was. Mark these users by hand."
        );
        return Err(Exit::Error);
    }
    Ok(())
}
