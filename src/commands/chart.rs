//! `rollup chart`: the weekly series as a picture, SVG or PNG, drawn with plotters.
//!
//! The week rows are few (one per week: hundreds, not millions), so they are fetched and drawn
//! here. The chart is rendered in memory and then written under a temporary name and renamed, as
//! `rollup export` does, so a failed chart never leaves a half-written file behind the name asked
//! for, and a path that cannot be written fails with the file system's reason rather than a
//! drawing error.
//!
//! Text is measured (SVG, PNG) and drawn (PNG) with DejaVu Sans embedded in the binary, laid out
//! here with ab_glyph (see [`Typeset`]), so charts need no system fonts or fontconfig. An SVG names
//! the font family `sans-serif` and leaves the glyphs to whoever displays it.
//!
//! Every size (text, lines, markers, margins) is given for the default width and multiplied by
//! [`Sizes::scale`], so a wider picture is the same chart drawn larger, not more room around small
//! text.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{Days, NaiveDate};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use crate::commands::export::{create_partial, persist};
use crate::connection::RollupDatabase;
use crate::queries::{bookkeeping, inspect};

/// Draw the weekly series as a chart, SVG or PNG.
///
/// Rentals outstanding at week end, rented and returned per week, with dated axes and a
/// legend. With --film, one film's series for each store holding it, with the copies the
/// store holds drawn as a line. SVG, or PNG when FILE ends in .png.
///
/// Example: rollup chart -o weekly.png
/// Example: rollup chart --film 1 -o film-1.svg
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Options {
    #[command(flatten)]
    pub rollup: RollupDatabase,

    /// Write the chart to this file: FILE.svg, or FILE.png for a PNG image.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Chart this film (rollup.film.film_id) per store instead of the whole shop.
    #[arg(long, value_name = "ID")]
    pub film: Option<i32>,

    /// Width in pixels.
    #[arg(long, default_value_t = 1200, value_name = "PIXELS", value_parser = clap::value_parser!(u32).range(300..=10000))]
    pub width: u32,

    /// Height in pixels [default: 650 at the default width, in proportion to --width; with --film,
    /// 380 per store plus 50 for the title, in proportion likewise].
    #[arg(long, value_name = "PIXELS", value_parser = clap::value_parser!(u32).range(200..=10000))]
    pub height: Option<u32>,
}

/// The file formats `rollup chart` writes, chosen by the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn from_path(path: &Path) -> Result<Format> {
        let extension = path.extension().and_then(|extension| extension.to_str()).unwrap_or_default();
        match extension.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            _ => {
                bail!("cannot tell which format to write {} in: name the file *.svg or *.png", path.display())
            }
        }
    }
}

/// One line of a panel. Lines often coincide (a week's rentals all returned the next week, or
/// several measures at zero for weeks), so each measure also has its own marker shape and its own
/// stroke width: the lines are drawn widest first, so where they coincide each still shows as a
/// band of its colour around the narrower ones above it.
struct Series {
    label: String,
    color: RGBColor,
    /// Stroke width at the default size, in pixels.
    width: f64,
    dashed: bool,
    marker: Marker,
    points: Vec<(NaiveDate, i64)>,
}

#[derive(Debug, Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
    Cross,
    None,
}

impl Series {
    fn style(&self, sizes: &Sizes) -> ShapeStyle {
        ShapeStyle { color: self.color.to_rgba(), filled: false, stroke_width: sizes.px(self.width) }
    }
}

/// One plot area with its own legend: the whole shop, or one store with --film.
struct Panel {
    caption: Option<String>,
    series: Vec<Series>,
}

struct Figure {
    title: String,
    x_description: String,
    first: NaiveDate,
    last: NaiveDate,
    panels: Vec<Panel>,
}

const OUTSTANDING: RGBColor = RGBColor(31, 119, 180);
const RENTED: RGBColor = RGBColor(255, 127, 14);
const RETURNED: RGBColor = RGBColor(44, 160, 44);
const COPIES: RGBColor = RGBColor(110, 110, 110);

