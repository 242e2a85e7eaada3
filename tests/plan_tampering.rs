//! A saved plan is untrusted: `apply --plan FILE` plans again and runs only its own plan, so a
//! file with steps added, removed, reordered or changed, with its guards or escalations
//! edited, made from other YAML or for another account, is refused before any write, and the
//! untampered plan still applies. The binary, against an emulator the test hosts.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::apply_cli::{
    ACCOUNT_ID, Says as _, finish_within, repo_with, state_path, summary, unwrapped,
};
use crate::apply_support::{emulated, roomy};
use crate::harness::Run;
use crate::served::Served;

const LIVE: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Sales Sender
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Sales
    members: [ana@example.com]
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Account Executive, permission_profile: Sales Sender }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro }
  - { email: dee@example.com, first_name: Dee, last_name: Park }
  - { email: eli@example.com, first_name: Eli, last_name: Ross }
  - { email: fay@example.com, first_name: Fay, last_name: Moss }
  - { email: gus@example.com, first_name: Gus, last_name: Hale }
  - { email: zed@example.com, first_name: Zed, last_name: Unmanaged }
";

const ACCOUNT_YAML: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
defaults:
  permission_profile: DocuSign Sender
policy:
  unmanaged_users: report
  limits:
    user_closures: 3
";

/// Ana's title changes, Ben joins Sales and becomes an Account Administrator (an escalation),
/// Cy is new, Dee leaves; Zed is not in the YAML (reported, left alone).
const USERS_YAML: &str = "
permission_profiles:
  - name: Sales Sender
groups:
  - name: Sales
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Senior Account Executive, permission_profile: Sales Sender, groups: [Sales] }
  - { email: ben@example.com, first_name: Ben, last_name: Okoro, permission_profile: Account Administrator, groups: [Sales] }
  - { email: cy@example.com, first_name: Cy, last_name: Young }
  - { email: dee@example.com, first_name: Dee, last_name: Park, status: closed }
  - { email: eli@example.com, first_name: Eli, last_name: Ross }
  - { email: fay@example.com, first_name: Fay, last_name: Moss }
  - { email: gus@example.com, first_name: Gus, last_name: Hale }
";

/// An account, a desired-state repository, and the plan `plan --out plan.json` saved there.
struct Reviewed {
    hosted: Served,
    dir: TempDir,
    plan: Value,
}

impl Reviewed {
    fn new() -> Self {
        Self::with_yaml(USERS_YAML, &[])
    }

