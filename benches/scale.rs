//! The scale benchmark of the issue "benchmarks at scale": what a snapshot, a plan and an
//! apply cost at 1,000 to 100,000 users, side by side with the minimum the API allows, with
//! the per-user reading many connectors still do, and with the floor DocuSign's burst cap sets.
//!
//! Run with `cargo bench --bench scale` (several minutes: the burst cap is the point). It
//! prints one markdown table and writes it to `target/scale-bench.md` (`$CARGO_TARGET_DIR`
//! when set). `cargo bench --bench scale -- --quick` runs the 1,000-user sizes only, to see it
//! work end to end (`target/scale-bench-quick.md`).
//!
//! - Snapshot: accounts of 1,000 / 10,000 / 50,000 users and 50 / 500 / 1,000 custom groups
//!   (20 of them department-wide, every user in one; the rest teams, each user in 0–5), 50
//!   signing groups of up to 50 members and four custom profiles (`common/emulated.rs`),
//!   served by the in-process emulator with 50 ms latency and DocuSign's production limits
//!   (3,000 calls an hour, 500 per 30 s), read by `docusign::snapshot` with the client's
//!   production settings; each account read twice over, with `groupList` in the user records
//!   and without it (then memberships come from every group's member list). Calls next to
//!   the minimum and next to a per-user read (the minimum + one call per user); the wall time
//!   next to the burst-cap floor.
//! - Plan: the planner's CPU time and peak memory for 1,000 to 100,000 users
//!   (`common/planning.rs`: a month of HR changes), each run in a fresh process.
//! - Apply, on the 10,000-user account: onboarding 1,000 users into 10 plain groups, offboarding
//!   500 (closed in the YAML), and a reorganisation that moves 2,500 users from their
//!   department to the next (5,000 membership changes across the 20 departments)
//!   (`common/scenarios.rs`). Its wall time next to the burst-cap floor. Each runs three times
//!   in two ways: as `apply` runs it (the client that has just read the account executes the
//!   plan), and with a fresh client (its limiter untouched), which tells the client's pace
//!   from the API's own cost. After every run a fresh snapshot must show every touched user
//!   as the YAML has it and a new plan must be empty, or the benchmark fails.
//! - Reading back after apply, at each snapshot size: a tenth of the users change department
//!   (no latency, no limits: only calls count), the calls apply spends reading the account
//!   back next to one minimal snapshot, its target.
//! - Beside each snapshot and apply, the same work with no latency and no limits: its wall time
//!   and its CPU time, the tool's and the emulator's apart (the emulator serves from a runtime
//!   of its own, whose threads are named `emulator`): the work that is not waiting.
//!
//! Every count of calls is held to a minimum worked out from DocuSign's documented limits and
//! the work's own shape (`common/calls.rs`), never from the tool's batching: the calls the
//! client counted, the plan's estimate (`plan.api_calls`) and the calls the emulator served
//! must all be that minimum, or the benchmark says so beside the number and fails once the
//! table is written. `tests/bench_checks.rs` runs the same checks on the small account in
//! `cargo test`.
//!
//! Every snapshot and apply runs against a fresh emulator, so a fresh account and fresh rate
//! limits: the measurements together make more than the 3,000 calls an hour one account
//! allows. The floors: calls are made in rounds that depend on each other (a snapshot learns
//! how many pages there are from the first page, so its floor is two round trips, more with
//! member lists; each apply phase is a barrier), and the floor is the time the last answer
//! arrives if every call is sent as soon as its round may start and the cap (500 in any 30 s)
//! lets it (`common/floor.rs`). The benchmark asserts correctness, never time.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docusign_gitops::apply::{self, Progress};
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::docusign::{Client, ClientSettings};
use docusign_gitops::emulator::account::Account as EmulatedAccount;
use docusign_gitops::emulator::{Config, Running};
use docusign_gitops::plan::Phase;
use tokio::runtime::Handle;

