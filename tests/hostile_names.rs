//! Names that try to steer the reviewer's terminal: ESC (with a CSI that would clear the
//! screen), CR, NUL, U+202E RIGHT-TO-LEFT OVERRIDE, a C1 control (U+009B, the one-byte CSI)
//! and a bidi isolate (U+2066). Written in the YAML, `validate` refuses each with its file and
//! line; typed into DocuSign, `plan` (text and markdown), `drift` (text and markdown) and
//! `import` show each as `<U+…>` and never print it raw.

use std::fmt::Write as _;
use std::path::Path;

use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::account::{Account, Group, GroupKind, Profile, User, UserStatus};
use reqwest::Method;
use serde_json::json;

use crate::emulator_support::{ACCOUNT_ID, Api, account_with, start};
use crate::harness::{Cli, Fixture};

/// Each hostile character, as it arrives and as every rendering must show it.
const HOSTILE: [(char, &str); 6] = [
    ('\u{1b}', "<U+001B>"),
    ('\r', "<U+000D>"),
    ('\0', "<U+0000>"),
    ('\u{202e}', "<U+202E>"),
    ('\u{9b}', "<U+009B>"),
    ('\u{2066}', "<U+2066>"),
];

/// Asserts that `output` holds none of the hostile characters raw, and each escaped form.
#[track_caller]
fn shows_every_one_escaped(output: &str, what: &str) {
    for (raw, escaped) in HOSTILE {
        assert!(
            !output.contains(raw),
            "{what} holds U+{:04X} raw:\n{output:?}",
            u32::from(raw)
        );
        assert!(
            output.contains(escaped),
            "{what} lacks {escaped}:\n{output}"
        );
    }
}

#[test]
fn validate_refuses_each_control_character_with_its_file_and_line() {
    // YAML escapes in double quotes, and one U+202E written raw (line 4).
    let groups = "groups:\n  - name: \"Sales\\e[2J\"\n  - name: \"Legal\\u202E\"\n  - name: \"Raw\u{202e}Group\"\n  - name: \"Ops\\u2066\"\n";
    let users = "users:
  - email: ana@example.com
    first_name: \"Ana\\r\"
    last_name: \"Lima\\0\"
    job_title: \"Rep\\x9b31m\"
  - email: \"ben\\u202e@example.com\"
    first_name: \"Be\\tn\"
    last_name: Silva
";
    let profiles = "permission_profiles:
  - name: Custom
    settings:
      allowedTemplateAccess: \"share\\e\"
";
    let run = Fixture::new()
        .file("groups.yaml", groups)
        .file("users.yaml", users)
        .file("profiles.yaml", profiles)
        .run(&["validate", "."]);
    run.exits(1).stderr_has(&[
        "the group name `Sales<U+001B>[2J` holds U+001B (ESCAPE)",
        "[groups.yaml:2:",
        "the group name `Legal<U+202E>` holds U+202E (RIGHT-TO-LEFT OVERRIDE)",
        "[groups.yaml:3:",
        "the group name `Raw<U+202E>Group` holds U+202E",
        "[groups.yaml:4:",
        "the group name `Ops<U+2066>` holds U+2066 (LEFT-TO-RIGHT ISOLATE)",
        "[groups.yaml:5:",
        "the first name `Ana<U+000D>` holds U+000D (CARRIAGE RETURN)",
        "[users.yaml:3:",
        "the last name `Lima<U+0000>` holds U+0000 (NUL)",
        "[users.yaml:4:",
        "the job title `Rep<U+009B>31m` holds U+009B (CONTROL SEQUENCE INTRODUCER)",
        "[users.yaml:5:",
        "the user email `ben<U+202E>@example.com` holds U+202E",
        "[users.yaml:6:",
        "the first name `Be<U+0009>n` holds U+0009 (TAB)",
        "[users.yaml:7:",
        "the value of `allowedTemplateAccess` `share<U+001B>` holds U+001B",
        "[profiles.yaml:4:",
        "delete the character shown as `<U+202E>`",
    ]);
    assert_eq!(
        run.stderr.matches("desired::control_character").count(),
        10,
        "{}",
        run.stderr
    );
    // Not even the snippet of the file with a raw U+202E prints it.
    for (raw, _) in HOSTILE {
        assert!(!run.stderr.contains(raw), "{:?}", run.stderr);
    }
}

fn account_yaml() -> String {
    format!(
        "account:\n  id: {ACCOUNT_ID}\n  environment: demo\ndefaults:\n  permission_profile: DocuSign Sender\npolicy:\n  unmanaged_users: report\n"
    )
}

const STAMP: &str = "2026-01-05T09:00:00.0000000Z";

