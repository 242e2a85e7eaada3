//! How an emulator behaves: limits, faults, credentials, and the switches for behaviours
//! DocuSign has not confirmed, so tests can run a client against each reading.

use std::time::Duration;

pub use crate::model::ProfileRoute;

/// Everything that shapes an emulator, with DocuSign's defaults.
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // one yes-or-no switch per unconfirmed behaviour
pub struct Config {
    /// The bare auth host that JWT assertions must name in `aud`.
    pub auth_host: String,
    /// Calls per clock hour per account (DocuSign's default: 3,000).
    pub hourly_limit: u32,
    /// Calls per 30 seconds per account (500 in production, 200 in demo).
    pub burst_limit: u32,
    /// Status of a rate-limit refusal: DocuSign historically answers 400, and is reported to
    /// be moving to 429.
    pub rate_limit_status: RateLimitStatus,
    /// Which calls honour `permissionProfileId` for an existing user. A call that doesn't
    /// answers 200 and leaves the profile as it was, the way an API ignores a field.
    pub profile_change: ProfileChangeRoutes,
    /// Whether user records carry `groupList` (list with `additional_info=true`, and get one).
    pub group_list_in_user_records: bool,
    /// Whether joining a group that carries a permission profile gives the user that profile.
    pub group_profile_on_join: bool,
    /// Whether the answers of bulk `PUT /users` and `PUT /users/{userId}` echo the user's
    /// `permissionProfileId`/`permissionProfileName`; without the echo, an answer can't tell a
    /// client whether a profile change took.
    pub profile_in_user_answers: bool,
    /// Whether creating a closed user's exact `userName` and email reopens that user with its
    /// `userId` (DocuSign documents the reopening, not whether the ID survives). When not, a new
    /// user is made beside the closed one, which stays closed with its memberships.
    pub reopen_keeps_user_id: bool,
    /// What `lastLogin` full user records carry. DocuSign no longer reports the last login
    /// reliably; by default every user answers DocuSign's "never" value.
    pub last_login: LastLogin,
    /// Whether pending invitations (`ActivationSent`, `ActivationRequired`) and disabled users
    /// count in the account's `seatsInUse`, as every membership that isn't closed does; when
    /// not, only `Active` users count (the spec's "users currently active").
    pub pending_hold_seats: bool,
    /// Whether `GET /envelopes` honours `user_id` (the spec documents it; a note in DocuSign's
    /// reference says it "is not implemented and should not be used"). When not, `user_id` is
    /// ignored and the list stays the caller's own.
    pub envelopes_by_user_id: bool,
    /// The most items any list page answers, however many its `count` asks for (the spec's
    /// `count` is only "the maximum number of results to return"); the page's paging fields
    /// say what it holds. `None`: a page holds all it is asked for, to the end of the list.
    pub page_cap: Option<usize>,
    /// Whether the account has signing groups. Off, every `/signing_groups` call is refused
    /// with a 400 `ACCOUNT_LACKS_PERMISSIONS`, as for a feature the account's plan lacks.
    pub signing_groups_enabled: bool,
    /// The status of a bulk answer in which some items failed.
    pub item_failure_status: ItemFailureStatus,
    /// The `errorCode`s a bulk answer gives the items that failed.
    pub item_error_codes: ItemErrorCodes,
    /// How long every call takes, from its arrival to its answer (the emulator's own work
    /// inside it), plus up to `jitter` more.
    pub latency: Duration,
    pub jitter: Duration,
    /// Share of API calls (0–1) that fail: 500/503, a burst-limit refusal, or a dropped
    /// connection before or after the write took effect.
    pub fault_rate: f64,
    /// Share of API calls (0–1) refused for the burst limit as if another integration on the
    /// account had spent it, on top of `fault_rate`: a refusal in `rate_limit_status`'s form
    /// without spending the burst (or waiting 30 s for it to come back).
    pub rate_limited_share: f64,
    /// Seed for faults, jitter and generated IDs, so a run can be repeated.
    pub seed: u64,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    pub credentials: Credentials,
    /// Where the accounts are kept across restarts: read at start when it exists, rewritten
    /// (atomically) after every write call.
    pub state_file: Option<std::path::PathBuf>,
    /// Where the rate limits read the time.
    pub clock: Clock,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            auth_host: "account-d.docusign.com".to_owned(),
            hourly_limit: 3_000,
            burst_limit: 500,
            rate_limit_status: RateLimitStatus::BadRequest,
            profile_change: ProfileChangeRoutes::all(),
            group_list_in_user_records: true,
            group_profile_on_join: false,
            profile_in_user_answers: true,
            reopen_keeps_user_id: true,
            last_login: LastLogin::Never,
            pending_hold_seats: true,
            envelopes_by_user_id: true,
            page_cap: None,
            signing_groups_enabled: true,
            item_failure_status: ItemFailureStatus::Success,
            item_error_codes: ItemErrorCodes::Emulator,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            fault_rate: 0.0,
            rate_limited_share: 0.0,
            seed: 0x00d0_c051_6e00,
            token_lifetime: Duration::from_secs(8 * 3600),
            credentials: Credentials::default(),
            state_file: None,
            clock: Clock::System,
        }
    }
}

