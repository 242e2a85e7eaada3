//! The live snapshot: it equals what the emulator holds, costs the minimum number of calls,
//! and rides out faults without tripping the burst cap when it needs more calls than the cap.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::snapshot::snapshot;
use docusign_gitops::docusign::{Client, ClientSettings, Secret};
use docusign_gitops::emulator::account::{
    Account as EmulatedAccount, GroupKind, SigningGroup as EmulatedSigningGroup,
    SigningGroupMember as EmulatedMember, UserStatus as EmulatedStatus,
};
use docusign_gitops::emulator::config::{Clock, RateLimitStatus};
use docusign_gitops::emulator::{Config, Running};

use crate::emulator_support::{ACCOUNT_ID, TOKEN, account_with, live_model, start};

/// Settings for tests: the same logic with waits short enough for a test.
fn quick_settings() -> ClientSettings {
    ClientSettings {
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        burst_wait: Duration::from_millis(20),
        max_attempts: 12,
        ..ClientSettings::default()
    }
}

/// A client for the emulator's account. Its HTTP client keeps no idle-connection timer: under
/// paused time a pending timer would move the clock while a call is on its way.
fn client_for(running: &Running, settings: ClientSettings) -> Arc<Client> {
    let http = reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .expect("an HTTP client");
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(TOKEN)),
    ));
    let api_base = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url);
    Arc::new(Client::new(http, &api_base, auth, settings))
}

/// An account with `users` users (one in ten closed, one in ten pending), `groups` custom
/// groups (every third carrying a profile) with members, a custom profile, and signing groups.
fn rich_account(users: usize, groups: usize, signing_groups: usize) -> EmulatedAccount {
    let mut account = account_with(users);
    let stamp = "2026-01-05T09:00:00.0000000Z";
    let profile_id = account.take_id();
    let mut settings = docusign_gitops::emulator::account::new_profile_settings();
    settings.insert("allowBulkSending".to_owned(), "false".to_owned());
    account.profiles.insert(
        profile_id,
        docusign_gitops::emulator::account::Profile {
            id: profile_id,
            name: "Reviewers".to_owned(),
            builtin: false,
            settings,
            modified: stamp.to_owned(),
            modified_by: "test".to_owned(),
        },
    );
    for (index, user) in account.users.iter_mut().enumerate().skip(1) {
        match index % 10 {
            3 => user.status = EmulatedStatus::Closed,
            7 => user.status = EmulatedStatus::ActivationSent,
            5 => {
                user.profile_id = profile_id;
                "Reviewer".clone_into(&mut user.job_title);
            }
            _ => {}
        }
    }
    let user_ids: Vec<String> = account.users.iter().map(|user| user.id.clone()).collect();
    for n in 0..groups {
        let id = account.take_id();
        let members: BTreeSet<String> = user_ids
            .iter()
            .skip(n % 7)
            .step_by(5 + n % 3)
            .cloned()
            .collect();
        account.groups.insert(
            id,
            docusign_gitops::emulator::account::Group {
                id,
                name: format!("Team {n}"),
                kind: GroupKind::Custom,
                profile_id: (n % 3 == 0).then_some(profile_id),
                members,
            },
        );
    }
    for n in 0..signing_groups {
        let id = account.take_id();
        account.signing_groups.insert(
            id,
            EmulatedSigningGroup {
                id,
                name: format!("Signers {n}"),
                email: (n % 2 == 0).then(|| format!("signers{n}@example.com")),
                members: (0..=(n % 5))
                    .map(|m| EmulatedMember {
                        user_name: format!("Member {m}"),
                        email: format!("member{m}.{n}@example.com"),
                    })
                    .collect(),
                created: stamp.to_owned(),
                created_by: "test".to_owned(),
                modified: stamp.to_owned(),
                modified_by: "test".to_owned(),
            },
        );
    }
    account.reindex();
    account
}

/// The emulator's account as it stands now.
fn emulated(running: &Running) -> EmulatedAccount {
    let slot = running.shared.accounts[0].lock().expect("account");
    slot.account.clone()
}

async fn snapshot_matches(
    users: usize,
    groups: usize,
    signing_groups: usize,
    config: Config,
) -> (u64, Running) {
    let running = start(config, rich_account(users, groups, signing_groups)).await;
    let client = client_for(&running, quick_settings());
    let live = snapshot(&client).await.expect("a snapshot");
    let want = live_model(&emulated(&running));
    assert_eq!(live.account.users.len(), want.users.len());
    assert_eq!(
        live.account, want,
        "snapshot of {users} users differs from the emulator's"
    );
    (live.calls, running)
}

