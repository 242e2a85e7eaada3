//! Several accounts in one tree, applied together (issue 18): `apply` on a whole workspace
//! applies every account side by side; a saved workspace plan is checked account by account,
//! so an account whose plan went stale, or whose credentials are refused, fails alone (or, with
//! `--all-or-nothing`, stops them all); `auth check` checks every account. The end-to-end loop
//! runs against a served emulator under each of its switches.

use std::path::Path;

use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::{
    ItemErrorCodes, ItemFailureStatus, ProfileChangeRoutes, ProfileRoute,
};

use crate::apply_cli::commit_all;
use crate::apply_support::roomy;
use crate::harness::{Cli, Fixture, Run};
use crate::served::Served;
use crate::workspace_support::{self, ACCOUNTS};

/// The example workspace, in a git repository of its own with everything committed.
fn example_in_git() -> Fixture {
    let fixture = Fixture::copy_of("examples/workspace");
    commit_all(fixture.path(), "desired state");
    fixture
}

fn commits(dir: &Path) -> usize {
    let repo = git2::Repository::open(dir).expect("repository");
    let mut walk = repo.revwalk().expect("walk");
    walk.push_head().expect("head");
    walk.count()
}

/// Whether the account folder `name` holds a recorded state.
fn recorded(fixture: &Fixture, name: &str) -> bool {
    std::fs::read_dir(fixture.path().join(name).join(".docusign-gitops/state")).is_ok_and(
        |entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().ends_with(".json"))
        },
    )
}

/// The line of the summary that names `account`.
fn summary_of<'a>(run: &'a Run, account: &str) -> &'a str {
    let summary = run
        .stdout
        .split("Workspace:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no summary in\n{}", run.stdout));
    summary
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{account} ")))
        .unwrap_or_else(|| panic!("no summary line for {account} in\n{summary}"))
}

/// The done-when loop: `plan examples/workspace --emulator` shows each account's changes;
/// apply on the whole workspace applies them all (each account's state in its folder, each
/// committed); the next plan is empty.
#[test]
fn the_example_workspace_applies_every_account_and_then_plans_empty() {
    let fixture = example_in_git();
    let before = commits(fixture.path());
    let plan = fixture.run(&["plan", "--emulator", "--detailed-exitcode"]);
    plan.exits(2);
    for name in ACCOUNTS {
        plan.stdout_has(&format!("=== account `{name}` ==="));
    }
    // EMEA leaves Marcus out (workspace.yaml) and has Sofia of its own.
    let emea = plan
        .stdout
        .split("=== account `emea` ===")
        .nth(1)
        .expect("emea");
    let emea = emea.split("=== account").next().expect("emea's part");
    assert!(
        emea.contains("sofia.marchetti@") && !emea.contains("+ marcus.webb@"),
        "{emea}"
    );
    let apply = fixture.run(&["apply", "--emulator", "--auto-approve"]);
    apply.exits(0);
    for name in ACCOUNTS {
        assert!(
            summary_of(&apply, name).contains("applied:"),
            "{}",
            apply.stdout
        );
        assert!(
            recorded(&fixture, name),
            "{name} has its own recorded state"
        );
    }
    assert_eq!(
        commits(fixture.path()),
        before + 3,
        "one commit per account"
    );
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0);
    // One account alone sees the same emulator account the whole-workspace run changed.
    fixture
        .run(&[
            "plan",
            "--account",
            "emea",
            "--emulator",
            "--detailed-exitcode",
        ])
        .exits(0);
}

/// A saved workspace plan is checked account by account: the account whose plan went stale
/// (it was applied alone since) is refused and says why; the others are applied; the exit code
/// is 1 and the summary says which did what.
#[test]
fn an_account_whose_saved_plan_went_stale_fails_alone() {
    let fixture = example_in_git();
    fixture
        .run(&["plan", "--emulator", "--out", "../plan.json"])
        .exits(0);
    fixture
        .run(&["apply", "--account", "emea", "--emulator", "--auto-approve"])
        .exits(0);
    let apply = fixture.run(&["apply", "--emulator", "--plan", "../plan.json"]);
    apply
        .exits(1)
        .stderr_has(&["account `emea`:", "plan::saved::other_recorded_state"]);
    assert!(summary_of(&apply, "production").contains("applied:"));
    assert!(summary_of(&apply, "sandbox").contains("applied:"));
    assert!(
        summary_of(&apply, "emea").contains("failed:"),
        "{}",
        apply.stdout
    );
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0);
}

