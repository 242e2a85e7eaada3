//! Replaying a plan on a copy of the live account, checking at every step the rules
//! that never bend: one profile per user, DocuSign Viewer untouched, a profile deleted only
//! after its holders moved, the integration user never closed, demoted or removed from
//! Administrators (rules 1–4; rule 0 is a step on a missing object), and no join to a group
//! whose profile can administer the account by a user the YAML doesn't make an administrator
//! (rule 12: DocuSign may hand joiners the group's profile).
//!
//! [`apply`] says what one operation does to an account, in model terms; [`check_step`]
//! compares the account before and after one step; [`replay`] walks a whole plan. A breach is
//! a bug in the planner: the plan is reported and nothing is applied.

use std::collections::BTreeSet;

use super::operation::Operation;
use super::simulate::{
    admin_capable, apply, footprint, has_group, has_profile, has_signing_group, has_user, holders,
    in_builtin_group,
};
use crate::model::{Account, BuiltinGroup, BuiltinProfile, EmailKey, NameKey, UserStatus};

/// What the checker needs to know besides the accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// The user whose token we use (rule 4), when known.
    pub integration_user: Option<EmailKey>,
}

/// A step that breaks one of the rules that never bend (numbered as ARCHITECTURE.md numbers
/// them), or a DocuSign limit the plan would run into.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    /// A step on an object that doesn't exist, or onto a name already taken: a planning bug.
    #[error("rule 0: {0}")]
    NoSuchObject(String),
    #[error("rule 1: {0}")]
    NotOneProfile(String),
    #[error("rule 2: {0}")]
    BuiltinTouched(String),
    #[error("rule 3: {0}")]
    ProfileStillHeld(String),
    #[error("rule 4: {0}")]
    IntegrationUser(String),
    #[error("rule 12: {0}")]
    AdminJoin(String),
    /// The account would hold more than DocuSign allows.
    #[error("{0}")]
    PastDocuSignLimit(String),
}

impl Breach {
    /// The rule's number; 0 when the step breaks no rule but can't be made.
    #[must_use]
    pub const fn rule(&self) -> u8 {
        match self {
            Self::NoSuchObject(_) | Self::PastDocuSignLimit(_) => 0,
            Self::NotOneProfile(_) => 1,
            Self::BuiltinTouched(_) => 2,
            Self::ProfileStillHeld(_) => 3,
            Self::IntegrationUser(_) => 4,
            Self::AdminJoin(_) => 12,
        }
    }

    /// What is wrong, in words.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::NoSuchObject(message)
            | Self::NotOneProfile(message)
            | Self::BuiltinTouched(message)
            | Self::ProfileStillHeld(message)
            | Self::IntegrationUser(message)
            | Self::AdminJoin(message)
            | Self::PastDocuSignLimit(message) => message,
        }
    }

    /// Whether it is the YAML that asks for what is forbidden (the plan is refused), rather
    /// than the planner erring.
    #[must_use]
    pub const fn is_refusal(&self) -> bool {
        matches!(self, Self::AdminJoin(_) | Self::PastDocuSignLimit(_))
    }
}

/// Replays `operations` in order on a copy of `live`, checking every step as [`check_step`]
/// does. Returns the account the plan leaves, or the index of the first breaking step.
///
/// Each step examines only the users the operation can affect (and the integration user), so
/// a plan that creates or changes many users in a large account stays linear; only renames and
/// deletes of profiles and groups read every user, as applying them does anyway. The verdict
/// is the one [`check_step`] gives on every step, because the live account is first checked
/// whole for rule 1 and an operation can't change a user outside its footprint.
pub fn replay(
    live: &Account,
    operations: &[Operation],
    rules: &Rules,
) -> Result<Account, (usize, Breach)> {
    if !operations.is_empty() {
        check_profiles_held(live, live.users.keys()).map_err(|found| (0, found))?;
    }
    let mut account = live.clone();
    let mut admin_joins = Vec::new();
    for (index, operation) in operations.iter().enumerate() {
        let scope = footprint(&account, operation);
        let facts =
            check_before(&account, operation, rules, scope).map_err(|found| (index, found))?;
        admin_joins.extend(admin_join(&account, operation).map(|join| (index, join)));
        apply(&mut account, operation);
        check_after(&facts, &account).map_err(|found| (index, found))?;
    }
    check_admin_joins(&account, admin_joins)?;
    Ok(account)
}

/// A join to a group that carries an account-administering profile, by a user who doesn't
/// hold one: (email, group, the group's profile).
fn admin_join(account: &Account, operation: &Operation) -> Option<(String, String, String)> {
    let Operation::AddMember { group, email, .. } = operation else {
        return None;
    };
    let carried = account
        .groups
        .get(&NameKey::new(group))?
        .permission_profile
        .clone()?;
    let holds = &account.users.get(&EmailKey::new(email))?.permission_profile;
    (admin_capable(account, &carried) && !admin_capable(account, holds))
        .then(|| (email.clone(), group.clone(), carried))
}

