//! One session with the directory: the credentials from the environment, the connection
//! (StartTLS or `ldaps://`), the bind, paged searches, and what each failure tells the user.
//! Every text that leaves here has had the password taken out.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::time::Duration;

use ldap3::adapters::PagedResults;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, LdapResult, Scope, SearchEntry};

use super::LdapConfig;
use crate::sync::SourceError;

/// LDAP's result code for a wrong DN or password.
const INVALID_CREDENTIALS: u32 = 49;
const SIZE_LIMIT_EXCEEDED: u32 = 4;
const NO_SUCH_OBJECT: u32 = 32;
const INSUFFICIENT_ACCESS: u32 = 50;

/// The bind DN and password, read from the variables the settings name.
pub struct Credentials {
    dn: String,
    password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("dn", &self.dn)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl Credentials {
    /// Both variables, set, not empty and text; an empty password is refused because LDAP
    /// takes it as an anonymous bind that "succeeds" and then sees nobody, and nobody is
    /// everybody leaving.
    pub fn from_env(
        config: &LdapConfig,
        var: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, SourceError> {
        let read = |name: &str, what: &str, example: &str| -> Result<String, SourceError> {
            let missing = |state: &str| SourceError::Directory {
                url: config.url.clone(),
                problem: format!("needs {what}, and the environment variable `{name}` {state}"),
                fix: Some(format!(
                    "set `{name}` to {example} (a CI secret), or name another variable in the \
                     source's `{}`",
                    if what.contains("password") {
                        "password_env"
                    } else {
                        "bind_dn_env"
                    }
                )),
            };
            match var(name) {
                None => Err(missing("is not set")),
                Some(value) if value.is_empty() => Err(missing("is empty")),
                Some(value) => value
                    .into_string()
                    .map_err(|_| missing("is not valid UTF-8")),
            }
        };
        Ok(Self {
            dn: read(
                &config.bind_dn_env,
                "a DN to bind as",
                "the service account's DN",
            )?,
            password: read(
                &config.password_env,
                "the bind password",
                "the service account's password",
            )?,
        })
    }
}

/// An open, bound connection.
pub struct Session<'a> {
    ldap: Ldap,
    config: &'a LdapConfig,
    password: &'a str,
}

impl<'a> Session<'a> {
    /// Connects (with TLS as the URL and `start_tls` say) and binds.
    pub async fn open(
        config: &'a LdapConfig,
        credentials: &'a Credentials,
    ) -> Result<Self, SourceError> {
        let url = config.url.trim();
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        let plain = match scheme.as_deref() {
            Some("ldap") => true,
            Some("ldaps") => false,
            _ => {
                return Err(SourceError::Directory {
                    url: config.url.clone(),
                    problem: "is not an `ldap://` or `ldaps://` URL".to_owned(),
                    fix: Some(
                        "write the source's `url` as `ldaps://host` or `ldap://host` (with \
                         StartTLS), with `:port` when it is not the usual one"
                            .to_owned(),
                    ),
                });
            }
        };
        let timeout = timeout(config);
        let settings = LdapConnSettings::new()
            .set_conn_timeout(timeout)
            .set_starttls(plain && config.start_tls);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, url)
            .await
            .map_err(|error| not_reached(config, credentials, &error))?;
        ldap3::drive!(connection);
        let mut session = Self {
            ldap,
            config,
            password: &credentials.password,
        };
        let bound = session
            .ldap
            .with_timeout(timeout)
            .simple_bind(&credentials.dn, &credentials.password)
            .await;
        match bound {
            Ok(result) if result.rc == 0 => {}
            Ok(result) if result.rc == INVALID_CREDENTIALS => {
                return Err(session.directory(
                    format!(
                        "refused to bind as `{}`: invalid credentials{}",
                        credentials.dn,
                        session.said(&result)
                    ),
                    format!(
                        "check the password in the environment variable `{}` and the DN in \
                         `{}`; the account may also be locked or expired",
                        config.password_env, config.bind_dn_env
                    ),
                ));
            }
            Ok(result) => {
                return Err(session.directory(
                    format!(
                        "refused to bind as `{}`: {}",
                        credentials.dn,
                        session.result(&result)
                    ),
                    "check the service account, and that the server allows a simple bind over \
                     this connection",
                ));
            }
            Err(error) => return Err(not_reached(config, credentials, &error)),
        }
        Ok(session)
    }

