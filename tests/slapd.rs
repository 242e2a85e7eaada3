//! A real OpenLDAP server for the LDAP source's tests: Debian's `slapd`, configured by a
//! generated `slapd.conf` in a temp dir, its database bulk-loaded with `slapadd` before it
//! starts, listening on a free port of 127.0.0.1, and stopped when the handle is dropped. No
//! root needed. Without slapd the tests fail, saying how to install it: CI installs it.

use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, Scope};
use tempfile::TempDir;

/// The directory's root; every test's entries go under it.
pub const SUFFIX: &str = "dc=example,dc=com";
/// An ordinary account the tests bind as: the root DN would be above the size limit.
pub const READER_DN: &str = "cn=reader,dc=example,dc=com";
pub const READER_PASSWORD: &str = "Reader-Pa55-unique-8c1f";
/// Where the generated people and groups go.
pub const PEOPLE: &str = "ou=people,dc=example,dc=com";
pub const GROUPS: &str = "ou=groups,dc=example,dc=com";

/// A running slapd, stopped on drop.
pub struct Slapd {
    child: Child,
    /// `ldap://127.0.0.1:PORT`
    pub url: String,
    dir: TempDir,
}

impl Slapd {
    /// Starts a server holding the root, the reader, `ou=people` and `ou=groups`, then `ldif`
    /// (entries separated by blank lines), answering at most `size_limit` entries to a search
    /// without paging; a paged search may read them all.
    pub fn start(ldif: &str, size_limit: u32) -> Self {
        let slapd = sbin("slapd");
        let slapadd = sbin("slapadd");
        let dir = TempDir::new().expect("temp dir");
        let db = dir.path().join("db");
        fs::create_dir(&db).expect("db dir");
        let conf = dir.path().join("slapd.conf");
        fs::write(&conf, config(dir.path(), &db, size_limit)).expect("slapd.conf");
        let data = dir.path().join("data.ldif");
        fs::write(&data, format!("{}{ldif}", base_entries())).expect("data.ldif");

        let loaded = Command::new(&slapadd)
            .arg("-q")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&data)
            .output()
            .expect("run slapadd");
        assert!(
            loaded.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );

        let port = free_port();
        let url = format!("ldap://127.0.0.1:{port}");
        let log = fs::File::create(dir.path().join("slapd.log")).expect("slapd.log");
        // `-d 0`: stay in the foreground (so the handle owns the process) and log nothing.
        let child = Command::new(&slapd)
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("{url}/"))
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start slapd");
        let mut server = Self { child, url, dir };
        server.wait_until_listening(port);
        server
    }

    /// Until a connection is accepted; a server that exits instead fails the test with its log.
    fn wait_until_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("slapd status") {
                let log = fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default();
                panic!("slapd exited ({status}) before listening on {port}: {log}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "slapd did not listen on {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Slapd {
    /// The server's process id, for the sync benchmark to read its CPU time from `/proc`.
    #[allow(dead_code)] // the tests don't measure the server
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many people a search without paging gets, and its result code: the size limit
    /// stops it (4, sizeLimitExceeded) when the directory holds more people than that.
    pub async fn unpaged_count(&self) -> (usize, u32) {
        let (connection, mut ldap) = LdapConnAsync::new(&self.url).await.expect("connect");
        ldap3::drive!(connection);
        ldap.simple_bind(READER_DN, READER_PASSWORD)
            .await
            .expect("bind")
            .success()
            .expect("bound");
        let answer = ldap
            .search(
                PEOPLE,
                Scope::Subtree,
                "(objectClass=inetOrgPerson)",
                vec!["1.1"],
            )
            .await
            .expect("search");
        (answer.0.len(), answer.1.rc)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (for now): free when asked, then given to slapd or left closed.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// `/usr/sbin/NAME`, or NAME on the PATH; a test without it fails saying how to get it.
fn sbin(name: &str) -> PathBuf {
    let mut places = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")];
    if let Some(path) = std::env::var_os("PATH") {
        places.extend(std::env::split_paths(&path));
    }
    places
        .into_iter()
        .map(|place| place.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed, and the LDAP source's tests need a real OpenLDAP \
                 server: install it with `DEBIAN_FRONTEND=noninteractive apt-get install -y \
                 --no-install-recommends slapd ldap-utils` (`.ci/run` does)"
            )
        })
}

/// Debian's schema and module folders; the size limit applies to searches without the paged
/// results control, which may read everything (`size.prtotal=unlimited`), as on Active
/// Directory.
fn config(dir: &Path, db: &Path, size_limit: u32) -> String {
    let schema = Path::new("/etc/ldap/schema");
    let modules = Path::new("/usr/lib/ldap");
    assert!(
        schema.join("inetorgperson.schema").is_file() && modules.is_dir(),
        "slapd's schema (/etc/ldap/schema) or modules (/usr/lib/ldap) are missing: install \
         the Debian package `slapd`"
    );
    let mut text = String::new();
    for name in ["core", "cosine", "inetorgperson"] {
        writeln!(
            text,
            "include {}",
            schema.join(format!("{name}.schema")).display()
        )
        .unwrap();
    }
    writeln!(text, "modulepath {}", modules.display()).unwrap();
    text.push_str("moduleload back_mdb\nmoduleload memberof\n");
    writeln!(text, "pidfile {}", dir.join("slapd.pid").display()).unwrap();
    writeln!(text, "argsfile {}", dir.join("slapd.args").display()).unwrap();
    writeln!(
        text,
        "sizelimit size.soft={size_limit} size.hard={size_limit} size.prtotal=unlimited"
    )
    .unwrap();
    text.push_str("database mdb\nmaxsize 268435456\n");
    writeln!(text, "suffix \"{SUFFIX}\"").unwrap();
    writeln!(text, "rootdn \"cn=admin,{SUFFIX}\"").unwrap();
    writeln!(text, "directory {}", db.display()).unwrap();
    // memberOf, written by the LDIF, for the tests of `membership: member_of`.
    text.push_str("overlay memberof\n");
    text.push_str(
        "access to attrs=userPassword by anonymous auth by * none\n\
         access to * by users read by * none\n",
    );
    text
}

fn base_entries() -> String {
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {READER_DN}\nobjectClass: person\ncn: reader\nsn: reader\nuserPassword: {READER_PASSWORD}\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n"
    )
}
