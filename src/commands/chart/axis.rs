//! The rentals axis, with ticks on whole rentals from zero.
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The rentals axis: from a little below zero (see `draw`) to `top`, with its ticks chosen here, as
/// plotters' own would fall on fractions of a rental or below zero.
pub(super) struct RentalsAxis {
    range: RangedCoordf64,
    ticks: Vec<f64>,
}

impl RentalsAxis {
    pub(super) fn new(bottom: f64, top: i64) -> RentalsAxis {
        RentalsAxis { range: (bottom..top as f64).into(), ticks: y_ticks(top) }
    }
}

impl Ranged for RentalsAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    /// The ticks for the labelled lines, and no finer grid.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

/// The rentals axis' ticks: from zero, in steps of 1, 2 or 5 times a power of ten, at most eight
/// steps up to `top`. Whole numbers only, as the axis counts rentals, and none below zero, though
/// the axis starts a little below it.
fn y_ticks(top: i64) -> Vec<f64> {
    let mut step: i64 = 1;
    'search: for power in 0..=18 {
        for factor in [1, 2, 5] {
            step = factor * 10i64.pow(power);
            if top / step <= 8 {
                break 'search;
            }
        }
    }
    (0..=top / step).map(|tick| (tick * step) as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rentals_ticks_are_whole_and_from_zero() {
        assert_eq!(y_ticks(1), [0.0, 1.0]);
        assert_eq!(y_ticks(8), (0..=8).map(f64::from).collect::<Vec<_>>());
        assert_eq!(y_ticks(9), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(y_ticks(105), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert!(y_ticks(i64::MAX).len() <= 9);
    }
}
