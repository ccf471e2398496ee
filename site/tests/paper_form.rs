//! The printable paper form of each CPTS: where to send it, or what to do without an address.

mod fixture;

use fixture::{Fixture, today};
use site::{build, output};

fn paper_form(f: &Fixture) -> String {
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    let out = tempfile::tempdir().unwrap();
    if output::write(&site, out.path()).is_err() {
        panic!("write failed");
    }
    std::fs::read_to_string(
        out.path()
            .join("site/inscription/papier/sedanais/index.html"),
    )
    .unwrap()
}

const ADDRESS: &str = "communes = [\"08409\", \"08174\"]\npostal_address = \"\"\"\n  CPTS du Sedanais\n\n  12 rue de l'Essai  \n08200 Sedan\"\"\"";

#[test]
fn a_cpts_with_an_address_says_where_to_send_the_form() {
    let f = Fixture::complete();
    f.edit(
        "territory/cpts.toml",
        "communes = [\"08409\", \"08174\"]",
        ADDRESS,
    );
    let page = paper_form(&f);
    assert!(
        page.contains("Envoyez ou déposez ce formulaire à :"),
        "{page}"
    );
    // Lines trimmed, empty lines dropped, shown as lines (CSS white-space: pre-line).
    assert!(
        page.contains("<address>CPTS du Sedanais\n12 rue de l&#39;Essai\n08200 Sedan</address>"),
        "{page}"
    );
    assert!(!page.contains("Remettez ce formulaire à votre mairie"));
}

#[test]
fn a_cpts_without_an_address_sends_people_to_the_town_hall_or_the_phone() {
    let page = paper_form(&Fixture::complete());
    assert!(
        page.contains("Remettez ce formulaire à votre mairie ou appelez le <a href=\"tel:"),
        "{page}"
    );
    assert!(!page.contains("Envoyez ou déposez"));
    assert!(!page.contains("<address>"));
}

#[test]
fn without_a_phone_number_the_town_hall_alone() {
    let f = Fixture::complete();
    let config = std::fs::read_to_string(f.file("site.toml")).unwrap();
    let without_phone = config.split("[phone]").next().unwrap().to_string();
    f.write("site.toml", &without_phone);
    f.edit("pages/_index.md", "{{ telephone }}", "la coordination");
    f.edit(
        "pages/comment-ca-marche.md",
        "{{ telephone }}, {{ horaires }}",
        "la coordination",
    );
    let page = paper_form(&f);
    assert!(
        page.contains("Remettez ce formulaire à votre mairie.</p>"),
        "{page}"
    );
}
