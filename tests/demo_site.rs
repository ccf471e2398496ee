//! The whole Ardennes demo, built as `cpts build` builds it: page counts, every internal link,
//! privacy rules and French dates checked on the output.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use site::{build, links::file_for, output};

const TODAY: &str = "2026-11-24";

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

struct Built {
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl Built {
    fn text(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    fn html_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
    }
}

/// The demo built once for every test of this file (each only reads it): a build takes seconds.
fn build_demo() -> &'static Built {
    static BUILT: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let today: NaiveDate = TODAY.parse().unwrap();
        let site = build::load(&content_dir(), today).unwrap_or_else(|diagnostics| {
            let text: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
            panic!("the demo content has errors:\n{text}")
        });
        // Under the target folder, made anew at each run: a static is never dropped, so a
        // temporary folder would be left behind.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo_site");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let root = match output::write(&site, &dir) {
            Ok(root) => root,
            Err(_) => panic!("writing the demo failed"),
        };
        let mut files = Vec::new();
        collect(&root, &mut files);
        Built { root, files }
    })
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// Values of `attribute="…"` in an HTML text.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let start = i + needle.len();
            html[start..].find('"').map(|end| &html[start..start + end])
        })
        .collect()
}

#[test]
fn the_demo_builds_with_every_page() {
    let built = build_demo();
    let dirs = |prefix: &str| {
        built
            .files
            .iter()
            .filter(|p| p.ends_with("index.html"))
            .filter_map(|p| p.strip_prefix(&built.root).ok())
            .filter(|p| p.starts_with(prefix) && p.components().count() == 3)
            .count()
    };
    assert_eq!(dirs("communes"), 447, "one page per commune");
    assert_eq!(dirs("cpts"), 3, "one page per CPTS");
    let news = dirs("actualites");
    assert!(
        (2..=3).contains(&news),
        "two or three news posts, got {news}"
    );
    for page in [
        "index.html",
        "comment-ca-marche/index.html",
        "questions-frequentes/index.html",
        "medecins/index.html",
        "mentions-legales/index.html",
        "donnees-personnelles/index.html",
        "accessibilite/index.html",
        "actualites/index.html",
        "actualites/atom.xml",
        "communes/index.html",
        "chiffres/index.html",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "style.css",
    ] {
        assert!(built.root.join(page).is_file(), "missing {page}");
    }
    let html_pages = built.html_files().count();
    // 7 pages + news section + posts + 3 CPTS + 447 communes + the A–Z index + 404
    // + the registration form and its thank-you page + the map + the posters page
    // + one paper form per CPTS + the public figures.
    assert_eq!(
        html_pages,
        7 + 1 + news + 3 + 447 + 1 + 1 + 2 + 1 + 1 + 3 + 1
    );
    let sitemap = built.text("sitemap.xml");
    assert_eq!(
        sitemap.matches("<loc>").count(),
        html_pages - 1,
        "every page but 404 is in the sitemap"
    );
    assert_eq!(
        built.text("actualites/atom.xml").matches("<entry>").count(),
        news
    );
}

