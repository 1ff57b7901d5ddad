//! A PostgreSQL cluster of a test's own, for faults that would hurt every other test on the
//! shared one: stopping the source under a run, restarting the rollup server. It is made with the
//! same helpers as the shared cluster (scripts/pg.sh: initdb, pg_ctl, a password, 127.0.0.1 only,
//! run as the `postgres` OS user when the tests run as root) in a temporary folder on a free port,
//! and stopped and deleted when dropped, whatever the test did.
use std::path::PathBuf;
use std::process::{Command, Output};

pub struct OwnCluster {
    pub port: u16,
    pub password: String,
    dir: PathBuf,
    /// Server settings for pg_start (scripts/pg.sh's PG_SERVER_OPTIONS): Citus nodes load Citus.
    server_options: String,
}

impl OwnCluster {
    /// initdb and start a cluster named `name` (a folder under the temporary directory).
    pub fn start(name: &str) -> OwnCluster {
        OwnCluster::start_with(name, "", None)
    }

    /// As [`OwnCluster::start`], the server started with `server_options` (`-c name=value ...`) and,
    /// when given, `password` (the nodes of one Citus cluster share theirs).
    pub fn start_with(name: &str, server_options: &str, password: Option<&str>) -> OwnCluster {
        let dir = std::env::temp_dir().join(format!("pagila-rollup-{name}-{}", super::unique_suffix()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The `postgres` OS user owning the cluster must get into the folder.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let password = password.map_or_else(random_hex, str::to_owned);
        let cluster = OwnCluster { port, password, dir, server_options: server_options.to_owned() };
        cluster.pg(r#"pg_init "$DATA" "$PG_TEST_PASSWORD""#);
        cluster.start_again();
        cluster
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn start_again(&self) {
        self.pg(r#"PG_FSYNC=off PG_SERVER_OPTIONS="$SERVER_OPTIONS" pg_start "$DATA" "$PORT""#);
    }

    /// `pg_ctl stop -m fast`: every session is ended, as when a server is shut down for
    /// maintenance; waits until it is down.
    pub fn stop(&self) {
        self.pg(r#"pg_stop "$DATA""#);
    }

    /// Creates database `name` holding Pagila v3.1.0 (from TEST_PAGILA_DIR, set by
    /// scripts/test.sh).
    pub fn load_pagila(&self, name: &str) {
        assert!(
            std::env::var_os("TEST_PAGILA_DIR").is_some(),
            "TEST_PAGILA_DIR is not set: run the integration tests with `make test`"
        );
        self.pg(&format!(
            r#"pg_psql "$PORT" "$PG_TEST_PASSWORD" postgres --quiet -c 'CREATE DATABASE {name}' >/dev/null &&
               pagila_load "$PORT" "$PG_TEST_PASSWORD" {name} "$TEST_PAGILA_DIR""#
        ));
    }

    pub fn create_database(&self, name: &str) {
        self.pg(&format!(
            r#"pg_psql "$PORT" "$PG_TEST_PASSWORD" postgres --quiet -c 'CREATE DATABASE {name}' >/dev/null"#
        ));
    }

    /// The cluster's data directory (postgresql.conf, pg_hba.conf), owned by the OS user running
    /// the server.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The cluster's own temporary folder (world-readable), deleted with it: for files the test
    /// makes for it, e.g. certificates.
    pub fn folder(&self) -> &std::path::Path {
        &self.dir
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    /// Runs `script` in bash with scripts/pg.sh's functions; the password travels in the
    /// environment, never on a command line.
    pub fn pg(&self, script: &str) -> Output {
        let output = bash()
            .arg("-c")
            .arg(format!(r#"source "$PG_SH" && {script}"#))
            .env("PG_SH", concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
            .env("DATA", self.dir.join("data"))
            .env("PORT", self.port.to_string())
            .env("PG_TEST_PASSWORD", &self.password)
            .env("SERVER_OPTIONS", &self.server_options)
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{script} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = bash()
            .arg("-c")
            .arg(r#"source "$PG_SH" && pg_stop "$DATA""#)
            .env("PG_SH", concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
            .env("DATA", self.dir.join("data"))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// bash without the developer's libpq variables (PGHOST, PGSSLMODE, PGOPTIONS, ...), which would
/// change what scripts/pg.sh's psql calls connect to and how; its own PG_* settings stay.
fn bash() -> Command {
    let mut command = Command::new("bash");
    for (variable, _) in std::env::vars_os() {
        let name = variable.to_string_lossy();
        if name.starts_with("PG") && !name.starts_with("PG_") {
            command.env_remove(&variable);
        }
    }
    command
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

pub fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut random| random.read_exact(&mut bytes)).unwrap();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
