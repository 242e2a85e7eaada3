//! Secrets never leave the process. Each credential set (static token, refresh-token grant, JWT
//! grant) goes through what a user does — auth check, import, plan in every format with
//! `--out`, apply of the saved plan (committed in git), drift in every format, apply again
//! while a token expires mid-run, plan again — and through the ways it fails: refused or
//! spent credentials, a broken key, a wrong account, API calls refused with 401, and a server
//! that quotes the credentials it was sent back at the tool.
//!
//! Canary values stand in for every secret the tool reads (`DOCUSIGN_ACCESS_TOKEN`,
//! `DOCUSIGN_CLIENT_SECRET`, `DOCUSIGN_REFRESH_TOKEN`, the content of
//! `DOCUSIGN_PRIVATE_KEY_FILE`); a wiretap between the tool and the emulator adds every token the
//! emulator issues and every assertion the tool signs. After each command, its stdout and stderr,
//! every file under its directories, and every commit (message, signatures and tree) must hold
//! none of them.
//!
//! The tool has no log output (no logger or tracing subscriber is set up, so `RUST_LOG` means
//! nothing to it): what it prints and writes is all there is to check.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use docusign_gitops::emulator::config::{Client, Credentials, RefreshGrant};
use docusign_gitops::emulator::{Config, Running};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::emulator_support::{
    ACCOUNT_ID, ADMIN_ID, Api, KEYS, STRANGER_KEYS, account_with, start,
};
use crate::secrets_scan::{Kind, Leak, Needles};
use crate::secrets_wiretap::{Heard, Mode, Wiretap};

const CLIENT_ID: &str = "9f1c2d3e-4b5a-4c6d-8e7f-a0b1c2d3e4f5";
const CLIENT_SECRET: &str = "CANARY-client-secret-7f3a";
const WRONG_SECRET: &str = "CANARY-wrong-secret-5d21";
const STATIC_TOKEN: &str = "CANARY-access-token-2c44";
const UNKNOWN_TOKEN: &str = "CANARY-unknown-access-token-b7e0";
/// Refresh tokens are single-use: each command of the refresh grant spends one of these.
const REFRESH_TOKENS: usize = 32;
/// Every token the emulator issues starts so.
const ISSUED_PREFIX: &str = "eyJ0eXAiOiJNVCJ9";

fn refresh_token(n: usize) -> String {
    format!("CANARY-refresh-token-{n:02}-91bd")
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grant {
    StaticToken,
    RefreshToken,
    Jwt,
}

#[test]
fn a_static_token_never_reaches_any_output_file_or_commit() {
    Stage::start(Grant::StaticToken).everything();
}

#[test]
fn the_refresh_grant_secrets_never_reach_any_output_file_or_commit() {
    Stage::start(Grant::RefreshToken).everything();
}

#[test]
fn the_jwt_grant_secrets_never_reach_any_output_file_or_commit() {
    Stage::start(Grant::Jwt).everything();
}

/// The key files the JWT grant reads. They live outside the directories that are searched,
/// which must stay free of them.
struct KeyFiles {
    dir: TempDir,
    good: PathBuf,
    /// A valid RSA key the emulator doesn't know.
    stranger: PathBuf,
    /// The good key, cut short: a PEM whose body is key material that doesn't parse.
    broken: PathBuf,
}

impl KeyFiles {
    fn write() -> Self {
        let dir = TempDir::new().expect("temp dir");
        let lines: Vec<&str> = KEYS.private_pem.lines().collect();
        let mut broken = lines[..lines.len() / 2].join("\n");
        broken.push_str("\n-----END PRIVATE KEY-----\n");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write a key file");
            path
        };
        Self {
            good: write("key.pem", &KEYS.private_pem),
            stranger: write("stranger.pem", &STRANGER_KEYS.private_pem),
            broken: write("broken.pem", &broken),
            dir,
        }
    }
}

/// One credential set against its own emulator (behind a wiretap), in its own directories.
struct Stage {
    grant: Grant,
    runtime: tokio::runtime::Runtime,
    running: Running,
    tap: Wiretap,
    keys: KeyFiles,
    /// Holds `repo/` (the desired state, a git repository) and `import/`.
    root: TempDir,
    needles: Needles,
    refresh_tokens_used: usize,
}

