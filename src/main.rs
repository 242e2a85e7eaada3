//! The `docusign-gitops` binary: everything lives in the library; this only runs it.

fn main() -> std::process::ExitCode {
    docusign_gitops::cli::main()
}
