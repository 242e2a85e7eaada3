//! Which account to manage, and where its API lives: `GET /oauth/userinfo` (DocuSign's
//! "Get user info" reference: the user's accounts, each with its `base_uri`).

use reqwest::StatusCode;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::auth::Authenticator;
use super::error::ClientError;
use super::secret::Secret;

const USERINFO_PATH: &str = "/oauth/userinfo";

/// The account the token's user works in, and who that user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_id: String,
    pub account_name: String,
    /// Where the account's API lives, e.g. `https://demo.docusign.net`, with no trailing slash;
    /// eSignature calls go to `{base_uri}/restapi/v2.1/accounts/{account_id}/…`.
    pub base_uri: String,
    pub user_id: String,
    pub user_name: String,
    pub user_email: String,
}

/// The OAuth service's base URL for `DOCUSIGN_AUTH_SERVER`: a bare host
/// (`account-d.docusign.com`) gets `https://`; a value with a scheme
/// (`http://127.0.0.1:4000`) is used as it is. No trailing slash either way.
#[must_use]
pub fn auth_base_for(server: &str) -> String {
    let server = server.trim().trim_end_matches('/');
    if server.contains("://") {
        server.to_owned()
    } else {
        format!("https://{server}")
    }
}

/// Asks userinfo for the token's user and accounts, and picks `wanted_account` (an account
/// ID, any letter case) or, when none is wanted, the user's default account, with a warning
/// that says so.
pub async fn discover(
    http: &reqwest::Client,
    auth_base: &str,
    auth: &Authenticator,
    wanted_account: Option<&str>,
) -> Result<(AccountInfo, Option<String>), ClientError> {
    discover_account(http, auth_base, auth, wanted_account)
        .await
        .map_err(|error| auth.redactor().scrub_error(error))
}

/// Asks userinfo only who the token belongs to: its user's ID, name and email. For
/// `DOCUSIGN_BASE_URL`, which skips discovery but must still know whom never to demote.
pub async fn whoami(
    http: &reqwest::Client,
    auth_base: &str,
    auth: &Authenticator,
) -> Result<(String, String, String), ClientError> {
    ask_userinfo(http, auth_base, auth)
        .await
        .map(|info| (info.sub, info.name, info.email))
        .map_err(|error| auth.redactor().scrub_error(error))
}

async fn discover_account(
    http: &reqwest::Client,
    auth_base: &str,
    auth: &Authenticator,
    wanted_account: Option<&str>,
) -> Result<(AccountInfo, Option<String>), ClientError> {
    let info = ask_userinfo(http, auth_base, auth).await?;
    choose(&info, wanted_account)
}

/// `GET /oauth/userinfo` with the token (renewed once if refused), read.
async fn ask_userinfo(
    http: &reqwest::Client,
    auth_base: &str,
    auth: &Authenticator,
) -> Result<UserInfo, ClientError> {
    let url = format!("{}{USERINFO_PATH}", auth_base.trim().trim_end_matches('/'));
    let token = auth.token().await?;
    let mut answer = userinfo(http, &url, &token).await?;
    if answer.0 == StatusCode::UNAUTHORIZED {
        let renewed = auth.renew(&token).await?;
        answer = userinfo(http, &url, &renewed).await?;
    }
    let (status, body) = answer;
    if !status.is_success() {
        return Err(refusal(status, &body));
    }
    serde_json::from_slice(&body)
        .map_err(|error| ClientError::unreadable("GET", USERINFO_PATH, error))
}

/// One `GET /oauth/userinfo`: the status and body.
async fn userinfo(
    http: &reqwest::Client,
    url: &str,
    token: &Secret,
) -> Result<(StatusCode, Vec<u8>), ClientError> {
    let unreachable = |error: reqwest::Error| ClientError::Unreachable {
        url: url.to_owned(),
        reason: super::error::transport_reason(error),
    };
    let response = http
        .get(url)
        .bearer_auth(token.expose())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body = response.bytes().await.map_err(unreachable)?;
    Ok((status, body.to_vec()))
}

