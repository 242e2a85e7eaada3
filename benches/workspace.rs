//! The workspace benchmark of issue 18 ("several accounts"): three accounts of 1,000 users
//! each, planned and applied one at a time (`--account NAME`) and as a whole workspace, by the
//! release binary as CI runs it. Done when the whole workspace makes exactly the calls of its
//! accounts alone, each account's minimum, and takes no more than 1.2× the wall time of its
//! slowest account: each account has its own DocuSign budget, so the accounts run side by side.
//!
//! Run with `cargo bench --bench workspace` (about a minute after the release build). It prints
//! markdown tables and writes them to `target/workspace-bench.md` (`$CARGO_TARGET_DIR` when
//! set); `cargo bench --bench workspace -- --quick` runs three accounts of 100 users once each
//! (`target/workspace-bench-quick.md`), to see it work end to end.
//!
//! - The workspace (`common/workspace.rs`): three accounts of the same company, each the
//!   scale benchmark's 1,000-user account (`common/emulated.rs`: 50 custom groups, 20 of them
//!   department-wide, 50 signing groups, four custom profiles) under an ID of its own; the
//!   definitions as `import` writes them in `shared/`, and in each account's folder its
//!   `account.yaml` and the users its change touches. Each account has a change of its own
//!   (`common/scenarios.rs`): new hires into plain teams, and users moving to the next
//!   department, more in production than in EMEA, more in EMEA than in the sandbox.
//! - Each run is `docusign-gitops plan|apply DIR [--account NAME]`, the binary in a process of
//!   its own, against a fresh in-process emulator serving all three accounts (on a runtime of
//!   its own) with 50 ms of latency on every call (its work inside them: each call answers
//!   50 ms after it arrives) and DocuSign's production limits per
//!   account (3,000 calls an hour, 500 per 30 s), reached through the environment only
//!   (`DOCUSIGN_AUTH_SERVER`, `DOCUSIGN_ACCESS_TOKEN`; each account found by discovery). The
//!   runs go round robin (each account alone, then the workspace; again) so that the machine's
//!   load falls on all of them alike; the median of the runs counts.
//! - Calls are the emulator's count for the run. Each account's minimum is worked out from
//!   DocuSign's documented limits and the work's shape, never from the tool
//!   (`common/calls.rs`, `common/workspace.rs`): a plan reads the account once (one minimal
//!   snapshot); an apply reads it, makes its change's minimum and reads it back once.
//!
//! It asserts that every run exits as it must (a plan: changes present; an apply: all done, and
//! a plan right after it finds nothing left), that the emulator refused no call, that each
//! account alone makes exactly its minimum, that the whole workspace makes exactly the sum, and
//! that its wall time is within 1.2× its slowest account's (the target, checked
//! here because it is what the benchmark is for). Every check is reported in the table, and a
//! failed one fails the run once the table is written. `tests/bench_checks.rs` runs the call
//! checks on three accounts of 30 users in `cargo test`, with no timing.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use docusign_gitops::emulator::Config;

use common::calls::Minimum;
use common::child::as_f64;
use common::emulated::{self, BURST_CAP, HOURLY_LIMIT, LATENCY, Shape};
use common::machine::{cpu_model, finish, load_average, memory_gb, rustc_version};
use common::procfs::{TICKS_PER_SECOND, machine_busy_ticks, own_ticks};
use common::scenarios::{SMALL_SHAPE, Scenario};
use common::thousands;
use common::workspace::{Measured, Run, Workspace};

/// The target: the whole workspace's wall time over its slowest account's.
const TARGET_WALL: f64 = 1.2;