    /// Every entry `filter` finds under `base` (the whole subtree), page by page; references
    /// to other servers are not followed. Any failure fails the whole search.
    pub async fn search_all(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[String],
    ) -> Result<Vec<SearchEntry>, SourceError> {
        let page_size = i32::try_from(self.config.page_size.get()).unwrap_or(i32::MAX);
        let mut stream = self
            .ldap
            .with_timeout(timeout(self.config))
            .streaming_search_with(
                PagedResults::new(page_size),
                base,
                Scope::Subtree,
                filter,
                attributes.to_vec(),
            )
            .await
            .map_err(|error| self.search_failed(base, filter, &error))?;
        let mut entries = Vec::new();
        loop {
            match stream.next().await {
                Ok(Some(found)) if found.is_ref() || found.is_intermediate() => {}
                Ok(Some(found)) => entries.push(SearchEntry::construct(found)),
                Ok(None) => break,
                Err(error) => {
                    let _ = stream.finish().await;
                    return Err(self.search_failed(base, filter, &error));
                }
            }
        }
        let result = stream.finish().await;
        // Referrals (10) name other servers; the entries of this one are complete.
        if result.rc != 0 && result.rc != 10 {
            return Err(self.search_refused(base, filter, &result, entries.len()));
        }
        Ok(entries)
    }

    /// The entry `dn` itself with `attributes`, or `None` when it is gone.
    pub async fn read_entry(
        &mut self,
        dn: &str,
        attributes: &[String],
    ) -> Result<Option<SearchEntry>, SourceError> {
        let answer = self
            .ldap
            .with_timeout(timeout(self.config))
            .search(dn, Scope::Base, "(objectClass=*)", attributes.to_vec())
            .await
            .map_err(|error| self.search_failed(dn, "(objectClass=*)", &error))?;
        match answer.1.rc {
            0 => Ok(answer.0.into_iter().next().map(SearchEntry::construct)),
            NO_SUCH_OBJECT => Ok(None),
            _ => Err(self.search_refused(dn, "(objectClass=*)", &answer.1, 0)),
        }
    }

    /// Unbinds; the connection closes with it. A failure here changes nothing read.
    pub async fn close(&mut self) {
        let _ = self.ldap.unbind().await;
    }

    fn directory(&self, problem: impl AsRef<str>, fix: impl AsRef<str>) -> SourceError {
        SourceError::Directory {
            url: self.config.url.clone(),
            problem: redact(problem.as_ref(), self.password),
            fix: Some(redact(fix.as_ref(), self.password)),
        }
    }

    /// `: "the server's words"`, when it said any.
    fn said(&self, result: &LdapResult) -> String {
        let text = result.text.trim();
        if text.is_empty() {
            String::new()
        } else {
            format!(" (the server said: {})", redact(text, self.password))
        }
    }

    fn result(&self, result: &LdapResult) -> String {
        format!("{}{}", code_name(result.rc), self.said(result))
    }

    fn search_failed(&self, base: &str, filter: &str, error: &LdapError) -> SourceError {
        match error {
            LdapError::FilterParsing => self.directory(
                format!("can't be searched: `{filter}` is not an LDAP filter"),
                "write the filter as RFC 4515 says, in parentheses, e.g. \
                 `(&(objectClass=user)(department=Sales))`",
            ),
            LdapError::LdapResult { result } => self.search_refused(base, filter, result, 0),
            LdapError::Timeout { .. } => self.directory(
                format!(
                    "did not answer a search under `{base}` within {} seconds",
                    self.config.timeout_seconds
                ),
                "raise the source's `timeout_seconds`, or narrow `base_dn` or `filter`",
            ),
            other => self.directory(
                format!("failed a search under `{base}`: {other}"),
                "check that the server is up and try again",
            ),
        }
    }

