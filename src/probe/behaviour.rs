//! A probe file read back as emulator switches (`emulator --behaviour FILE`), and the flags
//! that spell each switch value, so the probe's table and the emulator agree on them.

use std::io::Read as _;
use std::path::Path;

use serde_json::{Map, Value};

use super::report::{FORMAT, Report, VERSION, key};
use crate::emulator::Config;
use crate::emulator::config::{
    ItemErrorCodes, ItemFailureStatus, ProfileChangeRoutes, RateLimitStatus,
};

/// The switches a probe file sets; `None` where it observed nothing (the default stays).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Switches {
    pub profile_change: Option<ProfileChangeRoutes>,
    pub group_profile_on_join: Option<bool>,
    pub group_list_in_user_records: Option<bool>,
    pub rate_limit_status: Option<RateLimitStatus>,
    pub hourly_limit: Option<u32>,
    pub burst_limit: Option<u32>,
    pub profile_in_user_answers: Option<bool>,
    pub reopen_keeps_user_id: Option<bool>,
    pub item_failure_status: Option<ItemFailureStatus>,
    pub item_error_codes: Option<ItemErrorCodes>,
    /// Values the file holds that this version can't use; they keep the defaults.
    pub ignored: Vec<String>,
}

impl Switches {
    /// `config` with the switches the file observed; the rest as `config` had them.
    #[must_use]
    pub fn apply_to(&self, config: Config) -> Config {
        // Each switch named once: one can't take another's value by a slip of the name.
        macro_rules! observed_or_as_configured {
            ($($switch:ident),+ $(,)?) => {
                Config {
                    $($switch: self.$switch.unwrap_or(config.$switch),)+
                    ..config
                }
            };
        }
        observed_or_as_configured!(
            profile_change,
            group_profile_on_join,
            group_list_in_user_records,
            rate_limit_status,
            hourly_limit,
            burst_limit,
            profile_in_user_answers,
            item_failure_status,
            item_error_codes,
            reopen_keeps_user_id,
        )
    }
}

/// The most read of a probe file; a real one is a few kilobytes.
const MAX_BYTES: u64 = 1 << 20;