/// Past this many weeks a marker on every week's point would crowd the lines.
const MARKERS_UP_TO_WEEKS: usize = 60;
/// The width the sizes below are given for, and the default height at that width.
const DEFAULT_WIDTH: u32 = 1200;
const DEFAULT_HEIGHT: u32 = 650;
/// With --film: the height of one store's panel and of the title above them, at the default width.
const FILM_PANEL_HEIGHT: u32 = 380;
const FILM_TITLE_HEIGHT: u32 = 50;
/// Pixels at the default size: the legend row above each panel, the space around a plot, the
/// axes' label areas.
const LEGEND_HEIGHT: f64 = 30.0;
const MARGIN: f64 = 14.0;
const X_LABEL_AREA: f64 = 48.0;
const Y_LABEL_AREA: f64 = 64.0;
/// Font sizes at the default size, as plotters takes them (see [`px_scale`]).
const TITLE_FONT: f64 = 22.0;
const CAPTION_FONT: f64 = 16.0;
const LEGEND_FONT: f64 = 15.0;
const AXIS_DESCRIPTION_FONT: f64 = 15.0;
const LABEL_FONT: f64 = 14.0;

/// How much larger than at the default width a picture of this size draws everything.
///
/// In proportion to the width, as asked; but no larger than lets a panel keep most of its height
/// for the plot: the title, legend, labels and margins take about 110 pixels of a panel at scale 1,
/// so a panel of `PANEL_HEIGHT_PER_SCALE` pixels per unit of scale gives them at most a third.
/// Never below `MIN_SCALE`, under which the labels could not be read.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sizes {
    scale: f64,
}

const PANEL_HEIGHT_PER_SCALE: f64 = 325.0;
const MIN_SCALE: f64 = 0.6;

impl Sizes {
    fn new(width: u32, height: u32, panels: usize) -> Sizes {
        let by_width = f64::from(width) / f64::from(DEFAULT_WIDTH);
        let panel_height = f64::from(height) / panels.max(1) as f64;
        let by_height = panel_height / PANEL_HEIGHT_PER_SCALE;
        Sizes { scale: by_width.min(by_height).max(MIN_SCALE) }
    }

    /// A length given at the default size, in whole pixels at this one (at least one).
    fn px(&self, length: f64) -> u32 {
        (length * self.scale).round().max(1.0) as u32
    }

    /// A font size given at the default size.
    fn font(&self, size: f64) -> f64 {
        size * self.scale
    }
}

/// The height asked for, or the default: the default width's height, in proportion to the width
/// asked for so a wider picture keeps the chart's shape, within what --height itself allows.
fn default_height(width: u32, film_panels: Option<usize>) -> u32 {
    let at_default_width = match film_panels {
        None => DEFAULT_HEIGHT,
        Some(panels) => FILM_TITLE_HEIGHT.saturating_add(FILM_PANEL_HEIGHT.saturating_mul(panels as u32)),
    };
    let height = f64::from(at_default_width) * f64::from(width) / f64::from(DEFAULT_WIDTH);
    height.round().clamp(200.0, 10000.0) as u32
}

pub async fn run(options: Options) -> Result<()> {
    let format = Format::from_path(&options.output)?;
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let migrated: bool = bookkeeping::SCHEMA_PRESENT.query_one(&client, &[]).await?.get("migrated");
    if !migrated {
        bail!("the rollup database {} is not migrated yet: run `rollup run` first", target.describe());
    }
    let summary = inspect::STATUS_SUMMARY.query_one(&client, &[]).await?;
    let (Some(first), Some(last)) =
        (summary.get::<_, Option<NaiveDate>>("first_week"), summary.get::<_, Option<NaiveDate>>("last_week"))
    else {
        bail!("the rollup database {} holds no weeks yet: run `rollup run` first", target.describe());
    };
    let time_zone: String = summary.get::<_, Option<String>>("time_zone").unwrap_or_else(|| "UTC".into());
    let x_description = format!("week beginning (Monday 00:00, {time_zone})");

    let figure = match options.film {
        None => {
            let rows = inspect::CHART_WEEKLY.query(&client, &[]).await?;
            let column = |name: &str| -> Vec<(NaiveDate, i64)> {
                rows.iter().map(|row| (row.get("week_beginning"), row.get(name))).collect()
            };
            Figure {
                title: format!("Rentals per week, all stores, {first} .. {last}"),
                x_description,
                first,
                last,
                panels: vec![Panel {
                    caption: None,
                    series: measures(
                        column("outstanding_rentals"),
                        column("rented_rentals"),
                        column("returned_rentals"),
                    ),
                }],
            }
        }
        Some(film) => {
            let Some(film_row) = inspect::CHART_FILM.query_opt(&client, &[&film]).await? else {
                bail!(
                    "no film {film} in rollup.film of {}; `SELECT film_id, title FROM rollup.film` lists them",
                    target.describe()
                );
            };
            let title: String = film_row.get("title");
            let rows = inspect::CHART_FILM_WEEKLY.query(&client, &[&film]).await?;
            if rows.is_empty() {
                bail!("film {film} ({title}) has no copy in any store: nothing to chart");
            }
            Figure {
                title: format!("Film {film}, {title}: rentals per week by store, {first} .. {last}"),
                x_description,
                first,
                last,
                panels: film_panels(&rows),
            }
        }
    };

    let height = options
        .height
        .unwrap_or_else(|| default_height(options.width, options.film.map(|_| figure.panels.len())));
    let bytes = render(&figure, format, options.width, height)
        .with_context(|| format!("could not draw the chart for {}", options.output.display()))?;
    write_file(&options.output, &bytes)?;
    tracing::info!(file = %options.output.display(), weeks = (last - first).num_weeks() + 1, "chart written");
    Ok(())
}

