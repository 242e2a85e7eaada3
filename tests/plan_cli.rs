//! `docusign-gitops plan --emulator`: the sample account's drift, exit codes, the JSON plan
//! file, and a guard refusing (then allowing) a change past its limit.

use std::fmt::Write as _;

use crate::harness::{Cli, Fixture};

/// The sample YAML, copied so a run's leftovers in the checkout can't change a result.
fn examples() -> Fixture {
    Fixture::copy_of("examples/desired-state")
}

#[test]
fn the_sample_accounts_drift_is_planned_in_rule_order() {
    let run = examples().run(&["plan", "--emulator"]);
    run.exits(0);
    let out = &run.stdout;
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in\n{out}"))
    };
    // The hand-made changes, each undone, numbered in the order they are applied and shown under
    // the person or object they change.
    at("  ~ Sales Sender\n    [1] ~ allowBulkSending: false → true\n");
    at("  ~ Sales\n    [2] ~ name: Sales Team → Sales\n");
    at("  ~ kevin.obrien@northwind-example.com\n    [3] - leave group `Sales`\n");
    at("  - derek.lindqvist@northwind-example.com\n    [4] - close\n");
    let (users, groups, profiles) = (at("# Users"), at("# Groups"), at("# Permission profiles"));
    assert!(users < groups && groups < profiles, "{out}");
    // The unmanaged user is reported, not touched; the integration user is never in the plan.
    at("summer.intern@northwind-example.com: not in the YAML (policy: report)");
    assert!(!out.contains("docusign-integration@"), "{out}");
}

/// Piped, stdout is not a terminal: no colour, even when `NO_COLOR` is unset or empty (the
/// harness sets it, so this test takes it away again).
#[test]
fn a_piped_text_plan_has_no_escape_codes_without_no_color() {
    let examples = examples();
    for no_color in [None, Some("")] {
        let mut command = examples.command(&["plan", "--emulator"]);
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let output = command.output().expect("run docusign-gitops");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
        assert!(stdout.contains("# Users"), "{stdout}");
        assert!(
            !stdout.contains('\x1b'),
            "NO_COLOR={no_color:?}: {stdout:?}"
        );
    }
}

#[test]
fn detailed_exitcode_says_there_are_changes_and_the_plan_file_is_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan_file = dir.path().join("plan.json");
    let fixture = examples();
    let run = fixture.run(&[
        "plan",
        "--emulator",
        "--detailed-exitcode",
        "--format",
        "json",
        "--out",
        plan_file.to_str().expect("UTF-8"),
    ]);
    run.exits(2);
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("the plan file"))
            .expect("JSON in the file");
    assert_eq!(printed, saved);
    assert_eq!(saved["format_version"], 2);
    // Where it was made: the account, and the files it was made from.
    assert_eq!(saved["origin"]["environment"], "emulator");
    assert!(
        !saved["origin"]["account_id"]
            .as_str()
            .expect("account")
            .is_empty()
    );
    let digest = docusign_gitops::desired::load(fixture.path()).digest;
    assert_eq!(
        saved["origin"]["desired_digest"].as_str(),
        digest.as_deref()
    );
    assert_eq!(saved["steps"].as_array().expect("steps").len(), 4);
    assert_eq!(saved["steps"][3]["kind"], "close_user");
    assert_eq!(saved["summary"]["close_user"], 1);
    assert_eq!(
        saved["fingerprint"].as_str().expect("fingerprint").len(),
        64
    );
}

/// The examples, with `user_closures` set to 0.
fn examples_with_no_closures_allowed() -> Fixture {
    let fixture = examples();
    let account = fixture.path().join("account.yaml");
    let text = std::fs::read_to_string(&account).expect("read account.yaml");
    let limited = text.replace("user_closures: 3", "user_closures: 0");
    assert_ne!(limited, text, "the example's limit moved");
    fixture.file("account.yaml", &limited)
}

#[test]
fn a_closure_past_the_limit_is_refused_until_allowed() {
    let fixture = examples_with_no_closures_allowed();
    fixture
        .run(&["plan", "--emulator"])
        .exits(3)
        .stdout_has("refused: 1 user-closures (limit 0");
    fixture
        .run(&["plan", "--emulator"])
        .stdout_has("--allow user-closures");
    fixture
        .run(&["plan", "--emulator", "--allow", "user-closures"])
        .exits(0);
}

