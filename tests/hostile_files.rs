//! Hostile files in the desired-state directory. In CI the directory is a pull request's, and
//! the credentials an administrator's: a link to `/proc/self/environ` (every secret variable),
//! to the private key, or to any file outside; a FIFO; a state file, lock file or
//! `.docusign-gitops` folder that is a link leading out. Each goes through `validate`, `plan`,
//! `apply` and `drift` against the emulator, with canary values in every secret variable and
//! in the key file. Whatever the command, no canary reaches its output or any file it writes
//! (the stage searches them), no file outside the directory changes, and a command that meets
//! the hostile file exits 1 naming it.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::emulator_support::ACCOUNT_ID;
use crate::secrets_stage::{CLIENT_SECRET, Grant, STATIC_TOKEN, Stage, path_text, refresh_token};

const ACCOUNT_YAML: &str = "account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
defaults:
  permission_profile: DocuSign Sender
policy:
  unmanaged_users: report
";

const USERS_YAML: &str = "users:
  - email: admin@example.com
    first_name: Ada
    last_name: Admin
    permission_profile: Account Administrator
    groups: [Administrators]
";

/// What a command does when it meets the hostile file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meets {
    /// Refuses it: exit 1, naming it.
    Refuses,
    /// Never looks at it (`validate` reads no state file), so it ends as it would without,
    /// with this exit code.
    Ignores(i32),
}

const COMMANDS: [&str; 4] = ["validate", "plan", "apply", "drift"];

/// One stage, and a folder outside the repository whose files must not change.
struct Scene {
    stage: Stage,
    outside: TempDir,
}

impl Scene {
    fn new() -> Self {
        let files = [("account.yaml", ACCOUNT_YAML), ("users.yaml", USERS_YAML)];
        let stage = Stage::start(Grant::Jwt, &files);
        let outside = TempDir::new().expect("temp dir");
        fs::write(
            outside.path().join("notes.yaml"),
            format!("users:\n  - email: {STATIC_TOKEN}\n"),
        )
        .expect("an outside file");
        Self { stage, outside }
    }

    fn repo(&self) -> PathBuf {
        self.stage.repo()
    }

    fn key(&self) -> PathBuf {
        self.stage.keys.good.clone()
    }

    /// Every file outside the repository the attacks point at, by content hash.
    fn outside_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for dir in [self.outside.path(), self.stage.keys.dir.path()] {
            hash_tree(dir, &mut files);
        }
        files
    }

    /// Runs each command with canaries in every secret variable, or in all that leave one
    /// credential set when the command must get as far as connecting.
    fn run_all(&mut self, offender: &str, meets: impl Fn(&str) -> Meets, all_secrets: bool) {
        for command in COMMANDS {
            let before = self.outside_files();
            let mut args = vec![command];
            if command == "apply" {
                args.push("--auto-approve");
            }
            let expected = meets(command);
            let code = match expected {
                Meets::Refuses => 1,
                Meets::Ignores(code) => code,
            };
            let what = format!("{command} with {offender}");
            let mut step = self
                .stage
                .step(&what, &args)
                .env("DOCUSIGN_CLIENT_SECRET", CLIENT_SECRET);
            if all_secrets {
                step = step
                    .env("DOCUSIGN_ACCESS_TOKEN", STATIC_TOKEN)
                    .env("DOCUSIGN_REFRESH_TOKEN", &refresh_token(0));
            }
            let printed = step.exits(code);
            assert_eq!(
                self.outside_files(),
                before,
                "`{what}` changed a file outside the directory"
            );
            if expected == Meets::Refuses {
                assert!(
                    flat(&printed.stderr).contains(&flat(offender)),
                    "`{what}`: the error does not name `{offender}`:\n{}",
                    printed.stderr
                );
            }
        }
    }
}

/// Text without white space or miette's frame, so a message wrapped over lines still matches.
fn flat(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

fn hash_tree(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        let metadata = fs::symlink_metadata(&path).expect("metadata");
        if metadata.is_dir() {
            hash_tree(&path, files);
        } else {
            let bytes = fs::read(&path).expect("read an outside file");
            files.insert(path, Sha256::digest(bytes).to_vec());
        }
    }
}

fn everyone_refuses(_command: &str) -> Meets {
    Meets::Refuses
}

