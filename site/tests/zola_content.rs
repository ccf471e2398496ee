//! A Zola-style documentation folder builds with warnings only: Zola's keys that cpts does not use
//! are warned about, `slug` and `path` are honoured, `aliases` become redirect pages.

mod fixture;

use fixture::{Fixture, today};
use site::{build, output};
use territory::Diagnostic;

/// A small documentation site written the way Zola's docs are: sections with `_index.md`, pages
/// with Zola's front-matter keys, a template Zola would have, code showing Zola shortcodes.
fn zola_docs() -> Fixture {
    let f = Fixture::pages_only();
    f.write(
        "pages/docs/_index.md",
        r#"+++
title = "Documentation"
description = "Tout sur le site."
sort_by = "weight"
template = "docs/section.html"
page_template = "docs/page.html"
paginate_by = 10
insert_anchor_links = "right"
in_search_index = true
render = true
transparent = false
+++
Lisez [l'installation](@/docs/demarrage/installation.md).
"#,
    );
    f.write(
        "pages/docs/demarrage/_index.md",
        r#"+++
description = "Pour commencer."
weight = 1
redirect_to = "docs/demarrage/installation/"
+++
"#,
    );
    f.write(
        "pages/docs/demarrage/installation.md",
        r#"+++
title = "Installation"
description = "Installer le site."
weight = 1
date = 2026-10-01
aliases = ["/docs/installer/", "/ancienne/installation.html"]
authors = ["Équipe"]

[taxonomies]
tags = ["installation"]

[extra]
toc = true
+++
Un gabarit Zola s'écrit `{{ page.title }}` :

```
{{ section.title }}
```
"#,
    );
    f.write(
        "pages/docs/demarrage/configuration.md",
        r#"+++
title = "Configuration"
description = "Régler le site."
weight = 2
slug = "reglages"
draft = false
+++
Voir [l'installation](/docs/installer/).
"#,
    );
    f.write(
        "pages/docs/avance/_index.md",
        r#"+++
title = "Avancé"
description = "Pour aller plus loin."
weight = 2
+++
"#,
    );
    f.write(
        "pages/docs/avance/modeles.md",
        r#"+++
title = "Modèles"
description = "Changer l'apparence."
path = "guide/modeles"
in_search_index = false
+++
Retour aux [réglages](/docs/demarrage/reglages/).

{{ youtube(id="dQw4w9WgXcQ", autoplay=true) }}
"#,
    );
    f
}

#[test]
fn a_zola_docs_folder_builds_with_warnings_only() {
    let f = zola_docs();
    let site = build::load(f.path(), today()).unwrap_or_else(|all| {
        panic!(
            "{}",
            all.iter().map(|d| format!("{d}\n")).collect::<String>()
        )
    });
    // Home, how-it-works, news index and post (the base fixture), plus the six docs documents.
    assert_eq!(site.page_count(), 10);
    let warnings: Vec<(String, String)> = site
        .warnings
        .iter()
        .map(|d: &Diagnostic| {
            (
                d.file.strip_prefix(f.path()).unwrap().display().to_string(),
                d.message.clone(),
            )
        })
        .collect();
    let expected = [
        (
            "pages/docs/_index.md",
            "modèle « docs/section.html » introuvable : le modèle par défaut est utilisé",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « page_template » ignorée par cpts",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « paginate_by » ignorée par cpts",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « insert_anchor_links » ignorée par cpts",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « in_search_index » ignorée par cpts",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « render » ignorée par cpts",
        ),
        (
            "pages/docs/_index.md",
            "clé Zola « transparent » ignorée par cpts",
        ),
        (
            "pages/docs/avance/modeles.md",
            "clé Zola « in_search_index » ignorée par cpts",
        ),
        (
            "pages/docs/avance/modeles.md",
            "shortcode Zola « youtube » non pris en charge : il est retiré de la page",
        ),
        (
            "pages/docs/demarrage/_index.md",
            "rubrique sans titre : elle s'appelle « Demarrage »",
        ),
        (
            "pages/docs/demarrage/_index.md",
            "clé Zola « redirect_to » ignorée par cpts",
        ),
        (
            "pages/docs/demarrage/installation.md",
            "clé Zola « authors » ignorée par cpts",
        ),
        (
            "pages/docs/demarrage/installation.md",
            "clé Zola « taxonomies » ignorée par cpts",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(f, m)| (f.to_string(), m.to_string()))
        .collect();
    assert_eq!(warnings, expected);

    let out = tempfile::tempdir().unwrap();
    assert!(output::write(&site, out.path()).is_ok());
    let read = |path: &str| {
        std::fs::read_to_string(out.path().join("site").join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    // `slug` and `path` give the address.
    assert!(read("docs/demarrage/reglages/index.html").contains("Configuration"));
    assert!(
        !out.path()
            .join("site/docs/demarrage/configuration")
            .exists()
    );
    let modeles = read("guide/modeles/index.html");
    assert!(modeles.contains("Modèles"));
    // The shortcode is gone, not shown as written.
    assert!(!modeles.contains("youtube"), "{modeles}");
    assert!(read("docs/demarrage/index.html").contains("<h1>Demarrage</h1>"));
    // Sections and their pages.
    let section = read("docs/demarrage/index.html");
    assert!(
        section.contains("/docs/demarrage/installation/"),
        "{section}"
    );
    assert!(section.contains("/docs/demarrage/reglages/"), "{section}");
    // Each alias is a small same-origin redirect page.
    for alias in ["docs/installer/index.html", "ancienne/installation.html"] {
        let page = read(alias);
        assert!(
            page.contains(
                r#"<meta http-equiv="refresh" content="0; url=/docs/demarrage/installation/">"#
            ),
            "{page}"
        );
        assert!(
            page.contains(r#"<link rel="canonical" href="https://test.example.org/docs/demarrage/installation/">"#),
            "{page}"
        );
    }
    // Redirects are not pages of the sitemap.
    assert!(!read("sitemap.xml").contains("/docs/installer/"));
    // Zola template syntax shown in code stays as written.
    let install = read("docs/demarrage/installation/index.html");
    assert!(
        install.contains("<code>{{ page.title }}</code>"),
        "{install}"
    );
    assert!(install.contains("{{ section.title }}"), "{install}");
}

#[test]
fn an_alias_to_another_site_is_refused() {
    for alias in [
        "https://ailleurs.example.com/",
        "//ailleurs.example.com/x/",
        "/../x/",
    ] {
        let f = zola_docs();
        f.edit(
            "pages/docs/demarrage/installation.md",
            "\"/ancienne/installation.html\"",
            &format!("\"{alias}\""),
        );
        let errors: Vec<Diagnostic> = match build::load(f.path(), today()) {
            Ok(_) => panic!("{alias} accepted"),
            Err(all) => all.into_iter().filter(Diagnostic::is_error).collect(),
        };
        assert_eq!(errors.len(), 1, "{alias}: {errors:?}");
        assert_eq!(
            errors[0].message,
            format!("ancienne adresse « {alias} » invalide")
        );
        assert_eq!((errors[0].line, errors[0].column), (6, 32), "{alias}");
    }
}
