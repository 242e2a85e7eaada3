//! `docusign-gitops validate`: one test per problem class, each on a bad input, checking the
//! exit code, the file and line in the output, and the hint.

use std::fmt::Write as _;

use crate::harness::Fixture;

const GROUPS: &str = "\
groups:
  - name: Sales
  - name: Legal
";

fn user(email: &str) -> String {
    format!("  - email: {email}\n    first_name: Ana\n    last_name: Lima\n")
}

#[test]
fn the_examples_are_valid() {
    let examples = Fixture::copy_of("examples/desired-state");
    let run = examples.run(&["validate"]);
    run.exits(0)
        .stdout_has("valid: 3 permission profiles, 5 groups, 2 signing groups");
    assert_eq!(
        run.count("⚠"),
        0,
        "the examples have warnings:\n{}",
        run.stderr
    );
}

#[test]
fn a_valid_directory_prints_counts_per_kind() {
    Fixture::new()
        .file("groups.yaml", GROUPS)
        .file(
            "users.yaml",
            &format!("users:\n{}", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(0)
        .stdout_has("valid: 0 permission profiles, 2 groups, 0 signing groups, 1 user in 2 files");
}

#[test]
fn yaml_syntax_error_points_at_the_line() {
    Fixture::new()
        .file(
            "users.yaml",
            "users:\n  - email: \"ana@example.com\n    first_name: Ana\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "desired::yaml_syntax",
            "[users.yaml:2:",
            "fix the YAML syntax",
        ]);
}

#[test]
fn wrong_type_names_what_was_expected() {
    Fixture::new()
        .file("users.yaml", "users:\n  - email: ana@example.com\n    first_name: Ana\n    last_name: Lima\n    groups: Sales\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["desired::wrong_type", "expected a list", "[users.yaml:5:"]);
}

#[test]
fn unknown_key_suggests_the_closest_key() {
    Fixture::new()
        .file(
            "users.yaml",
            "users:\n  - email: ana@example.com\n    frist_name: Ana\n    last_name: Lima\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "unknown key `frist_name`",
            "[users.yaml:3:5]",
            "did you mean `first_name`?",
        ]);
}

#[test]
fn unknown_top_level_key_suggests_the_closest_key() {
    Fixture::new()
        .file("a.yaml", "user:\n  - email: ana@example.com\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "unknown key `user`",
            "[a.yaml:1:1]",
            "did you mean `users`?",
        ]);
}

/// Issue 15 item 10a: serde stops at the first unknown key; the writer hears of all of them.
#[test]
fn every_unknown_key_is_reported_in_one_run() {
    let run = Fixture::new()
        .file(
            "users.yaml",
            "\
users:
  - email: ana@example.com
    frist_name: Ana
    last_name: Lima
    permision_profile: DocuSign Viewer
    grops: [Sales]
  - email: bo@example.com
    first_name: Bo
    last_name: Li
    colour: red
policy:
  limits:
    user_closure: 1
",
        )
        .run(&["validate"]);
    run.exits(1).stderr_has(&[
        "unknown key `frist_name`",
        "[users.yaml:3:5]",
        "did you mean `first_name`?",
        "unknown key `permision_profile`",
        "[users.yaml:5:5]",
        "did you mean `permission_profile`?",
        "unknown key `grops`",
        "[users.yaml:6:5]",
        "did you mean `groups`?",
        "unknown key `colour`",
        "[users.yaml:10:5]",
        "valid keys: `email`, `first_name`, `groups`, `job_title`, `last_name`, `overrides_generated`, `permission_profile`, `provenance`, `signing_groups`, `status`",
        "unknown key `user_closure`",
        "[users.yaml:13:5]",
        "did you mean `user_closures`?",
        "5 errors found",
    ]);
    assert_eq!(run.count("×"), 5, "{}", run.stderr);
}

/// A file that fails for another reason still has its unknown keys reported.
#[test]
fn unknown_keys_are_reported_beside_another_parse_error() {
    let run = Fixture::new()
        .file(
            "users.yaml",
            &format!(
                "users:\n{}    groups: Sales\n    titel: CFO\n",
                user("ana@example.com")
            ),
        )
        .run(&["validate"]);
    run.exits(1).stderr_has(&[
        "expected a list",
        "[users.yaml:5:",
        "unknown key `titel`",
        "[users.yaml:6:5]",
    ]);
    assert_eq!(run.count("×"), 2, "{}", run.stderr);
}

/// Issue 15 item 10b: "inactive" may mean "not active" (`closed`) or be `active` misspelt.
#[test]
fn a_status_that_negates_a_value_suggests_both_values() {
    Fixture::new()
        .file(
            "users.yaml",
            &format!("users:\n{}    status: inactive\n", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`inactive` is not a valid value here",
            "[users.yaml:5:13]",
            "did you mean `active` or `closed`?",
        ]);
}

/// Issue 15 item 10c: a key written with nothing after it is an error at its line, not the
/// default the key would have had if it were left out.
#[test]
fn a_blank_value_is_an_error_not_the_default() {
    let run = Fixture::new()
        .file(
            "account.yaml",
            "\
account:
defaults:
  permission_profile:
policy:
  unmanaged_users:
  limits:
    admin_grants:
",
        )
        .file(
            "groups.yaml",
            "groups:\n  - name: Sales\n    permission_profile:\nsigning_groups:\n  - name: Approvers\n    email:\n",
        )
        .file(
            "users.yaml",
            &format!(
                "users:\n{}    job_title:\n    permission_profile:\n    status:\n",
                user("ana@example.com")
            ),
        )
        .run(&["validate"]);
    run.exits(1).stderr_has(&[
        "`account` has no value",
        "[account.yaml:1:8]",
        "write `id:` and `environment:` under it",
        "`permission_profile` has no value",
        "[account.yaml:3:21]",
        "or delete the line for DocuSign Viewer",
        "`unmanaged_users` has no value",
        "[account.yaml:5:18]",
        "`admin_grants` has no value",
        "[account.yaml:7:17]",
        "[groups.yaml:3:23]",
        "or delete the line for a group that carries none",
        "`email` has no value",
        "[groups.yaml:6:10]",
        "`job_title` has no value",
        "[users.yaml:5:14]",
        "[users.yaml:6:23]",
        "write the user's profile, or delete the line to give them the default one",
        "`status` has no value",
        "[users.yaml:7:11]",
        "9 errors found",
    ]);
    assert_eq!(run.count("×"), 9, "{}", run.stderr);
}

#[test]
fn unknown_enum_value_suggests_the_closest_value() {
    Fixture::new()
        .file(
            "users.yaml",
            &format!("users:\n{}    status: close\n", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`close` is not a valid value",
            "[users.yaml:5:",
            "did you mean `closed`?",
        ]);
}

#[test]
fn duplicate_users_across_files_show_both_places_ignoring_case() {
    let run = Fixture::new()
        .file(
            "a/sales.yaml",
            &format!("users:\n{}", user("Ana@Example.com")),
        )
        .file(
            "b/legal.yaml",
            &format!(
                "users:\n  - email: bo@example.com\n    first_name: Bo\n    last_name: Li\n{}",
                user("ana@example.com")
            ),
        )
        .run(&["validate"]);
    run.exits(1).stderr_has(&[
        "the user `ana@example.com` is declared more than once",
        "[b/legal.yaml:5:",
        "first declared here",
        "[a/sales.yaml:2:",
    ]);
}

#[test]
fn duplicate_groups_profiles_and_signing_groups_are_caught() {
    Fixture::new()
        .file("one.yaml", "groups:\n  - name: Sales\npermission_profiles:\n  - name: Senders\nsigning_groups:\n  - name: Approvers\n")
        .file("two.yaml", "groups:\n  - name: sales\npermission_profiles:\n  - name: SENDERS\nsigning_groups:\n  - name: Approvers\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "the group `sales` is declared more than once",
            "[two.yaml:2:",
            "the permission profile `SENDERS` is declared more than once",
            "[two.yaml:4:",
            "the signing group `Approvers` is declared more than once",
            "[two.yaml:6:",
            "[one.yaml:2:",
            "[one.yaml:4:",
            "[one.yaml:6:",
        ]);
}