/// With `--all-or-nothing`, one stale account stops them all: nothing is applied or recorded.
#[test]
fn all_or_nothing_applies_no_account_when_one_is_not_ready() {
    let fixture = example_in_git();
    fixture
        .run(&["plan", "--emulator", "--out", "../plan.json"])
        .exits(0);
    fixture
        .run(&[
            "apply",
            "--account",
            "sandbox",
            "--emulator",
            "--auto-approve",
        ])
        .exits(0);
    let apply = fixture.run(&[
        "apply",
        "--emulator",
        "--plan",
        "../plan.json",
        "--all-or-nothing",
    ]);
    apply.exits(1);
    assert!(
        summary_of(&apply, "production").contains("not applied"),
        "{}",
        apply.stdout
    );
    assert!(summary_of(&apply, "emea").contains("not applied"));
    assert!(!recorded(&fixture, "production") && !recorded(&fixture, "emea"));
    fixture
        .run(&[
            "plan",
            "--account",
            "production",
            "--emulator",
            "--detailed-exitcode",
        ])
        .exits(2);
}

/// A saved plan must be of the kind applied: a folder of one account's plan is refused by a
/// workspace, and a workspace's by a folder of one account, before any call. A workspace's plan
/// serves `--account`, and one saved with `--account` holds that account alone: applied to the
/// whole workspace, the accounts it lacks fail alone.
#[test]
fn a_saved_plan_must_be_of_the_kind_applied() {
    let fixture = example_in_git();
    let single = Fixture::copy_of("examples/desired-state");
    single
        .run(&["plan", "--emulator", "--out", "single.json"])
        .exits(0);
    let single_plan = single.path().join("single.json");
    fixture
        .run(&[
            "apply",
            "--emulator",
            "--plan",
            single_plan.to_str().expect("UTF-8"),
        ])
        .exits(1)
        .stderr_has(&["cli::saved_plan_kind", "one account's plan"]);
    fixture
        .run(&["plan", "--emulator", "--out", "../all.json"])
        .exits(0);
    let all = fixture.path().join("../all.json");
    single
        .run(&[
            "apply",
            "--emulator",
            "--plan",
            all.to_str().expect("UTF-8"),
        ])
        .exits(1)
        .stderr_has(&["cli::saved_plan_kind", "a workspace's plans"]);
    fixture
        .run(&[
            "apply",
            "--account",
            "emea",
            "--emulator",
            "--plan",
            "../all.json",
        ])
        .exits(0);
    assert!(recorded(&fixture, "emea") && !recorded(&fixture, "production"));
    fixture
        .run(&[
            "plan",
            "--account",
            "sandbox",
            "--emulator",
            "--out",
            "../sandbox.json",
        ])
        .exits(0);
    let apply = fixture.run(&["apply", "--emulator", "--plan", "../sandbox.json"]);
    apply
        .exits(1)
        .stderr_has(&["cli::saved_plan_lacks_account", "`production`"]);
    assert!(
        summary_of(&apply, "sandbox").contains("applied:"),
        "{}",
        apply.stdout
    );
    assert!(summary_of(&apply, "production").contains("failed:"));
    assert!(!recorded(&fixture, "production"));
}

