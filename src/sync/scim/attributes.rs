//! Reading SCIM attributes out of a resource: by name, case-insensitively (RFC 7643 §2.1), or
//! by attribute path, each checked against the type RFC 7643 gives it, with an error naming the
//! resource and the attribute when it is wrong.

use serde_json::{Map, Value};

use super::{QUOTED_CHARS, Resource};
use crate::excerpt;
use crate::sync::csv::looks_like_email;
use crate::sync::source::SourceError;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    User,
    Group,
}

/// A resource's type, from its `schemas`, else its `meta.resourceType`.
pub(super) fn resource_type(resource: &Resource) -> Result<Kind, SourceError> {
    if let Some(schemas) = field(&resource.object, "schemas") {
        for schema in strings(schemas) {
            if schema.eq_ignore_ascii_case(USER_SCHEMA) {
                return Ok(Kind::User);
            }
            if schema.eq_ignore_ascii_case(GROUP_SCHEMA) {
                return Ok(Kind::Group);
            }
        }
    }
    let said = match field(&resource.object, "meta") {
        Some(Value::Object(meta)) => field(meta, "resourceType").and_then(Value::as_str),
        _ => None,
    };
    match said {
        Some(said) if said.eq_ignore_ascii_case("User") => Ok(Kind::User),
        Some(said) if said.eq_ignore_ascii_case("Group") => Ok(Kind::Group),
        _ => Err(SourceError::BadEntry {
            at: resource.at.label.clone(),
            problem: "is neither a User nor a Group resource".to_owned(),
            fix: Some(format!(
                "a resource's `schemas` names `{USER_SCHEMA}` or `{GROUP_SCHEMA}`: remove other resources from the export"
            )),
        }),
    }
}

/// The user's email: the `primary` entry of `emails`, else `userName` when it is an address,
/// else the only entry of `emails`.
pub(super) fn email(user: &Resource) -> Result<String, SourceError> {
    let mut values = Vec::new();
    let mut primaries = Vec::new();
    for (path, entry) in sub_objects(user, "emails")? {
        let Some(value) = sub_value(user, &path, entry)?.map(str::trim) else {
            continue;
        };
        if flag(user, entry, &format!("{path}.primary"), false)? {
            primaries.push((path.clone(), value));
        }
        values.push((path, value));
    }
    let user_name = optional_text(user, "userName")?.map(str::trim);
    let chosen = match primaries[..] {
        [(ref path, value)] => Some((path.clone(), value)),
        [_, _, ..] => {
            return Err(SourceError::BadEntry {
                at: user.at.label.clone(),
                problem: format!("has {} emails marked `primary`", primaries.len()),
                fix: Some(
                    "RFC 7643 allows one primary email: correct the user at the identity provider"
                        .to_owned(),
                ),
            });
        }
        [] => match (user_name, &values[..]) {
            (Some(name), _) if looks_like_email(name) => Some(("userName".to_owned(), name)),
            (_, [(path, value)]) => Some((path.clone(), *value)),
            _ => None,
        },
    };
    let Some((path, value)) = chosen else {
        return Err(SourceError::BadEntry {
            at: user.at.label.clone(),
            problem: "has no email: no entry of `emails` is `primary`, and `userName` is not an email address".to_owned(),
            fix: Some("give the user a primary email at the identity provider, and export again".to_owned()),
        });
    };
    if !looks_like_email(value) {
        return Err(SourceError::BadEntry {
            at: user.at.label.clone(),
            problem: format!(
                "`{path}` is `{}`, not an email address",
                excerpt::quoted(value, QUOTED_CHARS)
            ),
            fix: Some("correct the user's email at the identity provider".to_owned()),
        });
    }
    Ok(value.to_owned())
}

/// A boolean attribute: `true`/`false`, or the strings `"true"`/`"false"` (any case), as some
/// providers write them; `default` when absent.
/// `path` is the attribute's path, its last part the key looked up in `object`.
pub(super) fn flag(
    resource: &Resource,
    object: &Map<String, Value>,
    path: &str,
    default: bool,
) -> Result<bool, SourceError> {
    let key = path.rsplit('.').next().unwrap_or(path);
    match field(object, key) {
        None => Ok(default),
        Some(Value::Bool(value)) => Ok(*value),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(wrong_type(resource, path, other, "`true` or `false`")),
    }
}

/// A text attribute of the resource, or `None` when absent.
pub(super) fn optional_text<'r>(
    resource: &'r Resource,
    key: &str,
) -> Result<Option<&'r str>, SourceError> {
    match field(&resource.object, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(wrong_type(resource, key, other, "a string")),
    }
}

/// An entry of a multi-valued complex attribute, with its path.
type SubObject<'r> = (String, &'r Map<String, Value>);

