//! Spatial index of doctors' practices: "compatible doctors within N km of here, nearest first".

use rstar::{PointDistance, RTree, primitives::GeomWithData};

use crate::distance::{Prepared, chord_km, great_circle_km, to_cartesian_km};
use crate::model::{Doctor, LonLat};

type Entry = GeomWithData<[f64; 3], usize>;

#[derive(Clone)]
pub struct DoctorIndex {
    tree: RTree<Entry>,
}

/// A doctor found near a point.
#[derive(Debug, Clone, Copy)]
pub struct Nearby<'a> {
    pub doctor: &'a Doctor,
    pub distance_km: f64,
}

impl DoctorIndex {
    pub fn new(doctors: &[Doctor]) -> Self {
        Self::of_places(doctors.iter().map(|d| d.location))
    }

    fn of_places(places: impl Iterator<Item = LonLat>) -> Self {
        let entries = places
            .enumerate()
            .map(|(i, p)| Entry::new(to_cartesian_km(p), i))
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Doctors within `radius_km` of `centre` for which `compatible` holds, nearest first.
    pub fn within<'a>(
        &self,
        doctors: &'a [Doctor],
        centre: LonLat,
        radius_km: f64,
        mut compatible: impl FnMut(&Doctor) -> bool,
    ) -> Vec<Nearby<'a>> {
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        let mut found: Vec<Nearby<'a>> = self
            .tree
            .locate_within_distance(query, max_chord_2)
            .map(|entry| &doctors[entry.data])
            .filter(|doctor| compatible(doctor))
            .map(|doctor| Nearby {
                doctor,
                distance_km: great_circle_km(centre, doctor.location),
            })
            .filter(|n| n.distance_km <= radius_km)
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
        let query = to_cartesian_km(centre);
        let max_chord_2 = chord_km(radius_km).powi(2);
        for entry in self.tree.locate_within_distance(query, max_chord_2) {
            let distance_km = great_circle_km(centre, doctors[entry.data].location);
            if distance_km <= radius_km {
                visit(entry.data, distance_km);
            }
        }
    }

    /// Number of doctors within `radius_km` for which `compatible` holds (no allocation).
    pub fn count_within(
        &self,
        doctors: &[Doctor],
        centre: LonLat,
        radius_km: f64,
        mut compatible: impl FnMut(&Doctor) -> bool,
    ) -> usize {
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
