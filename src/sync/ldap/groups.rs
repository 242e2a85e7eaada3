//! Which groups each person is in: read from group entries or from `memberOf`, with nesting
//! followed by the tool (any depth, cycles included) or by Active Directory's in-chain rule.
//! Groups are named by their `cn`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ldap3::SearchEntry;

use super::connect::Session;
use super::entry::values;
use super::{LdapConfig, Membership, Nested};
use crate::sync::SourceError;

/// Active Directory's in-chain matching rule: membership through any depth of groups.
const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// The groups of each person, by normalised DN.
#[derive(Debug, Default)]
pub struct Memberships(HashMap<String, BTreeSet<String>>);

impl Memberships {
    /// The names of the groups the entry `dn` is in.
    pub fn of(&self, dn: &str) -> BTreeSet<String> {
        self.0.get(&normal_dn(dn)).cloned().unwrap_or_default()
    }
}

/// Reads the groups and works out everyone's memberships.
pub async fn read(
    session: &mut Session<'_>,
    config: &LdapConfig,
    people: &[SearchEntry],
) -> Result<Memberships, SourceError> {
    let groups = &config.groups;
    let base = groups.base_dn.as_deref().unwrap_or(&config.base_dn);
    let listed_in = match (groups.nested, groups.membership) {
        (Nested::InChain, _) => None,
        (_, Membership::GroupObjects) => Some(groups.member_attribute.clone()),
        (_, Membership::MemberOf) => Some("memberOf".to_owned()),
    };
    let mut attributes = vec!["cn".to_owned()];
    attributes.extend(listed_in.clone());
    let mut found = session
        .search_all(base, &groups.filter, &attributes)
        .await?;
    if let Some(member) = listed_in
        .as_deref()
        .filter(|_| groups.membership == Membership::GroupObjects)
    {
        for group in &mut found {
            complete_ranges(session, group, member).await?;
        }
    }
    let names = names(&found)?;

    if groups.nested == Nested::InChain {
        return in_chain(session, config, &names).await;
    }
    let mut graph = Graph::default();
    match groups.membership {
        Membership::GroupObjects => {
            for group in &found {
                for member in values(group, &groups.member_attribute).unwrap_or_default() {
                    graph.add(member, &group.dn);
                }
            }
        }
        Membership::MemberOf => {
            for entry in found.iter().chain(people) {
                for parent in values(entry, "memberOf").unwrap_or_default() {
                    graph.add(&entry.dn, parent);
                }
            }
        }
    }
    let transitive = groups.nested == Nested::Resolve;
    Ok(Memberships(
        people
            .iter()
            .map(|person| {
                let dn = normal_dn(&person.dn);
                let groups = graph.groups_of(&dn, transitive, &names);
                (dn, groups)
            })
            .collect(),
    ))
}

/// One search per group, each asking Active Directory for the people in it at any depth.
async fn in_chain(
    session: &mut Session<'_>,
    config: &LdapConfig,
    names: &HashMap<String, (String, String)>,
) -> Result<Memberships, SourceError> {
    let people_filter = parenthesised(&config.filter);
    let mut memberships = Memberships::default();
    let mut groups: Vec<_> = names.values().collect();
    groups.sort();
    for (name, dn) in groups {
        let filter = format!(
            "(&{people_filter}({}:{IN_CHAIN}:={}))",
            "memberOf",
            ldap3::ldap_escape(dn.as_str())
        );
        // "1.1" asks for no attributes: the DN is all we need.
        for member in session
            .search_all(&config.base_dn, &filter, &["1.1".to_owned()])
            .await?
        {
            memberships
                .0
                .entry(normal_dn(&member.dn))
                .or_default()
                .insert(name.clone());
        }
    }
    Ok(memberships)
}

