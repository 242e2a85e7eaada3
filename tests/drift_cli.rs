//! `docusign-gitops drift` after an apply: a change made through the emulator's DocuSign API (as
//! an admin clicking in DocuSign would) is drift of the right class; `accepted_drift` silences it
//! until its date; a user added by hand is a new unmanaged object; a merged change not yet
//! applied is pending.

use std::path::Path;

use docusign_gitops::emulator::Config;
use reqwest::Method;
use serde_json::json;

use crate::emulator_support::{ACCOUNT_ID, Api, account_with, start};
use crate::harness::Cli;

fn account_yaml(accepted: &str) -> String {
    format!(
        "account:\n  id: {ACCOUNT_ID}\n  environment: demo\ndefaults:\n  permission_profile: DocuSign Sender\npolicy:\n  unmanaged_users: report\n{accepted}"
    )
}

const USERS: &str = "groups:
  - name: Sales
users:
  - email: admin@example.com
    first_name: Ada
    last_name: Admin
    permission_profile: Account Administrator
    groups: [Administrators]
  - email: user0@example.com
    first_name: User
    last_name: '0'
    job_title: Account Executive
    groups: [Sales]
  - email: user1@example.com
    first_name: User
    last_name: '1'
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write YAML");
}

#[test]
fn drift_names_changes_made_in_docusign_and_accepted_drift_silences_them_until_it_expires() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), account_with(3)));
    let api = Api::new(&running);
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "account.yaml", &account_yaml(""));
    write(dir.path(), "users.yaml", USERS);

    // No apply yet: nothing to compare with.
    let before = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    before
        .exits(1)
        .stderr_has(&["no recorded state", "cli::no_recorded_state"]);

    Cli::emulator(&running)
        .run(dir.path(), &["apply", ".", "--auto-approve", "--no-commit"])
        .exits(0);
    let clean = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    clean.exits(0);
    assert!(clean.stdout.starts_with("No drift"), "{}", clean.stdout);

    // An admin edits user0's job title in DocuSign and adds user1 to Sales.
    let users = runtime.block_on(api.get("/users?count=100"));
    let id_of = |email: &str| {
        users.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|user| user["email"] == email)
            .and_then(|user| user["userId"].as_str())
            .expect("user")
            .to_owned()
    };
    let changed = runtime.block_on(api.call(
        Method::PUT,
        &format!("/users/{}", id_of("user0@example.com")),
        Some(&json!({ "jobTitle": "Regional Director" })),
    ));
    assert!(changed.status.is_success(), "{changed:?}");
    let groups = runtime.block_on(api.get("/groups?count=100"));
    let sales = groups.body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|group| group["groupName"] == "Sales")
        .and_then(|group| group["groupId"].as_str())
        .expect("Sales was created by the apply")
        .to_owned();
    let joined = runtime.block_on(api.call(
        Method::PUT,
        &format!("/groups/{sales}/users"),
        Some(&json!({ "users": [{ "userId": id_of("user1@example.com") }] })),
    ));
    assert!(joined.status.is_success(), "{joined:?}");
    // And invites someone the YAML doesn't know.
    let invited = runtime.block_on(api.call(
        Method::POST,
        "/users",
        Some(&json!({ "newUsers": [{ "userName": "Temp Person", "email": "temp@example.com" }] })),
    ));
    assert!(invited.status.is_success(), "{invited:?}");

    let drift = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    drift.exits(2);
    for needle in [
        "# Changed outside git",
        "user user0@example.com: job title `Account Executive` → `Regional Director`",
        "user user1@example.com: added to group `Sales` outside git",
        "# New unmanaged objects",
        "user temp@example.com: added outside git",
    ] {
        drift.stdout_has(needle);
    }

    // Accepted until a day that hasn't passed: silenced, and said so.
    let accepted = "  accepted_drift:\n    - object: user:user0@example.com\n      reason: acting director until the new hire starts\n      until: 2099-12-31\n    - object: user:user1@example.com\n      reason: covering Sales for a month\n      until: 2099-12-31\n    - object: user:temp@example.com\n      reason: contractor, offboarded by IT\n      until: 2099-12-31\n";
    write(dir.path(), "account.yaml", &account_yaml(accepted));
    let silenced = Cli::emulator(&running).run(dir.path(), &["drift", ".", "--format", "json"]);
    silenced.exits(0);
    let report: serde_json::Value = serde_json::from_str(&silenced.stdout).expect("JSON report");
    let differences = report["differences"].as_array().expect("differences");
    assert_eq!(differences.len(), 3, "{report:#}");
    assert!(
        differences
            .iter()
            .all(|difference| difference["accepted"]["until"] == "2099-12-31"),
        "{report:#}"
    );

    // Once the date has passed, it is drift again, and the report says the acceptance expired.
    write(
        dir.path(),
        "account.yaml",
        &account_yaml(&accepted.replace("2099-12-31", "2020-01-31")),
    );
    let expired = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    expired.exits(2);
    expired.stdout_has("# Expired acceptances");
    expired.stdout_has("user:user0@example.com (until 2020-01-31");
}

#[test]
fn a_merged_change_not_yet_applied_is_pending_drift() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), account_with(3)));
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "account.yaml", &account_yaml(""));
    write(dir.path(), "users.yaml", USERS);
    Cli::emulator(&running)
        .run(dir.path(), &["apply", ".", "--auto-approve", "--no-commit"])
        .exits(0);

    // The YAML moves user1 to Sales, and nobody applies it.
    write(
        dir.path(),
        "users.yaml",
        &format!("{USERS}    groups: [Sales]\n"),
    );
    let drift = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    drift.exits(2);
    drift.stdout_has("# Pending (merged, not applied)");
    drift.stdout_has("user user1@example.com: join group `Sales`");
    assert!(
        !drift.stdout.contains("# Changed outside git"),
        "{}",
        drift.stdout
    );
}

/// Right after `import`, drift compares with what import recorded, and says so: "since the
/// import", not "since the apply"; after an apply, "since the apply".
#[test]
fn drift_after_an_import_says_since_the_import() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), account_with(3)));
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("imported");
    let out_text = out.to_str().expect("a UTF-8 path");
    Cli::emulator(&running)
        .run(dir.path(), &["import", "--out", out_text])
        .exits(0);
    let drift = Cli::emulator(&running).run(&out, &["drift", "."]);
    drift.exits(0).stdout_has("No drift in account");
    assert!(
        drift.stdout.contains(" since the import of ") && !drift.stdout.contains("the apply"),
        "{}",
        drift.stdout
    );
    // A change, so apply records a state of its own.
    let users = out.join("users");
    let (file, text) = std::fs::read_dir(&users)
        .expect("the users folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a users file");
            (path, text)
        })
        .find(|(_, text)| text.contains("user1@example.com"))
        .expect("user1's file");
    let at = text.find("user1@example.com").expect("user1");
    let name = at + text[at..].find("first_name: ").expect("user1's first name");
    let edited = format!("{}first_name: Renamed{}", &text[..name], &text[name + 12..]);
    assert_ne!(edited, text);
    std::fs::write(&file, edited).expect("write the users file");
    Cli::emulator(&running)
        .run(&out, &["apply", ".", "--auto-approve", "--no-commit"])
        .exits(0);
    let drift = Cli::emulator(&running).run(&out, &["drift", "."]);
    drift.exits(0).stdout_has(" since the apply of ");
}
