//! `docusign-gitops sync` with an LDAP source, the binary against a real slapd (`slapd.rs`):
//! 5,000 people past the server's size limit, with nested groups and disabled accounts, become
//! YAML that validates and plans; the twenty people of the CSV and SCIM fixtures, as directory
//! entries, become the same users as those exports; a wrong password, a server that is down or
//! a bad CSV row stop the run before any file changes; and sync → validate → plan → apply →
//! plan ends with nothing to do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use docusign_gitops::sync::Person;
use serde_json::Value;

use crate::harness::{Cli, Fixture};
use crate::import_cli::files_under;
use crate::slapd::{GROUPS, PEOPLE, READER_DN, READER_PASSWORD, Slapd, free_port};
use crate::sync_cli::{OBJECTS, SOURCES, people, users_in};
use crate::sync_files::{CSV_UTF8, csv_people, fixtures};
use crate::sync_ldap::{BIND_DN_ENV, PASSWORD_ENV, PEOPLE_COUNT, SIZE_LIMIT, directory, settings};

const WRONG_PASSWORD: &str = "Wrong-Pa55word-cli-test-5e0b";

/// The binary, binding as the reader with `password`, from the environment as CI would.
fn binding(password: &str) -> Cli {
    Cli::new()
        .env(BIND_DN_ENV, READER_DN)
        .env(PASSWORD_ENV, password)
}

/// A `sources:` entry named `name` for the server at `url`, with `extra` settings.
fn ldap_source(name: &str, url: &str, extra: &str) -> String {
    let settings = settings(url, extra)
        .lines()
        .fold(String::new(), |mut indented, line| {
            writeln!(indented, "        {line}").unwrap();
            indented
        });
    format!("    - name: {name}\n      ldap:\n{settings}")
}

/// The users of a generated file, by email.
fn users_by_email(fixture: &Fixture, name: &str) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(fixture.path().join(format!("generated/{name}.yaml")))
        .expect("generated file");
    let document: Value = serde_saphyr::from_str(&text).expect("generated YAML");
    document["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|user| {
            (
                user["email"].as_str().expect("email").to_owned(),
                user.clone(),
            )
        })
        .collect()
}

const CORP_RULES: &str = "
  rules:
    - name: engineering
      when: { group: engineering }
      groups: [Engineering]
      permission_profile: Engineering Sender
    - name: staff
      when: { group: staff }
      groups: [Staff]
";

