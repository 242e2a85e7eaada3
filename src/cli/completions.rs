//! `completions` and `man`: shell completions (`clap_complete`) and the man page
//! (`clap_mangen`), made from the same clap definitions as `--help`, so they never drift.

use clap::CommandFactory as _;

use super::Exit;
use super::args::{Cli, CompletionsArgs};

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> Exit {
    let CompletionsArgs { shell } = args;
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    // Into memory first: clap_complete panics when a write fails, and a closed pipe is no error.
    let mut script = Vec::new();
    clap_complete::generate(*shell, &mut command, name, &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Exit::Success
}

/// Prints the man page (roff): `docusign-gitops man > docusign-gitops.1`.
pub fn man() -> Exit {
    let mut page = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut page) {
        Ok(()) => {
            out!("{}", String::from_utf8_lossy(&page));
            Exit::Success
        }
        Err(err) => {
            errln!("error: can't render the man page: {err}; this is a bug, please report it");
            Exit::Error
        }
    }
}
