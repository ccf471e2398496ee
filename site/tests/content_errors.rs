//! Every kind of content mistake is reported at its file, line and column, in French, with a fix.

mod fixture;

use fixture::{DOCTOR_ROWS, DOCTORS_HEADER, Fixture, today};
use site::build;
use territory::{Diagnostic, Severity};

/// Loads the fixture and returns every diagnostic, errors and warnings.
fn diagnostics(fixture: &Fixture) -> Vec<Diagnostic> {
    match build::load(fixture.path(), today()) {
        Ok(site) => site.warnings,
        Err(all) => all,
    }
}

/// The single diagnostic of `severity` found, checked against file, line, column and message.
#[track_caller]
fn assert_one(
    fixture: &Fixture,
    severity: Severity,
    file: &str,
    line: usize,
    column: usize,
    message: &str,
) -> Diagnostic {
    let all = diagnostics(fixture);
    let found: Vec<&Diagnostic> = all.iter().filter(|d| d.severity == severity).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {severity:?}, got:\n{}",
        render(&all)
    );
    let d = found[0].clone();
    assert_eq!(d.file, fixture.file(file), "{d}");
    assert_eq!((d.line, d.column), (line, column), "{d}");
    assert_eq!(d.message, message, "{d}");
    assert!(
        !d.fix.is_empty(),
        "a diagnostic must say how to fix it: {d}"
    );
    d
}

fn render(all: &[Diagnostic]) -> String {
    all.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn the_fixture_itself_is_clean() {
    let all = diagnostics(&Fixture::complete());
    assert!(all.is_empty(), "{}", render(&all));
    let all = diagnostics(&Fixture::pages_only());
    assert!(all.is_empty(), "{}", render(&all));
}

#[test]
fn bad_toml_in_site_config() {
    let f = Fixture::complete();
    f.edit(
        "site.toml",
        "title = \"Médecin traitant Test\"",
        "title = \"Médecin traitant Test",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "site.toml",
        1,
        31,
        "syntaxe TOML invalide (invalid basic string, expected `\"`)",
    );
    assert!(d.fix.contains("guillemets"));
}

#[test]
fn unknown_key_in_site_config() {
    let f = Fixture::complete();
    f.edit(
        "site.toml",
        "demo = true",
        "demo = true\ntelephone = \"03\"",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "site.toml",
        6,
        1,
        "clé inconnue « telephone »",
    );
    assert!(d.fix.contains("title, description, base_url"), "{d}");
}

#[test]
fn unknown_front_matter_key() {
    let f = Fixture::complete();
    f.edit(
        "pages/comment-ca-marche.md",
        "weight = 10",
        "weight = 10\nauteur = \"Moi\"",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "pages/comment-ca-marche.md",
        5,
        1,
        "clé inconnue « auteur »",
    );
    assert!(d.fix.contains("title"), "{d}");
}

#[test]
fn invalid_front_matter_date() {
    let f = Fixture::complete();
    f.edit(
        "news/lancement.md",
        "date = 2026-11-02",
        "date = \"2026-13-02\"",
    );
    assert_one(
        &f,
        Severity::Error,
        "news/lancement.md",
        4,
        8,
        "date « 2026-13-02 » invalide",
    );
}

#[test]
fn missing_front_matter() {
    let f = Fixture::complete();
    f.write("pages/oubli.md", "Pas d'en-tête ici.\n");
    assert_one(
        &f,
        Severity::Error,
        "pages/oubli.md",
        1,
        1,
        "en-tête (front matter) manquant",
    );
}

#[test]
fn broken_internal_link() {
    let f = Fixture::complete();
    f.edit(
        "pages/_index.md",
        "(/comment-ca-marche/)",
        "(/comment-ca-marche)",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "pages/_index.md",
        5,
        34,
        "lien interne cassé : aucune page à l'adresse « /comment-ca-marche »",
    );
    assert_eq!(d.fix, "ajoutez la barre finale : « /comment-ca-marche/ »");
}

#[test]
fn broken_link_after_a_placeholder_is_located_in_the_file() {
    let f = Fixture::complete();
    f.edit(
        "pages/comment-ca-marche.md",
        "(/communes/sedan-08409/)",
        "(/communes/sedan/)",
    );
    // The line holds two placeholders before the link: the column is the file's, not the expanded text's.
    assert_one(
        &f,
        Severity::Error,
        "pages/comment-ca-marche.md",
        8,
        56,
        "lien interne cassé : aucune page à l'adresse « /communes/sedan/ »",
    );
}

#[test]
fn unknown_placeholder() {
    let f = Fixture::complete();
    f.edit("pages/_index.md", "{{ telephone }}", "{{ numero }}");
    let d = assert_one(
        &f,
        Severity::Error,
        "pages/_index.md",
        5,
        12,
        "variable « {{ numero }} » inconnue",
    );
    assert!(d.fix.contains("{{ telephone }}"));
}

#[test]
fn bad_geojson() {
    let f = Fixture::complete();
    f.edit(
        "territory/communes.geojson",
        "\"population\":2300,",
        "\"population\":2300",
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/communes.geojson",
        3,
        105,
        "GeoJSON invalide (expected `,` or `}`)",
    );
}

#[test]
fn duplicate_commune_in_geojson() {
    let f = Fixture::complete();
    f.edit(
        "territory/communes.geojson",
        "\"code\":\"08174\"",
        "\"code\":\"08105\"",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/communes.geojson",
        3,
        40,
        "la commune « Floing » (08105) apparaît deux fois",
    );
    assert!(d.fix.contains("ligne 2"), "{d}");
}

#[test]
fn unknown_commune_in_cpts_perimeter() {
    let f = Fixture::complete();
    f.edit("territory/cpts.toml", "\"08174\"]", "\"08999\"]");
    assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        7,
        22,
        "code de commune « 08999 » inconnu",
    );
}