const CORP_OBJECTS: &str = "\
permission_profiles:
  - name: Engineering Sender
    settings: { allowBulkSending: \"false\" }
groups:
  - name: Engineering
    permission_profile: Engineering Sender
  - name: Staff
";

fn corp_sources(url: &str, leavers: &str) -> String {
    format!(
        "sync:\n  sources:\n{}{CORP_RULES}{leavers}",
        ldap_source("corp", url, "")
    )
}

fn email(n: usize) -> String {
    format!("p{n:04}@example.com")
}

#[test]
fn five_thousand_people_with_nested_groups_and_leavers_sync_validate_and_plan() {
    let server = Slapd::start(&directory(), SIZE_LIMIT);
    let fixture = Fixture::new()
        .with(binding(READER_PASSWORD))
        .file("sources.yaml", &corp_sources(&server.url, ""))
        .file("objects.yaml", CORP_OBJECTS);
    let run = fixture.run(&["sync"]);
    run.exits(0)
        .stdout_has(&format!("wrote generated/corp.yaml ({PEOPLE_COUNT} users)"));
    assert!(!run.stdout.contains(READER_PASSWORD) && !run.stderr.contains(READER_PASSWORD));

    let users = users_by_email(&fixture, "corp");
    assert_eq!(users.len(), PEOPLE_COUNT, "everyone, past the size limit");
    let engineering = serde_json::json!(["Engineering", "Staff"]);
    // p0001 is named only by `platform`, inside `engineering`, inside `staff`.
    assert_eq!(users[&email(1)]["groups"], engineering);
    assert_eq!(users[&email(1)]["permission_profile"], "Engineering Sender");
    assert_eq!(
        users[&email(1)]["provenance"],
        serde_json::json!({ "source": "corp", "rules": ["engineering", "staff"] }),
        "the rules that matched are named"
    );
    // p0150 is in `engineering` itself; p0250 is in `sales`, inside `staff`.
    assert_eq!(users[&email(150)]["groups"], engineering);
    assert_eq!(users[&email(250)]["groups"], serde_json::json!(["Staff"]));
    assert_eq!(users[&email(250)].get("permission_profile"), None);
    assert_eq!(users[&email(4_000)].get("groups"), None, "in no group");
    // Every 100th person is disabled: with the default `leavers: close`, written closed.
    let closed: Vec<&String> = users
        .iter()
        .filter(|(_, user)| user["status"] == "closed")
        .map(|(email, _)| email)
        .collect();
    assert_eq!(closed.len(), PEOPLE_COUNT / 100);
    assert!(closed.contains(&&email(100)) && !closed.contains(&&email(101)));

    fixture.run(&["sync", "--check"]).exits(0);
    fixture.run(&["validate"]).exits(0);
    fixture
        .run(&["plan", "--emulator"])
        .exits(0)
        .stdout_has(&email(4_999))
        .stdout_has("Plan:");

    // With `leavers: leave_out` the disabled are left out instead.
    fixture.write(
        "sources.yaml",
        corp_sources(&server.url, "  leavers: leave_out\n").as_bytes(),
    );
    fixture.run(&["sync"]).exits(0).stdout_has(&format!(
        "wrote generated/corp.yaml ({} users)",
        PEOPLE_COUNT - PEOPLE_COUNT / 100
    ));
    let users = users_by_email(&fixture, "corp");
    assert!(!users.contains_key(&email(100)) && users.contains_key(&email(101)));
    assert!(users.values().all(|user| user.get("status").is_none()));
}

/// The people of the CSV fixture as directory entries under `ou=people`: the department in
/// `departmentNumber`, leavers with `employeeType: disabled`, and each group the export lists
/// as a `groupOfNames` under `ou=groups` naming its members.
fn entries_of(people: &[Person]) -> String {
    let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut ldif = String::new();
    for (n, person) in people.iter().enumerate() {
        let dn = format!("uid=u{n:02},{PEOPLE}");
        let (first, last) = (&person.first_name, &person.last_name);
        write!(
            ldif,
            "dn: {dn}\nobjectClass: inetOrgPerson\ncn: {first} {last}\n\
             givenName: {first}\nsn: {last}\nmail: {}\n",
            person.email
        )
        .unwrap();
        let department = person.attributes.get("department");
        for (attribute, value) in [
            ("title", person.job_title.as_ref()),
            ("departmentNumber", department),
        ] {
            if let Some(value) = value {
                writeln!(ldif, "{attribute}: {value}").unwrap();
            }
        }
        if person.disabled {
            ldif.push_str("employeeType: disabled\n");
        }
        ldif.push('\n');
        for group in &person.groups {
            members.entry(group).or_default().push(dn.clone());
        }
    }
    for (group, dns) in members {
        writeln!(
            ldif,
            "dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}"
        )
        .unwrap();
        for dn in dns {
            writeln!(ldif, "member: {dn}").unwrap();
        }
        ldif.push('\n');
    }
    ldif
}

/// A server holding the twenty people of `tests/fixtures/sync/people.csv`.
fn twenty_people() -> Slapd {
    let people = csv_people(&fixtures(), CSV_UTF8).expect("the CSV fixture");
    assert_eq!(people.len(), 20);
    Slapd::start(&entries_of(&people), SIZE_LIMIT)
}

/// The source `dir` on the server at `url`, with the department the rules test.
fn directory_source(url: &str) -> String {
    ldap_source(
        "dir",
        url,
        "attributes:\n  extra:\n    department: departmentNumber\n",
    )
}

/// `sources.yaml` of `sync_cli` with `entry` listed before the HR export, or after it.
fn with_source(entry: &str, before_hr: bool) -> String {
    let sources = if before_hr {
        SOURCES.replacen("  sources:\n", &format!("  sources:\n{entry}"), 1)
    } else {
        SOURCES.replacen("  scope:", &format!("{entry}  scope:"), 1)
    };
    assert_ne!(sources, SOURCES, "the source was added");
    sources
}

#[test]
fn the_directory_the_hr_export_and_the_scim_export_of_the_same_people_write_the_same_users() {
    let server = twenty_people();
    let scim = "    - name: idp\n      scim:\n        path: idp/all.json\n";
    let sources = with_source(&format!("{}{scim}", directory_source(&server.url)), false);
    let fixture = Fixture::new()
        .with(binding(READER_PASSWORD))
        .file("sources.yaml", &sources)
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", &people())
        .file(
            "idp/all.json",
            &std::fs::read_to_string(fixtures().join("scim/all.json")).expect("fixture"),
        );
    fixture
        .run(&["sync"])
        .exits(0)
        .stdout_has("wrote generated/dir.yaml (17 users)");
    let (dir, hr, idp) = (
        users_in(&fixture, "dir"),
        users_in(&fixture, "hr"),
        users_in(&fixture, "idp"),
    );
    assert!(dir.contains("permission_profile: Legal Reviewer"), "{dir}");
    assert!(dir.contains("status: closed"), "{dir}");
    assert!(dir.contains("last_name: Nováková"), "{dir}");
    assert_eq!(dir, hr);
    assert_eq!(dir, idp);
}

/// Every file under the fixture, with its bytes.
fn contents(fixture: &Fixture) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(fixture.path())
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(fixture.path().join(&path)).expect("read");
            (path, bytes)
        })
        .collect()
}

