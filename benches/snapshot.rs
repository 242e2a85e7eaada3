//! How long the live snapshot of a big account takes against DocuSign's burst cap, and how
//! close it comes to the fastest the cap allows.
//!
//! Run with `cargo bench --bench snapshot` (about a minute: the burst cap is the point). Builds
//! an account of 50,000 users and the administrator, 1,000 custom groups (each user in 0–5 of
//! them), 50 signing groups of up to 50 members and a few custom permission profiles, serves it
//! from the in-process emulator, and snapshots it with `docusign::snapshot`:
//!
//! - production: 50 ms latency per call and DocuSign's production burst cap (500 calls per
//!   30 s); the client's default settings, assuming that cap;
//! - demo: the same with the demo cap (200 per 30 s), on an account of 10,000 users and 200
//!   groups (the 50,000-user one would take a minute and a half);
//! - CPU: no latency and no limits, the 50,000-user account, a few runs after a warm-up.
//!
//! For the capped runs it prints two floors: (a) what the cap itself allows (the first `cap`
//! calls at once, the next `cap` 30 s later, and so on, plus one latency for the last answer),
//! and (b) what the client's own pace allows (it keeps a share of the cap for other
//! integrations: `cap × (1 − reserve)` calls per 30 s, evenly spaced, after a first burst of
//! half the reserve), and the ratio of the wall time to each. It asserts that the snapshot read
//! every user, group, signing group and membership, in the fewest calls, and that the emulator
//! refused no call for the rate limits (so the success path is what is measured), but makes no
//! assertion about time.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::snapshot::{Snapshot, snapshot};
use docusign_gitops::docusign::{Client, ClientSettings, Secret};
use docusign_gitops::emulator::account::{
    Account, Group, GroupKind, Profile, SigningGroup, SigningGroupMember, User, UserStatus,
    new_profile_settings,
};
use docusign_gitops::emulator::{self, Config, Running};

const ACCOUNT_ID: &str = "9c4e1a7b-2d3f-4b5a-8c6d-7e8f9a0b1c2d";
const ADMIN_ID: &str = "0d9b1c2e-0000-4000-8000-00000000a001";
const TOKEN: &str = "snapshot-bench-token";
const STAMP: &str = "2026-01-05T09:00:00.0000000Z";
const SEED: u64 = 0x00d0_c051_5a95_0001;

/// DocuSign's largest page, as the snapshot reads lists.
const PAGE: usize = 100;
/// The burst window of DocuSign's cap.
const WINDOW: Duration = Duration::from_secs(30);
const LATENCY: Duration = Duration::from_millis(50);
const PRODUCTION_CAP: u32 = 500;
const DEMO_CAP: u32 = 200;
/// Snapshots in the CPU run, after one warm-up.
const CPU_RUNS: usize = 5;

const CUSTOM_PROFILES: [&str; 4] = ["Reviewers", "Contract Managers", "Approvers", "Auditors"];
const MAX_GROUPS_PER_USER: usize = 5;
const SIGNING_GROUPS: usize = 50;
const MAX_SIGNING_GROUP_MEMBERS: usize = 50;
const FIRST_NAMES: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José", "Kwame",
    "Li", "Mónica", "Noah", "Olga", "Priya",
];
const LAST_NAMES: &[&str] = &[
    "Lee", "O'Neil", "García", "Müller", "Nakamura", "Okafor", "Smith", "Dubois", "Kowalski",
];
const JOB_TITLES: &[&str] = &["Account Executive", "Paralegal", "Engineer", "Controller"];

/// How big an account is: users besides the administrator, and custom groups.
#[derive(Clone, Copy)]
struct Shape {
    users: usize,
    groups: usize,
}

const LARGE: Shape = Shape {
    users: 50_000,
    groups: 1_000,
};
const SMALLER: Shape = Shape {
    users: 10_000,
    groups: 200,
};

/// The emulated account and what a snapshot of it must hold.
struct Built {
    account: Account,
    /// Users, the administrator included.
    users: usize,
    /// Groups, Administrators and Everyone included.
    groups: usize,
    /// Memberships outside Everyone, which the snapshot leaves out.
    memberships: usize,
}

