//! The pages the handler answers with: the form again, the thank-you page, the not-eligible page,
//! the coordinator's view of a request and the pages for links that cannot be used. They share a
//! small layout that uses the site's stylesheet.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::app::{Config, Phone};
use crate::domain::dates::unix_date_fr;
use crate::domain::lifecycle::Request;
use crate::domain::registration::{CallTime, FilledBy};
use crate::html::esc;
use crate::web::form::{ASSETS_URL, CSS_FILE, JS_FILE};

/// A whole page around `body`; `script` adds the form's script.
pub fn layout(config: &Config, title: &str, body: &str, script: bool) -> String {
    let mut out = String::with_capacity(body.len() + 2000);
    let _ = write!(
        out,
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>{} — {}</title><link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="{ASSETS_URL}{CSS_FILE}">"#,
        esc(title),
        esc(&config.site_title)
    );
    if script {
        let _ = write!(
            out,
            r#"<script src="{ASSETS_URL}{JS_FILE}" defer></script>"#
        );
    }
    let _ = write!(
        out,
        r##"</head><body><a class="skip" href="#contenu">Aller au contenu</a><header class="header"><div class="wrap"><a class="brand" href="/">{}</a></div></header><main id="contenu" class="wrap">{body}</main><footer class="footer"><div class="wrap">"##,
        esc(&config.site_title)
    );
    if let Some(phone) = &config.phone {
        let _ = write!(
            out,
            r#"<p><strong>Numéro unique : <a href="tel:{}">{}</a></strong>, {}.</p>"#,
            esc(&phone.international),
            esc(&phone.number),
            esc(&phone.hours)
        );
    }
    out.push_str("<p>Urgence : appelez le <strong>15</strong> (ou le 112 ; 114 par SMS pour les personnes sourdes). Le soir et le week-end : <strong>116 117</strong>.</p></div></footer></body></html>");
    out
}

fn call_us(phone: Option<&Phone>) -> String {
    match phone {
        Some(p) => format!(
            r#"appelez le <a href="tel:{}">{}</a>, {}"#,
            esc(&p.international),
            esc(&p.number),
            esc(&p.hours)
        ),
        None => "appelez votre CPTS".into(),
    }
}

/// What happens after sending the form; with the reference when there is one. Shared by the site's
/// `/merci/` page and the handler's answer.
pub fn thanks_body(phone: Option<&Phone>, reference: Option<&str>) -> String {
    let mut out = String::from("<h1>Votre demande est enregistrée</h1>");
    if let Some(r) = reference {
        let _ = write!(
            out,
            r#"<p>Votre numéro de demande :</p><p class="reference">{}</p><p>Notez-le : il vous sera demandé si vous nous appelez.</p>"#,
            esc(r)
        );
    }
    let _ = write!(
        out,
        r#"<h2>Et maintenant ?</h2><ol><li>La coordination de votre CPTS reçoit votre demande aujourd'hui.</li><li>Elle vous appelle au numéro que vous avez donné, en général dans les 15 jours.</li><li>Elle cherche avec vous un médecin près de chez vous qui accepte de nouveaux patients.</li></ol><p>Vous n'avez rien d'autre à faire. Ne remplissez pas le formulaire une deuxième fois.</p><p>Une question, un changement ? {}.</p><p><a href="/">Revenir à l'accueil</a></p>"#,
        call_us(phone)
    );
    out
}

pub fn not_eligible_body(config: &Config) -> String {
    format!(
        r#"<h1>Ce service est pour les personnes sans médecin traitant</h1><p>Vous avez déjà un médecin traitant. Les médecins du territoire sont très demandés : la CPTS aide d'abord les personnes qui n'en ont pas du tout. Merci de votre compréhension.</p><h2>Vous voulez quand même changer de médecin ?</h2><ul><li>Demandez directement à un autre médecin s'il accepte de devenir votre médecin traitant. Si oui, vous remplissez ensemble la déclaration (sur ameli.fr ou au cabinet).</li><li>Vous pouvez en parler à votre médecin actuel.</li></ul><h2>Votre médecin arrête bientôt ?</h2><p>Alors vous pouvez faire une demande : <a href="/inscription/">revenez au formulaire</a> et répondez « Oui, mais il arrête bientôt ».</p><p>Une question ? {}.</p>"#,
        call_us(config.phone.as_ref())
    )
}

pub fn rate_limited_body(config: &Config) -> String {
    format!(
        r#"<h1>Nous avons déjà reçu plusieurs demandes</h1><p>Nous avons déjà reçu plusieurs demandes avec ce numéro de téléphone ou depuis cette connexion. Votre demande est sans doute déjà enregistrée : nous allons vous rappeler.</p><p>Pour vérifier ou pour ajouter une personne, {}.</p>"#,
        call_us(config.phone.as_ref())
    )
}

