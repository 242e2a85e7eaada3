//! The file sources of `sync` (issue 17): an HR export in CSV and an identity provider's SCIM
//! 2.0 export. The fixtures in `tests/fixtures/sync/` are the same twenty people four ways (a
//! UTF-8 CSV with a byte-order mark, a Windows-1252 `;` CSV with CRLF line ends and German
//! headers, SCIM users with their groups in a second file, and all in one file), with nested
//! groups, a cycle of groups, a group only a user's `groups` names, and three leavers; every
//! way must give the same people. Each refusal is checked for where it points and what it says.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use docusign_gitops::sync::csv::{CsvConfig, CsvSource};
use docusign_gitops::sync::scim::{ScimConfig, ScimSource};
use docusign_gitops::sync::{Person, Source, SourceError};
use tempfile::TempDir;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sync")
}

pub const CSV_UTF8: &str = "
path: people.csv
columns:
  email: Email
  first_name: First name
  last_name: Last name
  job_title: Title
  groups: Groups
  groups_separator: '|'
attributes:
  department: Department
  employee_number: Employee ID
  manager: Manager
status:
  column: Status
  disabled_values: [Terminated, Inactive]
";

const CSV_1252: &str = "
path: people-windows-1252.csv
delimiter: ';'
encoding: windows-1252
columns:
  email: E-Mail
  first_name: Vorname
  last_name: Nachname
  job_title: Position
  groups: Gruppen
  groups_separator: ','
attributes:
  department: Abteilung
  employee_number: Personalnummer
  manager: Vorgesetzter
status:
  column: Status
  disabled_values: [terminated, ' INACTIVE ']
";

fn csv_config(yaml: &str) -> CsvConfig {
    serde_saphyr::from_str(yaml).expect("the CSV source's YAML")
}

fn scim_config(yaml: &str) -> ScimConfig {
    serde_saphyr::from_str(yaml).expect("the SCIM source's YAML")
}

pub fn csv_people(dir: &Path, yaml: &str) -> Result<Vec<Person>, SourceError> {
    CsvSource::new(dir, csv_config(yaml)).people()
}

fn scim_people(dir: &Path, yaml: &str) -> Result<Vec<Person>, SourceError> {
    ScimSource::new(dir, scim_config(yaml)).people()
}

/// The error as a user reads it: the message, then the help.
fn said(result: Result<Vec<Person>, SourceError>) -> String {
    let err = result.expect_err("the source must refuse, giving no people");
    let help = match &err {
        SourceError::BadEntry { fix, .. } | SourceError::Directory { fix, .. } => {
            fix.clone().unwrap_or_default()
        }
        SourceError::Unreadable { .. } => String::new(),
    };
    format!("{err}\nhelp: {help}")
}

fn without_origin(people: &[Person]) -> Vec<Person> {
    people
        .iter()
        .map(|person| Person {
            origin: String::new(),
            ..person.clone()
        })
        .collect()
}

fn find<'p>(people: &'p [Person], email: &str) -> &'p Person {
    people
        .iter()
        .find(|person| person.email == email)
        .unwrap_or_else(|| panic!("{email} is in the export"))
}

fn names(groups: &std::collections::BTreeSet<String>) -> Vec<&str> {
    groups.iter().map(String::as_str).collect()
}

#[test]
fn the_four_exports_give_the_same_people() {
    let dir = fixtures();
    let csv = csv_people(&dir, CSV_UTF8).expect("people.csv");
    let windows = csv_people(&dir, CSV_1252).expect("people-windows-1252.csv");
    let scim_two_files = scim_people(
        &dir,
        "{path: scim/users.json, groups_path: scim/groups.json}",
    )
    .expect("scim/users.json and scim/groups.json");
    let scim_one_file = scim_people(&dir, "path: scim/all.json").expect("scim/all.json");

    assert_eq!(csv.len(), 20);
    assert_eq!(without_origin(&windows), without_origin(&csv));
    assert_eq!(without_origin(&scim_two_files), without_origin(&csv));
    assert_eq!(without_origin(&scim_one_file), without_origin(&csv));

    // Origins say where each person is, in each source's terms, in file order.
    assert_eq!(csv[0].origin, "people.csv:2");
    assert_eq!(csv[19].origin, "people.csv:21");
    assert_eq!(windows[1].origin, "people-windows-1252.csv:3");
    assert_eq!(scim_two_files[3].origin, "scim/users.json: Resources[3]");
    // In all.json five groups come first.
    assert_eq!(scim_one_file[0].origin, "scim/all.json: Resources[5]");
}

