//! The seats benchmark's account (issue 19): users with the dates and envelopes of a company
//! that has used DocuSign for a few years, generated from a fixed seed; the fewest calls the
//! API allows for `seats` on it, worked out from DocuSign's documented limits and the account
//! itself (never from the tool); and the release binary run on it as CI runs it, with the
//! emulator's count of the calls it made.
//!
//! The account: the administrator (the integration user, Account Administrator, signed in and
//! sending lately) and `users - 1` more, user `n` in a bucket by `n % 100`:
//!
//! | `n % 100` | share | status | dates and envelopes |
//! |---|--:|---|---|
//! | 0, 50 | 2% | pending (`ActivationSent`) | invited 1–180 days ago |
//! | 1 | 1% | closed | joined 200–1,500 days ago |
//! | 2–4 | 3% | active, idle | given the account 120–720 days ago, never signed in, no envelope |
//! | 5–9 | 5% | active, idle | last login 120–400 days ago, last envelope older still |
//! | 10–15 | 6% | active, in use | last login 120–400 days ago, an envelope 1–60 days ago |
//! | 16–19 | 4% | active, new | given the account 1–60 days ago; half signed in, one in four sent |
//! | 20–99 | 80% | active, in use | last login 0–30 days ago, an envelope 1–60 days ago (a third also one 120–300 days ago) |
//!
//! No date falls within 30 days of the 90-day window's edge, so the minutes between building
//! the account and running the tool can't move a user across it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docusign_gitops::emulator::account::{
    Account, Allowance, Envelope, EnvelopeStatus, User, UserStatus,
};
use docusign_gitops::emulator::config::LastLogin;
use docusign_gitops::emulator::seed::guid;
use docusign_gitops::emulator::{Config, dates};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tempfile::TempDir;

use super::calls::pages;
use super::emulated::{self, ACCOUNT_ID, ADMIN_EMAIL, ADMIN_ID, HOURLY_LIMIT, TOKEN};
use super::floor::wide;
use super::procfs::EMULATOR_THREADS;
use super::scenarios::served;
use super::workspace::BINARY;

/// The seed of every draw, so every run builds the same account.
const SEED: u64 = 0x00d0_c051_5ea7_0019;
/// `seats`'s default window: an active user with no sign of use for this many days is idle.
pub const IDLE_DAYS: i64 = 90;
/// `seats`'s default `--envelope-checks`.
pub const DEFAULT_CAP: usize = 300;

const FIRST_NAMES: &[&str] = &[
    "Ann", "Bob", "Carla", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José",
];
const LAST_NAMES: &[&str] = &["Lee", "O'Neil", "García", "Müller", "Nakamura", "Okafor"];

/// What DocuSign's user records say of `lastLogin` (the emulator's `Config::last_login`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// DocuSign's "never" value for everyone (the emulator's default): the login is no signal.
    Never,
    /// Each user's last sign-in.
    Reported,
}

impl Reading {
    pub const ALL: [Self; 2] = [Self::Never, Self::Reported];

    pub fn config(self, config: Config) -> Config {
        Config {
            last_login: match self {
                Self::Never => LastLogin::Never,
                Self::Reported => LastLogin::Reported,
            },
            ..config
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            Self::Never => "lastLogin never given",
            Self::Reported => "lastLogin reported",
        }
    }
}

/// The account, when it was built, and what its users' dates are.
pub struct SeatsAccount {
    pub account: Account,
    /// The moment the dates count back from.
    pub now: Timestamp,
}

fn days_ago(now: Timestamp, days: i64, hour: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(days * 24 + hour))
        .expect("a date after year 1")
}

fn at(text: &str) -> Timestamp {
    dates::parse(text).expect("a date the benchmark wrote")
}

