//! An in-process emulator of DocuSign's eSignature REST API v2.1 and its OAuth service, as far
//! as this tool uses them: the DocuSign the tests (and `--emulator`) run against.
//!
//! It follows DocuSign's official spec (the part this tool uses is copied in
//! `tests/fixtures/docusign/`, and the contract test holds the emulator to it) and what is known
//! of DocuSign's behaviour beyond it. Where that behaviour is unconfirmed it takes the stricter
//! reading; every such choice is listed in [`assumptions`].

pub mod account;
mod api;
pub mod assumptions;
pub mod config;
pub mod dates;
mod error;
mod faults;
mod inspect;
mod limits;
mod oauth;
pub mod sample;
pub mod seed;
mod tokens;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use faults::{Attempts, Drawn, Fate, Timing};
use limits::{Limiter, Moment, Timepiece};

pub use faults::{Fault, InjectedFault, RequestKey};

pub use account::Account;
pub use config::Config;
pub use error::{ApiError, OAuthError};
use tokens::Tokens;

/// One account served by the emulator, with its own rate-limit windows.
#[derive(Debug)]
pub struct Slot {
    pub account: Account,
    pub limiter: Limiter,
    /// Writes after which some user held no existing profile: always zero unless the
    /// emulator has a bug, and tests assert so.
    pub invariant_breaches: u64,
}

/// What the emulator has served, for tests and benchmarks (`GET /_emulator/stats`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Calls per `METHOD /path/{template}`.
    pub calls: BTreeMap<String, u64>,
    /// All API calls, refused ones included.
    pub total_calls: u64,
    /// Calls refused because the account's hourly or burst limit was reached.
    pub rate_limit_rejections: u64,
    /// Faults injected by `fault_rate` (5xx, dropped connections, rate-limit refusals).
    pub injected_faults: u64,
    pub invariant_breaches: u64,
}

/// What every request handler shares.
#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    /// The emulator's own URL, e.g. `http://127.0.0.1:40123`: the `base_uri` of every account.
    pub base_url: String,
    /// The first is the default account in `/oauth/userinfo`.
    pub accounts: Vec<Mutex<Slot>>,
    pub tokens: Mutex<Tokens>,
    /// The stream of generated IDs and tokens. Faults and jitter are not drawn from it: they
    /// are drawn per request (`faults::Fate::draw`).
    pub rng: Mutex<fastrand::Rng>,
    pub stats: Mutex<Stats>,
    /// How many times each request has been seen, for its attempt number.
    attempts: Mutex<Attempts>,
    fault_log: Mutex<Vec<InjectedFault>>,
    /// Held from the snapshot of the accounts to the rename of the state file, so a write that
    /// took an older snapshot can't land after one that took a newer.
    persisting: Mutex<()>,
    /// The time the rate limits go by.
    pub clock: Timepiece,
}

