//! The registration form's data for its template (`form.html`), in one place: the site build
//! renders it into `/inscription/`, and the handler renders it again, with the answers kept and
//! the errors next to their fields.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::answers::Answers;
use crate::domain::registration::{self, Criterion, FieldError};
use crate::domain::retention;
use crate::view::View;

/// Stylesheet and script of the form, published by the site under [`ASSETS_URL`].
pub const CSS: &str = include_str!("form.css");
pub const JS: &str = include_str!("form.js");
pub const ASSETS_URL: &str = "/inscription/";
pub const CSS_FILE: &str = "formulaire.css";
pub const JS_FILE: &str = "formulaire.js";
/// Stylesheet of the printable paper form (A4 print rules), published beside them.
pub const PAPER_CSS: &str = include_str!("paper.css");
pub const PAPER_CSS_FILE: &str = "papier.css";

/// The hidden field that carries the poster's `src=` tag of the form page's address.
pub const SOURCE_FIELD: &str = "src";

/// The form's template, which the site renders too.
pub const TEMPLATE: &str = "form.html";

/// Everything the form shows.
pub struct FormView<'a> {
    /// Where the form is sent, e.g. "/api/registrations".
    pub action: &'a str,
    /// Where the enhanced form gets its signed token, e.g. "/api/form-token".
    pub token_url: &'a str,
    pub answers: &'a Answers,
    pub errors: &'a [FieldError],
    /// The territory's communes as "Name (postcode)".
    pub communes: &'a [String],
    /// The signed form token (absent in the static page: the script or the handler adds it).
    pub token: Option<&'a str>,
    /// A message above the form (e.g. "check and confirm").
    pub notice: Option<&'a str>,
    pub privacy_url: &'a str,
}

/// Which form `form.html` draws: the public one, the staff intake one (with its own fields), or
/// the printable paper one (no button, no hidden fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Public,
    Staff,
    Paper,
}

/// The staff intake form's own choices.
#[derive(Debug, Serialize)]
pub struct IntakeContext<'a> {
    /// The session's token for forms, sent back with the form.
    pub csrf: &'a str,
    /// (code, label) of each channel a staff member may choose.
    pub channels: Vec<[&'static str; 2]>,
    /// (code, label) of who called.
    pub relations: Vec<[&'static str; 2]>,
    pub note_hint: String,
}

impl<'a> IntakeContext<'a> {
    pub fn new(csrf: &'a str) -> Self {
        use crate::domain::intake::{Channel, Note, Relation};
        let relations = std::iter::once(["person", "La personne elle-même"])
            .chain(Relation::ALL.iter().map(|(code, r)| [*code, r.label()]))
            .collect();
        Self {
            csrf,
            channels: Channel::STAFF
                .iter()
                .map(|c| [c.code(), c.label()])
                .collect(),
            relations,
            note_hint: format!("{} {} caractères au plus.", Note::WARNING, Note::MAX_CHARS),
        }
    }
}

/// What `form.html` reads as `page.form`.
#[derive(Debug, Serialize)]
pub struct FormContext<'a> {
    pub mode: Mode,
    /// The staff intake form's fields, on the staff form only.
    pub intake: Option<IntakeContext<'a>>,
    pub action: &'a str,
    pub token_url: &'a str,
    pub token: &'a str,
    pub notice: Option<&'a str>,
    pub privacy_url: &'a str,
    pub communes: &'a [String],
    /// The error summary: each message with the element it links to.
    pub errors: Vec<ErrorLink<'a>>,
    /// Every field by name.
    pub fields: BTreeMap<&'static str, Field<'a>>,
    /// The periods the consent text states, from their one definition.
    pub retention: Retention,
}

/// How long a request is kept, as the consent text says it ([`retention`]).
#[derive(Debug, Serialize)]
pub struct Retention {
    pub open: &'static str,
    pub closed: &'static str,
}

impl Retention {
    pub fn new() -> Self {
        Self {
            open: retention::OPEN_REQUEST.french,
            closed: retention::CLOSED_REQUEST.french,
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorLink<'a> {
    /// The id of the element the message links to.
    pub anchor: String,
    pub message: &'a str,
}

/// A field's state.
#[derive(Debug, Serialize)]
pub struct Field<'a> {
    pub name: &'static str,
    /// The element's id: `f-<name>` (a group's options are `f-<name>-<value>`).
    pub id: String,
    /// The answer as sent.
    pub value: &'a str,
    /// A ticked box.
    pub checked: bool,
    pub error: Option<&'a str>,
}

fn id(field: &str) -> String {
    format!("f-{field}")
}

/// The element an error links to: the first option of a group, or the field itself.
fn anchor(field: &str) -> String {
    let first_option = match field {
        "gp_status" => Some("none"),
        "filled_by" => Some("patient"),
        "call_time" => Some("any"),
        "max_distance" => Some("10"),
        "home_visits" => Some("no"),
        "without_gp_since" => Some("lt6m"),
        "reason" => Some("retired"),
        "channel" => Some("telephone"),
        "caller_relation" => Some("person"),
        "status" => Some("accepte_maintenant"),
        _ => None,
    };
    match first_option {
        Some(v) => format!("{}-{v}", id(field)),
        None => id(field),
    }
}

/// The state of each field of `names`, with `answers` as sent and the message of `errors` next
/// to it; and the error summary, each message linking to its field. For every form's template.
pub fn states<'a>(
    names: impl IntoIterator<Item = &'static str>,
    answers: &'a Answers,
    errors: &'a [FieldError],
) -> (BTreeMap<&'static str, Field<'a>>, Vec<ErrorLink<'a>>) {
    let error = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    };
    let fields = names
        .into_iter()
        .map(|name| {
            let field = Field {
                name,
                id: id(name),
                value: answers.get(name),
                checked: answers.yes(name),
                error: error(name),
            };
            (name, field)
        })
        .collect();
    let links = errors
        .iter()
        .map(|e| ErrorLink {
            anchor: anchor(e.field),
            message: &e.message,
        })
        .collect();
    (fields, links)
}

/// The form's data for its template.
pub fn context<'a>(view: &FormView<'a>) -> FormContext<'a> {
    let names = registration::FIELDS
        .iter()
        .copied()
        .chain(Criterion::ALL.iter().map(|c| c.field()))
        .chain([SOURCE_FIELD])
        .chain(crate::domain::intake::FIELDS.iter().copied());
    let (fields, errors) = states(names, view.answers, view.errors);
    FormContext {
        mode: Mode::Public,
        intake: None,
        action: view.action,
        token_url: view.token_url,
        token: view.token.unwrap_or(""),
        notice: view.notice,
        privacy_url: view.privacy_url,
        communes: view.communes,
        errors,
        fields,
        retention: Retention::new(),
    }
}

/// The printable paper form's data: the same questions as [`context`], drawn with no token, no
/// hidden field, no commune list and no button, but a date and signature line.
pub fn paper_context<'a>(view: &FormView<'a>) -> FormContext<'a> {
    FormContext {
        mode: Mode::Paper,
        ..context(view)
    }
}

/// The `<form>` element, with its error summary when there are errors, from `view`'s templates.
pub fn render(templates: &View, view: &FormView<'_>) -> String {
    #[derive(Serialize)]
    struct Page<'a> {
        form: FormContext<'a>,
    }
    let mut context = tera::Context::new();
    context.insert(
        "page",
        &Page {
            form: self::context(view),
        },
    );
    templates.render(TEMPLATE, &context)
}
