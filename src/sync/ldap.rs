//! The LDAP / Active Directory source: its settings in `sources.yaml` and the reader that turns
//! a directory's people, their groups (nested ones resolved) and their disabled accounts into
//! [`Person`]s.
//!
//! The bind DN and password come from environment variables the settings name, never from the
//! YAML: the desired-state directory is reviewed in pull requests, the password is not.

mod connect;
mod entry;
mod groups;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::num::NonZeroU32;

use crate::sync::{Person, Source, SourceError};

/// The variable that holds the bind DN unless `bind_dn_env` names another.
pub const DEFAULT_BIND_DN_ENV: &str = "DOCUSIGN_GITOPS_LDAP_BIND_DN";
/// The variable that holds the bind password unless `password_env` names another.
pub const DEFAULT_PASSWORD_ENV: &str = "DOCUSIGN_GITOPS_LDAP_PASSWORD";

/// An LDAP directory or Active Directory, read over LDAP with a simple bind.
///
/// ```yaml
/// ldap:
///   url: ldaps://dc1.example.com
///   base_dn: ou=Staff,dc=example,dc=com
///   filter: (&(objectCategory=person)(objectClass=user))
///   groups: { nested: in_chain }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LdapConfig {
    /// The server: `ldaps://dc1.example.com` (TLS from the first byte, port 636), or
    /// `ldap://dc1.example.com` (port 389, upgraded with StartTLS before the bind unless
    /// `start_tls` is false). The server's certificate is checked against the system's trusted
    /// certificates.
    pub url: String,

    /// For an `ldap://` URL: upgrade the connection with StartTLS before binding. On by default;
    /// turn it off only for a server on the same machine, since without TLS the bind password
    /// crosses the network in clear. Not used with `ldaps://`.
    #[serde(default = "yes")]
    pub start_tls: bool,

    /// The environment variable that holds the DN to bind as (a read-only service account), for
    /// example `cn=docusign-sync,ou=Services,dc=example,dc=com`, or `sync@example.com` for
    /// Active Directory.
    #[serde(default = "default_bind_dn_env")]
    pub bind_dn_env: String,

    /// The environment variable that holds the bind password (a CI secret). The password is never
    /// written in this file, and never shown in any output or error.
    #[serde(default = "default_password_env")]
    pub password_env: String,

    /// Where people are searched, with everything below it, e.g. `ou=People,dc=example,dc=com`.
    pub base_dn: String,

    /// Which entries under `base_dn` are people, as an LDAP filter. The default suits OpenLDAP;
    /// for Active Directory use `(&(objectCategory=person)(objectClass=user))`.
    #[serde(default = "default_filter")]
    pub filter: String,

    /// Which attribute holds each part of a person.
    #[serde(default)]
    pub attributes: LdapAttributes,

    /// Where people's groups come from. Groups are named by their `cn`.
    #[serde(default)]
    pub groups: LdapGroups,

    /// When an account counts as disabled, that is, as a leaver. Active Directory's
    /// `userAccountControl` flag ACCOUNTDISABLE is always honoured when an entry has it; this
    /// adds a test for other directories. The default is OpenLDAP's administrative lock
    /// (`pwdAccountLockedTime: 000001010000Z`); a temporary lockout after failed logins has
    /// another value and does not make anyone a leaver.
    #[serde(default)]
    pub disabled: LdapDisabled,

    /// How many entries to ask for in each page of a search (the paged-results control), so a
    /// directory larger than the server's size limit is read whole. Active Directory's limit is
    /// 1000 by default; keep this at or below the server's.
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub page_size: NonZeroU32,

    /// How long to wait for the server to connect or to answer one request, in seconds.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: NonZeroU32,
}

