//! Permission profiles (with their settings) and groups.

use std::collections::BTreeMap;

use crate::desired::document::{GroupEntry, ProfileEntry};
use crate::desired::problem::{Problem, Source};
use crate::desired::suggest;
use crate::desired::values::{ProfileSettings, SettingValue};
use crate::model::profile_settings::{self, SettingKind};
use crate::model::{BuiltinGroup, BuiltinProfile, Group, PermissionProfile};

use super::{Checker, Kind, names};

impl<'a> Checker<'a> {
    pub(super) fn declare_profile(
        &mut self,
        source: &'a Source,
        entry: &ProfileEntry,
    ) -> Option<PermissionProfile> {
        let fresh = self.declare(Kind::Profile, source, &entry.name)?;
        let builtin = BuiltinProfile::from_name(&entry.name.value);
        if let Some(builtin) = builtin {
            if let Some(settings) = entry
                .settings
                .as_ref()
                .filter(|settings| !settings.0.is_empty())
            {
                let first_key = &settings.0[0].0;
                self.push(
                    Problem::error(
                        "desired::builtin_profile_settings",
                        format!(
                            "`{}` is a built-in profile; its settings can't be changed",
                            builtin.api_name()
                        ),
                    )
                    .at_location(
                        source,
                        &first_key.referenced,
                        "settings of a built-in profile",
                    )
                    .help(format!(
                        "copy it under a new name (e.g. `{} (custom)`) and give users that one",
                        builtin.api_name()
                    )),
                );
            }
            if let Some(old) = entry.previously.iter().flatten().next() {
                self.push(
                    Problem::error(
                        "desired::builtin_rename",
                        format!(
                            "`{}` is a built-in profile and can't be renamed",
                            builtin.api_name()
                        ),
                    )
                    .at_location(source, &old.referenced, "rename of a built-in")
                    .help("remove `previously`; declare a new profile instead"),
                );
            }
            // Built-ins always exist and are never managed: nothing to put in the model.
            return None;
        }
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::Profile,
        );
        let settings = entry
            .settings
            .as_ref()
            .map(|settings| self.settings(source, settings))
            .unwrap_or_default();
        fresh.then(|| PermissionProfile {
            id: None,
            name: entry.name.value.clone(),
            settings,
            previously: names(entry.previously.as_ref()),
        })
    }

    /// Checks each setting against the catalogue and writes it as DocuSign sends it.
    pub(super) fn settings(
        &mut self,
        source: &'a Source,
        settings: &ProfileSettings,
    ) -> BTreeMap<String, String> {
        let mut normalized = BTreeMap::new();
        for (key, value) in &settings.0 {
            let Some(spec) = profile_settings::setting(&key.value) else {
                let known: Vec<&str> = profile_settings::SETTINGS
                    .iter()
                    .map(|spec| spec.key)
                    .collect();
                self.push(
                    Problem::error(
                        "desired::unknown_setting",
                        format!("`{}` is not a DocuSign permission-profile setting", key.value),
                    )
                    .at_location(source, &key.referenced, "unknown setting")
                    .help(match suggest::closest(&key.value, known.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`? Setting names are DocuSign's `accountRoleSettings` keys"),
                        None => "use DocuSign's `accountRoleSettings` keys; `docusign-gitops schema` lists them".to_owned(),
                    }),
                );
                continue;
            };
            if let SettingValue::Text(text) = &value.value
                && !self.no_controls(
                    source,
                    text,
                    &value.referenced,
                    &format!("value of `{}`", spec.key),
                )
            {
                continue;
            }
            let text = match (&value.value, spec.kind) {
                (SettingValue::Bool(flag), SettingKind::Boolean | SettingKind::Text) => {
                    Some(flag.to_string())
                }
                (SettingValue::Text(text), SettingKind::Boolean) => {
                    let lower = text.trim().to_ascii_lowercase();
                    (lower == "true" || lower == "false").then_some(lower)
                }
                (SettingValue::Text(text), SettingKind::OneOf(allowed)) => {
                    allowed.contains(&text.as_str()).then(|| text.clone())
                }
                (SettingValue::Text(text), SettingKind::Text) => Some(text.clone()),
                (SettingValue::Bool(_), SettingKind::OneOf(_)) => None,
            };
            if let Some(text) = text {
                normalized.insert(spec.key.to_owned(), text);
                continue;
            }
            let shown = match &value.value {
                SettingValue::Bool(flag) => flag.to_string(),
                SettingValue::Text(text) => text.clone(),
            };
            let help = match spec.kind {
                SettingKind::Boolean => format!("`{}` takes `true` or `false`", spec.key),
                SettingKind::OneOf(allowed) => {
                    let hint = suggest::did_you_mean(&shown, allowed, "value");
                    format!(
                        "`{}` takes one of {}; {hint}",
                        spec.key,
                        suggest::backticked(allowed)
                    )
                }
                // Free text never fails the match above.
                SettingKind::Text => String::new(),
            };
            self.push(
                Problem::error(
                    "desired::invalid_setting_value",
                    format!("`{shown}` is not a valid value for `{}`", spec.key),
                )
                .at_location(source, &value.referenced, "invalid value")
                .help(help),
            );
        }
        normalized
    }

    pub(super) fn declare_group(
        &mut self,
        source: &'a Source,
        entry: &GroupEntry,
    ) -> Option<Group> {
        let fresh = self.declare(Kind::Group, source, &entry.name)?;
        if let Some(builtin) = BuiltinGroup::from_name(&entry.name.value) {
            let edit = entry
                .permission_profile
                .written()
                .map(|profile| (profile.referenced, "a permission profile on"))
                .or_else(|| {
                    entry
                        .previously
                        .iter()
                        .flatten()
                        .next()
                        .map(|old| (old.referenced, "a rename of"))
                });
            if let Some((location, what)) = edit {
                self.push(
                    Problem::error(
                        "desired::builtin_group_edit",
                        format!("`{}` is a built-in group and can't be edited", builtin.api_name()),
                    )
                    .at_location(source, &location, format!("{what} a built-in group"))
                    .help("DocuSign doesn't allow editing Everyone or Administrators; remove this, or use a group of your own"),
                );
            }
            return None;
        }
        self.renames(
            source,
            &entry.name.value,
            entry.previously.as_ref(),
            Kind::Group,
        );
        fresh.then(|| Group {
            id: None,
            name: entry.name.value.clone(),
            permission_profile: None,
            previously: names(entry.previously.as_ref()),
        })
    }
}
