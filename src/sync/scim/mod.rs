//! The SCIM source: people from an identity provider's SCIM 2.0 export, a JSON file of RFC 7643
//! `User` resources (and `Group` resources, in the same file or a second one).
//!
//! Exports come in a `ListResponse` (`{"schemas": [...ListResponse], "Resources": [...]}`), or
//! as a bare array of resources. SCIM attribute names are case-insensitive (RFC 7643 §2.1), so
//! they are matched that way; `active` and `primary` are read as booleans or as the strings
//! `"true"`/`"false"` some providers send. Group membership comes from a user's `groups` and
//! from the Group resources' `members`, a group in a group resolved to every group above it. A
//! file that is one page of a larger listing is refused: it would make everyone on the other
//! pages a leaver.

mod attributes;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::csv::read_in_dir;
use super::source::{Person, Source, SourceError};
use crate::confined;
use crate::excerpt;
use attributes::{
    Kind, email, entry, field, flag, kind, lookup, optional_text, required_text, resource_type,
    scalar, strings, sub_objects, sub_value, wrong_type,
};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// RFC 7643 §4.3.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The enterprise extension's attributes every person gets, by the name the rules use.
/// `manager` is handled apart: it is a reference, not a text.
const ENTERPRISE_ATTRIBUTES: [(&str, &str); 5] = [
    ("department", "department"),
    ("employee_number", "employeeNumber"),
    ("cost_center", "costCenter"),
    ("organization", "organization"),
    ("division", "division"),
];

/// Longest value quoted from a file in a message.
const QUOTED_CHARS: usize = 60;

/// A SCIM 2.0 export: which files, and which more attributes to take.
///
/// Each `User` resource is one person: the email is the `primary` entry of `emails` (else
/// `userName` when it is an address, else the only entry), the names `name.givenName` and
/// `name.familyName`, the job title `title`; `active: false` makes a leaver. The groups are
/// the `displayName`s of the Group resources whose `members` hold the user, directly or
/// through groups in groups, and any other group the user's `groups` names by `display`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ScimConfig {
    /// The JSON file of `User` resources (and, if the export has them there, `Group`
    /// resources), relative to the desired-state directory: a SCIM `ListResponse` or an array
    /// of resources.
    pub path: PathBuf,
    /// A second JSON file holding the `Group` resources, when the export keeps them apart.
    pub groups_path: Option<PathBuf>,
    /// More attributes the mapping rules may test, by the name the rules use, each from a SCIM
    /// attribute path: `user_type: userType`, `locale: locale`,
    /// `badge: "urn:example:params:scim:schemas:extension:acme:2.0:User:badge"`. The enterprise
    /// extension's `department`, `employee_number`, `cost_center`, `organization`, `division`
    /// and `manager` (the manager's email when the export holds them, else their SCIM id) are
    /// always taken; naming one here replaces it.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// A SCIM export under a desired-state directory, ready to read.
#[derive(Clone, Debug)]
pub struct ScimSource {
    dir: PathBuf,
    config: ScimConfig,
}

impl ScimSource {
    /// The export `config` describes, its paths taken from the desired-state directory `dir`.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, config: ScimConfig) -> Self {
        Self {
            dir: dir.into(),
            config,
        }
    }
}

impl Source for ScimSource {
    fn people(&self) -> Result<Vec<Person>, SourceError> {
        let mut files = vec![(
            confined::shown(&self.config.path),
            read_in_dir(&self.dir, &self.config.path)?,
        )];
        if let Some(groups) = &self.config.groups_path {
            files.push((confined::shown(groups), read_in_dir(&self.dir, groups)?));
        }
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        parse(&files, &self.config)
    }
}