/// The scale-out path of CI: one job per account (`plan --account NAME --out`), and `show`
/// merges their files into the comment and the JSON one `plan` on the whole workspace gives;
/// the merged JSON is a workspace's plan that apply takes.
#[test]
fn the_plans_of_one_job_per_account_show_as_the_workspace_plan() {
    let fixture = example_in_git();
    let mut files = Vec::new();
    for name in ACCOUNTS {
        let file = format!("../{name}.json");
        fixture
            .run(&["plan", "--account", name, "--emulator", "--out", &file])
            .exits(0);
        files.push(file);
    }
    for format in ["markdown", "json", "text"] {
        let whole = fixture.run(&["plan", "--emulator", "--format", format]);
        let mut args = vec!["show", "--format", format];
        args.extend(files.iter().map(String::as_str));
        let merged = fixture.run(&args);
        merged.exits(0);
        assert_eq!(merged.stdout, whole.stdout, "{format}");
    }
    let mut args = vec!["show", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let merged = fixture.run(&args);
    std::fs::write(fixture.path().join("../merged.json"), &merged.stdout).expect("write");
    fixture
        .run(&["apply", "--emulator", "--plan", "../merged.json"])
        .exits(0);
    let mut twice = vec!["show"];
    twice.extend([files[0].as_str(), files[0].as_str()]);
    fixture
        .run(&twice)
        .exits(1)
        .stderr_has(&["cli::show_same_account", "production"]);
}

/// A flag or variable that names one account would send every account's changes there: a
/// whole-workspace run refuses it.
#[test]
fn a_whole_workspace_run_refuses_a_setting_that_names_one_account() {
    let fixture = example_in_git().with(
        Cli::new()
            .env(
                "DOCUSIGN_ACCOUNT_ID",
                "5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31",
            )
            .env("DOCUSIGN_ACCESS_TOKEN", "unused"),
    );
    for command in ["plan", "apply", "auth"] {
        let args: &[&str] = match command {
            "auth" => &["auth", "check", "."],
            other => &[other, "."],
        };
        fixture
            .run(args)
            .exits(1)
            .stderr_has(&["cli::workspace_one_account_setting", "DOCUSIGN_ACCOUNT_ID"]);
    }
}

/// The example workspace pointed at a served emulator with one account per workspace account:
/// each account's YAML names its emulator account's ID, and `emea` has credentials of its own.
struct Hosted {
    served: Served,
    url: String,
    token: String,
    fixture: Fixture,
}

fn hosted(config: Config) -> Hosted {
    let (served, token) = workspace_support::serve(config);
    let fixture = Fixture::copy_of("examples/workspace");
    workspace_support::point_at_emulator(fixture.path());
    commit_all(fixture.path(), "desired state");
    let url = served.running.url.clone();
    let fixture = fixture.with(
        Cli::new()
            .env("DOCUSIGN_AUTH_SERVER", &url)
            .env("DOCUSIGN_ACCESS_TOKEN", &token),
    );
    Hosted {
        served,
        url,
        token,
        fixture,
    }
}

/// The account whose own credentials are refused fails alone, in `auth check` and in apply;
/// the others apply, and the exit code and summary say so. With its credentials right, the
/// whole workspace converges.
#[test]
fn an_account_whose_credentials_are_refused_fails_alone() {
    let Hosted {
        served: _served,
        url,
        token,
        fixture,
    } = hosted(roomy());
    let refused = fixture.run(&["auth", "check"]);
    refused
        .exits(1)
        .stdout_has("=== account `production` ===")
        .stderr_has(&["EMEA_DOCUSIGN_"]);
    let wrong = Cli::new()
        .env("DOCUSIGN_AUTH_SERVER", &url)
        .env("DOCUSIGN_ACCESS_TOKEN", &token)
        .env(
            "EMEA_DOCUSIGN_ACCESS_TOKEN",
            "not-a-token-the-emulator-issued",
        );
    let apply = wrong.run(fixture.path(), &["apply", "--auto-approve"]);
    apply.exits(1);
    assert!(
        summary_of(&apply, "production").contains("applied:"),
        "{}",
        apply.stdout
    );
    assert!(summary_of(&apply, "sandbox").contains("applied:"));
    assert!(
        summary_of(&apply, "emea").contains("failed:"),
        "{}",
        apply.stdout
    );
    assert!(!apply.stdout.contains("not-a-token") && !apply.stderr.contains("not-a-token"));
    assert!(!recorded(&fixture, "emea"));
    let right = Cli::new()
        .env("DOCUSIGN_AUTH_SERVER", &url)
        .env("DOCUSIGN_ACCESS_TOKEN", &token)
        .env("EMEA_DOCUSIGN_ACCESS_TOKEN", &token);
    right.run(fixture.path(), &["auth", "check"]).exits(0);
    right
        .run(fixture.path(), &["apply", "--auto-approve"])
        .exits(0);
    right
        .run(fixture.path(), &["plan", "--detailed-exitcode"])
        .exits(0);
}

/// Each of the emulator's switches for what DocuSign hasn't confirmed, one at a time: the
/// whole workspace converges in one apply, and the next plan is empty. Rate-limit refusals
/// (400 or 429) are left to `apply_matrix`, which runs apply with short retry waits: the
/// binary waits as long as DocuSign asks, minutes for a fifth of the calls refused.
#[test]
fn the_workspace_converges_under_every_emulator_switch() {
    let switches: Vec<(&str, Config)> = vec![
        ("default", roomy()),
        (
            "profiles only through bulk PUT /users",
            Config {
                profile_change: ProfileChangeRoutes::only(ProfileRoute::BulkPutUsers),
                ..roomy()
            },
        ),
        (
            "profiles only through PUT /users/{userId}",
            Config {
                profile_change: ProfileChangeRoutes::only(ProfileRoute::PutUser),
                ..roomy()
            },
        ),
        (
            "profiles only through PUT /users/{userId}/profile",
            Config {
                profile_change: ProfileChangeRoutes::only(ProfileRoute::PutProfile),
                ..roomy()
            },
        ),
        (
            "a group hands its profile to who joins",
            Config {
                group_profile_on_join: true,
                ..roomy()
            },
        ),
        (
            "no groupList in user records",
            Config {
                group_list_in_user_records: false,
                ..roomy()
            },
        ),
        (
            "bulk answers with failed items are 400s with generic codes, no profile echoed",
            Config {
                item_failure_status: ItemFailureStatus::BadRequest,
                item_error_codes: ItemErrorCodes::Generic,
                profile_in_user_answers: false,
                ..roomy()
            },
        ),
        (
            "reopening makes a new user",
            Config {
                reopen_keeps_user_id: false,
                ..roomy()
            },
        ),
    ];
    for (name, config) in switches {
        let Hosted {
            served,
            url,
            token,
            fixture,
        } = hosted(config);
        let cli = Cli::new()
            .env("DOCUSIGN_AUTH_SERVER", &url)
            .env("DOCUSIGN_ACCESS_TOKEN", &token)
            .env("EMEA_DOCUSIGN_ACCESS_TOKEN", &token);
        let apply = cli.run(fixture.path(), &["apply", "--auto-approve"]);
        assert_eq!(apply.code, 0, "{name}:\n{}\n{}", apply.stdout, apply.stderr);
        let plan = cli.run(fixture.path(), &["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{name}: not converged\n{}", plan.stdout);
        assert_eq!(
            served.running.shared.stats().invariant_breaches,
            0,
            "{name}: someone held no profile"
        );
    }
}

/// `drift` on a whole workspace reads every account side by side: each says its own drift
/// under its name; one with nothing recorded yet fails alone; the exit code is the worst.
#[test]
fn drift_on_a_whole_workspace_reports_each_account() {
    let fixture = example_in_git();
    fixture
        .run(&[
            "apply",
            "--account",
            "production",
            "--emulator",
            "--auto-approve",
        ])
        .exits(0);
    fixture
        .run(&[
            "apply",
            "--account",
            "sandbox",
            "--emulator",
            "--auto-approve",
        ])
        .exits(0);
    let drift = fixture.run(&["drift", "--emulator", "--format", "json"]);
    drift
        .exits(1)
        .stderr_has(&["account `emea`:", "cli::no_recorded_state"]);
    let reports: serde_json::Value = serde_json::from_str(&drift.stdout).expect("a JSON array");
    let names: Vec<&str> = reports
        .as_array()
        .expect("an array")
        .iter()
        .map(|entry| entry["account"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ACCOUNTS);
    assert!(reports[0]["report"].is_object() && reports[2]["report"].is_object());
    assert!(reports[1]["error"].is_string(), "{reports}");
    fixture
        .run(&["apply", "--account", "emea", "--emulator", "--auto-approve"])
        .exits(0);
    let none = fixture.run(&["drift", "--emulator"]);
    none.exits(0);
    for name in ACCOUNTS {
        none.stdout_has(&format!("=== account `{name}` ==="));
    }
    fixture
        .run(&["drift", "--emulator", "--format", "markdown"])
        .exits(0)
        .stdout_has("| `emea` | no drift |");
}

/// `auth check --emulator` on a workspace checks each account on the workspace's emulator:
/// three accounts, one integration user.
#[test]
fn auth_check_on_the_emulator_checks_each_account_of_the_workspace() {
    let run = Fixture::copy_of("examples/workspace").run(&["auth", "check", "--emulator"]);
    run.exits(0);
    let accounts: std::collections::BTreeSet<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("account:"))
        .collect();
    assert_eq!(accounts.len(), 3, "{}", run.stdout);
    for name in ACCOUNTS {
        run.stdout_has(&format!("Northwind Trading Co. ({name})"));
    }
}