#[test]
fn duplicate_cpts_id() {
    let f = Fixture::complete();
    let second = "\n[[cpts]]\nid = \"sedanais\"\nname = \"Autre\"\nshort_name = \"Autre\"\ncommunes = [\"08105\"]\n";
    f.write(
        "territory/cpts.toml",
        &format!("{}{second}", fixture::CPTS_TOML),
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        15,
        6,
        "identifiant « sedanais » déjà utilisé",
    );
}

/// The fixture's cpts.toml followed by `staff` (its line 13 is the first of `staff`).
fn with_staff(staff: &str) -> Fixture {
    let f = Fixture::complete();
    f.write(
        "territory/cpts.toml",
        &format!("{}{staff}", fixture::CPTS_TOML),
    );
    f
}

#[test]
fn staff_roster_is_loaded() {
    let f = with_staff(
        "[[staff]]\nid = \"nadia\"\nname = \"Nadia\"\nemail = \"Numero@Example.org\"\nrole = \"coordination-territoire\"\n",
    );
    let loaded = territory::load_published(&f.path().join(territory::FOLDER), today());
    let loaded = loaded.expect("valid");
    let staff = loaded.staff();
    assert_eq!(staff.len(), 2);
    assert_eq!(staff[0].id, "alice");
    assert_eq!(
        staff[0].role,
        territory::StaffRole::Coordinator {
            cpts: "sedanais".into()
        }
    );
    let nadia = loaded.staff_by_email(" numero@example.ORG ").unwrap();
    assert_eq!(nadia.id, "nadia");
    assert_eq!(nadia.role, territory::StaffRole::TerritoryCoordination);
    assert!(loaded.staff_by_email("inconnu@example.org").is_none());
}

#[test]
fn staff_email_used_twice_case_ignored() {
    let f = with_staff(
        "[[staff]]\nid = \"bob\"\nname = \"Bob\"\nemail = \"Alice@example.org\"\nrole = \"telesecretariat\"\n",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        16,
        9,
        "adresse e-mail « Alice@example.org » déjà utilisée",
    );
    assert!(d.fix.contains("ligne 12"), "{d}");
}

#[test]
fn staff_id_used_twice() {
    let f = with_staff(
        "[[staff]]\nid = \"alice\"\nname = \"Autre Alice\"\nemail = \"autre@example.org\"\nrole = \"communication\"\n",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        14,
        6,
        "identifiant de personne « alice » déjà utilisé",
    );
    assert!(d.fix.contains("ligne 10"), "{d}");
}

#[test]
fn unknown_staff_role() {
    let f = with_staff(
        "[[staff]]\nid = \"bob\"\nname = \"Bob\"\nemail = \"bob@example.org\"\nrole = \"directeur\"\n",
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        17,
        8,
        "rôle « directeur » inconnu",
    );
}

#[test]
fn invalid_staff_id() {
    let f = with_staff(
        "[[staff]]\nid = \"Bob Martin\"\nname = \"Bob\"\nemail = \"bob@example.org\"\nrole = \"communication\"\n",
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        14,
        6,
        "identifiant de personne « Bob Martin » invalide",
    );
}

#[test]
fn bad_csv_row_length() {
    let f = Fixture::complete();
    f.write(
        "territory/doctors.csv",
        &format!("{DOCTORS_HEADER}{DOCTOR_ROWS}med-004;Dr X;08409\n"),
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        5,
        1,
        "cette ligne a 3 colonnes au lieu de 14",
    );
}

#[test]
fn unknown_commune_for_a_doctor() {
    let f = Fixture::complete();
    f.edit(
        "territory/doctors.csv",
        "med-002;Dr Paul Discret;08174",
        "med-002;Dr Paul Discret;08200",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        3,
        25,
        "code de commune « 08200 » inconnu",
    );
    assert!(d.fix.contains("pas le code postal"));
}

#[test]
fn duplicate_doctor_id() {
    let f = Fixture::complete();
    f.edit("territory/doctors.csv", "med-003;", "med-001;");
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        4,
        1,
        "identifiant « med-001 » déjà utilisé",
    );
    assert!(d.fix.contains("ligne 2"), "{d}");
}