/// The three measures of one panel, in legend order. The most watched one, outstanding, is the
/// narrowest and drawn last, on top of the others.
fn measures(
    outstanding: Vec<(NaiveDate, i64)>,
    rented: Vec<(NaiveDate, i64)>,
    returned: Vec<(NaiveDate, i64)>,
) -> Vec<Series> {
    vec![
        Series {
            label: "outstanding at week end".into(),
            color: OUTSTANDING,
            width: 2.0,
            dashed: false,
            marker: Marker::Circle,
            points: outstanding,
        },
        Series {
            label: "rented in the week".into(),
            color: RENTED,
            width: 4.0,
            dashed: false,
            marker: Marker::Triangle,
            points: rented,
        },
        Series {
            label: "returned in the week".into(),
            color: RETURNED,
            width: 6.0,
            dashed: false,
            marker: Marker::Cross,
            points: returned,
        },
    ]
}

/// One panel per store, from rows ordered by store and week.
fn film_panels(rows: &[tokio_postgres::Row]) -> Vec<Panel> {
    let mut panels = Vec::new();
    for store_rows in rows.chunk_by(|a, b| a.get::<_, i32>("store_id") == b.get::<_, i32>("store_id")) {
        let store: i32 = store_rows[0].get("store_id");
        let copies: i64 = store_rows[0].get("copies");
        let column = |name: &str| -> Vec<(NaiveDate, i64)> {
            store_rows.iter().map(|row| (row.get("week_beginning"), row.get(name))).collect()
        };
        let mut series =
            measures(column("outstanding_rentals"), column("rented_rentals"), column("returned_rentals"));
        series.push(Series {
            label: format!("copies held now ({copies})"),
            color: COPIES,
            width: 2.0,
            dashed: true,
            marker: Marker::None,
            points: column("copies"),
        });
        panels.push(Panel { caption: Some(format!("store {store}")), series });
    }
    panels
}

/// The chart as the bytes of an SVG or PNG file.
fn render(figure: &Figure, format: Format, width: u32, height: u32) -> Result<Vec<u8>> {
    render_noting_texts(figure, format, width, height, None)
}

