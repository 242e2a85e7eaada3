//! Groups and signing groups: created, renamed, re-profiled, given members, deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::profiles::{rename_reason, same_name};
use super::{Diff, Inputs, Reconciled, Renames, after_renames};
use crate::desired::Desired;
use crate::model::{Account, BuiltinGroup, EmailKey, Group, NameKey, SigningGroup};
use crate::plan::{Operation, Reason, Stated};

/// Groups to create, rename, re-profile and delete; returns the renames for memberships.
pub(super) fn reconcile_groups(
    inputs: Inputs<'_>,
    profile_renames: &Renames,
    out: &mut Diff,
) -> Reconciled<NameKey> {
    let Inputs { desired, live, .. } = inputs;
    let matcher = inputs.matcher(|account| &account.groups);
    let mut result = Reconciled::new();
    let found = matcher.assign(&desired.state.groups);
    let hints =
        (found.len() < desired.state.groups.len()).then(|| RenameHints::new(desired, live, &found));
    for (want, group) in &desired.state.groups {
        let Some(&(key, current)) = found.get(want) else {
            let old = hints.as_ref().and_then(|hints| hints.renamed_from(want));
            let reason = old.map_or(Reason::Stated(Stated::NewInYaml), |old| {
                Reason::Noted(format!(
                        "new in the YAML; if it is `{old}` renamed, add `previously: [{old}]` to it so `{old}` is renamed instead, keeping its ID and members"
                ))
            });
            out.push(
                Operation::CreateGroup {
                    name: group.name.clone(),
                    permission_profile: group.permission_profile.clone(),
                },
                reason,
            );
            continue;
        };
        if current.name != group.name {
            result.renames.insert(key.clone(), group.name.clone());
            out.push(
                Operation::RenameGroup {
                    id: current.id.clone(),
                    from: current.name.clone(),
                    to: group.name.clone(),
                },
                rename_reason(&current.name, &group.name, &group.previously),
            );
        }
        let current_profile = current
            .permission_profile
            .as_deref()
            .map(|name| after_renames(name, profile_renames));
        if !same_name(current_profile.as_ref(), group.permission_profile.as_ref()) {
            out.push(
                Operation::SetGroupProfile {
                    group: group.name.clone(),
                    id: current.id.clone(),
                    from: current.permission_profile.clone(),
                    to: group.permission_profile.clone(),
                },
                Stated::GroupGetsAnotherProfile,
            );
        }
    }
    for orphan in matcher.orphans(&desired.state.groups, &found) {
        if BuiltinGroup::from_name(&orphan.name).is_some() {
            continue;
        }
        // Deleting the group would take a user who is left alone out of it.
        let orphan_key = NameKey::new(&orphan.name);
        let stuck = live.users.values().find_map(|user| {
            let member = user
                .groups
                .iter()
                .any(|group| NameKey::new(group) == orphan_key);
            member
                .then(|| inputs.hands_off(user))
                .flatten()
                .map(|why| (user, why))
        });
        if let Some((user, why)) = stuck {
            out.report(
                &user.email,
                format!(
                    "is in `{}`, which the YAML removed; the group is kept because this user is left alone: {why}",
                    orphan.name
                ),
            );
            continue;
        }
        result.deleted.push(NameKey::new(&orphan.name));
        out.push(
            Operation::DeleteGroup {
                name: orphan.name.clone(),
                id: orphan.id.clone(),
            },
            Stated::RemovedFromYaml,
        );
    }
    result
}

/// For a group the YAML declares new: a live group no desired group stands for, whose members
/// are mostly the new group's members in the YAML, was likely renamed by someone who didn't
/// write `previously`. Every membership is read once, whatever the number of groups.
pub(super) struct RenameHints<'a> {
    /// The live custom groups no desired group stands for, with their members.
    unclaimed: Vec<(&'a str, Vec<&'a EmailKey>)>,
    /// Desired group → the users the YAML puts in it.
    joining: HashMap<NameKey, BTreeSet<&'a EmailKey>>,
}

