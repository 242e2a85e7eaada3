//! The emulator against DocuSign's own contract. Every operation of the spec subset in
//! `tests/fixtures/docusign/` (cut from DocuSign's official spec; its README says how)
//! is called at least once to succeed and once to fail, and every request and response body is
//! checked against the spec's schema for that operation and status. The check is strict: a
//! field the spec doesn't name, or a number or boolean where the spec says string, is a
//! violation. All violations are collected and reported together at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use docusign_gitops::emulator::Config;
use jsonschema::Validator;
use reqwest::Method;
use serde_json::{Value, json};

use crate::emulator_support::{ADMIN_EMAIL, ADMIN_ID, Answer, Api, api_with};

/// Where the spec subset sits, from the crate root.
const SPEC_PATH: &str = "tests/fixtures/docusign/esignature.access-subset.swagger.json";
/// What every path in the spec starts with; the client's base URL already ends with it.
const ACCOUNT_PREFIX: &str = "/v2.1/accounts/{accountId}";
/// An ID no account object has.
const UNKNOWN_USER: &str = "6b67a1ee-0000-4000-8000-0000deadbeef";
const UNKNOWN_ID: &str = "1";

/// The spec, loaded once. A failed load isn't cached, so every test that needs the spec
/// fails with the same clear message.
fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(Spec::load)
}

/// The user `n` of [`crate::emulator_support::account_with`].
fn user_id(n: usize) -> String {
    format!("0d9b1c2e-0000-4000-8000-{n:012}")
}

// ------------------------------------------------------------------------------------------
// The spec: its operations, and a strict validator per definition.

/// One operation: `METHOD /template`, the template without the account prefix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Operation {
    method: String,
    template: String,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// What the spec declares for one status of an operation.
enum Declared {
    /// The status isn't among the operation's responses.
    Undeclared,
    /// Declared without a schema: no body.
    Empty,
    /// Declared with this definition.
    Schema(String),
}

struct Spec {
    /// Each operation's object from `paths`.
    operations: BTreeMap<Operation, Value>,
    /// One validator per definition, by name.
    validators: BTreeMap<String, Validator>,
}

impl Spec {
    fn load() -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SPEC_PATH);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "can't read DocuSign's spec subset at {}: {error}",
                path.display()
            )
        });
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
        let mut definitions = doc["definitions"]
            .as_object()
            .cloned()
            .expect("the spec has definitions");
        // Strict about field names: a field the spec doesn't list is a violation.
        for schema in definitions.values_mut() {
            if let Some(schema) = schema.as_object_mut()
                && schema.contains_key("properties")
            {
                schema.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
        }
        let names: Vec<String> = definitions.keys().cloned().collect();
        let definitions = Value::Object(definitions);
        let validators = names
            .into_iter()
            .map(|name| {
                let root = json!({
                    "definitions": definitions,
                    "$ref": format!("#/definitions/{name}"),
                });
                let validator = jsonschema::draft4::options()
                    .build(&root)
                    .unwrap_or_else(|error| panic!("definition {name} doesn't compile: {error}"));
                (name, validator)
            })
            .collect();
        let mut operations = BTreeMap::new();
        for (template, item) in doc["paths"].as_object().expect("the spec has paths") {
            let template = template
                .strip_prefix(ACCOUNT_PREFIX)
                .unwrap_or_else(|| panic!("{template} doesn't start with {ACCOUNT_PREFIX}"));
            for (method, operation) in item.as_object().expect("a path item") {
                if ["get", "put", "post", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    let key = Operation {
                        method: method.to_uppercase(),
                        template: template.to_owned(),
                    };
                    operations.insert(key, operation.clone());
                }
            }
        }
        Self {
            operations,
            validators,
        }
    }

    /// The operation a concrete path (relative to the account, query allowed) calls.
    fn operation_of(&self, method: &Method, path: &str) -> Option<Operation> {
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        self.operations
            .keys()
            .find(|operation| {
                let template: Vec<&str> = operation.template.split('/').collect();
                operation.method == method.as_str()
                    && template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(part, segment)| {
                        part == segment || (part.starts_with('{') && !segment.is_empty())
                    })
            })
            .cloned()
    }

    /// The definition a `{"$ref": "#/definitions/X"}` schema names.
    fn definition(schema: &Value) -> String {
        schema["$ref"]
            .as_str()
            .and_then(|reference| reference.strip_prefix("#/definitions/"))
            .unwrap_or_else(|| panic!("only `$ref` schemas are supported, found {schema}"))
            .to_owned()
    }

    /// The definition of the operation's body parameter, if it takes one.
    fn body_schema(&self, operation: &Operation) -> Option<String> {
        self.operations[operation]["parameters"]
            .as_array()?
            .iter()
            .find(|parameter| parameter["in"] == "body")
            .map(|parameter| Self::definition(&parameter["schema"]))
    }

    /// What the spec says an answer with this status carries.
    fn response_schema(&self, operation: &Operation, status: u16) -> Declared {
        match self.operations[operation]["responses"].get(status.to_string()) {
            None => Declared::Undeclared,
            Some(response) => response.get("schema").map_or(Declared::Empty, |schema| {
                Declared::Schema(Self::definition(schema))
            }),
        }
    }

    fn declared_statuses(&self, operation: &Operation) -> String {
        self.operations[operation]["responses"]
            .as_object()
            .map(|responses| responses.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// Every violation of `definition` in `instance`: (JSON pointer, message).
    fn violations(&self, definition: &str, instance: &Value) -> Vec<(String, String)> {
        let validator = self
            .validators
            .get(definition)
            .unwrap_or_else(|| panic!("no definition {definition} in the spec"));
        validator
            .iter_errors(instance)
            .map(|error| {
                let mut message = error.to_string();
                if message.len() > 300 {
                    let mut end = 300;
                    while !message.is_char_boundary(end) {
                        end -= 1;
                    }
                    message.truncate(end);
                    message.push('…');
                }
                (error.instance_path().as_str().to_owned(), message)
            })
            .collect()
    }
}

// ------------------------------------------------------------------------------------------
// Calling the emulator and recording what the spec says about each call.

/// What the test sends as a request body.
#[derive(Clone, Copy, Debug)]
enum Body<'a> {
    /// No body, for an operation that takes none.
    None,
    /// A body that must conform to the operation's body schema.
    Valid(&'a Value),
    /// A body that deliberately breaks the schema, to draw an error.
    Invalid(&'a Value),
    /// No body for an operation that takes one. The spec marks every body parameter optional,
    /// yet DocuSign answers a missing one with `INVALID_REQUEST_BODY`.
    Missing,
}

impl<'a> Body<'a> {
    fn value(self) -> Option<&'a Value> {
        match self {
            Self::Valid(value) | Self::Invalid(value) => Some(value),
            Self::None | Self::Missing => None,
        }
    }
}

/// The answer a call must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Status(u16),
    /// A 400 with this `errorCode`.
    Refused(&'static str),
    /// Any status with this `errorCode` (a 401).
    Error(u16, &'static str),
}

const OK: Expect = Expect::Status(200);
const CREATED: Expect = Expect::Status(201);

/// One breach of the contract, or of what the test expected.
#[derive(Debug)]
struct Violation {
    /// `request`, `response` or `expectation`.
    phase: &'static str,
    operation: String,
    status: String,
    pointer: String,
    message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} → {} at `{}`: {}",
            self.phase, self.operation, self.status, self.pointer, self.message
        )
    }
}

