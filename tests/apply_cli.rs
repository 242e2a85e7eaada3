//! `docusign-gitops apply`, the binary, against an emulator this test hosts (so the account
//! survives from one command to the next): plan → apply → plan in a git repo, and every way
//! apply refuses (stale plan, another apply since, a held lock, no confirmation, a guard),
//! partial failure, and `--no-commit`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use docusign_gitops::state::{self, Lock};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::apply_support::{duplicate_emails, emulated, roomy};
use crate::harness::Run;
use crate::served::Served;

pub use crate::emulator_support::ACCOUNT_ID;

/// A git repository in a temp dir holding `files` in its first commit.
pub fn repo_with(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    commit_all(dir.path(), "desired state");
    dir
}

/// Commits everything in the repository at `dir` (a new one when there is none), as a
/// reviewed change would be merged.
pub fn commit_all(dir: &Path, message: &str) {
    let repo = git2::Repository::open(dir)
        .or_else(|_| git2::Repository::init(dir))
        .expect("the repo");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("git add");
    index.write().expect("write the index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    // None for the first commit.
    let parent = repo.head().ok().and_then(|head| head.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let who = git2::Signature::now("Test", "test@example.com").expect("signature");
    repo.commit(Some("HEAD"), &who, &who, message, &tree, &parents)
        .expect("commit");
}

pub fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("folders");
    std::fs::write(full, text).expect("write");
}

pub fn state_path(dir: &Path) -> PathBuf {
    state::path_for(dir, ACCOUNT_ID)
}

/// What miette wraps: its frame glyph and every white space, gone.
pub fn unwrapped(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

pub trait Says {
    /// Asserts that stderr holds every one of `needles`, however miette wrapped it.
    fn stderr_says(&self, needles: &[&str]) -> &Self;
}

impl Says for Run {
    #[track_caller]
    fn stderr_says(&self, needles: &[&str]) -> &Self {
        let haystack = unwrapped(&self.stderr);
        for needle in needles {
            assert!(
                haystack.contains(&unwrapped(needle)),
                "stderr lacks {needle:?}\n--- stderr\n{}",
                self.stderr
            );
        }
        self
    }
}

/// The numbers of the summary line: done, failed, skipped, calls made, calls planned.
/// The summary line's figures: done, failed, skipped, the plan's own calls (reading back
/// left out) and the calls the plan predicted.
pub fn summary(run: &Run) -> [u64; 5] {
    let line = run
        .stdout
        .lines()
        .find(|line| line.starts_with("Apply: "))
        .unwrap_or_else(|| panic!("no summary line in\n{}\n{}", run.stdout, run.stderr));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().expect("a number"))
        .collect();
    // "D done, F failed, S skipped, in C API calls: P for the plan (planned N), [V to read …]"
    match numbers[..] {
        [done, failed, skipped, _, plan, planned, ..] => [done, failed, skipped, plan, planned],
        _ => panic!("unexpected summary {line:?}"),
    }
}

const LIVE: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Sales Sender
    settings: { allowBulkSending: \"false\" }
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Sales
    permission_profile: Sales Sender
    members: [ana@example.com]
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Account Executive, permission_profile: Sales Sender }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro, job_title: Support Agent }
";

const ACCOUNT_YAML: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
defaults:
  permission_profile: DocuSign Sender
policy:
  unmanaged_users: report
";

const OBJECTS_YAML: &str = "
permission_profiles:
  - name: Sales Sender
    settings:
      allowBulkSending: true
groups:
  - name: Sales
    permission_profile: Sales Sender
  - name: Support
signing_groups:
  - name: Night Signers
    email: night@example.com
    members:
      - { name: Eve Five, email: eve@example.com }
";

const USERS_YAML: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Senior Account Executive, permission_profile: Sales Sender, groups: [Sales] }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro, job_title: Support Lead, groups: [Support] }
  - { email: cy@example.com, first_name: Cy, last_name: Young, groups: [Support] }
";

fn desired_repo() -> TempDir {
    repo_with(&[
        ("account.yaml", ACCOUNT_YAML),
        ("objects.yaml", OBJECTS_YAML),
        ("users.yaml", USERS_YAML),
    ])
}

fn emulator() -> Served {
    Served::of_seed(roomy(), LIVE)
}

fn plan_file(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).expect("plan.json"))
        .expect("plan JSON")
}

