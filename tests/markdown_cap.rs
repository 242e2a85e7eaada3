//! The plan that broke GitHub's comment limit: 3,000 users DocuSign holds and the YAML doesn't
//! name, under `unmanaged_users: close`. The markdown plan stays under 60,000 characters and
//! says how many closures it left out; the JSON plan keeps every one.

use docusign_gitops::emulator::Config;
use serde_json::Value;

use crate::emulator_support::{ACCOUNT_ID, account_with, start};
use crate::harness::Cli;

const UNMANAGED: usize = 3_000;

#[test]
fn three_thousand_closures_fit_a_comment_and_say_how_many_are_left_out() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(
        Config {
            hourly_limit: 1_000_000,
            burst_limit: 100_000,
            ..Config::default()
        },
        account_with(UNMANAGED),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("account.yaml"),
        format!(
            "account:\n  id: {ACCOUNT_ID}\n  environment: demo\npolicy:\n  unmanaged_users: close\n"
        ),
    )
    .expect("write");
    // One user named, so the YAML manages users; every other one is unmanaged.
    std::fs::write(
        dir.path().join("users.yaml"),
        "users:\n  - email: admin@example.com\n    first_name: Ada\n    last_name: Admin\n    permission_profile: Account Administrator\n    groups: [Administrators]\n",
    )
    .expect("write");
    let plan = |format: &str| {
        let run = Cli::emulator(&running).run(
            dir.path(),
            &["plan", ".", "--allow", "user-closures", "--format", format],
        );
        run.exits(0);
        run.stdout
    };

    let markdown = plan("markdown");
    let characters = markdown.chars().count();
    assert!(characters <= 60_000, "{characters} characters");
    // The closures section: from its title to the first line that is not a list item.
    let section: Vec<&str> = markdown
        .lines()
        .skip_while(|line| !line.starts_with("**Closures ("))
        .skip(1)
        .skip_while(|line| line.is_empty())
        .take_while(|line| line.starts_with("- "))
        .collect();
    let listed = section
        .iter()
        .filter(|line| line.ends_with(": close"))
        .count();
    let left_out: usize = section
        .last()
        .and_then(|line| line.strip_prefix("- … and "))
        .filter(|rest| rest.contains("more closures"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no count of closures left out:\n{markdown}"));
    assert!(listed > 0, "no closure is listed:\n{markdown}");
    assert_eq!(listed + left_out, UNMANAGED, "{markdown}");

    let json: Value = serde_json::from_str(&plan("json")).expect("a JSON plan");
    let closures = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|step| step["op"] == "close_user" || step["kind"] == "close_user")
        .count();
    assert_eq!(closures, UNMANAGED);
}
