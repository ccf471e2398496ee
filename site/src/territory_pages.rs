//! What the territory's pages show: one page per CPTS, one per commune, the A–Z index.

use chrono::NaiveDate;
use serde::Serialize;
use territory::{Availability, Commune, Cpts, Doctor, Territory};

use crate::slug::{index_letter, slugify};
use territory::dates::french_long;

/// Within this distance a patient can usually reach a GP (DOMAIN.md §4: "distance > 20 km" is a
/// reason for failure): the named doctors a commune page lists.
pub const FAR_KM: f64 = 20.0;
/// Commune pages name at most this many doctors, nearest first.
const MAX_NAMED: usize = 12;
/// Above this many communes, the A–Z index is split into one page per letter.
pub const SINGLE_INDEX_MAX: usize = 1000;

pub const COMMUNES_PREFIX: &str = "/communes/";
pub const CPTS_PREFIX: &str = "/cpts/";

pub fn commune_url(commune: &Commune) -> String {
    format!(
        "{COMMUNES_PREFIX}{}-{}/",
        slugify(&commune.name),
        commune.code.to_lowercase()
    )
}

/// Where the printable paper forms are built, one per CPTS.
pub const PAPER_PREFIX: &str = "/inscription/papier/";

/// The address of a CPTS's printable paper form.
pub fn paper_form_url(cpts: &Cpts) -> String {
    format!("{PAPER_PREFIX}{}/", cpts.id)
}

pub fn cpts_url(cpts: &Cpts) -> String {
    format!("{CPTS_PREFIX}{}/", cpts.id)
}

pub fn letter_url(letter: char) -> String {
    format!("{COMMUNES_PREFIX}{}/", letter.to_ascii_lowercase())
}

#[derive(Serialize)]
pub struct CommuneLink {
    pub name: String,
    pub url: String,
    pub postcodes: String,
}

impl CommuneLink {
    fn of(commune: &Commune) -> Self {
        Self {
            name: commune.name.clone(),
            url: commune_url(commune),
            postcodes: commune.postcodes.join(", "),
        }
    }
}

#[derive(Serialize)]
pub struct CptsLink {
    pub name: String,
    pub short_name: String,
    pub url: String,
}

impl CptsLink {
    pub fn of(cpts: &Cpts) -> Self {
        Self {
            name: cpts.name.clone(),
            short_name: cpts.short_name.clone(),
            url: cpts_url(cpts),
        }
    }
}

/// A doctor as the public may see him: only those who opted in.
#[derive(Serialize)]
pub struct NamedDoctor {
    pub name: String,
    pub town: String,
    pub distance_km: String,
    pub status: String,
    pub conditions: Vec<String>,
    pub to_confirm: Option<String>,
}

#[derive(Serialize)]
pub struct CommunePage {
    pub title: String,
    pub description: String,
    pub name: String,
    pub code: String,
    pub postcodes: String,
    pub population: String,
    pub cpts: Option<CptsLink>,
    pub named: Vec<NamedDoctor>,
    pub named_more: usize,
}

/// A commune's page names the doctors who opted in, nearest first; it counts no one (how many
/// doctors accept near each commune would locate those who are not named: the page says the
/// map's status and facts instead, see `map::privacy`).
pub fn commune_page(territory: &Territory, commune: &Commune, today: NaiveDate) -> CommunePage {
    let nearby = territory.doctors_within(commune.centre, FAR_KM, |d| {
        d.public
            && (d.accepts_on(today)
                || matches!(
                    d.availability,
                    Availability::AcceptingFrom(_) | Availability::PausedUntil(_)
                ))
    });
    let named = nearby
        .iter()
        .take(MAX_NAMED)
        .map(|n| named_doctor(territory, n.doctor, n.distance_km, today))
        .collect();
    let cpts = territory.cpts_of(commune).map(CptsLink::of);
    let description = match &cpts {
        Some(c) => format!(
            "{} ({}) : médecins généralistes qui acceptent de nouveaux patients à proximité, et comment trouver un médecin traitant avec la {}.",
            commune.name,
            commune.postcodes.join(", "),
            c.name
        ),
        None => format!(
            "{} ({}) : médecins généralistes qui acceptent de nouveaux patients à proximité.",
            commune.name,
            commune.postcodes.join(", ")
        ),
    };
    CommunePage {
        title: format!("Médecin traitant à {}", commune.name),
        description,
        name: commune.name.clone(),
        code: commune.code.clone(),
        postcodes: commune.postcodes.join(", "),
        population: thousands(commune.population),
        cpts,
        named_more: nearby.len().saturating_sub(MAX_NAMED),
        named,
    }
}