#[test]
fn plan_apply_plan_in_a_git_repo_ends_with_no_changes_and_the_state_committed() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    hosted
        .cli()
        .run(path, &["plan", "--out", "plan.json"])
        .exits(0)
        .stdout_has("cy@example.com");
    let planned = plan_file(path);
    let planned_calls = planned["api_calls"].as_u64().expect("api_calls");
    let steps = planned["steps"].as_array().expect("steps").len() as u64;
    assert!(steps >= 8, "{planned:#}");

    let writes = hosted.writes();
    let applied = hosted
        .cli()
        .run(path, &["apply", "--plan", "plan.json", "--auto-approve"]);
    applied.exits(0);
    // Every step done, in the calls the plan said, and the emulator saw exactly those writes.
    assert_eq!(
        summary(&applied),
        [steps, 0, 0, planned_calls, planned_calls]
    );
    assert_eq!(hosted.writes() - writes, planned_calls);

    hosted
        .cli()
        .run(path, &["plan", "--detailed-exitcode"])
        .exits(0);

    // The state commit is HEAD, on top of the desired state, and holds the file on disk.
    let repo = git2::Repository::open(path).expect("the repo");
    let head = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    assert!(
        head.message()
            .expect("UTF-8")
            .starts_with("docusign-gitops apply: "),
        "{:?}",
        head.message()
    );
    assert_eq!(
        head.parent(0).expect("parent").message().ok(),
        Some("desired state")
    );
    let file = state_path(path);
    let relative = file.strip_prefix(path).expect("inside");
    let entry = head
        .tree()
        .expect("tree")
        .get_path(relative)
        .expect("the state file is in the commit");
    let blob = repo.find_blob(entry.id()).expect("blob");
    assert_eq!(
        blob.content(),
        std::fs::read(&file).expect("read").as_slice()
    );
    assert_eq!(
        repo.status_file(relative).expect("status"),
        git2::Status::CURRENT
    );
    let recorded = state::file::read(&file)
        .expect("the state file parses")
        .expect("a state file");
    assert_eq!(recorded.serial, 1);
    assert_eq!(recorded.account_id, ACCOUNT_ID);
    assert_eq!(recorded.environment, "demo");
    let cy = &recorded.objects.users[&docusign_gitops::model::EmailKey::new("cy@example.com")];
    assert_eq!(
        cy.id.as_deref(),
        Some(hosted.user_id("cy@example.com").as_str())
    );

    // The same reviewed plan again: another apply (this one) has moved the serial on.
    let writes = hosted.writes();
    hosted
        .cli()
        .run(path, &["apply", "--plan", "plan.json", "--auto-approve"])
        .exits(1)
        .stderr_says(&[
            "the plan was made against no recorded state",
            "serial 1 of lineage",
            "nothing was applied",
        ]);
    assert_eq!(hosted.writes(), writes);
}

#[test]
fn a_plan_made_before_the_account_changed_is_refused_and_nothing_is_written() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    hosted
        .cli()
        .run(path, &["plan", "--out", "plan.json"])
        .exits(0);
    // Someone renames Ana in DocuSign after the plan was reviewed.
    let ana = hosted.user_id("ana@example.com");
    hosted.call(
        Method::PUT,
        &format!("/users/{ana}"),
        &json!({ "firstName": "Anna" }),
    );
    let writes = hosted.writes();
    hosted
        .cli()
        .run(path, &["apply", "--plan", "plan.json", "--auto-approve"])
        .exits(1)
        .stderr_says(&[
            "the account changed since the plan was made",
            "nothing was applied",
            "ana@example.com",
            "plan again and review the new plan",
        ]);
    assert_eq!(hosted.writes(), writes, "{:#?}", hosted.stats().calls);
    assert!(!state_path(path).exists());
}

