//! `probe`: finds out how a (demo) account behaves where DocuSign's documentation is silent,
//! by making a temporary permission profile, group, signing group and user, exercising each
//! behaviour the client depends on, reading the account back, and taking it all away again.
//! The findings become a versioned JSON file that `emulator --behaviour` reads.

pub mod behaviour;
mod calls;
mod cleanup;
pub mod report;
mod steps;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use reqwest::Method;
use serde_json::{Value, json};

pub use calls::{Caller, Stop};
pub use cleanup::{Cleaned, Ledger, clean_up};
use report::{Entry, key};
pub use steps::observe;

use crate::docusign::Pacing;
use crate::emulator::config::RateLimitStatus;

/// What the temporary objects are called: one timestamp in every name, so a person who meets
/// them in the admin pages knows what made them and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// `20261203T164005Z`.
    pub stamp: String,
    pub profile: String,
    pub group: String,
    pub signing_group: String,
    pub user_name: String,
    /// The throwaway address the user asked for: the temporary user's, and the signing
    /// group's first member's.
    pub email: String,
}

/// The prefix of every temporary object's name.
pub const PREFIX: &str = "docusign-gitops probe";

impl Names {
    #[must_use]
    pub fn new(email: &str, stamp: &str) -> Self {
        let name = format!("{PREFIX} {stamp}");
        Self {
            stamp: stamp.to_owned(),
            profile: name.clone(),
            group: name.clone(),
            signing_group: name.clone(),
            user_name: name,
            email: email.to_owned(),
        }
    }

    /// The signing group's second member: a plus-address of the same mailbox, so nobody else
    /// is named.
    #[must_use]
    pub fn member_email(&self) -> String {
        let (local, domain) = self.email.rsplit_once('@').unwrap_or((&self.email, ""));
        let joiner = if local.contains('+') { '-' } else { '+' };
        format!("{local}{joiner}member2@{domain}")
    }

    /// The users list filtered to the temporary email: finds the user whatever its ID.
    #[must_use]
    pub fn users_by_email_path(&self) -> String {
        format!("/users?email={}", query_value(&self.email))
    }

    /// The groups list searched for the temporary group's name (one page is plenty: the
    /// name carries the probe's timestamp).
    #[must_use]
    pub fn group_search_path(&self) -> String {
        format!("/groups?count=100&search_text={}", query_value(&self.group))
    }

    #[must_use]
    pub fn member_name(&self, n: u8) -> String {
        format!("{PREFIX} member {n}")
    }
}

/// A query parameter's value, percent-encoded: a `+` in a plus-address must not turn into a
/// space on the way.
#[must_use]
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The most GETs `--spend-burst` sends when the account never said its burst limit: DocuSign's
/// demo limit, and one more.
pub const DEFAULT_BURST_SPEND: u64 = 201;
/// The most it sends at all, whatever the headers say.
pub const MAX_BURST_SPEND: u64 = 1_001;

/// What the operator agrees to, in words.
#[must_use]
pub fn consent_text(names: &Names, account: &str, spend_burst: bool) -> String {
    let mut text = format!(
        "probe will change the demo account {account}:\n\
         \x20 - create the permission profile, group and signing group `{name}`, and delete them at the end;\n\
         \x20 - create the user `{name}` <{email}> (DocuSign mails an invitation to that address),\n\
         \x20   change its profile three ways, add it to and remove it from the group, close it, create it\n\
         \x20   again and close it again: DocuSign can't delete a user, so it stays in the account, closed;\n\
         \x20 - add <{email}> and <{member}> to the temporary signing group;\n\
         \x20 - make about 40 API calls",
        name = names.group,
        email = names.email,
        member = names.member_email(),
    );
    if spend_burst {
        let _ = write!(
            text,
            ", then spend the rest of the 30-second burst limit on cheap GETs (at most {MAX_BURST_SPEND}),\n\
             \x20   so other integrations on the account may be refused for up to 30 seconds"
        );
    }
    text.push_str(".\n");
    text
}

