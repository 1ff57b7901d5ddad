//! What an operator and an analyst get besides the tables: `rollup status --json` for scripts
//! and monitoring (checked against the database itself), `rollup chart` as a well-formed SVG and
//! a decodable PNG, one film's chart, the errors a chart can meet, and `--log-format json`.
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_clear_failure, oracle, stderr, stdout};
use serde_json::Value;
use tokio_postgres::Client;

/// The whole of stdout as one JSON value, or the test fails showing it.
fn json_stdout(output: &Output) -> Value {
    assert!(output.status.success(), "command failed:\n{}", stderr(output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not one JSON value ({error}):\n{}", stdout(output)))
}

/// Every line of stderr as a JSON object, or the test fails showing the line that is not.
fn json_log_lines(output: &Output) -> Vec<Value> {
    let text = stderr(output);
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap_or_else(|error| {
                panic!("log line is not JSON ({error}): {line}\nall of stderr:\n{text}")
            });
            assert!(record["timestamp"].is_string() && record["level"].is_string(), "{line}");
            record
        })
        .collect()
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap_or_else(|error| panic!("{sql}: {error}")).get(0)
}

/// A folder of the test's own for the files `rollup chart` writes, emptied first.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pagila-rollup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[tokio::test]
async fn status_json_says_what_the_database_holds() {
    let scenario = Scenario::new("op_status", Source::PagilaV3).await;

    let before = json_stdout(&scenario.rollup_command(&["status", "--json"]));
    assert_eq!(before["migrated"], false, "{before:#}");
    assert!(before["weeks"].is_null() && before["built_with"].is_null(), "{before:#}");
    assert_eq!(before["runs"].as_array().map(Vec::len), Some(0), "{before:#}");

    // A full build logged as JSON by flag, then an incremental run logged as JSON by environment.
    let full = scenario.rollup_command(&["--log-format", "json", "run"]);
    assert!(full.status.success(), "{}", stderr(&full));
    let records = json_log_lines(&full);
    let pulled = records
        .iter()
        .find(|record| record["step"] == "02_full_rental_shadow.in")
        .unwrap_or_else(|| panic!("no JSON line for step 02_full_rental_shadow.in:\n{}", stderr(&full)));
    let rentals: i64 =
        common::query_value(&scenario.source().await, "SELECT count(*) FROM rental", &[]).await;
    assert_eq!(pulled["rows"], rentals, "a full build copies every rental: {pulled}");
    assert_eq!(pulled["message"], "step done", "{pulled}");
    assert!(pulled["elapsed_ms"].is_u64(), "{pulled}");
    let incremental = scenario.rollup_command_with_env(&["run"], &[("ROLLUP_LOG_FORMAT", "json")]);
    assert!(incremental.status.success(), "{}", stderr(&incremental));
    assert!(json_log_lines(&incremental).iter().any(|record| record["message"] == "run committed"));

    let status = json_stdout(&scenario.rollup_command(&["status", "--json", "--runs", "1"]));
    let rollup = scenario.rollup().await;
    assert_eq!(status["migrated"], true);
    let database = format!("/{}", scenario.rollup_database);
    assert!(status["database"].as_str().is_some_and(|shown| shown.ends_with(&database)), "{status}");
    let settings =
        rollup.query_one("SELECT time_zone, week_start FROM rollup.build_settings", &[]).await.unwrap();
    assert_eq!(status["built_with"]["time_zone"], settings.get::<_, String>(0));
    assert_eq!(status["built_with"]["week_start"], settings.get::<_, String>(1));

    let weeks = rollup
        .query_one(
            "SELECT min(week_beginning)::text, max(week_beginning)::text, count(*) FROM rollup.weekly_rentals",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(status["weeks"]["first"], weeks.get::<_, String>(0));
    assert_eq!(status["weeks"]["last"], weeks.get::<_, String>(1));
    assert_eq!(status["weeks"]["count"], weeks.get::<_, i64>(2));
    assert_eq!(status["weeks"]["first"], "2022-02-14");

    for table in [
        "weekly_rentals",
        "film_weekly",
        "film",
        "data_issue",
        "etl_run",
        "build_settings",
        "rental_shadow",
        "inventory_shadow",
        "rental_bucket",
        "day_flow",
        "film_week_flow",
    ] {
        let expected = count(&rollup, &format!("SELECT count(*) FROM rollup.{table}")).await;
        assert_eq!(status["rows"][table], expected, "rows of rollup.{table}: {:#}", status["rows"]);
    }

    let issues = status["data_issues"].as_array().expect("data_issues is a list");
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0]["kind"], "copy_rented_while_out");
    assert_eq!(
        issues[0]["rentals"],
        count(&rollup, "SELECT count(*) FROM rollup.data_issue WHERE kind = 'copy_rented_while_out'").await
    );

    let runs = status["runs"].as_array().expect("runs is a list");
    assert_eq!(runs.len(), 1, "--runs 1: {runs:?}");
    let run = &runs[0];
    let newest = rollup
        .query_one(
            "SELECT run_id, rows_pulled, weeks_recomputed::bigint, \
                    extract(epoch FROM finished_at - started_at)::float8 \
               FROM rollup.etl_run ORDER BY run_id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(run["run_id"], newest.get::<_, i64>(0));
    assert_eq!(run["mode"], "incremental");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["rows_pulled"], newest.get::<_, Option<i64>>(1).expect("rows_pulled recorded"));
    assert_eq!(run["weeks_recomputed"], newest.get::<_, Option<i64>>(2).expect("weeks_recomputed recorded"));
    let duration = run["duration_seconds"].as_f64().expect("duration_seconds is a number");
    assert!((duration - newest.get::<_, f64>(3)).abs() < 1e-3, "{duration} vs {}", newest.get::<_, f64>(3));
    assert!(run["started_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{run}");
    assert!(run["finished_at"].is_string() && run["error"].is_null(), "{run}");

    // The text says the same, with the duration of each run.
    let text = stdout(&scenario.rollup_command(&["status"]));
    assert!(text.contains("| finished ") && text.contains("| seconds "), "{text}");
    let findings = common::oracle::copies_rented_while_out(&scenario.source().await).await;
    let rows = format!("rollup.data_issue {findings}, rollup.etl_run 2,"); // the two runs above
    assert!(text.contains(&rows), "{rows:?} in:\n{text}");
}

