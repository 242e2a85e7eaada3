//! The scale benchmark of the issue "benchmarks at scale": what a snapshot, a plan and an
//! apply cost at 1,000 to 100,000 users, side by side with the minimum the API allows, with
//! the per-user reading many connectors still do, and with the floor DocuSign's burst cap sets.
//!
//! Run with `cargo bench --bench scale` (a few minutes: the burst cap is the point). It prints
//! one markdown table and writes it to `target/scale-bench.md` (`$CARGO_TARGET_DIR` when set).
//!
//! - Snapshot: accounts of 1,000 / 10,000 / 50,000 users and 50 / 500 / 1,000 custom groups
//!   (20 of them department-wide, every user in one; the rest teams, each user in 0–5), 50
//!   signing groups of up to 50 members and four custom profiles (`common/emulated.rs`),
//!   served by the in-process emulator with 50 ms latency and DocuSign's production limits
//!   (3,000 calls an hour, 500 per 30 s), read by `docusign::snapshot` with the client's
//!   production settings. Calls next to the minimum (⌈U/100⌉ + ⌈G/100⌉ + 2) and next to a
//!   per-user read (the minimum + one call per user); the wall time next to the burst-cap floor.
//! - Plan: the planner's CPU time and peak memory for 1,000 to 100,000 users
//!   (`common/planning.rs`: a month of HR changes), each run in a fresh process.
//! - Apply, on the 10,000-user account: onboarding 1,000 users into 10 plain groups, offboarding
//!   500 (closed in the YAML), and a reorganisation that moves 2,500 users from their
//!   department to the next (5,000 membership changes across the 20 departments). The calls
//!   `apply::execute` made (cross-checked with the emulator's `/_emulator/stats`) next to the
//!   plan's bulk minimum (`plan::batching`), and its wall time next to the burst-cap floor.
//!   Each runs three times in two ways: as `apply` runs it (the client that has just read the
//!   account executes the plan), and with a fresh client (its limiter untouched), which tells
//!   the client's pace from the API's own cost. After every run a fresh snapshot must show
//!   every touched user as the YAML has it and a new plan must be empty, or the benchmark fails.
//! - Beside each snapshot and apply, the same work with no latency and no limits: its wall time
//!   and its CPU time, the tool's and the emulator's apart (the emulator serves from a runtime
//!   of its own, whose threads are named `emulator`): the work that is not waiting.
//!
//! Every snapshot and apply runs against a fresh emulator, so a fresh account and fresh rate
//! limits: the measurements together make more than the 3,000 calls an hour one account
//! allows. The floors: calls are made in rounds that depend on each other (a snapshot learns
//! how many pages there are from the first page, so its floor is two round trips; each apply
//! phase is a barrier), and the floor is the time the last answer arrives if every call is sent
//! as soon as its round may start and the cap (500 in any 30 s) lets it (`common/floor.rs`).
//! The benchmark asserts correctness, never time.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docusign_gitops::apply::{self, Progress};
use docusign_gitops::desired::Desired;
use docusign_gitops::desired::checked::{Policy, UnmanagedUsers};
use docusign_gitops::docusign::snapshot::{Snapshot, snapshot};
use docusign_gitops::docusign::{Client, ClientSettings};
use docusign_gitops::emulator::account::Account as EmulatedAccount;
use docusign_gitops::emulator::{Config, Running};
use docusign_gitops::model::{Account, BuiltinGroup, BuiltinProfile, EmailKey, User, UserStatus};
use docusign_gitops::plan::{self, Context, GuardClass, Phase, Plan};
use tokio::runtime::Handle;

use common::child::{self, Figures, as_f64, mb, ms, spread};
use common::emulated::{self, ADMIN_EMAIL, Built, Shape, department_name};
use common::floor::{self, Pace, rounds_floor, wide};
use common::planning;
use common::procfs::{TICKS_PER_SECOND, machine_busy_ticks, process_cpu_ticks, threads_cpu_ns};

const CHILD_ENV: &str = "SCALE_BENCH_CHILD";

/// DocuSign's defaults in production.
const LATENCY: Duration = Duration::from_millis(50);
const BURST_CAP: u32 = 500;
const HOURLY_LIMIT: u32 = 3_000;

/// The targets of the issue.
const TARGET_CALLS: f64 = 1.05;
const TARGET_WALL: f64 = 1.2;
const TARGET_PLAN_CPU_MS: f64 = 1000.0;
const TARGET_PLAN_PEAK_MB: f64 = 500.0;

const DEPARTMENTS: usize = 20;
/// The snapshot sizes, and the snapshots of each (a fresh emulator each); the median counts.
const SNAPSHOTS: [(Shape, usize); 3] = [
    (
        Shape {
            users: 1_000,
            groups: 50,
            departments: DEPARTMENTS,
        },
        3,
    ),
    (
        Shape {
            users: 10_000,
            groups: 500,
            departments: DEPARTMENTS,
        },
        3,
    ),
    (
        Shape {
            users: 50_000,
            groups: 1_000,
            departments: DEPARTMENTS,
        },
        1,
    ),
];
/// The account the applies change.
const APPLY_SHAPE: Shape = SNAPSHOTS[1].0;
const PLAN_SHAPES: [planning::Shape; 4] = [
    planning::Shape {
        users: 1_000,
        groups: 50,
    },
    planning::Shape {
        users: 10_000,
        groups: 500,
    },
    planning::Shape {
        users: 50_000,
        groups: 1_000,
    },
    planning::Shape {
        users: 100_000,
        groups: 2_000,
    },
];
/// Fresh processes per plan size.
const PLAN_RUNS: usize = 3;
/// Runs with no latency and no limits per snapshot size and apply scenario.
const BARE_RUNS: usize = 3;
/// Runs of each apply with DocuSign's limits (a fresh emulator each); the median counts.
const APPLY_RUNS: usize = 3;

