//! How much CPU time and memory the planner takes on a big account, and rendering its plan.
//!
//! Run with `cargo bench --bench plan` (a minute or two). The target: planning 100,000
//! users and 2,000 groups in under 1 s of CPU and under 500 MB of peak memory.
//!
//! The inputs are built as values, not loaded from YAML: see `common/planning.rs` for the
//! accounts (a month of HR changes on an account of `users` users).
//!
//! Every figure comes from a fresh process, so that the peak memory is one run's: the benchmark
//! re-executes itself with `PLAN_BENCH_CHILD=<size>/<phase>`; the child builds the inputs,
//! plans (and for a rendering phase renders the plan once), reads its own CPU time and peak RSS
//! around the measured call, and prints one `RESULT` line; the parent runs each (size, phase)
//! several times and prints medians. The crate forbids `unsafe`, so everything is read from
//! `/proc`:
//!
//! - CPU time: the measuring thread's time on a CPU, user plus system, from
//!   `/proc/thread-self/schedstat` (nanoseconds, after a yield brings it up to date; the
//!   planner runs on one thread);
//! - peak memory: `VmHWM` of `/proc/self/status`. After building the inputs (and, for a
//!   rendering phase, after planning) the child resets it by writing `5` to
//!   `/proc/self/clear_refs`, so the peak read after the call is that call's. The whole-process
//!   peak includes the inputs themselves, which a real `plan` holds anyway (with the YAML's
//!   spans and the snapshot's wire records besides); the rise is that peak less the RSS before
//!   the call. Memory freed earlier may be reused without raising RSS, so a rise can read low.
//!
//! The parent also reads `/proc/stat` around each child and reports how busy the machine's
//! other cores were, since other builds may share it. It asserts that each plan holds the
//! expected changes and no breach (so the success path is measured), but not how long it took.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use docusign_gitops::plan::render;

use common::child::{self, Figures, as_f64, mb, ms, spread};
use common::planning::{SEED, Shape, measured_plan};
use common::procfs::{measure, process_cpu_ticks};

const CHILD_ENV: &str = "PLAN_BENCH_CHILD";
/// Fresh processes per (size, phase).
const RUNS: usize = 5;

/// The target of the issue, for the large size.
const TARGET_CPU_MS: f64 = 1000.0;
const TARGET_PEAK_MB: f64 = 500.0;

const SHAPES: [Shape; 2] = [
    Shape {
        users: 10_000,
        groups: 200,
    },
    Shape {
        users: 100_000,
        groups: 2_000,
    },
];

/// What a child measures: the plan, or one rendering of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plan,
    Text,
    Json,
    Markdown,
}

const PHASES: [Phase; 4] = [Phase::Plan, Phase::Text, Phase::Json, Phase::Markdown];

impl Phase {
    const fn name(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Text => "text",
            Self::Json => "json",
            Self::Markdown => "markdown",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        PHASES.into_iter().find(|phase| phase.name() == name)
    }
}

// ---------------------------------------------------------------------------------------------
// The child: one measurement
// ---------------------------------------------------------------------------------------------

fn child(spec: &str) {
    let (size, phase) = spec.split_once('/').expect("<size>/<phase>");
    let shape = SHAPES
        .into_iter()
        .find(|shape| shape.name() == size)
        .expect("a known size");
    let phase = Phase::from_name(phase).expect("a known phase");
    let (plan, mut line) = measured_plan(shape);
    if phase != Phase::Plan {
        let (bytes, render_ns, render_base_kb, render_peak_kb, _) = measure(|| {
            let rendered = match phase {
                Phase::Text => render::text(&plan, false),
                Phase::Json => render::json(&plan),
                Phase::Markdown => render::markdown(&plan),
                Phase::Plan => unreachable!(),
            };
            rendered.len()
        });
        let _ = write!(
            line,
            " render_ns={render_ns} render_base_kb={render_base_kb} \
             render_peak_kb={render_peak_kb} bytes={bytes}"
        );
    }
    let _ = write!(line, " process_ticks={}", process_cpu_ticks());
    println!("RESULT {line}");
}

// ---------------------------------------------------------------------------------------------
// The parent: runs, medians, tables
// ---------------------------------------------------------------------------------------------

/// One child's figures, and how many cores the rest of the machine kept busy meanwhile.
fn run_child(shape: Shape, phase: Phase) -> (Figures, f64) {
    child::run(CHILD_ENV, &format!("{}/{}", shape.name(), phase.name()))
}

fn cpu_cell(runs: &[Figures], key: &str) -> String {
    let (median, min, max) = spread(runs, key);
    format!("{:.1} ({:.1}–{:.1})", ms(median), ms(min), ms(max))
}

/// The whole-process peak during a call and its rise over the RSS before it, both medians.
fn memory_cell(runs: &[Figures], prefix: &str) -> String {
    let (peak, ..) = spread(runs, &format!("{prefix}_peak_kb"));
    let rises: Vec<Figures> = runs
        .iter()
        .map(|figures| {
            let rise = figures[&format!("{prefix}_peak_kb")]
                .saturating_sub(figures[&format!("{prefix}_base_kb")]);
            Figures::from([("rise".to_owned(), rise)])
        })
        .collect();
    let (rise, ..) = spread(&rises, "rise");
    format!("{:.0} (+{:.0})", mb(peak), mb(rise))
}

struct Measured {
    shape: Shape,
    /// Per phase, the figures of each run.
    runs: BTreeMap<&'static str, Vec<Figures>>,
    others: Vec<f64>,
}

