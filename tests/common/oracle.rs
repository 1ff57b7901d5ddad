//! The brute-force oracle: the weekly table computed straight from the definitions, from raw
//! rental rows, with nothing in common with the pipeline's SQL: week boundaries come from
//! chrono-tz (not PostgreSQL's time zone code), and every number of every week is a count over
//! all rentals by its definition (no buckets, no running sums, no identities assumed).
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use tokio_postgres::Client;

use super::rows::{Week, column};

#[derive(Debug, Clone, Copy)]
pub struct Rental {
    pub rented: DateTime<Utc>,
    pub returned: Option<DateTime<Utc>>,
}

const RENTAL: &str = "the source's public.rental";

fn rental_in(row: &tokio_postgres::Row) -> Rental {
    Rental { rented: column(row, RENTAL, "rental_date"), returned: column(row, RENTAL, "return_date") }
}

pub async fn load_rentals(source: &Client) -> Vec<Rental> {
    source
        .query("SELECT rental_date, return_date FROM public.rental", &[])
        .await
        .unwrap_or_else(|error| panic!("read {RENTAL}: {error}"))
        .iter()
        .map(rental_in)
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

/// The weeks a rental is counted in, by the definitions alone: None when the plausibility rule
/// quarantines it (with the range's end as rollup.counted_until puts it, 53 weeks after the
/// current week's Monday), else the local Monday of its rental and of its return, if returned.
pub fn counted_weeks(zone: Tz, rental: &Rental) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let today = Utc::now().with_timezone(&zone).date_naive();
    let upper = midnight(zone, monday_of(today) + Duration::weeks(53));
    counts(zone, rental, upper).then(|| {
        (local_monday(zone, rental.rented), rental.returned.map(|returned| local_monday(zone, returned)))
    })
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
            peak_outstanding: peak(&rentals, start, end),
        });
        monday += Duration::weeks(1);
    }
    weeks
}

/// The most rentals out at one instant of [start, end), by sweeping the week's events in time
/// order from the number out at its start. Out at t: rented < t <= returned; so just after an
/// instant, every rental rented at or before it and not returned by it is out.
pub fn peak(rentals: &[&Rental], start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    let mut events: Vec<(DateTime<Utc>, i64)> = Vec::new();
    let mut out = 0i64;
    for rental in rentals {
        if rental.rented < start && rental.returned.is_none_or(|returned| returned >= start) {
            out += 1;
        }
        if rental.rented >= start && rental.rented < end {
            events.push((rental.rented, 1));
        }
        if let Some(returned) = rental.returned.filter(|returned| *returned >= start && *returned < end) {
            events.push((returned, -1));
        }
    }
    events.sort();
    let mut most = out;
    let mut index = 0;
    while index < events.len() {
        let instant = events[index].0;
        while index < events.len() && events[index].0 == instant {
            out += events[index].1;
            index += 1;
        }
        most = most.max(out);
    }
    most
}

/// A rollup.film_weekly row (and the oracle's), in column order; hours rounded as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FilmWeek {
    pub film_id: i32,
    pub store_id: i32,
    pub week_beginning: NaiveDate,
    pub rented_rentals: i64,
    pub returned_rentals: i64,
    pub outstanding_at_start: i64,
    pub outstanding_rentals: i64,
    pub peak_outstanding: i64,
    pub copies: i32,
    pub hours_all_copies_out: f64,
}

/// Rentals with their copy, and every copy's (film, store), as the source holds them now.
pub struct Inventory {
    pub rentals: Vec<(Rental, i32)>,
    pub copies: std::collections::HashMap<i32, (i32, i32)>,
}

pub async fn load_inventory(source: &Client) -> Inventory {
    const INVENTORY: &str = "the source's public.inventory";
    let rentals = source
        .query("SELECT rental_date, return_date, inventory_id FROM public.rental", &[])
        .await
        .unwrap_or_else(|error| panic!("read {RENTAL}: {error}"))
        .iter()
        .map(|row| (rental_in(row), column(row, RENTAL, "inventory_id")))
        .collect();
    let copies = source
        .query("SELECT inventory_id, film_id, store_id FROM public.inventory", &[])
        .await
        .unwrap_or_else(|error| panic!("read {INVENTORY}: {error}"))
        .iter()
        .map(|row| {
            let copy = (column(row, INVENTORY, "film_id"), column(row, INVENTORY, "store_id"));
            (column(row, INVENTORY, "inventory_id"), copy)
        })
        .collect();
    Inventory { rentals, copies }
}

