//! `eval "$(make -s env)"`, as the README says it, must export the four URLs to the programs a
//! shell starts afterwards, byte for byte, whatever the passwords hold. Runs on a copy of the
//! Makefile and scripts/ in a temporary folder with passwords of its own in the copy's .pg/, so
//! the checkout's .pg/ is never touched; `make env` starts no server, so none is needed.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The temporary copy, deleted however the test ends.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn make_env_lines_export_the_urls_when_eval_ed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = Copy(std::env::temp_dir().join(format!("pagila-rollup-make-env-{}", std::process::id())));
    let dir = &copy.0;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::create_dir_all(dir.join(".pg")).unwrap();
    std::fs::copy(root.join("Makefile"), dir.join("Makefile")).unwrap();
    for script in ["dev.sh", "pg.sh"] {
        std::fs::copy(root.join("scripts").join(script), dir.join("scripts").join(script)).unwrap();
    }
    // Generated passwords are hex; these hold what a shell or bash's ${x/pattern/replacement}
    // would otherwise read as syntax: quotes, $(...), backquotes, a backslash, &, glob characters.
    let password = r#"it's "$(false)" `false` \ & *[a]?"#;
    let reader_password = r#"r&d\ "q"'"#;
    std::fs::write(dir.join(".pg/password"), password).unwrap();
    std::fs::write(dir.join(".pg/reader_password"), reader_password).unwrap();

    // `env` is a program of its own: it sees only what was exported.
    let output = Command::new("bash")
        .args(["-c", r#"eval "$(make -s env)" && env"#])
        .current_dir(dir)
        .env("PG_MODE", "native")
        .env("SOURCE_PORT", "56901")
        .env("ROLLUP_PORT", "56902")
        .env_remove("SOURCE_URL")
        .env_remove("ROLLUP_URL")
        .env_remove("FDW_SOURCE_URL")
        .env_remove("SOURCE_ADMIN_URL")
        // As from a person's shell, not from inside `make test`.
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        .env_remove("MFLAGS")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "eval \"$(make -s env)\" failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let exported = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} is not exported; env printed:\n{stdout}"))
            .to_string()
    };
    let reader = format!("postgres://rollup_reader:{reader_password}@127.0.0.1:56901/pagila");
    assert_eq!(exported("SOURCE_URL"), reader);
    assert_eq!(exported("FDW_SOURCE_URL"), reader);
    assert_eq!(exported("ROLLUP_URL"), format!("postgres://postgres:{password}@127.0.0.1:56902/rollup"));
    assert_eq!(
        exported("SOURCE_ADMIN_URL"),
        format!("postgres://postgres:{password}@127.0.0.1:56901/pagila")
    );
}