#[test]
fn every_internal_link_resolves_to_a_file() {
    let built = build_demo();
    let mut broken = BTreeSet::new();
    let mut checked = 0;
    for file in built.html_files() {
        let html = std::fs::read_to_string(file).unwrap();
        let page = file
            .strip_prefix(&built.root)
            .unwrap()
            .display()
            .to_string();
        for value in attribute_values(&html, "href")
            .into_iter()
            .chain(attribute_values(&html, "src"))
        {
            if !value.starts_with('/') || value.starts_with("//") {
                continue;
            }
            let path = value.split(['#', '?']).next().unwrap();
            checked += 1;
            // Pages the form handler serves, not files of the site.
            if functions::web::LINKABLE_PAGES.contains(&path) {
                continue;
            }
            if !built.root.join(file_for(path)).is_file() {
                broken.insert(format!("{page} → {value}"));
            }
        }
    }
    assert!(checked > 5000, "only {checked} links checked");
    assert!(
        broken.is_empty(),
        "broken links:\n{}",
        broken.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn public_pages_make_no_request_to_another_origin() {
    let built = build_demo();
    for file in built.html_files() {
        let html = std::fs::read_to_string(file).unwrap();
        for value in attribute_values(&html, "src") {
            assert!(value.starts_with('/'), "{}: loads {value}", file.display());
        }
        for tag in html.split("<link ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap()];
            if let Some(href) = attribute_values(&format!(" {tag}"), "href").first() {
                let is_metadata = tag.contains("rel=\"canonical\"");
                // `data:,` (an empty icon) keeps browsers from asking for /favicon.ico.
                let is_inline = href.starts_with("data:");
                assert!(
                    is_metadata || is_inline || href.starts_with('/'),
                    "{}: <link {tag}>",
                    file.display()
                );
            }
        }
        // Scripts only enhance pages, and come from the site itself: never inline, never elsewhere.
        for tag in html.split("<script").skip(1) {
            let tag = &tag[..tag.find('>').unwrap()];
            assert!(
                attribute_values(&format!(" {tag}"), "src")
                    .first()
                    .is_some_and(|src| src.starts_with('/')),
                "{}: <script{tag}> must load a file of the site",
                file.display()
            );
        }
    }
}

#[test]
fn doctors_who_did_not_opt_in_are_named_nowhere() {
    let built = build_demo();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(content_dir().join("territory/doctors.csv"))
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (name_col, public_col) = (column("nom"), column("public"));
    let mut hidden = Vec::new();
    let mut shown = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let name = record[name_col].to_string();
        if &record[public_col] == "non" {
            hidden.push(name)
        } else {
            shown.push(name)
        }
    }
    assert!(
        hidden.len() >= 5 && shown.len() >= 5,
        "the demo covers both cases"
    );
    // Pages, and the map's data (GeoJSON layers, search index) too.
    let all_html: String = built
        .files
        .iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "html" || e == "geojson" || e == "json")
        })
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for name in &hidden {
        assert!(
            !all_html.contains(name.as_str()),
            "{name} did not opt in but is named"
        );
    }
    assert!(
        shown.iter().any(|name| all_html.contains(name.as_str())),
        "opted-in doctors are named"
    );
}

#[test]
fn dates_are_written_in_french() {
    let built = build_demo();
    let news = built.text("actualites/index.html");
    let months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    assert!(
        months.iter().any(|m| news.contains(&format!(" {m} 2026"))),
        "{news}"
    );
    assert!(
        !news.contains(">2026-"),
        "ISO dates only in datetime attributes"
    );
}

#[test]
fn every_page_has_canonical_url_and_open_graph() {
    let built = build_demo();
    for file in built.html_files() {
        let html = std::fs::read_to_string(file).unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{}", file.display());
        assert!(
            html.contains("rel=\"canonical\" href=\"https://"),
            "{}",
            file.display()
        );
        for property in ["og:title", "og:description", "og:url", "og:locale"] {
            assert!(
                html.contains(&format!("property=\"{property}\"")),
                "{} lacks {property}",
                file.display()
            );
        }
        assert_eq!(
            html.matches("<h1").count(),
            1,
            "{} has one h1",
            file.display()
        );
    }
}

#[test]
fn the_map_page_is_light_and_loads_only_its_own_module() {
    let built = build_demo();
    let html = built.text("carte/index.html");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 1, "one script on the map page");
    assert!(
        scripts[0].starts_with(" type=\"module\" src=\"/carte/carte.js\""),
        "<script{}",
        &scripts[0][..60]
    );
    for page in [
        "communes/sedan-08409/index.html",
        "cpts/rethelois/index.html",
    ] {
        let text = built.text(page);
        assert!(!text.contains("<script"), "{page} needs no script");
        assert!(
            text.contains("<svg class=\"carte-svg\""),
            "{page} has its map"
        );
        assert!(
            text.contains("<table class=\"statuts\""),
            "{page} has its table"
        );
    }
    // Without JavaScript the page is its HTML and the stylesheet (the SVG map is inline).
    let gzip = site::map::geojson::gzip_len;
    let without_js = gzip(html.as_bytes()) + gzip(built.text("style.css").as_bytes());
    println!("map page without JavaScript: {without_js} bytes gzip");
    assert!(without_js < 150_000, "{without_js} bytes gzip");
}

