//! Posters of the demo territory: PDFs that a print shop accepts (page boxes, embedded fonts,
//! extractable text), QR codes that lead to the form with their source, the print rules, the
//! posters page, the Open Graph images, and the cache that skips unchanged posters.

mod fixture;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use fixture::{Fixture, today};
use site::build::{self, Site};
use site::output::{self, WriteError};
use site::posters::colours::{MIN_CONTRAST, contrast};
use site::posters::formats::{Format, Medium, mm_to_pt};
use site::posters::layout::{self, PRINT_MARGIN};

const BASE: &str = "https://medecin-traitant-ardennes.example.org";
const PHONE: &str = "03 53 01 20 08";
const SETS: [&str; 4] = [
    "territoire",
    "portes-du-luxembourg-et-du-sedanais",
    "rethelois",
    "vouzinois",
];

fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

fn write(site: &Site, out: &Path) -> PathBuf {
    match output::write(site, out) {
        Ok(dir) => dir,
        Err(WriteError::Content(d)) => panic!("build failed: {d:?}"),
        Err(WriteError::Io(p, e)) => panic!("cannot write {}: {e}", p.display()),
    }
}

/// The demo site, built once for every test of this file.
fn demo() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let site = build::load(&content(), today()).expect("the demo content is valid");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("posters-demo");
        let _ = std::fs::remove_dir_all(&out);
        write(&site, &out)
    })
}

fn poster(set: &str, format: Format) -> PathBuf {
    demo().join(format!(
        "affiches/{set}/affiche-{set}-{}.{}",
        format.code(),
        format.extension()
    ))
}

fn print_formats() -> impl Iterator<Item = Format> {
    Format::ALL
        .into_iter()
        .filter(|f| matches!(f.medium(), Medium::Print { .. }))
}

fn screen_formats() -> impl Iterator<Item = Format> {
    Format::ALL
        .into_iter()
        .filter(|f| matches!(f.medium(), Medium::Screen { .. }))
}

fn rect(doc: &lopdf::Document, page: &lopdf::Dictionary, key: &[u8]) -> [f32; 4] {
    let array = page
        .get(key)
        .unwrap_or_else(|_| panic!("no {}", String::from_utf8_lossy(key)));
    let array = match array {
        lopdf::Object::Reference(r) => doc.get_object(*r).unwrap(),
        o => o,
    };
    let values: Vec<f32> = array
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    [values[0], values[1], values[2], values[3]]
}

fn close(a: f32, b: f64) -> bool {
    (f64::from(a) - b).abs() < 0.01
}

#[test]
fn every_pdf_parses_with_its_exact_page_size_bleed_and_embedded_fonts() {
    for set in SETS {
        for format in print_formats() {
            let path = poster(set, format);
            let doc =
                lopdf::Document::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let pages = doc.get_pages();
            assert_eq!(pages.len(), 1, "{}", path.display());
            let page = doc.get_dictionary(pages[&1]).unwrap();
            let Medium::Print {
                width,
                height,
                bleed,
            } = format.medium()
            else {
                unreachable!()
            };
            let (w, h, b) = (mm_to_pt(width), mm_to_pt(height), mm_to_pt(bleed));
            let trim = rect(&doc, page, b"TrimBox");
            let media = rect(&doc, page, b"MediaBox");
            assert!(
                close(trim[2] - trim[0], w) && close(trim[3] - trim[1], h),
                "{}: trim {trim:?}, expected {w} × {h}",
                path.display()
            );
            assert!(
                close(media[2] - media[0], w + 2.0 * b) && close(media[3] - media[1], h + 2.0 * b),
                "{}: media {media:?}",
                path.display()
            );
            assert_eq!(rect(&doc, page, b"BleedBox"), media);
            // Fonts: at least one, and every font program is in the file.
            let descriptors: Vec<&lopdf::Dictionary> = doc
                .objects
                .values()
                .filter_map(|o| o.as_dict().ok())
                .filter(|d| {
                    d.get(b"Type").and_then(|t| t.as_name()).ok()
                        == Some(b"FontDescriptor".as_slice())
                })
                .collect();
            assert!(!descriptors.is_empty(), "{}: no font", path.display());
            for d in descriptors {
                assert!(
                    [b"FontFile".as_slice(), b"FontFile2", b"FontFile3"]
                        .iter()
                        .any(|k| d.has(k)),
                    "{}: font not embedded: {d:?}",
                    path.display()
                );
            }
        }
    }
    // The A4 is exactly A4, for office printers.
    let doc = lopdf::Document::load(poster("rethelois", Format::A4)).unwrap();
    let page = doc.get_dictionary(doc.get_pages()[&1]).unwrap();
    let media = rect(&doc, page, b"MediaBox");
    assert!(
        close(media[2], 595.28) && close(media[3], 841.89),
        "{media:?}"
    );
}