/// rollup.film_weekly by its definitions: per (film, store) of the copy, every spine week in
/// which one of its rentals was out; counts by definition; the peak and the time with at least
/// `copies` out evaluated between every pair of consecutive instants at which something happened,
/// counting directly which rentals are out (no running sums).
pub fn film_weekly(inventory: &Inventory, zone: Tz, through: Option<NaiveDate>) -> Vec<FilmWeek> {
    let today = Utc::now().with_timezone(&zone).date_naive();
    let upper = midnight(zone, monday_of(today) + Duration::weeks(53));
    let counted: Vec<&(Rental, i32)> =
        inventory.rentals.iter().filter(|(rental, _)| counts(zone, rental, upper)).collect();
    // the spine is the shop-wide one
    let shop: Vec<Rental> = counted.iter().map(|(rental, _)| *rental).collect();
    let spine: Vec<NaiveDate> =
        weekly_rentals(&shop, zone, through).iter().map(|week| week.week_beginning).collect();

    let mut by_key: std::collections::BTreeMap<(i32, i32), Vec<Rental>> = std::collections::BTreeMap::new();
    for (rental, inventory_id) in &counted {
        if let Some(key) = inventory.copies.get(inventory_id) {
            by_key.entry(*key).or_default().push(*rental);
        }
    }
    let mut copies: std::collections::HashMap<(i32, i32), i32> = std::collections::HashMap::new();
    for key in inventory.copies.values() {
        *copies.entry(*key).or_default() += 1;
    }

    let mut rows = Vec::new();
    for ((film_id, store_id), rentals) in &by_key {
        let copies = copies.get(&(*film_id, *store_id)).copied().unwrap_or(0);
        for monday in &spine {
            let start = midnight(zone, *monday);
            let end = midnight(zone, *monday + Duration::weeks(1));
            let out_at = |t: DateTime<Utc>| {
                rentals
                    .iter()
                    .filter(|r| r.rented < t && r.returned.is_none_or(|returned| returned >= t))
                    .count() as i64
            };
            let out_just_after = |t: DateTime<Utc>| {
                rentals
                    .iter()
                    .filter(|r| r.rented <= t && r.returned.is_none_or(|returned| returned > t))
                    .count() as i64
            };
            let rented = rentals.iter().filter(|r| r.rented >= start && r.rented < end).count() as i64;
            let returned =
                rentals.iter().filter(|r| r.returned.is_some_and(|t| t >= start && t < end)).count() as i64;
            let at_start = out_at(start);
            if at_start + rented == 0 {
                continue;
            }
            let mut instants: Vec<DateTime<Utc>> = vec![start];
            instants.extend(
                rentals
                    .iter()
                    .flat_map(|r| [Some(r.rented), r.returned])
                    .flatten()
                    .filter(|t| *t >= start && *t < end),
            );
            instants.sort();
            instants.dedup();
            let mut peak = at_start;
            let mut micros_all_out = 0i64;
            for (index, instant) in instants.iter().enumerate() {
                let out = out_just_after(*instant);
                peak = peak.max(out);
                let until = instants.get(index + 1).copied().unwrap_or(end);
                if copies > 0 && out >= i64::from(copies) {
                    micros_all_out += (until - *instant).num_microseconds().unwrap();
                }
            }
            rows.push(FilmWeek {
                film_id: *film_id,
                store_id: *store_id,
                week_beginning: *monday,
                rented_rentals: rented,
                returned_rentals: returned,
                outstanding_at_start: at_start,
                outstanding_rentals: out_at(end),
                peak_outstanding: peak,
                copies,
                hours_all_copies_out: ((micros_all_out as f64 / 3_600_000_000.0) * 1000.0).round() / 1000.0,
            });
        }
    }
    rows
}

/// The rentals rollup.data_issue must list as `copy_rented_while_out`, counted on the source by
/// the finding's definition alone: a rental for which some later rental of the same copy began
/// while it was out (not returned, or returned after that later rental began).
pub async fn copies_rented_while_out(source: &Client) -> i64 {
    super::rows::query_value(
        source,
        "SELECT count(*) AS overlapping FROM rental AS earlier
          WHERE EXISTS (SELECT FROM rental AS later
                         WHERE later.inventory_id = earlier.inventory_id
                           AND (later.rental_date, later.rental_id) > (earlier.rental_date, earlier.rental_id)
                           AND (earlier.return_date IS NULL OR earlier.return_date > later.rental_date))",
        &[],
    )
    .await
}
