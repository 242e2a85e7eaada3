//! What the licences are used for: seats bought and used, invitations never accepted, users
//! closed this billing period, and active users who show no sign of use. Pure: the CLI reads
//! the account (`docusign::snapshot`, `docusign::usage`) and hands the figures here, in two
//! steps: [`needing_envelope_check`] says whom the one per-user signal must be asked about,
//! [`report`] judges. `reclaim` turns a report's candidates into YAML edits.
//!
//! A user is idle only when every signal that could be read says so; a signal that could not be
//! read (a failed call, a user beyond the call budget, no date at all) never counts as idleness.

mod render;

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::model::usage::{AccountFigures, Envelopes, Quantity, UserUsage, When};
use crate::model::{EmailKey, UserStatus};
pub use render::{json, markdown, text};

/// Where each figure comes from, as the report says it.
pub mod source {
    pub const ACCOUNT: &str = "GET /accounts/{accountId}";
    pub const USERS: &str = "GET /users?additional_info=true";
    pub const ENVELOPES: &str = "GET /envelopes?from_date=…&from_to_status=created&user_id=…&user_name=…&email=…&count=1 (one call a user)";
}

/// What the report is asked.
#[derive(Clone, Debug)]
pub struct Options {
    pub now: Timestamp,
    /// An active user with no sign of use for this many days is idle.
    pub idle_days: u32,
    /// An invitation unanswered for this many days is stale.
    pub pending_days: u32,
    /// At most this many envelope-list calls (one a user), and what set that limit.
    pub envelope_checks: usize,
    pub envelope_limit: EnvelopeLimit,
}

/// What limits the envelope-list calls of one report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeLimit {
    /// `--envelope-checks`.
    Flag,
    /// What this hour's API budget leaves the tool (DocuSign's count, less the share kept for
    /// the account's other integrations): a report never spends the hour.
    HourlyBudget,
}

impl EnvelopeLimit {
    /// How many users a report may ask about, and what set that number: `--envelope-checks`,
    /// unless this hour's budget leaves the tool fewer calls (`ours_this_hour`, `None` until
    /// DocuSign has reported it).
    #[must_use]
    pub fn cap(flag: usize, ours_this_hour: Option<usize>) -> (usize, Self) {
        match ours_this_hour {
            Some(ours) if ours < flag => (ours, Self::HourlyBudget),
            _ => (flag, Self::Flag),
        }
    }

    /// Why a user beyond the limit was not asked about, in words.
    fn words(self, limit: usize) -> String {
        match self {
            Self::Flag => format!("--envelope-checks {limit}"),
            Self::HourlyBudget => format!(
                "this hour's API budget ({limit} calls left to this tool after the share kept for other integrations)"
            ),
        }
    }
}

impl Options {
    #[must_use]
    pub fn idle_cutoff(&self) -> Timestamp {
        days_before(self.now, self.idle_days)
    }

    #[must_use]
    pub fn pending_cutoff(&self) -> Timestamp {
        days_before(self.now, self.pending_days)
    }
}

fn days_before(now: Timestamp, days: u32) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
        .unwrap_or(Timestamp::MIN)
}

/// Users who are never candidates, and why: the integration user, `policy.protected_users`.
#[derive(Clone, Debug, Default)]
pub struct Exempt {
    pub integration_user: Option<EmailKey>,
    pub protected: BTreeSet<EmailKey>,
}

impl Exempt {
    fn why(&self, email: &str) -> Option<&'static str> {
        let key = EmailKey::new(email);
        if self.integration_user.as_ref() == Some(&key) {
            Some("the integration user (its token runs the tool)")
        } else if self.protected.contains(&key) {
            Some("in policy.protected_users")
        } else {
            None
        }
    }
}

/// How an active user stands by the signals that cost nothing (the user list's dates).
enum Standing<'a> {
    /// Used, or given the seat, within the window: `why` says which.
    InUse,
    /// No date to say since when: not judged.
    Undated,
    /// The free signals say idle since `since`; the envelope list may still show use.
    Idle { since: &'a When },
}

fn standing(user: &UserUsage, cutoff: Timestamp) -> Standing<'_> {
    let login = user.last_login.as_ref().and_then(|when| when.at);
    if login.is_some_and(|at| at >= cutoff) {
        return Standing::InUse;
    }
    let Some(since) = user.since().filter(|when| when.at.is_some()) else {
        return Standing::Undated;
    };
    if since.at.is_some_and(|at| at >= cutoff) {
        return Standing::InUse;
    }
    // The latest sign: the login when it is later than the assignment.
    let latest = match (&user.last_login, since.at) {
        (Some(last), Some(added)) if last.at.is_some_and(|at| at > added) => last,
        _ => since,
    };
    Standing::Idle { since: latest }
}

