//! The synthetic company of the sync benchmark (`benches/sync.rs`): the same people as an HR
//! export (CSV) and as an LDAP directory (LDIF for `slapd`), with the `sync` section that maps
//! them, so that the two sources must write the same users file, byte for byte. `tests/bench_checks.rs`
//! holds that, and the counts below, on a small company in `cargo test`.
//!
//! Person `n` (from 1) is in one of ten departments and one of its twenty teams; some are
//! managers, some contractors (out of scope), some leavers (disabled). The CSV lists each
//! person's department and team in its groups column; LDAP has team groups holding people
//! and department groups holding teams, so the department comes through nesting.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;

pub const DEPARTMENTS: [&str; 10] = [
    "Sales",
    "Engineering",
    "Finance",
    "Legal",
    "Operations",
    "Support",
    "Marketing",
    "People",
    "Product",
    "Security",
];
const TEAMS_PER_DEPARTMENT: usize = 20;
/// Departments whose rule gives a permission profile, and the profile.
const DEPARTMENT_PROFILES: [(&str, &str); 3] = [
    ("Sales", "Sales Sender"),
    ("Legal", "Legal Reviewer"),
    ("Finance", "Finance Approver"),
];
const FIRST_NAMES: [&str; 12] = [
    "Ana", "José", "Zoë", "Liam", "Fatima", "Søren", "Hana", "Kwame", "Mónica", "Priya", "Olga",
    "Li",
];
const LAST_NAMES: [&str; 11] = [
    "Silva", "Müller", "Dubois", "O'Brien", "Nakamura", "Okafor", "Kowalski", "Rossi", "Nguyen",
    "Cohen", "Ivanova",
];
const TITLES: [&str; 6] = [
    "Account Executive",
    "Engineer",
    "Controller",
    "Paralegal",
    "Support Specialist",
    "Recruiter",
];

/// The name both sources have, so both write `generated/directory.yaml`.
pub const SOURCE_NAME: &str = "directory";
pub const GENERATED_FILE: &str = "generated/directory.yaml";
/// Where the CSV export goes in the desired-state directory.
pub const CSV_PATH: &str = "hr/people.csv";

/// A company of `people` people.
#[derive(Clone, Copy, Debug)]
pub struct Company {
    pub people: usize,
}

fn department(n: usize) -> &'static str {
    DEPARTMENTS[n % DEPARTMENTS.len()]
}

fn team(n: usize) -> String {
    team_name(
        department(n),
        (n / DEPARTMENTS.len()) % TEAMS_PER_DEPARTMENT,
    )
}

fn team_name(department: &str, index: usize) -> String {
    format!("{department} Team {:02}", index + 1)
}

fn is_manager(n: usize) -> bool {
    n.is_multiple_of(25)
}

fn is_contractor(n: usize) -> bool {
    n % 40 == 7
}

fn is_leaver(n: usize) -> bool {
    n % 50 == 3
}

fn email(n: usize) -> String {
    format!("p{n:05}@example.com")
}

fn first_name(n: usize) -> &'static str {
    FIRST_NAMES[n % FIRST_NAMES.len()]
}

fn last_name(n: usize) -> &'static str {
    LAST_NAMES[(n / 7) % LAST_NAMES.len()]
}

/// Every seventh person has no title.
fn title(n: usize) -> Option<&'static str> {
    (!n.is_multiple_of(7)).then(|| TITLES[n % TITLES.len()])
}

impl Company {
    fn numbers(self) -> std::ops::RangeInclusive<usize> {
        1..=self.people
    }

    /// The users `sync` must write: everyone but the contractors.
    pub fn expected_users(self) -> usize {
        self.numbers().filter(|&n| !is_contractor(n)).count()
    }

    /// Of those, the leavers, written `status: closed`.
    pub fn expected_closed(self) -> usize {
        self.numbers()
            .filter(|&n| !is_contractor(n) && is_leaver(n))
            .count()
    }

    /// The HR export: one row a person, groups separated by `|`.
    pub fn csv(self) -> String {
        let mut text = String::with_capacity(self.people * 120);
        text.push_str("Email,First name,Last name,Title,Groups,Department,Status\n");
        for n in self.numbers() {
            let mut groups = format!("{}|{}", department(n), team(n));
            for (held, group) in [
                (is_manager(n), "Managers"),
                (is_contractor(n), "Contractors"),
            ] {
                if held {
                    groups.push('|');
                    groups.push_str(group);
                }
            }
            let status = if is_leaver(n) { "Terminated" } else { "Active" };
            writeln!(
                text,
                "{},{},{},{},{groups},{},{status}",
                email(n),
                first_name(n),
                last_name(n),
                title(n).unwrap_or_default(),
                department(n),
            )
            .expect("a String takes it");
        }
        text
    }