/// [`render`], noting in `texts` (when given) every text drawn and how it was laid out.
fn render_noting_texts(
    figure: &Figure,
    format: Format,
    width: u32,
    height: u32,
    texts: Option<&mut Vec<PlacedText>>,
) -> Result<Vec<u8>> {
    register_fonts()?;
    let sizes = Sizes::new(width, height, figure.panels.len());
    match format {
        Format::Svg => {
            let mut svg = String::new();
            let backend = Typeset::new(SVGBackend::with_string(&mut svg, (width, height)), false, texts);
            draw(backend.into_drawing_area(), figure, &sizes)?;
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let pixels = draw_pixels(figure, width, height, &sizes, texts)?;
            let mut png = Vec::new();
            let mut encoder = png::Encoder::new(&mut png, width, height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().context("could not encode the PNG")?;
            writer.write_image_data(&pixels).context("could not encode the PNG")?;
            writer.finish().context("could not encode the PNG")?;
            Ok(png)
        }
    }
}

/// The chart as RGB pixels, row by row.
fn draw_pixels(
    figure: &Figure,
    width: u32,
    height: u32,
    sizes: &Sizes,
    texts: Option<&mut Vec<PlacedText>>,
) -> Result<Vec<u8>> {
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    let backend = Typeset::new(BitMapBackend::with_buffer(&mut pixels, (width, height)), true, texts);
    draw(backend.into_drawing_area(), figure, sizes)?;
    Ok(pixels)
}

/// plotters looks fonts up by family name in a table of its own; fill it once per process. Its
/// text styles need the family registered to be created at all, although [`Typeset`] measures and
/// draws the text itself.
fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if !registered {
        bail!("the embedded DejaVu Sans font could not be loaded");
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, figure: &Figure, sizes: &Sizes) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    // FontDesc::style() keeps the regular face's glyphs; a bold face has to be asked for at creation.
    let body = root
        .margin(sizes.px(10.0), 0, 0, 0)
        .titled(&figure.title, ("sans-serif", sizes.font(TITLE_FONT), FontStyle::Bold))?;
    // A little room after the last week so its markers are not cut by the frame; a single week
    // gives an empty date range, widened to that week's span. The axis starts at the first week
    // itself, as its ticks step in whole weeks from there and so fall on week beginnings.
    let last =
        if figure.last > figure.first { figure.last + Days::new(3) } else { figure.first + Days::new(7) };
    let weeks = figure.panels.first().and_then(|panel| panel.series.first()).map_or(0, |s| s.points.len());
    let (margin, margin_top, x_label_area) = (sizes.px(MARGIN), sizes.px(6.0), sizes.px(X_LABEL_AREA));
    for (area, panel) in body.split_evenly((figure.panels.len(), 1)).iter().zip(&figure.panels) {
        // The legend gets a strip of its own above the plot, so it never hides a line.
        let (strip, plot) = area.split_vertically(sizes.px(LEGEND_HEIGHT));
        draw_legend(&strip, panel, sizes)?;

        let highest = panel.series.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y)).max().unwrap_or(0);
        // Headroom above the highest point so the top line does not run along the frame.
        let top = ((highest as f64 * 1.05).ceil() as i64).max(highest + 1);
        // And room below zero, so a series at zero runs above the frame's bottom edge, where the
        // axis line would hide it, with its whole stroke and markers in sight: half the widest
        // stroke and a marker's reach, in rentals at this plot's height.
        let widest = panel.series.iter().map(|series| sizes.px(series.width)).max().unwrap_or(1);
        let below_zero_px = f64::from(widest / 2 + sizes.px(6.0));
        let plot_height = f64::from(plot.dim_in_pixel().1.saturating_sub(margin + margin_top + x_label_area));
        let below_zero = top as f64 * below_zero_px / (plot_height - below_zero_px).max(1.0);
        let mut chart = ChartBuilder::on(&plot)
            .margin(margin)
            .margin_top(margin_top)
            .x_label_area_size(x_label_area)
            .y_label_area_size(sizes.px(Y_LABEL_AREA))
            .build_cartesian_2d(figure.first..last, RentalsAxis::new(-below_zero, top))?;
        let width = plot.dim_in_pixel().0;
        chart
            .configure_mesh()
            .x_labels((width / sizes.px(110.0)).max(2) as usize)
            .x_label_formatter(&|date| date.format("%Y-%m-%d").to_string())
            // One light line per label puts them under the labelled ones: no fine grid. (0 would
            // make plotters' integer tick search overflow.)
            .max_light_lines(1)
            .y_label_formatter(&|rentals| format!("{rentals:.0}"))
            .x_desc(figure.x_description.as_str())
            .y_desc("rentals")
            .label_style(("sans-serif", sizes.font(LABEL_FONT)))
            .axis_desc_style(("sans-serif", sizes.font(AXIS_DESCRIPTION_FONT)))
            .bold_line_style(ShapeStyle {
                color: RGBColor(225, 225, 225).to_rgba(),
                filled: false,
                stroke_width: sizes.px(1.0),
            })
            .axis_style(ShapeStyle { color: BLACK.to_rgba(), filled: false, stroke_width: sizes.px(1.0) })
            .set_all_tick_mark_size(sizes.px(5.0))
            .draw()?;
        // Widest first, so each solid line stays visible as a band around the narrower ones drawn
        // on top of it where they coincide; dashed lines last, as the lines under them show
        // through their gaps.
        let mut in_order: Vec<&Series> = panel.series.iter().collect();
        in_order.sort_by(|a, b| a.dashed.cmp(&b.dashed).then(b.width.total_cmp(&a.width)));
        for series in in_order {
            let style = series.style(sizes);
            let points = || series.points.iter().map(|&(week, rentals)| (week, rentals as f64));
            if series.dashed {
                chart.draw_series(DashedLineSeries::new(points(), sizes.px(8.0), sizes.px(5.0), style))?;
            } else {
                chart.draw_series(LineSeries::new(points(), style))?;
            }
            if weeks <= MARKERS_UP_TO_WEEKS {
                draw_markers(&mut chart, series, points(), sizes)?;
            }
        }
    }
    root.present().map_err(|error| anyhow!("{error}"))?;
    Ok(())
}

/// The rentals axis: from a little below zero (see `draw`) to `top`, with its ticks chosen here, as
/// plotters' own would fall on fractions of a rental or below zero.
struct RentalsAxis {
    range: RangedCoordf64,
    ticks: Vec<f64>,
}

