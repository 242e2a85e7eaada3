//! Secrets never leave the process: the binary runs through failing and succeeding auth flows
//! with canary values (and `RUST_LOG=trace`), and no canary shows up in anything it prints or
//! writes.

use std::path::Path;
use std::process::Output;

use docusign_gitops::emulator::config::{Client, Credentials, RefreshGrant};
use docusign_gitops::emulator::{Config, Running};

use crate::emulator_support::{ADMIN_ID, KEYS, account_with, start};

const CLIENT_ID: &str = "9f1c2d3e-4b5a-4c6d-8e7f-a0b1c2d3e4f5";
const SECRET: &str = "CANARY-client-secret-7f3a";
const REFRESH: &str = "CANARY-refresh-token-91bd";
const STATIC_TOKEN: &str = "CANARY-access-token-2c44";
const KEY_CANARY: &str = "CANARY-private-key-0e18";

/// Every canary, and the prefix of the tokens the emulator issues (which are secrets too).
const NEEDLES: [&str; 2] = ["CANARY", "eyJ0eXAiOiJNVCJ9"];

async fn emulator() -> Running {
    let config = Config {
        credentials: Credentials {
            clients: vec![Client {
                id: CLIENT_ID.to_owned(),
                secret: SECRET.to_owned(),
            }],
            refresh_tokens: vec![RefreshGrant {
                token: REFRESH.to_owned(),
                client_id: CLIENT_ID.to_owned(),
                user_id: ADMIN_ID.to_owned(),
            }],
            jwt_public_key_pem: Some(KEYS.public_pem.clone()),
            consents: vec![(CLIENT_ID.to_owned(), ADMIN_ID.to_owned())],
            static_tokens: Vec::new(),
        },
        ..Config::default()
    };
    start(config, account_with(3)).await
}

/// Runs `docusign-gitops auth check` in `dir` with only the given DocuSign variables set.
async fn auth_check(running: &Running, dir: &Path, vars: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_docusign-gitops"));
    command
        .args(["auth", "check"])
        .current_dir(dir)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("DOCUSIGN_") {
            command.env_remove(name);
        }
    }
    command.env("DOCUSIGN_AUTH_SERVER", &running.url);
    for (name, value) in vars {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("run docusign-gitops"))
        .await
        .expect("the command ran")
}

fn assert_clean(what: &str, output: &Output, dir: &Path) {
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for needle in NEEDLES {
        assert!(
            !printed.contains(needle),
            "{what}: `{needle}` printed:\n{printed}"
        );
    }
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).expect("read a written file");
        let text = String::from_utf8_lossy(&bytes);
        for needle in NEEDLES {
            assert!(
                !text.contains(needle),
                "{what}: `{needle}` written to {}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A flow: its name, the environment it runs with, and the exit code it must end with.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, i32);

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_printed_or_written_in_failing_or_succeeding_auth() {
    let running = emulator().await;
    // The tool runs in `dir`, which must stay free of secrets; the keys live elsewhere.
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = tempfile::tempdir().expect("temp dir");
    let key_file = keys.path().join("key.pem");
    std::fs::write(&key_file, &KEYS.private_pem).expect("write the key");
    let bad_key_file = keys.path().join("bad-key.pem");
    std::fs::write(
        &bad_key_file,
        format!("-----BEGIN PRIVATE KEY-----\n{KEY_CANARY}\n-----END PRIVATE KEY-----\n"),
    )
    .expect("write");
    let key = key_file.to_str().expect("UTF-8 path");
    let bad_key = bad_key_file.to_str().expect("UTF-8 path");

    let cases: [Case; 6] = [
        (
            "refresh grant",
            vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
                ("DOCUSIGN_CLIENT_SECRET", SECRET),
                ("DOCUSIGN_REFRESH_TOKEN", REFRESH),
            ],
            0,
        ),
        // The refresh token above is spent now: DocuSign's refresh tokens are single-use.
        (
            "spent refresh token",
            vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
                ("DOCUSIGN_CLIENT_SECRET", SECRET),
                ("DOCUSIGN_REFRESH_TOKEN", REFRESH),
            ],
            1,
        ),
        (
            "wrong client secret",
            vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
                ("DOCUSIGN_CLIENT_SECRET", "CANARY-wrong-secret"),
                ("DOCUSIGN_REFRESH_TOKEN", "CANARY-other"),
            ],
            1,
        ),
        (
            "refused static token",
            vec![("DOCUSIGN_ACCESS_TOKEN", STATIC_TOKEN)],
            1,
        ),
        (
            "JWT grant",
            vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
                ("DOCUSIGN_USER_ID", ADMIN_ID),
                ("DOCUSIGN_PRIVATE_KEY_FILE", key),
            ],
            0,
        ),
        (
            "unreadable private key",
            vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID),
                ("DOCUSIGN_USER_ID", ADMIN_ID),
                ("DOCUSIGN_PRIVATE_KEY_FILE", bad_key),
            ],
            1,
        ),
    ];
    for (what, vars, code) in cases {
        let output = auth_check(&running, dir.path(), &vars).await;
        assert_eq!(
            output.status.code(),
            Some(code),
            "{what}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_clean(what, &output, dir.path());
        if code == 0 {
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains("admin:      yes"), "{what}: {stdout}");
        }
    }
}
