//! Apply makes the fewest write calls DocuSign's bulk endpoints allow, and says how many:
//! onboarding 1,000 users into 10 plain groups is 2 `POST /users`, a reorganisation is one
//! `PUT` and one `DELETE` per group touched, offboarding 500 is 1 `DELETE /users`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::apply_cli::{commit_all, repo_with, summary, write};
use crate::apply_support::{roomy, writes};
use crate::served::Served;

const GROUPS: usize = 10;

fn live() -> String {
    let mut seed = String::from(
        "integration_user: admin@example.com
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
groups:
",
    );
    for group in 0..GROUPS {
        let _ = writeln!(seed, "  - name: Team {group}");
    }
    seed
}

const ACCOUNT: &str = "
defaults:
  permission_profile: DocuSign Sender
policy:
  limits:
    user_closures: 100%
    membership_removals: 100%
";

/// Users `0..count`, user `n` in the teams `team(n)` names.
fn users(count: usize, team: impl Fn(usize) -> usize) -> String {
    let mut yaml = String::from("groups:\n");
    for group in 0..GROUPS {
        let _ = writeln!(yaml, "  - name: Team {group}");
    }
    yaml.push_str("users:\n");
    for n in 0..count {
        let _ = writeln!(
            yaml,
            "  - {{ email: user{n}@example.com, first_name: User, last_name: N{n}, groups: [Team {}] }}",
            team(n)
        );
    }
    yaml
}

/// Runs `apply --auto-approve` and answers the summary's figures and the writes the emulator
/// counted, per call.
fn apply(hosted: &Served, dir: &Path) -> ([u64; 5], BTreeMap<String, u64>) {
    let before = writes(&hosted.stats());
    let run = hosted.cli().run(dir, &["apply", "--auto-approve"]);
    run.exits(0);
    let after = writes(&hosted.stats());
    let made = after
        .into_iter()
        .map(|(call, count)| {
            (
                call.clone(),
                count - before.get(&call).copied().unwrap_or(0),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    (summary(&run), made)
}

fn calls(list: &[(&str, u64)]) -> BTreeMap<String, u64> {
    list.iter()
        .map(|(call, count)| ((*call).to_owned(), *count))
        .collect()
}

#[test]
fn onboarding_reorganising_and_offboarding_take_the_bulk_minimum_of_calls() {
    let hosted = Served::of_seed(roomy(), &live());
    let dir = repo_with(&[
        ("account.yaml", ACCOUNT),
        ("users.yaml", &users(1_000, |n| n % GROUPS)),
    ]);
    let path = dir.path();

    // 1,000 creates, each with its join riding along: two calls of 500.
    let (figures, made) = apply(&hosted, path);
    assert_eq!(figures, [2_000, 0, 0, 2, 2]);
    assert_eq!(made, calls(&[("POST /users", 2)]));

    // A hundred people move to the next team: one PUT and one DELETE per team touched.
    write(
        path,
        "users.yaml",
        &users(1_000, |n| {
            if n < 100 {
                (n + 1) % GROUPS
            } else {
                n % GROUPS
            }
        }),
    );
    commit_all(path, "the next change");
    let (figures, made) = apply(&hosted, path);
    assert_eq!(figures, [200, 0, 0, 20, 20]);
    assert_eq!(
        made,
        calls(&[
            ("PUT /groups/{groupId}/users", 10),
            ("DELETE /groups/{groupId}/users", 10),
        ])
    );

    // Half of them leave: one close call of 500.
    write(
        path,
        "users.yaml",
        &users(500, |n| {
            if n < 100 {
                (n + 1) % GROUPS
            } else {
                n % GROUPS
            }
        }),
    );
    commit_all(path, "the next change");
    let (figures, made) = apply(&hosted, path);
    assert_eq!(figures, [500, 0, 0, 1, 1]);
    assert_eq!(made, calls(&[("DELETE /users", 1)]));

    hosted
        .cli()
        .run(path, &["plan", "--detailed-exitcode"])
        .exits(0);
    let account = crate::apply_support::emulated(&hosted.running);
    let open = account
        .users
        .iter()
        .filter(|user| user.status != docusign_gitops::emulator::account::UserStatus::Closed)
        .count();
    assert_eq!(open, 501, "the administrator and 500 users");
}
