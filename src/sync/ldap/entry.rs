//! One directory entry as a [`Person`]: the mapped attributes, each with one value, and whether
//! the account is disabled. Groups are added by `groups`.

use std::collections::BTreeMap;

use ldap3::SearchEntry;

use super::{LdapConfig, Membership, Nested};
use crate::sync::{Person, SourceError};

/// Active Directory's flags of an account, and the one that says it is disabled.
const USER_ACCOUNT_CONTROL: &str = "userAccountControl";
const ACCOUNTDISABLE: i64 = 0x2;

/// The attributes a person search asks for.
pub fn requested(config: &LdapConfig) -> Vec<String> {
    let attributes = &config.attributes;
    let mut names = vec![
        attributes.email.clone(),
        attributes.first_name.clone(),
        attributes.last_name.clone(),
        attributes.job_title.clone(),
        config.disabled.attribute.clone(),
        USER_ACCOUNT_CONTROL.to_owned(),
    ];
    names.extend(attributes.extra.values().cloned());
    if config.groups.membership == Membership::MemberOf && config.groups.nested != Nested::InChain {
        names.push("memberOf".to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.to_ascii_lowercase()));
    names
}

/// The text values of `name` in `entry`, matched regardless of case (the server spells a name
/// as its schema does, not as it was asked); `None` when only binary values came back.
pub fn values<'e>(entry: &'e SearchEntry, name: &str) -> Option<&'e [String]> {
    let text = entry
        .attrs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, values)| values.as_slice());
    match text {
        Some(values) => Some(values),
        None if entry
            .bin_attrs
            .keys()
            .any(|key| key.eq_ignore_ascii_case(name)) =>
        {
            None
        }
        None => Some(&[]),
    }
}

/// The person `entry` is, without groups.
pub fn person(entry: &SearchEntry, config: &LdapConfig) -> Result<Person, SourceError> {
    let attributes = &config.attributes;
    let required = |name: &str, field: &str| -> Result<String, SourceError> {
        one(entry, name, field)?.ok_or_else(|| SourceError::BadEntry {
            at: entry.dn.clone(),
            problem: format!("has no `{name}`, which the source reads as the person's {field}"),
            fix: Some(format!(
                "give the entry a `{name}`, map `attributes.{field}` to an attribute every \
                 person has, or narrow the source's `filter` to leave this entry out"
            )),
        })
    };
    let email = required(&attributes.email, "email")?;
    let first_name = required(&attributes.first_name, "first_name")?;
    let last_name = required(&attributes.last_name, "last_name")?;
    let job_title = one(entry, &attributes.job_title, "job_title")?;
    let mut extra = BTreeMap::new();
    for (rule_name, name) in &attributes.extra {
        if let Some(value) = one(entry, name, &format!("extra.{rule_name}"))? {
            extra.insert(rule_name.clone(), value);
        }
    }
    Ok(Person {
        email,
        first_name,
        last_name,
        job_title,
        groups: std::collections::BTreeSet::new(),
        attributes: extra,
        disabled: disabled(entry, config)?,
        origin: entry.dn.clone(),
    })
}

/// The one value of `name`, trimmed; `None` when there is none (or only blanks).
fn one(entry: &SearchEntry, name: &str, field: &str) -> Result<Option<String>, SourceError> {
    let Some(values) = values(entry, name) else {
        return Err(SourceError::BadEntry {
            at: entry.dn.clone(),
            problem: format!("has a `{name}` that is not text, read as the person's {field}"),
            fix: Some(format!("map `attributes.{field}` to a text attribute")),
        });
    };
    let mut present = values
        .iter()
        .map(|value| value.trim())
        .filter(|value| !value.is_empty());
    let first = present.next();
    if let Some(second) = present.next() {
        return Err(SourceError::BadEntry {
            at: entry.dn.clone(),
            problem: format!(
                "has more than one `{name}` (`{}`, `{second}`…), read as the person's {field}",
                first.unwrap_or_default()
            ),
            fix: Some(format!(
                "keep one value of `{name}` on the entry, or map `attributes.{field}` to an \
                 attribute with one value"
            )),
        });
    }
    Ok(first.map(str::to_owned))
}

