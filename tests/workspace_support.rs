//! The example workspace (`examples/workspace`) against a served emulator with one account per
//! workspace account, as DocuSign serves every account of an organization: each account's YAML
//! names its emulator account's ID, and `emea` has credentials of its own (`env_prefix: EMEA`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use docusign_gitops::emulator::{self, Config, SampleAccount};

use crate::served::Served;

/// The example workspace's accounts, in the order workspace.yaml lists them.
pub const ACCOUNTS: [&str; 3] = ["production", "emea", "sandbox"];

/// The ID of the emulator's account for the workspace account `name`.
pub fn account_id(name: &str) -> String {
    SampleAccount::named(name).id
}

/// An emulator serving the sample account once per workspace account, and the access token it
/// issued to the integration user, a member of every one.
pub fn serve(config: Config) -> (Served, String) {
    let wanted: Vec<SampleAccount> = ACCOUNTS
        .iter()
        .map(|name| SampleAccount::named(name))
        .collect();
    let token = Arc::new(Mutex::new(String::new()));
    let served = {
        let token = Arc::clone(&token);
        Served::hosting(async move {
            let (running, issued) = emulator::start_samples(config, &wanted)
                .await
                .expect("the workspace's emulator");
            *token.lock().expect("token") = issued;
            running
        })
    };
    let token = token.lock().expect("token").clone();
    (served, token)
}

/// Rewrites the copy of the example workspace at `dir` for [`serve`]'s emulator: each
/// account's `account.yaml` names its emulator account's ID, and `emea` reads only
/// `EMEA_DOCUSIGN_…` credentials.
pub fn point_at_emulator(dir: &Path) {
    for name in ACCOUNTS {
        let path = dir.join(name).join("account.yaml");
        let yaml = std::fs::read_to_string(&path).expect("account.yaml");
        let id_line = yaml
            .lines()
            .find(|line| line.trim_start().starts_with("id:"))
            .expect("an id");
        let yaml = yaml.replace(id_line, &format!("  id: {}", account_id(name)));
        std::fs::write(&path, yaml).expect("rewrite account.yaml");
    }
    let workspace = dir.join("workspace.yaml");
    let text = std::fs::read_to_string(&workspace).expect("workspace.yaml");
    let text = text.replace(
        "    - name: emea\n      dir: emea\n",
        "    - name: emea\n      dir: emea\n      env_prefix: EMEA\n",
    );
    assert!(text.contains("env_prefix: EMEA"), "{text}");
    std::fs::write(&workspace, text).expect("rewrite workspace.yaml");
}
