//! A CPTS's overview for its coordinators: its requests with their state and age, what waits for
//! them (proposals to validate, people to call), the saturated communes (requests waiting and no
//! capacity within reach), and the same figures as CSV — counts only, no personal data.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::app::App;
use crate::domain::communes::commune_name;
use crate::domain::dates::{local_date, unix_date_fr};
use crate::domain::lifecycle::{Case, CaseState, Needs};
use crate::domain::matching::{self, Loads};
use crate::html::esc;
use crate::links::OUTSIDE_CPTS;
use crate::mail::Mailer;
use crate::store::{Result, Store};
use crate::web::link_pages::by_label;
use crate::web::pages::level_label;

/// Reach within which a commune with waiting requests and no capacity counts as saturated
/// (DOMAIN.md §4.1: "aucune capacité déclarée dans un rayon de N km").
pub const SATURATION_KM: u32 = 20;

pub struct Overview {
    pub id: String,
    pub title: String,
    /// Every request of the CPTS, oldest first.
    pub cases: Vec<Case>,
    /// (commune name, requests waiting), most waiting first.
    pub saturated: Vec<(String, usize)>,
}

pub async fn read<S: Store, M: Mailer>(app: &App<S, M>, id: &str, now: i64) -> Result<Overview> {
    let territory = app.territory();
    let (cpts, title) = if id == OUTSIDE_CPTS {
        (None, "communes hors CPTS".to_string())
    } else {
        let name = territory
            .cpts
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone());
        (Some(id), name)
    };
    let cases = app.store.cases(&CaseState::ALL, Some(cpts)).await?;
    let today = local_date(now);
    let loads = Loads::new(
        &territory,
        &app.store.doctor_loads(matching::period_of(today)).await?,
    );
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.state == CaseState::Waiting) {
        *waiting.entry(c.needs.commune.as_str()).or_default() += 1;
    }
    let mut saturated: Vec<(String, usize)> = waiting
        .into_iter()
        .filter(|(commune, _)| {
            let widest = Needs {
                commune: commune.to_string(),
                max_distance_km: Some(SATURATION_KM),
                home_visits: false,
                priority_level: 1,
            };
            matching::best(&territory, &loads, &widest, &[], today).is_none()
        })
        .map(|(commune, n)| (commune_name(&territory, commune), n))
        .collect();
    saturated.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Overview {
        id: id.to_string(),
        title,
        cases,
        saturated,
    })
}

