//! The footer names every CPTS of a local site, but not the hundreds of a national one.

mod fixture;

use fixture::{Fixture, today};
use site::{build, output};

fn home_page(f: &Fixture) -> String {
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    let out = tempfile::tempdir().unwrap();
    if output::write(&site, out.path()).is_err() {
        panic!("write failed");
    }
    std::fs::read_to_string(out.path().join("site/comment-ca-marche/index.html")).unwrap()
}

fn footer(page: &str) -> &str {
    &page[page.find("<footer").expect("a footer")..]
}

#[test]
fn a_local_site_names_its_cpts_in_every_footer() {
    let f = Fixture::complete();
    let page = home_page(&f);
    assert!(footer(&page).contains("href=\"/cpts/sedanais/\""));
}

#[test]
fn a_site_with_many_cpts_links_to_the_commune_index_instead() {
    let f = Fixture::with_many_cpts(13);
    let page = home_page(&f);
    let footer = footer(&page);
    assert!(!footer.contains("href=\"/cpts/"), "{footer}");
    assert!(footer.contains("href=\"/communes/\""), "{footer}");
}