fn pdf_text(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn pdf_text_holds_the_phone_number_hours_and_the_address() {
    for set in SETS {
        for format in print_formats() {
            let text = pdf_text(&poster(set, format));
            for expected in [
                PHONE,
                "du lundi au vendredi",
                "medecin-traitant-ardennes.example.org",
                "/inscription",
                "116 117",
                "pharmacie de garde",
                "medecin-traitant-ardennes.example.org/donnees-personnelles",
                "Édition de novembre 2026",
            ] {
                assert!(
                    text.contains(expected),
                    "{set} {format:?}: {expected:?} missing in:\n{text}"
                );
            }
        }
    }
}

/// The contents of every QR code found in a PNG.
fn decode_qr(png: &[u8]) -> Vec<String> {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let pixels = pixmap.pixels();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let p = pixels[y * w + x];
        ((u16::from(p.red()) + u16::from(p.green()) + u16::from(p.blue())) / 3) as u8
    });
    image
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("the QR code decodes").1)
        .collect()
}

fn expected_qr(set: &str, format: Format) -> String {
    format!("{BASE}/inscription/?src=affiche-{set}-{}", format.code())
}

#[test]
fn every_png_qr_code_leads_to_the_form_with_its_source() {
    for set in SETS {
        for format in screen_formats() {
            let png = std::fs::read(poster(set, format)).unwrap();
            assert_eq!(
                decode_qr(&png),
                vec![expected_qr(set, format)],
                "{set} {format:?}"
            );
        }
    }
}

#[test]
fn printed_qr_codes_decode_too() {
    let dir = tempfile::tempdir().unwrap();
    for (format, dpi) in [(Format::A4, "100"), (Format::A5, "150")] {
        let prefix = dir.path().join(format.code());
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", dpi, "-singlefile"])
            .arg(poster("rethelois", format))
            .arg(&prefix)
            .status()
            .expect("pdftoppm (poppler-utils) is installed by scripts/test.sh");
        assert!(status.success());
        let png = std::fs::read(prefix.with_extension("png")).unwrap();
        assert_eq!(decode_qr(&png), vec![expected_qr("rethelois", format)]);
    }
}

#[test]
fn every_text_colour_pair_has_a_contrast_of_at_least_4_5() {
    for (text, background) in layout::colours_used() {
        let ratio = contrast(text, background);
        assert!(
            ratio >= MIN_CONTRAST,
            "{} on {}: {ratio:.2}",
            text.hex(),
            background.hex()
        );
    }
}

#[test]
fn print_rules_hold_on_every_set() {
    let site = build::load(&content(), today()).unwrap();
    let (posters, territory) = (site.posters().unwrap(), site.territory().unwrap());
    for (i, set) in posters.sets.iter().enumerate() {
        for format in Format::ALL {
            let drawn = posters.draw(territory, i, format).unwrap();
            assert_eq!(
                drawn.overflow, 0.0,
                "{} {format:?}: text runs into the footer",
                set.id
            );
            assert!(!drawn.svg.contains("italic") && !drawn.svg.contains("oblique"));
            assert!(!drawn.svg.contains("text-anchor"), "text is left-aligned");
            if format == Format::A4 {
                assert!(
                    drawn.min_font_size >= 14.0,
                    "{}: {} pt",
                    set.id,
                    drawn.min_font_size
                );
            }
            // The flyer has its own layout: no text under 12 pt as printed (DOMAIN §6), where
            // the A4 scaled down to A5 printed its body at 10.3 pt and its map's names smaller.
            if format == Format::A5 {
                assert!(
                    drawn.min_font_size >= layout::A5_MIN_TEXT && layout::A5_MIN_TEXT >= 12.0,
                    "{} A5: smallest text {} pt",
                    set.id,
                    drawn.min_font_size
                );
            }
            if matches!(format.medium(), Medium::Print { .. }) {
                assert!(
                    drawn.qr_code_mm >= 25.0,
                    "{} {format:?}: QR {} mm",
                    set.id,
                    drawn.qr_code_mm
                );
                assert!(drawn.qr_total_mm > drawn.qr_code_mm, "quiet zone");
            }
        }
    }
    // The margin is at least 5 mm on every paper.
    for margin_mm in [PRINT_MARGIN, layout::A5_MARGIN].map(|pt| pt * 25.4 / 72.0) {
        assert!(margin_mm >= 5.0, "{margin_mm}");
    }
}

/// Every `href="…"` and `src="…"` of an HTML file.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attribute) {
            let rest = &html[i + attribute.len()..];
            found.push(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    found
}