impl Built {
    /// The fewest calls a snapshot can make: user pages, group pages, profiles, signing groups.
    fn minimum_calls(&self) -> u64 {
        wide(self.users.div_ceil(PAGE) + self.groups.div_ceil(PAGE) + 2)
    }
}

fn wide(n: usize) -> u64 {
    u64::try_from(n).expect("counts fit in u64")
}

fn narrow(n: u64) -> u32 {
    u32::try_from(n).expect("counts fit in u32")
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn user(id: String, email: String, name: (&str, &str), profile_id: u64) -> User {
    User {
        id,
        user_name: format!("{} {}", name.0, name.1),
        email,
        first_name: name.0.to_owned(),
        last_name: name.1.to_owned(),
        job_title: String::new(),
        status: UserStatus::Active,
        profile_id,
        created: STAMP.to_owned(),
        modified: STAMP.to_owned(),
    }
}

fn profile_id(account: &Account, name: &str) -> u64 {
    account.profile_named(name).expect("built-in").id
}

/// The custom permission profiles; returns their IDs.
fn add_profiles(account: &mut Account) -> Vec<u64> {
    CUSTOM_PROFILES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let id = account.take_id();
            let mut settings = new_profile_settings();
            settings.insert("allowBulkSending".to_owned(), (index % 2 == 0).to_string());
            account.profiles.insert(
                id,
                Profile {
                    id,
                    name: (*name).to_owned(),
                    builtin: false,
                    settings,
                    modified: STAMP.to_owned(),
                    modified_by: "bench".to_owned(),
                },
            );
            id
        })
        .collect()
}

/// The administrator: Account Administrator, in Administrators.
fn add_admin(account: &mut Account) {
    let admin_profile = profile_id(account, "Account Administrator");
    account.push_user(user(
        ADMIN_ID.to_owned(),
        "admin@example.com".to_owned(),
        ("Ada", "Admin"),
        admin_profile,
    ));
    let admins = account.group_named("Administrators").expect("built-in").id;
    account
        .groups
        .get_mut(&admins)
        .expect("group")
        .members
        .insert(ADMIN_ID.to_owned());
}

/// `count` custom groups, every tenth carrying a custom profile; returns their IDs.
fn add_groups(account: &mut Account, count: usize, custom: &[u64]) -> Vec<u64> {
    (0..count)
        .map(|n| {
            let id = account.take_id();
            account.groups.insert(
                id,
                Group {
                    id,
                    name: format!("Team {n:04}"),
                    kind: GroupKind::Custom,
                    profile_id: (n % 10 == 0).then(|| custom[n / 10 % custom.len()]),
                    members: BTreeSet::new(),
                },
            );
            id
        })
        .collect()
}

/// `count` users (one in ten closed, one in ten pending, one in fifty disabled; most on
/// DocuSign Sender, some on DocuSign Viewer or a custom profile), each in 0–5 of `groups`.
fn add_users(
    account: &mut Account,
    rng: &mut fastrand::Rng,
    count: usize,
    groups: &[u64],
    custom: &[u64],
) {
    let sender = profile_id(account, "DocuSign Sender");
    let viewer = profile_id(account, "DocuSign Viewer");
    for n in 0..count {
        let id = format!("0d9b1c2e-0000-4000-8000-{n:012}");
        let name = (
            FIRST_NAMES[rng.usize(..FIRST_NAMES.len())],
            LAST_NAMES[rng.usize(..LAST_NAMES.len())],
        );
        let profile = match rng.usize(..20) {
            0 => viewer,
            1 | 2 => custom[rng.usize(..custom.len())],
            _ => sender,
        };
        let mut record = user(id.clone(), format!("user{n:05}@example.com"), name, profile);
        record.status = match n % 50 {
            7 => UserStatus::Disabled,
            _ if n % 10 == 3 => UserStatus::Closed,
            _ if n % 10 == 8 => UserStatus::ActivationSent,
            _ => UserStatus::Active,
        };
        if rng.usize(..3) == 0 {
            JOB_TITLES[rng.usize(..JOB_TITLES.len())].clone_into(&mut record.job_title);
        }
        account.push_user(record);
        for _ in 0..rng.usize(..=MAX_GROUPS_PER_USER) {
            // A repeated draw leaves the user in fewer groups, which is fine: 0–5 it stays.
            let group = groups[rng.usize(..groups.len())];
            account
                .groups
                .get_mut(&group)
                .expect("group")
                .members
                .insert(id.clone());
        }
    }
}

