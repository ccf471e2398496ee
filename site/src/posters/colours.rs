//! The posters' palette, and the contrast rule every text colour pair must pass (WCAG 2.1: 4.5:1).

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }
}

/// WCAG contrast ratio, from 1 (same colour) to 21 (black on white).
pub fn contrast(a: Colour, b: Colour) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

pub const MIN_CONTRAST: f64 = 4.5;

pub const PAPER: Colour = Colour(0xff, 0xff, 0xff);
pub const INK: Colour = Colour(0x1b, 0x1b, 0x1b);
/// The site's accent colour (style.css `--accent`).
pub const ACCENT: Colour = Colour(0x00, 0x56, 0x7a);
pub const MUTED: Colour = Colour(0x4a, 0x4a, 0x4a);
/// Background of the "this is not an emergency" box.
pub const NOTE: Colour = Colour(0xff, 0xf4, 0xd6);
pub const WARNING: Colour = Colour(0x8a, 0x1c, 0x00);
/// Map fills: the highlighted CPTS and the rest of the department (no text on them without a halo).
pub const MAP_HIGHLIGHT: Colour = Colour(0x5b, 0x9b, 0xb8);
pub const MAP_OTHER: Colour = Colour(0xe3, 0xe6, 0xe8);

/// How a text run is painted: every style is one foreground on one background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink {
    /// Body text on paper.
    Body,
    /// Secondary text on paper.
    Muted,
    /// Accent text (the phone number, headings) on paper.
    Accent,
    /// White text on the accent band.
    OnAccent,
    /// Text inside the "not an emergency" box.
    OnNote,
    /// Warning heading inside the "not an emergency" box.
    WarningOnNote,
    /// Town names on the map, drawn over a white halo.
    MapLabel,
}

impl Ink {
    pub const ALL: [Ink; 7] = [
        Ink::Body,
        Ink::Muted,
        Ink::Accent,
        Ink::OnAccent,
        Ink::OnNote,
        Ink::WarningOnNote,
        Ink::MapLabel,
    ];

    /// (text colour, background it is printed on).
    pub fn pair(self) -> (Colour, Colour) {
        match self {
            Ink::Body => (INK, PAPER),
            Ink::Muted => (MUTED, PAPER),
            Ink::Accent => (ACCENT, PAPER),
            Ink::OnAccent => (PAPER, ACCENT),
            Ink::OnNote => (INK, NOTE),
            Ink::WarningOnNote => (WARNING, NOTE),
            Ink::MapLabel => (INK, PAPER),
        }
    }

    pub fn colour(self) -> Colour {
        self.pair().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_the_wcag_reference_values() {
        assert!((contrast(Colour(0, 0, 0), PAPER) - 21.0).abs() < 0.01);
        assert!((contrast(PAPER, PAPER) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1 limit case.
        assert!((contrast(Colour(0x76, 0x76, 0x76), PAPER) - 4.54).abs() < 0.01);
    }
}
