//! `docusign-gitops probe`: refuses production, asks first, then runs the probe, cleans up
//! whatever happened (Ctrl-C included), prints the findings and writes them as JSON.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Exit;
use super::args::{ConnectionArgs, ProbeArgs};
use super::connection::{self, AccountHint, Target};
use super::error::CliError;
use super::prompt;
use crate::desired::checked::Environment;
use crate::docusign::connect;
use crate::model::controls::visible;
use crate::probe::report::Report;
use crate::probe::{self, Caller, Cleaned, Ledger, Names};

/// What `probe` was asked to do, flags resolved.
struct Settings {
    dir: PathBuf,
    names: Names,
    yes: bool,
    spend_burst: bool,
    out: PathBuf,
    connection: ConnectionArgs,
}

pub fn run(args: ProbeArgs) -> Exit {
    let ProbeArgs {
        dir,
        email,
        yes,
        spend_burst,
        out,
        connection,
    } = args;
    let email = email.trim().to_owned();
    if !plausible_email(&email) {
        return super::report_error(CliError::ProbeEmail {
            given: visible(&email).to_string(),
        });
    }
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let settings = Settings {
        dir,
        names: Names::new(&email, &stamp),
        yes,
        spend_burst,
        out,
        connection,
    };
    super::run_to_exit(probe(settings))
}

/// One `@` with something on each side and no spaces: DocuSign judges the rest.
fn plausible_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace)
}

async fn probe(settings: Settings) -> Result<Exit, miette::Report> {
    let Settings {
        dir,
        names,
        yes,
        spend_burst,
        out,
        connection,
    } = settings;
    let emulated = connection.emulator;
    let hint = account_hint(&dir)?;
    refuse_production(hint.as_ref(), &connection)?;
    let Target {
        settings,
        _emulator: _kept_alive,
    } = connection::resolve(connection, hint, None, "").await?;
    let connected = connect::connect(settings)
        .await
        .map_err(miette::Report::new)?;
    if let Some(warning) = &connected.warning {
        errln!("warning: {}", visible(warning));
    }
    // Discovery names the account's API host: a production one (`na2.docusign.net`…) is
    // refused however the auth server was spelt.
    if is_production_base(&connected.account.base_uri) {
        return Err(production_refused(&format!(
            "the account's API host `{}` is a production one",
            visible(&connected.account.base_uri)
        ))
        .into());
    }
    let account = if connected.account.account_name.is_empty() {
        connected.account.account_id.clone()
    } else {
        format!(
            "`{}` ({})",
            connected.account.account_name, connected.account.account_id
        )
    };
    errout!(
        "{}",
        probe::consent_text(&names, &visible(&account), spend_burst)
    );
    let ask = || errout!("Go ahead? Only `yes` is accepted: ");
    if !yes && !prompt::agreed(ask, CliError::ProbeUnconfirmed)? {
        errln!("Nothing was changed.");
        return Ok(Exit::Error);
    }
    let caller = Caller::new(Arc::clone(&connected.client));
    let ledger = Ledger::default();
    let observed = tokio::select! {
        observed = probe::observe(&caller, &names, &ledger) => Some(observed),
        _ = tokio::signal::ctrl_c() => None,
    };
    if observed.is_none() {
        // Cleaning up is not interrupted again: what it leaves, it says.
        errln!("Interrupted: cleaning up what the probe made.");
    }
    let cleaned = probe::clean_up(&caller, &names, &ledger).await;
    print_cleanup(&cleaned);
    let found = match observed {
        None => return Ok(Exit::Error),
        Some(Err(stop)) => {
            return Err(CliError::ProbeStopped {
                stop: stop.to_string(),
            }
            .into());
        }
        Some(Ok(found)) => found,
    };
    // Last, with everything cleaned up: a spent burst would hold the cleanup back 30 seconds.
    let status = if spend_burst {
        errln!("Spending the burst limit…");
        // Ctrl-C no longer ends the process once it is listened for: it ends the spending.
        tokio::select! {
            status = probe::spend_burst(&caller) => status,
            _ = tokio::signal::ctrl_c() => probe::burst_interrupted(),
        }
    } else {
        probe::burst_not_spent()
    };
    let found = probe::with_rate_limits(found, probe::rate_limits(&caller), status);
    let environment = if emulated { "emulator" } else { "demo" };
    let report = Report::new(
        jiff::Timestamp::now().to_string(),
        environment.to_owned(),
        caller.client.calls(),
        found,
    );
    publish(&report, &out)?;
    Ok(if cleaned.left.is_empty() {
        Exit::Success
    } else {
        Exit::Error
    })
}