impl Shared {
    /// The slot of the account `{accountId}` names: its GUID (any letter case) or its external
    /// account number.
    #[must_use]
    pub fn slot(&self, account_id: &str) -> Option<MutexGuard<'_, Slot>> {
        self.accounts
            .iter()
            .map(lock)
            .find(|slot| slot.account.is_named_by(account_id))
    }

    /// The moment a call arrives, by the configured clock.
    #[must_use]
    pub fn now(&self) -> Moment {
        self.clock.now()
    }

    /// Every account's ID and name, in order.
    #[must_use]
    pub fn account_names(&self) -> Vec<(String, String)> {
        self.accounts
            .iter()
            .map(|slot| {
                let slot = lock(slot);
                (
                    slot.account.account_id.clone(),
                    slot.account.account_name.clone(),
                )
            })
            .collect()
    }

    fn record_call(&self, method: &Method, template: &str) {
        let mut stats = lock(&self.stats);
        stats.total_calls += 1;
        *stats
            .calls
            .entry(format!("{method} {template}"))
            .or_default() += 1;
    }

    fn record_rejection(&self) {
        lock(&self.stats).rate_limit_rejections += 1;
    }

    fn record_fault(&self, injected: Option<InjectedFault>) {
        if let Some(injected) = injected {
            lock(&self.stats).injected_faults += 1;
            lock(&self.fault_log).push(injected);
        }
    }

    /// Whether requests have fates to draw: faults or jitter are on. When not, the gate reads
    /// nothing of the request and counts no attempts.
    fn draws_fates(&self) -> bool {
        self.config.fault_rate > 0.0
            || self.config.rate_limited_share > 0.0
            || !self.config.jitter.is_zero()
    }

    /// The fate of this arrival of `request` on `route`: its attempt number among identical
    /// requests, then a draw that depends on nothing else (not on other requests, nor on the
    /// order they arrive in).
    fn draw(&self, route: String, request: RequestKey) -> Drawn {
        let attempt = lock(&self.attempts).next(request);
        let fate = Fate::draw(
            self.config.seed,
            &route,
            request,
            attempt,
            (self.config.fault_rate, self.config.rate_limited_share),
            self.config.jitter,
        );
        Drawn {
            route,
            request,
            attempt,
            fate,
        }
    }

    /// When a call that arrives now reaches DocuSign's work, and when its answer leaves.
    fn timing(&self, drawn: Option<&Drawn>) -> Timing {
        let jitter = drawn.map_or(Duration::ZERO, |drawn| drawn.fate.jitter);
        Timing::from_now(self.config.latency, jitter)
    }

    /// Every fault injected so far, sorted (not in arrival order), so two runs of one seeded
    /// workload compare equal when they injected the same faults into the same requests.
    #[must_use]
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        let mut log = lock(&self.fault_log).clone();
        log.sort();
        log
    }

    /// After a write: does every user still hold an existing profile?
    fn check_invariants(&self, account_id: &str) {
        if let Some(mut slot) = self.slot(account_id) {
            let breaches = slot.account.profile_breaches();
            if breaches > 0 {
                slot.invariant_breaches += 1;
                lock(&self.stats).invariant_breaches += 1;
            }
        }
    }

    /// Rewrites the state file, if there is one, with every account as it stands now.
    fn persist(&self) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        let _persisting = lock(&self.persisting);
        let accounts: Vec<Account> = self
            .accounts
            .iter()
            .map(|slot| lock(slot).account.clone())
            .collect();
        if let Err(err) = save_state(path, &accounts) {
            eprintln!(
                "emulator: can't write the state file `{}`: {err}",
                path.display()
            );
        }
    }

    /// A copy of the statistics.
    #[must_use]
    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    /// Whether a user ID belongs to any served account, and its name and email.
    #[must_use]
    pub fn find_user(&self, user_id: &str) -> Option<(String, String, String)> {
        self.accounts.iter().find_map(|slot| {
            let slot = lock(slot);
            slot.account
                .user(user_id)
                .map(|user| (user.id.clone(), user.user_name.clone(), user.email.clone()))
        })
    }
}

