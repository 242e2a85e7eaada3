//! Apply killed with SIGKILL at random points: the state file always parses, the lock is free
//! again, and running apply again converges with no duplicate user and no profile breach.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use docusign_gitops::emulator::Config;
use docusign_gitops::state::{self, Applied, Lock, RecordedState};

use crate::apply_cli::{ACCOUNT_ID, Hosted, state_path, write};
use crate::apply_faults::{DESIRED, live_seed, recorded};
use crate::apply_support::{duplicate_emails, emulated, roomy, truth, write_count};

const RUNS: u64 = 20;
/// Runs at a time: the apply mostly waits on the emulator's latency.
const PARALLEL: u64 = 4;

/// An emulator slow enough that an apply takes a while, over the fault suite's account.
fn slow_emulator(seed: u64) -> Hosted {
    let config = Config {
        latency: Duration::from_millis(15),
        jitter: Duration::from_millis(20),
        seed,
        ..roomy()
    };
    Hosted::start(config, &live_seed())
}

/// A desired-state folder whose recorded state says the last apply managed everything but
/// `stray`, so the plan also closes, and deletes groups and profiles: every phase has work.
fn checkout(hosted: &Hosted) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "desired.yaml", DESIRED);
    let base = RecordedState::first(ACCOUNT_ID, "demo");
    let last = base.next(Applied {
        desired_commit: None,
        plan_json: b"{}",
        at: jiff::Timestamp::now(),
        viewer_profile_id: None,
        objects: recorded(&truth(&hosted.running)),
    });
    state::file::write(&state_path(dir.path()), &last).expect("write the recorded state");
    dir
}

fn apply_args() -> [&'static str; 3] {
    ["apply", "--auto-approve", "--no-commit"]
}

/// When to kill: once the emulator has taken `writes` writes (0: from the start), plus a delay.
#[derive(Clone, Copy, Debug)]
struct KillAt {
    writes: u64,
    delay: Duration,
}

/// Where a kill landed, for the report.
#[derive(Debug)]
struct KillPoint {
    /// Writes the emulator had taken when the apply died.
    writes: u64,
    state_written: bool,
    leftover_temp_files: usize,
}

fn temp_files(dir: &Path) -> usize {
    let folder = state_path(dir)
        .parent()
        .expect("state folder")
        .to_path_buf();
    std::fs::read_dir(folder).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    })
}

/// One run: apply killed at `at`, checks, apply again, checks.
fn killed_run(seed: u64, at: KillAt, serial_before: u64) -> KillPoint {
    let what = format!("run {seed}, killed at {at:?}");
    let hosted = slow_emulator(seed);
    let dir = checkout(&hosted);
    let path = dir.path();
    let mut child = hosted
        .command(path, &apply_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply");
    // Follow the apply's progress as the emulator sees it (polling, not timing anything).
    while write_count(&hosted.stats()) < at.writes
        && child.try_wait().expect("poll the child").is_none()
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(at.delay);
    // SIGKILL on Unix: no destructor, no signal handler runs.
    let _ = child.kill();
    let _ = child.wait();
    let writes = write_count(&hosted.stats());

    // Whatever the moment, the state file is whole: the old one or a checkpoint.
    let written = state::file::read(&state_path(path))
        .unwrap_or_else(|err| panic!("{what}: the state file doesn't parse: {err}"))
        .unwrap_or_else(|| panic!("{what}: the state file is gone"));
    assert!(
        written.serial >= serial_before,
        "{what}: {}",
        written.serial
    );
    // The OS let go of the dead process's lock, and the next holder clears the temporary
    // files of a state write the kill cut short.
    drop(Lock::acquire(path, ACCOUNT_ID).unwrap_or_else(|err| panic!("{what}: {err}")));
    let leftover_temp_files = temp_files(path);
    assert_eq!(
        leftover_temp_files, 0,
        "{what}: temp files left after the lock was taken"
    );

    let rerun = hosted.run(path, &apply_args());
    assert_eq!(
        rerun.code, 0,
        "{what}: the rerun failed\n{}\n{}",
        rerun.stdout, rerun.stderr
    );
    let check = hosted.run(path, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        check.code, 0,
        "{what}: changes remain after the rerun\n{}\n{}",
        check.stdout, check.stderr
    );
    assert_eq!(
        duplicate_emails(&emulated(&hosted.running)),
        Vec::<String>::new(),
        "{what}"
    );
    assert_eq!(hosted.stats().invariant_breaches, 0, "{what}");
    KillPoint {
        writes,
        state_written: written.serial > serial_before,
        leftover_temp_files,
    }
}

#[test]
fn apply_killed_at_random_points_leaves_a_whole_state_file_and_a_rerun_converges() {
    // How long a whole apply takes here, and how many writes it makes.
    let calibration = slow_emulator(0);
    let dir = checkout(&calibration);
    let started = Instant::now();
    let full = calibration.run(dir.path(), &apply_args());
    let duration = started.elapsed();
    assert_eq!(full.code, 0, "{}\n{}", full.stdout, full.stderr);
    let full_writes = write_count(&calibration.stats());
    assert!(full_writes >= 10, "{:#?}", calibration.stats().calls);
    calibration
        .run(dir.path(), &["plan", "--detailed-exitcode"])
        .exits(0);
    drop(calibration);

    // Kill points from a seeded generator, spread over the apply: during start-up and the
    // read (a delay into it), or just after a number of writes (a few milliseconds past it).
    let mut rng = fastrand::Rng::with_seed(20_261_129);
    let reading = u64::try_from(duration.as_millis() / 2)
        .unwrap_or(u64::MAX)
        .max(1);
    let kills: Vec<KillAt> = (0..RUNS)
        .map(|_| {
            if rng.u8(0..4) == 0 {
                KillAt {
                    writes: 0,
                    delay: Duration::from_millis(rng.u64(0..reading)),
                }
            } else {
                KillAt {
                    writes: rng.u64(1..full_writes),
                    delay: Duration::from_millis(rng.u64(0..25)),
                }
            }
        })
        .collect();
    let points: Vec<KillPoint> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..PARALLEL)
            .map(|worker| {
                let kills = &kills;
                scope.spawn(move || {
                    (worker..RUNS)
                        .step_by(usize::try_from(PARALLEL).expect("small"))
                        .map(|run| {
                            let at = kills[usize::try_from(run).expect("small")];
                            (run, killed_run(run + 1, at, 1))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(u64, KillPoint)> = workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a run panicked"))
            .collect();
        all.sort_by_key(|(run, _)| *run);
        all.into_iter().map(|(_, point)| point).collect()
    });
    let mid = points
        .iter()
        .filter(|point| point.writes > 0 && point.writes < full_writes)
        .count();
    let before = points.iter().filter(|point| point.writes == 0).count();
    let checkpointed = points.iter().filter(|point| point.state_written).count();
    let leftovers: usize = points.iter().map(|point| point.leftover_temp_files).sum();
    eprintln!(
        "apply takes {duration:?} and {full_writes} writes; kills: {before} before any write, \
         {mid} mid-apply, {checkpointed} after a checkpoint was written, {leftovers} temp files \
         left; {points:?}"
    );
    assert!(
        mid >= 5,
        "fewer than 5 kills landed between the first and the last write: {points:?}"
    );
}
