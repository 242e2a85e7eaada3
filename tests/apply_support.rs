//! What the apply tests share: live accounts written as emulator seeds, desired state written as
//! YAML, a client with waits short enough for a test, the plan → apply loop at library level,
//! and checks made on the emulator's own account (never on our model of it).
#![allow(dead_code)] // each apply test module uses its own part

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use docusign_gitops::apply::{self, Outcome, Silent};
use docusign_gitops::desired::{self, Desired, SourceFile};
use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::docusign::{Client, ClientSettings, Secret};
use docusign_gitops::emulator::account::Account as EmulatedAccount;
use docusign_gitops::emulator::seed::{Seed, Seeded};
use docusign_gitops::emulator::{self, Config, Running, Stats};
use docusign_gitops::model::{Account, BuiltinGroup, EmailKey, NameKey, UserStatus};
use docusign_gitops::plan::{self, Context, Plan};

use crate::emulator_support::live_model;

/// The access token the apply tests' emulators accept, for the seed's integration user: the
/// one every test emulator accepts, so [`Cli::emulator`](crate::harness::Cli::emulator) works
/// with either kind.
pub use crate::emulator_support::TOKEN;
const NOW: &str = "2026-01-05T09:00:00.0000000Z";

/// An emulator config whose limits a test never reaches, so the client's pacing (which leaves
/// 20% of DocuSign's caps to others) never slows a test down.
#[must_use]
pub fn roomy() -> Config {
    Config {
        hourly_limit: 1_000_000,
        burst_limit: 100_000,
        ..Config::default()
    }
}

/// The account a seed (YAML, names instead of IDs) describes; user IDs come from `rng_seed`.
#[must_use]
pub fn seeded(yaml: &str, rng_seed: u64) -> Seeded {
    Seed::parse(yaml, false)
        .and_then(|seed| seed.build(&mut fastrand::Rng::with_seed(rng_seed), NOW))
        .unwrap_or_else(|err| panic!("bad seed: {err}\n{yaml}"))
}

/// Starts an emulator on a free loopback port serving `seeded`, accepting [`TOKEN`] for its
/// integration user.
pub async fn start(config: Config, seeded: Seeded) -> Running {
    start_at(config, seeded, "127.0.0.1:0".parse().expect("address")).await
}

/// As [`start`], listening on `addr`.
pub async fn start_at(mut config: Config, seeded: Seeded, addr: SocketAddr) -> Running {
    config
        .credentials
        .static_tokens
        .push((TOKEN.to_owned(), seeded.integration_user_id.clone()));
    emulator::start(config, vec![seeded.account], addr)
        .await
        .expect("start the emulator")
}

/// Desired state from one YAML text; panics on errors (warnings are fine).
#[must_use]
pub fn desired(yaml: &str) -> Desired {
    let outcome = desired::check(vec![SourceFile::from_text("desired.yaml", yaml)], true);
    outcome
        .desired
        .unwrap_or_else(|| panic!("invalid desired state: {:#?}\n{yaml}", outcome.problems))
}

/// The same retry logic as in production, with waits of milliseconds.
#[must_use]
pub fn quick_settings() -> ClientSettings {
    ClientSettings {
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        burst_wait: Duration::from_millis(2),
        max_attempts: 5,
        assumed_burst_limit: 100_000,
        ..ClientSettings::default()
    }
}

/// A client for the emulator's first account.
#[must_use]
pub fn client_for(running: &Running, settings: ClientSettings) -> Arc<Client> {
    client_via(&running.url, running, settings)
}

/// A client for the emulator's first account that calls `url` instead (a proxy in front).
#[must_use]
pub fn client_via(url: &str, running: &Running, settings: ClientSettings) -> Arc<Client> {
    client_at(url, &running.account_id(), settings)
}

/// A client of the account `account_id` of the server at `url`, holding [`TOKEN`].
#[must_use]
pub fn client_at(url: &str, account_id: &str, settings: ClientSettings) -> Arc<Client> {
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!("{url}/restapi/v2.1/accounts/{account_id}");
    Arc::new(Client::new(http, &api_base, auth, settings))
}

