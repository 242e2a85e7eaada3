//! Raw command-line arguments, as clap parses them. No behaviour lives here: each command
//! turns its `*Args` into settings in `cli::run`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// What `--version` says: the package's version and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("DOCUSIGN_GITOPS_BUILT_FROM"),
    ")"
);

/// Manage a DocuSign eSignature account's users, groups, permission profiles and signing
/// groups as YAML in git: validate, plan, apply, detect drift, import.
#[derive(Debug, Parser)]
#[command(name = "docusign-gitops", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the desired-state YAML without calling DocuSign.
    ///
    /// Reads every *.yaml/*.yml file under DIR (hidden folders skipped), reports every problem
    /// with the file and line, and exits 1 if there is any; otherwise prints a summary.
    Validate(ValidateArgs),
    /// Show the ordered changes that would take the live account to the desired state.
    ///
    /// Exit codes: 0 the plan was made (with --detailed-exitcode: and it is empty); 2 with
    /// --detailed-exitcode, there are changes; 3 refused: past a `policy.limits` guard (see
    /// --allow) or against a rule that never bends; 1 an error (bad YAML, no connection).
    ///
    /// Credentials come from the environment, never from flags or the YAML: `DOCUSIGN_ACCESS_TOKEN`;
    /// or `DOCUSIGN_CLIENT_ID` + `DOCUSIGN_CLIENT_SECRET` + `DOCUSIGN_REFRESH_TOKEN_FILE`; or
    /// `DOCUSIGN_CLIENT_ID` + `DOCUSIGN_USER_ID` + `DOCUSIGN_PRIVATE_KEY_FILE` or
    /// `DOCUSIGN_PRIVATE_KEY`, the PEM itself (JWT, for CI). Also
    /// `DOCUSIGN_AUTH_SERVER`, `DOCUSIGN_ACCOUNT_ID`, `DOCUSIGN_BASE_URL`. `auth check` tries them.
    Plan(PlanArgs),
    /// Execute a reviewed plan and record the new state in the repo.
    ///
    /// Exit codes: 0 everything done and confirmed; 3 refused (a guard or a rule), nothing
    /// applied; 1 an error, or a step that failed or couldn't be confirmed. Credentials as for
    /// `plan`.
    Apply(ApplyArgs),
    /// Show saved plans again, as text, markdown or JSON; several as one view of a workspace.
    ///
    /// One file (`plan --out`) is shown as `plan` showed it. Several (say, one per account from
    /// the jobs of a CI matrix, each `plan WORKSPACE --account NAME --out`) are shown as one
    /// plan of a workspace: one pull-request comment with a table of the accounts first. Reads
    /// only the files; never calls DocuSign.
    Show(ShowArgs),
    /// Report what changed in DocuSign outside git since the last apply.
    Drift(DriftArgs),
    /// Report seats bought and used, invitations never accepted, users closed this billing
    /// period, and active users with no sign of use; every figure with its source.
    ///
    /// Reads what plan reads, one call for the plan figures, and one envelope-list call for each
    /// active user whose dates alone say idle (at most `--envelope-checks`). Never changes
    /// anything. Exit 0.
    Seats(SeatsArgs),
    /// Mark idle users and stale invitations `status: closed` (or give them `--profile`) in
    /// the YAML, with a comment saying why and since when, for the usual review, plan and
    /// apply.
    ///
    /// Candidates are those `seats` reports; the integration user, protected users and users
    /// an identity provider manages (SCIM) never are. Running it again changes nothing.
    Reclaim(ReclaimArgs),
    /// Write desired-state YAML for an existing account.
    ///
    /// Reads the live account and writes its custom permission profiles (every setting),
    /// groups, signing groups and users (closed users aside) as YAML split over files, with the
    /// recorded state that makes them managed, so that `plan` on the result has nothing to
    /// change. Nothing is committed.
    Import(ImportArgs),
    /// Print the JSON Schema of the desired-state YAML, or write it beside the YAML.
    ///
    /// Editors with the YAML language server (VS Code's YAML extension, Neovim and others)
    /// complete and check each file against the schema its first line names:
    /// `# yaml-language-server: $schema=desired-state.schema.json` (with `../` in front in a
    /// folder below), a copy beside the YAML. `import` writes that copy and the examples carry
    /// one; after upgrading docusign-gitops, refresh it with
    /// `schema --out DIR/desired-state.schema.json`.
    Schema(SchemaArgs),
    /// Check the credentials: who am I, which account, remaining API budget.
    Auth(AuthArgs),
    /// Run the DocuSign API emulator as a server.
    Emulator(EmulatorArgs),
    /// Find out how a demo account behaves where DocuSign's documentation is silent.
    ///
    /// Creates a temporary permission profile, group, signing group and user (named
    /// `docusign-gitops probe <timestamp>`), exercises each behaviour this tool depends on,
    /// reads the account back after each call, and removes everything again, also after a
    /// failure or Ctrl-C. DocuSign can't delete a user: the temporary user stays, closed.
    /// Prints a table of the findings and writes them as JSON for `emulator --behaviour`.
    /// Refuses production accounts. About 40 API calls (more with --spend-burst).
    Probe(ProbeArgs),
    /// Write the users a directory gives (an HR export, LDAP or Active Directory, a SCIM
    /// export) as YAML, by the `sync` section's sources and rules.
    ///
    /// Each source's users go to `generated/<source>.yaml` beside the hand-written files, in a
    /// stable order, so a pull request shows exactly who joined, moved or left. Nothing is
    /// written unless every source was read and mapped. Never calls DocuSign. Exit codes: 0
    /// done (with --check: nothing would change); 2 with --check, a file would change; 1 an
    /// error. LDAP credentials come from the environment variables the source names.
    Sync(SyncArgs),
    /// Print the completion script for a shell.
    ///
    /// bash: `docusign-gitops completions bash > /etc/bash_completion.d/docusign-gitops`;
    /// zsh: `docusign-gitops completions zsh > "${fpath[1]}/_docusign-gitops"`;
    /// fish: `docusign-gitops completions fish > ~/.config/fish/completions/docusign-gitops.fish`.
    Completions(CompletionsArgs),
    /// Print the man page (roff): `docusign-gitops man > docusign-gitops.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The directory that holds the desired-state YAML and its `sync` section, or a workspace
    /// (every account with a `sync` section generates into its own folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// In a workspace: only this account (its name in `workspace.yaml`).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Write nothing; exit 2 when a generated file would change (for CI).
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// A directory whose desired-state YAML names the account (`account:`); none is needed.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// A throwaway address for the temporary user; DocuSign mails it an invitation. A
    /// plus-address of your own works well: `you+probe@example.com`.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// Agree to the changes probe lists, without being asked.
    #[arg(long)]
    pub yes: bool,
    /// Also spend the rest of the 30-second burst limit on cheap GETs, to see how DocuSign
    /// refuses (400 or 429); other integrations on the account may be refused meanwhile.
    #[arg(long)]
    pub spend_burst: bool,
    /// Where to write the findings (JSON, for `emulator --behaviour`).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "docusign-gitops-probe.json"
    )]
    pub out: PathBuf,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to FILE instead of printing it, creating its folder if need be.
    /// Beside the YAML in DIR: `DIR/desired-state.schema.json`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// What a command works on: a desired-state directory, or one account of a workspace.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The directory that holds the desired-state YAML, or a workspace of several accounts (a
    /// directory with `workspace.yaml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// In a workspace, the account to work on (`validate`: all of them when left out).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also save the plan as JSON, for `apply --plan` (on a workspace: every account's plan).
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// How to show the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub allowance: AllowArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `--allow`, which `plan` and `apply` each take for themselves: `apply --plan` plans again with
/// its own, so an allowance given to `plan` allows nothing at apply.
#[derive(Debug, Args)]
pub struct AllowArgs {
    /// Let a plan past a `policy.limits` limit through: user-closures, membership-removals,
    /// admin-grants. Repeat for several; `apply` needs its own, even with `--plan`.
    #[arg(
        long,
        value_parser = Trimmed,
        value_name = "CLASS",
        env = "DOCUSIGN_GITOPS_ALLOW",
        value_delimiter = ','
    )]
    /// (An empty entry, as an unset CI variable gives, allows nothing.)
    pub allow: Vec<Option<AllowClass>>,
}

