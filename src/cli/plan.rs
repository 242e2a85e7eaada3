//! `docusign-gitops plan`: reads the YAML and the live account and shows the ordered changes.

use std::ffi::OsStr;
use std::io::{IsTerminal as _, Write as _};

use super::Exit;
use super::args::{Format, PlanArgs};
use super::session;
use crate::plan::{self, render};

pub fn run(args: PlanArgs) -> Exit {
    let PlanArgs {
        target,
        out,
        format,
        detailed_exitcode,
        allowance,
        connection,
    } = args;
    let Some(super::Target {
        dir,
        loaded: super::Loaded { desired, digest },
        ..
    }) = super::load_target(&target)
    else {
        return Exit::Error;
    };
    let Some(result) = super::block_on(async {
        let (connected, read) = session::connect_and_read(&dir, &desired, connection).await?;
        let context = session::context(&dir, &digest, &connected, &read, &allowance.allow);
        plan::plan(
            &desired,
            &read.live.account,
            session::recorded_objects(read.recorded.as_ref()),
            &context,
        )
        .map_err(miette::Report::new)
    }) else {
        return Exit::Error;
    };
    let plan = match result {
        Ok(plan) => plan,
        Err(report) => {
            let refused = report
                .downcast_ref::<plan::RuleBreach>()
                .is_some_and(plan::RuleBreach::is_refusal);
            let exit = super::report_error(report);
            return if refused { Exit::Refused } else { exit };
        }
    };
    if let Some(path) = out
        && let Err(err) = std::fs::write(&path, render::json(&plan))
    {
        errln!("error: can't write the plan to `{}`: {err}", path.display());
        return Exit::Error;
    }
    let mut stdout = std::io::stdout().lock();
    let shown = match format {
        Format::Json => render::json(&plan),
        Format::Markdown => render::markdown(&plan),
        Format::Text => render::text(
            &plan,
            colour(
                format,
                stdout.is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            ),
        ),
    };
    let _ = stdout.write_all(shown.as_bytes());
    if !plan.refusals().is_empty() {
        Exit::Refused
    } else if detailed_exitcode && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    }
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