/// Signing groups of up to 50 members each.
fn add_signing_groups(account: &mut Account, rng: &mut fastrand::Rng) {
    for n in 0..SIGNING_GROUPS {
        let id = account.take_id();
        let members = (0..rng.usize(..=MAX_SIGNING_GROUP_MEMBERS))
            .map(|m| SigningGroupMember {
                user_name: format!("Signer {m}"),
                email: format!("signer{m:02}.group{n:02}@example.com"),
            })
            .collect();
        account.signing_groups.insert(
            id,
            SigningGroup {
                id,
                name: format!("Signers {n:02}"),
                email: (n % 2 == 0).then(|| format!("signers{n:02}@example.com")),
                members,
                created: STAMP.to_owned(),
                created_by: "bench".to_owned(),
                modified: STAMP.to_owned(),
                modified_by: "bench".to_owned(),
            },
        );
    }
}

/// An account of the administrator, `shape.users` more users, `shape.groups` custom groups,
/// the custom profiles and the signing groups.
fn build(shape: Shape) -> Built {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut account = Account::new(ACCOUNT_ID, "Snapshot Benchmark", STAMP);
    let custom = add_profiles(&mut account);
    add_admin(&mut account);
    let groups = add_groups(&mut account, shape.groups, &custom);
    add_users(&mut account, &mut rng, shape.users, &groups, &custom);
    add_signing_groups(&mut account, &mut rng);
    let memberships = account
        .groups
        .values()
        .filter(|group| group.kind != GroupKind::Everyone)
        .map(|group| group.members.len())
        .sum();
    Built {
        users: account.users.len(),
        groups: account.groups.len(),
        memberships,
        account,
    }
}

async fn start(config: Config, account: Account) -> Running {
    let mut config = config;
    assert!(
        config.jitter.is_zero() && config.fault_rate == 0.0,
        "the benchmark measures the success path: no jitter, no faults"
    );
    config
        .credentials
        .static_tokens
        .push((TOKEN.to_owned(), ADMIN_ID.to_owned()));
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    emulator::start(config, vec![account], addr)
        .await
        .expect("start the emulator")
}

/// A fresh client (its own pacer, its own connections) for the emulator's account.
fn client_for(running: &Running, settings: ClientSettings) -> Arc<Client> {
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url);
    Arc::new(Client::new(http, &api_base, auth, settings))
}

/// Checks that the snapshot read everything, in the fewest calls.
fn check(live: &Snapshot, built: &Built, label: &str) {
    assert_eq!(
        live.account.users.len(),
        built.users,
        "{label}: the snapshot must hold every user"
    );
    assert_eq!(
        live.account.groups.len(),
        built.groups,
        "{label}: the snapshot must hold every group"
    );
    assert_eq!(
        live.account.signing_groups.len(),
        SIGNING_GROUPS,
        "{label}: the snapshot must hold every signing group"
    );
    assert_eq!(
        live.account.permission_profiles.len(),
        3 + CUSTOM_PROFILES.len(),
        "{label}: the snapshot must hold every permission profile"
    );
    let memberships: usize = live
        .account
        .users
        .values()
        .map(|user| user.groups.len())
        .sum();
    assert_eq!(
        memberships, built.memberships,
        "{label}: the snapshot must hold every membership"
    );
    assert!(
        live.memberships_from_user_records,
        "{label}: memberships must come from the user records' groupList"
    );
    assert_eq!(
        live.calls,
        built.minimum_calls(),
        "{label}: the snapshot must make the fewest calls"
    );
}