/// The active users whose free signals say idle, least recently seen first, so that a capped
/// run asks about the likeliest first: at most `options.envelope_checks` of them.
#[must_use]
pub fn needing_envelope_check<'a>(
    usage: &'a [UserUsage],
    options: &Options,
    exempt: &Exempt,
) -> Vec<&'a UserUsage> {
    let cutoff = options.idle_cutoff();
    let mut idle: Vec<(&UserUsage, Timestamp)> = usage
        .iter()
        .filter(|user| user.status == UserStatus::Active && exempt.why(&user.email).is_none())
        .filter_map(|user| match standing(user, cutoff) {
            Standing::Idle { since } => since.at.map(|at| (user, at)),
            Standing::InUse | Standing::Undated => None,
        })
        .collect();
    idle.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.email.cmp(&b.0.email)));
    idle.into_iter()
        .map(|(user, _)| user)
        .take(options.envelope_checks)
        .collect()
}

/// A figure and where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct Figure<T> {
    pub value: Option<T>,
    pub source: String,
}

impl<T> Figure<T> {
    fn of(value: Option<T>, source: impl Into<String>) -> Self {
        Self {
            value,
            source: source.into(),
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Count(count) => serializer.serialize_u64(*count),
            Self::Said(said) => serializer.serialize_str(said),
        }
    }
}

