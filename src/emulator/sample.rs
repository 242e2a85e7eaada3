//! The built-in sample account that `--emulator` runs against: `examples/desired-state` as
//! DocuSign holds it after a few months of hand edits and use, written as a [`Seed`].

use crate::desired::SourceFile;
use crate::model::UserStatus as DesiredStatus;

use super::seed::{
    Seed, SeedAccount, SeedCount, SeedEnvelope, SeedGroup, SeedMember, SeedProfile,
    SeedSigningGroup, SeedUser,
};

/// The example desired state, compiled in so `--emulator` needs no files.
const EXAMPLE_FILES: [(&str, &str); 8] = [
    (
        "account.yaml",
        include_str!("../../examples/desired-state/account.yaml"),
    ),
    (
        "groups.yaml",
        include_str!("../../examples/desired-state/groups.yaml"),
    ),
    (
        "permission-profiles.yaml",
        include_str!("../../examples/desired-state/permission-profiles.yaml"),
    ),
    (
        "signing-groups.yaml",
        include_str!("../../examples/desired-state/signing-groups.yaml"),
    ),
    (
        "users/finance.yaml",
        include_str!("../../examples/desired-state/users/finance.yaml"),
    ),
    (
        "users/legal.yaml",
        include_str!("../../examples/desired-state/users/legal.yaml"),
    ),
    (
        "users/operations.yaml",
        include_str!("../../examples/desired-state/users/operations.yaml"),
    ),
    (
        "users/sales.yaml",
        include_str!("../../examples/desired-state/users/sales.yaml"),
    ),
];

/// The sample account: `examples/desired-state` as DocuSign holds it after a few months of
/// people clicking in the web app, so a plan against it has something to say:
/// - the leaver the YAML closes is still active;
/// - a mover is still in their old group;
/// - a group someone made by hand, with an unmanaged user in it;
/// - a profile setting changed by hand;
/// - the renamed group still has its old name (`previously`).
#[must_use]
pub fn sample() -> Seed {
    let files = EXAMPLE_FILES
        .iter()
        .map(|(name, text)| SourceFile::from_text(format!("examples/desired-state/{name}"), text))
        .collect();
    let Some(desired) = crate::desired::check(files, true).desired else {
        // The examples are validated by the test suite; an invalid set leaves an empty account.
        return Seed::default();
    };
    let state = &desired.state;
    let account_id = desired
        .account
        .as_ref()
        .map_or_else(|| SeedAccount::default().id, |account| account.id.clone());
    let protected = desired
        .policy
        .protected_users
        .iter()
        .next()
        .map(|email| email.as_str().to_owned());

    let permission_profiles = state
        .permission_profiles
        .values()
        .map(|profile| {
            let mut settings = profile.settings.clone();
            if profile.name == "Sales Sender" {
                // Changed by hand: someone turned bulk sending off.
                settings.insert("allowBulkSending".to_owned(), "false".to_owned());
            }
            SeedProfile {
                name: profile.name.clone(),
                settings,
            }
        })
        .collect();

    let mut users: Vec<SeedUser> = state
        .users
        .values()
        .map(|user| SeedUser {
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            job_title: user.job_title.clone().unwrap_or_default(),
            // The leaver the YAML closes was never closed in DocuSign.
            status: match user.status {
                DesiredStatus::Active | DesiredStatus::Closed => "Active".to_owned(),
                DesiredStatus::Pending => "ActivationSent".to_owned(),
                DesiredStatus::Disabled => "Disabled".to_owned(),
            },
            managed_by_scim: false,
            membership_managed_by_scim: false,
            permission_profile: Some(user.permission_profile.clone()),
            created: None,
            added_to_account: None,
            last_login: None,
        })
        .collect();
    users.push(SeedUser {
        email: "summer.intern@northwind-example.com".to_owned(),
        first_name: "Sam".to_owned(),
        last_name: "Intern".to_owned(),
        job_title: "Summer Intern".to_owned(),
        status: "Active".to_owned(),
        managed_by_scim: false,
        membership_managed_by_scim: false,
        permission_profile: Some("DocuSign Sender".to_owned()),
        created: None,
        added_to_account: None,
        last_login: None,
    });
    let envelopes = sample_activity(&mut users);

    let groups = sample_groups(state);

    let signing_groups = state
        .signing_groups
        .values()
        .map(|group| SeedSigningGroup {
            name: group.name.clone(),
            email: group.email.clone(),
            members: group
                .members
                .values()
                .map(|member| SeedMember {
                    name: member.name.clone(),
                    email: member.email.clone(),
                })
                .collect(),
        })
        .collect();

    Seed {
        account: sample_account(account_id),
        integration_user: protected,
        permission_profiles,
        groups,
        signing_groups,
        users,
        envelopes,
    }
}

