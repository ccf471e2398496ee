//! Poster layouts. A4 and A3 share one layout drawn in A4 points and scaled (A3 = ×√2); the A5
//! flyer has its own, drawn in A5 points, so that its text stays at least 12 pt as printed (a
//! scaled A4 would print its body at 10 pt); screen images have their own layouts in pixels. Text is left-aligned, never italic, in the posters' font; every text colour is one of
//! the `Ink` pairs checked for contrast.

use territory::{Commune, Territory};

use super::colours::{ACCENT, Colour, INK, Ink, NOTE, PAPER};
use super::definitions::{PosterSet, Target};
use super::fonts::{Fonts, Weight};
use super::formats::{Format, Medium, mm_to_pt};
use super::map;
use super::qr::Qr;
use super::svg::{Canvas, Style};

/// A4 in points: the print layout's units.
pub const A4_WIDTH: f64 = 210.0 * 72.0 / 25.4;
pub const A4_HEIGHT: f64 = 297.0 * 72.0 / 25.4;
/// Print margin in A4 points (12 mm).
pub const PRINT_MARGIN: f64 = 34.0;
/// A5 in points: the flyer's units.
pub const A5_WIDTH: f64 = 148.0 * 72.0 / 25.4;
pub const A5_HEIGHT: f64 = 210.0 * 72.0 / 25.4;
/// The flyer's margin in points (8.5 mm), above the 5 mm safe margin.
pub const A5_MARGIN: f64 = 24.0;
/// The smallest text of the A5 flyer, in points as printed (DOMAIN §6: 12 pt at least).
pub const A5_MIN_TEXT: f64 = 12.0;

/// What every poster of a site says, whatever its CPTS.
pub struct Common<'a> {
    pub fonts: &'a Fonts,
    pub territory: &'a Territory,
    pub site_title: &'a str,
    pub phone_number: &'a str,
    pub phone_hours: &'a str,
    pub phone_cost: &'a str,
    /// Absolute address of the registration form, without the source parameter.
    pub form_url: String,
    /// The form's address as people type it: no scheme, no parameter.
    pub short_address: String,
    /// The privacy page's address as people type it.
    pub privacy_address: String,
    /// "Édition de novembre 2026".
    pub edition: String,
}

/// A drawn poster and the measures the print rules check.
pub struct Drawn {
    pub svg: String,
    /// Smallest text size, in points for print formats (as printed), in pixels for images.
    pub min_font_size: f64,
    /// Side of the QR code without its quiet zone, in millimetres as printed (print formats).
    pub qr_code_mm: f64,
    /// Side of the QR code with its quiet zone, in millimetres as printed (print formats).
    pub qr_total_mm: f64,
    /// How far the text runs into the footer, in layout units (0 when it fits).
    pub overflow: f64,
}

/// The source parameter: which poster brought the visit.
pub fn source(set: &PosterSet, format: Format) -> String {
    format!("affiche-{}-{}", set.id, format.code())
}

pub fn qr_url(common: &Common, set: &PosterSet, format: Format) -> String {
    format!("{}?src={}", common.form_url, source(set, format))
}

struct Sizes {
    margin: f64,
    eyebrow: f64,
    headline: f64,
    sub: f64,
    call: f64,
    number: f64,
    hours: f64,
    cost: f64,
    qr: f64,
    heading: f64,
    body: f64,
    small: f64,
    gap: f64,
}

const PRINT: Sizes = Sizes {
    margin: PRINT_MARGIN,
    eyebrow: 15.0,
    headline: 32.0,
    sub: 17.0,
    call: 18.0,
    number: 58.0,
    hours: 15.0,
    cost: 14.0,
    qr: 128.0,
    heading: 18.0,
    body: 14.5,
    small: 14.0,
    gap: 12.0,
};

/// The A5 flyer, in points as printed: every text at least `A5_MIN_TEXT`.
const FLYER: Sizes = Sizes {
    margin: A5_MARGIN,
    eyebrow: 12.0,
    headline: 20.0,
    sub: 13.0,
    call: 13.0,
    number: 36.0,
    hours: 12.0,
    cost: 12.0,
    qr: 100.0,
    heading: 13.0,
    body: A5_MIN_TEXT,
    small: A5_MIN_TEXT,
    gap: 7.0,
};

