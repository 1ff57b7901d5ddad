//! What a person sees when a setting is wrong: one `error:` line that names the setting, exit
//! code 1, no panic or backtrace, and never the password.
mod common;

use common::{Scenario, Source, assert_clear_failure, password, stderr, stdout};

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
    assert!(text.contains("weeks: 2022-02-14 .. 2022-08-29 (29 weeks)"), "{text}");
    assert!(
        text.contains("rows: rollup.weekly_rentals 29, rollup.film_weekly 18025, rollup.film 1000,"),
        "{text}"
    );
    assert!(text.contains("  copy_rented_while_out: 182 rental(s), e.g. rental "), "{text}");
    assert!(text.lines().any(|line| line.contains("| full ") && line.contains("| succeeded ")), "{text}");
    assert!(!text.contains(&password()));

    let report = stdout(&scenario.rollup_command(&["report"]));
    assert!(report.starts_with(" WeekBeginning | OutstandingRentals | ReturnedRentals\n"), "{report}");
    assert!(report.contains(" 2022-08-29    |                183 |             673\n"), "{report}");
    assert!(report.ends_with("(29 rows)\n"), "{report}");
}

#[tokio::test]
async fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let scenario = Scenario::new("cli_pipe", Source::PagilaV3).await;
    scenario.run(&[]);
    // like `rollup export film_weekly | head -1`
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollup"))
        .args(["export", "film_weekly"])
        .env("ROLLUP_URL", &scenario.rollup_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("film_id,store_id,week_beginning,"), "{first}");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}
