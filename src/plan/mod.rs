//! The planner: pure functions from (desired, live, recorded) to an ordered, checked plan.
//! No I/O here: it is tested with plain values.

pub mod batching;
pub mod describe;
pub mod diff;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod guards;
pub mod operation;
pub mod reason;
pub mod render;
pub mod replay;
pub mod saved;
pub mod simulate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use describe::kind;
pub use diff::{Planned, Report};
pub use guards::{GuardCheck, GuardClass};
pub use operation::{Change, Operation, Phase};
pub use reason::{Reason, Stated};

use crate::desired::Desired;
use crate::desired::checked::DriftObject;
use crate::desired::checked::Provenance;
use crate::model::admin::Administering;
use crate::model::{Account, EmailKey, NameKey};
use crate::words::counted;

/// The plan's JSON format; bumped when the shape changes. 2: the plan names where it was made
/// (`origin`) and refuses fields it doesn't know.
pub const FORMAT_VERSION: u32 = 2;

/// What the planner needs besides desired and live state.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The email of the user whose token we use: never closed, demoted or removed from
    /// Administrators.
    pub integration_user: Option<String>,
    /// No one could tell whose token this is (`DOCUSIGN_BASE_URL`, and userinfo didn't say):
    /// the integration user can't be kept an administrator by name, so the plan is refused if
    /// it takes account administration from anyone.
    pub token_user_unknown: bool,
    /// Today, for telling an `accepted_drift` entry still in force from an expired one;
    /// `None` counts every entry as in force.
    pub today: Option<jiff::civil::Date>,
    /// Guard classes the operator allowed past their limits (`--allow`).
    pub allowed: Vec<GuardClass>,
    /// The git commit of the desired state, when DIR is in a repository.
    pub desired_commit: Option<String>,
    /// The hourly API budget DocuSign reported while reading the account.
    pub hourly_remaining: Option<u64>,
    /// The recorded state the plan was computed against, when there is one.
    pub recorded: Option<RecordedRef>,
    /// The account and the desired-state files the plan is made for.
    pub origin: Origin,
}

/// Where a plan was made: apply refuses a saved plan whose origin is not its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The DocuSign account ID.
    pub account_id: String,
    /// `demo`, `production` or `emulator`.
    pub environment: String,
    /// The digest of the desired-state files (every file's relative path and text).
    pub desired_digest: String,
}

/// Which recorded state a plan was computed against: apply refuses a plan when another apply
/// has moved the serial on since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRef {
    pub lineage: String,
    pub serial: u64,
}

/// One step of the plan: the operation and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub phase: Phase,
    #[serde(flatten)]
    pub operation: Operation,
    pub reason: Reason,
}

/// The ordered plan.
///
/// A saved plan is untrusted (it may come from a pull request): apply plans again and runs
/// only the plan it made itself, after checking the saved one is that plan. Unknown fields
/// are refused, so nothing in the file is silently ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    /// SHA-256 of the live account it was computed from: apply refuses a changed account.
    pub fingerprint: String,
    pub origin: Origin,
    pub desired_commit: Option<String>,
    /// The recorded state it was computed against; `None` before the first apply.
    pub recorded: Option<RecordedRef>,
    pub steps: Vec<Step>,
    /// Things said but not done: unmanaged users under `report`, protected users that differ.
    pub reports: Vec<Report>,
    /// Grants of admin-capable profiles, called out at the top of every rendering.
    pub escalations: Vec<String>,
    pub guards: Vec<GuardCheck>,
    /// Operations per kind.
    pub summary: BTreeMap<String, usize>,
    /// The API calls apply will make, bulk calls counted as one.
    pub api_calls: u64,
    pub hourly_remaining: Option<u64>,
    /// For each user the steps change that `sync` generated: the directory source and rules
    /// it came from, by the email the steps name. Absent from plans with no such user.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provenance: BTreeMap<String, Provenance>,
}

