//! The LDAP source against a real OpenLDAP (`slapd`): 5,000 people past a size limit of 1,000,
//! nested groups (with a cycle), disabled accounts, and the errors a user meets (a wrong
//! password, a server that is down, an entry without mail, a server without StartTLS).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use docusign_gitops::sync::ldap::{LdapConfig, LdapSource, Membership, Nested};
use docusign_gitops::sync::{Person, Source, SourceError};

use crate::slapd::{GROUPS, PEOPLE, READER_DN, READER_PASSWORD, Slapd, free_port};

pub const PEOPLE_COUNT: usize = 5_000;
pub const SIZE_LIMIT: u32 = 1_000;
pub const BIND_DN_ENV: &str = "DOCUSIGN_GITOPS_LDAP_BIND_DN";
pub const PASSWORD_ENV: &str = "DOCUSIGN_GITOPS_LDAP_PASSWORD";

pub fn uid(n: usize) -> String {
    format!("uid=p{n:04},{PEOPLE}")
}

fn group(name: &str) -> String {
    format!("cn={name},{GROUPS}")
}

/// The groups, by name, with their direct members: `staff` ⊃ `engineering` ⊃ `platform`, and
/// `cycle-a` ⊃ `cycle-b` ⊃ `cycle-a`.
fn groups() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("platform", (1..=100).map(uid).collect()),
        (
            "engineering",
            std::iter::once(group("platform"))
                .chain((101..=200).map(uid))
                .collect(),
        ),
        ("sales", (201..=300).map(uid).collect()),
        ("staff", vec![group("engineering"), group("sales")]),
        ("cycle-a", vec![group("cycle-b")]),
        ("cycle-b", vec![group("cycle-a"), uid(301)]),
    ]
}

/// Every 100th person is disabled (`employeeType: disabled`), every even one has a title; each
/// entry (person or group) also lists its direct groups in `memberOf`.
pub fn directory() -> String {
    let groups = groups();
    let member_of = |dn: &str| -> String {
        groups
            .iter()
            .filter(|(_, members)| members.iter().any(|member| member == dn))
            .fold(String::new(), |mut text, (name, _)| {
                writeln!(text, "memberOf: {}", group(name)).unwrap();
                text
            })
    };
    let mut ldif = String::new();
    for n in 1..=PEOPLE_COUNT {
        let dn = uid(n);
        writeln!(ldif, "dn: {dn}\nobjectClass: inetOrgPerson\nuid: p{n:04}").unwrap();
        writeln!(
            ldif,
            "cn: Given{n} Family{n}\ngivenName: Given{n}\nsn: Family{n}"
        )
        .unwrap();
        writeln!(ldif, "mail: p{n:04}@example.com").unwrap();
        if n % 2 == 0 {
            writeln!(ldif, "title: Engineer").unwrap();
        }
        if n % 100 == 0 {
            writeln!(ldif, "employeeType: disabled").unwrap();
        }
        ldif.push_str(&member_of(&dn));
        ldif.push('\n');
    }
    for (name, members) in &groups {
        writeln!(
            ldif,
            "dn: {}\nobjectClass: groupOfNames\ncn: {name}",
            group(name)
        )
        .unwrap();
        for member in members {
            writeln!(ldif, "member: {member}").unwrap();
        }
        ldif.push_str(&member_of(&group(name)));
        ldif.push('\n');
    }
    ldif
}

/// The LDAP source's settings for a server [`Slapd`] started, as `sources.yaml` holds them
/// under `ldap:`, followed by `extra` (more settings, one a line).
pub fn settings(server_url: &str, extra: &str) -> String {
    format!(
        "url: {server_url}\nstart_tls: false\nbase_dn: {PEOPLE}\npage_size: 250\n\
         groups:\n  base_dn: {GROUPS}\n\
         disabled: {{ attribute: employeeType, value: disabled }}\n{extra}"
    )
}

fn config(server_url: &str, extra: &str) -> LdapConfig {
    let yaml = settings(server_url, extra);
    serde_saphyr::from_str(&yaml).unwrap_or_else(|error| panic!("{yaml}\n{error}"))
}

fn source(config: LdapConfig, password: &str) -> LdapSource {
    LdapSource::with_environment(config, [(BIND_DN_ENV, READER_DN), (PASSWORD_ENV, password)])
}

fn names(groups: &[&str]) -> BTreeSet<String> {
    groups.iter().map(|name| (*name).to_owned()).collect()
}

