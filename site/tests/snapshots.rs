//! Rendered pages, compared with reviewed snapshots (`cargo insta review` after a deliberate change).

mod fixture;

use fixture::{Fixture, today};
use site::{build, output};

fn built(f: &Fixture) -> tempfile::TempDir {
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    let out = tempfile::tempdir().unwrap();
    if output::write(&site, out.path()).is_err() {
        panic!("write failed");
    }
    out
}

fn page(out: &tempfile::TempDir, file: &str) -> String {
    std::fs::read_to_string(out.path().join("site").join(file)).unwrap()
}

#[test]
fn rendered_pages() {
    let f = Fixture::complete();
    let out = built(&f);
    insta::assert_snapshot!("home", page(&out, "index.html"));
    insta::assert_snapshot!("page", page(&out, "comment-ca-marche/index.html"));
    insta::assert_snapshot!("news_post", page(&out, "actualites/lancement/index.html"));
    insta::assert_snapshot!("commune", page(&out, "communes/sedan-08409/index.html"));
    insta::assert_snapshot!("cpts", page(&out, "cpts/sedanais/index.html"));
    insta::assert_snapshot!("feed", page(&out, "actualites/atom.xml"));
    insta::assert_snapshot!("sitemap", page(&out, "sitemap.xml"));
}

#[test]
fn a_template_in_content_overrides_the_built_in_one() {
    let f = Fixture::complete();
    f.write("templates/page.html", "{% extends \"base.html\" %}{% block content %}<h1 class=\"maison\">{{ page.title }}</h1>{% endblock content %}");
    let out = built(&f);
    assert!(
        page(&out, "comment-ca-marche/index.html")
            .contains("<h1 class=\"maison\">Comment ça marche</h1>")
    );
}

#[test]
fn static_files_are_copied_as_they_are() {
    let f = Fixture::complete();
    f.write(
        "static/logos/cpts.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    let out = built(&f);
    assert_eq!(
        page(&out, "logos/cpts.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
    );
}

#[test]
fn drafts_are_not_published() {
    let f = Fixture::complete();
    f.write(
        "pages/brouillon.md",
        "+++\ntitle = \"Brouillon\"\ndraft = true\n+++\nPas encore.\n",
    );
    let out = built(&f);
    assert!(!out.path().join("site/brouillon").exists());
    assert!(!page(&out, "sitemap.xml").contains("brouillon"));
}

#[test]
fn doctors_who_did_not_opt_in_are_never_named() {
    let f = Fixture::complete();
    let out = built(&f);
    let mut files = Vec::new();
    collect(&out.path().join("site"), &mut files);
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains("Paul Discret"),
            "{} names a doctor who did not opt in",
            file.display()
        );
    }
    assert!(page(&out, "communes/sedan-08409/index.html").contains("Dr Anne Exemple"));
}

fn collect(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files)
        } else {
            files.push(path)
        }
    }
}
