//! Measuring in a fresh process: the benchmark re-executes itself with an environment variable
//! naming what to measure; the child prints one `RESULT key=value …` line (counts, sizes and
//! nanoseconds, all whole numbers, `process_ticks` among them) and the parent reads it, so a
//! peak memory figure is that one run's.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use nix::sys::resource::{Usage, UsageWho, getrusage};
use nix::sys::time::TimeValLike as _;

use super::procfs::{TICKS_PER_SECOND, machine_busy_ticks};

/// One child's figures by key.
pub type Figures = BTreeMap<String, u64>;

/// Runs this benchmark again with `env=spec`; returns the child's figures and how many cores
/// the rest of the machine kept busy meanwhile.
pub fn run(env: &str, spec: &str) -> (Figures, f64) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let busy_before = machine_busy_ticks();
    let start = Instant::now();
    let output = Command::new(exe)
        .env(env, spec)
        .output()
        .expect("run the benchmark's child");
    let wall = start.elapsed();
    let busy = machine_busy_ticks() - busy_before;
    assert!(
        output.status.success(),
        "the {spec} child failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let figures: Figures = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .expect("a RESULT line")
        .split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("key=value");
            (key.to_owned(), value.parse().expect("a number"))
        })
        .collect();
    let others = busy.saturating_sub(figures["process_ticks"]);
    let others = as_f64(others) / as_f64(TICKS_PER_SECOND) / wall.as_secs_f64();
    (figures, others)
}

/// The counts, sizes and nanoseconds here are far below 2^53, so the conversion is exact.
#[allow(clippy::cast_precision_loss)]
pub fn as_f64(n: u64) -> f64 {
    n as f64
}

pub fn ms(ns: u64) -> f64 {
    as_f64(ns) / 1e6
}

pub fn mb(kb: u64) -> f64 {
    as_f64(kb) / 1024.0
}

/// Median, minimum and maximum of one figure over the runs.
pub fn spread(runs: &[Figures], key: &str) -> (u64, u64, u64) {
    let mut values: Vec<u64> = runs.iter().map(|figures| figures[key]).collect();
    values.sort_unstable();
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

/// User and system CPU time of a `getrusage` figure, in nanoseconds.
pub fn nanos(usage: &Usage) -> (u64, u64) {
    let ns = |time: nix::sys::time::TimeVal| u64::try_from(time.num_nanoseconds()).unwrap_or(0);
    (ns(usage.user_time()), ns(usage.system_time()))
}

/// The CPU time (user + system) of every child this process has waited for, in nanoseconds:
/// read before and after a child runs, the difference is that child's.
pub fn children_cpu_ns() -> u64 {
    let (user, system) = nanos(&getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage"));
    user + system
}
