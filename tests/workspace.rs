//! Several accounts in one tree (issue 18): `workspace.yaml` names the accounts' folders and
//! the shared definitions; `validate` checks every account (or `--account` one) pointing at the
//! file and line across the tree; `plan` plans every account or the one `--account` names, and
//! one account's folder alone is refused rather than planned from part of its desired state.
//! Applying across accounts is in `workspace_apply`.

use crate::harness::{Fixture, crate_root};

const WORKSPACE: &str = "\
workspace:
  accounts:
    - name: production
      dir: production
    - name: demo
      dir: demo
      without:
        users: [bo@example.com]
";

const SHARED: &str = "\
permission_profiles:
  - name: Sales Sender
    settings: { allowBulkSending: false }
groups:
  - name: Sales
    permission_profile: Sales Sender
users:
  - email: ana@example.com
    first_name: Ana
    last_name: Lima
    permission_profile: Sales Sender
    groups: [Sales]
  - email: bo@example.com
    first_name: Bo
    last_name: Ek
";

pub fn account(id: &str) -> String {
    format!("account:\n  id: {id}\n  environment: demo\n")
}

fn workspace() -> Fixture {
    Fixture::new()
        .file("workspace.yaml", WORKSPACE)
        .file("shared/objects.yaml", SHARED)
        .file(
            "production/account.yaml",
            &account("11111111-2222-4333-8444-555555555555"),
        )
        .file(
            "demo/account.yaml",
            &account("66666666-7777-4888-8999-aaaaaaaaaaaa"),
        )
}

#[test]
fn the_example_workspace_validates_account_by_account() {
    let example = crate_root().join("examples/workspace");
    let dir = example.to_str().expect("a UTF-8 path");
    let run = Fixture::new().run(&["validate", dir]);
    run.exits(0)
        .stdout_has("account `production` (production): valid: 2 permission profiles, 3 groups, 0 signing groups, 3 users")
        .stdout_has("account `emea` (emea): valid: 2 permission profiles, 2 groups, 0 signing groups, 3 users")
        .stdout_has("account `sandbox` (sandbox): valid:");
    let one = Fixture::new().run(&["validate", dir, "--account", "EMEA"]);
    one.exits(0).stdout_has("account `emea`");
    assert!(!one.stdout.contains("production"), "{}", one.stdout);
}

/// An account's own entry replaces the shared one; `without` leaves one out.
#[test]
fn an_account_overrides_or_leaves_out_a_shared_definition() {
    let fixture = workspace().file(
        "production/users.yaml",
        "users:\n  - email: ANA@example.com\n    first_name: Ana\n    last_name: Lima\n    permission_profile: DocuSign Viewer\n",
    );
    fixture
        .run(&["validate"])
        .exits(0)
        // Ana overridden (still one user) and Bo shared: 2; demo leaves Bo out: 1.
        .stdout_has("account `production` (production): valid: 1 permission profile, 1 group, 0 signing groups, 2 users in 3 files")
        .stdout_has("account `demo` (demo): valid: 1 permission profile, 1 group, 0 signing groups, 1 user in 2 files");
}

/// A shared definition that one account can't take is an error at the shared file's line,
/// under that account's name; the accounts that can take it are valid.
#[test]
fn a_shared_definition_an_account_cant_take_names_both() {
    let fixture = workspace();
    fixture.write(
        "workspace.yaml",
        WORKSPACE
            .replace("users: [bo@example.com]", "groups: [Sales]")
            .as_bytes(),
    );
    fixture
        .run(&["validate"])
        .exits(1)
        .stdout_has("account `production` (production): valid")
        .stderr_has(&[
            "account `demo` (demo)",
            "unknown group `Sales`",
            "shared/objects.yaml:12:",
            "account `demo` (demo): 1 error found",
        ]);
}

#[test]
fn mistakes_in_the_workspace_file_point_at_their_line() {
    let bad = "\
workspace:
  accounts:
    - name: production
      dir: production
    - name: Production
      dir: nowhere
    - name: demo
      dir: demo
      without:
        users: [nobody@example.com]
";
    let fixture = workspace();
    fixture.write("workspace.yaml", bad.as_bytes());
    fixture.run(&["validate"]).exits(1).stderr_has(&[
        "the account name `Production` is empty or used twice",
        "[workspace.yaml:5:",
        "`nowhere` is not a folder under the workspace's root",
        "[workspace.yaml:6:",
    ]);
    fixture.write(
        "workspace.yaml",
        WORKSPACE
            .replace("bo@example.com", "nobody@example.com")
            .as_bytes(),
    );
    fixture.run(&["validate"]).exits(1).stderr_has(&[
        "`without.users` names `nobody@example.com`, which no shared definition declares",
        "[workspace.yaml:8:",
    ]);
}

#[test]
fn shared_files_hold_only_objects_and_account_files_no_workspace() {
    let fixture = workspace().file("shared/policy.yaml", "policy:\n  unmanaged_users: close\n");
    fixture.run(&["validate"]).exits(1).stderr_has(&[
        "`",
        "shared/policy.yaml` is a shared definition and holds more than objects",
    ]);
    workspace()
        .file("demo/nested.yaml", "workspace:\n  accounts: []\n")
        .run(&["validate", "--account", "demo"])
        .exits(1)
        .stderr_has(&["desired::misplaced_workspace", "demo/nested.yaml:2:"]);
}