impl RentalsAxis {
    fn new(bottom: f64, top: i64) -> RentalsAxis {
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

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedDate<NaiveDate>, RentalsAxis>>;

fn draw_markers<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    series: &Series,
    points: impl Iterator<Item = (NaiveDate, f64)>,
    sizes: &Sizes,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = series.style(sizes);
    match series.marker {
        Marker::Circle => {
            chart.draw_series(points.map(|p| Circle::new(p, sizes.px(3.0), style.filled())))?;
        }
        Marker::Triangle => {
            chart.draw_series(points.map(|p| TriangleMarker::new(p, sizes.px(5.0), style.filled())))?;
        }
        Marker::Cross => {
            let style = cross_style(series, sizes);
            chart.draw_series(points.map(|p| Cross::new(p, sizes.px(4.0), style)))?;
        }
        Marker::None => {}
    }
    Ok(())
}

/// A cross of its series' colour, drawn with strokes of the narrowest line's width: with its own
/// line's width, a wide line's cross would be a blot.
fn cross_style(series: &Series, sizes: &Sizes) -> ShapeStyle {
    ShapeStyle { stroke_width: sizes.px(2.0), ..series.style(sizes) }
}

/// One row above a panel: its caption (the store, with --film) and a sample of every series.
fn draw_legend<DB: DrawingBackend>(strip: &DrawingArea<DB, Shift>, panel: &Panel, sizes: &Sizes) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let anchor = Pos::new(HPos::Left, VPos::Center);
    let font = TextStyle::from(("sans-serif", sizes.font(LEGEND_FONT)).into_font()).pos(anchor);
    let y = sizes.px(LEGEND_HEIGHT) as i32 / 2;
    let px = |length: f64| sizes.px(length) as i32;
    // Start where the plot's frame starts, after the y axis labels.
    let mut x = px(MARGIN) + px(Y_LABEL_AREA);
    if let Some(caption) = &panel.caption {
        let bold = TextStyle::from(("sans-serif", sizes.font(CAPTION_FONT), FontStyle::Bold).into_font())
            .pos(anchor);
        strip.draw(&Text::new(caption.clone(), (x, y), bold.clone()))?;
        x += strip.estimate_text_size(caption, &bold)?.0 as i32 + px(24.0);
    }
    for series in &panel.series {
        let style = series.style(sizes);
        let sample = vec![(x, y), (x + px(28.0), y)];
        if series.dashed {
            strip.draw(&DashedPathElement::new(sample, sizes.px(6.0), sizes.px(4.0), style))?;
        } else {
            strip.draw(&PathElement::new(sample, style))?;
        }
        let middle = (x + px(14.0), y);
        match series.marker {
            Marker::Circle => strip.draw(&Circle::new(middle, sizes.px(3.0), style.filled()))?,
            Marker::Triangle => strip.draw(&TriangleMarker::new(middle, sizes.px(5.0), style.filled()))?,
            Marker::Cross => strip.draw(&Cross::new(middle, sizes.px(4.0), cross_style(series, sizes)))?,
            Marker::None => {}
        }
        x += px(36.0);
        strip.draw(&Text::new(series.label.clone(), (x, y), font.clone()))?;
        x += strip.estimate_text_size(&series.label, &font)?.0 as i32 + px(26.0);
    }
    Ok(())
}

/// A text as [`Typeset`] laid it out: its size in pixels per em and its advance box.
#[derive(Debug, Clone, PartialEq)]
struct PlacedText {
    text: String,
    size: f64,
    width: f32,
    height: f32,
}

/// DejaVu Sans, regular and bold, parsed once.
fn faces() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(dejavu::sans::regular()).ok()?;
            let bold = FontRef::try_from_slice(dejavu::sans::bold()).ok()?;
            Some((regular, bold))
        })
        .as_ref()
}

#[derive(Debug)]
struct FontUnavailable;

impl std::fmt::Display for FontUnavailable {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("the embedded DejaVu Sans font could not be loaded")
    }
}

impl std::error::Error for FontUnavailable {}

/// One line of text laid out on a baseline `ascent` below its top: each glyph at its pen
/// position, with the pair's kerning, where the glyph's own side bearing then places its ink.
struct Line {
    font: &'static FontRef<'static>,
    glyphs: Vec<Glyph>,
    width: f32,
    height: f32,
}