const SOCIAL: Sizes = Sizes {
    margin: 60.0,
    eyebrow: 30.0,
    headline: 62.0,
    sub: 32.0,
    call: 38.0,
    number: 124.0,
    hours: 32.0,
    cost: 28.0,
    qr: 270.0,
    heading: 36.0,
    body: 30.0,
    small: 26.0,
    gap: 28.0,
};

const SHARE: Sizes = Sizes {
    margin: 48.0,
    eyebrow: 26.0,
    headline: 52.0,
    sub: 0.0,
    call: 30.0,
    number: 92.0,
    hours: 26.0,
    cost: 24.0,
    qr: 240.0,
    heading: 0.0,
    body: 26.0,
    small: 22.0,
    gap: 22.0,
};

struct Poster<'a, 'f> {
    common: &'a Common<'a>,
    set: &'a PosterSet,
    canvas: Canvas<'f>,
    s: &'a Sizes,
    width: f64,
}

impl Poster<'_, '_> {
    fn content_width(&self) -> f64 {
        self.width - 2.0 * self.s.margin
    }

    fn eyebrow(&self) -> String {
        match self.set.target {
            Target::Territory => self.common.site_title.to_string(),
            Target::Cpts(_) => self.set.title.clone(),
        }
    }

    /// The accent band with the headline, from the top edge (and beyond, for bleed); returns its height.
    fn band(&mut self, width: f64) -> f64 {
        let (m, s) = (self.s.margin, self.s);
        let mut y = m * 0.6;
        let eyebrow = self.eyebrow();
        y += self.canvas.paragraph(
            m,
            y,
            width,
            &eyebrow,
            Style::new(s.eyebrow, Weight::Bold, Ink::OnAccent),
        );
        y += s.eyebrow * 0.3;
        let headline = Style {
            leading: 1.12,
            ..Style::new(s.headline, Weight::Bold, Ink::OnAccent)
        };
        let text = self.set.texts.headline.clone();
        y += self.canvas.paragraph(m, y, width, &text, headline);
        if s.sub > 0.0 {
            y += s.sub * 0.3;
            let sub = self.set.texts.subheadline.clone();
            y += self.canvas.paragraph(
                m,
                y,
                width,
                &sub,
                Style::new(s.sub, Weight::Regular, Ink::OnAccent),
            );
        }
        y += m * 0.55;
        // Drawn under the text: insert the band first.
        let band = format!(
            r#"<rect x="-100" y="-100" width="{:.2}" height="{:.2}" fill="{}"/>
"#,
            self.width + 200.0,
            y + 100.0,
            ACCENT.hex()
        );
        self.canvas.prepend(&band);
        y
    }

    /// "Appelez le", the number in very large digits, hours and cost; returns the height used.
    fn phone(&mut self, x: f64, top: f64, width: f64) -> f64 {
        let s = self.s;
        let c = self.common;
        let mut y = top;
        y += self.canvas.paragraph(
            x,
            y,
            width,
            "Appelez le",
            Style::new(s.call, Weight::Bold, Ink::Body),
        );
        let number = c.phone_number.replace(' ', "\u{a0}");
        let size = self.canvas.fit(&number, s.number, Weight::Bold, width);
        let style = Style {
            leading: 1.1,
            ..Style::new(size, Weight::Bold, Ink::Accent)
        };
        y += self.canvas.paragraph(x, y, width, &number, style);
        y += self.canvas.paragraph(
            x,
            y,
            width,
            c.phone_hours,
            Style::new(s.hours, Weight::Regular, Ink::Body),
        );
        let cost = capitalised(c.phone_cost);
        y += self.canvas.paragraph(
            x,
            y,
            width,
            &cost,
            Style::new(s.cost, Weight::Regular, Ink::Muted),
        );
        y - top
    }

    /// The form's address in bold, on one line if it fits, else cut before its path.
    fn address(&mut self, x: f64, top: f64, width: f64, size: f64) -> f64 {
        let address = self.common.short_address.clone();
        let style = Style::new(size, Weight::Bold, Ink::Accent);
        if self.canvas.fonts.width(&address, size, Weight::Bold) <= width {
            return self.canvas.paragraph(x, top, width, &address, style);
        }
        let (host, path) = address.split_at(address.find('/').unwrap_or(address.len()));
        let mut h = self.canvas.paragraph(x, top, width, host, style);
        h += self.canvas.paragraph(x, top + h, width, path, style);
        h
    }