/// The emulator's account as it stands now.
#[must_use]
pub fn emulated(running: &Running) -> EmulatedAccount {
    emulator::lock(&running.shared.accounts[0]).account.clone()
}

/// What a fault-free snapshot of the emulator would read, taken from its own store.
#[must_use]
pub fn truth(running: &Running) -> Account {
    live_model(&emulated(running))
}

/// The integration user's email.
#[must_use]
pub fn integration_email(running: &Running) -> String {
    let account = emulated(running);
    let tokens = &running.shared.config.credentials.static_tokens;
    let user_id = &tokens
        .iter()
        .find(|(token, _)| token == TOKEN)
        .expect("the test token")
        .1;
    account
        .user(user_id)
        .expect("integration user")
        .email
        .clone()
}

/// The planner's context as the CLI would build it against this emulator.
#[must_use]
pub fn context(running: &Running) -> Context {
    Context {
        integration_user: Some(integration_email(running)),
        ..Context::default()
    }
}

/// Emails held by more than one user record in the emulator (any status).
#[must_use]
pub fn duplicate_emails(account: &EmulatedAccount) -> Vec<String> {
    let mut seen = BTreeMap::<String, usize>::new();
    for user in &account.users {
        *seen.entry(user.email.to_lowercase()).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(email, _)| email)
        .collect()
}

/// Write calls (anything but GET) per `METHOD /path` under the account (`POST /users`), from
/// the emulator's statistics.
#[must_use]
pub fn writes(stats: &Stats) -> BTreeMap<String, u64> {
    stats
        .calls
        .iter()
        .filter(|(call, _)| !call.starts_with("GET "))
        .map(|(call, count)| {
            (
                call.replacen("/restapi/v2.1/accounts/{accountId}", "", 1),
                *count,
            )
        })
        .collect()
}

/// The total of [`writes`].
#[must_use]
pub fn write_count(stats: &Stats) -> u64 {
    writes(stats).values().sum()
}

/// Every way `live` differs from `desired` on the objects desired names: empty when apply
/// reached the desired account.
#[must_use]
pub fn mismatches(live: &Account, desired: &Desired) -> Vec<String> {
    let mut found = Vec::new();
    profile_mismatches(live, desired, &mut found);
    group_mismatches(live, desired, &mut found);
    user_mismatches(live, desired, &mut found);
    found
}

fn profile_mismatches(live: &Account, desired: &Desired, found: &mut Vec<String>) {
    for (key, want) in &desired.state.permission_profiles {
        let Some(have) = live.permission_profiles.get(key) else {
            found.push(format!("profile `{}` is missing", want.name));
            continue;
        };
        if have.name != want.name {
            found.push(format!("profile `{}` is named `{}`", want.name, have.name));
        }
        for (setting, value) in &want.settings {
            if have.settings.get(setting) != Some(value) {
                found.push(format!(
                    "profile `{}`: {setting} is {:?}, not {value:?}",
                    want.name,
                    have.settings.get(setting)
                ));
            }
        }
    }
}

/// Groups and signing groups.
fn group_mismatches(live: &Account, desired: &Desired, found: &mut Vec<String>) {
    for (key, want) in &desired.state.groups {
        let Some(have) = live.groups.get(key) else {
            found.push(format!("group `{}` is missing", want.name));
            continue;
        };
        if have.name != want.name {
            found.push(format!("group `{}` is named `{}`", want.name, have.name));
        }
        let profile = |name: &Option<String>| name.as_deref().map(NameKey::new);
        if profile(&have.permission_profile) != profile(&want.permission_profile) {
            found.push(format!(
                "group `{}` carries {:?}, not {:?}",
                want.name, have.permission_profile, want.permission_profile
            ));
        }
    }
    for (key, want) in &desired.state.signing_groups {
        let Some(have) = live.signing_groups.get(key) else {
            found.push(format!("signing group `{}` is missing", want.name));
            continue;
        };
        let email = |email: &Option<String>| email.as_deref().map(EmailKey::new);
        if email(&have.email) != email(&want.email) || have.name != want.name {
            found.push(format!(
                "signing group `{}` is `{}` <{:?}>",
                want.name, have.name, have.email
            ));
        }
        if have.members != want.members {
            found.push(format!(
                "signing group `{}` has members {:?}, not {:?}",
                want.name,
                have.members.values().collect::<Vec<_>>(),
                want.members.values().collect::<Vec<_>>()
            ));
        }
    }
}

