//! Connection settings from flags, environment and the YAML's `account` section.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::ConnectionArgs;
use super::error::CliError;
use crate::confined;
use crate::docusign::auth::Credentials;
use crate::docusign::connect::ConnectionSettings;
use crate::docusign::token_file::RefreshTokenFile;
use crate::docusign::{ClientError, ClientSettings, Secret};
use crate::emulator::{self, Running};

const DEMO_AUTH_SERVER: &str = "account-d.docusign.com";
const PRODUCTION_AUTH_SERVER: &str = "account.docusign.com";

/// Settings to connect with, and the in-process emulator they point at (kept alive here).
pub struct Target {
    pub settings: ConnectionSettings,
    pub _emulator: Option<Arc<Served>>,
}

/// An in-process emulator (`--emulator`) and an access token for its integration user, who is
/// a member of every account it serves. Dropping the last holder stops it.
pub struct Served {
    pub running: Running,
    pub token: String,
}

/// One account of a [`Served`] emulator.
pub struct ServedAccount {
    pub served: Arc<Served>,
    pub account_id: String,
}

impl Served {
    /// Starts the sample account alone, keeping it in `state_file` when given.
    pub async fn sample(state_file: Option<PathBuf>) -> Result<Arc<Self>, CliError> {
        let config = emulator::Config {
            state_file,
            ..emulator::Config::default()
        };
        let (running, token) = emulator::start_sample(config)
            .await
            .map_err(|reason| CliError::Emulator { reason })?;
        Ok(Arc::new(Self { running, token }))
    }

    /// Starts the sample account once per account of a workspace, in one server.
    pub async fn samples(
        state_file: Option<PathBuf>,
        accounts: &[emulator::SampleAccount],
    ) -> Result<Arc<Self>, CliError> {
        let config = emulator::Config {
            state_file,
            ..emulator::Config::default()
        };
        let (running, token) = emulator::start_samples(config, accounts)
            .await
            .map_err(|reason| CliError::Emulator { reason })?;
        Ok(Arc::new(Self { running, token }))
    }

    /// The account served at `index` (in the order it was started with).
    pub fn account(self: &Arc<Self>, index: usize) -> Result<ServedAccount, CliError> {
        let account_id = self
            .running
            .shared
            .account_names()
            .get(index)
            .map(|(id, _)| id.clone())
            .ok_or_else(|| CliError::Emulator {
                reason: format!("it serves no account number {}", index + 1),
            })?;
        Ok(ServedAccount {
            served: Arc::clone(self),
            account_id,
        })
    }
}

/// The desired state's `account` section, when there is one.
pub struct AccountHint {
    pub id: String,
    pub production: bool,
}

/// Resolves flags and environment (credentials come only from the environment, from the
/// variables `prefix` starts: `EMEA_DOCUSIGN_…` for a workspace account's own credentials, or
/// the shared `DOCUSIGN_…` for ""). With `--emulator`, the account is `served` (a sample
/// account without a kept file when `None`).
pub async fn resolve(
    args: ConnectionArgs,
    hint: Option<AccountHint>,
    served: Option<ServedAccount>,
    prefix: &str,
) -> Result<Target, miette::Report> {
    let ConnectionArgs {
        account_id,
        auth_server,
        base_url,
        emulator,
    } = args;
    if emulator {
        let ServedAccount { served, account_id } = match served {
            Some(served) => served,
            None => Served::sample(None).await?.account(0)?,
        };
        let settings = ConnectionSettings {
            auth_server: served.running.url.clone(),
            base_url: None,
            account_id: Some(account_id),
            credentials: Credentials::AccessToken(Secret::new(served.token.clone())),
            client: ClientSettings::default(),
        };
        return Ok(Target {
            settings,
            _emulator: Some(served),
        });
    }
    let production = hint.as_ref().is_some_and(|hint| hint.production);
    // An account's own auth server, beside its own credentials.
    let own_server = (!prefix.is_empty())
        .then(|| env_var(&format!("{prefix}DOCUSIGN_AUTH_SERVER")))
        .flatten();
    let auth_server = own_server.or(auth_server).unwrap_or_else(|| {
        if production {
            PRODUCTION_AUTH_SERVER
        } else {
            DEMO_AUTH_SERVER
        }
        .to_owned()
    });
    let client = ClientSettings {
        assumed_burst_limit: if is_production(&auth_server) {
            500
        } else {
            200
        },
        ..ClientSettings::default()
    };
    let settings = ConnectionSettings {
        auth_server,
        base_url,
        account_id: account_id.or(hint.map(|hint| hint.id)),
        credentials: credentials_from_env(prefix).map_err(miette::Report::new)?,
        client,
    };
    Ok(Target {
        settings,
        _emulator: None,
    })
}

