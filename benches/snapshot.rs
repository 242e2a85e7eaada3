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
//! integrations: `cap × (1 − reserve)` calls in any 30 s, sent at once), and the ratio of the
//! wall time to each. It asserts that the snapshot read
//! every user, group, signing group and membership, in the fewest calls, and that the emulator
//! refused no call for the rate limits (so the success path is what is measured), but makes no
//! assertion about time.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::time::{Duration, Instant};

use docusign_gitops::docusign::ClientSettings;
use docusign_gitops::docusign::snapshot::{Snapshot, snapshot};
use docusign_gitops::emulator::Config;

use common::emulated::{Built, Memberships, SIGNING_GROUPS, Shape, build, client_for, start};
use common::floor::{cap_floor, narrow, paced, paced_floor, wide};

const LATENCY: Duration = Duration::from_millis(50);
const PRODUCTION_CAP: u32 = 500;
const DEMO_CAP: u32 = 200;
/// Snapshots in the CPU run, after one warm-up.
const CPU_RUNS: usize = 5;

const LARGE: Shape = Shape {
    users: 50_000,
    groups: 1_000,
    departments: 0,
};
const SMALLER: Shape = Shape {
    users: 10_000,
    groups: 200,
    departments: 0,
};

/// The snapshot must hold exactly the emulated account, in the fewest calls.
fn check(live: &Snapshot, built: &Built, label: &str) {
    common::emulated::check(live, built, Memberships::InUserRecords, label);
    assert_eq!(
        live.calls,
        built.minimum(Memberships::InUserRecords).calls,
        "{label}: the snapshot must make the fewest calls"
    );
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
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
    let (users, groups, minimum) = (
        built.users,
        built.groups,
        built.minimum(Memberships::InUserRecords).calls,
    );
    let running = start(config.clone(), built.account.clone()).await;
    let settings = ClientSettings {
        assumed_burst_limit: u64::from(cap),
        ..ClientSettings::default()
    };
    let reserve_share = settings.reserve_share;
    let allowed = paced(cap, reserve_share);
    println!(
        "{label}: {users} users, {groups} groups, {} memberships, {SIGNING_GROUPS} signing groups; \
         latency {} ms, burst cap {} per 30 s, hourly {}; the client keeps {:.0}% in reserve: \
         {allowed} calls in any 30 s, at once",
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
    let (users, groups, minimum) = (
        built.users,
        built.groups,
        built.minimum(Memberships::InUserRecords).calls,
    );
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
         floor (b): the client's 80% pace (cap × 0.8 in any 30 s, sent at once); both \
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