/// A failed userinfo call, from an OAuth error body (`error`, `error_description`) or a
/// DocuSign one (`errorCode`, `message`).
fn refusal(status: StatusCode, body: &[u8]) -> ClientError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|name| parsed[*name].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let code = field(["error", "errorCode"]);
    let message = field(["error_description", "message"]);
    if status == StatusCode::UNAUTHORIZED {
        return ClientError::Auth {
            error: if code.is_empty() {
                "invalid_token".to_owned()
            } else {
                code
            },
            description: format!(
                "{USERINFO_PATH} refused a newly issued access token{}",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            ),
        };
    }
    ClientError::Api {
        method: "GET".to_owned(),
        path: USERINFO_PATH.to_owned(),
        status: status.as_u16(),
        code,
        message: if message.is_empty() {
            status.canonical_reason().unwrap_or("no message").to_owned()
        } else {
            message
        },
    }
}

/// Picks the account (see [`discover`]).
fn choose(
    info: &UserInfo,
    wanted_account: Option<&str>,
) -> Result<(AccountInfo, Option<String>), ClientError> {
    let who = if info.email.is_empty() {
        format!("`{}`", info.sub)
    } else {
        format!("`{}` <{}>", info.name, info.email)
    };
    let wanted = wanted_account
        .map(str::trim)
        .filter(|wanted| !wanted.is_empty());
    let (account, warning) = if let Some(wanted) = wanted {
        let Some(account) = info
            .accounts
            .iter()
            .find(|account| account.account_id.trim().eq_ignore_ascii_case(wanted))
        else {
            return Err(ClientError::Account(if info.accounts.is_empty() {
                format!("the user {who} has no account `{wanted}`, nor any other account")
            } else {
                format!(
                    "the user {who} has no account `{wanted}`; their accounts: {}",
                    list(&info.accounts)
                )
            }));
        };
        (account, None)
    } else {
        let Some(account) = info
            .accounts
            .iter()
            .find(|account| account.is_default)
            .or_else(|| info.accounts.first())
        else {
            return Err(ClientError::Account(format!(
                "the user {who} belongs to no DocuSign account"
            )));
        };
        let others = if info.accounts.len() > 1 {
            format!("; the user's accounts: {}", list(&info.accounts))
        } else {
            String::new()
        };
        let warning = format!(
            "no account chosen; using the default account {} ({}); set DOCUSIGN_ACCOUNT_ID \
             (or `account.id` in the YAML) to choose it explicitly{others}",
            account.account_id, account.account_name
        );
        (account, Some(warning))
    };
    // Other entries may be malformed; the one chosen must say where its API lives.
    if account.account_id.trim().is_empty() || account.base_uri.trim().is_empty() {
        return Err(ClientError::unreadable(
            "GET",
            USERINFO_PATH,
            format!(
                "the user's account `{}` ({}) has no `account_id` or no `base_uri`",
                account.account_id, account.account_name
            ),
        ));
    }
    let chosen = AccountInfo {
        account_id: account.account_id.trim().to_owned(),
        account_name: account.account_name.clone(),
        base_uri: account.base_uri.trim().trim_end_matches('/').to_owned(),
        user_id: info.sub.clone(),
        user_name: info.name.clone(),
        user_email: info.email.clone(),
    };
    Ok((chosen, warning))
}