fn measure_shape(shape: Shape) -> Measured {
    let mut runs: BTreeMap<&'static str, Vec<Figures>> = BTreeMap::new();
    let mut others = Vec::new();
    // Run-major, so that a burst of load elsewhere spreads over the phases.
    for run in 1..=RUNS {
        for phase in PHASES {
            let (figures, busy) = run_child(shape, phase);
            others.push(busy);
            runs.entry(phase.name()).or_default().push(figures);
        }
        eprintln!("{}: run {run}/{RUNS} done", shape.name());
    }
    Measured {
        shape,
        runs,
        others,
    }
}

fn print_tables(all: &[Measured]) {
    println!();
    println!(
        "CPU time, ms: median (min–max) of {RUNS} fresh processes; user+sys of the measuring \
         thread (/proc/thread-self/schedstat)"
    );
    println!(
        "{:<5} {:>7} {:>7} {:>6} {:>6} {:>7} {:>19} {:>15} {:>15} {:>15} {:>12}",
        "size",
        "desired",
        "live",
        "groups",
        "steps",
        "reports",
        "plan",
        "render text",
        "render json",
        "render md",
        "build inputs"
    );
    for measured in all {
        let plan = &measured.runs["plan"];
        let first = &plan[0];
        println!(
            "{:<5} {:>7} {:>7} {:>6} {:>6} {:>7} {:>19} {:>15} {:>15} {:>15} {:>12}",
            measured.shape.name(),
            first["desired_users"],
            first["live_users"],
            measured.shape.groups + 2,
            first["steps"],
            first["reports"],
            cpu_cell(plan, "plan_ns"),
            cpu_cell(&measured.runs["text"], "render_ns"),
            cpu_cell(&measured.runs["json"], "render_ns"),
            cpu_cell(&measured.runs["markdown"], "render_ns"),
            format!("{:.0}", ms(spread(plan, "build_ns").0)),
        );
    }
    println!(
        "users count the integration user, live ones the 1% unmanaged; groups count Everyone and \
         Administrators; reports are the unmanaged users (policy: report)"
    );
    println!();
    println!(
        "Peak RSS, MB (VmHWM, median): whole process, which INCLUDES the inputs (desired and live \
         accounts, held by any real run), and (+ the rise over the RSS just before the call)"
    );
    println!(
        "{:<5} {:>13} {:>12} {:>12} {:>12} {:>12} {:>26}",
        "size",
        "inputs built",
        "plan",
        "render text",
        "render json",
        "render md",
        "output KB text/json/md"
    );
    for measured in all {
        let plan = &measured.runs["plan"];
        let bytes = |phase: &str| {
            let (median, ..) = spread(&measured.runs[phase], "bytes");
            format!("{:.0}", as_f64(median) / 1024.0)
        };
        println!(
            "{:<5} {:>13} {:>12} {:>12} {:>12} {:>12} {:>26}",
            measured.shape.name(),
            format!("{:.0}", mb(spread(plan, "build_peak_kb").0)),
            memory_cell(plan, "plan"),
            memory_cell(&measured.runs["text"], "render"),
            memory_cell(&measured.runs["json"], "render"),
            memory_cell(&measured.runs["markdown"], "render"),
            format!("{}/{}/{}", bytes("text"), bytes("json"), bytes("markdown")),
        );
    }
    println!(
        "inputs built: the peak while building them; plan: the peak while planning (the rise is \
         the plan's own working memory); render: the peak while rendering, the plan included. A \
         rendering's rise reads low (often +0): it reuses memory the planner freed, which the \
         allocator keeps; its need is of the order of its output"
    );
    for measured in all {
        let kinds: Vec<String> = measured.runs["plan"][0]
            .iter()
            .filter_map(|(key, count)| Some(format!("{} {count}", key.strip_prefix("kind_")?)))
            .collect();
        println!("{} plan: {}", measured.shape.name(), kinds.join(", "));
    }
    let resets = all
        .iter()
        .flat_map(|measured| measured.runs.values().flatten())
        .all(|figures| figures["reset"] == 1);
    if !resets {
        println!(
            "note: /proc/self/clear_refs refused the reset, so a later peak may be an earlier one"
        );
    }
}

fn print_machine(all: &[Measured]) {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut others: Vec<f64> = all
        .iter()
        .flat_map(|measured| measured.others.iter().copied())
        .collect();
    others.sort_by(f64::total_cmp);
    let mean = others.iter().sum::<f64>() / as_f64(u64::try_from(others.len()).unwrap_or(1));
    println!(
        "machine: {cores} cores; besides the benchmark, the rest of the machine kept {mean:.2} \
         cores busy on average during the children (max {:.2})",
        others.last().copied().unwrap_or_default()
    );
}

fn print_verdict(all: &[Measured]) {
    let Some(large) = all.iter().find(|measured| measured.shape.users == 100_000) else {
        return;
    };
    let plan = &large.runs["plan"];
    let cpu = ms(spread(plan, "plan_ns").0);
    let peak = mb(spread(plan, "plan_peak_kb")
        .0
        .max(spread(plan, "build_peak_kb").0));
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "target (100,000 users, 2,000 groups): plan CPU < {TARGET_CPU_MS:.0} ms: {} ({cpu:.0} ms); \
         peak < {TARGET_PEAK_MB:.0} MB: {} ({peak:.0} MB, whole process with the inputs)",
        verdict(cpu < TARGET_CPU_MS),
        verdict(peak < TARGET_PEAK_MB),
    );
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    println!(
        "plan benchmark: {RUNS} fresh processes per size and phase ({}), seed {SEED:#x}",
        PHASES.map(Phase::name).join(", ")
    );
    let all: Vec<Measured> = SHAPES.into_iter().map(measure_shape).collect();
    print_tables(&all);
    print_machine(&all);
    print_verdict(&all);
}
