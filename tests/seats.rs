//! `seats` and `reclaim` against the sample account over real HTTP: the figures and where they
//! came from, the invitations and idle users under every reading of DocuSign the emulator
//! offers (last login reported, never, absent; `user_id` honoured or not; pending invitations
//! holding seats or not), and reclaim's YAML going through validate, plan and the closure guard,
//! a second run changing nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use docusign_gitops::docusign::auth::{Authenticator, Credentials};
use docusign_gitops::docusign::{Client, Secret, snapshot, usage};
use docusign_gitops::model::EmailKey;
use docusign_gitops::seats;

use docusign_gitops::emulator::config::{
    LastLogin, ProfileChangeRoutes, ProfileRoute, RateLimitStatus,
};
use docusign_gitops::emulator::{self, Config};
use serde_json::Value;

use crate::apply_support::quick_settings;
use crate::harness::{Cli, Fixture, copy_into};

/// The sample's users who show no sign of use in 90 days by every signal (see the emulator's
/// seed): four whose last login and envelopes are old, one who never signed in.
const IDLE: [&str; 5] = [
    "ben.carter@northwind-example.com",
    "chloe.dubois@northwind-example.com",
    "grace.liu@northwind-example.com",
    "marcus.hale@northwind-example.com",
    "ryan.foster@northwind-example.com",
];
/// The sample's invitation of 45 days, stale at the default 30.
const STALE: &str = "aisha.okafor@northwind-example.com";
const FRESH: &str = "lucas.moreau@northwind-example.com";
const INTEGRATION_USER: &str = "docusign-integration@northwind-example.com";
/// An old last login but an envelope ten days ago: in use.
const SENDS_ENVELOPES: &str = "tom.becker@northwind-example.com";

/// Each reading of DocuSign's undocumented behaviours, run through the binary. Refusals for
/// the rate limits (400 or 429) are read in-process with short waits, below: the binary waits
/// DocuSign's 30 s after each.
fn switches() -> Vec<(&'static str, Config)> {
    vec![
        ("defaults", Config::default()),
        (
            "last login reported",
            Config {
                last_login: LastLogin::Reported,
                ..Config::default()
            },
        ),
        (
            "no lastLogin field",
            Config {
                last_login: LastLogin::Absent,
                ..Config::default()
            },
        ),
        (
            "user_id ignored",
            Config {
                envelopes_by_user_id: false,
                last_login: LastLogin::Reported,
                ..Config::default()
            },
        ),
        (
            "only active users hold seats",
            Config {
                pending_hold_seats: false,
                ..Config::default()
            },
        ),
        (
            "profiles only through PUT /users/{userId}/profile",
            Config {
                profile_change: ProfileChangeRoutes::only(ProfileRoute::PutProfile),
                ..Config::default()
            },
        ),
        (
            "a group hands its profile to who joins",
            Config {
                group_profile_on_join: true,
                ..Config::default()
            },
        ),
        (
            "no groupList in user records",
            Config {
                group_list_in_user_records: false,
                ..Config::default()
            },
        ),
    ]
}

fn emails(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["email"].as_str().expect("an email").to_owned())
        .collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// A copy of the examples run against a sample emulator started with `config`, which runs as
/// long as the returned `Running` lives.
fn on_sample(runtime: &tokio::runtime::Runtime, config: Config) -> (emulator::Running, Fixture) {
    let (running, token) = runtime
        .block_on(emulator::start_sample(config))
        .expect("start the sample emulator");
    let fixture = Fixture::copy_of("examples/desired-state")
        .with(Cli::emulator(&running).env("DOCUSIGN_ACCESS_TOKEN", &token));
    (running, fixture)
}

/// `seats --format json` on [`on_sample`], exiting 0.
fn seats_json(runtime: &tokio::runtime::Runtime, config: Config) -> (emulator::Running, Value) {
    let (running, fixture) = on_sample(runtime, config);
    let run = fixture.run(&["seats", ".", "--format", "json"]);
    let report = json(&run.exits(0).stdout);
    (running, report)
}