pub fn refused_body(config: &Config, why: &str) -> String {
    format!(
        r#"<h1>Formulaire non envoyé</h1><p>{}</p><p>Ouvrez le formulaire depuis <a href="/inscription/">la page d'inscription</a> et envoyez-le à nouveau, ou {}.</p>"#,
        esc(why),
        call_us(config.phone.as_ref())
    )
}

pub fn not_found_body() -> String {
    r#"<h1>Page introuvable</h1><p>Cette adresse ne correspond à aucune page. <a href="/">Revenir à l'accueil</a>.</p>"#.into()
}

/// Pages for a link that cannot be used.
pub fn token_error_body(error: crate::signed::TokenError) -> (&'static str, String) {
    use crate::signed::TokenError::*;
    match error {
        Expired => (
            "Ce lien a expiré",
            "<h1>Ce lien a expiré</h1><p>Les liens envoyés par courriel ne servent que pendant un temps limité, pour protéger les patients.</p><p>La demande existe toujours : retrouvez-la par sa référence avec l'équipe de coordination, qui peut vous envoyer un nouveau lien.</p>".into(),
        ),
        Invalid => (
            "Ce lien n'est pas valide",
            "<h1>Ce lien n'est pas valide</h1><p>Le lien est incomplet ou a été modifié. Copiez-le en entier depuis le courriel (parfois il est coupé sur deux lignes), ou cliquez directement dessus.</p>".into(),
        ),
        UnknownKey => (
            "Ce lien n'est plus reconnu",
            "<h1>Ce lien n'est plus reconnu</h1><p>La clé de sécurité qui a signé ce lien a été remplacée. Le lien ne peut plus servir.</p><p>Demandez un nouveau lien à l'équipe de coordination, avec la référence de la demande.</p>".into(),
        ),
    }
}

pub const LEVELS: [&str; 3] = [
    "Niveau 1 — prioritaire",
    "Niveau 2 — priorité moyenne",
    "Niveau 3 — sans critère de priorité",
];

/// "Niveau 1 — prioritaire"…
pub fn level_label(level: u8) -> &'static str {
    LEVELS
        .get(usize::from(level.saturating_sub(1)))
        .copied()
        .unwrap_or("")
}

pub fn call_time_label(call_time: CallTime) -> &'static str {
    match call_time {
        CallTime::Any => "le matin ou l'après-midi",
        CallTime::Morning => "plutôt le matin",
        CallTime::Afternoon => "plutôt l'après-midi",
    }
}

/// What the coordinator needs to call the patient back: the priority level, never the criteria.
pub fn request_body(request: &Request, commune: &str, today: NaiveDate) -> String {
    let r = &request.registration;
    let level = level_label(request.priority.level);
    let filled_by = match r.filled_by.role {
        FilledBy::Patient => "la personne elle-même".to_string(),
        FilledBy::Relative => "un proche".to_string(),
        FilledBy::Professional => "un professionnel".to_string(),
        FilledBy::TownHall => "une mairie".to_string(),
    };
    let filled_by = match &r.filled_by.organisation {
        Some(o) => format!("{filled_by} ({})", esc(o)),
        None => filled_by,
    };
    let call_time = call_time_label(r.call_time);
    let mut needs = Vec::new();
    if let Some(language) = &r.communication.interpreter_language {
        needs.push(format!("interprète ({})", esc(language)));
    }
    if r.communication.reading_help {
        needs.push("aide à la lecture (FALC)".into());
    }
    if r.mobility.home_visits {
        needs.push("visites à domicile".into());
    }
    let distance = match r.mobility.max_distance_km {
        Some(km) => format!("{km} km"),
        None => "pas de limite".into(),
    };
    let mut out = format!(
        r#"<h1>Demande {}</h1><p>Reçue le {}. {}.</p><dl class="request">"#,
        esc(&request.reference),
        unix_date_fr(request.created_at),
        level
    );
    let mut row = |k: &str, v: String| {
        let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row(
        "Nom",
        format!(
            "{} {}",
            esc(r.first_name.as_str()),
            esc(r.last_name.as_str())
        ),
    );
    row("Âge", format!("{} ans", r.birth_date.age_on(today)));
    row(
        "Téléphone",
        format!(
            r#"<a href="tel:{}">{}</a> ({call_time})"#,
            esc(r.phone.as_str()),
            esc(&r.phone.display_fr())
        ),
    );
    if let Some(email) = &r.email {
        row("Courriel", esc(email.as_str()));
    }
    row("Commune", esc(commune));
    row("Distance acceptée", distance);
    row("Demande faite par", filled_by);
    row(
        "Besoins",
        if needs.is_empty() {
            "aucun signalé".into()
        } else {
            needs.join(", ")
        },
    );
    out.push_str("</dl><p>Cette page ne modifie rien : vous pouvez la rouvrir autant de fois que nécessaire pendant la validité du lien.</p>");
    out
}