/// Which outcomes an operation has had.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    successes: u32,
    failures: u32,
}

struct Contract {
    api: Api,
    /// For calls whose answer may not be JSON, which [`Api`] doesn't take.
    client: reqwest::Client,
    seen: BTreeMap<Operation, Seen>,
    violations: Vec<Violation>,
    /// The last call (operation and path, status), to attribute what is checked after it.
    last: (String, String),
}

impl Contract {
    fn new(api: Api) -> Self {
        Self {
            api,
            client: reqwest::Client::new(),
            seen: BTreeMap::new(),
            violations: Vec::new(),
            last: (String::new(), String::new()),
        }
    }

    async fn get(&mut self, path: &str, expect: Expect) -> Answer {
        self.call(Method::GET, path, Body::None, expect).await
    }

    async fn post(&mut self, path: &str, body: &Value, expect: Expect) -> Answer {
        self.call(Method::POST, path, Body::Valid(body), expect)
            .await
    }

    async fn put(&mut self, path: &str, body: &Value, expect: Expect) -> Answer {
        self.call(Method::PUT, path, Body::Valid(body), expect)
            .await
    }

    async fn delete(&mut self, path: &str, body: &Value, expect: Expect) -> Answer {
        self.call(Method::DELETE, path, Body::Valid(body), expect)
            .await
    }

    async fn call(&mut self, method: Method, path: &str, body: Body<'_>, expect: Expect) -> Answer {
        let answer = self.api.call(method.clone(), path, body.value()).await;
        self.record(&method, path, body, expect, &answer, None);
        answer
    }

    /// Like [`Self::call`], for an answer that may not be JSON: that is recorded as a
    /// violation instead of stopping the run.
    async fn call_raw(&mut self, method: Method, path: &str, body: Body<'_>, expect: Expect) {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.api.base))
            .bearer_auth(&self.api.token);
        if let Some(body) = body.value() {
            request = request.json(body);
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a whole body");
        let parsed = if bytes.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_slice(&bytes).map_err(|_| String::from_utf8_lossy(&bytes).into_owned())
        };
        let (body_value, not_json) = match parsed {
            Ok(value) => (value, None),
            Err(text) => (Value::Null, Some(text)),
        };
        let answer = Answer {
            status,
            headers,
            body: body_value,
        };
        self.record(&method, path, body, expect, &answer, not_json.as_deref());
    }

    /// A call through another client (another token, account or emulator).
    async fn call_as(&mut self, api: &Api, method: Method, path: &str, expect: Expect) -> Answer {
        let answer = api.call(method.clone(), path, None).await;
        self.record(&method, path, Body::None, expect, &answer, None);
        answer
    }

    fn violation(&mut self, phase: &'static str, pointer: &str, message: String) {
        self.violations.push(Violation {
            phase,
            operation: self.last.0.clone(),
            status: self.last.1.clone(),
            pointer: pointer.to_owned(),
            message,
        });
    }

    /// Checks one call against the spec and against what the test expected.
    fn record(
        &mut self,
        method: &Method,
        path: &str,
        body: Body<'_>,
        expect: Expect,
        answer: &Answer,
        not_json: Option<&str>,
    ) {
        let status = answer.status.as_u16();
        self.last = (format!("{method} {path}"), status.to_string());
        let Some(operation) = spec().operation_of(method, path) else {
            self.violation("request", "", "no operation of the spec matches".to_owned());
            return;
        };
        self.last.0 = format!("{operation} ({path})");
        let seen = self.seen.entry(operation.clone()).or_default();
        if answer.status.is_success() {
            seen.successes += 1;
        } else if answer.status.is_client_error() {
            seen.failures += 1;
        }
        self.check_request(&operation, body);
        self.check_expectation(expect, answer);
        if let Some(text) = not_json {
            let content_type = answer
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            self.violation(
                "response",
                "",
                format!("the body is not JSON (Content-Type `{content_type}`): {text}"),
            );
        } else {
            self.check_response(&operation, answer);
        }
    }

    fn check_request(&mut self, operation: &Operation, body: Body<'_>) {
        match (spec().body_schema(operation), body) {
            (None, Body::None) | (Some(_), Body::Missing) => {}
            (None, _) => {
                self.violation("request", "", "the operation takes no body".to_owned());
            }
            (Some(definition), Body::None) => self.violation(
                "request",
                "",
                format!("the operation takes a `{definition}` body; the test sent none"),
            ),
            (Some(definition), Body::Valid(value)) => {
                for (pointer, message) in spec().violations(&definition, value) {
                    self.violation("request", &pointer, format!("{definition}: {message}"));
                }
            }
            (Some(definition), Body::Invalid(value)) => {
                if spec().violations(&definition, value).is_empty() {
                    self.violation(
                        "request",
                        "",
                        format!("meant to break `{definition}`, but the body conforms: {value}"),
                    );
                }
            }
        }
    }

    fn check_expectation(&mut self, expect: Expect, answer: &Answer) {
        let status = answer.status.as_u16();
        let (want_status, want_code) = match expect {
            Expect::Status(status) => (status, None),
            Expect::Refused(code) => (400, Some(code)),
            Expect::Error(status, code) => (status, Some(code)),
        };
        if status != want_status {
            self.violation(
                "expectation",
                "",
                format!(
                    "expected status {want_status}, got {status}: {}",
                    answer.body
                ),
            );
        } else if let Some(code) = want_code
            && answer.error_code() != code
        {
            self.violation(
                "expectation",
                "/errorCode",
                format!("expected errorCode {code}: {}", answer.body),
            );
        }
    }

    fn check_response(&mut self, operation: &Operation, answer: &Answer) {
        let status = answer.status.as_u16();
        let definition = match spec().response_schema(operation, status) {
            Declared::Schema(definition) => Some(definition),
            Declared::Empty => None,
            // The spec declares no 401, but DocuSign answers a bad token with one, in the
            // `errorDetails` shape.
            Declared::Undeclared if status == 401 => Some("errorDetails".to_owned()),
            Declared::Undeclared => {
                self.violation(
                    "response",
                    "",
                    format!(
                        "status {status} is not declared by the spec (it declares {})",
                        spec().declared_statuses(operation)
                    ),
                );
                (status >= 400).then(|| "errorDetails".to_owned())
            }
        };
        match definition {
            None if !answer.body.is_null() => self.violation(
                "response",
                "",
                format!("the spec declares no body, got {}", answer.body),
            ),
            None => {}
            Some(definition) if answer.body.is_null() => self.violation(
                "response",
                "",
                format!("empty body; the spec declares `{definition}`"),
            ),
            Some(definition) => {
                for (pointer, message) in spec().violations(&definition, &answer.body) {
                    self.violation("response", &pointer, format!("{definition}: {message}"));
                }
            }
        }
        if !answer.body.is_null() {
            let content_type = answer
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            if !content_type.starts_with("application/json") {
                self.violation(
                    "response",
                    "",
                    format!("Content-Type is `{content_type}`, not application/json"),
                );
            }
        }
    }