#[test]
fn what_the_exports_say_about_people() {
    let people = csv_people(&fixtures(), CSV_1252).expect("people-windows-1252.csv");

    // Accents survive Windows-1252, `Š` (0x8A) included, which strict Latin-1 lacks.
    let jose = find(&people, "jose.mueller@example.com");
    assert_eq!(
        *jose,
        Person {
            email: "jose.mueller@example.com".into(),
            first_name: "José".into(),
            last_name: "Müller".into(),
            job_title: Some("Account Executive".into()),
            groups: ["Sales", "Sales EMEA"].map(String::from).into(),
            attributes: [
                ("department", "Sales"),
                ("employee_number", "1002"),
                ("manager", "ana.silva@example.com"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
            disabled: false,
            origin: "people-windows-1252.csv:3".into(),
        }
    );
    let sarka = find(&people, "jonas.berg@example.com");
    assert_eq!(
        (sarka.first_name.as_str(), sarka.last_name.as_str()),
        ("Šárka", "Nováková")
    );

    let leavers: Vec<&str> = people
        .iter()
        .filter(|person| person.disabled)
        .map(|person| person.email.as_str())
        .collect();
    assert_eq!(
        leavers,
        [
            "liam.obrien@example.com",
            "noah.schmidt@example.com",
            "mateo.fernandez@example.com"
        ]
    );
    // No title, no attribute from an empty cell.
    let priya = find(&people, "priya.nair@example.com");
    assert_eq!(priya.job_title, None);
    assert!(!priya.attributes.contains_key("department"));
}

#[test]
fn scim_groups_are_resolved_through_nesting_and_cycles() {
    let people = scim_people(
        &fixtures(),
        "{path: scim/users.json, groups_path: scim/groups.json}",
    )
    .expect("scim export");
    // Sales EMEA is a member of Sales.
    assert_eq!(
        names(&find(&people, "zoe.dubois@example.com").groups),
        ["Sales", "Sales EMEA"]
    );
    // Ops On-call and Ops are members of each other, and Ops of Engineering.
    assert_eq!(
        names(&find(&people, "ethan.nowak@example.com").groups),
        ["Engineering", "Ops", "Ops On-call"]
    );
    // Contractors is no Group resource: only the user's own `groups` names it.
    assert_eq!(
        names(&find(&people, "ravi.patel@example.com").groups),
        ["Contractors", "Legal"]
    );
    // `active: "False"`, a string, as some providers write it.
    assert!(find(&people, "mateo.fernandez@example.com").disabled);
    // No primary email: `userName` is the address.
    assert_eq!(people[4].email, "mei.chen@example.com");
    // The primary email, not the first.
    assert_eq!(people[7].email, "noah.schmidt@example.com");
    // A manager the export doesn't hold is given by their SCIM id.
    assert_eq!(
        find(&people, "hannah.weiss@example.com").attributes["manager"],
        "x-99"
    );

    // Without the groups file, only the users' own `groups` are known.
    let alone = scim_people(&fixtures(), "path: scim/users.json").expect("users alone");
    assert!(find(&alone, "zoe.dubois@example.com").groups.is_empty());
    assert_eq!(
        names(&find(&alone, "ravi.patel@example.com").groups),
        ["Contractors"]
    );
}

#[test]
fn scim_attribute_paths_in_the_config_add_and_replace_attributes() {
    let people = scim_people(
        &fixtures(),
        "
path: scim/all.json
attributes:
  full_name: name.formatted
  department: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber'
",
    )
    .expect("scim export");
    let ana = &people[0];
    assert_eq!(ana.attributes["full_name"], "Ana Silva");
    assert_eq!(ana.attributes["department"], "1001");
}

/// A directory holding `files`, for a case of its own.
fn dir_with(files: &[(&str, &[u8])]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
        fs::write(path, bytes).expect("write");
    }
    dir
}

const SIMPLE: &str = "
path: people.csv
columns: {email: Email, first_name: First, last_name: Last}
";

#[test]
fn a_row_without_an_email_is_refused_naming_its_line_and_column() {
    let dir = dir_with(&[(
        "people.csv",
        b"Email,First,Last\nana@example.com,Ana,Silva\n\"\",Bo,Berg\ncy@example.com,Cy,Chen\n",
    )]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)),
        "people.csv:3: column `Email` is empty\n\
         help: every person needs an email, their DocuSign identity: fill it in, or remove the row"
    );
}

