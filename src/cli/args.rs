//! Raw command-line arguments, as clap parses them. No behaviour lives here: each command
//! turns its `*Args` into settings in `cli::run`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Manage a DocuSign eSignature account's users, groups, permission profiles and signing
/// groups as YAML in git: validate, plan, apply, detect drift, import.
#[derive(Debug, Parser)]
#[command(name = "docusign-gitops", version, about, long_about = None)]
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
    Plan(PlanArgs),
    /// Execute a reviewed plan and record the new state in the repo.
    Apply(ApplyArgs),
    /// Report what changed in DocuSign outside git since the last apply.
    Drift(DriftArgs),
    /// Write desired-state YAML for an existing account.
    Import(ImportArgs),
    /// Print the JSON Schema of the desired-state YAML.
    Schema,
    /// Check the credentials: who am I, which account, remaining API budget.
    Auth(AuthArgs),
    /// Run the DocuSign API emulator as a server.
    Emulator(EmulatorArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The directory that holds the desired-state YAML.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The directory that holds the desired-state YAML.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Also save the plan, for `apply --plan`.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// How to show the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Run against an in-process emulator seeded with a sample account.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The directory that holds the desired-state YAML.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The reviewed plan to execute; refused if the account changed since it was made.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// Don't ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Write the recorded state but don't commit it.
    #[arg(long)]
    pub no_commit: bool,
    /// Run against an in-process emulator seeded with a sample account.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The directory that holds the desired-state YAML.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// How to show the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run against an in-process emulator seeded with a sample account.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where to write the YAML.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Run against an in-process emulator seeded with a sample account.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Who am I, which account, remaining API budget.
    Check,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Account to start with (YAML or JSON); a sample account when absent.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests that fail (429, 5xx or a dropped connection), from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fault_rate: f64,
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