#[test]
fn coordinates_outside_the_territory() {
    let f = Fixture::complete();
    // Latitude and longitude swapped: a classic spreadsheet mistake.
    f.edit("territory/doctors.csv", "49.701;4.941", "4.941;49.701");
    assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        2,
        31,
        "position (4.941 ; 49.701) hors du territoire",
    );
}

#[test]
fn invalid_date_in_csv() {
    let f = Fixture::complete();
    f.edit("territory/doctors.csv", "2027-02-01", "01/02/27");
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        4,
        64,
        "date « 01/02/27 » invalide",
    );
    assert!(d.fix.contains("AAAA-MM-JJ"));
}

#[test]
fn unknown_status() {
    let f = Fixture::complete();
    f.edit("territory/doctors.csv", "accepte_plus_tard", "plus_tard");
    assert_one(
        &f,
        Severity::Error,
        "territory/doctors.csv",
        4,
        46,
        "statut « plus_tard » inconnu",
    );
}

#[test]
fn doctor_outside_every_perimeter_is_a_warning() {
    let f = Fixture::complete();
    f.edit(
        "territory/doctors.csv",
        "med-002;Dr Paul Discret;08174",
        "med-002;Dr Paul Discret;08105",
    );
    let d = assert_one(
        &f,
        Severity::Warning,
        "territory/doctors.csv",
        3,
        25,
        "« Dr Paul Discret » exerce à Charleville-Mézières (08105), hors du périmètre de toutes les CPTS",
    );
    assert!(d.fix.contains("cpts.toml"));
    assert!(
        build::load(f.path(), today()).is_ok(),
        "a warning does not stop the build"
    );
}

#[test]
fn stale_declaration_is_a_warning() {
    let f = Fixture::complete();
    f.edit("territory/doctors.csv", "2026-10-15", "2026-08-01");
    assert_one(
        &f,
        Severity::Warning,
        "territory/doctors.csv",
        3,
        68,
        "disponibilité de « Dr Paul Discret » déclarée le 2026-08-01, il y a plus de trois mois",
    );
}

#[test]
fn template_override_error_points_into_the_override() {
    let f = Fixture::complete();
    f.write("templates/page.html", "{% extends \"base.html\" %}\n{% block content %}\n<h1>{{ page.title }</h1>\n{% endblock content %}\n");
    let d = assert_one(
        &f,
        Severity::Error,
        "templates/page.html",
        3,
        19,
        "erreur dans le modèle « page.html » : Found `}` but expected }}.",
    );
    assert!(d.fix.contains("content/templates"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let f = Fixture::complete();
    f.edit("pages/_index.md", "{{ telephone }}", "{{ numero }}");
    f.edit("territory/doctors.csv", "accepte_plus_tard", "plus_tard");
    f.edit("territory/cpts.toml", "\"08174\"]", "\"08999\"]");
    let errors: Vec<_> = diagnostics(&f)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    assert_eq!(errors.len(), 3, "{}", render(&errors));
}

#[test]
fn postal_address_that_is_not_text() {
    let f = Fixture::complete();
    f.edit(
        "territory/cpts.toml",
        "communes = [\"08409\", \"08174\"]",
        "communes = [\"08409\", \"08174\"]\npostal_address = 8200",
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        8,
        18,
        "valeur du mauvais type (integer `8200`, attendu : a string)",
    );
    assert!(d.fix.contains("guillemets"), "{d}");
}

#[test]
fn postal_address_too_long_or_empty() {
    let f = Fixture::complete();
    let lines: String = (1..=7).map(|i| format!("Ligne {i}\n")).collect();
    f.edit(
        "territory/cpts.toml",
        "communes = [\"08409\", \"08174\"]",
        &format!("communes = [\"08409\", \"08174\"]\npostal_address = \"\"\"\n{lines}\"\"\""),
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        8,
        18,
        "adresse postale trop longue (7 lignes, 49 caractères)",
    );
    assert!(d.fix.contains("6 lignes et 300 caractères"), "{d}");

    f.write(
        "territory/cpts.toml",
        &fixture::CPTS_TOML.replace(
            "communes = [\"08409\", \"08174\"]",
            &format!(
                "communes = [\"08409\", \"08174\"]\npostal_address = \"{}\"",
                "a".repeat(301)
            ),
        ),
    );
    assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        8,
        18,
        "adresse postale trop longue (1 lignes, 301 caractères)",
    );

    f.write(
        "territory/cpts.toml",
        &fixture::CPTS_TOML.replace(
            "communes = [\"08409\", \"08174\"]",
            "communes = [\"08409\", \"08174\"]\npostal_address = \"  \"",
        ),
    );
    let d = assert_one(
        &f,
        Severity::Error,
        "territory/cpts.toml",
        8,
        18,
        "adresse postale vide",
    );
    assert!(d.fix.contains("supprimez la ligne"), "{d}");
}