/// Locks a mutex; a handler that panicked while holding it left the data as it was, which is
/// still the best answer the emulator can give.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    pub url: String,
    pub shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Running {
    /// The account served first (the default one).
    #[must_use]
    pub fn account_id(&self) -> String {
        self.shared.account_names()[0].0.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The state file's shape: `{"accounts": [...]}`, as `GET /_emulator/snapshot` answers.
#[derive(Serialize, serde::Deserialize)]
struct StateFile {
    accounts: Vec<Account>,
}

/// The most read of an emulator state file.
const MAX_STATE_BYTES: u64 = 512 << 20;

/// Reads accounts kept by `--state-file`: a regular file, never read through a link (it sits
/// next to desired state a pull request controls) and at most a bound.
pub fn load_state(path: &std::path::Path) -> Result<Vec<Account>, String> {
    let bytes = crate::confined::read_regular(path, MAX_STATE_BYTES).map_err(|err| {
        format!("{err}; the emulator keeps its accounts in a regular file, so remove it or pass another `--state-file`")
    })?;
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|err| {
        format!(
            "`{}` is not an emulator state file: {}",
            path.display(),
            crate::excerpt::quoted(&err.to_string(), 200)
        )
    })?;
    Ok(state.accounts)
}

/// Writes the state file atomically: a temporary file of its own beside it (so writers never
/// share one), synced, then renamed over. A state file that is a link or not a regular file is
/// refused, and what it points to left untouched.
fn save_state(path: &std::path::Path, accounts: &[Account]) -> std::io::Result<()> {
    if let Ok(metadata) = std::fs::symlink_metadata(path)
        && !metadata.is_file()
    {
        return Err(std::io::Error::other(format!(
            "it is {}, not a regular file; remove it",
            crate::confined::kind_of(&metadata)
        )));
    }
    let state = StateFile {
        accounts: accounts.to_vec(),
    };
    let text = serde_json::to_vec_pretty(&state).map_err(std::io::Error::other)?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".emulator-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    file.write_all(&text)?;
    file.as_file().sync_all()?;
    // On failure the temporary file is handed back and deleted when dropped.
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}

/// Starts an emulator on `addr` (use `127.0.0.1:0` for a free port) serving `accounts`.
/// Mixed into the seed for the server's own random stream (IDs of created users, tokens).
const SERVER_STREAM: u64 = 0x9e37_79b9_7f4a_7c15;

pub async fn start(
    config: Config,
    accounts: Vec<Account>,
    addr: SocketAddr,
) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let shared = Arc::new(Shared {
        tokens: Mutex::new(Tokens::from_credentials(&config.credentials)),
        // Not the seed builders' stream: the same seed there makes the seeded users' IDs, and
        // users the API creates must never get one of those.
        rng: Mutex::new(fastrand::Rng::with_seed(config.seed ^ SERVER_STREAM)),
        stats: Mutex::new(Stats::default()),
        attempts: Mutex::new(Attempts::default()),
        fault_log: Mutex::new(Vec::new()),
        persisting: Mutex::new(()),
        clock: Timepiece::start(config.clock),
        base_url: format!("http://{local}"),
        accounts: accounts
            .into_iter()
            .map(|mut account| {
                account.reindex();
                Mutex::new(Slot {
                    account,
                    limiter: Limiter::new(config.hourly_limit, config.burst_limit),
                    invariant_breaches: 0,
                })
            })
            .collect(),
        config,
    });
    let app = router(Arc::clone(&shared));
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Running {
        url: shared.base_url.clone(),
        shared,
        shutdown: Some(shutdown),
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(api::routes(&shared))
        .merge(inspect::routes())
        .with_state(shared)
}

/// The accounts to start from: the state file's when it exists (its integration user is the
/// seed's, found by email), else the seeded one.
fn initial_accounts(
    config: &Config,
    seeded: seed::Seeded,
) -> Result<(Vec<Account>, String), String> {
    Ok(match &config.state_file {
        // A link counts as there (and is then refused), even when it points to nothing.
        Some(path) if std::fs::symlink_metadata(path).is_ok() => {
            // The kept account wins; its integration user is the seed's, found by email.
            let mut accounts = load_state(path)?;
            let email = seeded
                .account
                .user(&seeded.integration_user_id)
                .map(|user| user.email.clone())
                .unwrap_or_default();
            let first = accounts
                .first_mut()
                .ok_or("the state file holds no account")?;
            first.reindex();
            let user = integration_user_in(first, &email)?;
            (accounts, user)
        }
        _ => (vec![seeded.account], seeded.integration_user_id),
    })
}

/// The ID of the user with `email` in a kept `account`: the seed's integration user, found again.
fn integration_user_in(account: &Account, email: &str) -> Result<String, String> {
    account
        .users
        .iter()
        .find(|user| crate::email::same(&user.email, email))
        .map(|user| user.id.clone())
        .ok_or_else(|| {
            format!("the state file has no user `{email}` to act as the integration user")
        })
}

/// Where the credentials a standalone emulator prints come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Minted {
    /// New on every start.
    Fresh,
    /// Drawn from the configured seed: the same on every start, for scripts.
    FromSeed,
}

