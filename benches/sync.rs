//! The sync benchmark of issue 17: `docusign-gitops sync DIR` on an HR export of 50,000 rows
//! and on an LDAP directory of 50,000 people, wall time, CPU time and peak memory.
//!
//! Run with `cargo bench --bench sync` (about a minute after the build). It prints a markdown
//! table and writes it to `target/sync-bench.md` (`$CARGO_TARGET_DIR` when set);
//! `cargo bench --bench sync -- --quick` does the same for 2,000 people, and `-- --people N`
//! for N (`target/sync-bench-N.md`).
//!
//! - The company (`common/directory.rs`): ten departments of twenty teams, managers,
//!   contractors (out of scope) and leavers (closed), as a CSV export in a desired-state
//!   directory and as LDIF bulk-loaded into a real OpenLDAP (`slapd` on 127.0.0.1, as the
//!   tests start it: `tests/slapd.rs`) whose size limit is far below 50,000, so the source
//!   must page. Team groups hold people and department groups hold teams, so every person's
//!   department comes through nested groups. Generating and loading are timed but not counted.
//! - Each sync is the release binary run as a user runs it, in a child process of a fresh
//!   copy of this benchmark (so `getrusage` of its children is that one run's): wall time,
//!   user + system CPU time and peak RSS of the binary. Each is run three times from no
//!   generated file ("first sync": writes it) and three times again ("nothing changed": the
//!   previous file is read back with the rest of the desired state and left alone); the median
//!   counts. For LDAP, slapd's own CPU time during the run is measured apart.
//! - What dominates: the same steps in one process, one at a time (loading the desired state
//!   and its `sync` section, reading the source, mapping, writing the YAML text).
//!
//! It asserts that every sync succeeds, that the CSV and the directory give the same users
//! file, byte for byte, with every person in scope and every leaver
//! closed, that the result validates, and that a search without paging stops at the size
//! limit; never a time. `tests/bench_checks.rs` runs the same checks on 200 people.

#[allow(dead_code)] // each benchmark uses part of the shared code
mod common;
#[allow(dead_code)] // the tests' server, of which the benchmark needs the start and the reader
#[path = "../tests/slapd.rs"]
mod slapd;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docusign_gitops::desired;
use docusign_gitops::sync::ldap::{DEFAULT_BIND_DN_ENV, DEFAULT_PASSWORD_ENV, LdapSource};
use docusign_gitops::sync::{Source, rules, write};
use nix::sys::resource::{UsageWho, getrusage};
use tempfile::TempDir;

use common::child::{self, Figures, as_f64, mb, ms, nanos, spread};
use common::directory::{
    self, CSV_PATH, Company, GENERATED_FILE, csv_source, ldap_source, objects_yaml, sources_yaml,
};
use common::machine::{cpu_model, load_average, memory_gb, rustc_version, write_out};
use common::procfs::{self, TICKS_PER_SECOND};
use common::thousands;
use slapd::{GROUPS, PEOPLE, READER_DN, READER_PASSWORD, Slapd};

const CHILD_ENV: &str = "SYNC_BENCH_CHILD";
const BINARY: &str = env!("CARGO_BIN_EXE_docusign-gitops");

const FULL_PEOPLE: usize = 50_000;
const QUICK_PEOPLE: usize = 2_000;
/// Active Directory's default: a search without paging gets at most this many entries.
const SIZE_LIMIT: u32 = 1_000;
/// The source's default page size.
const PAGE_SIZE: u32 = 500;
/// Runs of each sync, each in a fresh process; the median counts.
const RUNS: usize = 3;

// ---------------------------------------------------------------------------------------------
// The child: one sync, or the steps of one
// ---------------------------------------------------------------------------------------------