/// Rule 12: DocuSign may hand a joining user the group's profile (accounts differ, and no
/// document settles it). A join that could so give someone an account-administering profile
/// the YAML doesn't give them would leave them an administrator until apply set their own
/// profile again — so such a plan is refused, whichever way the account behaves.
fn check_admin_joins(
    after: &Account,
    joins: Vec<(usize, (String, String, String))>,
) -> Result<(), (usize, Breach)> {
    for (index, (email, group, carried)) in joins {
        let ends_with = after
            .users
            .get(&EmailKey::new(&email))
            .map(|user| user.permission_profile.as_str())
            .unwrap_or_default();
        if !admin_capable(after, ends_with) {
            return Err((
                index,
                Breach::AdminJoin(format!(
                    "`{email}` joins `{group}`, which carries `{carried}`, a profile that can administer the account; DocuSign may give members the group's profile on joining, and the YAML gives `{email}` `{ends_with}`. Give the group a profile without account management, or leave `{email}` out of it"
                )),
            ));
        }
    }
    Ok(())
}

/// Checks one step: `after` is `before` with `operation` applied.
pub fn check_step(
    before: &Account,
    after: &Account,
    operation: &Operation,
    rules: &Rules,
) -> Result<(), Breach> {
    let scope = before
        .users
        .keys()
        .chain(after.users.keys())
        .cloned()
        .collect();
    let facts = check_before(before, operation, rules, scope)?;
    check_after(&facts, after)
}

// ---------------------------------------------------------------------------------------------
// Checking one step
// ---------------------------------------------------------------------------------------------

/// What the checks after a step need to know about the account before it.
struct Before {
    /// The users to examine, and whether each was in Everyone.
    everyone: Vec<(EmailKey, bool)>,
    integration: Option<(EmailKey, Standing)>,
}

/// The integration user's standing, for rule 4.
struct Standing {
    closed: bool,
    administrator: bool,
    admin_capable: bool,
    profile: String,
}

fn standing(account: &Account, email: &EmailKey) -> Option<Standing> {
    let user = account.users.get(email)?;
    Some(Standing {
        closed: user.status == UserStatus::Closed,
        administrator: in_builtin_group(user, BuiltinGroup::Administrators),
        admin_capable: admin_capable(account, &user.permission_profile),
        profile: user.permission_profile.clone(),
    })
}

/// The checks on the operation itself, against the account it applies to; then what the
/// checks after the step need, for the users in `scope`.
fn check_before(
    before: &Account,
    operation: &Operation,
    rules: &Rules,
    scope: BTreeSet<EmailKey>,
) -> Result<Before, Breach> {
    check_builtins_untouched(operation)?;
    check_targets_exist(before, operation)?;
    check_profile_target(before, operation)?;
    check_holders_moved(before, operation)?;
    let everyone = scope
        .into_iter()
        .map(|email| {
            let was_in = before
                .users
                .get(&email)
                .is_some_and(|user| in_builtin_group(user, BuiltinGroup::Everyone));
            (email, was_in)
        })
        .collect();
    let integration = rules
        .integration_user
        .as_ref()
        .and_then(|email| standing(before, email).map(|standing| (email.clone(), standing)));
    Ok(Before {
        everyone,
        integration,
    })
}

/// The checks on the account the step leaves.
fn check_after(before: &Before, after: &Account) -> Result<(), Breach> {
    check_profiles_held(after, before.everyone.iter().map(|(email, _)| email))?;
    check_everyone_untouched(before, after)?;
    check_integration_user(before, after)
}

/// Rule 0: the objects the operation acts on exist, and the ones it creates or renames to don't.
fn check_targets_exist(before: &Account, operation: &Operation) -> Result<(), Breach> {
    let profile = |name: &str| must_exist(has_profile(before, name), "permission profile", name);
    let group = |name: &str| must_exist(has_group(before, name), "group", name);
    let signing = |name: &str| must_exist(has_signing_group(before, name), "signing group", name);
    let user = |email: &str| must_exist(has_user(before, email), "user", email);
    match operation {
        Operation::CreateProfile { name, .. } => {
            must_be_new(has_profile(before, name), "permission profile", name)
        }
        Operation::RenameProfile { from, to, .. } => {
            profile(from)?;
            must_be_free(has_profile(before, to), "permission profile", from, to)
        }
        Operation::UpdateProfileSettings { profile: name, .. } => profile(name),
        Operation::DeleteProfile {
            name,
            move_users_to,
            ..
        } => {
            profile(name)?;
            profile(move_users_to)?;
            if NameKey::new(name) == NameKey::new(move_users_to) {
                return Err(Breach::NoSuchObject(format!(
                    "permission profile `{name}` is deleted with its users moved to itself"
                )));
            }
            Ok(())
        }
        Operation::CreateGroup {
            name,
            permission_profile,
        } => {
            permission_profile.as_deref().map_or(Ok(()), profile)?;
            must_be_new(has_group(before, name), "group", name)
        }
        Operation::RenameGroup { from, to, .. } => {
            group(from)?;
            must_be_free(has_group(before, to), "group", from, to)
        }
        Operation::SetGroupProfile {
            group: name, to, ..
        } => {
            group(name)?;
            to.as_deref().map_or(Ok(()), profile)
        }
        Operation::DeleteGroup { name, .. } => group(name),
        Operation::CreateSigningGroup { name, .. } => {
            must_be_new(has_signing_group(before, name), "signing group", name)
        }
        Operation::RenameSigningGroup { from, to, .. } => {
            signing(from)?;
            must_be_free(has_signing_group(before, to), "signing group", from, to)
        }
        Operation::SetSigningGroupEmail {
            signing_group: name,
            ..
        }
        | Operation::AddSigningGroupMember {
            signing_group: name,
            ..
        }
        | Operation::RemoveSigningGroupMember {
            signing_group: name,
            ..
        }
        | Operation::DeleteSigningGroup { name, .. } => signing(name),
        Operation::CreateUser { email, .. } => must_be_new(has_user(before, email), "user", email),
        Operation::AddMember {
            group: name, email, ..
        }
        | Operation::RemoveMember {
            group: name, email, ..
        } => {
            group(name)?;
            user(email)
        }
        Operation::ReactivateUser { email, .. }
        | Operation::UpdateUser { email, .. }
        | Operation::ChangeProfile { email, .. }
        | Operation::CloseUser { email, .. } => user(email),
    }
}

