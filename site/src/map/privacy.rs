//! Where the public files place the doctors who did not opt in to being named.
//!
//! The risk: a commune's status says whether a doctor accepts within 10 km, within 20 km or not
//! at all. Around one isolated doctor, the communes saying « within 10 km » are exactly those
//! whose centre lies in his 10 km disc; intersecting those discs (and leaving out the discs of
//! the communes saying otherwise) finds him to within a commune or two. Counts per commune make
//! it easier still, but a status alone is enough: removing the counts does not protect him.
//!
//! The rule: the public files never depend on where exactly a doctor who is not named practises,
//! only on the square of a fixed grid that holds his practice. Each such doctor counts, for
//! every public status, as if he practised at the centre of his square:
//! - a square is about 11 km on a side (0.1° of latitude, 0.15° of longitude);
//! - when fewer than `COVER` doctors not named practise in that square, the square of four
//!   squares around it (about 22 km on a side) is used instead, so that a doctor is hidden
//!   among at least `COVER` colleagues wherever the roster is dense enough, and within about
//!   480 km² (the size of a small intercommunality) where it is not.
//!
//! A doctor with several practices counts at each of them, each by the same rule.
//!
//! Moving a doctor within his square changes no public byte, so no reading of the public files,
//! however clever, can place him more precisely than his square. Named doctors (opt-in) are
//! placed at their practice: their place is published anyway. No public file says how many
//! doctors accept near a commune either, only yes or no (`status::Facts`): a patient needs to
//! know whether to register, not the count, and counts would tell how many colleagues hide a
//! doctor in his square.
//!
//! The cost for patients: a status is off by up to the half-diagonal of a square (about 8 km,
//! 16 km for the larger squares); on the demo, 68 of the 447 communes change status. The
//! matching of requests uses the real places, not these.

use std::collections::HashMap;

use territory::{Doctor, LonLat};

/// The fewest doctors not named a square must hold for its own centre to be used.
pub const COVER: usize = 3;
const CELL_LAT_DEG: f64 = 0.1;
const CELL_LON_DEG: f64 = 0.15;
/// Squares double in side at each level; level 1 is the largest.
const MAX_LEVEL: u32 = 1;

fn cell(location: LonLat, level: u32) -> (i64, i64) {
    let scale = f64::from(1u32 << level);
    (
        (location.lon / (CELL_LON_DEG * scale)).floor() as i64,
        (location.lat / (CELL_LAT_DEG * scale)).floor() as i64,
    )
}

fn centre((x, y): (i64, i64), level: u32) -> LonLat {
    let scale = f64::from(1u32 << level);
    LonLat {
        lon: (x as f64 + 0.5) * CELL_LON_DEG * scale,
        lat: (y as f64 + 0.5) * CELL_LAT_DEG * scale,
    }
}

/// The doctors as the public statuses see them: named ones at their practices, the others at the
/// centre of the square of each of their practices (see the module's comment).
pub fn published_places(doctors: &[Doctor]) -> Vec<Doctor> {
    let mut places = published_practices(doctors).into_iter().peekable();
    doctors
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut shown = d.clone();
            let mut own = std::iter::from_fn(|| places.next_if(|&(p, _)| p == i).map(|(_, l)| l));
            shown.location = own.next().unwrap_or(d.location);
            for (practice, location) in shown.other_practices.iter_mut().zip(own) {
                practice.location = location;
            }
            shown
        })
        .collect()
}

/// Where each practice of each doctor counts for the public statuses: (position in `doctors`,
/// place), in the order of `doctors` and of [`Doctor::practices`].
pub fn published_practices(doctors: &[Doctor]) -> Vec<(usize, LonLat)> {
    // How many doctors not named practise in each square: a doctor with two practices in one
    // square counts once there, so that he never hides among his own practices.
    let mut hidden: Vec<HashMap<(i64, i64), usize>> = vec![HashMap::new(); MAX_LEVEL as usize + 1];
    for d in doctors.iter().filter(|d| !d.public) {
        for (level, counts) in hidden.iter_mut().enumerate() {
            let mut cells: Vec<(i64, i64)> = d
                .practices()
                .map(|p| cell(p.location, level as u32))
                .collect();
            cells.sort_unstable();
            cells.dedup();
            for c in cells {
                *counts.entry(c).or_default() += 1;
            }
        }
    }
    doctors
        .iter()
        .enumerate()
        .flat_map(|(i, d)| d.practices().map(move |p| (i, d, p.location)))
        .map(|(i, d, location)| {
            if d.public {
                return (i, location);
            }
            let level = (0..MAX_LEVEL)
                .find(|&l| hidden[l as usize][&cell(location, l)] >= COVER)
                .unwrap_or(MAX_LEVEL);
            (i, centre(cell(location, level), level))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_nest_and_centres_lie_inside() {
        let p = LonLat {
            lon: 4.72,
            lat: 49.77,
        };
        for level in 0..=MAX_LEVEL {
            let c = centre(cell(p, level), level);
            assert_eq!(cell(c, level), cell(p, level));
        }
        let (x, y) = cell(p, 0);
        assert_eq!(cell(p, 1), (x.div_euclid(2), y.div_euclid(2)));
    }
}
