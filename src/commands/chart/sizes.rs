//! Every length of a chart (text, lines, markers, margins), given for the default width and scaled
//! to the picture's size, and the default height that keeps the chart's shape.
/// The width the sizes below are given for, and the default height at that width.
const DEFAULT_WIDTH: u32 = 1200;
const DEFAULT_HEIGHT: u32 = 650;
/// With --film: the height of one store's panel and of the title above them, at the default width.
const FILM_PANEL_HEIGHT: u32 = 380;
const FILM_TITLE_HEIGHT: u32 = 50;
/// Pixels at the default size: the legend row above each panel, the space around a plot, the
/// axes' label areas.
pub(super) const LEGEND_HEIGHT: f64 = 30.0;
pub(super) const MARGIN: f64 = 14.0;
pub(super) const X_LABEL_AREA: f64 = 48.0;
pub(super) const Y_LABEL_AREA: f64 = 64.0;
/// Font sizes at the default size, as plotters takes them (see [`px_scale`](super::typeset::px_scale)).
pub(super) const TITLE_FONT: f64 = 22.0;
pub(super) const CAPTION_FONT: f64 = 16.0;
pub(super) const LEGEND_FONT: f64 = 15.0;
pub(super) const AXIS_DESCRIPTION_FONT: f64 = 15.0;
pub(super) const LABEL_FONT: f64 = 14.0;

/// How much larger than at the default width a picture of this size draws everything.
///
/// In proportion to the width, as asked; but no larger than lets a panel keep most of its height
/// for the plot: the title, legend, labels and margins take about 110 pixels of a panel at scale 1,
/// so a panel of `PANEL_HEIGHT_PER_SCALE` pixels per unit of scale gives them at most a third.
/// Never below `MIN_SCALE`, under which the labels could not be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sizes {
    pub(super) scale: f64,
}

const PANEL_HEIGHT_PER_SCALE: f64 = 325.0;
pub(super) const MIN_SCALE: f64 = 0.6;

impl Sizes {
    pub(super) fn new(width: u32, height: u32, panels: usize) -> Sizes {
        let by_width = f64::from(width) / f64::from(DEFAULT_WIDTH);
        let panel_height = f64::from(height) / panels.max(1) as f64;
        let by_height = panel_height / PANEL_HEIGHT_PER_SCALE;
        Sizes { scale: by_width.min(by_height).max(MIN_SCALE) }
    }

    /// A length given at the default size, in whole pixels at this one (at least one).
    pub(super) fn px(&self, length: f64) -> u32 {
        (length * self.scale).round().max(1.0) as u32
    }

    /// A font size given at the default size.
    pub(super) fn font(&self, size: f64) -> f64 {
        size * self.scale
    }
}

/// The height asked for, or the default: the default width's height, in proportion to the width
/// asked for so a wider picture keeps the chart's shape, within what --height itself allows.
pub(super) fn default_height(width: u32, film_panels: Option<usize>) -> u32 {
    let at_default_width = match film_panels {
        None => DEFAULT_HEIGHT,
        Some(panels) => FILM_TITLE_HEIGHT.saturating_add(FILM_PANEL_HEIGHT.saturating_mul(panels as u32)),
    };
    let height = f64::from(at_default_width) * f64::from(width) / f64::from(DEFAULT_WIDTH);
    height.round().clamp(200.0, 10000.0) as u32
}