/// The test account, and `hostile{n}@example.com` for each hostile character: its first
/// name, job title, permission profile and a group of its own all hold that character.
fn hostile_account() -> Account {
    let mut account = account_with(0);
    for (n, (raw, _)) in HOSTILE.iter().enumerate() {
        let profile_id = account.take_id();
        account.profiles.insert(
            profile_id,
            Profile {
                id: profile_id,
                name: format!("Profile{raw}{n}"),
                builtin: false,
                settings: docusign_gitops::emulator::account::new_profile_settings(),
                modified: STAMP.to_owned(),
                modified_by: "test".to_owned(),
            },
        );
        let user_id = format!("0d9b1c2e-0000-4000-8000-{:012}", 900 + n);
        account.push_user(User {
            id: user_id.clone(),
            user_name: format!("First{raw} Last"),
            email: format!("hostile{n}@example.com"),
            first_name: format!("First{raw}"),
            last_name: "Last".to_owned(),
            job_title: format!("Title{raw}"),
            status: UserStatus::Active,
            profile_id,
            created: STAMP.to_owned(),
            modified: STAMP.to_owned(),
            added: None,
            last_login: None,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        });
        let group_id = account.take_id();
        account.groups.insert(
            group_id,
            Group {
                id: group_id,
                name: format!("Group{raw}{n}"),
                kind: GroupKind::Custom,
                profile_id: None,
                members: std::collections::BTreeSet::from([user_id]),
            },
        );
    }
    account
}

/// The YAML that takes every hostile user to plain names and DocuSign Sender.
fn clean_users_yaml() -> String {
    let mut yaml = "users:\n".to_owned();
    for n in 0..HOSTILE.len() {
        let _ = write!(
            yaml,
            "  - email: hostile{n}@example.com\n    first_name: First\n    last_name: Last\n    job_title: Title\n"
        );
    }
    yaml
}

#[test]
fn plan_text_and_markdown_show_live_control_characters_escaped() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), hostile_account()));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("account.yaml"), account_yaml()).expect("write");
    std::fs::write(dir.path().join("users.yaml"), clean_users_yaml()).expect("write");

    let text = Cli::emulator(&running).run(dir.path(), &["plan", "."]);
    text.exits(0);
    shows_every_one_escaped(&text.stdout, "the text plan");
    assert!(
        text.stdout.contains("~ first name: First<U+202E> → First"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("~ profile: Profile<U+001B>0 → DocuSign Sender"),
        "{}",
        text.stdout
    );

    let markdown = Cli::emulator(&running).run(dir.path(), &["plan", ".", "--format", "markdown"]);
    markdown.exits(0);
    shows_every_one_escaped(&markdown.stdout, "the markdown plan");
    assert!(
        markdown
            .stdout
            .contains("`Profile<U+202E>3` → `DocuSign Sender`"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn drift_text_and_markdown_show_live_control_characters_escaped() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), account_with(HOSTILE.len())));
    let api = Api::new(&running);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("account.yaml"), account_yaml()).expect("write");
    let mut users = "users:\n".to_owned();
    for n in 0..HOSTILE.len() {
        let _ = write!(
            users,
            "  - email: user{n}@example.com\n    first_name: User\n    last_name: '{n}'\n    job_title: Rep\n"
        );
    }
    std::fs::write(dir.path().join("users.yaml"), users).expect("write");
    Cli::emulator(&running)
        .run(dir.path(), &["apply", ".", "--auto-approve", "--no-commit"])
        .exits(0);

    // Someone types each hostile character into a job title in DocuSign.
    let listed = runtime.block_on(api.get("/users?count=100"));
    for (n, (raw, _)) in HOSTILE.iter().enumerate() {
        let id = listed.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|user| user["email"] == format!("user{n}@example.com"))
            .and_then(|user| user["userId"].as_str())
            .expect("user")
            .to_owned();
        let changed = runtime.block_on(api.call(
            Method::PUT,
            &format!("/users/{id}"),
            Some(&json!({ "jobTitle": format!("Rep{raw}") })),
        ));
        assert!(changed.status.is_success(), "{changed:?}");
    }

    let text = Cli::emulator(&running).run(dir.path(), &["drift", "."]);
    text.exits(2);
    shows_every_one_escaped(&text.stdout, "the drift text");
    let markdown = Cli::emulator(&running).run(dir.path(), &["drift", ".", "--format", "markdown"]);
    markdown.exits(2);
    shows_every_one_escaped(&markdown.stdout, "the drift markdown");
}

#[test]
fn import_leaves_out_what_validate_would_refuse_and_says_so_escaped() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(Config::default(), hostile_account()));
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("imported");
    let out_arg = out.to_str().expect("UTF-8 path");
    let import = Cli::emulator(&running).run(root.path(), &["import", "--out", out_arg]);
    import.exits(0);
    // Each hostile user, profile and group is named in a warning, escaped.
    shows_every_one_escaped(&import.stderr, "import's warnings");
    assert!(
        import.stderr.contains(
            "warning: not written, so left unmanaged: group `Group<U+202E>3`: its name `Group<U+202E>3` holds U+202E (RIGHT-TO-LEFT OVERRIDE)"
        ),
        "{}",
        import.stderr
    );
    let mut written = String::new();
    for entry in walk(&out)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
    {
        written.push_str(&std::fs::read_to_string(&entry).expect("read"));
    }
    for (raw, _) in HOSTILE {
        assert!(!written.contains(raw), "{written:?}");
        assert!(!import.stdout.contains(raw), "{:?}", import.stdout);
    }
    assert!(!written.contains("hostile"), "{written}");
    // What was written is a desired state `validate` accepts.
    Cli::emulator(&running)
        .run(root.path(), &["validate", out_arg])
        .exits(0);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