/// The entries of a multi-valued complex attribute (`members`, `groups`, `emails`), each with
/// its path (`emails[2]`); none when the attribute is absent.
pub(super) fn sub_objects<'r>(
    resource: &'r Resource,
    key: &str,
) -> Result<Vec<SubObject<'r>>, SourceError> {
    let entries = match field(&resource.object, key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(other) => return Err(wrong_type(resource, key, other, "a list")),
    };
    entries
        .iter()
        .enumerate()
        .map(|(position, entry)| {
            let path = format!("{key}[{position}]");
            match entry {
                Value::Object(entry) => Ok((path, entry)),
                other => Err(wrong_type(resource, &path, other, "an object")),
            }
        })
        .collect()
}

/// The `value` of one entry of [`sub_objects`], or `None` when it has none.
pub(super) fn sub_value<'r>(
    resource: &Resource,
    path: &str,
    entry: &'r Map<String, Value>,
) -> Result<Option<&'r str>, SourceError> {
    match field(entry, "value") {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(other) => Err(wrong_type(
            resource,
            &format!("{path}.value"),
            other,
            "a string",
        )),
    }
}

pub(super) fn required_text<'r>(resource: &'r Resource, key: &str) -> Result<&'r str, SourceError> {
    match optional_text(resource, key)? {
        Some(text) if !text.trim().is_empty() => Ok(text.trim()),
        _ => Err(SourceError::BadEntry {
            at: resource.at.label.clone(),
            problem: format!("has no `{key}`"),
            fix: Some(format!(
                "a Group resource needs its `{key}`, the name the mapping rules use"
            )),
        }),
    }
}

/// A value the rules can compare: a string, number or boolean as text; absent, null or blank
/// gives nothing.
pub(super) fn scalar(
    resource: &Resource,
    value: Option<&Value>,
    path: &str,
) -> Result<Option<String>, SourceError> {
    match value {
        None => Ok(None),
        Some(Value::String(text)) => {
            Ok(Some(text.trim().to_owned()).filter(|text| !text.is_empty()))
        }
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
        Some(other) => Err(SourceError::BadEntry {
            at: resource.at.label.clone(),
            problem: format!("`{path}` is {}, not a single value", kind(other)),
            fix: Some("an attribute for the rules must be a text, number or boolean: name a sub-attribute (`name.formatted`)".to_owned()),
        }),
    }
}

/// The value at a SCIM attribute path: `title`, `name.formatted`, or an extension's
/// `urn:…:User:department` (the URN up to its last `:`).
pub(super) fn lookup<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let (mut current, rest) = match path.rsplit_once(':') {
        Some((urn, rest))
            if path
                .get(..4)
                .is_some_and(|start| start.eq_ignore_ascii_case("urn:")) =>
        {
            match field(object, urn) {
                Some(Value::Object(extension)) => (extension, rest),
                _ => return None,
            }
        }
        _ => (object, path),
    };
    let mut parts = rest.split('.').peekable();
    while let Some(part) = parts.next() {
        let value = field(current, part)?;
        if parts.peek().is_none() {
            return Some(value);
        }
        let Value::Object(next) = value else {
            return None;
        };
        current = next;
    }
    None
}

/// An attribute by name, case-insensitive (RFC 7643 §2.1); null counts as absent.
pub(super) fn field<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    entry(object, key)
        .map(|(_, value)| value)
        .filter(|value| !value.is_null())
}

pub(super) fn entry<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Option<(&'v String, &'v Value)> {
    object.get_key_value(key).or_else(|| {
        object
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
    })
}

/// The strings of a list (other items skipped).
pub(super) fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

pub(super) fn wrong_type(
    resource: &Resource,
    path: &str,
    value: &Value,
    wanted: &str,
) -> SourceError {
    SourceError::BadEntry {
        at: resource.at.label.clone(),
        problem: format!("`{path}` is {}, not {wanted}", kind(value)),
        fix: Some("check the export: RFC 7643 gives each attribute's type".to_owned()),
    }
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json).unwrap() {
            Value::Object(object) => object,
            _ => unreachable!("the test writes an object"),
        }
    }

    #[test]
    fn attribute_paths_reach_extensions_and_sub_attributes_in_any_case() {
        let user = object(
            r#"{"Name": {"formatted": "Ana Silva"}, "userType": "Employee",
                "urn:example:acme:2.0:User": {"badge": 42}}"#,
        );
        assert_eq!(
            lookup(&user, "name.formatted"),
            Some(&Value::from("Ana Silva"))
        );
        assert_eq!(lookup(&user, "usertype"), Some(&Value::from("Employee")));
        assert_eq!(
            lookup(&user, "urn:example:acme:2.0:User:badge"),
            Some(&Value::from(42))
        );
        assert_eq!(lookup(&user, "urn:example:acme:2.0:User:missing"), None);
        assert_eq!(lookup(&user, "name.formatted.more"), None);
    }
}
