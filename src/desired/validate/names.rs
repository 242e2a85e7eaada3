//! Names: their form, duplicates, earlier names (`previously`) and references to them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde_saphyr::{Location, Spanned};

use crate::desired::problem::{Problem, Source};
use crate::desired::suggest;
use crate::desired::syntax::is_email;
use crate::model::controls;
use crate::model::{BuiltinGroup, BuiltinProfile, NameKey};

use super::{Checker, Declared, Kind, Place, Rename};

impl<'a> Checker<'a> {
    /// Checks an email; false (with a problem) when it is malformed.
    pub(super) fn email(
        &mut self,
        source: &'a Source,
        email: &Spanned<String>,
        what: &str,
    ) -> bool {
        if !self.no_controls(
            source,
            &email.value,
            &email.referenced,
            &format!("{what} email"),
        ) {
            return false;
        }
        if is_email(email.value.trim()) && email.value.trim() == email.value {
            return true;
        }
        self.push(
            Problem::error(
                "desired::invalid_email",
                format!("`{}` is not a valid email address", email.value),
            )
            .at_location(source, &email.referenced, format!("{what} email"))
            .help("write it as `name@example.com`, without spaces"),
        );
        false
    }

    /// Checks that a value holds no control character; false (with a problem) when it does.
    /// Such a character can recolour, erase or reorder what a reviewer reads in a terminal or
    /// a pull request, so the desired state never holds one.
    pub(super) fn no_controls(
        &mut self,
        source: &'a Source,
        text: &str,
        location: &Location,
        what: &str,
    ) -> bool {
        let Some(found) = controls::first_control(text) else {
            return true;
        };
        let shown = format!("<{}>", controls::code_point(found));
        // Problem text is made visible as it is built, so the value shows with `<U+…>` in it.
        self.push(
            Problem::error(
                "desired::control_character",
                format!(
                    "the {what} `{text}` holds {}, a control character that can hide or reorder what a reviewer reads",
                    controls::describe(found)
                ),
            )
            .at_location(source, location, format!("holds {}", controls::code_point(found)))
            .help(format!(
                "delete the character shown as `{shown}`; if DocuSign holds it too, rename the object in DocuSign and run `docusign-gitops import` again"
            )),
        );
        false
    }

    /// Checks a name's form; false (with a problem) when it is empty, padded or holds a
    /// control character. `what` names the field, e.g. "group name" or "first name".
    pub(super) fn name(&mut self, source: &'a Source, name: &Spanned<String>, what: &str) -> bool {
        let problem = if name.value.trim().is_empty() {
            Problem::error("desired::empty_name", format!("the {what} is empty"))
                .help(format!("write the {what}"))
        } else if !self.no_controls(source, &name.value, &name.referenced, what) {
            return false;
        } else if name.value.trim() != name.value {
            Problem::error(
                "desired::padded_name",
                format!("the {what} `{}` starts or ends with spaces", name.value),
            )
            .help("DocuSign trims names, so the plan would never settle; remove the spaces")
        } else {
            return true;
        };
        self.push(problem.at_location(source, &name.referenced, "this name"));
        false
    }

    /// Checks and records the declared name of a `kind` object: `None` (with a problem) when
    /// the name itself is wrong, else whether this is its first declaration (a duplicate gets
    /// a problem).
    pub(super) fn declare(
        &mut self,
        kind: Kind,
        source: &'a Source,
        name: &Spanned<String>,
    ) -> Option<bool> {
        let what = kind.noun();
        if !self.name(source, name, &format!("{what} name")) {
            return None;
        }
        let declared = match kind {
            Kind::Profile => &mut self.profiles,
            Kind::Group => &mut self.groups,
            Kind::SigningGroup => &mut self.signing_groups,
        };
        Some(match declared.entry(NameKey::new(&name.value)) {
            Entry::Vacant(vacant) => {
                vacant.insert(Declared {
                    name: name.value.clone(),
                    place: Place {
                        source,
                        location: name.referenced,
                    },
                });
                true
            }
            Entry::Occupied(first) => {
                let first = first.get();
                self.problems.push(
                    Problem::error(
                        "desired::duplicate",
                        format!("the {what} `{}` is declared more than once", name.value),
                    )
                    .at_location(source, &name.referenced, "declared again here")
                    .also_at(first.place.source, &first.place.location, format!("`{}` is first declared here", first.name))
                    .help(format!("{what} names are unique in an account, whatever their letter case; remove or rename one")),
                );
                false
            }
        })
    }