use common::calls::{Minimum, Tally};
use common::child::{self, Figures, as_f64, mb, ms, spread};
use common::emulated::{self, BURST_CAP, Built, HOURLY_LIMIT, LATENCY, Memberships, Shape};
use common::floor::{self, Pace, rounds_floor, wide};
use common::machine::{cpu_model, finish, load_average, memory_gb, rustc_version};
use common::planning;
use common::procfs::{
    Cpu, EMULATOR_THREADS, TICKS_PER_SECOND, machine_busy_ticks, own_ticks, process_cpu_ticks,
};
use common::scenarios::{self, Scenario, served};
use common::thousands;

const CHILD_ENV: &str = "SCALE_BENCH_CHILD";

/// The targets of the issue.
const TARGET_CALLS: f64 = 1.05;
const TARGET_WALL: f64 = 1.2;
const TARGET_PLAN_CPU_MS: f64 = 1000.0;
const TARGET_PLAN_PEAK_MB: f64 = 500.0;

/// Fresh processes per plan size.
const PLAN_RUNS: usize = 3;
/// Runs with no latency and no limits per snapshot size and apply scenario.
const BARE_RUNS: usize = 3;
/// Runs of each apply with DocuSign's limits (a fresh emulator each); the median counts.
const APPLY_RUNS: usize = 3;

/// What the run measures.
struct Sizes {
    /// The snapshot sizes, and the snapshots of each (a fresh emulator each) for each way of
    /// reading memberships; the median counts.
    snapshots: &'static [(Shape, usize)],
    /// The account the applies change, and the changes.
    apply_shape: Shape,
    scenarios: [Scenario; 3],
    plans: &'static [planning::Shape],
    /// Where the table is written, under the target directory.
    written_to: &'static str,
}

const fn shape(users: usize, groups: usize) -> Shape {
    Shape {
        users,
        groups,
        departments: 20,
    }
}

const FULL: Sizes = Sizes {
    snapshots: &[
        (shape(1_000, 50), 3),
        (shape(10_000, 500), 3),
        (shape(50_000, 1_000), 1),
    ],
    apply_shape: shape(10_000, 500),
    scenarios: [
        Scenario::Onboard {
            users: 1_000,
            groups: 10,
        },
        Scenario::Offboard { users: 500 },
        Scenario::Reorganise { users: 2_500 },
    ],
    plans: &[
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
    ],
    written_to: "scale-bench.md",
};

