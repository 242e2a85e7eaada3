//! Apply killed with SIGKILL at chosen points: the state file always parses and holds the last
//! checkpoint, the lock is free again, and running apply again converges with no duplicate user
//! and no profile breach.
//!
//! A kill point is an event, not a moment: a proxy between the apply and the emulator holds the
//! call the test stops at (and every call after it) unanswered, so when the kill lands the apply
//! is frozen at a known point, however loaded the machine is.

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};

use docusign_gitops::emulator::Config;
use docusign_gitops::state::{self, Applied, Lock, RecordedState};

use crate::apply_cli::{ACCOUNT_ID, state_path, write};
use crate::apply_faults::{DESIRED, live_seed, recorded};
use crate::apply_support::{duplicate_emails, emulated, roomy, truth, write_count};
use crate::served::Served;

const RUNS: usize = 20;
/// Runs at a time: each mostly waits for its processes.
const PARALLEL: usize = 4;
/// The serial of the state file a checkout starts with; a checkpoint writes the next one.
const SERIAL_BEFORE: u64 = 1;

fn emulator(seed: u64) -> Served {
    Served::of_seed(Config { seed, ..roomy() }, &live_seed())
}

/// A desired-state folder whose recorded state says the last apply managed everything but
/// `stray`, so the plan also closes, and deletes groups and profiles: every phase has work.
fn checkout(hosted: &Served) -> tempfile::TempDir {
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
    assert_eq!(last.serial, SERIAL_BEFORE);
    state::file::write(dir.path(), &state_path(dir.path()), &last)
        .expect("write the recorded state");
    dir
}

fn apply_args() -> [&'static str; 3] {
    ["apply", "--auto-approve", "--no-commit"]
}

/// Where the proxy stops the apply (counting from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// The n-th read, before any write: while the apply reads the account.
    Read(u64),
    /// The n-th write, held before the emulator sees it.
    BeforeWrite(u64),
    /// The n-th write, done by the emulator and its answer held: the apply never learns.
    AfterWrite(u64),
}

/// A proxy that passes the apply's calls (OAuth ones too) to the emulator until its stop.
mod holding_proxy {
    use std::path::PathBuf;
    use std::process::{Child, ExitStatus};
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::time::Duration;

    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::http::Method;
    use axum::response::Response;

    use super::{SERIAL_BEFORE, Stop};

    /// What the proxy has seen.
    #[derive(Debug, Default)]
    pub struct Seen {
        /// API reads before the first write.
        pub reads_before_writes: u64,
        /// For each write, in arrival order: whether a checkpoint (a state file past the
        /// checkout's serial) was on disk when it arrived. The apply writes a checkpoint after a
        /// phase and before it sends the next phase's first call, so this is no race.
        pub checkpointed: Vec<bool>,
        /// State files that didn't parse when a call arrived: never, if writes are atomic.
        pub unreadable: Vec<String>,
        holding: bool,
    }

    struct Gate {
        target: String,
        url: String,
        http: reqwest::Client,
        stop: Option<Stop>,
        state_file: PathBuf,
        seen: Mutex<Seen>,
        held: Mutex<Option<mpsc::Sender<()>>>,
    }

    /// What to do with one call.
    enum Verdict {
        Pass,
        HoldBefore,
        HoldAfter,
        /// A call after the stop: it waits with the held one.
        Wait,
    }

    impl Gate {
        fn seen(&self) -> MutexGuard<'_, Seen> {
            self.seen.lock().expect("the proxy's record")
        }

        fn checkpoint_on_disk(&self, seen: &mut Seen) -> bool {
            match docusign_gitops::state::file::read(&self.state_file) {
                Ok(state) => state.is_some_and(|state| state.serial > SERIAL_BEFORE),
                Err(err) => {
                    seen.unreadable.push(err.to_string());
                    false
                }
            }
        }