/// Text as the templates write it (Tera's HTML escaping).
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The text between `start` (included in the search, left out of the result) and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    html[from..].find(end).map(|to| &html[from..from + to])
}

/// Each question of the online form, as its markup words it: every field's label or legend, and
/// the label of each of its options, read from the published /inscription/ page.
fn questions(form: &str) -> Vec<(String, String)> {
    use functions::domain::registration::{Criterion, FIELDS};
    let mut found = Vec::new();
    for name in FIELDS
        .iter()
        .copied()
        .chain(Criterion::ALL.iter().map(|c| c.field()))
    {
        let question = between(form, &format!("<label for=\"f-{name}\">"), "</label>")
            .or_else(|| between(form, &format!("id=\"f-{name}\"><legend>"), "</legend>"))
            .unwrap_or_else(|| panic!("the online form has no question for {name}"));
        found.push((name.to_string(), question.to_string()));
        let option = format!("<label for=\"f-{name}-");
        for (i, _) in form.match_indices(&option) {
            let label = between(&form[i..], "\">", "</label>").unwrap();
            found.push((name.to_string(), label.to_string()));
        }
    }
    found
}

#[test]
fn each_cpts_has_a_paper_form_with_every_question_its_address_and_the_phone() {
    let built = build_demo();
    let site = build::load(&content_dir(), TODAY.parse().unwrap()).unwrap();
    let territory = site.territory().unwrap();
    let phone = &site.config.phone.as_ref().unwrap().number;
    let online = built.text("inscription/index.html");
    let questions = questions(&online);
    assert!(
        questions.len() > 50,
        "{} questions and options",
        questions.len()
    );
    let consent = between(&online, "<div class=\"consent-text\"><p>", "</p>").unwrap();
    let sitemap = built.text("sitemap.xml");
    assert_eq!(territory.cpts.len(), 3);
    for cpts in &territory.cpts {
        let url = site::territory_pages::paper_form_url(cpts);
        let paper = built.text(&file_for(&url));
        for (name, question) in &questions {
            assert!(
                paper.contains(question.as_str()),
                "{url}: {name}: « {question} » missing"
            );
            assert!(paper.contains(&format!("id=\"f-{name}")), "{url}: {name}");
        }
        let address = cpts.postal_address.as_deref().expect("a demo address");
        assert!(
            paper.contains("Envoyez ou déposez ce formulaire à"),
            "{url}"
        );
        for line in address.lines() {
            assert!(paper.contains(&escaped(line)), "{url}: « {line} » missing");
        }
        assert!(paper.contains(&escaped(&cpts.name)), "{url}");
        assert!(paper.contains(phone.as_str()), "{url}: no phone number");
        assert!(
            paper.contains(consent),
            "{url}: not the online consent text"
        );
        assert!(paper.contains("Signature"), "{url}");
        assert!(
            paper.contains("@page") || paper.contains("papier.css"),
            "{url}"
        );
        let form = between(&paper, "<div class=\"registration paper\">", "<footer").unwrap();
        for chrome in [
            "<form",
            "<button",
            "<datalist",
            "type=\"hidden\"",
            " list=\"",
        ] {
            assert!(!form.contains(chrome), "{url}: {chrome} on paper");
        }
        assert!(
            online.contains(&format!("href=\"{url}\"")),
            "/inscription/ links to {url}"
        );
        let cpts_page = built.text(&format!("cpts/{}/index.html", cpts.id));
        assert!(
            cpts_page.contains(&format!(
                "<a href=\"{url}\">Formulaire papier à imprimer</a>"
            )),
            "the CPTS page links to {url}"
        );
        assert!(
            sitemap.contains(&format!("{}{url}<", site.config.base_url)),
            "{url} in the sitemap"
        );
    }
    let css = built.text("inscription/papier.css");
    assert!(css.contains("@page{size:A4"), "A4 print rules");
}