/// Each group's name (its `cn`) and DN, by normalised DN; two groups of one name are an error,
/// since the rules could not tell them apart.
fn names(groups: &[SearchEntry]) -> Result<HashMap<String, (String, String)>, SourceError> {
    let mut by_name: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = HashMap::new();
    for group in groups {
        let name = cn(group)?;
        if let Some(other) = by_name.insert(name.clone(), &group.dn) {
            return Err(SourceError::BadEntry {
                at: group.dn.clone(),
                problem: format!("is a second group named `{name}`, after `{other}`"),
                fix: Some(
                    "narrow the source's `groups.base_dn` or `groups.filter` to one of them, or \
                     rename one: the rules name groups by `cn`"
                        .to_owned(),
                ),
            });
        }
        names.insert(normal_dn(&group.dn), (name, group.dn.clone()));
    }
    Ok(names)
}

/// The group's `cn`: its only one, or the one its DN is named by.
fn cn(group: &SearchEntry) -> Result<String, SourceError> {
    let all = values(group, "cn").unwrap_or_default();
    let rdn = group
        .dn
        .split(',')
        .next()
        .and_then(|rdn| rdn.split_once('='))
        .filter(|(attribute, _)| attribute.trim().eq_ignore_ascii_case("cn"))
        .map(|(_, value)| value.trim());
    match all {
        [only] => Ok(only.trim().to_owned()),
        [] => Err(SourceError::BadEntry {
            at: group.dn.clone(),
            problem: "is a group without a `cn`, the name the rules use".to_owned(),
            fix: Some("give the group a `cn`, or leave it out with `groups.filter`".to_owned()),
        }),
        several => Ok(several
            .iter()
            .find(|value| Some(value.trim()) == rdn)
            .unwrap_or(&several[0])
            .trim()
            .to_owned()),
    }
}

/// Active Directory gives at most 1,500 (by default) values of a large group's `member` at a
/// time, as `member;range=0-1499`; this fetches the rest, so a big group is not read short.
async fn complete_ranges(
    session: &mut Session<'_>,
    group: &mut SearchEntry,
    member: &str,
) -> Result<(), SourceError> {
    let mut all = Vec::new();
    let mut next = take_range(group, member, &mut all);
    while let Some(start) = next {
        let requested = format!("{member};range={start}-*");
        let part = session
            .read_entry(&group.dn, &[requested])
            .await?
            .ok_or_else(|| SourceError::BadEntry {
                at: group.dn.clone(),
                problem: "went away while its members were being read".to_owned(),
                fix: Some("run the sync again".to_owned()),
            })?;
        let mut part = part;
        next = take_range(&mut part, member, &mut all);
    }
    if !all.is_empty() {
        group
            .attrs
            .entry(member.to_owned())
            .or_default()
            .extend(all);
    }
    Ok(())
}

/// Moves the values of a ranged `member;range=A-B` out of `entry` into `into`; the start of the
/// next range when there is more (`B` is not `*`).
fn take_range(entry: &mut SearchEntry, member: &str, into: &mut Vec<String>) -> Option<u64> {
    let prefix = format!("{};range=", member.to_ascii_lowercase());
    let key = entry
        .attrs
        .keys()
        .find(|key| key.to_ascii_lowercase().starts_with(&prefix))?
        .clone();
    let values = entry.attrs.remove(&key).unwrap_or_default();
    into.extend(values);
    let end = key[prefix.len()..].split_once('-')?.1;
    if end == "*" {
        None
    } else {
        end.parse::<u64>().ok().map(|end| end + 1)
    }
}

/// Who is directly in which group, by normalised DN.
#[derive(Debug, Default)]
struct Graph {
    parents: HashMap<String, Vec<String>>,
}

impl Graph {
    fn add(&mut self, child: &str, group: &str) {
        self.parents
            .entry(normal_dn(child))
            .or_default()
            .push(normal_dn(group));
    }

