//! The rollup reads the source as rollup_reader, the role scripts/source_reader.sql makes (the
//! same file `make run` applies to its source and the README shows for a production one): a run
//! works through it, both directly and through postgres_fdw's user mapping, and the role can
//! write nothing and read nothing else.
mod common;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_failed, assert_same_weeks};
use tokio_postgres::Client;

const READER_SQL: &str = include_str!("../scripts/source_reader.sql");

/// The scenario's source URL with the reader's credentials instead of the superuser's.
fn as_reader(url: &str, reader_password: &str) -> String {
    let (_, rest) = url.split_once('@').expect("test URLs have credentials");
    format!("postgres://rollup_reader:{reader_password}@{rest}")
}

/// The SQLSTATE `sql` fails with, run by `client`.
async fn refused(client: &Client, sql: &str) -> String {
    match client.batch_execute(sql).await {
        Ok(()) => panic!("rollup_reader was allowed to: {sql}"),
        Err(error) => error.code().map(|code| code.code().to_owned()).unwrap_or_else(|| error.to_string()),
    }
}

#[tokio::test]
async fn a_run_works_through_the_read_only_role_which_can_write_nothing() {
    let scenario = Scenario::new("least_privilege", Source::PagilaV3).await;
    let reader_password = "reader-Secret-4711";
    let admin = scenario.source().await;
    // the source's rentals, counted as its owner: what the reader must see, and must leave
    let all_rentals: i64 = common::query_value(&admin, "SELECT count(*) FROM rental", &[]).await;
    admin.batch_execute(READER_SQL).await.expect("scripts/source_reader.sql runs");
    // a literal, not a parameter: ALTER ROLE takes none (the password is the test's own)
    admin.batch_execute(&format!("ALTER ROLE rollup_reader PASSWORD '{reader_password}'")).await.unwrap();
    let reader_url = as_reader(&scenario.source_url, reader_password);

    let env = [("SOURCE_URL", reader_url.as_str()), ("FDW_SOURCE_URL", reader_url.as_str())];
    let output = scenario.rollup_command_with_env(&["run"], &env);
    let log = common::stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(!log.contains(reader_password), "password leaked:\n{log}");
    assert!(!log.contains("has no statement_timeout"), "the role has one:\n{log}");
    assert_same_weeks(&scenario.weeks().await, &scenario.expected_weeks(Tz::UTC, None).await, "as reader");
    let output = scenario.rollup_command_with_env(&["run", "--full"], &env); // COPY as the reader too
    assert!(output.status.success(), "{}", common::stderr(&output));
    scenario.verify_passes();

    // postgres_fdw's user mapping uses the reader; its password is in pg_user_mapping.umoptions,
    // which only superusers (and the mapping's own user, through pg_user_mappings) can read.
    let mapping: Vec<String> = scenario
        .rollup()
        .await
        .query_one("SELECT umoptions FROM pg_user_mappings WHERE srvname = 'pagila_source'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(mapping.contains(&"user=rollup_reader".to_owned()), "{mapping:?}");

    // As the reader, directly on the source.
    let reader = common::connect(&reader_url).await;
    let timeout: String = reader.query_one("SHOW statement_timeout", &[]).await.unwrap().get(0);
    assert_eq!(timeout, "30min");
    let rentals: i64 = reader.query_one("SELECT count(*) FROM rental", &[]).await.unwrap().get(0);
    assert_eq!(rentals, all_rentals);
    // its transactions are read-only unless it asks otherwise ...
    assert_eq!(refused(&reader, "DELETE FROM rental WHERE rental_id = 1").await, "25006");
    assert_eq!(refused(&reader, "CREATE TABLE rental_copy (id integer)").await, "25006");
    // ... and when it does, it has no privilege to write, nor to read what the pipeline does not
    reader.batch_execute("SET default_transaction_read_only = off").await.unwrap();
    for sql in [
        "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) VALUES (now(), 1, 1, 1)",
        "UPDATE rental SET return_date = now() WHERE rental_id = 1",
        "DELETE FROM rental WHERE rental_id = 1",
        "TRUNCATE rental CASCADE",
        "UPDATE inventory SET store_id = 2 WHERE inventory_id = 1",
        "DELETE FROM film WHERE film_id = 1",
        "INSERT INTO category (name) VALUES ('Documentary 2')",
        "SELECT * FROM customer LIMIT 1",
        "SELECT * FROM payment LIMIT 1",
        "SELECT * FROM staff LIMIT 1",
    ] {
        assert_eq!(refused(&reader, sql).await, "42501", "{sql}");
    }
    let unchanged: i64 = admin.query_one("SELECT count(*) FROM rental", &[]).await.unwrap().get(0);
    assert_eq!(unchanged, all_rentals);

    // A wrong reader password: one clear line naming the setting, neither password shown.
    let wrong = as_reader(&scenario.source_url, "not-the-reader-password");
    let output =
        scenario.rollup_command_with_env(&["run"], &[("SOURCE_URL", &wrong), ("FDW_SOURCE_URL", &wrong)]);
    assert_failed(
        output.status.code(),
        &common::stderr(&output),
        1,
        "could not connect to the source database rollup_reader@127.0.0.1:",
        &[reader_password, "not-the-reader-password"],
    );
}
