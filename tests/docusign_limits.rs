//! DocuSign's rate limits end to end: the client's pacer under real burst-cap pressure, rate-limit
//! refusals of write calls (400 and 429) waited out or failed fast, and the hourly budget: a plan
//! that can't fit is refused before its first write, and one that runs out part-way leaves a
//! journal and state that say exactly what was done.
//!
//! The library tests run on paused tokio time that the client and the emulator share (the
//! emulator's limiter reads the runtime's clock, from 09:20 UTC): a 30-second burst window or an
//! hour passes in no real time, and every window is the emulator's own, not a sleep in the test.
//! Their HTTP clients keep no idle-connection timer, so the clock moves only when the client or
//! its pacer waits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use docusign_gitops::apply::{self, Silent, Status};
use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::{Client, ClientSettings, Secret};
use docusign_gitops::emulator::config::{Clock, RateLimitStatus};
use docusign_gitops::emulator::{Config, Running};
use docusign_gitops::plan::Plan;
use tokio::time::Instant;

use crate::apply_cli::Says as _;
use crate::apply_support::{
    TOKEN, context, desired, duplicate_emails, emulated, live, mismatches, plan_for, seeded, start,
    truth, writes,
};

/// 10:00:00 UTC on the day [`Clock::MID_HOUR`] starts: when its hourly window resets.
const TOP_OF_THE_HOUR: u64 = 1_767_607_200;

const LIVE: &str = "
integration_user: admin@example.com
permission_profiles:
  - name: Reviewer
    settings: { allowBulkSending: \"false\" }
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Plain
    members: [lee@example.com]
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: kim@example.com, first_name: Kim, last_name: Keep }
  - { email: lee@example.com, first_name: Lee, last_name: Member }
  - { email: cal@example.com, first_name: Cal, last_name: Closing }
";

/// The desired account: LIVE as it stands, with `reviewer_bulk` for the Reviewer profile's
/// `allowBulkSending`, and `users` as the users section.
fn desired_yaml(reviewer_bulk: bool, extra_profiles: usize, users: &str) -> String {
    let mut yaml = format!(
        "defaults:
  permission_profile: DocuSign Sender
permission_profiles:
  - name: Reviewer
    settings: {{ allowBulkSending: {reviewer_bulk} }}
"
    );
    for n in 1..=extra_profiles {
        let _ = writeln!(yaml, "  - name: Extra {n:02}");
    }
    yaml.push_str("groups:\n  - name: Plain\nusers:\n");
    yaml.push_str(users);
    yaml
}

const ADA: &str = "  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }\n";
const KIM: &str = "  - { email: kim@example.com, first_name: Kim, last_name: Keep }\n";
const KIM_JOINS: &str =
    "  - { email: kim@example.com, first_name: Kim, last_name: Keep, groups: [Plain] }\n";
const LEE: &str =
    "  - { email: lee@example.com, first_name: Lee, last_name: Member, groups: [Plain] }\n";
const LEE_LEAVES: &str = "  - { email: lee@example.com, first_name: Lee, last_name: Member }\n";
const CAL: &str = "  - { email: cal@example.com, first_name: Cal, last_name: Closing }\n";
const CAL_CLOSED: &str =
    "  - { email: cal@example.com, first_name: Cal, last_name: Closing, status: closed }\n";
const NIA: &str = "  - { email: nia@example.com, first_name: Nia, last_name: New }\n";

fn users(lines: &[&str]) -> String {
    lines.concat()
}

/// A client with the shipped settings (`settings`), whose HTTP client keeps no idle-connection
/// timer: under paused time a pending timer would move the clock while a call is on its way.
fn client(running: &Running, settings: ClientSettings) -> Arc<Client> {
    let http = quiet_http();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!(
        "{}/restapi/v2.1/accounts/{}",
        running.url,
        running.account_id()
    );
    Arc::new(Client::new(http, &api_base, auth, settings))
}

fn quiet_http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("an HTTP client")
}

