//! `docusign-gitops import`: the round trip (import, then plan on what it wrote, has nothing to
//! change, and drift finds nothing) on the sample account and on a generated 5,000-user
//! account, the files' modelines, the recorded state, and the refusal to write into a directory
//! that holds files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::account::{
    Account, Group, GroupKind, Profile, SigningGroup, SigningGroupMember, User, UserStatus,
};
use docusign_gitops::state::{self, file};

use crate::emulator_support::{ACCOUNT_ID, ADMIN_ID, account_with, start};
use crate::harness::{self, Cli};

const SAMPLE_ACCOUNT_ID: &str = "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36";
const SCHEMA_COPY: &str = "desired-state.schema.json";

/// Every file under `dir`, relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("list").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.push(path.strip_prefix(root).expect("inside").to_path_buf());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect()
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// (c): every YAML file starts with the modeline to the schema copy, which exists and is the
/// schema `docusign-gitops schema` prints.
fn assert_modelines(dir: &Path) {
    let yaml = yaml_files(dir);
    assert!(!yaml.is_empty(), "no YAML under {}", dir.display());
    for relative in yaml {
        let text = std::fs::read_to_string(dir.join(&relative)).expect("read");
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} has no modeline: {first:?}", relative.display()));
        let folder = relative.parent().expect("relative");
        let schema = dir.join(folder).join(target);
        assert!(
            schema.is_file(),
            "{} points at {}, which is missing",
            relative.display(),
            schema.display()
        );
        assert_eq!(
            std::fs::canonicalize(&schema).expect("canonical"),
            std::fs::canonicalize(dir.join(SCHEMA_COPY)).expect("canonical"),
            "{}",
            relative.display()
        );
    }
    let copy = std::fs::read_to_string(dir.join(SCHEMA_COPY)).expect("the schema copy");
    assert_eq!(copy, docusign_gitops::desired::schema::json());
}

/// (d): the state file reads as recorded state and pins every object by ID.
fn assert_state(dir: &Path, account_id: &str, users: usize) -> state::RecordedState {
    let recorded = file::load(dir, account_id)
        .expect("a readable state file")
        .expect("a state file");
    assert_eq!(recorded.serial, 1);
    assert_eq!(recorded.account_id, account_id);
    let objects = &recorded.objects;
    assert_eq!(objects.users.len(), users, "every imported user is managed");
    assert!(objects.users.values().all(|user| user.id.is_some()));
    assert!(objects.groups.values().all(|group| group.id.is_some()));
    assert!(
        objects
            .signing_groups
            .values()
            .all(|group| group.id.is_some())
    );
    assert!(
        objects
            .permission_profiles
            .values()
            .all(|profile| profile.id.is_some())
    );
    assert!(
        recorded.viewer_profile_id.is_some(),
        "DocuSign Viewer is pinned"
    );
    recorded
}

