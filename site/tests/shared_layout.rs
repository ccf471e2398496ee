//! One layout for the site and the form handler: `content/templates/base.html` changes the site's
//! pages and the handler's pages alike, and a broken one is reported by `cpts check` and stops
//! the handler from starting, with its file, line and column.

mod fixture;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fixture::{Fixture, TODAY, today};
use site::handler::{self, Setup};
use site::{build, output};
use tower::ServiceExt;

const BANNER: &str = r#"<p class="bandeau">Un service des CPTS des Ardennes</p>"#;

fn with_banner(f: &Fixture) {
    let base = functions::view::BASE.replace(
        "<header class=\"header\">",
        &format!("{BANNER}\n<header class=\"header\">"),
    );
    assert_ne!(base, functions::view::BASE);
    f.write("templates/base.html", &base);
}

fn site_page(f: &Fixture, file: &str) -> String {
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    let out = tempfile::tempdir().unwrap();
    if output::write(&site, out.path()).is_err() {
        panic!("write failed");
    }
    std::fs::read_to_string(out.path().join("site").join(file)).unwrap()
}

fn open(content: &Path, data: &Path) -> Result<handler::Opened, String> {
    handler::open(&Setup {
        content,
        data,
        links: handler::Links::Loopback(8000),
        today: today(),
        create: true,
    })
}

async fn handler_page(app: &Arc<handler::LocalApp>, uri: &str) -> (StatusCode, String) {
    let response = functions::router(Arc::clone(app))
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn an_override_of_the_layout_changes_the_site_and_the_handler() {
    let f = Fixture::complete();
    with_banner(&f);
    for file in [
        "index.html",
        "comment-ca-marche/index.html",
        "merci/index.html",
        "inscription/index.html",
    ] {
        assert!(site_page(&f, file).contains(BANNER), "{file}");
    }
    let data = tempfile::tempdir().unwrap();
    let opened = open(f.path(), data.path()).unwrap();
    for uri in [
        "/api/registrations/ABCD2345/merci",
        "/api/demandes/ABCD2345?jeton=abc",
    ] {
        let (_, page) = handler_page(&opened.app, uri).await;
        assert!(page.contains(BANNER), "{uri}:\n{page}");
        assert!(page.contains("<title>"), "{uri}");
    }
    // The site's /merci/ and the handler's thank-you page say the same, the handler's with the
    // reference.
    let site_thanks = site_page(&f, "merci/index.html");
    // As the form's answer links to it, signed.
    let signed = functions::web::registration::thanks_url(&opened.app, "ABCD2345");
    let (status, handler_thanks) = handler_page(&opened.app, &signed).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Et maintenant ?",
        "Ne remplissez pas le formulaire une deuxième fois.",
    ] {
        assert!(
            site_thanks.contains(text) && handler_thanks.contains(text),
            "{text}"
        );
    }
    assert!(handler_thanks.contains(r#"<p class="reference">ABCD2345</p>"#));
    assert!(!site_thanks.contains(r#"class="reference""#));
}

#[test]
fn a_broken_layout_is_reported_by_check_and_stops_the_handler() {
    let f = Fixture::complete();
    f.write(
        "templates/base.html",
        &functions::view::BASE.replace("{{ site.title }}</a>", "{{ site.title }</a>"),
    );
    let line = functions::view::BASE
        .lines()
        .position(|l| l.contains("{{ site.title }}</a>"))
        .unwrap()
        + 1;
    let place = format!("templates/base.html:{line}:");

    let checked = Command::new(env!("CARGO_BIN_EXE_cpts"))
        .args(["check", "--content"])
        .arg(f.path())
        .env("CPTS_TODAY", TODAY)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&checked.stderr);
    assert!(!checked.status.success());
    assert!(report.contains(&place), "{report}");
    assert!(
        report.contains("erreur dans le modèle « base.html »"),
        "{report}"
    );

    let data = tempfile::tempdir().unwrap();
    let Err(message) = open(f.path(), data.path()) else {
        panic!("the handler started with a broken layout");
    };
    assert!(message.contains(&place), "{message}");
    assert!(
        message.contains("erreur dans le modèle « base.html »"),
        "{message}"
    );
    assert!(message.contains("ne démarre pas"), "{message}");
}