/// The people in the SCIM JSON `files`, each a name as the user knows it and its bytes.
pub fn parse(files: &[(&str, &[u8])], config: &ScimConfig) -> Result<Vec<Person>, SourceError> {
    let mut resources = Vec::new();
    for &(name, bytes) in files {
        resources.extend(resources_in(name, bytes)?);
    }
    let export = Export::sort(&resources)?;
    let mut people = Vec::with_capacity(export.users.len());
    let mut seen: HashMap<String, &str> = HashMap::new();
    for user in &export.users {
        let person = export.person(user, config)?;
        // A line break in a name would end up in generated YAML and on terminals.
        if let Some((what, control)) = control_in(&person) {
            return Err(SourceError::BadEntry {
                at: user.at.label.clone(),
                problem: format!(
                    "{what} holds a control character (U+{:04X})",
                    u32::from(control)
                ),
                fix: Some(
                    "remove line breaks, tabs and other control characters from the value at the identity provider, and export again".to_owned(),
                ),
            });
        }
        if let Some(first) = seen.insert(crate::email::fold(&person.email), &user.at.label) {
            return Err(SourceError::BadEntry {
                at: user.at.label.clone(),
                problem: format!(
                    "has the email `{}`, as {first} does",
                    excerpt::quoted(&person.email, QUOTED_CHARS)
                ),
                fix: Some(
                    "each person may appear once in an export: correct the identity provider's record, or export again".to_owned(),
                ),
            });
        }
        people.push(person);
    }
    if people.is_empty() {
        return Err(SourceError::empty_export(
            files.first().map_or("", |(name, _)| *name).to_owned(),
            "holds no User resources",
        ));
    }
    Ok(people)
}

/// The first control character in what the person will be written with, and where it is.
fn control_in(person: &Person) -> Option<(String, char)> {
    let first = |text: &str| text.chars().find(|c| c.is_control());
    let fields = [
        ("the email".to_owned(), person.email.as_str()),
        ("`name.givenName`".to_owned(), &person.first_name),
        ("`name.familyName`".to_owned(), &person.last_name),
        (
            "`title`".to_owned(),
            person.job_title.as_deref().unwrap_or(""),
        ),
    ];
    let groups = person
        .groups
        .iter()
        .map(|group| ("a group's name".to_owned(), group.as_str()));
    let attributes = person
        .attributes
        .iter()
        .map(|(name, value)| (format!("the attribute `{name}`"), value.as_str()));
    fields
        .into_iter()
        .chain(groups)
        .chain(attributes)
        .find_map(|(what, text)| first(text).map(|control| (what, control)))
}

/// Where a resource is: `users.json: Resources[3]`, and the same with its name, for errors.
#[derive(Clone, Debug)]
struct Place {
    origin: String,
    label: String,
}

/// One resource of the export, with where it is.
struct Resource {
    at: Place,
    object: Map<String, Value>,
}

/// The resources of one file, in order.
fn resources_in(name: &str, bytes: &[u8]) -> Result<Vec<Resource>, SourceError> {
    let bad = |problem: String, fix: &str| SourceError::BadEntry {
        at: name.to_owned(),
        problem,
        fix: Some(fix.to_owned()),
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(
            "is empty".to_owned(),
            "export the users again from the identity provider: the export that wrote this file failed",
        ));
    }
    let document: Value = serde_json::from_slice(bytes).map_err(|err| {
        let said = err.to_string();
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        SourceError::BadEntry {
            at: format!("{name}:{}:{}", err.line(), err.column()),
            problem: format!(
                "is not valid JSON: {}",
                said.strip_suffix(&suffix).unwrap_or(&said)
            ),
            fix: Some(
                "export the file again from the identity provider; a SCIM export is one JSON document".to_owned(),
            ),
        }
    })?;
    let (list, key) = match document {
        Value::Array(list) => (list, String::new()),
        Value::Object(mut object) => {
            if let Some(schemas) = field(&object, "schemas")
                && !strings(schemas).any(|schema| schema.eq_ignore_ascii_case(LIST_RESPONSE))
            {
                return Err(bad(
                    format!("has `schemas` without `{LIST_RESPONSE}`"),
                    "a SCIM export is a ListResponse: check that the file is the identity provider's export of users",
                ));
            }
            let Some(key) = entry(&object, "Resources").map(|(key, _)| key.clone()) else {
                return Err(bad(
                    "is not a SCIM ListResponse: it has no `Resources`".to_owned(),
                    "export the users as a ListResponse (`{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"], \"Resources\": [...]}`) or as an array of resources",
                ));
            };
            let list = match object.remove(&key) {
                Some(Value::Array(list)) => list,
                Some(other) => {
                    return Err(bad(
                        format!("has `{key}` that is {}, not a list", kind(&other)),
                        "`Resources` must be the list of User and Group resources",
                    ));
                }
                None => Vec::new(),
            };
            refuse_a_page(name, &object, list.len())?;
            (list, key)
        }
        other => {
            return Err(bad(
                format!("is {}, not a SCIM ListResponse", kind(&other)),
                "export the users as a SCIM ListResponse, or as an array of resources",
            ));
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(index, value)| {
            let origin = format!("{name}: {key}[{index}]");
            match value {
                Value::Object(object) => Ok(Resource {
                    at: Place {
                        label: labelled(&origin, &object),
                        origin,
                    },
                    object,
                }),
                other => Err(SourceError::BadEntry {
                    at: origin,
                    problem: format!("is {}, not a resource", kind(&other)),
                    fix: Some("each resource is a JSON object with `schemas` and `id`".to_owned()),
                }),
            }
        })
        .collect()
}