/// Active Directory's ACCOUNTDISABLE flag, or the configured attribute (and value).
fn disabled(entry: &SearchEntry, config: &LdapConfig) -> Result<bool, SourceError> {
    for flags in values(entry, USER_ACCOUNT_CONTROL).unwrap_or_default() {
        let flags = flags
            .trim()
            .parse::<i64>()
            .map_err(|_| SourceError::BadEntry {
                at: entry.dn.clone(),
                problem: format!(
                    "has a `{USER_ACCOUNT_CONTROL}` of `{flags}`, which is not a number"
                ),
                fix: Some("correct the entry's userAccountControl flags".to_owned()),
            })?;
        if flags & ACCOUNTDISABLE != 0 {
            return Ok(true);
        }
    }
    let test = &config.disabled;
    let Some(values) = values(entry, &test.attribute) else {
        // A binary value is still a value: with no value configured, it marks the account.
        return Ok(test.value.is_none());
    };
    Ok(match &test.value {
        None => !values.is_empty(),
        Some(wanted) => values
            .iter()
            .any(|value| value.trim().to_lowercase() == wanted.trim().to_lowercase()),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::sync::ldap::LdapDisabled;

    fn config() -> LdapConfig {
        serde_saphyr::from_str("url: ldap://127.0.0.1\nbase_dn: dc=example,dc=com\n")
            .expect("a minimal config")
    }

    fn entry(attributes: &[(&str, &[&str])]) -> SearchEntry {
        SearchEntry {
            dn: "uid=ada,ou=People,dc=example,dc=com".to_owned(),
            attrs: attributes
                .iter()
                .map(|(name, values)| {
                    (
                        (*name).to_owned(),
                        values.iter().map(|value| (*value).to_owned()).collect(),
                    )
                })
                .collect(),
            bin_attrs: HashMap::new(),
        }
    }

    const ADA: [(&str, &[&str]); 4] = [
        ("mail", &["ada@example.com"]),
        ("givenName", &["Ada"]),
        ("sn", &["Lovelace"]),
        ("title", &["Analyst"]),
    ];

    #[test]
    fn maps_the_default_attributes_whatever_their_case() {
        let mut attributes = ADA.to_vec();
        attributes[0] = ("MAIL", &["ada@example.com"]);
        let person = person(&entry(&attributes), &config()).expect("a person");
        assert_eq!(person.email, "ada@example.com");
        assert_eq!(
            (person.first_name.as_str(), person.last_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert_eq!(person.job_title.as_deref(), Some("Analyst"));
        assert_eq!(person.origin, "uid=ada,ou=People,dc=example,dc=com");
        assert!(!person.disabled);
    }

    #[test]
    fn two_mail_values_are_a_bad_entry_naming_the_dn() {
        let mut attributes = ADA.to_vec();
        attributes[0] = ("mail", &["ada@example.com", "al@example.com"]);
        let error = person(&entry(&attributes), &config()).expect_err("two addresses");
        let SourceError::BadEntry { at, problem, .. } = error else {
            panic!("not a bad entry: {error:?}");
        };
        assert_eq!(at, "uid=ada,ou=People,dc=example,dc=com");
        assert!(problem.contains("more than one `mail`"), "{problem}");
    }

    #[test]
    fn user_account_control_bit_two_disables() {
        let mut attributes = ADA.to_vec();
        attributes.push(("userAccountControl", &["514"]));
        assert!(
            person(&entry(&attributes), &config())
                .expect("a person")
                .disabled
        );
        attributes.pop();
        attributes.push(("userAccountControl", &["512"]));
        assert!(
            !person(&entry(&attributes), &config())
                .expect("a person")
                .disabled
        );
    }

    #[test]
    fn the_default_lock_is_only_the_administrative_one() {
        let mut attributes = ADA.to_vec();
        attributes.push(("pwdAccountLockedTime", &["20240101000000Z"]));
        assert!(
            !person(&entry(&attributes), &config())
                .expect("a person")
                .disabled
        );
        attributes.pop();
        attributes.push(("pwdAccountLockedTime", &["000001010000Z"]));
        assert!(
            person(&entry(&attributes), &config())
                .expect("a person")
                .disabled
        );
    }

    #[test]
    fn a_configured_attribute_without_value_disables_when_present() {
        let mut config = config();
        config.disabled = LdapDisabled {
            attribute: "nsAccountLock".to_owned(),
            value: None,
        };
        let mut attributes = ADA.to_vec();
        assert!(
            !person(&entry(&attributes), &config)
                .expect("a person")
                .disabled
        );
        attributes.push(("nsaccountlock", &["TRUE"]));
        assert!(
            person(&entry(&attributes), &config)
                .expect("a person")
                .disabled
        );
    }

    #[test]
    fn extra_attributes_are_named_as_the_rules_name_them() {
        let mut config = config();
        config
            .attributes
            .extra
            .insert("cost_center".to_owned(), "departmentNumber".to_owned());
        let mut attributes = ADA.to_vec();
        attributes.push(("departmentNumber", &["42"]));
        let person = person(&entry(&attributes), &config).expect("a person");
        assert_eq!(
            person.attributes.get("cost_center").map(String::as_str),
            Some("42")
        );
        assert!(requested(&config).contains(&"departmentNumber".to_owned()));
    }
}