        fn verdict(&self, method: &Method, path: &str) -> Verdict {
            let mut seen = self.seen();
            if seen.holding {
                return Verdict::Wait;
            }
            if !path.starts_with("/restapi/") {
                return Verdict::Pass;
            }
            let verdict = if method == Method::GET {
                if !seen.checkpointed.is_empty() {
                    return Verdict::Pass;
                }
                seen.reads_before_writes += 1;
                match self.stop {
                    Some(Stop::Read(n)) if n == seen.reads_before_writes => Verdict::HoldBefore,
                    _ => Verdict::Pass,
                }
            } else {
                let checkpointed = self.checkpoint_on_disk(&mut seen);
                seen.checkpointed.push(checkpointed);
                let writes = seen.checkpointed.len() as u64;
                match self.stop {
                    Some(Stop::BeforeWrite(n)) if n == writes => Verdict::HoldBefore,
                    Some(Stop::AfterWrite(n)) if n == writes => Verdict::HoldAfter,
                    _ => Verdict::Pass,
                }
            };
            seen.holding = !matches!(verdict, Verdict::Pass);
            verdict
        }

        fn announce_hold(&self) {
            if let Some(held) = self.held.lock().expect("the signal").take() {
                let _ = held.send(());
            }
        }
    }

    pub struct Proxy {
        pub url: String,
        gate: Arc<Gate>,
        held: mpsc::Receiver<()>,
        // Dropping it drops the held calls and stops the server.
        _runtime: tokio::runtime::Runtime,
    }

    impl Proxy {
        /// A proxy for the emulator at `target`, stopping at `stop` (never, if none), and
        /// watching `state_file` for checkpoints.
        pub fn start(target: &str, stop: Option<Stop>, state_file: PathBuf) -> Self {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            let (signal, held) = mpsc::channel();
            let gate = Arc::new(Gate {
                target: target.to_owned(),
                url: url.clone(),
                http: reqwest::Client::new(),
                stop,
                state_file,
                seen: Mutex::new(Seen::default()),
                held: Mutex::new(Some(signal)),
            });
            let app = axum::Router::new()
                .fallback(pass)
                .with_state(Arc::clone(&gate));
            runtime.spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Self {
                url,
                gate,
                held,
                _runtime: runtime,
            }
        }

        /// Waits until the apply is held at the stop; answers how it ended if it ended first.
        pub fn wait_for_stop(&self, child: &mut Child) -> Result<(), ExitStatus> {
            loop {
                // Waiting for either event: the hold, or the apply's end.
                match self.held.recv_timeout(Duration::from_millis(10)) {
                    Ok(()) => return Ok(()),
                    Err(RecvTimeoutError::Timeout) => {
                        if let Some(status) = child.try_wait().expect("poll the apply") {
                            return Err(status);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => panic!("the proxy is gone"),
                }
            }
        }

        pub fn seen(&self) -> MutexGuard<'_, Seen> {
            self.gate.seen()
        }
    }

    async fn pass(State(gate): State<Arc<Gate>>, request: Request) -> Response {
        match gate.verdict(request.method(), request.uri().path()) {
            Verdict::Pass => forward(&gate, request).await,
            Verdict::HoldBefore => {
                gate.announce_hold();
                std::future::pending().await
            }
            Verdict::HoldAfter => {
                let _lost = forward(&gate, request).await;
                gate.announce_hold();
                std::future::pending().await
            }
            Verdict::Wait => std::future::pending().await,
        }
    }

    async fn forward(gate: &Gate, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the request body");
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let mut forwarded = gate
            .http
            .request(parts.method.clone(), format!("{}{path}", gate.target))
            .body(body);
        for (name, value) in &parts.headers {
            if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
                forwarded = forwarded.header(name, value);
            }
        }
        let answer = forwarded.send().await.expect("the emulator answers");
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            if name != axum::http::header::CONTENT_LENGTH {
                response = response.header(name, value);
            }
        }
        let mut bytes = answer.bytes().await.expect("the emulator's body").to_vec();
        if parts.uri.path().starts_with("/oauth/") {
            // Discovery's `base_uri` names the emulator; the apply must keep calling us.
            let text = String::from_utf8(bytes).expect("OAuth answers are UTF-8");
            bytes = text.replace(&gate.target, &gate.url).into_bytes();
        }
        response.body(Body::from(bytes)).expect("a response")
    }
}

use holding_proxy::Proxy;