/// A listing that says it holds more than it has (`totalResults` beyond its resources, or a
/// `startIndex` past the first) is one page of several.
fn refuse_a_page(name: &str, list: &Map<String, Value>, held: usize) -> Result<(), SourceError> {
    let number = |key: &str| field(list, key).and_then(Value::as_u64);
    let total = number("totalResults");
    let start = number("startIndex").unwrap_or(1);
    let held_n = u64::try_from(held).unwrap_or(u64::MAX);
    if total.is_some_and(|total| total > held_n) || start > 1 {
        return Err(SourceError::BadEntry {
            at: name.to_owned(),
            problem: format!(
                "is one page of a larger listing: it holds {held} resources from index {start}{}",
                total.map(|total| format!(" of {total}")).unwrap_or_default()
            ),
            fix: Some(
                "export every page into one file (people on the other pages would be taken for leavers)".to_owned(),
            ),
        });
    }
    Ok(())
}

/// `users.json: Resources[3] (userName ana@example.com)`.
fn labelled(origin: &str, object: &Map<String, Value>) -> String {
    ["userName", "displayName", "id"]
        .iter()
        .find_map(|key| {
            field(object, key)
                .and_then(Value::as_str)
                .map(|value| format!("{origin} ({key} {})", excerpt::quoted(value, QUOTED_CHARS)))
        })
        .unwrap_or_else(|| origin.to_owned())
}

/// The export's users and groups, with the ids that tie them.
struct Export<'r> {
    users: Vec<&'r Resource>,
    /// Each group's `displayName`.
    groups: Vec<String>,
    /// SCIM id → index in `users`.
    user_ids: HashMap<&'r str, usize>,
    /// SCIM id → index in `groups`.
    group_ids: HashMap<&'r str, usize>,
    /// For each user (by index), the groups whose `members` name them directly.
    member_of: Vec<BTreeSet<usize>>,
    /// For each group (by index), the groups whose `members` name it.
    parents: Vec<BTreeSet<usize>>,
}

impl<'r> Export<'r> {
    /// Sorts the resources into users and groups, and reads the groups' members.
    fn sort(resources: &'r [Resource]) -> Result<Self, SourceError> {
        let mut users = Vec::new();
        let mut groups = Vec::new();
        for resource in resources {
            match resource_type(resource)? {
                Kind::User => users.push(resource),
                Kind::Group => groups.push(required_text(resource, "displayName")?.to_owned()),
            }
        }
        let mut export = Self {
            member_of: vec![BTreeSet::new(); users.len()],
            parents: vec![BTreeSet::new(); groups.len()],
            user_ids: HashMap::new(),
            group_ids: HashMap::new(),
            users,
            groups,
        };
        export.index_ids(resources)?;
        export.read_members(resources)?;
        Ok(export)
    }

