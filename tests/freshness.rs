//! `rollup status` says how fresh the source is and how far the rollup is behind it, and
//! `--max-lag` turns that into an exit code: checked against the source's own `max(last_update)`
//! and the runs' cursors, through the read-only role, with the source unreachable, and against the
//! `status --json` examples in the documentation, so those cannot go stale.
mod common;

use std::path::Path;
use std::process::Output;

use chrono::{DateTime, Utc};
use common::{Scenario, Source, assert_failed, stderr, stdout};
use serde_json::Value;
use tokio_postgres::Client;

const READER_SQL: &str = include_str!("../scripts/source_reader.sql");
const SOURCE_NEWEST_SQL: &str = include_str!("../queries/status/source_newest.sql");

/// Standard output as one JSON value, whatever the exit code (`--max-lag` fails after printing).
fn json_stdout(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!("stdout is not one JSON value ({error}):\n{}\nstderr:\n{}", stdout(output), stderr(output))
    })
}

fn instant(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("not a timestamp: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|error| panic!("{text}: {error}")).with_timezone(&Utc)
}

fn assert_succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}:\n{}{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// The last successful run's id and cursor, read from rollup.etl_run itself.
async fn last_success(rollup: &Client) -> (i64, DateTime<Utc>) {
    let row = rollup
        .query_one(
            "SELECT run_id, source_watermark FROM rollup.etl_run
              WHERE status = 'succeeded' ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Asserts the freshness `status --json` printed matches the source's own max(last_update) per
/// table and the last successful run, and returns it.
async fn assert_freshness_from_the_data(status: &Value, source: &Client, rollup: &Client) -> Value {
    let freshness = status["freshness"].clone();
    let mut newest: Option<DateTime<Utc>> = None;
    for table in ["rental", "inventory", "film_category", "category"] {
        let expected: Option<DateTime<Utc>> = source
            .query_one(&format!("SELECT max(last_update) FROM public.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        let expected = expected.expect("Pagila's tables have rows");
        assert_eq!(instant(&freshness["source_last_update"][table]), expected, "{table}: {freshness:#}");
        newest = newest.max(Some(expected));
    }
    assert_eq!(Some(instant(&freshness["source_newest"])), newest, "{freshness:#}");
    let (run_id, cursor) = last_success(rollup).await;
    assert_eq!(freshness["last_success_run_id"], run_id, "{freshness:#}");
    assert_eq!(instant(&freshness["cursor"]), cursor, "{freshness:#}");
    assert!(freshness["source_error"].is_null(), "{freshness:#}");
    let since = freshness["seconds_since_last_success"].as_f64().expect("a number");
    assert!((0.0..600.0).contains(&since), "{freshness:#}");
    // The lag again, computed by the source's own clock arithmetic.
    let lag: f64 = source
        .query_one(
            "SELECT greatest(extract(epoch FROM max(last_update) - $1::timestamptz), 0)::float8 FROM public.rental",
            &[&cursor],
        )
        .await
        .unwrap()
        .get(0);
    let printed = freshness["lag_seconds"].as_f64().unwrap_or_else(|| panic!("no lag: {freshness:#}"));
    assert!((printed - lag).abs() < 1e-6, "lag {printed} s, expected {lag} s: {freshness:#}");
    assert!(freshness["lag_unknown"].is_null(), "{freshness:#}");
    freshness
}

#[tokio::test]
async fn max_lag_fails_on_a_stale_rollup_and_passes_right_after_a_run() {
    let scenario = Scenario::new("fresh_lag", Source::PagilaV3).await;
    let source = scenario.source().await;
    // Everything through the read-only role: postgres_fdw's user mapping is what status reads with.
    let reader_password = "reader-Fresh-0815";
    source.batch_execute(READER_SQL).await.unwrap();
    source.batch_execute(&format!("ALTER ROLE rollup_reader PASSWORD '{reader_password}'")).await.unwrap();
    let (_, rest) = scenario.source_url.split_once('@').unwrap();
    let reader_url = format!("postgres://rollup_reader:{reader_password}@{rest}");
    let env = [("SOURCE_URL", reader_url.as_str()), ("FDW_SOURCE_URL", reader_url.as_str())];

    // Nothing yet: the rest prints, freshness is unknown, and --max-lag fails on the unknown.
    let before = scenario.rollup_command(&["status", "--json"]);
    assert_succeeded(&before);
    let freshness = &json_stdout(&before)["freshness"];
    assert!(freshness["lag_seconds"].is_null(), "{freshness:#}");
    assert!(
        freshness["lag_unknown"].as_str().is_some_and(|why| why.contains("not migrated")),
        "{freshness:#}"
    );
    let output = scenario.rollup_command(&["status", "--max-lag", "1d"]);
    assert_failed(
        output.status.code(),
        &stderr(&output),
        1,
        "how far the rollup is behind the source is unknown, so --max-lag 1d cannot be confirmed: the rollup \
         database is not migrated yet",
        &[],
    );

    // Right after a run: nothing newer than the cursor, so even --max-lag 0 passes.
    let output = scenario.rollup_command_with_env(&["run"], &env);
    assert_succeeded(&output);
    let rollup = scenario.rollup().await;
    let output = scenario.rollup_command(&["status", "--json", "--max-lag", "0"]);
    assert_succeeded(&output);
    let freshness = assert_freshness_from_the_data(&json_stdout(&output), &source, &rollup).await;
    assert_eq!(freshness["lag_seconds"], 0.0, "{freshness:#}");
    let (first_run, first_cursor) = last_success(&rollup).await;

    // A rental stamped 3h 5min after the cursor (the trigger stamps updates only, so an insert may
    // set last_update): the rollup is that far behind.
    let rental_id: i32 = source
        .query_one(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
             VALUES ('2022-08-20 12:00+00', 10, 10, NULL, 1, $1::timestamptz + interval '3 hours 5 minutes')
             RETURNING rental_id",
            &[&first_cursor],
        )
        .await
        .unwrap()
        .get(0);
    let output = scenario.rollup_command(&["status", "--max-lag", "1h"]);
    assert_failed(
        output.status.code(),
        &stderr(&output),
        1,
        &format!(
            "the rollup is 3h 5min behind the source, 2h 5min more than --max-lag 1h allows (the source's newest \
             last_update is {}, the cursor of the last successful run, run {first_run}, is {}); `rollup run` \
             catches up",
            (first_cursor + chrono::Duration::minutes(185)).format("%Y-%m-%d %H:%M:%S UTC"),
            first_cursor.format("%Y-%m-%d %H:%M:%S UTC"),
        ),
        &[reader_password],
    );
    // The status itself still printed in full, before the verdict.
    let text = stdout(&output);
    // the spine as the oracle has it (the rental inserted above is inside it)
    let weeks = scenario.expected_weeks(chrono_tz::Tz::UTC, None).await;
    let summary = format!(
        "weeks: {} .. {} ({} weeks)",
        weeks.first().unwrap().week_beginning,
        weeks.last().unwrap().week_beginning,
        weeks.len()
    );
    assert!(text.contains(&summary), "{summary:?} in:\n{text}");
    assert!(text.contains("  behind the source: 3h 5min ("), "{text}");
    assert!(text.contains(&format!("  last successful run: run {first_run}, finished ")), "{text}");
    // --json keeps standard output one JSON value when the check fails.
    let output = scenario.rollup_command(&["status", "--json", "--max-lag", "30m"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let freshness = assert_freshness_from_the_data(&json_stdout(&output), &source, &rollup).await;
    // the 3 hours 5 minutes the rental above was stamped after the cursor
    assert_eq!(freshness["lag_seconds"], f64::from((3 * 60 + 5) * 60), "{freshness:#}");
    // Exactly as far behind as allowed is not staler than allowed.
    assert_succeeded(&scenario.rollup_command(&["status", "--max-lag", "185min"]));

    // An ordinary write restamps the rental (now, before the next run begins); a run catches up.
    source
        .execute("UPDATE rental SET return_date = '2022-08-22 12:00+00' WHERE rental_id = $1", &[&rental_id])
        .await
        .unwrap();
    let output = scenario.rollup_command_with_env(&["run"], &env);
    assert_succeeded(&output);
    let output = scenario.rollup_command(&["status", "--json", "--max-lag", "0"]);
    assert_succeeded(&output);
    let freshness = assert_freshness_from_the_data(&json_stdout(&output), &source, &rollup).await;
    assert_eq!(freshness["lag_seconds"], 0.0, "{freshness:#}");
    assert!(freshness["last_success_run_id"].as_i64() > Some(first_run), "{freshness:#}");
    assert_eq!(scenario.last_run().await.rentals_changed, Some(1));
}

#[tokio::test]
async fn an_unreachable_or_unbuilt_rollup_has_an_unknown_freshness() {
    let scenario = Scenario::new("fresh_unknown", Source::PagilaV3).await;
    scenario.run(&[]);
    let rollup = scenario.rollup().await;

    // The source is asked for one row per table, its LIMIT shipped by postgres_fdw (max() would
    // be planned as an unshipped LIMIT over the whole table sorted on the source).
    let plan: Vec<String> = rollup
        .query(&format!("EXPLAIN (VERBOSE, COSTS OFF) {SOURCE_NEWEST_SQL}"), &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let remote: Vec<&str> = plan.iter().filter_map(|line| line.trim().strip_prefix("Remote SQL: ")).collect();
    assert_eq!(remote.len(), 4, "{plan:#?}");
    for (sql, table) in remote.iter().zip(["rental", "inventory", "film_category", "category"]) {
        assert_eq!(
            *sql,
            format!(
                "SELECT last_update FROM public.{table} WHERE ((last_update IS NOT NULL)) \
                 ORDER BY last_update DESC NULLS FIRST LIMIT 1::bigint"
            ),
            "{plan:#?}"
        );
    }

    // The source cannot be reached: the rest still prints, the freshness says why it is unknown,
    // and --max-lag fails instead of passing.
    rollup.batch_execute("ALTER SERVER pagila_source OPTIONS (SET port '1')").await.unwrap();
    let output = scenario.rollup_command(&["status"]);
    assert_succeeded(&output);
    let text = stdout(&output);
    // the spine as the oracle has it (the rental inserted above is inside it)
    let weeks = scenario.expected_weeks(chrono_tz::Tz::UTC, None).await;
    let summary = format!(
        "weeks: {} .. {} ({} weeks)",
        weeks.first().unwrap().week_beginning,
        weeks.last().unwrap().week_beginning,
        weeks.len()
    );
    assert!(text.contains(&summary), "{summary:?} in:\n{text}");
    assert!(text.contains("  source: could not be read: "), "{text}");
    assert!(text.contains("  last successful run: run 1, finished "), "{text}");
    assert!(text.contains("  behind the source: unknown (the source could not be read)"), "{text}");
    let output = scenario.rollup_command(&["status", "--json"]);
    assert_succeeded(&output);
    let freshness = &json_stdout(&output)["freshness"];
    assert!(
        freshness["source_error"].as_str().is_some_and(|error| error.contains("could not connect to server")),
        "{freshness:#}"
    );
    assert!(freshness["source_last_update"].is_null() && freshness["lag_seconds"].is_null(), "{freshness:#}");
    assert_eq!(instant(&freshness["cursor"]), last_success(&rollup).await.1);
    let output = scenario.rollup_command(&["status", "--max-lag", "1d"]);
    assert_failed(
        output.status.code(),
        &stderr(&output),
        1,
        "is unknown, so --max-lag 1d cannot be confirmed: the source could not be read (",
        &[],
    );

    // Migrated but never run: neither a cursor nor a link to read the source through.
    let unbuilt = scenario.extra_database("unbuilt").await;
    let env = [("ROLLUP_URL", unbuilt.as_str())];
    assert_succeeded(&scenario.rollup_command_with_env(&["migrate"], &env));
    let output = scenario.rollup_command_with_env(&["status", "--json"], &env);
    assert_succeeded(&output);
    let freshness = &json_stdout(&output)["freshness"];
    assert_eq!(
        freshness["lag_unknown"],
        "the rollup was never built (no successful run yet); the source could not be read",
        "{freshness:#}"
    );
    let output = scenario.rollup_command_with_env(&["status", "--max-lag", "1h"], &env);
    assert_failed(output.status.code(), &stderr(&output), 1, "the rollup was never built", &[]);
    assert!(stdout(&output).contains("  last successful run: none\n"), "{}", stdout(&output));
}

/// The ```json blocks of a Markdown file that show `rollup status --json` (those with a
/// "migrations_in_build" key), parsed; a block that mentions the key but does not parse fails.
fn status_examples(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut examples = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line.trim_start().starts_with("```json") => block = Some(String::new()),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => {
                let json = block.take().unwrap();
                if !json.contains("\"migrations_in_build\"") {
                    continue;
                }
                let value: Value = serde_json::from_str(&json).unwrap_or_else(|error| {
                    panic!("{}: a status --json example is not valid JSON ({error}):\n{json}", path.display())
                });
                examples.push(value);
            }
            Some(json) => {
                json.push_str(line);
                json.push('\n');
            }
        }
    }
    examples
}

/// Where the documented value's keys differ from the printed one's, recursively: an object's keys
/// must be the same; a list's elements are compared with the printed list's first; null on
/// either side (a part that may be missing) is not compared further.
fn shape_differences(documented: &Value, printed: &Value, path: &str, found: &mut Vec<String>) {
    match (documented, printed) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(documented), Value::Object(printed)) => {
            for key in printed.keys().filter(|key| !documented.contains_key(*key)) {
                found.push(format!("{path}.{key}: printed, not documented"));
            }
            for key in documented.keys().filter(|key| !printed.contains_key(*key)) {
                found.push(format!("{path}.{key}: documented, not printed"));
            }
            for (key, value) in documented {
                if let Some(printed) = printed.get(key) {
                    shape_differences(value, printed, &format!("{path}.{key}"), found);
                }
            }
        }
        (Value::Array(documented), Value::Array(printed)) => match (documented.is_empty(), printed.first()) {
            (true, Some(_)) => {
                found.push(format!("{path}: documented empty, so its elements' keys are not shown"))
            }
            (_, Some(first)) => {
                for (index, element) in documented.iter().enumerate() {
                    shape_differences(element, first, &format!("{path}[{index}]"), found);
                }
            }
            (_, None) => {}
        },
        (documented, printed)
            if documented.is_object()
                || documented.is_array()
                || printed.is_object()
                || printed.is_array() =>
        {
            found.push(format!("{path}: documented as {documented}, printed as {printed}"))
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_documented_status_json_has_the_keys_status_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<_> = entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
            .collect();
        docs.sort();
        documents.extend(docs);
    }
    let examples: Vec<(String, Value)> = documents
        .iter()
        .flat_map(|path| {
            status_examples(path).into_iter().map(move |example| (path.display().to_string(), example))
        })
        .collect();
    // The example lives where the status output is documented (docs/operations.md); wherever it
    // moves, one must remain, or this test would check nothing.
    assert!(
        !examples.is_empty(),
        "neither README.md nor docs/*.md shows a `rollup status --json` example (a ```json block with \"migrations_in_build\")"
    );

    // What it prints for a built rollup, every part filled in.
    let scenario = Scenario::new("fresh_docs", Source::PagilaV3).await;
    scenario.run(&[]);
    let output = scenario.rollup_command(&["status", "--json", "--runs", "1"]);
    assert_succeeded(&output);
    let printed = json_stdout(&output);
    assert!(printed["freshness"]["lag_seconds"].is_number(), "{printed:#}");

    for (path, example) in &examples {
        let mut found = Vec::new();
        shape_differences(example, &printed, "", &mut found);
        assert!(
            found.is_empty(),
            "{path}: the `rollup status --json` example differs from what status prints:\n  {}\nprinted:\n{printed:#}",
            found.join("\n  ")
        );
    }
}