/// Reads an [`AllowClass`] with the spaces around it ignored, so `DOCUSIGN_GITOPS_ALLOW` can
/// be written `user-closures, admin-grants`, as people write lists; an empty entry (an unset
/// CI variable is often an empty one) is none.
#[derive(Clone, Copy, Debug)]
struct Trimmed;

impl clap::builder::TypedValueParser for Trimmed {
    type Value = Option<AllowClass>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Option<AllowClass>, clap::Error> {
        let trimmed = value
            .to_str()
            .map_or_else(|| value.to_owned(), |text| text.trim().into());
        if trimmed.is_empty() {
            return Ok(None);
        }
        clap::builder::EnumValueParser::<AllowClass>::new()
            .parse_ref(cmd, arg, &trimmed)
            .map(Some)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            AllowClass::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// A guarded change class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AllowClass {
    /// Closing more users than `policy.limits.user_closures`.
    UserClosures,
    /// Removing more memberships than `policy.limits.membership_removals`.
    MembershipRemovals,
    /// Granting admin-capable profiles more than `policy.limits.admin_grants`.
    AdminGrants,
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // each is an independent command-line switch
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The reviewed plan to execute; refused unless a plan made now is the same.
    ///
    /// Apply plans again from DIR and the live account and executes that plan, after checking
    /// the file is the same plan: made for this account from the same YAML (by digest), against
    /// the same account state and recorded state, with the same steps in the same order.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// Don't ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Write the recorded state but don't commit it.
    #[arg(long)]
    pub no_commit: bool,
    /// Apply YAML that git hasn't committed (refused otherwise, so what is applied is what a
    /// commit holds; the recorded state then names no commit). `--emulator` never needs it.
    #[arg(long)]
    pub allow_uncommitted: bool,
    /// On a workspace: apply no account unless every account is ready (its YAML valid, its
    /// credentials accepted, its saved plan current, no guard refusing). Without it, each
    /// account that is ready is applied and the others fail alone.
    #[arg(long)]
    pub all_or_nothing: bool,
    #[command(flatten)]
    pub allowance: AllowArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The saved plans (`plan --out`): one account's, or a workspace's.
    #[arg(required = true, value_name = "PLAN.json")]
    pub plans: Vec<PathBuf>,
    /// How to show them.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// What a command that reads accounts and reports (`drift`, `seats`) takes.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How to show the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also save the report as JSON.
    #[arg(long, value_name = "REPORT.json")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Which users count as idle or stale, shared by `seats` and `reclaim`.
#[derive(Clone, Debug, Args)]
pub struct UsageArgs {
    /// An active user with no sign of use (login, assignment, envelope created) for this many
    /// days is idle.
    #[arg(long, default_value_t = 90, value_name = "DAYS")]
    pub idle_days: u32,
    /// An invitation not accepted after this many days is stale.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub pending_days: u32,
    /// At most this many envelope-list calls (one per user the dates alone leave idle); users
    /// beyond it are reported as not judged, never as idle.
    #[arg(long, default_value_t = 300, value_name = "CALLS")]
    pub envelope_checks: usize,
}

#[derive(Debug, Args)]
pub struct SeatsArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub usage: UsageArgs,
}

#[derive(Debug, Args)]
pub struct ReclaimArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub usage: UsageArgs,
    /// Give idle users this permission profile instead of closing them (stale invitations
    /// are closed either way).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Only list what would be marked, and exit 2 when anything would be.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where to write the YAML and the recorded state: a new or empty directory (a lone
    /// `.git` is fine).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a directory that already holds files, replacing only the files import
    /// writes; any other file stays, and is read as desired state too if it is YAML.
    #[arg(long)]
    pub force: bool,
    /// Import several accounts into one workspace at DIR, one `--account NAME=ACCOUNT_ID` each
    /// (NAME alone with `--emulator`): each account in the folder NAME, and what every account
    /// holds alike written once, in `shared/`.
    #[arg(long = "account", value_name = "NAME=ACCOUNT_ID")]
    pub accounts: Vec<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Who am I, which account, remaining API budget, and can I administer it.
    ///
    /// Credentials come from the environment: DOCUSIGN_ACCESS_TOKEN; or DOCUSIGN_CLIENT_ID +
    /// DOCUSIGN_CLIENT_SECRET + `DOCUSIGN_REFRESH_TOKEN_FILE` (or DOCUSIGN_REFRESH_TOKEN for
    /// one run); or DOCUSIGN_CLIENT_ID +
    /// DOCUSIGN_USER_ID + DOCUSIGN_PRIVATE_KEY_FILE, or `DOCUSIGN_PRIVATE_KEY` holding the PEM
    /// itself (JWT grant, the way CI should run). The
    /// account and environment are the YAML's in DIR, as for `plan`, unless the environment
    /// names them.
    Check(AuthCheckArgs),
}