#[test]
fn seats_reports_figures_invitations_and_idle_users_under_every_reading_of_docusign() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (name, config) in switches() {
        let pending_hold_seats = config.pending_hold_seats;
        let last_login = config.last_login;
        let (_running, report) = seats_json(&runtime, config);

        // Seats: DocuSign's figures, each saying where it came from.
        let seats = &report["seats"];
        assert_eq!(seats["allowed"]["value"], 30, "{name}");
        assert_eq!(
            seats["allowed"]["source"],
            "GET /accounts/{accountId}: seatsAllowed"
        );
        let (active, pending) = (
            seats["active"]["value"].clone(),
            seats["pending"]["value"].clone(),
        );
        assert_eq!(pending, 2, "{name}");
        let in_use = seats["in_use"]["value"].as_u64().expect("seats in use");
        let counted = active.as_u64().unwrap() + if pending_hold_seats { 2 } else { 0 };
        assert_eq!(
            in_use, counted,
            "{name}: DocuSign's own count, as it answered"
        );
        for section in ["plan", "seats", "billing_period"] {
            for (figure, value) in report[section].as_object().expect("figures") {
                let source = value["source"].as_str().unwrap_or_default();
                assert!(
                    source.starts_with("GET /"),
                    "{name}: {section}.{figure}: {source}"
                );
            }
        }
        assert_eq!(report["plan"]["name"]["value"], "Business Pro");

        // Invitations: both, aged, one stale.
        let invitations: BTreeMap<&str, (i64, bool)> = report["pending"]
            .as_array()
            .expect("pending")
            .iter()
            .map(|item| {
                (
                    item["email"].as_str().unwrap(),
                    (
                        item["age_days"].as_i64().unwrap(),
                        item["stale"].as_bool().unwrap(),
                    ),
                )
            })
            .collect();
        assert_eq!(
            invitations,
            BTreeMap::from([(STALE, (45, true)), (FRESH, (5, false))]),
            "{name}"
        );

        // Idle: the same five whatever the last login says, never the integration user nor
        // someone who sends envelopes.
        let idle = emails(&report["idle"]);
        let expected: BTreeSet<String> = IDLE.iter().map(|email| (*email).to_owned()).collect();
        assert_eq!(idle, expected, "{name}");
        assert!(!idle.contains(INTEGRATION_USER) && !idle.contains(SENDS_ENVELOPES));
        assert_eq!(report["not_judged"], Value::Array(Vec::new()), "{name}");

        // Signals: the last login counts only where DocuSign fills it; every call is counted.
        let signals: BTreeMap<&str, &Value> = report["signals"]
            .as_array()
            .expect("signals")
            .iter()
            .map(|signal| (signal["name"].as_str().unwrap(), signal))
            .collect();
        assert_eq!(
            signals["last login"]["used"],
            last_login == LastLogin::Reported,
            "{name}"
        );
        assert_eq!(signals["the account's envelope list"]["used"], false);
        let calls = &report["calls"];
        let envelopes = calls["envelopes"].as_u64().unwrap();
        assert_eq!(signals["envelopes created"]["calls"], envelopes);
        assert!(
            envelopes >= IDLE.len() as u64,
            "{name}: each idle user was asked about"
        );
        // The sample's 27 users fit in one page; one call for the plan figures.
        assert_eq!(calls["users"], 1, "{name}");
        assert_eq!(calls["total"], 1 + 1 + envelopes, "{name}");
        if last_login == LastLogin::Reported {
            // Recent logins need no envelope call.
            assert!(envelopes < 15, "{name}: {envelopes} envelope calls");
        }
    }
}

