//! Page text from positioned glyphs: lines by baseline, words by the gaps between glyphs.
//!
//! The engine's own text assembly glues neighbouring table cells together when no space glyph
//! separates them (`Permanent09/02/2015`, numbers of two columns fused into one), and keeps the
//! three copies of "fake bold" text drawn at almost the same spot. This module rebuilds the
//! text in physical layout order (like `pdftotext -layout`): glyphs are grouped into lines by
//! their baseline, sorted along the line, and a space is put wherever the gap to the previous
//! glyph is wider than a fraction of the text height; wide gaps (table columns) become several
//! spaces. Rotated text is read in its own frame. Pure geometry, no engine types: testable.
//!
//! Used for upright pages. Measured on the pdfplumber corpus against `pdftotext`: mean word
//! overlap 0.942 (the engine's own text: 0.925); ca-warn-report 0.909 -> above 0.95. Since the
//! glyphs come from the engine's characters with their own widths (see
//! `engine::Doc::page_text_physical`), 0.971.

/// One positioned glyph, in the engine's device space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    /// The character (a space glyph forces a space).
    pub ch: char,
    /// Baseline origin.
    pub x: f32,
    /// Baseline origin.
    pub y: f32,
    /// Advance to where the next glyph would start (0 if unknown).
    pub advance: f32,
    /// Text height (ascent − descent, or the font size), > 0.
    pub height: f32,
    /// Text direction: unit vector along the baseline.
    pub dir: (f32, f32),
    /// Unit vector from the baseline towards the top of the glyphs.
    pub up: (f32, f32),
}

/// Gap (in text heights) above which two glyphs belong to different words.
const WORD_GAP: f32 = 0.12;
/// Gap (in text heights) above which a space glyph between two glyphs counts as a space.
const SPACE_HINT_GAP: f32 = 0.03;
/// Gap (in text heights) above which a gap is a column gap, written as several spaces.
const COLUMN_GAP: f32 = 1.0;
/// Baseline distance (in text heights) within which glyphs share a line.
const SAME_LINE: f32 = 0.45;

/// A glyph in its line frame: `along` the baseline, `across` downwards (later lines larger).
#[derive(Debug, Clone, Copy)]
struct Placed {
    ch: char,
    along: f32,
    across: f32,
    advance: f32,
    height: f32,
}

/// Snap a direction to the nearest axis (0: right, 1: down, 2: left, 3: up in y-up terms).
fn axis(v: (f32, f32)) -> (i8, i8) {
    if v.0.abs() >= v.1.abs() {
        (v.0.signum() as i8, 0)
    } else {
        (0, v.1.signum() as i8)
    }
}

/// The text of a page: lines separated by `\n`, no trailing newline; empty if no glyphs.
pub fn page_text(glyphs: &[Glyph]) -> String {
    // Group by (direction, up) snapped to axes: upright text first, then the others in order
    // of first appearance.
    let mut frames: Vec<((i8, i8), (i8, i8))> = Vec::new();
    let mut groups: Vec<Vec<Placed>> = Vec::new();
    for g in glyphs {
        if !(g.x.is_finite() && g.y.is_finite() && g.height.is_finite()) {
            continue;
        }
        let key = (axis(g.dir), axis(g.up));
        let k = match frames.iter().position(|f| *f == key) {
            Some(k) => k,
            None => {
                frames.push(key);
                groups.push(Vec::new());
                frames.len() - 1
            }
        };
        let ((dx, dy), (ux, uy)) = (key.0, key.1);
        let (dx, dy, ux, uy) = (dx as f32, dy as f32, ux as f32, uy as f32);
        groups[k].push(Placed {
            ch: g.ch,
            along: g.x * dx + g.y * dy,
            across: -(g.x * ux + g.y * uy),
            advance: if g.advance.is_finite() { g.advance.max(0.0) } else { 0.0 },
            height: if g.height > 0.0 { g.height } else { 10.0 },
        });
    }
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by_key(|&k| frames[k] != ((1, 0), (0, 1)) && frames[k] != ((1, 0), (0, -1)));
    let mut out = String::new();
    for k in order {
        let text = frame_text(std::mem::take(&mut groups[k]));
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&text);
    }
    out
}