/// A user of `seats`'s account with no dates yet: active, on `profile_id`.
fn plain_user(id: String, email: String, name: (&str, &str), profile_id: u64) -> User {
    User {
        id,
        user_name: format!("{} {}", name.0, name.1),
        email,
        first_name: name.0.to_owned(),
        last_name: name.1.to_owned(),
        job_title: String::new(),
        status: UserStatus::Active,
        profile_id,
        created: String::new(),
        modified: String::new(),
        added: None,
        last_login: None,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// Dates as DocuSign writes them, `days` (and a drawn part of a day) before `now`.
struct Stamps {
    now: Timestamp,
}

impl Stamps {
    fn ago(&self, days: i64, rng: &mut fastrand::Rng) -> String {
        dates::format(days_ago(self.now, days, rng.i64(0..24)))
    }
}

/// The envelopes made so far: (sender's ID, created).
type Sent = Vec<(String, String)>;

/// The administrator: the integration user, Account Administrator, in Administrators, signed
/// in today and sending.
fn add_admin(account: &mut Account, rng: &mut fastrand::Rng, stamps: &Stamps, sent: &mut Sent) {
    let profile = account
        .profile_named("Account Administrator")
        .expect("built in")
        .id;
    let mut admin = plain_user(
        ADMIN_ID.to_owned(),
        ADMIN_EMAIL.to_owned(),
        ("Ada", "Admin"),
        profile,
    );
    admin.created = stamps.ago(1_500, rng);
    admin.modified.clone_from(&admin.created);
    admin.last_login = Some(stamps.ago(0, rng));
    for days in [1, 3, 8] {
        sent.push((ADMIN_ID.to_owned(), stamps.ago(days, rng)));
    }
    account.push_user(admin);
    let admins = account.group_named("Administrators").expect("built in").id;
    account
        .groups
        .get_mut(&admins)
        .expect("group")
        .members
        .insert(ADMIN_ID.to_owned());
}

/// User `n`'s status, and days since it was made and since it last signed in, by its bucket
/// (the module's table); its envelopes go to `sent`.
fn history(
    n: usize,
    id: &str,
    rng: &mut fastrand::Rng,
    stamps: &Stamps,
    sent: &mut Sent,
) -> (UserStatus, i64, Option<i64>) {
    let mut envelope = |days: i64, rng: &mut fastrand::Rng| {
        sent.push((id.to_owned(), stamps.ago(days, rng)));
    };
    match n % 100 {
        0 | 50 => (UserStatus::ActivationSent, rng.i64(1..=180), None),
        1 => {
            let created = rng.i64(200..=1_500);
            (UserStatus::Closed, created, Some(rng.i64(120..created)))
        }
        2..=4 => (UserStatus::Active, rng.i64(120..=720), None),
        5..=9 => {
            let login = rng.i64(120..=400);
            envelope(login + rng.i64(0..=30), rng);
            (UserStatus::Active, rng.i64(400..=1_500), Some(login))
        }
        10..=15 => {
            envelope(rng.i64(1..=60), rng);
            let created = rng.i64(400..=1_500);
            (UserStatus::Active, created, Some(rng.i64(120..=400)))
        }
        bucket @ 16..=19 => {
            let created = rng.i64(1..=60);
            if bucket == 16 {
                envelope(rng.i64(0..created), rng);
            }
            let login = (bucket <= 17).then(|| rng.i64(0..created));
            (UserStatus::Active, created, login)
        }
        _ => {
            envelope(rng.i64(1..=60), rng);
            if n.is_multiple_of(3) {
                envelope(rng.i64(120..=300), rng);
            }
            let created = rng.i64(120..=1_500);
            (UserStatus::Active, created, Some(rng.i64(0..=30)))
        }
    }
}

impl SeatsAccount {
    /// `users` users, the administrator included.
    pub fn build(users: usize) -> Self {
        let now = Timestamp::now();
        let stamps = Stamps { now };
        let mut rng = fastrand::Rng::with_seed(SEED);
        let mut account = Account::new(ACCOUNT_ID, "Seats Benchmark Corp.", &dates::format(now));
        let billing = &mut account.billing;
        "Enterprise Pro".clone_into(&mut billing.plan_name);
        "enterprise".clone_into(&mut billing.plan_classification);
        billing.plan_start = Some(stamps.ago(400, &mut rng));
        billing.plan_end = Some(dates::format(days_ago(now, -330, 0)));
        billing.period_anchor.clone_from(&billing.plan_start);
        billing.seats_allowed = Allowance::Limited(wide(users) * 21 / 20);
        billing.envelopes_allowed = Allowance::Limited(wide(users) * 10);
        let sender = account
            .profile_named("DocuSign Sender")
            .expect("built in")
            .id;
        let mut sent = Sent::new();
        add_admin(&mut account, &mut rng, &stamps, &mut sent);
        for n in 0..users.saturating_sub(1) {
            let name = (
                FIRST_NAMES[rng.usize(..FIRST_NAMES.len())],
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
            );
            let id = guid(&mut rng);
            let (status, created, login) = history(n, &id, &mut rng, &stamps, &mut sent);
            let mut user = plain_user(id, format!("user{n:05}@example.com"), name, sender);
            user.status = status;
            user.created = stamps.ago(created, &mut rng);
            user.modified.clone_from(&user.created);
            user.last_login = login.map(|days| stamps.ago(days, &mut rng));
            account.push_user(user);
        }
        sent.sort_by(|a, b| a.1.cmp(&b.1));
        account.envelopes = sent
            .into_iter()
            .enumerate()
            .map(|(index, (sender_id, created))| Envelope {
                id: guid(&mut rng),
                sender_id,
                status: EnvelopeStatus::Completed,
                subject: format!("Please DocuSign: Agreement {index}"),
                sent: Some(created.clone()),
                status_changed: created.clone(),
                created,
            })
            .collect();
        Self { account, now }
    }

    /// The start of the 90-day window.
    pub fn cutoff(&self) -> Timestamp {
        days_ago(self.now, IDLE_DAYS, 0)
    }

    /// The active users `seats` may judge: not the integration user (the administrator,
    /// whose token runs the tool) nor the protected one (the same user, in `account.yaml`).
    fn judged(&self) -> impl Iterator<Item = &User> {
        self.account
            .users
            .iter()
            .filter(|user| user.status == UserStatus::Active && user.id != ADMIN_ID)
    }

    /// The active users whose dates, as DocuSign shows them under `reading`, show no use in
    /// the window: not given the account within it and, where the login is reported, not
    /// signed in within it. Only their envelopes can tell whether they are idle.
    pub fn idle_by_dates(&self, reading: Reading) -> Vec<&User> {
        let cutoff = self.cutoff();
        self.judged()
            .filter(|user| {
                let added = at(user.added.as_deref().unwrap_or(&user.created));
                let login = match reading {
                    Reading::Never => None,
                    Reading::Reported => user.last_login.as_deref().map(at),
                };
                added < cutoff && login.is_none_or(|login| login < cutoff)
            })
            .collect()
    }

    /// The idle users by the account itself: idle by their dates, and no envelope created in
    /// the window.
    pub fn idle(&self, reading: Reading) -> BTreeSet<String> {
        let cutoff = self.cutoff();
        let sent: BTreeSet<&str> = self
            .account
            .envelopes
            .iter()
            .filter(|envelope| at(&envelope.created) >= cutoff)
            .map(|envelope| envelope.sender_id.as_str())
            .collect();
        self.idle_by_dates(reading)
            .into_iter()
            .filter(|user| !sent.contains(user.id.as_str()))
            .map(|user| user.email.clone())
            .collect()
    }

    /// The fewest calls `seats` can make on this account under `reading`, at most `cap`
    /// envelope-list calls.
    pub fn minimum(&self, reading: Reading, cap: usize) -> SeatsMinimum {
        let users = self.account.users.len();
        let asked = self.idle_by_dates(reading).len();
        SeatsMinimum {
            users,
            pages: pages(users),
            account: 1,
            envelopes: wide(asked.min(cap)),
            idle_by_dates: asked,
            cap,
        }
    }
}

/// The fewest calls of `seats`, from DocuSign's documented limits and the account itself:
/// every user record once, in pages of at most 100 (`GET /users?additional_info=true`, `count`
/// 1–100: the report needs pending and closed users too, so no status filter spares a page);
/// the plan, seat and billing figures, one `GET /accounts/{accountId}`; and for each active user
/// whose dates leave them idle, one `GET /envelopes?from_date=…&user_name=…&email=…&count=1`:
/// the eSignature API documents no call that lists, for many senders at once, who created an
/// envelope lately (without a user named, the list holds the caller's own envelopes), so each
/// needs its own. Users whose dates show use need none. At most `cap` of those.
#[derive(Clone, Copy, Debug)]
pub struct SeatsMinimum {
    pub users: usize,
    pub pages: u64,
    pub account: u64,
    pub envelopes: u64,
    /// The users the dates leave idle, before the cap.
    pub idle_by_dates: usize,
    pub cap: usize,
}

impl SeatsMinimum {
    pub fn calls(&self) -> u64 {
        self.pages + self.account + self.envelopes
    }

    pub fn arithmetic(&self) -> String {
        let envelopes = if self.idle_by_dates > self.cap {
            format!(
                "min({}, {})",
                self.idle_by_dates,
                super::thousands(wide(self.cap))
            )
        } else {
            self.idle_by_dates.to_string()
        };
        format!(
            "⌈{}/100⌉ + 1 + {envelopes} = {} + 1 + {} = {}",
            self.users,
            self.pages,
            self.envelopes,
            self.calls()
        )
    }
}

/// The calls a run made, as the emulator served them, by endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub pages: u64,
    pub account: u64,
    pub envelopes: u64,
    /// Any other endpoint: there must be none.
    pub other: u64,
}

impl Split {
    pub fn total(&self) -> u64 {
        self.pages + self.account + self.envelopes + self.other
    }
}

/// One run of `seats`.
#[derive(Clone, Debug)]
pub struct SeatsRun {
    pub wall: Duration,
    pub served: Split,
    pub rejections: u64,
    pub report: Value,
}

/// A desired-state folder holding only `account.yaml` (the account, the administrator
/// protected), and an empty `HOME` for the binary.
pub struct Folder {
    dir: TempDir,
}

impl Default for Folder {
    fn default() -> Self {
        Self::new()
    }
}

impl Folder {
    pub fn new() -> Self {
        let dir = TempDir::new().expect("a temp dir");
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(&tree).expect("the folder");
        std::fs::create_dir_all(dir.path().join("home")).expect("an empty home");
        std::fs::write(
            tree.join("account.yaml"),
            format!(
                "account:\n  id: {ACCOUNT_ID}\n  environment: production\npolicy:\n  \
                 protected_users:\n    - {ADMIN_EMAIL}\n"
            ),
        )
        .expect("account.yaml");
        Self { dir }
    }

    pub fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
}

/// A runtime of its own for the emulator, its threads named so, while the binary runs in a
/// process of its own.
pub fn emulator_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(EMULATOR_THREADS)
        .enable_all()
        .build()
        .expect("the emulator's runtime")
}