/// What the child does: `first DIR` (a sync from no generated file), `again DIR` (a sync
/// with it in place) or `steps DIR`.
fn child_main(spec: &str) {
    let (what, dir) = spec.split_once(' ').expect("`WHAT DIR`");
    let dir = Path::new(dir);
    match what {
        "first" | "again" => run_sync(dir, what == "first"),
        "steps" => run_steps(dir),
        _ => panic!("unknown child `{spec}`"),
    }
}

/// `docusign-gitops sync DIR`, cut off from the benchmark's environment but for the bind DN
/// and password, which the LDAP source reads from it (a CSV source ignores them).
fn sync_command(dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .arg("sync")
        .arg(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env(DEFAULT_BIND_DN_ENV, READER_DN)
        .env(DEFAULT_PASSWORD_ENV, READER_PASSWORD)
        .stdin(Stdio::null());
    command
}

/// Runs one sync and prints its figures: the binary is this process's only child, so the
/// children's usage is its own.
fn run_sync(dir: &Path, first: bool) {
    if first {
        match std::fs::remove_dir_all(dir.join("generated")) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => panic!("can't remove the generated files: {error}"),
        }
    }
    let start = Instant::now();
    let output = sync_command(dir).output().expect("run docusign-gitops");
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sync failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let verb = if first { "wrote" } else { "unchanged" };
    assert!(
        stdout.contains(&format!("{verb} {GENERATED_FILE}")),
        "sync said: {stdout}"
    );
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let (user_ns, system_ns) = nanos(&usage);
    let peak_kb = u64::try_from(usage.max_rss()).expect("a size");
    let ticks =
        (user_ns + system_ns) / (1_000_000_000 / TICKS_PER_SECOND) + procfs::process_cpu_ticks();
    println!(
        "RESULT wall_ns={} user_ns={user_ns} system_ns={system_ns} peak_kb={peak_kb} \
         process_ticks={ticks}",
        wall.as_nanos()
    );
}

/// This process's CPU time so far (every thread, ended ones too), in nanoseconds.
fn own_cpu_ns() -> u64 {
    let (user, system) = nanos(&getrusage(UsageWho::RUSAGE_SELF).expect("getrusage"));
    user + system
}

/// Runs `step`, and keeps its wall and CPU time and the peak RSS during it under `key`.
fn step<T>(key: &str, figures: &mut Vec<String>, step: impl FnOnce() -> T) -> T {
    // The high-water mark starts again from the RSS now, so the peak read after is the step's.
    assert!(
        procfs::reset_peak(),
        "the kernel lets a process reset VmHWM"
    );
    let cpu = own_cpu_ns();
    let start = Instant::now();
    let out = step();
    figures.push(format!(
        "{key}_wall_ns={} {key}_cpu_ns={} {key}_peak_kb={}",
        start.elapsed().as_nanos(),
        own_cpu_ns() - cpu,
        procfs::status_kb("VmHWM"),
    ));
    out
}

/// The steps of `sync`, one at a time in this process, as `cli::sync` takes them.
fn run_steps(dir: &Path) {
    let mut figures = Vec::new();
    let section = step("load", &mut figures, || {
        desired::load(dir).sync.expect("a sync section")
    });
    let source = &section.sources[0];
    let people = step("read", &mut figures, || match &source.ldap {
        Some(config) => LdapSource::with_environment(
            config.clone(),
            [
                (DEFAULT_BIND_DN_ENV, READER_DN),
                (DEFAULT_PASSWORD_ENV, READER_PASSWORD),
            ],
        )
        .people(),
        None => source.people(dir),
    })
    .expect("the people");
    let users = step("map", &mut figures, || rules::map(&people, &section)).expect("the users");
    let text = step("render", &mut figures, || {
        write::users_file(&source.name, &users)
    })
    .expect("the YAML");
    assert_eq!(
        Some(text),
        std::fs::read_to_string(dir.join(GENERATED_FILE)).ok(),
        "the steps give the file sync wrote"
    );
    println!(
        "RESULT {} process_ticks={}",
        figures.join(" "),
        procfs::process_cpu_ticks()
    );
}