#[derive(Debug, Args)]
pub struct AuthCheckArgs {
    /// The directory whose desired-state YAML names the account (`account:`); none is needed.
    /// On a workspace, every account is checked, each with its own credentials when it has them.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// In a workspace, the one account to check.
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Where DocuSign is. Credentials are read from the environment only, never from flags, so
/// they don't land in shell history or process lists.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// The API account ID to manage (else `account.id` in the YAML, else the user's default).
    #[arg(long, env = "DOCUSIGN_ACCOUNT_ID", value_name = "GUID")]
    pub account_id: Option<String>,
    /// The OAuth server: `account-d.docusign.com` (demo), `account.docusign.com`
    /// (production), or a URL.
    #[arg(long, env = "DOCUSIGN_AUTH_SERVER", value_name = "HOST")]
    pub auth_server: Option<String>,
    /// The account's API base (`https://demo.docusign.net`); skips account discovery.
    #[arg(long, env = "DOCUSIGN_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Run against an in-process emulator with the sample account instead of DocuSign.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // each is an independent command-line switch
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "DOCUSIGN_EMULATOR_LISTEN"
    )]
    pub listen: SocketAddr,
    /// Account to start with (YAML, or JSON by its `.json` extension); the sample account
    /// (the examples' company, with some hand-made drift) when absent.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Keep the account in this file across restarts (read at start when it exists).
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// How long every API call takes, in milliseconds, from its arrival to its answer (the
    /// emulator's own work inside that time, as DocuSign's is inside a real call's).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Up to this many more milliseconds of random delay.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Share of API calls, from 0 to 1, that fail: 500/503, a burst-limit refusal, or a dropped
    /// connection before or after the call took effect.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_share)]
    pub fault_rate: f64,
    /// Seed for faults, jitter and generated IDs, to repeat a run; the printed credentials are
    /// then drawn from it too, the same on every start.
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,
    /// Print the same credentials on every start (drawn from the seed) instead of fresh ones.
    #[arg(long)]
    pub fixed_credentials: bool,
    /// Behave like the demo environment: a 200-call burst limit instead of 500.
    #[arg(long)]
    pub demo: bool,
    /// Behave as a `probe` found an account to behave: the JSON `probe --out` wrote.
    ///
    /// Sets the switches below, and the hourly and burst limits, from the file; what the probe
    /// could not tell keeps its default. A flag given here wins over the file, so one reading
    /// can be tried against the account's others.
    #[arg(long, value_name = "FILE")]
    pub behaviour: Option<PathBuf>,
    /// Calls per clock hour per account [default: 3000].
    #[arg(long, value_name = "N")]
    pub hourly_limit: Option<u32>,
    /// Calls per 30 seconds per account [default: 500, or 200 with `--demo`].
    #[arg(long, value_name = "N")]
    pub burst_limit: Option<u32>,
    /// HTTP status of a rate-limit refusal: DocuSign's historical 400, or 429 [default: 400].
    #[arg(long, value_name = "STATUS", value_parser = ["400", "429"])]
    pub rate_limit_status: Option<String>,
    /// Which calls change an existing user's permission profile [default: all].
    #[arg(long, value_enum)]
    pub profile_change_via: Option<ProfileChangeVia>,
    /// Leave `groupList` out of user records.
    #[arg(long)]
    pub no_group_list: bool,
    /// Joining a group that carries a permission profile gives the user that profile.
    #[arg(long)]
    pub group_profile_on_join: bool,
    /// Leave `permissionProfileId`/`permissionProfileName` out of the answers to bulk
    /// `PUT /users` and `PUT /users/{userId}`.
    #[arg(long)]
    pub no_profile_echo: bool,
    /// Creating a closed user's exact user name and email makes a new user beside the closed
    /// one, instead of reopening it with its user ID.
    #[arg(long)]
    pub reopen_makes_new_user: bool,
    /// What `lastLogin` user records carry: each user's own, DocuSign's "never" value for
    /// everyone, or no field [default: never].
    #[arg(long, value_enum, value_name = "HOW")]
    pub last_login: Option<LastLoginReport>,
    /// Only `Active` users count in the account's `seatsInUse`, not pending invitations or
    /// disabled users.
    #[arg(long)]
    pub seats_active_only: bool,
    /// `GET /envelopes` ignores `user_id` (as a note in DocuSign's reference says it does): the
    /// list stays the caller's own.
    #[arg(long)]
    pub no_envelope_user_id: bool,
    /// Every list page (users, groups, group members, envelopes) answers at most N items even
    /// when `count` asks for more, with paging fields to match (DocuSign's `count` is only a
    /// maximum) [default: no cap].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub page_cap: Option<u16>,
    /// The account has no signing groups: every `/signing_groups` call is refused with a 400
    /// `ACCOUNT_LACKS_PERMISSIONS`, as for a feature its plan lacks.
    #[arg(long)]
    pub no_signing_groups: bool,
    /// HTTP status of a bulk answer in which some items failed; the per-item body is the same
    /// [default: success].
    #[arg(long, value_enum, value_name = "STATUS")]
    pub item_failure_status: Option<ItemFailureStatus>,
    /// Per-item error codes: the emulator's names, or `INVALID_REQUEST_PARAMETER` for every
    /// code DocuSign doesn't document [default: emulator].
    #[arg(long, value_enum, value_name = "CODES")]
    pub item_error_codes: Option<ItemErrorCodes>,
    /// OAuth client (integration key) the emulator accepts; a secret is made up when absent.
    #[arg(long, value_name = "ID", requires = "client_secret")]
    pub client_id: Option<String>,
    /// That client's secret.
    #[arg(long, value_name = "SECRET", requires = "client_id")]
    pub client_secret: Option<String>,
    /// PEM RSA public key that verifies JWT-bearer assertions for the integration user.
    #[arg(long, value_name = "FILE")]
    pub jwt_public_key: Option<PathBuf>,
    /// The auth host that JWT assertions must name in `aud`.
    #[arg(long, value_name = "HOST", default_value = "account-d.docusign.com")]
    pub auth_host: String,
}