#[test]
fn a_plan_made_before_another_apply_is_refused_even_when_the_account_is_the_same() {
    let hosted = emulator();
    // The YAML says what the account holds: nothing to change.
    let dir = repo_with(&[
        ("account.yaml", ACCOUNT_YAML),
        (
            "users.yaml",
            "permission_profiles:
  - name: Sales Sender
users:
  - { email: ana@example.com, first_name: Ana, last_name: Silva, permission_profile: Sales Sender }
",
        ),
    ]);
    let path = dir.path();
    hosted
        .cli()
        .run(path, &["plan", "--out", "plan.json", "--detailed-exitcode"])
        .exits(0);
    // A first apply records the account even with nothing to change: serial 1.
    hosted
        .cli()
        .run(path, &["apply", "--auto-approve"])
        .exits(0)
        .stdout_has("No changes");
    let recorded = state::file::read(&state_path(path))
        .expect("parses")
        .expect("recorded");
    assert_eq!(recorded.serial, 1);
    hosted
        .cli()
        .run(path, &["apply", "--plan", "plan.json", "--auto-approve"])
        .exits(1)
        .stderr_says(&[
            "the plan was made against no recorded state",
            &format!("serial 1 of lineage {}", recorded.lineage),
            "another apply ran since this plan was made",
        ]);
    assert_eq!(hosted.writes(), 0);
}

/// Waits for `child`, killing it (and failing) if it hangs: "at once" must not mean "after the
/// lock is released".
pub fn finish_within(mut child: std::process::Child, limit: Duration) -> Run {
    let started = Instant::now();
    while child.try_wait().expect("poll the child").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("apply still waiting after {limit:?}: it blocks on the lock");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output").into()
}

#[test]
fn a_held_lock_stops_a_second_apply_at_once_naming_the_holder() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    let lock = Lock::acquire(path, ACCOUNT_ID).expect("the test holds the lock");
    let child = hosted
        .cli()
        .command(&["apply", "--auto-approve"])
        .current_dir(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let run = finish_within(child, Duration::from_secs(60));
    run.exits(1).stderr_says(&[
        &format!("docusign-gitops process {} ", std::process::id()),
        &format!("{ACCOUNT_ID}.lock"),
    ]);
    assert_eq!(hosted.writes(), 0);
    assert!(!state_path(path).exists());
    drop(lock);
    hosted
        .cli()
        .run(path, &["apply", "--auto-approve"])
        .exits(0);
}

#[test]
fn without_auto_approve_off_a_terminal_nothing_is_applied() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    let run = hosted.cli().run(path, &["apply"]);
    run.exits(1)
        .stderr_says(&[
            "stdin is not a terminal",
            "nothing was applied",
            "--auto-approve",
            "cli::apply_unconfirmed",
        ])
        // The plan is shown, so the operator knows what would have happened.
        .stdout_has("cy@example.com");
    assert_eq!(hosted.writes(), 0);
    assert!(!state_path(path).exists());
}

#[test]
fn no_commit_writes_the_state_file_and_makes_no_commit() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    let repo = git2::Repository::open(path).expect("repo");
    let head = repo.head().expect("HEAD").target().expect("a commit");
    hosted
        .cli()
        .run(path, &["apply", "--auto-approve", "--no-commit"])
        .exits(0);
    assert_eq!(repo.head().expect("HEAD").target(), Some(head));
    let recorded = state::file::read(&state_path(path))
        .expect("parses")
        .expect("written");
    assert_eq!(recorded.serial, 1);
    let relative = state_path(path)
        .strip_prefix(path)
        .expect("inside")
        .to_path_buf();
    assert_eq!(
        repo.status_file(&relative).expect("status"),
        git2::Status::WT_NEW
    );
    hosted
        .cli()
        .run(path, &["plan", "--detailed-exitcode"])
        .exits(0);
}

#[test]
fn a_guard_over_its_limit_refuses_with_exit_3_and_writes_nothing() {
    let hosted = emulator();
    let dir = repo_with(&[
        (
            "account.yaml",
            "policy:
  limits:
    user_closures: 0
",
        ),
        (
            "users.yaml",
            "users:
  - { email: ben@example.com, first_name: Ben, last_name: Okoro, status: closed }
  - { email: cy@example.com, first_name: Cy, last_name: Young }
",
        ),
    ]);
    let path = dir.path();
    hosted
        .cli()
        .run(path, &["apply", "--auto-approve"])
        .exits(3)
        .stdout_has("refused: 1 user-closures (limit 0")
        .stderr_says(&["past a guard's limit", "nothing was applied"]);
    assert_eq!(hosted.writes(), 0);
    assert!(!state_path(path).exists());
    // Allowed, the same plan goes through.
    hosted
        .cli()
        .run(
            path,
            &["apply", "--auto-approve", "--allow", "user-closures"],
        )
        .exits(0);
    assert_eq!(hosted.writes(), 2, "{:#?}", hosted.stats().calls);
}