#[test]
fn the_last_row_bad_still_gives_no_people() {
    let mut text = String::from("Email,First,Last\n");
    for n in 0..19 {
        writeln!(text, "p{n}@example.com,P,{n}").expect("a String takes it");
    }
    text.push_str("not-an-address,Last,Row\n");
    let dir = dir_with(&[("people.csv", text.as_bytes())]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)).lines().next(),
        Some("people.csv:21: `not-an-address` in column `Email` is not an email address")
    );
}

#[test]
fn a_mapped_column_missing_from_the_header_lists_the_header() {
    let dir = dir_with(&[(
        "people.csv",
        b"E-mail,First,Last\nana@example.com,Ana,Silva\n",
    )]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)),
        "people.csv:1: the header has no column `Email` (named by `columns.email`); its columns are `E-mail`, `First`, `Last`\n\
         help: did you mean `E-mail`? column names are matched exactly, letter case included: correct `columns.email`, or the export's header"
    );
}

#[test]
fn a_windows_1252_export_read_as_utf8_says_which_encoding_to_set() {
    let yaml = CSV_1252.replace("encoding: windows-1252\n", "");
    let said = said(csv_people(&fixtures(), &yaml));
    assert!(
        said.starts_with("people-windows-1252.csv:3: is not UTF-8 text (byte 0xE9 at offset "),
        "{said}"
    );
    assert!(said.contains("set `encoding: windows-1252`"), "{said}");
}

#[test]
fn a_row_with_too_many_columns_says_how_to_quote() {
    let dir = dir_with(&[(
        "people.csv",
        b"Email;First;Last\nana@example.com;Ana;Silva; Jr\n",
    )]);
    let yaml = format!("{SIMPLE}delimiter: ';'\n");
    assert_eq!(
        said(csv_people(dir.path(), &yaml)),
        "people.csv:2: the row has 4 columns where the header has 3\n\
         help: a value holding the delimiter `;` must be in double quotes; check that `delimiter` is the character the export uses"
    );
}

#[test]
fn a_person_twice_in_one_export_is_refused() {
    let dir = dir_with(&[(
        "people.csv",
        b"Email,First,Last\nana@example.com,Ana,Silva\nbo@example.com,Bo,Berg\nANA@example.com,Ana,S\n",
    )]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)).lines().next(),
        Some("people.csv:4: `ANA@example.com` is on line 2 too")
    );
}

#[test]
fn an_export_with_no_people_is_refused_rather_than_making_everyone_a_leaver() {
    let dir = dir_with(&[
        ("people.csv", b"Email,First,Last\n"),
        (
            "users.json",
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#,
        ),
    ]);
    assert!(
        said(csv_people(dir.path(), SIMPLE))
            .starts_with("people.csv: has a header but no people\n")
    );
    assert!(
        said(scim_people(dir.path(), "path: users.json"))
            .starts_with("users.json: holds no User resources\n")
    );
}