/// Whether an auth server is DocuSign's production one (the demo host is `account-d.…`).
pub fn is_production(auth_server: &str) -> bool {
    auth_server.contains(PRODUCTION_AUTH_SERVER) && !auth_server.contains(DEMO_AUTH_SERVER)
}

/// A variable of the environment, when set to something.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Exactly one complete credential set from the environment, from the variables `prefix`
/// starts (`EMEA_DOCUSIGN_…`, or `DOCUSIGN_…` for "").
fn credentials_from_env(prefix: &str) -> Result<Credentials, ClientError> {
    credentials_from(prefix, env_var)
}

/// [`credentials_from_env`], with the variables read through `lookup` (a variable set to
/// something, or `None`).
fn credentials_from(
    prefix: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, ClientError> {
    let name = |variable: &str| format!("{prefix}{variable}");
    let var = |variable: &str| lookup(&name(variable));
    let token = var("DOCUSIGN_ACCESS_TOKEN");
    let client_id = var("DOCUSIGN_CLIENT_ID");
    let secret = var("DOCUSIGN_CLIENT_SECRET");
    let refresh = var("DOCUSIGN_REFRESH_TOKEN");
    let refresh_file = var("DOCUSIGN_REFRESH_TOKEN_FILE");
    if refresh.is_some() && refresh_file.is_some() {
        return Err(ClientError::Settings(format!(
            "both {} and {} are set; keep the file, which keeps each new refresh token DocuSign issues",
            name("DOCUSIGN_REFRESH_TOKEN"),
            name("DOCUSIGN_REFRESH_TOKEN_FILE")
        )));
    }
    let (keep_in, refresh) = match refresh_file {
        Some(path) => {
            let (file, token) = RefreshTokenFile::read(Path::new(&path))?;
            (Some(file), Some(token.expose().to_owned()))
        }
        None => (None, refresh),
    };
    let user_id = var("DOCUSIGN_USER_ID");
    let key_file = var("DOCUSIGN_PRIVATE_KEY_FILE");
    // The PEM itself, as CI secret stores hand it to a job. Its value is never part of a
    // message: they name the variable.
    let key_text = var("DOCUSIGN_PRIVATE_KEY");
    if key_file.is_some() && key_text.is_some() {
        return Err(ClientError::Settings(format!(
            "both {} and {} are set; pick one: the key itself in {}, or the path of a file holding it in {}",
            name("DOCUSIGN_PRIVATE_KEY"),
            name("DOCUSIGN_PRIVATE_KEY_FILE"),
            name("DOCUSIGN_PRIVATE_KEY"),
            name("DOCUSIGN_PRIVATE_KEY_FILE")
        )));
    }
    let mut sets = Vec::new();
    if let Some(token) = token {
        sets.push(Credentials::AccessToken(Secret::new(token)));
    }
    if let (Some(client_id), Some(secret), Some(refresh)) = (&client_id, &secret, &refresh) {
        sets.push(Credentials::RefreshToken {
            client_id: client_id.clone(),
            client_secret: Secret::new(secret.clone()),
            refresh_token: Secret::new(refresh.clone()),
            keep_in,
        });
    }
    if let (Some(client_id), Some(user_id)) = (&client_id, &user_id) {
        let key = match (&key_file, key_text) {
            (Some(key_file), _) => {
                let variable = name("DOCUSIGN_PRIVATE_KEY_FILE");
                let key = read_private_key(&PathBuf::from(key_file), &variable)?;
                Some((key, variable))
            }
            (None, Some(text)) => {
                let variable = name("DOCUSIGN_PRIVATE_KEY");
                Some((private_key_text(&text, &variable)?, variable))
            }
            (None, None) => None,
        };
        if let Some((key, key_from)) = key {
            sets.push(Credentials::Jwt {
                client_id: client_id.clone(),
                user_id: user_id.clone(),
                private_key: Secret::new(key),
                key_from,
            });
        }
    }
    match sets.len() {
        1 => Ok(sets.remove(0)),
        0 if prefix.is_empty() => Err(ClientError::Settings(
            "no DocuSign credentials are set".to_owned(),
        )),
        0 => Err(ClientError::Settings(format!(
            "no DocuSign credentials are set for this account: its own start with `{prefix}DOCUSIGN_` (its `env_prefix` in workspace.yaml)"
        ))),
        _ => Err(ClientError::Settings(format!(
            "more than one set of DocuSign credentials is set{}; keep one so it is clear which is used",
            if prefix.is_empty() {
                String::new()
            } else {
                format!(" in `{prefix}DOCUSIGN_…`")
            }
        ))),
    }
}

/// The most read of a private key file: a PEM RSA key of 8192 bits is under 7 KB.
const MAX_KEY_BYTES: u64 = 64 << 10;

/// Reads the private key file: a regular file (a FIFO or device is refused before it is
/// opened, so it can't block), bounded. Warns when others than its owner may read it. Its
/// content is never part of a message.
fn read_private_key(path: &Path, variable: &str) -> Result<String, ClientError> {
    let failed = |reason: String| {
        ClientError::Settings(format!(
            "can't read the private key `{}` ({variable}): {reason}",
            path.display()
        ))
    };
    // Followed: secret stores mount keys as links (Kubernetes does).
    let metadata = std::fs::metadata(path).map_err(|err| failed(err.to_string()))?;
    if !metadata.is_file() {
        return Err(failed(format!(
            "it is {}, not a regular file; write the key to a file only you can read (`chmod 600 FILE`)",
            confined::kind_of(&metadata)
        )));
    }
    if let Some(who) = readable_by_others(&metadata) {
        errln!(
            "warning: the private key `{}` is readable by {who}; make it private: `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let (_, bytes) =
        confined::read_secret_file(path, MAX_KEY_BYTES, "a private key").map_err(failed)?;
    String::from_utf8(bytes).map_err(|_| failed("it is not a PEM text file".to_owned()))
}

/// The private key given in the variable `variable` itself: a PEM text, as it is or with its
/// line breaks written `\n` (a secret store that keeps one line), or that PEM in base64 (GitLab
/// masks only values without line breaks). Its content is never part of a message.
fn private_key_text(value: &str, variable: &str) -> Result<String, ClientError> {
    use base64::Engine as _;
    const PEM_START: &str = "-----BEGIN ";
    let refused = |reason: &str| {
        ClientError::Settings(format!(
            "{variable} {reason}; it must hold the PEM private key itself (`-----BEGIN PRIVATE KEY-----` …), or that PEM in base64; or name a file holding it in {variable}_FILE"
        ))
    };
    if value.len() as u64 > MAX_KEY_BYTES {
        return Err(refused("is longer than any private key"));
    }
    let trimmed = value.trim();
    if trimmed.starts_with(PEM_START) {
        if !trimmed.contains('\n') && trimmed.contains("\\n") {
            return Ok(trimmed.replace("\\n", "\n"));
        }
        return Ok(trimmed.to_owned());
    }
    let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|decoded| decoded.trim_start().starts_with(PEM_START))
        .ok_or_else(|| refused("is not a PEM text, nor one in base64"))
}

/// Who besides the owner may read a file with `metadata`, if anyone.
#[cfg(unix)]
fn readable_by_others(metadata: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::PermissionsExt as _;
    match metadata.permissions().mode() & 0o044 {
        0 => None,
        0o040 => Some("its group"),
        0o004 => Some("everyone"),
        _ => Some("its group and everyone"),
    }
}

#[cfg(not(unix))]
fn readable_by_others(_metadata: &std::fs::Metadata) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::{credentials_from, private_key_text};
    use crate::docusign::ClientError;
    use crate::docusign::auth::Credentials;

    /// A lookup that sees only `vars`.
    fn only(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |wanted: &str| {
            vars.iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn an_accounts_own_key_comes_from_its_prefixed_variable() {
        let vars = [
            ("EMEA_DOCUSIGN_CLIENT_ID", "client"),
            ("EMEA_DOCUSIGN_USER_ID", "user"),
            ("EMEA_DOCUSIGN_PRIVATE_KEY", PEM),
            // The shared ones are not the account's.
            ("DOCUSIGN_PRIVATE_KEY_FILE", "/nowhere/key.pem"),
        ];
        let credentials = credentials_from("EMEA_", only(&vars)).expect("the JWT grant");
        let Credentials::Jwt {
            private_key,
            key_from,
            user_id,
            ..
        } = credentials
        else {
            panic!("the JWT grant: {credentials:?}");
        };
        assert_eq!(private_key.expose(), PEM);
        assert_eq!(key_from, "EMEA_DOCUSIGN_PRIVATE_KEY");
        assert_eq!(user_id, "user");
    }

    #[test]
    fn a_key_and_a_key_file_together_are_refused_by_name() {
        for prefix in ["", "EMEA_"] {
            let key = format!("{prefix}DOCUSIGN_PRIVATE_KEY");
            let file = format!("{prefix}DOCUSIGN_PRIVATE_KEY_FILE");
            let client = format!("{prefix}DOCUSIGN_CLIENT_ID");
            let vars = [
                (key.as_str(), PEM),
                (file.as_str(), "/nowhere/key.pem"),
                (client.as_str(), "client"),
            ];
            let error = credentials_from(prefix, only(&vars)).expect_err("both");
            let ClientError::Settings(message) = &error else {
                panic!("a settings error: {error:?}");
            };
            assert!(
                message.contains(&format!("both {key} and {file} are set; pick one")),
                "{message}"
            );
            assert!(!message.contains("MIIE"), "{message}");
        }
    }

    const PEM: &str =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";

    #[test]
    fn a_key_in_the_environment_is_read_as_pem_escaped_or_base64() {
        use base64::Engine as _;
        let read = |value: &str| private_key_text(value, "DOCUSIGN_PRIVATE_KEY");
        assert_eq!(read(PEM).expect("PEM"), PEM);
        assert_eq!(read(&format!("\n{PEM}\n")).expect("PEM with spaces"), PEM);
        let one_line = PEM.replace('\n', "\\n");
        assert_eq!(read(&one_line).expect("one line"), PEM);
        let encoded = base64::engine::general_purpose::STANDARD.encode(PEM);
        assert_eq!(read(&encoded).expect("base64"), PEM);
    }

    #[test]
    fn a_value_that_is_no_key_is_refused_by_its_variable_never_shown() {
        let canary = "CANARY-not-a-key-6c1e";
        let error = private_key_text(canary, "EMEA_DOCUSIGN_PRIVATE_KEY").expect_err("no key");
        let ClientError::Settings(message) = &error else {
            panic!("a settings error: {error:?}");
        };
        assert!(message.contains("EMEA_DOCUSIGN_PRIVATE_KEY"), "{message}");
        assert!(!message.contains(canary), "{message}");
    }
}