    /// QR code on the left, how to register online on its right; returns the height used.
    fn online(&mut self, top: f64, qr: &Qr, with_help: bool) -> f64 {
        let (m, s) = (self.s.margin, self.s);
        // The quiet zone is white on white: align the code itself, not its margin, with the text.
        let quiet = s.qr * super::qr::QUIET_ZONE as f64 / qr.side_with_quiet_zone() as f64;
        self.canvas.raw(&qr.svg(m - quiet, top, s.qr));
        let x = m - quiet + s.qr + s.gap * 0.5;
        let width = self.width - m - x;
        let mut y = top + quiet * 0.6;
        y += self.canvas.paragraph(
            x,
            y,
            width,
            "Ou inscrivez-vous en ligne :",
            Style::new(s.heading.max(s.body), Weight::Bold, Ink::Body),
        );
        y += self.canvas.paragraph(
            x,
            y,
            width,
            "scannez le code, ou tapez l'adresse :",
            Style::new(s.body, Weight::Regular, Ink::Body),
        );
        y += s.body * 0.2;
        y += self.address(x, y, width, s.body * 1.1);
        if with_help {
            y += s.body * 0.4;
            let help = self.set.texts.help.clone();
            y += self.canvas.paragraph(
                x,
                y,
                width,
                &help,
                Style::new(s.body, Weight::Regular, Ink::Body),
            );
        }
        (y - top).max(s.qr)
    }

    /// The three steps, numbered; returns the height used.
    fn steps(&mut self, x: f64, top: f64, width: f64) -> f64 {
        let s = self.s;
        let mut y = top;
        y += self.canvas.paragraph(
            x,
            y,
            width,
            "Ce qui va se passer",
            Style::new(s.heading, Weight::Bold, Ink::Accent),
        );
        y += s.body * 0.3;
        let r = s.body * 0.62;
        let steps = self.set.texts.steps.clone();
        for (i, step) in steps.iter().enumerate() {
            self.canvas.circle(x + r, y + r, r, ACCENT);
            let digit = (i + 1).to_string();
            let dw = self.canvas.fonts.width(&digit, s.body, Weight::Bold);
            self.canvas.line(
                x + r - dw / 2.0,
                y + r + s.body * 0.36,
                &digit,
                Style::new(s.body, Weight::Bold, Ink::OnAccent),
            );
            let tx = x + 2.0 * r + s.body * 0.6;
            let h = self.canvas.paragraph(
                tx,
                y + (2.0 * r - s.body * 1.25) / 2.0,
                x + width - tx,
                step,
                Style::new(s.body, Weight::Regular, Ink::Body),
            );
            y += h.max(2.0 * r) + s.body * 0.35;
        }
        y - top
    }

    /// "Not an emergency" box across the content width; returns its height.
    fn not_emergency(&mut self, top: f64, lines: &[&str]) -> f64 {
        let (m, s) = (self.s.margin, self.s);
        let pad = s.body * 0.6;
        let width = self.content_width() - 2.0 * pad;
        // Measure first, draw the box, then the text over it.
        let mut probe = Canvas::new(self.canvas.fonts);
        let mut h = probe.paragraph(
            0.0,
            0.0,
            width,
            "Ce n'est pas un service d'urgence.",
            Style::new(s.body * 1.1, Weight::Bold, Ink::WarningOnNote),
        );
        for line in lines {
            h += probe.paragraph(
                0.0,
                0.0,
                width,
                line,
                Style::new(s.body, Weight::Regular, Ink::OnNote),
            );
        }
        let height = h + 2.0 * pad;
        self.canvas
            .rect(m, top, self.content_width(), height, NOTE, s.body * 0.4);
        let mut y = top + pad;
        y += self.canvas.paragraph(
            m + pad,
            y,
            width,
            "Ce n'est pas un service d'urgence.",
            Style::new(s.body * 1.1, Weight::Bold, Ink::WarningOnNote),
        );
        for line in lines {
            y += self.canvas.paragraph(
                m + pad,
                y,
                width,
                line,
                Style::new(s.body, Weight::Regular, Ink::OnNote),
            );
        }
        height
    }

    /// Partner logos in a row of boxes `height` high, starting at `top`.
    fn logos(&mut self, top: f64, height: f64) {
        let n = self.set.logos.len();
        if n == 0 {
            return;
        }
        let gap = self.s.gap;
        let cell = ((self.content_width() + gap) / n as f64 - gap).min(height * 3.2);
        for (i, logo) in self.set.logos.iter().enumerate() {
            let x = self.s.margin + i as f64 * (cell + gap);
            let [vx, vy, vw, vh] = logo.view_box;
            self.canvas.raw(&format!(
                r#"<svg x="{x:.2}" y="{top:.2}" width="{cell:.2}" height="{height:.2}" viewBox="{vx} {vy} {vw} {vh}" preserveAspectRatio="xMinYMid meet">{}</svg>
"#,
                logo.inner
            ));
        }
    }

