//! Commune contours as `geo` shapes: conversion, simplification (Douglas–Peucker, crate `geo`),
//! unions for CPTS perimeters, bounding boxes and compact coordinate text.

use std::fmt::Write as _;

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Simplify, unary_union};

/// Decimal places kept in the map data: 4 places is about 11 m, below a pixel at street level.
pub const DECIMALS: usize = 4;

/// The contour of a commune as a `geo` multipolygon, oriented (outlines counter-clockwise).
pub fn to_geo(polygons: &[territory::Polygon]) -> MultiPolygon<f64> {
    let polygons = polygons
        .iter()
        .filter_map(|rings| {
            let mut rings = rings.iter().map(|ring| {
                LineString::from(
                    ring.iter()
                        .map(|&[x, y]| Coord { x, y })
                        .collect::<Vec<_>>(),
                )
            });
            let exterior = rings.next()?;
            Some(Polygon::new(exterior, rings.collect()).orient(Direction::Default))
        })
        .collect();
    MultiPolygon::new(polygons)
}

/// Simplified with tolerance `epsilon` (degrees); polygons that would vanish keep their outline.
pub fn simplify(shape: &MultiPolygon<f64>, epsilon: f64) -> MultiPolygon<f64> {
    if epsilon <= 0.0 {
        return shape.clone();
    }
    shape.simplify(epsilon)
}

/// One outline for a set of communes (a CPTS perimeter), small holes and slivers left out.
pub fn union(shapes: &[&MultiPolygon<f64>], min_hole_deg2: f64) -> MultiPolygon<f64> {
    let merged = unary_union(shapes.iter().copied());
    MultiPolygon::new(
        merged
            .into_iter()
            .map(|p| {
                let (exterior, interiors) = p.into_inner();
                let interiors = interiors
                    .into_iter()
                    .filter(|r| ring_area(r).abs() >= min_hole_deg2)
                    .collect();
                Polygon::new(exterior, interiors)
            })
            .collect(),
    )
}

fn ring_area(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

/// [west, south, east, north] of a shape, or `None` when it is empty.
pub fn bbox(shape: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

pub fn extend(a: Option<[f64; 4]>, b: [f64; 4]) -> [f64; 4] {
    match a {
        None => b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// A number with at most `DECIMALS` places and no trailing zeros: "4.9439", "49.7", "5".
/// Written from integers: `format!` of floats was a tenth of a national build.
pub fn number(out: &mut String, value: f64) {
    use std::fmt::Write as _;
    const UNIT: u64 = 10u64.pow(DECIMALS as u32);
    let scaled = (value * UNIT as f64).round();
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        let _ = write!(out, "{value}");
        return;
    }
    let scaled = scaled as i64;
    if scaled < 0 {
        out.push('-');
    }
    let magnitude = scaled.unsigned_abs();
    let (whole, mut fraction) = (magnitude / UNIT, magnitude % UNIT);
    let _ = write!(out, "{whole}");
    if fraction > 0 {
        let mut digits = DECIMALS;
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{fraction:0digits$}");
    }
}

/// GeoJSON "coordinates" of a MultiPolygon (rounded; repeated points after rounding dropped).
pub fn write_multipolygon(out: &mut String, shape: &MultiPolygon<f64>) {
    out.push('[');
    for (i, polygon) in shape.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (j, ring) in rings.enumerate() {
            if j > 0 {
                out.push(',');
            }
            write_ring(out, ring);
        }
        out.push(']');
    }
    out.push(']');
}

fn write_ring(out: &mut String, ring: &LineString<f64>) {
    out.push('[');
    let mut last = String::new();
    let mut first = true;
    for c in ring.coords() {
        let mut pair = String::new();
        pair.push('[');
        number(&mut pair, c.x);
        pair.push(',');
        number(&mut pair, c.y);
        pair.push(']');
        if pair == last {
            continue;
        }
        if !first {
            out.push(',');
        }
        out.push_str(&pair);
        first = false;
        last = pair;
    }
    out.push(']');
}

/// A point as GeoJSON coordinates.
pub fn write_point(out: &mut String, lon: f64, lat: f64) {
    out.push('[');
    number(out, lon);
    out.push(',');
    number(out, lat);
    out.push(']');
}

/// Writes `value` as a JSON string literal.
pub fn json_string(out: &mut String, value: &str) {
    let _ = write!(out, "{}", serde_json::Value::from(value));
}

#[cfg(test)]
mod tests {
    use super::number;

    fn written(value: f64) -> String {
        let mut out = String::new();
        number(&mut out, value);
        out
    }

    #[test]
    fn numbers_are_rounded_without_trailing_zeros() {
        assert_eq!(written(4.943_91), "4.9439");
        assert_eq!(written(49.7), "49.7");
        assert_eq!(written(5.0), "5");
        assert_eq!(written(0.0001), "0.0001");
        assert_eq!(written(12.340_01), "12.34");
        assert_eq!(written(-4.1), "-4.1");
        assert_eq!(written(-0.000_01), "0");
        assert_eq!(written(-0.5), "-0.5");
    }
}
