//! A small SVG writer for posters: rectangles, paths and left-aligned wrapped text in the posters'
//! font, never italic. Coordinates are in the layout's own units.

use std::fmt::Write;

use super::colours::{Colour, Ink};
use super::fonts::{FAMILY, Fonts, Weight};

pub struct Canvas<'f> {
    pub fonts: &'f Fonts,
    body: String,
    /// Smallest font size used, in layout units (the print rules check it).
    pub min_font_size: f64,
}

/// Text set as a block: size, weight, ink and line height (a multiple of the size).
#[derive(Clone, Copy)]
pub struct Style {
    pub size: f64,
    pub weight: Weight,
    pub ink: Ink,
    pub leading: f64,
}

impl Style {
    pub fn new(size: f64, weight: Weight, ink: Ink) -> Self {
        Self {
            size,
            weight,
            ink,
            leading: 1.25,
        }
    }
}

/// Text for SVG content and attribute values (the handler's HTML escaping serves both).
pub fn escape(text: &str) -> String {
    crate::html::esc(text)
}

/// French typography: a no-break space before « ? ! : ; » so they never start a line.
pub fn french(text: &str) -> String {
    let mut out = text.replace(" ?", "\u{a0}?").replace(" !", "\u{a0}!");
    out = out.replace(" :", "\u{a0}:").replace(" ;", "\u{a0};");
    // "17 h", "3 mm": a number stays with its unit.
    let mut glued = String::with_capacity(out.len());
    let mut previous = ' ';
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        let unit_follows = chars.peek().is_some_and(|n| n.is_alphabetic())
            && chars.clone().nth(1).is_none_or(|n| !n.is_alphanumeric());
        if c == ' ' && previous.is_ascii_digit() && unit_follows {
            glued.push('\u{a0}');
        } else {
            glued.push(c);
        }
        previous = c;
    }
    glued
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            body: String::new(),
            min_font_size: f64::INFINITY,
        }
    }

    pub fn raw(&mut self, svg: &str) {
        self.body.push_str(svg);
    }

    /// Puts `svg` under everything drawn so far.
    pub fn prepend(&mut self, svg: &str) {
        self.body.insert_str(0, svg);
    }

    /// Draws what `other` holds over this canvas.
    pub fn absorb(&mut self, other: Canvas) {
        self.body.push_str(&other.body);
        self.min_font_size = self.min_font_size.min(other.min_font_size);
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Colour, radius: f64) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" rx="{radius:.2}" fill="{}"/>"#,
            fill.hex()
        );
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: Colour) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="{}"/>"#,
            fill.hex()
        );
    }

    /// One line of text whose baseline is at `y`.
    pub fn line(&mut self, x: f64, y: f64, text: &str, style: Style) {
        self.min_font_size = self.min_font_size.min(style.size);
        let weight = match style.weight {
            Weight::Regular => 400,
            Weight::Bold => 700,
        };
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-family="{FAMILY}" font-size="{:.2}" font-weight="{weight}" fill="{}">{}</text>"#,
            style.size,
            style.ink.colour().hex(),
            escape(text)
        );
    }

    /// Wrapped text whose first line's top is at `top`; returns the height used.
    pub fn paragraph(&mut self, x: f64, top: f64, width: f64, text: &str, style: Style) -> f64 {
        let lines = self
            .fonts
            .wrap(&french(text), style.size, style.weight, width);
        let step = style.size * style.leading;
        for (i, line) in lines.iter().enumerate() {
            // The baseline sits about 0.8 em below the top of the line box.
            let baseline = top + i as f64 * step + style.size * 0.95;
            self.line(x, baseline, line, style);
        }
        lines.len() as f64 * step
    }

    /// The largest size, at most `size`, at which `text` fits on one line of `width`.
    pub fn fit(&self, text: &str, size: f64, weight: Weight, width: f64) -> f64 {
        let natural = self.fonts.width(text, size, weight);
        if natural <= width {
            size
        } else {
            size * width / natural
        }
    }

    /// The finished document, with the given outer size and view box.
    pub fn finish(self, view_box: [f64; 4], background: Colour) -> String {
        let [x, y, w, h] = view_box;
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w:.2}" height="{h:.2}" viewBox="{x:.2} {y:.2} {w:.2} {h:.2}">
<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{}"/>
{}</svg>
"#,
            background.hex(),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_spacing_keeps_punctuation_and_units_with_their_word() {
        assert_eq!(
            french("traitant ? de 14 h à 17 h"),
            "traitant\u{a0}? de 14\u{a0}h à 17\u{a0}h"
        );
        // A number followed by a word is not a unit.
        assert_eq!(french("3 étapes"), "3 étapes");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