#[test]
fn the_sample_account_imports_and_plans_to_no_changes() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("imported");
    let started = Instant::now();
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&out), "--emulator"])
        .exits(0)
        .stdout_has("3 permission profiles, 6 groups, 2 signing groups, 26 users")
        .stdout_has("Nothing was committed")
        .stdout_has(&format!(
            "next: docusign-gitops plan {} --emulator",
            out.display()
        ));
    // A fresh sample each run is the same account, so this is a round trip.
    Cli::new()
        .run(
            root.path(),
            &["plan", arg(&out), "--emulator", "--detailed-exitcode"],
        )
        .exits(0)
        .stdout_has("No changes");
    eprintln!("sample import + plan: {:?}", started.elapsed());
    // And the recorded state it wrote is what DocuSign holds: no drift.
    Cli::new()
        .run(root.path(), &["drift", arg(&out), "--emulator"])
        .exits(0)
        .stdout_has("No drift");

    assert_modelines(&out);
    let recorded = assert_state(&out, SAMPLE_ACCOUNT_ID, 26);
    assert_eq!(recorded.environment, "emulator");
    let written: Vec<String> = files_under(&out)
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    assert_eq!(
        written,
        [
            format!(".docusign-gitops/state/{SAMPLE_ACCOUNT_ID}.json"),
            "account.yaml".to_owned(),
            SCHEMA_COPY.to_owned(),
            "groups.yaml".to_owned(),
            "permission-profiles.yaml".to_owned(),
            "signing-groups.yaml".to_owned(),
            "users/finance.yaml".to_owned(),
            "users/legal.yaml".to_owned(),
            "users/no-group.yaml".to_owned(),
            "users/operations.yaml".to_owned(),
            "users/sales-team.yaml".to_owned(),
            "users/temp-contractors.yaml".to_owned(),
        ]
    );

    // Each person is filed by their team (issue 15 item 14), never by Contract Approvers:
    // the CFO with Finance, whose profile he holds; the COO with Operations, which carries no
    // profile but is the only group of most of its people.
    let finance = std::fs::read_to_string(out.join("users/finance.yaml")).expect("finance");
    assert!(
        finance.contains("- email: robert.chen@northwind-example.com\n"),
        "{finance}"
    );
    let operations = std::fs::read_to_string(out.join("users/operations.yaml")).expect("ops");
    assert!(
        operations.contains("- email: daniel.park@northwind-example.com\n"),
        "{operations}"
    );

    // A second import of the same account writes the same YAML, byte for byte.
    let again = root.path().join("again");
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&again), "--emulator"])
        .exits(0);
    for relative in yaml_files(&out) {
        assert_eq!(
            std::fs::read(out.join(&relative)).expect("read"),
            std::fs::read(again.join(&relative)).expect("read"),
            "{} differs between two imports",
            relative.display()
        );
    }
    assert_eq!(yaml_files(&out), yaml_files(&again));
}

/// Issue 15 item 14: every imported setting in the form the examples use, booleans as YAML
/// booleans and words as plain words, never `false` beside `"false"`; and validate takes it.
#[test]
fn imported_settings_are_booleans_or_plain_words() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("imported");
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&out), "--emulator"])
        .exits(0);
    let text = std::fs::read_to_string(out.join("permission-profiles.yaml")).expect("profiles");
    let read: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    let profiles = read["permission_profiles"].as_array().expect("a list");
    assert_eq!(profiles.len(), 3, "{text}");
    let mut flags = 0;
    for profile in profiles {
        let settings = profile["settings"].as_object().expect("settings");
        for (key, value) in settings {
            match value {
                serde_json::Value::Bool(_) => flags += 1,
                serde_json::Value::String(word) => assert!(
                    word != "true" && word != "false",
                    "{key}: {word:?} is a boolean written as a string in\n{text}"
                ),
                other => panic!("{key}: {other} is neither a boolean nor a word in\n{text}"),
            }
        }
    }
    assert!(flags > 0, "{text}");
    // The sample's words (`share`, `usePersonalAndShared`, …) need no quotes.
    let quoted: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter(|line| line.contains('"') || line.contains('\''))
        .collect();
    assert!(quoted.is_empty(), "quoted values: {quoted:?}");
    Cli::new()
        .run(root.path(), &["validate", arg(&out)])
        .exits(0);
}

