//! SVG to files: a vector PDF with its fonts embedded (svg2pdf) on a page with the right boxes,
//! and PNG images (resvg).

use std::collections::HashMap;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
use svg2pdf::usvg;

use super::fonts::Fonts;
use super::formats::{Medium, mm_to_pt};

fn tree(svg: &str, fonts: &Fonts) -> Result<usvg::Tree, String> {
    let options = usvg::Options {
        fontdb: fonts.db.clone(),
        font_family: super::fonts::FAMILY.to_string(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| format!("SVG de l'affiche invalide ({e})"))
}

/// The PDF of a print medium. The SVG covers the trimmed page plus its bleed; MediaBox and
/// BleedBox hold the whole artwork, TrimBox the paper size.
pub fn pdf(svg: &str, fonts: &Fonts, medium: &Medium, title: &str) -> Result<Vec<u8>, String> {
    let Medium::Print {
        width,
        height,
        bleed,
    } = *medium
    else {
        return Err("format d'image demandé en PDF".into());
    };
    let tree = tree(svg, fonts)?;
    let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
        .map_err(|e| format!("conversion en PDF impossible ({e})"))?;

    let mut next = Ref::new(1);
    let catalog = next.bump();
    let pages = next.bump();
    let page = next.bump();
    let contents = next.bump();
    let info = next.bump();
    let mut renumbered = HashMap::new();
    let chunk = chunk.renumber(|old| *renumbered.entry(old).or_insert_with(|| next.bump()));
    let svg_ref = renumbered[&svg_ref];

    let (w, h, b) = (mm_to_pt(width), mm_to_pt(height), mm_to_pt(bleed));
    let media = Rect::new(0.0, 0.0, (w + 2.0 * b) as f32, (h + 2.0 * b) as f32);
    let trim = Rect::new(b as f32, b as f32, (w + b) as f32, (h + b) as f32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let name = Name(b"Affiche");
    let mut p = pdf.page(page);
    p.media_box(media);
    p.bleed_box(media);
    p.trim_box(trim);
    p.parent(pages);
    p.contents(contents);
    p.resources().x_objects().pair(name, svg_ref);
    p.finish();
    let mut content = Content::new();
    content
        .transform([media.x2, 0.0, 0.0, media.y2, 0.0, 0.0])
        .x_object(name);
    pdf.stream(contents, &content.finish());
    pdf.extend(&chunk);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("cpts (svg2pdf)"));
    Ok(pdf.finish())
}

/// A PNG `width` × `height` pixels of the whole SVG.
pub fn png(svg: &str, fonts: &Fonts, width: u32, height: u32) -> Result<Vec<u8>, String> {
    let tree = tree(svg, fonts)?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| "taille d'image invalide".to_string())?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let size = tree.size();
    let transform = resvg::tiny_skia::Transform::from_scale(
        width as f32 / size.width(),
        height as f32 / size.height(),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| format!("écriture PNG impossible ({e})"))
}