    /// `users_yaml` beside the account settings, planned with `plan_args` added.
    fn with_yaml(users_yaml: &str, plan_args: &[&str]) -> Self {
        let hosted = Served::of_seed(roomy(), LIVE);
        let dir = repo_with(&[("account.yaml", ACCOUNT_YAML), ("users.yaml", users_yaml)]);
        let plan = save_plan(&hosted, dir.path(), plan_args);
        Self { hosted, dir, plan }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Applies `tampered` (saved beside the YAML) and checks nothing changed anywhere: no
    /// write reached DocuSign, the account is as it was, no state file, no commit.
    fn apply_changes_nothing(&self, tampered: &Value) -> Run {
        self.apply_with_changes_nothing(tampered, &[])
    }

    fn apply_with_changes_nothing(&self, tampered: &Value, extra: &[&str]) -> Run {
        let file = self.path().join("tampered.json");
        std::fs::write(&file, serde_json::to_vec_pretty(tampered).expect("JSON"))
            .expect("write the tampered plan");
        let writes = self.hosted.writes();
        let account = account_snapshot(&self.hosted);
        let commit = head(self.path());
        let mut args = vec!["apply", "--plan", "tampered.json", "--auto-approve"];
        args.extend_from_slice(extra);
        let run = self.hosted.cli().run(self.path(), &args);
        assert_eq!(
            self.hosted.writes(),
            writes,
            "{run:?}\n{:#?}",
            self.hosted.stats().calls
        );
        assert_eq!(account_snapshot(&self.hosted), account, "{run:?}");
        assert!(!state_path(self.path()).exists(), "{run:?}");
        assert_eq!(head(self.path()), commit, "{run:?}");
        run
    }

    /// The plan as `plan` saved it still applies: what refused the other file was its edit.
    fn original_applies(&self) {
        let run = self.hosted.cli().run(
            self.path(),
            &["apply", "--plan", "plan.json", "--auto-approve"],
        );
        run.exits(0);
        let steps = self.plan["steps"].as_array().expect("steps").len() as u64;
        assert_eq!(summary(&run)[..3], [steps, 0, 0], "{run:?}");
    }
}

fn save_plan(hosted: &Served, dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["plan", "--out", "plan.json"];
    args.extend_from_slice(extra);
    hosted.cli().run(dir, &args).exits(0);
    serde_json::from_slice(&std::fs::read(dir.join("plan.json")).expect("plan.json"))
        .expect("plan JSON")
}

fn account_snapshot(hosted: &Served) -> Value {
    serde_json::to_value(emulated(&hosted.running)).expect("the account as JSON")
}

fn head(dir: &Path) -> String {
    let repo = git2::Repository::open(dir).expect("the repo");
    let head = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    head.id().to_string()
}

fn steps(plan: &mut Value) -> &mut Vec<Value> {
    plan["steps"].as_array_mut().expect("steps")
}

fn step_index(plan: &Value, kind: &str, email: &str) -> usize {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .position(|step| step["kind"] == kind && step["email"] == email)
        .unwrap_or_else(|| panic!("no {kind} for {email} in {plan:#}"))
}

#[test]
fn the_reviewed_plan_applies_and_records_this_checkouts_commit() {
    let reviewed = Reviewed::new();
    let kinds: Vec<&str> = reviewed.plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "create_user",
            "add_member",
            "update_user",
            "change_profile",
            "close_user"
        ],
        "{:#}",
        reviewed.plan
    );
    assert_eq!(reviewed.plan["origin"]["account_id"], ACCOUNT_ID);
    assert_eq!(reviewed.plan["origin"]["environment"], "demo");
    // The pull request is merged: CI applies from the merge commit, which holds the same
    // files as the commit the plan was made from. The state names the commit applied from.
    let planned_from = head(reviewed.path());
    assert_eq!(reviewed.plan["desired_commit"], planned_from.as_str());
    let merged = merge_commit(reviewed.path());
    reviewed.original_applies();
    let recorded = docusign_gitops::state::file::read(&state_path(reviewed.path()))
        .expect("the state file parses")
        .expect("a state file");
    assert_eq!(recorded.desired_commit.as_deref(), Some(merged.as_str()));
}

/// A commit on top of HEAD with the same files, as a merge of an up-to-date branch is.
fn merge_commit(dir: &Path) -> String {
    let repo = git2::Repository::open(dir).expect("the repo");
    let parent = repo
        .head()
        .expect("HEAD")
        .peel_to_commit()
        .expect("a commit");
    let who = git2::Signature::now("Test", "test@example.com").expect("signature");
    repo.commit(
        Some("HEAD"),
        &who,
        &who,
        "Merge pull request",
        &parent.tree().expect("tree"),
        &[&parent],
    )
    .expect("commit")
    .to_string()
}

