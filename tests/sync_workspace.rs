//! `docusign-gitops sync` on a workspace: each account that has a `sync` section generates
//! into its own folder, exactly what the same section writes in a folder of one account; an
//! account without one has nothing to generate; `--account` narrows the run; one account's
//! failing source fails it alone; and one account's folder alone is refused, as `plan` refuses
//! it, because what it generates is checked against shared definitions it doesn't hold.

use std::path::Path;

use crate::harness::Fixture;
use crate::sync_cli::{OBJECTS, SOURCES, people};
use crate::workspace::account;

const WORKSPACE: &str = "\
workspace:
  shared: shared
  accounts:
    - name: production
      dir: production
    - name: emea
      dir: emea
";

/// Two accounts sharing the profiles, groups and signing group the rules name; EMEA reads
/// the HR export, production has no `sync` section.
fn workspace() -> Fixture {
    Fixture::new()
        .file("workspace.yaml", WORKSPACE)
        .file("shared/objects.yaml", OBJECTS)
        .file(
            "production/account.yaml",
            &account("5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31"),
        )
        .file(
            "emea/account.yaml",
            &account("8e71b0c2-4d5f-4a6b-9c3d-1f2e3a4b5c6d"),
        )
        .file("emea/sources.yaml", SOURCES)
        .file("emea/hr/people.csv", &people())
}

fn read(root: &Path, relative: &str) -> Option<String> {
    std::fs::read_to_string(root.join(relative)).ok()
}

#[test]
fn each_account_with_a_sync_section_generates_into_its_own_folder_what_one_account_would() {
    let fixture = workspace();
    fixture
        .run(&["sync", "--check"])
        .exits(2)
        .stdout_has("emea/generated/hr.yaml would change");
    assert_eq!(read(fixture.path(), "emea/generated/hr.yaml"), None);
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("account `production`: no `sync` section, nothing to generate")
        .stdout_has("wrote emea/generated/hr.yaml");
    assert!(
        !fixture.path().join("production/generated").exists(),
        "an account without a `sync` section got a generated folder"
    );
    // The same section and export in a folder of one account write the same bytes.
    let alone = Fixture::new()
        .file(
            "account.yaml",
            &account("8e71b0c2-4d5f-4a6b-9c3d-1f2e3a4b5c6d"),
        )
        .file("objects.yaml", OBJECTS)
        .file("sources.yaml", SOURCES)
        .file("hr/people.csv", &people());
    alone.run(&["sync"]).exits(0);
    let generated = read(fixture.path(), "emea/generated/hr.yaml").expect("EMEA's file");
    assert_eq!(
        Some(generated.clone()),
        read(alone.path(), "generated/hr.yaml")
    );
    // What it wrote is valid in the workspace, against the shared definitions.
    fixture.run(&["validate"]).exits(0);
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("unchanged emea/generated/hr.yaml");
    fixture
        .run(&["sync", "--check"])
        .exits(0)
        .stdout_has("the generated files in `emea` are up to date");
    assert_eq!(
        read(fixture.path(), "emea/generated/hr.yaml"),
        Some(generated)
    );
}

#[test]
fn account_narrows_the_run_and_a_named_account_must_have_a_sync_section() {
    let fixture = workspace();
    fixture
        .run(&["sync", "--account", "EMEA"])
        .exits(0)
        .stdout_has("wrote emea/generated/hr.yaml");
    fixture
        .run(&["sync", "--account", "production"])
        .exits(1)
        .stderr_has(&["cli::no_sync_section", "production"]);
    fixture
        .run(&["sync", "--account", "apac"])
        .exits(1)
        .stderr_has(&["cli::unknown_account", "production", "emea"]);
    Fixture::new()
        .file("sources.yaml", SOURCES)
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", &people())
        .run(&["sync", "--account", "emea"])
        .exits(1)
        .stderr_has(&["cli::not_a_workspace"]);
}

#[test]
fn a_failing_source_fails_its_account_alone() {
    let fixture = workspace();
    // Production reads an export that isn't there.
    fixture.write(
        "production/sources.yaml",
        SOURCES
            .replace("hr/people.csv", "hr/missing.csv")
            .as_bytes(),
    );
    fixture
        .run(&["sync"])
        .exits(1)
        .stdout_has("wrote emea/generated/hr.yaml")
        .stderr_has(&["the source `hr` of `production`", "missing.csv"]);
    assert_eq!(read(fixture.path(), "production/generated/hr.yaml"), None);
}

#[test]
fn an_accounts_yaml_errors_are_said_under_its_name_and_fail_it_alone() {
    let fixture = workspace();
    fixture.write(
        "production/sources.yaml",
        SOURCES
            .replace("hr/people.csv", "hr/people.csv\n        colour: blue")
            .as_bytes(),
    );
    fixture.write("production/hr/people.csv", people().as_bytes());
    let run = fixture.run(&["sync"]);
    run.exits(1)
        .stdout_has("wrote emea/generated/hr.yaml")
        .stderr_has(&["account `production`:", "colour"]);
    assert_eq!(read(fixture.path(), "production/generated/hr.yaml"), None);
}

#[test]
fn one_accounts_folder_alone_is_refused_and_nothing_is_written() {
    let fixture = workspace();
    fixture
        .run(&["sync", "emea"])
        .exits(1)
        .stderr_has(&["workspace::account_folder", "--account emea"]);
    assert_eq!(read(fixture.path(), "emea/generated/hr.yaml"), None);
}

#[test]
fn an_error_elsewhere_in_an_accounts_yaml_does_not_stop_its_sync() {
    // As in a folder of one account: what `sync` writes may be what fixes the YAML, so only
    // its own section must be sound.
    let fixture = workspace().file(
        "emea/users.yaml",
        "users:\n  - email: lee@example.com\n    first_name: Lee\n    last_name: Park\n    groups: [No Such Team]\n",
    );
    fixture.run(&["validate"]).exits(1);
    let run = fixture.run(&["sync"]);
    run.exits(0).stdout_has("wrote emea/generated/hr.yaml");
    assert!(
        !run.stderr.contains("account `emea`:"),
        "a heading with nothing under it\n{}",
        run.stderr
    );
}
