//! The worked example in `examples/directory-sync/` stays true: its committed generated file is
//! what `sync` writes from its HR export, it validates and plans, a changed row shows, the
//! hand-written override is what keeps it valid, and the commented LDAP alternative is valid
//! YAML for the real source.

use docusign_gitops::sync::ldap::{DEFAULT_BIND_DN_ENV, DEFAULT_PASSWORD_ENV};

use crate::harness::Fixture;

const EXAMPLE: &str = "examples/directory-sync";

fn example() -> Fixture {
    Fixture::copy_of(EXAMPLE)
}

fn read(fixture: &Fixture, relative: &str) -> String {
    std::fs::read_to_string(fixture.path().join(relative))
        .unwrap_or_else(|err| panic!("read `{relative}`: {err}"))
}

/// Replaces the one occurrence of `from` in the fixture's `relative` file.
fn edit(fixture: &Fixture, relative: &str, from: &str, to: &str) {
    let text = read(fixture, relative);
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in {relative}");
    fixture.write(relative, text.replacen(from, to, 1).as_bytes());
}

#[test]
fn the_committed_generated_file_is_current_and_the_example_validates_and_plans() {
    let example = example();
    example
        .run(&["sync", "--check"])
        .exits(0)
        .stdout_has("the generated files are up to date");
    example.run(&["validate"]).exits(0).stdout_has("valid:");
    let plan = example.run(&["plan", "--emulator"]);
    plan.exits(0)
        // A new hire in the export, and the Terminated row closed.
        .stdout_has("+ create Elena Vásquez (Account Executive) with profile `Sales Sender`")
        .stdout_has("derek.lindqvist@northwind-example.com");
    // The hand-written entry counts: the administrator is not demoted to the rules' profile.
    assert!(
        !plan.stdout.contains("julia.novak"),
        "the override was ignored:\n{}",
        plan.stdout
    );
}

#[test]
fn editing_one_row_of_the_export_makes_sync_check_exit_2_and_write_nothing() {
    let example = example();
    let before = read(&example, "generated/hr.yaml");
    edit(
        &example,
        "hr/people.csv",
        "Sofia,Rossi,Financial Analyst,Finance,",
        "Sofia,Rossi,Account Executive,Sales,",
    );
    example
        .run(&["sync", "--check"])
        .exits(2)
        .stdout_has("generated/hr.yaml would change");
    assert_eq!(read(&example, "generated/hr.yaml"), before, "--check wrote");
}

#[test]
fn without_the_override_validate_names_both_places_of_the_person() {
    let example = example();
    edit(
        &example,
        "users/by-hand.yaml",
        "    overrides_generated: true\n",
        "",
    );
    example.run(&["validate"]).exits(1).stderr_has(&[
        "the user `julia.novak@northwind-example.com` is declared more than once",
        "users/by-hand.yaml:",
        "generated/hr.yaml:",
    ]);
}

/// The commented `directory` source, uncommented: each `    # ` line of its block loses `# `.
fn with_the_ldap_alternative(sources: &str) -> String {
    let mut in_block = false;
    sources
        .lines()
        .map(|line| {
            in_block = line == "    # - name: directory" || (in_block && line.starts_with("    #"));
            if in_block {
                format!("    {}\n", &line["    # ".len()..])
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

#[test]
fn the_commented_ldap_source_is_valid_and_names_the_real_variables() {
    let example = example();
    let sources = with_the_ldap_alternative(&read(&example, "sources.yaml"));
    for expected in [
        "    - name: directory\n      ldap:\n",
        &format!("        bind_dn_env: {DEFAULT_BIND_DN_ENV}\n"),
        &format!("        password_env: {DEFAULT_PASSWORD_ENV}\n"),
    ] {
        assert!(sources.contains(expected), "{expected:?} in\n{sources}");
    }
    example.write("sources.yaml", sources.as_bytes());
    example.run(&["validate"]).exits(0);
}

/// The YAML blocks of the README's section on sync, in order.
fn readme_sync_yaml() -> String {
    let readme = std::fs::read_to_string(crate::harness::crate_root().join("README.md"))
        .expect("read README.md");
    let section = readme
        .split("\n## Driving access from your directory\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README's section on sync");
    section
        .split("```yaml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or_default())
        .collect()
}

/// The README's `sync` section, its blocks put together, is valid for the real code: every key
/// it shows exists, with values of the right kind.
#[test]
fn the_readme_sync_section_is_valid_yaml_for_sync() {
    let yaml = readme_sync_yaml();
    for shown in ["csv:", "ldap:", "scim:", "scope:", "rules:", "leavers:"] {
        assert!(yaml.contains(shown), "the README shows `{shown}`:\n{yaml}");
    }
    let example = example();
    example.write("sources.yaml", yaml.as_bytes());
    example.run(&["validate"]).exits(0);
}
