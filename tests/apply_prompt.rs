//! The confirmation `apply` asks for: on a terminal (a real pseudo-terminal here) only `yes`
//! applies; any other answer, or none, applies nothing and says so. Off a terminal it doesn't
//! ask at all and refuses without `--auto-approve`, even when stdin says `yes`.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use docusign_gitops::state;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use crate::apply_cli::{Says as _, repo_with};
use crate::apply_support::{emulated, roomy, seeded, write_count};
use crate::harness::Run;
use crate::served::{ACCOUNT_ID, Served};

/// How long a step of the conversation may take before the test gives up: a bound for a
/// hung binary, not a measure of speed.
const PATIENCE_MS: u64 = 60_000;

const LIVE: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Account Executive }
";

const DESIRED: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
groups:
  - name: Support
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ana@example.com, first_name: Ana, last_name: Silva, job_title: Team Lead }
  - { email: cy@example.com, first_name: Cy, last_name: Young, groups: [Support] }
";

fn setup() -> (Served, tempfile::TempDir) {
    let served = Served::start(roomy(), seeded(LIVE, 5));
    (served, repo_with(&[("desired.yaml", DESIRED)]))
}

/// `apply` (no `--auto-approve`) with a pseudo-terminal for stdin, stdout and stderr.
fn apply_in_terminal(served: &Served, dir: &Path) -> PtySession {
    let mut command = served.cli().command(&["apply"]);
    command
        .current_dir(dir)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    spawn_command(command, Some(PATIENCE_MS)).expect("start apply in a pseudo-terminal")
}

/// Waits for the question and answers how many changes it asked about.
fn wait_for_question(session: &mut PtySession) -> u64 {
    let (shown, question) = session
        .exp_regex(&format!(
            r"Apply these (\d+) changes to account {ACCOUNT_ID}\? Only `yes` is accepted: "
        ))
        .expect("the question");
    // The plan comes first, so the operator answers knowing what it does.
    assert!(shown.contains("cy@example.com"), "{shown}");
    question
        .split(' ')
        .nth(2)
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count in {question:?}"))
}

/// Everything the binary printed after the answer, and its exit code.
fn rest_and_exit(session: &mut PtySession) -> (String, i32) {
    let rest = session.exp_eof().expect("the binary ends");
    match session.process().wait().expect("the exit status") {
        WaitStatus::Exited(_, code) => (rest, code),
        other => panic!("apply ended by {other:?}\n{rest}"),
    }
}

fn state_file(dir: &Path) -> std::path::PathBuf {
    state::path_for(dir, ACCOUNT_ID)
}

#[test]
fn answering_yes_on_a_terminal_applies_the_plan() {
    let (served, dir) = setup();
    let mut session = apply_in_terminal(&served, dir.path());
    let asked = wait_for_question(&mut session);
    assert_eq!(
        write_count(&served.stats()),
        0,
        "nothing is sent before the answer"
    );
    session.send_line("yes").expect("answer");
    let (rest, code) = rest_and_exit(&mut session);
    assert_eq!(code, 0, "{rest}");
    assert!(
        rest.contains(&format!("Apply: {asked} done, 0 failed, 0 skipped")),
        "{rest}"
    );
    assert!(write_count(&served.stats()) > 0);
    let account = emulated(&served.running);
    assert!(
        account
            .users
            .iter()
            .any(|user| user.email == "cy@example.com"),
        "Cy was created"
    );
    assert!(state_file(dir.path()).exists());
}

#[test]
fn any_other_answer_on_a_terminal_applies_nothing_and_says_so() {
    let (served, dir) = setup();
    // `Yes` too: only the exact word counts. `None` is end of input (Ctrl-D) at the question.
    for answer in [Some("no"), Some("y"), Some("Yes"), Some(""), None] {
        let mut session = apply_in_terminal(&served, dir.path());
        wait_for_question(&mut session);
        if let Some(answer) = answer {
            session.send_line(answer).expect("answer");
        } else {
            session.send_control('d').expect("end of input");
        }
        let (rest, code) = rest_and_exit(&mut session);
        assert_eq!(code, 1, "answer {answer:?}:\n{rest}");
        assert!(rest.contains("Nothing was applied."), "{answer:?}:\n{rest}");
        assert!(!rest.contains("Apply: "), "{answer:?}:\n{rest}");
        assert_eq!(write_count(&served.stats()), 0, "answer {answer:?}");
        assert!(!state_file(dir.path()).exists(), "answer {answer:?}");
    }
}

#[test]
fn off_a_terminal_apply_refuses_without_auto_approve_even_when_stdin_says_yes() {
    let (served, dir) = setup();
    let mut child = served
        .cli()
        .command(&["apply"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"yes\n")
        .expect("write to stdin");
    let run = Run::from(child.wait_with_output().expect("apply ends"));
    run.exits(1)
        .stderr_says(&[
            "apply asks for confirmation, and stdin is not a terminal; nothing was applied",
            "run again with --auto-approve",
        ])
        .stdout_has("cy@example.com");
    assert!(
        !run.stdout.contains("Only `yes` is accepted"),
        "{}",
        run.stdout
    );
    assert_eq!(write_count(&served.stats()), 0);
    assert!(!state_file(dir.path()).exists());
}