#[test]
fn posters_page_links_to_files_that_exist() {
    let html = std::fs::read_to_string(demo().join("affiches/index.html")).unwrap();
    let files: BTreeSet<String> = links(&html)
        .into_iter()
        .filter(|l| l.starts_with("/affiches/") && l != "/affiches/")
        .collect();
    // Six formats and one preview for each of the four sets.
    assert_eq!(files.len(), 28, "{files:?}");
    for link in &files {
        let path = demo().join(link.trim_start_matches('/'));
        assert!(path.is_file(), "{link} linked but missing");
    }
    for set in SETS {
        assert!(
            html.contains(&format!("affiches-{set}")),
            "{set} group missing"
        );
    }
    // Linked from every page's footer.
    let home = std::fs::read_to_string(demo().join("index.html")).unwrap();
    assert!(home.contains("href=\"/affiches/\""));
}

#[test]
fn each_page_has_its_link_preview_image() {
    let og = |page: &str| {
        let html = std::fs::read_to_string(demo().join(page)).unwrap();
        let start = html.find("og:image\" content=\"").expect("og:image") + 19;
        html[start..start + html[start..].find('"').unwrap()].to_string()
    };
    let own = format!("{BASE}/affiches/rethelois/affiche-rethelois-partage.png");
    assert_eq!(og("cpts/rethelois/index.html"), own);
    let shared = format!("{BASE}/affiches/territoire/affiche-territoire-partage.png");
    assert_eq!(og("index.html"), shared);
    assert_eq!(og("communes/sedan-08409/index.html"), shared);
    let png =
        std::fs::read(demo().join("affiches/rethelois/affiche-rethelois-partage.png")).unwrap();
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!((pixmap.width(), pixmap.height()), (1200, 630));
}

fn write_reporting(site: &Site, out: &Path) -> site::posters::Report {
    match output::write_with_report(site, out) {
        Ok(written) => written.posters.expect("posters rendered"),
        Err(WriteError::Content(d)) => panic!("build failed: {d:?}"),
        Err(WriteError::Io(p, e)) => panic!("cannot write {}: {e}", p.display()),
    }
}

#[test]
fn unchanged_posters_come_from_the_cache_across_builds() {
    let f = Fixture::complete();
    let out = tempfile::tempdir().unwrap();
    let cache = out.path().join(".cache/affiches");
    let build = || {
        let site = build::load(f.path(), today())
            .unwrap()
            .with_poster_cache(cache.clone());
        write_reporting(&site, out.path())
    };
    let first = build();
    // The fixture has one CPTS: its set and the territory's, 7 files each, all defaults.
    assert_eq!((first.files, first.drawn, first.reused), (14, 14, 0));
    let a4 = out
        .path()
        .join("site/affiches/sedanais/affiche-sedanais-a4.pdf");
    let before = std::fs::read(&a4).unwrap();
    let second = build();
    assert_eq!((second.drawn, second.reused), (0, 14));
    assert_eq!(
        std::fs::read(&a4).unwrap(),
        before,
        "same bytes from the cache"
    );
    // A new phone number redraws everything; only the new versions stay in the cache.
    f.edit("site.toml", "03 53 01 20 08", "03 53 01 20 09");
    let third = build();
    assert_eq!((third.drawn, third.reused), (14, 0));
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 14);
    assert!(pdf_text(&a4).contains("03 53 01 20 09"));
}

/// Every `font-size="…"` of a drawn poster.
fn font_sizes(svg: &str) -> Vec<f64> {
    svg.split("font-size=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn the_a5_flyer_is_laid_out_for_a5_with_text_of_12_pt_at_least() {
    let site = build::load(&content(), today()).unwrap();
    let (posters, territory) = (site.posters().unwrap(), site.territory().unwrap());
    for i in 0..posters.sets.len() {
        let a5 = posters.draw(territory, i, Format::A5).unwrap();
        // Drawn in A5 points (1:1 as printed), not an A4 scaled down.
        let view_box: Vec<f64> = a5
            .svg
            .split("viewBox=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let bleed = 3.0 * 72.0 / 25.4;
        assert!(
            (view_box[2] - (layout::A5_WIDTH + 2.0 * bleed)).abs() < 0.01,
            "{view_box:?}"
        );
        let sizes = font_sizes(&a5.svg);
        assert!(!sizes.is_empty());
        let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(smallest >= 12.0, "A5: a text of {smallest} pt");
        assert!(
            (a5.min_font_size - smallest).abs() < 0.01,
            "{} ≠ {smallest}",
            a5.min_font_size
        );
        // The number is still the largest text, in very large digits.
        let largest = sizes.iter().copied().fold(0.0, f64::max);
        assert!(largest >= 30.0, "A5: the number at {largest} pt");
        // The A4 keeps its 14 pt at least.
        let a4 = posters.draw(territory, i, Format::A4).unwrap();
        assert!(font_sizes(&a4.svg).iter().all(|&s| s >= 14.0));
    }
}