/// One command to run: what it is, its arguments, and how the world around it behaves.
struct Step<'a> {
    stage: &'a mut Stage,
    what: String,
    args: Vec<String>,
    mode: Mode,
    env: Vec<(&'static str, String)>,
    exempt: Vec<Kind>,
}

/// What a command printed.
struct Printed {
    stdout: String,
    stderr: String,
}

impl Stage {
    fn start(grant: Grant) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let wiretap = runtime.block_on(Wiretap::bind());
        let config = Config {
            // The tool names the server it talks to, the wiretap, in its assertions.
            auth_host: wiretap.authority().to_owned(),
            credentials: Credentials {
                clients: vec![Client {
                    id: CLIENT_ID.to_owned(),
                    secret: CLIENT_SECRET.to_owned(),
                }],
                refresh_tokens: (0..REFRESH_TOKENS)
                    .map(|n| RefreshGrant {
                        token: refresh_token(n),
                        client_id: CLIENT_ID.to_owned(),
                        user_id: ADMIN_ID.to_owned(),
                    })
                    .collect(),
                jwt_public_key_pem: Some(KEYS.public_pem.clone()),
                consents: vec![(CLIENT_ID.to_owned(), ADMIN_ID.to_owned())],
                static_tokens: vec![(STATIC_TOKEN.to_owned(), ADMIN_ID.to_owned())],
            },
            ..Config::default()
        };
        let (running, tap) = runtime.block_on(async {
            let running = start(config, account_with(3)).await;
            let tap = wiretap.relay_to(&running.url);
            (running, tap)
        });
        let root = TempDir::new().expect("temp dir");
        init_repo(&root.path().join("repo"));
        let mut stage = Self {
            grant,
            runtime,
            running,
            tap,
            keys: KeyFiles::write(),
            root,
            needles: Needles::default(),
            refresh_tokens_used: 0,
        };
        stage.plant_needles();
        stage
    }

    /// Every value the tool is given that is secret.
    fn plant_needles(&mut self) {
        let needles = &mut self.needles;
        // Every canary value, whole or in part.
        needles.exact("a canary", Kind::Given, "CANARY");
        needles.secret("DOCUSIGN_CLIENT_SECRET", Kind::Given, CLIENT_SECRET);
        needles.secret("a wrong DOCUSIGN_CLIENT_SECRET", Kind::Given, WRONG_SECRET);
        needles.secret("DOCUSIGN_ACCESS_TOKEN", Kind::Given, STATIC_TOKEN);
        needles.secret(
            "an unknown DOCUSIGN_ACCESS_TOKEN",
            Kind::Given,
            UNKNOWN_TOKEN,
        );
        for n in 0..REFRESH_TOKENS {
            let what = format!("DOCUSIGN_REFRESH_TOKEN {n}");
            needles.secret(&what, Kind::Given, &refresh_token(n));
        }
        needles.pem("the private key", &KEYS.private_pem);
        needles.pem(
            "a private key the emulator doesn't know",
            &STRANGER_KEYS.private_pem,
        );
        needles.exact(
            "the prefix of a token the emulator issued",
            Kind::IssuedAccess,
            ISSUED_PREFIX,
        );
        // The needles find what they stand for: in the key files, and in a canary.
        let searcher = needles.searcher();
        let planted = searcher.tree(self.keys.dir.path());
        assert!(
            planted.iter().any(|leak| leak.place == "file key.pem")
                && planted.iter().any(|leak| leak.place == "file stranger.pem"),
            "the key needles miss the key files: {planted:?}"
        );
        assert!(!searcher.find(STATIC_TOKEN.as_bytes()).is_empty());
    }

    fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    fn step(&mut self, what: &str, args: &[&str]) -> Step<'_> {
        Step {
            stage: self,
            what: what.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            mode: Mode::Relay,
            env: Vec::new(),
            exempt: Vec::new(),
        }
    }

    /// The credential set's variables; a refresh grant spends a new refresh token each time.
    fn credentials(&mut self) -> Vec<(&'static str, String)> {
        match self.grant {
            Grant::StaticToken => vec![("DOCUSIGN_ACCESS_TOKEN", STATIC_TOKEN.to_owned())],
            Grant::RefreshToken => {
                let token = refresh_token(self.refresh_tokens_used);
                self.refresh_tokens_used += 1;
                assert!(
                    self.refresh_tokens_used < REFRESH_TOKENS,
                    "raise REFRESH_TOKENS"
                );
                vec![
                    ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                    ("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
                    ("DOCUSIGN_REFRESH_TOKEN", token),
                ]
            }
            Grant::Jwt => vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                ("DOCUSIGN_USER_ID", ADMIN_ID.to_owned()),
                ("DOCUSIGN_PRIVATE_KEY_FILE", path_text(&self.keys.good)),
            ],
        }
    }

    /// Adds what the wiretap heard, then looks for every needle in what `what` printed and in
    /// every file and commit under the stage's root; fails on the first leak.
    fn search(&mut self, what: &str, printed: &Printed, exempt: &[Kind]) {
        for (value, heard) in self.tap.heard() {
            let (description, kind) = match heard {
                // A bearer token is one the tool was given (already planted) or was issued.
                Heard::BearerToken => ("a bearer token the tool sent", Kind::IssuedAccess),
                Heard::AccessToken => ("an access token the emulator issued", Kind::IssuedAccess),
                Heard::RefreshToken => ("a refresh token the emulator issued", Kind::IssuedRefresh),
                Heard::ClientSecret => ("a client secret the tool sent", Kind::Given),
                Heard::Assertion => ("a JWT assertion the tool signed", Kind::Assertion),
            };
            if heard == Heard::Assertion {
                // Its signature is what makes it worth stealing.
                let signature = value.rsplit('.').next().unwrap_or_default();
                self.needles
                    .secret(&format!("{description} (signature)"), kind, signature);
            }
            self.needles.secret(description, kind, &value);
        }
        let searcher = self.needles.searcher();
        let mut leaks = Vec::new();
        for (stream, text) in [("stdout", &printed.stdout), ("stderr", &printed.stderr)] {
            let place = format!("its {stream}");
            leaks.extend(Leak::all(
                &place,
                searcher.find_but(text.as_bytes(), exempt),
            ));
        }
        leaks.extend(searcher.tree(self.root.path()));
        assert!(
            leaks.is_empty(),
            "{:?}, after `{what}`: secrets leaked ({} needles searched):\n{}\n--- stdout\n{}\n--- stderr\n{}",
            self.grant,
            self.needles.len(),
            leaks
                .iter()
                .map(|leak| format!("  {leak}"))
                .collect::<Vec<_>>()
                .join("\n"),
            printed.stdout,
            printed.stderr,
        );
    }

    /// Runs every command; each fails the test if anything it printed or wrote leaks.
    fn everything(mut self) {
        self.sequence();
        self.failures();
        self.check_heard();
    }

    /// The way a user works: check, import, plan in every format, apply the saved plan, find
    /// drift in every format, apply again (a token expiring on the way), plan again.
    fn sequence(&mut self) {
        let check = self.step("auth check", &["auth", "check"]).exits(0);
        assert!(check.stdout.contains("admin:      yes"), "{}", check.stdout);

        let import = path_text(&self.root.path().join("import"));
        self.step("import", &["import", "--out", &import]).exits(0);
        assert!(
            self.root
                .path()
                .join("import/.docusign-gitops/state")
                .is_dir(),
            "import wrote its recorded state"
        );

        let text = self
            .step("plan", &["plan", "--out", "plan-text.json"])
            .exits(0);
        assert!(text.stdout.contains("Night Signers"), "{}", text.stdout);
        let markdown = &[
            "plan",
            "--format",
            "markdown",
            "--out",
            "plan-markdown.json",
        ];
        self.step("plan --format markdown", markdown).exits(0);
        let json = &["plan", "--format", "json", "--out", "plan.json"];
        let shown = self.step("plan --format json", json).exits(0);
        serde_json::from_str::<Value>(&shown.stdout).expect("the plan as JSON");

        let apply = &["apply", "--plan", "plan.json", "--auto-approve"];
        self.step("apply --plan", apply).exits(0);
        let repo = git2::Repository::open(self.repo()).expect("the repo");
        let head = repo.head().expect("HEAD").peel_to_commit().expect("commit");
        assert!(
            head.message()
                .is_ok_and(|message| message.starts_with("docusign-gitops apply: ")),
            "apply committed the state: {:?}",
            head.message()
        );

        self.change_by_hand();
        for format in ["text", "markdown", "json"] {
            let out = format!("drift-{format}.json");
            let args = ["drift", "--format", format, "--out", &out];
            let drift = self
                .step(&format!("drift --format {format}"), &args)
                .exits(2);
            assert!(
                drift.stdout.contains("user0@example.com"),
                "{}",
                drift.stdout
            );
        }

        // The first API call answers 401: the grants get a new token and carry on; a static
        // token can't be renewed, so that run fails and the next one does the work.
        let renewing = self.grant != Grant::StaticToken;
        self.step(
            "apply, a token expiring mid-run",
            &["apply", "--auto-approve"],
        )
        .mode(Mode::ExpireOnce)
        .exits(if renewing { 0 } else { 1 });
        self.step("apply", &["apply", "--auto-approve"]).exits(0);
        let again = &["plan", "--detailed-exitcode"];
        self.step("plan after apply", again).exits(0);
    }

    /// An administrator edits a managed user in DocuSign: drift.
    fn change_by_hand(&self) {
        let api = Api::new(&self.running);
        self.runtime.block_on(async {
            let users = api.get("/users?count=100").await;
            let user0 = users.body["users"]
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

    /// Every way the credentials or the server can fail the tool.
    fn failures(&mut self) {
        let no_account = "00000000-0000-4000-8000-000000000000";
        self.step("auth check, an account the user lacks", &["auth", "check"])
            .env("DOCUSIGN_ACCOUNT_ID", no_account)
            .exits(1);
        self.step("plan, every API call refused", &["plan"])
            .mode(Mode::RefuseApi { echo: false })
            .exits(1);
        // KNOWN GAP (issue 13): an API or userinfo error body that quotes the bearer token is
        // shown as it came (`ClientError::Api`'s message, discovery's refusal), so the access
        // token a grant issued may be printed. Those two runs leave issued access tokens out
        // of the search of what they printed; every other secret is still searched, and so is
        // everything they wrote. A static token is safe here: its refusal never shows the body.
        let gap: &[Kind] = if self.grant == Grant::StaticToken {
            &[]
        } else {
            &[Kind::IssuedAccess]
        };
        self.step("plan, API refusals quoting the token", &["plan"])
            .mode(Mode::RefuseApi { echo: true })
            .exempt(gap)
            .exits(1);
        self.step("plan, userinfo refusals quoting the token", &["plan"])
            .mode(Mode::RefuseUserinfoEchoing)
            .exempt(gap)
            .exits(1);
        match self.grant {
            Grant::StaticToken => {
                self.step("plan, a token DocuSign refuses", &["plan"])
                    .env("DOCUSIGN_ACCESS_TOKEN", UNKNOWN_TOKEN)
                    .exits(1);
            }
            Grant::RefreshToken => {
                self.step("plan, a wrong client secret", &["plan"])
                    .env("DOCUSIGN_CLIENT_SECRET", WRONG_SECRET)
                    .exits(1);
                let spent = refresh_token(0);
                self.step("plan, a spent refresh token", &["plan"])
                    .env("DOCUSIGN_REFRESH_TOKEN", &spent)
                    .exits(1);
                self.token_endpoint_echoes();
                // The parse error names the field, never the value there.
                let garbled = self
                    .step("plan, a token answer that doesn't parse", &["plan"])
                    .mode(Mode::GarbledTokenAnswer)
                    .exits(1);
                assert!(
                    garbled.stderr.contains("`expires_in`"),
                    "{}",
                    garbled.stderr
                );
            }
            Grant::Jwt => {
                let broken = path_text(&self.keys.broken);
                self.step("plan, a broken key file", &["plan"])
                    .env("DOCUSIGN_PRIVATE_KEY_FILE", &broken)
                    .exits(1);
                let stranger = path_text(&self.keys.stranger);
                self.step("plan, a key DocuSign doesn't know", &["plan"])
                    .env("DOCUSIGN_PRIVATE_KEY_FILE", &stranger)
                    .exits(1);
                let missing = path_text(&self.keys.dir.path().join("missing.pem"));
                self.step("plan, no key file", &["plan"])
                    .env("DOCUSIGN_PRIVATE_KEY_FILE", &missing)
                    .exits(1);
                self.token_endpoint_echoes();
            }
        }
    }

    /// The token endpoint quotes what it was sent, in a refusal and in a redirect: the tool
    /// shows the server's words with every secret it sent replaced.
    fn token_endpoint_echoes(&mut self) {
        for (what, mode) in [
            (
                "plan, a token refusal quoting the credentials",
                Mode::EchoInRefusal,
            ),
            (
                "plan, a token redirect carrying the credentials",
                Mode::EchoInRedirect,
            ),
        ] {
            let printed = self.step(what, &["plan"]).mode(mode).exits(1);
            assert!(
                printed.stderr.contains("[redacted]"),
                "{what}: the server's words are shown, redacted:\n{}",
                printed.stderr
            );
        }
    }

    /// The wiretap heard what the grant's sequence must have made: issued tokens (renewed at
    /// least once), and signed assertions for the JWT grant.
    fn check_heard(&self) {
        let heard = self.tap.heard();
        let count = |role: Heard| heard.iter().filter(|(_, heard)| *heard == role).count();
        match self.grant {
            Grant::StaticToken => assert_eq!(count(Heard::AccessToken), 0),
            Grant::RefreshToken => {
                assert!(count(Heard::AccessToken) > 10, "{heard:?}");
                assert!(count(Heard::RefreshToken) > 10, "{heard:?}");
            }
            Grant::Jwt => {
                assert!(count(Heard::AccessToken) > 10, "{heard:?}");
                assert!(count(Heard::Assertion) > 10, "{heard:?}");
            }
        }
    }
}

impl Step<'_> {
    fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets (or replaces) one variable on top of the credential set.
    fn env(mut self, name: &'static str, value: &str) -> Self {
        self.env.push((name, value.to_owned()));
        self
    }

    /// Leaves needles of these kinds out of the search of what this command prints.
    fn exempt(mut self, kinds: &[Kind]) -> Self {
        self.exempt = kinds.to_vec();
        self
    }

    /// Runs the command, asserts its exit code, and searches everything for secrets.
    fn exits(self, code: i32) -> Printed {
        let Self {
            stage,
            what,
            args,
            mode,
            env,
            exempt,
        } = self;
        let mut vars = stage.credentials();
        vars.push(("DOCUSIGN_AUTH_SERVER", stage.tap.url.clone()));
        vars.push(("DOCUSIGN_ACCOUNT_ID", ACCOUNT_ID.to_owned()));
        for (name, value) in env {
            vars.retain(|(set, _)| *set != name);
            vars.push((name, value));
        }
        let mut command = crate::harness::binary();
        command
            .args(&args)
            .current_dir(stage.repo())
            .stdin(Stdio::null())
            .envs(vars);
        stage.tap.set_mode(mode);
        let output = command.output().expect("run docusign-gitops");
        stage.tap.set_mode(Mode::Relay);
        let printed = Printed {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert_eq!(
            output.status.code(),
            Some(code),
            "{:?}, `{what}`: exit code\n--- stdout\n{}\n--- stderr\n{}",
            stage.grant,
            printed.stdout,
            printed.stderr
        );
        stage.search(&what, &printed, &exempt);
        printed
    }
}

fn path_text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// A git repository holding the desired state in its first commit.
fn init_repo(dir: &Path) {
    std::fs::create_dir_all(dir).expect("repo folder");
    std::fs::write(dir.join("account.yaml"), ACCOUNT_YAML).expect("write");
    std::fs::write(dir.join("users.yaml"), USERS_YAML).expect("write");
    let repo = git2::Repository::init(dir).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*.yaml"], git2::IndexAddOption::DEFAULT, None)
        .expect("git add");
    index.write().expect("write the index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let who = git2::Signature::now("Test", "test@example.com").expect("signature");
    repo.commit(Some("HEAD"), &who, &who, "desired state", &tree, &[])
        .expect("first commit");
}