/// (label, value) of every figure, in the order of the page and the CSV.
fn figures(o: &Overview, now: i64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let open: Vec<&Case> = o
        .cases
        .iter()
        .filter(|c| c.state != CaseState::Closed)
        .collect();
    out.push(("Demandes reçues".into(), o.cases.len().to_string()));
    out.push(("Demandes en cours".into(), open.len().to_string()));
    for state in CaseState::ALL {
        let n = o.cases.iter().filter(|c| c.state == state).count();
        out.push((format!("État : {}", state.label()), n.to_string()));
    }
    for level in 1..=3 {
        let n = open
            .iter()
            .filter(|c| c.needs.priority_level == level)
            .count();
        out.push((format!("En cours, {}", level_label(level)), n.to_string()));
    }
    let mut ages: Vec<i64> = open.iter().map(|c| (now - c.created_at) / 86_400).collect();
    ages.sort_unstable();
    if !ages.is_empty() {
        let at = |q: f64| ages[((ages.len() - 1) as f64 * q).round() as usize];
        out.push((
            "Ancienneté médiane des demandes en cours (jours)".into(),
            at(0.5).to_string(),
        ));
        out.push((
            "Ancienneté P90 des demandes en cours (jours)".into(),
            at(0.9).to_string(),
        ));
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &o.cases {
        if let Some(closure) = &c.closure {
            *reasons.entry(closure.reason.label()).or_default() += 1;
        }
    }
    for (reason, n) in reasons {
        out.push((format!("Close : {reason}"), n.to_string()));
    }
    out.push(("Communes saturées".into(), o.saturated.len().to_string()));
    out
}

pub fn page<S: Store, M: Mailer>(app: &App<S, M>, o: &Overview, token: &str, now: i64) -> String {
    let territory = app.territory();
    let mut out = format!(
        "<h1>Tableau de bord — {}</h1><p>Mis à jour le {} ; ce lien est personnel et valable 7 jours (un nouveau arrive avec chaque courriel).</p>",
        esc(&o.title),
        unix_date_fr(now)
    );
    let to_validate: Vec<&Case> = o
        .cases
        .iter()
        .filter(|c| c.state == CaseState::Proposed)
        .collect();
    let to_call: Vec<&Case> = o
        .cases
        .iter()
        .filter(|c| c.state == CaseState::Accepted && !c.has_email)
        .collect();
    out.push_str("<h2>Ce qui vous attend</h2>");
    if to_validate.is_empty() && to_call.is_empty() {
        out.push_str("<p>Rien pour l'instant.</p>");
    } else {
        out.push_str("<ul>");
        for c in &to_validate {
            let _ = write!(
                out,
                r#"<li>Médecin proposé à valider : <a href="{}">demande {}</a> ({})</li>"#,
                esc(&app.coordinator_link(&c.reference, now)),
                esc(&c.reference),
                esc(&commune_name(&territory, &c.needs.commune))
            );
        }
        for c in &to_call {
            let _ = write!(
                out,
                r#"<li>À appeler — un médecin a accepté : <a href="{}">demande {}</a> ({})</li>"#,
                esc(&app.coordinator_link(&c.reference, now)),
                esc(&c.reference),
                esc(&commune_name(&territory, &c.needs.commune))
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<h2>Communes saturées</h2>");
    if o.saturated.is_empty() {
        out.push_str("<p>Aucune : chaque commune où des demandes attendent a au moins un médecin avec de la place à moins de 20 km.</p>");
    } else {
        out.push_str(r#"<p>Des demandes y attendent et aucun médecin n'a de place à moins de 20 km.</p><table><thead><tr><th scope="col">Commune</th><th scope="col">Demandes en attente</th></tr></thead><tbody>"#);
        for (name, n) in &o.saturated {
            let _ = write!(out, "<tr><td>{}</td><td>{n}</td></tr>", esc(name));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str(r#"<h2>Chiffres</h2><table><thead><tr><th scope="col">Indicateur</th><th scope="col">Valeur</th></tr></thead><tbody>"#);
    for (label, value) in figures(o, now) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&label),
            esc(&value)
        );
    }
    let _ = write!(
        out,
        r#"</tbody></table><p><a href="/api/coordination/{}/export.csv?jeton={}">Télécharger ces chiffres (CSV, nombres seulement)</a></p>"#,
        esc(&o.id),
        esc(&form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>())
    );
    out.push_str(r#"<h2>Toutes les demandes</h2><table><thead><tr><th scope="col">Référence</th><th scope="col">Commune</th><th scope="col">Priorité</th><th scope="col">État</th><th scope="col">Reçue il y a (jours)</th><th scope="col">Close par</th></tr></thead><tbody>"#);
    for c in o.cases.iter().rev() {
        let _ = write!(
            out,
            r#"<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&app.coordinator_link(&c.reference, now)),
            esc(&c.reference),
            esc(&commune_name(&territory, &c.needs.commune)),
            c.needs.priority_level,
            esc(c.state.label()),
            (now - c.created_at) / 86_400,
            esc(&c
                .closure
                .as_ref()
                .map_or_else(String::new, |x| by_label(&x.by)))
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The figures as CSV (semicolon-separated, as French spreadsheets expect): counts only.
pub fn csv(o: &Overview, now: i64) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("indicateur;valeur\n");
    for (label, value) in figures(o, now) {
        let _ = writeln!(out, "{};{value}", quote(&label));
    }
    for (name, n) in &o.saturated {
        let _ = writeln!(out, "{};{n}", quote(&format!("Commune saturée : {name}")));
    }
    out
}
