//! The territory of a CPTS site: communes, CPTS perimeters, volunteer doctors and their declared
//! availability, loaded and validated from `content/territory/`, with distances and a spatial index.
//! No I/O beyond reading content.

pub mod dates;
pub mod diagnostic;
pub mod distance;
mod index;
pub mod load;
pub mod model;

use std::collections::HashMap;

pub use diagnostic::{Diagnostic, Severity, SourceFile};
pub use distance::great_circle_km;
pub use index::{Nearby, PlaceIndex};
pub use load::{FOLDER, Loaded, load, load_published};
pub use model::{
    Availability, Commune, Coordinator, Cpts, Declared, Doctor, LonLat, Polygon, Practice, Ring,
    Staff, StaffRole,
};

use index::DoctorIndex;

/// What the public site shows of doctors beyond the rows of the published roster: each doctor's
/// own current declaration (by id), and the doctors who joined since the roster was published,
/// each with the code of his commune (positions differ between two loads of the communes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    pub declared: Vec<(String, Declared)>,
    pub joined: Vec<(String, Doctor)>,
}

#[derive(Clone)]
pub struct Territory {
    /// Sorted as loaded (by INSEE code in the demo).
    pub communes: Vec<Commune>,
    pub cpts: Vec<Cpts>,
    pub doctors: Vec<Doctor>,
    commune_by_code: HashMap<String, usize>,
    doctor_by_id: HashMap<String, usize>,
    doctor_index: DoctorIndex,
    /// Every coordinator of every CPTS, then the territory's other staff.
    staff: Vec<Staff>,
    /// Lowercased email → position in `staff`.
    staff_by_email: HashMap<String, usize>,
}

impl Territory {
    /// Assembles a territory from parts already validated (by `load`, or built by a generator).
    /// `Commune::cpts` and `Cpts::communes` must agree, and `Doctor::commune` index `communes`.
    pub fn new(communes: Vec<Commune>, cpts: Vec<Cpts>, doctors: Vec<Doctor>) -> Self {
        let commune_by_code = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let mut doctor_by_id = HashMap::with_capacity(doctors.len());
        for (i, d) in doctors.iter().enumerate() {
            doctor_by_id.entry(d.id.clone()).or_insert(i);
        }
        let doctor_index = DoctorIndex::new(&doctors);
        let mut territory = Self {
            communes,
            cpts,
            doctors,
            commune_by_code,
            doctor_by_id,
            doctor_index,
            staff: Vec::new(),
            staff_by_email: HashMap::new(),
        };
        territory.set_staff(Vec::new());
        territory
    }

    /// The same territory with `others` (territory coordination, telesecretariat, communication)
    /// added to the CPTS's coordinators as its staff. Ids and emails must be unique (`load`
    /// checks it); on a repeat the first one wins.
    pub fn with_staff(mut self, others: Vec<Staff>) -> Self {
        self.set_staff(others);
        self
    }

    fn set_staff(&mut self, others: Vec<Staff>) {
        let coordinators = self.cpts.iter().flat_map(|cpts| {
            cpts.coordinators.iter().map(|c| Staff {
                id: c.id.clone(),
                name: c.name.clone(),
                email: c.email.clone(),
                role: StaffRole::Coordinator {
                    cpts: cpts.id.clone(),
                },
            })
        });
        self.staff = coordinators.chain(others).collect();
        self.staff_by_email.clear();
        for (i, s) in self.staff.iter().enumerate() {
            self.staff_by_email
                .entry(s.email.to_lowercase())
                .or_insert(i);
        }
    }

    /// Everyone who may sign in: the coordinators of each CPTS, then the territory's staff.
    pub fn staff(&self) -> &[Staff] {
        &self.staff
    }

    /// The member of staff with this address (case ignored, spaces around trimmed).
    pub fn staff_by_email(&self, email: &str) -> Option<&Staff> {
        self.staff_by_email
            .get(&email.trim().to_lowercase())
            .map(|&i| &self.staff[i])
    }

