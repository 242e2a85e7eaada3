//! The apply scenarios that matter, under every value of the emulator's switches for what
//! DocuSign has not confirmed: which call changes a profile, whether joining a group hands
//! over its profile, whether user records carry `groupList`, whether a rate-limit refusal is
//! a 400 or a 429 (a fifth of the calls are refused, in that form), whether a user's answer echoes the profile, whether a bulk answer with
//! failed items is a 400 with codes of other names than ours, whether list pages hold all
//! that `count` asks or at most two items, and whether the account has signing groups. Each stage is plan → apply → plan: the apply must converge in
//! one go (the next plan empty, the account as the YAML says), the emulator must count no
//! user without a profile, after no phase may anyone newly hold a profile that can administer
//! the account unless the YAML gives them one, and at the end nobody holds one the YAML
//! doesn't give them.

use docusign_gitops::apply::{self, Silent};
use docusign_gitops::desired::Desired;
use docusign_gitops::emulator::Config;
use docusign_gitops::emulator::config::{
    ItemErrorCodes, ItemFailureStatus, ProfileChangeRoutes, ProfileRoute, RateLimitStatus,
};
use docusign_gitops::model::{Account, BuiltinProfile, EmailKey, NameKey, UserStatus};
use docusign_gitops::plan;

use crate::apply_support::{
    client_for, context, desired, live, mismatches, quick_settings, roomy, seeded, start, truth,
};
use crate::harness::Cli;

const SEED: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Finance Sender
  - name: Ops Admin
    settings: { allowAccountManagement: \"true\" }
  - name: Old Profile
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Plain
    members: [rita@example.com]
  - name: Sales
    permission_profile: Finance Sender
  - name: Admins Club
    permission_profile: Ops Admin
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: sam@example.com, first_name: Sam, last_name: Send, permission_profile: DocuSign Sender }
  - { email: vic@example.com, first_name: Vic, last_name: View, permission_profile: DocuSign Viewer }
  - { email: pat@example.com, first_name: Pat, last_name: Promo, permission_profile: DocuSign Sender }
  - { email: olga@example.com, first_name: Olga, last_name: Old, permission_profile: Old Profile }
  - { email: rita@example.com, first_name: Rita, last_name: Return, permission_profile: DocuSign Sender }
";