fn pages(items: usize) -> u64 {
    u64::try_from(items.div_ceil(100).max(1)).expect("small")
}

#[tokio::test]
async fn snapshots_equal_the_emulator_at_every_size_in_the_fewest_calls() {
    for users in [0, 1, 99, 100, 101, 250] {
        let groups = users / 10;
        let (calls, running) = snapshot_matches(users, groups, 3, Config::default()).await;
        // The administrator is a user too; Everyone and Administrators are groups too.
        let minimum = pages(users + 1) + pages(groups + 2) + 1 + 1;
        assert_eq!(calls, minimum, "{users} users, {groups} groups");
        let stats = running.shared.stats();
        assert_eq!(stats.total_calls, minimum);
    }
}

#[tokio::test]
async fn a_large_account_is_read_in_the_minimum_calls() {
    let (calls, _running) = snapshot_matches(5_000, 120, 50, Config::default()).await;
    assert_eq!(calls, pages(5_001) + pages(122) + 2);
}

#[tokio::test]
async fn without_group_list_memberships_come_from_member_lists() {
    let config = Config {
        group_list_in_user_records: false,
        ..Config::default()
    };
    let (calls, running) = snapshot_matches(230, 7, 2, config).await;
    // Member pages for every group but Everyone (Administrators + 7 custom, one page each).
    let member_pages: u64 = emulated(&running)
        .groups
        .values()
        .filter(|group| group.kind != GroupKind::Everyone)
        .map(|group| pages(group.members.len()))
        .sum();
    assert_eq!(calls, pages(231) + pages(9) + 2 + member_pages);
}

/// The calls a list of `items` takes when every page holds at most `cap`: the first page and
/// the pages of 100 after it, each of whose stretches is then read in pages of `cap`.
fn capped_pages(items: usize, cap: usize) -> u64 {
    let calls: usize = (0..items.max(1))
        .step_by(100)
        .map(|start| (items.min(start + 100) - start).div_ceil(cap).max(1))
        .sum();
    u64::try_from(calls).expect("small")
}

/// An account whose every list page holds at most 7 items, though the client asks for 100:
/// the snapshot is the one read without the cap, field by field, whether memberships come from
/// user records or from every group's member list, and each stretch of 100 costs its pages of
/// 7 and no more (no page asked for twice, none overlapping the next stretch).
#[tokio::test]
async fn a_page_cap_changes_the_calls_and_nothing_else() {
    const CAP: usize = 7;
    for group_list in [true, false] {
        let account = rich_account(300, 9, 3);
        let config = |page_cap| Config {
            group_list_in_user_records: group_list,
            page_cap,
            ..Config::default()
        };
        let full_running = start(config(None), account.clone()).await;
        let full = snapshot(&client_for(&full_running, quick_settings()))
            .await
            .expect("a snapshot without the cap");
        let capped_running = start(config(Some(CAP)), account).await;
        let capped = snapshot(&client_for(&capped_running, quick_settings()))
            .await
            .unwrap_or_else(|err| panic!("groupList {group_list}: {err}"));
        assert_eq!(capped.usage.len(), 301, "groupList {group_list}");
        assert_eq!(capped.account, full.account, "groupList {group_list}");
        assert_eq!(capped.usage, full.usage, "groupList {group_list}");
        assert_eq!(
            capped.memberships_from_user_records, group_list,
            "groupList {group_list}"
        );
        assert_eq!(capped.account, live_model(&emulated(&capped_running)));
        let member_pages = |pages_of: &dyn Fn(usize) -> u64| -> u64 {
            if group_list {
                return 0;
            }
            emulated(&capped_running)
                .groups
                .values()
                .filter(|group| group.kind != GroupKind::Everyone)
                .map(|group| pages_of(group.members.len()))
                .sum()
        };
        assert_eq!(
            full.calls,
            pages(301) + pages(11) + 2 + member_pages(&pages),
            "groupList {group_list}"
        );
        let capped_calls = |items| capped_pages(items, CAP);
        assert_eq!(
            capped.calls,
            capped_pages(301, CAP) + capped_pages(11, CAP) + 2 + member_pages(&capped_calls),
            "groupList {group_list}"
        );
    }
}

