//! `territory/cpts.toml`: the CPTS, their perimeters (lists of INSEE codes) and coordinators, and
//! the territory's other staff (`[[staff]]`: its coordination, telesecretariat, communication).

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, SourceFile, toml_diagnostic};
use crate::model::{Commune, Coordinator, Cpts, Staff, StaffRole};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CptsFile {
    cpts: Vec<CptsEntry>,
    #[serde(default)]
    staff: Vec<StaffEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    id: Spanned<String>,
    name: String,
    email: Spanned<String>,
    role: Spanned<String>,
}

/// Longest staff id: it goes into signed sign-in links.
const STAFF_ID_MAX: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CptsEntry {
    id: Spanned<String>,
    name: String,
    short_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    main_towns: Vec<Spanned<String>>,
    communes: Vec<Spanned<String>>,
    #[serde(default)]
    coordinators: Vec<CoordinatorEntry>,
    postal_address: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoordinatorEntry {
    id: Spanned<String>,
    name: String,
    email: Spanned<String>,
}

/// The staff ids and emails seen so far, to report repeats across CPTS and `[[staff]]`.
#[derive(Default)]
struct Roster {
    /// id → offset of its first use.
    ids: HashMap<String, usize>,
    /// lowercased email → offset of its first use.
    emails: HashMap<String, usize>,
}

impl Roster {
    /// Checks a staff member's id and email, reporting what is wrong.
    fn check(
        &mut self,
        source: &SourceFile,
        id: &Spanned<String>,
        email: &Spanned<String>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let value = id.get_ref();
        if !is_slug(value) || value.len() > STAFF_ID_MAX {
            diagnostics.push(source.error(
                id.span().start,
                format!("identifiant de personne « {value} » invalide"),
                format!(
                    "écrivez un identifiant court ({STAFF_ID_MAX} caractères au plus) en lettres minuscules sans accent, chiffres et tirets, par exemple « melanie-gosset » ; il ne doit plus changer ensuite"
                ),
            ));
        }
        match self.ids.get(value) {
            Some(&first) => {
                let (line, _) = source.position(first);
                diagnostics.push(source.error(
                    id.span().start,
                    format!("identifiant de personne « {value} » déjà utilisé"),
                    format!(
                        "chaque personne doit avoir son propre identifiant (l'autre est à la ligne {line})"
                    ),
                ));
            }
            None => {
                self.ids.insert(value.clone(), id.span().start);
            }
        }
        let address = email.get_ref();
        if !is_plausible_email(address) {
            diagnostics.push(source.error(
                email.span().start,
                format!("adresse e-mail « {address} » invalide"),
                "écrivez une adresse complète, par exemple « coordination@example.org »",
            ));
        }
        match self.emails.get(&address.to_lowercase()) {
            Some(&first) => {
                let (line, _) = source.position(first);
                diagnostics.push(source.error(
                    email.span().start,
                    format!("adresse e-mail « {address} » déjà utilisée"),
                    format!(
                        "chaque personne doit avoir sa propre adresse : elle sert à se connecter (l'autre est à la ligne {line})"
                    ),
                ));
            }
            None => {
                self.emails
                    .insert(address.to_lowercase(), email.span().start);
            }
        }
    }
}

/// The CPTS of cpts.toml, and the territory's other staff (`[[staff]]`).
pub(crate) fn load(
    source: &SourceFile,
    communes: &mut [Commune],
    communes_complete: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Cpts>, Vec<Staff>) {
    let file: CptsFile = match toml::from_str(&source.text) {
        Ok(f) => f,
        Err(e) => {
            diagnostics.push(toml_diagnostic(source, 0, &e));
            return (Vec::new(), Vec::new());
        }
    };
    let mut roster = Roster::default();
    let by_code: HashMap<&str, usize> = communes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; communes.len()];
    let mut all = Vec::with_capacity(file.cpts.len());
    let mut ids: HashMap<String, usize> = HashMap::new();

    for entry in file.cpts {
        let index = all.len();
        let id = entry.id.get_ref();
        if !is_slug(id) {
            diagnostics.push(source.error(
                entry.id.span().start,
                format!("identifiant « {id} » invalide"),
                "l'identifiant sert d'adresse web : lettres minuscules sans accent, chiffres et tirets, par exemple « rethelois »",
            ));
        }
        if let Some(&first) = ids.get(id) {
            let (line, _) = source.position(first);
            diagnostics.push(source.error(
                entry.id.span().start,
                format!("identifiant « {id} » déjà utilisé"),
                format!(
                    "chaque CPTS doit avoir son propre identifiant (l'autre est à la ligne {line})"
                ),
            ));
        } else {
            ids.insert(id.clone(), entry.id.span().start);
        }

        let mut members = Vec::with_capacity(entry.communes.len());
        for code in &entry.communes {
            match by_code.get(code.get_ref().as_str()) {
                None if !communes_complete => {}
                None => diagnostics.push(source.error(
                    code.span().start,
                    format!("code de commune « {} » inconnu", code.get_ref()),
                    "utilisez le code INSEE (et non le code postal) d'une commune de territory/communes.geojson",
                )),
                Some(&c) => match owner[c] {
                    Some(other) if other == index => diagnostics.push(source.error(
                        code.span().start,
                        format!("la commune {} est listée deux fois", code.get_ref()),
                        "supprimez le doublon",
                    )),
                    Some(other) => diagnostics.push(source.error(
                        code.span().start,
                        format!(
                            "la commune {} ({}) est déjà dans le périmètre de « {} »",
                            code.get_ref(),
                            communes[c].name,
                            all.get(other).map_or("", |o: &Cpts| o.name.as_str())
                        ),
                        "une commune appartient à une seule CPTS : retirez-la de l'une des deux listes",
                    )),
                    None => {
                        owner[c] = Some(index);
                        members.push(c);
                    }
                },
            }
        }

        let mut main_towns = Vec::new();
        for town in &entry.main_towns {
            match members.iter().find(|&&c| communes[c].name == *town.get_ref()) {
                Some(&c) => main_towns.push(c),
                None if !communes_complete => {}
                None => diagnostics.push(source.error(
                    town.span().start,
                    format!("ville principale « {} » absente du périmètre", town.get_ref()),
                    "écrivez le nom exact d'une commune de la liste « communes » de cette CPTS (avec tirets et accents)",
                )),
            }
        }

        let mut coordinators = Vec::new();
        for c in entry.coordinators {
            roster.check(source, &c.id, &c.email, diagnostics);
            coordinators.push(Coordinator {
                id: c.id.into_inner(),
                name: c.name,
                email: c.email.into_inner(),
            });
        }

        let postal_address = entry
            .postal_address
            .and_then(|a| postal_address(source, a, diagnostics));

        all.push(Cpts {
            id: entry.id.into_inner(),
            name: entry.name,
            short_name: entry.short_name,
            description: entry.description,
            communes: members,
            main_towns,
            coordinators,
            postal_address,
        });
    }
    for (commune, cpts) in communes.iter_mut().zip(owner) {
        commune.cpts = cpts;
    }
    let mut staff = Vec::with_capacity(file.staff.len());
    for entry in file.staff {
        roster.check(source, &entry.id, &entry.email, diagnostics);
        let Some(role) = StaffRole::from_code(entry.role.get_ref()) else {
            diagnostics.push(source.error(
                entry.role.span().start,
                format!("rôle « {} » inconnu", entry.role.get_ref()),
                "écrivez « coordination-territoire », « telesecretariat » ou « communication » (la coordination d'une CPTS s'écrit dans [[cpts.coordinators]])",
            ));
            continue;
        };
        staff.push(Staff {
            id: entry.id.into_inner(),
            name: entry.name,
            email: entry.email.into_inner(),
            role,
        });
    }
    (all, staff)
}