fn must_exist(exists: bool, kind: &str, name: &str) -> Result<(), Breach> {
    if exists {
        return Ok(());
    }
    Err(Breach::NoSuchObject(format!(
        "{kind} `{name}` does not exist, yet the plan acts on it"
    )))
}

fn must_be_new(exists: bool, kind: &str, name: &str) -> Result<(), Breach> {
    if !exists {
        return Ok(());
    }
    Err(Breach::NoSuchObject(format!(
        "{kind} `{name}` already exists, yet the plan creates it"
    )))
}

/// A rename may change only the letter case of a name, or take a name nothing else has.
fn must_be_free(exists: bool, kind: &str, from: &str, to: &str) -> Result<(), Breach> {
    if !exists || NameKey::new(from) == NameKey::new(to) {
        return Ok(());
    }
    Err(Breach::NoSuchObject(format!(
        "{kind} `{from}` is renamed to `{to}`, which already exists"
    )))
}

/// Rule 1, on the operation: a user is never given a profile that doesn't exist.
fn check_profile_target(before: &Account, operation: &Operation) -> Result<(), Breach> {
    let Some((email, profile)) = operation.profile_given() else {
        return Ok(());
    };
    if has_profile(before, profile) {
        return Ok(());
    }
    Err(Breach::NotOneProfile(format!(
        "user `{email}` is given permission profile `{profile}`, which does not exist"
    )))
}

/// Rule 1, on the account: every user holds one profile that exists.
fn check_profiles_held<'a>(
    account: &Account,
    users: impl IntoIterator<Item = &'a EmailKey>,
) -> Result<(), Breach> {
    for email in users {
        let Some(user) = account.users.get(email) else {
            continue;
        };
        let profile = &user.permission_profile;
        if profile.trim().is_empty() {
            return Err(Breach::NotOneProfile(format!(
                "user `{email}` holds no permission profile"
            )));
        }
        if !has_profile(account, profile) {
            return Err(Breach::NotOneProfile(format!(
                "user `{email}` holds permission profile `{profile}`, which does not exist"
            )));
        }
    }
    Ok(())
}

/// Rule 2, on the operation: built-in profiles and groups are never renamed, modified or
/// deleted, and Everyone's membership is never edited.
fn check_builtins_untouched(operation: &Operation) -> Result<(), Breach> {
    match operation {
        Operation::RenameProfile { from: name, .. } => builtin_profile_untouched(name, "renames"),
        Operation::UpdateProfileSettings { profile: name, .. } => {
            builtin_profile_untouched(name, "modifies")
        }
        Operation::DeleteProfile { name, .. } => builtin_profile_untouched(name, "deletes"),
        Operation::RenameGroup { from: name, .. } => builtin_group_untouched(name, "renames"),
        Operation::DeleteGroup { name, .. } => builtin_group_untouched(name, "deletes"),
        Operation::AddMember { group, email, .. }
        | Operation::RemoveMember { group, email, .. }
            if BuiltinGroup::from_name(group) == Some(BuiltinGroup::Everyone) =>
        {
            Err(Breach::BuiltinTouched(format!(
                "the membership of `Everyone` is never edited, yet the plan edits it for `{email}`"
            )))
        }
        _ => Ok(()),
    }
}

fn builtin_profile_untouched(name: &str, verb: &str) -> Result<(), Breach> {
    match BuiltinProfile::from_name(name) {
        None => Ok(()),
        Some(BuiltinProfile::DocuSignViewer) => Err(Breach::BuiltinTouched(format!(
            "`{name}` (DocuSign Viewer) is never revoked, modified or deleted, yet the plan {verb} it"
        ))),
        Some(builtin) => Err(Breach::BuiltinTouched(format!(
            "the built-in profile `{}` is never renamed, modified or deleted, yet the plan {verb} it",
            builtin.api_name()
        ))),
    }
}

fn builtin_group_untouched(name: &str, verb: &str) -> Result<(), Breach> {
    match BuiltinGroup::from_name(name) {
        None => Ok(()),
        Some(builtin) => Err(Breach::BuiltinTouched(format!(
            "the built-in group `{}` is never renamed or deleted, yet the plan {verb} it",
            builtin.api_name()
        ))),
    }
}