const ONBOARDED: usize = 1_000;
const ONBOARD_GROUPS: usize = 10;
const OFFBOARDED: usize = 500;
const MOVED: usize = 2_500;

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// A target of the issue and whether this run met it.
struct Verdict {
    target: String,
    met: bool,
}

impl Verdict {
    fn at_most(what: &str, limit: f64, unit: &str, value: f64) -> Self {
        Self {
            target: format!("{what} ≤ {limit}{unit}"),
            met: value <= limit,
        }
    }

    fn under(what: &str, limit: f64, unit: &str, value: f64) -> Self {
        Self {
            target: format!("{what} < {limit:.0} {unit}"),
            met: value < limit,
        }
    }
}

/// One row; a cell the measurement has nothing for is a dash.
#[derive(Default)]
struct Row {
    what: String,
    calls: Option<String>,
    minimum: Option<u64>,
    calls_ratio: Option<f64>,
    per_user: Option<String>,
    wall: Option<Duration>,
    floor: Option<Duration>,
    /// Wall and CPU time of the same work with no latency and no limits.
    bare: Option<(Duration, Cpu)>,
    cpu_ms: Option<String>,
    peak_mb: Option<f64>,
    verdicts: Vec<Verdict>,
}

impl Row {
    fn wall_ratio(&self) -> Option<f64> {
        Some(self.wall?.as_secs_f64() / self.floor?.as_secs_f64())
    }
}

