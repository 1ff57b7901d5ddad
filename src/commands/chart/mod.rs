//! `rollup chart`: the weekly series as a picture, SVG or PNG, drawn with plotters.
//!
//! The week rows are few (one per week: hundreds, not millions), so they are fetched and drawn
//! here. The chart is rendered in memory and then written under a temporary name and renamed, as
//! `rollup export` does, so a failed chart never leaves a half-written file behind the name asked
//! for, and a path that cannot be written fails with the file system's reason rather than a
//! drawing error.
//!
//! Text is measured (SVG, PNG) and drawn (PNG) with DejaVu Sans embedded in the binary, laid out
//! here with ab_glyph (see [`typeset::Typeset`]), so charts need no system fonts or fontconfig. An
//! SVG names the font family `sans-serif` and leaves the glyphs to whoever displays it.
//!
//! Every size (text, lines, markers, margins) is given for the default width and multiplied by
//! [`sizes::Sizes::scale`], so a wider picture is the same chart drawn larger, not more room
//! around small text.
//!
//! One file per concern: [`figure`] reads the weeks into what is drawn; [`sizes`] scales every
//! length to the picture's size; [`render`] turns a figure into the bytes of a file in the format
//! asked for, drawing it with [`plot`] on the rentals [`axis`]; [`typeset`] lays out and draws its
//! text. This file holds the command itself: its options and the writing of the file.
mod axis;
mod figure;
mod plot;
mod render;
mod sizes;
mod typeset;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::commands::export::{create_partial, persist};
use crate::connection::RollupDatabase;
pub use render::Format;
use render::render;
use sizes::default_height;

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

pub async fn run(options: Options) -> Result<()> {
    let format = Format::from_path(&options.output)?;
    let target = options.rollup.target()?;
    let client = target.connect().await?;
    let figure = figure::load(&client, &target, options.film).await?;

    let height = options
        .height
        .unwrap_or_else(|| default_height(options.width, options.film.map(|_| figure.panels.len())));
    let bytes = render(&figure, format, options.width, height)
        .with_context(|| format!("could not draw the chart for {}", options.output.display()))?;
    write_file(&options.output, &bytes)?;
    tracing::info!(file = %options.output.display(), weeks = (figure.last - figure.first).num_weeks() + 1, "chart written");
    Ok(())
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
