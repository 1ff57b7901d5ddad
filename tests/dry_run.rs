//! `rollup run --dry-run` and `rollup migrate --dry-run` say what would happen and change
//! nothing: not the tables, not rollup.etl_run, not the schema.
mod common;

use common::{Scenario, Source, stderr, stdout};

/// The value printed on the `label` line of a dry run's report.
fn line<'a>(report: &'a str, label: &str) -> &'a str {
    report
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no '{label}' line in:\n{report}"))
}

#[tokio::test]
async fn a_dry_run_on_an_empty_database_plans_a_full_build_and_creates_nothing() {
    let scenario = Scenario::new("dry_run_empty", Source::PagilaV3).await;
    let output = scenario.rollup_command(&["migrate", "--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let planned = stdout(&output);
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().starts_with('V'))
        .count();
    assert_eq!(
        planned.lines().filter(|line| line.starts_with("would apply V")).count(),
        embedded,
        "{planned}"
    );
    assert!(planned.contains("would apply V1__"), "{planned}");

    let output = scenario.rollup_command(&["run", "--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(line(&report, "mode").starts_with("full: no previous build"), "{report}");
    assert!(line(&report, "migrations").starts_with(&format!("{embedded} to apply first")), "{report}");

    let rollup = scenario.rollup().await;
    let tables: i64 = rollup
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relnamespace NOT IN
               (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast'))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "a dry run created relations in the rollup database");
}

#[tokio::test]
async fn a_dry_run_names_the_mode_a_run_would_take_and_changes_nothing() {
    let scenario = Scenario::new("dry_run_planned", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.snapshot().await;
    let runs = scenario.run_count().await;

    let output = scenario.rollup_command(&["run", "--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(
        line(&report, "mode").starts_with("incremental: continuing from the last successful run"),
        "{report}"
    );
    assert!(line(&report, "full fingerprints").starts_with("no: compared within"), "{report}");
    assert_eq!(line(&report, "migrations"), "none to apply", "{report}");

    let output = scenario.rollup_command(&["run", "--dry-run", "--timezone", "Europe/London"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(
        line(&report, "mode").starts_with("full: time zone changed from UTC to Europe/London"),
        "{report}"
    );

    // A setting a run would refuse is refused by its dry run too.
    let output = scenario.rollup_command(&["run", "--dry-run", "--timezone", "Mars/Olympus"]);
    assert!(!output.status.success() && stderr(&output).contains("unknown time zone"), "{}", stderr(&output));

    assert_eq!(scenario.snapshot().await, before, "a dry run changed the rollup");
    assert_eq!(scenario.run_count().await, runs, "a dry run recorded a run");
    // and the next real run is the one it announced
    let output = scenario.rollup_command(&["run", "--timezone", "Europe/London"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("time zone changed from UTC to Europe/London"), "{}", stderr(&output));
}