#[tokio::test]
async fn status_json_of_an_empty_rollup_and_charts_refused_until_there_are_weeks() {
    let scenario = Scenario::new("op_empty", Source::Empty).await;
    let dir = scratch_dir("op-empty");
    let svg = dir.join("weekly.svg");

    assert_clear_failure(&scenario.rollup_command(&["chart", "-o", arg(&svg)]), "is not migrated yet");
    assert!(scenario.rollup_command(&["migrate"]).status.success());
    let status = json_stdout(&scenario.rollup_command(&["status", "--json"]));
    assert_eq!(status["migrated"], true, "{status:#}");
    assert!(status["built_with"].is_null() && status["weeks"].is_null(), "{status:#}");
    assert_eq!(status["rows"]["weekly_rentals"], 0, "{status:#}");
    assert_eq!(status["runs"].as_array().map(Vec::len), Some(0), "{status:#}");

    assert_clear_failure(
        &scenario.rollup_command(&["chart", "-o", arg(&svg)]),
        "holds no weeks yet: run `rollup run` first",
    );
    assert!(!svg.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn chart_writes_svg_and_png_of_the_weekly_series() {
    let scenario = Scenario::new("op_chart", Source::PagilaV3).await;
    scenario.run(&[]);
    let dir = scratch_dir("op-chart");

    // SVG: well-formed XML with an <svg> root of the default size, the title, the legend and dates.
    let svg_path = dir.join("weekly.svg");
    let output = scenario.rollup_command(&["chart", "-o", arg(&svg_path)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    let texts = svg_texts(&svg, (1200, 650));
    // the spine's first and last weeks as the oracle counts them from the source's rentals
    let spine = oracle::weekly_rentals(&oracle::load_rentals(&scenario.source().await).await, Tz::UTC, None);
    let (first, last) = (spine.first().unwrap().week_beginning, spine.last().unwrap().week_beginning);
    for expected in [
        format!("Rentals per week, all stores, {first} .. {last}"),
        "outstanding at week end".to_string(),
        "rented in the week".to_string(),
        "returned in the week".to_string(),
        first.to_string(),
        "week beginning (Monday 00:00, UTC)".to_string(),
    ] {
        assert!(texts.contains(&expected), "{expected:?} not among the SVG's texts: {texts:?}");
    }

    // PNG: the signature, and an image of the size asked for that decodes and holds the three
    // series' colours (a blank or garbled image would not).
    let png_path = dir.join("weekly.PNG");
    let output =
        scenario.rollup_command(&["chart", "-o", arg(&png_path), "--width", "900", "--height", "500"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let png = std::fs::read(&png_path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "no PNG signature");
    let (width, height, pixels) = decode_png(&png);
    assert_eq!((width, height), (900, 500));
    for colour in [[31, 119, 180], [255, 127, 14], [44, 160, 44]] {
        let found = pixels.chunks_exact(3).filter(|pixel| *pixel == colour).count();
        assert!(found > 200, "only {found} pixels of series colour {colour:?}");
    }
    let white = pixels.chunks_exact(3).filter(|pixel| *pixel == [255, 255, 255]).count();
    assert!(white > pixels.len() / 3 / 2, "the background is not mostly white");

    // One film: a panel per store with the copies line.
    let film_path = dir.join("film-1.svg");
    let output = scenario.rollup_command(&["chart", "--film", "1", "-o", arg(&film_path)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let film_svg = std::fs::read_to_string(&film_path).unwrap();
    let texts = svg_texts(&film_svg, (1200, 810));
    // a panel per store holding the film, each with its copies as the source's inventory counts them
    let mut expected_texts = vec!["outstanding at week end".to_string()];
    for row in scenario
        .source()
        .await
        .query("SELECT store_id, count(*) AS copies FROM inventory WHERE film_id = 1 GROUP BY store_id", &[])
        .await
        .unwrap()
    {
        let (store, copies): (i32, i64) = (row.get("store_id"), row.get("copies"));
        expected_texts.push(format!("store {store}"));
        expected_texts.push(format!("copies held now ({copies})"));
    }
    assert!(expected_texts.len() >= 3, "film 1 is held by no store in the source");
    for expected in expected_texts {
        assert!(texts.contains(&expected), "{expected:?} not among the SVG's texts: {texts:?}");
    }
    assert!(texts.iter().any(|text| text.starts_with("Film 1, ACADEMY DINOSAUR")), "{texts:?}");
    // what it draws is the feature panel's rows of the film, read from the current tables
    let rollup = scenario.rollup().await;
    let chart_series = "SELECT coalesce(string_agg(format('%s %s %s %s %s %s', store_id, week_beginning, copies, \
        outstanding_rentals, rented_rentals, returned_rentals), ';' ORDER BY store_id, week_beginning), '')";
    let drawn: String = rollup
        .query_one(
            &format!(
                "{chart_series} FROM ({}) AS c",
                include_str!("../queries/chart/film_weekly.sql").trim_end_matches([';', '\n'])
            ),
            &[&1i32],
        )
        .await
        .unwrap()
        .get(0);
    let panel: String = rollup
        .query_one(&format!("{chart_series} FROM rollup.film_weekly_features WHERE film_id = 1"), &[])
        .await
        .unwrap()
        .get(0);
    assert!(!panel.is_empty() && drawn == panel, "chart --film 1 draws:\n{drawn}\nthe panel holds:\n{panel}");

    // What can go wrong: one error line each, and no file left behind.
    assert_clear_failure(
        &scenario.rollup_command(&["chart", "--film", "99999", "-o", arg(&dir.join("none.svg"))]),
        "no film 99999 in rollup.film",
    );
    assert_clear_failure(
        &scenario.rollup_command(&["chart", "-o", arg(&dir.join("weekly.jpg"))]),
        "name the file *.svg or *.png",
    );
    let unwritable = dir.join("no-such-folder").join("weekly.svg");
    assert_clear_failure(
        &scenario.rollup_command(&["chart", "-o", arg(&unwritable)]),
        &format!("could not write {}", unwritable.display()),
    );
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["film-1.svg", "weekly.PNG", "weekly.svg"]);

    // With JSON logs the failure is a JSON record too, not a bare line among them.
    let output = scenario.rollup_command(&["--log-format", "json", "chart", "-o", "weekly.gif"]);
    assert_eq!(output.status.code(), Some(1));
    let records = json_log_lines(&output);
    assert!(
        records.iter().any(|record| record["level"] == "ERROR"
            && record["message"].as_str().is_some_and(|message| message.contains("*.svg or *.png"))),
        "{records:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Parses an SVG, checks its root and size, and returns its texts, trimmed.
fn svg_texts(svg: &str, size: (u32, u32)) -> Vec<String> {
    let document =
        roxmltree::Document::parse(svg).unwrap_or_else(|error| panic!("SVG does not parse: {error}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(size.0.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(size.1.to_string().as_str()));
    let lines = document.descendants().filter(|node| node.has_tag_name("polyline")).count();
    assert!(lines >= 3, "{lines} polylines: the series are missing");
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .map(|text| text.trim().to_owned())
        .collect()
}

/// Width, height and RGB pixels of an 8-bit RGB PNG.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("PNG header decodes");
    let mut pixels = vec![0; reader.output_buffer_size().expect("PNG size fits in memory")];
    let frame = reader.next_frame(&mut pixels).expect("PNG image decodes");
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    pixels.truncate(frame.buffer_size());
    (frame.width, frame.height, pixels)
}

/// A long COPY reports its rows as it goes: the JSON log carries `step progress` records with
/// the rows done so far against the source's estimate, and nothing but JSON lines reaches a log
/// that is not a terminal (no progress bar).
#[tokio::test]
async fn a_full_build_logs_the_rows_copied_so_far_in_json() {
    let scenario = Scenario::new("progress_json", Source::PagilaV3).await;
    let source = scenario.source().await;
    // Thirty more rentals per Pagila rental (a second apart, so the unique key holds): enough rows
    // for a COPY that lasts many of the 10 ms progress intervals below.
    source
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
             SELECT r.rental_date + k * interval '1 second', r.inventory_id, r.customer_id,
                    r.return_date + k * interval '1 second', r.staff_id
               FROM rental AS r, generate_series(1, 30) AS k;
             ANALYZE rental;",
        )
        .await
        .unwrap();
    let rentals = count(&source, "SELECT count(*) FROM rental").await;
    let estimate =
        count(&source, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'rental'::regclass").await;

    let output = scenario.rollup_command_with_env(
        &["run", "--full", "--log-format", "json"],
        &[("ROLLUP_PROGRESS_EVERY", "0.01")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let records = json_log_lines(&output);
    let copying: Vec<&Value> = records
        .iter()
        .filter(|record| record["message"] == "step progress" && record["step"] == "02_full_rental_shadow.in")
        .collect();
    assert!(!copying.is_empty(), "no progress record of the rental COPY:\n{}", stderr(&output));
    let mut last = 0;
    for record in &copying {
        let done = record["rows_done"].as_i64().unwrap_or_else(|| panic!("rows_done: {record}"));
        assert_eq!(record["rows_total"].as_i64(), Some(estimate), "{record}");
        // One message more than rows: the COPY's trailer.
        assert!(done >= last && done <= rentals + 1, "{record} of {rentals} rentals");
        last = done;
    }
    assert!(last > 0, "the COPY reported no rows done:\n{}", stderr(&output));
    let copied = records
        .iter()
        .find(|record| record["message"] == "step done" && record["step"] == "02_full_rental_shadow.in")
        .expect("the COPY step's record");
    assert_eq!(copied["rows"].as_i64(), Some(rentals));
}
