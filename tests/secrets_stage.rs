//! The stage of the secrets test: one credential set with canary values, an emulator that
//! accepts them behind a wiretap, a git repository of desired state, and a way to run a command
//! there and search everything it printed and wrote for every secret known so far.

use std::path::{Path, PathBuf};

use docusign_gitops::emulator::config::{Client, Credentials, RefreshGrant};
use docusign_gitops::emulator::{Config, Running};
use tempfile::TempDir;

use crate::emulator_support::{ACCOUNT_ID, ADMIN_ID, KEYS, STRANGER_KEYS, account_with, start};
use crate::harness::Cli;
use crate::secrets_scan::{Leak, Needles};
use crate::secrets_wiretap::{Heard, Mode, Wiretap};

pub const CLIENT_ID: &str = "9f1c2d3e-4b5a-4c6d-8e7f-a0b1c2d3e4f5";
pub const CLIENT_SECRET: &str = "CANARY-client-secret-7f3a";
pub const WRONG_SECRET: &str = "CANARY-wrong-secret-5d21";
pub const STATIC_TOKEN: &str = "CANARY-access-token-2c44";
pub const UNKNOWN_TOKEN: &str = "CANARY-unknown-access-token-b7e0";
/// Refresh tokens are single-use: each command of the refresh grant spends one of these.
const REFRESH_TOKENS: usize = 40;
/// Every token the emulator issues starts so.
const ISSUED_PREFIX: &str = "eyJ0eXAiOiJNVCJ9";

pub fn refresh_token(n: usize) -> String {
    format!("CANARY-refresh-token-{n:02}-91bd")
}

/// How the tool gets its access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    StaticToken,
    RefreshToken,
    /// The refresh grant with `DOCUSIGN_REFRESH_TOKEN_FILE`: the first token in the file, each
    /// later one as the previous command wrote it back.
    RefreshTokenFile,
    Jwt,
    /// The JWT grant with the key itself in `DOCUSIGN_PRIVATE_KEY`, as CI secrets arrive.
    JwtKeyText,
}

/// The key files the JWT grant reads. They live outside the searched directories, which must
/// stay free of them.
pub struct KeyFiles {
    pub dir: TempDir,
    pub good: PathBuf,
    /// A valid RSA key the emulator doesn't know.
    pub stranger: PathBuf,
    /// The good key cut short: a PEM whose body is key material that doesn't parse.
    pub broken: PathBuf,
    /// The refresh token file, starting with the first refresh token.
    pub refresh_token_file: PathBuf,
}

impl KeyFiles {
    fn write() -> Self {
        let dir = TempDir::new().expect("temp dir");
        let lines: Vec<&str> = KEYS.private_pem.lines().collect();
        let mut broken = lines[..lines.len() / 2].join("\n");
        broken.push_str("\n-----END PRIVATE KEY-----\n");
        let write = |name: &str, text: &str| {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write a key file");
            // As a key should be kept: a key others can read is warned about.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("make the key file private");
            path
        };
        Self {
            good: write("key.pem", &KEYS.private_pem),
            stranger: write("stranger.pem", &STRANGER_KEYS.private_pem),
            broken: write("broken.pem", &broken),
            refresh_token_file: write("refresh-token", &refresh_token(0)),
            dir,
        }
    }
}

/// One credential set against its own emulator (behind a wiretap), in its own directories.
pub struct Stage {
    pub grant: Grant,
    pub runtime: tokio::runtime::Runtime,
    pub running: Running,
    pub tap: Wiretap,
    pub keys: KeyFiles,
    /// Holds `repo/`, the desired state in git and where commands run, and whatever else
    /// they write to; every file and commit under it is searched after each command.
    pub root: TempDir,
    needles: Needles,
    refresh_tokens_used: usize,
}

/// One command to run: what it is, its arguments, and how the world around it behaves.
pub struct Step<'a> {
    stage: &'a mut Stage,
    what: String,
    args: Vec<String>,
    mode: Mode,
    env: Vec<(&'static str, String)>,
}

/// What a command printed.
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
}

