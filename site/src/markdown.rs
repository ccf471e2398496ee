//! Markdown to HTML, with the site's placeholders (`{{ telephone }}`…) filled in and internal links
//! collected for checking.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};
use territory::{Diagnostic, SourceFile};

use crate::config::SiteConfig;

/// Values that pages may insert with `{{ name }}`, so the phone number lives in one place.
pub struct Placeholders {
    values: Vec<(&'static str, String)>,
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
        Self { values }
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
    let events = Parser::new_ext(&expanded, options)
        .into_offset_iter()
        .map(|(event, range)| match event {
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
            other => other,
        });
    // Writing bytes and checking UTF-8 once (with SIMD) is much faster than `push_html`, which
    // checks every small escaped piece it appends.
    let mut bytes = Vec::with_capacity(expanded.len() + expanded.len() / 4);
    html::write_html_io(&mut bytes, events).expect("writing to memory cannot fail");
    let html_out = match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Rendered {
        html: html_out,
        links,
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
    let mut out = String::with_capacity(body.len());
    let mut shifts = Vec::new();
    let mut rest = 0;
    while let Some(open) = body[rest..].find("{{").map(|i| rest + i) {
        let Some(close) = body[open..].find("}}").map(|i| open + i) else {
            break;
        };
        let name = body[open + 2..close].trim();
        out.push_str(&body[rest..open]);
        match placeholders.get(name) {
            Some(value) => out.push_str(value),
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