/// The attack: six closures against a limit of three, an unmanaged user made Account
/// Administrator, the integration user moved to DocuSign Viewer and out of Administrators.
#[test]
fn steps_added_to_a_saved_plan_are_refused_before_any_write() {
    let reviewed = Reviewed::new();
    let hosted = &reviewed.hosted;
    let mut tampered = reviewed.plan.clone();
    let administrators = emulated(&hosted.running)
        .groups
        .values()
        .find(|group| group.name == "Administrators")
        .expect("Administrators")
        .id
        .to_string();
    let close = |email: &str| {
        json!({ "phase": "close_users", "kind": "close_user", "email": email,
                "id": hosted.user_id(email), "reason": "closed in the YAML" })
    };
    let added = vec![
        json!({ "phase": "user_changes", "kind": "change_profile", "email": "zed@example.com",
                "id": hosted.user_id("zed@example.com"), "from": "DocuSign Sender",
                "to": "Account Administrator", "reason": "the YAML gives another profile" }),
        json!({ "phase": "user_changes", "kind": "change_profile", "email": "admin@example.com",
                "id": hosted.user_id("admin@example.com"), "from": "Account Administrator",
                "to": "DocuSign Viewer", "reason": "the YAML gives another profile" }),
        json!({ "phase": "remove_memberships", "kind": "remove_member", "group": "Administrators",
                "group_id": administrators, "email": "admin@example.com",
                "user_id": hosted.user_id("admin@example.com"), "reason": "not a member in the YAML" }),
        close("ana@example.com"),
        close("ben@example.com"),
        close("eli@example.com"),
        close("fay@example.com"),
        close("gus@example.com"),
    ];
    steps(&mut tampered).extend(added);
    tampered["summary"]["close_user"] = json!(6);
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&[
            "the plan's steps are not the ones this checkout and the account give; nothing was applied",
            r#"no longer: {"kind":"change_profile","email":"zed@example.com""#,
            r#""to":"DocuSign Viewer""#,
            r#"no longer: {"kind":"remove_member","group":"Administrators""#,
            r#"no longer: {"kind":"close_user","email":"gus@example.com""#,
            "the plan file was changed after `plan` wrote it",
        ]);
    reviewed.original_applies();
}

#[test]
fn a_step_removed_from_a_saved_plan_is_refused() {
    let reviewed = Reviewed::new();
    let mut tampered = reviewed.plan.clone();
    // Dee's closure goes; the rest would still look reviewed.
    let at = step_index(&tampered, "close_user", "dee@example.com");
    steps(&mut tampered).remove(at);
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&[
            "the plan's steps are not the ones",
            r#"now also: {"kind":"close_user","email":"dee@example.com""#,
        ]);
    reviewed.original_applies();
}

#[test]
fn the_steps_of_a_saved_plan_in_another_order_are_refused() {
    let reviewed = Reviewed::new();
    let mut tampered = reviewed.plan.clone();
    // Dee closed before Cy exists: the same steps, in an order the planner never writes.
    let last = steps(&mut tampered).len() - 1;
    steps(&mut tampered).swap(0, last);
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&[
            "the plan's steps are not the ones",
            r#"the same steps in another order, from step 1: the plan has {"kind":"close_user""#,
        ]);
    reviewed.original_applies();
}

#[test]
fn a_step_changed_to_grant_account_administrator_is_refused() {
    let reviewed = Reviewed::new();
    let mut tampered = reviewed.plan.clone();
    let at = step_index(&tampered, "create_user", "cy@example.com");
    assert_eq!(
        tampered["steps"][at]["permission_profile"],
        "DocuSign Sender"
    );
    tampered["steps"][at]["permission_profile"] = json!("Account Administrator");
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&[
            "the plan's steps are not the ones",
            r#""email":"cy@example.com""#,
            r#""permission_profile":"Account Administrator"}"#,
            r#"now also: {"kind":"create_user","email":"cy@example.com""#,
        ]);
    reviewed.original_applies();
}

#[test]
fn a_saved_plan_with_its_escalations_hidden_is_refused() {
    let reviewed = Reviewed::new();
    let escalations = reviewed.plan["escalations"]
        .as_array()
        .expect("escalations");
    assert!(
        escalations.iter().any(|line| line
            .as_str()
            .is_some_and(|line| line.contains("ben@example.com"))),
        "{:#}",
        reviewed.plan
    );
    let mut tampered = reviewed.plan.clone();
    tampered["escalations"] = json!([]);
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&[
            "the plan's figures are not what its steps give on this account (they differ in: escalations); nothing was applied",
        ]);
    reviewed.original_applies();
}

