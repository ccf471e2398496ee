//! Markdown to HTML, with the site's placeholders (`{{ telephone }}`…) filled in, an id on every
//! heading (so `#anchors` work), and internal links, images and anchors collected for checking.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
use territory::{Diagnostic, SourceFile};

use crate::config::SiteConfig;

/// Values that pages may insert with `{{ name }}`, so the phone number lives in one place.
pub struct Placeholders {
    values: Vec<(&'static str, String)>,
    /// The site's phone number, digits only (national form), to spot it written by hand.
    phone_digits: Option<String>,
}

impl Placeholders {
    pub fn new(config: &SiteConfig) -> Self {
        let mut values = vec![("nom_site", config.title.clone())];
        // The retention periods, from their one definition (`{{ conservation_demande }}`…).
        values.extend(
            functions::domain::retention::named()
                .into_iter()
                .map(|(name, period)| (name, period.french.to_string())),
        );
        // Who calls whom after a request and after a doctor's acceptance (`{{ apres_accord }}`…).
        values.extend(
            functions::domain::next_steps::named()
                .into_iter()
                .map(|(name, text)| (name, text.to_string())),
        );
        if let Some(phone) = &config.phone {
            values.push(("telephone", phone.number.clone()));
            values.push(("telephone_international", phone.international.clone()));
            values.push(("horaires", phone.hours.clone()));
            values.push(("cout_appel", phone.cost.clone()));
        }
        let phone_digits = config.phone.as_ref().map(|p| national_digits(&p.number));
        Self {
            values,
            phone_digits,
        }
    }

    /// Every placeholder name, with no value: used to check pages when site.toml could not be read,
    /// so that its error is not followed by one « variable inconnue » per page.
    pub fn any() -> Self {
        let config = SiteConfig {
            title: String::new(),
            description: String::new(),
            base_url: String::new(),
            api_url: String::new(),
            demo: false,
            phone: Some(crate::config::Phone {
                number: String::new(),
                hours: String::new(),
                cost: String::new(),
                international: String::new(),
            }),
            map: Default::default(),
        };
        Self::new(&config)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn names(&self) -> String {
        self.values
            .iter()
            .map(|(n, _)| format!("{{{{ {n} }}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A link found in a document, with the byte offset of its markup in the file.
pub struct Link {
    pub destination: String,
    pub offset: usize,
}

pub struct Rendered {
    pub html: String,
    pub links: Vec<Link>,
    /// Images (`![…](photo.jpg)`), to check that each file exists.
    pub images: Vec<Link>,
    /// The ids a link may point to with `#…`: every heading's.
    pub anchors: HashSet<String>,
}

/// Renders the markdown body of `source` starting at `body_start`.
pub fn render(
    source: &SourceFile,
    body_start: usize,
    placeholders: &Placeholders,
    diagnostics: &mut Vec<Diagnostic>,
) -> Rendered {
    let body = &source.text[body_start..];
    let (expanded, shifts) = expand(body, body_start, source, placeholders, diagnostics);
    let to_file_offset = |offset: usize| {
        let i = shifts.partition_point(|&(expanded_at, _)| expanded_at <= offset);
        match i.checked_sub(1) {
            Some(i) => shifts[i].1 + (offset - shifts[i].0),
            None => body_start + offset,
        }
    };

    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_FOOTNOTES);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    options.insert(Options::ENABLE_STRIKETHROUGH);

    let mut links = Vec::new();
    let mut images = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    // Where the heading being read starts in `events`, to give it an id once its text is known.
    let mut heading_start = None;
    let mut anchors = HashSet::new();
    let mut pending_ids = Vec::new();
    for (event, range) in Parser::new_ext(&expanded, options).into_offset_iter() {
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = zola_internal_link(dest_url);
                links.push(Link {
                    destination: dest_url.to_string(),
                    offset: to_file_offset(range.start),
                });
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                images.push(Link {
                    destination: dest_url.to_string(),
                    offset: to_file_offset(range.start),
                });
                event
            }
            Event::Start(Tag::Heading { ref id, .. }) => {
                match id {
                    Some(id) => {
                        anchors.insert(id.to_string());
                    }
                    None => heading_start = Some(events.len()),
                }
                event
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(start) = heading_start.take() {
                    pending_ids.push((start, heading_text(&events[start + 1..])));
                }
                event
            }
            other => other,
        };
        events.push(event);
    }
    // Explicit ids (`## Titre {#id}`) are taken first; the others get the slug of their text,
    // made unique on the page as Zola does (`titre`, `titre-1`…).
    for (start, text) in pending_ids {
        let base = match crate::slug::slugify(&text) {
            s if s.is_empty() => "titre".to_string(),
            s => s,
        };
        let mut id = base.clone();
        let mut n = 1;
        while anchors.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        anchors.insert(id.clone());
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
            *slot = Some(CowStr::from(id));
        }
    }
    if let Some(digits) = &placeholders.phone_digits {
        hard_coded_phone(source, body_start, digits, diagnostics);
    }
    // Writing bytes and checking UTF-8 once (with SIMD) is much faster than `push_html`, which
    // checks every small escaped piece it appends.
    let mut bytes = Vec::with_capacity(expanded.len() + expanded.len() / 4);
    html::write_html_io(&mut bytes, events.into_iter()).expect("writing to memory cannot fail");
    let html_out = match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Rendered {
        html: html_out,
        links,
        images,
        anchors,
    }
}

/// The text of a heading, from its events.
fn heading_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// The digits of a French phone number in national form: "+33 3 53…" → "0353…".
fn national_digits(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("33") {
        Some(rest) if number.trim_start().starts_with('+') => format!("0{rest}"),
        _ => digits,
    }
}

/// Warns where the site's own number is written by hand instead of `{{ telephone }}`: when it
/// changes, such a page would keep the old one.
fn hard_coded_phone(
    source: &SourceFile,
    body_start: usize,
    digits: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let body = &source.text[body_start..];
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'+') {
            i += 1;
            continue;
        }
        // A run of digits and the separators a phone number is written with.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < bytes.len() {
            let rest = &body[j..];
            let c = rest.chars().next().unwrap_or(' ');
            if c.is_ascii_digit() || (j == start && c == '+') {
                end = j + 1;
            } else if !matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}') {
                break;
            }
            j += c.len_utf8();
        }
        let found = &body[start..end];
        if national_digits(found) == digits {
            diagnostics.push(source.warning(
                body_start + start,
                format!("numéro de téléphone « {found} » écrit en dur"),
                "écrivez {{ telephone }} (ou {{ telephone_international }} dans un lien tel:) : le numéro vient alors de site.toml et change partout à la fois",
            ));
        }
        i = end.max(start + 1);
    }
}