fn user_mismatches(live: &Account, desired: &Desired, found: &mut Vec<String>) {
    let managed_groups: BTreeSet<NameKey> = desired
        .state
        .groups
        .keys()
        .cloned()
        .chain([NameKey::new(BuiltinGroup::Administrators.api_name())])
        .collect();
    let groups = |names: &BTreeSet<String>| -> BTreeSet<NameKey> {
        names
            .iter()
            .map(|name| NameKey::new(name))
            .filter(|key| managed_groups.contains(key))
            .collect()
    };
    for (key, want) in &desired.state.users {
        let Some(have) = live.users.get(key) else {
            found.push(format!("user `{}` is missing", want.email));
            continue;
        };
        if want.status == UserStatus::Closed {
            if have.status != UserStatus::Closed {
                found.push(format!("user `{}` is not closed", want.email));
            }
            continue;
        }
        if have.status == UserStatus::Closed {
            found.push(format!("user `{}` is closed", want.email));
        }
        if (&have.first_name, &have.last_name) != (&want.first_name, &want.last_name)
            || (want.job_title.is_some() && have.job_title != want.job_title)
        {
            found.push(format!(
                "user `{}` is {} {} ({:?})",
                want.email, have.first_name, have.last_name, have.job_title
            ));
        }
        if NameKey::new(&have.permission_profile) != NameKey::new(&want.permission_profile) {
            found.push(format!(
                "user `{}` holds `{}`, not `{}`",
                want.email, have.permission_profile, want.permission_profile
            ));
        }
        let (have_groups, want_groups) = (groups(&have.groups), groups(&want.groups));
        for missing in want_groups.difference(&have_groups) {
            found.push(format!("user `{}` is not in `{missing}`", want.email));
        }
        for extra in have_groups.difference(&want_groups) {
            found.push(format!("user `{}` is still in `{extra}`", want.email));
        }
    }
}

/// What one round of plan → apply did.
#[derive(Debug)]
pub struct Round {
    pub plan: Plan,
    pub outcome: Outcome,
}

/// Snapshots the account (again after a snapshot that failed: faults can exhaust retries).
pub async fn live(client: &Arc<Client>) -> Account {
    let mut last = None;
    for _ in 0..5 {
        match snapshot(client).await {
            Ok(snapshot) => return snapshot.account,
            Err(err) => last = Some(err),
        }
    }
    panic!("no snapshot in 5 tries: {last:?}");
}

/// Plans against the live account and the recorded objects.
#[must_use]
pub fn plan_for(
    desired: &Desired,
    live: &Account,
    recorded: Option<&Account>,
    context: &Context,
) -> Plan {
    plan::plan(desired, live, recorded, context).unwrap_or_else(|breach| panic!("{breach}"))
}

/// Plan → apply rounds until a plan is empty (at most `max_rounds` applies), recording the
/// managed objects each apply leaves as the CLI does. Returns the rounds and what is recorded.
pub async fn converge(
    client: &Arc<Client>,
    desired: &Desired,
    context: &Context,
    mut recorded: Option<Account>,
    max_rounds: usize,
) -> (Vec<Round>, Option<Account>, bool) {
    let mut rounds = Vec::new();
    for _ in 0..=max_rounds {
        let live = live(client).await;
        let plan = plan_for(desired, &live, recorded.as_ref(), context);
        if plan.is_empty() {
            return (rounds, recorded, true);
        }
        if rounds.len() == max_rounds {
            break;
        }
        let outcome = apply::execute(&plan, &live, client, &Silent, &mut |_| {}).await;
        recorded = Some(apply::managed_objects(
            &outcome.account,
            &desired.state,
            recorded.as_ref(),
        ));
        rounds.push(Round { plan, outcome });
    }
    (rounds, recorded, false)
}