    /// Records an expectation the last call's answer failed.
    fn check(&mut self, holds: bool, what: &str) {
        if !holds {
            self.violation("expectation", "", what.to_owned());
        }
    }

    /// The string at `pointer`, or a placeholder (recorded as a failure) so the run goes on.
    fn text(&mut self, answer: &Answer, pointer: &str) -> String {
        if let Some(text) = answer.body.pointer(pointer).and_then(Value::as_str) {
            return text.to_owned();
        }
        self.violation(
            "expectation",
            pointer,
            format!("expected a string: {}", answer.body),
        );
        format!("missing{}", pointer.replace('/', "-"))
    }

    /// Expects `pointer` to hold `value`.
    fn expect_eq(&mut self, answer: &Answer, pointer: &str, value: &Value) {
        let found = answer.body.pointer(pointer);
        if found != Some(value) {
            self.violation(
                "expectation",
                pointer,
                format!("expected {value}, found {found:?}"),
            );
        }
    }

    /// Expects `pointer` to be absent.
    fn expect_absent(&mut self, answer: &Answer, pointer: &str) {
        if let Some(found) = answer.body.pointer(pointer) {
            self.violation(
                "expectation",
                pointer,
                format!("expected nothing, found {found}"),
            );
        }
    }

    /// Expects the bulk item at `pointer` to be there and carry no `errorDetails`.
    fn item_ok(&mut self, answer: &Answer, pointer: &str) {
        match answer.body.pointer(pointer) {
            None => self.violation("expectation", pointer, format!("no item: {}", answer.body)),
            Some(item) if item.get("errorDetails").is_some() => {
                self.violation("expectation", pointer, format!("the item failed: {item}"));
            }
            Some(_) => {}
        }
    }

    /// Expects the bulk item at `pointer` to have failed with `code`.
    fn item_error(&mut self, answer: &Answer, pointer: &str, code: &str) {
        let found = answer
            .body
            .pointer(&format!("{pointer}/errorDetails/errorCode"))
            .and_then(Value::as_str);
        if found != Some(code) {
            let item = answer.body.pointer(pointer).cloned().unwrap_or_default();
            self.violation(
                "expectation",
                pointer,
                format!("expected errorDetails.errorCode {code}: {item}"),
            );
        }
    }

    /// The length of the array at `pointer` (0 when absent).
    fn len(answer: &Answer, pointer: &str) -> usize {
        answer
            .body
            .pointer(pointer)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }
}

// ------------------------------------------------------------------------------------------
// The run.

/// IDs of what every account has, found through the list calls.
struct Builtins {
    sender: String,
    viewer: String,
    administrators: String,
    everyone: String,
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let (running, api) = api_with(Config::default(), 6).await;
    let mut c = Contract::new(api);

    let builtins = builtins(&mut c).await;
    let sales = groups(&mut c, &builtins).await;
    users(&mut c, &builtins, &sales).await;
    profiles(&mut c, &builtins, &sales).await;
    signing_groups(&mut c).await;
    signing_group_members(&mut c).await;
    signing_group_limits(&mut c).await;
    refusals_at_the_gate(&mut c, &running).await;
    undecodable_ids(&mut c).await;

    let stats = c.api.stats().await;
    let emulator_breaches = stats["invariant_breaches"].clone();
    rate_limited(&mut c).await;