/// Another integration on the account: reads until DocuSign's `header` (a `*-Remaining`
/// counter) is down to `leave`. Answers how many calls it made.
async fn other_integration_uses(running: &Running, header: &str, leave: u64) -> u64 {
    let http = quiet_http();
    let url = format!(
        "{}/restapi/v2.1/accounts/{}/users?count=1",
        running.url,
        running.account_id()
    );
    for calls in 1.. {
        let answer = http
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("the emulator answers");
        assert!(answer.status().is_success(), "{:?}", answer.status());
        let left: u64 = answer
            .headers()
            .get(header)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {header}"));
        if left <= leave {
            return calls;
        }
    }
    unreachable!("the counter reaches zero")
}

// ---------------------------------------------------------------------------------------------
// The pacer under pressure
// ---------------------------------------------------------------------------------------------

/// A burst cap of 20 and a job of 28 calls (4 reads, 24 profile creates sent at once): more
/// than the cap fits in 30 s. The client learns the cap from the first answer, keeps 20% for
/// others, and paces the rest into the next window: DocuSign never refuses a call, nothing is
/// retried, and the job is done. Switched off, the pacer lets all 28 go at once and the
/// emulator refuses the ones past the cap.
#[tokio::test(start_paused = true)]
async fn a_job_needing_more_calls_than_the_burst_cap_is_paced_under_it() {
    const CAP: u32 = 20;
    let config = Config {
        burst_limit: CAP,
        hourly_limit: 10_000,
        clock: Clock::MID_HOUR,
        ..Config::default()
    };
    let running = start(config, seeded(LIVE, 3)).await;
    let client = client(&running, ClientSettings::default());
    let desired = desired(&desired_yaml(false, 24, &users(&[ADA, KIM, LEE, CAL])));
    let started = Instant::now();

    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context(&running));
    assert_eq!(plan.steps.len(), 24);
    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {}).await;

    let stats = running.shared.stats();
    assert!(
        stats.total_calls > u64::from(CAP),
        "the job needs more calls than the cap: {}",
        stats.total_calls
    );
    assert_eq!(
        stats.rate_limit_rejections, 0,
        "DocuSign refused paced calls"
    );
    assert_eq!(client.calls(), stats.total_calls, "a call was sent twice");
    assert!(outcome.is_complete(), "{:?}", outcome.entries);
    assert_eq!(mismatches(&truth(&running), &desired), Vec::<String>::new());
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "the job was not paced: it took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Rate-limit refusals of writes
// ---------------------------------------------------------------------------------------------

/// One write call, alone in its phase, so the refusal meets it and nothing else.
struct Write {
    /// `METHOD /path` as the emulator's statistics name it.
    call: &'static str,
    desired: fn() -> String,
}

fn write_calls() -> Vec<Write> {
    vec![
        Write {
            call: "POST /users",
            desired: || desired_yaml(false, 0, &users(&[ADA, KIM, LEE, CAL, NIA])),
        },
        Write {
            call: "PUT /groups/{groupId}/users",
            desired: || desired_yaml(false, 0, &users(&[ADA, KIM_JOINS, LEE, CAL])),
        },
        Write {
            call: "DELETE /groups/{groupId}/users",
            desired: || desired_yaml(false, 0, &users(&[ADA, KIM, LEE_LEAVES, CAL])),
        },
        Write {
            call: "PUT /permission_profiles/{permissionProfileId}",
            desired: || desired_yaml(true, 0, &users(&[ADA, KIM, LEE, CAL])),
        },
        Write {
            call: "DELETE /users",
            desired: || desired_yaml(false, 0, &users(&[ADA, KIM, LEE, CAL_CLOSED])),
        },
    ]
}

const STATUSES: [RateLimitStatus; 2] = [
    RateLimitStatus::BadRequest,
    RateLimitStatus::TooManyRequests,
];

