//! What a person sees when a setting is wrong: one `error:` line that names the setting, exit
//! code 1, no panic or backtrace, and never the password.
mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::{Scenario, Source, assert_clear_failure, oracle, password, query_value, stderr, stdout};

#[tokio::test]
async fn bad_settings_fail_with_one_clear_line() {
    let scenario = Scenario::new("cli_settings", Source::PagilaV3).await;
    let secret = password();
    let wrong_password = scenario.rollup_url.replace(&secret, "not-the-password");
    // (environment overrides, arguments, what the error line must say)
    type Case<'a> = (Vec<(&'a str, String)>, &'a [&'a str], &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("ROLLUP_URL", "postgres://user:pw@host:port/db".into())],
            &["run"],
            "ROLLUP_URL is not a valid PostgreSQL URL",
        ),
        (vec![("ROLLUP_URL", wrong_password)], &["status"], "password authentication failed"),
        (
            vec![("ROLLUP_URL", format!("postgres://postgres:{secret}@127.0.0.1:1/rollup"))],
            &["status"],
            "could not connect to the rollup database postgres@127.0.0.1:1/rollup (check ROLLUP_URL",
        ),
        (
            vec![("SOURCE_URL", String::new())],
            &["run"],
            "no source database given: set SOURCE_URL or pass --source-url",
        ),
        (vec![], &["run", "--timezone", "Mars/Olympus_Mons"], "unknown time zone 'Mars/Olympus_Mons'"),
        (
            vec![],
            &["run", "--lookback", "a while"],
            "--lookback / ROLLUP_LOOKBACK 'a while' is not a PostgreSQL interval",
        ),
        (vec![], &["run", "--lookback", "-1 hour"], "--lookback / ROLLUP_LOOKBACK '-1 hour' is negative"),
        (vec![], &["verify"], "has never been built; run `rollup run` first"),
    ];
    for (env, args, expected) in cases {
        let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
        assert_clear_failure(&scenario.rollup_command_with_env(args, &env), expected);
    }
}

#[tokio::test]
async fn a_source_without_pagila_is_named_and_the_run_recorded_as_failed() {
    let scenario = Scenario::new("cli_empty_source", Source::Empty).await;
    let output = scenario.rollup_command(&["run"]);
    assert_clear_failure(&output, "has no table public.rental, public.inventory");
    let run = scenario.last_run().await;
    assert_eq!(run.status, "failed");
    assert!(run.error.unwrap().contains("public.rental"));
}

#[tokio::test]
async fn an_unreachable_source_for_postgres_fdw_is_explained() {
    let scenario = Scenario::new("cli_fdw", Source::PagilaV3).await;
    let unreachable = format!("postgres://postgres:{}@127.0.0.1:1/pagila", password());
    let output = scenario.rollup_command_with_env(&["run"], &[("FDW_SOURCE_URL", &unreachable)]);
    assert_clear_failure(
        &output,
        "could not read the source postgres@127.0.0.1:1/pagila through postgres_fdw (check FDW_SOURCE_URL)",
    );
}