/// The texts that state a retention period say the one defined (`domain::retention`), and no
/// other: the personal-data page and the form's consent text, online and on paper.
#[test]
fn the_personal_data_page_and_the_form_state_the_defined_periods() {
    use functions::domain::retention::{AUDIT_ENTRY, CLOSED_REQUEST, OPEN_REQUEST, SENT_MAIL};
    let built = build_demo();
    let page = built.text("donnees-personnelles/index.html");
    let section = between(&page, "Combien de temps ?", "Vos droits").expect("the section");
    for period in [OPEN_REQUEST, CLOSED_REQUEST, AUDIT_ENTRY, SENT_MAIL] {
        assert!(
            section.contains(period.french),
            "« {} » missing:\n{section}",
            period.french
        );
    }
    let site = build::load(&content_dir(), TODAY.parse().unwrap()).unwrap();
    let territory = site.territory().unwrap();
    let mut forms = vec![built.text("inscription/index.html")];
    for cpts in &territory.cpts {
        forms.push(built.text(&file_for(&site::territory_pages::paper_form_url(cpts))));
    }
    for form in &forms {
        let consent = between(form, "<div class=\"consent-text\"><p>", "</p>").unwrap();
        assert!(
            consent.contains(&format!("au plus tard {} après", OPEN_REQUEST.french)),
            "{consent}"
        );
        assert!(
            consent.contains(&format!("{} après la fin", CLOSED_REQUEST.french)),
            "{consent}"
        );
    }
    // No other length of time is stated: each number before « an(s) », « mois » or « jours »
    // in these texts is one of the definition's.
    let defined: Vec<&str> = functions::domain::retention::named()
        .iter()
        .map(|(_, p)| p.french)
        .collect();
    for text in forms
        .iter()
        .map(|f| {
            between(f, "<div class=\"consent-text\"><p>", "</p>")
                .unwrap()
                .to_string()
        })
        .chain([section.to_string()])
    {
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '>' || c == '<')
            .collect();
        for pair in words.windows(2) {
            let unit = pair[1].trim_end_matches([',', '.', ';']);
            if pair[0].parse::<u32>().is_ok() && ["an", "ans", "mois", "jours"].contains(&unit) {
                let stated = format!("{} {unit}", pair[0]);
                assert!(
                    defined.contains(&stated.as_str()),
                    "« {stated} » is not a defined period:\n{text}"
                );
            }
        }
    }
}

/// The visible text of a page: tags dropped, the usual entities decoded, spaces single.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The texts of the built site's pages, by file.
fn page_texts(built: &Built) -> Vec<(String, String)> {
    built
        .html_files()
        .map(|p| {
            let relative = p.strip_prefix(&built.root).unwrap().display().to_string();
            (relative, visible_text(&std::fs::read_to_string(p).unwrap()))
        })
        .collect()
}

/// No page announces a feature for later (« bientôt », « plus tard »): what the site offers
/// exists today. The phrases allowed are facts, not promises: the patient's doctor who stops
/// soon, a doctor's declared later availability, a reminder's delay.
#[test]
fn no_page_promises_a_feature_for_later() {
    const FACTS: &[&str] = &[
        "il arrête bientôt",
        "accepteront plus tard",
        "en acceptera plus tard",
        "accepteront de nouveaux patients plus tard",
        "relançons dix jours plus tard",
        "limitées : plus tard, plus loin",
        "au plus tard",
    ];
    let built = build_demo();
    let mut promises = Vec::new();
    for (file, text) in page_texts(built) {
        let lower = text.to_lowercase();
        for word in [
            "bientôt",
            "plus tard",
            "prochainement",
            "en attendant, appelez",
        ] {
            for (at, _) in lower.match_indices(word) {
                let around = &lower[lower.floor_char_boundary(at.saturating_sub(50))
                    ..lower.ceil_char_boundary((at + word.len() + 20).min(lower.len()))];
                if !FACTS.iter().any(|fact| around.contains(fact)) {
                    promises.push(format!("{file}: « …{around}… »"));
                }
            }
        }
    }
    assert!(
        promises.is_empty(),
        "promises for later:\n{}",
        promises.join("\n")
    );
}