/// `docusign-gitops apply` in `dir`, calling the emulator through `proxy`.
fn spawn_apply(hosted: &Served, dir: &Path, proxy: &Proxy) -> Child {
    hosted
        .cli()
        .command(&apply_args())
        .current_dir(dir)
        .env("DOCUSIGN_AUTH_SERVER", &proxy.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply")
}

/// What a whole apply looks like through the proxy.
#[derive(Debug)]
struct Calibration {
    reads_before_writes: u64,
    /// Per write: whether a checkpoint was on disk when it arrived.
    checkpointed: Vec<bool>,
}

impl Calibration {
    /// Whether the state file at this stop holds a checkpoint of this apply.
    fn checkpointed_at(&self, stop: Stop) -> bool {
        match stop {
            Stop::Read(_) => false,
            Stop::BeforeWrite(n) | Stop::AfterWrite(n) => {
                self.checkpointed[usize::try_from(n - 1).expect("small")]
            }
        }
    }

    /// Stops spread evenly over the apply: a fifth of them while it reads, the rest over its
    /// writes, alternately before the emulator takes the write and after.
    fn stops(&self) -> Vec<Stop> {
        let spread = |count: usize, last: u64| -> Vec<u64> {
            let steps = u64::try_from(count - 1).expect("small");
            (0..=steps)
                .map(|index| 1 + index * (last - 1) / steps)
                .collect()
        };
        let writes = self.checkpointed.len() as u64;
        let reading = RUNS / 5;
        let mut stops: Vec<Stop> = spread(reading, self.reads_before_writes)
            .into_iter()
            .map(Stop::Read)
            .collect();
        stops.extend(spread(RUNS - reading, writes).into_iter().enumerate().map(
            |(index, write)| {
                if index % 2 == 0 {
                    Stop::BeforeWrite(write)
                } else {
                    Stop::AfterWrite(write)
                }
            },
        ));
        stops
    }
}

/// A whole apply through a proxy that never stops it.
fn calibrate() -> Calibration {
    let hosted = emulator(0);
    let dir = checkout(&hosted);
    let proxy = Proxy::start(&hosted.running.url, None, state_path(dir.path()));
    let mut child = spawn_apply(&hosted, dir.path(), &proxy);
    let status = child.wait().expect("wait for apply");
    assert!(status.success(), "the calibration apply failed: {status}");
    hosted
        .cli()
        .run(dir.path(), &["plan", "--detailed-exitcode"])
        .exits(0);
    let seen = proxy.seen();
    assert_eq!(seen.unreadable, Vec::<String>::new());
    assert_eq!(
        seen.checkpointed.len() as u64,
        write_count(&hosted.stats()),
        "the proxy saw every write"
    );
    Calibration {
        reads_before_writes: seen.reads_before_writes,
        checkpointed: seen.checkpointed.clone(),
    }
}

/// Where a kill landed.
#[derive(Debug)]
struct KillPoint {
    stop: Stop,
    /// Writes the emulator had taken when the apply died.
    writes: u64,
    /// The state file then held a checkpoint of the killed apply.
    checkpointed: bool,
}

/// A kill can also land inside a state write, leaving its temporary file behind. The proxy
/// never stops the apply there, so each run leaves one as such a kill does; the next lock
/// holder must clear it.
fn leave_a_cut_short_state_write(dir: &Path) -> PathBuf {
    let folder = state_path(dir)
        .parent()
        .expect("state folder")
        .to_path_buf();
    let temp = folder.join(".state-cut-short.tmp");
    std::fs::write(&temp, "{\"format_version\": 1, \"seri").expect("a cut-short write");
    temp
}

/// One run: apply held at `stop` and killed there, checks, apply again, checks.
fn killed_run(seed: u64, stop: Stop, expect_checkpoint: bool) -> KillPoint {
    let what = format!("run {seed}, killed at {stop:?}");
    let hosted = emulator(seed);
    let dir = checkout(&hosted);
    let path = dir.path();
    let state_file = state_path(path);
    let recorded_before = state::file::read(&state_file)
        .expect("the checkout's state")
        .expect("a state file")
        .objects;
    let proxy = Proxy::start(&hosted.running.url, Some(stop), state_file.clone());
    let mut child = spawn_apply(&hosted, path, &proxy);
    if let Err(status) = proxy.wait_for_stop(&mut child) {
        panic!("{what}: the apply ended ({status}) before it reached the stop");
    }
    let at_stop = std::fs::read(&state_file).expect("the state file at the stop");
    // SIGKILL on Unix: no destructor, no signal handler runs.
    child.kill().expect("kill the apply");
    let status: ExitStatus = child.wait().expect("reap the apply");
    assert!(!status.success(), "{what}: {status}");
    assert_eq!(proxy.seen().unreadable, Vec::<String>::new(), "{what}");
    drop(proxy);
    let writes = write_count(&hosted.stats());
    // No write past the stop reached the emulator (some before it may still have been on
    // their way when the apply died).
    let most = match stop {
        Stop::Read(_) => 0,
        Stop::BeforeWrite(n) => n - 1,
        Stop::AfterWrite(n) => n,
    };
    assert!(writes <= most, "{what}: the emulator took {writes} writes");

    // The frozen apply wrote nothing more, and the file is whole: the old one or a checkpoint.
    assert_eq!(
        std::fs::read(&state_file).expect("the state file after the kill"),
        at_stop,
        "{what}: the state file changed after the stop"
    );
    let written = state::file::read(&state_file)
        .unwrap_or_else(|err| panic!("{what}: the state file doesn't parse: {err}"))
        .unwrap_or_else(|| panic!("{what}: the state file is gone"));
    let checkpointed = written.serial > SERIAL_BEFORE;
    assert_eq!(
        checkpointed, expect_checkpoint,
        "{what}: a checkpoint on disk (serial {})",
        written.serial
    );
    if checkpointed {
        assert_ne!(
            written.objects, recorded_before,
            "{what}: the checkpoint records no progress"
        );
    }

    // The OS let go of the dead process's lock, and the next holder clears the temporary
    // files of a state write a kill cut short.
    let cut_short = leave_a_cut_short_state_write(path);
    drop(Lock::acquire(path, ACCOUNT_ID).unwrap_or_else(|err| panic!("{what}: {err}")));
    assert!(
        !cut_short.exists(),
        "{what}: the lock holder left a cut-short state write"
    );

    let rerun = hosted.cli().run(path, &apply_args());
    assert_eq!(
        rerun.code, 0,
        "{what}: the rerun failed\n{}\n{}",
        rerun.stdout, rerun.stderr
    );
    let check = hosted.cli().run(path, &["plan", "--detailed-exitcode"]);
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
        stop,
        writes,
        checkpointed,
    }
}