    /// The named groups `dn` is in: directly, or (`transitive`) through groups in groups,
    /// each group visited once so a cycle ends.
    fn groups_of(
        &self,
        dn: &str,
        transitive: bool,
        names: &HashMap<String, (String, String)>,
    ) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: Vec<&str> = self
            .parents
            .get(dn)
            .map(|parents| parents.iter().map(String::as_str).collect())
            .unwrap_or_default();
        while let Some(group) = queue.pop() {
            if !seen.insert(group) {
                continue;
            }
            // Only groups the group search found are given and followed.
            let Some((name, _)) = names.get(group) else {
                continue;
            };
            found.insert(name.clone());
            if transitive && let Some(parents) = self.parents.get(group) {
                queue.extend(parents.iter().map(String::as_str));
            }
        }
        found
    }
}

fn parenthesised(filter: &str) -> String {
    let filter = filter.trim();
    if filter.starts_with('(') {
        filter.to_owned()
    } else {
        format!("({filter})")
    }
}

/// A DN as LDAP compares it for our purpose: case folded, spaces around `,` and `=` dropped.
/// (Escapes are kept as written; a directory writes one DN the same way in both places.)
pub fn normal_dn(dn: &str) -> String {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in dn.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            current.push(c);
            escaped = true;
        } else if c == ',' {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
        .iter()
        .map(|rdn| match rdn.split_once('=') {
            Some((attribute, value)) => format!("{}={}", attribute.trim(), value.trim()),
            None => rdn.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(groups: &[(&str, &str)]) -> HashMap<String, (String, String)> {
        groups
            .iter()
            .map(|(dn, name)| (normal_dn(dn), ((*name).to_owned(), (*dn).to_owned())))
            .collect()
    }

    #[test]
    fn dns_compare_without_case_or_spaces() {
        assert_eq!(
            normal_dn("CN=Sales, OU=Groups ,dc=Example,dc=com"),
            normal_dn("cn=sales,ou=groups,DC=example,DC=COM")
        );
        assert_ne!(normal_dn(r"cn=a\,b,dc=x"), normal_dn("cn=a,cn=b,dc=x"));
    }

    #[test]
    fn nesting_is_followed_to_any_depth_and_a_cycle_ends() {
        let mut graph = Graph::default();
        graph.add("uid=ada,dc=x", "cn=platform,dc=x");
        graph.add("cn=platform,dc=x", "cn=engineering,dc=x");
        graph.add("cn=engineering,dc=x", "cn=staff,dc=x");
        graph.add("cn=staff,dc=x", "cn=platform,dc=x");
        let names = names(&[
            ("cn=platform,dc=x", "platform"),
            ("cn=engineering,dc=x", "engineering"),
            ("cn=staff,dc=x", "staff"),
        ]);
        let all = graph.groups_of(&normal_dn("uid=ada,dc=x"), true, &names);
        assert_eq!(
            all,
            BTreeSet::from(["engineering", "platform", "staff"].map(String::from))
        );
        let direct = graph.groups_of(&normal_dn("uid=ada,dc=x"), false, &names);
        assert_eq!(direct, BTreeSet::from(["platform".to_owned()]));
    }

    #[test]
    fn ranged_members_are_collected_and_the_next_range_named() {
        let mut entry = SearchEntry {
            dn: "cn=big,dc=x".to_owned(),
            attrs: HashMap::from([(
                "member;range=0-1499".to_owned(),
                vec!["uid=a,dc=x".to_owned()],
            )]),
            bin_attrs: HashMap::new(),
        };
        let mut all = Vec::new();
        assert_eq!(take_range(&mut entry, "member", &mut all), Some(1500));
        assert_eq!(all, ["uid=a,dc=x"]);
        entry.attrs.insert(
            "member;range=1500-*".to_owned(),
            vec!["uid=b,dc=x".to_owned()],
        );
        assert_eq!(take_range(&mut entry, "member", &mut all), None);
        assert_eq!(all, ["uid=a,dc=x", "uid=b,dc=x"]);
    }
}