/// The account has room for one more signing group (DocuSign's cap is 50, and 49 the YAML
/// doesn't manage are there) and the YAML adds two: the plan foresees the second create
/// failing and is refused before any change (exit 3), saying how many there would be and which
/// are in the way. Once an administrator frees a slot, apply converges.
#[test]
fn signing_groups_past_docusigns_cap_are_refused_before_any_change() {
    let mut live = String::from(LIVE);
    live.push_str("signing_groups:\n");
    for n in 0..49 {
        let _ = writeln!(live, "  - name: Unmanaged {n:02}");
    }
    let hosted = Served::of_seed(roomy(), &live);
    let dir = repo_with(&[
        ("account.yaml", ACCOUNT_YAML),
        (
            "objects.yaml",
            "signing_groups:
  - name: Alpha Signers
    members:
      - { name: Al Pha, email: al@example.com }
  - name: Beta Signers
    members:
      - { name: Bet A, email: bet@example.com }
",
        ),
        (
            "users.yaml",
            "permission_profiles:
  - name: Sales Sender
users:
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Team Lead, permission_profile: Sales Sender }
",
        ),
    ]);
    let path = dir.path();
    let writes = hosted.writes();
    let run = hosted.cli().run(path, &["apply", "--auto-approve"]);
    run.exits(3).stderr_says(&[
        "the account would hold 51 signing groups, and DocuSign allows 50: the plan creates 2 (Alpha Signers, Beta Signers) beside the 49 it keeps (`Unmanaged 00`,",
        "and 39 more",
    ]);
    assert_eq!(hosted.writes(), writes, "nothing was sent");
    assert!(!state_path(path).exists(), "nothing was recorded");
    let account = emulated(&hosted.running);

    // An administrator deletes an old signing group by hand; the rerun finishes the job.
    let old = account
        .signing_groups
        .values()
        .find(|group| group.name == "Unmanaged 00")
        .expect("Unmanaged 00")
        .id;
    hosted.call(
        Method::DELETE,
        "/signing_groups",
        &json!({ "groups": [{ "signingGroupId": old.to_string() }] }),
    );
    let rerun = hosted.cli().run(path, &["apply", "--auto-approve"]);
    rerun.exits(0);
    // Two creates, their two members, Ana's title.
    assert_eq!(summary(&rerun)[..3], [5, 0, 0], "{}", rerun.stdout);
    hosted
        .cli()
        .run(path, &["plan", "--detailed-exitcode"])
        .exits(0);
    assert_eq!(
        duplicate_emails(&emulated(&hosted.running)),
        Vec::<String>::new()
    );
}

/// Apply with nobody reading its stdout (`apply | head -0`, the reader gone before the first
/// line): every print fails, and none of it may stop apply before the state is recorded and
/// committed. It changes DocuSign, records it, commits it, and exits 0 without a panic.
#[test]
fn apply_with_its_stdout_closed_records_and_commits_the_state_without_a_panic() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    let writes = hosted.writes();
    let mut child = hosted
        .cli()
        .command(&["apply", "--auto-approve"])
        .current_dir(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start docusign-gitops");
    // The reader goes away before apply writes anything.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for docusign-gitops");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(hosted.writes() > writes, "DocuSign was changed");
    let recorded = state::file::read(&state_path(path))
        .expect("the state file parses")
        .expect("a state file");
    assert_eq!(recorded.serial, 1);
    let repo = git2::Repository::open(path).expect("the repo");
    let head = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    assert!(
        head.message()
            .expect("UTF-8")
            .starts_with("docusign-gitops apply: "),
        "{:?}",
        head.message()
    );
    hosted
        .cli()
        .run(path, &["plan", "--detailed-exitcode"])
        .exits(0);
}