#[test]
fn malformed_email_is_caught() {
    Fixture::new()
        .file(
            "users.yaml",
            &format!("users:\n{}", user("ana.example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`ana.example.com` is not a valid email address",
            "[users.yaml:2:",
            "name@example.com",
        ]);
}

#[test]
fn account_id_that_is_not_a_guid_is_caught() {
    Fixture::new()
        .file(
            "account.yaml",
            "account:\n  id: 12345678\n  environment: demo\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`12345678` is not an account GUID",
            "[account.yaml:2:",
            "API Account ID",
        ]);
}

#[test]
fn limits_must_be_counts_or_percents() {
    Fixture::new()
        .file(
            "policy.yaml",
            "policy:\n  limits:\n    user_closures: ten\n    membership_removals: \"150%\"\n    admin_grants: -1\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "[policy.yaml:3:",
            "[policy.yaml:4:",
            "between 0% and 100%",
            "[policy.yaml:5:",
            "can't be negative",
            "write a count such as `10`",
        ]);
}

#[test]
fn a_boolean_limit_is_a_type_error() {
    Fixture::new()
        .file(
            "policy.yaml",
            "policy:\n  limits:\n    user_closures: true\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["[policy.yaml:3:", "a percent such as \"5%\""]);
}

#[test]
fn unknown_group_reference_suggests_the_closest_group() {
    Fixture::new()
        .file("groups.yaml", GROUPS)
        .file(
            "users.yaml",
            &format!("users:\n{}    groups: [Salse]\n", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "unknown group `Salse`",
            "[users.yaml:5:",
            "did you mean `Sales`? If not, declare it under `groups`",
        ]);
}

