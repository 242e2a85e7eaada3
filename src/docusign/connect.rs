//! From settings to a ready client: credentials, the auth server, account discovery (or a
//! given base URL), and the client bound to the account.

use std::sync::Arc;

use super::auth::{Authenticator, Credentials};
use super::client::{Client, ClientSettings};
use super::discovery::{self, AccountInfo, auth_base_for};
use super::error::ClientError;

/// Where and how to connect. Built by the CLI from flags, environment and the YAML.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// `account-d.docusign.com`, `account.docusign.com`, or a URL (an emulator).
    pub auth_server: String,
    /// `DOCUSIGN_BASE_URL`: skips discovery (`https://demo.docusign.net`).
    pub base_url: Option<String>,
    /// The account to manage; when absent, the user's default account (with a warning).
    pub account_id: Option<String>,
    pub credentials: Credentials,
    pub client: ClientSettings,
}

/// A client bound to one account, and what discovery found.
#[derive(Debug)]
pub struct Connection {
    pub client: Arc<Client>,
    pub account: AccountInfo,
    /// Said to the user when the account was not chosen explicitly.
    pub warning: Option<String>,
}

/// Authenticates, finds the account and its `base_uri`, and returns a client for it.
pub async fn connect(settings: ConnectionSettings) -> Result<Connection, ClientError> {
    // The timeouts are the client's, not each request's: userinfo's call is bounded too.
    let http = super::http::builder()
        .map_err(ClientError::Settings)?
        .connect_timeout(settings.client.connect_timeout)
        .timeout(settings.client.request_timeout)
        .build()
        .map_err(|err| ClientError::Settings(format!("can't build the HTTP client: {err}")))?;
    let auth_base = auth_base_for(&settings.auth_server);
    // The JWT grant names its user; other tokens are asked (with `DOCUSIGN_BASE_URL`).
    let jwt_user = match &settings.credentials {
        Credentials::Jwt { user_id, .. } => Some(user_id.clone()),
        Credentials::AccessToken(_) | Credentials::RefreshToken { .. } => None,
    };
    let auth = Arc::new(Authenticator::new(
        http.clone(),
        &auth_base,
        settings.credentials,
    ));
    let (account, warning) = match settings.base_url {
        Some(base_url) => {
            let account_id = settings.account_id.ok_or_else(|| {
                ClientError::Settings("DOCUSIGN_BASE_URL skips account discovery, so DOCUSIGN_ACCOUNT_ID (or `account.id` in the YAML) must name the account".to_owned())
            })?;
            // Who the token belongs to, so the plan can keep that user an administrator: the
            // JWT's user (its email comes from the account), else userinfo's answer. When
            // neither can tell, the user stays unknown and the plan refuses to take
            // administration from anyone.
            let (user_id, user_name, user_email) = match jwt_user {
                Some(user_id) => (user_id, String::new(), String::new()),
                None => discovery::whoami(&http, &auth_base, &auth)
                    .await
                    .unwrap_or_default(),
            };
            let account = AccountInfo {
                account_id,
                account_name: String::new(),
                base_uri: base_url.trim_end_matches('/').to_owned(),
                user_id,
                user_name,
                user_email,
            };
            (account, None)
        }
        None => {
            discovery::discover(&http, &auth_base, &auth, settings.account_id.as_deref()).await?
        }
    };
    let api_base = format!(
        "{}/restapi/v2.1/accounts/{}",
        account.base_uri, account.account_id
    );
    let client = Arc::new(Client::new(http, &api_base, auth, settings.client));
    Ok(Connection {
        client,
        account,
        warning,
    })
}

/// What the connected user may do in the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The user's name and email as the account holds them.
    pub user_name: String,
    pub email: String,
    pub permission_profile: String,
    pub is_admin: bool,
}

/// One call: the connected user's own record, to tell whether it can administer the account.
pub async fn standing(connection: &Connection) -> Result<Standing, ClientError> {
    let user_id = &connection.account.user_id;
    if user_id.is_empty() {
        return Err(ClientError::Settings(
            "the user behind the token is unknown: DOCUSIGN_BASE_URL skips discovery and DocuSign's userinfo didn't say who it is; unset DOCUSIGN_BASE_URL, or use the JWT grant".to_owned(),
        ));
    }
    let record: super::wire::UserRecord =
        connection.client.get(&format!("/users/{user_id}")).await?;
    Ok(Standing {
        user_name: super::wire::text(record.user_name.as_ref()),
        email: super::wire::text(record.email.as_ref()),
        permission_profile: super::wire::text(record.permission_profile_name.as_ref()),
        is_admin: record
            .is_admin
            .as_ref()
            .is_some_and(super::wire::Text::is_true),
    })
}
