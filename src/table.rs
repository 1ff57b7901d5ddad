//! Prints rows as an aligned text table, the way psql does, for `rollup report` and `rollup status`.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|header| header.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // Numbers right-aligned, everything else left-aligned, as psql does.
    let line = |cells: Vec<String>, align_numbers: bool| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| {
                if align_numbers && !cell.is_empty() && cell.parse::<f64>().is_ok() {
                    format!(" {cell:>width$} ")
                } else {
                    format!(" {cell:<width$} ")
                }
            })
            .collect::<Vec<_>>()
            .join("|")
            .trim_end()
            .to_owned()
    };
    let mut out = String::new();
    out.push_str(&line(headers.iter().map(|header| header.to_string()).collect(), false));
    out.push('\n');
    out.push_str(&widths.iter().map(|width| "-".repeat(width + 2)).collect::<Vec<_>>().join("+"));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone(), true));
        out.push('\n');
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_columns() {
        let text = super::render(&["a", "long header"], &[vec!["12345".into(), "x".into()]]);
        assert_eq!(text, " a     | long header\n-------+-------------\n 12345 | x\n(1 row)\n");
    }
}