    fn index_ids(&mut self, resources: &'r [Resource]) -> Result<(), SourceError> {
        let mut owner: HashMap<&str, &Place> = HashMap::new();
        let (mut user, mut group) = (0, 0);
        for resource in resources {
            let id = optional_text(resource, "id")?;
            let is_user = resource_type(resource)? == Kind::User;
            if let Some(id) = id {
                if let Some(first) = owner.insert(id, &resource.at) {
                    return Err(SourceError::BadEntry {
                        at: resource.at.label.clone(),
                        problem: format!(
                            "has the id `{}`, as {} does",
                            excerpt::quoted(id, QUOTED_CHARS),
                            first.label
                        ),
                        fix: Some(
                            "every resource's `id` is unique: export the file again".to_owned(),
                        ),
                    });
                }
                if is_user {
                    self.user_ids.insert(id, user);
                } else {
                    self.group_ids.insert(id, group);
                }
            }
            if is_user {
                user += 1;
            } else {
                group += 1;
            }
        }
        Ok(())
    }

    /// Reads each group's `members`: a user of the export, a group of the export, or someone
    /// the export doesn't hold (not a person of this source, so left out).
    fn read_members(&mut self, resources: &'r [Resource]) -> Result<(), SourceError> {
        let groups = resources
            .iter()
            .filter(|resource| resource_type(resource).is_ok_and(|kind| kind == Kind::Group));
        for (index, resource) in groups.enumerate() {
            for (path, member) in sub_objects(resource, "members")? {
                let Some(value) = sub_value(resource, &path, member)? else {
                    return Err(SourceError::BadEntry {
                        at: resource.at.label.clone(),
                        problem: format!("`{path}` has no `value`"),
                        fix: Some(
                            "a member names the id of a User or Group resource in `value`"
                                .to_owned(),
                        ),
                    });
                };
                let said = field(member, "type").and_then(Value::as_str);
                let said_group = said.is_some_and(|said| said.eq_ignore_ascii_case("Group"));
                if let Some(&group) = self.group_ids.get(value) {
                    self.parents[group].insert(index);
                } else if said_group {
                    return Err(SourceError::BadEntry {
                        at: resource.at.label.clone(),
                        problem: format!(
                            "`{path}` is the group `{}`, which is not in the export",
                            excerpt::quoted(value, QUOTED_CHARS)
                        ),
                        fix: Some(
                            "export the Group resources with the users (or name their file in `groups_path`), so nested groups can be resolved".to_owned(),
                        ),
                    });
                } else if let Some(&user) = self.user_ids.get(value) {
                    self.member_of[user].insert(index);
                }
            }
        }
        Ok(())
    }

    /// The groups `start` is in, and every group above them, each once.
    fn above(&self, start: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut reached = BTreeSet::new();
        let mut todo: Vec<usize> = start.into_iter().collect();
        while let Some(group) = todo.pop() {
            // A cycle of groups (A in B in A) stops here, the second time round.
            if reached.insert(group) {
                todo.extend(&self.parents[group]);
            }
        }
        reached
    }

    /// The person a User resource is.
    fn person(&self, user: &Resource, config: &ScimConfig) -> Result<Person, SourceError> {
        let index = optional_text(user, "id")?.and_then(|id| self.user_ids.get(id).copied());
        let email = email(user)?;
        let name = match field(&user.object, "name") {
            None => None,
            Some(Value::Object(name)) => Some(name),
            Some(other) => return Err(wrong_type(user, "name", other, "an object")),
        };
        let name_part = |key: &str| -> Result<String, SourceError> {
            match name.and_then(|name| field(name, key)) {
                None => Ok(String::new()),
                Some(Value::String(text)) => Ok(text.trim().to_owned()),
                Some(other) => Err(wrong_type(user, &format!("name.{key}"), other, "a string")),
            }
        };
        let first_name = name_part("givenName")?;
        let last_name = name_part("familyName")?;
        if first_name.is_empty() && last_name.is_empty() {
            return Err(SourceError::BadEntry {
                at: user.at.label.clone(),
                problem: "has neither `name.givenName` nor `name.familyName`".to_owned(),
                fix: Some("DocuSign needs a name for every user: fill in the name at the identity provider".to_owned()),
            });
        }
        let mut direct: BTreeSet<usize> = index
            .map(|index| self.member_of[index].clone())
            .unwrap_or_default();
        let mut names = BTreeSet::new();
        self.user_groups(user, &mut direct, &mut names)?;
        names.extend(
            self.above(direct)
                .into_iter()
                .map(|group| self.groups[group].clone()),
        );
        Ok(Person {
            email,
            first_name,
            last_name,
            job_title: optional_text(user, "title")?
                .map(str::trim)
                .filter(|title| !title.is_empty())
                .map(str::to_owned),
            groups: names,
            attributes: self.attributes(user, config)?,
            disabled: !flag(user, &user.object, "active", true)?,
            origin: user.at.origin.clone(),
        })
    }

