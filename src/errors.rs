//! How errors reach a person: one line per failure with its whole cause chain, PostgreSQL's
//! DETAIL and HINT included (they usually say what to fix), and never a password.
//!
//! tokio-postgres's errors already print their cause after their own text ("db error: ERROR: ..."),
//! so a plain `{:#}` would say everything twice; [`render`] drops a cause that its parent's text
//! already ends with.
use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a password so that [`render`] masks it wherever a message happens to quote it.
pub fn register_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_owned());
    }
}

/// Masks every registered password in `text`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.iter().fold(text.to_owned(), |text, secret| text.replace(secret.as_str(), "********"))
}

/// The error and its causes as `outer: inner: innermost`, with passwords masked.
pub fn render(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = describe(cause);
        if parts.last().is_some_and(|previous| previous.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    redact(&parts.join(": "))
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(db) = error.downcast_ref::<tokio_postgres::error::DbError>() {
        return describe_db_error(db);
    }
    if let Some(db) =
        error.downcast_ref::<tokio_postgres::Error>().and_then(tokio_postgres::Error::as_db_error)
    {
        return describe_db_error(db);
    }
    error.to_string()
}

fn describe_db_error(db: &tokio_postgres::error::DbError) -> String {
    let mut text = db.message().to_owned();
    if let Some(detail) = db.detail() {
        text.push_str(&format!(" (DETAIL: {})", detail.trim_end()));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!(" (HINT: {})", hint.trim_end()));
    }
    text
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn renders_the_whole_chain_once() {
        let error = Err::<(), _>(std::io::Error::other("connection refused"))
            .context("could not connect to the rollup database")
            .unwrap_err();
        assert_eq!(render(&error), "could not connect to the rollup database: connection refused");
    }

    #[test]
    fn masks_registered_passwords() {
        register_secret("pa55-word");
        let error = anyhow::anyhow!("password pa55-word was rejected");
        assert_eq!(render(&error), "password ******** was rejected");
    }
}
