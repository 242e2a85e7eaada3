//! What plan and apply share: connecting to the account the YAML names (or the in-process
//! emulator), reading it, and reading the recorded state the last apply left.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::{AllowClass, ConnectionArgs};
use super::connection::{self, AccountHint, Served, ServedAccount, Target};
use super::error::CliError;
use crate::confined::{Confinement, FileError};
use crate::desired::Desired;
use crate::desired::checked::Environment;
use crate::docusign::connect::{self, Connection};
use crate::docusign::snapshot::{Snapshot, snapshot};
use crate::emulator::SampleAccount;
use crate::model::Account;
use crate::plan::{self, Context, GuardClass, Origin, Plan, RecordedRef, RuleBreach};
use crate::state::{self, RecordedState};

/// A connection to the account, and where its recorded state lives.
pub struct Connected {
    pub connection: Connection,
    /// `demo`, `production` or `emulator`, as the state file records it.
    pub environment: String,
    pub state_path: PathBuf,
    /// The in-process emulator, kept alive as long as the connection.
    pub _emulator: Option<Arc<Served>>,
}

impl Connected {
    #[must_use]
    pub fn account_id(&self) -> &str {
        &self.connection.account.account_id
    }

    /// The email of the user behind the token: as discovery (or userinfo) gave it, else that
    /// of the user in `live` with the token's user ID (the JWT's user). `None` when neither
    /// tells.
    #[must_use]
    pub fn integration_user(&self, live: &Account) -> Option<String> {
        self.integration_user_by(|id| {
            live.users
                .values()
                .find(|user| user.id.as_deref().is_some_and(|found| same_id(found, id)))
                .map(|user| user.email.clone())
        })
    }

    /// The email of the user behind the token, as [`Connected::integration_user`] finds it,
    /// `email_of` giving the email of a user ID where discovery gave none.
    pub fn integration_user_by(
        &self,
        email_of: impl FnOnce(&str) -> Option<String>,
    ) -> Option<String> {
        let account = &self.connection.account;
        if !account.user_email.is_empty() {
            return Some(account.user_email.clone());
        }
        let id = account.user_id.trim();
        (!id.is_empty()).then(|| email_of(id)).flatten()
    }
}

/// Whether two DocuSign user IDs (GUIDs, in any letter case) are one.
#[must_use]
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Where `--emulator` keeps its account between runs, so plan → apply → plan works on one
/// account; ignored by git.
pub(super) fn emulator_state(dir: &Path) -> PathBuf {
    dir.join(".docusign-gitops/emulator/account.json")
}

/// Makes the folder of [`emulator_state`] under `dir` for a command that writes (apply,
/// import), with a `.gitignore`, and returns where the file really is. Nothing is created or
/// written through a link leading out of `dir`.
pub(super) fn prepare_emulator_state(dir: &Path) -> Result<PathBuf, CliError> {
    let path = emulator_state(dir);
    let refused = |err: FileError| CliError::EmulatorFolder {
        path: crate::confined::shown(&path),
        reason: err.to_string(),
        help: err.help(),
    };
    // The directory itself is the user's to name; import may be the one to make it.
    std::fs::create_dir_all(dir).map_err(|err| CliError::create_directory(dir, &err))?;
    let confinement = Confinement::of(dir).map_err(refused)?;
    let relative = path.strip_prefix(dir).unwrap_or(&path);
    let folder = confinement
        .folder(relative.parent().unwrap_or(Path::new("")))
        .map_err(refused)?;
    // Created only when missing, so a link there is never written through.
    let written = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(folder.join(".gitignore"))
    {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, b"# The --emulator account: local only.\n*\n")
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    };
    written.map_err(|err| CliError::EmulatorGitignore {
        reason: err.to_string(),
    })?;
    Ok(folder.join(path.file_name().unwrap_or_default()))
}