/// Runs an emulator for people (`docusign-gitops emulator`) until Ctrl-C: starts from the state
/// file when it exists, else from `seed`, and prints the URL and an access token it accepts.
pub fn run_until_interrupted(
    mut config: Config,
    seed: &seed::Seed,
    addr: SocketAddr,
    minted: Minted,
) -> Result<(), String> {
    let runtime =
        tokio::runtime::Runtime::new().map_err(|err| format!("can't start the runtime: {err}"))?;
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let now = api::now();
    let seeded = seed.build(&mut rng, &now)?;
    let (accounts, integration_user) = initial_accounts(&config, seeded)?;
    if minted == Minted::Fresh {
        // Printed credentials end up in terminals and CI logs; ones that repeat on every
        // start would work for anyone who ever saw one. Account and user IDs still repeat.
        let entropy =
            getrandom::u64().map_err(|err| format!("can't draw fresh credentials: {err}"))?;
        rng = fastrand::Rng::with_seed(entropy);
    }
    let mut random = |len: usize| -> String {
        std::iter::repeat_with(|| rng.alphanumeric())
            .take(len)
            .collect()
    };
    let token = random(40);
    config
        .credentials
        .static_tokens
        .push((token.clone(), integration_user.clone()));
    // An OAuth client that may act for the integration user: by refresh token, or by JWT when
    // a public key was given. Its consent is already granted.
    if config.credentials.clients.is_empty() {
        config.credentials.clients.push(config::Client {
            id: "docusign-gitops-emulator".to_owned(),
            secret: random(32),
        });
    }
    let client = config.credentials.clients[0].clone();
    let refresh_token = random(48);
    config
        .credentials
        .refresh_tokens
        .push(config::RefreshGrant {
            token: refresh_token.clone(),
            client_id: client.id.clone(),
            user_id: integration_user.clone(),
        });
    config
        .credentials
        .consents
        .push((client.id.clone(), integration_user.clone()));
    let jwt = if config.credentials.jwt_public_key_pem.is_some() {
        "accepted for the integration user (RS256, the key given)"
    } else {
        "off (pass --jwt-public-key FILE)"
    };
    runtime.block_on(async move {
        let running = start(config, accounts, addr)
            .await
            .map_err(|err| format!("can't listen on {addr}: {err}"))?;
        let account_id = running.account_id();
        let (email, name) = running
            .shared
            .find_user(&integration_user)
            .map(|(_, name, email)| (email, name))
            .unwrap_or_default();
        // Whoever reads these lines may stop reading; a closed stdout must not stop the server.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "DocuSign emulator listening on {}", running.url);
        let _ = writeln!(out, "account:      {account_id}");
        let _ = writeln!(out, "access token: {token}  (for {name} <{email}>)");
        let _ = writeln!(out, "user id:      {integration_user}");
        let _ = writeln!(out, "client:       {} / secret {}", client.id, client.secret);
        let _ = writeln!(out, "refresh:      {refresh_token}");
        let _ = writeln!(out, "JWT grant:    {jwt}");
        let _ = writeln!(
            out,
            "try:          curl -H 'Authorization: Bearer {token}' '{}/restapi/v2.1/accounts/{account_id}/users?count=5'",
            running.url
        );
        let _ = writeln!(
            out,
            "use it:       run these in the shell you run docusign-gitops from (plan, apply, drift, auth check):"
        );
        let _ = writeln!(out, "  export DOCUSIGN_AUTH_SERVER='{}'", running.url);
        let _ = writeln!(out, "  export DOCUSIGN_ACCESS_TOKEN='{token}'");
        let _ = writeln!(out, "  export DOCUSIGN_ACCOUNT_ID='{account_id}'");
        let _ = writeln!(out, "Ctrl-C stops it.");
        let _ = out.flush();
        drop(out);
        tokio::signal::ctrl_c().await.map_err(|err| format!("can't wait for Ctrl-C: {err}"))?;
        drop(running);
        Ok(())
    })
}

