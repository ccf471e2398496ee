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
    let f = Fixture::complete();
    let mut communes = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut cpts = String::new();
    for i in 0..13 {
        let lon = 4.0 + f64::from(i) * 0.1;
        let separator = if i == 12 { "" } else { "," };
        communes.push_str(&format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"08{:03}\",\"nom\":\"Commune {i}\",\"centre\":[{lon:.2},49.7]}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{lon:.2},49.6],[{:.2},49.6],[{:.2},49.8],[{lon:.2},49.8],[{lon:.2},49.6]]]}}}}{separator}\n",
            i + 1,
            lon + 0.1,
            lon + 0.1
        ));
        cpts.push_str(&format!(
            "[[cpts]]\nid = \"cpts-{i}\"\nname = \"CPTS {i}\"\nshort_name = \"C{i}\"\ndescription = \"Test.\"\nmain_towns = [\"Commune {i}\"]\ncommunes = [\"08{:03}\"]\n\n[[cpts.coordinators]]\nname = \"Coordination {i}\"\nemail = \"c{i}@example.org\"\n\n",
            i + 1
        ));
    }
    communes.push_str("]}\n");
    f.write("territory/communes.geojson", &communes);
    f.write("territory/cpts.toml", &cpts);
    f.write("territory/doctors.csv", fixture::DOCTORS_HEADER);
    // The fixture's pages link to Sedan, which this territory does not have.
    f.edit(
        "pages/comment-ca-marche.md",
        " Voir aussi [Sedan](/communes/sedan-08409/).",
        "",
    );
    let page = home_page(&f);
    let footer = footer(&page);
    assert!(!footer.contains("href=\"/cpts/"), "{footer}");
    assert!(footer.contains("href=\"/communes/\""), "{footer}");
}