    fn search_refused(
        &self,
        base: &str,
        filter: &str,
        result: &LdapResult,
        got: usize,
    ) -> SourceError {
        let (problem, fix) = match result.rc {
            NO_SUCH_OBJECT => (
                format!("has no entry `{base}` to search under{}", self.said(result)),
                "check the `base_dn` (the people's, or the groups')".to_owned(),
            ),
            SIZE_LIMIT_EXCEEDED => (
                format!(
                    "stopped the search under `{base}` at its size limit, after {got} entries, \
                     even with paged results{}",
                    self.said(result)
                ),
                format!(
                    "lower the source's `page_size` (now {}) to the server's limit or below, or \
                     let the service account read more (OpenLDAP: `size.prtotal`)",
                    self.config.page_size
                ),
            ),
            INSUFFICIENT_ACCESS => (
                format!(
                    "refused the search under `{base}`: insufficient access{}",
                    self.said(result)
                ),
                format!(
                    "let the account in `{}` read the entries and attributes the source needs",
                    self.config.bind_dn_env
                ),
            ),
            _ => (
                format!(
                    "refused the search `{filter}` under `{base}`: {}",
                    self.result(result)
                ),
                "check the source's `base_dn` and `filter`".to_owned(),
            ),
        };
        self.directory(problem, fix)
    }
}

fn timeout(config: &LdapConfig) -> Duration {
    Duration::from_secs(u64::from(config.timeout_seconds.get()))
}

/// The connection or the bind failed before the server said anything about us.
fn not_reached(config: &LdapConfig, credentials: &Credentials, error: &LdapError) -> SourceError {
    let url = &config.url;
    let (problem, fix) = match error {
        LdapError::Io { source } if source.kind() == io::ErrorKind::ConnectionRefused => (
            "can't be reached: nothing is listening there (connection refused)".to_owned(),
            "check the source's `url` (host and port) and that the server is running".to_owned(),
        ),
        LdapError::Io { source } => (
            format!("can't be reached: {source}"),
            "check the source's `url`, the network between here and the server, and (for TLS) \
             that the server's certificate is trusted here and names the URL's host"
                .to_owned(),
        ),
        LdapError::Timeout { .. } => (
            format!("did not answer within {} seconds", config.timeout_seconds),
            "check the source's `url` and that the server is reachable from here, or raise \
             `timeout_seconds`"
                .to_owned(),
        ),
        LdapError::UrlParsing { source } => (
            format!("is not a URL: {source}"),
            "write the source's `url` as `ldaps://host` or `ldap://host`".to_owned(),
        ),
        LdapError::LdapResult { result } if result.rc == 2 || result.rc == 52 => (
            format!("refused StartTLS: {}", code_name(result.rc)),
            "use an `ldaps://` URL, or enable TLS on the server; turn `start_tls` off only for \
             a server on this machine"
                .to_owned(),
        ),
        other => (
            format!("can't be reached: {other}"),
            "check the source's `url` and the server's TLS certificate".to_owned(),
        ),
    };
    SourceError::Directory {
        url: url.clone(),
        problem: redact(&problem, &credentials.password),
        fix: Some(fix),
    }
}

/// `text` with every occurrence of `secret` replaced: a server may echo what it was sent.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[redacted]")
    }
}

fn code_name(rc: u32) -> String {
    let name = match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        18 => "inappropriateMatching",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => return format!("result code {rc}"),
    };
    format!("{name} (result code {rc})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_takes_out_every_copy_of_the_secret() {
        assert_eq!(
            redact("bad pw hunter2, really hunter2", "hunter2"),
            "bad pw [redacted], really [redacted]"
        );
        assert_eq!(redact("nothing here", ""), "nothing here");
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let credentials = Credentials {
            dn: "cn=sync".to_owned(),
            password: "hunter2".to_owned(),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("cn=sync"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
