//! A plain markdown corpus, written once as a `cpts` content folder and once as a Hugo site with
//! equivalent templates, so that both tools build the same pages.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use crate::random::Random;

pub const SECTIONS: usize = 10;

const WORDS: &[&str] = &[
    "médecin",
    "patient",
    "territoire",
    "commune",
    "consultation",
    "coordination",
    "santé",
    "proximité",
    "rendez-vous",
    "pharmacie",
    "infirmière",
    "accueil",
    "village",
    "permanence",
    "prévention",
    "parcours",
    "équipe",
    "maison",
    "soins",
    "écoute",
    "demande",
    "famille",
    "suivi",
    "réseau",
];

/// Writes `pages` pages (plus one `_index.md` per section and the home page) under `root/cpts`
/// and `root/hugo`.
pub fn write(root: &Path, pages: usize) -> io::Result<()> {
    let cpts = root.join("cpts");
    let hugo = root.join("hugo");
    fs::create_dir_all(cpts.join("pages"))?;
    fs::create_dir_all(hugo.join("content"))?;
    write_cpts_config(&cpts)?;
    write_hugo_site(&hugo)?;

    let mut random = Random::new(2026);
    let home = "+++\ntitle = \"Corpus de mesure\"\ndescription = \"Accueil du corpus\"\n+++\n\nBienvenue.\n";
    fs::write(cpts.join("pages/_index.md"), home)?;
    fs::write(hugo.join("content/_index.md"), home)?;
    let per_section = pages.div_ceil(SECTIONS);
    for section in 0..SECTIONS {
        let name = section_name(section);
        fs::create_dir_all(cpts.join("pages").join(&name))?;
        fs::create_dir_all(hugo.join("content").join(&name))?;
        let index = format!(
            "+++\ntitle = \"Rubrique {}\"\ndescription = \"Les pages de la rubrique {}\"\nsort_by = \"date\"\n+++\n\nToutes les pages de la rubrique.\n",
            section + 1,
            section + 1
        );
        fs::write(cpts.join("pages").join(&name).join("_index.md"), &index)?;
        // Hugo sorts sections by date by default and does not know `sort_by`.
        let hugo_index = index.replace("sort_by = \"date\"\n", "");
        fs::write(
            hugo.join("content").join(&name).join("_index.md"),
            hugo_index,
        )?;
        for n in 0..per_section {
            let number = section * per_section + n;
            if number >= pages {
                break;
            }
            let text = page(&mut random, number, pages, per_section);
            let file = format!("{}.md", page_name(number));
            fs::write(cpts.join("pages").join(&name).join(&file), &text)?;
            fs::write(hugo.join("content").join(&name).join(&file), &text)?;
        }
    }
    Ok(())
}

fn section_name(section: usize) -> String {
    format!("rubrique-{:02}", section + 1)
}

fn page_name(number: usize) -> String {
    format!("page-{number:05}")
}

fn page_url(number: usize, per_section: usize) -> String {
    format!(
        "/{}/{}/",
        section_name(number / per_section),
        page_name(number)
    )
}

/// About 5 KB of markdown with headings, lists, internal links, a table and a quote.
fn page(random: &mut Random, number: usize, pages: usize, per_section: usize) -> String {
    let day = 1 + number % 28;
    let month = 1 + (number / 28) % 12;
    let mut text = format!(
        "+++\ntitle = \"Page {number} : {}\"\ndescription = \"{}\"\ndate = 2026-{month:02}-{day:02}\n+++\n\n",
        sentence(random, 4),
        sentence(random, 12)
    );
    for part in 1..=4 {
        let _ = writeln!(text, "## Partie {part} : {}\n", sentence(random, 3));
        for _ in 0..2 {
            let _ = writeln!(text, "{}\n", paragraph(random, 5));
        }
        match part {
            1 => {
                for _ in 0..5 {
                    let _ = writeln!(text, "- {}", sentence(random, 8));
                }
                text.push('\n');
            }
            2 => {
                let other = random.below(pages);
                let _ = writeln!(
                    text,
                    "Voir aussi [la page {other}]({}) et [l'accueil](/).\n",
                    page_url(other, per_section)
                );
            }
            3 => {
                text.push_str("| Commune | Médecins | Délai |\n|---|---:|---|\n");
                for _ in 0..4 {
                    let _ = writeln!(
                        text,
                        "| {} | {} | {} semaines |",
                        WORDS[random.below(WORDS.len())],
                        random.below(30),
                        random.below(12)
                    );
                }
                text.push('\n');
            }
            _ => {
                let _ = writeln!(text, "> {}\n", paragraph(random, 3));
            }
        }
    }
    text
}

fn paragraph(random: &mut Random, sentences: usize) -> String {
    (0..sentences)
        .map(|_| {
            let words = 10 + random.below(8);
            let mut s = sentence(random, words);
            s.push('.');
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn sentence(random: &mut Random, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let word = WORDS[random.below(WORDS.len())];
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                s.extend(first.to_uppercase());
                s.push_str(chars.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(word);
        }
    }
    s
}

fn write_cpts_config(dir: &Path) -> io::Result<()> {
    fs::write(
        dir.join("site.toml"),
        "title = \"Corpus de mesure\"\ndescription = \"Un corpus synthétique\"\nbase_url = \"https://corpus.example.org\"\napi_url = \"/api\"\n\n[phone]\nnumber = \"03 53 01 20 08\"\nhours = \"du lundi au vendredi\"\ncost = \"appel non surtaxé\"\n",
    )
}

/// A Hugo site whose templates do what the built-in `cpts` templates do for a page: a head with
/// canonical and Open Graph tags, a navigation of the sections, the content, and section listings.
fn write_hugo_site(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir.join("layouts/_default"))?;
    fs::write(
        dir.join("hugo.toml"),
        "baseURL = \"https://corpus.example.org/\"\nlanguageCode = \"fr\"\ntitle = \"Corpus de mesure\"\ndisableKinds = [\"taxonomy\", \"term\", \"RSS\"]\nbuildFuture = true\n",
    )?;
    fs::write(
        dir.join("layouts/_default/baseof.html"),
        r#"<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} – {{ .Site.Title }}</title>
<meta name="description" content="{{ .Description }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ .Description }}">
<meta property="og:url" content="{{ .Permalink }}">
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a href="/">{{ .Site.Title }}</a>
<nav><ul>{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>{{ .Site.Title }}</footer>
</body>
</html>
"#,
    )?;
    fs::write(
        dir.join("layouts/_default/single.html"),
        r#"{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
{{ .Content }}</article>{{ end }}
"#,
    )?;
    fs::write(
        dir.join("layouts/_default/list.html"),
        r#"{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> – {{ .Description }}</li>{{ end }}</ul>{{ end }}
"#,
    )?;
    Ok(())
}
