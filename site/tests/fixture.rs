//! A small but complete content folder, written to a temporary directory, that tests break one
//! file at a time.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub const TODAY: &str = "2026-11-24";

pub fn today() -> NaiveDate {
    TODAY.parse().unwrap()
}

pub const SITE_TOML: &str = r#"title = "Médecin traitant Test"
description = "Un site de test."
base_url = "https://test.example.org"
api_url = "/api"
demo = true

[phone]
number = "03 53 01 20 08"
hours = "du lundi au vendredi, de 9 h à 17 h"
cost = "appel non surtaxé"
"#;

pub const HOME_MD: &str = "+++
title = \"Accueil\"
description = \"La page d'accueil.\"
+++
Appelez le {{ telephone }}. Voir [comment ça marche](/comment-ca-marche/).
";

pub const HOW_MD: &str = "+++
title = \"Comment ça marche\"
description = \"Le fonctionnement.\"
weight = 10
+++
## Le numéro unique

Appelez le {{ telephone }}, {{ horaires }}. Voir aussi [Sedan](/communes/sedan-08409/).
";

pub const NEWS_INDEX_MD: &str = "+++
title = \"Actualités\"
description = \"Les nouvelles.\"
+++
";

pub const NEWS_POST_MD: &str = "+++
title = \"Lancement\"
description = \"Le numéro est ouvert.\"
date = 2026-11-02
+++
Le numéro est ouvert.
";

/// Three communes, one per line; Sedan and Floing in the CPTS, Charleville outside.
pub const COMMUNES_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"08105","nom":"Charleville-Mézières","codesPostaux":["08000"],"population":46000,"centre":[4.72,49.77]},"geometry":{"type":"Polygon","coordinates":[[[4.68,49.74],[4.76,49.74],[4.76,49.80],[4.68,49.80],[4.68,49.74]]]}},
{"type":"Feature","properties":{"code":"08174","nom":"Floing","codesPostaux":["08200"],"population":2300,"centre":[4.93,49.72]},"geometry":{"type":"Polygon","coordinates":[[[4.90,49.71],[4.95,49.71],[4.95,49.74],[4.90,49.74],[4.90,49.71]]]}},
{"type":"Feature","properties":{"code":"08409","nom":"Sedan","codesPostaux":["08200"],"population":16000,"centre":[4.94,49.70]},"geometry":{"type":"MultiPolygon","coordinates":[[[[4.91,49.68],[4.98,49.68],[4.98,49.71],[4.91,49.71],[4.91,49.68]]]]}}
]}
"#;

pub const CPTS_TOML: &str = r#"[[cpts]]
id = "sedanais"
name = "CPTS du Sedanais"
short_name = "Sedanais"
description = "Une CPTS de test."
main_towns = ["Sedan"]
communes = ["08409", "08174"]

[[cpts.coordinators]]
name = "Alice Coordination"
email = "alice@example.org"
"#;

pub const DOCTORS_HEADER: &str = "id;nom;commune;lat;lon;statut;date_statut;capacite_annuelle;visites_domicile;rayon_visites_km;priorite_seulement;public;mis_a_jour;email\n";

pub const DOCTOR_ROWS: &str = "med-001;Dr Anne Exemple;08409;49.701;4.941;accepte_maintenant;;10;oui;10;non;oui;2026-11-01;anne@example.org
med-002;Dr Paul Discret;08174;;;accepte_maintenant;;5;non;;non;non;2026-10-15;paul@example.org
med-003;Dr Jeanne Bientôt;08409;49.699;4.939;accepte_plus_tard;2027-02-01;20;non;;oui;oui;2026-11-10;jeanne@example.org
";

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// The complete content folder.
    pub fn new() -> Self {
        let fixture = Self::pages_only();
        fixture.write("territory/communes.geojson", COMMUNES_GEOJSON);
        fixture.write("territory/cpts.toml", CPTS_TOML);
        fixture.write(
            "territory/doctors.csv",
            &format!("{DOCTORS_HEADER}{DOCTOR_ROWS}"),
        );
        fixture.write("pages/comment-ca-marche.md", HOW_MD);
        fixture
    }

    /// `site.toml` and `pages/` (plus news) only, no territory.
    pub fn pages_only() -> Self {
        let fixture = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        fixture.write("site.toml", SITE_TOML);
        fixture.write("pages/_index.md", HOME_MD);
        fixture.write(
            "pages/comment-ca-marche.md",
            HOW_MD
                .replace(" Voir aussi [Sedan](/communes/sedan-08409/).", "")
                .as_str(),
        );
        fixture.write("news/_index.md", NEWS_INDEX_MD);
        fixture.write("news/lancement.md", NEWS_POST_MD);
        fixture
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.file(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.file(relative)).unwrap()
    }

    /// Replaces `from` (which must be present) by `to` in a file.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        self.write(relative, &text.replacen(from, to, 1));
    }
}
