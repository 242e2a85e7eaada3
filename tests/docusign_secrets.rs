//! Secrets never leave the process. Each credential set (static token, refresh-token grant, JWT
//! grant) goes through what a user does — auth check, import, plan in every format with
//! `--out`, apply of the saved plan (committed in git), drift in every format, apply again
//! while a token expires mid-run, plan again — and through the ways it fails: refused or
//! spent credentials, broken or unknown keys, no consent, a wrong account, an auth server that
//! is down, API calls refused with 401, and token endpoints that quote the credentials back or
//! answer something that doesn't parse.
//!
//! Canary values stand in for every secret the tool reads (`DOCUSIGN_ACCESS_TOKEN`,
//! `DOCUSIGN_CLIENT_SECRET`, `DOCUSIGN_REFRESH_TOKEN`, the content of
//! `DOCUSIGN_PRIVATE_KEY_FILE`, and the same key given itself in `DOCUSIGN_PRIVATE_KEY`); a wiretap between the tool and the emulator adds every token
//! the emulator issues and every assertion the tool signs. After each command, its stdout and
//! stderr, every file under the test's directory, and every commit there (message, signatures
//! and tree) must hold none of them.
//!
//! The tool sets up no logger or tracing subscriber, so `RUST_LOG` means nothing to it: what it
//! prints and writes is all there is to search.

use reqwest::Method;
use serde_json::{Value, json};

use crate::emulator_support::{Api, KEYS};
use crate::secrets_stage::{Grant, Stage, UNKNOWN_TOKEN, WRONG_SECRET, path_text, refresh_token};
use crate::secrets_wiretap::{Heard, Mode};

const ACCOUNT_YAML: &str = "account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
defaults:
  permission_profile: DocuSign Sender
policy:
  unmanaged_users: report
";

const USERS_YAML: &str = "permission_profiles:
  - name: Sales Sender
    settings:
      allowBulkSending: true
groups:
  - name: Sales
    permission_profile: Sales Sender
signing_groups:
  - name: Night Signers
    email: night@example.com
    members:
      - { name: Eve Five, email: eve@example.com }
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

/// The ID of `user0@example.com`, a user of the account who gave the integration no consent.
const UNCONSENTED_USER_ID: &str = "0d9b1c2e-0000-4000-8000-000000000000";

#[test]
fn a_static_token_never_reaches_any_output_file_or_commit() {
    everything(Grant::StaticToken);
}

#[test]
fn the_refresh_grant_secrets_never_reach_any_output_file_or_commit() {
    everything(Grant::RefreshToken);
}

/// Every command reads the refresh token the one before it wrote back: with single-use tokens,
/// the whole workflow succeeding is the proof that each rotated token was kept.
#[test]
fn the_refresh_token_file_keeps_each_new_token_and_nothing_else_does() {
    everything(Grant::RefreshTokenFile);
}

#[test]
fn the_jwt_grant_secrets_never_reach_any_output_file_or_commit() {
    everything(Grant::Jwt);
}

/// The key itself in the environment, as CI secrets arrive (no file): every command
/// authenticates with the JWT grant, and the key is found in no output, file or commit.
#[test]
fn the_jwt_grant_with_the_key_in_the_environment_never_leaks_it() {
    everything(Grant::JwtKeyText);
}

/// Runs every command with `grant`; each one fails the test if anything it printed or wrote
/// holds a secret.
fn everything(grant: Grant) {
    let files = [("account.yaml", ACCOUNT_YAML), ("users.yaml", USERS_YAML)];
    let mut stage = Stage::start(grant, &files);
    workflow(&mut stage);
    failures(&mut stage);
    check_heard(&stage);
    if grant == Grant::RefreshTokenFile {
        check_token_file(&stage);
    }
}