    /// The directory under `people_dn` and `groups_dn` (which must exist): a person entry
    /// each, a group per team holding its people, a group per department holding its teams,
    /// and the Managers and Contractors groups.
    pub fn ldif(self, people_dn: &str, groups_dn: &str) -> String {
        let mut ldif = String::with_capacity(self.people * 400);
        let person_dn = |n: usize| format!("uid=p{n:05},{people_dn}");
        let group_entry = |name: &str| format!("cn={name},{groups_dn}");
        for n in self.numbers() {
            attribute(&mut ldif, "dn", &person_dn(n));
            ldif.push_str("objectClass: inetOrgPerson\n");
            attribute(&mut ldif, "uid", &format!("p{n:05}"));
            attribute(
                &mut ldif,
                "cn",
                &format!("{} {}", first_name(n), last_name(n)),
            );
            attribute(&mut ldif, "givenName", first_name(n));
            attribute(&mut ldif, "sn", last_name(n));
            attribute(&mut ldif, "mail", &email(n));
            attribute(&mut ldif, "departmentNumber", department(n));
            if let Some(title) = title(n) {
                attribute(&mut ldif, "title", title);
            }
            if is_leaver(n) {
                ldif.push_str("employeeType: disabled\n");
            }
            ldif.push('\n');
        }
        let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for n in self.numbers() {
            teams.entry(team(n)).or_default().push(person_dn(n));
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for department in DEPARTMENTS {
            // Only the teams that have people: a group entry needs a member.
            let members = teams
                .keys()
                .filter(|team| team.starts_with(&format!("{department} Team ")));
            groups.push((
                department.to_owned(),
                members.map(|t| group_entry(t)).collect(),
            ));
        }
        groups.extend(teams);
        for (name, member) in [
            ("Managers", is_manager as fn(usize) -> bool),
            ("Contractors", is_contractor),
        ] {
            let members = self.numbers().filter(|&n| member(n));
            groups.push((name.to_owned(), members.map(person_dn).collect()));
        }
        for (name, members) in groups {
            attribute(&mut ldif, "dn", &group_entry(&name));
            ldif.push_str("objectClass: groupOfNames\n");
            attribute(&mut ldif, "cn", &name);
            for member in members {
                attribute(&mut ldif, "member", &member);
            }
            ldif.push('\n');
        }
        ldif
    }
}

/// One LDIF line; a value that is not plain ASCII goes in base64, as LDIF requires.
fn attribute(ldif: &mut String, name: &str, value: &str) {
    let plain = value.bytes().all(|byte| (0x20..0x7f).contains(&byte))
        && !value.starts_with([' ', ':', '<']);
    if plain {
        writeln!(ldif, "{name}: {value}").expect("a String takes it");
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        writeln!(ldif, "{name}:: {encoded}").expect("a String takes it");
    }
}

/// The `csv:` source entry for [`Company::csv`] at [`CSV_PATH`].
pub fn csv_source() -> String {
    format!(
        "      csv:
        path: {CSV_PATH}
        columns:
          email: Email
          first_name: First name
          last_name: Last name
          job_title: Title
          groups: Groups
          groups_separator: '|'
        attributes:
          department: Department
        status:
          column: Status
          disabled_values: [Terminated]
"
    )
}

/// The `ldap:` source entry for [`Company::ldif`] served at `url` with no TLS (loopback
/// only), reading pages of `page_size` entries. The bind DN and password come from the
/// source's default environment variables.
pub fn ldap_source(url: &str, people_dn: &str, groups_dn: &str, page_size: u32) -> String {
    format!(
        "      ldap:
        url: {url}
        start_tls: false
        base_dn: {people_dn}
        page_size: {page_size}
        attributes:
          extra:
            department: departmentNumber
        groups:
          base_dn: {groups_dn}
        disabled:
          attribute: employeeType
          value: disabled
"
    )
}

/// `sources.yaml`: the source `source` (from [`csv_source`] or [`ldap_source`]), contractors
/// out of scope, a rule per department (three giving a profile), one for managers that
/// outranks them, and one on an attribute.
pub fn sources_yaml(source: &str) -> String {
    let mut yaml = format!(
        "sync:\n  sources:\n    - name: {SOURCE_NAME}\n{source}  scope:\n    \
         exclude_groups: [Contractors]\n  profile_conflicts: highest_rank\n  rules:\n"
    );
    for department in DEPARTMENTS {
        write!(
            yaml,
            "    - name: {department}\n      when: {{ group: {department} }}\n      \
             groups: [{department}]\n"
        )
        .expect("a String takes it");
        if let Some((_, profile)) = DEPARTMENT_PROFILES.iter().find(|(d, _)| *d == department) {
            writeln!(yaml, "      permission_profile: {profile}\n      rank: 1")
                .expect("a String takes it");
        }
    }
    yaml.push_str(
        "    - name: managers\n      when: { group: Managers }\n      groups: [Approvers]\n      \
         permission_profile: Approver\n      rank: 10\n\
         \x20   - name: security-reviewers\n      when: { attributes: { department: Security } }\n      \
         groups: [Security Reviewers]\n",
    );
    yaml
}

/// `objects.yaml`: the profiles and groups the rules name.
pub fn objects_yaml() -> String {
    let mut yaml = String::from("permission_profiles:\n");
    let profiles = DEPARTMENT_PROFILES.iter().map(|(_, profile)| *profile);
    for profile in profiles.chain(["Approver"]) {
        writeln!(
            yaml,
            "  - name: {profile}\n    settings: {{ allowBulkSending: \"false\" }}"
        )
        .expect("a String takes it");
    }
    yaml.push_str("groups:\n");
    for group in DEPARTMENTS
        .iter()
        .copied()
        .chain(["Approvers", "Security Reviewers"])
    {
        writeln!(yaml, "  - name: {group}").expect("a String takes it");
    }
    yaml
}

/// How many users a generated users file holds, and how many of them are closed.
pub fn users_and_closed(users_file: &str) -> (usize, usize) {
    let count = |needle: &str| {
        users_file
            .lines()
            .filter(|line| line.trim_start().starts_with(needle))
            .count()
    };
    (count("- email:"), count("status: closed"))
}