fn dash<T>(cell: Option<T>, show: impl FnOnce(T) -> String) -> String {
    cell.map_or_else(|| "–".to_owned(), show)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn secs(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 10.0 {
        format!("{seconds:.3} s")
    } else {
        format!("{seconds:.1} s")
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| measurement | calls | minimum | calls ÷ min | per-user read | wall | burst-cap floor \
         | wall ÷ floor | no latency, no cap: wall (CPU tool + emulator) | plan CPU | peak RSS \
         | targets of the issue |\n",
    );
    out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for row in rows {
        let verdicts = row
            .verdicts
            .iter()
            .map(|verdict| {
                format!(
                    "{}: {}",
                    verdict.target,
                    if verdict.met { "met" } else { "**MISSED**" }
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.what,
            dash(row.calls.clone(), |calls| calls),
            dash(row.minimum, thousands),
            dash(row.calls_ratio, |ratio| format!("{ratio:.2}")),
            dash(row.per_user.clone(), |text| text),
            dash(row.wall, secs),
            dash(row.floor, secs),
            dash(row.wall_ratio(), |ratio| format!("{ratio:.2}")),
            dash(row.bare, |(wall, cpu)| format!(
                "{} ({} + {})",
                secs(wall),
                secs(cpu.tool),
                secs(cpu.emulator)
            )),
            dash(row.cpu_ms.clone(), |text| text),
            dash(row.peak_mb, |peak| format!("{peak:.0} MB")),
            if verdicts.is_empty() {
                "–".to_owned()
            } else {
                verdicts
            },
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The emulator and the client
// ---------------------------------------------------------------------------------------------

/// The emulator's limits and the client's settings for one measurement.
#[derive(Clone, Debug)]
struct Limits {
    config: Config,
    client: ClientSettings,
}

impl Limits {
    /// DocuSign's production defaults with the benchmark's latency, and the client's settings
    /// as the CLI sets them for production.
    fn production() -> Self {
        let config = Config {
            latency: LATENCY,
            ..Config::default()
        };
        assert_eq!(
            (config.hourly_limit, config.burst_limit),
            (HOURLY_LIMIT, BURST_CAP),
            "the default emulator has DocuSign's production limits"
        );
        Self {
            config,
            client: production_client(),
        }
    }

    /// No latency and no limits: what is left is the work of the client, the emulator and
    /// the tool's own bookkeeping.
    fn none() -> Self {
        let config = Config {
            hourly_limit: u32::MAX,
            burst_limit: u32::MAX,
            ..Config::default()
        };
        assert!(
            config.latency.is_zero(),
            "the default emulator has no latency"
        );
        Self {
            config,
            client: ClientSettings {
                assumed_burst_limit: u64::from(u32::MAX),
                ..ClientSettings::default()
            },
        }
    }
}

/// The client's settings as the CLI sets them for production.
fn production_client() -> ClientSettings {
    ClientSettings {
        assumed_burst_limit: u64::from(BURST_CAP),
        ..ClientSettings::default()
    }
}

fn client_pace() -> Pace {
    Pace::of_client(BURST_CAP, production_client().reserve_share)
}

/// The emulator's threads are named so, to tell its CPU time from the tool's.
const EMULATOR_THREADS: &str = "emulator";

/// CPU time, split between the tool (the client, snapshot, plan and apply: every thread but
/// the emulator's) and the emulator, which serves from a runtime of its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Cpu {
    tool: Duration,
    emulator: Duration,
}

impl Cpu {
    fn now() -> Self {
        let mut cpu = Self::default();
        for (name, ns) in threads_cpu_ns() {
            if name.starts_with(EMULATOR_THREADS) {
                cpu.emulator += Duration::from_nanos(ns);
            } else {
                cpu.tool += Duration::from_nanos(ns);
            }
        }
        cpu
    }

    fn since(self, before: Self) -> Self {
        Self {
            tool: self.tool.saturating_sub(before.tool),
            emulator: self.emulator.saturating_sub(before.emulator),
        }
    }
}

/// Wall time and CPU time of `work`.
async fn timed<T>(work: impl Future<Output = T>) -> (T, Duration, Cpu) {
    let cpu = Cpu::now();
    let start = Instant::now();
    let out = work.await;
    let wall = start.elapsed();
    (out, wall, Cpu::now().since(cpu))
}

/// The median of some (wall, CPU) pairs, by wall time.
fn median(mut runs: Vec<(Duration, Cpu)>) -> (Duration, Cpu) {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

/// Starts an emulator on the emulator's own runtime, so its work runs on its own threads.
async fn serve(emulator: &Handle, config: Config, account: EmulatedAccount) -> Running {
    emulator
        .spawn(emulated::start(config, account))
        .await
        .expect("start the emulator")
}

/// What the emulator has served, from `GET /_emulator/stats`.
#[derive(Clone, Copy, Debug, Default)]
struct Served {
    total: u64,
    writes: u64,
    rejections: u64,
    breaches: u64,
}

async fn served(running: &Running) -> Served {
    let stats: serde_json::Value = reqwest::get(format!("{}/_emulator/stats", running.url))
        .await
        .expect("the emulator's stats")
        .json()
        .await
        .expect("stats as JSON");
    let number = |key: &str| stats[key].as_u64().expect("a count");
    let writes = stats["calls"]
        .as_object()
        .expect("calls per endpoint")
        .iter()
        .filter(|(endpoint, _)| !endpoint.starts_with("GET "))
        .map(|(_, count)| count.as_u64().expect("a count"))
        .sum();
    Served {
        total: number("total_calls"),
        writes,
        rejections: number("rate_limit_rejections"),
        breaches: number("invariant_breaches"),
    }
}

/// Reads the account and checks the read is whole and in the fewest calls.
async fn read(client: &Arc<Client>, built: &Built, label: &str) -> Snapshot {
    let live = snapshot(client).await.expect("a snapshot");
    emulated::check(&live, built, label);
    live
}

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

/// The rounds of a snapshot: the first page of users and of groups, the profiles and the
/// signing groups at once; then the other pages, once the first pages have said how many.
fn snapshot_rounds(calls: u64) -> [u64; 2] {
    [4, calls - 4]
}

/// What reading every user one by one after the lists would take, at the least.
fn per_user_read(minimum: u64, users: usize) -> String {
    let calls = minimum + wide(users);
    let least = if calls > u64::from(HOURLY_LIMIT) {
        // The hourly budget resets at the top of each clock hour: past it, wait for the next.
        format!(
            "≥ {} h",
            calls.div_ceil(u64::from(HOURLY_LIMIT)).saturating_sub(1)
        )
    } else {
        format!(
            "≥ {}",
            secs(rounds_floor(
                &[4, minimum - 4, wide(users)],
                BURST_CAP,
                None,
                LATENCY
            ))
        )
    };
    format!("{} ({least})", thousands(calls))
}

/// One snapshot on a fresh emulator: its calls, wall time and CPU time.
async fn run_snapshot(
    emulator: &Handle,
    built: &Built,
    limits: &Limits,
    label: &str,
) -> (u64, Duration, Cpu) {
    let running = serve(emulator, limits.config.clone(), built.account.clone()).await;
    let client = emulated::client_for(&running, limits.client.clone());
    let (live, wall, cpu) = timed(Box::pin(read(&client, built, label))).await;
    let served = served(&running).await;
    assert_eq!(
        served.rejections, 0,
        "{label}: the emulator must refuse no call for the rate limits"
    );
    assert_eq!(
        served.total, live.calls,
        "{label}: the emulator must have served exactly the snapshot's calls"
    );
    (live.calls, wall, cpu)
}

async fn snapshot_row(lab: &mut Lab, shape: Shape, runs: usize) -> Row {
    let built = emulated::build(shape);
    let label = format!(
        "snapshot: {} users, {} groups",
        thousands(wide(built.users)),
        thousands(wide(built.groups))
    );
    let minimum = built.minimum_calls();
    let mut walls = Vec::new();
    let mut calls = 0;
    for _ in 0..runs {
        let (made, wall, _) =
            run_snapshot(&lab.emulator, &built, &Limits::production(), &label).await;
        lab.emulators += 1;
        lab.served += made;
        calls = made;
        walls.push(wall);
    }
    let mut bare = Vec::new();
    for _ in 0..BARE_RUNS {
        let (made, wall, cpu) = run_snapshot(&lab.emulator, &built, &Limits::none(), &label).await;
        lab.emulators += 1;
        lab.served += made;
        bare.push((wall, cpu));
    }
    walls.sort_unstable();
    let wall = walls[walls.len() / 2];
    let floor = rounds_floor(&snapshot_rounds(calls), BURST_CAP, None, LATENCY);
    let paced = rounds_floor(
        &snapshot_rounds(calls),
        BURST_CAP,
        Some(client_pace()),
        LATENCY,
    );
    let calls_ratio = as_f64(calls) / as_f64(minimum);
    let wall_ratio = wall.as_secs_f64() / floor.as_secs_f64();
    lab.notes.push(format!(
        "{label}: {} memberships; wall times of {runs} run(s): {}; the client's own pace \
         (80% of the cap, {} calls, at once; the next {} a window later) allows no less than \
         {}, and the wall time is {:.2}× that",
        thousands(wide(built.memberships)),
        walls
            .iter()
            .map(|wall| secs(*wall))
            .collect::<Vec<_>>()
            .join(", "),
        client_pace().allowed,
        client_pace().allowed,
        secs(paced),
        wall.as_secs_f64() / paced.as_secs_f64(),
    ));
    eprintln!("{label}: {calls} calls, {}", secs(wall));
    Row {
        what: label,
        calls: Some(thousands(calls)),
        minimum: Some(minimum),
        calls_ratio: Some(calls_ratio),
        per_user: Some(per_user_read(minimum, built.users)),
        wall: Some(wall),
        floor: Some(floor),
        bare: Some(median(bare)),
        verdicts: vec![
            Verdict::at_most("calls", TARGET_CALLS, "× min", calls_ratio),
            Verdict::at_most("wall", TARGET_WALL, "× floor", wall_ratio),
        ],
        ..Row::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------------

/// The YAML an administrator would keep for the account as it is: every custom profile, group
/// and signing group, every user (closed ones closed), no DocuSign IDs.
fn desired_from(live: &Account) -> Desired {
    let mut state = live.clone();
    state
        .permission_profiles
        .retain(|_, profile| BuiltinProfile::from_name(&profile.name).is_none());
    state
        .groups
        .retain(|_, group| BuiltinGroup::from_name(&group.name).is_none());
    for profile in state.permission_profiles.values_mut() {
        profile.id = None;
    }
    for group in state.groups.values_mut() {
        group.id = None;
    }
    for group in state.signing_groups.values_mut() {
        group.id = None;
    }
    for user in state.users.values_mut() {
        user.id = None;
        // The YAML says only active or closed.
        if user.status != UserStatus::Closed {
            user.status = UserStatus::Active;
        }
    }
    Desired {
        account: None,
        default_profile: BuiltinProfile::DocuSignViewer.api_name().to_owned(),
        policy: Policy {
            unmanaged_users: UnmanagedUsers::Report,
            ..Policy::default()
        },
        state,
    }
}

fn context(client: &Client) -> Context {
    Context {
        integration_user: Some(ADMIN_EMAIL.to_owned()),
        allowed: GuardClass::ALL.to_vec(),
        hourly_remaining: client.budget().hourly_remaining,
        ..Context::default()
    }
}

/// Who the change touches: users with their emails, in order.
fn spread_pick(candidates: &[&User], count: usize) -> Vec<EmailKey> {
    assert!(
        candidates.len() >= count,
        "{} candidates for {count} users",
        candidates.len()
    );
    let step = candidates.len() / count;
    candidates
        .iter()
        .step_by(step)
        .take(count)
        .map(|user| EmailKey::new(&user.email))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Onboard,
    Offboard,
    Reorganise,
}

impl Scenario {
    const ALL: [Self; 3] = [Self::Onboard, Self::Offboard, Self::Reorganise];

    fn title(self) -> String {
        match self {
            Self::Onboard => format!(
                "onboard {} users into {ONBOARD_GROUPS} plain groups",
                thousands(wide(ONBOARDED))
            ),
            Self::Offboard => format!("offboard {} users", thousands(wide(OFFBOARDED))),
            Self::Reorganise => format!(
                "reorganise: move {} memberships ({} users change department)",
                thousands(wide(2 * MOVED)),
                thousands(wide(MOVED))
            ),
        }
    }

    /// The YAML after the change, and the users it touches.
    fn desired(self, base: &Desired, live: &Account) -> (Desired, Vec<EmailKey>) {
        let mut desired = base.clone();
        let users = &mut desired.state.users;
        let others: Vec<&User> = live
            .users
            .values()
            .filter(|user| !user.email.eq_ignore_ascii_case(ADMIN_EMAIL))
            .collect();
        let touched = match self {
            Self::Onboard => {
                let plain: Vec<String> = live
                    .groups
                    .values()
                    .filter(|group| {
                        group.name.starts_with("Team ") && group.permission_profile.is_none()
                    })
                    .take(ONBOARD_GROUPS)
                    .map(|group| group.name.clone())
                    .collect();
                assert_eq!(plain.len(), ONBOARD_GROUPS, "enough plain teams");
                (0..ONBOARDED)
                    .map(|n| {
                        let email = format!("hire{n:04}@example.com");
                        let key = EmailKey::new(&email);
                        users.insert(
                            key.clone(),
                            User {
                                id: None,
                                email,
                                first_name: "Nina".to_owned(),
                                last_name: format!("Hire {n:04}"),
                                job_title: Some("Associate".to_owned()),
                                permission_profile: BuiltinProfile::DocuSignSender
                                    .api_name()
                                    .to_owned(),
                                groups: BTreeSet::from([plain[n % ONBOARD_GROUPS].clone()]),
                                status: UserStatus::Active,
                                managed_by_scim: false,
                            },
                        );
                        key
                    })
                    .collect()
            }
            Self::Offboard => {
                let active: Vec<&User> = others
                    .into_iter()
                    .filter(|user| user.status == UserStatus::Active)
                    .collect();
                let picked = spread_pick(&active, OFFBOARDED);
                for key in &picked {
                    users.get_mut(key).expect("a desired user").status = UserStatus::Closed;
                }
                picked
            }
            Self::Reorganise => {
                let open: Vec<&User> = others
                    .into_iter()
                    .filter(|user| matches!(user.status, UserStatus::Active | UserStatus::Pending))
                    .collect();
                let picked = spread_pick(&open, MOVED);
                let departments: Vec<String> = (0..DEPARTMENTS).map(department_name).collect();
                for key in &picked {
                    let groups = &mut users.get_mut(key).expect("a desired user").groups;
                    let from = departments
                        .iter()
                        .position(|name| groups.contains(name))
                        .expect("every user is in a department");
                    groups.remove(&departments[from]);
                    groups.insert(departments[(from + 1) % DEPARTMENTS].clone());
                }
                picked
            }
        };
        (desired, touched)
    }

    /// The plan must hold exactly the change, and DocuSign's bulk minimum for it.
    fn check_plan(self, plan: &Plan) {
        let (expected, minimum): (Vec<(&str, usize)>, u64) = match self {
            Self::Onboard => (
                vec![("add_member", ONBOARDED), ("create_user", ONBOARDED)],
                wide(ONBOARDED.div_ceil(500)),
            ),
            Self::Offboard => (vec![("close_user", OFFBOARDED)], 1),
            Self::Reorganise => (
                vec![("add_member", MOVED), ("remove_member", MOVED)],
                wide(2 * DEPARTMENTS),
            ),
        };
        let summary: Vec<(&str, usize)> = plan
            .summary
            .iter()
            .map(|(kind, count)| (kind.as_str(), *count))
            .collect();
        assert_eq!(summary, expected, "{}: the plan's changes", self.title());
        assert_eq!(
            plan.api_calls,
            minimum,
            "{}: the plan's call count",
            self.title()
        );
        assert!(plan.refusals().is_empty(), "every guard class is allowed");
    }
}

/// Whether the executing client is the one that just read the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// As `apply` runs: read the account, plan, execute, all with one client.
    AfterRead,
    /// A client whose limiter has sent nothing yet.
    FreshClient,
}

impl Variant {
    const ALL: [Self; 2] = [Self::AfterRead, Self::FreshClient];

    const fn title(self) -> &'static str {
        match self {
            Self::AfterRead => "after its read",
            Self::FreshClient => "fresh client",
        }
    }
}

/// The calls each phase of an apply made, from the client's counter at its start and end.
struct Phases {
    client: Arc<Client>,
    log: Mutex<Vec<PhaseLog>>,
}

/// A phase's calls (the client's counter at its start and end) and when it started and ended.
struct PhaseLog {
    phase: Phase,
    calls: (u64, u64),
    time: (Instant, Instant),
}

impl Progress for Phases {
    fn phase_started(&self, phase: Phase, _steps: usize) {
        let calls = self.client.calls();
        let now = Instant::now();
        self.log.lock().expect("the phase log").push(PhaseLog {
            phase,
            calls: (calls, calls),
            time: (now, now),
        });
    }

    fn phase_finished(&self, phase: Phase) {
        let mut log = self.log.lock().expect("the phase log");
        let last = log.last_mut().expect("a started phase");
        assert_eq!(last.phase, phase, "phases end in the order they start");
        last.calls.1 = self.client.calls();
        last.time.1 = Instant::now();
    }
}

/// The touched users must be in DocuSign as the YAML has them.
fn verify_touched(scenario: Scenario, fresh: &Account, desired: &Desired, touched: &[EmailKey]) {
    for key in touched {
        let want = &desired.state.users[key];
        let have = fresh
            .users
            .get(key)
            .unwrap_or_else(|| panic!("{}: {key} is in DocuSign", scenario.title()));
        if want.status == UserStatus::Closed {
            assert_eq!(
                have.status,
                UserStatus::Closed,
                "{}: {key} is closed",
                scenario.title()
            );
            continue;
        }
        assert_ne!(
            have.status,
            UserStatus::Closed,
            "{}: {key}",
            scenario.title()
        );
        assert_eq!(
            (
                &have.first_name,
                &have.last_name,
                &have.permission_profile,
                &have.groups
            ),
            (
                &want.first_name,
                &want.last_name,
                &want.permission_profile,
                &want.groups
            ),
            "{}: {key} as the YAML has it",
            scenario.title()
        );
    }
}

/// The emulator must have served exactly apply's calls, all writes, refusing none, and every
/// user must have kept a profile; returns the write calls.
fn check_served(before: Served, after: Served, calls: u64, label: &str) -> u64 {
    let writes = after.writes - before.writes;
    assert_eq!(
        writes, calls,
        "{label}: the emulator served every call apply counted, and only those"
    );
    assert_eq!(
        after.total - before.total,
        writes,
        "{label}: apply only writes"
    );
    assert_eq!(
        after.rejections, 0,
        "{label}: no call refused for the limits"
    );
    assert_eq!(after.breaches, 0, "{label}: every user kept a profile");
    writes
}

/// A fresh read must show the change, and a new plan must have nothing left to do.
#[allow(clippy::too_many_arguments)] // the checks need all of it; a struct would only rename it
async fn verify_after(
    running: &Running,
    limits: &Limits,
    scenario: Scenario,
    desired: &Desired,
    touched: &[EmailKey],
    after: &Account,
    recorded: &Account,
    label: &str,
) {
    let checker = emulated::client_for(running, limits.client.clone());
    let fresh = Box::pin(snapshot(&checker))
        .await
        .expect("a snapshot after apply");
    verify_touched(scenario, &fresh.account, desired, touched);
    let recorded_after = apply::managed_objects(after, &desired.state, Some(recorded));
    let again = plan::plan(
        desired,
        &fresh.account,
        Some(&recorded_after),
        &context(&checker),
    )
    .expect("no rule breach");
    assert!(
        again.steps.is_empty(),
        "{label}: after apply the account matches the YAML, yet a plan holds {:?}",
        again.summary
    );
}

/// What one apply did and took.
struct Applied {
    /// `Outcome.calls`, the emulator's write calls, and `plan.api_calls`.
    calls: u64,
    writes: u64,
    minimum: u64,
    /// Per phase: its calls.
    phases: Vec<(Phase, u64)>,
    wall: Duration,
    /// API calls the emulator served in all: the read, the apply and the check after it.
    served: u64,
    /// The calls of the read before the apply.
    read_calls: u64,
    /// The part of the wall time outside the phases (apply's bookkeeping before, between and
    /// after them: grouping the plan, and the account as it stands after each phase).
    outside: Duration,
    cpu: Cpu,
}

/// On a fresh emulator: reads the account, plans the scenario's change, executes it (timed),
/// and checks the result.
async fn run_apply(
    emulator: &Handle,
    built: &Built,
    scenario: Scenario,
    variant: Variant,
    limits: &Limits,
) -> Applied {
    let label = format!("apply: {} ({})", scenario.title(), variant.title());
    let running = serve(emulator, limits.config.clone(), built.account.clone()).await;
    let reader = emulated::client_for(&running, limits.client.clone());
    let live = Box::pin(read(&reader, built, &label)).await;
    let base = desired_from(&live.account);
    let recorded = apply::managed_objects(&live.account, &base.state, None);
    let unchanged = plan::plan(&base, &live.account, Some(&recorded), &context(&reader))
        .expect("no rule breach");
    assert!(
        unchanged.steps.is_empty(),
        "the YAML of the account as it is plans nothing: {:?}",
        unchanged.summary
    );
    let (desired, touched) = scenario.desired(&base, &live.account);
    let plan = plan::plan(&desired, &live.account, Some(&recorded), &context(&reader))
        .expect("no rule breach");
    scenario.check_plan(&plan);

    let client = match variant {
        Variant::AfterRead => Arc::clone(&reader),
        Variant::FreshClient => emulated::client_for(&running, limits.client.clone()),
    };
    let phases = Phases {
        client: Arc::clone(&client),
        log: Mutex::new(Vec::new()),
    };
    let before = served(&running).await;
    let (outcome, wall, cpu) = timed(apply::execute(
        &plan,
        &live.account,
        &client,
        &phases,
        &mut |_| {},
    ))
    .await;
    let after = served(&running).await;
    assert!(
        outcome.is_complete(),
        "{label}: {} failed, {} skipped: {:?}",
        outcome.failed(),
        outcome.skipped(),
        outcome
            .entries
            .iter()
            .find(|entry| !matches!(entry.status, apply::Status::Done))
    );
    let writes = check_served(before, after, outcome.calls, &label);
    assert!(
        live.calls + outcome.calls <= u64::from(BURST_CAP),
        "the read and the apply fit in one burst window, so the read forces no wait on the apply"
    );
    Box::pin(verify_after(
        &running,
        limits,
        scenario,
        &desired,
        &touched,
        &outcome.account,
        &recorded,
        &label,
    ))
    .await;
    let log = phases.log.into_inner().expect("the phase log");
    let in_phases: Duration = log.iter().map(|entry| entry.time.1 - entry.time.0).sum();
    Applied {
        calls: outcome.calls,
        writes,
        minimum: plan.api_calls,
        phases: log
            .iter()
            .map(|entry| (entry.phase, entry.calls.1 - entry.calls.0))
            .collect(),
        wall,
        served: served(&running).await.total,
        read_calls: live.calls,
        outside: wall.saturating_sub(in_phases),
        cpu,
    }
}

async fn apply_row(
    lab: &mut Lab,
    built: &Built,
    scenario: Scenario,
    variant: Variant,
    bare: (Duration, Cpu),
) -> Row {
    let label = format!("apply: {} ({})", scenario.title(), variant.title());
    let mut runs = Vec::new();
    for _ in 0..APPLY_RUNS {
        runs.push(
            Box::pin(run_apply(
                &lab.emulator,
                built,
                scenario,
                variant,
                &Limits::production(),
            ))
            .await,
        );
    }
    lab.emulators += wide(runs.len());
    lab.served += runs.iter().map(|run| run.served).sum::<u64>();
    let first = &runs[0];
    assert!(
        runs.iter()
            .all(|run| run.calls == first.calls && run.phases == first.phases),
        "{label}: every run makes the same calls"
    );
    let mut walls: Vec<Duration> = runs.iter().map(|run| run.wall).collect();
    walls.sort_unstable();
    let wall = walls[walls.len() / 2];
    let rounds: Vec<u64> = first.phases.iter().map(|(_, calls)| *calls).collect();
    let floor = rounds_floor(&rounds, BURST_CAP, None, LATENCY);
    let calls_ratio = as_f64(first.calls) / as_f64(first.minimum);
    let wall_ratio = wall.as_secs_f64() / floor.as_secs_f64();
    let pace = if variant == Variant::AfterRead {
        // The read's calls count against the client's share of the window too.
        let read = snapshot_rounds(first.read_calls);
        let both: Vec<u64> = read.iter().chain(&rounds).copied().collect();
        let paced = rounds_floor(&both, BURST_CAP, Some(client_pace()), LATENCY)
            .saturating_sub(rounds_floor(&read, BURST_CAP, Some(client_pace()), LATENCY));
        format!(
            "; the read's {} calls count against the client's {} a window too: these calls can \
             finish {} after the read",
            first.read_calls,
            client_pace().allowed,
            secs(paced)
        )
    } else {
        String::new()
    };
    lab.notes.push(format!(
        "{label}: {}; the emulator served {} write calls and refused none; floor: {} phase(s) \
         with calls × {} ms; wall times of {APPLY_RUNS} runs: {}{pace}",
        first
            .phases
            .iter()
            .map(|(phase, calls)| format!("{}: {calls} call(s)", phase.title()))
            .collect::<Vec<_>>()
            .join(", "),
        first.writes,
        rounds.iter().filter(|&&calls| calls > 0).count(),
        LATENCY.as_millis(),
        walls
            .iter()
            .map(|wall| secs(*wall))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    eprintln!("{label}: {} call(s), {}", first.calls, secs(wall));
    Row {
        what: label,
        calls: Some(format!(
            "{} ({} emulator writes)",
            thousands(first.calls),
            thousands(first.writes)
        )),
        minimum: Some(first.minimum),
        calls_ratio: Some(calls_ratio),
        wall: Some(wall),
        floor: Some(floor),
        bare: Some(bare),
        verdicts: vec![
            Verdict::at_most("calls", TARGET_CALLS, "× min", calls_ratio),
            Verdict::at_most("wall", TARGET_WALL, "× floor", wall_ratio),
        ],
        ..Row::default()
    }
}

/// The scenario's apply with no latency and no limits, a few times: (wall, CPU), the median.
async fn bare_apply(lab: &mut Lab, built: &Built, scenario: Scenario) -> (Duration, Cpu) {
    let mut runs = Vec::new();
    let mut outside = Vec::new();
    for _ in 0..BARE_RUNS {
        let applied = Box::pin(run_apply(
            &lab.emulator,
            built,
            scenario,
            Variant::FreshClient,
            &Limits::none(),
        ))
        .await;
        lab.emulators += 1;
        lab.served += applied.served;
        runs.push((applied.wall, applied.cpu));
        outside.push(applied.outside);
    }
    outside.sort_unstable();
    let (wall, cpu) = median(runs);
    lab.notes.push(format!(
        "apply: {} with no latency and no limits: {} wall, {} CPU in the tool and {} in the \
         emulator; {} of the wall time (median) passes outside the phases' calls, in apply's \
         own bookkeeping (grouping the plan by phase; after each phase and for the outcome, \
         the 10,001-user account copied and the done steps replayed on it)",
        scenario.title(),
        secs(wall),
        secs(cpu.tool),
        secs(cpu.emulator),
        secs(outside[outside.len() / 2]),
    ));
    (wall, cpu)
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/// The child: one measured plan of `plan/<users>/<groups>`.
fn plan_child(spec: &str) {
    let mut parts = spec
        .strip_prefix("plan/")
        .expect("plan/<users>/<groups>")
        .split('/')
        .map(|part| part.parse::<usize>().expect("a number"));
    let shape = planning::Shape {
        users: parts.next().expect("users"),
        groups: parts.next().expect("groups"),
    };
    let (_, mut line) = planning::measured_plan(shape);
    let _ = write!(line, " process_ticks={}", process_cpu_ticks());
    println!("RESULT {line}");
}

fn plan_row(shape: planning::Shape, loads: &mut Vec<f64>) -> Row {
    let runs: Vec<Figures> = (0..PLAN_RUNS)
        .map(|_| {
            let (figures, others) =
                child::run(CHILD_ENV, &format!("plan/{}/{}", shape.users, shape.groups));
            loads.push(others);
            figures
        })
        .collect();
    // The whole process's peak, the inputs included: building them or planning, whichever
    // is higher.
    let peaks: Vec<Figures> = runs
        .iter()
        .map(|figures| {
            Figures::from([(
                "peak".to_owned(),
                figures["plan_peak_kb"].max(figures["build_peak_kb"]),
            )])
        })
        .collect();
    let (cpu, low, high) = spread(&runs, "plan_ns");
    let peak = mb(spread(&peaks, "peak").0);
    let first = &runs[0];
    let label = format!(
        "plan: {} users ({} live), {} groups, {} steps",
        thousands(first["desired_users"]),
        thousands(first["live_users"]),
        thousands(wide(shape.groups + 2)),
        thousands(first["steps"]),
    );
    eprintln!("{label}: {:.0} ms CPU, {peak:.0} MB", ms(cpu));
    let verdicts = if shape.users >= 100_000 {
        vec![
            Verdict::under("CPU", TARGET_PLAN_CPU_MS, "ms", ms(cpu)),
            Verdict::under("peak", TARGET_PLAN_PEAK_MB, "MB", peak),
        ]
    } else {
        Vec::new()
    };
    Row {
        what: label,
        cpu_ms: Some(format!(
            "{:.0} ms ({:.0}–{:.0})",
            ms(cpu),
            ms(low),
            ms(high)
        )),
        peak_mb: Some(peak),
        verdicts,
        ..Row::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The machine and the run
// ---------------------------------------------------------------------------------------------

/// Busy ticks of this process and the children it has waited for.
fn own_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<u64> = text
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|field| field.parse().expect("a number"))
        .collect();
    // utime, stime, cutime, cstime (fields 14–17).
    fields.iter().sum()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn memory_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0.0, |kb| as_f64(kb) / 1024.0 / 1024.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn rustc_version() -> String {
    std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .arg("--version")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|version| !version.is_empty())
        .unwrap_or_else(|| "rustc (unknown)".to_owned())
}

/// What the API measurements share: the emulator's runtime, and the notes under the table.
struct Lab {
    emulator: Handle,
    notes: Vec<String>,
    /// Emulators started, and the API calls they served in all.
    emulators: u64,
    served: u64,
}

async fn measure_api(lab: &mut Lab) -> Vec<Row> {
    let mut rows = Vec::new();
    for (shape, runs) in SNAPSHOTS {
        rows.push(Box::pin(snapshot_row(lab, shape, runs)).await);
    }
    let built = emulated::build(APPLY_SHAPE);
    for scenario in Scenario::ALL {
        let bare = Box::pin(bare_apply(lab, &built, scenario)).await;
        for variant in Variant::ALL {
            rows.push(Box::pin(apply_row(lab, &built, scenario, variant, bare)).await);
        }
    }
    rows
}

/// What the columns mean.
fn legend() -> String {
    format!(
        "\ncalls: what the run made (apply: `Outcome.calls`, and the write calls the emulator \
         counted). minimum: a snapshot's ⌈U/100⌉ + ⌈G/100⌉ + 2 (user and group pages of 100, \
         profiles, signing groups; U and G count the administrator and the built-in groups); \
         an apply's bulk minimum, `plan.api_calls` (`plan::batching`). per-user read: the \
         minimum plus one call per user, and the least time DocuSign's limits allow it \
         ({BURST_CAP} calls per 30 s, {} an hour). burst-cap floor: the earliest the last \
         answer can come with {} ms latency, each round of calls sent once the round before \
         is answered (a snapshot's first pages, then the rest; each apply phase) and no more \
         than {BURST_CAP} calls in any 30 s. no latency, no cap: the same work on an emulator \
         with no latency and no limits (median of {BARE_RUNS}), its wall time and its CPU time \
         split between the tool (client, snapshot, plan, apply) and the emulator, which serves \
         from threads of its own: the work that is not waiting. plan CPU: the planning thread's CPU time, median \
         (min–max) of {PLAN_RUNS} fresh processes; peak RSS: the whole process's peak, inputs \
         included, median. Every snapshot and apply ran on a fresh emulator (a fresh account \
         and fresh limits); each apply {APPLY_RUNS} times, the median shown, and checked \
         after each run: a fresh snapshot shows every touched user as the YAML has it, and a \
         new plan is empty. An apply \"after its read\" is executed by the client that has \
         just read the account, as `apply` does; a \"fresh client\" one by a client whose \
         limiter has sent nothing.\n",
        thousands(u64::from(HOURLY_LIMIT)),
        LATENCY.as_millis(),
    )
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        plan_child(&spec);
        return;
    }
    floor::check_by_hand();
    let started = Instant::now();
    let load_before = load_average();
    let busy_before = machine_busy_ticks();
    let own_before = own_ticks();
    eprintln!(
        "scale benchmark: snapshots, applies (a fresh emulator each; {} ms latency, {} calls \
         per 30 s, {} an hour), then plans ({PLAN_RUNS} fresh processes per size)",
        LATENCY.as_millis(),
        BURST_CAP,
        HOURLY_LIMIT
    );

    // The emulator serves from threads of its own, so that its CPU time can be told apart.
    let emulator = tokio::runtime::Builder::new_multi_thread()
        .thread_name(EMULATOR_THREADS)
        .enable_all()
        .build()
        .expect("the emulator's runtime");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("bench")
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut lab = Lab {
        emulator: emulator.handle().clone(),
        notes: Vec::new(),
        emulators: 0,
        served: 0,
    };
    let mut rows = runtime.block_on(measure_api(&mut lab));
    drop(runtime);
    drop(emulator);
    let Lab {
        notes,
        emulators,
        served: served_calls,
        ..
    } = lab;
    let mut loads = Vec::new();
    let plans: Vec<Row> = PLAN_SHAPES
        .into_iter()
        .map(|shape| plan_row(shape, &mut loads))
        .collect();
    // The table reads snapshot, plan, apply.
    let applies = rows.split_off(SNAPSHOTS.len());
    rows.extend(plans);
    rows.extend(applies);

    let wall = started.elapsed();
    let others =
        as_f64((machine_busy_ticks() - busy_before).saturating_sub(own_ticks() - own_before))
            / as_f64(TICKS_PER_SECOND)
            / wall.as_secs_f64();
    loads.sort_by(f64::total_cmp);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut out = table(&rows);
    out.push_str(&legend());
    let _ = writeln!(
        out,
        "In all the run made {} API calls on {emulators} fresh emulators: more than the {} an \
         hour one account allows, which is why no two measurements share an account.",
        thousands(served_calls),
        thousands(u64::from(HOURLY_LIMIT)),
    );
    out.push('\n');
    for note in &notes {
        let _ = writeln!(out, "- {note}");
    }
    let _ = write!(
        out,
        "\nmachine: {cores} cores ({}), {:.1} GB memory, {}; load average {load_before} at the \
         start, {} at the end; the rest of the machine kept {others:.2} cores busy on average \
         during the run ({:.2}–{:.2} during the plan processes). Run time {:.0} s.\n",
        cpu_model(),
        memory_gb(),
        rustc_version(),
        load_average(),
        loads.first().copied().unwrap_or_default(),
        loads.last().copied().unwrap_or_default(),
        wall.as_secs_f64(),
    );
    print!("\n{out}");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("scale-bench.md");
    match std::fs::write(&target, &out) {
        Ok(()) => eprintln!("written to {}", target.display()),
        Err(err) => eprintln!("can't write {}: {err}", target.display()),
    }
}