#[test]
fn a_saved_plan_with_its_guards_edited_is_refused() {
    let reviewed = Reviewed::new();
    let mut tampered = reviewed.plan.clone();
    for check in tampered["guards"].as_array_mut().expect("guards") {
        check["limit"] = json!(1_000_000);
    }
    reviewed
        .apply_changes_nothing(&tampered)
        .exits(1)
        .stderr_says(&["the plan's figures are not what its steps give on this account (they differ in: guards)"]);
    reviewed.original_applies();
}

#[test]
fn a_saved_plan_with_its_summary_or_call_count_edited_is_refused() {
    let reviewed = Reviewed::new();
    let mut summary = reviewed.plan.clone();
    summary["summary"]["close_user"] = json!(0);
    reviewed
        .apply_changes_nothing(&summary)
        .exits(1)
        .stderr_says(&["(they differ in: summary)"]);
    let mut calls = reviewed.plan.clone();
    calls["api_calls"] = json!(1);
    reviewed
        .apply_changes_nothing(&calls)
        .exits(1)
        .stderr_says(&["(they differ in: api_calls)"]);
    reviewed.original_applies();
}

/// The guards are counted again on the steps that will run, with apply's own `--allow`: an
/// allowance given to `plan` (or written into the file) allows nothing.
#[test]
fn a_guard_allowed_when_planning_must_be_allowed_again_when_applying() {
    let too_many = USERS_YAML
        .replace(
            "{ email: eli@example.com, first_name: Eli, last_name: Ross }",
            "{ email: eli@example.com, first_name: Eli, last_name: Ross, status: closed }",
        )
        .replace(
            "{ email: fay@example.com, first_name: Fay, last_name: Moss }",
            "{ email: fay@example.com, first_name: Fay, last_name: Moss, status: closed }",
        )
        .replace(
            "{ email: gus@example.com, first_name: Gus, last_name: Hale }",
            "{ email: gus@example.com, first_name: Gus, last_name: Hale, status: closed }",
        );
    let reviewed = Reviewed::with_yaml(&too_many, &["--allow", "user-closures"]);
    assert_eq!(reviewed.plan["summary"]["close_user"], 4);
    reviewed
        .apply_changes_nothing(&reviewed.plan)
        .exits(3)
        .stdout_has("refused: 4 user-closures (limit 3")
        .stderr_says(&["past a guard's limit", "nothing was applied"]);
    let writes = reviewed.hosted.writes();
    reviewed
        .hosted
        .cli()
        .run(
            reviewed.path(),
            &[
                "apply",
                "--plan",
                "plan.json",
                "--auto-approve",
                "--allow",
                "user-closures",
            ],
        )
        .exits(0);
    assert!(reviewed.hosted.writes() > writes);
}