impl Line {
    fn lay_out(style: FontStyle, size: f64, text: &str) -> Option<Line> {
        let (regular, bold) = faces()?;
        let font = if matches!(style, FontStyle::Bold) { bold } else { regular };
        let scale = px_scale(font, size);
        let scaled = font.as_scaled(scale);
        let mut glyphs = Vec::with_capacity(text.len());
        let mut pen = 0.0;
        let mut previous = None;
        for character in text.chars() {
            let id = scaled.glyph_id(character);
            if let Some(previous) = previous {
                pen += scaled.kern(previous, id);
            }
            glyphs.push(id.with_scale_and_position(scale, point(pen, scaled.ascent())));
            pen += scaled.h_advance(id);
            previous = Some(id);
        }
        Some(Line { font, glyphs, width: pen, height: scaled.height() })
    }
}

/// ab_glyph's scale for a plotters font size. plotters' SVG backend writes a font size as a
/// font-size of `size / 1.24` pixels per em; the PNG's text is drawn at that same em, so both formats
/// show text of one size. (ab_glyph's scale is the height from descender to ascender, which for
/// DejaVu is 1.16 em, not the em.)
fn px_scale(font: &FontRef<'_>, size: f64) -> PxScale {
    let em = (size / 1.24) as f32;
    match font.units_per_em() {
        Some(units) if units > 0.0 => PxScale::from(em * font.height_unscaled() / units),
        _ => PxScale::from(em),
    }
}

/// A plotters backend whose text is laid out, and on a bitmap drawn, here rather than by plotters.
///
/// plotters' own ab_glyph text drawing places each glyph's ink box at the pen position, dropping
/// the glyph's left side bearing, and truncates the pen to whole pixels glyph by glyph: letters
/// with a wide bearing (n, u, r) end up drawn against the one before, leaving a gap after them
/// ("ren ted", "ou tstanding"). It also reads a font size as ab_glyph's line height, and so draws
/// text 6% larger than the SVG it writes for the same size, and measures it so for both. [`Line`]
/// places glyphs as the font says, at fractional positions, at the SVG's size (see [`px_scale`]).
///
/// Everything else goes to the wrapped backend. For an SVG only the measuring is done here (the
/// legend's spacing needs it); the viewer draws the text.
struct Typeset<'a, B> {
    inner: B,
    draws_glyphs: bool,
    texts: Option<&'a mut Vec<PlacedText>>,
}

impl<'a, B: DrawingBackend> Typeset<'a, B> {
    fn new(inner: B, draws_glyphs: bool, texts: Option<&'a mut Vec<PlacedText>>) -> Self {
        Typeset { inner, draws_glyphs, texts }
    }
}

fn font_error<E: std::error::Error + Send + Sync>() -> DrawingErrorKind<E> {
    DrawingErrorKind::FontError(Box::new(FontUnavailable))
}

impl<B: DrawingBackend> DrawingBackend for Typeset<'_, B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (width, height): (u32, u32),
        source: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (width, height), source)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let line = Line::lay_out(style.style(), style.size(), text).ok_or_else(font_error)?;
        Ok((line.width.ceil() as u32, line.height.ceil() as u32))
    }

    /// Anchored and turned as plotters' own text drawing does, each glyph blended into the
    /// picture with its coverage as opacity.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let line = Line::lay_out(style.style(), style.size(), text).ok_or_else(font_error)?;
        if let Some(texts) = self.texts.as_deref_mut() {
            texts.push(PlacedText {
                text: text.into(),
                size: style.size(),
                width: line.width,
                height: line.height,
            });
        }
        if !self.draws_glyphs {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The line's top left corner relative to the anchor, in whole pixels so that every text
        // with the same anchor sits on the same pixel grid; the glyphs within keep their
        // fractional positions.
        let anchor = style.anchor();
        let left = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -line.width / 2.0,
            HPos::Right => -line.width,
        }
        .round() as i32;
        let top = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -line.height / 2.0,
            VPos::Bottom => -line.height,
        }
        .round() as i32;
        let transform: FontTransform = style.transform();
        let mut result = Ok(());
        for glyph in line.glyphs {
            // None for glyphs without ink, such as spaces.
            let Some(outlined) = line.font.outline_glyph(glyph) else { continue };
            let bounds = outlined.px_bounds();
            outlined.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (x, y) = transform
                    .transform(left + bounds.min.x as i32 + x as i32, top + bounds.min.y as i32 + y as i32);
                let ink = BackendColor { alpha: color.alpha * f64::from(coverage.min(1.0)), rgb: color.rgb };
                result = self.inner.draw_pixel((pos.0 + x, pos.1 + y), ink);
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}