/// Faults of every kind against a demo account (burst cap 200) whose reading needs more calls
/// than the cap: with no group lists in the user records every group's member list is a call of
/// its own, 208 in all. The client and the emulator's limiter share paused time, so the pacer
/// spreads the calls over two windows at no cost in real time; the faults are retried, and no
/// call ever meets the real cap.
#[tokio::test(start_paused = true)]
async fn snapshots_survive_faults_and_never_trip_the_demo_burst_cap() {
    const DEMO_CAP: u64 = 200;
    for rate in [0.1, 0.3] {
        let mut injected = 0;
        for seed in 1..=4 {
            // Both statuses a refusal may come with, by turns.
            let refusal = if seed % 2 == 0 {
                RateLimitStatus::TooManyRequests
            } else {
                RateLimitStatus::BadRequest
            };
            let config = Config {
                fault_rate: rate,
                seed,
                rate_limit_status: refusal,
                group_list_in_user_records: false,
                clock: Clock::MID_HOUR,
                ..Config::demo()
            };
            let running = start(config, rich_account(120, 200, 4)).await;
            let member_pages: u64 = emulated(&running)
                .groups
                .values()
                .filter(|group| group.kind != GroupKind::Everyone)
                .map(|group| pages(group.members.len()))
                .sum();
            let needed = pages(121) + pages(202) + 2 + member_pages;
            assert!(
                needed > DEMO_CAP,
                "{needed} calls put no pressure on the cap"
            );
            let client = client_for(&running, quick_settings());
            let started = tokio::time::Instant::now();
            let live = snapshot(&client)
                .await
                .unwrap_or_else(|err| panic!("rate {rate}, seed {seed}: {err}"));
            assert_eq!(
                live.account,
                live_model(&emulated(&running)),
                "rate {rate}, seed {seed}"
            );
            // Refusals came from injected faults only, never from the real burst cap.
            let stats = running.shared.stats();
            assert_eq!(stats.rate_limit_rejections, 0, "rate {rate}, seed {seed}");
            assert_eq!(stats.invariant_breaches, 0);
            injected += stats.injected_faults;
            // Each fault cost exactly one extra call: retries, not re-reads.
            assert_eq!(live.calls, stats.total_calls);
            assert_eq!(
                live.calls,
                needed + stats.injected_faults,
                "rate {rate}, seed {seed}"
            );
            assert!(
                started.elapsed() >= Duration::from_secs(30),
                "rate {rate}, seed {seed}: {} calls in {:?} were not paced",
                live.calls,
                started.elapsed()
            );
        }
        assert!(
            injected >= 20,
            "rate {rate} injected only {injected} faults: the test tests nothing"
        );
    }
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_retried() {
    use docusign_gitops::emulator::config::{Client as OAuthClient, RefreshGrant};
    let mut config = Config::default();
    config.credentials.clients.push(OAuthClient {
        id: "app".to_owned(),
        secret: "app-secret".to_owned(),
    });
    config.credentials.refresh_tokens.push(RefreshGrant {
        token: "refresh-1".to_owned(),
        client_id: "app".to_owned(),
        user_id: crate::emulator_support::ADMIN_ID.to_owned(),
    });
    let running = start(config, rich_account(150, 3, 1)).await;
    let http = reqwest::Client::new();
    let credentials = Credentials::RefreshToken {
        client_id: "app".to_owned(),
        client_secret: Secret::new("app-secret"),
        refresh_token: Secret::new("refresh-1"),
        keep_in: None,
    };
    let auth = Arc::new(Authenticator::new(http.clone(), &running.url, credentials));
    let api_base = format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url);
    let client = Arc::new(Client::new(http.clone(), &api_base, auth, quick_settings()));
    let first = snapshot(&client).await.expect("first snapshot");
    assert_eq!(first.calls, pages(151) + pages(5) + 2);

    // DocuSign revokes the token mid-run: each call in flight gets one 401, renews, retries.
    let expired = http
        .post(format!("{}/_emulator/expire-tokens", running.url))
        .send()
        .await
        .expect("expire");
    assert!(expired.status().is_success());
    let second = snapshot(&client)
        .await
        .expect("a snapshot after the token expired");
    assert_eq!(second.account, first.account);
    assert!(
        second.calls > first.calls,
        "the 401s were retried: {} calls",
        second.calls
    );
    assert!(
        second.calls <= 2 * first.calls,
        "one retry per call at most: {} calls",
        second.calls
    );
}
