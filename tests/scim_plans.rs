//! SCIM's two flags against an emulated account: `isManagedByScim` leaves a user's status,
//! names and job title to the identity provider, `isMembershipManagedByScim` its group
//! memberships; the plan manages the rest and says, once per user, what it left out.

use std::collections::BTreeMap;

use docusign_gitops::emulator::Config;
use docusign_gitops::model::{Account, EmailKey};
use docusign_gitops::plan::{self, Plan};

use crate::apply_support::{
    client_for, context, desired, live, plan_for, quick_settings, seeded, start,
};

const LIVE: &str = "
integration_user: admin@example.com
groups:
  - name: Administrators
    members: [admin@example.com]
  - name: Sales
    members: [plain@example.com, idp@example.com, idp-groups@example.com, idp-both@example.com]
  - name: Support
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator }
  - { email: plain@example.com, first_name: Old, last_name: Name, job_title: Clerk }
  - { email: idp@example.com, first_name: Old, last_name: Name, job_title: Clerk, managed_by_scim: true }
  - { email: idp-groups@example.com, first_name: Old, last_name: Name, job_title: Clerk, membership_managed_by_scim: true }
  - { email: idp-both@example.com, first_name: Old, last_name: Name, job_title: Clerk, managed_by_scim: true, membership_managed_by_scim: true }
  - { email: idp-leaver@example.com, first_name: Old, last_name: Name, managed_by_scim: true }
  - { email: idp-closed@example.com, first_name: Old, last_name: Name, managed_by_scim: true }
  - { email: idp-gone@example.com, first_name: Old, last_name: Name, status: Closed, managed_by_scim: true }
";

/// Every user renamed, given another profile and title, and moved from Sales to Support; one
/// closed, one reopened, and `idp-leaver` dropped.
const DESIRED: &str = "
groups:
  - name: Sales
  - name: Support
users:
  - { email: admin@example.com, first_name: Ada, last_name: Admin, permission_profile: Account Administrator, groups: [Administrators] }
  - { email: plain@example.com, first_name: New, last_name: Name, job_title: Lead, permission_profile: DocuSign Viewer, groups: [Support] }
  - { email: idp@example.com, first_name: New, last_name: Name, job_title: Lead, permission_profile: DocuSign Viewer, groups: [Support] }
  - { email: idp-groups@example.com, first_name: New, last_name: Name, job_title: Lead, permission_profile: DocuSign Viewer, groups: [Support] }
  - { email: idp-both@example.com, first_name: New, last_name: Name, job_title: Lead, permission_profile: DocuSign Viewer, groups: [Support] }
  - { email: idp-closed@example.com, first_name: Old, last_name: Name, status: closed }
  - { email: idp-gone@example.com, first_name: Old, last_name: Name }
";

/// Each user's planned steps (kinds, sorted) and the notes about it.
struct Planned {
    steps: BTreeMap<String, Vec<String>>,
    notes: BTreeMap<String, Vec<String>>,
}

impl Planned {
    fn of(plan: &Plan) -> Self {
        let mut steps: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for step in &plan.steps {
            let value = serde_json::to_value(&step.operation).expect("an operation is JSON");
            if let Some(email) = value["email"].as_str() {
                steps
                    .entry(email.to_owned())
                    .or_default()
                    .push(plan::kind(&step.operation));
            }
        }
        for kinds in steps.values_mut() {
            kinds.sort();
        }
        let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for report in &plan.reports {
            notes
                .entry(report.email.clone())
                .or_default()
                .push(report.note.clone());
        }
        Self { steps, notes }
    }

    fn steps(&self, email: &str) -> Vec<&str> {
        self.steps
            .get(email)
            .map(|kinds| kinds.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The one note about `email`.
    fn note(&self, email: &str) -> &str {
        match self.notes.get(email).map(Vec::as_slice) {
            Some([note]) => note,
            other => panic!("{email}: one note expected, got {other:?}"),
        }
    }
}

async fn planned() -> Planned {
    let running = start(Config::default(), seeded(LIVE, 7)).await;
    let client = client_for(&running, quick_settings());
    let live = live(&client).await;
    for (email, flags) in [
        ("idp@example.com", (true, false)),
        ("idp-groups@example.com", (false, true)),
        ("idp-both@example.com", (true, true)),
        ("plain@example.com", (false, false)),
    ] {
        let user = &live.users[&EmailKey::new(email)];
        assert_eq!(
            (user.managed_by_scim, user.membership_managed_by_scim),
            flags,
            "the snapshot reads {email}'s flags"
        );
    }
    // The last apply managed the leaver; the YAML has dropped it since.
    let recorded = Account {
        users: live
            .users
            .iter()
            .filter(|(key, _)| key.as_str() == "idp-leaver@example.com")
            .map(|(key, user)| (key.clone(), user.clone()))
            .collect(),
        ..Account::default()
    };
    let plan = plan_for(
        &desired(DESIRED),
        &live,
        Some(&recorded),
        &context(&running),
    );
    Planned::of(&plan)
}

#[tokio::test]
async fn a_user_without_scim_gets_every_change() {
    let planned = planned().await;
    assert_eq!(
        planned.steps("plain@example.com"),
        [
            "add_member",
            "change_profile",
            "remove_member",
            "update_user"
        ]
    );
    assert!(!planned.notes.contains_key("plain@example.com"));
}

#[tokio::test]
async fn is_managed_by_scim_leaves_status_and_attributes_alone() {
    let planned = planned().await;
    assert_eq!(
        planned.steps("idp@example.com"),
        ["add_member", "change_profile", "remove_member"]
    );
    assert_eq!(
        planned.note("idp@example.com"),
        "differs from the YAML, but an identity provider manages its name and job title (SCIM), so the plan leaves that alone; change it there"
    );
    // Neither closed, nor reopened, nor closed for leaving the YAML.
    for email in [
        "idp-closed@example.com",
        "idp-gone@example.com",
        "idp-leaver@example.com",
    ] {
        assert!(
            planned.steps(email).is_empty(),
            "{email}: {:?}",
            planned.steps
        );
        assert!(
            planned
                .note(email)
                .contains("an identity provider manages its status (SCIM)"),
            "{email}: {:?}",
            planned.notes
        );
    }
    assert!(
        planned
            .note("idp-leaver@example.com")
            .starts_with("removed from the YAML, but")
    );
}

#[tokio::test]
async fn is_membership_managed_by_scim_leaves_group_memberships_alone() {
    let planned = planned().await;
    assert_eq!(
        planned.steps("idp-groups@example.com"),
        ["change_profile", "update_user"]
    );
    assert!(
        planned
            .note("idp-groups@example.com")
            .contains("manages its group memberships (SCIM)"),
        "{:?}",
        planned.notes
    );
}

#[tokio::test]
async fn both_flags_leave_only_the_profile_to_the_plan() {
    let planned = planned().await;
    assert_eq!(planned.steps("idp-both@example.com"), ["change_profile"]);
    assert!(
        planned
            .note("idp-both@example.com")
            .contains("manages its name and job title, and group memberships (SCIM)"),
        "{:?}",
        planned.notes
    );
}
