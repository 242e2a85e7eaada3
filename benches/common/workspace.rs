//! The workspace benchmark's tree (issue 18): several emulated accounts of the same company
//! (`emulated::build_as`: the same people under the same user IDs in each, as DocuSign keeps
//! one person one ID across an organisation's accounts), each with a change of its own
//! (`scenarios::change_all`), written as a workspace; served by one emulator of several
//! accounts; and the release binary run on it as CI runs it, one account (`--account NAME`) or
//! all of them, with the emulator's count of the calls each run made.
//!
//! The tree: `workspace.yaml` naming each account's folder; `shared/` holding what `import`
//! writes for the account as it stands (profiles, groups, signing groups and every user, the
//! same for every account); each account's folder its own `account.yaml` (as import writes it)
//! and `users.yaml` with the users its change touches (new hires, and movers, whose entries
//! replace the shared ones), so each account's desired state is its shared definitions plus
//! its change.
//!
//! Each run gets a fresh emulator (the accounts as built, fresh limits) and leaves no recorded
//! state behind, so every run of a command does the same work. An apply is checked after it
//! runs: a plan of what it applied (not counted) must find nothing left to do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use docusign_gitops::desired::checked::Environment;
use docusign_gitops::desired::write::UserYaml;
use docusign_gitops::emulator::{Config, Running, SampleAccount};
use docusign_gitops::import::{self, Source};
use serde::Serialize;
use tempfile::TempDir;

use super::calls::Minimum;
use super::child::children_cpu_ns;
use super::emulated::{self, ADMIN_EMAIL, Built, Shape, TOKEN};
use super::procfs::{Cpu, EMULATOR_THREADS};
use super::scenarios::{self, Change, Scenario, served};

/// The release binary in a benchmark, the test profile's in `cargo test`.
pub const BINARY: &str = env!("CARGO_BIN_EXE_docusign-gitops");

/// The folder every account takes its shared definitions from.
const SHARED: &str = "shared";

/// One account of the workspace: its name (and folder), the emulated account and its change.
pub struct Member {
    pub name: String,
    pub built: Built,
    pub change: Change,
    /// Users the change adds to the account.
    pub new_users: usize,
}

impl Member {
    /// The fewest calls of `plan` on this account: it reads the account once, one minimal
    /// snapshot (`calls.rs`); planning makes no call.
    pub fn plan_minimum(&self) -> Minimum {
        Minimum::snapshot(self.built.users, self.built.groups)
    }

    /// The fewest calls of `apply` on this account: the read it plans from, the change's own
    /// minimum (`scenarios.rs`), and reading the account back once to judge every step (the
    /// README's "How apply knows it worked"), which can take no less than one minimal
    /// snapshot of the account as it is after the change, its new users counted.
    pub fn apply_minimum(&self) -> Minimum {
        let after = Minimum::snapshot(self.built.users + self.new_users, self.built.groups);
        Minimum::sum([
            ("read", &self.plan_minimum()),
            ("change:", &self.change.minimum),
            ("read back", &after),
        ])
    }
}

/// The command a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    Plan,
    Apply,
}

impl Run {
    pub const ALL: [Self; 2] = [Self::Plan, Self::Apply];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Apply => "apply",
        }
    }

    /// The switches CI would pass: a plan says by its exit code that there are changes; an
    /// apply runs unattended on YAML in no repository, and commits nothing.
    const fn switches(self) -> &'static [&'static str] {
        match self {
            Self::Plan => &["--detailed-exitcode"],
            Self::Apply => &["--auto-approve", "--allow-uncommitted", "--no-commit"],
        }
    }

    /// The exit code a run must end with: changes present (plan), every change applied.
    const fn exit_code(self) -> i32 {
        match self {
            Self::Plan => 2,
            Self::Apply => 0,
        }
    }
}

/// What one run of the binary took.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub wall: Duration,
    /// API calls the emulator served during the run, and how many of them wrote.
    pub calls: u64,
    pub writes: u64,
    /// CPU time (user + system) of the binary, and of the emulator serving it.
    pub binary_cpu: Duration,
    pub emulator_cpu: Duration,
}

/// The workspace on disk, its accounts, and the emulator's runtime.
pub struct Workspace {
    /// `tree/` (the workspace) and `home/` (an empty `HOME` for the binary).
    dir: TempDir,
    pub members: Vec<Member>,
    /// The emulator serves from threads of its own, named so that its CPU time can be told
    /// apart; the binary runs in a process of its own.
    runtime: tokio::runtime::Runtime,
}

