//! When an `accepted_drift` entry stops silencing. The README calls `until` "the last day it
//! holds" and says that after it the difference is drift again: an entry whose `until` is today
//! still accepts, one that ended yesterday doesn't and is listed as expired.
//!
//! `drift::detect` is given the day (the CLI passes the local date once, at its edge), so these
//! tests name it and can't straddle midnight.

use docusign_gitops::desired::{self, Desired};
use docusign_gitops::drift::{self, Class, Report};
use docusign_gitops::model::{Account, EmailKey, User, UserStatus};
use docusign_gitops::state::RecordedState;
use jiff::civil::{Date, date};

const ANA: &str = "ana@example.com";

/// The YAML: Ana as the last apply left her, and an acceptance of her drift until `until`.
fn desired(until: &str) -> Desired {
    let dir = tempfile::tempdir().expect("temp dir");
    let yaml = format!(
        "defaults:
  permission_profile: DocuSign Sender
policy:
  accepted_drift:
    - object: user:{ANA}
      reason: acting director until the new hire starts
      until: {until}
users:
  - email: {ANA}
    first_name: Ana
    last_name: Silva
    job_title: Account Executive
"
    );
    std::fs::write(dir.path().join("account.yaml"), yaml).expect("write YAML");
    let outcome = desired::load(dir.path());
    outcome
        .desired
        .unwrap_or_else(|| panic!("the YAML is valid: {:#?}", outcome.problems))
}

fn ana(job_title: &str) -> User {
    User {
        id: Some("u-ana".to_owned()),
        email: ANA.to_owned(),
        first_name: "Ana".to_owned(),
        last_name: "Silva".to_owned(),
        job_title: Some(job_title.to_owned()),
        permission_profile: "DocuSign Sender".to_owned(),
        groups: std::collections::BTreeSet::new(),
        status: UserStatus::Active,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

fn with(user: User) -> Account {
    Account {
        users: [(EmailKey::new(&user.email), user)].into(),
        ..Account::default()
    }
}

/// `drift` on `today`: an admin changed Ana's job title in DocuSign since the last apply.
fn drift_on(today: Date, until: &str) -> Report {
    let recorded = RecordedState {
        objects: with(ana("Account Executive")),
        ..RecordedState::first("3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36", "demo")
    };
    let live = with(ana("Regional Director"));
    drift::detect(&desired(until), &live, &recorded, None, today)
}

/// The report's one difference, Ana's title changed outside git.
fn only_difference(report: &Report) -> &drift::Difference {
    assert_eq!(report.differences.len(), 1, "{report:#?}");
    let difference = &report.differences[0];
    assert_eq!(
        (difference.class, difference.object.as_str()),
        (Class::ChangedOutsideGit, ANA),
        "{report:#?}"
    );
    difference
}

#[test]
fn an_acceptance_holds_through_its_until_day() {
    // The last day of a year, so the day after is in another month and year.
    let report = drift_on(date(2026, 12, 31), "2026-12-31");
    let accepted = only_difference(&report)
        .accepted
        .as_ref()
        .unwrap_or_else(|| panic!("accepted on its last day: {report:#?}"));
    assert_eq!(accepted.until, "2026-12-31");
    assert!(!report.drift_found(), "{report:#?}");
    assert!(report.expired_acceptances.is_empty(), "{report:#?}");
}

#[test]
fn an_acceptance_that_ended_yesterday_silences_nothing_and_is_listed_as_expired() {
    let report = drift_on(date(2027, 1, 1), "2026-12-31");
    assert_eq!(only_difference(&report).accepted, None, "{report:#?}");
    assert!(report.drift_found(), "{report:#?}");
    let expired: Vec<_> = report
        .expired_acceptances
        .iter()
        .map(|expired| (expired.object.as_str(), expired.until.as_str()))
        .collect();
    assert_eq!(
        expired,
        [(format!("user:{ANA}").as_str(), "2026-12-31")],
        "{report:#?}"
    );
}

#[test]
fn an_acceptance_ending_later_holds_today() {
    let report = drift_on(date(2026, 12, 30), "2026-12-31");
    assert!(only_difference(&report).accepted.is_some(), "{report:#?}");
    assert!(!report.drift_found(), "{report:#?}");
}