#[test]
fn source_files_outside_the_directory_are_refused() {
    let outside = dir_with(&[(
        "people.csv",
        b"Email,First,Last\nana@example.com,Ana,Silva\n",
    )]);
    let dir = TempDir::new().expect("temp dir");
    std::os::unix::fs::symlink(
        outside.path().join("people.csv"),
        dir.path().join("people.csv"),
    )
    .expect("link");
    let through_link = said(csv_people(dir.path(), SIMPLE));
    assert!(
        through_link.starts_with("can't read `people.csv`: `people.csv` points to "),
        "{through_link}"
    );
    assert!(
        through_link.contains("outside the directory"),
        "{through_link}"
    );

    let climbing = SIMPLE.replace("path: people.csv", "path: ../people.csv");
    assert!(said(csv_people(dir.path(), &climbing)).starts_with(
        "can't read `../people.csv`: a source's path is relative to the desired-state directory and stays inside it"
    ));
    let missing = SIMPLE.replace("path: people.csv", "path: hr/people.csv");
    assert!(
        said(csv_people(dir.path(), &missing))
            .starts_with("can't read `hr/people.csv`: there is no such file in ")
    );
}

#[test]
fn malformed_json_says_where() {
    let dir = dir_with(&[(
        "users.json",
        b"{\"Resources\": [\n  {\"userName\": \"ana@example.com\"\n  {}\n]}\n",
    )]);
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json"))
            .lines()
            .next(),
        Some("users.json:3:3: is not valid JSON: expected `,` or `}`")
    );
}

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn list(resources: &str) -> Vec<u8> {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[{resources}]}}"#
    )
    .into_bytes()
}

#[test]
fn a_scim_user_with_no_email_is_refused_naming_the_resource() {
    let users = list(&format!(
        r#"{{"schemas":["{USER_SCHEMA}"],"id":"1","userName":"ana@example.com","name":{{"givenName":"Ana"}}}},
           {{"schemas":["{USER_SCHEMA}"],"id":"2","userName":"bo","name":{{"givenName":"Bo"}},
             "emails":[{{"value":"bo@example.com","type":"work"}},{{"value":"bo@home.example","type":"home"}}]}}"#
    ));
    let dir = dir_with(&[("users.json", &users)]);
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json")),
        "users.json: Resources[1] (userName bo): has no email: no entry of `emails` is `primary`, and `userName` is not an email address\n\
         help: give the user a primary email at the identity provider, and export again"
    );
}

#[test]
fn scim_type_errors_name_the_attribute() {
    let users = list(&format!(
        r#"{{"schemas":["{USER_SCHEMA}"],"id":"1","userName":"ana@example.com","name":{{"givenName":"Ana"}},"active":"maybe"}}"#
    ));
    let dir = dir_with(&[("users.json", &users)]);
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json"))
            .lines()
            .next(),
        Some(
            "users.json: Resources[0] (userName ana@example.com): `active` is a string, not `true` or `false`"
        )
    );
}

#[test]
fn a_nested_group_missing_from_the_export_is_refused() {
    let resources = list(&format!(
        r#"{{"schemas":["{USER_SCHEMA}"],"id":"1","userName":"ana@example.com","name":{{"givenName":"Ana"}}}},
           {{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Sales",
             "members":[{{"value":"1","type":"User"}},{{"value":"g9","type":"Group"}}]}}"#
    ));
    let dir = dir_with(&[("users.json", &resources)]);
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json"))
            .lines()
            .next(),
        Some(
            "users.json: Resources[1] (displayName Sales): `members[1]` is the group `g9`, which is not in the export"
        )
    );
}

#[test]
fn one_page_of_a_listing_is_refused() {
    let page = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":250,"itemsPerPage":1,"startIndex":1,
            "Resources":[{{"schemas":["{USER_SCHEMA}"],"id":"1","userName":"ana@example.com","name":{{"givenName":"Ana"}}}}]}}"#
    );
    let dir = dir_with(&[("users.json", page.as_bytes())]);
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json")),
        "users.json: is one page of a larger listing: it holds 1 resources from index 1 of 250\n\
         help: export every page into one file (people on the other pages would be taken for leavers)"
    );
}

