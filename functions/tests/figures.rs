//! The figures page and its CSV exports through the real Router and SQLite (issue #16): a
//! coordinator sees her CPTS's cohort, by channel with the poster's tag, with the delays; another
//! CPTS is refused; territory staff see the whole territory; a wrong date is named and kept; the
//! CSV files start with a BOM and carry no personal data.

mod common;

use axum::http::{StatusCode, header};
use common::*;

async fn register(h: &Harness, changes: &[(&'static str, Option<&str>)]) -> String {
    let body = encode(&with(
        with(valid(), changes),
        &[("token", Some(&h.token_aged(60)))],
    ));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    reference_of(&location(&r))
}

/// The cell after the row labelled `label` in `page`.
fn cell(page: &str, label: &str) -> String {
    let marker = format!("<td data-label=\"Indicateur\">{label}</td><td data-label=\"Nombre\">");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no row {label} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn a_coordinator_sees_her_cohort_by_channel_with_delays_and_downloads_it() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let found = register(&h, &[("src", Some("affiche-sedan-a4"))]).await;
    accepted(&h, &found, now).await;
    let other = register(
        &h,
        &[
            ("email", Some("autre@example.fr")),
            ("phone", Some("06 22 33 44 55")),
            ("birth_date", Some("01/02/2022")),
        ],
    )
    .await;
    let sedan = staff_cookie(&h, "coordination.sedanais@example.org").await;

    let (r, page) = h.send(staff_get("/espace/chiffres", &sedan)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Sedanais"), "her CPTS by name: {page}");
    assert!(
        !page.contains("<select"),
        "a coordinator does not choose the CPTS"
    );
    assert_eq!(cell(&page, "Demandes reçues dans la période"), "2");
    assert_eq!(
        cell(&page, "Formulaire en ligne, affiche « affiche-sedan-a4 »"),
        "1"
    );
    assert_eq!(cell(&page, "Formulaire en ligne, sans affiche"), "1");
    assert_eq!(cell(&page, "Appel téléphonique"), "0");
    assert_eq!(cell(&page, "70 ans et plus"), "1");
    assert_eq!(cell(&page, "0 à 5 ans"), "1");
    assert_eq!(
        cell(&page, "Un médecin a accepté (demande pas encore close)"),
        "1"
    );
    assert_eq!(cell(&page, "Toujours en attente d&#39;un médecin"), "1");
    assert_eq!(
        cell(
            &page,
            "De la demande à l&#39;accord d&#39;un médecin : médiane (jours)"
        ),
        "0"
    );
    assert!(page.contains("<svg") && page.contains("<rect"), "the chart");
    assert!(!page.contains("<script"), "no script");
    assert!(!page.contains("Dupré"), "no name");
    // The three default periods are offered.
    for label in ["Ce trimestre", "Cette année", "Depuis le début"] {
        assert!(page.contains(label), "{label}");
    }

    // The tables as CSV: BOM, semicolons, French headers.
    let (r, csv) = h
        .send(staff_get("/espace/chiffres/tableaux.csv", &sedan))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.starts_with("\u{feff}tableau;indicateur;valeur\n"),
        "{csv}"
    );
    assert!(csv.contains("\"Demandes reçues\";\"Demandes reçues dans la période\";\"2\"\n"));
    // One line per request, no personal data.
    let (r, csv) = h
        .send(staff_get("/espace/chiffres/demandes.csv", &sedan))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(csv.starts_with(
        "\u{feff}référence;code commune;reçue le;niveau de priorité;canal;état;issue\n"
    ));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(&format!("\"{found}\";\"08409\";")), "{csv}");
    assert!(csv.contains(&other));
    for personal in ["Dupré", "Léa", "06 12", "example.fr", "1950", "2022"] {
        assert!(!csv.contains(personal), "{personal} in {csv}");
    }

    // Another CPTS's coordinator: none of these, and not Sedan's figures.
    let rethel = staff_cookie(&h, "coordination.rethelois@example.org").await;
    let (_, page) = h.send(staff_get("/espace/chiffres", &rethel)).await;
    assert_eq!(cell(&page, "Demandes reçues dans la période"), "0");
    let (r, _) = h
        .send(staff_get("/espace/chiffres?cpts=sedanais", &rethel))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (r, _) = h
        .send(staff_get(
            "/espace/chiffres/demandes.csv?cpts=sedanais",
            &rethel,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn territory_staff_choose_the_area_and_a_wrong_date_is_named_and_kept() {
    let h = Harness::new(quick_limits());
    register(&h, &[]).await;
    let staff = staff_cookie(&h, "numero-unique@example.org").await;
    let (r, page) = h.send(staff_get("/espace/chiffres", &staff)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("tout le territoire"));
    assert!(page.contains("<select id=\"cpts\""));
    assert_eq!(cell(&page, "Demandes reçues dans la période"), "1");
    let (_, page) = h
        .send(staff_get("/espace/chiffres?cpts=rethelois", &staff))
        .await;
    assert_eq!(cell(&page, "Demandes reçues dans la période"), "0");
    // A period before the request: none.
    let (_, page) = h
        .send(staff_get(
            "/espace/chiffres?du=2020-01-01&au=2020-12-31",
            &staff,
        ))
        .await;
    assert_eq!(cell(&page, "Demandes reçues dans la période"), "0");
    assert!(
        page.contains("du 1er janvier 2020 au 31 décembre 2020"),
        "{page}"
    );

    // An end without a start: the quarter of the end.
    let (_, page) = h
        .send(staff_get("/espace/chiffres?au=2025-06-30", &staff))
        .await;
    assert!(page.contains("du 1er avril 2025 au 30 juin 2025"), "{page}");

    let (r, page) = h
        .send(staff_get("/espace/chiffres?du=32%2F13%2F2026&au=", &staff))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Du : écrivez la date comme 01/01/2026"),
        "{page}"
    );
    assert!(
        page.contains("value=\"32&#x2F;13&#x2F;2026\"") || page.contains("value=\"32/13/2026\""),
        "{page}"
    );
    assert!(!page.contains("Demandes reçues dans la période"));
    let (r, page) = h
        .send(staff_get("/espace/chiffres?cpts=nulle-part", &staff))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("CPTS : choisissez-la dans la liste."));
    // The home page links to the figures.
    let (_, home) = h.send(staff_get("/espace/", &staff)).await;
    assert!(home.contains("href=\"/espace/chiffres\""));
}
