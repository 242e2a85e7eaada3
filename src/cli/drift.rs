//! `docusign-gitops drift`: what changed in DocuSign outside git since the last apply, and what
//! the YAML asks that no apply has done yet. Exit 0 for none, 2 for drift, 1 for errors.

use std::io::Write as _;

use super::Exit;
use super::args::{DriftArgs, Format};
use super::error::CliError;
use super::session;
use crate::drift::{self, render};

pub fn run(args: DriftArgs) -> Exit {
    let DriftArgs {
        target,
        format,
        out,
        connection,
    } = args;
    let Some(target) = super::load_target(&target) else {
        return Exit::Error;
    };
    let super::Target {
        loaded: super::Loaded { desired, .. },
        ..
    } = &target;
    let Some(result) = super::block_on(async {
        let (connected, read) = session::connect_and_read(&target, connection, None).await?;
        let Some(recorded) = read.recorded else {
            return Err(CliError::NoRecordedState {
                account: connected.account_id().to_owned(),
                path: connected.state_path.clone(),
            }
            .into());
        };
        let today = jiff::Zoned::now().date();
        Ok::<_, miette::Report>(drift::detect(
            desired,
            &read.live.account,
            &recorded,
            connected.integration_user(&read.live.account).as_deref(),
            today,
        ))
    }) else {
        return Exit::Error;
    };
    let report = match result {
        Ok(report) => report,
        Err(report) => return super::report_error(report),
    };
    if let Some(path) = out
        && let Err(err) = std::fs::write(&path, render::json(&report))
    {
        errln!(
            "error: can't write the report to `{}`: {err}",
            path.display()
        );
        return Exit::Error;
    }
    let shown = match format {
        Format::Json => render::json(&report),
        Format::Markdown => render::markdown(&report),
        Format::Text => render::text(&report),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    if report.drift_found() {
        Exit::Changes
    } else {
        Exit::Success
    }
}