#[test]
fn apply_killed_mid_run_leaves_its_last_checkpoint_and_a_rerun_converges() {
    let calibration = calibrate();
    let writes = calibration.checkpointed.len();
    assert!(writes >= 10, "{calibration:?}");
    assert!(calibration.reads_before_writes >= 2, "{calibration:?}");
    // The apply checkpoints between phases, so the later writes arrive after one.
    assert!(
        !calibration.checkpointed[0] && calibration.checkpointed[writes - 1],
        "no checkpoint was on disk before the last write: {calibration:?}"
    );

    let stops = calibration.stops();
    assert_eq!(stops.len(), RUNS);
    let points: Vec<KillPoint> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..PARALLEL)
            .map(|worker| {
                let (stops, calibration) = (&stops, &calibration);
                scope.spawn(move || {
                    (worker..RUNS)
                        .step_by(PARALLEL)
                        .map(|run| {
                            let stop = stops[run];
                            let seed = u64::try_from(run).expect("small") + 1;
                            let point = killed_run(seed, stop, calibration.checkpointed_at(stop));
                            (run, point)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, KillPoint)> = workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a run panicked"))
            .collect();
        all.sort_by_key(|(run, _)| *run);
        all.into_iter().map(|(_, point)| point).collect()
    });
    let reading = points
        .iter()
        .filter(|point| matches!(point.stop, Stop::Read(_)))
        .count();
    let after_checkpoint = points.iter().filter(|point| point.checkpointed).count();
    let before_checkpoint = points.len() - reading - after_checkpoint;
    let after_a_write = points.iter().filter(|point| point.writes > 0).count();
    eprintln!(
        "apply makes {writes} writes after {} reads; kills: {reading} while reading, \
         {before_checkpoint} among the writes before the first checkpoint, {after_checkpoint} \
         after a mid-apply checkpoint; {after_a_write} once the emulator had taken a write; \
         {points:?}",
        calibration.reads_before_writes
    );
    assert!(reading >= 3, "{points:?}");
    assert!(before_checkpoint >= 2, "{points:?}");
    assert!(
        after_checkpoint >= 8,
        "only {after_checkpoint} kills landed after a mid-apply checkpoint: {points:?}"
    );
}