/// `docusign-gitops seats DIR --format json --envelope-checks CAP` against a fresh emulator
/// of `account` under `config`, connected through the environment only, as CI runs it.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    account: &Account,
    folder: &Folder,
    cap: usize,
) -> SeatsRun {
    let running = runtime
        .block_on(runtime.spawn(emulated::start(config.clone(), account.clone())))
        .expect("start the emulator");
    let start = Instant::now();
    let output = Command::new(BINARY)
        .arg("seats")
        .arg(folder.tree())
        .args(["--format", "json", "--envelope-checks", &cap.to_string()])
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", folder.home())
        .env("DOCUSIGN_AUTH_SERVER", &running.url)
        .env("DOCUSIGN_ACCESS_TOKEN", TOKEN)
        .env("DOCUSIGN_ACCOUNT_ID", ACCOUNT_ID)
        .stdin(Stdio::null())
        .output()
        .expect("run docusign-gitops");
    let wall = start.elapsed();
    assert_eq!(
        output.status.code(),
        Some(0),
        "seats --envelope-checks {cap}: exit code\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "seats --format json: {err}\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let stats = running.shared.stats();
    let mut split = Split::default();
    for (endpoint, count) in &stats.calls {
        let slot = if endpoint == "GET /restapi/v2.1/accounts/{accountId}" {
            &mut split.account
        } else if endpoint == "GET /restapi/v2.1/accounts/{accountId}/users" {
            &mut split.pages
        } else if endpoint == "GET /restapi/v2.1/accounts/{accountId}/envelopes" {
            &mut split.envelopes
        } else {
            eprintln!("unexpected call: {endpoint} ×{count}");
            &mut split.other
        };
        *slot += count;
    }
    assert_eq!(
        split.total(),
        served(&running).total,
        "every call the emulator served is in its per-endpoint counts"
    );
    drop(running);
    SeatsRun {
        wall,
        served: split,
        rejections: stats.rate_limit_rejections,
        report,
    }
}

fn emails(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["email"].as_str().expect("an email").to_owned())
        .collect()
}

