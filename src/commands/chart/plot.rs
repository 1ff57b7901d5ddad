//! Drawing a [`Figure`] on any plotters backend: per panel a legend strip above a plot, its axes
//! and mesh, and each series' line and markers.
use anyhow::{Result, anyhow};
use chrono::{Days, NaiveDate};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::RentalsAxis;
use super::figure::{Figure, Marker, Panel, Series};
use super::sizes::{
    AXIS_DESCRIPTION_FONT, CAPTION_FONT, LABEL_FONT, LEGEND_FONT, LEGEND_HEIGHT, MARGIN, Sizes, TITLE_FONT,
    X_LABEL_AREA, Y_LABEL_AREA,
};

/// Past this many weeks a marker on every week's point would crowd the lines.
pub(super) const MARKERS_UP_TO_WEEKS: usize = 60;

pub(super) fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &Figure,
    sizes: &Sizes,
) -> Result<()>
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