#[test]
fn the_allowance_can_come_from_the_environment_as_ci_sets_it() {
    let fixture = examples_with_no_closures_allowed();
    let allowing = |allowed: &str| {
        Cli::new()
            .env("DOCUSIGN_GITOPS_ALLOW", allowed)
            .run(fixture.path(), &["plan", "--emulator"])
    };
    allowing("admin-grants, user-closures")
        .exits(0)
        .stdout_has("allowed: 1 user-closures");
    // CI sets an unset repository variable as an empty one: it allows nothing.
    allowing("").exits(3);
}

/// The examples with one file's text changed; the change must take.
fn examples_with(path: &str, from: &str, to: &str) -> Fixture {
    let fixture = examples();
    let text = std::fs::read_to_string(fixture.path().join(path)).expect("read the example");
    let changed = text.replacen(from, to, 1);
    assert_ne!(changed, text, "`{from}` is no longer in {path}");
    fixture.file(path, &changed)
}

/// `admin_grants: 1` counts people: account management turned on for a profile the whole sales
/// team holds is one grant per holder, and the plan is refused.
#[test]
fn account_management_for_a_profile_with_many_holders_is_refused_under_admin_grants_1() {
    let fixture = examples_with(
        "permission-profiles.yaml",
        "      powerFormRole: user\n      allowAccountManagement: false",
        "      powerFormRole: user\n      allowAccountManagement: true",
    );
    let run = fixture.run(&["plan", "--emulator"]);
    run.exits(3).stdout_has("admin-grants (limit 1");
    let holders = run
        .stdout
        .lines()
        .filter(|line| line.contains("holds `Sales Sender`, which gains account management"))
        .count();
    assert!(holders >= 2, "{}", run.stdout);
    fixture
        .run(&["plan", "--emulator", "--allow", "admin-grants"])
        .exits(0);
}

/// Giving a group with several members a profile that can administer the account is a grant
/// to each member: refused under `admin_grants: 1`.
#[test]
fn an_admin_capable_profile_for_a_group_of_several_is_refused_under_admin_grants_1() {
    let fixture = examples_with(
        "groups.yaml",
        "  - name: Contract Approvers\n",
        "  - name: Contract Approvers\n    permission_profile: Board Admin\n",
    );
    let profiles = std::fs::read_to_string(fixture.path().join("permission-profiles.yaml"))
        .expect("read the profiles");
    let fixture = fixture.file(
        "permission-profiles.yaml",
        &format!(
            "{profiles}\n  - name: Board Admin\n    settings:\n      allowAccountManagement: true\n"
        ),
    );
    let run = fixture.run(&["plan", "--emulator"]);
    run.exits(3)
        .stdout_has("admin-grants (limit 1")
        .stdout_has("is in `Contract Approvers`, which now carries `Board Admin`");
}

#[test]
fn a_mistyped_flag_is_an_error_not_changes() {
    // clap's own exit code for a usage error is 2, which CI would read as "changes present".
    Fixture::new()
        .run(&["plan", "--detailed-exitcod"])
        .exits(1)
        .stderr_has(&["--detailed-exitcode"]);
    Fixture::new().run(&["drift", "--format", "yaml"]).exits(1);
    Fixture::new().run(&["plan", "--help"]).exits(0);
}

#[test]
fn bad_yaml_stops_the_plan_before_any_call() {
    Fixture::new()
        .file(
            "users.yaml",
            "users:\n  - email: not-an-email\n    first_name: A\n    last_name: B\n",
        )
        .run(&["plan", "--emulator"])
        .exits(1)
        .stderr_has(&[
            "not a valid email address",
            "run `docusign-gitops validate`",
        ]);
}

/// `plan --help` says what each exit code means and where credentials come from.
#[test]
fn plan_help_names_exit_code_3_and_where_credentials_come_from() {
    let run = Fixture::new().run(&["plan", "--help"]);
    run.exits(0)
        .stdout_has("3 refused")
        .stdout_has("DOCUSIGN_ACCESS_TOKEN")
        .stdout_has("DOCUSIGN_PRIVATE_KEY_FILE");
    let apply = Fixture::new().run(&["apply", "--help"]);
    apply.exits(0).stdout_has("3 refused");
}