#[test]
fn unknown_profile_reference_is_caught_everywhere() {
    Fixture::new()
        .file(
            "defaults.yaml",
            "defaults:\n  permission_profile: Viewers\n",
        )
        .file(
            "groups.yaml",
            "groups:\n  - name: Sales\n    permission_profile: Sales Sendr\n",
        )
        .file(
            "profiles.yaml",
            "permission_profiles:\n  - name: Sales Sender\n",
        )
        .file(
            "users.yaml",
            &format!(
                "users:\n{}    permission_profile: Nobody\n",
                user("ana@example.com")
            ),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "unknown permission profile `Viewers`",
            "[defaults.yaml:2:",
            "unknown permission profile `Sales Sendr`",
            "[groups.yaml:3:",
            "did you mean `Sales Sender`?",
            "unknown permission profile `Nobody`",
            "[users.yaml:5:",
        ]);
}

#[test]
fn built_in_profiles_are_valid_references_in_any_case_and_spelling() {
    Fixture::new()
        .file(
            "users.yaml",
            &format!(
                "users:\n{}    permission_profile: Docusign viewer\n{}    permission_profile: DOCUSIGN SENDER\n{}    permission_profile: account administrator\n",
                user("a@example.com"),
                user("b@example.com"),
                user("c@example.com"),
            ),
        )
        .file("defaults.yaml", "defaults:\n  permission_profile: Docusign Sender\n")
        .run(&["validate"])
        .exits(0)
        .stdout_has("3 users");
}

#[test]
fn settings_on_a_built_in_profile_are_refused() {
    Fixture::new()
        .file("profiles.yaml", "permission_profiles:\n  - name: DocuSign Sender\n    settings:\n      allowBulkSending: true\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["`DocuSign Sender` is a built-in profile", "[profiles.yaml:4:", "copy it under a new name"]);
}

#[test]
fn renaming_a_built_in_group_or_profile_is_refused() {
    Fixture::new()
        .file("groups.yaml", "groups:\n  - name: Staff\n    previously: [Everyone]\n  - name: Administrators\n    previously: [Admins]\n")
        .file("profiles.yaml", "permission_profiles:\n  - name: Readers\n    previously: [DocuSign Viewer]\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`Everyone` is a built-in group and can't be renamed",
            "[groups.yaml:3:",
            "`Administrators` is a built-in group and can't be edited",
            "[groups.yaml:5:",
            "`DocuSign Viewer` is a built-in permission profile and can't be renamed",
            "[profiles.yaml:3:",
        ]);
}

#[test]
fn a_profile_on_a_built_in_group_is_refused() {
    Fixture::new()
        .file(
            "groups.yaml",
            "groups:\n  - name: Everyone\n    permission_profile: DocuSign Sender\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`Everyone` is a built-in group and can't be edited",
            "[groups.yaml:3:",
        ]);
}