impl Stage {
    /// A stage for `grant` whose repository holds `files` (path, text) in its first commit.
    pub fn start(grant: Grant, files: &[(&str, &str)]) -> Self {
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
        init_repo(&root.path().join("repo"), files);
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

    /// Every secret the tool is given.
    fn plant_needles(&mut self) {
        let needles = &mut self.needles;
        // Any canary at all, then each one whole or in part.
        needles.exact("a canary", "CANARY");
        needles.secret("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET);
        needles.secret("a wrong DOCUSIGN_CLIENT_SECRET", WRONG_SECRET);
        needles.secret("DOCUSIGN_ACCESS_TOKEN", STATIC_TOKEN);
        needles.secret("an unknown DOCUSIGN_ACCESS_TOKEN", UNKNOWN_TOKEN);
        for n in 0..REFRESH_TOKENS {
            let what = format!("DOCUSIGN_REFRESH_TOKEN {n}");
            needles.secret(&what, &refresh_token(n));
        }
        needles.pem("the private key", &KEYS.private_pem);
        needles.pem(
            "a private key the emulator doesn't know",
            &STRANGER_KEYS.private_pem,
        );
        needles.exact("the prefix of a token the emulator issued", ISSUED_PREFIX);
        // The needles find what they stand for.
        let searcher = needles.searcher();
        let planted = searcher.tree(self.keys.dir.path());
        assert!(
            planted.iter().any(|leak| leak.place == "file key.pem")
                && planted.iter().any(|leak| leak.place == "file stranger.pem"),
            "the key needles miss the key files: {planted:?}"
        );
        assert!(!searcher.find(STATIC_TOKEN.as_bytes()).is_empty());
    }

    pub fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    /// A command (`what` names it in failures) run in the repository.
    pub fn step(&mut self, what: &str, args: &[&str]) -> Step<'_> {
        Step {
            stage: self,
            what: what.to_owned(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            mode: Mode::Relay,
            env: Vec::new(),
        }
    }

    /// The credential set's variables; a refresh grant spends a new refresh token each time.
    fn credentials(&mut self) -> Vec<(&'static str, String)> {
        match self.grant {
            Grant::StaticToken => vec![("DOCUSIGN_ACCESS_TOKEN", STATIC_TOKEN.to_owned())],
            Grant::RefreshToken => {
                assert!(
                    self.refresh_tokens_used < REFRESH_TOKENS,
                    "raise REFRESH_TOKENS"
                );
                let token = refresh_token(self.refresh_tokens_used);
                self.refresh_tokens_used += 1;
                vec![
                    ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                    ("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
                    ("DOCUSIGN_REFRESH_TOKEN", token),
                ]
            }
            Grant::RefreshTokenFile => vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                ("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
                (
                    "DOCUSIGN_REFRESH_TOKEN_FILE",
                    path_text(&self.keys.refresh_token_file),
                ),
            ],
            Grant::Jwt => vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                ("DOCUSIGN_USER_ID", ADMIN_ID.to_owned()),
                ("DOCUSIGN_PRIVATE_KEY_FILE", path_text(&self.keys.good)),
            ],
            Grant::JwtKeyText => vec![
                ("DOCUSIGN_CLIENT_ID", CLIENT_ID.to_owned()),
                ("DOCUSIGN_USER_ID", ADMIN_ID.to_owned()),
                ("DOCUSIGN_PRIVATE_KEY", KEYS.private_pem.clone()),
            ],
        }
    }

    /// Adds what the wiretap heard to the needles, then searches what `what` printed and every
    /// file and commit under the root; fails on the first command that leaked anything.
    fn search(&mut self, what: &str, printed: &Printed) {
        for (value, heard) in self.tap.heard() {
            let description = match heard {
                // One the tool was given (planted already, so kept as given) or was issued.
                Heard::BearerToken => "a bearer token the tool sent",
                Heard::AccessToken => "an access token the emulator issued",
                Heard::RefreshToken => "a refresh token the emulator issued",
                Heard::ClientSecret => "a client secret the tool sent",
                Heard::Assertion => "a JWT assertion the tool signed",
            };
            if heard == Heard::Assertion {
                // Its signature is what makes it worth stealing.
                let signature = value.rsplit('.').next().unwrap_or_default();
                self.needles
                    .secret(&format!("{description} (signature)"), signature);
            }
            self.needles.secret(description, &value);
        }
        let searcher = self.needles.searcher();
        let mut leaks = Vec::new();
        for (stream, text) in [("stdout", &printed.stdout), ("stderr", &printed.stderr)] {
            let found = searcher.find(text.as_bytes());
            leaks.extend(Leak::all(&format!("its {stream}"), found));
        }
        leaks.extend(searcher.tree(self.root.path()));
        assert!(
            leaks.is_empty(),
            "{:?}, after `{what}`: secrets leaked ({} needles searched):\n{}\n\
             --- stdout\n{}\n--- stderr\n{}",
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
}

impl Step<'_> {
    /// How the wiretap answers during this command.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets (or replaces) one variable on top of the credential set.
    pub fn env(mut self, name: &'static str, value: &str) -> Self {
        self.env.push((name, value.to_owned()));
        self
    }

    /// Runs the command, asserts its exit code, and searches everything for secrets.
    pub fn exits(self, code: i32) -> Printed {
        let Self {
            stage,
            what,
            args,
            mode,
            env,
        } = self;
        let mut vars = stage.credentials();
        vars.push(("DOCUSIGN_AUTH_SERVER", stage.tap.url.clone()));
        vars.push(("DOCUSIGN_ACCOUNT_ID", ACCOUNT_ID.to_owned()));
        // The step's own settings come last, so they win over the stage's.
        let cli = vars
            .into_iter()
            .chain(env)
            .fold(Cli::new(), |cli, (name, value)| cli.env(name, value));
        let mut command = cli.command(&[]);
        command.args(&args).current_dir(stage.repo());
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
        stage.search(&what, &printed);
        printed
    }
}

pub fn path_text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// A git repository holding `files` in its first commit.
fn init_repo(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("repo folder");
    let repo = git2::Repository::init(dir).expect("git init");
    let mut index = repo.index().expect("index");
    for (path, text) in files {
        std::fs::write(dir.join(path), text).expect("write");
        index.add_path(Path::new(path)).expect("git add");
    }
    index.write().expect("write the index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let who = git2::Signature::now("Test", "test@example.com").expect("signature");
    repo.commit(Some("HEAD"), &who, &who, "desired state", &tree, &[])
        .expect("first commit");
}
