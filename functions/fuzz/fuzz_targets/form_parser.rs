//! Any bytes posted as a form: the parser never panics, errors name known fields, and the form
//! shown again never lets the input out of its escaping.
//!
//!     cd functions/fuzz && cargo +nightly fuzz run form_parser -- -max_total_time=300

#![no_main]

use std::sync::LazyLock;

use chrono::NaiveDate;
use functions::domain::answers::Answers;
use functions::web::form::{self, FormView};
use functions::domain::registration::{self, Parsed};
use libfuzzer_sys::fuzz_target;
use territory::Territory;

static TERRITORY: LazyLock<Territory> = LazyLock::new(|| {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../content/territory");
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    territory::load(std::path::Path::new(dir), today)
        .territory
        .expect("the demo territory loads")
});

fuzz_target!(|data: &[u8]| {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    for answers in [Some(Answers::from_form(data)), Answers::from_json(data)]
        .into_iter()
        .flatten()
    {
        let parsed = registration::parse(&answers, &TERRITORY, today);
        let errors = match parsed {
            Parsed::Invalid(errors) => errors,
            Parsed::Valid(r) => {
                assert!(r.phone.as_str().starts_with('+'));
                assert!(TERRITORY.commune(&r.commune).is_some());
                Vec::new()
            }
            Parsed::NotEligible => Vec::new(),
        };
        for e in &errors {
            assert!(form::position(e.field) < usize::MAX);
        }
        let html = form::render(&FormView {
            action: "/api/registrations",
            token_url: "/api/form-token",
            answers: &answers,
            errors: &errors,
            communes: &[],
            token: Some(answers.get("token")),
            notice: None,
            privacy_url: "/donnees-personnelles/",
        });
        assert!(!html.contains("<script"), "input escaped");
        assert_eq!(html.matches("<form").count(), 1, "input escaped");
    }
});