    /// Records `previously` names; built-ins can't be renamed.
    pub(super) fn renames(
        &mut self,
        source: &'a Source,
        current: &str,
        previously: Option<&Vec<Spanned<String>>>,
        kind: Kind,
    ) {
        for old in previously.into_iter().flatten() {
            if !self.name(source, old, &format!("previous {} name", kind.noun())) {
                continue;
            }
            if kind.is_builtin(&old.value) {
                self.push(
                    Problem::error(
                        "desired::builtin_rename",
                        format!(
                            "`{}` is a built-in {} and can't be renamed",
                            old.value,
                            kind.noun()
                        ),
                    )
                    .at_location(source, &old.referenced, "built-in")
                    .help(format!(
                        "remove it from `previously`; declare a new {} instead",
                        kind.noun()
                    )),
                );
                continue;
            }
            let rename = Rename {
                old: old.value.clone(),
                current: current.to_owned(),
                place: Place {
                    source,
                    location: old.referenced,
                },
            };
            let renames = match kind {
                Kind::Profile => &mut self.profile_renames,
                Kind::Group => &mut self.group_renames,
                Kind::SigningGroup => &mut self.signing_group_renames,
            };
            match renames.entry(NameKey::new(&old.value)) {
                Entry::Vacant(vacant) => {
                    vacant.insert(rename);
                }
                Entry::Occupied(first) => {
                    let first = first.get();
                    let problem = Problem::error(
                        "desired::ambiguous_rename",
                        format!(
                            "`{}` is listed as a previous name of both `{}` and `{}`",
                            old.value, first.current, current
                        ),
                    )
                    .at_location(source, &old.referenced, "claimed again here")
                    .also_at(first.place.source, &first.place.location, format!("first claimed by `{}` here", first.current))
                    .help("an earlier name belongs to one object; remove it from one `previously` list");
                    self.problems.push(problem);
                }
            }
        }
    }

    /// The renames and the declarations of one kind.
    #[allow(clippy::type_complexity)] // two maps, named by the fields they come from
    fn registry(
        &self,
        kind: Kind,
    ) -> (
        &HashMap<NameKey, Rename<'a>>,
        &HashMap<NameKey, Declared<'a>>,
    ) {
        match kind {
            Kind::Profile => (&self.profile_renames, &self.profiles),
            Kind::Group => (&self.group_renames, &self.groups),
            Kind::SigningGroup => (&self.signing_group_renames, &self.signing_groups),
        }
    }

    /// A previous name that is also a current name would make the plan ambiguous.
    pub(super) fn check_renames(&mut self, kind: Kind) {
        let (renames, declared) = self.registry(kind);
        let mut found = Vec::new();
        for (key, rename) in renames {
            if let Some(declared) = declared.get(key) {
                found.push(
                    Problem::error(
                        "desired::rename_collision",
                        format!(
                            "`{}` is a previous name of `{}` but is also declared as a {}",
                            rename.old,
                            rename.current,
                            kind.noun()
                        ),
                    )
                    .at_location(rename.place.source, &rename.place.location, "previous name")
                    .also_at(declared.place.source, &declared.place.location, format!("`{}` is declared here", declared.name))
                    .help("a name is either current or previous; remove it from `previously` or rename the other object"),
                );
            }
        }
        self.problems.extend(found);
    }