/// Rule 2, on the account: no user joins or leaves Everyone.
fn check_everyone_untouched(before: &Before, after: &Account) -> Result<(), Breach> {
    for (email, was_in) in &before.everyone {
        let is_in = after
            .users
            .get(email)
            .is_some_and(|user| in_builtin_group(user, BuiltinGroup::Everyone));
        if is_in != *was_in {
            let verb = if is_in { "joins" } else { "leaves" };
            return Err(Breach::BuiltinTouched(format!(
                "the membership of `Everyone` is never edited, yet user `{email}` {verb} it"
            )));
        }
    }
    Ok(())
}

/// How many remaining holders a rule 3 breach names.
const SHOWN: usize = 5;

/// Rule 3: a profile is deleted only once no open membership holds it; closed users move with
/// the delete's `move_users_to`.
fn check_holders_moved(before: &Account, operation: &Operation) -> Result<(), Breach> {
    let Operation::DeleteProfile { name, .. } = operation else {
        return Ok(());
    };
    // Closed users can't be given another profile through the API; DocuSign moves them with
    // `move_users_to` in the same call, so only open memberships must have moved.
    let holders: Vec<&EmailKey> = holders(before, &NameKey::new(name))
        .into_iter()
        .filter(|email| {
            before
                .users
                .get(*email)
                .is_some_and(|user| user.status != UserStatus::Closed)
        })
        .collect();
    if holders.is_empty() {
        return Ok(());
    }
    let shown = holders
        .iter()
        .take(SHOWN)
        .map(|email| format!("`{email}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let list = match holders.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{shown} and {more} more"),
        _ => shown,
    };
    Err(Breach::ProfileStillHeld(format!(
        "permission profile `{name}` is deleted while {} user(s) still hold it ({list}); each must be moved by a profile change first",
        holders.len()
    )))
}

/// Rule 4: the integration user is never closed, removed from Administrators or demoted.
fn check_integration_user(before: &Before, after: &Account) -> Result<(), Breach> {
    let Some((email, was)) = &before.integration else {
        return Ok(());
    };
    let Some(now) = standing(after, email) else {
        return Ok(());
    };
    let what = if !was.closed && now.closed {
        "closes it".to_owned()
    } else if was.administrator && !now.administrator {
        "removes it from `Administrators`".to_owned()
    } else if was.admin_capable && !now.admin_capable {
        format!(
            "demotes it from `{}` to `{}`, which cannot manage the account",
            was.profile, now.profile
        )
    } else {
        return Ok(());
    };
    Err(Breach::IntegrationUser(format!(
        "the integration user `{email}` is never closed, demoted or removed from `Administrators`, yet the plan {what}"
    )))
}

