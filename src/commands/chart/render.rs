//! From a [`Figure`] to the bytes of an SVG or PNG file: the backend for the format, with its text
//! set by [`Typeset`], and the PNG encoding.
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use plotters::prelude::*;

use super::figure::Figure;
use super::plot::draw;
use super::sizes::Sizes;
use super::typeset::{PlacedText, Typeset};

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

/// The chart as the bytes of an SVG or PNG file.
pub(super) fn render(figure: &Figure, format: Format, width: u32, height: u32) -> Result<Vec<u8>> {
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
pub(super) fn draw_pixels(
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
pub(super) fn register_fonts() -> Result<()> {
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

#[cfg(test)]
mod tests {
    use chrono::{Days, NaiveDate};

    use super::*;
    use crate::commands::chart::figure::{OUTSTANDING, Panel, RENTED, RETURNED, measures};
    use crate::commands::chart::plot::MARKERS_UP_TO_WEEKS;
    use crate::commands::chart::sizes::{MIN_SCALE, default_height};

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
    fn renders_svg_with_legend_and_png_with_signature() -> Result<()> {
        let svg = String::from_utf8(render(&figure(), Format::Svg, 640, 400)?)?;
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.contains("outstanding at week end") && svg.contains("2022-02-14"));
        let png = render(&figure(), Format::Png, 640, 400)?;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        Ok(())
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path(Path::new("a/weekly.SVG")).ok(), Some(Format::Svg));
        assert_eq!(Format::from_path(Path::new("weekly.png")).ok(), Some(Format::Png));
        assert!(Format::from_path(Path::new("weekly.jpg")).is_err());
        assert!(Format::from_path(Path::new("weekly")).is_err());
    }
}
