//! An older account may hold several users who aren't closed under one email (DocuSign's spec
//! says so of `GET /users?email=`). The tool manages one of them and says so, every run.

use docusign_gitops::emulator::Config;

use crate::apply_cli::repo_with;
use crate::served::Served;

#[test]
fn users_who_share_an_email_are_told_of_and_the_plan_goes_on() {
    let hosted = Served::of_seed(
        Config::default(),
        "
integration_user: admin@example.com
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ann@example.com, first_name: Ann, last_name: Old, permission_profile: DocuSign Sender }
  - { email: Ann@Example.com, first_name: Ann, last_name: New, permission_profile: DocuSign Viewer }
",
    );
    let dir = repo_with(&[(
        "people.yaml",
        "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: ann@example.com, first_name: Ann, last_name: Old, permission_profile: DocuSign Sender }
",
    )]);
    hosted
        .cli()
        .run(dir.path(), &["plan"])
        .exits(0)
        .stderr_has(&["warning: several users", "share the email ann@example.com"]);
}