/// What a run must show: exactly the minimum's calls, split as the minimum is (the report's
/// own count agreeing), none refused; every user it calls idle idle by the account itself,
/// all of them when nothing was left out, and every user left out beyond the cap. Returns
/// what is wrong, if anything.
pub fn check(
    run: &SeatsRun,
    built: &SeatsAccount,
    reading: Reading,
    minimum: &SeatsMinimum,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let made = run.served;
    let want = Split {
        pages: minimum.pages,
        account: minimum.account,
        envelopes: minimum.envelopes,
        other: 0,
    };
    if made != want {
        wrong.push(format!(
            "calls: the emulator served {} ({} pages + {} account + {} envelope lists + {} \
             other), the minimum is {}",
            made.total(),
            made.pages,
            made.account,
            made.envelopes,
            made.other,
            minimum.arithmetic()
        ));
    }
    let reported = &run.report["calls"];
    let own = (
        reported["users"].as_u64(),
        reported["account"].as_u64(),
        reported["envelopes"].as_u64(),
        reported["total"].as_u64(),
    );
    if own
        != (
            Some(made.pages),
            Some(made.account),
            Some(made.envelopes),
            Some(made.total()),
        )
    {
        wrong.push(format!(
            "the report counts its calls as {reported}, the emulator served {made:?}"
        ));
    }
    if run.rejections > 0 {
        wrong.push(format!(
            "the emulator refused {} call(s) for the limits",
            run.rejections
        ));
    }
    let truth = built.idle(reading);
    let idle = emails(&run.report["idle"]);
    let not_idle: Vec<&String> = idle.difference(&truth).collect();
    if !not_idle.is_empty() {
        wrong.push(format!(
            "{} user(s) reported idle who are not: {:?}",
            not_idle.len(),
            not_idle.iter().take(5).collect::<Vec<_>>()
        ));
    }
    let left_out = minimum.idle_by_dates.saturating_sub(minimum.cap);
    if left_out == 0 && idle != truth {
        wrong.push(format!(
            "{} idle reported, {} idle by the account",
            idle.len(),
            truth.len()
        ));
    }
    let not_judged = run.report["not_judged"].as_array().expect("a list");
    let beyond = not_judged
        .iter()
        .filter(|item| {
            item["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains("beyond --envelope-checks"))
        })
        .count();
    if (not_judged.len(), beyond) != (left_out, left_out) {
        wrong.push(format!(
            "{} not judged ({beyond} beyond the cap), {left_out} left beyond the cap by the \
             account",
            not_judged.len()
        ));
    }
    wrong
}

/// The emulator as DocuSign's production serves it, or, for a run over the hourly budget,
/// with the hourly limit lifted, a burst cap twenty times DocuSign's and no latency.
pub fn over_budget_config(reading: Reading) -> Config {
    reading.config(Config {
        hourly_limit: u32::MAX,
        burst_limit: 10_000,
        latency: Duration::ZERO,
        ..Config::default()
    })
}

/// The share of the hourly budget the CLI's client spends (it leaves the rest to other
/// integrations): a run needing more can't finish at DocuSign's limits.
pub fn client_hourly_share() -> u64 {
    let reserve = docusign_gitops::docusign::ClientSettings::default().reserve_share;
    let share = f64::from(HOURLY_LIMIT) * (1.0 - reserve);
    // 3,000 × 0.8: exact, small and positive.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let share = share.round() as u64;
    share
}