/// The longest postal address, in lines and in characters.
pub const POSTAL_ADDRESS_MAX_LINES: usize = 6;
pub const POSTAL_ADDRESS_MAX_CHARS: usize = 300;

/// A postal address: its lines trimmed, empty lines dropped; `None` (and an error) when it is
/// empty or too long.
fn postal_address(
    source: &SourceFile,
    address: Spanned<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let start = address.span().start;
    let lines: Vec<&str> = address
        .get_ref()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let chars: usize = lines.iter().map(|l| l.chars().count()).sum();
    let problem = if lines.is_empty() {
        Some((
            "adresse postale vide".to_string(),
            "écrivez l'adresse où envoyer le formulaire papier, ou supprimez la ligne « postal_address »"
                .to_string(),
        ))
    } else if lines.len() > POSTAL_ADDRESS_MAX_LINES || chars > POSTAL_ADDRESS_MAX_CHARS {
        Some((
            format!(
                "adresse postale trop longue ({} lignes, {chars} caractères)",
                lines.len()
            ),
            format!(
                "une adresse tient en {POSTAL_ADDRESS_MAX_LINES} lignes et {POSTAL_ADDRESS_MAX_CHARS} caractères au plus : nom, rue, code postal et commune"
            ),
        ))
    } else {
        None
    };
    match problem {
        Some((message, fix)) => {
            diagnostics.push(source.error(start, message, fix));
            None
        }
        None => Some(lines.join("\n")),
    }
}

pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(crate) fn is_plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}