/// Floor (a): what the cap itself allows. It counts the calls of the last 30 s, so the first
/// `cap` calls may go at once, the next `cap` 30 s later, and so on; the last answer comes one
/// latency after the last call.
fn cap_floor(calls: u64, cap: u32, latency: Duration) -> Duration {
    let later_windows = calls
        .saturating_sub(u64::from(cap))
        .div_ceil(u64::from(cap));
    WINDOW * narrow(later_windows) + latency
}

/// The client's pace under a cap: calls per window and the first burst, as `pacing.rs` sets
/// its limiter (our share of the cap, evenly spaced, after a burst of half the reserve).
fn paced(cap: u32, reserve_share: f64) -> (u32, u32) {
    let allowed = (f64::from(cap) * (1.0 - reserve_share)).floor().max(1.0);
    // `allowed` is a whole number no larger than `cap`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let allowed = allowed as u32;
    (allowed, (cap.saturating_sub(allowed) / 2).max(1))
}

/// Floor (b): what the client's own pace allows: the first `burst` calls at once, then one
/// every `30 s / allowed`; the last answer comes one latency after the last call.
fn paced_floor(calls: u64, cap: u32, reserve_share: f64, latency: Duration) -> Duration {
    let (allowed, burst) = paced(cap, reserve_share);
    let period = WINDOW / allowed;
    period * narrow(calls.saturating_sub(u64::from(burst))) + latency
}

/// One row of the summary.
struct Row {
    label: String,
    users: usize,
    groups: usize,
    calls: u64,
    minimum: u64,
    wall: Duration,
    /// Floors (a) and (b), for the capped runs.
    floors: Option<(Duration, Duration)>,
}

/// A capped run: one snapshot with the client's default settings assuming `cap`.
async fn capped(label: &str, shape: Shape, config: Config, cap: u32) -> Row {
    let built = build(shape);
    let (users, groups, minimum) = (built.users, built.groups, built.minimum_calls());
    let running = start(config.clone(), built.account.clone()).await;
    let settings = ClientSettings {
        assumed_burst_limit: u64::from(cap),
        ..ClientSettings::default()
    };
    let reserve_share = settings.reserve_share;
    let (allowed, burst) = paced(cap, reserve_share);
    println!(
        "{label}: {users} users, {groups} groups, {} memberships, {SIGNING_GROUPS} signing groups; \
         latency {} ms, burst cap {} per 30 s, hourly {}; the client keeps {:.0}% in reserve: \
         {allowed} calls per 30 s after a first burst of {burst}",
        built.memberships,
        LATENCY.as_millis(),
        config.burst_limit,
        config.hourly_limit,
        reserve_share * 100.0,
    );
    let client = client_for(&running, settings);
    let start = Instant::now();
    let live = snapshot(&client).await.expect("a snapshot");
    let wall = start.elapsed();
    check(&live, &built, label);
    let stats = running.shared.stats();
    assert_eq!(
        stats.rate_limit_rejections, 0,
        "{label}: the emulator must refuse no call for the rate limits"
    );
    assert_eq!(
        stats.total_calls, live.calls,
        "{label}: the emulator must have served exactly the snapshot's calls"
    );
    let full = cap_floor(live.calls, cap, config.latency);
    let ours = paced_floor(live.calls, cap, reserve_share, config.latency);
    println!(
        "{label}: {} calls (minimum {minimum}) in {:.2} s, {:.1} calls/s; floor (a) full cap \
         {:.2} s, wall/floor {:.2}; floor (b) our 80% pace {:.2} s, wall/floor {:.2}",
        live.calls,
        seconds(wall),
        f64::from(narrow(live.calls)) / seconds(wall),
        seconds(full),
        seconds(wall) / seconds(full),
        seconds(ours),
        seconds(wall) / seconds(ours),
    );
    Row {
        label: label.to_owned(),
        users,
        groups,
        calls: live.calls,
        minimum,
        wall,
        floors: Some((full, ours)),
    }
}

