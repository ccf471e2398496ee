//! The handler's pages and mails come from its templates: autoescaped, in the site's layout,
//! replaced by a folder of overrides, and a broken override is named by file, line and column.

mod common;

use axum::http::StatusCode;
use common::*;
use functions::view::View;
use territory::Severity;

async fn register_one(h: &Harness) -> String {
    reference_of(&thanks_page(h).await)
}

/// The signed thank-you page a stored form is sent to.
async fn thanks_page(h: &Harness) -> String {
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, _) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r)
}

fn builtin(name: &str) -> &'static str {
    functions::view::BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .unwrap()
}

/// A folder of templates, each (name, text).
fn overrides(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn every_page_is_in_the_site_layout() {
    let h = Harness::new(quick_limits());
    let thanks = thanks_page(&h).await;
    let (r, page) = h.get(&thanks).await;
    assert_eq!(r.status(), StatusCode::OK);
    for part in [
        "<title>Demande enregistrée — Médecin traitant Ardennes</title>",
        r#"<meta name="robots" content="noindex">"#,
        r#"<link rel="icon" href="data:,">"#,
        r#"<link rel="stylesheet" href="/style.css">"#,
        r#"<link rel="stylesheet" href="/inscription/formulaire.css">"#,
        r##"<a class="skip" href="#contenu">Aller au contenu</a>"##,
        r#"<a class="brand" href="/">Médecin traitant Ardennes</a>"#,
        r#"<main id="contenu" class="wrap">"#,
        r#"<footer class="footer">"#,
        "Numéro unique : <a href=\"tel:+33353012008\">03 53 01 20 08</a>",
    ] {
        assert!(page.contains(part), "« {part} » in:\n{page}");
    }
    // Not the site's canonical address or Open Graph card: the page is not to be indexed.
    assert!(!page.contains("rel=\"canonical\""));
    assert!(!page.contains("og:title"));
    // An empty menu is no menu.
    assert!(!page.contains("Menu principal"));
    // The script only comes with the form.
    assert!(!page.contains("<script"));
    let (_, form) = h
        .post_form(&encode(&with(valid(), &[("phone", Some("06"))])))
        .await;
    assert!(form.contains(r#"<script src="/inscription/formulaire.js" defer></script>"#));
}

#[tokio::test]
async fn answers_shown_again_are_escaped() {
    let h = Harness::new(quick_limits());
    let attack = "<script>alert(1)</script>";
    let answers = with(
        valid(),
        &[
            ("commune", Some(attack)),
            ("last_name", Some("\"><img src=x onerror=alert(1)>")),
        ],
    );
    let (r, page) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.contains(attack), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains(r#"value="&lt;script&gt;alert(1)&lt;/script&gt;""#));
    assert!(page.contains(r#"value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;""#));
    // The error message that quotes the commune is escaped too.
    assert!(
        page.contains("« &lt;script&gt;alert(1)&lt;/script&gt; »"),
        "{page}"
    );
}

#[tokio::test]
async fn an_override_of_the_layout_changes_every_page_and_keeps_its_blocks() {
    let h = Harness::new(quick_limits());
    let base = functions::view::BASE.replace(
        r#"<a class="brand" href="/">"#,
        r#"<img class="logo" src="/logo.svg" alt=""><a class="brand" href="/">"#,
    );
    let dir = overrides(&[("base.html", &base)]);
    h.app.replace_view(View::load(Some(dir.path())).unwrap());
    let thanks = thanks_page(&h).await;
    let reference = reference_of(&thanks);
    for path in [
        thanks,
        "/api/registrations/nope/merci".to_string(),
        format!("/api/demandes/{reference}?jeton=abc"),
    ] {
        let (_, page) = h.get(&path).await;
        assert!(
            page.contains(r#"<img class="logo" src="/logo.svg" alt="">"#),
            "{page}"
        );
        assert!(page.contains(r#"<meta name="robots" content="noindex">"#));
    }
}

#[test]
fn a_broken_override_is_named_by_file_line_and_column() {
    let dir = overrides(&[(
        "thanks.html",
        "{% extends \"handler.html\" %}\n{% block content %}\n<h1>{{ page.reference }</h1>\n{% endblock content %}\n",
    )]);
    let d = View::load(Some(dir.path()))
        .err()
        .expect("a broken template");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.file, dir.path().join("thanks.html"));
    assert_eq!((d.line, d.column), (3, 23));
    assert!(
        d.message
            .starts_with("erreur dans le modèle « thanks.html » : "),
        "{}",
        d.message
    );
    assert!(d.fix.contains("content/templates"), "{}", d.fix);
    let text = d.to_string();
    assert!(
        text.starts_with(&format!(
            "{}:3:23: erreur : ",
            dir.path().join("thanks.html").display()
        )),
        "{text}"
    );
}

#[test]
fn a_layout_without_the_handlers_blocks_is_refused_where_it_matters() {
    // An old copy of base.html, without the `meta` block the handler's pages fill.
    let base = functions::view::BASE
        .replace("{% block meta %}", "")
        .replace("{% endblock meta %}", "");
    let dir = overrides(&[("base.html", &base)]);
    let d = View::load(Some(dir.path())).err().expect("refused");
    assert!(d.message.contains("meta"), "{d}");
    assert!(d.file.ends_with("handler.html (modèle intégré)"), "{d}");
    assert!(d.line > 1, "{d}");
    assert!(d.fix.contains("base.html"), "{d}");
}

#[test]
fn no_folder_means_the_built_in_templates() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("templates");
    let view = View::load(Some(&missing)).unwrap();
    assert_eq!(view.overrides().count(), 0);
    assert_eq!(View::load(None).unwrap().overrides().count(), 0);
}

#[tokio::test]
async fn an_override_that_fails_while_rendering_falls_back_to_the_built_in_page() {
    let h = Harness::new(quick_limits());
    let dir = overrides(&[(
        "thanks.html",
        "{% extends \"handler.html\" %}{% block content %}{{ page.nothing_like_this.at_all }}{% endblock content %}",
    )]);
    h.app.replace_view(View::load(Some(dir.path())).unwrap());
    let thanks = thanks_page(&h).await;
    let reference = reference_of(&thanks);
    let (r, page) = h.get(&thanks).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains(&reference), "{page}");
    assert!(page.contains("Et maintenant ?"));
}

/// The HTML part of a decoded mail.
fn html_part(mail: &str) -> &str {
    let start = mail.find("<!doctype html>").expect("an HTML part");
    let end = mail[start..].find("</html>").expect("a whole HTML part") + start;
    &mail[start..end + "</html>".len()]
}

#[tokio::test]
async fn a_mail_is_written_from_its_template_and_holds_no_personal_data() {
    let h = Harness::new(quick_limits());
    let template =
        builtin("mail.html").replace("<p>Bonjour,</p>", "<p class=\"maison\">Bonjour,</p>");
    let dir = overrides(&[("mail.html", &template)]);
    h.app.replace_view(View::load(Some(dir.path())).unwrap());
    let reference = register_one(&h).await;
    assert_eq!(h.app.deliver_due(functions::now()).await, (1, 0));
    let mails = outbox_files(&h.outbox_dir());
    let mail = decode_mail(&mails[0]);
    let html = html_part(&mail);
    assert!(html.contains("<p class=\"maison\">Bonjour,</p>"), "{html}");
    assert!(html.contains(&reference));
    assert!(html.contains("Sedan"));
    assert!(
        html.contains("<a href=\"http://127.0.0.1:8000/api/demandes/"),
        "{html}"
    );
    assert!(html.contains("<br>Commune : Sedan"), "lines kept: {html}");
    assert!(
        html.contains("<p>Ce courriel ne contient volontairement aucune donnée personnelle.</p>")
    );
    let readable = without_random_parts(html, &reference).to_lowercase();
    for personal in PERSONAL_DATA {
        assert!(
            !readable.contains(&personal.to_lowercase()),
            "the mail must not contain « {personal} »:\n{html}"
        );
    }
}
