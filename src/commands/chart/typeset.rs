//! Text measured and, on a bitmap, drawn from the embedded DejaVu Sans with ab_glyph: the
//! [`Typeset`] backend wrapper and the layout of a line of text it uses.
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

/// A text as [`Typeset`] laid it out: its size in pixels per em and its advance box.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlacedText {
    pub(super) text: String,
    pub(super) size: f64,
    pub(super) width: f32,
    pub(super) height: f32,
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
pub(super) struct Typeset<'a, B> {
    inner: B,
    draws_glyphs: bool,
    texts: Option<&'a mut Vec<PlacedText>>,
}

impl<'a, B: DrawingBackend> Typeset<'a, B> {
    pub(super) fn new(inner: B, draws_glyphs: bool, texts: Option<&'a mut Vec<PlacedText>>) -> Self {
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

#[cfg(test)]
mod tests {
    use anyhow::{Result, anyhow, bail};

    use super::*;
    use crate::commands::chart::render::register_fonts;

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
}