#[test]
fn a_user_in_everyone_is_refused() {
    Fixture::new()
        .file(
            "users.yaml",
            &format!(
                "users:\n{}    groups: [Everyone]\n",
                user("ana@example.com")
            ),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "users can't be put in the group `Everyone`",
            "[users.yaml:5:",
            "every user is in Everyone automatically",
        ]);
}

#[test]
fn administrators_is_a_valid_group_for_users() {
    Fixture::new()
        .file("users.yaml", &format!("users:\n{}    groups: [administrators]\n    permission_profile: Account Administrator\n", user("ana@example.com")))
        .run(&["validate"])
        .exits(0);
}

fn members(count: usize) -> String {
    (0..count).fold(String::new(), |mut out, n| {
        let _ = writeln!(
            out,
            "      - name: Member {n}\n        email: member{n}@example.com"
        );
        out
    })
}

#[test]
fn a_signing_group_with_more_than_50_members_is_refused() {
    Fixture::new()
        .file(
            "signing.yaml",
            &format!(
                "signing_groups:\n  - name: Approvers\n    members:\n{}",
                members(51)
            ),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "has 51 members; DocuSign allows at most 50",
            "[signing.yaml:2:",
            "split it",
        ]);
    Fixture::new()
        .file(
            "signing.yaml",
            &format!(
                "signing_groups:\n  - name: Approvers\n    members:\n{}",
                members(50)
            ),
        )
        .run(&["validate"])
        .exits(0);
}

#[test]
fn more_than_50_signing_groups_are_refused() {
    let groups = (0..51).fold(String::new(), |mut out, n| {
        let _ = writeln!(out, "  - name: Signers {n}");
        out
    });
    Fixture::new()
        .file("signing.yaml", &format!("signing_groups:\n{groups}"))
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "more than 50 signing groups",
            "[signing.yaml:52:",
            "at most 50 signing groups",
        ]);
}

#[test]
fn a_signing_group_member_needs_a_valid_email() {
    Fixture::new()
        .file("signing.yaml", "signing_groups:\n  - name: Approvers\n    members:\n      - name: Bo\n        email: bo@\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["`bo@` is not a valid email address", "[signing.yaml:5:"]);
}

#[test]
fn unknown_setting_suggests_the_docusign_key() {
    Fixture::new()
        .file("profiles.yaml", "permission_profiles:\n  - name: Senders\n    settings:\n      allowEnvelopSending: true\n      allowedTemplateAccess: shared\n")
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`allowEnvelopSending` is not a DocuSign permission-profile setting",
            "[profiles.yaml:4:",
            "did you mean `allowEnvelopeSending`?",
            "`shared` is not a valid value for `allowedTemplateAccess`",
            "[profiles.yaml:5:",
            "did you mean `share`?",
        ]);
}

#[test]
fn sections_declared_twice_show_both_places() {
    Fixture::new()
        .file(
            "a.yaml",
            "defaults:\n  permission_profile: DocuSign Viewer\n",
        )
        .file(
            "b.yaml",
            "users: []\ndefaults:\n  permission_profile: DocuSign Sender\n",
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`defaults` is declared more than once",
            "[b.yaml:3:",
            "[a.yaml:2:",
        ]);
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let run = Fixture::new()
        .file("broken.yaml", "users: [")
        .file("groups.yaml", "groups:\n  - name: Sales\n  - name: Sales\n")
        .file(
            "users.yaml",
            &format!(
                "users:\n{}{}    groups: [Everyone]\n",
                user("not-an-email"),
                user("bo@example.com")
            ),
        )
        .run(&["validate"]);
    run.exits(1).stderr_has(&[
        "[broken.yaml:",
        "[groups.yaml:3:",
        "[users.yaml:2:",
        "[users.yaml:8:",
        "4 errors found",
    ]);
    assert_eq!(run.count("×"), 4, "{}", run.stderr);
}