/// Every length of time the site states next to keeping or deleting data is one of the defined
/// retention periods (`domain::retention`), on every page, not only the personal-data page.
#[test]
fn every_retention_period_stated_anywhere_is_a_defined_one() {
    let defined: Vec<&str> = functions::domain::retention::named()
        .iter()
        .map(|(_, p)| p.french)
        .collect();
    let built = build_demo();
    let mut wrong = Vec::new();
    let mut stated = 0;
    for (file, text) in page_texts(built) {
        for sentence in text.split(['.', ';', ':', '!', '?']) {
            let lower = sentence.to_lowercase();
            if !["gard", "conserv", "effac", "supprim"]
                .iter()
                .any(|verb| lower.contains(verb))
            {
                continue;
            }
            let words: Vec<&str> = lower.split([' ', ',', '(', ')', '*']).collect();
            for pair in words.windows(2) {
                let number = pair[0].parse::<u32>().is_ok()
                    || ["un", "une", "deux", "trois", "six", "dix", "douze"].contains(&pair[0]);
                if number && ["an", "ans", "mois", "jours", "semaines", "heures"].contains(&pair[1])
                {
                    let period = format!("{} {}", pair[0], pair[1]);
                    stated += 1;
                    if !defined.contains(&period.as_str()) {
                        wrong.push(format!("{file}: « {period} » in « {} »", sentence.trim()));
                    }
                }
            }
        }
    }
    assert!(stated >= 4, "the periods are stated: {stated}");
    assert!(
        wrong.is_empty(),
        "periods no definition sets:\n{}",
        wrong.join("\n")
    );
}

/// Who calls whom once a doctor accepts is said in one wording (`domain::next_steps`), the one
/// the patient's mail and the doctor's page follow; no page says the patient calls the practice
/// or that the coordination gives the name by phone to everyone.
#[test]
fn who_calls_whom_is_said_once_and_the_same_everywhere() {
    use functions::domain::next_steps::{AFTER_ACCEPTANCE, AFTER_REQUEST};
    let built = build_demo();
    let texts = page_texts(built);
    let text = |file: &str| {
        &texts
            .iter()
            .find(|(f, _)| f == file)
            .unwrap_or_else(|| panic!("{file}"))
            .1
    };
    for file in [
        "index.html",
        "comment-ca-marche/index.html",
        "questions-frequentes/index.html",
    ] {
        assert!(
            text(file).contains(AFTER_ACCEPTANCE),
            "{file}: {}",
            text(file)
        );
    }
    assert!(text("index.html").contains(AFTER_REQUEST));
    assert!(text("merci/index.html").contains(AFTER_ACCEPTANCE));
    for (file, text) in &texts {
        for contradiction in [
            "Il appelle votre cabinet",
            "vous rappelle et vous donne son nom",
            "Vous prenez rendez-vous avec lui",
            "nous vous rappelons",
            "dans les 15 jours",
        ] {
            assert!(!text.contains(contradiction), "{file}: « {contradiction} »");
        }
    }
}

/// Nobody is told « votre CPTS »: someone may live outside every CPTS of the site.
#[test]
fn no_page_assumes_the_reader_has_a_cpts() {
    let built = build_demo();
    for (file, text) in page_texts(built) {
        assert!(!text.contains("votre CPTS"), "{file}: {text}");
    }
}

/// The home page's body sends to the form and to the map, not only to the phone number.
#[test]
fn the_home_page_links_to_the_form_and_the_map() {
    let built = build_demo();
    let home = built.text("index.html");
    let body = between(&home, "<main", "</main>").expect("the main part");
    for link in ["href=\"/inscription/\"", "href=\"/carte/\""] {
        assert!(body.contains(link), "{link} in the body:\n{body}");
    }
}

/// A commune's status counts only the CPTS's volunteer doctors, and its page says so.
#[test]
fn a_commune_page_says_only_volunteer_doctors_are_counted() {
    let built = build_demo();
    let charleville = built
        .files
        .iter()
        .find(|p| {
            p.to_string_lossy()
                .contains("/communes/charleville-mezieres-")
        })
        .expect("Charleville-Mézières' page");
    let text = visible_text(&std::fs::read_to_string(charleville).unwrap());
    assert!(
        text.contains("Seuls les médecins volontaires des CPTS de ce site sont comptés"),
        "{text}"
    );
}