/// The quick start: apply in a copy of the examples, then import from there. The account
/// `apply --emulator` kept is the one imported, and plan on the import reads it too.
#[test]
fn import_after_apply_with_the_emulator_imports_the_applied_account() {
    let root = tempfile::tempdir().expect("temp dir");
    let work = root.path().join("northwind");
    harness::copy_into("examples/desired-state", &work);
    Cli::new()
        .run(
            &work,
            &["apply", ".", "--emulator", "--auto-approve", "--no-commit"],
        )
        .exits(0);
    let out = root.path().join("imported");
    Cli::new()
        .run(&work, &["import", "--out", arg(&out), "--emulator"])
        .exits(0)
        .stderr_has(&["importing the emulator account an earlier `apply --emulator` kept"]);
    // The applied account: the group renamed, the leaver closed (so not written).
    let groups = std::fs::read_to_string(out.join("groups.yaml")).expect("groups");
    assert!(groups.contains("  - name: Sales\n"), "{groups}");
    assert!(!groups.contains("Sales Team"), "{groups}");
    let users = yaml_files(&out)
        .iter()
        .map(|path| std::fs::read_to_string(out.join(path)).expect("read"))
        .collect::<String>();
    assert!(
        !users.contains("derek.lindqvist@"),
        "the closed leaver is not written"
    );
    Cli::new()
        .run(
            root.path(),
            &["plan", arg(&out), "--emulator", "--detailed-exitcode"],
        )
        .exits(0)
        .stdout_has("No changes");
}

#[test]
fn a_directory_with_files_is_refused_unless_forced() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("repo");
    std::fs::create_dir_all(out.join(".git")).expect("a .git folder");
    std::fs::write(out.join("notes.yaml"), "# mine\n").expect("write");
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&out), "--emulator"])
        .exits(1)
        .stderr_has(&[
            "is not empty (it holds `notes.yaml`)",
            "--force",
            "cli::import_not_empty",
        ]);
    assert_eq!(files_under(&out), [PathBuf::from("notes.yaml")]);

    let run = Cli::new().run(
        root.path(),
        &["import", "--out", arg(&out), "--emulator", "--force"],
    );
    run.exits(0)
        .stderr_has(&["notes.yaml` was already there and is read as desired state too"]);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.yaml")).expect("kept"),
        "# mine\n"
    );
    // A lone .git is an empty directory.
    let fresh = root.path().join("fresh");
    std::fs::create_dir_all(fresh.join(".git")).expect("a .git folder");
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&fresh), "--emulator"])
        .exits(0);

    // Forced again over its own output: the recorded state continues its lineage.
    let first = file::load(&out, SAMPLE_ACCOUNT_ID)
        .expect("read")
        .expect("state");
    Cli::new()
        .run(
            root.path(),
            &["import", "--out", arg(&out), "--emulator", "--force"],
        )
        .exits(0);
    let second = file::load(&out, SAMPLE_ACCOUNT_ID)
        .expect("read")
        .expect("state");
    assert_eq!(second.lineage, first.lineage);
    assert_eq!(second.serial, first.serial + 1);
}

#[test]
fn a_file_in_place_of_the_directory_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("taken");
    std::fs::write(&out, "x").expect("write");
    Cli::new()
        .run(root.path(), &["import", "--out", arg(&out), "--emulator"])
        .exits(1)
        .stderr_has(&["is a file, not a directory", "cli::import_into_file"]);
}

// --- a generated 5,000-user account, served by an emulator in this test ---

const USERS: usize = 5_000;
const TEAMS: usize = 20;
const PROFILED_TEAMS: usize = 16;
const PROFILES: usize = 4;
const PROJECTS: usize = 5;
const STAMP: &str = "2026-01-05T09:00:00.0000000Z";

const FIRST_NAMES: [&str; 8] = [
    "Ana",
    "José",
    "Zoë",
    "Li",
    "O'Neil",
    "Mary-Jane",
    "Ünal",
    "Jean Luc",
];
const LAST_NAMES: [&str; 8] = [
    "Lima",
    "O'Brien",
    "Smith: Jr",
    "#1 Fan",
    "\"Quoted\"",
    "van der Berg",
    "山田",
    "- Dash",
];

fn take_id(account: &mut Account) -> u64 {
    account.take_id()
}

