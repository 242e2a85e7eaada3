//! `docusign-gitops seats`: what the licences are used for. Reads the account as plan does, its
//! plan figures, and the envelope list for the users whose dates alone say idle; changes
//! nothing. Exit 0 (1 for errors); on a whole workspace, every account side by side.

use std::io::Write as _;
use std::sync::Arc;

use super::Exit;
use super::args::{ConnectionArgs, Format, SeatsArgs, UsageArgs};
use super::connection::Served;
use super::{every, session};
use crate::docusign::usage;
use crate::model::EmailKey;
use crate::seats::{self, Exempt, Options, Read, Report};

pub fn run(args: SeatsArgs) -> Exit {
    match super::whole_workspace(&args.target) {
        Ok(Some(workspace)) => {
            let SeatsArgs {
                usage,
                format,
                out,
                connection,
                ..
            } = args;
            let accounts = match every::read(
                &workspace,
                &connection,
                |target, connection, served| {
                    let usage = usage.clone();
                    async move {
                        let measured = measured(&target, &usage, connection, served).await?;
                        Ok(measured.report)
                    }
                },
                |_| Exit::Success,
            ) {
                Ok(accounts) => accounts,
                Err(exit) => return exit,
            };
            let shown = match format {
                Format::Json => every::json(&accounts),
                Format::Markdown => every::text(&accounts, seats::markdown),
                Format::Text => every::text(&accounts, seats::text),
            };
            finish(
                out.as_deref(),
                &every::json(&accounts),
                &shown,
                every::worst(&accounts),
            )
        }
        Ok(None) => one_account(args),
        Err(exit) => exit,
    }
}

fn one_account(args: SeatsArgs) -> Exit {
    let SeatsArgs {
        target,
        usage,
        format,
        out,
        connection,
    } = args;
    let Some(target) = super::load_target(&target) else {
        return Exit::Error;
    };
    let report = match super::block_on(measured(&target, &usage, connection, None)) {
        Some(Ok(measured)) => measured.report,
        Some(Err(report)) => return super::report_error(report),
        None => return Exit::Error,
    };
    let shown = match format {
        Format::Json => seats::json(&report),
        Format::Markdown => seats::markdown(&report),
        Format::Text => seats::text(&report),
    };
    finish(out.as_deref(), &seats::json(&report), &shown, Exit::Success)
}

/// Saves `json` to `out` when asked, prints `shown`, and ends with `exit`.
fn finish(out: Option<&std::path::Path>, json: &str, shown: &str, exit: Exit) -> Exit {
    if let Some(path) = out
        && let Err(err) = std::fs::write(path, json)
    {
        errln!(
            "error: can't write the report to `{}`: {err}",
            path.display()
        );
        return Exit::Error;
    }
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    exit
}

/// A seats report, and the live account it was made from.
pub struct Measured {
    pub report: Report,
    pub live: crate::model::Account,
}

/// Reads `target`'s account (on `served`, a whole-workspace run's emulator) and judges its
/// seats: the snapshot plan makes, the plan figures, then the envelope list for the users whose
/// dates alone say idle, the least recently seen first, at most `--envelope-checks` of them.
pub async fn measured(
    target: &super::Target,
    usage: &UsageArgs,
    connection: ConnectionArgs,
    served: Option<Arc<Served>>,
) -> Result<Measured, miette::Report> {
    let (connected, read) = session::connect_and_read(target, connection, served).await?;
    let client = &connected.connection.client;
    let figures = usage::account_figures(client)
        .await
        .map_err(miette::Report::new)?;
    let options = Options {
        now: jiff::Timestamp::now(),
        idle_days: usage.idle_days,
        pending_days: usage.pending_days,
        envelope_checks: usage.envelope_checks,
    };
    let exempt = Exempt {
        integration_user: connected
            .integration_user(&read.live.account)
            .map(|email| EmailKey::new(&email)),
        protected: target.loaded.desired.policy.protected_users.clone(),
    };
    let asked: Vec<_> = seats::needing_envelope_check(&read.live.usage, &options, &exempt)
        .into_iter()
        .take(options.envelope_checks)
        .collect();
    let envelopes = usage::envelopes_since(client, &asked, options.idle_cutoff()).await;
    let report = seats::report(
        &Read {
            account_id: connected.account_id(),
            figures: &figures,
            usage: &read.live.usage,
            envelopes: &envelopes,
            snapshot_calls: read.live.calls,
        },
        &options,
        &exempt,
    );
    Ok(Measured {
        report,
        live: read.live.account,
    })
}
