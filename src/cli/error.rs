//! What the commands themselves refuse or fail at (the other modules' errors pass through as
//! they are): one error type, each case saying how to go on. Every path or name that came from
//! outside is shown as given; none of them holds a secret.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use crate::desired::workspace::Workspace;

/// How to hand apply the plan it checks.
const PASS_THE_PLAN: &str = "pass the file `docusign-gitops plan --out PLAN.json` wrote";

/// An error of a command, before or around the work the other modules do.
#[derive(Debug, Error, Diagnostic)]
pub enum CliError {
    /// Apply runs what a commit holds (rule 9).
    #[error("the desired state has changes git hasn't committed: {files}; nothing was applied")]
    #[diagnostic(
        code(cli::uncommitted),
        help(
            "commit them (or stash them) and apply again, so the recorded state names the commit that was applied; or pass --allow-uncommitted"
        )
    )]
    Uncommitted {
        /// The files, each in backticks, relative to the repository.
        files: String,
    },

    #[error("can't read the plan `{}`: {reason}", path.display())]
    #[diagnostic(
        code(cli::plan_unreadable),
        help("{}, readable by this user", PASS_THE_PLAN)
    )]
    PlanUnreadable { path: PathBuf, reason: String },

    #[error("the plan `{}` is not a regular file; nothing was applied", path.display())]
    #[diagnostic(code(cli::plan_not_a_file), help("{}", PASS_THE_PLAN))]
    PlanNotAFile { path: PathBuf },

    #[error(
        "the plan `{}` is larger than {megabytes} MB, far beyond any plan; nothing was applied",
        path.display()
    )]
    #[diagnostic(code(cli::plan_too_large), help("{}", PASS_THE_PLAN))]
    PlanTooLarge { path: PathBuf, megabytes: u64 },

    #[error(
        "`{}` is a plan of format {found}, and this docusign-gitops reads format {supported}",
        path.display()
    )]
    #[diagnostic(
        code(cli::plan_format),
        help("plan again with this version of docusign-gitops")
    )]
    PlanFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// Says where the file stops being a plan, never what it holds.
    #[error(
        "`{}` is not a docusign-gitops plan: {what} (line {line}, column {column}); nothing was applied",
        path.display()
    )]
    #[diagnostic(
        code(cli::not_a_plan),
        help("apply the file `docusign-gitops plan --out PLAN.json` wrote, unchanged")
    )]
    NotAPlan {
        path: PathBuf,
        what: &'static str,
        line: usize,
        column: usize,
    },

    #[error("apply asks for confirmation, and stdin is not a terminal; nothing was applied")]
    #[diagnostic(
        code(cli::apply_unconfirmed),
        help(
            "review the plan above, then run again with --auto-approve, or apply a saved plan with --plan"
        )
    )]
    ApplyUnconfirmed,

    #[error(
        "probe changes the account and asks first, and stdin is not a terminal; nothing was changed"
    )]
    #[diagnostic(
        code(cli::probe_unconfirmed),
        help("read what it does above, then run again with --yes")
    )]
    ProbeUnconfirmed,

    #[error(
        "DocuSign refuses this account's signing groups (a feature it can leave off), and the YAML declares {declared}; nothing was changed"
    )]
    #[diagnostic(
        code(cli::signing_groups_off),
        help(
            "turn signing groups on for the account (eSignature Admin, or ask DocuSign), or take `signing_groups` out of the YAML"
        )
    )]
    SigningGroupsOff { declared: usize },

    #[error("can't read the answer: {reason}")]
    #[diagnostic(
        code(cli::answer),
        help(
            "run again and type `yes`, or go ahead without asking: apply --auto-approve, probe --yes"
        )
    )]
    Answer { reason: String },

    #[error("{reason}")]
    #[diagnostic(
        code(cli::emulator),
        help(
            "`--emulator` keeps its account in `.docusign-gitops/emulator/account.json` under the directory; remove that file to start again from the sample"
        )
    )]
    Emulator { reason: String },

    #[error("can't keep the emulator account in `{path}`: {reason}")]
    #[diagnostic(code(cli::emulator_folder))]
    EmulatorFolder {
        path: String,
        reason: String,
        #[help]
        help: &'static str,
    },

    #[error("can't read the emulator account: {reason}")]
    #[diagnostic(code(cli::emulator_account))]
    EmulatorAccount {
        reason: String,
        #[help]
        help: &'static str,
    },

    #[error("can't write the emulator folder's `.gitignore`: {reason}")]
    #[diagnostic(
        code(cli::emulator_gitignore),
        help("check that the directory is writable by this user")
    )]
    EmulatorGitignore { reason: String },

    #[error("can't create the directory `{}`: {reason}", path.display())]
    #[diagnostic(
        code(cli::create_directory),
        help("check that its parent is a writable directory")
    )]
    CreateDirectory { path: PathBuf, reason: String },

    #[error("there is no recorded state for account {account} in `{}`", path.display())]
    #[diagnostic(
        code(cli::no_recorded_state),
        help(
            "run `docusign-gitops apply` (or `import`) first; drift compares DocuSign with what the last apply recorded"
        )
    )]
    NoRecordedState { account: String, path: PathBuf },

    #[error("`{}` is a file, not a directory", path.display())]
    #[diagnostic(
        code(cli::import_into_file),
        help("give --out a directory: a new one, or an empty one")
    )]
    ImportIntoFile { path: PathBuf },

    #[error("can't read the directory `{}`: {reason}", path.display())]
    #[diagnostic(
        code(cli::import_directory),
        help("check that the directory is readable by this user, or import into a new one")
    )]
    ImportDirectory { path: PathBuf, reason: String },

    #[error("`{}` is not empty (it holds {found}); nothing was imported", path.display())]
    #[diagnostic(
        code(cli::import_not_empty),
        help(
            "import into a new or empty directory, or pass --force to replace the files import writes (the others stay)"
        )
    )]
    ImportNotEmpty {
        path: PathBuf,
        /// A few of the names found, in backticks.
        found: String,
    },

    #[error("can't copy the emulator account `{}` to `{}`: {reason}", from.display(), to.display())]
    #[diagnostic(
        code(cli::import_emulator_account),
        help(
            "check that the directory is writable, or remove `.docusign-gitops/emulator/account.json` here to import the fresh sample"
        )
    )]
    ImportEmulatorAccount {
        from: PathBuf,
        to: PathBuf,
        reason: String,
    },

    /// A file import writes is a link out of the directory, or not a regular file.
    #[error("can't write `{}`: {reason}; nothing more was imported", path.display())]
    #[diagnostic(code(cli::import_refused))]
    ImportRefused {
        path: PathBuf,
        reason: String,
        #[help]
        help: &'static str,
    },

    #[error("can't write `{}`: {reason}", path.display())]
    #[diagnostic(
        code(cli::import_write),
        help(
            "check that the directory is writable and the disk not full, then import again with --force"
        )
    )]
    ImportWrite { path: PathBuf, reason: String },

    #[error("no `sync` section in the desired state at `{}`", dir.display())]
    #[diagnostic(
        code(cli::no_sync_section),
        help(
            "add one (say in sources.yaml): `sync:` with `sources:` (each a name and one of `csv:`, `ldap:`, `scim:`) and `rules:`"
        )
    )]
    NoSyncSection { dir: PathBuf },

    #[error("`--account {account}` names an account of a workspace, and `{}` is no workspace", dir.display())]
    #[diagnostic(
        code(cli::not_a_workspace),
        help("run on the folder that holds `workspace.yaml`, or leave `--account` out")
    )]
    NotAWorkspace { dir: PathBuf, account: String },

    #[error("`--profile {profile}` names no permission profile of this account")]
    #[diagnostic(
        code(cli::unknown_reclaim_profile),
        help("name a built-in profile or one the YAML declares under `permission_profiles`")
    )]
    UnknownReclaimProfile { profile: String },

    #[error("`{}` is a workspace of several accounts; name the one to work on", dir.display())]
    #[diagnostic(
        code(cli::whole_workspace),
        help(
            "pass `--account NAME`, one of {known}; `validate`, `plan` and `apply` also take the whole workspace"
        )
    )]
    WholeWorkspace { dir: PathBuf, known: String },

    #[error("the plan `{}` holds {holds}, and this apply needs {wanted}; nothing was applied", path.display())]
    #[diagnostic(
        code(cli::saved_plan_kind),
        help(
            "apply a workspace's plan to the workspace (or to one of its accounts with `--account NAME`), and one account's plan to that account's folder"
        )
    )]
    SavedPlanKind {
        path: PathBuf,
        holds: &'static str,
        wanted: &'static str,
    },

    #[error("the plan `{}` holds no plan for the account `{account}`: {why}; nothing was applied to it", path.display())]
    #[diagnostic(
        code(cli::saved_plan_lacks_account),
        help("plan the workspace again, have the plan reviewed, and apply that file")
    )]
    SavedPlanLacksAccount {
        path: PathBuf,
        account: String,
        why: &'static str,
    },

    #[error("{setting} names one account, and this run is on every account of a workspace")]
    #[diagnostic(
        code(cli::workspace_one_account_setting),
        help(
            "leave it unset: each account is the one its `account` section names, found through its user's accounts; or narrow the run with `--account NAME`"
        )
    )]
    WorkspaceOneAccountSetting { setting: &'static str },

    #[error("can't import `--account {given}`: {reason}")]
    #[diagnostic(
        code(cli::import_account),
        help(
            "name each account of the workspace and give its API account ID: `--account production=5d2c8f41-…` (with --emulator, `--account production`)"
        )
    )]
    ImportAccount { given: String, reason: &'static str },

    #[error("two of the plans are for the account `{account}`")]
    #[diagnostic(
        code(cli::show_same_account),
        help("show each account's plan once: the files of one plan run, one per account")
    )]
    ShowSameAccount { account: String },

    #[error("the workspace has no account `{account}`")]
    #[diagnostic(code(cli::unknown_account), help("its accounts: {known}"))]
    UnknownAccount { account: String, known: String },

    #[error("can't write `{path}`: {reason}; no generated file was left half-written")]
    #[diagnostic(
        code(cli::sync_write),
        help("check that the directory is writable and the disk not full, then run sync again")
    )]
    SyncWrite { path: String, reason: String },

    #[error("the source `{source_name}` can't be written as YAML: {reason}")]
    #[diagnostic(
        code(cli::sync_yaml),
        help("this is a bug in docusign-gitops; please report it")
    )]
    SyncYaml { source_name: String, reason: String },

    /// What was given is shown with its control characters visible.
    #[error("`{given}` is not an email address; nothing was changed")]
    #[diagnostic(
        code(cli::probe_email),
        help(
            "give a throwaway address you can read, such as a plus-address: `--email you+probe@example.com`"
        )
    )]
    ProbeEmail { given: String },

    #[error(
        "`{}` is not a directory; give the one that holds your desired-state YAML, or none",
        path.display()
    )]
    #[diagnostic(
        code(cli::probe_directory),
        help("run probe in the folder of your desired-state YAML, or pass that folder")
    )]
    ProbeDirectory { path: PathBuf },

    #[error(
        "the YAML in `{}` has errors, and probe reads its `account`; nothing was changed",
        path.display()
    )]
    #[diagnostic(
        code(cli::probe_yaml),
        help(
            "fix the problems above (`docusign-gitops validate` lists them), then run probe again"
        )
    )]
    ProbeYaml { path: PathBuf },

    #[error("probe refuses production: {why}; nothing was changed")]
    #[diagnostic(
        code(cli::probe_production),
        help(
            "probe creates and closes users and changes profiles, so it runs only against a demo (developer) account: point it at one with DOCUSIGN_AUTH_SERVER=account-d.docusign.com and its credentials"
        )
    )]
    ProbeProduction { why: String },

    #[error("the probe stopped: {stop}")]
    #[diagnostic(
        code(cli::probe_stopped),
        help(
            "the account is as it was, apart from what the lines above say is left; run the probe again later"
        )
    )]
    ProbeStopped { stop: String },

    #[error("can't write the findings to `{}`: {reason}; they are printed above", path.display())]
    #[diagnostic(
        code(cli::probe_findings),
        help("give --out a file in a writable folder, and run the probe again")
    )]
    ProbeFindings { path: PathBuf, reason: String },
}

impl CliError {
    pub(super) fn unknown_account(account: &str, workspace: &Workspace) -> Self {
        Self::UnknownAccount {
            account: account.to_owned(),
            known: super::known_accounts(workspace),
        }
    }

    pub(super) fn create_directory(path: &Path, err: &std::io::Error) -> Self {
        Self::CreateDirectory {
            path: path.to_path_buf(),
            reason: err.to_string(),
        }
    }
}