/// Prints the findings and the call count, and writes the file.
fn publish(report: &Report, out: &Path) -> Result<(), CliError> {
    super::print_stdout(&report.table());
    super::print_stdout(&format!("\nAPI calls: {}\n", report.api_calls));
    std::fs::write(out, report.json()).map_err(|err| CliError::ProbeFindings {
        path: out.to_path_buf(),
        reason: err.to_string(),
    })?;
    errln!(
        "Wrote `{}`. Run the emulator as your account behaves: `docusign-gitops emulator --behaviour {}`. \
         Please share the file with us (read it first: it holds DocuSign's answers, no credentials): it settles what DocuSign doesn't document.",
        out.display(),
        out.display()
    );
    Ok(())
}

/// The account the YAML in `dir` names, when there is YAML there; none is needed.
fn account_hint(dir: &Path) -> Result<Option<AccountHint>, CliError> {
    if !dir.is_dir() {
        return Err(CliError::ProbeDirectory {
            path: dir.to_path_buf(),
        });
    }
    if crate::desired::load(dir).files == 0 {
        return Ok(None);
    }
    let Some(loaded) = super::load(dir) else {
        return Err(CliError::ProbeYaml {
            path: dir.to_path_buf(),
        });
    };
    Ok(loaded.desired.account.map(|account| AccountHint {
        id: account.id,
        production: account.environment == Environment::Production,
    }))
}

/// Production is refused before any call: from the YAML's `account.environment`, the auth
/// server, or a production base URL given by hand.
fn refuse_production(
    hint: Option<&AccountHint>,
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    if connection.emulator {
        return Ok(());
    }
    if hint.is_some_and(|hint| hint.production) {
        return Err(production_refused(
            "the YAML's `account.environment` is `production`",
        ));
    }
    if let Some(server) = &connection.auth_server
        && connection::is_production(server)
    {
        return Err(production_refused(&format!(
            "the auth server `{}` is DocuSign's production one",
            visible(server)
        )));
    }
    if let Some(base) = &connection.base_url
        && is_production_base(base)
    {
        return Err(production_refused(&format!(
            "the base URL `{}` is a production one",
            visible(base)
        )));
    }
    Ok(())
}

fn production_refused(why: &str) -> CliError {
    CliError::ProbeProduction {
        why: why.to_owned(),
    }
}

/// Whether an API base URI is one of DocuSign's production hosts (`*.docusign.net` other than
/// `demo.docusign.net`).
fn is_production_base(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let host = rest
        .split(['/', ':', '?'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    (host == "docusign.net" || host.ends_with(".docusign.net")) && host != "demo.docusign.net"
}

fn print_cleanup(cleaned: &Cleaned) {
    let mut err = std::io::stderr().lock();
    for removed in &cleaned.removed {
        let _ = writeln!(err, "cleaned up: {}", visible(removed));
    }
    for left in &cleaned.left {
        let _ = writeln!(err, "left behind: {}", visible(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_hosts_are_docusign_net_but_demo() {
        for production in [
            "https://na2.docusign.net",
            "https://www.docusign.net/restapi",
            "https://EU.DocuSign.net:443/",
        ] {
            assert!(is_production_base(production), "{production}");
        }
        for other in [
            "https://demo.docusign.net",
            "http://127.0.0.1:4000",
            "https://docusign.net.example.com",
        ] {
            assert!(!is_production_base(other), "{other}");
        }
    }

    #[test]
    fn an_email_needs_a_mailbox_and_a_domain() {
        assert!(plausible_email("you+probe@example.com"));
        for bad in [
            "you",
            "@example.com",
            "you@localhost",
            "y ou@example.com",
            "a@b@c.com",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}
