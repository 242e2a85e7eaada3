//! Signing groups and users.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_saphyr::{Location, Spanned};

use crate::desired::document::{SigningGroupEntry, UserEntry, UserStatusValue};
use crate::desired::problem::{Problem, Source};
use crate::model::{
    Account, EmailKey, NameKey, SigningGroup, SigningGroupMember, User, UserStatus,
};

use super::{Checker, Kind, MAX_MEMBER_NAME_CHARS, MAX_SIGNING_GROUP_MEMBERS, Place, names};

impl<'a> Checker<'a> {
    pub(super) fn declare_signing_group(
        &mut self,
        source: &'a Source,
        entry: &SigningGroupEntry,
    ) -> Option<SigningGroup> {
        let fresh = self.declare(Kind::SigningGroup, source, &entry.name)?;
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::SigningGroup,
        );
        let email = self
            .filled_if_written(
                source,
                &entry.email,
                "email",
                "write the group's shared address, or delete the line if it has none",
            )
            .filter(|email| self.email(source, email, "signing group"));
        let members_written = entry.members.as_deref().unwrap_or_default();
        if members_written.len() > MAX_SIGNING_GROUP_MEMBERS {
            self.push(
                Problem::error(
                    "desired::too_many_members",
                    format!(
                        "the signing group `{}` has {} members; DocuSign allows at most {MAX_SIGNING_GROUP_MEMBERS}",
                        entry.name.value,
                        members_written.len()
                    ),
                )
                .at_location(source, &entry.name.referenced, "this signing group")
                .help("split it into several signing groups"),
            );
        }
        let mut members = BTreeMap::new();
        let mut seen: HashMap<EmailKey, Location> = HashMap::new();
        for member in members_written {
            let name_ok = self.name(source, &member.name, "signing-group member name");
            if name_ok && member.name.value.chars().count() > MAX_MEMBER_NAME_CHARS {
                self.push(
                    Problem::error(
                        "desired::name_too_long",
                        "a signing-group member's name is at most 100 characters",
                    )
                    .at_location(source, &member.name.referenced, "too long")
                    .help("shorten the name"),
                );
            }
            if !self.email(source, &member.email, "signing-group member") {
                continue;
            }
            let key = EmailKey::new(&member.email.value);
            if let Some(first) = seen.get(&key) {
                self.push(
                    Problem::error(
                        "desired::duplicate_member",
                        format!(
                            "`{}` is listed twice in the signing group `{}`",
                            member.email.value, entry.name.value
                        ),
                    )
                    .at_location(source, &member.email.referenced, "listed again here")
                    .also_at(source, first, "first listed here")
                    .help("remove one of them"),
                );
                continue;
            }
            seen.insert(key.clone(), member.email.referenced);
            members.insert(
                key,
                SigningGroupMember {
                    name: member.name.value.clone(),
                    email: member.email.value.clone(),
                },
            );
        }
        fresh.then(|| SigningGroup {
            id: None,
            name: entry.name.value.clone(),
            email: email.map(|email| email.value),
            members,
            previously: names(entry.previously.as_ref()),
        })
    }

    /// Refuses a user whose email differs from another's only by the case of a non-ASCII
    /// letter: DocuSign may take them for one user or for two, and the plan can't know which.
    fn unambiguous(&mut self, source: &'a Source, entry: &UserEntry) -> bool {
        let email = &entry.email;
        let place = Place {
            source,
            location: email.referenced,
        };
        let first = match self
            .users_widely
            .entry(crate::email::fold_unicode(&email.value))
        {
            Entry::Vacant(vacant) => {
                vacant.insert((email.value.clone(), place));
                return true;
            }
            Entry::Occupied(first) => first.get().clone(),
        };
        let (first_email, first_place) = first;
        self.push(
            Problem::error(
                "desired::ambiguous_email",
                format!(
                    "the users `{}` and `{first_email}` differ only in the case of a letter outside ASCII",
                    email.value
                ),
            )
            .at_location(source, &email.referenced, "this one")
            .also_at(first_place.source, &first_place.location, "and this one")
            .help("DocuSign may take them for one user or for two; write each address in the case its owner uses, and keep one entry per person"),
        );
        false
    }

    pub(super) fn declare_user(
        &mut self,
        source: &'a Source,
        entry: &UserEntry,
        default_profile: &str,
    ) -> Option<User> {
        let mut ok = self.email(source, &entry.email, "user");
        if ok {
            match self.users.entry(EmailKey::new(&entry.email.value)) {
                Entry::Vacant(vacant) => {
                    vacant.insert(Place {
                        source,
                        location: entry.email.referenced,
                    });
                }
                Entry::Occupied(first) => {
                    let first = first.get().clone();
                    self.push(
                        Problem::error(
                            "desired::duplicate",
                            format!(
                                "the user `{}` is declared more than once",
                                entry.email.value
                            ),
                        )
                        .at_location(source, &entry.email.referenced, "declared again here")
                        .also_at(first.source, &first.location, "first declared here")
                        .help("emails identify users, whatever their letter case; keep one entry (to hand-write someone `sync` generates, add `overrides_generated: true` to the hand-written entry)"),
                    );
                    ok = false;
                }
            }
        }
        if ok {
            ok = self.unambiguous(source, entry);
        }
        ok &= self.name(source, &entry.first_name, "first name");
        ok &= self.name(source, &entry.last_name, "last name");
        let mut job_title = None;
        if let Some(written) = entry.job_title.written() {
            match self.filled(
                source,
                written,
                "job_title",
                "write the title, or delete the line to leave the title DocuSign has",
            ) {
                Some(title) => {
                    ok &= self.no_controls(source, &title.value, &title.referenced, "job title");
                    job_title = Some(title.value);
                }
                None => ok = false,
            }
        }
        let status = match entry.status.written() {
            Some(written) => self
                .filled(
                    source,
                    written,
                    "status",
                    "write `active` or `closed`, or delete the line for `active`",
                )
                .map(|status| match status.value {
                    UserStatusValue::Closed => UserStatus::Closed,
                    UserStatusValue::Active => UserStatus::Active,
                }),
            None => Some(UserStatus::Active),
        };
        let profile = match entry.permission_profile.written() {
            Some(written) => self
                .filled(
                    source,
                    written,
                    "permission_profile",
                    "write the user's profile, or delete the line to give them the default one",
                )
                .and_then(|reference| self.resolve(Kind::Profile, source, &reference)),
            None => Some(default_profile.to_owned()),
        };
        let groups = self.user_groups(source, entry, profile.as_deref());
        let profile = profile?;
        let status = status?;
        ok.then(|| User {
            id: None,
            managed_by_scim: false,
            membership_managed_by_scim: false,
            email: entry.email.value.clone(),
            first_name: entry.first_name.value.clone(),
            last_name: entry.last_name.value.clone(),
            job_title,
            permission_profile: profile,
            groups,
            status,
        })
    }

    /// The groups a user is put in, each resolved; a group listed twice is a problem, and one
    /// that carries another profile than the user's a warning.
    fn user_groups(
        &mut self,
        source: &'a Source,
        entry: &UserEntry,
        profile: Option<&str>,
    ) -> BTreeSet<String> {
        let mut groups = BTreeSet::new();
        let mut seen = HashMap::new();
        for reference in entry.groups.iter().flatten() {
            let Some(key) = self.first_listing(source, &mut seen, reference, "group", entry) else {
                continue;
            };
            let Some(group) = self.resolve(Kind::Group, source, reference) else {
                continue;
            };
            if let (Some(profile), Some(group_profile)) = (profile, self.group_profiles.get(&key))
                && NameKey::new(profile) != NameKey::new(group_profile)
            {
                let warning = Problem::warning(
                    "desired::profile_differs_from_group",
                    format!(
                        "`{}` holds `{profile}`, but the group `{group}` carries `{group_profile}`",
                        entry.email.value
                    ),
                )
                .at_location(source, &reference.referenced, "group with another profile")
                .help(format!(
                    "DocuSign may give members the group's profile when they join; apply then reads them back and sets `{profile}` again (plan refuses a join that could make someone an administrator the YAML doesn't). Make the two agree to spare those calls"
                ));
                self.push(warning);
            }
            groups.insert(group);
        }
        groups
    }
}