/// The team profiles' settings: a sender's, with some turned per profile.
fn team_profile(account: &mut Account, index: usize) -> u64 {
    let id = take_id(account);
    let mut settings = docusign_gitops::emulator::account::new_profile_settings();
    let templates = ["none", "use", "create", "share"][index % 4];
    settings.insert("allowedTemplateAccess".to_owned(), templates.to_owned());
    settings.insert(
        "allowBulkSending".to_owned(),
        index.is_multiple_of(2).to_string(),
    );
    settings.insert(
        "powerFormRole".to_owned(),
        ["none", "user", "admin"][index % 3].to_owned(),
    );
    settings.insert("canSendEnvelopesViaSMS".to_owned(), "true".to_owned());
    account.profiles.insert(
        id,
        Profile {
            id,
            name: format!("Team Profile {index}"),
            builtin: false,
            settings,
            modified: STAMP.to_owned(),
            modified_by: "test".to_owned(),
        },
    );
    id
}

fn custom_group(account: &mut Account, name: String, profile_id: Option<u64>) -> u64 {
    let id = take_id(account);
    account.groups.insert(
        id,
        Group {
            id,
            name,
            kind: GroupKind::Custom,
            profile_id,
            members: std::collections::BTreeSet::new(),
        },
    );
    id
}

/// The administrator, and 5,000 users in 20 teams (16 carry one of 4 custom profiles, which
/// their members hold), a third of them also in one of 5 project groups, some invited, some
/// disabled, some closed; 3 signing groups; awkward names throughout.
fn big_account() -> (Account, usize) {
    let mut account = account_with(0);
    let sender = account
        .profile_named("DocuSign Sender")
        .expect("built-in")
        .id;
    let profiles: Vec<u64> = (0..PROFILES)
        .map(|index| team_profile(&mut account, index))
        .collect();
    let teams: Vec<(u64, u64)> = (0..TEAMS)
        .map(|team| {
            let profile = (team < PROFILED_TEAMS).then(|| profiles[team % PROFILES]);
            let id = custom_group(
                &mut account,
                format!("Team {team:02}: Ops #{team}"),
                profile,
            );
            (id, profile.unwrap_or(sender))
        })
        .collect();
    let projects: Vec<u64> = (0..PROJECTS)
        .map(|project| custom_group(&mut account, format!("Project {project}"), None))
        .collect();
    let admins = account.group_named("Administrators").expect("built-in").id;
    let mut imported_users = 1; // the administrator
    for n in 0..USERS {
        let id = format!("1d9b1c2e-0000-4000-8000-{n:012}");
        let (team, profile) = teams[n % TEAMS];
        let status = if n.is_multiple_of(97) {
            UserStatus::Closed
        } else if n.is_multiple_of(101) {
            UserStatus::ActivationSent
        } else if n.is_multiple_of(211) {
            UserStatus::Disabled
        } else {
            UserStatus::Active
        };
        if status != UserStatus::Closed {
            imported_users += 1;
        }
        let first = FIRST_NAMES[n % FIRST_NAMES.len()];
        let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
        account.push_user(User {
            id: id.clone(),
            user_name: format!("{first} {last}"),
            email: format!("user{n:04}@example.com"),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            job_title: if n.is_multiple_of(3) {
                String::new()
            } else {
                format!("Engineer, level {}", n % 7)
            },
            status,
            profile_id: profile,
            created: STAMP.to_owned(),
            modified: STAMP.to_owned(),
            added: None,
            last_login: None,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        });
        let mut join = |group: u64| {
            account
                .groups
                .get_mut(&group)
                .expect("group")
                .members
                .insert(id.clone());
        };
        join(team);
        if n.is_multiple_of(3) {
            join(projects[n % PROJECTS]);
        }
        if n % 1_000 == 1 {
            join(admins);
        }
    }
    for index in 0..3_u64 {
        let id = take_id(&mut account);
        account.signing_groups.insert(
            id,
            SigningGroup {
                id,
                name: format!("Approvals {index}: \"tier\" #{index}"),
                email: (index != 2).then(|| format!("approvals{index}@example.com")),
                members: (0..10)
                    .map(|member| SigningGroupMember {
                        user_name: format!("Signer {member} O'Hara"),
                        email: format!("signer{index}-{member}@example.com"),
                    })
                    .collect(),
                created: STAMP.to_owned(),
                created_by: "test".to_owned(),
                modified: STAMP.to_owned(),
                modified_by: "test".to_owned(),
            },
        );
    }
    (account, imported_users)
}

