//! Shared test fixtures, by concern:
//! - [`scenario`]: the databases of one test (source, rollup, extras) on the cluster
//!   scripts/test.sh starts, uniquely named and dropped afterwards;
//! - [`process`]: running the `rollup` binary with a clean environment and bounded waits;
//! - [`assertions`]: failures that read well, tables compared with the oracle or the source;
//! - [`rows`]: rollup tables read into structs, every column by name;
//! - [`oracle`]: the brute-force oracle; [`cluster`]: a PostgreSQL cluster of a test's own.
//!
//! Everything a test file uses is re-exported here, as `common::X`.
#![allow(dead_code, unused_imports)]

pub mod assertions;
pub mod citus;
pub mod cluster;
pub mod oracle;
pub mod process;
pub mod rows;
pub mod scenario;

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use tokio_postgres::{Client, Config, NoTls};

pub use assertions::{
    assert_clear_failure, assert_failed, assert_same_film_weeks, assert_same_weeks,
    assert_shadow_equals_source,
};
pub use process::{ResumeFile, Running, stderr, stdout};
pub use rows::{LastRun, Week, column, film_weeks_in, last_run_in, query_value, weeks_in};
pub use scenario::{Scenario, Source};

/// The cluster scripts/test.sh started; `cargo test` alone has none.
pub fn cluster_url() -> String {
    std::env::var("TEST_PG_URL").unwrap_or_else(|_| {
        panic!("TEST_PG_URL is not set: run the integration tests with `make test`, which starts a PostgreSQL cluster for them")
    })
}

pub fn password() -> String {
    let config = Config::from_str(&cluster_url()).expect("TEST_PG_URL parses");
    String::from_utf8(config.get_password().expect("TEST_PG_URL has a password").to_vec()).unwrap()
}

fn url_for(database: &str) -> String {
    let base = cluster_url();
    let (prefix, _) = base.rsplit_once('/').expect("TEST_PG_URL ends with /database");
    format!("{prefix}/{database}")
}

pub async fn connect(url: &str) -> Client {
    let (client, connection) = Config::from_str(url)
        .expect("test URL parses")
        .connect(NoTls)
        .await
        .unwrap_or_else(|error| panic!("connect to test database: {error}"));
    tokio::spawn(connection);
    client
}

/// A suffix no other scenario, file or cluster of this or a concurrent test run has: this
/// process's id, a counter within it, and random bits (process ids repeat across machines sharing
/// a cluster, and after restarts). Lower-case letters, digits and `_`: fit for an unquoted
/// PostgreSQL identifier.
pub fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    // RandomState is seeded from the OS's randomness, differently in each process.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(count);
    let random = hasher.finish() as u16;
    format!("{}_{count}_{random:04x}", std::process::id())
}

/// Rentals whose copies the inventory lacks, as in a copy of a Pagila source without its
/// constraints: one of a copy that never existed (2022-08-17 to 2022-08-19), and film 904's 4
/// after all its copies were removed. They count shop-wide and belong to no film.
pub async fn rent_copies_the_inventory_lacks(source: &Client) {
    source
        .batch_execute(
            "ALTER TABLE rental DROP CONSTRAINT rental_inventory_id_fkey;
             INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             VALUES ('2022-08-17 12:00+00', 999999, 1, '2022-08-19 12:00+00', 1);
             DELETE FROM inventory WHERE film_id = 904",
        )
        .await
        .unwrap_or_else(|error| panic!("removing copies under rentals: {error}"));
}

/// The source's rentals whose copy has no inventory row.
pub async fn rentals_without_a_copy(source: &Client) -> i64 {
    query_value(
        source,
        "SELECT count(*) FROM rental AS r WHERE NOT EXISTS (SELECT FROM inventory AS i WHERE i.inventory_id = r.inventory_id)",
        &[],
    )
    .await
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|error| panic!("date {text:?}: {error}"))
}