/// `sync` run by `cli` exits 1 saying `says`, shows no password, and leaves every file as it
/// was: none changed, none added (no temporary file), none removed.
fn refused(fixture: &Fixture, cli: &Cli, says: &[&str]) {
    let before = contents(fixture);
    let run = cli.run(fixture.path(), &["sync"]);
    run.exits(1).stderr_has(says);
    for password in [READER_PASSWORD, WRONG_PASSWORD] {
        assert!(
            !run.stdout.contains(password) && !run.stderr.contains(password),
            "a password was shown\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    assert!(
        contents(fixture) == before,
        "a failed sync changed the files: {:?} before, {:?} after",
        before.keys().collect::<Vec<_>>(),
        files_under(fixture.path())
    );
}

/// The HR export and then the directory, synced once; then Ana moves to Legal in the export,
/// so a sync that got as far as writing would change `generated/hr.yaml`.
fn synced_then_moved(url: &str) -> Fixture {
    let fixture = Fixture::new()
        .file("sources.yaml", &with_source(&directory_source(url), false))
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", &people());
    binding(READER_PASSWORD)
        .run(fixture.path(), &["sync"])
        .exits(0);
    let moved = people().replacen(
        "ana.silva@example.com,Ana,Silva,Head of Sales,Sales,Sales,",
        "ana.silva@example.com,Ana,Silva,Head of Sales,Legal,Legal,",
        1,
    );
    assert_ne!(moved, people());
    fixture.write("hr/people.csv", moved.as_bytes());
    fixture
}

#[test]
fn a_wrong_ldap_password_changes_no_file_and_names_the_variable_not_the_password() {
    let server = twenty_people();
    let fixture = synced_then_moved(&server.url);
    refused(
        &fixture,
        &binding(WRONG_PASSWORD),
        &["invalid credentials", READER_DN, PASSWORD_ENV],
    );
    // The HR export alone would have changed its file.
    binding(READER_PASSWORD)
        .run(fixture.path(), &["sync"])
        .exits(0)
        .stdout_has("wrote generated/hr.yaml");
}

#[test]
fn a_directory_server_that_is_down_changes_no_file_and_names_the_url() {
    let server = twenty_people();
    let fixture = synced_then_moved(&server.url);
    let down = format!("ldap://127.0.0.1:{}", free_port());
    let sources = std::fs::read_to_string(fixture.path().join("sources.yaml")).expect("read");
    fixture.write(
        "sources.yaml",
        sources.replace(&server.url, &down).as_bytes(),
    );
    refused(
        &fixture,
        &binding(READER_PASSWORD),
        &[&down, "can't be reached", "`url`"],
    );
}

#[test]
fn a_csv_row_without_its_email_changes_no_file_though_the_directory_was_read() {
    let server = twenty_people();
    let fixture = Fixture::new()
        .file(
            "sources.yaml",
            &with_source(&directory_source(&server.url), true),
        )
        .file("objects.yaml", OBJECTS)
        .file("hr/people.csv", &people());
    let cli = binding(READER_PASSWORD);
    cli.run(fixture.path(), &["sync"]).exits(0);
    // A rule gives Legal a second group, so both files would change; the directory comes first
    // and is read, then the export's first row has no email.
    let sources = std::fs::read_to_string(fixture.path().join("sources.yaml")).expect("read");
    let regrouped = sources.replacen("groups: [Legal]", "groups: [Legal, Reviewers]", 1);
    assert_ne!(regrouped, sources);
    fixture.write("sources.yaml", regrouped.as_bytes());
    fixture.write(
        "hr/people.csv",
        people().replacen("ana.silva@example.com", "", 1).as_bytes(),
    );
    refused(&fixture, &cli, &["people.csv:2", "Email"]);
    // With the row mended, the directory's file changes too.
    fixture.write("hr/people.csv", people().as_bytes());
    cli.run(fixture.path(), &["sync"])
        .exits(0)
        .stdout_has("wrote generated/dir.yaml");
}

#[test]
fn sync_validate_plan_apply_then_plan_has_nothing_to_do() {
    let server = twenty_people();
    let only_the_directory = {
        let (head, rest) = SOURCES
            .split_once("    - name: hr\n")
            .expect("the HR source");
        let (_, tail) = rest.split_once("  scope:").expect("scope");
        format!("{head}{}  scope:{tail}", directory_source(&server.url))
    };
    let fixture = Fixture::new()
        .with(binding(READER_PASSWORD))
        .file("sources.yaml", &only_the_directory)
        .file("objects.yaml", OBJECTS);
    fixture.run(&["sync"]).exits(0);
    fixture.run(&["validate"]).exits(0);
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(2)
        .stdout_has("ana.silva@example.com");
    fixture
        .run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
        .exits(0)
        .stdout_has(" 0 failed, 0 skipped");
    fixture
        .run(&["plan", "--emulator", "--detailed-exitcode"])
        .exits(0)
        .stdout_has("No changes");
    // The directory unchanged, sync agrees.
    fixture.run(&["sync", "--check"]).exits(0);
}