/// `id (name), id (name)`, of the accounts with an ID.
fn list(accounts: &[UserAccount]) -> String {
    accounts
        .iter()
        .filter(|account| !account.account_id.trim().is_empty())
        .map(|account| format!("{} ({})", account.account_id, account.account_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The userinfo answer, as far as this tool reads it.
#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default, deserialize_with = "entries")]
    accounts: Vec<UserAccount>,
}

/// One of the user's accounts. Every field may be missing or of another type: one malformed
/// entry must not hide the others, and only the one chosen must be complete (see [`choose`]).
#[derive(Deserialize)]
struct UserAccount {
    #[serde(default, deserialize_with = "text")]
    account_id: String,
    #[serde(default, deserialize_with = "flag")]
    is_default: bool,
    #[serde(default, deserialize_with = "text")]
    account_name: String,
    #[serde(default, deserialize_with = "text")]
    base_uri: String,
}

/// The account entries that are objects; anything else in the list is skipped.
fn entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<UserAccount>, D::Error> {
    let Value::Array(items) = Value::deserialize(deserializer)? else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect())
}

/// A string; anything else (a number, `null`) is empty.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => text,
        _ => String::new(),
    })
}

/// `true`, or `"true"` in any letter case.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => flag,
        Value::String(text) => text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::{UserInfo, auth_base_for, choose};
    use crate::docusign::ClientError;

    #[test]
    fn auth_base_for_adds_https_to_a_bare_host_and_keeps_a_scheme() {
        assert_eq!(
            auth_base_for("account-d.docusign.com"),
            "https://account-d.docusign.com"
        );
        assert_eq!(
            auth_base_for(" account.docusign.com/ "),
            "https://account.docusign.com"
        );
        assert_eq!(
            auth_base_for("http://127.0.0.1:4000/"),
            "http://127.0.0.1:4000"
        );
        assert_eq!(
            auth_base_for("https://account-d.docusign.com"),
            "https://account-d.docusign.com"
        );
    }

    fn info() -> UserInfo {
        serde_json::from_value(serde_json::json!({
            "sub": "u1", "name": "Ada", "email": "ada@example.com",
            "accounts": [
                { "account_id": "A1", "is_default": "false", "account_name": "One",
                  "base_uri": "https://demo.docusign.net/" },
                { "account_id": "a2", "is_default": "true", "account_name": "Two",
                  "base_uri": "https://eu.docusign.net" },
            ]
        }))
        .unwrap()
    }

    #[test]
    fn choose_reads_string_flags_and_trims_base_uri() {
        let (account, warning) = choose(&info(), None).unwrap();
        assert_eq!(account.account_id, "a2");
        assert!(warning.unwrap().contains("a2 (Two)"));
        let (account, warning) = choose(&info(), Some("a1")).unwrap();
        assert_eq!(account.base_uri, "https://demo.docusign.net");
        assert_eq!(warning, None);
        let Err(ClientError::Account(message)) = choose(&info(), Some("nope")) else {
            panic!("an unknown account is an error");
        };
        assert!(
            message.contains("A1 (One)") && message.contains("a2 (Two)"),
            "{message}"
        );
    }

    /// One malformed entry among the user's accounts (no `base_uri`, a number for an ID, not
    /// even an object) doesn't break discovery of a complete one; choosing it is an error.
    #[test]
    fn a_malformed_account_entry_is_skipped_unless_chosen() {
        let info: UserInfo = serde_json::from_value(serde_json::json!({
            "sub": "u1", "name": "Ada", "email": "ada@example.com",
            "accounts": [
                { "account_id": "broken", "account_name": "Broken", "base_uri": null },
                { "account_id": 7, "base_uri": "https://demo.docusign.net" },
                "junk",
                { "account_id": "a2", "is_default": true, "account_name": "Two",
                  "base_uri": "https://eu.docusign.net/" },
            ]
        }))
        .expect("userinfo with a malformed account entry is read");
        let (account, _) = choose(&info, Some("A2")).expect("the complete account");
        assert_eq!(account.base_uri, "https://eu.docusign.net");
        let (account, _) = choose(&info, None).expect("the default account");
        assert_eq!(account.account_id, "a2");
        let Err(ClientError::Unreadable { reason, .. }) = choose(&info, Some("broken")) else {
            panic!("an account without a base_uri can't be chosen");
        };
        assert!(reason.contains("base_uri"), "{reason}");
    }
}