/// Commands that read or write the recorded state refuse; `validate` never looks at it.
fn state_readers_refuse(command: &str) -> Meets {
    if command == "validate" {
        Meets::Ignores(0)
    } else {
        Meets::Refuses
    }
}

#[test]
fn a_link_to_proc_self_environ_is_refused_without_printing_the_environment() {
    let mut scene = Scene::new();
    symlink("/proc/self/environ", scene.repo().join("leak.yaml")).expect("link");
    scene.run_all("leak.yaml", everyone_refuses, true);
    let printed = scene
        .stage
        .step("validate, the message", &["validate"])
        .exits(1);
    assert!(
        flat(&printed.stderr).contains(&flat("`/proc/self/environ`, outside the directory")),
        "{}",
        printed.stderr
    );
}

#[test]
fn a_link_to_the_private_key_is_refused_without_printing_the_key() {
    let mut scene = Scene::new();
    symlink(scene.key(), scene.repo().join("key.yaml")).expect("link");
    scene.run_all("key.yaml", everyone_refuses, true);
}

#[test]
fn a_link_to_a_file_outside_is_refused_even_when_it_is_yaml() {
    let mut scene = Scene::new();
    symlink(
        scene.outside.path().join("notes.yaml"),
        scene.repo().join("team.yaml"),
    )
    .expect("link");
    scene.run_all("team.yaml", everyone_refuses, true);
}

#[test]
fn a_link_to_a_folder_outside_is_refused() {
    let mut scene = Scene::new();
    symlink(scene.outside.path(), scene.repo().join("more")).expect("link");
    scene.run_all("more", everyone_refuses, true);
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let mut scene = Scene::new();
    let fifo = scene.repo().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // A read would block forever; the step would then never end.
    scene.run_all("pipe.yaml", everyone_refuses, true);
}

#[test]
fn a_state_file_linked_outside_is_neither_read_nor_written() {
    let mut scene = Scene::new();
    let state = scene.repo().join(".docusign-gitops/state");
    fs::create_dir_all(&state).expect("state folder");
    symlink(scene.key(), state.join(format!("{ACCOUNT_ID}.json"))).expect("link");
    let offender = format!(".docusign-gitops/state/{ACCOUNT_ID}.json");
    scene.run_all(&offender, state_readers_refuse, false);
}

#[test]
fn a_lock_file_linked_outside_is_not_truncated() {
    let mut scene = Scene::new();
    let state = scene.repo().join(".docusign-gitops/state");
    fs::create_dir_all(&state).expect("state folder");
    symlink(scene.key(), state.join(format!("{ACCOUNT_ID}.lock"))).expect("link");
    let offender = format!(".docusign-gitops/state/{ACCOUNT_ID}.lock");
    // Only apply takes the lock. Plan and drift never open it; drift then finds no recorded
    // state, which is an error of its own.
    scene.run_all(
        &offender,
        |command| match command {
            "apply" => Meets::Refuses,
            "drift" => Meets::Ignores(1),
            _ => Meets::Ignores(0),
        },
        false,
    );
}

#[test]
fn a_state_folder_linked_outside_gets_nothing_written_into_it() {
    let mut scene = Scene::new();
    let kept = scene.outside.path().join("kept");
    fs::create_dir_all(kept.join("state")).expect("outside folder");
    fs::copy(scene.key(), kept.join(format!("state/{ACCOUNT_ID}.json"))).expect("copy");
    symlink(&kept, scene.repo().join(".docusign-gitops")).expect("link");
    scene.run_all(".docusign-gitops", state_readers_refuse, false);
}

#[test]
fn a_private_key_readable_by_others_is_warned_about_and_a_fifo_key_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut scene = Scene::new();
    let key = scene.key();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
    let printed = scene.stage.step("plan, a shared key", &["plan"]).exits(0);
    let warning = format!(
        "warning: the private key `{}` is readable by its group and everyone; make it private: `chmod 600 {}`",
        key.display(),
        key.display()
    );
    assert!(
        flat(&printed.stderr).contains(&flat(&warning)),
        "{}",
        printed.stderr
    );

    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod");
    let printed = scene.stage.step("plan, a private key", &["plan"]).exits(0);
    assert!(
        !printed.stderr.contains("warning: the private key"),
        "{}",
        printed.stderr
    );

    let fifo = scene.outside.path().join("key.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let printed = scene
        .stage
        .step("plan, a FIFO for a key", &["plan"])
        .env("DOCUSIGN_PRIVATE_KEY_FILE", &path_text(&fifo))
        .exits(1);
    assert!(
        flat(&printed.stderr).contains(&flat("is a FIFO (named pipe), not a regular file")),
        "{}",
        printed.stderr
    );
}

