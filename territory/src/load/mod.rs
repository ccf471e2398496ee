//! Reading and validating `content/territory/`.

pub(crate) mod communes;
pub(crate) mod cpts;
pub(crate) mod doctors;
pub mod sheets;

use std::path::Path;

use chrono::NaiveDate;

use crate::Territory;
use crate::diagnostic::{Diagnostic, SourceFile};

/// The folder of `content/` that holds the territory: the one place that names it.
pub const FOLDER: &str = "territory";
pub const COMMUNES_FILE: &str = "communes.geojson";
pub const CPTS_FILE: &str = "cpts.toml";
/// The doctors' list as CSV; `doctors.xlsx` or `doctors.ods` are read instead when present
/// ([`sheets::DOCTORS_FILES`]).
pub const DOCTORS_FILE: &str = "doctors.csv";

struct Communes<'a> {
    complete: bool,
    list: &'a mut Vec<crate::model::Commune>,
}

/// What loading found: the territory when there was no error, and every problem seen.
pub struct Loaded {
    pub territory: Option<Territory>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads `dir` (a `territory/` folder). `today` decides which declarations are stale.
/// Every file is read and checked even after an error, so that all problems are reported at once.
pub fn load(dir: &Path, today: NaiveDate) -> Loaded {
    let mut diagnostics = Vec::new();
    let read =
        |name: &str, diagnostics: &mut Vec<Diagnostic>| match SourceFile::read(&dir.join(name)) {
            Ok(s) => Some(s),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        };
    let mut communes = read(COMMUNES_FILE, &mut diagnostics)
        .map(|s| communes::load(&s, &mut diagnostics))
        .unwrap_or_default();
    // With communes missing, every reference to them would be reported again in the other files:
    // only the communes file's own errors are worth reading then.
    let communes = Communes {
        complete: diagnostics.is_empty(),
        list: &mut communes,
    };
    let (cpts, staff) = read(CPTS_FILE, &mut diagnostics)
        .map(|s| cpts::load(&s, communes.list, communes.complete, &mut diagnostics))
        .unwrap_or_default();
    let doctors = match sheets::find(dir) {
        Ok(sheets::Found::Csv(path)) => sheets::read_csv(&path).map(|s| {
            doctors::load(
                &s,
                communes.list,
                communes.complete,
                today,
                &mut diagnostics,
            )
        }),
        Ok(sheets::Found::Workbook(path)) => sheets::read_workbook(&path).map(|sheet| {
            doctors::load_sheet(
                &sheet,
                communes.list,
                communes.complete,
                today,
                &mut diagnostics,
            )
        }),
        Err(d) => Err(d),
    }
    .unwrap_or_else(|d| {
        diagnostics.push(d);
        Vec::new()
    });
    let communes = std::mem::take(communes.list);
    let territory = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(Territory::new(communes, cpts, doctors).with_staff(staff))
    };
    Loaded {
        territory,
        diagnostics,
    }
}

/// The territory as published in `dir` (a `territory/` folder), or its errors — warnings left out.
/// What the form handler loads, wherever it runs.
pub fn load_published(dir: &Path, today: NaiveDate) -> Result<Territory, Vec<Diagnostic>> {
    let loaded = load(dir, today);
    loaded.territory.ok_or_else(|| {
        loaded
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect()
    })
}
