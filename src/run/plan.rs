//! The plan of a run: every step, in the order it runs, marked with the kind of run it belongs to
//! and, where it is conditional, when it runs. This table is the one list of a run's steps; the
//! code in src/run/ follows it, and tests/plan.rs checks every run's log against it (each step a
//! run logs is in the table, for its kind, in this order). `rollup run --dry-run` prints it.
//!
//! The step names are those of the `step` field in the log, which for SQL steps is the file name
//! under queries/ (`.full` / `.incremental` variants say which kind reads what). A full build
//! computes the steps marked [`Runs::FullTask`] on `--jobs` connections side by side, each task
//! in the order shown, the tasks in any order. On a Citus coordinator (docs/citus.md) the film
//! task is one, over every film, and its steps 19 and 20 are one statement the workers run
//! (`20_film_week_flow_applied.citus`).

/// Which kind of run a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Both kinds of run.
    Both,
    /// A full build, on the run's connection.
    Full,
    /// A full build, inside one of the parallel tasks (src/run/build_tasks.rs).
    FullTask,
    /// An incremental run, in its one transaction.
    Incremental,
}

/// One step of the plan.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The `step` field of its log records.
    pub name: &'static str,
    pub runs: Runs,
    /// When a step does not always run, when it does.
    pub only: Option<&'static str>,
    /// What it produces.
    pub what: &'static str,
}

const fn step(name: &'static str, runs: Runs, what: &'static str) -> Step {
    Step { name, runs, only: None, what }
}

const fn only(name: &'static str, runs: Runs, when: &'static str, what: &'static str) -> Step {
    Step { name, runs, only: Some(when), what }
}

use Runs::{Both, Full, FullTask, Incremental};

