//! A static SVG map drawn on the server, in Web-Mercator like the interactive map: works without
//! JavaScript or WebGL. Each commune is filled with its status's pattern and carries its status in
//! a `data-statut` attribute and a `<title>`. The main towns are named on the drawing, largest
//! first, each label kept only where it overlaps no other.

use std::fmt::Write as _;

use geo::MultiPolygon;

use super::geometry;
use super::status::{ALL, Pattern, Status};

/// Web-Mercator scaled to fit a bounding box into `width` pixels.
pub struct Projection {
    west: f64,
    north_y: f64,
    scale: f64,
    pub width: f64,
    pub height: f64,
    /// Degrees of longitude per pixel: the simplification tolerance for this drawing.
    pub degrees_per_pixel: f64,
}

fn mercator_y(lat: f64) -> f64 {
    let phi = lat.clamp(-85.0, 85.0).to_radians();
    (std::f64::consts::FRAC_PI_4 + phi / 2.0).tan().ln()
}

impl Projection {
    pub fn fit(bbox: [f64; 4], width: f64) -> Self {
        let [west, south, east, north] = bbox;
        let span_x = (east - west).to_radians().max(1e-9);
        let span_y = (mercator_y(north) - mercator_y(south)).max(1e-9);
        let scale = width / span_x;
        Projection {
            west,
            north_y: mercator_y(north),
            scale,
            width,
            height: (span_y * scale).ceil(),
            degrees_per_pixel: (east - west) / width,
        }
    }

    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.west).to_radians() * self.scale,
            (self.north_y - mercator_y(lat)) * self.scale,
        )
    }
}

/// One commune to draw.
pub struct Area<'a> {
    pub shape: &'a MultiPolygon<f64>,
    pub status: Status,
    pub code: &'a str,
    pub name: &'a str,
    pub highlighted: bool,
}

/// A town to name on the map, at its centre.
pub struct Label<'a> {
    pub lon: f64,
    pub lat: f64,
    pub name: &'a str,
}

/// At most this many town names on one drawing.
pub const MAX_LABELS: usize = 8;