// ---------------------------------------------------------------------------------------------
// The parent
// ---------------------------------------------------------------------------------------------

/// A desired-state directory: `sources.yaml` with `source`, `objects.yaml`, and `extra` files.
fn desired_state(source: &str, extra: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().expect("a temp dir");
    let files = [
        ("sources.yaml", sources_yaml(source)),
        ("objects.yaml", objects_yaml()),
    ];
    let extra = extra.iter().map(|(path, text)| (*path, (*text).to_owned()));
    for (path, text) in files.iter().map(|(p, t)| (*p, t.clone())).chain(extra) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(path, text).expect("a fixture file");
    }
    dir
}

/// slapd's CPU time so far, in ticks.
fn ticks_of(pid: u32) -> u64 {
    // utime, stime.
    procfs::stat_ticks(&format!("/proc/{pid}/stat"), 2)
}

/// One sync, `RUNS` times, with slapd's CPU time per run when there is a server.
struct Measured {
    what: String,
    runs: Vec<Figures>,
    /// Cores the rest of the machine kept busy, per run (slapd's share taken out).
    others: Vec<f64>,
}

fn measure(what: String, spec: &str, server: Option<&Slapd>) -> Measured {
    let mut runs = Vec::new();
    let mut others = Vec::new();
    for _ in 0..RUNS {
        let before = server.map(|server| ticks_of(server.pid()));
        let (mut figures, busy) = child::run(CHILD_ENV, spec);
        let slapd_ticks = server.map_or(0, |server| ticks_of(server.pid()) - before.unwrap_or(0));
        figures.insert(
            "slapd_ns".to_owned(),
            slapd_ticks * (1_000_000_000 / TICKS_PER_SECOND),
        );
        let slapd_cores =
            as_f64(slapd_ticks) / as_f64(TICKS_PER_SECOND) / (as_f64(figures["wall_ns"]) / 1e9);
        others.push((busy - slapd_cores).max(0.0));
        runs.push(figures);
    }
    Measured { what, runs, others }
}

fn secs(ns: u64) -> String {
    format!("{:.2} s", as_f64(ns) / 1e9)
}

fn cell(runs: &[Figures], key: &str, show: fn(u64) -> String) -> String {
    let (median, low, high) = spread(runs, key);
    format!("{} ({}–{})", show(median), show(low), show(high))
}

fn sync_table(measured: &[Measured]) -> String {
    let mut out = String::from(
        "| sync | wall | CPU user + system (tool) | peak RSS (tool) | slapd CPU | other load |\n\
         |---|--:|--:|--:|--:|--:|\n",
    );
    for row in measured {
        let cpu: Vec<Figures> = row
            .runs
            .iter()
            .map(|figures| {
                let mut figures = figures.clone();
                figures.insert(
                    "cpu_ns".to_owned(),
                    figures["user_ns"] + figures["system_ns"],
                );
                figures
            })
            .collect();
        let (user, _, _) = spread(&row.runs, "user_ns");
        let (system, _, _) = spread(&row.runs, "system_ns");
        let (slapd, _, _) = spread(&row.runs, "slapd_ns");
        let mut others = row.others.clone();
        others.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "| {} | {} | {}: {} user + {} system | {} | {} | {:.2}–{:.2} cores |",
            row.what,
            cell(&row.runs, "wall_ns", secs),
            cell(&cpu, "cpu_ns", secs),
            secs(user),
            secs(system),
            cell(&row.runs, "peak_kb", |kb| format!("{:.0} MB", mb(kb))),
            if slapd == 0 {
                "–".to_owned()
            } else {
                secs(slapd)
            },
            others.first().copied().unwrap_or_default(),
            others.last().copied().unwrap_or_default(),
        );
    }
    out
}