/// Where the account `--emulator` kept under `dir` really is, for a command that only reads;
/// `None` when there is none yet. One kept through a link leading out of `dir` is refused.
fn kept_emulator_state(dir: &Path) -> Result<Option<PathBuf>, CliError> {
    let path = emulator_state(dir);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let refused = |err: FileError| CliError::EmulatorAccount {
        reason: err.to_string(),
        help: err.help(),
    };
    let confinement = Confinement::of(dir).map_err(refused)?;
    // Its folder is resolved inside `dir`; the emulator refuses the file itself if it is a link.
    let folder = path.parent().unwrap_or(dir);
    let real = confinement.resolve(folder).map_err(refused)?;
    Ok(Some(real.join(path.file_name().unwrap_or_default())))
}

/// Where `--emulator` serves a target's account from.
#[derive(Clone, Debug)]
pub struct Emulated {
    /// The folder whose `.docusign-gitops/emulator/` keeps the emulator's accounts between runs.
    pub home: PathBuf,
    /// A workspace's accounts, served by one server (so `--account` and a whole-workspace run
    /// see the same accounts), and which of them is the target's; `None` for a folder of one
    /// account, served the sample account alone.
    pub workspace: Option<(Vec<SampleAccount>, usize)>,
}

impl Emulated {
    /// The emulator of a folder of one account.
    pub fn alone(dir: &Path) -> Self {
        Self {
            home: dir.to_path_buf(),
            workspace: None,
        }
    }

    /// Starts the emulator: with its kept accounts, which only a command that writes (apply)
    /// creates; one that reads uses them when they are there, so a plan leaves no file behind.
    pub async fn start(&self, writes: bool) -> Result<Arc<Served>, CliError> {
        let state_file = if writes {
            Some(prepare_emulator_state(&self.home)?)
        } else {
            kept_emulator_state(&self.home)?
        };
        match &self.workspace {
            None => Served::sample(state_file).await,
            Some((accounts, _)) => Served::samples(state_file, accounts).await,
        }
    }

    /// The target's account on `served` (the server a whole-workspace run started for every
    /// account), or on one started now.
    pub async fn account(
        &self,
        writes: bool,
        served: Option<Arc<Served>>,
    ) -> Result<ServedAccount, CliError> {
        let served = match served {
            Some(served) => served,
            None => self.start(writes).await?,
        };
        served.account(self.workspace.as_ref().map_or(0, |(_, index)| *index))
    }
}

/// Connects to the account `target`'s YAML names (flags and environment win), or to its
/// emulator account (on `served` when the caller started the server); `writes` says whether
/// the command changes the account.
pub async fn connect(
    target: &super::Target,
    args: ConnectionArgs,
    writes: bool,
    served: Option<Arc<Served>>,
) -> Result<Connected, miette::Report> {
    let emulated = if args.emulator {
        Some(target.emulated.account(writes, served).await?)
    } else {
        None
    };
    connect_to(
        &target.dir,
        hint_of(&target.loaded.desired),
        args,
        emulated,
        &target.credentials_prefix,
    )
    .await
}

/// The account the YAML names, and whether it is in production.
pub fn hint_of(desired: &Desired) -> Option<AccountHint> {
    desired.account.as_ref().map(|account| AccountHint {
        id: account.id.clone(),
        production: account.environment == Environment::Production,
    })
}

/// Connects as [`connect`] does, with the account the YAML names as `hint` (`None` for
/// import, which has no YAML yet: flags and environment name the account) and the emulator
/// account `emulated` for `--emulator`; the credentials are those `prefix` starts (see
/// [`connection::resolve`]).
pub async fn connect_to(
    dir: &Path,
    hint: Option<AccountHint>,
    args: ConnectionArgs,
    emulated: Option<ServedAccount>,
    prefix: &str,
) -> Result<Connected, miette::Report> {
    let emulator = args.emulator;
    let Target {
        settings,
        _emulator: served,
    } = connection::resolve(args, hint, emulated, prefix).await?;
    let production = connection::is_production(&settings.auth_server);
    let connection = connect::connect(settings)
        .await
        .map_err(miette::Report::new)?;
    if let Some(warning) = &connection.warning {
        // It names accounts as DocuSign holds them.
        errln!("warning: {}", crate::model::controls::visible(warning));
    }
    let environment = if emulator {
        "emulator"
    } else if production {
        "production"
    } else {
        "demo"
    }
    .to_owned();
    let state_path = state::path_for(dir, &connection.account.account_id);
    Ok(Connected {
        connection,
        environment,
        state_path,
        _emulator: served,
    })
}