/// (e) Spends the burst limit with cheap GETs, unpaced, until DocuSign refuses one: the
/// refusal's status is the finding. Bounded by what the headers say is left, plus one.
pub async fn spend_burst(caller: &Caller) -> Entry {
    let headers = caller.rate_headers();
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let spend = number("x-burstlimit-remaining")
        .or_else(|| number("x-burstlimit-limit"))
        .map_or(DEFAULT_BURST_SPEND, |left| left + 1)
        .min(MAX_BURST_SPEND);
    for sent in 1..=spend {
        let answer = match caller
            .send_with(Method::GET, "/users?count=1", None, Pacing::Unpaced)
            .await
        {
            Ok(answer) => answer,
            Err(stop) => {
                return Entry::unobserved(
                    &format!("not told: call {sent} of the burst got no answer ({stop})"),
                    &behaviour::rate_limit_status_flag(RateLimitStatus::BadRequest),
                );
            }
        };
        if answer.status.is_success() {
            continue;
        }
        let status = answer.status.as_u16();
        let code = calls::text_at(&answer.body, "errorCode");
        let observed = format!("after {sent} GETs: {}", calls::described(&answer));
        let limited = code.to_ascii_uppercase().contains("LIMIT") || status == 429;
        let refusal = match status {
            400 if limited => Some(RateLimitStatus::BadRequest),
            429 => Some(RateLimitStatus::TooManyRequests),
            _ => None,
        };
        return match refusal {
            Some(refusal) => Entry {
                observed,
                value: json!(status),
                emulator: behaviour::rate_limit_status_flag(refusal),
                details: json!({ "error_code": code, "calls": sent }),
            },
            None => Entry::unobserved(
                &format!("not told: {observed}; that is not a rate-limit refusal"),
                &behaviour::rate_limit_status_flag(RateLimitStatus::BadRequest),
            ),
        };
    }
    Entry::unobserved(
        &format!("not told: no refusal after {spend} GETs"),
        &behaviour::rate_limit_status_flag(RateLimitStatus::BadRequest),
    )
}

/// The rate-limit status when Ctrl-C stopped the spending.
#[must_use]
pub fn burst_interrupted() -> Entry {
    Entry::unobserved(
        "not told: interrupted while spending the burst",
        &behaviour::rate_limit_status_flag(RateLimitStatus::BadRequest),
    )
}

/// The rate-limit status when the burst was not spent.
#[must_use]
pub fn burst_not_spent() -> Entry {
    Entry::unobserved(
        "not tried (run with --spend-burst)",
        &behaviour::rate_limit_status_flag(RateLimitStatus::BadRequest),
    )
}

/// (e) The rate-limit headers the answers carried, and the limits they name.
#[must_use]
pub fn rate_limits(caller: &Caller) -> Entry {
    let headers = caller.rate_headers();
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let (hourly, burst) = (number("x-ratelimit-limit"), number("x-burstlimit-limit"));
    let observed = if headers.is_empty() {
        "no X-RateLimit-* or X-BurstLimit-* headers seen".to_owned()
    } else {
        let names: Vec<&str> = headers.keys().map(String::as_str).collect();
        format!(
            "hourly limit {}, burst limit {} (headers seen: {})",
            hourly.map_or_else(|| "not given".to_owned(), |n| n.to_string()),
            burst.map_or_else(|| "not given".to_owned(), |n| n.to_string()),
            names.join(", ")
        )
    };
    let mut flags = Vec::new();
    if let Some(hourly) = hourly {
        flags.push(format!("--hourly-limit {hourly}"));
    }
    if let Some(burst) = burst {
        flags.push(format!("--burst-limit {burst}"));
    }
    Entry {
        observed,
        value: json!({ "hourly_limit": hourly, "burst_limit": burst }),
        emulator: if flags.is_empty() {
            "defaults (--hourly-limit 3000 --burst-limit 500)".to_owned()
        } else {
            flags.join(" ")
        },
        details: Value::Object(
            headers
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect(),
        ),
    }
}

/// Puts the rate-limit findings beside the steps' findings.
#[must_use]
pub fn with_rate_limits(
    mut found: BTreeMap<String, Entry>,
    limits: Entry,
    status: Entry,
) -> BTreeMap<String, Entry> {
    found.insert(key::RATE_LIMITS.to_owned(), limits);
    found.insert(key::RATE_LIMIT_STATUS.to_owned(), status);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_member_is_a_plus_address_of_the_same_mailbox() {
        assert_eq!(
            Names::new("ana@example.com", "s").member_email(),
            "ana+member2@example.com"
        );
        assert_eq!(
            Names::new("ana+probe@example.com", "s").member_email(),
            "ana+probe-member2@example.com"
        );
    }

    #[test]
    fn a_plus_in_a_query_value_stays_a_plus() {
        assert_eq!(query_value("a+b@x.com"), "a%2Bb@x.com");
        assert_eq!(query_value("probe 1"), "probe%201");
    }
}