#[tokio::test]
async fn help_names_every_setting_and_hides_their_values() {
    let scenario = Scenario::new("cli_help", Source::Empty).await;
    let output = scenario.rollup_command(&["run", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for setting in [
        "--source-url",
        "SOURCE_URL",
        "--rollup-url",
        "ROLLUP_URL",
        "--fdw-source-url",
        "FDW_SOURCE_URL",
        "--timezone",
        "ROLLUP_TIMEZONE",
        "--full",
        "--through",
        "Example:",
    ] {
        assert!(help.contains(setting), "{setting} missing from run --help:\n{help}");
    }
    assert!(!help.contains(&password()), "--help shows a password from the environment:\n{help}");
}

#[tokio::test]
async fn status_describes_what_the_rollup_holds() {
    let scenario = Scenario::new("cli_status", Source::PagilaV3).await;
    let before = scenario.rollup_command(&["status"]);
    assert!(stdout(&before).contains("not migrated yet"), "{}", stdout(&before));
    scenario.run(&[]);
    let output = scenario.rollup_command(&["status"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("built with: time zone UTC, weeks from monday"), "{text}");
    // What status must report, each derived on its own: the weeks and film weeks from the
    // brute-force oracle, the films and the findings from the source.
    let weeks = scenario.expected_weeks(Tz::UTC, None).await;
    let (first, last) = (weeks.first().unwrap(), weeks.last().unwrap());
    let summary =
        format!("weeks: {} .. {} ({} weeks)", first.week_beginning, last.week_beginning, weeks.len());
    assert!(text.contains(&summary), "{summary:?} in:\n{text}");
    let film_weeks = scenario.expected_film_weeks(Tz::UTC, None).await.len();
    let source = scenario.source().await;
    let films: i64 = query_value(&source, "SELECT count(*) FROM public.film", &[]).await;
    let rows = format!(
        "rows: rollup.weekly_rentals {}, rollup.film_weekly {film_weeks}, rollup.film {films},",
        weeks.len()
    );
    assert!(text.contains(&rows), "{rows:?} in:\n{text}");
    let overlapping = oracle::copies_rented_while_out(&source).await;
    let findings = format!("  copy_rented_while_out: {overlapping} rental(s), e.g. rental ");
    assert!(text.contains(&findings), "{findings:?} in:\n{text}");
    assert!(text.lines().any(|line| line.contains("| full ") && line.contains("| succeeded ")), "{text}");
    assert!(!text.contains(&password()));

    // psql's aligned format: each value under its header, the dates left-aligned and the numbers
    // right-aligned to the headers' widths; the last week's numbers are the oracle's.
    let report = stdout(&scenario.rollup_command(&["report"]));
    assert!(report.starts_with(" WeekBeginning | OutstandingRentals | ReturnedRentals\n"), "{report}");
    let last_line = format!(
        " {:<13} | {:>18} | {:>15}\n",
        last.week_beginning.to_string(),
        last.outstanding_rentals,
        last.returned_rentals
    );
    assert!(report.contains(&last_line), "{last_line:?} in:\n{report}");
    assert!(report.ends_with(&format!("({} rows)\n", weeks.len())), "{report}");
}

#[tokio::test]
async fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let scenario = Scenario::new("cli_pipe", Source::PagilaV3).await;
    scenario.run(&[]);
    // like `rollup export film_weekly | head -1`
    let mut child = scenario
        .command(&["export", "film_weekly"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // the read and the wait are bounded: a hung export fails the test instead of hanging it
    let first =
        common::process::within("the first line of the export", Duration::from_secs(120), move || {
            stdout.read_line(&mut first).unwrap();
            first // its end of the pipe is dropped here, closing it
        });
    assert!(first.starts_with("film_id,store_id,week_beginning,"), "{first}");
    let mut stderr_pipe = child.stderr.take().unwrap();
    let status = common::process::wait_within(&mut child, Duration::from_secs(120));
    assert!(status.is_some(), "the export did not end after its reader went away");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut stderr_pipe, &mut stderr).unwrap();
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

/// The files in `folder` whose names end in `.partial`: what an export writes before renaming.
fn partial_files(folder: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect()
}

/// Two exports to one file at once each write a temporary file of their own and rename it into
/// place: both succeed, and the file is one whole export, not the two interleaved.
#[tokio::test]
async fn concurrent_exports_to_one_file_both_succeed_and_leave_it_whole() {
    let scenario = Scenario::new("cli_export_race", Source::PagilaV3).await;
    scenario.run(&[]);
    let folder = tempfile_folder(&scenario.name);
    let target = folder.join("film_weekly.csv");
    let args = ["export", "film_weekly", "-o", target.to_str().unwrap()];
    let exports: Vec<_> = (0..2).map(|_| common::process::spawn(scenario.command(&args, &[]))).collect();
    for export in exports {
        let (code, log) = export.finish(Duration::from_secs(300));
        assert_eq!(code, Some(0), "{log}");
    }
    let csv = std::fs::read_to_string(&target).unwrap();
    let rows: i64 =
        query_value(&scenario.rollup().await, "SELECT count(*) FROM rollup.film_weekly", &[]).await;
    assert!(csv.starts_with("film_id,store_id,week_beginning,"), "{}", &csv[..80.min(csv.len())]);
    assert!(csv.ends_with('\n'));
    assert_eq!(csv.lines().count() as i64, 1 + rows, "a header and every row, once");
    let columns = csv.lines().next().unwrap().split(',').count();
    assert!(csv.lines().all(|line| line.split(',').count() == columns), "every line whole");
    assert_eq!(partial_files(&folder), Vec::<String>::new(), "no temporary file left");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// An export that fails half-way (a view whose rows fail after thousands were sent) leaves
/// neither the file asked for nor its temporary file; a file already there stays as it was.
#[tokio::test]
async fn a_failed_export_leaves_no_partial_file() {
    let scenario = Scenario::new("cli_export_fails", Source::Empty).await;
    scenario.rollup_command(&["migrate"]);
    scenario
        .rollup()
        .await
        .batch_execute(
            "CREATE VIEW rollup.fails_late AS
             SELECT n, repeat('x', 100) AS padding, 1 / (n - 50000) AS boom FROM generate_series(1, 60000) AS n",
        )
        .await
        .unwrap();
    let folder = tempfile_folder(&scenario.name);
    let target = folder.join("out.csv");
    let output = scenario.rollup_command(&["export", "fails_late", "-o", target.to_str().unwrap()]);
    assert_clear_failure(&output, "could not write");
    assert!(stderr(&output).contains("division by zero"), "{}", stderr(&output));
    assert!(!target.exists(), "no file behind the name asked for");
    assert_eq!(partial_files(&folder), Vec::<String>::new(), "no temporary file left");

    std::fs::write(&target, "before\n").unwrap();
    let output = scenario.rollup_command(&["export", "fails_late", "-o", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "before\n", "the old file stays whole");
    assert_eq!(partial_files(&folder), Vec::<String>::new(), "no temporary file left");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// An empty folder of the test's own under the temporary directory.
fn tempfile_folder(name: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("pagila-rollup-{name}"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// A migration edited after it was applied (simulated by changing the checksum refinery recorded):
/// refinery's divergence check stops `rollup run` and `rollup migrate` before anything is done.
#[tokio::test]
async fn an_edited_migration_is_refused_and_nothing_changes() {
    let scenario = Scenario::new("cli_edited_migration", Source::PagilaV3).await;
    scenario.run(&[]);
    scenario
        .rollup()
        .await
        .batch_execute("UPDATE refinery_schema_history SET checksum = '42' WHERE version = 3")
        .await
        .unwrap();
    let before = scenario.snapshot().await;
    let runs = scenario.run_count().await;
    for command in ["run", "migrate"] {
        assert_clear_failure(
            &scenario.rollup_command(&[command]),
            "the rollup database applied migration V3__run_history with a different checksum from this build's \
             migrations/V3__run_history.sql",
        );
    }
    assert_eq!(scenario.snapshot().await, before);
    assert_eq!(scenario.run_count().await, runs, "no run was started");
}

/// --through before the first rental extends nothing and is most likely a typo in the year.
#[tokio::test]
async fn through_before_the_first_rental_is_refused() {
    let scenario = Scenario::new("cli_through_early", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.snapshot().await;
    let runs = scenario.run_count().await;
    assert_clear_failure(
        &scenario.rollup_command(&["run", "--through", "2002-02-14"]),
        "--through 2002-02-14 is before the first rental in the source (2022-02-14, UTC)",
    );
    // Pagila's first rental is 2022-02-14 15:16 UTC, 2022-02-15 in Asia/Tokyo.
    assert_clear_failure(
        &scenario.rollup_command(&["run", "--through", "2022-02-14", "--timezone", "Asia/Tokyo"]),
        "--through 2022-02-14 is before the first rental in the source (2022-02-15, Asia/Tokyo)",
    );
    assert_eq!(scenario.snapshot().await, before);
    assert_eq!(scenario.run_count().await, runs, "no run was started");
    scenario.run(&["--through", "2022-02-14"]); // the first rental's own day is accepted
}

/// A source database without Pagila's tables, given to a rollup already built from Pagila: the
/// run fails naming what is missing and where, and the rollup keeps what it had.
#[tokio::test]
async fn a_source_without_pagila_leaves_a_built_rollup_unchanged() {
    let scenario = Scenario::new("cli_source_swapped", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.snapshot().await;
    let weeks = scenario.weeks().await;
    let empty = scenario.extra_database("empty").await;
    let output = scenario.rollup_command_with_env(&["run"], &[("SOURCE_URL", &empty)]);
    assert_clear_failure(&output, "the source database postgres@127.0.0.1:");
    let named = format!("/{} has no table public.rental, public.inventory", scenario.database_name("empty"));
    assert!(stderr(&output).contains(&named), "{named:?} in:\n{}", stderr(&output));
    assert_eq!(scenario.snapshot().await, before);
    let run = scenario.last_run().await;
    assert_eq!(run.status, "failed");
    assert!(run.error.unwrap().contains("is Pagila loaded there?"));
    scenario.run(&[]);
    assert_eq!(scenario.weeks().await, weeks, "back on Pagila, nothing had changed");
    assert_eq!(scenario.last_run().await.weeks_written(), Some(0));
}

/// A source that does not answer within the statement timeout of the role the rollup reads it as
/// (here: a lock held on rental, and a timeout of 300 ms for this database) fails the run with a
/// clear line; it is not retried, since it would time out again.
#[tokio::test]
async fn a_source_slower_than_its_statement_timeout_fails_the_run_cleanly() {
    let scenario = Scenario::new("cli_statement_timeout", Source::PagilaV3).await;
    scenario.run(&[]);
    let before = scenario.snapshot().await;
    let locker = scenario.source().await;
    locker
        .batch_execute(&format!(
            "ALTER ROLE postgres IN DATABASE {} SET statement_timeout = '300ms'",
            scenario.source_database
        ))
        .await
        .unwrap();
    locker.batch_execute("BEGIN; LOCK TABLE rental IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let output = scenario.rollup_command(&["run"]);
    assert_clear_failure(
        &output,
        "a statement of the run was cancelled, most likely by the statement_timeout",
    );
    assert!(stderr(&output).contains("canceling statement due to statement timeout"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("starting it again"), "not retried:\n{}", stderr(&output));
    assert_eq!(scenario.snapshot().await, before);
    let run = scenario.last_run().await;
    assert_eq!(run.status, "failed");
    assert!(run.error.unwrap().contains("canceling statement due to statement timeout"));

    locker.batch_execute("COMMIT").await.unwrap();
    locker
        .batch_execute(&format!(
            "ALTER ROLE postgres IN DATABASE {} RESET statement_timeout",
            scenario.source_database
        ))
        .await
        .unwrap();
    scenario.run(&[]);
    assert_eq!(scenario.last_run().await.status, "succeeded");
}

/// URLs without a password take it from libpq's password file (PGPASSFILE here), for this
/// program's connections and for postgres_fdw's user mapping alike; a file others may read is
/// ignored, as libpq does.
#[tokio::test]
async fn passwords_come_from_the_password_file_when_the_urls_have_none() {
    use std::os::unix::fs::PermissionsExt;
    let scenario = Scenario::new("cli_pgpass", Source::PagilaV3).await;
    let secret = password();
    let without = |url: &str| url.replace(&format!(":{secret}@"), "@");
    let file = std::env::temp_dir().join(format!("pagila-rollup-pgpass-{}", scenario.name));
    std::fs::write(&file, format!("# test\n127.0.0.1:*:*:postgres:{secret}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (rollup_url, source_url) = (without(&scenario.rollup_url), without(&scenario.source_url));
    let env = [
        ("ROLLUP_URL", rollup_url.as_str()),
        ("SOURCE_URL", source_url.as_str()),
        ("PGPASSFILE", file.to_str().unwrap()),
    ];
    let output = scenario.rollup_command_with_env(&["run"], &env);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains(&secret));
    assert_eq!(scenario.last_run().await.status, "succeeded");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = scenario.rollup_command_with_env(&["status"], &env);
    assert!(
        stderr(&output).contains("password file ignored: others may read it (chmod 0600 it)"),
        "{}",
        stderr(&output)
    );
    assert_clear_failure(&output, "could not connect to the rollup database postgres@127.0.0.1:");
    std::fs::remove_file(&file).unwrap();
}
