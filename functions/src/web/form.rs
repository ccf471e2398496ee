//! The registration form's markup, in one place: the site build writes it into `/inscription/`,
//! and the handler writes it again, with the answers kept and the errors next to their fields.

use std::fmt::Write;

use crate::domain::answers::Answers;
use crate::domain::registration::{Criterion, FieldError};
use crate::html::esc;

/// Stylesheet and script of the form, published by the site under [`ASSETS_URL`].
pub const CSS: &str = include_str!("form.css");
pub const JS: &str = include_str!("form.js");
pub const ASSETS_URL: &str = "/inscription/";
pub const CSS_FILE: &str = "formulaire.css";
pub const JS_FILE: &str = "formulaire.js";

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

struct Writer<'a> {
    out: String,
    view: &'a FormView<'a>,
}

fn id(field: &str) -> String {
    format!("f-{field}")
}

impl Writer<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.view
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The error paragraph, and the `aria-describedby` / `aria-invalid` attributes to add.
    fn describe(&mut self, field: &str, hint: Option<&str>) -> String {
        let mut ids = Vec::new();
        if let Some(h) = hint {
            let hint_id = format!("{}-hint", id(field));
            let _ = write!(self.out, r#"<p class="hint" id="{hint_id}">{h}</p>"#);
            ids.push(hint_id);
        }
        let mut attributes = String::new();
        if let Some(message) = self.error(field) {
            let error_id = format!("{}-error", id(field));
            let _ = write!(
                self.out,
                r#"<p class="field-error" id="{error_id}"><span class="visually-hidden">Erreur : </span>{}</p>"#,
                esc(message)
            );
            ids.push(error_id);
            attributes.push_str(r#" aria-invalid="true""#);
        }
        if !ids.is_empty() {
            let _ = write!(attributes, r#" aria-describedby="{}""#, ids.join(" "));
        }
        attributes
    }

    fn group_class(&self, field: &str) -> &'static str {
        if self.error(field).is_some() {
            "field has-error"
        } else {
            "field"
        }
    }

    fn radios(&mut self, field: &str, legend: &str, hint: Option<&str>, options: &[(&str, &str)]) {
        let _ = write!(
            self.out,
            r#"<fieldset class="{}" id="{}"><legend>{legend}</legend>"#,
            self.group_class(field),
            id(field)
        );
        let attributes = self.describe(field, hint);
        let chosen = self.view.answers.get(field).to_string();
        for (value, label) in options {
            let option_id = format!("{}-{value}", id(field));
            let checked = if chosen == *value { " checked" } else { "" };
            let _ = write!(
                self.out,
                r#"<div class="choice"><input type="radio" name="{field}" id="{option_id}" value="{value}"{checked}{attributes}><label for="{option_id}">{label}</label></div>"#
            );
        }
        self.out.push_str("</fieldset>");
    }

    fn text(&mut self, field: &str, label: &str, hint: Option<&str>, extra: &str) {
        let _ = write!(
            self.out,
            r#"<div class="{}"><label for="{}">{label}</label>"#,
            self.group_class(field),
            id(field)
        );
        let attributes = self.describe(field, hint);
        let _ = write!(
            self.out,
            r#"<input id="{}" name="{field}" value="{}"{extra}{attributes}></div>"#,
            id(field),
            esc(self.view.answers.get(field))
        );
    }

    fn checkbox(&mut self, field: &str, label: &str, hint: Option<&str>) {
        let _ = write!(
            self.out,
            r#"<div class="{} choice">"#,
            self.group_class(field)
        );
        let before = self.out.len();
        let attributes = self.describe(field, hint);
        let described = self.out.split_off(before);
        let checked = if self.view.answers.yes(field) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            self.out,
            r#"<input type="checkbox" id="{}" name="{field}" value="oui"{checked}{attributes}><label for="{}">{label}</label>{described}</div>"#,
            id(field),
            id(field)
        );
    }

    fn error_summary(&mut self) {
        let errors = self.view.errors;
        if errors.is_empty() {
            return;
        }
        let title = if errors.len() == 1 {
            "Il y a un problème dans le formulaire".to_string()
        } else {
            format!("Il y a {} problèmes dans le formulaire", errors.len())
        };
        let _ = write!(
            self.out,
            r#"<div class="error-summary" id="erreurs" role="alert" tabindex="-1"><h2>{title}</h2><p>Vos réponses sont gardées. Corrigez ce qui suit, puis envoyez à nouveau.</p><ul>"#
        );
        for e in errors {
            let _ = write!(
                self.out,
                r##"<li><a href="#{}">{}</a></li>"##,
                anchor(e.field),
                esc(&e.message)
            );
        }
        self.out.push_str("</ul></div>");
    }
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
        _ => None,
    };
    match first_option {
        Some(v) => format!("{}-{v}", id(field)),
        None => id(field),
    }
}

