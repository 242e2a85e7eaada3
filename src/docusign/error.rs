//! What can go wrong talking to DocuSign, as one error type with a hint for each case.

use miette::Diagnostic;
use thiserror::Error;

use crate::model::controls::visible;

/// An error from the DocuSign client. No variant ever holds a secret. What the server said is
/// shown with its control characters as `<U+…>`: a hostile answer can't steer the terminal.
#[derive(Debug, Error, Diagnostic)]
pub enum ClientError {
    /// DocuSign refused a call with its `errorDetails`.
    #[error(
        "DocuSign answered `{}` with {status} `{}`: {}",
        visible(&format!("{method} {path}")),
        visible(.code),
        visible(.message)
    )]
    #[diagnostic(code(docusign::api))]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
    },

    /// The account's hourly API budget is spent and resets too far away to wait.
    #[error("the account's hourly DocuSign API budget is spent; it resets in {wait_seconds} s")]
    #[diagnostic(
        code(docusign::hourly_budget),
        help(
            "other integrations share the 3,000 calls an hour; run again after the reset, or raise the limit in DocuSign's API usage settings"
        )
    )]
    HourlyBudgetSpent { wait_seconds: u64 },

    /// A call still failed after every retry.
    #[error(
        "`{}` failed {attempts} times; last: {}",
        visible(&format!("{method} {path}")),
        visible(.last)
    )]
    #[diagnostic(
        code(docusign::retries_exhausted),
        help("DocuSign may be having trouble; try again later")
    )]
    RetriesExhausted {
        method: String,
        path: String,
        attempts: u32,
        last: String,
    },

    /// DocuSign could not be reached at all.
    #[error("can't reach DocuSign at `{}`: {}", visible(.url), visible(.reason))]
    #[diagnostic(
        code(docusign::unreachable),
        help("check the network, DOCUSIGN_BASE_URL and DOCUSIGN_AUTH_SERVER")
    )]
    Unreachable { url: String, reason: String },

    /// An answer didn't have the shape DocuSign documents.
    #[error(
        "DocuSign's answer to `{}` could not be read: {}",
        visible(&format!("{method} {path}")),
        visible(.reason)
    )]
    #[diagnostic(
        code(docusign::unreadable_answer),
        help("this is a bug in docusign-gitops or a change in DocuSign's API; please report it")
    )]
    Unreadable {
        method: String,
        path: String,
        reason: String,
    },

    /// A list's pages don't add up to the list: never a silently short list.
    #[error(
        "DocuSign's pages of `{}` don't add up: {}",
        visible(&format!("GET {path}")),
        visible(.reason)
    )]
    #[diagnostic(
        code(docusign::inconsistent_list),
        help(
            "the list changed while it was read, or DocuSign's paging was inconsistent; run again"
        )
    )]
    InconsistentList { path: String, reason: String },

    /// The OAuth service refused the credentials.
    #[error(
        "DocuSign refused the credentials: `{}` {}",
        visible(.error),
        visible(.description)
    )]
    #[diagnostic(code(docusign::auth), help("{}", auth_help(.error)))]
    Auth { error: String, description: String },

    /// The impersonated user has not granted consent to the integration key (JWT grant).
    #[error("the user has not granted consent to this integration key")]
    #[diagnostic(
        code(docusign::consent_required),
        help(
            "open this URL once, signed in as the user (or as an organization admin), and accept: {url}"
        )
    )]
    ConsentRequired { url: String },

    /// The settings don't say how to authenticate, or say it badly.
    #[error("{}", visible(.0))]
    #[diagnostic(
        code(docusign::settings),
        help(
            "set DOCUSIGN_ACCESS_TOKEN; or DOCUSIGN_CLIENT_ID + DOCUSIGN_CLIENT_SECRET + DOCUSIGN_REFRESH_TOKEN_FILE (or DOCUSIGN_REFRESH_TOKEN); or DOCUSIGN_CLIENT_ID + DOCUSIGN_USER_ID + DOCUSIGN_PRIVATE_KEY_FILE (or DOCUSIGN_PRIVATE_KEY, the PEM itself)"
        )
    )]
    Settings(String),

    /// The token's user has no such account, or no account at all.
    #[error("{}", visible(.0))]
    #[diagnostic(
        code(docusign::account),
        help(
            "set DOCUSIGN_ACCOUNT_ID (or `account.id` in the YAML) to one of the accounts the user belongs to"
        )
    )]
    Account(String),
}

/// What to check when the OAuth service refused the credentials with `error`.
fn auth_help(error: &str) -> String {
    let mut help = "check DOCUSIGN_CLIENT_ID and the secret, refresh token or private key; a refresh token is single-use, so use the newest one".to_owned();
    if error.trim() == "invalid_grant" {
        // Clock skew breaks the JWT grant (DocuSign's JWT guide says so): its assertion carries
        // `iat`/`exp`.
        help.push_str(
            "; for the JWT grant, also check this machine's clock: the assertion is dated by it \
             (`iat`, `exp`), and DocuSign refuses one that its own clock finds expired or not yet \
             valid, so keep the clock in sync (NTP)",
        );
    }
    help
}

impl ClientError {
    /// An answer to `method path` that doesn't have the documented shape, and why.
    pub fn unreadable(
        method: impl std::fmt::Display,
        path: impl Into<String>,
        reason: impl std::fmt::Display,
    ) -> Self {
        Self::Unreadable {
            method: method.to_string(),
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

/// Why a request got no answer, in words: reqwest's error and each cause once, without the
/// URL, which the message around it already names.
#[must_use]
pub fn transport_reason(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod help_tests {
    use miette::Diagnostic as _;

    use super::ClientError;

    fn help(error: &str) -> String {
        ClientError::Auth {
            error: error.to_owned(),
            description: String::new(),
        }
        .help()
        .expect("a help text")
        .to_string()
    }

    /// An `invalid_grant` may be clock skew (DocuSign's JWT guide): its help says to check the
    /// clock.
    #[test]
    fn an_invalid_grant_says_to_check_the_clock() {
        let invalid_grant = help("invalid_grant");
        assert!(
            invalid_grant.contains("DOCUSIGN_CLIENT_ID"),
            "{invalid_grant}"
        );
        assert!(invalid_grant.contains("clock"), "{invalid_grant}");
        let other = help("invalid_client");
        assert!(other.contains("DOCUSIGN_CLIENT_ID"), "{other}");
        assert!(!other.contains("clock"), "{other}");
    }
}

#[cfg(test)]
mod transport_tests {
    /// The message around the reason names the URL; the reason doesn't say it again.
    #[tokio::test]
    async fn a_transport_reason_says_why_without_repeating_the_url() {
        // Nothing listens on port 1 of loopback.
        let url = "http://127.0.0.1:1/oauth/userinfo";
        let error = reqwest::Client::new()
            .get(url)
            .send()
            .await
            .expect_err("nothing answers");
        let reason = super::transport_reason(error);
        assert!(!reason.contains("127.0.0.1:1"), "{reason}");
        assert!(reason.contains("connect"), "{reason}");
    }
}