/// What the run measures.
struct Sizes {
    shape: Shape,
    /// Each account's name and change.
    accounts: [(&'static str, [Scenario; 2]); 3],
    /// Runs of each measurement; the median counts.
    runs: usize,
    /// Where the tables are written, under the target directory.
    written_to: &'static str,
}

/// `users` new users into `teams` plain teams, and as many users moving to the next department.
const fn change(users: usize, teams: usize) -> [Scenario; 2] {
    [
        Scenario::Onboard {
            users,
            groups: teams,
        },
        Scenario::Reorganise { users },
    ]
}

/// The three accounts: production, EMEA and the sandbox, each with its `hires` (and as many
/// movers), the new users into `teams` plain teams.
const fn accounts(hires: [usize; 3], teams: usize) -> [(&'static str, [Scenario; 2]); 3] {
    [
        ("production", change(hires[0], teams)),
        ("emea", change(hires[1], teams)),
        ("sandbox", change(hires[2], teams)),
    ]
}

const FULL: Sizes = Sizes {
    shape: SMALL_SHAPE,
    accounts: accounts([100, 50, 20], 10),
    runs: 7,
    written_to: "workspace-bench.md",
};

/// `--quick`: three accounts of 100 users, each measurement once.
const QUICK: Sizes = Sizes {
    shape: Shape {
        users: 100,
        groups: 20,
        departments: 5,
    },
    accounts: accounts([10, 5, 2], 5),
    runs: 1,
    written_to: "workspace-bench-quick.md",
};

fn secs(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

/// One measurement: a command on one account or on all, its runs, and the minimum.
struct Row {
    run: Run,
    /// `None`: the whole workspace.
    account: Option<&'static str>,
    runs: Vec<Measured>,
    /// The same run with no latency: the work that is not waiting.
    bare: Vec<Measured>,
    minimum: Minimum,
}

impl Row {
    fn title(&self) -> String {
        match self.account {
            Some(name) => format!("`{} DIR --account {name}`", self.run.name()),
            None => format!("`{} DIR` (whole workspace)", self.run.name()),
        }
    }

    fn wall(&self) -> Duration {
        median(self.runs.iter().map(|measured| measured.wall).collect())
    }

    /// The median wall time and CPU times (binary, emulator) of `runs`.
    fn medians(runs: &[Measured]) -> (Duration, Duration, Duration) {
        let of = |figure: fn(&Measured) -> Duration| median(runs.iter().map(figure).collect());
        (
            of(|measured| measured.wall),
            of(|measured| measured.binary_cpu),
            of(|measured| measured.emulator_cpu),
        )
    }

    /// The calls of the first run; `same` says whether every run made as many.
    fn calls(&self) -> (u64, u64, bool) {
        let first = self.runs[0];
        let same = self
            .runs
            .iter()
            .all(|measured| (measured.calls, measured.writes) == (first.calls, first.writes));
        (first.calls, first.writes, same)
    }
}

/// Every row, each run with DocuSign's latency (`config`) and with none.
fn measure_all(workspace: &Workspace, sizes: &Sizes, config: &Config) -> Vec<Row> {
    let bare = Config {
        latency: Duration::ZERO,
        ..config.clone()
    };
    let mut rows: Vec<Row> = Vec::new();
    for run in Run::ALL {
        let mut minimums: Vec<Minimum> = workspace
            .members
            .iter()
            .map(|member| match run {
                Run::Plan => member.plan_minimum(),
                Run::Apply => member.apply_minimum(),
            })
            .collect();
        let whole = Minimum::sum(
            workspace
                .members
                .iter()
                .zip(&minimums)
                .map(|(member, minimum)| (member.name.as_str(), minimum)),
        );
        minimums.push(whole);
        let targets = sizes
            .accounts
            .iter()
            .map(|(name, _)| Some(*name))
            .chain([None]);
        let first = rows.len();
        for (account, minimum) in targets.zip(minimums) {
            rows.push(Row {
                run,
                account,
                runs: Vec::new(),
                bare: Vec::new(),
                minimum,
            });
        }
        // Round robin: each account alone, then the workspace, and again.
        for round in 0..sizes.runs {
            for row in &mut rows[first..] {
                let measured = workspace.measure(config, run, row.account);
                row.bare.push(workspace.measure(&bare, run, row.account));
                eprintln!(
                    "{} (run {}): {}, {} calls",
                    row.title(),
                    round + 1,
                    secs(measured.wall),
                    measured.calls
                );
                row.runs.push(measured);
            }
        }
    }
    rows
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| run | wall (median; min–max) | calls (writes) | minimum | calls ÷ min | CPU: binary + \
         emulator | no latency: wall (CPU binary + emulator) |\n|---|--:|--:|--:|--:|--:|--:|\n",
    );
    for row in rows {
        let mut walls: Vec<Duration> = row.runs.iter().map(|measured| measured.wall).collect();
        walls.sort_unstable();
        let (calls, writes, same) = row.calls();
        let (_, binary, emulator) = Row::medians(&row.runs);
        let (bare_wall, bare_binary, bare_emulator) = Row::medians(&row.bare);
        let _ = writeln!(
            out,
            "| {} | {} ({}–{}) | {} ({}){} | {} | {:.2} | {} + {} | {} ({} + {}) |",
            row.title(),
            secs(row.wall()),
            secs(walls[0]),
            secs(walls[walls.len() - 1]),
            thousands(calls),
            thousands(writes),
            if same { "" } else { " **runs differ**" },
            thousands(row.minimum.calls),
            as_f64(calls) / as_f64(row.minimum.calls),
            secs(binary),
            secs(emulator),
            secs(bare_wall),
            secs(bare_binary),
            secs(bare_emulator),
        );
        if row.account.is_none() {
            let singles: Vec<&Row> = rows
                .iter()
                .filter(|other| other.run == row.run && other.account.is_some())
                .collect();
            let _ = writeln!(
                out,
                "| Σ the accounts alone (one after another) | {} | {} | {} | – | – | – |",
                secs(singles.iter().map(|single| single.wall()).sum()),
                thousands(singles.iter().map(|single| single.calls().0).sum()),
                thousands(singles.iter().map(|single| single.minimum.calls).sum()),
            );
        }
    }
    out
}

/// The checks for one command, each with its figures; failures go to `failed`.
fn checks(rows: &[Row], run: Run, failed: &mut Vec<String>) -> [(String, String, bool); 3] {
    let singles: Vec<&Row> = rows
        .iter()
        .filter(|row| row.run == run && row.account.is_some())
        .collect();
    let whole = rows
        .iter()
        .find(|row| row.run == run && row.account.is_none())
        .expect("a whole-workspace row");
    let each_minimum = singles.iter().all(|row| {
        let (calls, _, same) = row.calls();
        same && calls == row.minimum.calls
    });
    let sum: u64 = singles.iter().map(|row| row.calls().0).sum();
    let (whole_calls, _, whole_same) = whole.calls();
    let summed = whole_same && whole_calls == sum && sum == whole.minimum.calls;
    let slowest = singles
        .iter()
        .max_by_key(|row| row.wall())
        .expect("an account");
    let ratio = whole.wall().as_secs_f64() / slowest.wall().as_secs_f64();
    let found = [
        (
            format!(
                "{}: each account alone makes exactly its minimum",
                run.name()
            ),
            singles
                .iter()
                .map(|row| {
                    format!(
                        "{} {} / {}",
                        row.account.unwrap_or_default(),
                        row.calls().0,
                        row.minimum.calls
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            each_minimum,
        ),
        (
            format!(
                "{}: whole-workspace calls = Σ the accounts alone = Σ minimums",
                run.name()
            ),
            format!("{whole_calls} = {sum} = {}", whole.minimum.calls),
            summed,
        ),
        (
            format!(
                "{}: whole-workspace wall ≤ {TARGET_WALL}× the slowest account's",
                run.name()
            ),
            format!(
                "{} ÷ {} ({}) = {ratio:.2}",
                secs(whole.wall()),
                secs(slowest.wall()),
                slowest.account.unwrap_or_default()
            ),
            ratio <= TARGET_WALL,
        ),
    ];
    for (check, figures, held) in &found {
        if !held {
            failed.push(format!("{check}: {figures}"));
        }
    }
    found
}

fn checks_table(rows: &[Row], failed: &mut Vec<String>) -> String {
    let mut out = String::from("| check | figures | held? |\n|---|---|---|\n");
    for run in Run::ALL {
        for (check, figures, held) in checks(rows, run, failed) {
            let _ = writeln!(
                out,
                "| {check} | {figures} | {} |",
                if held { "held" } else { "**FAILED**" }
            );
        }
    }
    out
}

fn notes(workspace: &Workspace, rows: &[Row]) -> String {
    let mut out = String::new();
    for member in &workspace.members {
        let _ = writeln!(
            out,
            "- {}: {} users and {} groups (the administrator and the built-in groups counted), \
             change: {}; {} users touched, {} of them new",
            member.name,
            thousands(member.built.users as u64),
            member.built.groups,
            member
                .change
                .summary
                .iter()
                .map(|(kind, steps)| format!("{steps} {kind}"))
                .collect::<Vec<_>>()
                .join(", "),
            member.change.touched.len(),
            member.new_users,
        );
        for row in rows.iter().filter(|row| row.account == Some(&member.name)) {
            let _ = writeln!(
                out,
                "  - {} minimum {}: {}",
                row.run.name(),
                row.minimum.calls,
                row.minimum.arithmetic
            );
        }
    }
    out
}

fn main() {
    // `cargo bench` passes `--bench`; anything else but `--quick` is not ours to read.
    let sizes = if std::env::args().any(|arg| arg == "--quick") {
        &QUICK
    } else {
        &FULL
    };
    let started = Instant::now();
    let load_before = load_average();
    let (busy_before, own_before) = (machine_busy_ticks(), own_ticks());
    let config = emulated::production();
    let accounts: Vec<(&str, &[Scenario])> = sizes
        .accounts
        .iter()
        .map(|(name, change)| (*name, &change[..]))
        .collect();
    let workspace = Workspace::build(sizes.shape, &accounts);
    eprintln!(
        "workspace benchmark: {} accounts of {} users; {} ms latency, {} calls per 30 s and {} \
         an hour per account; {} run(s) of each measurement, a fresh emulator each",
        accounts.len(),
        thousands(sizes.shape.users as u64),
        LATENCY.as_millis(),
        BURST_CAP,
        HOURLY_LIMIT,
        sizes.runs
    );
    let rows = measure_all(&workspace, sizes, &config);

    let wall = started.elapsed();
    let others =
        as_f64((machine_busy_ticks() - busy_before).saturating_sub(own_ticks() - own_before))
            / as_f64(TICKS_PER_SECOND)
            / wall.as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut failed = Vec::new();
    let mut out = table(&rows);
    out.push('\n');
    out.push_str(&checks_table(&rows, &mut failed));
    let _ = write!(
        out,
        "\ncalls: what the emulator served during the run (every API call; discovery's userinfo \
         is not one), the same in every run or the row says so; writes among them. minimum: \
         worked out from DocuSign's documented limits and the work's shape \
         (`benches/common/calls.rs`, `benches/common/workspace.rs`): a plan reads the account \
         once (⌈U/100⌉ + ⌈G/100⌉ + 2); an apply reads it, makes its change's minimum (⌈N/500⌉ \
         `POST /users` for N new hires, whose team joins ride in them; a `PUT` per department \
         gaining movers and a `DELETE` per department losing some) and reads it back once (the \
         same snapshot minimum, the new users counted). CPU: user + system time of the binary's \
         process, and of the emulator's threads serving it (medians). no latency: the same run on \
         an emulator with no latency, the work that is not waiting (median). Each run on a fresh emulator of the \
         three accounts ({} ms latency, {} calls per 30 s and {} an hour per account) and from \
         no recorded state; {} run(s) of each, round robin.\n\n{}\nmachine: {cores} cores ({}), \
         {:.1} GB memory, {}; load average {load_before} at the start, {} at the end; the rest \
         of the machine kept {others:.2} cores busy on average during the run. Run time {:.0} \
         s.\n",
        LATENCY.as_millis(),
        BURST_CAP,
        HOURLY_LIMIT,
        sizes.runs,
        notes(&workspace, &rows),
        cpu_model(),
        memory_gb(),
        rustc_version(),
        load_average(),
        wall.as_secs_f64(),
    );
    if !failed.is_empty() {
        out.push_str("\n**Checks that failed** (the run fails):\n\n");
        for what in &failed {
            let _ = writeln!(out, "- {what}");
        }
    }
    finish(sizes.written_to, &out, &failed, "check(s) failed");
}