pub(crate) fn named_doctor(
    territory: &Territory,
    doctor: &Doctor,
    distance_km: f64,
    today: NaiveDate,
) -> NamedDoctor {
    let status = doctor.status_fr(today);
    let conditions = doctor.conditions_fr();
    NamedDoctor {
        name: doctor.name.clone(),
        town: territory.practice_towns(doctor),
        distance_km: format_km(distance_km),
        status,
        conditions,
        to_confirm: doctor.is_stale(today).then(|| {
            format!(
                "information à confirmer (déclarée le {})",
                french_long(doctor.updated)
            )
        }),
    }
}

/// The fewest doctors not named a published count may rest on (DOMAIN.md §4.2: the French rule
/// masks counts under 11).
pub const MIN_COUNT: usize = 11;
/// What a CPTS page prints instead of a count that would rest on too few doctors.
pub const MASKED: &str = "moins de 11";

/// One line of a CPTS page's table: a kind of declaration, and how many doctors made it.
#[derive(Serialize)]
pub struct CountRow {
    pub label: &'static str,
    /// A number, or `MASKED`.
    pub figure: String,
}

#[derive(Serialize)]
pub struct CptsPage {
    pub title: String,
    pub description: String,
    pub name: String,
    pub short_name: String,
    pub presentation: String,
    pub main_towns: Vec<CommuneLink>,
    pub communes: Vec<CommuneLink>,
    pub population: String,
    pub coordinators: Vec<territory::Coordinator>,
    /// How many doctors participate, when that can be published (see `published_counts`).
    pub doctors: Option<usize>,
    pub rows: Vec<CountRow>,
    /// Some row says `MASKED`: the page says why.
    pub masked: bool,
    /// Some declaration is older than three months (a named doctor's, or at least `MIN_COUNT`
    /// others): yes or no, never how many.
    pub to_confirm: bool,
    pub next_opening: Option<String>,
    /// The CPTS's printable paper form.
    pub paper_form_url: String,
}

/// The kinds of declaration a CPTS page counts; every doctor is in exactly one.
const KINDS: [&str; 4] = [
    "Acceptent de nouveaux patients",
    "Accepteront plus tard",
    "En pause",
    "N'acceptent pas de nouveaux patients",
];

fn kind(doctor: &Doctor, today: NaiveDate) -> usize {
    if doctor.accepts_on(today) {
        return 0;
    }
    match doctor.availability {
        Availability::AcceptingFrom(_) => 1,
        Availability::PausedUntil(_) => 2,
        Availability::AcceptingNow | Availability::NotAccepting => 3,
    }
}

/// Which counts of a CPTS page may be published. A count covers all its doctors, named or not,
/// but the named ones are published one by one (commune pages, the map), so a reader can
/// subtract them: a count is printed only when at least `MIN_COUNT` doctors who are not named
/// are in it, otherwise it says `MASKED` (true: then fewer than 11 of them are). The total is
/// the sum of the rows, so it would give the masked rows by difference: it is printed only when
/// no row is masked, or when the masked rows together hold at least `MIN_COUNT` doctors who are
/// not named. `rows[k]` is `(doctors, of whom not named)` for `KINDS[k]`; returns the figures of
/// the rows and the total.
pub fn published_counts(rows: [(usize, usize); 4]) -> ([Option<usize>; 4], Option<usize>) {
    let shown = rows.map(|(all, hidden)| (hidden >= MIN_COUNT).then_some(all));
    let hidden_masked: usize = rows
        .iter()
        .zip(&shown)
        .filter(|(_, s)| s.is_none())
        .map(|((_, hidden), _)| hidden)
        .sum();
    let masked = shown.iter().any(Option::is_none);
    let hidden_total: usize = rows.iter().map(|r| r.1).sum();
    let total = (hidden_total >= MIN_COUNT && (!masked || hidden_masked >= MIN_COUNT))
        .then(|| rows.iter().map(|r| r.0).sum());
    (shown, total)
}