    fn towns(&self, per_cpts: usize) -> Vec<usize> {
        let t = self.common.territory;
        match self.set.target {
            Target::Territory => t
                .cpts
                .iter()
                .flat_map(|c| c.main_towns.iter().take(per_cpts).copied())
                .collect(),
            Target::Cpts(i) => t.cpts[i]
                .main_towns
                .iter()
                .take(per_cpts + 2)
                .copied()
                .collect(),
        }
    }
}

/// Whether a commune is painted as part of the poster's CPTS (all CPTS for the territory).
fn highlighted(target: Target) -> impl Fn(&Commune) -> bool {
    move |c: &Commune| match target {
        Target::Territory => c.cpts.is_some(),
        Target::Cpts(i) => c.cpts == Some(i),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

const NOT_EMERGENCY: [&str; 3] = [
    "Urgence : appelez le 15 (ou le 112).",
    "Le soir et le week-end, si votre médecin est fermé : 116 117.",
    "Médicaments la nuit ou le dimanche : pharmacie de garde, 3237.",
];

pub fn draw(common: &Common, set: &PosterSet, format: Format) -> Result<Drawn, String> {
    let qr = Qr::new(&qr_url(common, set, format))?;
    match format.medium() {
        Medium::Print { width, bleed, .. } => {
            let page = if format == Format::A5 {
                &A5_PAGE
            } else {
                &A4_PAGE
            };
            Ok(print(common, set, &qr, page, width, bleed))
        }
        Medium::Screen { width, height } => Ok(screen(
            common,
            set,
            &qr,
            format,
            f64::from(width),
            f64::from(height),
        )),
    }
}

/// A print layout: its sizes, its page in its own units, and what a smaller page leaves out.
struct Page {
    sizes: &'static Sizes,
    width: f64,
    height: f64,
    /// The territory's map beside the number (too small to read on a flyer).
    map: bool,
    /// The help line beside the QR code and the priority paragraph.
    details: bool,
}

const A4_PAGE: Page = Page {
    sizes: &PRINT,
    width: A4_WIDTH,
    height: A4_HEIGHT,
    map: true,
    details: true,
};

const A5_PAGE: Page = Page {
    sizes: &FLYER,
    width: A5_WIDTH,
    height: A5_HEIGHT,
    map: false,
    details: false,
};

/// A4 and A3: the A4 layout scaled to the paper `width` (mm); A5: the flyer's own layout.
fn print(
    common: &Common,
    set: &PosterSet,
    qr: &Qr,
    page: &Page,
    width_mm: f64,
    bleed_mm: f64,
) -> Drawn {
    let s = page.sizes;
    let mut p = Poster {
        common,
        set,
        canvas: Canvas::new(common.fonts),
        s,
        width: page.width,
    };
    let (m, cw) = (s.margin, page.width - 2.0 * s.margin);
    let mut y = p.band(cw);
    y += s.gap;
    // The phone number, and the map of the territory on its right.
    let map_width = if page.map { 120.0 } else { -s.gap };
    let top = y;
    let phone_height = p.phone(m, y, cw - map_width - s.gap);
    if page.map {
        let highlighted = highlighted(set.target);
        let towns = p.towns(1);
        let mut map_canvas = Canvas::new(common.fonts);
        map::draw(
            &mut map_canvas,
            common.territory,
            &highlighted,
            &towns,
            [page.width - m - map_width, top, map_width, phone_height],
            s.small,
        );
        p.canvas.absorb(map_canvas);
    }
    y += phone_height + s.gap;
    y += p.online(y, qr, page.details);
    y += s.gap;
    y += p.steps(m, y, cw);
    if page.details {
        y += s.gap * 0.3;
        let priority = set.texts.priority.clone();
        y += p.canvas.paragraph(
            m,
            y,
            cw,
            &priority,
            Style::new(s.body, Weight::Regular, Ink::Body),
        );
    }
    y += s.gap;
    y += p.not_emergency(y, &NOT_EMERGENCY);

    // Footer, from the bottom margin up: privacy and edition lines, logos above them.
    let privacy = format!(
        "{}. Vos données personnelles : {}",
        common.edition, common.privacy_address
    );
    let mut probe = Canvas::new(common.fonts);
    let footer_style = Style::new(s.small, Weight::Regular, Ink::Muted);
    let text_height = probe.paragraph(0.0, 0.0, cw, &privacy, footer_style);
    let text_top = page.height - m - text_height;
    let logo_height = if page.map { 32.0 } else { 24.0 };
    let logo_top = text_top - s.gap * 0.5 - logo_height;
    let footer_top = if set.logos.is_empty() {
        text_top
    } else {
        logo_top
    };
    p.logos(logo_top, logo_height);
    p.canvas.paragraph(m, text_top, cw, &privacy, footer_style);
    let overflow = (y + s.gap * 0.5 - footer_top).max(0.0);

    let scale = mm_to_pt(width_mm) / page.width;
    let bleed = mm_to_pt(bleed_mm) / scale;
    let min_font_size = p.canvas.min_font_size * scale;
    let svg = p.canvas.finish(
        [
            -bleed,
            -bleed,
            page.width + 2.0 * bleed,
            page.height + 2.0 * bleed,
        ],
        PAPER,
    );
    let pt_to_mm = 25.4 / 72.0 * scale;
    let module = s.qr / qr.side_with_quiet_zone() as f64;
    Drawn {
        svg,
        min_font_size,
        qr_code_mm: module * qr.modules as f64 * pt_to_mm,
        qr_total_mm: s.qr * pt_to_mm,
        overflow,
    }
}

/// Square and portrait images for social networks, and the link-preview image.
fn screen(
    common: &Common,
    set: &PosterSet,
    qr: &Qr,
    format: Format,
    width: f64,
    height: f64,
) -> Drawn {
    let s = if format == Format::Share {
        &SHARE
    } else {
        &SOCIAL
    };
    let mut p = Poster {
        common,
        set,
        canvas: Canvas::new(common.fonts),
        s,
        width,
    };
    let (m, cw) = (s.margin, width - 2.0 * s.margin);
    let mut y = p.band(cw);
    y += s.gap;
    let footer_line = "Urgence : 15. Le soir et le week-end : 116 117.";
    let footer_top;
    if format == Format::Share {
        // Phone on the left, QR code on the right, the address under the phone.
        let qr_x = width - m - s.qr;
        let left = qr_x - m - s.gap;
        let top = y;
        y += p.phone(m, y, left);
        y += s.gap * 0.5;
        y += p.canvas.paragraph(
            m,
            y,
            left,
            "Inscription en ligne :",
            Style::new(s.body, Weight::Bold, Ink::Body),
        );
        y += p.address(m, y, left, s.body);
        let qr_top = top.min(height - m - s.qr);
        p.canvas.raw(&qr.svg(qr_x, qr_top, s.qr));
        footer_top = height - m - s.small * 1.25;
        p.canvas.paragraph(
            m,
            footer_top,
            cw,
            footer_line,
            Style::new(s.small, Weight::Bold, Ink::Body),
        );
    } else {
        y += p.phone(m, y, cw);
        y += s.gap;
        y += p.online(y, qr, false);
        if format == Format::Portrait {
            y += s.gap * 1.2;
            y += p.steps(m, y, cw);
        }
        let line = s.small * 1.3;
        footer_top = height - m - 2.0 * line;
        p.canvas.paragraph(
            m,
            footer_top,
            cw,
            footer_line,
            Style::new(s.small, Weight::Bold, Ink::Body),
        );
        let edition = format!("{} · {}", common.edition, common.site_title);
        p.canvas.paragraph(
            m,
            footer_top + line,
            cw,
            &edition,
            Style::new(s.small, Weight::Regular, Ink::Muted),
        );
    }
    let overflow = (y - footer_top).max(0.0);
    let min_font_size = p.canvas.min_font_size;
    let svg = p.canvas.finish([0.0, 0.0, width, height], PAPER);
    Drawn {
        svg,
        min_font_size,
        qr_code_mm: 0.0,
        qr_total_mm: 0.0,
        overflow,
    }
}

/// Text and background colours used by the layouts (for the contrast test).
pub fn colours_used() -> Vec<(Colour, Colour)> {
    let mut pairs: Vec<(Colour, Colour)> = Ink::ALL.iter().map(|i| i.pair()).collect();
    pairs.push((INK, PAPER));
    pairs
}
