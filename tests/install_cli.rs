//! What an installation brings beside the commands (issue 20): shell completions and the man
//! page, made from the clap definitions, and a `--version` that names the commit the binary
//! was built from.

use std::process::Command;

use crate::harness::{Cli, crate_root};

/// The commands every completion script and the man page must offer.
const COMMANDS: [&str; 5] = ["plan", "apply", "drift", "import", "completions"];

#[test]
fn completions_for_each_shell_offer_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = Cli::new().run(crate_root(), &["completions", shell]);
        run.exits(0);
        assert!(
            run.stdout.lines().count() > 10,
            "{shell}: a completion script\n{}",
            run.stdout
        );
        for command in COMMANDS {
            assert!(run.stdout.contains(command), "{shell}: offers `{command}`");
        }
        // A flag of a command, not only the command names.
        assert!(run.stdout.contains("detailed-exitcode"), "{shell}");
    }
    // An unknown shell is a usage error, exit 1 as every usage error.
    Cli::new()
        .run(crate_root(), &["completions", "tcsh"])
        .exits(1)
        .stderr_has(&["bash", "zsh", "fish"]);
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let run = Cli::new().run(crate_root(), &["man"]);
    run.exits(0);
    assert!(
        run.stdout.lines().any(|line| line.starts_with(".TH ")),
        "a roff page\n{}",
        run.stdout
    );
    assert!(run.stdout.contains(".SH NAME"), "{}", run.stdout);
    for command in COMMANDS {
        assert!(run.stdout.contains(command), "the page names `{command}`");
    }
}

/// The version names the commit: the one `DOCUSIGN_GITOPS_COMMIT` gave the build, else the
/// checkout's HEAD (when the source is a git checkout and git is here), else "unknown commit".
#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let run = Cli::new().run(crate_root(), &["--version"]);
    run.exits(0);
    let version = run.stdout.trim();
    assert!(
        version.starts_with(&format!("docusign-gitops {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let given = std::env::var("DOCUSIGN_GITOPS_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty());
    match given.or_else(head_of_checkout) {
        Some(commit) => assert!(
            // The build names 12 digits; `--short` gives 7 or more.
            version.contains(&format!("(commit {}", commit.trim())),
            "`{version}` names the commit {commit}"
        ),
        None => assert!(version.ends_with("(unknown commit)"), "{version}"),
    }
}

/// `git rev-parse --short HEAD` of the source, when it is a git checkout and git is here.
fn head_of_checkout() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(crate_root())
        .output()
        .ok()?;
    let head = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !head.is_empty()).then_some(head)
}