#[test]
fn a_generated_5000_user_account_imports_and_plans_to_no_changes() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (account, users) = big_account();
    // No latency; limits well above what two full reads take, so nothing waits on pacing.
    let config = Config {
        burst_limit: 10_000,
        hourly_limit: 100_000,
        ..Config::default()
    };
    // Served by the runtime's worker threads while the binary runs on this one.
    let running = runtime.block_on(start(config, account));
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("big");

    let started = Instant::now();
    Cli::emulator(&running)
        .run(root.path(), &["import", "--out", arg(&out)])
        .exits(0)
        .stdout_has(&format!(
            "4 permission profiles, 25 groups, 3 signing groups, {users} users"
        ))
        .stdout_has("not written: 3 built-in profiles, 2 built-in groups");
    let import_time = started.elapsed();

    let started = Instant::now();
    let plan =
        Cli::emulator(&running).run(root.path(), &["plan", arg(&out), "--detailed-exitcode"]);
    plan.exits(0).stdout_has("No changes");
    let plan_time = started.elapsed();
    Cli::emulator(&running)
        .run(root.path(), &["drift", arg(&out)])
        .exits(0)
        .stdout_has("No drift");

    let started = Instant::now();
    let validate = Cli::new().run(root.path(), &["validate", arg(&out)]);
    validate.exits(0).stdout_has(&format!(
        "valid: 4 permission profiles, 25 groups, 3 signing groups, {users} users"
    ));
    assert_eq!(
        validate.count("⚠"),
        0,
        "the import has warnings:\n{}",
        validate.stderr
    );
    eprintln!(
        "5,000 users: import {import_time:?}, plan {plan_time:?}, validate {:?}",
        started.elapsed()
    );

    assert_modelines(&out);
    let recorded = assert_state(&out, ACCOUNT_ID, users);
    assert_eq!(recorded.objects.groups.len(), 25);
    assert!(
        recorded
            .objects
            .users
            .values()
            .any(|user| user.id.as_deref() == Some(ADMIN_ID)),
        "the integration user is managed too"
    );
    // Users go by their team, never by a project, though "Project …" sorts before "Team …":
    // every project member is in a team too. The administrator, in Administrators only, is
    // in no-group.
    let user_files = yaml_files(&out)
        .into_iter()
        .filter(|path| path.starts_with("users"))
        .count();
    assert_eq!(user_files, TEAMS + 1);
    drop(running);
}

#[cfg(unix)]
#[test]
fn a_forced_import_never_writes_through_a_link_leading_out() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("repo");
    std::fs::create_dir_all(&out).expect("folder");
    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "someone else's file\n").expect("write");
    std::os::unix::fs::symlink(&outside, out.join("account.yaml")).expect("link");
    Cli::new()
        .run(
            root.path(),
            &["import", "--out", arg(&out), "--emulator", "--force"],
        )
        .exits(1)
        .stderr_has(&["account.yaml", "outside"]);
    assert_eq!(
        std::fs::read_to_string(&outside).expect("still there"),
        "someone else's file\n"
    );
    // A folder import writes into, linked out, is refused the same way.
    std::fs::remove_file(out.join("account.yaml")).expect("unlink");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("folder");
    std::os::unix::fs::symlink(&elsewhere, out.join("users")).expect("link");
    Cli::new()
        .run(
            root.path(),
            &["import", "--out", arg(&out), "--emulator", "--force"],
        )
        .exits(1)
        .stderr_has(&["users", "outside"]);
    assert!(
        files_under(&elsewhere).is_empty(),
        "{:?}",
        files_under(&elsewhere)
    );
}
