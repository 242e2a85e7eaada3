//! Golden plans: each folder under `tests/scenarios/` is a live account, a desired state and
//! the plan that takes one to the other. Adding a case is adding a folder.
//!
//! A scenario holds `live.yaml` (an emulator seed), `desired/` (desired-state YAML), an
//! optional `context.yaml`, and the expected plan as insta snapshots: `plan.txt.snap` and
//! `plan.json.snap`, each the rendered plan under insta's header. A plan that differs fails
//! with a diff. `INSTA_UPDATE=always` rewrites the expected files, and a new scenario's are
//! written as `.snap.new` for `cargo insta review` (or run with `INSTA_UPDATE=always`); never
//! on CI. Read each one before committing: the expected plan is the correct plan, not whatever
//! the planner printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use docusign_gitops::desired;
use docusign_gitops::emulator::seed::Seed;
use docusign_gitops::model::{Account, EmailKey, NameKey};
use docusign_gitops::plan::{self, Context, GuardClass, Origin, RecordedRef, render};
use serde::Deserialize;

use crate::emulator_support::live_model;
use crate::harness;

/// The emulator's generator seed: user IDs, and so the plans' JSON, are the same every run.
const RNG_SEED: u64 = 20_260_105;
const NOW: &str = "2026-01-05T09:00:00.0000000Z";

/// `context.yaml`: what the CLI would pass besides the two accounts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioContext {
    /// The token's user. When absent, the seed's integration user, as with `--emulator`.
    integration_user: Option<String>,
    /// `--allow` values.
    #[serde(default)]
    allow: Vec<String>,
    /// What the last apply left, as the live objects it managed; absent before a first apply.
    recorded: Option<Recorded>,
}

/// Recorded state, named by the live objects it stands for (their IDs come from live).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    permission_profiles: Vec<RecordedObject>,
    #[serde(default)]
    groups: Vec<RecordedObject>,
    #[serde(default)]
    signing_groups: Vec<RecordedObject>,
}

/// A recorded object: its name as recorded, and the live object it is when that was renamed
/// since (outside git).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RecordedObject {
    Same(String),
    Renamed { name: String, live: String },
}

impl RecordedObject {
    fn names(&self) -> (&str, &str) {
        match self {
            Self::Same(name) => (name, name),
            Self::Renamed { name, live } => (name, live),
        }
    }
}

/// Copies the live objects `entries` name, under their recorded names.
fn recorded_objects<T: Clone>(
    live: &BTreeMap<NameKey, T>,
    entries: &[RecordedObject],
    rename: impl Fn(&mut T, &str),
) -> BTreeMap<NameKey, T> {
    entries
        .iter()
        .map(|entry| {
            let (name, live_name) = entry.names();
            let mut object = live
                .get(&NameKey::new(live_name))
                .unwrap_or_else(|| panic!("recorded `{live_name}` is not in live.yaml"))
                .clone();
            rename(&mut object, name);
            (NameKey::new(name), object)
        })
        .collect()
}

fn recorded_account(live: &Account, recorded: &Recorded) -> Account {
    Account {
        users: recorded
            .users
            .iter()
            .map(|email| {
                let key = EmailKey::new(email);
                let user = live
                    .users
                    .get(&key)
                    .unwrap_or_else(|| panic!("recorded user `{email}` is not in live.yaml"));
                (key, user.clone())
            })
            .collect(),
        permission_profiles: recorded_objects(
            &live.permission_profiles,
            &recorded.permission_profiles,
            |profile, name| name.clone_into(&mut profile.name),
        ),
        groups: recorded_objects(&live.groups, &recorded.groups, |group, name| {
            name.clone_into(&mut group.name);
        }),
        signing_groups: recorded_objects(
            &live.signing_groups,
            &recorded.signing_groups,
            |group, name| name.clone_into(&mut group.name),
        ),
    }
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("can't read `{}`: {err}", path.display()))
}

