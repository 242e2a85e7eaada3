//! The scale benchmark's correctness checks, on its small account, so that `cargo test` holds
//! them and not only a benchmark run: every snapshot equals the emulated account and every
//! apply leaves it as the YAML says; and the calls the client counts, the plan's estimate and
//! the calls the emulator serves are each exactly the minimum DocuSign's documented limits
//! allow, worked out from the work's own shape (`benches/common/calls.rs`), not taken from
//! the tool's batching. No timing here: `cargo bench --bench scale` measures that.
//!
//! Likewise the workspace benchmark's (`benches/workspace.rs`) on three accounts of 30 users:
//! each account alone makes exactly its minimum, and the whole workspace exactly their sum.
//!
//! Likewise the sync benchmark's (`benches/sync.rs`) on 200 people: the CSV export and the
//! LDAP directory of its company give the same users, all in scope, leavers closed.
//!
//! Likewise the seats benchmark's (`benches/seats.rs`) on 300 users: `seats` makes exactly the
//! minimum calls under both readings of `lastLogin`, with and without the cap biting, and calls
//! idle exactly the account's idle users.

// The benchmarks' shared code, compiled here too; each user of it takes a part.
#[allow(dead_code)]
#[path = "../benches/common/mod.rs"]
mod common;

use docusign_gitops::apply::{self, Silent};
use docusign_gitops::docusign::ClientSettings;
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::emulator::Config;

use docusign_gitops::sync::ldap::{DEFAULT_BIND_DN_ENV, DEFAULT_PASSWORD_ENV};

use common::calls::Tally;
use common::directory::{
    self, CSV_PATH, Company, GENERATED_FILE, csv_source, ldap_source, objects_yaml, sources_yaml,
};
use common::emulated::{self, Built, Memberships, Shape};
use common::scenarios::{self, SMALL_SCENARIOS, SMALL_SHAPE, Scenario, served};
use common::seats::{self as seats_bench, Folder, Reading, SeatsAccount};
use common::workspace::{Run, Workspace};

use crate::harness::{Cli, Fixture};
use crate::slapd::{GROUPS, PEOPLE, READER_DN, READER_PASSWORD, Slapd};

fn settings() -> ClientSettings {
    ClientSettings {
        assumed_burst_limit: u64::from(Config::default().burst_limit),
        ..ClientSettings::default()
    }
}

fn held_to_minimum(tally: &Tally, label: &str) {
    if let Some(wrong) = tally.disagreement() {
        panic!("{label}: {wrong}");
    }
}

/// Reads the small account served with `memberships`: it must equal the emulated account, in
/// the minimum calls.
async fn read(built: &Built, memberships: Memberships) {
    let label = format!("snapshot, {}", memberships.title());
    let running =
        emulated::start(memberships.config(Config::default()), built.account.clone()).await;
    let client = emulated::client_for(&running, settings());
    let live = snapshot(&client).await.expect("a snapshot");
    emulated::check(&live, built, memberships, &label);
    let tally = Tally {
        minimum: built.minimum(memberships),
        estimate: None,
        client: live.calls,
        served: served(&running).total,
        read_back: None,
    };
    held_to_minimum(&tally, &label);
}

#[tokio::test]
async fn a_snapshot_with_group_list_equals_the_account_in_the_minimum_calls() {
    read(&emulated::build(SMALL_SHAPE), Memberships::InUserRecords).await;
}

#[tokio::test]
async fn a_snapshot_without_group_list_reads_member_lists_in_the_minimum_calls() {
    read(&emulated::build(SMALL_SHAPE), Memberships::InMemberLists).await;
}

/// Plans and applies `scenario` to the small account, with the client that read it (as
/// `apply` does), and holds the result and its calls to the benchmark's checks.
async fn apply_scenario(scenario: Scenario) {
    let label = format!("apply: {}", scenario.title());
    let built = emulated::build(SMALL_SHAPE);
    let running = emulated::start(Config::default(), built.account.clone()).await;
    let client = emulated::client_for(&running, settings());
    let prepared = scenarios::prepare(&client, &built, scenario, &label).await;
    let before = served(&running);
    let outcome = apply::execute(
        &prepared.plan,
        &prepared.live.account,
        &client,
        &Silent,
        &mut |_| {},
    )
    .await;
    let after = served(&running);
    let tally = scenarios::verify(
        &running,
        &settings(),
        &prepared,
        &outcome,
        (before, after),
        &label,
    )
    .await;
    held_to_minimum(&tally, &label);
}

#[tokio::test]
async fn onboarding_takes_the_minimum_calls_and_lands() {
    apply_scenario(SMALL_SCENARIOS[0]).await;
}

#[tokio::test]
async fn offboarding_takes_the_minimum_calls_and_lands() {
    apply_scenario(SMALL_SCENARIOS[1]).await;
}

#[tokio::test]
async fn a_reorganisation_takes_the_minimum_calls_and_lands() {
    apply_scenario(SMALL_SCENARIOS[2]).await;
}

/// The small scenarios must keep crossing the boundaries the minimum turns on, or a broken
/// batch size could hide in them.
#[test]
fn the_small_scenarios_cross_the_batch_boundaries() {
    let live = emulated::expected(&emulated::build(SMALL_SHAPE).account);
    let base = scenarios::desired_from(&live);
    let minimums: Vec<u64> = SMALL_SCENARIOS
        .iter()
        .map(|scenario| {
            scenario
                .change(&base, &live, SMALL_SHAPE.departments)
                .minimum
                .calls
        })
        .collect();
    // Two create calls (1,000 users, 500 a call), one full close call (500 users), a PUT and a
    // DELETE for each of the 20 departments.
    assert_eq!(minimums, [2, 1, 2 * 20]);
}