/// The CPU run: no latency, no limits, one emulator, a fresh client per snapshot.
async fn cpu(label: &str, shape: Shape) -> Row {
    let built = build(shape);
    let (users, groups, minimum) = (built.users, built.groups, built.minimum_calls());
    let config = Config {
        hourly_limit: u32::MAX,
        burst_limit: u32::MAX,
        ..Config::default()
    };
    assert!(
        config.latency.is_zero(),
        "the default emulator has no latency"
    );
    let running = start(config, built.account.clone()).await;
    let settings = ClientSettings {
        assumed_burst_limit: u64::from(u32::MAX),
        ..ClientSettings::default()
    };
    println!(
        "{label}: {users} users, {groups} groups; no latency, no limits; one warm-up, then \
         {CPU_RUNS} snapshots; nproc {} (= tokio worker threads, shared with the emulator)",
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    );
    let mut times = Vec::with_capacity(CPU_RUNS);
    let mut calls = 0;
    for run in 0..=CPU_RUNS {
        let client = client_for(&running, settings.clone());
        let start = Instant::now();
        let live = snapshot(&client).await.expect("a snapshot");
        let wall = start.elapsed();
        check(&live, &built, label);
        calls = live.calls;
        if run > 0 {
            times.push(wall);
        }
    }
    let stats = running.shared.stats();
    assert_eq!(
        stats.rate_limit_rejections, 0,
        "{label}: the emulator must refuse no call"
    );
    assert_eq!(stats.total_calls, calls * wide(CPU_RUNS + 1));
    times.sort_unstable();
    let median = times[times.len() / 2];
    println!(
        "{label}: {calls} calls (minimum {minimum}); min {:.3} s, median {:.3} s, max {:.3} s: \
         {:.0} calls/s, {:.0} users/s at the median",
        seconds(times[0]),
        seconds(median),
        seconds(times[times.len() - 1]),
        f64::from(narrow(calls)) / seconds(median),
        f64::from(u32::try_from(users).expect("fits")) / seconds(median),
    );
    Row {
        label: label.to_owned(),
        users,
        groups,
        calls,
        minimum,
        wall: median,
        floors: None,
    }
}

fn summary(rows: &[Row]) {
    println!();
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>6} {:>9} {:>11} {:>8} {:>11} {:>8}",
        "run",
        "users",
        "groups",
        "calls",
        "min",
        "wall s",
        "floor(a) s",
        "wall/(a)",
        "floor(b) s",
        "wall/(b)"
    );
    for row in rows {
        let (full, full_ratio, ours, ours_ratio) = row.floors.map_or_else(
            || {
                (
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                )
            },
            |(full, ours)| {
                (
                    format!("{:.2}", seconds(full)),
                    format!("{:.2}", seconds(row.wall) / seconds(full)),
                    format!("{:.2}", seconds(ours)),
                    format!("{:.2}", seconds(row.wall) / seconds(ours)),
                )
            },
        );
        println!(
            "{:<28} {:>6} {:>6} {:>6} {:>6} {:>9.3} {full:>11} {full_ratio:>8} {ours:>11} {ours_ratio:>8}",
            row.label,
            row.users,
            row.groups,
            row.calls,
            row.minimum,
            seconds(row.wall),
        );
    }
    println!(
        "users and groups count the administrator and the two built-in groups; min = ⌈U/100⌉ + \
         ⌈G/100⌉ + 2; floor (a): the cap's own (cap calls at once, the next cap 30 s later), \
         floor (b): the client's 80% pace (cap × 0.8 per 30 s after a burst of cap × 0.1); both \
         plus one latency"
    );
}

async fn run() {
    let production = Config {
        latency: LATENCY,
        hourly_limit: 1_000_000,
        ..Config::default()
    };
    assert_eq!(
        production.burst_limit, PRODUCTION_CAP,
        "the default emulator has DocuSign's production burst cap"
    );
    let demo = Config {
        latency: LATENCY,
        hourly_limit: 1_000_000,
        ..Config::demo()
    };
    assert_eq!(demo.burst_limit, DEMO_CAP, "the demo emulator's burst cap");
    let rows = vec![
        capped("production (500/30 s)", LARGE, production, PRODUCTION_CAP).await,
        capped("demo (200/30 s)", SMALLER, demo, DEMO_CAP).await,
        cpu("no latency, no cap", LARGE).await,
    ];
    summary(&rows);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}
