//! `import` of several accounts into one workspace (issue 18): each account in its folder,
//! what every account holds alike once in `shared/`, each account's recorded state in its
//! folder; the result validates and plans to nothing.

use crate::harness::Fixture;

/// The example workspace applied to the emulator, then imported back from it: what the three
/// accounts share (the shared users, profiles and groups) lands in `shared/`, what only some
/// hold (Marcus, whom EMEA leaves out; Sofia, EMEA's own) in the accounts' folders; the
/// imported workspace validates and plans to nothing.
#[test]
fn a_workspace_imports_back_to_a_plan_of_nothing() {
    let fixture = Fixture::copy_of("examples/workspace");
    fixture
        .run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
        .exits(0);
    let import = fixture.run(&[
        "import",
        "--out",
        "imported",
        "--account",
        "production",
        "--account",
        "emea",
        "--account",
        "sandbox",
        "--emulator",
    ]);
    import
        .exits(0)
        .stdout_has("Imported 3 accounts into the workspace");
    let root = fixture.path().join("imported");
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
    };
    let all_in = |folder: &str| -> String {
        std::fs::read_dir(root.join(folder))
            .unwrap_or_else(|err| panic!("{folder}: {err}"))
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.path()).expect("read"))
            .collect()
    };
    let shared_users = all_in("shared/users");
    assert!(shared_users.contains("lena.fischer@"), "{shared_users}");
    assert!(!shared_users.contains("marcus.webb@"), "EMEA lacks Marcus");
    assert!(
        !shared_users.contains("sofia.marchetti@"),
        "only EMEA has Sofia"
    );
    let emea_users = all_in("emea/users");
    assert!(emea_users.contains("sofia.marchetti@"), "{emea_users}");
    assert!(read("workspace.yaml").contains("name: emea"));
    assert!(read("emea/account.yaml").contains("account:"));
    assert!(
        read("shared/groups.yaml")
            .starts_with("# yaml-language-server: $schema=../desired-state.schema.json"),
        "the modeline points at the root's schema copy"
    );
    assert!(root.join("desired-state.schema.json").is_file());
    assert!(!root.join("emea/desired-state.schema.json").exists());
    for name in ["production", "emea", "sandbox"] {
        assert!(
            std::fs::read_dir(root.join(name).join(".docusign-gitops/state"))
                .expect("a state folder")
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().ends_with(".json")),
            "{name} records its objects"
        );
    }
    let imported = root.to_str().expect("UTF-8");
    fixture.run(&["validate", imported]).exits(0);
    fixture
        .run(&["plan", imported, "--emulator", "--detailed-exitcode"])
        .exits(0);
}

/// Bad account names and missing IDs are refused before any call, and nothing is written.
#[test]
fn import_refuses_accounts_it_cannot_name() {
    let fixture = Fixture::new();
    for (args, said) in [
        (
            vec!["--account", "../up=5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31"],
            "letters, digits",
        ),
        (vec!["--account", "production"], "API account ID"),
        (
            vec![
                "--account",
                "a=5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31",
                "--account",
                "A=2a9d4e6f-8b1c-4d3e-a5f7-9c0b1d2e3f4a",
            ],
            "given twice",
        ),
        (
            vec!["--account", "shared=5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31"],
            "shared definitions",
        ),
        (
            vec![
                "--account",
                "emea=5d2c8f41-7a3b-4c9e-8f10-2b6e4d9a7c31",
                "--emulator",
            ],
            "name the accounts alone",
        ),
    ] {
        let mut all = vec!["import", "--out", "ws"];
        all.extend(args);
        fixture
            .run(&all)
            .exits(1)
            .stderr_has(&["cli::import_account", said]);
        assert!(
            !fixture.path().join("ws").exists(),
            "nothing written for {all:?}"
        );
    }
}