/// Many writes at once to an emulator that keeps its accounts in a file: each write rewrites
/// the file through a temporary file of its own, so none fails, none is lost, and none leaves
/// a temporary file behind.
#[test]
fn concurrent_writes_to_the_emulator_state_file_all_land() {
    use crate::emulator_support::{Api, account_with, start};
    use docusign_gitops::emulator::{Config, load_state};

    const WRITERS: usize = 24;
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("account.json");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let config = Config {
            state_file: Some(path.clone()),
            ..Config::default()
        };
        let running = start(config, account_with(1)).await;
        let api = std::sync::Arc::new(Api::new(&running));
        let writers: Vec<_> = (0..WRITERS)
            .map(|n| {
                let api = std::sync::Arc::clone(&api);
                tokio::spawn(async move {
                    let body = serde_json::json!({ "newUsers": [{
                        "userName": format!("Writer {n}"),
                        "email": format!("writer{n}@example.com"),
                    }] });
                    api.post("/users", &body).await.status
                })
            })
            .collect();
        for writer in writers {
            let status = writer.await.expect("a writer");
            assert!(status.is_success(), "{status}");
        }
    });
    let accounts = load_state(&path).expect("the state file reads");
    let emails: Vec<&str> = accounts[0]
        .users
        .iter()
        .map(|user| user.email.as_str())
        .collect();
    for n in 0..WRITERS {
        let email = format!("writer{n}@example.com");
        assert!(
            emails.contains(&email.as_str()),
            "{email} was lost: {emails:?}"
        );
    }
    let names: Vec<String> = fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["account.json"], "temporary files left behind");
}

/// A one-line YAML file of megabytes prints an error of a few lines, not the file.
#[test]
fn a_huge_one_line_file_prints_a_bounded_error() {
    let mut text = String::from("users: [");
    text.push_str(&"{email: a@example.com}, ".repeat(200_000));
    text.push_str("{email: [}");
    let fixture = crate::harness::Fixture::new().file("users.yaml", &text);
    let run = fixture.run(&["validate", "."]);
    run.exits(1);
    assert!(
        run.stderr.len() < 4096,
        "{} bytes of error for a {} byte file",
        run.stderr.len(),
        text.len()
    );
    assert!(run.stderr.contains("users.yaml:1:"), "{}", run.stderr);
}

/// A file over the bound is refused by its size, unread.
#[test]
fn a_file_over_the_size_bound_is_refused_saying_the_bound() {
    let fixture = crate::harness::Fixture::new().file("account.yaml", ACCOUNT_YAML);
    let big = fs::File::create(fixture.path().join("users.yaml")).expect("create");
    // Sparse: no 33 MB written, and none read either.
    big.set_len(33 << 20).expect("grow");
    fixture
        .run(&["validate", "."])
        .exits(1)
        .stderr_has(&["`users.yaml` is larger than 32 MiB, the most read from one file"]);
}

/// Links that stay inside the directory are followed, to files and to folders, and a file
/// reached by two names is read once; a link cycle ends the walk rather than trapping it.
#[test]
fn links_inside_the_directory_are_followed_and_read_once() {
    let fixture = crate::harness::Fixture::copy_of("examples/desired-state");
    let plain = fixture.run(&["validate", "."]);
    plain.exits(0);
    let root = fixture.path();
    fs::create_dir(root.join("teams")).expect("folder");
    symlink("../users", root.join("teams/people")).expect("folder link inside");
    symlink("..", root.join("teams/up")).expect("a cycle");
    fs::rename(root.join("groups.yaml"), root.join("teams/groups.yaml")).expect("move");
    symlink("teams/groups.yaml", root.join("groups.yaml")).expect("file link inside");
    let linked = fixture.run(&["validate", "."]);
    linked.exits(0);
    assert_eq!(
        linked.stdout, plain.stdout,
        "the same files, each read once"
    );
}
