//! The seats benchmark of issue 19: what `docusign-gitops seats` costs in calls at 1,000,
//! 10,000 and 50,000 users, beside the fewest calls the API allows for the same report.
//!
//! Run with `cargo bench --bench seats` (several minutes: DocuSign's burst cap sets the pace).
//! It prints markdown tables and writes them to `target/seats-bench.md` (`$CARGO_TARGET_DIR`
//! when set); `cargo bench --bench seats -- --quick` runs the 1,000-user account once each
//! (`target/seats-bench-quick.md`), to see it work end to end.
//!
//! - The accounts (`common/seats.rs`): the administrator and the rest of the users, 2% pending
//!   invitations of 1–180 days, 1% closed, and among the active users most signed in and
//!   sending lately, some with an old login but a recent envelope, some idle (an old login and
//!   no envelope in 90 days, or never signed in), a few given the account lately; the same
//!   account on every run (a fixed seed).
//! - Each is read under two readings of DocuSign: `lastLogin` never given (the emulator's
//!   default, as DocuSign answers today: every active user given the account over 90 days ago
//!   needs an envelope-list call), and `lastLogin` reported (only those whose login is old or
//!   missing need one).
//! - Each run is the release binary, `docusign-gitops seats DIR --format json
//!   --envelope-checks N`, DIR holding only `account.yaml` (the account, the administrator
//!   protected), in a process of its own connected through the environment only
//!   (`DOCUSIGN_AUTH_SERVER`, `DOCUSIGN_ACCESS_TOKEN`, `DOCUSIGN_ACCOUNT_ID`), against a fresh
//!   in-process emulator (on a runtime of its own) with 50 ms of latency on every call and
//!   DocuSign's production limits (3,000 calls an hour, 500 per 30 s). N is the account's size
//!   (enough for every user), and the default 300.
//! - A run whose minimum is more than the client's share of the hourly budget (it leaves 20% to
//!   other integrations: 2,400 of 3,000) can't finish at DocuSign's limits: it is run once with
//!   no latency, the hourly limit lifted and a burst cap of 10,000 per 30 s, for its calls only,
//!   and the table gives the hours of budget it needs instead of a wall time. In the full run,
//!   the first such case is also run once at DocuSign's limits, to show what the tool does.
//! - Calls are the emulator's count, by endpoint. The minimum is worked out from DocuSign's
//!   documented limits and the account itself (`common/seats.rs`, `SeatsMinimum`), never from
//!   the tool: ⌈U/100⌉ user pages, one account call, and one envelope-list call for each
//!   active user whose dates leave them idle, at most N.
//!
//! It asserts that every run makes exactly the minimum, split as the minimum is (user pages,
//! account, envelope lists), that the report counts its calls as the emulator did, that the
//! emulator refused none, and that the report's idle users are exactly the account's idle
//! users (when the cap leaves someone out: only idle users, and everyone beyond the cap
//! reported as not judged). A failed check is reported in the table and fails the run once
//! the table is written. `tests/bench_checks.rs` runs the same checks on 300 users in
//! `cargo test`, with no timing.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use docusign_gitops::docusign::ClientSettings;
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::account::UserStatus;
use docusign_gitops::emulator::config::Clock;

use common::child::as_f64;
use common::emulated::{self, BURST_CAP, HOURLY_LIMIT, LATENCY};
use common::floor::{Pace, check_by_hand, rounds_floor, wide};
use common::machine::{cpu_model, finish, load_average, memory_gb, rustc_version};
use common::procfs::{TICKS_PER_SECOND, machine_busy_ticks, own_ticks};
use common::seats::{
    self, DEFAULT_CAP, Folder, Reading, SeatsAccount, SeatsMinimum, SeatsRun, check,
    client_hourly_share, emulator_runtime, over_budget_config,
};
use common::thousands;

/// What the run measures.
struct Sizes {
    users: &'static [usize],
    /// Runs of each measurement at DocuSign's limits; the median counts.
    runs: usize,
    /// Whether to run the first over-budget case once at DocuSign's limits too.
    over_budget_at_limits: bool,
    written_to: &'static str,
}