const STEPS: [(&str, &str); 4] = [
    ("load", "load the desired state and its `sync` section"),
    ("read", "read the source"),
    ("map", "map by the rules"),
    ("render", "write the YAML text"),
];

fn steps_table(rows: &[(String, Vec<Figures>)]) -> String {
    let mut out = String::from("| step |");
    let mut rule = String::from("|---|");
    for (what, _) in rows {
        let _ = write!(out, " {what}: wall (CPU) | peak RSS |");
        rule.push_str("--:|--:|");
    }
    let _ = writeln!(out, "\n{rule}");
    for (key, step) in STEPS {
        let _ = write!(out, "| {step} |");
        for (_, runs) in rows {
            let median = |figure: &str| spread(runs, &format!("{key}_{figure}")).0;
            let _ = write!(
                out,
                " {:.0} ms ({:.0} ms) | {:.0} MB |",
                ms(median("wall_ns")),
                ms(median("cpu_ns")),
                mb(median("peak_kb"))
            );
        }
        out.push('\n');
    }
    out
}

/// Both sources wrote the same users, everyone in scope, the leavers closed; both validate.
fn check_results(company: Company, csv_dir: &Path, ldap_dir: &Path) -> (usize, usize) {
    let read = |dir: &Path| std::fs::read_to_string(dir.join(GENERATED_FILE)).expect("written");
    let (from_csv, from_ldap) = (read(csv_dir), read(ldap_dir));
    // Not `assert_eq!`: it would print two 8 MB files.
    assert!(
        from_csv == from_ldap,
        "the CSV and the directory give different users files"
    );
    let counts = directory::users_and_closed(&from_csv);
    assert_eq!(
        counts,
        (company.expected_users(), company.expected_closed()),
        "users and closed users written"
    );
    for dir in [csv_dir, ldap_dir] {
        let validated = Command::new(BINARY)
            .arg("validate")
            .arg(dir)
            .env_clear()
            .env("NO_COLOR", "1")
            .output()
            .expect("run validate");
        assert!(
            validated.status.success(),
            "validate failed: {}",
            String::from_utf8_lossy(&validated.stderr)
        );
    }
    counts
}

fn file_mb(path: &Path) -> f64 {
    as_f64(std::fs::metadata(path).map_or(0, |meta| meta.len())) / 1024.0 / 1024.0
}

/// The two desired-state directories and the server, ready to measure, and what getting
/// them ready took (not counted).
struct Lab {
    csv_dir: TempDir,
    ldap_dir: TempDir,
    server: Slapd,
    generated: Duration,
    loaded: Duration,
    ldif_mb: f64,
    /// Entries slapd holds: its own four (the root, the reader, the two folders) and the
    /// company's.
    entries: usize,
    /// What a search without paging got: entries, result code.
    unpaged: (usize, u32),
}

impl Lab {
    fn set_up(company: Company) -> Self {
        let generating = Instant::now();
        let csv = company.csv();
        let ldif = company.ldif(PEOPLE, GROUPS);
        let csv_dir = desired_state(&csv_source(), &[(CSV_PATH, &csv)]);
        let generated = generating.elapsed();

        let loading = Instant::now();
        let server = Slapd::start(&ldif, SIZE_LIMIT);
        let loaded = loading.elapsed();
        let unpaged = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(server.unpaged_count());
        assert_eq!(
            unpaged,
            (SIZE_LIMIT as usize, 4),
            "a search without paging stops at the size limit (sizeLimitExceeded)"
        );
        let ldap_dir = desired_state(&ldap_source(&server.url, PEOPLE, GROUPS, PAGE_SIZE), &[]);
        eprintln!(
            "{} people generated in {:.2} s, loaded into slapd in {:.2} s; measuring",
            thousands(company.people as u64),
            generated.as_secs_f64(),
            loaded.as_secs_f64()
        );
        Self {
            csv_dir,
            ldap_dir,
            server,
            generated,
            loaded,
            ldif_mb: as_f64(ldif.len() as u64) / 1024.0 / 1024.0,
            entries: 4 + ldif.lines().filter(|line| line.starts_with("dn:")).count(),
            unpaged,
        }
    }