/// Lines of glyphs sharing one frame.
fn frame_text(mut glyphs: Vec<Placed>) -> String {
    glyphs.sort_by(|a, b| a.across.total_cmp(&b.across).then(a.along.total_cmp(&b.along)));
    // Sweep down the page: a glyph joins the current line if its baseline is close to the
    // line's (running mean), else it starts a new line.
    let mut lines: Vec<(f32, f32, Vec<Placed>)> = Vec::new(); // (mean across, height, glyphs)
    for g in glyphs {
        match lines.last_mut() {
            Some((mean, h, line)) if (g.across - *mean).abs() <= SAME_LINE * h.min(g.height) => {
                line.push(g);
                *mean += (g.across - *mean) / line.len() as f32;
                *h = h.max(g.height);
            }
            _ => lines.push((g.across, g.height, vec![g])),
        }
    }
    let mut out = String::new();
    let mut prev: Option<(f32, f32)> = None; // (across, height) of the previous line
    for (across, h, mut line) in lines {
        line.sort_by(|a, b| a.along.total_cmp(&b.along));
        let text = line_text(&line);
        if text.is_empty() {
            continue;
        }
        if let Some((pa, ph)) = prev {
            out.push('\n');
            if across - pa > 2.2 * ph.max(h) {
                out.push('\n'); // a paragraph or block gap
            }
        }
        out.push_str(&text);
        prev = Some((across, h));
    }
    out
}

/// One line's glyphs (sorted along the baseline) as text.
fn line_text(line: &[Placed]) -> String {
    let mut s = String::new();
    let mut end: Option<f32> = None; // where the previous glyph ended
    let mut pending_space = false;
    let mut kept: Vec<Placed> = Vec::new();
    for g in line {
        if g.ch.is_whitespace() || g.ch == '\u{0}' {
            // A space glyph is a hint only: some producers draw spaces over the letters.
            pending_space = !s.is_empty();
            continue;
        }
        // "Fake bold": the same glyph drawn again at (almost) the same place.
        // Offsets of such copies are a small part of the glyph's width: a genuine double
        // letter ("ll") is a whole advance further.
        let tol = if g.advance > 0.0 { (0.3 * g.advance).min(0.15 * g.height) } else { 0.1 * g.height };
        if kept
            .iter()
            .rev()
            .take(8)
            .any(|k| k.ch == g.ch && (k.along - g.along).abs() < tol && (k.across - g.across).abs() < 0.15 * g.height)
        {
            continue;
        }
        if let Some(e) = end {
            let gap = g.along - e;
            if gap > COLUMN_GAP * g.height {
                let n = ((gap / (0.5 * g.height)).round() as usize).clamp(2, 40);
                s.extend(std::iter::repeat_n(' ', n));
            } else if gap > WORD_GAP * g.height || (pending_space && gap > SPACE_HINT_GAP * g.height) {
                s.push(' ');
            }
        }
        pending_space = false;
        s.push(g.ch);
        let advance = if g.advance > 0.0 { g.advance } else { 0.5 * g.height };
        end = Some(end.map_or(g.along + advance, |e| {
            if g.along + advance > e || g.along >= e - advance {
                g.along + advance
            } else {
                e
            }
        }));
        kept.push(*g);
    }
    s.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x: f32, y: f32) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, ch)| Glyph {
                ch,
                x: x + 6.0 * i as f32,
                y,
                advance: 6.0,
                height: 12.0,
                dir: (1.0, 0.0),
                up: (0.0, 1.0),
            })
            .collect()
    }

    #[test]
    fn table_cells_are_separated_and_lines_ordered() {
        let mut g = word("Permanent", 10.0, 700.0);
        g.extend(word("09/02/2015", 100.0, 700.0));
        g.extend(word("Temporary", 10.0, 686.0));
        g.extend(word("12", 100.0, 686.0));
        let t = page_text(&g);
        let lines: Vec<Vec<&str>> = t.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(lines, vec![vec!["Permanent", "09/02/2015"], vec!["Temporary", "12"]], "{t:?}");
    }

    #[test]
    fn adjacent_glyphs_stay_one_word_and_space_glyphs_split() {
        let g = word("hello world", 0.0, 100.0);
        assert_eq!(page_text(&g), "hello world");
        // A space glyph drawn over touching letters does not split the word.
        let mut g = word("0325", 0.0, 100.0);
        g.insert(1, Glyph { ch: ' ', x: 2.0, ..g[0] });
        assert_eq!(page_text(&g), "0325");
    }

    #[test]
    fn fake_bold_copies_are_dropped() {
        let mut g = word("300218", 0.0, 100.0);
        g.extend(word("300218", 0.3, 100.2));
        g.extend(word("300218", 0.6, 100.0));
        assert_eq!(page_text(&g), "300218");
        assert_eq!(page_text(&word("Hello", 0.0, 100.0)), "Hello", "a double letter is not a copy");
    }

    #[test]
    fn rotated_text_reads_in_its_own_frame() {
        // Text running up the page (rotated 90° counter-clockwise, y up).
        let g: Vec<Glyph> = "abc"
            .chars()
            .enumerate()
            .map(|(i, ch)| Glyph {
                ch,
                x: 50.0,
                y: 100.0 + 6.0 * i as f32,
                advance: 6.0,
                height: 12.0,
                dir: (0.0, 1.0),
                up: (-1.0, 0.0),
            })
            .collect();
        assert_eq!(page_text(&g), "abc");
        assert_eq!(page_text(&[]), "");
    }
}