/// A plan made from one directory, applied from another: it would close a user this
/// directory never mentions. Refused before apply even connects.
#[test]
fn a_plan_made_from_another_directory_is_refused_by_its_digest() {
    let reviewed = Reviewed::new();
    let elsewhere = repo_with(&[
        ("account.yaml", ACCOUNT_YAML),
        (
            "users.yaml",
            &format!(
                "{USERS_YAML}  - {{ email: zed@example.com, first_name: Zed, last_name: Unmanaged, status: closed }}\n"
            ),
        ),
    ]);
    let foreign = save_plan(&reviewed.hosted, elsewhere.path(), &[]);
    assert!(
        foreign["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .any(|step| step["email"] == "zed@example.com"),
        "{foreign:#}"
    );
    let calls = reviewed.hosted.stats().total_calls;
    let digest =
        |plan: &Value| plan["origin"]["desired_digest"].as_str().expect("digest")[..12].to_owned();
    reviewed
        .apply_changes_nothing(&foreign)
        .exits(1)
        .stderr_says(&[
            &format!(
                "this plan was made from a desired state with digest {}",
                digest(&foreign)
            ),
            &format!(
                "holds digest {} (commit {}); nothing was applied",
                digest(&reviewed.plan),
                &head(reviewed.path())[..12]
            ),
            "plan again from this checkout and review that plan",
        ]);
    assert_eq!(
        reviewed.hosted.stats().total_calls,
        calls,
        "not even a read"
    );
    reviewed.original_applies();
}

#[test]
fn a_plan_made_for_another_account_or_environment_is_refused_by_name() {
    let reviewed = Reviewed::new();
    let mut other_account = reviewed.plan.clone();
    other_account["origin"]["account_id"] = json!("0a1b2c3d-0000-4000-8000-00000000beef");
    reviewed
        .apply_changes_nothing(&other_account)
        .exits(1)
        .stderr_says(&[
            &format!(
                "this plan was made for account 0a1b2c3d-0000-4000-8000-00000000beef (demo), and apply is connected to account {ACCOUNT_ID} (demo); nothing was applied"
            ),
            "check DOCUSIGN_ACCOUNT_ID",
        ]);
    let mut other_environment = reviewed.plan.clone();
    other_environment["origin"]["environment"] = json!("production");
    reviewed
        .apply_changes_nothing(&other_environment)
        .exits(1)
        .stderr_says(&[&format!(
            "this plan was made for account {ACCOUNT_ID} (production), and apply is connected to account {ACCOUNT_ID} (demo)"
        )]);
    reviewed.original_applies();
}

#[test]
fn a_plan_of_the_old_format_or_with_fields_added_is_refused() {
    let reviewed = Reviewed::new();
    let mut old = reviewed.plan.clone();
    old["format_version"] = json!(1);
    old.as_object_mut().expect("an object").remove("origin");
    reviewed.apply_changes_nothing(&old).exits(1).stderr_says(&[
        "`tampered.json` is a plan of format 1, and this docusign-gitops reads format 2",
        "plan again with this version of docusign-gitops",
        "cli::plan_format",
    ]);
    let mut extended = reviewed.plan.clone();
    extended["extra_steps"] = json!([{ "kind": "close_user", "email": "ana@example.com" }]);
    reviewed
        .apply_changes_nothing(&extended)
        .exits(1)
        .stderr_says(&[
            "`tampered.json` is not a docusign-gitops plan: a field is missing, unknown, or not of the plan's shape",
        ]);
    reviewed.original_applies();
}

/// The plan path may lead to any file: what it holds is never quoted back.
#[test]
fn a_file_that_is_not_a_plan_is_refused_without_quoting_it() {
    const CANARY: &str = "CANARY-plan-file-content-4e1d";
    let reviewed = Reviewed::new();
    for content in [
        json!({ "format_version": CANARY }),
        json!({ "format_version": 2, "fingerprint": [CANARY] }),
    ] {
        let run = reviewed.apply_changes_nothing(&content);
        run.exits(1)
            .stderr_says(&["`tampered.json` is not a docusign-gitops plan"]);
        // However miette wrapped the line.
        assert!(
            !unwrapped(&run.stderr).contains(CANARY) && !run.stdout.contains(CANARY),
            "{run:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_plan_path_that_is_not_a_regular_file_is_refused_without_blocking() {
    let reviewed = Reviewed::new();
    let fifo = reviewed.path().join("plan.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    // Opening a FIFO with no writer would block forever; the check comes before the open.
    let writes = reviewed.hosted.writes();
    let child = reviewed
        .hosted
        .cli()
        .command(&["apply", "--plan", "plan.fifo", "--auto-approve"])
        .current_dir(reviewed.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    finish_within(child, Duration::from_secs(60))
        .exits(1)
        .stderr_says(&[
            "the plan `plan.fifo` is not a regular file; nothing was applied",
            "cli::plan_not_a_file",
        ]);
    assert_eq!(reviewed.hosted.writes(), writes);
}
