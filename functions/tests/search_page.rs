//! The staff search page: results within the scope, names escaped, a sentence for an empty,
//! short or fruitless query.

#[allow(unused_imports)]
mod common;
#[macro_use]
mod contract;

use functions::domain::registration::Name;
use functions::domain::staff::Scope;
use functions::web::search::{SearchParams, search_page};

use common::{Harness, quick_limits};
use contract::{RegisterSample, sample_mail, sample_request};

async fn body(h: &Harness, scope: &Scope, q: &str) -> (u16, String) {
    let params = SearchParams { q: q.into() };
    let response = search_page(&h.app, scope, &params, 1000 + 12 * 86_400).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn results_link_to_their_request_and_names_are_escaped() {
    let h = Harness::new(quick_limits());
    let mut request = sample_request("K7M4P9QX", 1000);
    request.registration.last_name = Name::parse("D'Artagnan", "le nom").unwrap();
    request.cpts = Some("rethelois".into());
    h.app
        .store
        .register_sample(&request, "n1", &sample_mail("m1"), &[])
        .await
        .unwrap();
    let (status, page) = body(&h, &Scope::Cpts("rethelois".into()), "dartagnan").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"href="/api/demandes/K7M4P9QX""#), "{page}");
    assert!(page.contains("Léa D&#39;Artagnan"), "{page}");
    assert!(page.contains("Sedan"), "the commune by name");
    assert!(page.contains("reçue il y a 12 jours"));
    assert!(page.contains("en attente d&#39;un médecin disponible"));
    assert!(page.contains(r#"<label for="q">"#), "a visible label");
    // Another CPTS does not see it.
    let (_, page) = body(&h, &Scope::Cpts("vouzinois".into()), "dartagnan").await;
    assert!(page.contains("Aucune demande ne correspond à « dartagnan »"));
    assert!(!page.contains("K7M4P9QX"));
}

#[tokio::test]
async fn empty_short_and_hostile_queries_get_a_sentence() {
    let h = Harness::new(quick_limits());
    let (status, page) = body(&h, &Scope::Territory, "  ").await;
    assert_eq!(status, 200);
    assert!(page.contains("Écrivez ce que vous savez de la personne"));
    let (_, page) = body(&h, &Scope::Territory, "a").await;
    assert!(page.contains("C&#39;est trop court pour chercher"));
    let (_, page) = body(&h, &Scope::Territory, "\"><script>alert(1)</script>").await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;"));
}
