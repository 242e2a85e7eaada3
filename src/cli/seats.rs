//! `docusign-gitops seats`: what the licences are used for. Reads the account as plan does, its
//! plan figures, and the envelope list for the users whose dates alone say idle; changes
//! nothing. Exit 0 (1 for errors); on a whole workspace, every account side by side.

use std::sync::Arc;

use super::Exit;
use super::args::{ConnectionArgs, SeatsArgs, UsageArgs};
use super::connection::Served;
use super::{every, session};
use crate::docusign::{snapshot, usage};
use crate::model::EmailKey;
use crate::seats::{self, EnvelopeLimit, Exempt, Options, Read, Report};

pub fn run(args: SeatsArgs) -> Exit {
    let SeatsArgs { report, usage } = args;
    every::run(
        report,
        |target, connection, served| {
            let usage = usage.clone();
            async move {
                let measured = measured(&target, &usage, connection, served, false).await?;
                Ok(measured.report)
            }
        },
        &every::Forms {
            json: seats::json,
            markdown: seats::markdown,
            text: seats::text,
            workspace_markdown: |accounts| every::markdown_sections(accounts, seats::markdown),
            exit: |_| Exit::Success,
        },
    )
}

/// A seats report, and the live account it was made from when asked for.
pub struct Measured {
    pub report: Report,
    pub live: Option<crate::model::Account>,
}

/// Reads `target`'s account (on `served`, a whole-workspace run's emulator) and judges its
/// seats: the user pages (the whole snapshot plan makes when `with_live`, for reclaim), the
/// plan figures, then the envelope list for the users whose dates alone say idle, the least
/// recently seen first, at most `--envelope-checks` of them.
pub async fn measured(
    target: &super::Target,
    usage: &UsageArgs,
    connection: ConnectionArgs,
    served: Option<Arc<Served>>,
    with_live: bool,
) -> Result<Measured, miette::Report> {
    let connected = session::connect(target, connection, false, served).await?;
    let client = &connected.connection.client;
    let (records, live, read_calls) = if with_live {
        let read = session::read(&target.dir, &connected, Some(&target.loaded.desired)).await?;
        (read.live.usage, Some(read.live.account), read.live.calls)
    } else {
        let (records, calls) = snapshot::user_usage(client)
            .await
            .map_err(miette::Report::new)?;
        (records, None, calls)
    };
    let figures = usage::account_figures(client)
        .await
        .map_err(miette::Report::new)?;
    // The envelope list is the one per-user cost: never more than the flag allows, nor more
    // than this hour's budget leaves the tool once the user pages are read.
    let ours = client
        .hourly_room()
        .map(|room| usize::try_from(room.ours()).unwrap_or(usize::MAX));
    let (envelope_checks, envelope_limit) = EnvelopeLimit::cap(usage.envelope_checks, ours);
    let options = Options {
        now: jiff::Timestamp::now(),
        idle_days: usage.idle_days,
        pending_days: usage.pending_days,
        envelope_checks,
        envelope_limit,
    };
    let exempt = Exempt {
        integration_user: connected
            .integration_user_by(|id| {
                records
                    .iter()
                    .find(|record| session::same_id(&record.user_id, id))
                    .map(|record| record.email.clone())
            })
            .map(|email| EmailKey::new(&email)),
        protected: target.loaded.desired.policy.protected_users.clone(),
    };
    let asked = seats::needing_envelope_check(&records, &options, &exempt);
    let envelopes = usage::envelopes_since(client, &asked, options.idle_cutoff()).await;
    let report = seats::report(
        &Read {
            account_id: connected.account_id(),
            figures: &figures,
            usage: &records,
            envelopes: &envelopes,
            read_calls,
        },
        &options,
        &exempt,
    );
    Ok(Measured { report, live })
}