/// Writes the whole file under a temporary name, then renames it into place.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = create_partial(path)?;
    // Named as asked for: the temporary name is this program's business. On an error, dropping
    // `partial` deletes it.
    std::io::Write::write_all(&mut partial, bytes)
        .with_context(|| format!("could not write {}", path.display()))?;
    persist(partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure() -> Figure {
        let first = NaiveDate::from_ymd_opt(2022, 2, 14).unwrap_or_default();
        let weeks: Vec<NaiveDate> = (0..5).map(|week| first + Days::new(7 * week)).collect();
        let column = |values: [i64; 5]| weeks.iter().copied().zip(values).collect::<Vec<_>>();
        Figure {
            title: "test".into(),
            x_description: "week".into(),
            first,
            last: weeks[4],
            panels: vec![Panel {
                caption: None,
                series: measures(column([5, 9, 3, 0, 2]), column([5, 6, 1, 0, 2]), column([0, 2, 7, 3, 0])),
            }],
        }
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path(Path::new("a/weekly.SVG")).ok(), Some(Format::Svg));
        assert_eq!(Format::from_path(Path::new("weekly.png")).ok(), Some(Format::Png));
        assert!(Format::from_path(Path::new("weekly.jpg")).is_err());
        assert!(Format::from_path(Path::new("weekly")).is_err());
    }

    /// A figure of one panel whose three measures hold these values, week after week.
    fn figure_of(outstanding: &[i64], rented: &[i64], returned: &[i64]) -> Figure {
        let first = NaiveDate::from_ymd_opt(2022, 2, 14).unwrap_or_default();
        let column = |values: &[i64]| -> Vec<(NaiveDate, i64)> {
            values
                .iter()
                .enumerate()
                .map(|(week, &value)| (first + Days::new(7 * week as u64), value))
                .collect()
        };
        Figure {
            title: "Rentals per week, all stores".into(),
            x_description: "week beginning".into(),
            first,
            last: first + Days::new(7 * (outstanding.len().max(1) as u64 - 1)),
            panels: vec![Panel {
                caption: None,
                series: measures(column(outstanding), column(rented), column(returned)),
            }],
        }
    }

    /// How many pixels of `colour` the RGB picture has below row `from_row`.
    fn pixels_of(pixels: &[u8], width: u32, from_row: u32, colour: RGBColor) -> usize {
        let RGBColor(r, g, b) = colour;
        pixels
            .chunks_exact(3)
            .skip(width as usize * from_row as usize)
            .filter(|pixel| *pixel == [r, g, b])
            .count()
    }

    #[test]
    fn letters_are_placed_where_the_font_puts_them() -> Result<()> {
        // Black text on white, large enough that its letters do not touch; where each letter's
        // ink is found in the picture must match the font's own metrics: its pen position (the
        // advances and kerning before it) plus the ink's offset from that pen in the outline.
        let (text, size, origin) = ("rented outstanding", 40.0, 10);
        let (width, height) = (800u32, 80u32);
        let mut pixels = vec![255u8; width as usize * height as usize * 3];
        register_fonts()?;
        {
            let mut backend =
                Typeset::new(BitMapBackend::with_buffer(&mut pixels, (width, height)), true, None);
            let style = TextStyle::from(("sans-serif", size).into_font()).color(&BLACK);
            backend.draw_text(text, &style, (origin, origin)).map_err(|error| anyhow!("{error:?}"))?;
        }
        // Columns holding ink more than half covered, as runs of [first, last] column.
        let inked = |x: u32| (0..height).any(|y| pixels[(y * width + x) as usize * 3] < 128);
        let mut runs: Vec<(f32, f32)> = Vec::new();
        for x in 0..width {
            if inked(x) {
                match runs.last_mut() {
                    Some(run) if run.1 as u32 + 1 == x => run.1 = x as f32,
                    _ => runs.push((x as f32, x as f32)),
                }
            }
        }

        let Some((font, _)) = faces() else { bail!("no font") };
        let scaled = font.as_scaled(px_scale(font, size));
        let factor = scaled.h_scale_factor();
        let mut expected = Vec::new();
        let mut pen = origin as f32;
        let mut previous = None;
        for character in text.chars() {
            let id = font.glyph_id(character);
            if let Some(previous) = previous {
                pen += scaled.kern(previous, id);
            }
            if let Some(outline) = font.outline(id) {
                expected.push((pen + outline.bounds.min.x * factor, pen + outline.bounds.max.x * factor));
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }
        assert_eq!(runs.len(), expected.len(), "ink runs {runs:?}, letters' ink expected at {expected:?}");
        for (found, wanted) in runs.iter().zip(&expected) {
            // Half a pixel of rounding at each edge, and a little more for antialiasing.
            assert!(
                (found.0 - wanted.0).abs() <= 1.0 && (found.1 + 1.0 - wanted.1).abs() <= 1.0,
                "a letter's ink is at {found:?}, the font puts it at {wanted:?}\nall: {runs:?}\nwanted: {expected:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn text_strokes_and_margins_scale_with_the_width() -> Result<()> {
        let figure = figure_of(&[5, 9, 3, 0, 2], &[5, 6, 1, 0, 2], &[0, 2, 7, 3, 0]);
        let draw = |width: u32, height: u32| -> Result<(Vec<u8>, Vec<PlacedText>)> {
            let mut texts = Vec::new();
            let pixels =
                draw_pixels(&figure, width, height, &Sizes::new(width, height, 1), Some(&mut texts))?;
            Ok((pixels, texts))
        };
        assert_eq!(default_height(1200, None), 650);
        assert_eq!(default_height(2400, None), 1300);
        assert_eq!(default_height(2400, Some(2)), 1620);
        let (small_pixels, small_texts) = draw(1200, 650)?;
        for (width, height) in [(2400, 1300), (2400, 650)] {
            let (large_pixels, large_texts) = draw(width, height)?;
            for text in ["Rentals per week, all stores", "outstanding at week end", "rentals", "2022-02-14"] {
                let find = |texts: &[PlacedText]| texts.iter().find(|placed| placed.text == text).cloned();
                let (Some(small), Some(large)) = (find(&small_texts), find(&large_texts)) else {
                    bail!("{text:?} not drawn at both sizes: {small_texts:?} {large_texts:?}");
                };
                // Twice the size, and laid out twice as wide and tall (within a pixel of rounding).
                assert!((large.size / small.size - 2.0).abs() < 1e-9, "{text:?}: {small:?} then {large:?}");
                assert!((large.width - 2.0 * small.width).abs() < 1.0, "{text:?}: {small:?} then {large:?}");
                assert!(
                    (large.height - 2.0 * small.height).abs() < 1.0,
                    "{text:?}: {small:?} then {large:?}"
                );
            }
            // Lines twice as long and twice as wide: about four times the pixels, where lines of
            // an unscaled width would have only twice as many.
            for colour in [OUTSTANDING, RENTED, RETURNED] {
                let (small, large) =
                    (pixels_of(&small_pixels, 1200, 0, colour), pixels_of(&large_pixels, width, 0, colour));
                assert!(
                    large as f64 > 3.0 * small as f64,
                    "{colour:?}: {small} pixels, then {large} at {width}x{height}"
                );
            }
        }
        // A narrow picture keeps readable text rather than shrinking it away.
        assert_eq!(Sizes::new(300, 200, 1), Sizes { scale: MIN_SCALE });
        assert_eq!(Sizes::new(1200, 650, 1), Sizes { scale: 1.0 });
        Ok(())
    }

    #[test]
    fn a_series_at_zero_or_on_another_still_shows() -> Result<()> {
        // More weeks than get markers, so only the lines themselves can show the series: all three
        // at zero along the bottom of the plot, then all three on one line in mid-plot.
        let zeros = vec![0; MARKERS_UP_TO_WEEKS + 20];
        let same: Vec<i64> = (0..MARKERS_UP_TO_WEEKS as i64 + 20).map(|week| 10 + week % 7).collect();
        for figure in [figure_of(&zeros, &zeros, &zeros), figure_of(&same, &same, &same)] {
            let pixels = draw_pixels(&figure, 1200, 650, &Sizes::new(1200, 650, 1), None)?;
            // Below the title and the legend strip: the plot. Each line runs most of its ~1100
            // pixels' width, on at least one row of its own colour.
            for colour in [OUTSTANDING, RENTED, RETURNED] {
                let found = pixels_of(&pixels, 1200, 100, colour);
                assert!(found > 1500, "{colour:?}: only {found} pixels of it in the plot");
            }
        }
        Ok(())
    }

    #[test]
    fn rentals_ticks_are_whole_and_from_zero() {
        assert_eq!(y_ticks(1), [0.0, 1.0]);
        assert_eq!(y_ticks(8), (0..=8).map(f64::from).collect::<Vec<_>>());
        assert_eq!(y_ticks(9), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(y_ticks(105), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert!(y_ticks(i64::MAX).len() <= 9);
    }

    #[test]
    fn renders_svg_with_legend_and_png_with_signature() -> Result<()> {
        let svg = String::from_utf8(render(&figure(), Format::Svg, 640, 400)?)?;
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.contains("outstanding at week end") && svg.contains("2022-02-14"));
        let png = render(&figure(), Format::Png, 640, 400)?;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        Ok(())
    }
}
