//! The public figures page (`/chiffres/`, issue #16): without a store it says the figures will
//! come, never a number; with the figures from the store, a table per CPTS and the territory,
//! hidden counts said as such.

mod fixture;

use fixture::{Fixture, today};
use functions::domain::public_figures::{self, PublicFigures};
use site::{build, output};

fn figures_page(figures: Option<PublicFigures>) -> String {
    let f = Fixture::complete();
    let site = build::load(f.path(), today())
        .unwrap_or_else(|d| panic!("{d:?}"))
        .with_public_figures(figures);
    let out = tempfile::tempdir().unwrap();
    if output::write(&site, out.path()).is_err() {
        panic!("write failed");
    }
    let read = |p: &str| std::fs::read_to_string(out.path().join("site").join(p)).unwrap();
    read("chiffres/index.html")
}

#[test]
fn without_a_store_the_page_says_the_figures_will_come_and_shows_no_number() {
    let page = figures_page(None);
    assert!(
        page.contains(
            "Les chiffres seront publiés quand la CPTS aura reçu ses premières demandes."
        )
    );
    assert!(!page.contains("<table"), "{page}");
}

#[test]
fn with_the_figures_each_cpts_and_the_territory_have_a_table() {
    let f = Fixture::complete();
    let territory = build::load(f.path(), today())
        .unwrap()
        .territory()
        .unwrap()
        .clone();
    // No request yet: the same as without a store.
    let empty = public_figures::compute(&[], &territory, today());
    let page = figures_page(Some(empty.clone()));
    assert!(page.contains("seront publiés"), "{page}");
    let mut figures = empty;
    figures.any_request = true;
    let row = &mut figures.areas[0].rows[0];
    row.received = Some(25);
    row.waiting = Some(15);
    let total = figures.areas.last_mut().unwrap();
    total.rows[0].received = Some(40);
    total.rows[0].found = Some(20);
    total.rows[0].median_wait_days = Some(12);
    let page = figures_page(Some(figures.clone()));
    assert!(!page.contains("seront publiés"));
    assert_eq!(
        page.matches("<table").count(),
        figures.areas.len(),
        "one per CPTS and the territory"
    );
    for area in &figures.areas {
        assert!(page.contains(&area.name), "{}", area.name);
    }
    assert!(page.contains("Tout le territoire"));
    assert!(page.contains("<td>25</td>") && page.contains("<td>12 jours</td>"));
    assert!(page.contains("<td>caché</td>"));
    assert!(page.contains("arrondis à 5 près"));
    assert!(page.contains("plus petit que 11 n'est jamais affiché"));
    assert!(page.contains(&figures.quarters[0].label));
}