const FULL: Sizes = Sizes {
    users: &[1_000, 10_000, 50_000],
    runs: 3,
    over_budget_at_limits: true,
    written_to: "seats-bench.md",
};

const QUICK: Sizes = Sizes {
    users: &[1_000],
    runs: 1,
    over_budget_at_limits: false,
    written_to: "seats-bench-quick.md",
};

fn secs(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// One measurement: an account size, a reading, a cap, and its runs.
struct Row {
    users: usize,
    reading: Reading,
    cap: usize,
    minimum: SeatsMinimum,
    /// Run at DocuSign's limits (else: calls only, see the module's notes).
    at_limits: bool,
    runs: Vec<SeatsRun>,
    idle_by_account: usize,
    wrong: Vec<String>,
}

impl Row {
    fn cap_shown(&self) -> String {
        if self.cap == DEFAULT_CAP {
            format!("{DEFAULT_CAP} (default)")
        } else {
            format!("{} (all)", thousands(wide(self.cap)))
        }
    }

    fn walls(&self) -> Vec<Duration> {
        let mut walls: Vec<Duration> = self.runs.iter().map(|run| run.wall).collect();
        walls.sort_unstable();
        walls
    }

    /// The fastest DocuSign's burst cap lets the minimum finish, and the client's own pace
    /// (its share of the cap): the first user page and the account figures, then the other
    /// pages once the first has told how many, then the envelope lists once every user is
    /// read; each answer one latency after its call.
    fn floors(&self) -> (Duration, Duration) {
        let rounds = [2, self.minimum.pages - 1, self.minimum.envelopes];
        let reserve = ClientSettings::default().reserve_share;
        (
            rounds_floor(&rounds, BURST_CAP, None, LATENCY),
            rounds_floor(
                &rounds,
                BURST_CAP,
                Some(Pace::of_client(BURST_CAP, reserve)),
                LATENCY,
            ),
        )
    }
}

/// What the minimum is of DocuSign's hourly budget: a share of one hour's, or hours of it.
fn budget(calls: u64) -> String {
    let share = as_f64(calls) / f64::from(HOURLY_LIMIT);
    if share <= 1.0 {
        format!("{:.0}%", share * 100.0)
    } else {
        format!("{:.0}% ({share:.1} h of budget)", share * 100.0)
    }
}

fn measure(
    runtime: &tokio::runtime::Runtime,
    built: &SeatsAccount,
    folder: &Folder,
    reading: Reading,
    cap: usize,
    sizes: &Sizes,
) -> Row {
    let minimum = built.minimum(reading, cap);
    let at_limits = minimum.calls() <= client_hourly_share();
    let (config, runs) = if at_limits {
        (reading.config(emulated::production()), sizes.runs)
    } else {
        (over_budget_config(reading), 1)
    };
    let mut row = Row {
        users: built.account.users.len(),
        reading,
        cap,
        minimum,
        at_limits,
        runs: Vec::new(),
        idle_by_account: built.idle(reading).len(),
        wrong: Vec::new(),
    };
    for round in 0..runs {
        let run = seats::run(runtime, &config, &built.account, folder, cap);
        eprintln!(
            "{} users, {}, --envelope-checks {cap} (run {}{}): {}, {} calls (minimum {}), {} idle",
            thousands(wide(row.users)),
            reading.title(),
            round + 1,
            if at_limits { "" } else { ", limits lifted" },
            secs(run.wall),
            run.served.total(),
            minimum.calls(),
            run.report["idle"].as_array().map_or(0, Vec::len),
        );
        for wrong in check(&run, built, reading, &minimum) {
            if !row.wrong.contains(&wrong) {
                row.wrong.push(wrong);
            }
        }
        row.runs.push(run);
    }
    row
}

fn table(rows: &[Row], runs: usize) -> String {
    let mut out = format!(
        "| users | `lastLogin` | `--envelope-checks` | calls made: pages + account + envelope \
         lists | API minimum | idle: reported / by the account | not judged | wall: median \
         (min–max) of {runs} | burst-cap floor: DocuSign's 500 / the client's 400 per 30 s | \
         of DocuSign's 3,000 calls an hour |\n|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    );
    for row in rows {
        let first = &row.runs[0];
        let made = first.served;
        let same = row.runs.iter().all(|run| run.served == made);
        let calls = format!(
            "{} = {} + {} + {}{}{}",
            thousands(made.total()),
            thousands(made.pages),
            made.account,
            thousands(made.envelopes),
            if same { "" } else { " **runs differ**" },
            if row.wrong.is_empty() {
                ""
            } else {
                " **FAILED**"
            }
        );
        let minimum = format!(
            "{} = {} + 1 + {}",
            thousands(row.minimum.calls()),
            thousands(row.minimum.pages),
            thousands(row.minimum.envelopes)
        );
        let idle = format!(
            "{} / {}",
            thousands(wide(first.report["idle"].as_array().map_or(0, Vec::len))),
            thousands(wide(row.idle_by_account))
        );
        let not_judged = thousands(wide(
            first.report["not_judged"].as_array().map_or(0, Vec::len),
        ));
        let (cap_floor, paced_floor) = row.floors();
        let (wall, floors) = if row.at_limits {
            let walls = row.walls();
            (
                format!(
                    "{} ({}–{})",
                    secs(walls[walls.len() / 2]),
                    secs(walls[0]),
                    secs(walls[walls.len() - 1])
                ),
                format!("{} / {}", secs(cap_floor), secs(paced_floor)),
            )
        } else {
            (
                format!(
                    "not run at DocuSign's limits: over the hourly budget (calls counted with \
                     the limits lifted, no latency: {})",
                    secs(first.wall)
                ),
                format!(
                    "≥ {} h: the hourly budget",
                    row.minimum.calls().div_ceil(u64::from(HOURLY_LIMIT)) - 1
                ),
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {calls} | {minimum} | {idle} | {not_judged} | {wall} | {floors} | \
             {} |",
            thousands(wide(row.users)),
            match row.reading {
                Reading::Never => "never given",
                Reading::Reported => "reported",
            },
            row.cap_shown(),
            budget(made.total()),
        );
    }
    out
}

fn minimums(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        let _ = writeln!(
            out,
            "- {} users, {}, `--envelope-checks {}`: {}",
            thousands(wide(row.users)),
            row.reading.title(),
            row.cap,
            row.minimum.arithmetic()
        );
    }
    out
}

/// The first run over the hourly budget, once at DocuSign's limits: what the tool does when
/// `--envelope-checks` asks for more than the hour allows. Starts mid-hour, so the hourly
/// window can't reset under it.
fn over_budget_at_limits(
    runtime: &tokio::runtime::Runtime,
    built: &SeatsAccount,
    folder: &Folder,
    row: &Row,
) -> String {
    let config = row.reading.config(Config {
        clock: Clock::MID_HOUR,
        ..emulated::production()
    });
    let run = seats::run(runtime, &config, &built.account, folder, row.cap);
    let made = run.served;
    let not_judged = run.report["not_judged"].as_array().map_or(0, Vec::len);
    let idle = run.report["idle"].as_array().map_or(0, Vec::len);
    eprintln!(
        "over budget at DocuSign's limits: {}, {} calls, {idle} idle, {not_judged} not judged",
        secs(run.wall),
        made.total()
    );
    format!(
        "{} users, {}, `--envelope-checks {}` at DocuSign's limits (once, the hourly window \
         40 minutes from its reset): {}, {} calls ({} pages + {} account + {} envelope lists; \
         the minimum is {}), {} refused by the emulator; {idle} users reported idle, {} not \
         judged.\n",
        thousands(wide(row.users)),
        row.reading.title(),
        row.cap,
        secs(run.wall),
        thousands(made.total()),
        made.pages,
        made.account,
        thousands(made.envelopes),
        thousands(row.minimum.calls()),
        run.rejections,
        thousands(wide(not_judged)),
    )
}

/// Every check that failed, named by its row.
fn failures(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .flat_map(|row| {
            row.wrong.iter().map(move |wrong| {
                format!(
                    "{} users, {}, --envelope-checks {}: {wrong}",
                    row.users,
                    row.reading.title(),
                    row.cap
                )
            })
        })
        .collect()
}

/// One line on an account: its users, envelopes and idle ones.
fn describe(built: &SeatsAccount) -> String {
    let active = built
        .account
        .users
        .iter()
        .filter(|user| user.status == UserStatus::Active)
        .count();
    format!(
        "- {} users: {} active, {} envelopes; idle by their dates: {} (lastLogin never given), \
         {} (reported); idle: {}\n",
        thousands(wide(built.account.users.len())),
        thousands(wide(active)),
        thousands(wide(built.account.envelopes.len())),
        thousands(wide(built.idle_by_dates(Reading::Never).len())),
        thousands(wide(built.idle_by_dates(Reading::Reported).len())),
        thousands(wide(built.idle(Reading::Never).len())),
    )
}

fn main() {
    // `cargo bench` passes `--bench`; anything else but `--quick` is not ours to read.
    let sizes = if std::env::args().any(|arg| arg == "--quick") {
        &QUICK
    } else {
        &FULL
    };
    check_by_hand();
    let started = Instant::now();
    let load_before = load_average();
    let (busy_before, own_before) = (machine_busy_ticks(), own_ticks());
    let runtime = emulator_runtime();
    let folder = Folder::new();
    eprintln!(
        "seats benchmark: {} users; {} ms latency, {} calls per 30 s and {} an hour; {} run(s) \
         of each measurement at DocuSign's limits, a fresh emulator each",
        sizes
            .users
            .iter()
            .map(|users| thousands(wide(*users)))
            .collect::<Vec<_>>()
            .join(" / "),
        LATENCY.as_millis(),
        BURST_CAP,
        thousands(u64::from(HOURLY_LIMIT)),
        sizes.runs
    );
    let mut rows = Vec::new();
    let mut accounts = String::new();
    let mut observed = None;
    for &users in sizes.users {
        let built = SeatsAccount::build(users);
        accounts.push_str(&describe(&built));
        for reading in Reading::ALL {
            for cap in [users, DEFAULT_CAP] {
                let row = measure(&runtime, &built, &folder, reading, cap, sizes);
                if sizes.over_budget_at_limits && !row.at_limits && observed.is_none() {
                    observed = Some(over_budget_at_limits(&runtime, &built, &folder, &row));
                }
                rows.push(row);
            }
        }
    }

    let wall = started.elapsed();
    let others =
        as_f64((machine_busy_ticks() - busy_before).saturating_sub(own_ticks() - own_before))
            / as_f64(TICKS_PER_SECOND)
            / wall.as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let failed = failures(&rows);
    let mut out = table(&rows, sizes.runs);
    let _ = write!(
        out,
        "\ncalls: what the emulator served during the run, by endpoint (`GET /users` pages, \
         `GET /accounts/{{accountId}}`, `GET /envelopes`), the same in every run or the row says \
         so; the report's own count agreed in every run or the row says FAILED. API minimum: \
         ⌈U/100⌉ user pages + 1 account call + one envelope-list call per active user whose \
         dates leave them idle, at most `--envelope-checks` (`benches/common/seats.rs`). idle: \
         the users the report calls idle, and the account's idle users (no sign of use in 90 \
         days). not judged: active users left beyond the cap. burst-cap floor: the fastest the \
         minimum can finish under the cap (the first page and the account call, then the other \
         pages, then the envelope lists), at DocuSign's 500 and at the client's own pace (it \
         leaves 20% to other integrations). Each run on a fresh emulator ({} ms latency, {} calls \
         per 30 s and {} an hour); {} run(s) of each at DocuSign's limits.\n\nThe accounts:\n\n\
         {accounts}\nThe minimums:\n\n{}",
        LATENCY.as_millis(),
        BURST_CAP,
        thousands(u64::from(HOURLY_LIMIT)),
        sizes.runs,
        minimums(&rows),
    );
    if let Some(observed) = observed {
        let _ = write!(out, "\nOver the hourly budget: {observed}");
    }
    let _ = write!(
        out,
        "\nmachine: {cores} cores ({}), {:.1} GB memory, {}; load average {load_before} at the \
         start, {} at the end; the rest of the machine kept {others:.2} cores busy on average \
         during the run. Run time {:.0} s.\n",
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