/// A refused guard says where its limit is set, file and line, and whose access the refused
/// changes take away; the markdown's advice is what CI needs.
#[test]
fn a_refused_guard_names_where_its_limit_is_set_and_whose_access_changes() {
    let fixture = examples_with_no_closures_allowed();
    let text = std::fs::read_to_string(fixture.path().join("account.yaml")).expect("read");
    let line = 1 + text
        .lines()
        .position(|line| line.trim_start().starts_with("user_closures:"))
        .expect("the limit's line");
    let run = fixture.run(&["plan", "--emulator"]);
    run.exits(3)
        .stdout_has(&format!(
            "raise the limit at account.yaml:{line}, or pass `--allow user-closures` (in CI: DOCUSIGN_GITOPS_ALLOW)"
        ))
        .stdout_has("   derek.lindqvist@northwind-example.com is closed");
    let markdown = fixture.run(&["plan", "--emulator", "--format", "markdown"]);
    markdown
        .exits(3)
        .stdout_has(&format!("raise the limit at `account.yaml:{line}`"))
        .stdout_has("`DOCUSIGN_GITOPS_ALLOW=user-closures`")
        .stdout_has("- derek.lindqvist@northwind-example.com is closed");
}

/// A group renamed in the YAML without `previously` is planned as a new group; its create
/// says how to make it a rename.
#[test]
fn a_group_renamed_without_previously_hints_at_previously() {
    let fixture = examples_with(
        "groups.yaml",
        "  - name: Legal\n",
        "  - name: Legal Affairs\n",
    );
    let users = std::fs::read_to_string(fixture.path().join("users/legal.yaml")).expect("read");
    let fixture = fixture.file(
        "users/legal.yaml",
        &users.replace("[Legal", "[Legal Affairs"),
    );
    let run = fixture.run(&["plan", "--emulator"]);
    run.exits(0).stdout_has(
        "if it is `Legal` renamed, add `previously: [Legal]` to it so `Legal` is renamed instead",
    );
}

/// A step that undoes drift the YAML accepts says so, with the acceptance's date and reason.
#[test]
fn a_plan_that_reverts_accepted_drift_says_so() {
    let fixture = examples_with(
        "account.yaml",
        "  protected_users:\n",
        "  accepted_drift:\n    - object: user:kevin.obrien@northwind-example.com\n      reason: helping Sales through the quarter\n      until: 2099-12-31\n  protected_users:\n",
    );
    for format in ["text", "markdown"] {
        fixture
            .run(&["plan", "--emulator", "--format", format])
            .exits(0)
            .stdout_has(
                "this reverts drift accepted until 2099-12-31 (helping Sales through the quarter)",
            );
    }
    // An acceptance that has ended no longer counts.
    let expired = examples_with(
        "account.yaml",
        "  protected_users:\n",
        "  accepted_drift:\n    - object: user:kevin.obrien@northwind-example.com\n      reason: helping Sales through the quarter\n      until: 2020-01-31\n  protected_users:\n",
    );
    let run = expired.run(&["plan", "--emulator"]);
    run.exits(0);
    assert!(!run.stdout.contains("reverts drift"), "{}", run.stdout);
}

/// Of each kind of warning, `plan` shows the first three in full and counts the rest in one
/// line, so a definition many people repeat can't bury the plan's own lines; `validate` still
/// shows every one.
#[test]
fn plan_shows_three_warnings_of_a_kind_and_counts_the_rest() {
    let mut members = String::new();
    for n in 1..=5 {
        let _ = write!(
            members,
            "  - email: folded{n}@northwind-example.com\n    first_name: Folded\n    \
             last_name: Member{n}\n    permission_profile: DocuSign Viewer\n    \
             groups: [Folded Team]\n"
        );
    }
    let fixture = examples()
        .file(
            "folded-groups.yaml",
            "groups:\n  - name: Folded Team\n    permission_profile: DocuSign Sender\n",
        )
        .file("folded-users.yaml", &format!("users:\n{members}"));

    let plan = fixture.run(&["plan", "--emulator"]);
    plan.exits(0).stderr_has(&[
        "holds `DocuSign Viewer`, but the group `Folded Team` carries",
        "warning: 2 more warnings of this kind (desired::profile_differs_from_group) not shown; \
         `docusign-gitops validate` shows every one",
    ]);
    assert_eq!(plan.count("⚠"), 3, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("folded5@northwind-example.com"),
        "{}",
        plan.stdout
    );

    let validate = fixture.run(&["validate"]);
    validate.exits(0).stdout_has("(5 warnings)");
    assert_eq!(validate.count("⚠"), 5, "{}", validate.stderr);
    assert!(
        !validate.stderr.contains("not shown"),
        "{}",
        validate.stderr
    );
}