/// The sample account's plan: a business plan a year into its term, billed monthly.
fn sample_account(id: String) -> SeedAccount {
    SeedAccount {
        id,
        name: "Northwind Trading Co.".to_owned(),
        plan: Some("Business Pro".to_owned()),
        plan_classification: Some("business".to_owned()),
        plan_start: Some("400 days ago".to_owned()),
        plan_end: Some("in 330 days".to_owned()),
        // A few above the 26 memberships that hold one.
        seats_allowed: Some(SeedCount::Number(30)),
        envelopes_allowed: Some(SeedCount::Number(250)),
        billing_period_start: Some("400 days ago".to_owned()),
        billing_period_months: Some(1),
        created: Some("1100 days ago".to_owned()),
    }
}

/// How one sample user has used the account, in days before the emulator's start.
struct Activity {
    email: &'static str,
    created: u32,
    /// When the user joined this account, if later than `created`.
    added: Option<u32>,
    last_login: Option<u32>,
    /// An invitation not yet accepted.
    pending: bool,
    /// When each of the user's envelopes was created.
    envelopes: &'static [u32],
}

const fn used(
    email: &'static str,
    created: u32,
    last_login: u32,
    envelopes: &'static [u32],
) -> Activity {
    Activity {
        email,
        created,
        added: None,
        last_login: Some(last_login),
        pending: false,
        envelopes,
    }
}

const fn invited(email: &'static str, days: u32) -> Activity {
    Activity {
        email,
        created: days,
        added: None,
        last_login: None,
        pending: true,
        envelopes: &[],
    }
}

/// The sample's history, so `seats` has something real to say:
/// - two invitations never accepted, one 45 days old and one 5 days old;
/// - four active users with no sign of use: last login 130 to 395 days ago, no envelope in
///   the last 90 days (Marcus Hale, Grace Liu, Ben Carter, Ryan Foster);
/// - one whose last login is old but who sent an envelope 10 days ago (Tom Becker: through
///   the CRM), so envelopes show use the login date misses;
/// - one who never signed in, given the account 200 days ago, with no envelope (Chloe Dubois);
/// - everyone else signed in lately and sends envelopes, the integration user most.
const SAMPLE_ACTIVITY: [Activity; 26] = [
    used("robert.chen@northwind-example.com", 1000, 2, &[3, 17, 40]),
    used("nadia.petrova@northwind-example.com", 950, 1, &[6, 28]),
    used("kevin.obrien@northwind-example.com", 820, 9, &[12, 55]),
    used("marcus.hale@northwind-example.com", 780, 130, &[150, 210]),
    used("sofia.rossi@northwind-example.com", 400, 4, &[8, 33, 61]),
    used("eleanor.vance@northwind-example.com", 1000, 3, &[2, 20]),
    used("samuel.adeyemi@northwind-example.com", 700, 6, &[14, 45]),
    used(
        "oliver.grant@northwind-example.com",
        520,
        1,
        &[1, 5, 19, 70],
    ),
    used("grace.liu@northwind-example.com", 610, 200, &[]),
    Activity {
        // Made in another of the organization's accounts, given this one later.
        added: Some(700),
        ..used("daniel.park@northwind-example.com", 900, 11, &[22])
    },
    used("julia.novak@northwind-example.com", 1000, 1, &[30]),
    used(
        "docusign-integration@northwind-example.com",
        1000,
        0,
        &[0, 1, 2, 4, 7, 9, 13, 16, 21, 27, 35, 44, 58, 75],
    ),
    used("mei.tanaka@northwind-example.com", 480, 15, &[18, 52]),
    used("ben.carter@northwind-example.com", 860, 395, &[420]),
    used("ahmed.hassan@northwind-example.com", 300, 7, &[9, 26]),
    Activity {
        last_login: None,
        ..used("chloe.dubois@northwind-example.com", 200, 0, &[])
    },
    used("ryan.foster@northwind-example.com", 540, 310, &[]),
    used(
        "maria.gonzalez@northwind-example.com",
        990,
        1,
        &[1, 4, 11, 24],
    ),
    used(
        "james.whitfield@northwind-example.com",
        760,
        2,
        &[3, 15, 38],
    ),
    used("priya.raman@northwind-example.com", 330, 5, &[7, 29]),
    used("tom.becker@northwind-example.com", 640, 170, &[10, 160]),
    invited("aisha.okafor@northwind-example.com", 45),
    invited("lucas.moreau@northwind-example.com", 5),
    used("hannah.kim@northwind-example.com", 450, 3, &[5, 13]),
    // The leaver the YAML closes: gone a month, still active in DocuSign.
    used("derek.lindqvist@northwind-example.com", 730, 34, &[36, 64]),
    used("summer.intern@northwind-example.com", 80, 12, &[20]),
];