impl Plan {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// `3 changes in about 2 API calls (2990 left this hour)`: the plan's size and cost.
    #[must_use]
    pub fn totals(&self) -> String {
        let calls = usize::try_from(self.api_calls).unwrap_or(usize::MAX);
        format!(
            "{} in about {}{}",
            counted(self.steps.len(), "change"),
            counted(calls, "API call"),
            self.hourly_remaining
                .map_or_else(String::new, |left| format!(" ({left} left this hour)"))
        )
    }

    /// Guards over their limit that the operator did not allow.
    #[must_use]
    pub fn refusals(&self) -> Vec<&GuardCheck> {
        self.guards.iter().filter(|check| check.refuses()).collect()
    }
}

/// A plan that breaks one of the rules that never bend when replayed. Most breaches are bugs in
/// the planner; a join that could make someone an administrator (rule 12) is the YAML's doing,
/// and the plan is refused instead.
#[derive(Debug, miette::Diagnostic)]
#[diagnostic(code(plan::rule_breach), help("nothing was applied"))]
pub struct RuleBreach {
    pub step: usize,
    pub operation: String,
    pub breach: replay::Breach,
    /// The YAML asks for what a rule forbids, rather than the planner erring.
    pub refused: bool,
}

impl RuleBreach {
    /// A plan refused at `step` (an index into `operations`) for what the YAML asks.
    fn refusal(operations: &[Operation], step: usize, breach: replay::Breach) -> Self {
        Self {
            step: step + 1,
            operation: operations
                .get(step)
                .map(|operation| format!("{operation:?}"))
                .unwrap_or_default(),
            breach,
            refused: true,
        }
    }

    /// Whether the YAML asks for what the rule forbids (a refusal, exit 3), rather than the
    /// planner erring (a bug).
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        self.refused
    }
}

impl std::fmt::Display for RuleBreach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_refusal() {
            write!(
                f,
                "the plan is refused at step {}: {}",
                self.step,
                self.breach.message()
            )
        } else {
            write!(
                f,
                "the plan breaks {} at step {} ({}); this is a bug in docusign-gitops, please report it",
                self.breach, self.step, self.operation
            )
        }
    }
}

impl std::error::Error for RuleBreach {}

