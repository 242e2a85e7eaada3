//! Every behaviour file in `tests/behaviours/` — what `probe` found an account to do, as users
//! shared it — against a change that leans on each behaviour (a profile change for an existing
//! user, a join to a group that carries a profile, membership and signing-group changes): apply
//! it on an emulator that behaves so, and the next plan has nothing left to do. Adding an
//! account's behaviour is adding its file.

use std::path::PathBuf;

use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::Clock;
use docusign_gitops::probe::behaviour;

use crate::apply_support::seeded;
use crate::served::Served;

const LIVE: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Reviewer
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Reviewers
    permission_profile: Reviewer
  - name: Plain
    members: [cy@example.com]
signing_groups:
  - name: Legal Signers
    members:
      - { name: Ann Ames, email: ann@example.com }
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ann@example.com, first_name: Ann, last_name: Ames }
  - { email: bo@example.com, first_name: Bo, last_name: Berg }
  - { email: cy@example.com, first_name: Cy, last_name: Cole }
";

const DESIRED: &str = "
account:
  id: 3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36
  environment: demo
permission_profiles:
  - name: Reviewer
groups:
  - name: Reviewers
    permission_profile: Reviewer
  - name: Plain
signing_groups:
  - name: Legal Signers
    members:
      - { name: Bo Berg, email: bo@example.com }
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
  - { email: ann@example.com, first_name: Ann, last_name: Ames, permission_profile: DocuSign Viewer }
  - { email: bo@example.com, first_name: Bo, last_name: Berg, permission_profile: Reviewer, groups: [Reviewers] }
  - { email: cy@example.com, first_name: Cy, last_name: Cole, permission_profile: DocuSign Sender }
";

fn behaviour_files() -> Vec<PathBuf> {
    let folder = crate::harness::crate_root().join("tests/behaviours");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|err| panic!("read `{}`: {err}", folder.display()))
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_example_converges_under_every_reported_behaviour() {
    let files = behaviour_files();
    assert!(!files.is_empty(), "tests/behaviours/ holds no probe file");
    for file in files {
        let name = file
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let switches = behaviour::read(&file).unwrap_or_else(|err| panic!("{err}"));
        let config = switches.apply_to(Config {
            clock: Clock::MID_HOUR,
            ..Config::default()
        });
        let served = Served::start(config, seeded(LIVE, 7));
        let work = tempfile::tempdir().expect("temp dir");
        let work = work.path();
        std::fs::write(work.join("account.yaml"), DESIRED).expect("write the YAML");
        let applied = served
            .cli()
            .run(work, &["apply", ".", "--auto-approve", "--no-commit"]);
        assert_eq!(applied.code, 0, "{name}: apply\n{}", applied.stderr);
        let again = served
            .cli()
            .run(work, &["plan", ".", "--detailed-exitcode"]);
        assert_eq!(
            again.code, 0,
            "{name}: a plan after apply still has changes\n{}\n{}",
            again.stdout, again.stderr
        );
    }
}