    /// The member of staff with this id.
    pub fn staff_member(&self, id: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.id == id)
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_by_code.get(code).map(|&i| &self.communes[i])
    }

    /// Applies each doctor's own declaration (by id) over his row where it is current
    /// ([`Doctor::is_superseded_by`]); unknown ids are ignored. Returns how many were applied.
    /// A declaration that changes a doctor's other practices makes the spatial index again.
    pub fn apply_declarations<'a>(
        &mut self,
        declarations: impl IntoIterator<Item = (&'a str, &'a Declared)>,
    ) -> usize {
        let mut applied = 0;
        let mut moved = false;
        for (id, declared) in declarations {
            if let Some(&i) = self.doctor_by_id.get(id) {
                let doctor = &mut self.doctors[i];
                if doctor.is_superseded_by(declared) {
                    let before = doctor.other_practices.clone();
                    doctor.take(declared, &self.communes);
                    moved |= doctor.other_practices != before;
                    applied += 1;
                }
            }
        }
        if moved {
            // Where doctors practise is what the index holds.
            self.doctor_index = DoctorIndex::new(&self.doctors);
        }
        applied
    }

    /// The same territory as the public site shows it: `overlay`'s declarations applied over the
    /// rows ([`Territory::apply_declarations`]) and its joined doctors added, in their commune
    /// (a commune no longer in the territory leaves its doctor out).
    pub fn with_overlay(mut self, overlay: &Overlay) -> Self {
        self.apply_declarations(overlay.declared.iter().map(|(id, d)| (id.as_str(), d)));
        if overlay.joined.is_empty() {
            return self;
        }
        let joined: Vec<Doctor> = overlay
            .joined
            .iter()
            .filter_map(|(code, doctor)| {
                let commune = self.commune_position(code)?;
                Some(Doctor {
                    commune,
                    ..doctor.clone()
                })
            })
            .collect();
        self.with_doctors(joined)
    }

    /// The same territory with `joined` added after its doctors (doctors accepted since the
    /// roster was published); the index is made again. An id already in the roster is skipped.
    pub fn with_doctors(&self, joined: impl IntoIterator<Item = Doctor>) -> Self {
        let mut next = self.clone();
        for doctor in joined {
            if next.doctor_by_id.contains_key(&doctor.id) {
                continue;
            }
            next.doctor_by_id
                .insert(doctor.id.clone(), next.doctors.len());
            next.doctors.push(doctor);
        }
        next.doctor_index = DoctorIndex::new(&next.doctors);
        next
    }

    pub fn doctor(&self, id: &str) -> Option<&Doctor> {
        self.doctor_by_id.get(id).map(|&i| &self.doctors[i])
    }

    /// Position of the commune in `communes`.
    pub fn commune_position(&self, code: &str) -> Option<usize> {
        self.commune_by_code.get(code).copied()
    }

    /// Calls `visit(position in doctors, distance in km)` for each doctor within `radius_km` of
    /// `centre`, in no particular order.
    pub fn visit_doctors_within(
        &self,
        centre: LonLat,
        radius_km: f64,
        visit: impl FnMut(usize, f64),
    ) {
        self.doctor_index
            .visit_within(&self.doctors, centre, radius_km, visit)
    }

    pub fn cpts_of(&self, commune: &Commune) -> Option<&Cpts> {
        commune.cpts.map(|i| &self.cpts[i])
    }

    /// The communes where `doctor` practises, main one first, in French: « Sedan »,
    /// « Sedan et Carignan », « Sedan, Carignan et Mouzon ».
    pub fn practice_towns(&self, doctor: &Doctor) -> String {
        let names: Vec<&str> = doctor
            .practices()
            .filter_map(|p| self.communes.get(p.commune))
            .map(|c| c.name.as_str())
            .collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The CPTS of the commune where `doctor` practises.
    pub fn cpts_of_doctor(&self, doctor: &Doctor) -> Option<&Cpts> {
        self.communes
            .get(doctor.commune)
            .and_then(|c| self.cpts_of(c))
    }

    /// Doctors within `radius_km` of `centre` for which `compatible` holds, nearest first.
    pub fn doctors_within(
        &self,
        centre: LonLat,
        radius_km: f64,
        compatible: impl FnMut(&Doctor) -> bool,
    ) -> Vec<Nearby<'_>> {
        self.doctor_index
            .within(&self.doctors, centre, radius_km, compatible)
    }

    /// How many doctors within `radius_km` of `centre` satisfy `compatible`.
    pub fn count_doctors_within(
        &self,
        centre: LonLat,
        radius_km: f64,
        compatible: impl FnMut(&Doctor) -> bool,
    ) -> usize {
        self.doctor_index
            .count_within(&self.doctors, centre, radius_km, compatible)
    }
}