#[cfg(test)]
mod tests {
    use crate::plan::fixtures::change_profile;
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Group, PermissionProfile, User};
    use crate::plan::Change;
    use crate::plan::fixtures;

    const BOT: &str = "bot@example.com";

    fn profile(name: &str, settings: &[(&str, &str)]) -> (NameKey, PermissionProfile) {
        let entry = fixtures::profile(&format!("id-{name}"), name, settings);
        (NameKey::new(name), entry)
    }

    fn group(name: &str) -> (NameKey, Group) {
        let entry = fixtures::group(&format!("id-{name}"), name, None);
        (NameKey::new(name), entry)
    }

    fn user(email: &str, profile: &str, groups: &[&str], status: UserStatus) -> (EmailKey, User) {
        let entry = crate::plan::fixtures::user(email, profile, groups, status);
        (EmailKey::new(email), entry)
    }

    /// Built-in profiles listed, plus `Legacy` held by one active and one closed user, and an
    /// admin-capable custom profile; the integration user is an administrator.
    fn account() -> Account {
        let admin = [("allowAccountManagement", "true")];
        Account {
            permission_profiles: BTreeMap::from([
                profile("Account Administrator", &admin),
                profile("DocuSign Sender", &[("allowEnvelopeSending", "true")]),
                profile("DocuSign Viewer", &[]),
                profile("Ops Admin", &admin),
                profile("Legacy", &[("allowBulkSending", "true")]),
                profile("Sales", &[]),
            ]),
            groups: BTreeMap::from([
                group("Everyone"),
                group("Administrators"),
                group("Sales Team"),
            ]),
            signing_groups: BTreeMap::from([(
                NameKey::new("Contracts"),
                fixtures::signing_group("sg-1", "Contracts", None, &[]),
            )]),
            users: BTreeMap::from([
                user(
                    BOT,
                    "Account Administrator",
                    &["Administrators"],
                    UserStatus::Active,
                ),
                user(
                    "ann@example.com",
                    "Legacy",
                    &["Sales Team"],
                    UserStatus::Active,
                ),
                user(
                    "bob@example.com",
                    "Legacy",
                    &["Sales Team"],
                    UserStatus::Closed,
                ),
                user(
                    "cat@example.com",
                    "DocuSign Viewer",
                    &[],
                    UserStatus::Active,
                ),
            ]),
        }
    }

    fn rules() -> Rules {
        Rules {
            integration_user: Some(EmailKey::new(BOT)),
        }
    }

    fn delete_profile(name: &str, move_users_to: &str) -> Operation {
        Operation::DeleteProfile {
            name: name.to_owned(),
            id: None,
            move_users_to: move_users_to.to_owned(),
        }
    }

    fn add_member(group: &str, email: &str) -> Operation {
        Operation::AddMember {
            group: group.to_owned(),
            group_id: None,
            email: email.to_owned(),
            user_id: None,
        }
    }

    fn remove_member(group: &str, email: &str) -> Operation {
        Operation::RemoveMember {
            group: group.to_owned(),
            group_id: None,
            email: email.to_owned(),
            user_id: None,
        }
    }

    fn close(email: &str) -> Operation {
        Operation::CloseUser {
            email: email.to_owned(),
            id: None,
        }
    }

    fn create_user(email: &str, profile: &str) -> Operation {
        Operation::CreateUser {
            email: email.to_owned(),
            first_name: "New".to_owned(),
            last_name: "User".to_owned(),
            job_title: Some("Clerk".to_owned()),
            permission_profile: profile.to_owned(),
        }
    }

    fn rename_group(from: &str, to: &str) -> Operation {
        Operation::RenameGroup {
            id: None,
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn rename_profile(from: &str, to: &str) -> Operation {
        Operation::RenameProfile {
            id: None,
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn delete_group(name: &str) -> Operation {
        Operation::DeleteGroup {
            name: name.to_owned(),
            id: None,
        }
    }

    fn update_settings(profile: &str, field: &str, to: Option<&str>) -> Operation {
        Operation::UpdateProfileSettings {
            profile: profile.to_owned(),
            id: None,
            changes: vec![change(field, to)],
        }
    }

    fn change(field: &str, to: Option<&str>) -> Change {
        Change {
            field: field.to_owned(),
            from: None,
            to: to.map(str::to_owned),
        }
    }

    /// The rule number and step of the breach `operations` make on the sample account.
    fn failure(operations: &[Operation]) -> (usize, u8) {
        let (step, found) = replay(&account(), operations, &rules()).expect_err("a breach");
        (step, found.rule())
    }

    fn passes(operations: &[Operation]) -> Account {
        replay(&account(), operations, &rules())
            .unwrap_or_else(|(step, found)| panic!("step {step}: {found}"))
    }

    fn user_of<'a>(account: &'a Account, email: &str) -> &'a User {
        &account.users[&EmailKey::new(email)]
    }

    // Rule 1 -----------------------------------------------------------------------------------

    #[test]
    fn a_profile_deleted_while_held_names_the_first_holders_and_counts_the_rest() {
        // The sample has one open holder of `Legacy` (ann); add open holders until there are
        // `count`, then delete it without moving them.
        let message = |count: usize| {
            let mut live = account();
            for n in 1..count {
                let (key, holder) = user(
                    &format!("h{n}@example.com"),
                    "Legacy",
                    &[],
                    UserStatus::Active,
                );
                live.users.insert(key, holder);
            }
            let (_, breach) = replay(&live, &[delete_profile("Legacy", "Sales")], &rules())
                .expect_err("holders were not moved");
            assert_eq!(breach.rule(), 3, "{breach}");
            breach.message().to_owned()
        };
        let exactly = message(SHOWN);
        assert!(exactly.contains(&format!("{SHOWN} user(s)")), "{exactly}");
        assert!(!exactly.contains("more"), "{exactly}");
        let over = message(SHOWN + 2);
        assert!(over.contains("and 2 more"), "{over}");
        assert_eq!(over.matches("@example.com`").count(), SHOWN, "{over}");
    }

    #[test]
    fn no_operation_changes_a_user_outside_its_footprint() {
        // What lets each step check only its footprint: whoever `apply` changes is in it.
        let operations = [
            add_member("Sales Team", "cat@example.com"),
            remove_member("Sales Team", "ann@example.com"),
            change_profile("cat@example.com", "DocuSign Viewer", "Sales"),
            close("ann@example.com"),
            create_user("new@example.com", "Sales"),
            rename_group("Sales Team", "Field Sales"),
            delete_group("Sales Team"),
            rename_profile("Legacy", "Old Sending"),
            delete_profile("Legacy", "DocuSign Sender"),
        ];
        for operation in &operations {
            let before = account();
            let scope = footprint(&before, operation);
            let mut after = before.clone();
            apply(&mut after, operation);
            let changed: Vec<&EmailKey> = after
                .users
                .iter()
                .filter(|(email, user)| before.users.get(*email) != Some(*user))
                .map(|(email, _)| email)
                .collect();
            assert!(!changed.is_empty(), "{operation:?} changed nobody");
            for email in changed {
                assert!(
                    scope.contains(email),
                    "{operation:?} changed {email}, outside {scope:?}"
                );
            }
        }
    }

    #[test]
    fn a_live_user_without_a_profile_fails_the_first_step_of_any_plan() {
        // Steps look only at the users they touch, which is sound because the live account is
        // checked whole first: a plan that never touches `dan` still can't pass over him.
        let mut live = account();
        let (key, mut dan) = user("dan@example.com", "Sales", &[], UserStatus::Active);
        dan.permission_profile = String::new();
        live.users.insert(key, dan);
        let (index, breach) = replay(
            &live,
            &[add_member("Sales Team", "cat@example.com")],
            &rules(),
        )
        .expect_err("dan holds no profile");
        assert_eq!((index, breach.rule()), (0, 1), "{breach}");
        assert!(breach.message().contains("dan@example.com"), "{breach}");
        // An empty plan changes nothing and passes whatever the account holds.
        assert!(replay(&live, &[], &rules()).is_ok());
    }

    #[test]
    fn rule_1_change_profile_to_a_missing_profile_is_caught() {
        assert_eq!(
            failure(&[change_profile("cat@example.com", "DocuSign Viewer", "Nope")]),
            (0, 1)
        );
    }

    #[test]
    fn rule_1_creating_or_reactivating_with_a_missing_profile_is_caught() {
        assert_eq!(failure(&[create_user("new@example.com", "Nope")]), (0, 1));
        let reactivate = Operation::ReactivateUser {
            email: "bob@example.com".to_owned(),
            id: None,
            permission_profile: "Nope".to_owned(),
        };
        assert_eq!(failure(&[reactivate]), (0, 1));
    }

    #[test]
    fn rule_1_a_profile_created_earlier_or_a_builtin_not_listed_can_be_given() {
        let create = Operation::CreateProfile {
            name: "Support".to_owned(),
            settings: BTreeMap::new(),
        };
        let after = passes(&[
            create,
            change_profile("cat@example.com", "DocuSign Viewer", "support"),
        ]);
        assert_eq!(
            user_of(&after, "cat@example.com").permission_profile,
            "Support"
        );

        let mut live = account();
        live.permission_profiles
            .retain(|_, entry| BuiltinProfile::from_name(&entry.name).is_none());
        let after = replay(
            &live,
            &[create_user("new@example.com", "docusign sender")],
            &rules(),
        )
        .expect("passes");
        assert_eq!(
            user_of(&after, "new@example.com").permission_profile,
            "DocuSign Sender"
        );
    }

    #[test]
    fn rule_1_a_user_holding_a_missing_profile_is_caught_by_check_step() {
        let before = account();
        let mut after = before.clone();
        after
            .users
            .get_mut(&EmailKey::new("cat@example.com"))
            .unwrap()
            .permission_profile = "Gone".to_owned();
        let found = check_step(&before, &after, &close("cat@example.com"), &rules()).unwrap_err();
        assert_eq!(found.rule(), 1);
    }

    // Rule 2 -----------------------------------------------------------------------------------

    #[test]
    fn rule_2_renaming_docusign_viewer_is_caught_in_any_spelling() {
        assert_eq!(
            failure(&[rename_profile("DocuSign Viewer", "Viewers")]),
            (0, 2)
        );
        let mut live = account();
        live.permission_profiles
            .remove(&NameKey::new("DocuSign Viewer"));
        let (step, found) = replay(
            &live,
            &[rename_profile("Docusign viewer", "Viewers")],
            &rules(),
        )
        .unwrap_err();
        assert_eq!((step, found.rule()), (0, 2));
        assert!(found.message().contains("DocuSign Viewer"), "{found}");
    }

    #[test]
    fn rule_2_builtin_profiles_are_never_modified_or_deleted() {
        let update = update_settings("DocuSign Sender", "allowBulkSending", Some("true"));
        assert_eq!(failure(&[update]), (0, 2));
        assert_eq!(
            failure(&[delete_profile("DocuSign Viewer", "Sales")]),
            (0, 2)
        );
    }

    #[test]
    fn rule_2_builtin_groups_are_never_renamed_or_deleted() {
        assert_eq!(failure(&[rename_group("Everyone", "All")]), (0, 2));
        let delete = delete_group("administrators");
        assert_eq!(failure(&[delete]), (0, 2));
    }

    #[test]
    fn rule_2_adding_a_user_to_everyone_is_caught() {
        assert_eq!(
            failure(&[add_member("Everyone", "cat@example.com")]),
            (0, 2)
        );
        assert_eq!(
            failure(&[remove_member("everyone", "cat@example.com")]),
            (0, 2)
        );
    }

    #[test]
    fn rule_2_a_user_joining_everyone_is_caught_by_check_step() {
        let before = account();
        let mut after = before.clone();
        let cat = after
            .users
            .get_mut(&EmailKey::new("cat@example.com"))
            .unwrap();
        cat.groups.insert("Everyone".to_owned());
        let found = check_step(
            &before,
            &after,
            &add_member("Sales Team", "cat@example.com"),
            &rules(),
        )
        .unwrap_err();
        assert_eq!(found.rule(), 2);
    }

    #[test]
    fn rule_2_custom_objects_may_be_renamed_and_modified() {
        let update = update_settings("Sales", "allowBulkSending", Some("true"));
        passes(&[
            update,
            rename_profile("Sales", "Sales Reps"),
            rename_group("Sales Team", "Sellers"),
        ]);
    }

    // Rule 3 -----------------------------------------------------------------------------------

    #[test]
    fn rule_3_moving_every_holder_then_deleting_passes() {
        let after = passes(&[
            change_profile("ann@example.com", "Legacy", "Sales"),
            change_profile("bob@example.com", "Legacy", "Sales"),
            delete_profile("Legacy", "DocuSign Viewer"),
        ]);
        assert!(
            !after
                .permission_profiles
                .contains_key(&NameKey::new("Legacy"))
        );
        assert_eq!(
            user_of(&after, "ann@example.com").permission_profile,
            "Sales"
        );
        assert_eq!(
            user_of(&after, "bob@example.com").permission_profile,
            "Sales"
        );
    }

    #[test]
    fn rule_3_deleting_before_moving_is_caught() {
        let (step, found) = replay(
            &account(),
            &[delete_profile("Legacy", "DocuSign Viewer")],
            &rules(),
        )
        .unwrap_err();
        assert_eq!((step, found.rule()), (0, 3));
        assert!(
            found.message().contains("ann@example.com")
                && !found.message().contains("bob@example.com"),
            "{found}"
        );
    }

    #[test]
    fn rule_3_a_closed_holder_moves_with_the_delete() {
        // A closed membership can't be given another profile through the API; the delete's
        // `move_users_to` moves it.
        let after = passes(&[
            change_profile("ann@example.com", "Legacy", "Sales"),
            delete_profile("Legacy", "DocuSign Viewer"),
        ]);
        assert_eq!(
            user_of(&after, "bob@example.com").permission_profile,
            "DocuSign Viewer"
        );
    }

    #[test]
    fn rule_3_check_step_flags_the_move_the_api_would_make() {
        let before = account();
        let operation = delete_profile("Legacy", "DocuSign Viewer");
        let mut after = before.clone();
        apply(&mut after, &operation);
        // The API moved the holders, so rule 1 holds afterwards; rule 3 still fails.
        assert_eq!(
            user_of(&after, "bob@example.com").permission_profile,
            "DocuSign Viewer"
        );
        assert_eq!(
            check_step(&before, &after, &operation, &rules())
                .unwrap_err()
                .rule(),
            3
        );
    }

    // Rule 4 -----------------------------------------------------------------------------------

    #[test]
    fn rule_4_closing_the_integration_user_is_caught() {
        assert_eq!(failure(&[close(BOT)]), (0, 4));
    }

    #[test]
    fn rule_4_removing_the_integration_user_from_administrators_is_caught() {
        assert_eq!(failure(&[remove_member("Administrators", BOT)]), (0, 4));
    }

    #[test]
    fn rule_4_demoting_the_integration_user_is_caught() {
        assert_eq!(
            failure(&[change_profile(
                BOT,
                "Account Administrator",
                "DocuSign Sender"
            )]),
            (0, 4)
        );
    }

    #[test]
    fn rule_4_taking_account_management_from_its_profile_is_caught() {
        let operations = [
            change_profile(BOT, "Account Administrator", "Ops Admin"),
            update_settings("Ops Admin", "allowAccountManagement", Some("false")),
        ];
        assert_eq!(failure(&operations), (1, 4));
    }

    #[test]
    fn rule_4_moving_the_integration_user_between_admin_profiles_passes() {
        let after = passes(&[change_profile(BOT, "Account Administrator", "Ops Admin")]);
        assert_eq!(user_of(&after, BOT).permission_profile, "Ops Admin");
    }

    #[test]
    fn rule_4_applies_only_to_the_integration_user() {
        replay(&account(), &[close(BOT)], &Rules::default()).expect("no integration user set");
        passes(&[
            close("cat@example.com"),
            remove_member("Sales Team", "ann@example.com"),
        ]);
    }

    // Rule 0 -----------------------------------------------------------------------------------

    #[test]
    fn rule_0_acting_on_a_missing_object_is_caught() {
        assert_eq!(
            failure(&[add_member("Sales Team", "nobody@example.com")]),
            (0, 0)
        );
        assert_eq!(
            failure(&[add_member("No Such Group", "cat@example.com")]),
            (0, 0)
        );
        assert_eq!(failure(&[delete_profile("Nope", "Sales")]), (0, 0));
        assert_eq!(failure(&[create_user("ANN@example.com", "Sales")]), (0, 0));
        assert_eq!(
            failure(&[rename_group("Sales Team", "administrators")]),
            (0, 0)
        );
    }

    #[test]
    fn an_operation_on_a_missing_object_leaves_the_account_unchanged() {
        let mut changed = account();
        apply(
            &mut changed,
            &add_member("Sales Team", "nobody@example.com"),
        );
        apply(
            &mut changed,
            &change_profile("cat@example.com", "DocuSign Viewer", "Nope"),
        );
        apply(&mut changed, &rename_group("Nope", "Other"));
        apply(&mut changed, &rename_group("Sales Team", "Administrators"));
        apply(&mut changed, &delete_profile("Legacy", "Nope"));
        assert_eq!(changed, account());
    }

    // What operations do -------------------------------------------------------------------------

    #[test]
    fn renaming_a_group_renames_it_in_users_group_sets() {
        let after = passes(&[rename_group("sales team", "Sellers")]);
        let sellers = &after.groups[&NameKey::new("sellers")];
        assert_eq!(
            (sellers.name.as_str(), sellers.id.as_deref()),
            ("Sellers", Some("id-Sales Team"))
        );
        assert!(!after.groups.contains_key(&NameKey::new("Sales Team")));
        for email in ["ann@example.com", "bob@example.com"] {
            assert_eq!(
                user_of(&after, email).groups,
                BTreeSet::from(["Sellers".to_owned()])
            );
        }
    }

    #[test]
    fn deleting_a_group_removes_its_memberships() {
        let delete = delete_group("Sales Team");
        let after = passes(&[delete]);
        assert!(!after.groups.contains_key(&NameKey::new("Sales Team")));
        assert!(user_of(&after, "ann@example.com").groups.is_empty());
        assert!(user_of(&after, "bob@example.com").groups.is_empty());
    }

    #[test]
    fn renaming_a_profile_follows_its_holders_and_keeps_its_id() {
        let after = passes(&[rename_profile("Legacy", "Old Timers")]);
        assert_eq!(
            after.permission_profiles[&NameKey::new("Old Timers")]
                .id
                .as_deref(),
            Some("id-Legacy")
        );
        assert_eq!(
            user_of(&after, "bob@example.com").permission_profile,
            "Old Timers"
        );
    }

    #[test]
    fn a_new_user_is_pending_with_no_groups_then_joins_one() {
        let after = passes(&[
            create_user("New@Example.com", "Sales"),
            add_member("sales team", "new@example.com"),
        ]);
        let new = user_of(&after, "new@example.com");
        assert_eq!((new.status, new.id.as_deref()), (UserStatus::Pending, None));
        assert_eq!(new.groups, BTreeSet::from(["Sales Team".to_owned()]));
        assert_eq!(new.job_title.as_deref(), Some("Clerk"));
    }

    #[test]
    fn closing_keeps_memberships_and_reactivating_sets_the_profile() {
        let after = passes(&[close("ann@example.com")]);
        let ann = user_of(&after, "ann@example.com");
        assert_eq!(ann.status, UserStatus::Closed);
        assert_eq!(ann.groups, BTreeSet::from(["Sales Team".to_owned()]));
        let reactivate = Operation::ReactivateUser {
            email: "bob@example.com".to_owned(),
            id: None,
            permission_profile: "Sales".to_owned(),
        };
        let bob = passes(&[reactivate]).users[&EmailKey::new("bob@example.com")].clone();
        assert_eq!(
            (bob.status, bob.permission_profile.as_str()),
            (UserStatus::Pending, "Sales")
        );
    }

    #[test]
    fn updates_touch_only_the_listed_settings_and_attributes() {
        let settings = update_settings("Legacy", "allowEnvelopeSending", Some("false"));
        let attributes = Operation::UpdateUser {
            email: "cat@example.com".to_owned(),
            id: None,
            changes: vec![
                change("last_name", Some("Smith")),
                change("job_title", Some("Lawyer")),
            ],
        };
        let after = passes(&[settings, attributes]);
        let legacy = &after.permission_profiles[&NameKey::new("Legacy")].settings;
        assert_eq!(
            legacy.get("allowBulkSending").map(String::as_str),
            Some("true")
        );
        assert_eq!(
            legacy.get("allowEnvelopeSending").map(String::as_str),
            Some("false")
        );
        let cat = user_of(&after, "cat@example.com");
        assert_eq!(
            (cat.first_name.as_str(), cat.last_name.as_str()),
            ("First", "Smith")
        );
        assert_eq!(cat.job_title.as_deref(), Some("Lawyer"));
    }

    #[test]
    fn signing_group_members_come_and_go() {
        let add = Operation::AddSigningGroupMember {
            signing_group: "contracts".to_owned(),
            id: None,
            name: "Dee".to_owned(),
            email: "Dee@example.com".to_owned(),
        };
        let after = passes(std::slice::from_ref(&add));
        assert!(
            after.signing_groups[&NameKey::new("Contracts")]
                .members
                .contains_key(&EmailKey::new("dee@example.com"))
        );
        let remove = Operation::RemoveSigningGroupMember {
            signing_group: "Contracts".to_owned(),
            id: None,
            email: "dee@example.com".to_owned(),
        };
        assert!(
            passes(&[add, remove]).signing_groups[&NameKey::new("Contracts")]
                .members
                .is_empty()
        );
    }

    #[test]
    fn replay_agrees_with_check_step_on_every_step() {
        let operations = [
            rename_profile("Legacy", "Old"),
            rename_group("Sales Team", "Sellers"),
            create_user("new@example.com", "Old"),
            add_member("Sellers", "new@example.com"),
            change_profile("ann@example.com", "Old", "Sales"),
            change_profile("bob@example.com", "Old", "Sales"),
            change_profile("new@example.com", "Old", "Sales"),
            remove_member("Sellers", "ann@example.com"),
            close("cat@example.com"),
            delete_profile("Old", "DocuSign Viewer"),
        ];
        let mut account = account();
        for operation in &operations {
            let before = account.clone();
            apply(&mut account, operation);
            check_step(&before, &account, operation, &rules()).expect("each step passes");
        }
        assert_eq!(passes(&operations), account);
    }

    #[test]
    fn a_breach_displays_its_rule() {
        let found = Breach::ProfileStillHeld("`Legacy` is still held".to_owned());
        assert_eq!(found.to_string(), "rule 3: `Legacy` is still held");
    }
}
