//! Reading `/proc` for the benchmarks that measure CPU time and memory. The crate forbids
//! `unsafe`, so everything comes from `/proc` rather than `getrusage`:
//!
//! - CPU time: the measuring thread's time on a CPU, user plus system, from
//!   `/proc/thread-self/schedstat` (nanoseconds, after a yield brings it up to date);
//! - peak memory: `VmHWM` of `/proc/self/status`, reset by writing `5` to
//!   `/proc/self/clear_refs` so that a peak read after a call is that call's;
//! - the machine's busy time from `/proc/stat`, to tell how busy the other cores were.

use std::hint::black_box;
use std::time::Duration;

/// `getconf CLK_TCK` on Linux: the unit of `/proc/self/stat` and `/proc/stat`.
pub const TICKS_PER_SECOND: u64 = 100;

/// The measuring thread's time on a CPU (user + system) in nanoseconds; the process's CPU
/// ticks from `/proc/self/stat` where schedstat is missing.
pub fn thread_cpu_ns() -> u64 {
    // The kernel brings a running thread's figure up to date only at a scheduler tick (4 ms
    // here) or a switch; yielding makes it account the time so far, to the nanosecond.
    std::thread::yield_now();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| process_cpu_ticks() * (1_000_000_000 / TICKS_PER_SECOND))
}

/// utime + stime of the whole process, in ticks.
pub fn process_cpu_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name may hold spaces; the fields after it start with the state (field 3).
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .collect();
    let field = |n: usize| fields[n - 3].parse::<u64>().expect("a number");
    field(14) + field(15)
}

/// A `kB` figure of `/proc/self/status`.
pub fn status_kb(name: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("`{name}` in /proc/self/status"))
}

/// Resets `VmHWM` to the current RSS; false where the kernel doesn't allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The machine's busy ticks (all CPUs) from `/proc/stat`.
pub fn machine_busy_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let numbers: Vec<u64> = text
        .lines()
        .next()
        .expect("a cpu line")
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
    numbers.iter().take(8).sum::<u64>() - numbers[3] - numbers[4]
}

/// Measures `call`: its CPU time, the RSS before it and the peak during it (reset first).
pub fn measure<T>(call: impl FnOnce() -> T) -> (T, u64, u64, u64, bool) {
    let reset = reset_peak();
    let base_kb = status_kb("VmRSS");
    let start = thread_cpu_ns();
    let out = black_box(call());
    let cpu_ns = thread_cpu_ns() - start;
    (out, cpu_ns, base_kb, status_kb("VmHWM"), reset)
}

/// Each thread's name and time on a CPU (user + system) in nanoseconds, from
/// `/proc/self/task/*/{comm,schedstat}`: every thread alive now. A thread that ended meanwhile
/// takes its time with it; the benchmarks' threads (tokio's workers) live as long as the
/// process.
pub fn threads_cpu_ns() -> Vec<(String, u64)> {
    std::thread::yield_now();
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(Result::ok)
        .filter_map(|task| {
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?;
            let ns = std::fs::read_to_string(task.path().join("schedstat"))
                .ok()?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()?;
            Some((name.trim().to_owned(), ns))
        })
        .collect()
}

/// Busy ticks of this process and the children it has waited for.
pub fn own_ticks() -> u64 {
    // utime, stime, cutime, cstime.
    stat_ticks("/proc/self/stat", 4)
}

/// The sum of the first `fields` of a process's CPU times in its `stat` file (`/proc/PID/stat`),
/// in ticks: utime, stime, then the children's cutime, cstime (fields 14–17).
pub fn stat_ticks(stat: &str, fields: usize) -> u64 {
    let text = std::fs::read_to_string(stat).unwrap_or_else(|_| panic!("{stat}"));
    text.rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .skip(11)
        .take(fields)
        .map(|field| field.parse::<u64>().expect("a number"))
        .sum()
}

/// The emulator's threads are named so, to tell its CPU time from the tool's.
pub const EMULATOR_THREADS: &str = "emulator";

/// CPU time, split between the tool (the client, snapshot, plan and apply: every thread but
/// the emulator's) and the emulator, which serves from a runtime of its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpu {
    pub tool: Duration,
    pub emulator: Duration,
}

impl Cpu {
    pub fn now() -> Self {
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

    pub fn since(self, before: Self) -> Self {
        Self {
            tool: self.tool.saturating_sub(before.tool),
            emulator: self.emulator.saturating_sub(before.emulator),
        }
    }
}
