//! The territory map of a poster: commune contours in Web-Mercator, the poster's CPTS highlighted,
//! main towns named. Kept private to posters; the web map (site/src/map/) has its own projection
//! for now, the two could share one later.

use std::f64::consts::FRAC_PI_4;
use std::fmt::Write;

use territory::{Commune, Territory};

use super::colours::{INK, MAP_HIGHLIGHT, MAP_OTHER, PAPER};
use super::fonts::{FAMILY, Weight};
use super::svg::{Canvas, Style, escape};

/// Spherical Web-Mercator, in radians-sized units (the scale is fitted afterwards).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon.to_radians();
    let y = (FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln();
    (x, y)
}

/// Maps projected points into a box, keeping proportions, north up.
struct Frame {
    min_x: f64,
    max_y: f64,
    scale: f64,
    left: f64,
    top: f64,
}

impl Frame {
    fn fit(communes: &[Commune], x: f64, y: f64, w: f64, h: f64) -> Option<Self> {
        let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
        let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for c in communes {
            for ring in c.geometry.iter().flat_map(|p| p.first()) {
                for &[lon, lat] in ring {
                    let (px, py) = mercator(lon, lat);
                    min_x = min_x.min(px);
                    max_x = max_x.max(px);
                    min_y = min_y.min(py);
                    max_y = max_y.max(py);
                }
            }
        }
        let (span_x, span_y) = (max_x - min_x, max_y - min_y);
        if !(span_x > 0.0 && span_y > 0.0) {
            return None;
        }
        let scale = (w / span_x).min(h / span_y);
        Some(Self {
            min_x,
            max_y,
            scale,
            left: x + (w - span_x * scale) / 2.0,
            top: y + (h - span_y * scale) / 2.0,
        })
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (px, py) = mercator(lon, lat);
        (
            self.left + (px - self.min_x) * self.scale,
            self.top + (self.max_y - py) * self.scale,
        )
    }
}

/// Appends the outline of `commune` to `path`, dropping points closer than `tolerance` units.
fn trace(path: &mut String, commune: &Commune, frame: &Frame, tolerance: f64) {
    for ring in commune.geometry.iter().flatten() {
        let mut kept: Vec<(f64, f64)> = Vec::with_capacity(ring.len());
        for &[lon, lat] in ring {
            let p = frame.project(lon, lat);
            if kept
                .last()
                .is_none_or(|q| (p.0 - q.0).hypot(p.1 - q.1) >= tolerance)
            {
                kept.push(p);
            }
        }
        if kept.len() < 3 {
            continue;
        }
        for (i, (x, y)) in kept.iter().enumerate() {
            let _ = write!(path, "{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' });
        }
        path.push('Z');
    }
}

/// Draws the map in the box (`x`, `y`, `w`, `h`): every commune of the territory, those for which
/// `highlighted` holds in colour, and the `towns` (commune indices) named at `label_size`.
pub fn draw(
    canvas: &mut Canvas,
    territory: &Territory,
    highlighted: &dyn Fn(&Commune) -> bool,
    towns: &[usize],
    [x, y, w, h]: [f64; 4],
    label_size: f64,
) {
    let Some(frame) = Frame::fit(&territory.communes, x, y, w, h) else {
        return;
    };
    let tolerance = w / 400.0;
    let (mut other, mut lit) = (String::new(), String::new());
    for c in &territory.communes {
        trace(
            if highlighted(c) { &mut lit } else { &mut other },
            c,
            &frame,
            tolerance,
        );
    }
    let border = w / 700.0;
    for (d, fill) in [(other, MAP_OTHER), (lit, MAP_HIGHLIGHT)] {
        if !d.is_empty() {
            canvas.raw(&format!(
                r#"<path d="{d}" fill="{}" fill-rule="evenodd" stroke="{}" stroke-width="{border:.2}" stroke-linejoin="round"/>
"#,
                fill.hex(),
                PAPER.hex()
            ));
        }
    }
    let style = Style::new(label_size, Weight::Bold, super::colours::Ink::MapLabel);
    let mut placed: Vec<[f64; 4]> = Vec::new();
    for &i in towns {
        let Some(town) = territory.communes.get(i) else {
            continue;
        };
        let (cx, cy) = frame.project(town.centre.lon, town.centre.lat);
        let r = label_size * 0.22;
        let width = canvas.fonts.width(&town.name, label_size, Weight::Bold);
        let gap = label_size * 0.35;
        // Right of the dot, or left of it, or under it, whichever stays inside the map.
        let baseline = cy + label_size * 0.35;
        let (tx, ty) = if cx + gap + width <= x + w {
            (cx + gap, baseline)
        } else if cx - gap - width >= x {
            (cx - gap - width, baseline)
        } else if width <= w {
            (
                (cx - width / 2.0).clamp(x, x + w - width),
                cy + label_size * 1.15,
            )
        } else {
            continue;
        };
        let bbox = [tx, ty - label_size * 0.75, width, label_size];
        if placed.iter().any(|b| overlaps(b, &bbox)) {
            continue;
        }
        placed.push(bbox);
        canvas.circle(cx, cy, r, INK);
        canvas.min_font_size = canvas.min_font_size.min(style.size);
        canvas.raw(&format!(
            r#"<text x="{tx:.2}" y="{:.2}" font-family="{FAMILY}" font-size="{label_size:.2}" font-weight="700" fill="{}" stroke="{}" stroke-width="{:.2}" stroke-linejoin="round" paint-order="stroke">{}</text>
"#,
            ty,
            INK.hex(),
            PAPER.hex(),
            label_size * 0.22,
            escape(&town.name)
        ));
    }
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_keeps_north_up_and_equator_at_zero() {
        let (x, y) = mercator(0.0, 0.0);
        assert!(x.abs() < 1e-12 && y.abs() < 1e-12);
        let (_, y_south) = mercator(4.7, 49.5);
        let (_, y_north) = mercator(4.7, 50.0);
        assert!(y_north > y_south);
    }
}