#[test]
fn seats_with_the_built_in_emulator_prints_the_figures_invitations_and_idle_users() {
    let fixture = Fixture::copy_of("examples/desired-state");
    let run = fixture.run(&["seats", ".", "--emulator"]);
    run.exits(0)
        .stdout_has("Seats: 26 of 30 used")
        .stdout_has("seats bought         30")
        .stdout_has("Invitations not accepted: 2 (1 older than 30 days)")
        .stdout_has("aisha.okafor@northwind-example.com  invited ")
        .stdout_has(", 45 days (stale)")
        .stdout_has("Idle: 5 users active with no sign of use for 90 days")
        .stdout_has("grace.liu@northwind-example.com  no sign of use since ")
        .stdout_has("envelopes created (used, ");
    let markdown = fixture.run(&["seats", ".", "--emulator", "--format", "markdown"]);
    markdown
        .exits(0)
        .stdout_has("| seats bought | 30 | `GET /accounts/{accountId}: seatsAllowed` |");
    // Fewer days make more users idle; the cap on envelope calls leaves the rest unjudged.
    let capped = fixture.run(&[
        "seats",
        ".",
        "--emulator",
        "--format",
        "json",
        "--envelope-checks",
        "2",
    ]);
    let report = json(&capped.exits(0).stdout);
    assert_eq!(report["calls"]["envelopes"], 2);
    assert!(report["idle"].as_array().unwrap().len() <= 2);
    let unjudged = report["not_judged"].as_array().unwrap();
    assert!(!unjudged.is_empty());
    assert!(unjudged.iter().all(|user| {
        user["reason"]
            .as_str()
            .unwrap()
            .contains("--envelope-checks 2")
    }));
}

/// Every YAML file under `dir` by path, as text.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read a folder") {
            let path = entry.expect("an entry").path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml"))
            {
                files.insert(name, std::fs::read_to_string(&path).expect("read a file"));
            }
        }
    }
    files
}

/// Reclaim on a copy of the examples (`fixture`, run with `emulator`: `--emulator`, or nothing
/// when the fixture points at a running one): the marks, validate, the guard, the closures,
/// and a second run that changes nothing.
fn reclaim_goes_through_review(name: &str, fixture: &Fixture, emulator: &[&str]) {
    let run = |args: &[&str]| fixture.run(&[args, emulator].concat());
    let before = tree(fixture.path());
    let marked = run(&["reclaim", "."]);
    marked.exits(0).stdout_has("Marked 6 users in 4 files.");
    let after = tree(fixture.path());
    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, text)| before.get(*path) != Some(text))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed,
        [
            "users/finance.yaml",
            "users/legal.yaml",
            "users/operations.yaml",
            "users/sales.yaml"
        ]
    );
    // Each marked entry: the reason above `status: closed`; nothing else in the files moved.
    for (path, text) in &after {
        let old = &before[path];
        // Only insertions: walk both; what the old file lacks at each point was added.
        let old_lines: Vec<&str> = old.lines().collect();
        let mut at = 0;
        let mut added = Vec::new();
        for line in text.lines() {
            if old_lines.get(at) == Some(&line) {
                at += 1;
            } else {
                added.push(line);
            }
        }
        assert_eq!(at, old_lines.len(), "{path}: every old line kept, in order");
        for pair in added.chunks(2) {
            assert!(
                pair[0].trim_start().starts_with("# reclaim "),
                "{path}: {pair:?}"
            );
            assert_eq!(pair[1].trim(), "status: closed", "{path}");
        }
    }
    assert!(
        after["users/sales.yaml"].contains("# reclaim ")
            && after["users/sales.yaml"].contains("not accepted after 45 days")
    );

    fixture.run(&["validate", "."]).exits(0);
    // Six closures (and the example's own leaver) are over the limit of 3: refused.
    let refused = run(&["plan", ".", "--format", "json"]);
    refused.exits(3);
    let plan = run(&["plan", ".", "--format", "json", "--allow", "user-closures"]);
    let plan = json(&plan.exits(0).stdout);
    let closed: BTreeSet<String> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|step| step["kind"] == "close_user")
        .map(|step| step["email"].as_str().unwrap().to_owned())
        .collect();
    for email in IDLE.iter().chain([&STALE]) {
        assert!(
            closed.contains(*email),
            "{name}: {email} is closed: {closed:?}"
        );
    }
    assert!(!closed.contains(INTEGRATION_USER));

    // Again: the YAML already closes them all.
    let again = run(&["reclaim", "."]);
    again.exits(0).stdout_has("Nothing to reclaim");
    assert_eq!(tree(fixture.path()), after);
    run(&["reclaim", ".", "--check"]).exits(0);
}

