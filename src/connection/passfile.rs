//! libpq's password file, so a URL without a password need not put one in the environment.
use tracing::warn;

/// The password for `wanted` (host, port, database, user) from libpq's password file (`passfile`, else `PGPASSFILE`, else
/// `~/.pgpass`): the first line `host:port:database:user:password` matching it, `*` matching
/// anything, `\:` and `\\` escaped. Like libpq, a file that others may read is ignored, with a warning.
pub(super) fn password_file_entry(wanted: &[String; 4], passfile: Option<&str>) -> Option<String> {
    let path = match passfile.map(std::ffi::OsString::from).or_else(|| std::env::var_os("PGPASSFILE")) {
        Some(path) => std::path::PathBuf::from(path),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let metadata = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            warn!(file = %path.display(), "password file ignored: others may read it (chmod 0600 it)");
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    password_file_lookup(&text, wanted)
}

/// The password of the first line of a password file matching `wanted` (host, port, database, user).
fn password_file_lookup(text: &str, wanted: &[String; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields: Vec<String> = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.extend(chars.next()),
                ':' if fields.len() < 5 => fields.push(String::new()),
                _ => fields.last_mut()?.push(c),
            }
        }
        // a line without its five fields is skipped, as libpq does
        let Ok([host, port, database, user, password]) = <[String; 5]>::try_from(fields) else {
            continue;
        };
        let matches = |field: &str, value: &str| field == "*" || field == value;
        if matches(&host, &wanted[0])
            && matches(&port, &wanted[1])
            && matches(&database, &wanted[2])
            && matches(&user, &wanted[3])
        {
            return Some(password);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_line_matching_the_connection_gives_its_password() {
        let file = "# comment\n\
                    db.example:5432:other:alice:wrong\n\
                    db.example:*:rollup:alice:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback\n";
        let wanted = |database: &str, user: &str| {
            ["db.example".to_owned(), "5432".to_owned(), database.to_owned(), user.to_owned()]
        };
        assert_eq!(password_file_lookup(file, &wanted("rollup", "alice")).as_deref(), Some("pa:ss\\word"));
        assert_eq!(password_file_lookup(file, &wanted("rollup", "bob")).as_deref(), Some("fallback"));
        assert_eq!(password_file_lookup("db.example:5432:rollup:alice\n", &wanted("rollup", "alice")), None);
    }
}