impl Config {
    /// The demo (developer) environment: a 200-call burst.
    #[must_use]
    pub fn demo() -> Self {
        Self {
            burst_limit: 200,
            ..Self::default()
        }
    }
}

/// Where the emulator's rate limits read the time. The 30-second burst window always runs on
/// the runtime's monotonic clock; the choice is the wall clock that places the hourly window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock: the hourly budget resets at the top of each clock hour, as DocuSign's.
    #[default]
    System,
    /// A wall clock that reads `epoch` (Unix seconds) when the emulator starts and moves on
    /// with the runtime's clock. A test starts mid-hour, so its hourly window can't roll over
    /// under it whatever the real time of day.
    StartingAt { epoch: u64 },
}

impl Clock {
    /// 2026-01-05 09:20:00 UTC: forty minutes before the hourly window resets, as long as a
    /// test can take.
    pub const MID_HOUR: Self = Self::StartingAt {
        epoch: 1_767_604_800,
    };
}

/// The HTTP status of a rate-limit refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimitStatus {
    /// 400, as DocuSign has answered historically.
    BadRequest,
    /// 429 Too Many Requests.
    TooManyRequests,
}

/// What the `lastLogin` of a full user record (`GET /users?additional_info=true`) says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LastLogin {
    /// Each user's last sign-in as the account holds it; a user who never signed in answers
    /// [`super::dates::NEVER`], as DocuSign writes every date it doesn't hold.
    Reported,
    /// [`super::dates::NEVER`] for everyone: DocuSign stopped tracking it, and answers the date
    /// it doesn't hold the way it answers any other.
    #[default]
    Never,
    /// No `lastLogin` field at all.
    Absent,
}

/// The HTTP status of a bulk answer (users, group members, groups, signing groups) in which
/// some items failed. The body is the same either way: one result per item, each failure with
/// its own `errorDetails`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ItemFailureStatus {
    /// The call's success status (200, or 201 for creates), as the spec's examples show.
    #[default]
    Success,
    /// 400, the only error status the spec declares, with the per-item body.
    BadRequest,
}

/// Which `errorCode`s the items of a bulk answer carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ItemErrorCodes {
    /// The emulator's own: DocuSign's documented codes where there are any, and names in its
    /// style for the cases it doesn't document (`USER_ALREADY_MEMBER_OF_GROUP`, …).
    #[default]
    Emulator,
    /// Every code DocuSign doesn't document becomes `INVALID_REQUEST_PARAMETER` with a generic
    /// message, so a client that keys on the emulator's invented names is caught out.
    Generic,
}

impl ItemErrorCodes {
    /// The names the emulator made up for a member added twice and a non-member removed
    /// (DocuSign documents neither); `Generic` replaces them.
    pub const ALREADY_MEMBER: &'static str = "USER_ALREADY_MEMBER_OF_GROUP";
    pub const NOT_MEMBER: &'static str = "USER_NOT_MEMBER_OF_GROUP";
}

/// Which endpoints change an existing user's permission profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one switch per endpoint is the point
pub struct ProfileChangeRoutes {
    /// `PUT /users/{userId}` with `permissionProfileId`.
    pub put_user: bool,
    /// `PUT /users/{userId}/profile` with `userDetails.permissionProfileId`.
    pub put_profile: bool,
    /// Bulk `PUT /users` with `permissionProfileId` per user.
    pub bulk_put_users: bool,
}

impl ProfileChangeRoutes {
    #[must_use]
    pub const fn all() -> Self {
        Self {
            put_user: true,
            put_profile: true,
            bulk_put_users: true,
        }
    }

    #[must_use]
    pub const fn only(route: ProfileRoute) -> Self {
        Self {
            put_user: matches!(route, ProfileRoute::PutUser),
            put_profile: matches!(route, ProfileRoute::PutProfile),
            bulk_put_users: matches!(route, ProfileRoute::BulkPutUsers),
        }
    }
}

/// Who may get tokens, and how.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// Access tokens accepted as they are (`DOCUSIGN_ACCESS_TOKEN`), each for a user ID.
    pub static_tokens: Vec<(String, String)>,
    /// OAuth clients: integration key and secret.
    pub clients: Vec<Client>,
    /// Refresh tokens issued before the emulator started, each for (client ID, user ID).
    pub refresh_tokens: Vec<RefreshGrant>,
    /// PEM public key that verifies JWT-bearer assertions (RS256).
    pub jwt_public_key_pem: Option<String>,
    /// (client ID, user ID) pairs that granted consent for impersonation.
    pub consents: Vec<(String, String)>,
}

/// An OAuth client (integration key).
#[derive(Clone, Debug)]
pub struct Client {
    pub id: String,
    pub secret: String,
}

/// A refresh token the emulator accepts.
#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub token: String,
    pub client_id: String,
    pub user_id: String,
}
