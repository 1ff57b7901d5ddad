//! What an unattended `rollup run` does when it meets another run or loses a connection: the
//! settings for waiting on the run lock and for retrying, and the retry loop itself.
//!
//! A run is one transaction on the rollup database, so starting it again after any failure is
//! safe: a failed attempt changed nothing (its record in rollup.etl_run says `failed`), and an
//! attempt whose commit went through but whose answer was lost is simply followed by an
//! incremental run that finds nothing to do. Only a lost connection is worth a retry
//! ([`errors::is_transient`]); bad data and bad settings fail the same way every time.
use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use tracing::warn;

use crate::errors;

/// How a run waits for another one and how often it is started again after a lost connection.
#[derive(Debug, Clone, clap::Args)]
pub struct RunControl {
    /// Do not wait when another run holds the run lock of the rollup database: exit at once with
    /// code 3 (nothing is done). Without it, a run waits for the other to finish.
    #[arg(long, env = "ROLLUP_NO_WAIT")]
    pub no_wait: bool,

    /// Wait at most this long for another run to finish (e.g. 10min), then exit with code 3
    /// [default: as long as it takes].
    #[arg(long, env = "ROLLUP_LOCK_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,

    /// How many times a run that lost its connection to a server (closed, reset, server shut down
    /// or restarting) is started again before giving up with exit code 4. Runs failing for any
    /// other reason are not retried.
    #[arg(long, env = "ROLLUP_RETRIES", default_value_t = 2, value_name = "N")]
    pub retries: u32,

    /// Pause before the first retry (e.g. 30s, 2min); doubled before each further one.
    #[arg(long, env = "ROLLUP_RETRY_DELAY", default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub retry_delay: Duration,
}

/// Runs `attempt` (given the attempt's number, from 1) until it succeeds, fails with an error
/// that is not a lost connection, or has lost its connection `control.retries + 1` times; the
/// last error then carries [`errors::Interrupted`] (exit code 4). Each retry is logged.
pub async fn with_retries<T, F, Fut>(control: &RunControl, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let attempts = control.retries.saturating_add(1);
    let mut delay = control.retry_delay;
    let mut lost = false;
    let mut number = 1;
    loop {
        let error = match attempt(number).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !errors::is_transient(&error, lost) {
            return Err(error);
        }
        lost = true;
        if number >= attempts {
            return Err(error.context(errors::Interrupted { attempts: number }));
        }
        warn!(
            attempt = number,
            attempts,
            retry_in_s = delay.as_secs_f64(),
            "the run lost its connection to a server; starting it again: {}",
            errors::render(&error)
        );
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
        number += 1;
    }
}

/// A duration as PostgreSQL writes one in its settings: a whole number and a unit, `ms`, `s`,
/// `min`, `h` or `d` (`500ms`, `30s`, `10min`, `2h`), or `0`. `m` is taken for minutes too, as
/// people write it (`30m`); a duration here has no months it could be mistaken for.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("'{text}' is not a duration such as 30s, 10min, 2h or 500ms");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let millis_per_unit: u64 = match unit.trim() {
        "" if number == 0 => 0,
        "ms" => 1,
        "s" => 1_000,
        "min" | "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(invalid()),
    };
    number.checked_mul(millis_per_unit).map(Duration::from_millis).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_like_postgresql_settings() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration(" 10 min "), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for wrong in ["", "30", "ten s", "-5s", "1.5h", "3 weeks", "99999999999999999999d"] {
            assert!(parse_duration(wrong).is_err(), "{wrong:?} accepted");
        }
        assert_eq!(
            parse_duration("5 parsecs").unwrap_err(),
            "'5 parsecs' is not a duration such as 30s, 10min, 2h or 500ms"
        );
    }

    fn control(retries: u32) -> RunControl {
        RunControl { no_wait: false, lock_timeout: None, retries, retry_delay: Duration::from_millis(1) }
    }

    fn lost() -> anyhow::Error {
        anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }

    #[tokio::test]
    async fn a_lost_connection_is_retried_and_anything_else_is_not() {
        let mut calls = 0;
        let result = with_retries(&control(2), |number| {
            calls += 1;
            async move { if number < 3 { Err(lost()) } else { Ok(number) } }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(calls, 3);

        let mut calls = 0;
        let result: Result<()> = with_retries(&control(2), |_| {
            calls += 1;
            async { Err(anyhow::anyhow!("bad data")) }
        })
        .await;
        assert_eq!(errors::exit_code(&result.unwrap_err()), errors::exit::FAILURE);
        assert_eq!(calls, 1);

        let result: Result<()> = with_retries(&control(1), |_| async { Err(lost()) }).await;
        let error = result.unwrap_err();
        assert_eq!(errors::exit_code(&error), errors::exit::INTERRUPTED);
        assert!(errors::render(&error).contains("2 time(s)"), "{}", errors::render(&error));
    }
}