/// Which limit the other integration uses up just before the write.
#[derive(Clone, Copy, Debug)]
enum Spent {
    /// The burst window: refused with `BURST_APIINVOCATION_LIMIT_EXCEEDED`.
    Burst,
    /// The hour's budget, with the reset a minute away (`clock` starts at 09:59).
    HourNearReset,
    /// The hour's budget, with the reset 40 minutes away: past `max_hourly_wait`.
    HourFarFromReset,
}

/// What one refused write came to.
struct Refused {
    plan: Plan,
    outcome: apply::Outcome,
    /// Write calls per `METHOD /path`, refused ones included.
    writes: BTreeMap<String, u64>,
    rejections: u64,
    /// Paused time from the first write to the end of the apply.
    took: Duration,
    before: docusign_gitops::model::Account,
    after: docusign_gitops::model::Account,
    desired: docusign_gitops::desired::Desired,
    running: Running,
}

/// Reads, plans, lets another integration use up `spent`, then applies the one write.
async fn refused_write(write: &Write, status: RateLimitStatus, spent: Spent) -> Refused {
    let (burst_limit, hourly_limit, clock) = match spent {
        Spent::Burst => (12, 10_000, Clock::MID_HOUR),
        Spent::HourNearReset => (
            10_000,
            40,
            Clock::StartingAt {
                epoch: TOP_OF_THE_HOUR - 60,
            },
        ),
        Spent::HourFarFromReset => (10_000, 40, Clock::MID_HOUR),
    };
    let config = Config {
        burst_limit,
        hourly_limit,
        rate_limit_status: status,
        clock,
        ..Config::default()
    };
    let running = start(config, seeded(LIVE, 3)).await;
    let client = client(&running, ClientSettings::default());
    let desired = desired(&(write.desired)());
    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context(&running));
    assert_eq!(plan.steps.len(), 1, "{}: {:#?}", write.call, plan.steps);
    let header = match spent {
        Spent::Burst => "x-burstlimit-remaining",
        Spent::HourNearReset | Spent::HourFarFromReset => "x-ratelimit-remaining",
    };
    other_integration_uses(&running, header, 0).await;
    let reads = running.shared.stats();

    let started = Instant::now();
    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {}).await;
    let took = started.elapsed();
    let after_apply = running.shared.stats();
    Refused {
        plan,
        outcome,
        writes: writes(&after_apply),
        rejections: after_apply.rate_limit_rejections - reads.rate_limit_rejections,
        took,
        before,
        after: truth(&running),
        desired,
        running,
    }
}

/// The write was refused once, waited out, sent again and done: once, with no duplicate.
fn assert_done_once(write: &Write, refused: &Refused, context: &str) {
    assert!(
        refused.outcome.is_complete(),
        "{context}: {:?}",
        refused.outcome.entries
    );
    assert_eq!(
        refused.writes,
        BTreeMap::from([(write.call.to_owned(), 2)]),
        "{context}: refused once, then done"
    );
    assert_eq!(refused.rejections, 1, "{context}: the retry came too early");
    assert_eq!(
        mismatches(&refused.after, &refused.desired),
        Vec::<String>::new(),
        "{context}"
    );
    assert_eq!(
        duplicate_emails(&emulated(&refused.running)),
        Vec::<String>::new(),
        "{context}"
    );
}

/// Another integration fills the burst window; the write is refused (400 or 429), the client
/// waits the window out (30 s, by the clock the emulator keeps), and the retry is done once.
#[tokio::test(start_paused = true)]
async fn a_write_refused_at_the_burst_cap_waits_for_the_window_and_is_done_once() {
    for write in &write_calls() {
        for status in STATUSES {
            let context = format!("{} refused with {status:?}", write.call);
            let refused = refused_write(write, status, Spent::Burst).await;
            assert_done_once(write, &refused, &context);
            assert!(
                refused.took >= Duration::from_secs(30),
                "{context}: retried after {:?}",
                refused.took
            );
        }
    }
}