/// The attributes a person is read from. Names are matched regardless of case, as LDAP does.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LdapAttributes {
    /// The email address, the DocuSign user's identity: required, one value per person.
    /// Active Directory sites without `mail` often use `userPrincipalName`.
    #[serde(default = "default_email_attribute")]
    pub email: String,

    /// The first name: required.
    #[serde(default = "default_first_name_attribute")]
    pub first_name: String,

    /// The last name: required.
    #[serde(default = "default_last_name_attribute")]
    pub last_name: String,

    /// The job title: optional, a person without it has none.
    #[serde(default = "default_job_title_attribute")]
    pub job_title: String,

    /// More attributes the mapping rules may test, as `name the rules use: LDAP attribute`,
    /// e.g. `department: department` or `cost_center: extensionAttribute3`. A person without
    /// the attribute simply lacks it.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// How group membership is read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LdapGroups {
    /// `group_objects`: each group entry lists its members (`member_attribute`); works with
    /// any directory. `member_of`: each person (and each group, for nesting) lists the groups
    /// it is in, in `memberOf` (Active Directory, or OpenLDAP with the memberof overlay).
    #[serde(default)]
    pub membership: Membership,

    /// Where group entries are searched, with everything below it. Defaults to the source's
    /// `base_dn`. Only groups found here (and matching `filter`) are given to people, and
    /// nesting is followed only through them.
    #[serde(default)]
    pub base_dn: Option<String>,

    /// Which entries under the groups' `base_dn` are groups, as an LDAP filter. The default
    /// finds OpenLDAP's `groupOfNames` and Active Directory's `group`.
    #[serde(default = "default_group_filter")]
    pub filter: String,

    /// With `membership: group_objects`, the attribute of a group that holds its members' DNs
    /// (`uniqueMember` for `groupOfUniqueNames`).
    #[serde(default = "default_member_attribute")]
    pub member_attribute: String,

    /// Groups within groups. `resolve` (the default): the tool follows group-in-group
    /// membership to any depth, cycles included, so a person in `Platform` inside
    /// `Engineering` is in both. `in_chain`: Active Directory resolves it (the matching rule
    /// `1.2.840.113556.1.4.1941`), one search per group; AD only. `direct`: only the groups
    /// that name the person.
    #[serde(default)]
    pub nested: Nested,
}

/// Where a person's groups are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// Each group entry lists its members.
    #[default]
    GroupObjects,
    /// Each person and group lists the groups it is in, in `memberOf`.
    MemberOf,
}

/// How groups within groups are followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nested {
    /// The tool follows group-in-group membership to any depth.
    #[default]
    Resolve,
    /// Active Directory follows it (its in-chain matching rule).
    InChain,
    /// Only the groups that name the person.
    Direct,
}

/// An attribute (and optionally a value) that marks an account disabled.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct LdapDisabled {
    /// The attribute, e.g. `employeeType`, `nsAccountLock` or `pwdAccountLockedTime`.
    pub attribute: String,

    /// The value that means disabled, compared without regard to case, e.g. `disabled` or
    /// `TRUE`. Without it, any value of the attribute means disabled.
    #[serde(default)]
    pub value: Option<String>,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        Self {
            email: default_email_attribute(),
            first_name: default_first_name_attribute(),
            last_name: default_last_name_attribute(),
            job_title: default_job_title_attribute(),
            extra: BTreeMap::new(),
        }
    }
}

impl Default for LdapGroups {
    fn default() -> Self {
        Self {
            membership: Membership::default(),
            base_dn: None,
            filter: default_group_filter(),
            member_attribute: default_member_attribute(),
            nested: Nested::default(),
        }
    }
}

