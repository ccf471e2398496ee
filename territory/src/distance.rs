//! Great-circle distances on a spherical Earth.

use crate::model::{Doctor, LonLat};

/// Mean Earth radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km (haversine formula, accurate at every scale we use).
pub fn great_circle_km(a: LonLat, b: LonLat) -> f64 {
    Prepared::new(a).great_circle_km(&Prepared::new(b))
}

/// A point with the part of the haversine formula that depends on it alone, computed once to
/// measure many distances from it (the same distances, to the bit, as `great_circle_km`).
#[derive(Debug, Clone, Copy)]
pub struct Prepared {
    lon: f64,
    lat_rad: f64,
    cos_lat: f64,
}

impl Prepared {
    pub fn new(p: LonLat) -> Self {
        let lat_rad = p.lat.to_radians();
        Prepared {
            lon: p.lon,
            lat_rad,
            cos_lat: lat_rad.cos(),
        }
    }

    pub fn great_circle_km(&self, b: &Prepared) -> f64 {
        let dlat = b.lat_rad - self.lat_rad;
        let dlon = (b.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + self.cos_lat * b.cos_lat * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// The point on a sphere of Earth's radius, in km. Straight-line (chord) distance between two such
/// points grows with the great-circle distance, so a 3-D spatial index gives exact neighbours.
pub(crate) fn to_cartesian_km(p: LonLat) -> [f64; 3] {
    let (lon, lat) = (p.lon.to_radians(), p.lat.to_radians());
    [
        EARTH_RADIUS_KM * lat.cos() * lon.cos(),
        EARTH_RADIUS_KM * lat.cos() * lon.sin(),
        EARTH_RADIUS_KM * lat.sin(),
    ]
}

/// The chord length matching a great-circle distance.
pub(crate) fn chord_km(great_circle_km: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (great_circle_km / (2.0 * EARTH_RADIUS_KM)).sin()
}

impl Doctor {
    /// The distance in km from `centre` to the nearest of his practices: the one a patient there
    /// would go to, and the one his home visits start from.
    pub fn distance_km(&self, centre: LonLat) -> f64 {
        self.other_practices
            .iter()
            .map(|p| great_circle_km(centre, p.location))
            .fold(great_circle_km(centre, self.location), f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sedan_to_rethel() {
        let sedan = LonLat {
            lon: 4.9394,
            lat: 49.7019,
        };
        let rethel = LonLat {
            lon: 4.3675,
            lat: 49.5097,
        };
        let d = great_circle_km(sedan, rethel);
        assert!((d - 46.8).abs() < 1.0, "{d}");
    }

    #[test]
    fn paris_to_new_york() {
        let paris = LonLat {
            lon: 2.3522,
            lat: 48.8566,
        };
        let new_york = LonLat {
            lon: -74.0060,
            lat: 40.7128,
        };
        assert!((great_circle_km(paris, new_york) - 5837.0).abs() < 10.0);
    }

    #[test]
    fn chord_matches_cartesian_distance() {
        let a = LonLat {
            lon: 4.0,
            lat: 49.0,
        };
        let b = LonLat {
            lon: 4.5,
            lat: 49.3,
        };
        let (pa, pb) = (to_cartesian_km(a), to_cartesian_km(b));
        let straight = (0..3).map(|i| (pa[i] - pb[i]).powi(2)).sum::<f64>().sqrt();
        assert!((straight - chord_km(great_circle_km(a, b))).abs() < 1e-6);
    }
}
