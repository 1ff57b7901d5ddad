//! Assertions shared by the integration tests: failures that read well, and tables compared with
//! the oracle or the source, showing the first difference rather than two long lists.
use std::collections::BTreeMap;
use std::process::Output;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::oracle::{self, FilmWeek, Rental};
use super::password;
use super::process::stderr;
use super::rows::{Week, column, query_value};
use super::scenario::Scenario;

/// Asserts a failure that exited with `expected_code` and wrote one `error:` line containing
/// `expected`, with no panic and neither the cluster's password nor any of `secrets` anywhere.
pub fn assert_failed(code: Option<i32>, stderr: &str, expected_code: i32, expected: &str, secrets: &[&str]) {
    assert_eq!(code, Some(expected_code), "exit code; stderr:\n{stderr}");
    let error_lines: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(error_lines.len(), 1, "one error line:\n{stderr}");
    assert!(error_lines[0].contains(expected), "expected {expected:?} in:\n{}", error_lines[0]);
    let cluster_password = password();
    for secret in secrets.iter().copied().chain([cluster_password.as_str()]) {
        assert!(!stderr.contains(secret), "password leaked:\n{stderr}");
    }
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "panic:\n{stderr}");
}

/// Asserts a failed command with one clear, password-free `error:` line containing `expected`,
/// exit code 1 and no panic.
pub fn assert_clear_failure(output: &Output, expected: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "exit code; stderr:\n{text}");
    let error_line = text
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{text}"));
    assert!(error_line.contains(expected), "expected {expected:?} in:\n{error_line}");
    assert!(!text.contains(&password()), "password leaked:\n{text}");
    assert!(!text.contains("panicked") && !text.contains("RUST_BACKTRACE"), "panic:\n{text}");
}

/// Asserts two week lists are equal, printing the first differing week rather than two long lists.
pub fn assert_same_weeks(actual: &[Week], expected: &[Week], context: &str) {
    for (actual_week, expected_week) in actual.iter().zip(expected) {
        assert_eq!(actual_week, expected_week, "{context}: first differing week");
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "{context}: number of weeks (rollup {:?}..{:?}, expected {:?}..{:?})",
        actual.first().map(|w| w.week_beginning),
        actual.last().map(|w| w.week_beginning),
        expected.first().map(|w| w.week_beginning),
        expected.last().map(|w| w.week_beginning),
    );
}

/// Asserts two lists of film weeks are equal (hours to the stored millihour), showing the first
/// difference.
pub fn assert_same_film_weeks(actual: &[FilmWeek], expected: &[FilmWeek], context: &str) {
    for (a, e) in actual.iter().zip(expected) {
        let same = (a.film_id, a.store_id, a.week_beginning, a.rented_rentals, a.returned_rentals)
            == (e.film_id, e.store_id, e.week_beginning, e.rented_rentals, e.returned_rentals)
            && (a.outstanding_at_start, a.outstanding_rentals, a.peak_outstanding, a.copies)
                == (e.outstanding_at_start, e.outstanding_rentals, e.peak_outstanding, e.copies)
            && (a.hours_all_copies_out - e.hours_all_copies_out).abs() < 0.0015;
        assert!(same, "{context}: first differing film week:\n  rollup:   {a:?}\n  expected: {e:?}");
    }
    assert_eq!(actual.len(), expected.len(), "{context}: number of film weeks");
}

/// One rental as the shadow should hold it: the source's columns, and the weeks it is counted in.
#[derive(Debug, PartialEq, Eq)]
struct ShadowRow {
    rental_date: DateTime<Utc>,
    return_date: Option<DateTime<Utc>>,
    inventory_id: i32,
    rental_week: Option<NaiveDate>,
    return_week: Option<NaiveDate>,
}

/// The shadow holds exactly the source's rentals, each with the weeks it is counted in.
///
/// The source side is read straight from the source database (not through postgres_fdw) and its
/// weeks come from the data's own definition as the oracle restates it with chrono-tz, sharing
/// nothing with the pipeline's SQL: a rental is counted when the plausibility rule holds (not
/// returned before rented; both instants from Monday 1970-01-05 00:00 local time up to the end of
/// the week 52 weeks after the current one, as migrations/V9's rollup.counted_from and
/// rollup.counted_until define the range), and then its rental_week / return_week are the local
/// dates of the Monday 00:00 at or before its rental and return in the time zone the rollup was
/// built with (rollup.build_settings); a quarantined rental has neither.
pub async fn assert_shadow_equals_source(scenario: &Scenario, context: &str) {
    let rollup = scenario.rollup().await;
    let zone: String = query_value(&rollup, "SELECT time_zone FROM rollup.build_settings", &[]).await;
    let zone: Tz = zone.parse().unwrap_or_else(|error| panic!("build_settings.time_zone {zone:?}: {error}"));

    const SOURCE: &str = "the source's public.rental";
    let expected: BTreeMap<i32, ShadowRow> = scenario
        .source()
        .await
        .query("SELECT rental_id, rental_date, return_date, inventory_id FROM public.rental", &[])
        .await
        .unwrap_or_else(|error| panic!("read {SOURCE}: {error}"))
        .iter()
        .map(|row| {
            let rental = Rental {
                rented: column(row, SOURCE, "rental_date"),
                returned: column(row, SOURCE, "return_date"),
            };
            let weeks = oracle::counted_weeks(zone, &rental);
            let shadow = ShadowRow {
                rental_date: rental.rented,
                return_date: rental.returned,
                inventory_id: column(row, SOURCE, "inventory_id"),
                rental_week: weeks.map(|(rented, _)| rented),
                return_week: weeks.and_then(|(_, returned)| returned),
            };
            (column(row, SOURCE, "rental_id"), shadow)
        })
        .collect();

    const SHADOW: &str = "rollup.rental_shadow";
    let actual: BTreeMap<i32, ShadowRow> = rollup
        .query(
            "SELECT rental_id, rental_date, return_date, inventory_id, rental_week, return_week
               FROM rollup.rental_shadow",
            &[],
        )
        .await
        .unwrap_or_else(|error| panic!("read {SHADOW}: {error}"))
        .iter()
        .map(|row| {
            let shadow = ShadowRow {
                rental_date: column(row, SHADOW, "rental_date"),
                return_date: column(row, SHADOW, "return_date"),
                inventory_id: column(row, SHADOW, "inventory_id"),
                rental_week: column(row, SHADOW, "rental_week"),
                return_week: column(row, SHADOW, "return_week"),
            };
            (column(row, SHADOW, "rental_id"), shadow)
        })
        .collect();

    for (rental_id, expected_row) in &expected {
        match actual.get(rental_id) {
            Some(actual_row) => assert_eq!(
                actual_row, expected_row,
                "shadow row of rental {rental_id} (time zone {zone}) differs from the source; {context}"
            ),
            None => panic!("rental {rental_id} missing from the shadow: {expected_row:?}; {context}"),
        }
    }
    if let Some(extra) = actual.keys().find(|rental_id| !expected.contains_key(rental_id)) {
        panic!("rental {extra} is in the shadow but not the source: {:?}; {context}", actual[extra]);
    }
}