impl<'a> Checker<'a> {
    /// Makes `user` (declared by `entry`) a member of each signing group the entry lists, under
    /// the user's names, as if each group's `members` listed them. A group the entry lists twice,
    /// or that doesn't exist, or that would pass DocuSign's 50 members, is a problem.
    pub(super) fn join_signing_groups(
        &mut self,
        source: &'a Source,
        entry: &UserEntry,
        user: &User,
        state: &mut Account,
    ) {
        let member_name = user.full_name();
        let mut seen = HashMap::new();
        for reference in entry.signing_groups.iter().flatten() {
            let Some(key) =
                self.first_listing(source, &mut seen, reference, "signing group", entry)
            else {
                continue;
            };
            if self
                .resolve(Kind::SigningGroup, source, reference)
                .is_none()
            {
                continue;
            }
            if member_name.chars().count() > MAX_MEMBER_NAME_CHARS {
                self.push(
                    Problem::error(
                        "desired::name_too_long",
                        "a signing-group member's name is at most 100 characters, and this user's first and last name are longer",
                    )
                    .at_location(source, &reference.referenced, "joins as a member here")
                    .help("shorten the user's names, or list the user in the signing group's `members` under a shorter name"),
                );
                continue;
            }
            // Declared, but left out of `state` when its own declaration had a problem.
            let Some(group) = state.signing_groups.get_mut(&key) else {
                continue;
            };
            let member = EmailKey::new(&user.email);
            if group.members.contains_key(&member) {
                // Listed in the group's `members` too: one membership, under that name.
                continue;
            }
            if group.members.len() >= MAX_SIGNING_GROUP_MEMBERS {
                self.push(
                    Problem::error(
                        "desired::too_many_members",
                        format!(
                            "`{}` joining makes the signing group `{}` pass {MAX_SIGNING_GROUP_MEMBERS} members, DocuSign's limit",
                            user.email, group.name
                        ),
                    )
                    .at_location(source, &reference.referenced, "joins here")
                    .help("split the signing group into several"),
                );
                continue;
            }
            group.members.insert(
                member,
                SigningGroupMember {
                    name: member_name.clone(),
                    email: user.email.clone(),
                },
            );
        }
    }

    /// The key of a group `entry` lists, or `None` (with a problem said) when the entry listed
    /// it already; `seen` holds where each was first listed.
    fn first_listing(
        &mut self,
        source: &'a Source,
        seen: &mut HashMap<NameKey, Location>,
        reference: &Spanned<String>,
        kind: &str,
        entry: &UserEntry,
    ) -> Option<NameKey> {
        let key = NameKey::new(&reference.value);
        if let Some(first) = seen.get(&key) {
            self.push(
                Problem::error(
                    "desired::duplicate_membership",
                    format!(
                        "the {kind} `{}` is listed twice for `{}`",
                        reference.value, entry.email.value
                    ),
                )
                .at_location(source, &reference.referenced, "listed again here")
                .also_at(source, first, "first listed here")
                .help("remove one of them"),
            );
            return None;
        }
        seen.insert(key.clone(), reference.referenced);
        Some(key)
    }
}