#[test]
fn a_member_whose_profile_differs_from_the_group_gets_a_warning_not_an_error() {
    Fixture::new()
        .file("groups.yaml", "groups:\n  - name: Sales\n    permission_profile: DocuSign Sender\n")
        .file("users.yaml", &format!("users:\n{}    groups: [Sales]\n", user("ana@example.com")))
        .run(&["validate"])
        .exits(0)
        .stdout_has("(1 warning)")
        .stderr_has(&[
            "`ana@example.com` holds `DocuSign Viewer`, but the group `Sales` carries `DocuSign Sender`",
            "[users.yaml:5:",
        ]);
}

#[test]
fn a_reference_by_an_earlier_name_points_to_the_new_one() {
    Fixture::new()
        .file(
            "groups.yaml",
            "groups:\n  - name: Sales EMEA\n    previously: [Sales]\n",
        )
        .file(
            "users.yaml",
            &format!("users:\n{}    groups: [Sales]\n", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "the group `Sales` has been renamed to `Sales EMEA`",
            "refer to it as `Sales EMEA`",
        ]);
}

#[test]
fn a_missing_directory_or_an_empty_one_is_an_error() {
    let fixture = Fixture::new();
    fixture
        .run(&["validate", "nowhere"])
        .exits(1)
        .stderr_has(&["`nowhere`"]);
    fixture
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["no `*.yaml` or `*.yml` files"]);
}

#[test]
fn hidden_folders_are_not_desired_state() {
    Fixture::new()
        .file(".github/workflows/plan.yml", "on: pull_request\njobs: {}\n")
        .file(
            "users.yaml",
            &format!("users:\n{}", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(0)
        .stdout_has("in 1 file");
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_not_a_crash() {
    let fixture = Fixture::new();
    fixture.write("users.yaml", b"users:\n  - email: \xff\xfe\n");
    fixture
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["users.yaml", "is not UTF-8"]);
}

#[test]
fn diagnostics_read_well() {
    let run = Fixture::new()
        .file("groups.yaml", GROUPS)
        .file(
            "users/sales.yaml",
            &format!(
                "users:\n{}    groups: [Sales, Legl]\n",
                user("ana@example.com")
            ),
        )
        .file(
            "users/legal.yaml",
            &format!("users:\n{}    groups: [Legl]\n", user("ANA@example.com")),
        )
        .run(&["validate"]);
    run.exits(1);
    crate::harness::refuse_snapshot_rewrites_on_ci();
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn a_file_that_fails_to_parse_suspends_reference_checks_and_says_so() {
    Fixture::new()
        .file("groups.yaml", "groups:\n  - name: Sales\n  - name: [\n")
        .file(
            "users.yaml",
            &format!("users:\n{}    groups: [Sales]\n", user("ana@example.com")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "[groups.yaml:",
            "references to groups and profiles were not checked",
        ]);
}

#[test]
fn emails_differing_only_by_a_non_ascii_letters_case_are_ambiguous() {
    // ASCII letters fold: the same user twice. A non-ASCII letter's case: ambiguous, naming both.
    Fixture::new()
        .file("groups.yaml", GROUPS)
        .file(
            "users.yaml",
            &format!(
                "users:\n{}{}{}",
                user("Ana@Example.com"),
                user("änne@example.com"),
                user("Änne@example.com")
            ),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "desired::ambiguous_email",
            "the users `Änne@example.com` and `änne@example.com` differ only in the case of a letter",
            "[users.yaml:",
        ]);
    Fixture::new()
        .file("groups.yaml", GROUPS)
        .file(
            "users.yaml",
            &format!(
                "users:\n{}{}",
                user("Ana@Example.com"),
                user("ana@example.COM")
            ),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["desired::duplicate", "is declared more than once"]);
}

/// An `accepted_drift` entry must name an object: `user:` takes an email, and a kind with no
/// name or no kind at all names nothing. Each is an error at its line.
#[test]
fn an_accepted_drift_entry_that_names_no_object_is_an_error() {
    let policy = "policy:\n  accepted_drift:\n    - object: user:ana\n      reason: a typo\n      until: 2099-12-31\n    - object: ana@example.com\n      reason: no kind\n      until: 2099-12-31\n";
    Fixture::new()
        .file("account.yaml", policy)
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "`user:ana` names no user: `ana` is not an email",
            "[account.yaml:3:",
            "`ana@example.com` doesn't name an object",
            "[account.yaml:6:",
        ]);
}

