//! `docusign-gitops emulator`: turns the flags into an emulator configuration and runs it.

use std::time::Duration;

use super::Exit;
use super::args::{
    EmulatorArgs, ItemErrorCodes, ItemFailureStatus, LastLoginReport, ProfileChangeVia,
};
use crate::emulator::config::{self, ProfileChangeRoutes, ProfileRoute, RateLimitStatus};
use crate::emulator::seed::Seed;
use crate::emulator::{self, Config};

pub fn run(args: EmulatorArgs) -> Exit {
    let EmulatorArgs {
        listen,
        seed,
        state_file,
        latency_ms,
        jitter_ms,
        fault_rate,
        fault_seed,
        fixed_credentials,
        demo,
        behaviour,
        hourly_limit,
        burst_limit,
        rate_limit_status,
        profile_change_via,
        no_group_list,
        group_profile_on_join,
        no_profile_echo,
        reopen_makes_new_user,
        last_login,
        seats_active_only,
        no_envelope_user_id,
        page_cap,
        no_signing_groups,
        item_failure_status,
        item_error_codes,
        client_id,
        client_secret,
        jwt_public_key,
        auth_host,
    } = args;
    let credentials = match credentials(client_id, client_secret, jwt_public_key) {
        Ok(credentials) => credentials,
        Err(err) => {
            errln!("error: {err}");
            return Exit::Error;
        }
    };
    let base = if demo {
        Config::demo()
    } else {
        Config::default()
    };
    let base = match with_behaviour(base, behaviour.as_deref()) {
        Ok(base) => base,
        Err(err) => {
            errln!("error: {err}");
            return Exit::Error;
        }
    };
    let config = Config {
        hourly_limit: hourly_limit.unwrap_or(base.hourly_limit),
        burst_limit: burst_limit.unwrap_or(base.burst_limit),
        rate_limit_status: rate_limit_status
            .as_deref()
            .map_or(base.rate_limit_status, refusal_status),
        profile_change: profile_change_via.map_or(base.profile_change, routes),
        group_list_in_user_records: !no_group_list && base.group_list_in_user_records,
        group_profile_on_join: group_profile_on_join || base.group_profile_on_join,
        profile_in_user_answers: !no_profile_echo && base.profile_in_user_answers,
        reopen_keeps_user_id: !reopen_makes_new_user && base.reopen_keeps_user_id,
        last_login: last_login.map_or(base.last_login, Into::into),
        pending_hold_seats: !seats_active_only && base.pending_hold_seats,
        envelopes_by_user_id: !no_envelope_user_id && base.envelopes_by_user_id,
        page_cap: page_cap.map(usize::from).or(base.page_cap),
        signing_groups_enabled: !no_signing_groups && base.signing_groups_enabled,
        item_failure_status: item_failure_status.map_or(base.item_failure_status, Into::into),
        item_error_codes: item_error_codes.map_or(base.item_error_codes, Into::into),
        latency: Duration::from_millis(latency_ms),
        jitter: Duration::from_millis(jitter_ms),
        fault_rate,
        seed: fault_seed.unwrap_or(base.seed),
        state_file,
        auth_host,
        credentials,
        ..base
    };
    let seed = match seed.map_or_else(
        || Ok(crate::emulator::sample::sample()),
        |path| read_seed(&path),
    ) {
        Ok(seed) => seed,
        Err(err) => {
            errln!("error: {err}");
            return Exit::Error;
        }
    };
    let credentials = if fixed_credentials || fault_seed.is_some() {
        emulator::Minted::FromSeed
    } else {
        emulator::Minted::Fresh
    };
    match emulator::run_until_interrupted(config, &seed, listen, credentials) {
        Ok(()) => Exit::Success,
        Err(err) => {
            errln!("error: {err}");
            Exit::Error
        }
    }
}

/// The OAuth client and the JWT public key the emulator accepts, from the flags.
fn credentials(
    client_id: Option<String>,
    client_secret: Option<String>,
    jwt_public_key: Option<std::path::PathBuf>,
) -> Result<config::Credentials, String> {
    let jwt_public_key_pem = jwt_public_key
        .map(|path| {
            std::fs::read_to_string(&path)
                .map_err(|err| format!("can't read the JWT public key `{}`: {err}", path.display()))
        })
        .transpose()?;
    let mut credentials = config::Credentials {
        jwt_public_key_pem,
        ..Default::default()
    };
    if let (Some(id), Some(secret)) = (client_id, client_secret) {
        credentials.clients.push(config::Client { id, secret });
    }
    Ok(credentials)
}

impl From<ItemFailureStatus> for config::ItemFailureStatus {
    fn from(status: ItemFailureStatus) -> Self {
        match status {
            ItemFailureStatus::Success => Self::Success,
            ItemFailureStatus::BadRequest => Self::BadRequest,
        }
    }
}

impl From<LastLoginReport> for config::LastLogin {
    fn from(report: LastLoginReport) -> Self {
        match report {
            LastLoginReport::Reported => Self::Reported,
            LastLoginReport::Never => Self::Never,
            LastLoginReport::Absent => Self::Absent,
        }
    }
}

impl From<ItemErrorCodes> for config::ItemErrorCodes {
    fn from(codes: ItemErrorCodes) -> Self {
        match codes {
            ItemErrorCodes::Emulator => Self::Emulator,
            ItemErrorCodes::Generic => Self::Generic,
        }
    }
}

fn refusal_status(flag: &str) -> RateLimitStatus {
    if flag == "429" {
        RateLimitStatus::TooManyRequests
    } else {
        RateLimitStatus::BadRequest
    }
}

fn routes(via: ProfileChangeVia) -> ProfileChangeRoutes {
    match via {
        ProfileChangeVia::All => ProfileChangeRoutes::all(),
        ProfileChangeVia::PutUser => ProfileChangeRoutes::only(ProfileRoute::PutUser),
        ProfileChangeVia::PutProfile => ProfileChangeRoutes::only(ProfileRoute::PutProfile),
        ProfileChangeVia::BulkPutUsers => ProfileChangeRoutes::only(ProfileRoute::BulkPutUsers),
    }
}

/// `base` with the switches a probe file observed, when one is given; notes on stderr the
/// values it holds that this version can't use.
fn with_behaviour(base: Config, file: Option<&std::path::Path>) -> Result<Config, String> {
    let Some(file) = file else {
        return Ok(base);
    };
    let observed = crate::probe::behaviour::read(file)?;
    for name in &observed.ignored {
        errln!(
            "note: `{}` holds a value for `{name}` this version can't use; it keeps the default",
            file.display()
        );
    }
    Ok(observed.apply_to(base))
}

/// A seed file: YAML, or JSON by its extension.
fn read_seed(path: &std::path::Path) -> Result<Seed, String> {
    let json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    std::fs::read_to_string(path)
        .map_err(|err| err.to_string())
        .and_then(|text| Seed::parse(&text, json))
        .map_err(|err| format!("can't use the seed `{}`: {err}", path.display()))
}