/// `--quick`: the small account only, to see the benchmark run end to end in a minute.
const QUICK: Sizes = Sizes {
    snapshots: &[(scenarios::SMALL_SHAPE, 1)],
    apply_shape: scenarios::SMALL_SHAPE,
    scenarios: scenarios::SMALL_SCENARIOS,
    plans: &[planning::Shape {
        users: 1_000,
        groups: 50,
    }],
    written_to: "scale-bench-quick.md",
};

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
        Self {
            config: emulated::production(),
            client: production_client(),
        }
    }

    /// The same, with no hourly limit: for a read that needs more calls than an hour allows.
    fn production_without_hourly_limit() -> Self {
        let production = Self::production();
        Self {
            config: Config {
                hourly_limit: u32::MAX,
                ..production.config
            },
            ..production
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

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

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

/// The calls the client lets itself make in an hour: the hourly limit less its reserve.
fn client_hourly_share() -> u64 {
    let reserve = (f64::from(HOURLY_LIMIT) * production_client().reserve_share).ceil();
    // A share of 3,000: a small whole number.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let reserve = reserve as u64;
    u64::from(HOURLY_LIMIT) - reserve
}

/// One snapshot on a fresh emulator: its calls (the client's and the emulator's), wall time
/// and CPU time.
async fn run_snapshot(
    emulator: &Handle,
    built: &Built,
    memberships: Memberships,
    limits: &Limits,
    label: &str,
) -> (u64, u64, Duration, Cpu) {
    let config = memberships.config(limits.config.clone());
    let running = serve(emulator, config, built.account.clone()).await;
    let client = emulated::client_for(&running, limits.client.clone());
    let (live, wall, cpu) = timed(Box::pin(snapshot(&client))).await;
    let live = live.expect("a snapshot");
    emulated::check(&live, built, memberships, label);
    let served = served(&running);
    assert_eq!(
        served.rejections, 0,
        "{label}: the emulator must refuse no call for the rate limits"
    );
    (live.calls, served.total, wall, cpu)
}

/// The limits a snapshot of `calls` is measured under, and what the notes must say of them.
/// More calls than the client allows itself in an hour can't be measured in one run: the
/// client would stop and say so. Such a read is measured with the hourly limit lifted (the
/// burst cap kept).
fn snapshot_limits(calls: u64) -> (Limits, String) {
    if calls <= client_hourly_share() {
        return (Limits::production(), String::new());
    }
    let note = format!(
        "; {} calls are more than the {} the client allows itself in an hour (keeping 20% of \
         DocuSign's {} for other integrations), so in production this read stops with \
         \"hourly budget spent\" or waits for the next hour; measured with the hourly limit \
         lifted",
        thousands(calls),
        thousands(client_hourly_share()),
        thousands(u64::from(HOURLY_LIMIT)),
    );
    (Limits::production_without_hourly_limit(), note)
}

async fn snapshot_row(lab: &mut Lab, built: &Built, memberships: Memberships, runs: usize) -> Row {
    let minimum = built.minimum(memberships);
    let label = format!(
        "snapshot{}: {} users, {} groups",
        match memberships {
            Memberships::InUserRecords => "",
            Memberships::InMemberLists => ", no groupList (member lists)",
        },
        thousands(wide(built.users)),
        thousands(wide(built.groups))
    );
    let (limits, hourly) = snapshot_limits(minimum.calls);
    let label = if hourly.is_empty() {
        label
    } else {
        format!("{label} (hourly limit lifted)")
    };
    let mut walls = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..runs {
        let (made, served, wall, _) =
            run_snapshot(&lab.emulator, built, memberships, &limits, &label).await;
        lab.emulators += 1;
        lab.served += served;
        counts.push((made, served));
        walls.push(wall);
    }
    let mut bare = Vec::new();
    for _ in 0..BARE_RUNS {
        let (made, served, wall, cpu) =
            run_snapshot(&lab.emulator, built, memberships, &Limits::none(), &label).await;
        lab.emulators += 1;
        lab.served += served;
        counts.push((made, served));
        bare.push((wall, cpu));
    }
    let (client, served) = counts[0];
    let tally = Tally {
        minimum: minimum.clone(),
        estimate: None,
        client,
        served,
        read_back: None,
    };
    let same = counts.iter().all(|&count| count == (client, served));
    lab.hold_to_minimum(&label, &tally, same);
    walls.sort_unstable();
    let wall = walls[walls.len() / 2];
    let rounds = built.snapshot_rounds(memberships);
    let floor = rounds_floor(&rounds, BURST_CAP, None, LATENCY);
    let paced = rounds_floor(&rounds, BURST_CAP, Some(client_pace()), LATENCY);
    let calls_ratio = as_f64(client) / as_f64(minimum.calls);
    let wall_ratio = wall.as_secs_f64() / floor.as_secs_f64();
    let shown_rounds = &rounds[..=rounds.iter().rposition(|&calls| calls > 0).unwrap_or(0)];
    lab.notes.push(format!(
        "{label}: {} memberships; minimum {}; floor rounds {shown_rounds:?}; wall times of {runs} \
         run(s): {}; the client's own pace (80% of the cap, {} calls, at once; the next {} a \
         window later) allows no less than {}, and the wall time is {:.2}× that{hourly}",
        thousands(wide(built.memberships)),
        minimum.arithmetic,
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
    eprintln!("{label}: {client} calls, {}", secs(wall));
    Row {
        what: label,
        calls: Some(tally_cell(&tally)),
        minimum: Some(minimum.calls),
        calls_ratio: Some(calls_ratio),
        per_user: Some(per_user_read(minimum.calls, built.users)),
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

/// The calls cell: the client's count, the plan's estimate and the emulator's, flagged when
/// they are not all the minimum.
fn tally_cell(tally: &Tally) -> String {
    let mut cell = thousands(tally.client);
    let others: Vec<String> = tally
        .estimate
        .map(|estimate| format!("plan {}", thousands(estimate)))
        .into_iter()
        .chain([format!("emulator {}", thousands(tally.served))])
        .collect();
    let _ = write!(cell, " ({})", others.join(", "));
    if tally.disagreement().is_some() {
        cell.push_str(" **≠ minimum**");
    }
    cell
}

// ---------------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------------

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

/// What one apply did and took.
struct Applied {
    /// The minimum, the plan's estimate, `Outcome.calls` and the emulator's write calls.
    tally: Tally,
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
/// and checks the result (`common/scenarios.rs`).
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
    let prepared = Box::pin(scenarios::prepare(&reader, built, scenario, &label)).await;
    let client = match variant {
        Variant::AfterRead => Arc::clone(&reader),
        Variant::FreshClient => emulated::client_for(&running, limits.client.clone()),
    };
    let phases = Phases {
        client: Arc::clone(&client),
        log: Mutex::new(Vec::new()),
    };
    let before = served(&running);
    let (outcome, wall, cpu) = timed(apply::execute(
        &prepared.plan,
        &prepared.live.account,
        &client,
        &phases,
        &mut |_| {},
    ))
    .await;
    let after = served(&running);
    assert!(
        prepared.live.calls + outcome.calls - outcome.verification_calls
            <= u64::from(limits.config.burst_limit),
        "the read and the apply fit in one burst window, so the read forces no wait on the apply"
    );
    let tally = Box::pin(scenarios::verify(
        &running,
        &limits.client,
        &prepared,
        &outcome,
        (before, after),
        &label,
    ))
    .await;
    let log = phases.log.into_inner().expect("the phase log");
    let in_phases: Duration = log.iter().map(|entry| entry.time.1 - entry.time.0).sum();
    Applied {
        tally,
        phases: log
            .iter()
            .map(|entry| (entry.phase, entry.calls.1 - entry.calls.0))
            .collect(),
        wall,
        served: served(&running).total,
        read_calls: prepared.live.calls,
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
    let same = runs.iter().all(|run| {
        (run.tally.client, run.tally.served, &run.phases)
            == (first.tally.client, first.tally.served, &first.phases)
    });
    lab.hold_to_minimum(&label, &first.tally, same);
    let mut walls: Vec<Duration> = runs.iter().map(|run| run.wall).collect();
    walls.sort_unstable();
    let wall = walls[walls.len() / 2];
    // The phases, then reading back: a snapshot's two rounds (the first page of each list,
    // then the rest), as many calls as it took (held to one fresh snapshot by `verify`).
    let read_back_calls = first.tally.read_back.map_or(0, |(calls, _)| calls);
    let rounds: Vec<u64> = first
        .phases
        .iter()
        .map(|(_, calls)| *calls)
        .chain([read_back_calls.min(4), read_back_calls.saturating_sub(4)])
        .collect();
    let floor = rounds_floor(&rounds, BURST_CAP, None, LATENCY);
    let calls_ratio = as_f64(first.tally.client) / as_f64(first.tally.minimum.calls);
    let wall_ratio = wall.as_secs_f64() / floor.as_secs_f64();
    let pace = if variant == Variant::AfterRead {
        // The read's calls count against the client's share of the window too.
        let read = built.snapshot_rounds(Memberships::InUserRecords);
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
    let read_back = first.tally.read_back.map_or_else(String::new, |(calls, snapshot)| {
        format!(
            "; reading back took {calls} call(s) (one snapshot: {snapshot}), {:.0}% of the apply's {}",
            100.0 * as_f64(calls) / as_f64(calls + first.tally.client),
            calls + first.tally.client
        )
    });
    lab.notes.push(format!(
        "{label}: minimum {}; {}; the emulator served {} write calls and refused none{read_back}; \
         floor: {} round(s) with calls (the phases, then reading back) × {} ms; wall times \
         of {APPLY_RUNS} runs: {}{pace}",
        first.tally.minimum.arithmetic,
        first
            .phases
            .iter()
            .map(|(phase, calls)| format!("{}: {calls} call(s)", phase.title()))
            .collect::<Vec<_>>()
            .join(", "),
        first.tally.served,
        rounds.iter().filter(|&&calls| calls > 0).count(),
        LATENCY.as_millis(),
        walls
            .iter()
            .map(|wall| secs(*wall))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    eprintln!("{label}: {} call(s), {}", first.tally.client, secs(wall));
    Row {
        what: label,
        calls: Some(tally_cell(&first.tally)),
        minimum: Some(first.tally.minimum.calls),
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
        lab.hold_to_minimum(
            &format!("apply: {} (no latency, no limits)", scenario.title()),
            &applied.tally,
            true,
        );
        runs.push((applied.wall, applied.cpu));
        outside.push(applied.outside);
    }
    outside.sort_unstable();
    let (wall, cpu) = median(runs);
    lab.notes.push(format!(
        "apply: {} with no latency and no limits: {} wall, {} CPU in the tool and {} in the \
         emulator; {} of the wall time (median) passes outside the phases' calls, in apply's \
         own bookkeeping (grouping the plan by phase, the {}-user account copied once and \
         each phase's done steps applied to it)",
        scenario.title(),
        secs(wall),
        secs(cpu.tool),
        secs(cpu.emulator),
        secs(outside[outside.len() / 2]),
        thousands(wide(built.users)),
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

/// What the API measurements share: the emulator's runtime, and the notes under the table.
struct Lab {
    emulator: Handle,
    notes: Vec<String>,
    /// Emulators started, and the API calls they served in all.
    emulators: u64,
    served: u64,
    /// Call counts that are not the minimum, or not the same in every run: each fails the run.
    wrong: Vec<String>,
}

impl Lab {
    /// Every count in `tally` must be its minimum, and every run of a measurement (`same`)
    /// must have made the same calls. What isn't is said at once, written under the table,
    /// and fails the run once the table is out.
    fn hold_to_minimum(&mut self, label: &str, tally: &Tally, same: bool) {
        let mut wrong: Vec<String> = tally.disagreement().into_iter().collect();
        if !same {
            wrong.push("its runs made different calls".to_owned());
        }
        for what in wrong {
            eprintln!("CALL COUNT WRONG: {label}: {what}");
            self.wrong.push(format!("{label}: {what}"));
        }
    }
}

/// What reading back cost in an apply on an account of one size.
struct ReadBack {
    account: String,
    apply: String,
    /// The plan's own calls (held to their minimum).
    plan_calls: u64,
    /// The calls that read the account back.
    calls: u64,
    /// One minimal snapshot of the account, worked out from its shape.
    minimal: Minimum,
}

/// An apply of moderate size (a tenth of the users change department) on `built`, with no
/// latency and no limits (only calls are measured): what reading back cost.
async fn read_back_at(lab: &mut Lab, built: &Built) -> ReadBack {
    let scenario = Scenario::Reorganise {
        users: built.users / 10,
    };
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
    let label = format!(
        "reading back: {} on {} users",
        scenario.title(),
        thousands(wide(built.users))
    );
    lab.hold_to_minimum(&label, &applied.tally, true);
    let (read_back, _) = applied.tally.read_back.expect("an apply reads back");
    eprintln!("{label}: {read_back} call(s)");
    // Reorganising changes no user or group count: the account read back has the shape it had.
    let minimal = built.minimum(Memberships::InUserRecords);
    if read_back > minimal.calls {
        let wrong = format!(
            "{label}: reading back took {read_back} calls, more than one minimal snapshot's {} ({})",
            minimal.calls, minimal.arithmetic
        );
        eprintln!("CALL COUNT WRONG: {wrong}");
        lab.wrong.push(wrong);
    }
    ReadBack {
        account: format!(
            "{} users, {} groups",
            thousands(wide(built.users)),
            thousands(wide(built.groups))
        ),
        apply: scenario.title(),
        plan_calls: applied.tally.client,
        calls: read_back,
        minimal,
    }
}

/// The table of reading back at each size, against its target: one minimal snapshot.
fn read_back_table(read_backs: &[ReadBack]) -> String {
    let mut out = String::from(
        "\n| account | apply | the plan's calls | reading back | one minimal snapshot | share of \
         the apply's calls | target: ≤ one minimal snapshot |\n|---|---|--:|--:|--:|--:|---|\n",
    );
    for row in read_backs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} ({}) | {:.0}% | {} |",
            row.account,
            row.apply,
            thousands(row.plan_calls),
            thousands(row.calls),
            thousands(row.minimal.calls),
            row.minimal.arithmetic,
            100.0 * as_f64(row.calls) / as_f64(row.calls + row.plan_calls),
            if row.calls <= row.minimal.calls {
                "met"
            } else {
                "**MISSED**"
            },
        );
    }
    out
}

/// The snapshot rows, the apply rows and reading back at each snapshot size.
async fn measure_api(lab: &mut Lab, sizes: &Sizes) -> (Vec<Row>, Vec<Row>, Vec<ReadBack>) {
    let mut snapshots = Vec::new();
    let mut read_backs = Vec::new();
    for &(shape, runs) in sizes.snapshots {
        let built = emulated::build(shape);
        for memberships in Memberships::ALL {
            snapshots.push(Box::pin(snapshot_row(lab, &built, memberships, runs)).await);
        }
        read_backs.push(Box::pin(read_back_at(lab, &built)).await);
    }
    let mut applies = Vec::new();
    let built = emulated::build(sizes.apply_shape);
    for scenario in sizes.scenarios {
        let bare = Box::pin(bare_apply(lab, &built, scenario)).await;
        for variant in Variant::ALL {
            applies.push(Box::pin(apply_row(lab, &built, scenario, variant, bare)).await);
        }
    }
    (snapshots, applies, read_backs)
}

/// What the columns mean.
fn legend() -> String {
    format!(
        "\ncalls: what the client counted (`Snapshot.calls`, `Outcome.calls`), with the plan's \
         estimate (`plan.api_calls`) and the calls the emulator served; the run fails unless \
         all are the minimum. minimum: worked out from DocuSign's documented limits and the \
         work's shape, not from the tool's code (`benches/common/calls.rs`): a snapshot's \
         ⌈U/100⌉ + ⌈G/100⌉ + 2 (user and group pages of 100, profiles, signing groups; U and \
         G count the administrator and the built-in groups), and with no `groupList` in the \
         user records + Σ⌈members/100⌉ over the groups but Everyone (member-list pages of 100); \
         onboarding N users into plain groups ⌈N/500⌉ (`POST /users`, at most 500, the joins \
         riding in `groupList`); offboarding M users ⌈M/500⌉ (`DELETE /users`); moving \
         memberships one `PUT` per group gaining members and one `DELETE` per group losing \
         some; the notes give each row's arithmetic. per-user read: the \
         minimum plus one call per user, and the least time DocuSign's limits allow it \
         ({BURST_CAP} calls per 30 s, {} an hour). burst-cap floor: the earliest the last \
         answer can come with {} ms latency, each round of calls sent once the round before \
         is answered (a snapshot's first pages, then the rest, then member lists as the group \
         pages name the groups and their first pages tell how long they are; each apply \
         phase, then the apply's reading back as a snapshot's two rounds) and no more \
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

/// What the whole run made, in how many emulators.
fn calls_in_all(served: u64, emulators: u64) -> String {
    let hourly = u64::from(HOURLY_LIMIT);
    format!(
        "In all the run made {} API calls on {emulators} fresh emulators{}.\n",
        thousands(served),
        if served > hourly {
            format!(
                ": more than the {} an hour one account allows, which is why no two \
                 measurements share an account",
                thousands(hourly)
            )
        } else {
            String::new()
        },
    )
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        plan_child(&spec);
        return;
    }
    // `cargo bench` passes `--bench`; anything else but `--quick` is not ours to read.
    let sizes = if std::env::args().any(|arg| arg == "--quick") {
        &QUICK
    } else {
        &FULL
    };
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
        wrong: Vec::new(),
    };
    let (mut rows, applies, read_backs) = runtime.block_on(measure_api(&mut lab, sizes));
    drop(runtime);
    drop(emulator);
    let Lab {
        notes,
        emulators,
        served: served_calls,
        wrong,
        ..
    } = lab;
    let mut loads = Vec::new();
    // The table reads snapshot, plan, apply.
    rows.extend(sizes.plans.iter().map(|&shape| plan_row(shape, &mut loads)));
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
    out.push_str(&read_back_table(&read_backs));
    out.push('\n');
    if !wrong.is_empty() {
        out.push_str("\n**Call counts that are not the minimum** (the run fails):\n\n");
        for what in &wrong {
            let _ = writeln!(out, "- {what}");
        }
    }
    out.push_str(&calls_in_all(served_calls, emulators));
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
    finish(
        sizes.written_to,
        &out,
        &wrong,
        "call count(s) are not the minimum",
    );
}