/// The workspace benchmark's call checks on three accounts of 30 users, each with a change of
/// its own, the release binary replaced by the test build's: for plan and apply, each account
/// alone (`--account NAME`) makes exactly its minimum, and the whole workspace exactly the sum
/// of the accounts alone, which is the sum of their minimums. Every run is also checked by
/// `Workspace::measure`: its exit code, no call refused, and after an apply nothing left to
/// plan.
#[test]
fn a_whole_workspace_makes_the_calls_of_its_accounts_alone() {
    let change = |hires: usize, movers: usize| {
        [
            Scenario::Onboard {
                users: hires,
                groups: 3,
            },
            Scenario::Reorganise { users: movers },
        ]
    };
    let (production, emea, sandbox) = (change(4, 4), change(2, 3), change(1, 1));
    let workspace = Workspace::build(
        Shape {
            users: 30,
            groups: 10,
            departments: 3,
        },
        &[
            ("production", &production),
            ("emea", &emea),
            ("sandbox", &sandbox),
        ],
    );
    for run in Run::ALL {
        let mut alone = 0;
        let mut minimums = 0;
        for member in &workspace.members {
            let minimum = match run {
                Run::Plan => member.plan_minimum(),
                Run::Apply => member.apply_minimum(),
            };
            let calls = workspace
                .measure(&Config::default(), run, Some(&member.name))
                .calls;
            assert_eq!(
                calls,
                minimum.calls,
                "{} --account {}: the minimum is {}",
                run.name(),
                member.name,
                minimum.arithmetic
            );
            alone += calls;
            minimums += minimum.calls;
        }
        let whole = workspace.measure(&Config::default(), run, None).calls;
        assert_eq!(
            (whole, alone),
            (minimums, minimums),
            "{} on the whole workspace: its calls and the accounts' alone, against the sum of \
             the minimums",
            run.name()
        );
    }
}

/// The sync benchmark's company at 200 people, in a directory server whose size limit (50)
/// makes the source page (`benches/sync.rs` runs 50,000): the CSV export and the directory
/// write the same users file, byte for byte, with everyone in scope and every leaver closed,
/// and both validate.
#[test]
fn the_sync_benchmark_s_csv_and_directory_give_the_same_users() {
    const PEOPLE_HERE: usize = 200;
    const SIZE_LIMIT: u32 = 50;
    let company = Company {
        people: PEOPLE_HERE,
    };
    let csv = Fixture::new()
        .file("sources.yaml", &sources_yaml(&csv_source()))
        .file("objects.yaml", &objects_yaml())
        .file(CSV_PATH, &company.csv());
    let server = Slapd::start(&company.ldif(PEOPLE, GROUPS), SIZE_LIMIT);
    let ldap = Fixture::new()
        .file(
            "sources.yaml",
            &sources_yaml(&ldap_source(&server.url, PEOPLE, GROUPS, SIZE_LIMIT / 2)),
        )
        .file("objects.yaml", &objects_yaml())
        .with(
            Cli::new()
                .env(DEFAULT_BIND_DN_ENV, READER_DN)
                .env(DEFAULT_PASSWORD_ENV, READER_PASSWORD),
        );
    let mut written = Vec::new();
    for fixture in [&csv, &ldap] {
        fixture
            .run(&["sync"])
            .exits(0)
            .stdout_has(&format!("wrote {GENERATED_FILE}"));
        fixture.run(&["validate"]).exits(0);
        written
            .push(std::fs::read_to_string(fixture.path().join(GENERATED_FILE)).expect("written"));
    }
    assert_eq!(
        written[0], written[1],
        "the CSV and the directory give different users files"
    );
    assert_eq!(
        directory::users_and_closed(&written[0]),
        (company.expected_users(), company.expected_closed())
    );
    // The counts are not trivially zero or everyone: contractors are left out, leavers closed.
    assert!(company.expected_users() < PEOPLE_HERE && company.expected_closed() > 0);
}

/// The seats benchmark's call checks on 300 users, the release binary replaced by the test
/// build's, with no latency: under each reading of `lastLogin`, with an `--envelope-checks`
/// that covers every user and one the dates' idle users exceed, `seats` makes exactly the
/// minimum (⌈300/100⌉ user pages + 1 account call + one envelope list per user the dates leave
/// idle, at most the cap), split so, counted so in its report, and reports as idle the
/// account's idle users (with the cap: only idle users, everyone beyond it not judged).
#[test]
fn seats_makes_the_minimum_calls_and_finds_the_idle_users() {
    const USERS: usize = 300;
    const CAP: usize = 100;
    let built = SeatsAccount::build(USERS);
    let folder = Folder::new();
    let runtime = seats_bench::emulator_runtime();
    // The cases must cross the boundaries the minimum turns on: the cap bites under one
    // reading and not the other, and there are idle users to find.
    let asked = |reading| built.idle_by_dates(reading).len();
    assert!(asked(Reading::Never) > CAP && asked(Reading::Reported) < CAP);
    assert!(!built.idle(Reading::Never).is_empty());
    for reading in Reading::ALL {
        for cap in [USERS, CAP] {
            let minimum = built.minimum(reading, cap);
            let run = seats_bench::run(
                &runtime,
                &reading.config(Config::default()),
                &built.account,
                &folder,
                cap,
            );
            let wrong = seats_bench::check(&run, &built, reading, &minimum);
            assert!(
                wrong.is_empty(),
                "{}, --envelope-checks {cap}: {wrong:#?}",
                reading.title()
            );
        }
    }
}