/// The YAML of one stage, with the users who change from stage to stage filled in.
fn stage_yaml(pat: &str, rita: &str, vic_groups: &str) -> String {
    format!(
        "
permission_profiles:
  - name: Finance Sender
  - name: Ops Admin
    settings: {{ allowAccountManagement: \"true\" }}
groups:
  - name: Plain
  - name: Sales
    permission_profile: Finance Sender
  - name: Admins Club
    permission_profile: Ops Admin
users:
  - {{ email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }}
  - {{ email: sam@example.com, first_name: Sam, last_name: Send, permission_profile: Finance Sender }}
  - {{ email: vic@example.com, first_name: Vic, last_name: View, permission_profile: DocuSign Viewer, groups: [{vic_groups}] }}
  - {{ email: olga@example.com, first_name: Olga, last_name: Old, permission_profile: Finance Sender }}
  - {{ email: nina@example.com, first_name: Nina, last_name: New, permission_profile: DocuSign Sender, groups: [Sales] }}
  - {pat}
  - {rita}
"
    )
}

const PAT_PROMOTED: &str = "{ email: pat@example.com, first_name: Pat, last_name: Promo, permission_profile: Ops Admin, groups: [Admins Club] }";
const PAT_DEMOTED: &str = "{ email: pat@example.com, first_name: Pat, last_name: Promo, permission_profile: DocuSign Sender }";
const RITA: &str = "{ email: rita@example.com, first_name: Rita, last_name: Return, permission_profile: DocuSign Sender, groups: [Plain] }";
const RITA_RENAMED: &str = "{ email: rita@example.com, first_name: Rita, last_name: Renamed, permission_profile: DocuSign Sender, groups: [Plain] }";
const RITA_CLOSED: &str = "{ email: rita@example.com, first_name: Rita, last_name: Renamed, permission_profile: DocuSign Sender, groups: [Plain], status: closed }";

/// The stages, in order: what each one exercises, and its YAML.
fn stages() -> Vec<(&'static str, String)> {
    vec![
        (
            "profile changes, a held profile deleted, a promotion with a join to an admin group, \
             a viewer and a new user joining a group that carries a profile",
            stage_yaml(PAT_PROMOTED, RITA, "Sales"),
        ),
        (
            "a demotion out of the admin group, a user renamed",
            stage_yaml(PAT_DEMOTED, RITA_RENAMED, "Sales"),
        ),
        (
            "the renamed user closed",
            stage_yaml(PAT_DEMOTED, RITA_CLOSED, "Sales"),
        ),
        (
            "the closed user returns",
            stage_yaml(PAT_DEMOTED, RITA_RENAMED, "Sales"),
        ),
    ]
}

/// One combination of the emulator's switches.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools)] // the emulator's switches are yes-or-no
struct Switches {
    /// The one call that changes a profile, or every one of them.
    route: Option<ProfileRoute>,
    group_profile_on_join: bool,
    group_list: bool,
    rate_limit_status: RateLimitStatus,
    /// Whether user answers carry the profile.
    echo: bool,
    /// Bulk answers with failed items: 400, with generic codes (else 200 and ours).
    hostile_items: bool,
    /// Whether creating a closed user again reopens it with its ID (else a new user is made).
    reopen_keeps_id: bool,
    /// The most items a list page holds, whatever `count` asks.
    page_cap: Option<usize>,
    /// Whether the account has signing groups (the scenarios declare none).
    signing_groups: bool,
}

impl Switches {
    /// Every combination with this profile route.
    fn every(route: Option<ProfileRoute>) -> Vec<Self> {
        let mut every = Vec::new();
        {
            for group_profile_on_join in [false, true] {
                for group_list in [true, false] {
                    for rate_limit_status in [
                        RateLimitStatus::BadRequest,
                        RateLimitStatus::TooManyRequests,
                    ] {
                        for (echo, hostile_items) in
                            [(true, false), (false, false), (true, true), (false, true)]
                        {
                            for reopen_keeps_id in [true, false] {
                                // Half the combinations, as on a checkerboard: each value of
                                // every other switch meets both pagings without doubling
                                // the matrix.
                                let odd = [
                                    group_profile_on_join,
                                    group_list,
                                    rate_limit_status == RateLimitStatus::TooManyRequests,
                                    echo,
                                    hostile_items,
                                    reopen_keeps_id,
                                ]
                                .into_iter()
                                .filter(|on| *on)
                                .count()
                                    % 2
                                    == 1;
                                // Another checkerboard, on other switches, for accounts
                                // without signing groups.
                                let signing_groups = [group_profile_on_join, echo, reopen_keeps_id]
                                    .into_iter()
                                    .filter(|on| *on)
                                    .count()
                                    % 2
                                    == 0;
                                every.push(Self {
                                    route,
                                    group_profile_on_join,
                                    group_list,
                                    rate_limit_status,
                                    echo,
                                    hostile_items,
                                    reopen_keeps_id,
                                    page_cap: odd.then_some(2),
                                    signing_groups,
                                });
                            }
                        }
                    }
                }
            }
        }
        every
    }

    fn config(self) -> Config {
        Config {
            profile_change: self
                .route
                .map_or_else(ProfileChangeRoutes::all, ProfileChangeRoutes::only),
            group_profile_on_join: self.group_profile_on_join,
            group_list_in_user_records: self.group_list,
            rate_limit_status: self.rate_limit_status,
            profile_in_user_answers: self.echo,
            item_failure_status: if self.hostile_items {
                ItemFailureStatus::BadRequest
            } else {
                ItemFailureStatus::Success
            },
            item_error_codes: if self.hostile_items {
                ItemErrorCodes::Generic
            } else {
                ItemErrorCodes::Emulator
            },
            // Refusals in the switch's form, so the status matters: the client must know each
            // for a rate limit and send the call again.
            rate_limited_share: REFUSED_SHARE,
            reopen_keeps_user_id: self.reopen_keeps_id,
            page_cap: self.page_cap,
            signing_groups_enabled: self.signing_groups,
            ..roomy()
        }
    }
}

/// The share of calls the emulator refuses for the burst limit, as if another integration had
/// spent it.
const REFUSED_SHARE: f64 = 0.2;

/// Whether `profile` lets its holder administer the account, in `account`.
fn administers(account: &Account, profile: &str) -> bool {
    BuiltinProfile::from_name(profile) == Some(BuiltinProfile::AccountAdministrator)
        || account
            .permission_profiles
            .get(&NameKey::new(profile))
            .and_then(|found| found.settings.get("allowAccountManagement"))
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// The users holding a profile that can administer the account, though the YAML (or, for
/// users it doesn't name, the account as it was) gives them none.
fn unwanted_admins(now: &Account, desired: &Desired, before: &Account) -> Vec<String> {
    now.users
        .iter()
        .filter(|(_, user)| user.status != UserStatus::Closed)
        .filter(|(_, user)| administers(now, &user.permission_profile))
        .filter(|(key, _)| {
            let given = desired.state.users.get(*key).map_or_else(
                || {
                    before
                        .users
                        .get(*key)
                        .map(|user| administers(before, &user.permission_profile))
                },
                |user| Some(administers(&desired.state, &user.permission_profile)),
            );
            given != Some(true)
        })
        .map(|(key, user)| format!("{key} holds {}", user.permission_profile))
        .collect()
}

/// Runs every stage on a fresh emulator with `switches`.
async fn stages_under(switches: Switches) {
    let running = start(switches.config(), seeded(SEED, 7)).await;
    let client = client_for(&running, quick_settings());
    let context = context(&running);
    // Everything in the account is managed, so what the YAML leaves out is deleted.
    let mut recorded = live(&client).await;
    let rita_id = truth(&running).users[&EmailKey::new("rita@example.com")]
        .id
        .clone();
    let mut notes = Vec::new();
    for (what, yaml) in stages() {
        let label = format!("{switches:?}, {what}");
        let desired = desired(&yaml);
        let before = live(&client).await;
        let plan = plan::plan(&desired, &before, Some(&recorded), &context)
            .unwrap_or_else(|breach| panic!("{label}: {breach}"));
        assert!(!plan.is_empty(), "{label}: nothing to do");
        let mut wrong_between = Vec::new();
        // Between phases a demotion may not have landed yet (apply sets right what DocuSign
        // ignored once it has read the account back); what must never happen is someone
        // becoming an administrator the YAML doesn't make one.
        let admins_before = unwanted_admins(&before, &desired, &before);
        let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {
            let now = unwanted_admins(&truth(&running), &desired, &before);
            wrong_between.extend(
                now.into_iter()
                    .filter(|found| !admins_before.contains(found)),
            );
        })
        .await;
        assert!(
            outcome.is_complete(),
            "{label}: {:#?}\nnotes: {:#?}",
            outcome
                .entries
                .iter()
                .filter(|entry| entry.status != apply::Status::Done)
                .map(|entry| (&plan.steps[entry.step - 1].operation, &entry.status))
                .collect::<Vec<_>>(),
            outcome.notes
        );
        assert_eq!(
            wrong_between,
            Vec::<String>::new(),
            "{label}: between phases"
        );
        let now = truth(&running);
        assert_eq!(
            unwanted_admins(&now, &desired, &before),
            Vec::<String>::new(),
            "{label}"
        );
        assert_eq!(
            running.shared.stats().invariant_breaches,
            0,
            "{label}: a user lost its profile"
        );
        notes.extend(outcome.notes.iter().cloned());
        recorded = apply::managed_objects(&outcome.account, &desired.state, Some(&recorded));
        let again = plan::plan(&desired, &live(&client).await, Some(&recorded), &context)
            .unwrap_or_else(|breach| panic!("{label}: {breach}"));
        assert!(again.is_empty(), "{label}: left {:#?}", again.steps);
        assert_eq!(mismatches(&now, &desired), Vec::<String>::new(), "{label}");
    }
    assert!(
        running.shared.stats().injected_faults > 0,
        "{switches:?}: no call was refused for the rate limit, so its status went untried"
    );
    // The returning user was reopened with the same ID, or, where DocuSign made a new user,
    // apply said so, recorded the new ID and gave it the group the closed one kept.
    let rita = &truth(&running).users[&EmailKey::new("rita@example.com")];
    assert_ne!(rita.status, UserStatus::Closed, "{switches:?}");
    assert!(rita.groups.contains("Plain"), "{switches:?}: {rita:?}");
    let said_new = notes
        .iter()
        .any(|note| note.contains("DocuSign reopened `rita@example.com` as a new user"));
    if switches.reopen_keeps_id {
        assert_eq!(rita.id, rita_id, "{switches:?}: reopened, not made anew");
        assert!(!said_new, "{switches:?}: {notes:#?}");
    } else {
        assert_ne!(rita.id, rita_id, "{switches:?}: a new user");
        assert!(said_new, "{switches:?}: {notes:#?}");
        assert_eq!(
            recorded.users[&EmailKey::new("rita@example.com")].id,
            rita.id,
            "{switches:?}: the new ID is recorded"
        );
    }
}

/// Every scenario under every combination of the other switches, with `route`.
async fn under_route(route: Option<ProfileRoute>) {
    for switches in Switches::every(route) {
        stages_under(switches).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_converges_in_one_apply_where_every_profile_route_works() {
    under_route(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_converges_in_one_apply_where_only_bulk_put_users_changes_profiles() {
    under_route(Some(ProfileRoute::BulkPutUsers)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_converges_in_one_apply_where_only_put_user_changes_profiles() {
    under_route(Some(ProfileRoute::PutUser)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_converges_in_one_apply_where_only_put_profile_changes_profiles() {
    under_route(Some(ProfileRoute::PutProfile)).await;
}

/// A DocuSign Viewer put in a group whose profile can administer the account: on an account
/// that hands joiners the group's profile, the viewer would be an administrator until apply
/// set their profile back. The plan is refused, whichever way the account behaves.
#[tokio::test]
async fn a_viewer_joining_a_group_whose_profile_administers_the_account_is_refused() {
    let running = start(roomy(), seeded(SEED, 7)).await;
    let client = client_for(&running, quick_settings());
    let context = context(&running);
    let before = live(&client).await;
    let desired = desired(&stage_yaml(PAT_DEMOTED, RITA, "Sales, Admins Club"));
    let refused =
        plan::plan(&desired, &before, Some(&before), &context).expect_err("the join is refused");
    assert!(refused.is_refusal(), "{refused}");
    let said = refused.to_string();
    assert!(
        said.contains("`vic@example.com` joins `Admins Club`, which carries `Ops Admin`")
            && said.contains("Give the group a profile without account management"),
        "{said}"
    );
}

/// Through the CLI: `plan` and `apply` refuse the same join with exit 3, the reason and the
/// fix, and apply changes nothing.
#[test]
fn the_cli_refuses_an_admin_join_with_exit_3_and_changes_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start(roomy(), seeded(SEED, 7)));
    let dir = tempfile::tempdir().expect("temp dir");
    let yaml = format!(
        "account:\n  id: {}\n  environment: demo\n{}",
        running.account_id(),
        stage_yaml(PAT_DEMOTED, RITA, "Sales, Admins Club")
    );
    std::fs::write(dir.path().join("account.yaml"), yaml).expect("write the YAML");
    let before = truth(&running);
    let writes = |running: &docusign_gitops::emulator::Running| {
        crate::apply_support::write_count(&running.shared.stats())
    };
    let writes_before = writes(&running);
    for args in [&["plan"][..], &["apply", "--auto-approve", "--no-commit"]] {
        let run = Cli::emulator(&running).run(dir.path(), args);
        let stderr = &run.stderr;
        assert_eq!(run.code, 3, "{args:?}: {stderr}");
        // miette wraps long lines to the terminal's width.
        let said = stderr
            .split_whitespace()
            .filter(|word| *word != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            said.contains("`vic@example.com` joins `Admins Club`")
                && said.contains("Give the group a profile without account management")
                && !said.contains("bug"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(writes(&running), writes_before, "nothing was sent");
    assert_eq!(truth(&running), before);
}