/// Zola's `@/a/b.md` links name a file under `pages/`; they are published at `/a/b/`.
fn zola_internal_link(dest: CowStr<'_>) -> CowStr<'_> {
    let Some(path) = dest.strip_prefix("@/") else {
        return dest;
    };
    let (path, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
    let (_, url, _) = crate::content::address(path, "/");
    let mut url = url;
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    CowStr::from(url)
}

/// Byte ranges of `body` that are code: code blocks and inline code.
fn code_spans(body: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_FOOTNOTES);
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Code(_) => spans.push(range),
            _ => {}
        }
    }
    spans
}

/// The name of the shortcode `inside` calls (`resize_image(path="…")` → `resize_image`), if it is
/// one: a name, then parentheses closing the text.
fn zola_shortcode(inside: &str) -> Option<&str> {
    let (name, rest) = inside.split_once('(')?;
    let name = name.trim();
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (is_name && rest.trim_end().ends_with(')')).then_some(name)
}

/// Replaces `{{ name }}` placeholders. Returns the new text and, for each replacement, the offset in
/// the new text after it and the matching offset in the file, so positions can be mapped back.
fn expand(
    body: &str,
    body_start: usize,
    source: &SourceFile,
    placeholders: &Placeholders,
    diagnostics: &mut Vec<Diagnostic>,
) -> (String, Vec<(usize, usize)>) {
    if !body.contains("{{") {
        return (body.to_string(), Vec::new());
    }
    let code = code_spans(body);
    let mut out = String::with_capacity(body.len());
    let mut shifts = Vec::new();
    let mut rest = 0;
    let mut from = 0;
    while let Some(open) = body[from..].find("{{").map(|i| from + i) {
        let Some(close) = body[open..].find("}}").map(|i| open + i) else {
            break;
        };
        // `{{ … }}` in code (fenced, indented or inline) is shown as written.
        if let Some(span) = code.iter().find(|r| r.contains(&open)) {
            from = span.end.max(open + 2);
            continue;
        }
        from = close + 2;
        let name = body[open + 2..close].trim();
        out.push_str(&body[rest..open]);
        match placeholders.get(name) {
            Some(value) => out.push_str(value),
            // A Zola shortcode (`{{ youtube(id="…") }}`): there is nothing to call here.
            None if zola_shortcode(name).is_some() => {
                let shortcode = zola_shortcode(name).unwrap_or_default();
                diagnostics.push(source.warning(
                    body_start + open,
                    format!("shortcode Zola « {shortcode} » non pris en charge : il est retiré de la page"),
                    "remplacez-le par du Markdown (une image : ![texte](fichier.png), un lien : [texte](adresse))",
                ));
            }
            None => {
                diagnostics.push(source.error(
                    body_start + open,
                    format!("variable « {{{{ {name} }}}} » inconnue"),
                    format!("variables possibles : {}", placeholders.names()),
                ));
                out.push_str(&body[open..close + 2]);
            }
        }
        rest = close + 2;
        shifts.push((out.len(), body_start + rest));
    }
    out.push_str(&body[rest..]);
    (out, shifts)
}