    /// The canonical name of a referenced object of `kind` (the profile a user or group
    /// carries, a group or signing group a user joins), or a problem saying what is wrong.
    pub(super) fn resolve(
        &mut self,
        kind: Kind,
        source: &'a Source,
        reference: &Spanned<String>,
    ) -> Option<String> {
        if !self.name(source, reference, &format!("{} name", kind.noun())) {
            return None;
        }
        match kind {
            Kind::Profile => {
                let key = NameKey::new(&reference.value);
                if let Some(declared) = self.profiles.get(&key) {
                    return Some(BuiltinProfile::from_name(&declared.name).map_or_else(
                        || declared.name.clone(),
                        |builtin| builtin.api_name().to_owned(),
                    ));
                }
                if let Some(builtin) = BuiltinProfile::from_name(&reference.value) {
                    return Some(builtin.api_name().to_owned());
                }
            }
            Kind::Group => match BuiltinGroup::from_name(&reference.value) {
                Some(BuiltinGroup::Everyone) => {
                    self.push(
                        Problem::error(
                            "desired::everyone_membership",
                            "users can't be put in the group `Everyone`",
                        )
                        .at_location(source, &reference.referenced, "built-in group")
                        .help("every user is in Everyone automatically; remove it from `groups`"),
                    );
                    return None;
                }
                Some(builtin) => return Some(builtin.api_name().to_owned()),
                None => {}
            },
            Kind::SigningGroup => {}
        }
        self.declared_name(source, reference, kind)
    }

    /// The declared name `reference` stands for among the objects of `kind`, or a problem
    /// saying it was renamed or names nothing (with the closest names, built-ins last).
    fn declared_name(
        &mut self,
        source: &'a Source,
        reference: &Spanned<String>,
        kind: Kind,
    ) -> Option<String> {
        let key = NameKey::new(&reference.value);
        let (renames, declared) = self.registry(kind);
        if let Some(declared) = declared.get(&key) {
            return Some(declared.name.clone());
        }
        let referred = match kind {
            Kind::Profile => &PROFILE_REFERENCE,
            Kind::Group => &GROUP_REFERENCE,
            Kind::SigningGroup => &SIGNING_GROUP_REFERENCE,
        };
        let builtins = match kind {
            Kind::Profile => BuiltinProfile::ALL.as_slice(),
            Kind::Group | Kind::SigningGroup => &[],
        };
        let builtins = builtins.iter().map(|builtin| builtin.api_name());
        let problem = unresolved(
            referred,
            reference,
            renames.get(&key),
            self.complete.then(|| candidates(declared, builtins)),
        )?;
        let label = format!("no such {}", kind.noun());
        self.push(problem.at_location(source, &reference.referenced, &label));
        None
    }
}

/// A kind of thing a user or group refers to by name, as its problems name it.
struct Referred {
    kind: &'static str,
    unknown_code: &'static str,
    /// The section that declares it.
    section: &'static str,
}

const PROFILE_REFERENCE: Referred = Referred {
    kind: "permission profile",
    unknown_code: "desired::unknown_profile",
    section: "permission_profiles",
};

const GROUP_REFERENCE: Referred = Referred {
    kind: "group",
    unknown_code: "desired::unknown_group",
    section: "groups",
};

const SIGNING_GROUP_REFERENCE: Referred = Referred {
    kind: "signing group",
    unknown_code: "desired::unknown_signing_group",
    section: "signing_groups",
};

/// What is wrong with a reference that names nothing declared: the thing was renamed, or
/// nothing goes by that name (with the closest of `candidates`). `candidates` is `None` when
/// not every file was read: it may be declared in one that wasn't, so nothing is said.
fn unresolved(
    referred: &Referred,
    reference: &Spanned<String>,
    rename: Option<&Rename>,
    candidates: Option<Vec<&str>>,
) -> Option<Problem> {
    let Referred {
        kind,
        unknown_code,
        section,
    } = referred;
    if let Some(rename) = rename {
        return Some(
            Problem::error(
                "desired::renamed_reference",
                format!(
                    "the {kind} `{}` has been renamed to `{}`",
                    reference.value, rename.current
                ),
            )
            .help(format!("refer to it as `{}`", rename.current)),
        );
    }
    let candidates = candidates?;
    Some(
        Problem::error(
            unknown_code,
            format!("unknown {kind} `{}`", reference.value),
        )
        .help(suggest::unknown_reference_help(
            &reference.value,
            &candidates,
            section,
        )),
    )
}

/// The declared names, sorted, then `builtins` in their own order.
fn candidates<'n>(
    declared: &'n HashMap<NameKey, Declared<'_>>,
    builtins: impl Iterator<Item = &'n str>,
) -> Vec<&'n str> {
    let mut names: Vec<&str> = declared
        .values()
        .map(|declared| declared.name.as_str())
        .collect();
    names.sort_unstable();
    names.extend(builtins);
    names
}