/// The way a user works: check, import, plan in every format, apply the saved plan, find
/// drift in every format, apply again (a token expiring on the way), plan again.
fn workflow(stage: &mut Stage) {
    let check = stage.step("auth check", &["auth", "check"]).exits(0);
    assert!(check.stdout.contains("admin:      yes"), "{}", check.stdout);

    let import = stage.root.path().join("import");
    let out = path_text(&import);
    stage.step("import", &["import", "--out", &out]).exits(0);
    assert!(
        import.join(".docusign-gitops/state").is_dir(),
        "import wrote its recorded state"
    );

    let text = stage.step("plan", &["plan", "--out", "plan-text.json"]);
    let text = text.exits(0);
    assert!(text.stdout.contains("Night Signers"), "{}", text.stdout);
    let markdown = ["plan", "--format", "markdown", "--out", "plan-md.json"];
    stage.step("plan --format markdown", &markdown).exits(0);
    let json = ["plan", "--format", "json", "--out", "plan.json"];
    let shown = stage.step("plan --format json", &json).exits(0);
    serde_json::from_str::<Value>(&shown.stdout).expect("the plan as JSON");

    let apply = ["apply", "--plan", "plan.json", "--auto-approve"];
    stage.step("apply --plan", &apply).exits(0);
    let repo = git2::Repository::open(stage.repo()).expect("the repo");
    let head = repo.head().expect("HEAD").peel_to_commit().expect("commit");
    assert!(
        head.message()
            .is_ok_and(|message| message.starts_with("docusign-gitops apply: ")),
        "apply committed the state: {:?}",
        head.message()
    );

    change_by_hand(stage);
    for format in ["text", "markdown", "json"] {
        let out = format!("drift-{format}.json");
        let args = ["drift", "--format", format, "--out", &out];
        let what = format!("drift --format {format}");
        let drift = stage.step(&what, &args).exits(2);
        assert!(
            drift.stdout.contains("user0@example.com"),
            "{}",
            drift.stdout
        );
    }

    // The first API call answers 401: the grants get a new token and carry on; a static token
    // can't be renewed, so that run fails and the next one does the work.
    let code = i32::from(stage.grant == Grant::StaticToken);
    stage
        .step(
            "apply, a token expiring mid-run",
            &["apply", "--auto-approve"],
        )
        .mode(Mode::ExpireOnce)
        .exits(code);
    stage.step("apply", &["apply", "--auto-approve"]).exits(0);
    let again = ["plan", "--detailed-exitcode"];
    stage.step("plan after apply", &again).exits(0);
}

/// An administrator edits a managed user in DocuSign: drift.
fn change_by_hand(stage: &Stage) {
    let api = Api::new(&stage.running);
    stage.runtime.block_on(async {
        let listed = api.get("/users?count=100").await;
        let user0 = listed.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|user| user["email"] == "user0@example.com")
            .and_then(|user| user["userId"].as_str())
            .expect("user0")
            .to_owned();
        let changed = api
            .call(
                Method::PUT,
                &format!("/users/{user0}"),
                Some(&json!({ "jobTitle": "Regional Director" })),
            )
            .await;
        assert!(changed.status.is_success(), "{changed:?}");
    });
}

/// Every way the credentials or the servers can fail the tool.
fn failures(stage: &mut Stage) {
    let no_account = "00000000-0000-4000-8000-000000000000";
    stage
        .step("auth check, an account the user lacks", &["auth", "check"])
        .env("DOCUSIGN_ACCOUNT_ID", no_account)
        .exits(1);
    let down = format!("http://{}", closed_port());
    stage
        .step("auth check, the auth server down", &["auth", "check"])
        .env("DOCUSIGN_AUTH_SERVER", &down)
        .exits(1);
    stage
        .step("plan, every API call refused", &["plan"])
        .mode(Mode::RefuseApi { echo: false })
        .exits(1);
    stage
        .step("plan, API refusals quoting the token", &["plan"])
        .mode(Mode::RefuseApi { echo: true })
        .exits(1);
    stage
        .step("plan, userinfo refusals quoting the token", &["plan"])
        .mode(Mode::RefuseUserinfoEchoing)
        .exits(1);
    match stage.grant {
        Grant::StaticToken => {
            stage
                .step("plan, a token DocuSign refuses", &["plan"])
                .env("DOCUSIGN_ACCESS_TOKEN", UNKNOWN_TOKEN)
                .exits(1);
        }
        Grant::RefreshToken => {
            stage
                .step("plan, a wrong client secret", &["plan"])
                .env("DOCUSIGN_CLIENT_SECRET", WRONG_SECRET)
                .exits(1);
            // The workflow's first command spent it.
            stage
                .step("plan, a spent refresh token", &["plan"])
                .env("DOCUSIGN_REFRESH_TOKEN", &refresh_token(0))
                .exits(1);
            token_endpoint_echoes(stage);
            // The parse error names the field, never the value in it.
            let garbled = stage
                .step("plan, a token answer that doesn't parse", &["plan"])
                .mode(Mode::GarbledTokenAnswer)
                .exits(1);
            assert!(
                garbled.stderr.contains("`expires_in`"),
                "{}",
                garbled.stderr
            );
        }
        Grant::RefreshTokenFile => {
            stage
                .step("plan, a wrong client secret", &["plan"])
                .env("DOCUSIGN_CLIENT_SECRET", WRONG_SECRET)
                .exits(1);
            token_endpoint_echoes(stage);
            // Failed runs, API refusals after a refresh among them, left a token that works.
            stage.step("plan, after the failures", &["plan"]).exits(0);
        }
        Grant::Jwt => {
            let broken = path_text(&stage.keys.broken);
            stage
                .step("plan, a broken key file", &["plan"])
                .env("DOCUSIGN_PRIVATE_KEY_FILE", &broken)
                .exits(1);
            let stranger = path_text(&stage.keys.stranger);
            stage
                .step("plan, a key DocuSign doesn't know", &["plan"])
                .env("DOCUSIGN_PRIVATE_KEY_FILE", &stranger)
                .exits(1);
            let missing = path_text(&stage.keys.dir.path().join("missing.pem"));
            stage
                .step("plan, no key file", &["plan"])
                .env("DOCUSIGN_PRIVATE_KEY_FILE", &missing)
                .exits(1);
            let consent = stage
                .step("plan, a user who gave no consent", &["plan"])
                .env("DOCUSIGN_USER_ID", UNCONSENTED_USER_ID)
                .exits(1);
            assert!(consent.stderr.contains("consent"), "{}", consent.stderr);
            token_endpoint_echoes(stage);
        }
        Grant::JwtKeyText => key_text_failures(stage),
    }
}