/// Reads the probe file at `path`; the error names the file and says what is wrong.
pub fn read(path: &Path) -> Result<Switches, String> {
    let failed = |reason: String| {
        format!(
            "can't use the behaviour file `{}`: {reason}",
            path.display()
        )
    };
    let file = std::fs::File::open(path).map_err(|err| failed(err.to_string()))?;
    let metadata = file.metadata().map_err(|err| failed(err.to_string()))?;
    if !metadata.is_file() {
        return Err(failed(format!(
            "it is {}, not a regular file",
            crate::confined::kind_of(&metadata)
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| failed(err.to_string()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(failed(format!(
            "it is larger than {MAX_BYTES} bytes; a probe file is a few kilobytes"
        )));
    }
    parse(&bytes).map_err(failed)
}

/// Reads a probe file's text.
pub fn parse(bytes: &[u8]) -> Result<Switches, String> {
    let json: Value = serde_json::from_slice(bytes).map_err(|err| {
        format!(
            "it is not JSON ({}); give the file `docusign-gitops probe --out` wrote",
            crate::excerpt::quoted(&err.to_string(), 120)
        )
    })?;
    if json.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!(
            "it is not a probe file (its `format` is not `{FORMAT}`); give the file `docusign-gitops probe --out` wrote"
        ));
    }
    match json.get("version").and_then(Value::as_u64) {
        Some(version) if version == u64::from(VERSION) => {}
        Some(version) if version > u64::from(VERSION) => {
            return Err(format!(
                "it is version {version} of the probe format, and this docusign-gitops reads version {VERSION}; upgrade docusign-gitops"
            ));
        }
        _ => return Err(format!("its `version` is not {VERSION}")),
    }
    let report: Report = serde_json::from_value(json).map_err(|err| {
        format!(
            "it is not a probe file: {}",
            crate::excerpt::quoted(&err.to_string(), 120)
        )
    })?;
    Ok(switches(&report))
}

/// The switches `report` observed. A value of the wrong shape is not an error: a later version
/// may write more, and the default is the honest fallback.
#[must_use]
pub fn switches(report: &Report) -> Switches {
    let mut switches = Switches::default();
    let mut ignored = Vec::new();
    let value = |name: &str| -> Option<&Value> {
        report
            .behaviours
            .get(name)
            .map(|entry| &entry.value)
            .filter(|value| !value.is_null())
    };
    if let Some(routes) = value(key::PROFILE_CHANGE_ROUTES) {
        let route = |name: &str| routes.get(name).and_then(Value::as_bool);
        match (
            route("put_user"),
            route("put_profile"),
            route("bulk_put_users"),
        ) {
            (Some(put_user), Some(put_profile), Some(bulk_put_users)) => {
                switches.profile_change = Some(ProfileChangeRoutes {
                    put_user,
                    put_profile,
                    bulk_put_users,
                });
            }
            _ => ignored.push(key::PROFILE_CHANGE_ROUTES),
        }
    }
    for (name, slot) in [
        (
            key::GROUP_PROFILE_ON_JOIN,
            &mut switches.group_profile_on_join,
        ),
        (
            key::GROUP_LIST_IN_USER_RECORDS,
            &mut switches.group_list_in_user_records,
        ),
        (
            key::PROFILE_IN_USER_ANSWERS,
            &mut switches.profile_in_user_answers,
        ),
        (
            key::REACTIVATION_KEEPS_USER_ID,
            &mut switches.reopen_keeps_user_id,
        ),
    ] {
        if let Some(flag) = value(name) {
            match flag.as_bool() {
                Some(flag) => *slot = Some(flag),
                None => ignored.push(name),
            }
        }
    }
    if let Some(status) = value(key::RATE_LIMIT_STATUS) {
        match status.as_u64() {
            Some(400) => switches.rate_limit_status = Some(RateLimitStatus::BadRequest),
            Some(429) => switches.rate_limit_status = Some(RateLimitStatus::TooManyRequests),
            _ => ignored.push(key::RATE_LIMIT_STATUS),
        }
    }
    if let Some(limits) = value(key::RATE_LIMITS) {
        let limit = |name: &str| {
            limits
                .get(name)
                .and_then(Value::as_u64)
                .and_then(|limit| u32::try_from(limit).ok())
                .filter(|limit| *limit > 0)
        };
        switches.hourly_limit = limit("hourly_limit");
        switches.burst_limit = limit("burst_limit");
    }
    if let Some(items) = value(key::ITEM_ANSWERS) {
        match items.as_object() {
            Some(items) => {
                (switches.item_failure_status, switches.item_error_codes) = item_switches(items);
            }
            None => ignored.push(key::ITEM_ANSWERS),
        }
    }
    switches.ignored = ignored.into_iter().map(str::to_owned).collect();
    switches
}

/// What the answers to the bulk calls that failed an item (a member added twice, a non-member
/// removed, a user closed twice) say of the emulator's two switches for them: the status such
/// an answer carries, and whether its per-item codes are the emulator's own names or other
/// ones. `None` where no item failed: the answers tell nothing then.
#[must_use]
pub fn item_switches(
    items: &Map<String, Value>,
) -> (Option<ItemFailureStatus>, Option<ItemErrorCodes>) {
    let failed: Vec<(u64, Vec<&str>)> = items
        .values()
        .filter_map(|answer| {
            let codes: Vec<&str> = answer
                .get("item_error_codes")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .filter(|code| !code.is_empty())
                .collect();
            let status = answer.get("status")?.as_u64()?;
            (!codes.is_empty()).then_some((status, codes))
        })
        .collect();
    let status = if failed.is_empty() {
        None
    } else if failed.iter().all(|(status, _)| *status == 400) {
        Some(ItemFailureStatus::BadRequest)
    } else if failed.iter().all(|(status, _)| (200..300).contains(status)) {
        Some(ItemFailureStatus::Success)
    } else {
        None
    };
    let own = [ItemErrorCodes::ALREADY_MEMBER, ItemErrorCodes::NOT_MEMBER];
    let codes = if failed.is_empty() {
        None
    } else if failed
        .iter()
        .flat_map(|(_, codes)| codes)
        .all(|code| own.contains(code))
    {
        Some(ItemErrorCodes::Emulator)
    } else {
        // Codes the emulator never gives: the closest it comes is answering without the
        // names it made up, so a client can only tell by reading.
        Some(ItemErrorCodes::Generic)
    };
    (status, codes)
}

#[must_use]
pub fn item_answers_flags(
    status: Option<ItemFailureStatus>,
    codes: Option<ItemErrorCodes>,
) -> String {
    let status = match status {
        None => "no --item-failure-status set (not told)",
        Some(ItemFailureStatus::Success) => "--item-failure-status success (default)",
        Some(ItemFailureStatus::BadRequest) => "--item-failure-status 400",
    };
    let codes = match codes {
        None => "no --item-error-codes set (not told)",
        Some(ItemErrorCodes::Emulator) => "--item-error-codes emulator (default)",
        Some(ItemErrorCodes::Generic) => "--item-error-codes generic",
    };
    format!("{status}; {codes}")
}

/// An on-off switch as the emulator's flags spell it: `flag` when it is `set`, else its absence,
/// which is the default.
fn switch(flag: &str, set: bool) -> String {
    if set {
        flag.to_owned()
    } else {
        format!("no {flag} (default)")
    }
}

#[must_use]
pub fn reopen_flag(keeps_id: bool) -> String {
    switch("--reopen-makes-new-user", !keeps_id)
}

#[must_use]
pub fn profile_echo_flag(echoed: bool) -> String {
    switch("--no-profile-echo", !echoed)
}

/// The flag for a set of profile routes; one that no flag spells says so.
#[must_use]
pub fn routes_flag(routes: ProfileChangeRoutes) -> String {
    let ProfileChangeRoutes {
        put_user,
        put_profile,
        bulk_put_users,
    } = routes;
    match (put_user, put_profile, bulk_put_users) {
        (true, true, true) => "--profile-change-via all (default)".to_owned(),
        (true, false, false) => "--profile-change-via put-user".to_owned(),
        (false, true, false) => "--profile-change-via put-profile".to_owned(),
        (false, false, true) => "--profile-change-via bulk-put-users".to_owned(),
        _ => {
            let names: Vec<&str> = [
                (put_user, "put-user"),
                (put_profile, "put-profile"),
                (bulk_put_users, "bulk-put-users"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            let which = if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(" + ")
            };
            format!("routes {which}: no flag spells this; --behaviour sets it")
        }
    }
}

#[must_use]
pub fn group_profile_on_join_flag(on: bool) -> String {
    switch("--group-profile-on-join", on)
}

#[must_use]
pub fn group_list_flag(on: bool) -> String {
    switch("--no-group-list", !on)
}

#[must_use]
pub fn rate_limit_status_flag(status: RateLimitStatus) -> String {
    match status {
        RateLimitStatus::BadRequest => "--rate-limit-status 400 (default)".to_owned(),
        RateLimitStatus::TooManyRequests => "--rate-limit-status 429".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(behaviours: &str) -> Vec<u8> {
        format!(
            r#"{{"format": "{FORMAT}", "version": {VERSION}, "tool": "t", "probed_at": "now",
                "environment": "demo", "api_calls": 1, "behaviours": {behaviours}}}"#
        )
        .into_bytes()
    }

    fn entry(value: &str) -> String {
        format!(r#"{{"observed": "o", "value": {value}, "emulator": "e"}}"#)
    }

    #[test]
    fn each_known_value_sets_its_switch() {
        let behaviours = format!(
            r#"{{"{}": {}, "{}": {}, "{}": {}, "{}": {}, "{}": {}}}"#,
            key::PROFILE_CHANGE_ROUTES,
            entry(r#"{"put_user": false, "put_profile": true, "bulk_put_users": true}"#),
            key::GROUP_PROFILE_ON_JOIN,
            entry("true"),
            key::GROUP_LIST_IN_USER_RECORDS,
            entry("false"),
            key::RATE_LIMIT_STATUS,
            entry("429"),
            key::RATE_LIMITS,
            entry(r#"{"hourly_limit": 1000, "burst_limit": null}"#),
        );
        let switches = parse(&file(&behaviours)).expect("a probe file");
        assert_eq!(
            switches,
            Switches {
                profile_change: Some(ProfileChangeRoutes {
                    put_user: false,
                    put_profile: true,
                    bulk_put_users: true,
                }),
                group_profile_on_join: Some(true),
                group_list_in_user_records: Some(false),
                rate_limit_status: Some(RateLimitStatus::TooManyRequests),
                hourly_limit: Some(1000),
                burst_limit: None,
                ..Switches::default()
            }
        );
    }

    #[test]
    fn unobserved_unknown_and_misshapen_values_keep_the_defaults() {
        let behaviours = format!(
            r#"{{"{}": {}, "{}": {}, "{}": {}, "from_the_future": {}}}"#,
            key::GROUP_PROFILE_ON_JOIN,
            entry("null"),
            key::RATE_LIMIT_STATUS,
            entry("418"),
            key::GROUP_LIST_IN_USER_RECORDS,
            entry(r#""sometimes""#),
            entry("7"),
        );
        let switches = parse(&file(&behaviours)).expect("a probe file");
        assert_eq!(
            switches,
            Switches {
                ignored: vec![
                    key::GROUP_LIST_IN_USER_RECORDS.to_owned(),
                    key::RATE_LIMIT_STATUS.to_owned()
                ],
                ..Switches::default()
            }
        );
    }

    #[test]
    fn a_file_that_is_not_a_probe_file_is_refused_with_the_reason() {
        let cases: [(&[u8], &str); 4] = [
            (b"{not json", "it is not JSON"),
            (br#"{"format": "plan"}"#, "it is not a probe file"),
            (
                br#"{"format": "docusign-gitops-probe", "version": 9}"#,
                "upgrade docusign-gitops",
            ),
            (
                br#"{"format": "docusign-gitops-probe", "version": 1, "behaviours": 3}"#,
                "it is not a probe file",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err("refused");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn every_single_route_has_its_flag_and_mixes_say_only_the_file_sets_them() {
        use crate::emulator::config::ProfileRoute;
        assert_eq!(
            routes_flag(ProfileChangeRoutes::only(ProfileRoute::PutProfile)),
            "--profile-change-via put-profile"
        );
        let mixed = ProfileChangeRoutes {
            put_user: true,
            put_profile: false,
            bulk_put_users: true,
        };
        assert!(routes_flag(mixed).contains("put-user + bulk-put-users"));
    }

    fn answers(cases: &[(&str, u64, &[&str])]) -> Map<String, Value> {
        cases
            .iter()
            .map(|(case, status, codes)| {
                (
                    (*case).to_owned(),
                    serde_json::json!({ "status": status, "error_code": "", "item_error_codes": codes }),
                )
            })
            .collect()
    }

    #[test]
    fn failed_items_tell_the_status_and_whose_codes_they_carry() {
        let own = answers(&[
            ("add_member_twice", 200, &[ItemErrorCodes::ALREADY_MEMBER]),
            ("remove_non_member", 200, &[ItemErrorCodes::NOT_MEMBER]),
            ("close_user_twice", 200, &[""]),
        ]);
        assert_eq!(
            item_switches(&own),
            (
                Some(ItemFailureStatus::Success),
                Some(ItemErrorCodes::Emulator)
            )
        );
        let other = answers(&[
            ("add_member_twice", 400, &["MEMBER_EXISTS"]),
            ("remove_non_member", 400, &[ItemErrorCodes::NOT_MEMBER]),
        ]);
        assert_eq!(
            item_switches(&other),
            (
                Some(ItemFailureStatus::BadRequest),
                Some(ItemErrorCodes::Generic)
            )
        );
    }

    #[test]
    fn answers_with_no_failed_item_or_mixed_statuses_set_nothing_they_cannot_tell() {
        let silent = answers(&[
            ("add_member_twice", 200, &[""]),
            ("close_user_twice", 200, &[]),
        ]);
        assert_eq!(item_switches(&silent), (None, None));
        let mixed = answers(&[
            ("add_member_twice", 200, &[ItemErrorCodes::ALREADY_MEMBER]),
            ("remove_non_member", 400, &[ItemErrorCodes::NOT_MEMBER]),
        ]);
        assert_eq!(
            item_switches(&mixed),
            (None, Some(ItemErrorCodes::Emulator))
        );
    }
}
