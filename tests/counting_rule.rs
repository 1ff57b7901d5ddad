//! One counting rule (issue 14): the week grid's anchor and the end of the plausible range are
//! defined once, by SQL functions (rollup.week_origin of migrations/V12, rollup.counted_from and
//! rollup.counted_until of V9), and every query takes them from there. A query that wrote the
//! date again, or its own "52 weeks" / "53 weeks", would be a second definition that a change
//! to the rule leaves behind; this test names the file and line. No server needed.
use std::path::{Path, PathBuf};

/// The Monday the week grid is anchored to, as rollup.week_origin() returns it.
const ANCHOR: &str = "1970-01-05";

/// The files under `folder` whose name ends with `.sql`, sorted.
fn sql_files(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "sql") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `file:line: text` for every line of the files under `folder` holding one of `needles`
/// (case-insensitive), outside the files `allowed` names (relative to the repository).
fn occurrences(folder: &str, needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for path in sql_files(&root.join(folder)) {
        let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if allowed.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (index, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            if needles.iter().any(|needle| lower.contains(needle)) {
                found.push(format!("{relative}:{}: {}", index + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_anchor_is_written_only_where_it_is_defined() {
    // queries/run/first_rental.sql runs on the source: it receives rollup.counted_from as $1.
    let found = occurrences("queries", &[ANCHOR], &[]);
    assert!(
        found.is_empty(),
        "the week grid's anchor {ANCHOR} is written in queries other than its definition; take it from \
         rollup.week_origin() or rollup.counted_from (on the source: a literal made by format(%L), as \
         queries/pipeline/02_full_rental_shadow.out.sql does):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_anchor_is_defined_by_one_migration() {
    // V9 wrote it before V12 existed; an applied migration never changes. V7 names it in a comment.
    let found = occurrences(
        "migrations",
        &[ANCHOR],
        &[
            "migrations/V7__film_weekly.sql",
            "migrations/V9__change_proportional_storage.sql",
            "migrations/V12__week_origin.sql",
        ],
    );
    assert!(
        found.is_empty(),
        "the week grid's anchor {ANCHOR} is written by a migration other than V12, which defines \
         rollup.week_origin(); call the function:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_plausible_range_ends_only_where_it_is_defined() {
    // rollup.counted_until (V9) adds 53 weeks to the current week's Monday: the end of the 52nd
    // week after the current one. A query needing the end calls it.
    let found = occurrences("queries", &["52 weeks'", "53 weeks'", "7 * 53", "7*53"], &[]);
    assert!(
        found.is_empty(),
        "the end of the plausible range is computed again in a query; call rollup.counted_until:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_search_sees_the_queries() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = sql_files(&root.join("queries"));
    assert!(
        files.iter().any(|path| path.ends_with("queries/pipeline/02_full_rental_shadow.out.sql")),
        "no query files found under {}",
        root.join("queries").display()
    );
    let copy = std::fs::read_to_string(root.join("queries/pipeline/02_full_rental_shadow.out.sql")).unwrap();
    assert!(
        copy.contains("rollup.week_origin()"),
        "the full build's COPY takes its anchor from rollup.week_origin()"
    );
}
