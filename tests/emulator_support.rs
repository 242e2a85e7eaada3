//! Starting an emulator for a test, and calling it.
#![allow(dead_code)] // each test module uses its own part of the harness

use std::net::SocketAddr;

use docusign_gitops::emulator::account::{Account, User, UserStatus};
use docusign_gitops::emulator::{self, Config, Running};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The access token every test emulator accepts, for its administrator (or, started from a
/// seed, the seed's integration user).
pub const TOKEN: &str = "emulator-test-token";
pub const ACCOUNT_ID: &str = "3f8a2c1e-6b4d-4e7f-9a21-5c0d8e7b1f36";
pub const ADMIN_ID: &str = "0d9b1c2e-0000-4000-8000-00000000a001";
pub const ADMIN_EMAIL: &str = "admin@example.com";

const STAMP: &str = "2026-01-05T09:00:00.0000000Z";

/// An account with its administrator (Account Administrator, in Administrators) and `users`
/// more active users on DocuSign Sender, `user0@example.com` and on.
pub fn account_with(users: usize) -> Account {
    let mut account = Account::new(ACCOUNT_ID, "Test Account", STAMP);
    let admin_profile = account
        .profile_named("Account Administrator")
        .expect("built-in")
        .id;
    let sender = account
        .profile_named("DocuSign Sender")
        .expect("built-in")
        .id;
    account.push_user(user(ADMIN_ID, "Ada Admin", ADMIN_EMAIL, admin_profile));
    let admins = account.group_named("Administrators").expect("built-in").id;
    account
        .groups
        .get_mut(&admins)
        .expect("group")
        .members
        .insert(ADMIN_ID.to_owned());
    for n in 0..users {
        let id = format!("0d9b1c2e-0000-4000-8000-{n:012}");
        account.push_user(user(
            &id,
            &format!("User {n}"),
            &format!("user{n}@example.com"),
            sender,
        ));
    }
    account
}

fn user(id: &str, name: &str, email: &str, profile_id: u64) -> User {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    User {
        id: id.to_owned(),
        user_name: name.to_owned(),
        email: email.to_owned(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        job_title: String::new(),
        status: UserStatus::Active,
        profile_id,
        created: STAMP.to_owned(),
        modified: STAMP.to_owned(),
        added: None,
        last_login: None,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// Starts an emulator on a free loopback port that accepts [`TOKEN`] for the administrator.
pub async fn start(mut config: Config, account: Account) -> Running {
    config
        .credentials
        .static_tokens
        .push((TOKEN.to_owned(), ADMIN_ID.to_owned()));
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    emulator::start(config, vec![account], addr)
        .await
        .expect("start the emulator")
}

/// One answer: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `errorCode` of an error body.
    pub fn error_code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or_default()
    }
}

/// Calls the eSignature API of a running emulator as its administrator.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    pub base: String,
    pub url: String,
    pub token: String,
}

impl Api {
    pub fn new(running: &Running) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: format!("{}/restapi/v2.1/accounts/{ACCOUNT_ID}", running.url),
            url: running.url.clone(),
            token: TOKEN.to_owned(),
        }
    }

    /// A client of the emulator at `url`, as the administrator of [`ACCOUNT_ID`].
    pub fn new_at(url: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: format!("{url}/restapi/v2.1/accounts/{ACCOUNT_ID}"),
            url: url.to_owned(),
            token: TOKEN.to_owned(),
        }
    }

    /// `METHOD {base}{path}` with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a whole body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str, body: Option<&Value>) -> Answer {
        self.call(Method::DELETE, path, body).await
    }

    /// The emulator's own statistics.
    pub async fn stats(&self) -> Value {
        self.client
            .get(format!("{}/_emulator/stats", self.url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON")
    }
}

/// Starts the default emulator over an account with `users` users and returns a client.
pub async fn api_with(config: Config, users: usize) -> (Running, Api) {
    let running = start(config, account_with(users)).await;
    let api = Api::new(&running);
    (running, api)
}

/// An RSA key pair as PEM (PKCS#8 private key, SPKI public key), made at test time: no key is
/// committed.
pub struct Keys {
    pub private_pem: String,
    pub public_pem: String,
}

/// The key the tests register with emulators, made once per test binary.
pub static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(generate_keys);
/// Another key, unknown to any emulator.
pub static STRANGER_KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(generate_keys);

fn generate_keys() -> Keys {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("generate an RSA key pair");
    let private = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).expect("PKCS#8 DER");
    let public = AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(pair.public_key())
        .expect("SPKI DER");
    Keys {
        private_pem: pem("PRIVATE KEY", private.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A user named `first last`, `first@example.com`, active, holding `profile_id`.
pub fn person(id: &str, first: &str, last: &str, profile_id: u64) -> User {
    User {
        id: id.to_owned(),
        user_name: format!("{first} {last}"),
        email: format!("{}@example.com", first.to_lowercase()),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        job_title: String::new(),
        status: UserStatus::Active,
        profile_id,
        created: "2024-03-01T09:30:00.0000000Z".to_owned(),
        modified: "2024-03-01T09:30:00.0000000Z".to_owned(),
        added: None,
        last_login: None,
        managed_by_scim: false,
        membership_managed_by_scim: false,
    }
}

/// An account named `name` whose users (ID, first, last) hold DocuSign Sender.
pub fn named_account(id: &str, name: &str, users: &[(&str, &str, &str)]) -> Account {
    let mut account = Account::new(id, name, "2024-03-01T09:00:00.0000000Z");
    let sender = account
        .profile_named("DocuSign Sender")
        .expect("every account has DocuSign Sender")
        .id;
    for (id, first, last) in users {
        account.push_user(person(id, first, last, sender));
    }
    account
}

/// What a live snapshot of an emulated account reads, in `model` terms: the expectation the
/// client's snapshot is held to, and the live side of the plan scenarios.
pub fn live_model(account: &Account) -> docusign_gitops::model::Account {
    use docusign_gitops::emulator::account::{GroupKind, UserStatus as EmulatedStatus};
    use docusign_gitops::model::{
        Account, EmailKey, Group, NameKey, PermissionProfile, SigningGroup, SigningGroupMember,
        User, UserStatus,
    };

    let mut model = Account::default();
    for profile in account.profiles.values() {
        model.permission_profiles.insert(
            NameKey::new(&profile.name),
            PermissionProfile {
                id: Some(profile.id.to_string()),
                name: profile.name.clone(),
                settings: profile.settings.clone(),
                previously: Vec::new(),
            },
        );
    }
    for group in account.groups.values() {
        model.groups.insert(
            NameKey::new(&group.name),
            Group {
                id: Some(group.id.to_string()),
                name: group.name.clone(),
                permission_profile: group
                    .profile_id
                    .map(|id| account.profiles[&id].name.clone()),
                previously: Vec::new(),
            },
        );
    }
    for user in &account.users {
        // Of two records with one email (a reopen that made a new user), the open one is the
        // user, as a snapshot reads it.
        let open_beside = |key: &EmailKey| {
            model
                .users
                .get(key)
                .is_some_and(|found: &User| found.status != UserStatus::Closed)
        };
        if user.status == EmulatedStatus::Closed && open_beside(&EmailKey::new(&user.email)) {
            continue;
        }
        let groups = account
            .groups_of(user)
            .into_iter()
            .filter(|group| group.kind != GroupKind::Everyone)
            .map(|group| group.name.clone())
            .collect();
        model.users.insert(
            EmailKey::new(&user.email),
            User {
                id: Some(user.id.clone()),
                email: user.email.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
                job_title: (!user.job_title.is_empty()).then(|| user.job_title.clone()),
                permission_profile: account.profiles[&user.profile_id].name.clone(),
                groups,
                status: match user.status {
                    EmulatedStatus::Active => UserStatus::Active,
                    EmulatedStatus::ActivationSent | EmulatedStatus::ActivationRequired => {
                        UserStatus::Pending
                    }
                    EmulatedStatus::Closed => UserStatus::Closed,
                    EmulatedStatus::Disabled => UserStatus::Disabled,
                },
                managed_by_scim: user.managed_by_scim,
                membership_managed_by_scim: user.membership_managed_by_scim,
            },
        );
    }
    for group in account.signing_groups.values() {
        model.signing_groups.insert(
            NameKey::new(&group.name),
            SigningGroup {
                id: Some(group.id.to_string()),
                name: group.name.clone(),
                email: group.email.clone(),
                members: group
                    .members
                    .iter()
                    .map(|member| {
                        (
                            EmailKey::new(&member.email),
                            SigningGroupMember {
                                name: member.user_name.clone(),
                                email: member.email.clone(),
                            },
                        )
                    })
                    .collect(),
                previously: Vec::new(),
            },
        );
    }
    model
}
