//! Signing groups at DocuSign's caps (50 per account, 50 members per signing group) change in
//! one apply: the plan removes and deletes before it adds and creates, so no call ever asks
//! for a 51st.

use std::fmt::Write as _;

use crate::apply_support::{
    client_for, context, converge, desired, quick_settings, roomy, seeded, start,
};

/// The administrator, as the emulator is seeded with it.
const ADMIN: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
groups:
  - name: Administrators
    members: [admin@example.com]
";

/// The administrator, as the YAML has it.
const ADMIN_YAML: &str = "
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
";

/// A signing group of members `from..to` (emails `m{n}@example.com`).
fn signing_group(yaml: &mut String, name: &str, members: std::ops::Range<usize>) {
    let _ = writeln!(yaml, "  - name: {name}\n    members:");
    for n in members {
        let _ = writeln!(
            yaml,
            "      - {{ name: Member {n}, email: m{n}@example.com }}"
        );
    }
}

/// `live` and `yaml` (signing groups only, besides the administrator): one apply converges,
/// every step done, and the next plan is empty, under each value of the emulator's switches
/// that touch these calls (`groupList` in user records, the rate-limit status with a fifth of
/// the calls refused, a group's profile handed over on joining, each profile route).
async fn converges_in_one_apply(live: &str, yaml: &str) {
    use docusign_gitops::emulator::config::{ProfileChangeRoutes, ProfileRoute, RateLimitStatus};
    for group_list in [true, false] {
        for status in [
            RateLimitStatus::BadRequest,
            RateLimitStatus::TooManyRequests,
        ] {
            for join in [false, true] {
                for routes in [
                    ProfileChangeRoutes::all(),
                    ProfileChangeRoutes::only(ProfileRoute::PutUser),
                ] {
                    let config = docusign_gitops::emulator::Config {
                        group_list_in_user_records: group_list,
                        rate_limit_status: status,
                        rate_limited_share: 0.2,
                        group_profile_on_join: join,
                        profile_change: routes,
                        ..roomy()
                    };
                    converges_under(config, live, yaml).await;
                }
            }
        }
    }
}

async fn converges_under(config: docusign_gitops::emulator::Config, live: &str, yaml: &str) {
    let running = start(config, seeded(live, 5)).await;
    let client = client_for(&running, quick_settings());
    let context = context(&running);
    let desired = desired(yaml);
    // Recorded state as after an import: every signing group there is managed.
    let recorded = crate::apply_support::live(&client).await;
    let (rounds, _, converged) = converge(&client, &desired, &context, Some(recorded), 1).await;
    assert!(converged, "not converged in one apply");
    let round = &rounds[0];
    assert!(
        round.outcome.is_complete(),
        "{:#?}",
        round
            .outcome
            .entries
            .iter()
            .filter(|entry| entry.status != docusign_gitops::apply::Status::Done)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn swapping_a_member_of_a_full_signing_group_converges_in_one_apply() {
    let mut live = format!("{ADMIN}signing_groups:\n");
    signing_group(&mut live, "Full", 0..50);
    let mut yaml = format!("{ADMIN_YAML}signing_groups:\n");
    signing_group(&mut yaml, "Full", 1..51);
    converges_in_one_apply(&live, &yaml).await;
}

#[tokio::test]
async fn replacing_one_of_fifty_signing_groups_converges_in_one_apply() {
    let mut live = format!("{ADMIN}signing_groups:\n");
    for n in 0..50 {
        signing_group(&mut live, &format!("Group {n:02}"), n..n + 1);
    }
    let mut yaml = format!("{ADMIN_YAML}signing_groups:\n");
    for n in 1..51 {
        signing_group(&mut yaml, &format!("Group {n:02}"), n..n + 1);
    }
    converges_in_one_apply(&live, &yaml).await;
}
