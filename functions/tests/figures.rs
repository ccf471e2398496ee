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

/// The Sedanais CPTS's id in the demo territory.
const SEDAN: &str = "portes-du-luxembourg-et-du-sedanais";

/// The doctors of `cpts` in the demo roster.
fn doctors_of(cpts: &str) -> Vec<territory::Doctor> {
    let t = demo_territory();
    t.doctors
        .iter()
        .filter(|d| {
            t.communes[d.commune]
                .cpts
                .is_some_and(|i| t.cpts[i].id == cpts)
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_supply_counts_the_doctors_of_the_area_with_their_own_declarations() {
    use functions::domain::declarations::{Declaration, Status};
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let found = register(&h, &[]).await;
    accepted(&h, &found, now).await;
    let sedan_doctors = doctors_of(SEDAN);
    assert!(!sedan_doctors.is_empty());
    let sedan = staff_cookie(&h, "coordination.sedanais@example.org").await;
    let (_, page) = h.send(staff_get("/espace/chiffres", &sedan)).await;
    assert_eq!(
        cell(&page, "Médecins participants"),
        sedan_doctors.len().to_string()
    );
    let capacity: u32 = sedan_doctors.iter().map(|d| d.yearly_capacity).sum();
    assert_eq!(
        cell(
            &page,
            "Nouveaux patients par an qu&#39;ils acceptent de prendre (capacité déclarée)"
        ),
        capacity.to_string()
    );
    assert_eq!(
        cell(&page, "Patients acceptés cette année (capacité utilisée)"),
        "1"
    );
    let not_accepting: usize = cell(&page, "Médecins qui ne prennent pas de nouveaux patients")
        .parse()
        .unwrap();
    // A doctor who took patients declares he takes no more: counted at once, with his capacity.
    let doctor = sedan_doctors
        .iter()
        .find(|d| d.availability == territory::Availability::AcceptingNow)
        .unwrap();
    h.app
        .declare(
            &Declaration {
                doctor: doctor.id.clone(),
                status: Status::NotAccepting,
                yearly_capacity: doctor.yearly_capacity + 7,
                home_visit_radius_km: None,
                priority_only: false,
                public: false,
                other_practices: None,
                declared_at: now,
                by: "doctor".into(),
            },
            &format!("doctor:{}", doctor.id),
        )
        .await
        .unwrap();
    let (_, page) = h.send(staff_get("/espace/chiffres", &sedan)).await;
    assert_eq!(
        cell(&page, "Médecins qui ne prennent pas de nouveaux patients"),
        (not_accepting + 1).to_string()
    );
    assert_eq!(
        cell(
            &page,
            "Nouveaux patients par an qu&#39;ils acceptent de prendre (capacité déclarée)"
        ),
        (capacity + 7).to_string()
    );
    // The tables' CSV carries the supply too.
    let (_, csv) = h
        .send(staff_get("/espace/chiffres/tableaux.csv", &sedan))
        .await;
    assert!(
        csv.contains(&format!(
            "\"Les médecins participants, aujourd'hui (quelle que soit la période)\";\"Médecins participants\";\"{}\"\n",
            sedan_doctors.len()
        )),
        "{csv}"
    );
    // Another CPTS: its own doctors, none of Sedan's acceptances.
    let rethel = staff_cookie(&h, "coordination.rethelois@example.org").await;
    let (_, page) = h.send(staff_get("/espace/chiffres", &rethel)).await;
    assert_eq!(
        cell(&page, "Médecins participants"),
        doctors_of("rethelois").len().to_string()
    );
    assert_eq!(
        cell(&page, "Patients acceptés cette année (capacité utilisée)"),
        "0"
    );
    // The whole territory: every doctor of the roster.
    let staff = staff_cookie(&h, "numero-unique@example.org").await;
    let (_, page) = h.send(staff_get("/espace/chiffres", &staff)).await;
    assert_eq!(
        cell(&page, "Médecins participants"),
        demo_territory().doctors.len().to_string()
    );
}

/// The raw bytes of a response (a workbook is not text).
async fn send_bytes(
    h: &Harness,
    request: axum::http::Request<axum::body::Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    h.send_bytes(request).await
}

#[tokio::test]
async fn the_tables_as_a_workbook_one_sheet_per_table_read_back() {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let h = Harness::new(quick_limits());
    let found = register(&h, &[("src", Some("affiche-sedan-a4"))]).await;
    accepted(&h, &found, functions::now()).await;
    let sedan = staff_cookie(&h, "coordination.sedanais@example.org").await;
    let (_, page) = h.send(staff_get("/espace/chiffres", &sedan)).await;
    assert!(
        page.contains(
            "href=\"/espace/chiffres/tableaux.xlsx?cpts=portes-du-luxembourg-et-du-sedanais&amp;du="
        ),
        "the page links to the workbook: {page}"
    );

    let (status, headers, bytes) =
        send_bytes(&h, staff_get("/espace/chiffres/tableaux.xlsx", &sedan)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"chiffres.xlsx\""
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Période",
            "Demandes reçues",
            "Par canal",
            "Par niveau de priorité",
            "Par âge",
            "Devenir des demandes",
            "Médecins écartés",
            "Délais",
            "Médecins participants",
        ]
    );
    let about = book.worksheet_range("Période").unwrap();
    assert!(matches!(about.get_value((0, 1)), Some(Data::String(s)) if s.contains("Sedanais")));
    let received = book.worksheet_range("Demandes reçues").unwrap();
    assert_eq!(
        received.get_value((1, 0)),
        Some(&Data::String("Indicateur".into()))
    );
    assert_eq!(
        received.get_value((1, 1)),
        Some(&Data::String("Valeur".into()))
    );
    assert_eq!(
        received.get_value((2, 0)),
        Some(&Data::String("Demandes reçues dans la période".into()))
    );
    assert_eq!(received.get_value((2, 1)), Some(&Data::Float(1.0)));
    let channels = book.worksheet_range("Par canal").unwrap();
    let row = (2..channels.height() as u32)
        .find(|r| {
            channels.get_value((*r, 0))
                == Some(&Data::String(
                    "Formulaire en ligne, affiche « affiche-sedan-a4 »".into(),
                ))
        })
        .expect("the poster's row");
    assert_eq!(channels.get_value((row, 1)), Some(&Data::Float(1.0)));
    let supply = book.worksheet_range("Médecins participants").unwrap();
    assert_eq!(
        supply.get_value((2, 1)),
        Some(&Data::Float(doctors_of(SEDAN).len() as f64))
    );
    // Signed out, or another CPTS: refused.
    let (status, _, _) = send_bytes(
        &h,
        axum::http::Request::get("/espace/chiffres/tableaux.xlsx")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let rethel = staff_cookie(&h, "coordination.rethelois@example.org").await;
    let (status, _, _) = send_bytes(
        &h,
        staff_get("/espace/chiffres/tableaux.xlsx?cpts=sedanais", &rethel),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Her own: no request, so no delay yet, written as text.
    let (status, _, bytes) =
        send_bytes(&h, staff_get("/espace/chiffres/tableaux.xlsx", &rethel)).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let received = book.worksheet_range("Demandes reçues").unwrap();
    assert_eq!(received.get_value((2, 1)), Some(&Data::Float(0.0)));
    let delays = book.worksheet_range("Délais").unwrap();
    assert_eq!(
        delays.get_value((3, 1)),
        Some(&Data::String("pas encore de donnée".into()))
    );
}