#[test]
fn the_configs_refuse_what_they_do_not_know() {
    let err = serde_saphyr::from_str::<CsvConfig>(&format!("{SIMPLE}delimiter: ';;'\n"))
        .expect_err("a two-character delimiter");
    assert!(
        err.to_string()
            .contains("the delimiter must be one character"),
        "{err}"
    );
    let tab: CsvConfig = serde_saphyr::from_str(&format!("{SIMPLE}delimiter: tab\n")).expect("tab");
    assert_eq!(tab.delimiter, b'\t');
    assert_eq!(csv_config(SIMPLE).delimiter, b',');

    let err = serde_saphyr::from_str::<CsvConfig>(&format!("{SIMPLE}encoding: utf-16\n"))
        .expect_err("an encoding not read");
    assert!(err.to_string().contains("utf-16"), "{err}");
    assert!(serde_saphyr::from_str::<ScimConfig>("{path: a.json, group_path: b.json}").is_err());
}

/// An export the size of a large company: every row read, in order, none lost.
#[test]
fn fifty_thousand_rows_give_fifty_thousand_people() {
    const ROWS: usize = 50_000;
    let mut text = String::with_capacity(ROWS * 64);
    text.push_str("Email,First,Last,Dept\n");
    for n in 0..ROWS {
        writeln!(
            text,
            "person{n:05}@example.com,First{n},Last{n},Dept{}",
            n % 40
        )
        .expect("a String takes it");
    }
    let dir = dir_with(&[("people.csv", text.as_bytes())]);
    let yaml = format!("{SIMPLE}attributes: {{department: Dept}}\n");
    let people = csv_people(dir.path(), &yaml).expect("the large export");
    assert_eq!(people.len(), ROWS);
    assert_eq!(people[0].email, "person00000@example.com");
    assert_eq!(people[ROWS - 1].origin, format!("people.csv:{}", ROWS + 1));
    assert_eq!(people[ROWS - 1].attributes["department"], "Dept39");
}

#[test]
fn excel_s_sep_line_is_read_past_and_checked() {
    let dir = dir_with(&[(
        "people.csv",
        b"sep=;\r\nEmail;First;Last\r\nana@example.com;Ana;Silva\r\n;Bo;Berg\r\n",
    )]);
    let yaml = format!("{SIMPLE}delimiter: ';'\n");
    // The header is line 2, Ana line 3, the row without an email line 4.
    assert_eq!(
        said(csv_people(dir.path(), &yaml)).lines().next(),
        Some("people.csv:4: column `Email` is empty")
    );
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)),
        "people.csv:1: the file says `sep=;`, but the source's delimiter is `,`\n\
         help: set `delimiter: ';'` on the source"
    );
    let renamed = yaml.replace("email: Email", "email: Mail");
    assert!(
        said(csv_people(dir.path(), &renamed))
            .starts_with("people.csv:2: the header has no column `Mail`")
    );
}

#[test]
fn a_utf8_export_said_to_be_windows_1252_is_read_as_utf8_or_refused() {
    // With a byte-order mark, the file says what it is.
    let yaml = CSV_UTF8.replace(
        "path: people.csv\n",
        "path: people.csv\nencoding: windows-1252\n",
    );
    let people = csv_people(&fixtures(), &yaml).expect("people.csv");
    assert_eq!(find(&people, "jose.mueller@example.com").first_name, "José");

    // Without one, reading it as Windows-1252 would make José `JosÃ©`.
    let dir = dir_with(&[(
        "people.csv",
        "Email,First,Last\njose@example.com,José,Müller\n".as_bytes(),
    )]);
    let yaml = format!("{SIMPLE}encoding: windows-1252\n");
    assert_eq!(
        said(csv_people(dir.path(), &yaml)),
        "people.csv: is UTF-8 text, but the source says `encoding: windows-1252`\n\
         help: remove `encoding` from the source (UTF-8 is the default)"
    );
    let latin = format!("{SIMPLE}encoding: latin-1\n");
    let people = csv_people(
        &fixtures(),
        &CSV_1252.replace("windows-1252\n", "latin-1\n"),
    )
    .expect("latin-1 is read as Windows-1252");
    assert_eq!(people.len(), 20);
    assert!(said(csv_people(dir.path(), &latin)).contains("`encoding: latin-1`"));
}