/// Every step of a run, in order. Before them, outside any step: the run lock, the migrations,
/// the setting checks and the mode choice (src/run/mod.rs); after them, the run's record.
pub const PLAN: &[Step] = &[
    only(
        "staging_dropped",
        Incremental,
        "a full build died before it published",
        "its staging schema dropped",
    ),
    step(
        "01_link_source",
        Both,
        "postgres_fdw's foreign server and tables, re-made only when the link changed",
    ),
    only("link_capture", Both, "the source's delete capture appeared or went", "the capture's foreign table"),
    // an incremental run: what changed
    step("incremental_tables", Incremental, "the run's temporary tables"),
    step("02_pulled_rental", Incremental, "the rentals whose last_update is at or after the cutoff"),
    only(
        "03_captured_deletion",
        Incremental,
        "the source's delete capture is trusted",
        "the ids it logged since the cutoff",
    ),
    only(
        "05_captured_rental",
        Incremental,
        "the source's delete capture is trusted",
        "those ids looked up in the source",
    ),
    only(
        "03_rental_totals_differ",
        Incremental,
        "no trusted capture",
        "whether the source's count and id sum differ from the rollup's",
    ),
    only(
        "04_bucket_fingerprint.ids",
        Incremental,
        "the totals differ",
        "the buckets whose count and id sum differ",
    ),
    only(
        "04_bucket_fingerprint.hashes",
        Incremental,
        "the full comparison is due (--reconcile-every)",
        "the buckets whose full fingerprints differ",
    ),
    only("05_repulled_rental", Incremental, "buckets differ", "those buckets pulled whole"),
    step("analyze_pulled", Incremental, "statistics of the pulled rows"),
    step("06_rental_change", Incremental, "each changed or deleted rental, old and new"),
    step("07_inventory_change", Incremental, "each copy added, removed or moved"),
    // an incremental run: where the changes reach (the rest is skipped when nothing changed)
    only("analyze_changes", Incremental, "something changed", "statistics of the changes"),
    only("08_touched_day", Incremental, "something changed", "the days the changes reach"),
    only("09_inventory_shadow_applied", Incremental, "something changed", "the copies' shadow up to date"),
    only(
        "10_touched_film_week",
        Incremental,
        "something changed",
        "the (film, store, week)s the changes reach",
    ),
    only("analyze_touched", Incremental, "something changed", "statistics of what was touched"),
    only("11_rental_shadow_applied", Incremental, "something changed", "the rentals' shadow up to date"),
    only(
        "11_film_week_event_applied.citus",
        Incremental,
        "something changed, on a Citus coordinator",
        "the changed rentals' events on the workers (rollup.film_week_event)",
    ),
    only(
        "11_rental_bucket_applied.incremental",
        Incremental,
        "something changed",
        "the buckets' fingerprints",
    ),
    only("12_day_event.incremental", Incremental, "something changed", "the touched days' events"),
    only("13_day_flow_computed", Incremental, "something changed", "the touched days' flows"),
    only("14_day_flow_applied.incremental", Incremental, "something changed", "rollup.day_flow"),
    only("15_week_spine", Incremental, "something changed", "the weeks to report"),
    only(
        "16_weekly_rentals_computed",
        Incremental,
        "something changed",
        "the weeks from the first changed day on",
    ),
    only(
        "17_weekly_rentals_applied",
        Incremental,
        "something changed",
        "rollup.weekly_rentals, changed rows only",
    ),
    only(
        "18_film_week_event.incremental",
        Incremental,
        "something changed, on one server",
        "the touched film weeks' events, from the rental shadow",
    ),
    only(
        "18_film_week_event.incremental.citus",
        Incremental,
        "something changed, on a Citus coordinator",
        "the touched film weeks' events, on the workers",
    ),
    only("19_film_week_flow_computed", Incremental, "something changed", "their flows"),
    only("analyze_recomputed", Incremental, "something changed", "statistics of the recomputed flows"),
    only(
        "20_film_week_flow_applied.incremental",
        Incremental,
        "something changed, on one server",
        "rollup.film_week_flow, changed rows only",
    ),
    only(
        "20_film_week_flow_recomputed.citus",
        Incremental,
        "something changed, on a Citus coordinator",
        "the recomputed flows sent to their films' shards (rollup.film_week_flow_recomputed)",
    ),
    only(
        "20_film_week_flow_applied.incremental.citus",
        Incremental,
        "something changed, on a Citus coordinator",
        "rollup.film_week_flow, changed rows only, written on the workers",
    ),
    step("21_pulled_film.incremental", Incremental, "the films, when they changed"),
    step("21_film_applied", Incremental, "rollup.film"),
    only(
        "22_judged_rental.incremental",
        Incremental,
        "something changed",
        "the changed rentals and their copies' neighbours",
    ),
    only("23_data_issue_found", Incremental, "something changed", "their findings"),
    only(
        "24_data_issue_applied.incremental",
        Incremental,
        "something changed",
        "rollup.data_issue, changed rows only",
    ),
    only(
        "25_film_week_flow_history.incremental",
        Incremental,
        "something changed",
        "the touched flows' versions in rollup.film_week_flow_history",
    ),
    only(
        "25_copies_history.incremental",
        Incremental,
        "something changed",
        "the changed pairs' copy counts in rollup.copies_history",
    ),
    step("25_film_history", Incremental, "the films' versions in rollup.film_history"),
    step("25_weekly_rentals_history", Incremental, "the weeks' versions in rollup.weekly_rentals_history"),
    only(
        "26_copies_recommendation_applied.full",
        Incremental,
        "the service level or the weeks the method reads changed",
        "rollup.copies_recommendation, every stocked pair, as a full build makes it",
    ),
    only(
        "26_copies_recommendation_applied.incremental",
        Incremental,
        "else, something changed, on one server",
        "rollup.copies_recommendation: the pairs whose rentals or copies changed",
    ),
    only(
        "26_copies_recommendation_applied.incremental.citus",
        Incremental,
        "else, something changed, on a Citus coordinator",
        "rollup.copies_recommendation: those pairs, their films' flows read on the workers",
    ),
    // a full build: load, in one snapshot of the source
    step("staging_dropped", Full, "staging tables of a build that died, dropped"),
    step("staging_tables", Full, "empty staging tables in schema rollup_build"),
    step("02_full_rental_shadow.in", Full, "every rental, by COPY"),
    step("02_full_inventory_shadow.in", Full, "every copy, by COPY"),
    step("02_full_film.in", Full, "every film, by COPY"),
    step("staging_indexes", Full, "the staging rental shadow's key and indexes, side by side"),
    // a full build: the parallel tasks
    step("22_judged_rental.full", FullTask, "findings task: every rental with its copy's next rental"),
    step("23_data_issue_found", FullTask, "findings task: the findings"),
    step("24_data_issue_applied.full", FullTask, "findings task: the staging data issues"),
    step("11_rental_bucket_applied.full", FullTask, "bucket task: the buckets' fingerprints"),
    step("12_day_event.full", FullTask, "day-flow task: every event by day"),
    step("13_day_flow_computed", FullTask, "day-flow task: every day's flow"),
    step("14_day_flow_applied.full", FullTask, "day-flow task: the staging day flows"),
    step(
        "18_film_week_event.full",
        FullTask,
        "film task (a range of films; on Citus one task, every film): its events",
    ),
    only(
        "18_film_week_event.citus",
        FullTask,
        "on a Citus coordinator",
        "film task: the events copied into the staging table distributed by film",
    ),
    only("19_film_week_flow_computed", FullTask, "not on Citus", "film task: its film weeks' flows"),
    only("20_film_week_flow_applied.full", FullTask, "not on Citus", "film task: the staging film flows"),
    only(
        "20_film_week_flow_applied.citus",
        FullTask,
        "on a Citus coordinator",
        "film task: step 19's flows computed and written on the workers, one task per shard",
    ),
    step("staging_computed", Full, "all tasks done"),
    step("staging_analyzed", Full, "statistics of the staging tables"),
    step("staging_indexes", Full, "the staging film flows' key"),
    step(
        "history_delta",
        Full,
        "the flows' versions the history must open and close when they are published",
    ),
    // a full build: publish, in one short transaction
    step("partitions_swapped", Full, "the staging shadow and film flows swapped in as partitions"),
    step("tables_replaced", Full, "the small tables replaced"),
    step("15_week_spine", Full, "the weeks to report"),
    step("16_weekly_rentals_computed", Full, "every week, from the day flows"),
    step("17_weekly_rentals_applied", Full, "rollup.weekly_rentals"),
    step("21_pulled_film.full", Full, "the films"),
    step("21_film_applied", Full, "rollup.film"),
    step("25_film_week_flow_history.full", Full, "those versions, in rollup.film_week_flow_history"),
    step("25_copies_history.full", Full, "the copy counts that differ, in rollup.copies_history"),
    step("25_film_history", Full, "the films' versions in rollup.film_history"),
    step("25_weekly_rentals_history", Full, "the weeks' versions in rollup.weekly_rentals_history"),
    step("26_copies_recommendation_applied.full", Full, "rollup.copies_recommendation, every stocked pair"),
    step("staging_dropped", Full, "the staging schema, once published"),
];

/// The steps a run of this kind may take, in order (a full build's tasks where they start).
pub fn steps_of(full: bool) -> impl Iterator<Item = &'static Step> {
    PLAN.iter().filter(move |step| match step.runs {
        Runs::Both => true,
        Runs::Full | Runs::FullTask => full,
        Runs::Incremental => !full,
    })
}

#[cfg(test)]
mod tests {
    use super::PLAN;

    /// Every step file under queries/pipeline/ that the rollup server runs is in the plan (the
    /// `.out` files are COPY statements the source runs inside the `.in` step), and every plan
    /// step named like a file has one.
    #[test]
    fn the_plan_names_every_pipeline_file_and_no_other() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/queries/pipeline");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".sql").map(str::to_owned))
            .filter(|name| !name.ends_with(".out"))
            .collect();
        files.sort();
        for file in &files {
            assert!(
                PLAN.iter().any(|step| step.name == file),
                "queries/pipeline/{file}.sql is not in the plan"
            );
        }
        for step in PLAN {
            let numbered = step.name.chars().next().is_some_and(|c| c.is_ascii_digit());
            assert!(!numbered || files.iter().any(|file| file == step.name), "{} has no file", step.name);
        }
    }
}