#[test]
fn reclaim_marks_the_candidates_the_plan_closes_them_past_the_guard_and_a_second_run_changes_nothing()
 {
    let fixture = Fixture::copy_of("examples/desired-state");
    reclaim_goes_through_review("the built-in emulator", &fixture, &["--emulator"]);
}

#[test]
fn reclaim_goes_through_review_under_every_reading_of_docusign() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (name, config) in switches() {
        let (_running, fixture) = on_sample(&runtime, config);
        reclaim_goes_through_review(name, &fixture, &[]);
    }
}

#[test]
fn reclaim_gives_a_profile_checks_first_and_writes_users_the_folder_does_not_hold_apart() {
    let fixture = Fixture::copy_of("examples/desired-state");
    // Chloe is no longer in the YAML: DocuSign still has her, idle.
    let path = fixture.path().join("users/operations.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("  - email: chloe.dubois").expect("chloe's entry");
    let end = text[start + 4..]
        .find("\n  - ")
        .map_or(text.len(), |at| start + 4 + at + 1);
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let before = tree(fixture.path());

    let check = fixture.run(&[
        "reclaim",
        ".",
        "--emulator",
        "--profile",
        "DocuSign Viewer",
        "--check",
    ]);
    check
        .exits(2)
        .stdout_has("5 users would be marked (--check: no file changed).");
    assert_eq!(tree(fixture.path()), before);

    let unknown = fixture.run(&["reclaim", ".", "--emulator", "--profile", "Nobody"]);
    unknown
        .exits(1)
        .stderr_has(&["cli::unknown_reclaim_profile"]);

    fixture
        .run(&["reclaim", ".", "--emulator", "--profile", "DocuSign Viewer"])
        .exits(0);
    let after = tree(fixture.path());
    let reclaimed = &after["reclaimed.yaml"];
    assert!(reclaimed.contains("  - email: chloe.dubois@northwind-example.com"));
    assert!(reclaimed.contains("permission_profile: DocuSign Viewer"));
    assert!(!reclaimed.contains("status: closed"), "{reclaimed}");
    assert!(after["users/legal.yaml"].contains("permission_profile: DocuSign Viewer"));
    // A stale invitation is closed whatever --profile says.
    assert!(after["users/sales.yaml"].contains("status: closed"));
    fixture.run(&["validate", "."]).exits(0);
    fixture
        .run(&[
            "reclaim",
            ".",
            "--emulator",
            "--profile",
            "DocuSign Viewer",
            "--check",
        ])
        .exits(0);
}

#[test]
fn reclaim_on_a_workspace_writes_each_account_its_own_entries() {
    let checkout = tempfile::tempdir().expect("temp dir");
    copy_into("examples/workspace", checkout.path());
    let run = Cli::new().run(checkout.path(), &["reclaim", ".", "--emulator"]);
    run.exits(0);
    for account in ["production", "emea", "sandbox"] {
        let reclaimed =
            std::fs::read_to_string(checkout.path().join(account).join("reclaimed.yaml"))
                .expect("each account's own file");
        for email in IDLE.iter().chain([&STALE]) {
            assert!(
                reclaimed.contains(&format!("- email: {email}")),
                "{account}: {email}"
            );
        }
    }
    Cli::new().run(checkout.path(), &["validate", "."]).exits(0);
    let seats = Cli::new().run(
        checkout.path(),
        &["seats", ".", "--emulator", "--format", "markdown"],
    );
    seats
        .exits(0)
        .stdout_has("# Account `emea`\n\n## Seats of ");
    Cli::new()
        .run(checkout.path(), &["reclaim", ".", "--emulator", "--check"])
        .exits(0);
}

#[test]
fn seats_never_spends_the_hour_the_envelope_calls_stop_at_the_tools_share_of_the_budget() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = Config {
        hourly_limit: 20,
        ..Config::default()
    };
    let (_running, report) = seats_json(&runtime, config);
    let envelopes = report["calls"]["envelopes"].as_u64().unwrap();
    // 22 users would need asking; 20 calls an hour, two spent on the users and the figures,
    // and a share kept for the account's other integrations.
    assert!(
        envelopes > 0 && envelopes < 18,
        "{envelopes} envelope calls"
    );
    let unjudged = report["not_judged"].as_array().unwrap();
    // Each user is either asked about or not judged, never both: a call refused although it
    // fitted (as the pacer once did, counting an answered call twice for a moment) would show
    // here with its reason.
    assert_eq!(
        unjudged.len() as u64 + envelopes,
        22,
        "{envelopes} envelope calls; not judged: {unjudged:#?}"
    );
    assert!(
        unjudged.iter().all(|user| user["reason"]
            .as_str()
            .unwrap()
            .contains("this hour's API budget")),
        "{unjudged:?}"
    );
}

