//! What an account's licences are used for: the plan's seat and envelope figures, and each user
//! record's dates. Read from DocuSign (`docusign::usage`, `docusign::snapshot`), judged by
//! `seats`; nothing here is part of the desired, live or recorded state a plan compares.

use jiff::Timestamp;

use super::UserStatus;

/// The figures `GET /accounts/{accountId}` gives, each as DocuSign wrote it and, where it is a
/// number or a date, read. A figure the answer left out is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFigures {
    pub account_name: Option<String>,
    pub plan_name: Option<String>,
    pub plan_start: Option<When>,
    pub plan_end: Option<When>,
    pub seats_allowed: Option<Quantity>,
    pub seats_in_use: Option<Quantity>,
    pub billing_period_start: Option<When>,
    pub billing_period_end: Option<When>,
    pub envelopes_allowed: Option<Quantity>,
    pub envelopes_sent: Option<Quantity>,
}

/// The text of a figure or date DocuSign sent, trimmed; a blank is none, for either.
fn given(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

/// A count as DocuSign sends it: a number, or a word such as "unlimited".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quantity {
    Count(u64),
    Said(String),
}

impl Quantity {
    /// `"25"` is 25; anything else is kept as said. A blank is no figure.
    #[must_use]
    pub fn read(text: &str) -> Option<Self> {
        let text = given(text)?;
        Some(
            text.parse()
                .map_or_else(|_| Self::Said(text.to_owned()), Self::Count),
        )
    }

    #[must_use]
    pub const fn count(&self) -> Option<u64> {
        match self {
            Self::Count(count) => Some(*count),
            Self::Said(_) => None,
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(count) => write!(f, "{count}"),
            Self::Said(said) => f.write_str(said),
        }
    }
}

/// A date DocuSign sent: the instant when it could be read, and the text as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct When {
    pub at: Option<Timestamp>,
    pub said: String,
}

impl When {
    /// A DocuSign date: ISO 8601 with an offset (`2026-03-02T19:47:53.1270000Z`), or without one
    /// (read as UTC, as DocuSign's server time is). A blank is no date, and so is a date before
    /// 1971: DocuSign writes `0001-01-01…` for "never".
    #[must_use]
    pub fn read(text: &str) -> Option<Self> {
        let said = given(text)?;
        let at = said.parse::<Timestamp>().ok().or_else(|| {
            said.parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|civil| civil.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|zoned| zoned.timestamp())
        });
        if at.is_some_and(|at| at.as_second() < 31_536_000) {
            return None;
        }
        Some(Self {
            at,
            said: said.to_owned(),
        })
    }

    /// The day it fell on (UTC), or the text as sent when it couldn't be read.
    #[must_use]
    pub fn day(&self) -> String {
        self.at.map_or_else(
            || self.said.clone(),
            |at| at.to_zoned(jiff::tz::TimeZone::UTC).date().to_string(),
        )
    }
}

/// One user record's dates and standing, as the user list gives them (closed records too, even
/// beside a live user of the same email).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserUsage {
    pub user_id: String,
    pub email: String,
    pub user_name: String,
    pub status: UserStatus,
    /// `createdDateTime`.
    pub created: Option<When>,
    /// `userAddedToAccountDateTime`: the assignment date, when the seat was given.
    pub added: Option<When>,
    /// `lastLogin`, where DocuSign fills it.
    pub last_login: Option<When>,
    /// `userProfileLastModifiedDate`: for a closed user, the latest DocuSign says of its closing.
    pub modified: Option<When>,
    pub managed_by_scim: bool,
}

impl UserUsage {
    /// When the user was given the account: the assignment date, else the record's creation.
    #[must_use]
    pub fn since(&self) -> Option<&When> {
        self.added
            .as_ref()
            .filter(|when| when.at.is_some())
            .or(self.created.as_ref())
    }
}

/// What DocuSign's envelope list says of one user since a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Envelopes {
    /// They created at least one envelope since then (its date, where the answer gave one).
    Created { at: Option<When> },
    /// None since then.
    None,
    /// Nothing can be concluded: the call failed, or the answer named another sender (so the
    /// filter can't be trusted). Never read as idleness.
    Inconclusive(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docusign_dates_read_with_and_without_an_offset() {
        let with = When::read("2026-03-02T19:47:53.1270000Z").unwrap();
        assert_eq!(with.day(), "2026-03-02");
        let without = When::read("2026-03-02T23:47:53.127").unwrap();
        assert_eq!(without.at.unwrap().to_string(), "2026-03-02T23:47:53.127Z");
        assert_eq!(When::read(" "), None);
        assert_eq!(When::read("0001-01-01T08:00:00.0000000Z"), None);
        let odd = When::read("3/2/2026 7:47 PM").unwrap();
        assert_eq!((odd.at, odd.day()), (None, "3/2/2026 7:47 PM".to_owned()));
    }

    #[test]
    fn quantities_are_counts_or_words() {
        assert_eq!(Quantity::read("25"), Some(Quantity::Count(25)));
        assert_eq!(
            Quantity::read("unlimited"),
            Some(Quantity::Said("unlimited".to_owned()))
        );
        assert_eq!(Quantity::read(""), None);
    }
}
