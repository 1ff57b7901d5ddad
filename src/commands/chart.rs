//! `rollup chart`: the weekly series as a picture, SVG or PNG, drawn with plotters.
//!
//! The week rows are few (one per week: hundreds, not millions), so they are fetched and drawn
//! here. The chart is rendered in memory and then written under a temporary name and renamed, as
//! `rollup export` does, so a failed chart never leaves a half-written file behind the name asked
//! for, and a path that cannot be written fails with the file system's reason rather than a
//! drawing error.
//!
//! Text is measured (SVG, PNG) and drawn (PNG) with DejaVu Sans embedded in the binary through
//! ab_glyph, so charts need no system fonts or fontconfig. An SVG names the font family
//! `sans-serif` and leaves the glyphs to whoever displays it.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Days, NaiveDate};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::commands::export::partial_path;
use crate::connection::RollupDatabase;
use crate::pipeline::{bookkeeping, inspect};

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

    /// Height in pixels [default: 650; with --film, 380 per store plus the title].
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

/// One line of a panel. Lines often coincide (a week's rentals all returned the next week), so
/// each measure also has its own marker shape.
struct Series {
    label: String,
    color: RGBColor,
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
    fn style(&self) -> ShapeStyle {
        ShapeStyle { color: self.color.to_rgba(), filled: false, stroke_width: 2 }
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
/// Pixels: the legend row above each panel, the space around a plot, and the y axis' labels.
const LEGEND_HEIGHT: u32 = 30;
const MARGIN: u32 = 14;
const Y_LABEL_AREA: u32 = 64;

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

    // Within the limit --height itself has, however many stores hold the film.
    let height = options.height.unwrap_or(match options.film {
        None => 650,
        Some(_) => (50 + 380 * figure.panels.len() as u32).min(10000),
    });
    let bytes = render(&figure, format, options.width, height)
        .with_context(|| format!("could not draw the chart for {}", options.output.display()))?;
    write_file(&options.output, &bytes)?;
    tracing::info!(file = %options.output.display(), weeks = (last - first).num_weeks() + 1, "chart written");
    Ok(())
}

/// The three measures of one panel, in legend order.
fn measures(
    outstanding: Vec<(NaiveDate, i64)>,
    rented: Vec<(NaiveDate, i64)>,
    returned: Vec<(NaiveDate, i64)>,
) -> Vec<Series> {
    vec![
        Series {
            label: "outstanding at week end".into(),
            color: OUTSTANDING,
            dashed: false,
            marker: Marker::Circle,
            points: outstanding,
        },
        Series {
            label: "rented in the week".into(),
            color: RENTED,
            dashed: false,
            marker: Marker::Triangle,
            points: rented,
        },
        Series {
            label: "returned in the week".into(),
            color: RETURNED,
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
    register_fonts()?;
    match format {
        Format::Svg => {
            let mut svg = String::new();
            draw(SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area(), figure)?;
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let mut pixels = vec![0u8; width as usize * height as usize * 3];
            draw(BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area(), figure)?;
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

/// plotters looks fonts up by family name in a table of its own; fill it once per process.
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

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, figure: &Figure) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    // FontDesc::style() keeps the regular face's glyphs; a bold face has to be asked for at creation.
    let body = root.margin(10, 0, 0, 0).titled(&figure.title, ("sans-serif", 22, FontStyle::Bold))?;
    // A little room after the last week so its markers are not cut by the frame; a single week
    // gives an empty date range, widened to that week's span. The axis starts at the first week
    // itself, as its ticks step in whole weeks from there and so fall on week beginnings.
    let last =
        if figure.last > figure.first { figure.last + Days::new(3) } else { figure.first + Days::new(7) };
    let weeks = figure.panels.first().and_then(|panel| panel.series.first()).map_or(0, |s| s.points.len());
    for (area, panel) in body.split_evenly((figure.panels.len(), 1)).iter().zip(&figure.panels) {
        // The legend gets a strip of its own above the plot, so it never hides a line.
        let (strip, plot) = area.split_vertically(LEGEND_HEIGHT);
        draw_legend(&strip, panel)?;

        let highest = panel.series.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y)).max().unwrap_or(0);
        // Headroom above the highest point so the top line does not run along the frame.
        let top = ((highest as f64 * 1.05).ceil() as i64).max(highest + 1);
        let mut chart = ChartBuilder::on(&plot)
            .margin(MARGIN)
            .margin_top(6)
            .x_label_area_size(48)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(figure.first..last, 0i64..top)?;
        let width = plot.dim_in_pixel().0 as usize;
        chart
            .configure_mesh()
            .x_labels((width / 110).max(2))
            .y_labels(8)
            // One light line per label puts them under the labelled ones: no fine grid. (0 would
            // make plotters' integer tick search overflow.)
            .max_light_lines(1)
            .x_label_formatter(&|date| date.format("%Y-%m-%d").to_string())
            .x_desc(figure.x_description.as_str())
            .y_desc("rentals")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        // Last in the legend drawn first: the outstanding line, and its small markers, stay on
        // top where the lines coincide, with the larger markers showing around them.
        for series in panel.series.iter().rev() {
            let style = series.style();
            let points = series.points.iter().copied();
            if series.dashed {
                chart.draw_series(DashedLineSeries::new(points, 8, 5, style))?;
            } else {
                chart.draw_series(LineSeries::new(points, style))?;
            }
            if weeks <= MARKERS_UP_TO_WEEKS {
                let points = series.points.iter().copied();
                match series.marker {
                    Marker::Circle => chart.draw_series(points.map(|p| Circle::new(p, 3, style.filled())))?,
                    Marker::Triangle => {
                        chart.draw_series(points.map(|p| TriangleMarker::new(p, 5, style.filled())))?
                    }
                    Marker::Cross => chart.draw_series(points.map(|p| Cross::new(p, 4, style)))?,
                    Marker::None => continue,
                };
            }
        }
    }
    root.present().map_err(|error| anyhow!("{error}"))?;
    Ok(())
}

/// One row above a panel: its caption (the store, with --film) and a sample of every series.
fn draw_legend<DB: DrawingBackend>(strip: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let anchor = Pos::new(HPos::Left, VPos::Center);
    let font = TextStyle::from(("sans-serif", 15).into_font()).pos(anchor);
    let y = LEGEND_HEIGHT as i32 / 2;
    // Start where the plot's frame starts, after the y axis labels.
    let mut x = (MARGIN + Y_LABEL_AREA) as i32;
    if let Some(caption) = &panel.caption {
        let bold = TextStyle::from(("sans-serif", 16, FontStyle::Bold).into_font()).pos(anchor);
        strip.draw(&Text::new(caption.clone(), (x, y), bold.clone()))?;
        x += strip.estimate_text_size(caption, &bold)?.0 as i32 + 24;
    }
    for series in &panel.series {
        let style = series.style();
        if series.dashed {
            strip.draw(&DashedPathElement::new(vec![(x, y), (x + 28, y)], 6, 4, style))?;
        } else {
            strip.draw(&PathElement::new(vec![(x, y), (x + 28, y)], style))?;
        }
        let middle = (x + 14, y);
        match series.marker {
            Marker::Circle => strip.draw(&Circle::new(middle, 3, style.filled()))?,
            Marker::Triangle => strip.draw(&TriangleMarker::new(middle, 5, style.filled()))?,
            Marker::Cross => strip.draw(&Cross::new(middle, 4, style))?,
            Marker::None => {}
        }
        x += 36;
        strip.draw(&Text::new(series.label.clone(), (x, y), font.clone()))?;
        x += strip.estimate_text_size(&series.label, &font)?.0 as i32 + 26;
    }
    Ok(())
}

/// Writes the whole file under a temporary name, then renames it into place.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let partial = partial_path(path);
    // Named as asked for: the temporary name is this program's business.
    std::fs::write(&partial, bytes).with_context(|| format!("could not write {}", path.display()))?;
    if let Err(error) = std::fs::rename(&partial, path) {
        let _ = std::fs::remove_file(&partial);
        return Err(error).with_context(|| format!("could not write {}", path.display()));
    }
    Ok(())
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