/// The client's side of a seats report, in-process, with the waits of milliseconds.
async fn read_seats(running: &emulator::Running, token: &str) -> seats::Report {
    let http = reqwest::Client::new();
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &running.url,
        Credentials::AccessToken(Secret::new(token)),
    ));
    let api_base = format!(
        "{}/restapi/v2.1/accounts/{}",
        running.url,
        running.account_id()
    );
    let client = Arc::new(Client::new(http, &api_base, auth, quick_settings()));
    let (records, read_calls) = snapshot::user_usage(&client).await.expect("the user pages");
    let figures = usage::account_figures(&client).await.expect("the account");
    let options = seats::Options {
        now: jiff::Timestamp::now(),
        idle_days: 90,
        pending_days: 30,
        envelope_checks: 300,
        envelope_limit: seats::EnvelopeLimit::Flag,
    };
    let exempt = seats::Exempt {
        integration_user: Some(EmailKey::new(INTEGRATION_USER)),
        protected: BTreeSet::new(),
    };
    let asked = seats::needing_envelope_check(&records, &options, &exempt);
    let envelopes = usage::envelopes_since(&client, &asked, options.idle_cutoff()).await;
    seats::report(
        &seats::Read {
            account_id: &running.account_id(),
            figures: &figures,
            usage: &records,
            envelopes: &envelopes,
            read_calls,
        },
        &options,
        &exempt,
    )
}

#[test]
fn refusals_for_the_rate_limits_as_400_or_429_change_nothing_in_the_report() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (running, token) = runtime
        .block_on(emulator::start_sample(Config::default()))
        .expect("start the sample emulator");
    let calm = runtime.block_on(read_seats(&running, &token));
    let idle: BTreeSet<String> = calm.idle.iter().map(|idle| idle.email.clone()).collect();
    let expected: BTreeSet<String> = IDLE.iter().map(|email| (*email).to_owned()).collect();
    assert_eq!(idle, expected);
    for status in [
        RateLimitStatus::BadRequest,
        RateLimitStatus::TooManyRequests,
    ] {
        let (running, token) = runtime
            .block_on(emulator::start_sample(Config {
                rate_limited_share: 0.2,
                rate_limit_status: status,
                ..Config::default()
            }))
            .expect("start the sample emulator");
        let refused = runtime.block_on(read_seats(&running, &token));
        let stats = running.shared.stats();
        assert!(
            stats.rate_limit_rejections + stats.injected_faults > 0,
            "{status:?}: some calls were refused"
        );
        let again: BTreeSet<String> = refused.idle.iter().map(|idle| idle.email.clone()).collect();
        assert_eq!(again, idle, "{status:?}");
        assert!(
            refused.not_judged.is_empty(),
            "{status:?}: {:?}",
            refused.not_judged
        );
        assert_eq!(
            refused
                .pending
                .iter()
                .map(|pending| &pending.email)
                .collect::<Vec<_>>(),
            calm.pending
                .iter()
                .map(|pending| &pending.email)
                .collect::<Vec<_>>()
        );
        assert_eq!(refused.calls.envelopes, calm.calls.envelopes, "{status:?}");
    }
}