fn find(people: &[Person], n: usize) -> &Person {
    let email = format!("p{n:04}@example.com");
    people
        .iter()
        .find(|person| person.email == email)
        .unwrap_or_else(|| panic!("{email} is missing"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_five_thousand_people_past_the_size_limit_with_nested_groups_and_leavers() {
    let server = Slapd::start(&directory(), SIZE_LIMIT);
    assert_eq!(
        server.unpaged_count().await,
        (SIZE_LIMIT as usize, 4),
        "without paging the server stops at its size limit (sizeLimitExceeded)"
    );

    for membership in [Membership::GroupObjects, Membership::MemberOf] {
        let mut config = config(&server.url, "");
        config.groups.membership = membership;
        let people = source(config, READER_PASSWORD)
            .read()
            .await
            .expect("people");

        assert_eq!(
            people.len(),
            PEOPLE_COUNT,
            "{membership:?}: everyone, across pages"
        );
        let emails: Vec<_> = people.iter().map(|person| person.email.clone()).collect();
        let expected: Vec<_> = (1..=PEOPLE_COUNT)
            .map(|n| format!("p{n:04}@example.com"))
            .collect();
        assert_eq!(
            emails, expected,
            "{membership:?}: each once, ordered by email"
        );

        let ada = find(&people, 1);
        assert_eq!(
            ada.groups,
            names(&["engineering", "platform", "staff"]),
            "{membership:?}"
        );
        assert_eq!(
            (ada.first_name.as_str(), ada.last_name.as_str()),
            ("Given1", "Family1")
        );
        assert_eq!(ada.job_title, None);
        assert_eq!(ada.origin, uid(1));
        assert_eq!(
            find(&people, 150).groups,
            names(&["engineering", "staff"]),
            "{membership:?}"
        );
        assert_eq!(
            find(&people, 250).groups,
            names(&["sales", "staff"]),
            "{membership:?}"
        );
        assert_eq!(
            find(&people, 301).groups,
            names(&["cycle-a", "cycle-b"]),
            "{membership:?}"
        );
        assert_eq!(
            find(&people, 4_000).groups,
            BTreeSet::new(),
            "{membership:?}"
        );
        assert_eq!(find(&people, 2).job_title.as_deref(), Some("Engineer"));

        let disabled: Vec<_> = people.iter().filter(|person| person.disabled).collect();
        assert_eq!(disabled.len(), PEOPLE_COUNT / 100, "{membership:?}");
        assert!(find(&people, 100).disabled && !find(&people, 101).disabled);
    }

    let mut direct = config(&server.url, "");
    direct.groups.nested = Nested::Direct;
    let people = source(direct, READER_PASSWORD)
        .read()
        .await
        .expect("direct groups");
    assert_eq!(
        find(&people, 1).groups,
        names(&["platform"]),
        "only the group naming them"
    );
}

/// A few people under `ou=people`, one of them (`p0003`) without `mail`.
fn small_directory() -> String {
    let mut ldif = String::new();
    for n in 1..=3 {
        writeln!(
            ldif,
            "dn: {}\nobjectClass: inetOrgPerson\ncn: P{n}\ngivenName: G{n}\nsn: F{n}",
            uid(n)
        )
        .unwrap();
        if n != 3 {
            writeln!(ldif, "mail: p{n:04}@example.com").unwrap();
        }
        ldif.push('\n');
    }
    ldif
}

#[test]
fn a_wrong_password_says_which_variable_to_check_and_never_shows_it() {
    let server = Slapd::start(&small_directory(), SIZE_LIMIT);
    let wrong = "Wrong-Pa55word-in-test-92d1";
    let error = source(config(&server.url, ""), wrong)
        .people()
        .expect_err("a wrong password");

    let SourceError::Directory { url, problem, fix } = &error else {
        panic!("not a directory error: {error:?}");
    };
    assert_eq!(url, &server.url);
    assert!(problem.contains("invalid credentials"), "{problem}");
    assert!(problem.contains(READER_DN), "names the DN: {problem}");
    let fix = fix.as_deref().unwrap_or_default();
    assert!(fix.contains(PASSWORD_ENV), "names the variable: {fix}");
    let everything = format!("{error} {error:?} {fix}");
    assert!(
        !everything.contains(wrong),
        "the password leaked: {everything}"
    );
    assert!(
        !everything.contains(READER_PASSWORD),
        "a password leaked: {everything}"
    );
}

#[test]
fn a_server_that_is_down_is_a_clear_directory_error() {
    let url = format!("ldap://127.0.0.1:{}", free_port());
    let error = source(config(&url, ""), READER_PASSWORD)
        .people()
        .expect_err("nothing listens");
    let SourceError::Directory { problem, fix, .. } = &error else {
        panic!("not a directory error: {error:?}");
    };
    assert!(problem.contains("can't be reached"), "{problem}");
    assert!(problem.contains("connection refused"), "{problem}");
    assert!(
        fix.as_deref().unwrap_or_default().contains("`url`"),
        "{fix:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}

#[test]
fn an_entry_without_mail_is_a_bad_entry_naming_its_dn() {
    let server = Slapd::start(&small_directory(), SIZE_LIMIT);
    let error = source(config(&server.url, ""), READER_PASSWORD)
        .people()
        .expect_err("p0003 has no mail");
    let SourceError::BadEntry { at, problem, fix } = &error else {
        panic!("not a bad entry: {error:?}");
    };
    assert_eq!(at, &uid(3));
    assert!(problem.contains("no `mail`"), "{problem}");
    assert!(
        fix.as_deref().unwrap_or_default().contains("filter"),
        "{fix:?}"
    );
}

#[tokio::test]
async fn people_works_from_inside_an_async_runtime_too() {
    // The CLI calls sources from its tokio runtime; `people` must not panic there.
    let server = Slapd::start(&small_directory(), SIZE_LIMIT);
    let config = config(&server.url, "filter: (mail=*)\n");
    let people = source(config, READER_PASSWORD)
        .people()
        .expect("two people with mail");
    let emails: Vec<_> = people.iter().map(|person| person.email.as_str()).collect();
    assert_eq!(emails, ["p0001@example.com", "p0002@example.com"]);
}

#[test]
fn a_search_that_finds_nobody_is_refused_rather_than_making_everyone_a_leaver() {
    let server = Slapd::start(&small_directory(), SIZE_LIMIT);
    // A filter no entry matches: the shape of a typo, or of an account that may read nothing.
    let config = config(&server.url, "filter: (department=Nowhere)\n");
    let error = source(config, READER_PASSWORD)
        .people()
        .expect_err("nobody matches");
    let SourceError::Directory { url, problem, fix } = &error else {
        panic!("not a directory error: {error:?}");
    };
    assert_eq!(url, &server.url);
    assert!(problem.contains("finds nobody"), "{problem}");
    assert!(problem.contains("(department=Nowhere)"), "{problem}");
    assert!(problem.contains(PEOPLE), "names the base: {problem}");
    let fix = fix.as_deref().unwrap_or_default();
    assert!(fix.contains("leaver") && fix.contains("`filter`"), "{fix}");
}

#[test]
fn start_tls_is_on_by_default_and_a_server_without_it_is_refused() {
    let server = Slapd::start(&small_directory(), SIZE_LIMIT);
    let mut config = config(&server.url, "filter: (mail=*)\n");
    config.start_tls = serde_saphyr::from_str::<LdapConfig>("url: x\nbase_dn: x\n")
        .expect("defaults")
        .start_tls;
    assert!(config.start_tls, "StartTLS is the default");
    let error = source(config, READER_PASSWORD)
        .people()
        .expect_err("slapd here has no TLS");
    let SourceError::Directory { problem, .. } = &error else {
        panic!("not a directory error: {error:?}");
    };
    assert!(problem.contains("StartTLS"), "{problem}");
}

#[test]
fn a_missing_password_variable_is_named() {
    let config = config("ldap://127.0.0.1:1", "password_env: CORP_LDAP_PASSWORD\n");
    let error = LdapSource::with_environment(config, [(BIND_DN_ENV, READER_DN)])
        .people()
        .expect_err("no password");
    let SourceError::Directory { problem, fix, .. } = &error else {
        panic!("not a directory error: {error:?}");
    };
    assert!(
        problem.contains("`CORP_LDAP_PASSWORD` is not set"),
        "{problem}"
    );
    assert!(
        fix.as_deref().unwrap_or_default().contains("password_env"),
        "{fix:?}"
    );
}

#[test]
fn two_entries_with_one_address_are_a_bad_entry_naming_both() {
    let ldif = format!(
        "dn: {}\nobjectClass: inetOrgPerson\ncn: A\ngivenName: A\nsn: A\nmail: same@example.com\n\n\
         dn: {}\nobjectClass: inetOrgPerson\ncn: B\ngivenName: B\nsn: B\nmail: Same@Example.com\n\n",
        uid(1),
        uid(2)
    );
    let server = Slapd::start(&ldif, SIZE_LIMIT);
    let error = source(config(&server.url, ""), READER_PASSWORD)
        .people()
        .expect_err("one address, two people");
    let SourceError::BadEntry { at, problem, .. } = &error else {
        panic!("not a bad entry: {error:?}");
    };
    let both = format!("{at} {problem}");
    assert!(both.contains(&uid(1)) && both.contains(&uid(2)), "{both}");
}