fn criterion_label(c: Criterion) -> (&'static str, Option<&'static str>) {
    match c {
        Criterion::LongTermCondition => (
            "J'ai une affection de longue durée (ALD)",
            Some(
                "Une maladie reconnue par l'Assurance Maladie, soignée à 100 %. Ne dites pas laquelle.",
            ),
        ),
        Criterion::C2sOrAme => (
            "J'ai la Complémentaire santé solidaire (C2S) ou l'Aide médicale de l'État (AME)",
            None,
        ),
        Criterion::Precarity => (
            "Je suis dans une situation difficile (sans logement, seul, je renonce à me soigner)",
            None,
        ),
        Criterion::Pregnancy => ("Je suis enceinte", None),
        Criterion::Disability => ("J'ai un handicap ou j'ai du mal à me déplacer seul", None),
        Criterion::HospitalDischarge => ("Je suis sorti de l'hôpital il y a moins d'un mois", None),
        Criterion::RegularTreatment => ("Je prends un traitement régulier", None),
    }
}

/// The `<form>` element, with its error summary when there are errors.
pub fn render(view: &FormView<'_>) -> String {
    let mut w = Writer {
        out: String::with_capacity(16_000),
        view,
    };
    w.error_summary();
    if let Some(notice) = view.notice {
        let _ = write!(
            w.out,
            r#"<div class="notice" role="status"><p>{}</p></div>"#,
            esc(notice)
        );
    }
    let _ = write!(
        w.out,
        r#"<form class="registration" method="post" action="{}" data-token-url="{}" novalidate>"#,
        esc(view.action),
        esc(view.token_url)
    );
    let _ = write!(
        w.out,
        r#"<input type="hidden" name="token" value="{}">"#,
        esc(view.token.unwrap_or(""))
    );
    w.out.push_str(r#"<div hidden><label for="f-website">Ne remplissez pas ce champ</label><input id="f-website" name="website" tabindex="-1" autocomplete="off"></div>"#);
    w.out.push_str(r#"<p>Les questions marquées « facultatif » peuvent rester vides. Toutes les autres sont nécessaires.</p>"#);

    w.out.push_str("<h2>1. Votre situation</h2>");
    w.radios(
        "gp_status",
        "Avez-vous un médecin traitant ?",
        None,
        &[
            ("none", "Non, je n'ai pas de médecin traitant"),
            ("leaving", "Oui, mais il arrête bientôt (retraite, départ)"),
            ("change", "Oui, et je voudrais en changer"),
        ],
    );
    w.radios(
        "filled_by",
        "Qui remplit ce formulaire ?",
        Some("Vous pouvez remplir ce formulaire pour quelqu'un d'autre. Répondez alors pour cette personne."),
        &[
            ("patient", "La personne qui cherche un médecin"),
            ("relative", "Un proche (famille, ami, voisin)"),
            ("professional", "Un professionnel de santé ou du social"),
            ("town_hall", "Une mairie"),
        ],
    );
    w.text(
        "organisation",
        "Nom de votre structure ou de votre mairie (pour les professionnels et les mairies)",
        None,
        r#" maxlength="100" autocomplete="organization""#,
    );

    w.out
        .push_str("<h2>2. La personne qui cherche un médecin</h2>");
    w.text(
        "last_name",
        "Nom",
        None,
        r#" maxlength="80" autocomplete="family-name""#,
    );
    w.text(
        "first_name",
        "Prénom",
        None,
        r#" maxlength="80" autocomplete="given-name""#,
    );
    w.text(
        "birth_date",
        "Date de naissance",
        Some("Jour/mois/année. Exemple : 14/07/1950"),
        r#" maxlength="10" inputmode="numeric" autocomplete="bday""#,
    );

    w.out.push_str("<h2>3. Pour vous rappeler</h2>");
    w.text(
        "phone",
        "Numéro de téléphone",
        Some("Nous vous appelons à ce numéro. Exemple : 06 12 34 56 78"),
        r#" type="tel" maxlength="30" autocomplete="tel""#,
    );
    w.text(
        "email",
        "Adresse de courriel (facultatif)",
        None,
        r#" type="email" maxlength="254" autocomplete="email""#,
    );
    w.radios(
        "call_time",
        "Quand pouvons-nous vous appeler ?",
        None,
        &[
            ("any", "Le matin ou l'après-midi"),
            ("morning", "Plutôt le matin"),
            ("afternoon", "Plutôt l'après-midi"),
        ],
    );

    w.out.push_str("<h2>4. Où habitez-vous ?</h2>");
    w.text(
        "commune",
        "Votre commune",
        Some("Écrivez le nom ou le code postal, puis choisissez dans la liste. Nous ne demandons pas votre adresse."),
        r#" list="communes" maxlength="100" autocomplete="off""#,
    );
    w.out.push_str(r#"<datalist id="communes">"#);
    for label in view.communes {
        let _ = write!(w.out, r#"<option value="{}"></option>"#, esc(label));
    }
    w.out.push_str("</datalist>");
    w.radios(
        "max_distance",
        "Jusqu'à quelle distance pouvez-vous aller chez le médecin ?",
        None,
        &[
            ("10", "10 km"),
            ("20", "20 km"),
            ("30", "30 km"),
            ("any", "Plus loin, ce n'est pas un problème"),
        ],
    );
    w.radios(
        "home_visits",
        "Le médecin doit-il venir chez vous ?",
        Some("Par exemple si vous ne pouvez pas vous déplacer."),
        &[("no", "Non"), ("yes", "Oui")],
    );

    w.out.push_str("<h2>5. Depuis quand et pourquoi</h2>");
    w.radios(
        "without_gp_since",
        "Depuis quand n'avez-vous pas de médecin traitant ?",
        None,
        &[
            ("lt6m", "Moins de 6 mois"),
            ("6to12m", "6 mois à 1 an"),
            ("1to2y", "1 à 2 ans"),
            ("gt2y", "Plus de 2 ans"),
            ("never", "Je n'en ai jamais eu"),
        ],
    );
    w.radios(
        "reason",
        "Pourquoi ?",
        None,
        &[
            ("retired", "Mon médecin est parti à la retraite"),
            (
                "doctor_left",
                "Mon médecin a déménagé, arrêté ou est décédé",
            ),
            ("moved", "J'ai déménagé"),
            ("never", "Je n'en ai jamais eu"),
            ("other", "Autre raison"),
        ],
    );

    w.out.push_str(r#"<h2>6. Votre santé (facultatif)</h2><fieldset class="field"><legend>Cochez ce qui vous concerne</legend><p class="hint">Ces réponses aident à trouver un médecin plus vite aux personnes qui en ont le plus besoin. Ne cochez rien si rien ne vous concerne. Nous ne demandons jamais votre maladie.</p>"#);
    for c in Criterion::ALL {
        let (label, hint) = criterion_label(c);
        w.checkbox(c.field(), label, hint);
    }
    w.out.push_str("</fieldset>");

    w.out
        .push_str(r#"<h2>7. Pour bien communiquer (facultatif)</h2>"#);
    w.checkbox("interpreter", "J'ai besoin d'un interprète", None);
    w.text(
        "interpreter_language",
        "Quelle langue parlez-vous ? (si vous avez besoin d'un interprète)",
        None,
        r#" maxlength="40" autocomplete="off""#,
    );
    w.checkbox(
        "reading_help",
        "J'ai besoin d'aide pour lire (documents en « facile à lire et à comprendre »)",
        None,
    );

    let _ = write!(
        w.out,
        r#"<h2>8. Votre accord</h2><div class="consent-text"><p>Nous gardons ces informations pour vous trouver un médecin traitant. Seules la coordination de votre CPTS et le médecin qui vous est proposé les voient. Nous les effaçons quand vous avez un médecin, et au plus tard après 2 ans. Vous pouvez les voir, les corriger ou les faire effacer à tout moment, aussi par téléphone.</p><p><a href="{}">Lire le détail sur vos données personnelles</a></p></div>"#,
        esc(view.privacy_url)
    );
    w.checkbox(
        "consent",
        "J'accepte que la CPTS garde ces informations, y compris mes réponses sur ma santé, pour me trouver un médecin traitant et me rappeler.",
        None,
    );
    w.out.push_str(
        r#"<p><button type="submit" class="button">Envoyer ma demande</button></p></form>"#,
    );
    w.out
}