/// The signing groups the plan leaves must fit DocuSign's cap, counting those the YAML doesn't
/// manage: a create past it would fail half-way through apply.
fn room_for_signing_groups(
    operations: &[Operation],
    live: &Account,
    after: &Account,
) -> Result<(), RuleBreach> {
    use crate::desired::validate::MAX_SIGNING_GROUPS;
    let count = after.signing_groups.len();
    if count <= MAX_SIGNING_GROUPS {
        return Ok(());
    }
    let step = operations
        .iter()
        .position(|operation| matches!(operation, Operation::CreateSigningGroup { .. }))
        .unwrap_or(0);
    let created: Vec<&str> = operations
        .iter()
        .filter_map(|operation| match operation {
            Operation::CreateSigningGroup { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let kept: Vec<&str> = live
        .signing_groups
        .values()
        .filter(|group| {
            after
                .signing_groups
                .contains_key(&NameKey::new(&group.name))
        })
        .map(|group| group.name.as_str())
        .collect();
    let shown = 10;
    let mut others: Vec<String> = kept
        .iter()
        .take(shown)
        .map(|name| format!("`{name}`"))
        .collect();
    if kept.len() > shown {
        others.push(format!("and {} more", kept.len() - shown));
    }
    Err(RuleBreach::refusal(
        operations,
        step,
        replay::Breach::PastDocuSignLimit(format!(
            "the account would hold {count} signing groups, and DocuSign allows {MAX_SIGNING_GROUPS}: the plan creates {} ({}) beside the {} it keeps ({}). Remove signing groups from the YAML, or delete the ones it doesn't manage in DocuSign first",
            created.len(),
            created.join(", "),
            kept.len(),
            others.join(", ")
        )),
    ))
}

/// The objects a step changes, as `accepted_drift` names them.
fn drift_objects(operation: &Operation) -> Vec<DriftObject> {
    let user = |email: &str| DriftObject::User(EmailKey::new(email));
    let group = |name: &str| DriftObject::Group(NameKey::new(name));
    let profile = |name: &str| DriftObject::PermissionProfile(NameKey::new(name));
    let signing = |name: &str| DriftObject::SigningGroup(NameKey::new(name));
    match operation {
        Operation::CreateProfile { .. }
        | Operation::CreateGroup { .. }
        | Operation::CreateSigningGroup { .. }
        | Operation::CreateUser { .. } => Vec::new(),
        Operation::RenameProfile { from, .. } => vec![profile(from)],
        Operation::UpdateProfileSettings { profile: name, .. }
        | Operation::DeleteProfile { name, .. } => vec![profile(name)],
        Operation::RenameGroup { from, .. } => vec![group(from)],
        Operation::SetGroupProfile { group: name, .. } | Operation::DeleteGroup { name, .. } => {
            vec![group(name)]
        }
        Operation::RenameSigningGroup { from, .. } => vec![signing(from)],
        Operation::SetSigningGroupEmail {
            signing_group: name,
            ..
        }
        | Operation::DeleteSigningGroup { name, .. } => vec![signing(name)],
        Operation::AddMember {
            group: name, email, ..
        }
        | Operation::RemoveMember {
            group: name, email, ..
        } => vec![user(email), group(name)],
        Operation::AddSigningGroupMember {
            signing_group: name,
            email,
            ..
        }
        | Operation::RemoveSigningGroupMember {
            signing_group: name,
            email,
            ..
        } => vec![user(email), signing(name)],
        Operation::ReactivateUser { email, .. }
        | Operation::UpdateUser { email, .. }
        | Operation::ChangeProfile { email, .. }
        | Operation::CloseUser { email, .. } => vec![user(email)],
    }
}

/// When a step changes an object whose drift the YAML accepts (and the acceptance is still in
/// force), it undoes what was accepted: the reviewer must see that.
fn reverts_accepted_drift(
    operation: &Operation,
    desired: &Desired,
    today: Option<jiff::civil::Date>,
) -> Option<String> {
    let objects = drift_objects(operation);
    desired
        .policy
        .accepted_drift
        .iter()
        .filter(|accepted| today.is_none_or(|today| accepted.until >= today))
        .find(|accepted| objects.contains(&accepted.object))
        .map(|accepted| {
            format!(
                "this reverts drift accepted until {} ({}): the YAML's value replaces it",
                accepted.until, accepted.reason
            )
        })
}

/// With no way to tell whose token this is, rule 4 (the integration user stays an
/// administrator) can only hold if nobody loses account administration: the first step that
/// takes it from someone refuses the plan.
fn keep_every_administrator(
    operations: &[Operation],
    live: &Account,
    after: &Account,
) -> Result<(), RuleBreach> {
    let before = Administering::of(live);
    let Some(&lost) = before.gained_since(&Administering::of(after)).first() else {
        return Ok(());
    };
    let email = &live.users[lost].email;
    let step = operations
        .iter()
        .position(|operation| match operation {
            Operation::CloseUser { email: who, .. }
            | Operation::ChangeProfile { email: who, .. }
            | Operation::RemoveMember { email: who, .. } => EmailKey::new(who) == *lost,
            _ => false,
        })
        .unwrap_or(0);
    Err(RuleBreach::refusal(
        operations,
        step,
        replay::Breach::IntegrationUser(format!(
            "`{email}` would no longer be able to administer the account, and the user behind the token is unknown (DOCUSIGN_BASE_URL skips discovery, and DocuSign's userinfo didn't say who it is), so this could be the integration user. Make this change with the JWT grant (its user is known) or without DOCUSIGN_BASE_URL"
        )),
    ))
}

/// Plans the changes that take `live` to `desired`; `recorded` is the managed objects as the
/// last apply left them (`None` before the first apply).
pub fn plan(
    desired: &Desired,
    live: &Account,
    recorded: Option<&Account>,
    context: &Context,
) -> Result<Plan, RuleBreach> {
    let diff = diff::diff(diff::Inputs {
        desired,
        live,
        recorded,
        integration_user: context.integration_user.as_deref(),
    });
    let mut planned = diff.operations;
    for step in &mut planned {
        if let Some(note) = reverts_accepted_drift(&step.operation, desired, context.today) {
            step.reason = step.reason.with_note(&note);
        }
    }
    // Rule 5; a stable sort keeps each user's own operations in the order the diff wrote them.
    planned.sort_by_key(|planned| planned.operation.phase());
    let (operations, reasons): (Vec<Operation>, Vec<Reason>) = planned
        .into_iter()
        .map(|planned| (planned.operation, planned.reason))
        .unzip();
    let rules = replay::Rules {
        integration_user: context.integration_user.as_deref().map(EmailKey::new),
    };
    let after = replay::replay(live, &operations, &rules).map_err(|(step, breach)| RuleBreach {
        step: step + 1,
        operation: format!("{:?}", operations[step]),
        refused: breach.is_refusal(),
        breach,
    })?;
    if context.token_user_unknown {
        keep_every_administrator(&operations, live, &after)?;
    }
    room_for_signing_groups(&operations, live, &after)?;
    let escalations = guards::admin_grants(&operations, live, &after);
    let guards = guards::check(&operations, desired, live, &escalations, &context.allowed);
    let mut summary = BTreeMap::new();
    for operation in &operations {
        *summary.entry(kind(operation)).or_insert(0) += 1;
    }
    let provenance = provenance(&operations, desired);
    Ok(Plan {
        format_version: FORMAT_VERSION,
        fingerprint: fingerprint(live),
        origin: context.origin.clone(),
        desired_commit: context.desired_commit.clone(),
        recorded: context.recorded.clone(),
        api_calls: batching::api_calls(&operations, live),
        steps: operations
            .into_iter()
            .zip(reasons)
            .map(|(operation, reason)| Step {
                phase: operation.phase(),
                operation,
                reason,
            })
            .collect(),
        reports: diff.reports,
        escalations,
        guards,
        summary,
        hourly_remaining: context.hourly_remaining,
        provenance,
    })
}

/// Where `sync` got each generated user the operations change, by the email they name.
fn provenance(operations: &[Operation], desired: &Desired) -> BTreeMap<String, Provenance> {
    operations
        .iter()
        .map(describe::subject)
        .filter(|subject| subject.part == describe::Part::Users)
        .filter_map(|subject| {
            let provenance = desired.generated.get(&EmailKey::new(subject.name))?;
            Some((subject.name.to_owned(), provenance.clone()))
        })
        .collect()
}

/// SHA-256 of the live account's canonical JSON (sorted maps): equal accounts, equal prints.
/// The JSON is streamed into the hash, never held whole.
#[must_use]
pub fn fingerprint(live: &Account) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    // Writing into a hash can't fail, and `Account` always serializes.
    let _ = serde_json::to_writer(std::io::BufWriter::new(&mut hashing), live);
    format!("{:x}", hashing.0.finalize())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::desired::checked::Policy;
    use crate::model::{Group, NameKey, PermissionProfile, User, UserStatus};

    /// Desired state holding `state`, with DocuSign Viewer as the default profile.
    fn desired(state: Account) -> Desired {
        Desired {
            account: None,
            default_profile: "DocuSign Viewer".to_owned(),
            policy: Policy::default(),
            state,
            generated: BTreeMap::new(),
            leavers_left_out: false,
        }
    }

    fn profile(name: &str, previously: &[&str]) -> PermissionProfile {
        PermissionProfile {
            id: None,
            name: name.to_owned(),
            settings: BTreeMap::new(),
            previously: previously.iter().map(|old| (*old).to_owned()).collect(),
        }
    }

    fn user(profile: &str, groups: &[&str]) -> User {
        User {
            id: Some("u1".to_owned()),
            email: "ana@example.com".to_owned(),
            first_name: "Ana".to_owned(),
            last_name: "Lima".to_owned(),
            job_title: None,
            permission_profile: profile.to_owned(),
            groups: groups
                .iter()
                .map(|group| (*group).to_owned())
                .collect::<BTreeSet<_>>(),
            status: UserStatus::Active,
            managed_by_scim: false,
            membership_managed_by_scim: false,
        }
    }

    fn group(name: &str, profile: Option<&str>, previously: &[&str]) -> Group {
        Group {
            id: None,
            name: name.to_owned(),
            permission_profile: profile.map(str::to_owned),
            previously: previously.iter().map(|old| (*old).to_owned()).collect(),
        }
    }

    #[test]
    fn renaming_a_profile_moves_nobody_and_re_profiles_no_group() {
        let mut live = Account::default();
        for name in ["DocuSign Viewer", "Old Name"] {
            live.permission_profiles
                .insert(NameKey::new(name), profile(name, &[]));
        }
        live.groups.insert(
            NameKey::new("Sales Team"),
            group("Sales Team", Some("Old Name"), &[]),
        );
        live.users.insert(
            EmailKey::new("ana@example.com"),
            user("Old Name", &["Sales Team"]),
        );

        let mut state = Account::default();
        state
            .permission_profiles
            .insert(NameKey::new("New Name"), profile("New Name", &["Old Name"]));
        state.groups.insert(
            NameKey::new("Sales"),
            group("Sales", Some("New Name"), &["Sales Team"]),
        );
        state.users.insert(
            EmailKey::new("ana@example.com"),
            user("New Name", &["Sales"]),
        );
        let desired = desired(state);
        let plan = plan(&desired, &live, None, &Context::default()).expect("a valid plan");
        let kinds: Vec<String> = plan
            .steps
            .iter()
            .map(|step| kind(&step.operation))
            .collect();
        assert_eq!(kinds, ["rename_profile", "rename_group"], "{plan:#?}");
    }

    #[test]
    fn the_integration_users_profile_keeps_account_management() {
        let admin = |value: &str| {
            let mut ops = profile("Ops Admin", &[]);
            ops.settings
                .insert("allowAccountManagement".to_owned(), value.to_owned());
            ops.settings
                .insert("allowBulkSending".to_owned(), value.to_owned());
            ops
        };
        let mut live = Account::default();
        live.permission_profiles
            .insert(NameKey::new("Ops Admin"), admin("true"));
        live.users
            .insert(EmailKey::new("ana@example.com"), user("Ops Admin", &[]));
        let mut state = Account::default();
        state
            .permission_profiles
            .insert(NameKey::new("Ops Admin"), admin("false"));
        let desired = desired(state);
        let context = Context {
            integration_user: Some("ANA@example.com".to_owned()),
            ..Context::default()
        };
        let plan = plan(&desired, &live, None, &context).expect("no rule breach");
        // The other setting changes; account management stays, and the plan says why.
        assert_eq!(plan.steps.len(), 1, "{plan:#?}");
        let Operation::UpdateProfileSettings { changes, .. } = &plan.steps[0].operation else {
            panic!("{plan:#?}");
        };
        assert_eq!(
            changes
                .iter()
                .map(|change| change.field.as_str())
                .collect::<Vec<_>>(),
            ["allowBulkSending"]
        );
        assert!(
            plan.reports
                .iter()
                .any(|report| report.note.contains("must keep account management")),
            "{plan:#?}"
        );
    }

    #[test]
    fn a_disabled_user_desired_active_is_reported_not_planned() {
        let mut live = Account::default();
        live.permission_profiles.insert(
            NameKey::new("DocuSign Viewer"),
            profile("DocuSign Viewer", &[]),
        );
        let mut disabled = user("DocuSign Viewer", &[]);
        disabled.status = UserStatus::Disabled;
        live.users
            .insert(EmailKey::new("ana@example.com"), disabled);
        let mut state = Account::default();
        state.users.insert(
            EmailKey::new("ana@example.com"),
            user("DocuSign Viewer", &[]),
        );
        let desired = desired(state);
        let plan = plan(&desired, &live, None, &Context::default()).expect("a valid plan");
        assert!(plan.steps.is_empty(), "{plan:#?}");
        assert!(
            plan.reports
                .iter()
                .any(|report| report.note.contains("can't re-enable")),
            "{plan:#?}"
        );
    }
}