/// The live account and the recorded state.
pub struct Read {
    pub live: Snapshot,
    pub recorded: Option<RecordedState>,
}

/// Reads the recorded state (refusing one for another account), then the live account. With
/// the YAML, the recorded state lets go of the generated users it releases (see
/// [`Desired::releases`]), so plan, apply and drift all see them as unmanaged.
pub async fn read(
    dir: &Path,
    connected: &Connected,
    desired: Option<&Desired>,
) -> Result<Read, miette::Report> {
    let mut recorded =
        state::file::load(dir, connected.account_id()).map_err(miette::Report::new)?;
    if let (Some(recorded), Some(desired)) = (&mut recorded, desired) {
        recorded.release(|key| desired.releases(key));
    }
    let live = snapshot(&connected.connection.client)
        .await
        .map_err(miette::Report::new)?;
    for email in &live.shared_emails {
        errln!(
            "warning: several users of the account that aren't closed share the email {}; docusign-gitops manages one of them (the active one, else the first DocuSign lists) and doesn't see the others: close the extra users in DocuSign",
            crate::model::controls::visible(email)
        );
    }
    if let Some(desired) = desired
        && !live.signing_groups_enabled
        && !desired.state.signing_groups.is_empty()
    {
        return Err(CliError::SigningGroupsOff {
            declared: desired.state.signing_groups.len(),
        }
        .into());
    }
    Ok(Read { live, recorded })
}

/// Connects as [`connect`] does for a command that only reads, then reads as [`read`] does.
pub async fn connect_and_read(
    target: &super::Target,
    args: ConnectionArgs,
    served: Option<Arc<Served>>,
) -> Result<(Connected, Read), miette::Report> {
    let connected = connect(target, args, false, served).await?;
    let read = read(&target.dir, &connected, Some(&target.loaded.desired)).await?;
    Ok((connected, read))
}

/// Plans `target`'s account as `connected` read it, with the guards `allow` lets through: what
/// `plan` shows and `apply` runs (or checks a saved plan against).
pub fn plan(
    target: &super::Target,
    connected: &Connected,
    read: &Read,
    allow: &[Option<AllowClass>],
) -> Result<Plan, RuleBreach> {
    let context = context(&target.dir, &target.loaded.digest, connected, read, allow);
    plan::plan(
        &target.loaded.desired,
        &read.live.account,
        read.recorded.as_ref().map(|state| &state.objects),
        &context,
    )
}

/// What the planner is told besides the three states; `desired_digest` is the digest of the
/// desired-state files the plan is made from, `allow` the guards the operator lets through.
fn context(
    dir: &Path,
    desired_digest: &str,
    connected: &Connected,
    read: &Read,
    allow: &[Option<AllowClass>],
) -> Context {
    let recorded = read.recorded.as_ref();
    let integration_user = connected.integration_user(&read.live.account);
    if integration_user.is_none() {
        errln!(
            "warning: the user behind the token is unknown (DOCUSIGN_BASE_URL skips discovery, and DocuSign's userinfo didn't say), so the plan refuses any step that would take account administration from anyone; unset DOCUSIGN_BASE_URL or use the JWT grant to make such a change"
        );
    }
    Context {
        token_user_unknown: integration_user.is_none(),
        today: Some(jiff::Zoned::now().date()),
        integration_user,
        allowed: allow
            .iter()
            .flatten()
            .map(|class| guard_class(*class))
            .collect(),
        desired_commit: state::git::desired_commit(dir),
        hourly_remaining: connected.connection.client.budget().hourly_remaining,
        recorded: recorded.map(|state| RecordedRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        }),
        origin: Origin {
            account_id: connected.account_id().to_owned(),
            environment: connected.environment.clone(),
            desired_digest: desired_digest.to_owned(),
        },
    }
}

/// The guard an `--allow` class lets through.
fn guard_class(class: AllowClass) -> GuardClass {
    match class {
        AllowClass::UserClosures => GuardClass::UserClosures,
        AllowClass::MembershipRemovals => GuardClass::MembershipRemovals,
        AllowClass::AdminGrants => GuardClass::AdminGrants,
    }
}
