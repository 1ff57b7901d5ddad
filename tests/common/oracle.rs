//! The brute-force oracle: the weekly table computed straight from the definitions, from raw
//! rental rows, with nothing in common with the pipeline's SQL: week boundaries come from
//! chrono-tz (not PostgreSQL's time zone code), and every number of every week is a count over
//! all rentals by its definition (no buckets, no running sums, no identities assumed).
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use tokio_postgres::Client;

use super::Week;

#[derive(Debug, Clone, Copy)]
pub struct Rental {
    pub rented: DateTime<Utc>,
    pub returned: Option<DateTime<Utc>>,
}

pub async fn load_rentals(source: &Client) -> Vec<Rental> {
    source
        .query("SELECT rental_date, return_date FROM public.rental", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| Rental { rented: row.get(0), returned: row.get(1) })
        .collect()
}

/// Monday of the local week containing `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The instant at which the local day `date` begins in `zone`.
fn midnight(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).unwrap();
    zone.from_local_datetime(&local)
        .earliest()
        .expect("test zones have a local midnight every Monday")
        .with_timezone(&Utc)
}

fn local_monday(zone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    monday_of(instant.with_timezone(&zone).date_naive())
}

/// The pipeline's plausibility rule, restated: a rental counts when it was not returned before it
/// was rented and both its dates fall from Monday 1970-01-05 up to 52 weeks after the current week.
fn counts(zone: Tz, rental: &Rental, upper: DateTime<Utc>) -> bool {
    let lower = midnight(zone, NaiveDate::from_ymd_opt(1970, 1, 5).unwrap());
    let plausible = |instant: DateTime<Utc>| instant >= lower && instant < upper;
    plausible(rental.rented)
        && rental.returned.is_none_or(|returned| returned >= rental.rented && plausible(returned))
}

pub fn weekly_rentals(all: &[Rental], zone: Tz, through: Option<NaiveDate>) -> Vec<Week> {
    let today = Utc::now().with_timezone(&zone).date_naive();
    let upper =
        midnight(zone, monday_of(through.map_or(today, |through| through.max(today))) + Duration::weeks(53));
    let rentals: Vec<&Rental> = all.iter().filter(|rental| counts(zone, rental, upper)).collect();

    let Some(first) = rentals.iter().map(|rental| local_monday(zone, rental.rented)).min() else {
        return Vec::new();
    };
    let last_event = rentals
        .iter()
        .flat_map(|rental| [Some(rental.rented), rental.returned])
        .flatten()
        .map(|instant| local_monday(zone, instant))
        .max()
        .unwrap();
    let last = through.map_or(last_event, |through| last_event.max(monday_of(through)));

    let out_at = |instant: DateTime<Utc>| {
        rentals
            .iter()
            .filter(|rental| {
                rental.rented < instant && rental.returned.is_none_or(|returned| returned >= instant)
            })
            .count() as i64
    };
    let in_week = |instant: Option<DateTime<Utc>>, start: DateTime<Utc>, end: DateTime<Utc>| {
        instant.is_some_and(|instant| instant >= start && instant < end)
    };

    let mut weeks = Vec::new();
    let mut monday = first;
    while monday <= last {
        let start = midnight(zone, monday);
        let end = midnight(zone, monday + Duration::weeks(1));
        weeks.push(Week {
            week_beginning: monday,
            rented_rentals: rentals.iter().filter(|rental| in_week(Some(rental.rented), start, end)).count()
                as i64,
            returned_rentals: rentals.iter().filter(|rental| in_week(rental.returned, start, end)).count()
                as i64,
            outstanding_at_start: out_at(start),
            outstanding_rentals: out_at(end),
            out_during_week: rentals
                .iter()
                .filter(|rental| {
                    rental.rented < end && rental.returned.is_none_or(|returned| returned >= start)
                })
                .count() as i64,
        });
        monday += Duration::weeks(1);
    }
    weeks
}
