//! `docusign-gitops sync` end to end: an HR export and the rules in `sources.yaml` become
//! `generated/hr.yaml`, which validates and plans; a second run changes no byte; a change to
//! one person changes only their lines; a bad source changes nothing.

use crate::harness::{Fixture, crate_root};

const SOURCES: &str = "\
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
";

const OBJECTS: &str = "\
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
";

fn people() -> String {
    std::fs::read_to_string(crate_root().join("tests/fixtures/sync/people.csv")).expect("fixture")
}

fn fixture(csv: &str) -> Fixture {
    Fixture::new()
        .file("sources.yaml", SOURCES)
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", csv)
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
        .stdout_has("(from the directory source `hr` by the rule `sales`)");
    fixture
        .run(&["plan", "--emulator", "--format", "markdown"])
        .exits(0)
        .stdout_has("(step 3) — from the directory source `hr` by the rule `sales`");
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
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert!(!changed.is_empty());
    let ana = before
        .find("ana.silva@example.com")
        .expect("Ana is written");
    let block_end = before[ana..]
        .find("\n\n")
        .map_or(before.len(), |end| ana + end);
    for (line, _) in &changed {
        assert!(
            before[ana.saturating_sub(200)..block_end].contains(line),
            "{line} changed outside Ana's entry"
        );
    }
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
    let users = |name: &str| -> String {
        std::fs::read_to_string(fixture.path().join(format!("generated/{name}.yaml")))
            .expect("generated file")
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (hr, idp) = (users("hr"), users("idp"));
    assert!(hr.contains("permission_profile: Legal Reviewer"), "{hr}");
    assert!(
        idp.contains("provenance: {source: idp, rules: [sales]}"),
        "{idp}"
    );
    assert_eq!(hr, idp.replace("source: idp", "source: hr"));
}