/// The live account a scenario's seed describes, and its integration user's email.
fn live(dir: &Path) -> (Account, String) {
    let seed = Seed::parse(&read(&dir.join("live.yaml")), false)
        .unwrap_or_else(|err| panic!("`{}/live.yaml`: {err}", dir.display()));
    let seeded = seed
        .build(&mut fastrand::Rng::with_seed(RNG_SEED), NOW)
        .unwrap_or_else(|err| panic!("`{}/live.yaml`: {err}", dir.display()));
    let integration_user = seeded
        .account
        .users
        .iter()
        .find(|user| user.id == seeded.integration_user_id)
        .map(|user| user.email.clone())
        .expect("the seed's integration user is one of its users");
    (live_model(&seeded.account), integration_user)
}

fn written_context(dir: &Path) -> ScenarioContext {
    let path = dir.join("context.yaml");
    if path.exists() {
        serde_saphyr::from_str(&read(&path))
            .unwrap_or_else(|err| panic!("`{}`: {err}", path.display()))
    } else {
        ScenarioContext::default()
    }
}

fn context(dir: &Path, written: &ScenarioContext, seeded_integration_user: String) -> Context {
    let path = dir.join("context.yaml");
    let allowed = written
        .allow
        .iter()
        .map(|flag| {
            GuardClass::ALL
                .into_iter()
                .find(|class| class.flag() == flag)
                .unwrap_or_else(|| panic!("`{}`: unknown guard class `{flag}`", path.display()))
        })
        .collect();
    Context {
        token_user_unknown: false,
        today: None,
        integration_user: Some(
            written
                .integration_user
                .clone()
                .unwrap_or(seeded_integration_user),
        ),
        allowed,
        desired_commit: None,
        hourly_remaining: None,
        recorded: written.recorded.as_ref().map(|_| RecordedRef {
            lineage: "00000000-0000-4000-8000-000000000000".to_owned(),
            serial: 1,
        }),
        // The planner copies the origin as it is given; fixed, so the expected JSON doesn't
        // change with every edit to a scenario's YAML.
        origin: Origin {
            account_id: "00000000-0000-4000-8000-00000000000a".to_owned(),
            environment: "emulator".to_owned(),
            desired_digest: "0".repeat(64),
        },
    }
}

/// The plan a scenario renders, as (`plan.txt`, `plan.json`).
fn rendered(dir: &Path) -> (String, String) {
    let (live, integration_user) = live(dir);
    let outcome = desired::load(&dir.join("desired"));
    let Some(desired) = outcome.desired else {
        panic!(
            "`{}/desired` is not valid: {:#?}",
            dir.display(),
            outcome.problems
        );
    };
    let written = written_context(dir);
    let context = context(dir, &written, integration_user);
    let recorded = written
        .recorded
        .as_ref()
        .map(|recorded| recorded_account(&live, recorded));
    let plan = plan::plan(&desired, &live, recorded.as_ref(), &context)
        .unwrap_or_else(|err| panic!("`{}`: {err}", dir.display()));
    (render::text(&plan, false), render::json(&plan))
}

/// Holds `rendered` (`plan.txt` or `plan.json`) to the scenario's snapshot of it,
/// `dir/{name}.snap`.
fn check(dir: &Path, name: &str, rendered: &str) {
    // Insta ignores a snapshot's trailing white space and line endings; the plans end with
    // exactly one newline and hold no CR, so what it compares is every byte of them.
    assert!(
        rendered.ends_with('\n') && rendered.trim_end().len() + 1 == rendered.len(),
        "`{}`: the rendered {name} doesn't end with exactly one newline",
        dir.display()
    );
    assert!(
        !rendered.contains('\r'),
        "`{}`: the rendered {name} holds a CR",
        dir.display()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, rendered));
}

/// A plan that differs fails with a diff; every scenario is checked before the test fails.
/// `INSTA_UPDATE=always` rewrites the expected plans after changing the planner (refused on CI).
#[test]
fn every_scenario_plans_as_expected() {
    harness::refuse_snapshot_rewrites_on_ci();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("tests/scenarios exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenarios under tests/scenarios");
    let mut failed = Vec::new();
    for dir in &dirs {
        let (text, json) = rendered(dir);
        for (name, plan) in [("plan.txt", text), ("plan.json", json)] {
            if std::panic::catch_unwind(|| check(dir, name, &plan)).is_err() {
                let scenario = dir.strip_prefix(scenarios_dir()).unwrap_or(dir);
                failed.push(format!("{}/{name}", scenario.display()));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} expected plans differ (diffs above): {failed:?}",
        failed.len(),
        dirs.len() * 2
    );
}
