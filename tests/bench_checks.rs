//! The scale benchmark's correctness checks, on its small account, so that `cargo test` holds
//! them and not only a benchmark run: every snapshot equals the emulated account and every
//! apply leaves it as the YAML says; and the calls the client counts, the plan's estimate and
//! the calls the emulator serves are each exactly the minimum DocuSign's documented limits
//! allow, worked out from the work's own shape (`benches/common/calls.rs`), not taken from
//! the tool's batching. No timing here: `cargo bench --bench scale` measures that.

// The benchmarks' shared code, compiled here too; each user of it takes a part.
#[allow(dead_code)]
#[path = "../benches/common/mod.rs"]
mod common;

use docusign_gitops::apply::{self, Silent};
use docusign_gitops::docusign::ClientSettings;
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::emulator::Config;

use common::calls::Tally;
use common::emulated::{self, Built, Memberships};
use common::scenarios::{self, SMALL_SCENARIOS, SMALL_SHAPE, Scenario, served};

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