/// Another integration uses up the hour a minute before it ends; the write is refused (400 or
/// 429), the client waits for the reset, and the retry (in the new hour) is done once.
#[tokio::test(start_paused = true)]
async fn a_write_refused_for_the_hour_near_its_end_waits_for_the_reset_and_is_done_once() {
    for write in &write_calls() {
        for status in STATUSES {
            let context = format!("{} refused with {status:?}", write.call);
            let refused = refused_write(write, status, Spent::HourNearReset).await;
            assert_done_once(write, &refused, &context);
            assert!(
                refused.took <= Duration::from_secs(61),
                "{context}: the client waited {:?} for a reset a minute away",
                refused.took
            );
        }
    }
}

/// Another integration uses up the hour 40 minutes before it ends, longer than the client
/// waits: the write is refused once, not retried, reported as a failure that says when the
/// budget comes back, and the account is as it was.
#[tokio::test(start_paused = true)]
async fn a_write_refused_for_the_hour_far_from_its_end_fails_fast_and_changes_nothing() {
    for write in &write_calls() {
        for status in STATUSES {
            let context = format!("{} refused with {status:?}", write.call);
            let refused = refused_write(write, status, Spent::HourFarFromReset).await;
            assert_eq!(
                refused.writes,
                BTreeMap::from([(write.call.to_owned(), 1)]),
                "{context}: refused once, never sent again"
            );
            assert_eq!(refused.rejections, 1, "{context}");
            match &refused.outcome.entries[0].status {
                Status::Failed { message, .. } => assert!(
                    message.contains("hourly DocuSign API budget is spent")
                        && message.contains("resets in 2400 s"),
                    "{context}: {message}"
                ),
                other => panic!("{context}: {other:?}"),
            }
            assert_eq!(
                refused.after, refused.before,
                "{context}: the account changed"
            );
            assert!(
                refused.took < Duration::from_secs(1),
                "{context}: waited {:?} instead of failing fast",
                refused.took
            );
            assert_eq!(refused.plan.steps.len(), 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The hourly budget runs out mid-apply
// ---------------------------------------------------------------------------------------------

/// Another integration's calls, counted by the emulator's limiter as DocuSign counts them,
/// until `leave` calls are left this hour. Synchronous, so it can run between two phases.
fn other_integration_spends_the_hour(running: &Running, leave: u32) {
    let shared = &running.shared;
    let account_id = running.account_id();
    loop {
        let mut slot = shared.slot(&account_id).expect("the account");
        let (_, budget) = slot.limiter.admit(shared.now());
        if budget.hourly_remaining <= leave {
            return;
        }
    }
}

/// The apply fits the hour's budget when it starts; after its first phase (three profiles)
/// other integrations use up the rest of the hour. The group's create is refused, the user's
/// is never sent (the budget is known to be spent), the journal says so step by step, what the
/// state would record is exactly what the emulator holds, and the next plan (after the reset)
/// holds only the two steps not done.
#[tokio::test(start_paused = true)]
async fn a_budget_spent_mid_apply_leaves_a_journal_and_state_of_exactly_what_was_done() {
    let config = Config {
        hourly_limit: 100,
        burst_limit: 10_000,
        clock: Clock::MID_HOUR,
        ..Config::default()
    };
    let running = start(config, seeded(LIVE, 3)).await;
    let client = client(&running, ClientSettings::default());
    let yaml = desired_yaml(false, 3, &users(&[ADA, KIM, LEE, CAL, NIA])).replace(
        "groups:\n  - name: Plain\n",
        "groups:\n  - name: Plain\n  - name: Team\n",
    );
    let desired = desired(&yaml);
    let context = context(&running);
    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context);
    let kinds: Vec<String> = plan
        .steps
        .iter()
        .map(|step| docusign_gitops::plan::kind(&step.operation))
        .collect();
    assert_eq!(
        kinds,
        [
            "create_profile",
            "create_profile",
            "create_profile",
            "create_group",
            "create_user"
        ]
    );
    let room = client.hourly_room().expect("the budget was reported");
    assert!(
        room.ours() >= plan.api_calls,
        "{room:?}, {}",
        plan.api_calls
    );
    apply::budget::check(plan.api_calls, Some(room)).expect("the plan fits when it starts");

    let mut phases = 0;
    let mut checkpoints = Vec::new();
    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |account| {
        checkpoints.push(account.clone());
        phases += 1;
        if phases == 1 {
            other_integration_spends_the_hour(&running, 0);
        }
    })
    .await;

    let statuses: Vec<&Status> = outcome.entries.iter().map(|entry| &entry.status).collect();
    assert_eq!(statuses[..3], [&Status::Done, &Status::Done, &Status::Done]);
    for (index, status) in statuses.iter().enumerate().skip(3) {
        match status {
            Status::Failed { message, .. } => assert!(
                message.contains("hourly DocuSign API budget is spent")
                    && message.contains("resets in 2400 s"),
                "step {}: {message}",
                index + 1
            ),
            other => panic!("step {}: {other:?}", index + 1),
        }
    }
    let stats = running.shared.stats();
    let writes = writes(&stats);
    assert_eq!(
        writes,
        BTreeMap::from([
            ("POST /permission_profiles".to_owned(), 3),
            ("POST /groups".to_owned(), 1),
        ]),
        "the group's create was refused; the user's never sent"
    );
    assert_eq!(stats.rate_limit_rejections, 1);

    // What the state records is what the emulator holds: the profiles (with their IDs), and
    // neither the group nor the user.
    let after = truth(&running);
    let recorded = apply::managed_objects(&outcome.account, &desired.state, None);
    let held = apply::managed_objects(&after, &desired.state, None);
    assert_eq!(ids(&recorded), ids(&held));
    assert_eq!(
        checkpoints.last().map(ids),
        Some(ids(&outcome.account)),
        "the last checkpoint is the outcome"
    );
    assert_eq!(ids(&checkpoints[0]), ids(&outcome.account));

    // The clear error the CLI prints, from the budget as the client last saw it.
    let room = client.hourly_room().expect("reported");
    assert_eq!(room.ours(), 0);
    assert_eq!(
        apply::budget::ran_out(outcome.done(), plan.steps.len(), room),
        "the account's hourly API budget ran out during apply (other integrations share it): \
         3 of 5 changes were made and are recorded, the rest were not; the budget resets at \
         10:00 UTC (in 40 min), so apply again then"
    );

    // After the reset the next plan holds exactly what was not done.
    tokio::time::advance(Duration::from_secs(41 * 60)).await;
    let now = live(&client).await;
    let next = plan_for(&desired, &now, Some(&recorded), &context);
    let left: Vec<_> = next.steps.iter().map(|step| &step.operation).collect();
    let not_done: Vec<_> = plan.steps[3..].iter().map(|step| &step.operation).collect();
    assert_eq!(left, not_done);
    let outcome = apply::execute(&next, &now, &client, &Silent, &mut |_| {}).await;
    assert!(outcome.is_complete(), "{:?}", outcome.entries);
    assert_eq!(mismatches(&truth(&running), &desired), Vec::<String>::new());
}

/// 40 calls an hour, 8 kept for others; reading takes some, and a plan of 30 profile creates
/// (one call each, sent together) needs more than the rest. Called straight (no preflight),
/// apply uses our share to the last call and not one past it, though the creates go out
/// before any answer says how many are left: the reserve is never touched, and the creates
/// that don't fit fail at once, unsent, saying when the budget comes back.
#[tokio::test(start_paused = true)]
async fn calls_sent_together_never_eat_into_the_hourly_reserve() {
    let config = Config {
        hourly_limit: 40,
        burst_limit: 10_000,
        clock: Clock::MID_HOUR,
        ..Config::default()
    };
    let running = start(config, seeded(LIVE, 3)).await;
    let client = client(&running, ClientSettings::default());
    let desired = desired(&desired_yaml(false, 30, &users(&[ADA, KIM, LEE, CAL])));
    let before = live(&client).await;
    let plan = plan_for(&desired, &before, None, &context(&running));
    assert_eq!(plan.api_calls, 30);
    let reads = running.shared.stats().total_calls;
    let ours = 40 - 8 - reads;
    assert!(ours < 30, "the plan must not fit: {ours} calls are ours");

    let outcome = apply::execute(&plan, &before, &client, &Silent, &mut |_| {}).await;
    let stats = running.shared.stats();
    assert_eq!(
        stats.total_calls,
        40 - 8,
        "the reserve was touched, or ours unused"
    );
    assert_eq!(stats.rate_limit_rejections, 0);
    assert_eq!(
        u64::try_from(outcome.done()).expect("small"),
        ours,
        "{:?}",
        outcome.entries
    );
    for entry in &outcome.entries {
        if let Status::Failed { message, .. } = &entry.status {
            assert!(
                message.contains("hourly DocuSign API budget is spent")
                    && message.contains("resets in 2400 s"),
                "step {}: {message}",
                entry.step
            );
        }
    }
    assert_eq!(outcome.failed() + outcome.done(), 30);
}

/// Every object's kind, name and ID: what the state must agree on with the account.
fn ids(account: &docusign_gitops::model::Account) -> BTreeSet<(String, String, Option<String>)> {
    let profiles = account
        .permission_profiles
        .values()
        .map(|profile| ("profile", &profile.name, &profile.id));
    let groups = account
        .groups
        .values()
        .map(|group| ("group", &group.name, &group.id));
    let users = account
        .users
        .values()
        .map(|user| ("user", &user.email, &user.id));
    profiles
        .chain(groups)
        .chain(users)
        .map(|(kind, name, id)| (kind.to_owned(), name.clone(), id.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A plan too big for the hour, refused before its first write (the binary)
// ---------------------------------------------------------------------------------------------

/// The emulator allows 40 calls this hour (8 kept for others); reading the account takes some
/// (and reading it back after the apply as many), and the YAML adds 30 profiles, a call each. Apply refuses before its first write, in one
/// sentence with the numbers and the reset, and changes nothing: no write, no state file.
#[test]
fn a_plan_past_the_hourly_budget_is_refused_before_its_first_write() {
    let hosted = crate::served::Served::of_seed(
        Config {
            hourly_limit: 40,
            burst_limit: 10_000,
            clock: Clock::MID_HOUR,
            ..Config::default()
        },
        LIVE,
    );
    let too_big = desired_yaml(false, 30, &users(&[ADA, KIM, LEE, CAL]));
    let dir = crate::apply_cli::repo_with(&[("account.yaml", too_big.as_str())]);
    let run = hosted.cli().run(dir.path(), &["apply", "--auto-approve"]);
    let stats = hosted.stats();
    let remaining = 40 - stats.total_calls;
    // Every call so far read the account; reading it back after the apply costs as much.
    let read_back = stats.total_calls;
    run.exits(1);
    run.stderr_says(&[
        "docusign::hourly_budget",
        &format!(
            "the plan needs about {} API calls (reading the account back included) and the account's hourly budget has {} left for it ({remaining} left, 8 of them kept for other integrations), which resets at 10:00 UTC",
            30 + read_back,
            remaining - 8
        ),
        "nothing was applied",
    ]);
    assert_eq!(
        crate::apply_support::write_count(&stats),
        0,
        "{:?}",
        stats.calls
    );
    assert!(!crate::apply_cli::state_path(dir.path()).exists());

    // With the same budget, a plan that fits goes through.
    let fits = desired_yaml(false, 2, &users(&[ADA, KIM, LEE, CAL]));
    let small = crate::apply_cli::repo_with(&[("account.yaml", fits.as_str())]);
    hosted
        .cli()
        .run(small.path(), &["apply", "--auto-approve"])
        .exits(0);
    assert_eq!(crate::apply_support::write_count(&hosted.stats()), 2);
}