#[test]
fn an_empty_list_of_disabled_values_is_refused() {
    let yaml = format!("{SIMPLE}status: {{column: Status, disabled_values: []}}\n");
    let err = serde_saphyr::from_str::<CsvConfig>(&yaml).expect_err("no disabled values");
    assert!(
        err.to_string()
            .contains("`disabled_values` needs at least one value"),
        "{err}"
    );
}

#[test]
fn control_characters_in_a_value_are_refused() {
    let dir = dir_with(&[
        (
            "people.csv",
            b"Email,First,Last\nana@example.com,\"Ana\nMaria\",Silva\n",
        ),
        (
            "users.json",
            &list(&format!(
                r#"{{"schemas":["{USER_SCHEMA}"],"id":"1","userName":"ana@example.com","name":{{"givenName":"Ana","familyName":"Sil\u001b[2Jva"}}}}"#
            )),
        ),
    ]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)).lines().next(),
        Some("people.csv:2: column `First` holds a control character (U+000A)")
    );
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json"))
            .lines()
            .next(),
        Some(
            "users.json: Resources[0] (userName ana@example.com): `name.familyName` holds a control character (U+001B)"
        )
    );
}

#[test]
fn scim_exports_as_a_bare_array_or_with_keys_in_another_case_are_read() {
    let user = |id: &str, email: &str| {
        format!(
            r#"{{"SCHEMAS":["{USER_SCHEMA}"],"ID":"{id}","UserName":"{email}","Name":{{"GivenName":"P{id}"}},"Active":"TRUE"}}"#
        )
    };
    let array = format!(
        "[{}, {}]",
        user("1", "a@example.com"),
        user("2", "b@example.com")
    );
    let lower = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"resources":[{}]}}"#,
        user("1", "a@example.com")
    );
    let dir = dir_with(&[
        ("array.json", array.as_bytes()),
        ("lower.json", lower.as_bytes()),
    ]);
    let people = scim_people(dir.path(), "path: array.json").expect("an array of resources");
    let emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(emails, ["a@example.com", "b@example.com"]);
    assert_eq!(people[1].origin, "array.json: [1]");
    assert_eq!(people[1].first_name, "P2");
    let people = scim_people(dir.path(), "path: lower.json").expect("`resources`");
    assert_eq!(people[0].origin, "lower.json: resources[0]");
}

#[test]
fn a_scim_person_twice_or_an_id_twice_is_refused() {
    let user = |id: &str, email: &str| {
        format!(
            r#"{{"schemas":["{USER_SCHEMA}"],"id":"{id}","userName":"{email}","name":{{"givenName":"P"}}}}"#
        )
    };
    let twice = list(&format!(
        "{},{}",
        user("1", "a@example.com"),
        user("2", "A@example.com")
    ));
    let same_id = list(&format!(
        "{},{}",
        user("1", "a@example.com"),
        user("1", "b@example.com")
    ));
    let dir = dir_with(&[("twice.json", &twice), ("same-id.json", &same_id)]);
    assert_eq!(
        said(scim_people(dir.path(), "path: twice.json"))
            .lines()
            .next(),
        Some(
            "twice.json: Resources[1] (userName A@example.com): has the email `A@example.com`, as twice.json: Resources[0] (userName a@example.com) does"
        )
    );
    assert_eq!(
        said(scim_people(dir.path(), "path: same-id.json"))
            .lines()
            .next(),
        Some(
            "same-id.json: Resources[1] (userName b@example.com): has the id `1`, as same-id.json: Resources[0] (userName a@example.com) does"
        )
    );
}

#[test]
fn empty_files_say_what_is_missing() {
    let dir = dir_with(&[("people.csv", b""), ("users.json", b"")]);
    assert_eq!(
        said(csv_people(dir.path(), SIMPLE)).lines().next(),
        Some("people.csv: has no header row")
    );
    assert_eq!(
        said(scim_people(dir.path(), "path: users.json"))
            .lines()
            .next(),
        Some("users.json: is empty")
    );
}
