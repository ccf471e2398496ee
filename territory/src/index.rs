//! Spatial index of doctors' practices: "compatible doctors within N km of here, nearest first".

use rstar::{PointDistance, RTree, primitives::GeomWithData};

use crate::distance::{Prepared, chord_km, great_circle_km, to_cartesian_km};
use crate::model::{Doctor, LonLat};

type Entry = GeomWithData<[f64; 3], usize>;

#[derive(Clone)]
pub struct DoctorIndex {
    tree: RTree<Entry>,
    /// Some doctor has several practices: one entry each, so a doctor may be met more than once.
    several: bool,
}

/// A doctor found near a point.
#[derive(Debug, Clone, Copy)]
pub struct Nearby<'a> {
    pub doctor: &'a Doctor,
    /// To his nearest practice.
    pub distance_km: f64,
}

impl DoctorIndex {
    /// One entry per practice of each doctor.
    pub fn new(doctors: &[Doctor]) -> Self {
        let entries = doctors
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                d.practices()
                    .map(move |p| Entry::new(to_cartesian_km(p.location), i))
            })
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
            several: doctors.iter().any(|d| !d.other_practices.is_empty()),
        }
    }

    fn of_places(places: impl Iterator<Item = LonLat>) -> Self {
        let entries = places
            .enumerate()
            .map(|(i, p)| Entry::new(to_cartesian_km(p), i))
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
            several: false,
        }
    }

    /// The positions in `doctors` of the doctors with a practice within `radius_km` of `centre`
    /// and their distance (to the nearest practice), each once, in no particular order.
    fn near(&self, doctors: &[Doctor], centre: LonLat, radius_km: f64) -> Vec<(usize, f64)> {
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        let mut found: Vec<(usize, f64)> = self
            .tree
            .locate_within_distance(query, max_chord_2)
            .map(|entry| (entry.data, doctors[entry.data].distance_km(centre)))
            .filter(|&(_, distance_km)| distance_km <= radius_km)
            .collect();
        if self.several {
            // The same doctor through each of his practices nearby: the same distance each time.
            found.sort_unstable_by_key(|&(position, _)| position);
            found.dedup_by_key(|&mut (position, _)| position);
        }
        found
    }

    /// Doctors within `radius_km` of `centre` for which `compatible` holds, nearest first.
    pub fn within<'a>(
        &self,
        doctors: &'a [Doctor],
        centre: LonLat,
        radius_km: f64,
        mut compatible: impl FnMut(&Doctor) -> bool,
    ) -> Vec<Nearby<'a>> {
        let mut found: Vec<Nearby<'a>> = self
            .near(doctors, centre, radius_km)
            .into_iter()
            .map(|(position, distance_km)| Nearby {
                doctor: &doctors[position],
                distance_km,
            })
            .filter(|n| compatible(n.doctor))
            .collect();
        found.sort_by(|a, b| {
            a.distance_km
                .total_cmp(&b.distance_km)
                .then_with(|| a.doctor.id.cmp(&b.doctor.id))
        });
        found
    }

    /// Calls `visit(position in doctors, distance in km)` for every doctor within `radius_km`, in
    /// no particular order (for callers that rank on their own terms).
    pub fn visit_within(
        &self,
        doctors: &[Doctor],
        centre: LonLat,
        radius_km: f64,
        mut visit: impl FnMut(usize, f64),
    ) {
        if self.several {
            for (position, distance_km) in self.near(doctors, centre, radius_km) {
                visit(position, distance_km);
            }
            return;
        }
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        for entry in self.tree.locate_within_distance(query, max_chord_2) {
            let distance_km = great_circle_km(centre, doctors[entry.data].location);
            if distance_km <= radius_km {
                visit(entry.data, distance_km);
            }
        }
    }

    /// Number of doctors within `radius_km` for which `compatible` holds (no allocation when
    /// every doctor has one practice).
    pub fn count_within(
        &self,
        doctors: &[Doctor],
        centre: LonLat,
        radius_km: f64,
        mut compatible: impl FnMut(&Doctor) -> bool,
    ) -> usize {
        if self.several {
            return self
                .near(doctors, centre, radius_km)
                .into_iter()
                .filter(|&(position, _)| compatible(&doctors[position]))
                .count();
        }
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        self.tree
            .locate_within_distance(query, max_chord_2)
            .filter(|entry| entry.geom().distance_2(&query) <= max_chord_2)
            .filter(|entry| compatible(&doctors[entry.data]))
            .count()
    }
}

/// Places of any kind (not doctors' practices) indexed the same way, for "within N km of here"
/// with the same distances as the doctors' index.
pub struct PlaceIndex {
    index: DoctorIndex,
    places: Vec<Prepared>,
}

impl PlaceIndex {
    pub fn new(places: &[LonLat]) -> Self {
        Self {
            index: DoctorIndex::of_places(places.iter().copied()),
            places: places.iter().copied().map(Prepared::new).collect(),
        }
    }

    /// Calls `visit(position in places, distance in km)` for every place within `radius_km` of
    /// `centre`, in no particular order.
    pub fn visit_within(&self, centre: LonLat, radius_km: f64, mut visit: impl FnMut(usize, f64)) {
        let from = Prepared::new(centre);
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        for entry in self.index.tree.locate_within_distance(query, max_chord_2) {
            let distance_km = from.great_circle_km(&self.places[entry.data]);
            if distance_km <= radius_km {
                visit(entry.data, distance_km);
            }
        }
    }
}