/// Starts the sample account in this process (`--emulator`), on a free loopback port, and
/// returns it with an access token for its integration user.
pub async fn start_sample(config: Config) -> Result<(Running, String), String> {
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let seeded = sample::sample().build(&mut rng, &api::now())?;
    let (accounts, integration_user) = initial_accounts(&config, seeded)?;
    start_in_process(config, accounts, &integration_user, &mut rng).await
}

/// Serves `accounts` on a free loopback port, with an access token for `integration_user`
/// drawn from `rng`.
async fn start_in_process(
    mut config: Config,
    accounts: Vec<Account>,
    integration_user: &str,
    rng: &mut fastrand::Rng,
) -> Result<(Running, String), String> {
    let token: String = std::iter::repeat_with(|| rng.alphanumeric())
        .take(40)
        .collect();
    config
        .credentials
        .static_tokens
        .push((token.clone(), integration_user.to_owned()));
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = start(config, accounts, addr)
        .await
        .map_err(|err| format!("can't start the emulator: {err}"))?;
    Ok((running, token))
}

/// One account of a workspace's `--emulator`: the sample account under the workspace
/// account's name, with an ID drawn from that name so every run serves it under the same ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleAccount {
    pub id: String,
    pub name: String,
}

impl SampleAccount {
    #[must_use]
    pub fn named(name: &str) -> Self {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(format!("docusign-gitops emulator: {name}"));
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self {
            id: uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
            name: format!("Northwind Trading Co. ({name})"),
        }
    }
}