/// The key itself in `DOCUSIGN_PRIVATE_KEY` (no file): broken, unknown, on one line, beside a
/// key file, without consent.
fn key_text_failures(stage: &mut Stage) {
    let read = |path: &std::path::Path| std::fs::read_to_string(path).expect("a key");
    let broken = read(&stage.keys.broken);
    let printed = stage
        .step("plan, a broken key", &["plan"])
        .env("DOCUSIGN_PRIVATE_KEY", &broken)
        .exits(1);
    assert!(
        printed.stderr.contains("DOCUSIGN_PRIVATE_KEY"),
        "the message names the variable:\n{}",
        printed.stderr
    );
    let stranger = read(&stage.keys.stranger);
    stage
        .step("plan, a key DocuSign doesn't know", &["plan"])
        .env("DOCUSIGN_PRIVATE_KEY", &stranger)
        .exits(1);
    // On one line, as some secret stores keep it.
    let one_line = KEYS.private_pem.trim().replace('\n', "\\n");
    stage
        .step(
            "plan, the key on one line",
            &["plan", "--detailed-exitcode"],
        )
        .env("DOCUSIGN_PRIVATE_KEY", &one_line)
        .exits(0);
    let good = path_text(&stage.keys.good);
    let both = stage
        .step("plan, the key and a key file", &["plan"])
        .env("DOCUSIGN_PRIVATE_KEY_FILE", &good)
        .exits(1);
    assert!(
        both.stderr
            .contains("both DOCUSIGN_PRIVATE_KEY and DOCUSIGN_PRIVATE_KEY_FILE are set"),
        "{}",
        both.stderr
    );
    let consent = stage
        .step("plan, a user who gave no consent", &["plan"])
        .env("DOCUSIGN_USER_ID", UNCONSENTED_USER_ID)
        .exits(1);
    assert!(consent.stderr.contains("consent"), "{}", consent.stderr);
    token_endpoint_echoes(stage);
}

/// The token endpoint quotes what it was sent, in a refusal and in a redirect: the tool shows
/// the server's words with every secret it sent replaced.
fn token_endpoint_echoes(stage: &mut Stage) {
    let echoes = [
        (
            "plan, a token refusal quoting the credentials",
            Mode::EchoInRefusal,
        ),
        (
            "plan, a token redirect carrying the credentials",
            Mode::EchoInRedirect,
        ),
    ];
    for (what, mode) in echoes {
        let printed = stage.step(what, &["plan"]).mode(mode).exits(1);
        assert!(
            printed.stderr.contains("[redacted]"),
            "{what}: the server's words are shown, redacted:\n{}",
            printed.stderr
        );
    }
}

/// The wiretap heard what the grant must have made, so the search had them: issued tokens
/// (renewed at least once), and signed assertions for the JWT grant.
fn check_heard(stage: &Stage) {
    let heard = stage.tap.heard();
    let count = |role: Heard| heard.iter().filter(|(_, heard)| *heard == role).count();
    match stage.grant {
        Grant::StaticToken => assert_eq!(count(Heard::AccessToken), 0),
        Grant::RefreshToken | Grant::RefreshTokenFile => {
            assert!(count(Heard::AccessToken) > 10, "{heard:?}");
            assert!(count(Heard::RefreshToken) > 10, "{heard:?}");
        }
        Grant::Jwt | Grant::JwtKeyText => {
            assert!(count(Heard::AccessToken) > 10, "{heard:?}");
            // Assertions are signed with a whole-second `iat`, so those made within one second
            // are the same text and heard once: how many differ depends on the machine's speed.
            assert!(count(Heard::Assertion) > 0, "{heard:?}");
        }
    }
}

/// The file holds a refresh token the emulator issued (not the one it started with), and only
/// its owner may read it.
fn check_token_file(stage: &Stage) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = &stage.keys.refresh_token_file;
    let kept = std::fs::read_to_string(path).expect("the token file");
    let kept = kept.trim();
    assert_ne!(kept, refresh_token(0), "the first token was never replaced");
    assert!(
        stage
            .tap
            .heard()
            .iter()
            .any(|(value, heard)| *heard == Heard::RefreshToken && value == kept),
        "the file holds a token the emulator never issued"
    );
    let mode = std::fs::metadata(path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

/// A loopback address where nothing listens: a port taken, then given back.
fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}