/// A map of `areas` (and outlines such as CPTS perimeters) `width` pixels wide, naming the
/// `labels` that fit (in order of importance).
pub fn render(
    areas: &[Area<'_>],
    outlines: &[&MultiPolygon<f64>],
    labels: &[Label<'_>],
    bbox: [f64; 4],
    width: f64,
    title: &str,
) -> String {
    let margin = 0.01 * (bbox[2] - bbox[0]).max(bbox[3] - bbox[1]);
    let bbox = [
        bbox[0] - margin,
        bbox[1] - margin,
        bbox[2] + margin,
        bbox[3] + margin,
    ];
    let p = Projection::fit(bbox, width);
    // Details under a pixel and a half do not show.
    let tolerance = p.degrees_per_pixel * 1.5;
    let mut out = String::with_capacity(areas.len() * 200 + 2000);
    let _ = write!(
        out,
        "<svg class=\"carte-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"carte-svg-titre\"><title id=\"carte-svg-titre\">",
        p.width, p.height
    );
    push_text(&mut out, title);
    out.push_str("</title>");
    out.push_str(&pattern_defs());
    let mut highlighted = Vec::new();
    for area in areas {
        let shape = geometry::simplify(area.shape, tolerance);
        let d = path(&p, &shape);
        if d.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<path class=\"s-{}\" data-code=\"{}\" data-statut=\"{}\" d=\"{d}\"><title>",
            area.status.code(),
            area.code,
            area.status.code()
        );
        push_text(&mut out, area.name);
        out.push_str(" : ");
        push_text(&mut out, area.status.short_label());
        out.push_str("</title></path>");
        if area.highlighted {
            highlighted.push(d);
        }
    }
    for shape in outlines {
        let d = path(&p, &geometry::simplify(shape, tolerance));
        let _ = write!(out, "<path class=\"perimetre\" d=\"{d}\"/>");
    }
    for d in highlighted {
        let _ = write!(out, "<path class=\"ici\" d=\"{d}\"/>");
    }
    push_labels(&mut out, &p, labels);
    out.push_str("</svg>");
    out
}

/// The size of town names in drawing units: about 12 px once the drawing fills a phone's width.
pub fn label_size(width: f64) -> f64 {
    (width / 30.0).round()
}

/// Town names with a dot at each town's centre, right of the dot (or left of it near the right
/// edge), skipping any that would overlap a name already placed or leave the drawing. Hidden
/// from screen readers: each commune's `<title>` already names it.
fn push_labels(out: &mut String, p: &Projection, labels: &[Label<'_>]) {
    let size = label_size(p.width);
    let mut placed: Vec<[f64; 4]> = Vec::new();
    let mut group = String::new();
    let mut named = 0;
    for label in labels {
        if named == MAX_LABELS {
            break;
        }
        let (cx, cy) = p.project(label.lon, label.lat);
        // Bold sans-serif: about 0.62 em a character, a little more for safety.
        let text_width = label.name.chars().count() as f64 * size * 0.66;
        let gap = size * 0.4;
        let tx = if cx + gap + text_width <= p.width {
            cx + gap
        } else if cx - gap - text_width >= 0.0 {
            cx - gap - text_width
        } else {
            continue;
        };
        let baseline = cy + size * 0.35;
        // With room for the letters' halo and for glyphs wider than the estimate.
        let bbox = [
            tx - size * 0.15,
            baseline - size * 1.05,
            text_width + size * 0.3,
            size * 1.4,
        ];
        if bbox[1] < 0.0 || bbox[1] + bbox[3] > p.height {
            continue;
        }
        let dot = [cx - size * 0.3, cy - size * 0.3, size * 0.6, size * 0.6];
        if placed
            .iter()
            .any(|b| overlaps(b, &bbox) || overlaps(b, &dot))
        {
            continue;
        }
        placed.push(bbox);
        placed.push(dot);
        named += 1;
        let _ = write!(
            group,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{:.1}\"/><text x=\"{tx:.1}\" y=\"{baseline:.1}\" font-size=\"{size}\">",
            size * 0.22
        );
        push_text(&mut group, label.name);
        group.push_str("</text>");
    }
    if !group.is_empty() {
        let _ = write!(out, "<g class=\"villes\" aria-hidden=\"true\">{group}</g>");
    }
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/// The patterns of the four statuses, shared by the map and the legend of the same page.
pub fn pattern_defs() -> String {
    let mut out = String::from("<defs>");
    for status in ALL {
        let look = status.look();
        let (c, bg) = (look.colour, look.background);
        let body = match look.pattern {
            Pattern::Solid => format!("<rect width=\"8\" height=\"8\" fill=\"{c}\"/>"),
            Pattern::Stripes => format!(
                "<rect width=\"8\" height=\"8\" fill=\"{bg}\"/><rect width=\"4\" height=\"8\" fill=\"{c}\"/>"
            ),
            Pattern::Dots => format!(
                "<rect width=\"8\" height=\"8\" fill=\"{bg}\"/><circle cx=\"4\" cy=\"4\" r=\"2.2\" fill=\"{c}\"/>"
            ),
            Pattern::Cross => format!(
                "<rect width=\"8\" height=\"8\" fill=\"{bg}\"/><path d=\"M0 0L8 8M8 0L0 8\" stroke=\"{c}\" stroke-width=\"1.5\"/>"
            ),
        };
        let rotate = if look.pattern == Pattern::Stripes {
            " patternTransform=\"rotate(45)\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<pattern id=\"m-{}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"{rotate}>{body}</pattern>",
            status.code()
        );
    }
    out.push_str("</defs>");
    out
}

/// SVG path data: absolute move, then relative lines, one decimal.
fn path(p: &Projection, shape: &MultiPolygon<f64>) -> String {
    let mut d = String::new();
    for polygon in shape {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let mut previous: Option<(i64, i64)> = None;
            let mut points = 0;
            let start = d.len();
            for c in ring.coords() {
                let (x, y) = p.project(c.x, c.y);
                let (x, y) = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
                match previous {
                    None => {
                        let _ = write!(d, "M{} {}", tenths(x), tenths(y));
                    }
                    Some((px, py)) if (px, py) == (x, y) => continue,
                    Some((px, py)) => {
                        let _ = write!(d, "l{} {}", tenths(x - px), tenths(y - py));
                    }
                }
                points += 1;
                previous = Some((x, y));
            }
            if points < 3 {
                d.truncate(start);
            } else {
                d.push('z');
            }
        }
    }
    d
}

fn tenths(v: i64) -> String {
    if v % 10 == 0 {
        (v / 10).to_string()
    } else {
        format!(
            "{}{}.{}",
            if v < 0 { "-" } else { "" },
            v.abs() / 10,
            v.abs() % 10
        )
    }
}

fn push_text(out: &mut String, text: &str) {
    out.push_str(&crate::html::esc(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_compact() {
        assert_eq!(tenths(30), "3");
        assert_eq!(tenths(-35), "-3.5");
        assert_eq!(tenths(-5), "-0.5");
        assert_eq!(tenths(7), "0.7");
    }

    #[test]
    fn projection_keeps_north_up_and_fits_the_width() {
        let p = Projection::fit([4.0, 49.0, 5.0, 50.0], 800.0);
        let (x0, y0) = p.project(4.0, 50.0);
        let (x1, y1) = p.project(5.0, 49.0);
        assert!(x0.abs() < 1e-9 && y0.abs() < 1e-9);
        assert!((x1 - 800.0).abs() < 1e-6);
        assert!(
            y1 > 1000.0 && y1 <= p.height,
            "Mercator stretches north-south at 49°N"
        );
    }
}