pub fn cpts_page(territory: &Territory, index: usize, today: NaiveDate) -> CptsPage {
    let cpts = &territory.cpts[index];
    let doctors: Vec<&Doctor> = territory
        .doctors
        .iter()
        .filter(|d| territory.communes[d.commune].cpts == Some(index))
        .collect();
    let mut tally = [(0usize, 0usize); 4];
    for d in &doctors {
        let row = &mut tally[kind(d, today)];
        row.0 += 1;
        if !d.public {
            row.1 += 1;
        }
    }
    let (shown, total) = published_counts(tally);
    let mut communes: Vec<&Commune> = cpts
        .communes
        .iter()
        .map(|&c| &territory.communes[c])
        .collect();
    communes.sort_by_key(|c| slugify(&c.name));
    // A date, or « some declaration is old », is about one doctor: a named doctor's is published
    // anyway; the others' only when at least `MIN_COUNT` of them are concerned.
    let opening = |d: &&&Doctor| match d.availability {
        _ if d.accepts_on(today) => None,
        Availability::AcceptingFrom(date) => Some(date),
        Availability::PausedUntil(date) => date.succ_opt(),
        _ => None,
    };
    let hidden_openings = doctors
        .iter()
        .filter(|d| !d.public && opening(d).is_some())
        .count();
    let next_opening = doctors
        .iter()
        .filter(|d| d.public || hidden_openings >= MIN_COUNT)
        .filter_map(|d| opening(&d))
        .min()
        .map(french_long);
    CptsPage {
        title: cpts.name.clone(),
        description: format!(
            "{} : périmètre indicatif, communes couvertes, contact et médecins qui acceptent de nouveaux patients.",
            cpts.name
        ),
        name: cpts.name.clone(),
        short_name: cpts.short_name.clone(),
        presentation: cpts.description.clone(),
        main_towns: cpts
            .main_towns
            .iter()
            .map(|&c| CommuneLink::of(&territory.communes[c]))
            .collect(),
        population: thousands(communes.iter().map(|c| c.population).sum()),
        communes: communes.into_iter().map(CommuneLink::of).collect(),
        coordinators: cpts.coordinators.clone(),
        doctors: total,
        rows: KINDS
            .iter()
            .zip(shown)
            .map(|(&label, n)| CountRow {
                label,
                figure: n.map_or_else(|| MASKED.to_string(), |n| n.to_string()),
            })
            .collect(),
        masked: shown.iter().any(Option::is_none),
        to_confirm: doctors.iter().any(|d| d.public && d.is_stale(today))
            || doctors
                .iter()
                .filter(|d| !d.public && d.is_stale(today))
                .count()
                >= MIN_COUNT,
        next_opening,
        paper_form_url: paper_form_url(cpts),
    }
}

#[derive(Serialize)]
pub struct LetterGroup {
    pub letter: String,
    pub url: String,
    pub communes: Vec<IndexEntry>,
}

#[derive(Serialize)]
pub struct IndexEntry {
    pub name: String,
    pub url: String,
    pub postcodes: String,
    pub cpts: Option<String>,
}

/// Communes grouped by first letter, in French alphabetical order (accents ignored).
pub fn commune_index(territory: &Territory) -> Vec<LetterGroup> {
    let mut sorted: Vec<(String, &Commune)> = territory
        .communes
        .iter()
        .map(|c| (slugify(&c.name), c))
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    let mut groups: Vec<LetterGroup> = Vec::new();
    for (_, commune) in sorted {
        let letter = index_letter(&commune.name);
        if groups.last().is_none_or(|g| !g.letter.starts_with(letter)) {
            groups.push(LetterGroup {
                letter: letter.to_string(),
                url: letter_url(letter),
                communes: Vec::new(),
            });
        }
        let entry = IndexEntry {
            name: commune.name.clone(),
            url: commune_url(commune),
            postcodes: commune.postcodes.join(", "),
            cpts: territory.cpts_of(commune).map(|c| c.short_name.clone()),
        };
        groups
            .last_mut()
            .expect("pushed above")
            .communes
            .push(entry);
    }
    groups
}

/// "56 088": French thousands separator (narrow no-break space).
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// "4,2 km" below 10 km, "12 km" above.
fn format_km(km: f64) -> String {
    if km < 10.0 {
        format!("{:.1} km", km).replace('.', ",")
    } else {
        format!("{} km", km.round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_french() {
        assert_eq!(thousands(56088), "56\u{202f}088");
        assert_eq!(thousands(479), "479");
        assert_eq!(format_km(4.24), "4,2 km");
        assert_eq!(format_km(12.6), "13 km");
    }
}