#[test]
fn a_hand_written_entry_overrides_the_generated_one_only_when_it_says_so() {
    let generated = format!("users:\n{}", user("ana@example.com"));
    let hand_written = |overrides: &str| {
        format!(
            "users:\n  - email: Ana@Example.com\n    first_name: Ana\n    last_name: Lima-Silva\n{overrides}"
        )
    };
    Fixture::new()
        .file("generated/hr.yaml", &generated)
        .file("users.yaml", &hand_written(""))
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["declared more than once", "overrides_generated: true"]);
    Fixture::new()
        .file("generated/hr.yaml", &generated)
        .file(
            "users.yaml",
            &hand_written("    overrides_generated: true\n"),
        )
        .run(&["validate"])
        .exits(0)
        .stdout_has("1 user in 2 files");
    // Only a hand-written entry can override: two generated files naming one person clash.
    Fixture::new()
        .file("generated/hr.yaml", &generated)
        .file(
            "generated/ldap.yaml",
            &format!("{}    overrides_generated: true\n", hand_written("")),
        )
        .run(&["validate"])
        .exits(1)
        .stderr_has(&["declared more than once"]);
}

/// `provenance` is what `sync` writes on the entries it generates; on a hand-written entry (say
/// a generated one copied to override it) it would tell every plan's reviewer a wrong story.
#[test]
fn only_generated_entries_carry_a_provenance() {
    let entry = |email: &str| {
        format!(
            "users:\n  - email: {email}\n    first_name: Ana\n    last_name: Lima\n    provenance: {{source: hr, rules: [sales]}}\n"
        )
    };
    Fixture::new()
        .file("generated/hr.yaml", &entry("ana@example.com"))
        .run(&["validate"])
        .exits(0);
    Fixture::new()
        .file("users.yaml", &entry("ana@example.com"))
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "desired::hand_written_provenance",
            "[users.yaml:5:",
            "remove the `provenance` line",
            "from the directory source `hr` by the rule `sales`",
        ]);
}

/// A user may name the signing groups they are a member of (as `sync` writes them): the same as
/// listing them in each group's `members`, under their first and last name, with the same
/// limits; a name that is no signing group, or one listed twice, is an error at its line.
#[test]
fn a_user_joins_signing_groups_by_name() {
    let desk = "signing_groups:\n  - name: Legal Desk\n    members:\n      - name: Inbox\n        email: inbox@example.com\n";
    let user = |signing_groups: &str| {
        format!(
            "users:\n  - email: ana@example.com\n    first_name: Ana\n    last_name: Lima\n    signing_groups: {signing_groups}\n"
        )
    };
    Fixture::new()
        .file("signing-groups.yaml", desk)
        .file("users.yaml", &user("[legal desk]"))
        .run(&["plan", "--emulator"])
        .exits(0)
        .stdout_has("+ join signing group `Legal Desk`");
    Fixture::new()
        .file("signing-groups.yaml", desk)
        .file("users.yaml", &user("[Legal Dsk, Legal Desk, Legal Desk]"))
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "desired::unknown_signing_group",
            "unknown signing group `Legal Dsk`",
            "Legal Desk",
            "[users.yaml:5:",
            "the signing group `Legal Desk` is listed twice for `ana@example.com`",
        ]);
    // DocuSign's 50 members: 49 listed and two users joining is one too many.
    let members = (0..49).fold(String::new(), |mut members, n| {
        let _ = writeln!(
            members,
            "      - name: Member {n}\n        email: m{n}@example.com"
        );
        members
    });
    let full = format!("signing_groups:\n  - name: Legal Desk\n    members:\n{members}");
    let two = format!(
        "{}  - email: bo@example.com\n    first_name: Bo\n    last_name: Ek\n    signing_groups: [Legal Desk]\n",
        user("[Legal Desk]")
    );
    Fixture::new()
        .file("signing-groups.yaml", &full)
        .file("users.yaml", &two)
        .run(&["validate"])
        .exits(1)
        .stderr_has(&[
            "desired::too_many_members",
            "`bo@example.com` joining makes the signing group `Legal Desk` pass 50 members",
        ]);
}