/// The seats report of one account.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub account_id: String,
    pub account_name: Option<String>,
    /// When it was read (UTC).
    pub as_of: String,
    pub idle_days: u32,
    pub pending_days: u32,
    pub plan: Plan,
    pub seats: Seats,
    pub billing_period: BillingPeriod,
    pub pending: Vec<Pending>,
    pub closed_this_period: ClosedThisPeriod,
    pub idle: Vec<Idle>,
    /// Active users no signal could judge, and why.
    pub not_judged: Vec<NotJudged>,
    pub signals: Vec<Signal>,
    pub calls: Calls,
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub name: Figure<String>,
    pub start: Figure<String>,
    pub end: Figure<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Seats {
    /// Seats bought.
    pub allowed: Figure<Quantity>,
    /// Seats DocuSign counts as used.
    pub in_use: Figure<Quantity>,
    /// The users by status, as the user list has them.
    pub active: Figure<u64>,
    pub pending: Figure<u64>,
    pub disabled: Figure<u64>,
    pub closed: Figure<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BillingPeriod {
    pub start: Figure<String>,
    pub end: Figure<String>,
    pub envelopes_allowed: Figure<Quantity>,
    pub envelopes_sent: Figure<Quantity>,
}

/// An invitation not yet accepted.
#[derive(Clone, Debug, Serialize)]
pub struct Pending {
    pub email: String,
    pub user_name: String,
    /// When it was sent (the assignment date, else the record's creation), as a day.
    pub invited: Option<String>,
    pub age_days: Option<i64>,
    /// Older than `pending_days`: a candidate to close.
    pub stale: bool,
    /// Why it is never a candidate, when it isn't.
    pub exempt: Option<String>,
    pub source: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClosedThisPeriod {
    /// Closed users whose record changed since the billing period began.
    pub count: Figure<u64>,
    pub emails: Vec<String>,
}

/// An active user with no sign of use in `idle_days`: a candidate to reclaim.
#[derive(Clone, Debug, Serialize)]
pub struct Idle {
    pub email: String,
    pub user_name: String,
    /// The latest sign of use (last login, else the assignment date), as a day.
    pub no_sign_since: String,
    pub idle_days: Option<i64>,
    pub last_login: Option<String>,
    pub added: Option<String>,
    /// What each signal said of the user.
    pub evidence: Vec<String>,
    /// An identity provider owns the user's status (`isManagedByScim`): reclaim leaves it.
    pub managed_by_scim: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotJudged {
    pub email: String,
    pub reason: String,
}

/// One signal of use: where it comes from, whether it was used, what it cost, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Signal {
    pub name: String,
    pub source: String,
    pub used: bool,
    /// Calls it made for this report (0: read from what the snapshot already read).
    pub calls: u64,
    pub note: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Calls {
    /// Reading the users: their pages (with reclaim, the whole snapshot plan makes).
    pub users: u64,
    pub account: u64,
    pub envelopes: u64,
    pub total: u64,
}

/// What was read, for [`report`].
pub struct Read<'a> {
    pub account_id: &'a str,
    pub figures: &'a AccountFigures,
    pub usage: &'a [UserUsage],
    /// The envelope list's answers, by user ID, for the users asked about.
    pub envelopes: &'a HashMap<String, Envelopes>,
    pub read_calls: u64,
}

/// The report: every figure with its source.
#[must_use]
pub fn report(read: &Read<'_>, options: &Options, exempt: &Exempt) -> Report {
    let Read {
        account_id,
        figures,
        usage,
        envelopes,
        read_calls,
    } = read;
    let (idle, not_judged) = judged(usage, envelopes, options, exempt);
    let count = |status: UserStatus| {
        Figure::of(
            Some(usage.iter().filter(|user| user.status == status).count() as u64),
            format!("{}: userStatus", source::USERS),
        )
    };
    let account_field = |field: &str| format!("{}: {field}", source::ACCOUNT);
    let day = |when: Option<&When>| when.map(When::day);
    let envelope_calls = envelopes.len() as u64;
    Report {
        account_id: (*account_id).to_owned(),
        account_name: figures.account_name.clone(),
        as_of: options.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        idle_days: options.idle_days,
        pending_days: options.pending_days,
        plan: Plan {
            name: Figure::of(figures.plan_name.clone(), account_field("planName")),
            start: Figure::of(
                day(figures.plan_start.as_ref()),
                account_field("planStartDate"),
            ),
            end: Figure::of(day(figures.plan_end.as_ref()), account_field("planEndDate")),
        },
        seats: Seats {
            allowed: Figure::of(figures.seats_allowed.clone(), account_field("seatsAllowed")),
            in_use: Figure::of(figures.seats_in_use.clone(), account_field("seatsInUse")),
            active: count(UserStatus::Active),
            pending: count(UserStatus::Pending),
            disabled: count(UserStatus::Disabled),
            closed: count(UserStatus::Closed),
        },
        billing_period: BillingPeriod {
            start: Figure::of(
                day(figures.billing_period_start.as_ref()),
                account_field("billingPeriodStartDate"),
            ),
            end: Figure::of(
                day(figures.billing_period_end.as_ref()),
                account_field("billingPeriodEndDate"),
            ),
            envelopes_allowed: Figure::of(
                figures.envelopes_allowed.clone(),
                account_field("billingPeriodEnvelopesAllowed"),
            ),
            envelopes_sent: Figure::of(
                figures.envelopes_sent.clone(),
                account_field("billingPeriodEnvelopesSent"),
            ),
        },
        pending: pending(usage, options, exempt),
        closed_this_period: closed_this_period(usage, figures),
        signals: signals(usage, &idle, envelope_calls, options),
        idle,
        not_judged,
        calls: Calls {
            users: *read_calls,
            account: 1,
            envelopes: envelope_calls,
            total: read_calls + 1 + envelope_calls,
        },
    }
}

fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    to.duration_since(from).as_hours().div_euclid(24)
}

fn pending(usage: &[UserUsage], options: &Options, exempt: &Exempt) -> Vec<Pending> {
    let cutoff = options.pending_cutoff();
    let mut pending: Vec<Pending> = usage
        .iter()
        .filter(|user| user.status == UserStatus::Pending)
        .map(|user| {
            let since = user.since();
            let at = since.and_then(|when| when.at);
            Pending {
                email: user.email.clone(),
                user_name: user.user_name.clone(),
                invited: since.map(When::day),
                age_days: at.map(|at| days_between(at, options.now)),
                stale: at.is_some_and(|at| at < cutoff),
                exempt: exempt.why(&user.email).map(str::to_owned),
                source: format!(
                    "{}: userStatus, userAddedToAccountDateTime (else createdDateTime)",
                    source::USERS
                ),
            }
        })
        .collect();
    pending.sort_by(|a, b| {
        b.age_days
            .cmp(&a.age_days)
            .then_with(|| a.email.cmp(&b.email))
    });
    pending
}

fn closed_this_period(usage: &[UserUsage], figures: &AccountFigures) -> ClosedThisPeriod {
    let start = figures
        .billing_period_start
        .as_ref()
        .and_then(|when| when.at);
    let source = format!(
        "{}: userProfileLastModifiedDate of closed users, since billingPeriodStartDate (DocuSign gives no closing date)",
        source::USERS
    );
    let Some(start) = start else {
        return ClosedThisPeriod {
            count: Figure::of(None, source),
            emails: Vec::new(),
        };
    };
    let mut emails: Vec<String> = usage
        .iter()
        .filter(|user| user.status == UserStatus::Closed)
        .filter(|user| {
            user.modified
                .as_ref()
                .and_then(|when| when.at)
                .is_some_and(|at| at >= start)
        })
        .map(|user| user.email.clone())
        .collect();
    emails.sort();
    ClosedThisPeriod {
        count: Figure::of(Some(emails.len() as u64), source),
        emails,
    }
}

/// The idle candidates, and the active users no signal could judge.
fn judged(
    usage: &[UserUsage],
    envelopes: &HashMap<String, Envelopes>,
    options: &Options,
    exempt: &Exempt,
) -> (Vec<Idle>, Vec<NotJudged>) {
    let cutoff = options.idle_cutoff();
    let mut idle = Vec::new();
    let mut not_judged = Vec::new();
    for user in usage
        .iter()
        .filter(|user| user.status == UserStatus::Active)
    {
        if exempt.why(&user.email).is_some() {
            continue;
        }
        let since = match standing(user, cutoff) {
            Standing::InUse => continue,
            Standing::Undated => {
                not_judged.push(NotJudged {
                    email: user.email.clone(),
                    reason: "DocuSign gave no assignment, creation or login date".to_owned(),
                });
                continue;
            }
            Standing::Idle { since } => since,
        };
        let envelope_evidence = match envelopes.get(&user.user_id) {
            Some(Envelopes::Created { .. }) => continue,
            Some(Envelopes::Inconclusive(why)) => {
                not_judged.push(NotJudged {
                    email: user.email.clone(),
                    reason: format!("the envelope list gave no answer: {why}"),
                });
                continue;
            }
            None => {
                not_judged.push(NotJudged {
                    email: user.email.clone(),
                    reason: format!(
                        "not asked about envelopes: beyond {}",
                        options.envelope_limit.words(options.envelope_checks)
                    ),
                });
                continue;
            }
            Some(Envelopes::None) => format!(
                "no envelope created since {}",
                options.idle_cutoff().strftime("%Y-%m-%d")
            ),
        };
        let login = user.last_login.as_ref().map(When::day);
        let mut evidence = vec![match &login {
            Some(day) => format!("last login {day}"),
            None => "no last login given".to_owned(),
        }];
        if let Some(added) = user.since() {
            evidence.push(format!("given the account {}", added.day()));
        }
        evidence.push(envelope_evidence);
        idle.push(Idle {
            email: user.email.clone(),
            user_name: user.user_name.clone(),
            no_sign_since: since.day(),
            idle_days: since.at.map(|at| days_between(at, options.now)),
            last_login: login,
            added: user.since().map(When::day),
            evidence,
            managed_by_scim: user.managed_by_scim,
        });
    }
    idle.sort_by(|a, b| {
        b.idle_days
            .cmp(&a.idle_days)
            .then_with(|| a.email.cmp(&b.email))
    });
    not_judged.sort_by(|a, b| a.email.cmp(&b.email));
    (idle, not_judged)
}

/// What each signal of use is, whether it was used, and what it cost.
fn signals(
    usage: &[UserUsage],
    idle: &[Idle],
    envelope_calls: u64,
    options: &Options,
) -> Vec<Signal> {
    let active: Vec<&UserUsage> = usage
        .iter()
        .filter(|user| user.status == UserStatus::Active)
        .collect();
    let with_login = active
        .iter()
        .filter(|user| user.last_login.is_some())
        .count();
    let with_added = active.iter().filter(|user| user.since().is_some()).count();
    let of_active = |count: usize| format!("{count} of {} active users", active.len());
    vec![
        Signal {
            name: "assignment date".to_owned(),
            source: format!(
                "{}: userAddedToAccountDateTime, else createdDateTime",
                source::USERS
            ),
            used: with_added > 0,
            calls: 0,
            note: format!(
                "given for {}; a user given the account within {} days is not idle",
                of_active(with_added),
                options.idle_days
            ),
        },
        Signal {
            name: "last login".to_owned(),
            source: format!("{}: lastLogin", source::USERS),
            used: with_login > 0,
            calls: 0,
            note: if with_login == 0 {
                "DocuSign left it empty for every active user, so it is not used".to_owned()
            } else {
                format!(
                    "given for {}; DocuSign does not fill it reliably, so a missing or old one alone never makes a user idle",
                    of_active(with_login)
                )
            },
        },
        Signal {
            name: "envelopes created".to_owned(),
            source: source::ENVELOPES.to_owned(),
            used: envelope_calls > 0,
            calls: envelope_calls,
            note: format!(
                "asked for {} active users the dates left idle (at most {}); {} of them created none",
                envelope_calls,
                options.envelope_limit.words(options.envelope_checks),
                idle.len()
            ),
        },
        Signal {
            name: "the account's envelope list".to_owned(),
            source: "GET /envelopes without user_id".to_owned(),
            used: false,
            calls: 0,
            note:
                "not used: it lists the envelopes of the user behind the token, not the account's"
                    .to_owned(),
        },
        Signal {
            name: "login status".to_owned(),
            source: "GET /users?login_status=true".to_owned(),
            used: false,
            calls: 0,
            note: "not used: DocuSign does not document what it holds".to_owned(),
        },
        Signal {
            name: "envelopes received".to_owned(),
            source: "GET /envelopes?user_filter=recipient".to_owned(),
            used: false,
            calls: 0,
            note: "not used: signing needs no seat; sending is what a seat is for".to_owned(),
        },
    ]
}

#[cfg(test)]
mod tests;