impl Workspace {
    /// Accounts of `shape`, one per `(name, changes)`.
    pub fn build(shape: Shape, accounts: &[(&str, &[Scenario])]) -> Self {
        let members: Vec<Member> = accounts
            .iter()
            .map(|(name, changes)| {
                let sample = SampleAccount::named(name);
                let built = emulated::build_as(shape, &sample.id, &sample.name);
                let live = emulated::expected(&built.account);
                let base = scenarios::desired_from(&live);
                let change = scenarios::change_all(changes, &base, &live, shape.departments);
                let new_users = change
                    .touched
                    .iter()
                    .filter(|key| !live.users.contains_key(*key))
                    .count();
                Member {
                    name: (*name).to_owned(),
                    built,
                    change,
                    new_users,
                }
            })
            .collect();
        let dir = TempDir::new().expect("a temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("an empty home");
        write_tree(&dir.path().join("tree"), &members);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(EMULATOR_THREADS)
            .enable_all()
            .build()
            .expect("the emulator's runtime");
        Self {
            dir,
            members,
            runtime,
        }
    }

    /// The workspace's root, where `workspace.yaml` is.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    /// Runs `run` on one account (`Some(name)`: `--account NAME`) or on the whole workspace,
    /// against a fresh emulator serving every account under `config`, and checks it did what it must: the exit code, no call
    /// refused for the limits, every user kept a profile, and after an apply nothing left to
    /// plan.
    pub fn measure(&self, config: &Config, run: Run, account: Option<&str>) -> Measured {
        let accounts = self
            .members
            .iter()
            .map(|member| member.built.account.clone())
            .collect();
        let running = self
            .runtime
            .block_on(
                self.runtime
                    .spawn(emulated::start_all(config.clone(), accounts)),
            )
            .expect("start the emulator");
        let label = format!("{} {}", run.name(), account.unwrap_or("(every account)"));
        let (cpu, children) = (Cpu::now(), children_cpu_ns());
        let start = Instant::now();
        let output = self.binary(&running, run.name(), account, run.switches());
        let wall = start.elapsed();
        let emulator_cpu = Cpu::now().since(cpu).emulator;
        let binary_cpu = Duration::from_nanos(children_cpu_ns() - children);
        expect_exit(&output, run.exit_code(), &label);
        let served = served(&running);
        assert_eq!(
            (served.rejections, served.breaches),
            (0, 0),
            "{label}: the emulator refused no call for the limits, and every user kept a profile"
        );
        if run == Run::Apply {
            let again = self.binary(&running, "plan", account, Run::Plan.switches());
            expect_exit(&again, 0, &format!("{label}, then a plan of the same"));
        }
        drop(running);
        self.forget_recorded_states();
        Measured {
            wall,
            calls: served.total,
            writes: served.writes,
            binary_cpu,
            emulator_cpu,
        }
    }

    /// `docusign-gitops COMMAND ROOT [--account NAME] SWITCHES`, with the environment CI would
    /// give it and nothing else: the emulator as auth server (each account found by discovery
    /// through its userinfo) and the administrator's token, which every account accepts.
    fn binary(
        &self,
        running: &Running,
        command: &str,
        account: Option<&str>,
        switches: &[&str],
    ) -> Output {
        let mut binary = Command::new(BINARY);
        binary.arg(command).arg(self.root());
        if let Some(name) = account {
            binary.args(["--account", name]);
        }
        binary
            .args(switches)
            .env_clear()
            .env("NO_COLOR", "1")
            .env("HOME", self.dir.path().join("home"))
            .env("DOCUSIGN_AUTH_SERVER", &running.url)
            .env("DOCUSIGN_ACCESS_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .output()
            .expect("run docusign-gitops")
    }

    /// Removes what an apply recorded (each account's `.docusign-gitops/`), so the next run
    /// starts from no recorded state, as the first did.
    fn forget_recorded_states(&self) {
        for member in &self.members {
            let recorded = self.root().join(&member.name).join(".docusign-gitops");
            match std::fs::remove_dir_all(&recorded) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => panic!("can't remove {}: {error}", recorded.display()),
            }
        }
    }
}

fn expect_exit(output: &Output, code: i32, label: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{label}: exit code\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[derive(Serialize)]
struct UsersDocument<'a> {
    users: Vec<UserYaml<'a>>,
}

/// Writes the workspace under `root` (see the module's notes).
fn write_tree(root: &Path, members: &[Member]) {
    let write = |path: &Path, text: &str| {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(path, text).expect("a workspace file");
    };
    let mut shared: Option<BTreeMap<String, String>> = None;
    let mut listed = String::from("workspace:\n  shared: shared\n  accounts:\n");
    for member in members {
        let live = emulated::expected(&member.built.account);
        let imported = import::import(&Source {
            live: &live,
            account_id: &member.built.account.account_id,
            environment: Environment::Production,
            integration_user: Some(ADMIN_EMAIL),
        })
        .expect("import writes the account");
        let mut definitions = BTreeMap::new();
        for (path, text) in imported.files {
            if path == "account.yaml" {
                write(&root.join(&member.name).join(path), &text);
            } else if Path::new(&path)
                .extension()
                .is_some_and(|ext| ext == "yaml")
            {
                definitions.insert(path, text);
            }
        }
        // Every account is the same company as it stands: one shared folder serves them all.
        match &shared {
            Some(first) => assert!(
                *first == definitions,
                "{}: the accounts as they stand are written alike",
                member.name
            ),
            None => shared = Some(definitions),
        }
        let users = &member.change.desired.state.users;
        let own = UsersDocument {
            users: member
                .change
                .touched
                .iter()
                .map(|key| UserYaml::of(&users[key]))
                .collect(),
        };
        let own = serde_saphyr::to_string(&own).expect("the account's own users as YAML");
        write(&root.join(&member.name).join("users.yaml"), &own);
        let _ = write!(listed, "    - name: {0}\n      dir: {0}\n", member.name);
    }
    for (path, text) in shared.expect("at least one account") {
        write(&root.join(SHARED).join(path), &text);
    }
    write(&root.join("workspace.yaml"), &listed);
}
