//! A Citus cluster of a test's own: a coordinator and two workers, each an [`OwnCluster`] with
//! Citus loaded and the same password, set up by scripts/pg.sh's `citus_db` (the extension in each
//! node's database, the workers added to the coordinator). Stopped and deleted when dropped.
//!
//! Citus is built by scripts/citus.sh; scripts/test.sh says whether it is there in TEST_CITUS:
//! `yes`, or `no` when the developer skipped it with ROLLUP_SKIP_CITUS=1. Any other value (the
//! tests run without scripts/test.sh) fails the test: a missing Citus must never pass quietly.
use super::cluster::OwnCluster;

pub struct CitusCluster {
    pub coordinator: OwnCluster,
    pub workers: Vec<OwnCluster>,
}

/// Whether to run the Citus tests: false only when scripts/test.sh was told to skip them.
pub fn available() -> bool {
    match std::env::var("TEST_CITUS").as_deref() {
        Ok("yes") => true,
        Ok("no") => {
            eprintln!("skipped: Citus is not installed and ROLLUP_SKIP_CITUS=1 (scripts/test.sh)");
            false
        }
        _ => panic!(
            "TEST_CITUS is not set: run the Citus tests with `make test` (scripts/test.sh checks Citus is installed)"
        ),
    }
}

const CITUS_OPTIONS: &str = "-c shared_preload_libraries=citus -c max_prepared_transactions=100";

impl CitusCluster {
    pub fn start(name: &str) -> CitusCluster {
        // the shared test cluster's password: assert_failed / assert_clear_failure then check
        // that no message leaks it, the nodes' included
        let password = super::password();
        let coordinator =
            OwnCluster::start_with(&format!("{name}-coordinator"), CITUS_OPTIONS, Some(&password));
        let workers = (1..=2)
            .map(|n| OwnCluster::start_with(&format!("{name}-worker{n}"), CITUS_OPTIONS, Some(&password)))
            .collect();
        CitusCluster { coordinator, workers }
    }

    /// Makes `database` a Citus database on every node and returns the coordinator's URL for it.
    pub fn database(&self, database: &str) -> String {
        let workers: Vec<String> = self.workers.iter().map(|worker| worker.port.to_string()).collect();
        self.coordinator
            .pg(&format!(r#"citus_db "$PG_TEST_PASSWORD" {database} "$PORT" {}"#, workers.join(" ")));
        self.coordinator.url(database)
    }
}