/// Which endpoint changes a user's permission profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileChangeVia {
    /// Every one of the three.
    All,
    /// `PUT /users/{userId}` only.
    PutUser,
    /// `PUT /users/{userId}/profile` only.
    PutProfile,
    /// Bulk `PUT /users` only.
    BulkPutUsers,
}

/// What the emulator's user records say of the last login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LastLoginReport {
    /// Each user's last sign-in (DocuSign's "never" value for one who never signed in).
    Reported,
    /// DocuSign's "never" value, `0001-01-01T08:00:00.0000000Z`, for everyone.
    Never,
    /// No `lastLogin` field.
    Absent,
}

/// The status of a bulk answer with failed items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ItemFailureStatus {
    /// The call's success status (200, or 201 for creates).
    #[value(name = "success")]
    Success,
    /// 400 Bad Request.
    #[value(name = "400")]
    BadRequest,
}

/// Whose error codes the items of a bulk answer carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ItemErrorCodes {
    /// The emulator's own names.
    Emulator,
    /// `INVALID_REQUEST_PARAMETER` wherever DocuSign documents no code.
    Generic,
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err("a share from 0 to 1, such as 0.05".to_owned()),
    }
}

/// Output format for plans and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a terminal.
    Text,
    /// For a pull-request comment or an issue.
    Markdown,
    /// For machines.
    Json,
}
