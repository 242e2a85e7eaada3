//! `docusign-gitops sync` end to end: an HR export and the rules in `sources.yaml` become
//! `generated/hr.yaml`, which validates and plans; a second run changes no byte; a change to
//! one person changes only their lines; a bad source changes nothing.

use serde_json::Value;

use crate::harness::{Fixture, crate_root};

pub const SOURCES: &str = "\
sync:
  sources:
    - name: hr
      csv:
        path: hr/people.csv
        columns:
          email: Email
          first_name: First name
          last_name: Last name
          job_title: Title
          groups: Groups
          groups_separator: '|'
        attributes:
          department: Department
        status:
          column: Status
          disabled_values: [Terminated, Inactive]
  scope:
    exclude_groups: [Contractors]
  rules:
    - name: sales
      when: { group: Sales }
      groups: [Sales]
      permission_profile: Sales Sender
    - name: legal
      when: { attributes: { department: Legal } }
      groups: [Legal]
      permission_profile: Legal Reviewer
      signing_group: Legal Desk
";

pub const OBJECTS: &str = "\
permission_profiles:
  - name: Sales Sender
    settings: { allowBulkSending: \"false\" }
  - name: Legal Reviewer
    settings: { allowBulkSending: \"false\" }
groups:
  - name: Sales
    permission_profile: Sales Sender
  - name: Legal
    permission_profile: Legal Reviewer
signing_groups:
  - name: Legal Desk
    members:
      - name: Legal Inbox
        email: legal-inbox@example.com
";

pub fn people() -> String {
    std::fs::read_to_string(crate_root().join("tests/fixtures/sync/people.csv")).expect("fixture")
}

fn fixture(csv: &str) -> Fixture {
    Fixture::new()
        .file("sources.yaml", SOURCES)
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", csv)
}

/// The users the source `name` wrote, without comments, their provenance naming `SOURCE` for
/// whichever source wrote them, so the files of several sources compare.
pub fn users_in(fixture: &Fixture, name: &str) -> String {
    std::fs::read_to_string(fixture.path().join(format!("generated/{name}.yaml")))
        .expect("generated file")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| line.replace(&format!("{{source: {name},"), "{source: SOURCE,"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generated(fixture: &Fixture) -> String {
    std::fs::read_to_string(fixture.path().join("generated/hr.yaml")).expect("generated file")
}

#[test]
fn sync_writes_yaml_that_validates_and_plans_and_a_second_run_changes_nothing() {
    let fixture = fixture(&people());
    fixture
        .run(&["sync", "--check"])
        .exits(2)
        .stdout_has("generated/hr.yaml would change");
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("wrote generated/hr.yaml");
    let first = generated(&fixture);
    assert!(
        first.contains("provenance: {source: hr, rules: [sales]}"),
        "{first}"
    );
    // Nothing that moves when someone else changes (a row number) is written.
    assert!(!first.contains("people.csv"), "{first}");
    // Legal people join the rule's signing group; a leaver joins none.
    assert!(
        first
            .contains("signing_groups: [Legal Desk]\n    provenance: {source: hr, rules: [legal]}"),
        "{first}"
    );
    // Contractors are out of scope; leavers are written closed.
    assert!(!first.contains("Contractors"), "{first}");
    assert!(first.contains("status: closed"), "{first}");
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("unchanged generated/hr.yaml");
    assert_eq!(generated(&fixture), first, "a second run changed bytes");
    fixture.run(&["sync", "--check"]).exits(0);
    fixture.run(&["validate"]).exits(0);
    // Each generated user's changes say where the user came from.
    fixture
        .run(&["plan", "--emulator"])
        .exits(0)
        .stdout_has("Plan:")
        .stdout_has("(from the directory source `hr` by the rule `sales`)")
        .stdout_has("+ join signing group `Legal Desk`");
    fixture
        .run(&["plan", "--emulator", "--format", "markdown"])
        .exits(0)
        .stdout_has("— from the directory source `hr` by the rule `sales`");
}

#[test]
fn moving_one_person_changes_only_their_lines() {
    let fixture = fixture(&people());
    fixture.run(&["sync"]).exits(0);
    let before = generated(&fixture);
    let moved = people().replacen(
        "ana.silva@example.com,Ana,Silva,Head of Sales,Sales,Sales,",
        "ana.silva@example.com,Ana,Silva,Head of Sales,Legal,Legal,",
        1,
    );
    assert_ne!(moved, people(), "the fixture's first row changed");
    fixture.write("hr/people.csv", moved.as_bytes());
    fixture.run(&["sync", "--check"]).exits(2);
    fixture.run(&["sync"]).exits(0);
    let after = generated(&fixture);
    // Every line removed or added lies in Ana's entry (an entry is a paragraph).
    let entry_of = |text: &str| -> String {
        let ana = text.find("ana.silva@example.com").expect("Ana is written");
        let start = text[..ana].rfind("\n\n").map_or(0, |start| start + 2);
        let end = text[ana..].find("\n\n").map_or(text.len(), |end| ana + end);
        text[start..end].to_owned()
    };
    let (ana_before, ana_after) = (entry_of(&before), entry_of(&after));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let changed: Vec<(similar::ChangeTag, String)> = diff
        .iter_all_changes()
        .filter(|change| change.tag() != similar::ChangeTag::Equal)
        .map(|change| (change.tag(), change.value().trim_end().to_owned()))
        .collect();
    assert!(!changed.is_empty());
    for (tag, line) in &changed {
        let entry = if *tag == similar::ChangeTag::Delete {
            &ana_before
        } else {
            &ana_after
        };
        assert!(
            entry.contains(line.as_str()),
            "{line:?} changed outside Ana's entry"
        );
    }
    assert!(
        ana_after.contains("signing_groups: [Legal Desk]"),
        "{ana_after}"
    );
}

#[test]
fn a_bad_row_is_an_error_that_writes_nothing() {
    let fixture = fixture(&people());
    fixture.run(&["sync"]).exits(0);
    let before = generated(&fixture);
    let broken = people().replacen("ana.silva@example.com", "", 1);
    fixture.write("hr/people.csv", broken.as_bytes());
    fixture
        .run(&["sync"])
        .exits(1)
        .stderr_has(&["people.csv:2", "Email"]);
    assert_eq!(
        generated(&fixture),
        before,
        "a failed sync changed the file"
    );
}

#[test]
fn without_a_sync_section_sync_says_how_to_add_one() {
    Fixture::new()
        .file("objects.yaml", OBJECTS)
        .run(&["sync"])
        .exits(1)
        .stderr_has(&["no `sync` section", "sources.yaml"]);
}

#[test]
fn an_hr_export_and_a_scim_export_of_the_same_people_write_the_same_users() {
    let scim_source = "    - name: idp\n      scim:\n        path: idp/all.json\n";
    let sources = SOURCES.replacen("  scope:", &format!("{scim_source}  scope:"), 1);
    assert_ne!(sources, SOURCES, "the SCIM source was added");
    let fixture = Fixture::new()
        .file("sources.yaml", &sources)
        .file("hr/people.csv", &people())
        .file(
            "idp/all.json",
            &std::fs::read_to_string(crate_root().join("tests/fixtures/sync/scim/all.json"))
                .expect("fixture"),
        );
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("wrote generated/idp.yaml");
    // The users are the same, each naming its own source as its provenance.
    let (hr, idp) = (users_in(&fixture, "hr"), users_in(&fixture, "idp"));
    assert!(hr.contains("permission_profile: Legal Reviewer"), "{hr}");
    assert!(
        std::fs::read_to_string(fixture.path().join("generated/idp.yaml"))
            .expect("generated file")
            .contains("provenance: {source: idp, rules: [sales]}"),
        "each names its own source"
    );
    assert_eq!(hr, idp);
}

/// Synced, then applied to the in-process emulator (which keeps the account in the fixture),
/// after which nothing is left to do.
pub fn applied(fixture: &Fixture) {
    fixture.run(&["sync"]).exits(0);
    fixture
        .run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
        .exits(0);
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0)
        .stdout_has("No changes");
}

/// The plan `plan --emulator` makes now.
fn plan(fixture: &Fixture) -> Value {
    let run = fixture.run(&["plan", "--emulator", "--format", "json"]);
    run.exits(0);
    serde_json::from_str(&run.stdout).expect("the plan as JSON")
}

/// What the plan does about `email`: each step as `kind (reason)`, each report as `report: note`.
fn for_person(plan: &Value, email: &str) -> Vec<String> {
    let about = |list: &str| -> Vec<Value> {
        plan[list]
            .as_array()
            .unwrap_or_else(|| panic!("no {list} in {plan:#}"))
            .iter()
            .filter(|item| item["email"] == email)
            .cloned()
            .collect()
    };
    let steps = about("steps").into_iter().map(|step| {
        format!(
            "{} ({})",
            step["kind"].as_str().unwrap_or_default(),
            step["reason"].as_str().unwrap_or_default()
        )
    });
    let reports = about("reports")
        .into_iter()
        .map(|report| format!("report: {}", report["note"].as_str().unwrap_or_default()));
    steps.chain(reports).collect()
}

/// The export after Kenji Sato left (his row is gone) and José Müller was terminated.
fn after_two_leave() -> String {
    let everyone = people();
    let rows: Vec<&str> = everyone
        .lines()
        .filter(|row| !row.starts_with("kenji.sato@"))
        .collect();
    let without_kenji = rows.join("\n") + "\n";
    let terminated = without_kenji.replacen(
        "Sales,1002,ana.silva@example.com,Active",
        "Sales,1002,ana.silva@example.com,Terminated",
        1,
    );
    assert_eq!(terminated.lines().count() + 1, everyone.lines().count());
    assert_ne!(terminated, without_kenji, "José's row changed");
    terminated
}

const KENJI: &str = "kenji.sato@example.com";
const JOSE: &str = "jose.mueller@example.com";

#[test]
fn with_leavers_close_a_person_gone_from_the_source_or_disabled_in_it_is_closed() {
    let fixture = fixture(&people());
    applied(&fixture);
    fixture.write("hr/people.csv", after_two_leave().as_bytes());
    fixture.run(&["sync"]).exits(0);
    let text = generated(&fixture);
    assert!(!text.contains(KENJI), "{text}");
    let plan = plan(&fixture);
    assert_eq!(
        for_person(&plan, KENJI),
        ["close_user (removed from the YAML)"]
    );
    assert_eq!(for_person(&plan, JOSE), ["close_user (closed in the YAML)"]);
    fixture
        .run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
        .exits(0);
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0);
}

#[test]
fn with_leavers_left_out_a_person_gone_from_the_source_or_disabled_in_it_follows_the_policy() {
    let sources = SOURCES.replacen("  rules:", "  leavers: leave_out\n  rules:", 1);
    assert_ne!(sources, SOURCES);
    let fixture = Fixture::new()
        .file("sources.yaml", &sources)
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", &people());
    applied(&fixture);
    fixture.write("hr/people.csv", after_two_leave().as_bytes());
    fixture.run(&["sync"]).exits(0);
    let text = generated(&fixture);
    assert!(!text.contains(KENJI) && !text.contains(JOSE), "{text}");
    // No `policy` section: `unmanaged_users` is `report`.
    let plan = plan(&fixture);
    for email in [KENJI, JOSE] {
        assert_eq!(
            for_person(&plan, email),
            ["report: not in the YAML (policy: report)"],
            "{email}"
        );
    }
}

/// A source taken out of (or renamed in) the `sync` section leaves a file that would go on
/// declaring its users: `sync --check` says it would go, `sync` removes it. A file under
/// `generated/` that `sync` didn't write is never touched.
#[test]
fn the_file_of_a_source_no_longer_declared_is_removed() {
    let fixture = fixture(&people());
    fixture.run(&["sync"]).exits(0);
    let renamed = SOURCES.replacen("    - name: hr\n", "    - name: people\n", 1);
    assert_ne!(renamed, SOURCES);
    fixture.write("sources.yaml", renamed.as_bytes());
    fixture.write("generated/notes.yaml", b"users: []\n");
    fixture
        .run(&["sync", "--check"])
        .exits(2)
        .stdout_has("generated/hr.yaml would be removed: no source writes it")
        .stdout_has("generated/people.yaml would change");
    assert!(
        fixture.path().join("generated/hr.yaml").exists(),
        "--check changes nothing"
    );
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("removed generated/hr.yaml: no source writes it")
        .stderr_has(&["`generated/notes.yaml` is not a file `sync` wrote"]);
    assert!(!fixture.path().join("generated/hr.yaml").exists());
    assert!(fixture.path().join("generated/notes.yaml").exists());
    fixture.run(&["validate"]).exits(0);
    fixture
        .run(&["sync", "--check"])
        .exits(0)
        .stdout_has("up to date");
}

#[test]
fn a_generated_that_is_no_folder_is_an_error_even_for_check() {
    // `sync` can't tell which of its files are stale there, so it can't say what would change.
    let fixture = fixture(&people()).file("generated", "not a folder\n");
    for args in [&["sync", "--check"][..], &["sync"][..]] {
        fixture
            .run(args)
            .exits(1)
            .stderr_has(&["cli::sync_write", "can't write `generated`"]);
    }
    assert_eq!(
        std::fs::read_to_string(fixture.path().join("generated")).expect("the file"),
        "not a folder\n",
        "the file in the way was changed"
    );
}