#[test]
fn an_unknown_account_is_named_with_the_ones_there_are() {
    workspace()
        .run(&["validate", "--account", "staging"])
        .exits(1)
        .stderr_has(&["no account `staging`", "`production`, `demo`"]);
    Fixture::new()
        .file(
            "account.yaml",
            &account("11111111-2222-4333-8444-555555555555"),
        )
        .run(&["validate", "--account", "demo"])
        .exits(1)
        .stderr_has(&["is no workspace"]);
}

/// `--account` names the account `plan`, `apply` and `drift` work on: its desired state is its
/// folder's files and the shared ones it takes; its recorded state and lock live in its
/// folder; the emulator is the workspace's, at its root, serving every account.
#[test]
fn one_account_of_a_workspace_plans_applies_and_plans_empty() {
    let fixture = workspace();
    let plan = fixture.run(&[
        "plan",
        "--account",
        "demo",
        "--emulator",
        "--format",
        "json",
    ]);
    plan.exits(0);
    assert!(plan.stdout.contains("ana@example.com"), "{}", plan.stdout);
    assert!(
        !plan.stdout.contains("bo@example.com"),
        "demo leaves Bo out: {}",
        plan.stdout
    );
    fixture
        .run(&[
            "apply",
            "--account",
            "demo",
            "--emulator",
            "--auto-approve",
            "--no-commit",
        ])
        .exits(0);
    fixture
        .run(&[
            "plan",
            "--account",
            "demo",
            "--emulator",
            "--detailed-exitcode",
        ])
        .exits(0);
    let state = fixture.path().join("demo/.docusign-gitops/state");
    assert!(
        std::fs::read_dir(&state)
            .expect("demo's state folder")
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().ends_with(".json")),
        "the recorded state is demo's own"
    );
    assert!(!fixture.path().join("production/.docusign-gitops").exists());
    assert!(
        !fixture
            .path()
            .join("demo/.docusign-gitops/emulator")
            .exists(),
        "the emulator is the workspace's, not the account's"
    );
    assert!(fixture.path().join(".docusign-gitops/emulator").is_dir());
    fixture
        .run(&["drift", "--account", "demo", "--emulator"])
        .exits(0)
        .stdout_has("No drift");
}

/// One account's folder alone, which lacks the shared users (its plan would close them), is
/// never planned.
#[test]
fn an_account_folder_alone_is_refused() {
    let fixture = workspace();
    let folder = fixture.path().join("demo");
    fixture
        .run(&["plan", folder.to_str().expect("UTF-8"), "--emulator"])
        .exits(1)
        .stderr_has(&[
            "workspace::account_folder",
            "is the account `demo`",
            "--account demo",
        ]);
    assert!(
        !fixture.path().join("demo/.docusign-gitops").exists(),
        "nothing was started or written"
    );
    Fixture::new()
        .file(
            "account.yaml",
            &account("11111111-2222-4333-8444-555555555555"),
        )
        .run(&["plan", "--account", "demo", "--emulator"])
        .exits(1)
        .stderr_has(&["is no workspace"]);
}

/// `plan` on a whole workspace plans every account, each under its name: text, one JSON array
/// (each plan with its own fingerprint) and one markdown comment with a table of the accounts
/// first; the exit code is the worst account's.
#[test]
fn a_workspace_plans_every_account() {
    let fixture = workspace();
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(2)
        .stdout_has("=== account `production` ===")
        .stdout_has("=== account `demo` ===");
    let run = fixture.run(&["plan", "--emulator", "--format", "json"]);
    run.exits(0);
    let plans: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON array");
    let accounts: Vec<&str> = plans
        .as_array()
        .expect("an array")
        .iter()
        .map(|entry| entry["account"].as_str().expect("a name"))
        .collect();
    assert_eq!(accounts, ["production", "demo"]);
    assert_eq!(
        plans[0]["plan"]["fingerprint"].as_str().map(str::len),
        Some(64)
    );
    let demo = plans[1]["plan"].to_string();
    assert!(
        demo.contains("ana@example.com") && !demo.contains("bo@example.com"),
        "{demo}"
    );
    let markdown = fixture.run(&["plan", "--emulator", "--format", "markdown"]);
    markdown
        .exits(0)
        .stdout_has("| account | changes | status |")
        .stdout_has("| `production` | ")
        .stdout_has("| `demo` | ");
    assert!(markdown.stdout.len() <= 60_000);
    assert!(
        markdown.stdout.find("| `production` |")
            < markdown.stdout.find("### docusign-gitops plan for account"),
        "the accounts' table comes first"
    );
    // `--out` saves every account's plan, as the JSON format shows them.
    fixture
        .run(&["plan", "--emulator", "--out", "plan.json"])
        .exits(0);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.path().join("plan.json")).expect("saved"))
            .expect("JSON");
    assert_eq!(saved, plans);
}

/// One account that can't be planned (bad YAML) fails alone: the others are planned, and the
/// exit code is 1.
#[test]
fn an_account_that_fails_fails_alone() {
    let fixture = workspace().file("demo/users.yaml", "users:\n  - email: not-an-email\n");
    fixture
        .run(&["plan", "--emulator"])
        .exits(1)
        .stdout_has("=== account `production` ===")
        .stdout_has("Plan:")
        .stdout_has("=== account `demo` ===\n\nno plan: its YAML has errors")
        .stderr_has(&["account `demo`:", "demo/users.yaml:2:"]);
}
