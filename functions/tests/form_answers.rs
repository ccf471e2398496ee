//! The public form as people on a phone fill it: a birth date typed on a digits keypad or as a
//! year alone, a commune named as people say it, the phone number first on a page of errors, and
//! a thank-you page that confirms only a request this handler just stored.

mod common;

use axum::http::StatusCode;
use common::*;
use functions::store::Store;

async fn stored(
    h: &Harness,
    changes: &[(&'static str, Option<&str>)],
) -> functions::domain::lifecycle::Request {
    let token = h.token_aged(60);
    let answers = with(with(valid(), changes), &[("token", Some(&token))]);
    let (r, body) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{body}");
    let reference = reference_of(&location(&r));
    h.app
        .store
        .request(&reference)
        .await
        .unwrap()
        .expect("stored")
}

#[tokio::test]
async fn a_birth_date_from_a_digits_keypad_or_a_year_alone_is_stored() {
    let h = Harness::new(quick_limits());
    let digits = stored(&h, &[("birth_date", Some("14071950"))]).await;
    assert_eq!(digits.registration.birth_date.french(), "14/07/1950");

    // « Né en 1936 »: the year alone, 70 or over, so priority level 1 for its age.
    let year = stored(
        &h,
        &[
            ("birth_date", Some("1936")),
            ("phone", Some("06 98 76 54 32")),
            ("pregnancy", None),
            ("ald", None),
        ],
    )
    .await;
    assert_eq!(year.registration.birth_date.french(), "1936");
    assert_eq!(year.registration.birth_date.day(), None);
    assert_eq!(year.priority.level, 1);
    assert!(
        year.priority
            .reasons
            .iter()
            .any(|r| r.contains("70 ans ou plus")),
        "{:?}",
        year.priority.reasons
    );
}

#[tokio::test]
async fn the_birth_date_field_opens_a_keyboard_with_a_slash() {
    let h = Harness::new(quick_limits());
    let (_, body) = h
        .post_form(&encode(&with(valid(), &[("consent", None)])))
        .await;
    let input = body
        .split("<input ")
        .find(|tag| tag.starts_with(r#"id="f-birth_date""#))
        .expect("the birth date field");
    let input = &input[..input.find('>').unwrap()];
    assert!(!input.contains("inputmode"), "{input}");
    assert!(body.contains("Exemple : 1936"), "the year alone is offered");
}

#[tokio::test]
async fn a_commune_named_as_people_say_it_is_found_when_only_one_fits() {
    let h = Harness::new(quick_limits());
    for (i, (typed, name)) in [
        ("Charleville", "Charleville-Mézières"),
        ("charleville", "Charleville-Mézières"),
        ("St-Menges", "Saint-Menges"),
        ("St Menges", "Saint-Menges"),
        ("Saint Menges", "Saint-Menges"),
        ("Ste-Marie", "Sainte-Marie"),
    ]
    .into_iter()
    .enumerate()
    {
        // Another person each time: not a duplicate.
        let phone = format!("06 12 34 56 {i:02}");
        let last_name = format!("Martin {}", char::from(b'a' + i as u8));
        let r = stored(
            &h,
            &[
                ("commune", Some(typed)),
                ("phone", Some(&phone)),
                ("last_name", Some(&last_name)),
            ],
        )
        .await;
        let territory = h.app.territory();
        let commune = territory.commune(&r.registration.commune).unwrap();
        assert_eq!(commune.name, name, "{typed}");
    }
    // « Saint » alone fits many communes: the person is asked to choose, answers kept.
    let (r, body) = h
        .post_form(&encode(&with(
            valid(),
            &[
                ("commune", Some("Saint")),
                ("token", Some(&h.token_aged(60))),
            ],
        )))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Plusieurs communes correspondent"), "{body}");
}

#[tokio::test]
async fn a_page_of_errors_gives_the_phone_number_before_the_errors() {
    let h = Harness::new(quick_limits());
    let (r, body) = h
        .post_form(&encode(&with(valid(), &[("consent", None)])))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let phone = body
        .find(r#"<p class="call-help"><strong>Besoin d'aide ?</strong>"#)
        .expect("the help line");
    let number = body[phone..].find("03 53 01 20 08").expect("the number") + phone;
    let errors = body.find(r#"class="error-summary""#).unwrap();
    assert!(number < errors, "the number comes before the errors");
}

#[tokio::test]
async fn the_thank_you_page_confirms_only_the_form_just_stored() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, _) = h.post_form(&body).await;
    let thanks = location(&r);
    let reference = reference_of(&thanks);
    let (r, page) = h.get(&thanks).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("Votre demande est enregistrée"));
    assert!(page.contains(&reference));

    // A reference that exists but without its link, a made-up one, a link for another reference:
    // the same neutral page, which says neither « stored » nor « unknown ».
    let token = thanks.split_once("?jeton=").unwrap().1;
    let neutral = [
        format!("/api/registrations/{reference}/merci"),
        "/api/registrations/ZZZZ9999/merci".to_string(),
        format!("/api/registrations/ZZZZ9999/merci?jeton={token}"),
        format!("/api/registrations/{reference}/merci?jeton=v1.abc"),
    ];
    let mut pages = Vec::new();
    for path in &neutral {
        let (r, page) = h.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(!page.contains("enregistrée</h1>"), "{path}: {page}");
        assert!(
            !page.contains("ZZZZ9999") && !page.contains(&reference),
            "{path}"
        );
        assert!(page.contains("Cette page ne peut pas vous dire"), "{path}");
        assert!(
            page.contains("03 53 01 20 08"),
            "{path}: the number to call"
        );
        pages.push(page);
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "one page for all");
}