    /// What the table's notes say about getting ready.
    fn not_counted(&self) -> String {
        format!(
            "Not counted: generating the company {:.2} s (CSV {:.1} MB, LDIF {:.1} MB); loading \
             it into slapd (`slapadd` of {} entries, then starting slapd) {:.2} s. slapd's size \
             limit {} (a search without paging got {} entries and sizeLimitExceeded), page size \
             {PAGE_SIZE}.\n",
            self.generated.as_secs_f64(),
            file_mb(&self.csv_dir.path().join(CSV_PATH)),
            self.ldif_mb,
            thousands(self.entries as u64),
            self.loaded.as_secs_f64(),
            thousands(u64::from(SIZE_LIMIT)),
            thousands(self.unpaged.0 as u64),
        )
    }
}

/// `--people N`, `--quick` (2,000), or the 50,000.
fn people_asked() -> usize {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--people") {
        let count = args.get(at + 1).map(|n| n.replace(['_', ','], ""));
        return count
            .and_then(|n| n.parse().ok())
            // Fewer would fit under the size limit, and the source would not need to page.
            .filter(|&n| n > SIZE_LIMIT as usize)
            .expect("`--people` takes a number of people above 1,000, e.g. `--people 100000`");
    }
    if args.iter().any(|arg| arg == "--quick") {
        QUICK_PEOPLE
    } else {
        FULL_PEOPLE
    }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child_main(&spec);
        return;
    }
    let company = Company {
        people: people_asked(),
    };
    let load_before = load_average();
    let started = Instant::now();
    let count = thousands(company.people as u64);
    let lab = Lab::set_up(company);

    let sources = [
        (format!("CSV, {count} rows"), &lab.csv_dir, None),
        (
            format!("LDAP, {count} entries"),
            &lab.ldap_dir,
            Some(&lab.server),
        ),
    ];
    let mut measured = Vec::new();
    let mut steps = Vec::new();
    for (what, dir, server) in sources {
        let dir = dir.path().display();
        for (label, spec) in [("first sync", "first"), ("nothing changed", "again")] {
            measured.push(measure(
                format!("{what}: {label}"),
                &format!("{spec} {dir}"),
                server,
            ));
        }
        let runs = (0..RUNS)
            .map(|_| child::run(CHILD_ENV, &format!("steps {dir}")).0)
            .collect();
        steps.push((what, runs));
    }
    let (users, closed) = check_results(company, lab.csv_dir.path(), lab.ldap_dir.path());

    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut out = sync_table(&measured);
    let _ = write!(
        out,
        "\nEach row: median (min–max) of {RUNS} runs of the release binary, each in a fresh \
         process. Both sources wrote the same {} users ({} closed leavers; the {} contractors \
         are out of scope) to `{GENERATED_FILE}`, {:.1} MB.\n\nThe steps, one at a time in one \
         process (median of {RUNS}; with the generated file in place):\n\n",
        thousands(users as u64),
        thousands(closed as u64),
        thousands((company.people - users) as u64),
        file_mb(&lab.csv_dir.path().join(GENERATED_FILE)),
    );
    out.push_str(&steps_table(&steps));
    let _ = write!(
        out,
        "\n{}\nmachine: {cores} cores ({}), {:.1} GB memory, {}; load average {load_before} at \
         the start, {} at the end. Run time {:.0} s.\n",
        lab.not_counted(),
        cpu_model(),
        memory_gb(),
        rustc_version(),
        load_average(),
        started.elapsed().as_secs_f64(),
    );
    print!("\n{out}");
    if company.people == FULL_PEOPLE {
        write_out("sync-bench.md", &out);
    } else {
        write_out(&format!("sync-bench-{}.md", company.people), &out);
    }
}