    /// The user's own `groups`: those the export holds join `direct`, to be resolved upwards;
    /// others are taken by their `display`.
    fn user_groups(
        &self,
        user: &Resource,
        direct: &mut BTreeSet<usize>,
        names: &mut BTreeSet<String>,
    ) -> Result<(), SourceError> {
        for (path, group) in sub_objects(user, "groups")? {
            let value = field(group, "value").and_then(Value::as_str);
            if let Some(&known) = value.and_then(|value| self.group_ids.get(value)) {
                direct.insert(known);
                continue;
            }
            match field(group, "display") {
                Some(Value::String(display)) if !display.trim().is_empty() => {
                    names.insert(display.trim().to_owned());
                }
                _ => {
                    return Err(SourceError::BadEntry {
                        at: user.at.label.clone(),
                        problem: format!(
                            "`{path}` has no `display`, and its `value` is no Group of the export"
                        ),
                        fix: Some(
                            "export the Group resources with the users (or name their file in `groups_path`), or export the groups' display names".to_owned(),
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The enterprise extension's attributes, then the config's.
    fn attributes(
        &self,
        user: &Resource,
        config: &ScimConfig,
    ) -> Result<BTreeMap<String, String>, SourceError> {
        let mut attributes = BTreeMap::new();
        let enterprise = match field(&user.object, ENTERPRISE_USER) {
            None => None,
            Some(Value::Object(extension)) => Some(extension),
            Some(other) => return Err(wrong_type(user, ENTERPRISE_USER, other, "an object")),
        };
        if let Some(extension) = enterprise {
            for (attribute, key) in ENTERPRISE_ATTRIBUTES {
                let path = format!("{ENTERPRISE_USER}:{key}");
                if let Some(value) = scalar(user, field(extension, key), &path)? {
                    attributes.insert(attribute.to_owned(), value);
                }
            }
            if let Some(manager) = self.manager(user, extension)? {
                attributes.insert("manager".to_owned(), manager);
            }
        }
        for (attribute, path) in &config.attributes {
            attributes.remove(attribute);
            if let Some(value) = scalar(user, lookup(&user.object, path), path)? {
                attributes.insert(attribute.clone(), value);
            }
        }
        Ok(attributes)
    }

    /// The manager's email when the export holds them, else the id the extension gives.
    fn manager(
        &self,
        user: &Resource,
        extension: &Map<String, Value>,
    ) -> Result<Option<String>, SourceError> {
        let path = format!("{ENTERPRISE_USER}:manager");
        let id = match field(extension, "manager") {
            None => return Ok(None),
            // Some providers write the manager's id alone.
            Some(Value::String(id)) => id.as_str(),
            Some(Value::Object(manager)) => match field(manager, "value") {
                None => return Ok(None),
                Some(Value::String(id)) => id.as_str(),
                Some(other) => {
                    return Err(wrong_type(
                        user,
                        &format!("{path}.value"),
                        other,
                        "a string",
                    ));
                }
            },
            Some(other) => return Err(wrong_type(user, &path, other, "an object")),
        };
        if id.trim().is_empty() {
            return Ok(None);
        }
        match self.user_ids.get(id) {
            Some(&manager) => email(self.users[manager]).map(Some),
            None => Ok(Some(id.to_owned())),
        }
    }
}