    let mut problems = Vec::new();
    for operation in spec().operations.keys() {
        let key = format!(
            "{} /restapi{ACCOUNT_PREFIX}{}",
            operation.method, operation.template
        );
        if stats["calls"].get(&key).is_none() {
            problems.push(format!("{operation}: the emulator's stats have no `{key}`"));
        }
    }
    let called: BTreeSet<&Operation> = c.seen.keys().collect();
    let not_called: Vec<String> = spec()
        .operations
        .keys()
        .filter(|operation| !called.contains(operation))
        .map(ToString::to_string)
        .collect();
    for (operation, seen) in &c.seen {
        if seen.successes == 0 {
            problems.push(format!("{operation}: no call succeeded"));
        }
        if seen.failures == 0 {
            problems.push(format!("{operation}: no call drew an error"));
        }
    }
    let violations: Vec<String> = c.violations.iter().map(ToString::to_string).collect();
    let mut report = Vec::new();
    if !not_called.is_empty() {
        report.push(format!(
            "operations of the spec never called: {not_called:?}"
        ));
    }
    if !problems.is_empty() {
        report.push(format!("coverage:\n  {}", problems.join("\n  ")));
    }
    if emulator_breaches != 0 {
        report.push(format!(
            "invariant_breaches is {emulator_breaches}: \
             a write left a user without an existing profile"
        ));
    }
    if !violations.is_empty() {
        report.push(format!(
            "{} violation(s):\n  {}",
            violations.len(),
            violations.join("\n  ")
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// The lists of profiles and groups, to find the built-ins.
async fn builtins(c: &mut Contract) -> Builtins {
    let profiles = c.get("/permission_profiles?include=user_count", OK).await;
    c.check(
        Contract::len(&profiles, "/permissionProfiles") == 3,
        "a new account has three profiles",
    );
    let mut found = BTreeMap::new();
    for profile in profiles.body["permissionProfiles"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let (Some(name), Some(id)) = (
            profile["permissionProfileName"].as_str(),
            profile["permissionProfileId"].as_str(),
        ) {
            found.insert(name.to_owned(), id.to_owned());
        }
        if profile["permissionProfileName"] == "DocuSign Sender" {
            c.check(
                profile["userCount"] == "6",
                "include=user_count counts DocuSign Sender's six users",
            );
        }
    }
    // Each setting's `…Metadata` sibling: a built-in profile's settings can't be edited.
    let with_metadata = c.get("/permission_profiles?include=metadata", OK).await;
    c.expect_eq(
        &with_metadata,
        "/permissionProfiles/0/settings/allowAccountManagementMetadata/rights",
        &json!("read_only"),
    );
    c.expect_absent(
        &profiles,
        "/permissionProfiles/0/settings/allowAccountManagementMetadata",
    );
    let groups = c.get("/groups", OK).await;
    for group in groups.body["groups"].as_array().into_iter().flatten() {
        if let (Some(name), Some(id)) = (group["groupName"].as_str(), group["groupId"].as_str()) {
            found.insert(name.to_owned(), id.to_owned());
        }
    }
    c.expect_eq(&groups, "/totalSetSize", &json!("2"));
    let mut take = |name: &str| {
        found.get(name).cloned().unwrap_or_else(|| {
            c.check(false, &format!("no built-in {name}"));
            format!("missing-{name}")
        })
    };
    Builtins {
        sender: take("DocuSign Sender"),
        viewer: take("DocuSign Viewer"),
        administrators: take("Administrators"),
        everyone: take("Everyone"),
    }
}

/// Groups and their members. Answers the ID of the group Sales, which holds user0 and user1.
async fn groups(c: &mut Contract, builtins: &Builtins) -> String {
    let created = c
        .post(
            "/groups",
            &json!({"groups": [
                {"groupName": "Sales", "permissionProfileId": builtins.sender},
                {"groupName": "Support"},
                {"groupName": "sales"},
                {"groupName": "Administrators"},
                {"groupName": ""},
            ]}),
            CREATED,
        )
        .await;
    c.item_ok(&created, "/groups/0");
    c.expect_eq(&created, "/groups/0/groupType", &json!("CustomGroup"));
    c.expect_eq(&created, "/groups/0/usersCount", &json!("0"));
    c.item_ok(&created, "/groups/1");
    c.item_error(&created, "/groups/2", "DUPLICATE_GROUP_NAME");
    c.item_error(&created, "/groups/3", "DUPLICATE_GROUP_NAME");
    c.item_error(&created, "/groups/4", "INVALID_GROUP_NAME");
    let sales = c.text(&created, "/groups/0/groupId");
    let support = c.text(&created, "/groups/1/groupId");
    c.call(
        Method::POST,
        "/groups",
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    list_groups(c, &sales).await;

    let updated = c
        .put(
            "/groups",
            &json!({"groups": [
                {
                    "groupId": support,
                    "groupName": "Customer Support",
                    "permissionProfileId": builtins.viewer,
                },
                {"groupId": builtins.everyone, "groupName": "All"},
                {"groupId": UNKNOWN_ID, "groupName": "Nobody"},
                {"groupId": support, "groupName": "SALES"},
            ]}),
            OK,
        )
        .await;
    c.item_ok(&updated, "/groups/0");
    c.expect_eq(&updated, "/groups/0/groupName", &json!("Customer Support"));
    c.expect_eq(
        &updated,
        "/groups/0/permissionProfileId",
        &json!(builtins.viewer),
    );
    c.item_error(&updated, "/groups/1", "INVALID_GROUP_ID");
    c.item_error(&updated, "/groups/2", "INVALID_GROUP_ID");
    c.item_error(&updated, "/groups/3", "DUPLICATE_GROUP_NAME");
    c.call(
        Method::PUT,
        "/groups",
        Body::Invalid(&json!("Sales")),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    group_members(c, builtins, &sales).await;

    let deleted = c
        .delete(
            "/groups",
            &json!({"groups": [
                {"groupId": support},
                {"groupId": builtins.administrators},
                {"groupId": UNKNOWN_ID},
            ]}),
            OK,
        )
        .await;
    c.item_ok(&deleted, "/groups/0");
    c.expect_eq(&deleted, "/groups/0/groupId", &json!(support));
    c.item_error(&deleted, "/groups/1", "INVALID_GROUP_ID");
    c.item_error(&deleted, "/groups/2", "INVALID_GROUP_ID");
    c.call(
        Method::DELETE,
        "/groups",
        Body::Missing,
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    sales
}

/// `GET /groups`, with Sales, Support and the two built-ins in the account.
async fn list_groups(c: &mut Contract, sales: &str) {
    let page = c.get("/groups?start_position=1&count=2", OK).await;
    for (pointer, value) in [
        ("/resultSetSize", "2"),
        ("/totalSetSize", "4"),
        ("/startPosition", "1"),
        ("/endPosition", "2"),
    ] {
        c.expect_eq(&page, pointer, &json!(value));
    }
    c.check(
        page.body["nextUri"]
            .as_str()
            .is_some_and(|uri| uri.ends_with("start_position=3&count=2")),
        "nextUri points at the next page",
    );
    let custom = c
        .get("/groups?group_type=CustomGroup&include_usercount=false", OK)
        .await;
    c.expect_eq(&custom, "/totalSetSize", &json!("2"));
    c.expect_absent(&custom, "/groups/0/usersCount");
    let found = c.get("/groups?search_text=SAL", OK).await;
    c.expect_eq(&found, "/groups/0/groupId", &json!(sales));
    c.get(
        "/groups?count=0",
        Expect::Refused("INVALID_REQUEST_PARAMETER"),
    )
    .await;
    c.get(
        "/groups?start_position=-1",
        Expect::Refused("INVALID_REQUEST_PARAMETER"),
    )
    .await;
}

/// `/groups/{groupId}/users`. Leaves user0 and user1 in Sales.
async fn group_members(c: &mut Contract, builtins: &Builtins, sales: &str) {
    let members = format!("/groups/{sales}/users");
    let added = c
        .put(
            &members,
            &json!({"users": [
                {"userId": user_id(0)},
                {"userId": user_id(1)},
                {"userId": user_id(2)},
                {"userId": user_id(0)},
                {"userId": UNKNOWN_USER},
            ]}),
            OK,
        )
        .await;
    for item in 0..3 {
        c.item_ok(&added, &format!("/users/{item}"));
    }
    c.item_error(&added, "/users/3", "USER_ALREADY_MEMBER_OF_GROUP");
    c.item_error(&added, "/users/4", "INVALID_USERID");
    let everyone = format!("/groups/{}/users", builtins.everyone);
    let one = json!({"users": [{"userId": user_id(3)}]});
    c.put(&everyone, &one, Expect::Refused("INVALID_GROUP_ID"))
        .await;
    c.put(
        &format!("/groups/{UNKNOWN_ID}/users"),
        &one,
        Expect::Refused("INVALID_GROUP_ID"),
    )
    .await;
    c.call(
        Method::PUT,
        &members,
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    let page = c.get(&format!("{members}?count=2"), OK).await;
    c.expect_eq(&page, "/totalSetSize", &json!("3"));
    c.expect_eq(&page, "/users/0/userId", &json!(user_id(0)));
    c.check(
        page.body.get("nextUri").is_some(),
        "a first page of two has a nextUri",
    );
    let all = c.get(&format!("{everyone}?count=100"), OK).await;
    c.expect_eq(&all, "/totalSetSize", &json!("7"));
    c.get(
        &format!("/groups/{UNKNOWN_ID}/users"),
        Expect::Refused("INVALID_GROUP_ID"),
    )
    .await;
    c.get(
        &format!("{members}?count=101"),
        Expect::Refused("INVALID_REQUEST_PARAMETER"),
    )
    .await;

    let removed = c
        .delete(
            &members,
            &json!({"users": [{"userId": user_id(2)}, {"userId": user_id(3)}]}),
            OK,
        )
        .await;
    c.item_ok(&removed, "/users/0");
    c.item_error(&removed, "/users/1", "USER_NOT_MEMBER_OF_GROUP");
    c.delete(&everyone, &one, Expect::Refused("INVALID_GROUP_ID"))
        .await;
    c.delete(
        &format!("/groups/{UNKNOWN_ID}/users"),
        &one,
        Expect::Refused("INVALID_GROUP_ID"),
    )
    .await;
    let after = c.get(&members, OK).await;
    c.expect_eq(&after, "/totalSetSize", &json!("2"));
}

/// Users: list, get, bulk create and update, one user, the profile, close.
async fn users(c: &mut Contract, builtins: &Builtins, sales: &str) {
    let page = c.get("/users?count=2&additional_info=true", OK).await;
    for (pointer, value) in [
        ("/resultSetSize", "2"),
        ("/totalSetSize", "7"),
        ("/startPosition", "0"),
        ("/endPosition", "1"),
        ("/users/0/userId", ADMIN_ID),
        ("/users/0/permissionProfileName", "Account Administrator"),
        ("/users/0/isAdmin", "True"),
    ] {
        c.expect_eq(&page, pointer, &json!(value));
    }
    let last = c.get("/users?start_position=6&count=5", OK).await;
    c.expect_eq(&last, "/resultSetSize", &json!("1"));
    c.expect_absent(&last, "/nextUri");
    let by_email = c.get(&format!("/users?email={ADMIN_EMAIL}"), OK).await;
    c.expect_eq(&by_email, "/users/0/userId", &json!(ADMIN_ID));
    let in_group = c
        .get(
            &format!("/users?group_id={sales}&status=Active,ActivationSent"),
            OK,
        )
        .await;
    c.expect_eq(&in_group, "/totalSetSize", &json!("2"));
    // The spec: `group_id` "filters results based on one or more group IDs".
    let in_either = c
        .get(
            &format!("/users?group_id={sales},{}", builtins.administrators),
            OK,
        )
        .await;
    if in_either.status == 200 {
        c.expect_eq(&in_either, "/totalSetSize", &json!("3"));
    }
    for (query, code) in [
        ("count=0", "INVALID_REQUEST_PARAMETER"),
        ("count=101", "INVALID_REQUEST_PARAMETER"),
        ("status=Sleeping", "INVALID_REQUEST_PARAMETER"),
        ("email=nobody@example.com", "USER_LACKS_MEMBERSHIP"),
        (
            "email=user1@example.com&email_substring=user",
            "INVALID_REQUEST_PARAMETER",
        ),
        ("group_id=1", "INVALID_GROUP_ID"),
    ] {
        c.get(&format!("/users?{query}"), Expect::Refused(code))
            .await;
    }

    let one = c.get(&format!("/users/{ADMIN_ID}"), OK).await;
    c.expect_eq(&one, "/email", &json!(ADMIN_EMAIL));
    c.get(
        &format!("/users/{UNKNOWN_USER}"),
        Expect::Refused("INVALID_USERID"),
    )
    .await;

    create_users(c, builtins).await;
    update_users(c, builtins).await;
    user_profiles(c, builtins).await;

    let closed = c
        .delete(
            "/users?delete=Groups",
            &json!({"users": [{"userId": user_id(0)}, {"userId": UNKNOWN_USER}]}),
            OK,
        )
        .await;
    c.item_ok(&closed, "/users/0");
    c.expect_eq(&closed, "/users/0/userStatus", &json!("Closed"));
    c.item_error(&closed, "/users/1", "INVALID_USERID");
    c.call(
        Method::DELETE,
        "/users",
        Body::Missing,
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    let members = c.get(&format!("/groups/{sales}/users"), OK).await;
    c.expect_eq(&members, "/totalSetSize", &json!("1"));
    c.put(
        &format!("/users/{}", user_id(0)),
        &json!({"jobTitle": "Ghost"}),
        Expect::Refused("USER_LACKS_MEMBERSHIP"),
    )
    .await;
    let rejoin = c
        .put(
            &format!("/groups/{sales}/users"),
            &json!({"users": [{"userId": user_id(0)}]}),
            OK,
        )
        .await;
    c.item_error(&rejoin, "/users/0", "INVALID_USERID");
}

/// `POST /users`.
async fn create_users(c: &mut Contract, builtins: &Builtins) {
    let created = c
        .post(
            "/users",
            &json!({"newUsers": [
                {
                    "userName": "Tal Mason",
                    "email": "tal@example.com",
                    "firstName": "Tal",
                    "lastName": "Mason",
                    "permissionProfileId": builtins.viewer,
                    "groupList": [{"groupId": builtins.administrators}],
                },
                {"userName": "User 1", "email": "USER1@example.com"},
                {"userName": "No Mail", "email": "not-an-email"},
                {"email": "nameless@example.com"},
            ]}),
            CREATED,
        )
        .await;
    c.item_ok(&created, "/newUsers/0");
    c.expect_eq(&created, "/newUsers/0/userStatus", &json!("ActivationSent"));
    c.expect_eq(
        &created,
        "/newUsers/0/permissionProfileName",
        &json!("DocuSign Viewer"),
    );
    c.item_error(&created, "/newUsers/1", "USER_ALREADY_EXISTS_IN_ACCOUNT");
    // As the spec's example answers a refused new user: the user it ran into, and the never
    // date for a record that was not made.
    c.expect_eq(&created, "/newUsers/1/userId", &json!(user_id(1)));
    c.expect_eq(
        &created,
        "/newUsers/1/uri",
        &json!(format!("/users/{}", user_id(1))),
    );
    c.expect_eq(&created, "/newUsers/1/email", &json!("USER1@example.com"));
    c.expect_eq(
        &created,
        "/newUsers/1/createdDateTime",
        &json!("0001-01-01T08:00:00.0000000Z"),
    );
    c.item_error(&created, "/newUsers/2", "INVALID_EMAIL_ADDRESS_FOR_USER");
    c.expect_absent(&created, "/newUsers/2/userId");
    c.expect_eq(
        &created,
        "/newUsers/2/createdDateTime",
        &json!("0001-01-01T08:00:00.0000000Z"),
    );
    c.item_error(&created, "/newUsers/3", "INVALID_USERNAME_FOR_USER");
    let crowd: Vec<Value> = (0..501)
        .map(
            |n| json!({"userName": format!("Crowd {n}"), "email": format!("crowd{n}@example.com")}),
        )
        .collect();
    c.post(
        "/users",
        &json!({"newUsers": crowd}),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    let nobody = c.get("/users?email_substring=crowd&count=1", OK).await;
    c.expect_eq(&nobody, "/totalSetSize", &json!("0"));
    c.call(
        Method::POST,
        "/users",
        Body::Invalid(&json!({"newUsers": "Tal Mason"})),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    c.call(
        Method::POST,
        "/users",
        Body::Missing,
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
}

/// `PUT /users` and `PUT /users/{userId}`.
async fn update_users(c: &mut Contract, builtins: &Builtins) {
    let updated = c
        .put(
            "/users",
            &json!({"users": [
                {"userId": user_id(3), "jobTitle": "Clerk", "permissionProfileId": builtins.viewer},
                {"userId": UNKNOWN_USER, "jobTitle": "Nobody"},
                {"userId": user_id(4), "permissionProfileId": UNKNOWN_ID},
            ]}),
            OK,
        )
        .await;
    c.item_ok(&updated, "/users/0");
    c.expect_eq(&updated, "/users/0/jobTitle", &json!("Clerk"));
    c.expect_eq(
        &updated,
        "/users/0/permissionProfileId",
        &json!(builtins.viewer),
    );
    c.item_error(&updated, "/users/1", "INVALID_USERID");
    c.item_error(&updated, "/users/2", "INVALID_PERMISSION_PROFILE_ID");
    c.call(
        Method::PUT,
        "/users",
        Body::Invalid(&json!(["Clerk"])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    let path = format!("/users/{}", user_id(1));
    let one = c
        .put(
            &path,
            &json!({"firstName": "Uma", "lastName": "One", "jobTitle": "Lead"}),
            OK,
        )
        .await;
    c.expect_eq(&one, "/firstName", &json!("Uma"));
    c.expect_eq(&one, "/jobTitle", &json!("Lead"));
    c.put(
        &format!("/users/{UNKNOWN_USER}"),
        &json!({"jobTitle": "Nobody"}),
        Expect::Refused("INVALID_USERID"),
    )
    .await;
    c.put(
        &path,
        &json!({"permissionProfileId": UNKNOWN_ID}),
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.call(
        Method::PUT,
        &path,
        Body::Invalid(&json!("Lead")),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
}

/// `/users/{userId}/profile`.
async fn user_profiles(c: &mut Contract, builtins: &Builtins) {
    let own = c.get(&format!("/users/{ADMIN_ID}/profile"), OK).await;
    c.expect_eq(&own, "/userDetails/userId", &json!(ADMIN_ID));
    c.get(
        &format!("/users/{}/profile", user_id(1)),
        Expect::Refused("USER_LACKS_PERMISSIONS"),
    )
    .await;
    let path = format!("/users/{}/profile", user_id(1));
    c.put(
        &path,
        &json!({"userDetails": {"permissionProfileId": builtins.viewer}}),
        OK,
    )
    .await;
    let after = c.get(&format!("/users/{}", user_id(1)), OK).await;
    c.expect_eq(&after, "/permissionProfileName", &json!("DocuSign Viewer"));
    c.put(
        &format!("/users/{UNKNOWN_USER}/profile"),
        &json!({"userDetails": {"jobTitle": "Nobody"}}),
        Expect::Refused("INVALID_USERID"),
    )
    .await;
    c.put(
        &path,
        &json!({"userDetails": {"permissionProfileId": UNKNOWN_ID}}),
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.call(
        Method::PUT,
        &path,
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
}

/// Permission profiles: get, create, update, delete (the list is in [`builtins`]).
async fn profiles(c: &mut Contract, builtins: &Builtins, sales: &str) {
    let viewer = c
        .get(&format!("/permission_profiles/{}", builtins.viewer), OK)
        .await;
    c.expect_eq(&viewer, "/permissionProfileName", &json!("DocuSign Viewer"));
    c.get(
        &format!("/permission_profiles/{UNKNOWN_ID}"),
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.get(
        "/permission_profiles/viewer",
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;

    let created = c
        .post(
            "/permission_profiles",
            &json!({
                "permissionProfileName": "Auditors",
                "settings": {"allowBulkSending": "false", "allowedTemplateAccess": "none"},
            }),
            CREATED,
        )
        .await;
    c.expect_eq(&created, "/settings/allowBulkSending", &json!("false"));
    c.expect_eq(&created, "/modifiedByUsername", &json!("Ada Admin"));
    let auditors = c.text(&created, "/permissionProfileId");
    for (body, code) in [
        (
            json!({"permissionProfileName": "docusign sender"}),
            "PERMISSION_PROFILE_NAME_ALREADY_EXISTS",
        ),
        (
            json!({"settings": {"allowBulkSending": "true"}}),
            "INVALID_REQUEST_PARAMETER",
        ),
        (
            json!({"permissionProfileName": "Odd", "settings": {"allowBulkSending": "sometimes"}}),
            "INVALID_REQUEST_PARAMETER",
        ),
    ] {
        c.post("/permission_profiles", &body, Expect::Refused(code))
            .await;
    }
    // A JSON boolean where the spec says string breaks the schema (the request check must see
    // that), yet DocuSign's lenient reader takes it, and so does the emulator.
    c.call(
        Method::POST,
        "/permission_profiles",
        Body::Invalid(
            &json!({"permissionProfileName": "Typed", "settings": {"allowBulkSending": true}}),
        ),
        CREATED,
    )
    .await;
    c.call(
        Method::POST,
        "/permission_profiles",
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    update_profile(c, builtins, &auditors).await;
    delete_profile(c, builtins, sales, &auditors).await;
}

/// `PUT /permission_profiles/{id}`, on Auditors.
async fn update_profile(c: &mut Contract, builtins: &Builtins, auditors: &str) {
    let path = format!("/permission_profiles/{auditors}");
    let updated = c
        .put(
            &path,
            &json!({
                "permissionProfileName": "Auditors EMEA",
                "settings": {"allowBulkSending": "true"},
            }),
            OK,
        )
        .await;
    c.expect_eq(&updated, "/permissionProfileName", &json!("Auditors EMEA"));
    c.expect_eq(&updated, "/settings/allowBulkSending", &json!("true"));
    c.expect_eq(&updated, "/settings/allowedTemplateAccess", &json!("none"));
    let rename = json!({"permissionProfileName": "Senders"});
    c.put(
        &format!("/permission_profiles/{}", builtins.sender),
        &rename,
        Expect::Refused("PERMISSION_PROFILE_CANNOT_BE_MODIFIED"),
    )
    .await;
    c.put(
        &format!("/permission_profiles/{UNKNOWN_ID}"),
        &rename,
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.put(
        &path,
        &json!({"permissionProfileName": "DocuSign Viewer"}),
        Expect::Refused("PERMISSION_PROFILE_NAME_ALREADY_EXISTS"),
    )
    .await;
    c.call(
        Method::PUT,
        &path,
        Body::Invalid(&json!("Auditors")),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
}

/// `DELETE /permission_profiles/{id}`, with a user and a group on the profile.
async fn delete_profile(c: &mut Contract, builtins: &Builtins, sales: &str, auditors: &str) {
    let holder = format!("/users/{}", user_id(2));
    c.put(&holder, &json!({"permissionProfileId": auditors}), OK)
        .await;
    let group = c
        .put(
            "/groups",
            &json!({"groups": [{"groupId": sales, "permissionProfileId": auditors}]}),
            OK,
        )
        .await;
    c.item_ok(&group, "/groups/0");
    let path = format!("/permission_profiles/{auditors}");
    c.call(
        Method::DELETE,
        &path,
        Body::None,
        Expect::Refused("PERMISSION_PROFILE_HAS_USERS"),
    )
    .await;
    c.call(
        Method::DELETE,
        &format!("{path}?move_users_to={UNKNOWN_ID}"),
        Body::None,
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.call(
        Method::DELETE,
        &format!("{path}?move_users_to={}", builtins.viewer),
        Body::None,
        OK,
    )
    .await;
    let moved = c.get(&holder, OK).await;
    c.expect_eq(&moved, "/permissionProfileId", &json!(builtins.viewer));
    let group = c.get("/groups?search_text=sales", OK).await;
    c.expect_absent(&group, "/groups/0/permissionProfileId");
    c.call(
        Method::DELETE,
        &path,
        Body::None,
        Expect::Refused("INVALID_PERMISSION_PROFILE_ID"),
    )
    .await;
    c.call(
        Method::DELETE,
        &format!("/permission_profiles/{}", builtins.viewer),
        Body::None,
        Expect::Refused("PERMISSION_PROFILE_CANNOT_BE_MODIFIED"),
    )
    .await;
}

/// `n` signing-group members `{prefix}{i}@example.com`.
fn members(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "userName": format!("{prefix} {i}"),
                "email": format!("{prefix}{i}@example.com"),
            })
        })
        .collect()
}

/// Signing groups: create, list, get one, update one, rename, delete.
async fn signing_groups(c: &mut Contract) {
    let created = c
        .post(
            "/signing_groups",
            &json!({"groups": [
                {
                    "groupName": "Finance approvers",
                    "groupEmail": "finance@example.com",
                    "groupType": "sharedSigningGroup",
                    "users": [
                        {"userName": "Jon Hacks", "email": "jon@example.com"},
                        {"userName": "Ada Admin", "email": ADMIN_EMAIL},
                    ],
                },
                {"groupName": "Legal", "groupType": "sharedSigningGroup"},
                {"groupName": "finance APPROVERS"},
                {"groupName": "Private", "groupType": "privateSigningGroup"},
                {"groupName": "Bad mail", "groupEmail": "not-an-email"},
                {"groupName": "Crowd", "users": members("crowd", 51)},
                {"groupName": ""},
            ]}),
            CREATED,
        )
        .await;
    c.item_ok(&created, "/groups/0");
    c.expect_eq(
        &created,
        "/groups/0/groupType",
        &json!("sharedSigningGroup"),
    );
    // The maker by name, the last modifier by user ID, as the spec describes them.
    c.expect_eq(&created, "/groups/0/createdBy", &json!("Ada Admin"));
    c.expect_eq(&created, "/groups/0/modifiedBy", &json!(ADMIN_ID));
    c.item_ok(&created, "/groups/1");
    c.item_error(&created, "/groups/2", "SIGNING_GROUP_NAME_EXISTS");
    c.item_error(&created, "/groups/3", "INVALID_REQUEST_PARAMETER");
    c.item_error(&created, "/groups/4", "INVALID_EMAIL_ADDRESS_FOR_USER");
    c.item_error(&created, "/groups/5", "SIGNING_GROUP_MAX_USERS_EXCEEDED");
    c.item_error(&created, "/groups/6", "INVALID_REQUEST_PARAMETER");
    let finance = c.text(&created, "/groups/0/signingGroupId");
    let legal = c.text(&created, "/groups/1/signingGroupId");
    c.call(
        Method::POST,
        "/signing_groups",
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    let listed = c.get("/signing_groups?include_users=true", OK).await;
    c.check(
        Contract::len(&listed, "/groups") == 2,
        "two signing groups are listed",
    );
    c.check(
        Contract::len(&listed, "/groups/0/users") == 2,
        "include_users=true lists members",
    );
    let plain = c
        .get("/signing_groups?group_type=sharedSigningGroup", OK)
        .await;
    c.expect_absent(&plain, "/groups/0/users");
    c.get(
        "/signing_groups?group_type=privateSigningGroup",
        Expect::Refused("INVALID_REQUEST_PARAMETER"),
    )
    .await;

    update_signing_groups(c, &finance, &legal).await;
}

/// `PUT /signing_groups/{signingGroupId}` and the bulk rename, on Finance approvers and Legal.
async fn update_signing_groups(c: &mut Contract, finance: &str, legal: &str) {
    let path = format!("/signing_groups/{finance}");
    let one = c.get(&path, OK).await;
    c.expect_eq(&one, "/groupEmail", &json!("finance@example.com"));
    c.get(
        &format!("/signing_groups/{UNKNOWN_ID}"),
        Expect::Refused("INVALID_SIGNING_GROUP_ID"),
    )
    .await;

    let updated = c
        .put(
            &path,
            &json!({
                "groupName": "Finance",
                "groupEmail": "fin@example.com",
                "users": [
                    {"userName": "Jon Hacks Jr", "email": "JON@example.com"},
                    {"userName": "Nat Irving", "email": "nat@example.com"},
                ],
            }),
            OK,
        )
        .await;
    c.expect_eq(&updated, "/groupName", &json!("Finance"));
    c.check(
        Contract::len(&updated, "/users") == 3,
        "members are merged by email",
    );
    c.expect_eq(&updated, "/users/0/userName", &json!("Jon Hacks Jr"));
    for (body, code) in [
        (json!({"groupName": "LEGAL"}), "SIGNING_GROUP_NAME_EXISTS"),
        (
            json!({"users": [{"userName": "No Mail", "email": "nope"}]}),
            "INVALID_EMAIL_ADDRESS_FOR_USER",
        ),
        (
            json!({"users": members("more", 48)}),
            "SIGNING_GROUP_MAX_USERS_EXCEEDED",
        ),
    ] {
        c.put(&path, &body, Expect::Refused(code)).await;
    }
    c.put(
        &format!("/signing_groups/{UNKNOWN_ID}"),
        &json!({"groupName": "Nobody"}),
        Expect::Refused("INVALID_SIGNING_GROUP_ID"),
    )
    .await;
    c.call(
        Method::PUT,
        &path,
        Body::Invalid(&json!("Finance")),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    let renamed = c
        .put(
            "/signing_groups",
            &json!({"groups": [
                {"signingGroupId": legal, "groupName": "Legal EMEA"},
                {"signingGroupId": UNKNOWN_ID, "groupName": "Nobody"},
                {"signingGroupId": finance, "groupName": "legal emea"},
            ]}),
            OK,
        )
        .await;
    c.item_ok(&renamed, "/groups/0");
    c.expect_eq(&renamed, "/groups/0/groupName", &json!("Legal EMEA"));
    c.item_error(&renamed, "/groups/1", "INVALID_SIGNING_GROUP_ID");
    c.item_error(&renamed, "/groups/2", "SIGNING_GROUP_NAME_EXISTS");
    c.call(
        Method::PUT,
        "/signing_groups",
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
}

/// `/signing_groups/{signingGroupId}/users`, on a new group.
async fn signing_group_members(c: &mut Contract) {
    let created = c
        .post(
            "/signing_groups",
            &json!({"groups": [{"groupName": "Reviewers", "users": members("reviewer", 2)}]}),
            CREATED,
        )
        .await;
    let id = c.text(&created, "/groups/0/signingGroupId");
    let path = format!("/signing_groups/{id}/users");
    let unknown = format!("/signing_groups/{UNKNOWN_ID}/users");

    let listed = c.get(&path, OK).await;
    c.check(
        Contract::len(&listed, "/users") == 2,
        "two members are listed",
    );
    c.get(&unknown, Expect::Refused("INVALID_SIGNING_GROUP_ID"))
        .await;

    let lee = json!({"users": [{"userName": "Lee Gal", "email": "lee@example.com"}]});
    let added = c.put(&path, &lee, OK).await;
    c.expect_eq(&added, "/users/0/email", &json!("lee@example.com"));
    c.put(&unknown, &lee, Expect::Refused("INVALID_SIGNING_GROUP_ID"))
        .await;
    let long_name = json!({"users": [{"userName": "x".repeat(101), "email": "long@example.com"}]});
    c.put(
        &path,
        &long_name,
        Expect::Refused("INVALID_USERNAME_FOR_USER"),
    )
    .await;
    c.put(
        &path,
        &json!({"users": members("many", 48)}),
        Expect::Refused("SIGNING_GROUP_MAX_USERS_EXCEEDED"),
    )
    .await;
    c.call(
        Method::PUT,
        &path,
        Body::Invalid(&json!([])),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;

    let removed = c.delete(&path, &lee, OK).await;
    c.expect_eq(&removed, "/users/0/email", &json!("lee@example.com"));
    let again = c.delete(&path, &lee, OK).await;
    c.expect_absent(&again, "/users/0");
    c.delete(&unknown, &lee, Expect::Refused("INVALID_SIGNING_GROUP_ID"))
        .await;
    c.call(
        Method::DELETE,
        &path,
        Body::Missing,
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    let left = c.get(&path, OK).await;
    c.check(Contract::len(&left, "/users") == 2, "two members are left");
}

/// At most 50 signing groups; then the bulk delete.
async fn signing_group_limits(c: &mut Contract) {
    let listed = c.get("/signing_groups", OK).await;
    let existing = Contract::len(&listed, "/groups");
    let room = 50usize.saturating_sub(existing);
    let teams: Vec<Value> = (0..=room)
        .map(|n| json!({"groupName": format!("Team {n}")}))
        .collect();
    let created = c
        .post("/signing_groups", &json!({"groups": teams}), CREATED)
        .await;
    if room > 0 {
        c.item_ok(&created, &format!("/groups/{}", room - 1));
    }
    c.item_error(
        &created,
        &format!("/groups/{room}"),
        "SIGNING_GROUP_MAX_EXCEEDED",
    );
    let first = c.text(&created, "/groups/0/signingGroupId");

    let deleted = c
        .delete(
            "/signing_groups",
            &json!({"groups": [{"signingGroupId": first}, {"signingGroupId": UNKNOWN_ID}]}),
            OK,
        )
        .await;
    c.item_ok(&deleted, "/groups/0");
    c.expect_eq(&deleted, "/groups/0/signingGroupId", &json!(first));
    c.item_error(&deleted, "/groups/1", "INVALID_SIGNING_GROUP_ID");
    c.call(
        Method::DELETE,
        "/signing_groups",
        Body::Invalid(&json!("Team 0")),
        Expect::Refused("INVALID_REQUEST_BODY"),
    )
    .await;
    c.get(
        &format!("/signing_groups/{first}"),
        Expect::Refused("INVALID_SIGNING_GROUP_ID"),
    )
    .await;
}

/// A bad token and a foreign account, refused before any handler runs.
async fn refusals_at_the_gate(c: &mut Contract, running: &docusign_gitops::emulator::Running) {
    let mut stranger = Api::new(running);
    "not-a-token".clone_into(&mut stranger.token);
    c.call_as(
        &stranger,
        Method::GET,
        "/permission_profiles",
        Expect::Error(401, "AUTHORIZATION_INVALID_TOKEN"),
    )
    .await;
    let mut elsewhere = Api::new(running);
    elsewhere.base = format!(
        "{}/restapi/v2.1/accounts/00000000-0000-4000-8000-000000000000",
        running.url
    );
    c.call_as(
        &elsewhere,
        Method::GET,
        "/permission_profiles",
        Expect::Refused("USER_LACKS_MEMBERSHIP"),
    )
    .await;
}

/// An ID that isn't UTF-8 once percent-decoded: still DocuSign's 400 `errorDetails`.
async fn undecodable_ids(c: &mut Contract) {
    let operations: Vec<Operation> = spec()
        .operations
        .keys()
        .filter(|operation| operation.template.contains('{'))
        .cloned()
        .collect();
    for operation in operations {
        let path: Vec<&str> = operation
            .template
            .split('/')
            .map(|part| if part.starts_with('{') { "%FF" } else { part })
            .collect();
        let method: Method = operation.method.parse().expect("an HTTP method");
        let empty = json!({});
        let body = if spec().body_schema(&operation).is_some() {
            Body::Valid(&empty)
        } else {
            Body::None
        };
        c.call_raw(method, &path.join("/"), body, Expect::Status(400))
            .await;
    }
}

/// A burst limit of two: the third call is refused with DocuSign's 400.
async fn rate_limited(c: &mut Contract) {
    let config = Config {
        burst_limit: 2,
        ..Config::default()
    };
    let (_running, api) = api_with(config, 0).await;
    for _ in 0..2 {
        c.call_as(&api, Method::GET, "/signing_groups", OK).await;
    }
    c.call_as(
        &api,
        Method::GET,
        "/signing_groups",
        Expect::Refused("BURST_APIINVOCATION_LIMIT_EXCEEDED"),
    )
    .await;
    let stats = api.stats().await;
    c.check(
        stats["rate_limit_rejections"] == 1,
        "the emulator counts the refusal",
    );
    c.check(
        stats["invariant_breaches"] == 0,
        "no invariant breach in the rate-limited emulator",
    );
}

/// The validators are as strict as the test relies on.
#[test]
fn the_validators_refuse_unknown_fields_and_typed_scalars() {
    let good = json!({"errorCode": "INVALID_USERID", "message": "Invalid Userid."});
    assert!(spec().violations("errorDetails", &good).is_empty());
    let extra = json!({"errorCode": "INVALID_USERID", "message": "m", "status": "400"});
    assert_eq!(spec().violations("errorDetails", &extra).len(), 1);
    let typed = json!({"resultSetSize": 2, "users": [{"userId": "u", "isAdmin": false}]});
    let found = spec().violations("userInformationList", &typed);
    let pointers: BTreeSet<&str> = found.iter().map(|(pointer, _)| pointer.as_str()).collect();
    assert_eq!(
        pointers,
        BTreeSet::from(["/resultSetSize", "/users/0/isAdmin"]),
        "{found:?}"
    );
    let nested = json!({"groups": [{"groupId": "1", "users": [{"userId": "u", "nickname": "x"}]}]});
    assert_eq!(spec().violations("groupInformation", &nested).len(), 1);
    assert!(
        !spec()
            .violations("permissionProfile", &Value::Null)
            .is_empty()
    );
    assert_eq!(spec().operations.len(), 29, "the subset has 29 operations");
}
