//! The sections that appear once: `account`, `defaults`, `policy`.

use std::collections::hash_map::Entry;

use serde_saphyr::Spanned;

use crate::desired::checked::{AcceptedDrift, AccountRef, DriftObject, Limits, Policy};
use crate::desired::document::{AcceptedDriftEntry, LimitsSection, PolicySection};
use crate::desired::problem::{Problem, Source};
use crate::desired::syntax::{is_guid, parse_limit};
use crate::model::EmailKey;

use super::{Checker, Place};

impl<'a> Checker<'a> {
    /// Records a section that may appear once; false (and a problem) when it appeared before.
    pub(super) fn first_of<T>(
        &mut self,
        key: &'static str,
        source: &'a Source,
        section: &Spanned<T>,
    ) -> bool {
        let place = Place {
            source,
            location: section.referenced,
        };
        match self.singletons.entry(key) {
            Entry::Vacant(vacant) => {
                vacant.insert(place);
                true
            }
            Entry::Occupied(first) => {
                let first = first.get().clone();
                self.push(
                    Problem::error(
                        "desired::duplicate_section",
                        format!("`{key}` is declared more than once"),
                    )
                    .at_location(
                        source,
                        &section.referenced,
                        format!("a second `{key}` section"),
                    )
                    .also_at(
                        first.source,
                        &first.location,
                        format!("`{key}` is first declared here"),
                    )
                    .help(format!("keep one `{key}` section across all files")),
                );
                false
            }
        }
    }

    pub(super) fn account(
        &mut self,
        source: &'a Source,
        section: &crate::desired::document::AccountSection,
    ) -> Option<AccountRef> {
        let id = section.id.value.trim();
        if !is_guid(id) {
            self.push(
                Problem::error("desired::invalid_account_id", format!("`{id}` is not an account GUID"))
                    .at_location(source, &section.id.referenced, "not a GUID")
                    .help("use the API Account ID from DocuSign's Apps and Keys page, e.g. `0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f` (not the short account number)"),
            );
            return None;
        }
        Some(AccountRef {
            id: id.to_lowercase(),
            environment: section.environment.value,
        })
    }

    pub(super) fn policy(&mut self, source: &'a Source, section: &PolicySection) -> Policy {
        let limits = section
            .limits
            .as_ref()
            .map_or_else(Limits::default, |limits| {
                let LimitsSection {
                    user_closures,
                    membership_removals,
                    admin_grants,
                } = limits;
                let mut written_at = std::collections::BTreeMap::new();
                for (key, written) in [
                    ("user_closures", user_closures),
                    ("membership_removals", membership_removals),
                    ("admin_grants", admin_grants),
                ] {
                    if let Some(written) = written.written() {
                        written_at.insert(
                            key.to_owned(),
                            format!("{}:{}", source.name(), written.referenced.line()),
                        );
                    }
                }
                Limits {
                    user_closures: self.limit(source, "user_closures", user_closures.written()),
                    membership_removals: self.limit(
                        source,
                        "membership_removals",
                        membership_removals.written(),
                    ),
                    admin_grants: self.limit(source, "admin_grants", admin_grants.written()),
                    written_at,
                }
            });
        let mut protected_users = std::collections::BTreeSet::new();
        for email in section.protected_users.iter().flatten() {
            if self.email(source, email, "protected user") {
                protected_users.insert(EmailKey::new(&email.value));
            }
        }
        let mut accepted_drift = Vec::new();
        for entry in section.accepted_drift.iter().flatten() {
            if let Some(accepted) = self.accepted_drift(source, entry) {
                accepted_drift.push(accepted);
            }
        }
        let unmanaged_users = self
            .filled_if_written(
                source,
                &section.unmanaged_users,
                "unmanaged_users",
                "write `ignore`, `report`, `reset` or `close`, or delete the line for `report`",
            )
            .map(|value| value.value)
            .unwrap_or_default();
        Policy {
            unmanaged_users,
            limits,
            protected_users,
            accepted_drift,
        }
    }

    fn accepted_drift(
        &mut self,
        source: &'a Source,
        entry: &AcceptedDriftEntry,
    ) -> Option<AcceptedDrift> {
        let object_ok = self.no_controls(
            source,
            &entry.object.value,
            &entry.object.referenced,
            "accepted drift object",
        );
        let reason_ok = self.no_controls(
            source,
            &entry.reason.value,
            &entry.reason.referenced,
            "accepted drift reason",
        );
        let object = DriftObject::parse(&entry.object.value);
        // `user:` names a user by email: anything else names no one.
        if let Some(DriftObject::User(_)) = &object
            && let Some((_, email)) = entry.object.value.split_once(':')
            && !crate::desired::syntax::is_email(email.trim())
        {
            self.push(
                Problem::error(
                    "desired::invalid_drift_object",
                    format!(
                        "`{}` names no user: `{}` is not an email",
                        entry.object.value,
                        email.trim()
                    ),
                )
                .at_location(source, &entry.object.referenced, "not an email")
                .help("write `user:` and the user's email, e.g. `user:ana@example.com`"),
            );
            return None;
        }
        if object_ok && object.is_none() {
            self.push(
                Problem::error(
                    "desired::invalid_drift_object",
                    format!("`{}` doesn't name an object", entry.object.value),
                )
                .at_location(source, &entry.object.referenced, "not `kind:name`")
                .help(format!(
                    "write the kind, a colon and the name or email: {}, e.g. `user:ana@example.com` or `group:Sales`",
                    DriftObject::KINDS.map(|kind| format!("`{kind}`")).join(", ")
                )),
            );
        }
        let until = entry.until.value.trim().parse::<jiff::civil::Date>().ok();
        if until.is_none() {
            self.push(
                Problem::error(
                    "desired::invalid_date",
                    format!("`{}` is not a date", entry.until.value),
                )
                .at_location(source, &entry.until.referenced, "not YYYY-MM-DD")
                .help("write the last day the acceptance holds, such as `2026-12-31`"),
            );
        }
        if entry.reason.value.trim().is_empty() {
            self.push(
                Problem::error("desired::empty_reason", "an accepted drift needs a reason")
                    .at_location(source, &entry.reason.referenced, "empty")
                    .help("say why the difference is accepted; drift reports show it"),
            );
            return None;
        }
        if !(object_ok && reason_ok) {
            return None;
        }
        Some(AcceptedDrift {
            object: object?,
            reason: entry.reason.value.trim().to_owned(),
            until: until?,
        })
    }

    pub(super) fn limit(
        &mut self,
        source: &'a Source,
        key: &str,
        written: Option<&Spanned<Option<crate::desired::values::LimitValue>>>,
    ) -> Option<crate::desired::syntax::Limit> {
        let value = self.filled(
            source,
            written?,
            key,
            r#"write a count such as `10` or a percent such as `"5%"`, or delete the line for the default limit"#,
        )?;
        match parse_limit(&value.value) {
            Ok(limit) => Some(limit),
            Err(reason) => {
                self.push(
                    Problem::error("desired::invalid_limit", "this limit is not a count or a percent")
                        .at_location(source, &value.referenced, reason)
                        .help(r#"write a count such as `10` or a percent of the live figure such as `"5%"`"#),
                );
                None
            }
        }
    }
}