impl Default for LdapDisabled {
    fn default() -> Self {
        Self {
            attribute: "pwdAccountLockedTime".to_owned(),
            // ppolicy's "locked by an administrator until unlocked"; any other time is a
            // lockout after failed logins, which expires.
            value: Some("000001010000Z".to_owned()),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_bind_dn_env() -> String {
    DEFAULT_BIND_DN_ENV.to_owned()
}

fn default_password_env() -> String {
    DEFAULT_PASSWORD_ENV.to_owned()
}

fn default_filter() -> String {
    "(objectClass=inetOrgPerson)".to_owned()
}

fn default_group_filter() -> String {
    "(|(objectClass=groupOfNames)(objectClass=group))".to_owned()
}

fn default_member_attribute() -> String {
    "member".to_owned()
}

fn default_email_attribute() -> String {
    "mail".to_owned()
}

fn default_first_name_attribute() -> String {
    "givenName".to_owned()
}

fn default_last_name_attribute() -> String {
    "sn".to_owned()
}

fn default_job_title_attribute() -> String {
    "title".to_owned()
}

fn default_page_size() -> NonZeroU32 {
    NonZeroU32::new(500).expect("500 is not zero")
}

fn default_timeout_seconds() -> NonZeroU32 {
    NonZeroU32::new(30).expect("30 is not zero")
}

/// Reads people from an LDAP directory as its [`LdapConfig`] says.
///
/// [`Source::people`] runs the read on a runtime of its own, on a thread of its own, so it
/// works from synchronous code and from inside an async task alike; async callers can await
/// [`LdapSource::read`] instead.
#[derive(Clone, Debug)]
pub struct LdapSource {
    config: LdapConfig,
    environment: Environment,
}

/// Where the bind DN and password are looked up.
#[derive(Clone)]
enum Environment {
    Process,
    Given(BTreeMap<String, OsString>),
}

impl fmt::Debug for Environment {
    // The given variables hold the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Process => f.write_str("Process"),
            Self::Given(vars) => f
                .debug_tuple("Given")
                .field(&vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl Environment {
    fn var(&self, name: &str) -> Option<OsString> {
        match self {
            Self::Process => std::env::var_os(name),
            Self::Given(vars) => vars.get(name).cloned(),
        }
    }
}

impl LdapSource {
    /// The source, with the bind DN and password read from the process environment when it is
    /// read.
    #[must_use]
    pub fn new(config: LdapConfig) -> Self {
        Self {
            config,
            environment: Environment::Process,
        }
    }

    /// The source, with the bind DN and password read from `vars` instead of the process
    /// environment (for a caller that has resolved its settings already, and for tests).
    #[must_use]
    pub fn with_environment<K, V>(
        config: LdapConfig,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<OsString>,
    {
        Self {
            config,
            environment: Environment::Given(
                vars.into_iter()
                    .map(|(name, value)| (name.into(), value.into()))
                    .collect(),
            ),
        }
    }

    /// The settings the source reads with.
    #[must_use]
    pub fn config(&self) -> &LdapConfig {
        &self.config
    }

    /// Every person the search finds, ordered by email then DN, with groups and the disabled
    /// flag; never a partial list. Needs a tokio runtime (the connection runs as a task).
    pub async fn read(&self) -> Result<Vec<Person>, SourceError> {
        let credentials =
            connect::Credentials::from_env(&self.config, |name| self.environment.var(name))?;
        let mut session = connect::Session::open(&self.config, &credentials).await?;
        let result = self.read_with(&mut session).await;
        session.close().await;
        result
    }

    async fn read_with(
        &self,
        session: &mut connect::Session<'_>,
    ) -> Result<Vec<Person>, SourceError> {
        let config = &self.config;
        let people_attributes = entry::requested(config);
        let entries = session
            .search_all(&config.base_dn, &config.filter, &people_attributes)
            .await?;
        if entries.is_empty() {
            // As an empty CSV or SCIM export is refused: written, it would make everyone from
            // this source a leaver. A directory hides what the service account may not read
            // rather than refusing the search, so the usual cause is access, not the filter.
            return Err(SourceError::Directory {
                url: config.url.clone(),
                problem: format!(
                    "finds nobody under `{}` with the filter `{}`",
                    config.base_dn, config.filter
                ),
                fix: Some(
                    "a search that finds nobody would make everyone from this source a leaver: \
                     check `base_dn` and `filter`, and that the service account may read the \
                     people (directories hide what it may not read); to stop using the source, \
                     remove it from `sources.yaml`"
                        .to_owned(),
                ),
            });
        }
        let mut people = entries
            .iter()
            .map(|found| entry::person(found, config))
            .collect::<Result<Vec<_>, _>>()?;

        let memberships = groups::read(session, config, &entries).await?;
        for (person, found) in people.iter_mut().zip(&entries) {
            person.groups = memberships.of(&found.dn);
        }
        people.sort_by(|a, b| a.email.cmp(&b.email).then_with(|| a.origin.cmp(&b.origin)));
        // One address, two entries: the rules could only pick one of them at random.
        let mut seen = std::collections::HashMap::new();
        for person in &people {
            if let Some(first) = seen.insert(crate::email::fold(&person.email), &person.origin) {
                return Err(SourceError::BadEntry {
                    at: person.origin.clone(),
                    problem: format!(
                        "has the email `{}` of another entry, `{first}`",
                        person.email
                    ),
                    fix: Some(
                        "give each person their own address, or narrow the source's `filter` to \
                         leave one of them out"
                            .to_owned(),
                    ),
                });
            }
        }
        Ok(people)
    }
}

impl Source for LdapSource {
    fn people(&self) -> Result<Vec<Person>, SourceError> {
        // A runtime of our own on a thread of our own: blocking on a runtime inside a caller's
        // runtime would panic, and a caller's current-thread runtime can't lend us a worker.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|error| SourceError::Directory {
                            url: self.config.url.clone(),
                            problem: format!("can't be read: no async runtime ({error})"),
                            fix: None,
                        })?;
                    runtime.block_on(self.read())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}