/// Starts one server with the sample account once per `wanted` account (`--emulator` on a
/// workspace), in that order, and returns it with an access token for the integration user,
/// who is a member of every one under one user ID (as is everyone the accounts share). The
/// state file's accounts win, matched by ID; one it lacks starts as the sample.
pub async fn start_samples(
    config: Config,
    wanted: &[SampleAccount],
) -> Result<(Running, String), String> {
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let now = api::now();
    let sample = sample::sample();
    let mut kept = match &config.state_file {
        // A link counts as there (and is then refused), even when it points to nothing.
        Some(path) if std::fs::symlink_metadata(path).is_ok() => load_state(path)?,
        _ => Vec::new(),
    };
    let mut people = BTreeMap::new();
    let mut accounts = Vec::new();
    let mut integration_email = None;
    for want in wanted {
        // The sample's figures and history, under the workspace account's ID and name.
        let mut seed = sample.clone();
        seed.account.id.clone_from(&want.id);
        seed.account.name.clone_from(&want.name);
        let seeded = seed.build_among(&mut rng, &now, &mut people)?;
        if integration_email.is_none() {
            integration_email = seeded
                .account
                .user(&seeded.integration_user_id)
                .map(|user| user.email.clone());
        }
        let found = kept
            .iter()
            .position(|account| account.account_id.eq_ignore_ascii_case(&want.id));
        let mut account = found.map_or(seeded.account, |index| kept.swap_remove(index));
        account.reindex();
        accounts.push(account);
    }
    let email = integration_email.ok_or("no account to serve")?;
    // Found by email in the first account, and held under the same ID in every other.
    let first = accounts.first().ok_or("no account to serve")?;
    let integration_user = integration_user_in(first, &email)?;
    if let Some(lacking) = accounts
        .iter()
        .find(|account| account.user(&integration_user).is_none())
    {
        return Err(format!(
            "the integration user `{email}` is not a member of the kept account `{}`; remove the state file to start again",
            lacking.account_name
        ));
    }
    start_in_process(config, accounts, &integration_user, &mut rng).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Config, load_state, lock, sample, save_state, start};

    /// The sample account, built from a fixed seed.
    fn sample_account() -> super::account::Account {
        let mut rng = fastrand::Rng::with_seed(7);
        sample::sample()
            .build(&mut rng, &super::api::now())
            .expect("the sample")
            .account
    }

    /// Every user's groups taken at once are the groups each user's own search finds, in the
    /// same order, closed users (out of Everyone) included.
    #[test]
    fn memberships_are_each_users_groups() {
        let mut account = sample_account();
        account.users[0].status = super::account::UserStatus::Closed;
        let memberships = account.memberships();
        let ids = |groups: Vec<&super::account::Group>| -> Vec<u64> {
            groups.iter().map(|group| group.id).collect()
        };
        let mut in_custom_groups = 0;
        for user in &account.users {
            let expected = ids(account.groups_of(user));
            in_custom_groups += usize::from(expected.len() > 1);
            assert_eq!(ids(memberships.of(user)), expected, "{}", user.email);
        }
        assert!(in_custom_groups > 0, "the sample puts users in groups");
        let closed = memberships.of(&account.users[0]);
        assert!(
            closed
                .iter()
                .all(|group| group.kind != super::account::GroupKind::Everyone),
            "a closed user is out of Everyone"
        );
    }

    /// Writers in many threads at once: each through a temporary file of its own, so none
    /// fails and no temporary file is left.
    #[test]
    fn concurrent_state_writes_never_fail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = Arc::new(dir.path().join("account.json"));
        let accounts = Arc::new(vec![sample_account()]);
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let (path, accounts) = (Arc::clone(&path), Arc::clone(&accounts));
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        save_state(&path, &accounts).expect("a write");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("a writer");
        }
        assert_eq!(load_state(&path).expect("reads").len(), 1);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["account.json"], "temporary files left behind");
    }

    /// A workspace's emulator: one account per name, each under an ID its name gives, one
    /// user ID per person across them, and a kept account (matched by ID) wins over the sample.
    #[tokio::test]
    async fn a_workspace_emulator_serves_each_account_and_keeps_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("account.json");
        let wanted = [
            super::SampleAccount::named("production"),
            super::SampleAccount::named("emea"),
        ];
        assert_ne!(wanted[0].id, wanted[1].id);
        assert_eq!(wanted[1], super::SampleAccount::named("emea"), "stable");
        let config = || Config {
            state_file: Some(path.clone()),
            ..Config::default()
        };
        let (running, _) = super::start_samples(config(), &wanted)
            .await
            .expect("start");
        let served = running.shared.account_names();
        assert_eq!(
            served.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            [wanted[0].id.as_str(), wanted[1].id.as_str()]
        );
        let ids = |index: usize| -> Vec<(String, String)> {
            let slot = lock(&running.shared.accounts[index]);
            let mut users: Vec<_> = slot
                .account
                .users
                .iter()
                .map(|user| (user.email.clone(), user.id.clone()))
                .collect();
            users.sort();
            users
        };
        assert_eq!(ids(0), ids(1), "one person, one user ID in every account");
        lock(&running.shared.accounts[1]).account.account_name = "changed".to_owned();
        running.shared.persist();
        drop(running);
        let (again, _) = super::start_samples(config(), &wanted)
            .await
            .expect("restart");
        assert_eq!(
            again.shared.account_names()[1].1,
            "changed",
            "the kept account wins"
        );
        assert_eq!(again.shared.account_names()[0].1, wanted[0].name);
    }

    /// Changes and persists from many threads: the file ends as the accounts end, whichever
    /// write took its snapshot last.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_state_file_ends_with_the_last_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("account.json");
        let config = Config {
            state_file: Some(path.clone()),
            ..Config::default()
        };
        let mut rng = fastrand::Rng::with_seed(7);
        let account = sample::sample()
            .build(&mut rng, &super::api::now())
            .expect("the sample")
            .account;
        let running = start(config, vec![account], ([127, 0, 0, 1], 0).into())
            .await
            .expect("start");
        let shared = Arc::clone(&running.shared);
        // Every round, all writers change and persist at once.
        let rounds = Arc::new(std::sync::Barrier::new(8));
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let (shared, rounds) = (Arc::clone(&shared), Arc::clone(&rounds));
                std::thread::spawn(move || {
                    for change in 0..40 {
                        rounds.wait();
                        lock(&shared.accounts[0]).account.account_name =
                            format!("writer {writer}, change {change}");
                        shared.persist();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("a writer");
        }
        let kept = load_state(&path).expect("reads");
        let now = lock(&shared.accounts[0]).account.account_name.clone();
        assert_eq!(kept[0].account_name, now);
    }
}