/// The README's loop with the embedded emulator: each `apply --emulator` restarts it from the
/// account it kept. Two applies that each create a user must give them two IDs, and closing
/// the first must close only the first — an ID stream that starts over with every run handed
/// the second user the first one's ID, and closing one closed the other.
#[test]
fn users_created_in_two_emulator_runs_get_two_ids_and_closing_one_closes_only_it() {
    const USERS: &str = "users/sales.yaml";
    let fixture = crate::harness::Fixture::copy_of("examples/desired-state");
    let sales = std::fs::read_to_string(fixture.path().join(USERS)).expect("the sales file");
    let person = |name: &str, status: &str| {
        format!(
            "\n  - email: {name}@northwind-example.com\n    first_name: {name}\n    last_name: New\n    \
             permission_profile: Sales Sender\n    groups: [Sales]\n    status: {status}\n"
        )
    };
    let apply = |fixture: &crate::harness::Fixture| {
        fixture
            .run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
            .exits(0);
        let path = state::path_for(fixture.path(), ACCOUNT_ID);
        state::file::read(&path)
            .expect("the state file parses")
            .expect("a state file")
            .objects
            .users
    };
    let key = |name: &str| {
        docusign_gitops::model::EmailKey::new(&format!("{name}@northwind-example.com"))
    };

    let fixture = fixture.file(USERS, &format!("{sales}{}", person("first", "active")));
    let after_first = apply(&fixture);
    let fixture = fixture.file(
        USERS,
        &format!(
            "{sales}{}{}",
            person("first", "active"),
            person("second", "active")
        ),
    );
    let after_second = apply(&fixture);
    let first_id = after_second[&key("first")].id.clone().expect("an ID");
    let second_id = after_second[&key("second")].id.clone().expect("an ID");
    assert_eq!(after_first[&key("first")].id.as_ref(), Some(&first_id));
    assert_ne!(first_id, second_id, "two users, two IDs");

    let fixture = fixture.file(
        USERS,
        &format!(
            "{sales}{}{}",
            person("first", "closed"),
            person("second", "active")
        ),
    );
    let after_third = apply(&fixture);
    assert_eq!(
        after_third[&key("first")].status,
        docusign_gitops::model::UserStatus::Closed
    );
    assert_ne!(
        after_third[&key("second")].status,
        docusign_gitops::model::UserStatus::Closed,
        "closing the first user left the second open"
    );
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0);
}

/// Apply runs what a commit holds: YAML changed or added since HEAD is refused before any
/// call, naming the files. `--allow-uncommitted` lets it through, and then the recorded state
/// names no commit, since none holds what was applied; from a clean tree it names HEAD.
#[test]
fn apply_refuses_uncommitted_yaml_unless_allowed_and_records_which_commit_it_applied() {
    let hosted = emulator();
    let dir = desired_repo();
    let path = dir.path();
    let head = |path: &Path| {
        git2::Repository::open(path)
            .expect("the repo")
            .head()
            .expect("HEAD")
            .peel_to_commit()
            .expect("a commit")
            .id()
            .to_string()
    };
    write(
        path,
        "users.yaml",
        &USERS_YAML.replace("Support Lead", "Support Manager"),
    );
    write(path, "teams/extra.yaml", "groups:\n  - name: Extra\n");
    // Files docusign-gitops doesn't read don't count.
    write(path, "notes.txt", "not YAML");
    write(path, ".github/workflows/ci.yml", "on: push\n");
    let writes = hosted.writes();
    let run = hosted.cli().run(path, &["apply", "--auto-approve"]);
    run.exits(1).stderr_says(&[
        "the desired state has changes git hasn't committed: `teams/extra.yaml`, `users.yaml`",
        "--allow-uncommitted",
        "cli::uncommitted",
    ]);
    assert!(!run.stderr.contains("notes.txt") && !run.stderr.contains("ci.yml"));
    assert_eq!(hosted.writes(), writes, "nothing was sent");
    assert!(!state_path(path).exists(), "nothing was recorded");

    hosted
        .cli()
        .run(path, &["apply", "--auto-approve", "--allow-uncommitted"])
        .exits(0);
    let recorded = |path: &Path| {
        state::file::read(&state_path(path))
            .expect("the state file parses")
            .expect("a state file")
    };
    assert_eq!(recorded(path).desired_commit, None);

    // Committed, the change applies without the flag, and the state names the commit.
    commit_all(path, "the reviewed change");
    let reviewed = head(path);
    write(path, "users.yaml", USERS_YAML);
    commit_all(path, "back as it was");
    let back = head(path);
    hosted
        .cli()
        .run(path, &["apply", "--auto-approve"])
        .exits(0);
    assert_ne!(reviewed, back);
    assert_eq!(
        recorded(path).desired_commit.as_deref(),
        Some(back.as_str())
    );
}
