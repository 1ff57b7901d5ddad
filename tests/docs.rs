//! The documentation's links lead somewhere: every relative link in the repository's Markdown
//! (README.md, docs/, and the READMEs and results beside the code) names a file or folder that
//! exists, and every `#anchor` into a Markdown file names one of its headings, as GitHub makes
//! anchors of them. Moving a section between pages is how such links break, silently; this test
//! says which link, in which file, points where. No server needed.
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The Markdown files of the repository, outside build output and local state.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    folders.push(path);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The text outside fenced code blocks, line by line, with inline code spans removed: a `](`
/// inside code is an example, not a link.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut fenced = false;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut prose = String::new();
        for (part, piece) in line.split('`').enumerate() {
            if part % 2 == 0 {
                prose.push_str(piece);
            }
        }
        lines.push((index + 1, prose));
    }
    lines
}

/// The targets of inline links and images, `[text](target)`, with their line numbers.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut targets = Vec::new();
    for (number, line) in prose_lines(text) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            // A title after the target ("...") is not part of it.
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            targets.push((number, target.to_string()));
            rest = &rest[end..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces turned into hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings; a repeated heading gets `-1`, `-2`, ... as on GitHub.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = anchor(&heading.replace('`', ""));
        let mut candidate = base.clone();
        let mut repeat = 0;
        while seen.contains(&candidate) {
            repeat += 1;
            candidate = format!("{base}-{repeat}");
        }
        seen.insert(candidate);
    }
    seen
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// Every broken relative link of the repository's Markdown, as `file:line: target: why`.
fn broken_links(root: &Path) -> Vec<String> {
    let mut broken = Vec::new();
    for file in markdown_files(root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        for (line, target) in link_targets(&text) {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            if !linked.exists() {
                broken.push(format!("{shown}:{line}: {target}: no such file"));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if linked.extension().is_none_or(|extension| extension != "md") {
                continue;
            }
            let headings = anchors(&std::fs::read_to_string(&linked).unwrap());
            if !headings.contains(fragment) {
                broken.push(format!("{shown}:{line}: {target}: no heading with anchor #{fragment}"));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_documentation_leads_somewhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = markdown_files(root);
    assert!(
        files.iter().any(|file| file.ends_with("README.md")),
        "found no README.md under {}",
        root.display()
    );
    assert!(files.iter().any(|file| file.starts_with(root.join("docs"))), "found no docs/*.md");
    let broken = broken_links(root);
    assert!(broken.is_empty(), "broken links in the documentation:\n  {}", broken.join("\n  "));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(anchor("Least privilege on the source"), "least-privilege-on-the-source");
    assert_eq!(anchor("Synthetic data: rollup generate"), "synthetic-data-rollup-generate");
    assert_eq!(anchor("How rollup verify works"), "how-rollup-verify-works");
    assert_eq!(anchor("Status and freshness"), "status-and-freshness");
    let repeated = anchors("# Logs\n\n```sh\n# not a heading\n```\n## Logs\n#not-a-heading\n");
    assert_eq!(repeated, HashSet::from([String::from("logs"), String::from("logs-1")]));
}

#[test]
fn links_in_code_are_not_links() {
    let text = "See [the tables](docs/tables.md#what) and `[x](nowhere.md)`.\n```md\n[y](nowhere.md)\n```\n";
    assert_eq!(link_targets(text), [(1, String::from("docs/tables.md#what"))]);
}
