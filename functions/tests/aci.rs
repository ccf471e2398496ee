//! The ACI report through the real Router and SQLite (issue #16): a coordinator's year, by
//! criterion and age with the mean age, an erased request still counted; the same figures in the
//! PDF (its text read back); another CPTS's coordinator and a visitor without a session refused;
//! territory staff choose the area; a wrong year is named.

mod common;

use axum::http::{StatusCode, header};
use chrono::Datelike;
use common::*;
use functions::domain::lifecycle;
use functions::store::{Applied, Store};

async fn register(h: &Harness, changes: &[(&'static str, Option<&str>)]) -> String {
    let body = encode(&with(
        with(valid(), changes),
        &[("token", Some(&h.token_aged(60)))],
    ));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    reference_of(&location(&r))
}

/// The person withdraws and her data are erased.
async fn erase(h: &Harness, reference: &str, now: i64) {
    let store = &h.app.store;
    let case = store.case(reference).await.unwrap().unwrap();
    let current = match case.current_proposal() {
        Some(id) => store.proposal(id).await.unwrap(),
        None => None,
    };
    let request = store.request(reference).await.unwrap().unwrap();
    let erasure = lifecycle::erase(&case, current.as_ref(), &request, now, "staff:claire").unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);
}

/// The cells after the row labelled `label` in `page` (a table of the report).
fn cells(page: &str, label: &str) -> Vec<String> {
    let row = page
        .split("<tr>")
        .find(|r| r.contains(&format!("\">{label}</td>")))
        .unwrap_or_else(|| panic!("no row {label} in {page}"));
    row.split("<td")
        .skip(2)
        .map(|c| {
            let start = c.find('>').unwrap() + 1;
            c[start..start + c[start..].find('<').unwrap()].to_string()
        })
        .collect()
}

fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

/// Blanks of any kind made one space, to compare the PDF's lines with the page's.
fn squeeze(s: &str) -> String {
    s.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn a_coordinator_reads_her_year_by_criterion_and_age_and_downloads_the_same_pdf() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let year = functions::domain::dates::local_date(now).year();
    // 1: 76 years old, ALD and pregnancy ticked, a doctor accepted.
    let found = register(&h, &[]).await;
    accepted(&h, &found, now).await;
    // 2: four years old, C2S, then withdrawn and erased: still counted.
    let erased = register(
        &h,
        &[
            ("email", Some("autre@example.fr")),
            ("phone", Some("06 22 33 44 55")),
            ("birth_date", Some("01/02/2022")),
            ("ald", None),
            ("pregnancy", None),
            ("c2s_ame", Some("oui")),
        ],
    )
    .await;
    erase(&h, &erased, now).await;
    let sedan = staff_cookie(&h, "coordination.sedanais@example.org").await;

    let uri = format!("/espace/chiffres/rapport-aci?annee={year}");
    let (r, page) = h.send(staff_get(&uri, &sedan)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("Rapport annuel ACI {year}")),
        "{page}"
    );
    assert!(page.contains("Sedanais"));
    assert!(page.contains("Document interne"), "small counts are shown");
    assert!(!page.contains("<select id=\"cpts\""), "her CPTS only");
    assert_eq!(
        cells(
            &page,
            "Patients orientés (demandes reçues dans l&#39;année)"
        ),
        ["2"]
    );
    assert_eq!(
        cells(
            &page,
            "Patients qui ont trouvé un médecin traitant grâce à la CPTS"
        ),
        ["1"]
    );
    assert_eq!(cells(&page, "Affection de longue durée (ALD)"), ["1", "1"]);
    assert_eq!(cells(&page, "70 ans et plus"), ["1", "1"]);
    assert_eq!(cells(&page, "C2S ou AME"), ["1", "0"], "the erased request");
    assert_eq!(cells(&page, "Grossesse"), ["1", "1"]);
    assert_eq!(
        cells(&page, "Handicap ou perte d&#39;autonomie"),
        ["0", "0"]
    );
    assert_eq!(cells(&page, "0 à 5 ans"), ["1", "0"]);
    assert_eq!(
        cells(
            &page,
            "Âge moyen (ans), sur 2 demandes dont l&#39;âge est connu"
        ),
        ["40,0", "76,0"]
    );
    assert_eq!(
        cells(&page, "De la demande à l&#39;accord d&#39;un médecin"),
        ["1", "0", "0"]
    );
    assert!(
        cells(&page, "Médecins participants")[0]
            .parse::<u32>()
            .unwrap()
            > 0
    );
    // No personal data (the year selector names years, not birth dates).
    for personal in ["Dupré", "Léa", "06 12", "example.fr", "07/1950", "02/2022"] {
        assert!(!page.contains(personal), "{personal} in the page");
    }
    let pdf_link = format!(
        "/espace/chiffres/rapport-aci.pdf?cpts=portes-du-luxembourg-et-du-sedanais&amp;annee={year}"
    );
    assert!(page.contains(&pdf_link), "{page}");

    // The same report as a PDF: its text carries the same lines and figures.
    let (response, pdf) = h
        .send_bytes(staff_get(&pdf_link.replace("&amp;", "&"), &sedan))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = squeeze(&pdf_text(&pdf));
    for expected in [
        format!("Rapport annuel ACI {year}"),
        "Document interne".to_string(),
        "Affection de longue durée (ALD) 1 1".to_string(),
        "70 ans et plus 1 1".to_string(),
        "C2S ou AME 1 0".to_string(),
        "0 à 5 ans 1 0".to_string(),
        "40,0 76,0".to_string(),
        "Patients orientés (demandes reçues dans l'année) 2".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected} not in {text}");
    }
    assert!(!text.contains("Dupré"));

    // Another CPTS's coordinator: refused on Sedan's report and its PDF; her own is empty.
    let rethel = staff_cookie(&h, "coordination.rethelois@example.org").await;
    for path in ["rapport-aci", "rapport-aci.pdf"] {
        let (r, _) = h
            .send(staff_get(
                &format!(
                    "/espace/chiffres/{path}?cpts=portes-du-luxembourg-et-du-sedanais&annee={year}"
                ),
                &rethel,
            ))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (_, page) = h.send(staff_get(&uri, &rethel)).await;
    assert_eq!(
        cells(
            &page,
            "Patients orientés (demandes reçues dans l&#39;année)"
        ),
        ["0"]
    );
    // No session: refused.
    for path in ["rapport-aci", "rapport-aci.pdf"] {
        let (response, body) = h
            .send_bytes(
                axum::http::Request::get(format!("/espace/chiffres/{path}?annee={year}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("Rapport annuel ACI"));
    }
}

#[tokio::test]
async fn territory_staff_choose_the_area_the_last_complete_year_by_default_and_a_wrong_year_is_named()
 {
    let h = Harness::new(quick_limits());
    register(&h, &[]).await;
    let staff = staff_cookie(&h, "numero-unique@example.org").await;
    let year = functions::domain::dates::local_date(functions::now()).year();
    let (r, page) = h
        .send(staff_get("/espace/chiffres/rapport-aci", &staff))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("<select id=\"cpts\""));
    assert!(
        page.contains(&format!(
            "Rapport annuel ACI {} — tout le territoire",
            year - 1
        )),
        "{page}"
    );
    assert!(page.contains(&format!("<option value=\"{}\" selected>", year - 1)));
    assert_eq!(
        cells(
            &page,
            "Patients orientés (demandes reçues dans l&#39;année)"
        ),
        ["0"],
        "last year: none"
    );
    let (_, page) = h
        .send(staff_get(
            &format!("/espace/chiffres/rapport-aci?cpts=territoire&annee={year}"),
            &staff,
        ))
        .await;
    assert_eq!(
        cells(
            &page,
            "Patients orientés (demandes reçues dans l&#39;année)"
        ),
        ["1"]
    );
    let (r, page) = h
        .send(staff_get("/espace/chiffres/rapport-aci?annee=19", &staff))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Année : choisissez une année entre 2000 et"),
        "{page}"
    );
    assert!(!page.contains("Rapport annuel ACI 19"));
    // The figures page links to the report.
    let (_, page) = h.send(staff_get("/espace/chiffres", &staff)).await;
    assert!(
        page.contains("href=\"/espace/chiffres/rapport-aci?cpts="),
        "{page}"
    );
}