impl<'a> RenameHints<'a> {
    fn new(
        desired: &'a Desired,
        live: &'a Account,
        found: &HashMap<&NameKey, (&NameKey, &Group)>,
    ) -> Self {
        let matched: BTreeSet<&NameKey> = found.values().map(|(key, _)| *key).collect();
        let mut members: BTreeMap<&NameKey, (&str, Vec<&EmailKey>)> = live
            .groups
            .iter()
            .filter(|(key, group)| {
                !matched.contains(key) && BuiltinGroup::from_name(&group.name).is_none()
            })
            .map(|(key, group)| (key, (group.name.as_str(), Vec::new())))
            .collect();
        for (email, user) in &live.users {
            for group in &user.groups {
                if let Some((_, list)) = members.get_mut(&NameKey::new(group)) {
                    list.push(email);
                }
            }
        }
        let mut joining: HashMap<NameKey, BTreeSet<&EmailKey>> = HashMap::new();
        for (email, user) in &desired.state.users {
            for group in &user.groups {
                joining
                    .entry(NameKey::new(group))
                    .or_default()
                    .insert(email);
            }
        }
        Self {
            unclaimed: members.into_values().collect(),
            joining,
        }
    }

    /// The live group the new group `new` likely is, renamed.
    fn renamed_from(&self, new: &NameKey) -> Option<String> {
        let joining = self.joining.get(new)?;
        self.unclaimed
            .iter()
            .find(|(_, had)| {
                let kept = had.iter().filter(|email| joining.contains(*email)).count();
                // Most of its members are in the new group.
                !had.is_empty() && 2 * kept > had.len()
            })
            .map(|(name, _)| (*name).to_owned())
    }
}

pub(super) fn reconcile_signing_groups(inputs: Inputs<'_>, out: &mut Diff) {
    let desired = inputs.desired;
    let matcher = inputs.matcher(|account| &account.signing_groups);
    let found = matcher.assign(&desired.state.signing_groups);
    for (want, group) in &desired.state.signing_groups {
        let Some(&(_, current)) = found.get(want) else {
            out.push(
                Operation::CreateSigningGroup {
                    name: group.name.clone(),
                    email: group.email.clone(),
                },
                Stated::NewInYaml,
            );
            for member in group.members.values() {
                out.push(
                    Operation::AddSigningGroupMember {
                        signing_group: group.name.clone(),
                        id: None,
                        name: member.name.clone(),
                        email: member.email.clone(),
                    },
                    Stated::MemberInYaml,
                );
            }
            continue;
        };
        if current.name != group.name {
            out.push(
                Operation::RenameSigningGroup {
                    id: current.id.clone(),
                    from: current.name.clone(),
                    to: group.name.clone(),
                },
                rename_reason(&current.name, &group.name, &group.previously),
            );
        }
        let email_key = |email: Option<&String>| email.map(|email| EmailKey::new(email));
        if email_key(current.email.as_ref()) != email_key(group.email.as_ref()) {
            out.push(
                Operation::SetSigningGroupEmail {
                    signing_group: group.name.clone(),
                    id: current.id.clone(),
                    from: current.email.clone(),
                    to: group.email.clone(),
                },
                Stated::SigningGroupGetsAnotherEmail,
            );
        }
        signing_group_members(group, current, out);
    }
    for orphan in matcher.orphans(&desired.state.signing_groups, &found) {
        // Deleting the signing group would take a user who is left alone out of it.
        let stuck = orphan.members.values().find_map(|member| {
            inputs
                .hands_off_email(&member.email)
                .map(|why| (member, why))
        });
        if let Some((member, why)) = stuck {
            out.report(
                &member.email,
                format!(
                    "is in the signing group `{}`, which the YAML removed; it is kept because this user is left alone: {why}",
                    orphan.name
                ),
            );
            continue;
        }
        out.push(
            Operation::DeleteSigningGroup {
                name: orphan.name.clone(),
                id: orphan.id.clone(),
            },
            Stated::RemovedFromYaml,
        );
    }
}

/// Members to add and remove. A member whose name differs is added again under the new name:
/// DocuSign keys members by email, so the add updates the name in place.
pub(super) fn signing_group_members(group: &SigningGroup, current: &SigningGroup, out: &mut Diff) {
    for (key, member) in &group.members {
        let reason = match current.members.get(key) {
            None => Stated::MemberInYaml,
            Some(have) if have.name != member.name => Stated::MemberNameDiffers,
            Some(_) => continue,
        };
        out.push(
            Operation::AddSigningGroupMember {
                signing_group: group.name.clone(),
                id: current.id.clone(),
                name: member.name.clone(),
                email: member.email.clone(),
            },
            reason,
        );
    }
    for (key, member) in &current.members {
        if !group.members.contains_key(key) {
            out.push(
                // Removals run before renames (signing groups make room first), so they name
                // the signing group as DocuSign has it now.
                Operation::RemoveSigningGroupMember {
                    signing_group: current.name.clone(),
                    id: current.id.clone(),
                    email: member.email.clone(),
                },
                Stated::NotMemberInYaml,
            );
        }
    }
}