const SUBJECTS: [&str; 6] = [
    "Please DocuSign: Master Services Agreement",
    "Please DocuSign: Mutual NDA",
    "Please DocuSign: Purchase Order",
    "Please DocuSign: Statement of Work",
    "Please DocuSign: Renewal Quote",
    "Please DocuSign: Supplier Onboarding Form",
];

/// Gives the sample's users their dates and status, and answers their envelopes.
fn sample_activity(users: &mut [SeedUser]) -> Vec<SeedEnvelope> {
    let ago = |days: u32| format!("{days} days ago");
    let mut envelopes = Vec::new();
    for activity in &SAMPLE_ACTIVITY {
        let Some(user) = users.iter_mut().find(|user| user.email == activity.email) else {
            continue;
        };
        user.created = Some(ago(activity.created));
        user.added_to_account = activity.added.map(ago);
        user.last_login = activity.last_login.map(ago);
        if activity.pending {
            "ActivationSent".clone_into(&mut user.status);
        }
        for &days in activity.envelopes {
            let n = envelopes.len();
            // Most are completed a day after they were sent; the newest are still out, one is
            // a draft, and now and then one is declined or voided.
            let (status, changed) = match (days, n % 9) {
                (1, _) if activity.email.starts_with("oliver.") => ("created", days),
                (0..=3, _) => ("sent", days),
                (_, 4) => ("declined", days - 2),
                (_, 7) => ("voided", days - 1),
                _ => ("completed", days - 1),
            };
            envelopes.push(SeedEnvelope {
                sender: activity.email.to_owned(),
                subject: SUBJECTS[n % SUBJECTS.len()].to_owned(),
                status: status.to_owned(),
                created: ago(days),
                sent: None,
                status_changed: Some(ago(changed)),
            });
        }
    }
    envelopes
}

/// The sample's groups: as declared (the renamed one under its old name), plus the mover
/// still in Sales, the built-in Administrators' members, and a hand-made group.
fn sample_groups(state: &crate::model::Account) -> Vec<SeedGroup> {
    let mover = state
        .users
        .values()
        .find(|user| user.groups.contains("Finance"))
        .map(|user| user.email.clone());
    let mut groups: Vec<SeedGroup> = state
        .groups
        .values()
        .map(|group| SeedGroup {
            // The rename in the YAML hasn't reached DocuSign yet.
            name: group
                .previously
                .first()
                .cloned()
                .unwrap_or_else(|| group.name.clone()),
            permission_profile: group.permission_profile.clone(),
            members: state
                .users
                .values()
                .filter(|user| {
                    user.groups.contains(&group.name)
                        || (group.name == "Sales" && Some(&user.email) == mover.as_ref())
                })
                .map(|user| user.email.clone())
                .collect(),
        })
        .collect();
    groups.push(SeedGroup {
        name: "Administrators".to_owned(),
        permission_profile: None,
        members: state
            .users
            .values()
            .filter(|user| user.groups.contains("Administrators"))
            .map(|user| user.email.clone())
            .collect(),
    });
    groups.push(SeedGroup {
        name: "Temp Contractors".to_owned(),
        permission_profile: None,
        members: vec!["summer.intern@northwind-example.com".to_owned()],
    });

    groups
}
