//! Runs follow their plan: every step a full build or an incremental run logs is in
//! src/run/plan.rs for its kind of run, in the plan's order (a full build's parallel tasks in any
//! order among themselves, each task's own steps in order), on one server and on a Citus
//! coordinator, where the full build's film task takes the plan's Citus steps.
mod common;

use common::citus::{self, CitusCluster};
use common::{Scenario, Source, stderr};
use pagila_rollup::run::plan::{PLAN, Runs, steps_of};
use serde_json::Value;

/// The `step` of every `step done` record of a JSON log, in order.
fn steps_done(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["message"] == "step done")
        .filter_map(|record| record["step"].as_str().map(str::to_owned))
        .collect()
}

/// Fails unless `done` is `plan` with some steps left out, in the same order.
fn assert_follows(done: &[String], plan: &[&str], what: &str) {
    let mut next = 0;
    for step in done {
        match plan[next..].iter().position(|planned| planned == step) {
            Some(at) => next += at + 1,
            None => panic!(
                "{what}: step {step} is not in the plan after {:?}\nlogged: {done:?}",
                plan.get(next.wrapping_sub(1))
            ),
        }
    }
}

fn run_json(scenario: &Scenario, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--log-format", "json", "run"];
    all.extend_from_slice(args);
    let output = scenario.rollup_command(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    steps_done(&stderr(&output))
}

#[tokio::test]
async fn full_builds_and_incremental_runs_take_the_steps_of_the_plan_in_its_order() {
    let scenario = Scenario::new("plan_order", Source::PagilaV3).await;

    let done = run_json(&scenario, &["--jobs", "2"]);
    let is_task = |name: &str| PLAN.iter().any(|step| step.name == name && step.runs == Runs::FullTask);
    let serial: Vec<String> = done.iter().filter(|name| !is_task(name)).cloned().collect();
    let plan: Vec<&str> =
        steps_of(true).filter(|step| step.runs != Runs::FullTask).map(|step| step.name).collect();
    assert_follows(&serial, &plan, "full build");
    assert!(done.iter().any(|name| is_task(name)), "no task step logged: {done:?}");
    assert!(serial.contains(&"02_full_rental_shadow.in".to_owned()), "{done:?}");

    // an incremental run with something of every kind: a new rental, a return, a delete
    scenario
        .source()
        .await
        .batch_execute(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id)
                  VALUES ('2022-08-20 10:00+00', 1, 1, 1);
             UPDATE rental SET return_date = return_date + interval '3 days' WHERE rental_id = 20;
             DELETE FROM payment WHERE rental_id = 30; DELETE FROM rental WHERE rental_id = 30;",
        )
        .await
        .unwrap();
    let plan: Vec<&str> = steps_of(false).map(|step| step.name).collect();
    let done = run_json(&scenario, &[]);
    assert_follows(&done, &plan, "incremental run");
    for expected in [
        "02_pulled_rental",
        "04_bucket_fingerprint.ids",
        "11_rental_shadow_applied",
        "24_data_issue_applied.incremental",
    ] {
        assert!(done.iter().any(|name| name == expected), "{expected} not run: {done:?}");
    }
    // and one with nothing to do, which stops where the plan says
    let done = run_json(&scenario, &[]);
    assert_follows(&done, &plan, "no-op run");
    assert!(!done.iter().any(|name| name == "11_rental_shadow_applied"), "{done:?}");
}

/// A full build on a Citus coordinator takes the plan's steps too: the same serial steps, and one
/// film task whose steps are the plan's Citus ones, in its order (the events copied to the
/// workers, steps 19 and 20 as one statement run there), never step 19 on the coordinator.
#[tokio::test]
async fn a_full_build_on_citus_takes_the_plans_citus_steps() {
    if !citus::available() {
        return;
    }
    let cluster = CitusCluster::start("plan-citus");
    let mut scenario = Scenario::new("plan_citus", Source::PagilaV3).await;
    scenario.rollup_url = cluster.database(&scenario.database_name("citus"));

    let done = run_json(&scenario, &["--jobs", "2"]);
    let is_task = |name: &str| PLAN.iter().any(|step| step.name == name && step.runs == Runs::FullTask);
    let serial: Vec<String> = done.iter().filter(|name| !is_task(name)).cloned().collect();
    let plan: Vec<&str> =
        steps_of(true).filter(|step| step.runs != Runs::FullTask).map(|step| step.name).collect();
    assert_follows(&serial, &plan, "full build on Citus");
    let film_steps = ["18_", "19_", "20_"];
    let film: Vec<String> = done
        .iter()
        .filter(|name| film_steps.iter().any(|prefix| name.starts_with(prefix)))
        .cloned()
        .collect();
    assert_eq!(
        film,
        ["18_film_week_event.full", "18_film_week_event.citus", "20_film_week_flow_applied.citus"],
        "one film task, swept on the workers: {done:?}"
    );
    let tasks: Vec<&str> =
        steps_of(true).filter(|step| step.runs == Runs::FullTask).map(|step| step.name).collect();
    assert_follows(&film, &tasks, "the film task on Citus");
}
