//! The routes behind emailed links: GET shows (a mail scanner that follows the link changes
//! nothing), POST acts — from plain HTML forms, checked for origin and token, performed once.
//!
//! - `/api/demandes/{reference}` — the coordinator's page of a request (token `voir`, 30 days);
//! - `/api/propositions/{id}` — the doctor's page of a proposal (token `medecin`, until its deadline);
//! - `/api/suivi/{reference}` — the patient's page once a doctor accepted (token `patient`);
//! - `/api/coordination/{cpts}` and `…/export.csv` — a CPTS's overview (token `tableau`, 7 days).
//!
//! The coordinator's page and the overview also open, without a token, for a signed-in member
//! of staff whose scope holds the request's CPTS ([`SignedIn`]); the page's forms then carry the
//! session's CSRF token in the same `jeton` field, and decisions are audited `staff:<id>`.

// A handler's early exit is the page to answer with: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Months;
use serde::Serialize;

use crate::app::{App, now};
use crate::domain::answers::Answers;
use crate::domain::communes::{commune_name, coordinators_of};
use crate::domain::dates::{local_date, unix_date_fr};
use crate::domain::lifecycle::{self, Case, ClosingReason, Proposal, RejectionReason};
use crate::domain::matching::{self, Loads};
use crate::domain::search::Identity;
use crate::domain::staff::Scope;
use crate::links::{Link, TOKEN_PARAMETER};
use crate::mail::Mailer;
use crate::signed::Claims;
use crate::store::{Store, StoreError};
use crate::web::casework;
use crate::web::link_pages::{self, CoordinatorView};
use crate::web::overview;
use crate::web::pages::Message;
use crate::web::replies::{
    doctor_message, doctor_page as doctor_page_of, message, not_found, page, token_error,
    unavailable,
};
use crate::web::respond::{BODY_LIMIT, same_origin};
use crate::web::staff::{self, SignedIn};
use crate::workflow::{Answer, Decision, Outcome};

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(
            Link::Request.route(),
            get(coordinator_page::<S, M>).post(coordinator_decides::<S, M>),
        )
        .route(
            Link::Proposal.route(),
            get(doctor_page::<S, M>).post(doctor_answers::<S, M>),
        )
        .route(Link::Follow.route(), get(patient_page::<S, M>))
        .route(Link::Overview.route(), get(overview_page::<S, M>))
        .route(
            &format!("{}/export.csv", Link::Overview.route()),
            get(overview_csv::<S, M>),
        )
}

pub(crate) fn query_token(request: &Request) -> String {
    request
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == TOKEN_PARAMETER)
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default()
}

/// The token checked for `link` on `object`, or the page that says why it cannot be used.
fn verify<S: Store, M: Mailer>(
    app: &App<S, M>,
    token: &str,
    link: Link,
    object: &str,
    now: i64,
) -> Result<Claims, Response> {
    link.verify(&app.keys, token, object, now)
        .map_err(|e| token_error(app, e))
}

/// A POST's form, once its size and origin are checked.
pub(crate) async fn form<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: Request,
) -> Result<Answers, Response> {
    if !same_origin(request.headers(), &app.config.allowed_origins) {
        return Err(message(
            app,
            StatusCode::FORBIDDEN,
            "Action refusée",
            &Message::new(
                "Action refusée",
                &[
                    "Ce formulaire a été envoyé depuis un autre site que le nôtre. Rien n'a été modifié.",
                ],
            ),
        ));
    }
    match to_bytes(request.into_body(), BODY_LIMIT).await {
        Ok(bytes) => Ok(Answers::from_form(&bytes)),
        Err(_) => Err(message(
            app,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Action refusée",
            &Message::new("Action refusée", &["Le formulaire envoyé est trop long."]),
        )),
    }
}

/// A GET of a page behind an emailed link: its token (`?jeton=`), checked for `action` on
/// `object`, with the time it was checked at.
fn signed_query<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: &Request,
    link: Link,
    object: &str,
) -> Result<(String, i64), Response> {
    let token = query_token(request);
    let now = now();
    verify(app, &token, link, object, now)?;
    Ok((token, now))
}

/// A POST from a page behind an emailed link: its form and its token, checked for `action` on
/// `object`, with the time it was checked at.
async fn signed_form<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: Request,
    link: Link,
    object: &str,
) -> Result<(Answers, String, i64), Response> {
    let answers = form(app, request).await?;
    let token = answers.get(TOKEN_PARAMETER).to_string();
    let now = now();
    verify(app, &token, link, object, now)?;
    Ok((answers, token, now))
}

/// Who opens a page that a signed-in member of staff may also open.
enum Access {
    /// An emailed link's token.
    Link(Claims, String),
    Staff(SignedIn),
}

/// A GET of such a page: its link token when it has one (or no session cookie: then the token's
/// error), else the signed-in person.
async fn access<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: Request,
    link: Link,
    object: &str,
    now: i64,
) -> Result<Access, Response> {
    let token = query_token(&request);
    let headers = request.headers();
    if token.is_empty() && SignedIn::has_cookie(app, headers) {
        return Ok(Access::Staff(SignedIn::require(app, headers).await?));
    }
    let claims = verify(app, &token, link, object, now)?;
    Ok(Access::Link(claims, token))
}

/// The CPTS an overview id stands for (`None`: the communes outside every CPTS).
fn overview_cpts(id: &str) -> Option<&str> {
    (id != crate::links::OUTSIDE_CPTS).then_some(id)
}

async fn proposals_of<S: Store>(store: &S, case: &Case) -> Result<Vec<Proposal>, StoreError> {
    let mut all = Vec::with_capacity(case.proposals.len());
    for id in &case.proposals {
        if let Some(p) = store.proposal(id).await? {
            all.push(p);
        }
    }
    Ok(all)
}

fn coordinator_url(reference: &str, token: &str) -> String {
    Link::Request.local_url(reference, token)
}

async fn coordinator_page<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(reference): Path<String>,
    request: Request,
) -> Response {
    let now = now();
    let access = match access(&app, request, Link::Request, &reference, now).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let read = async {
        let Some(stored) = app.store.request(&reference).await? else {
            return Ok(None);
        };
        let Some(case) = app.store.case(&reference).await? else {
            return Ok(None);
        };
        let proposals = proposals_of(&app.store, &case).await?;
        let timeline = app.store.timeline(&reference).await?;
        let loads = app
            .store
            .doctor_loads(matching::period_of(local_date(now)))
            .await?;
        let mut audit = app.store.audit_trail(&reference).await?;
        for p in &proposals {
            audit.extend(app.store.audit_trail(&p.id).await?);
        }
        Ok::<_, StoreError>(Some((stored, case, proposals, timeline, loads, audit)))
    };
    let (stored, case, proposals, timeline, loads, audit) = match read.await {
        Ok(Some(found)) => found,
        Ok(None) => return erased_or_not_found(&app, &reference).await,
        Err(e) => return unavailable(&app, &e),
    };
    // A signed-in person sees only the requests of their scope; the token opens its own.
    let (actor, token, coordinators) = match &access {
        Access::Link(claims, token) => (
            format!("coordinator:{}", claims.key_id),
            token.as_str(),
            coordinators_of(&app.territory(), case.cpts.as_deref()),
        ),
        Access::Staff(signed_in) if signed_in.allows(case.cpts.as_deref()) => {
            // The decider is the signed-in person: no « Qui décide ? » list.
            (signed_in.actor(), signed_in.csrf.as_str(), Vec::new())
        }
        Access::Staff(_) => return staff::forbidden(&app),
    };
    // Who looked at which request, when: ids only, once an hour per reader.
    let _ = crate::casework::record_view(&app.store, &reference, &actor, now).await;
    let territory = app.territory();
    let commune = commune_name(&territory, &stored.registration.commune);
    let overview_link = app.overview_link(case.cpts.as_deref(), now);
    // Possible duplicates among what this page's reader may open: a signed-in person's scope,
    // or the request's own CPTS behind an emailed link (whose pages open with a link of theirs).
    let duplicates = match &access {
        Access::Staff(signed_in) => signed_in.scope.clone(),
        Access::Link(..) => Some(match &case.cpts {
            Some(cpts) => Scope::Cpts(cpts.clone()),
            None => Scope::Territory,
        }),
    };
    let duplicates: Vec<link_pages::Duplicate> = match duplicates {
        Some(scope) => app
            .store
            .possible_duplicates(
                &Identity::of(&stored.registration),
                Some(&reference),
                &scope,
            )
            .await
            .unwrap_or_else(|e| {
                // The page is still worth showing: the duplicates are a hint.
                tracing::warn!(error = %e, "doublons possibles illisibles");
                Vec::new()
            })
            .into_iter()
            .map(|other| {
                let url = match &access {
                    Access::Staff(_) => Link::Request.path(&other),
                    Access::Link(..) => app.coordinator_link(&other, now),
                };
                link_pages::Duplicate {
                    reference: other,
                    url,
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let data = link_pages::coordinator_page(&CoordinatorView {
        request: &stored,
        case: &case,
        proposals: &proposals,
        audit: &audit,
        entries: &timeline,
        commune: &commune,
        coordinators: &coordinators,
        territory: &territory,
        token,
        overview_link: &overview_link,
        duplicates: &duplicates,
        today: local_date(now),
        now,
    });
    let loads = Loads::new(&territory, &loads);
    let casework = casework::panel(&casework::PanelView {
        request: &stored,
        case: &case,
        territory: &territory,
        loads: &loads,
        commune: &commune,
        filled_by: &data.request.filled_by,
        today: local_date(now),
    });
    let privacy = casework::correction_form(
        &territory,
        &stored,
        &case,
        token,
        data.coordinators.iter().map(|c| c.to_string()).collect(),
    );
    page(
        &app,
        StatusCode::OK,
        "coordinator.html",
        &format!("Demande {reference}"),
        &WithCasework {
            page: data,
            casework,
            privacy,
        },
    )
}

/// The page of a request that has no personal data any more (erased at the person's request),
/// or that no request has this reference.
async fn erased_or_not_found<S: Store, M: Mailer>(app: &App<S, M>, reference: &str) -> Response {
    match app.store.erased(reference).await {
        Ok(Some(erased)) => {
            let text = casework::erased_message(&erased);
            let lines: Vec<&str> = text.iter().map(String::as_str).collect();
            message(
                app,
                StatusCode::OK,
                &format!("Demande {reference}"),
                &Message::new("Données effacées", &lines),
            )
        }
        Ok(None) => not_found(app),
        Err(e) => unavailable(app, &e),
    }
}

/// The coordinator's page and the part for her own actions (`page.casework`).
#[derive(Serialize)]
struct WithCasework<'a> {
    #[serde(flatten)]
    page: link_pages::CoordinatorPage<'a>,
    casework: casework::Panel,
    /// The correction form, filled with the stored details.
    privacy: casework::CorrectionForm,
}

/// Who acts, from the "Qui décide ?" list when the CPTS has several coordinators.
fn who_acts(coordinators: &[territory::Coordinator], answers: &Answers) -> Option<String> {
    match coordinators.len() {
        0 => Some("la coordination".to_string()),
        1 => Some(coordinators[0].name.clone()),
        _ => answers
            .get("qui")
            .parse::<usize>()
            .ok()
            .and_then(|i| coordinators.get(i))
            .map(|c| c.name.clone()),
    }
}

async fn coordinator_decides<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(reference): Path<String>,
    request: Request,
) -> Response {
    // A signed-in person's form carries the session's CSRF token where a link's carries its token.
    let signed_in = if SignedIn::has_cookie(&app, request.headers()) {
        SignedIn::from_headers(&app, request.headers()).await.ok()
    } else {
        None
    };
    let headers = request.headers().clone();
    let answers = match form(&app, request).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let now = now();
    let token = answers.get(TOKEN_PARAMETER).to_string();
    let staff =
        signed_in.filter(|s| s.token_is_genuine(&headers, &app.config.allowed_origins, &token));
    if staff.is_none()
        && let Err(r) = verify(&app, &token, Link::Request, &reference, now)
    {
        return r;
    }
    let back = match staff {
        Some(_) => Link::Request.path(&reference),
        None => coordinator_url(&reference, &token),
    };
    let invalid = |why: &str| {
        message(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Décision non enregistrée",
            &Message::new("Décision non enregistrée", &[why]).link(&back, "Revenir à la demande"),
        )
    };
    let territory = app.territory();
    let case = match app.store.case(&reference).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(&app),
        Err(e) => return unavailable(&app, &e),
    };
    // Checked before any action: a person signed in for one CPTS never acts on another's request.
    if let Some(signed_in) = &staff
        && !signed_in.allows(case.cpts.as_deref())
    {
        return staff::forbidden(&app);
    }
    let coordinators = coordinators_of(&territory, case.cpts.as_deref());
    let by = match &staff {
        Some(signed_in) => signed_in.staff.name.clone(),
        None => match who_acts(&coordinators, &answers) {
            Some(by) => by,
            None => return invalid("Choisissez votre nom dans la liste « Qui décide ? »."),
        },
    };
    if casework::ACTIONS.contains(&answers.get("decision")) {
        let action =
            match casework::prepare(&app, &reference, &answers, &token, &back, local_date(now)) {
                Ok(a) => a,
                Err(Ok(page)) => return page,
                Err(Err(why)) => return invalid(&why),
            };
        let actor = staff.as_ref().map(SignedIn::actor);
        return casework::answer(
            &app,
            &reference,
            &action,
            &answers,
            &by,
            actor.as_deref(),
            &token,
            &back,
            now,
        )
        .await;
    }
    let decision = match (answers.get("decision"), answers.get("motif")) {
        ("valider", _) => Decision::Validate,
        ("autre", motif) => match RejectionReason::from_code(motif) {
            Some(r) => Decision::Another(r),
            None => return invalid("Choisissez pourquoi vous voulez un autre médecin."),
        },
        ("clore", motif) => match ClosingReason::from_code(motif) {
            Some(r) => Decision::Close(r),
            None => return invalid("Choisissez le motif de clôture dans la liste."),
        },
        ("prevenu", _) => Decision::Informed,
        _ => return invalid("Choisissez une action avec l'un des boutons de la page."),
    };
    let proposal_id = Some(answers.get("proposition")).filter(|p| !p.is_empty());
    let outcome = match &staff {
        Some(signed_in) => {
            app.staff_decides(
                &reference,
                proposal_id,
                decision,
                &by,
                &signed_in.actor(),
                now,
            )
            .await
        }
        None => {
            app.coordinator_decides(&reference, proposal_id, decision, &by, now)
                .await
        }
    };
    match outcome {
        Ok(Outcome::Done) => {
            let another = matches!(decision, Decision::Another(_))
                && app
                    .store
                    .case(&reference)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|c| c.current_proposal().is_some());
            let (title, text) = link_pages::decision_done(decision, another);
            message(
                &app,
                StatusCode::OK,
                title,
                &link_pages::decided(title, &text, &back),
            )
        }
        Ok(Outcome::Expired) => message(
            &app,
            StatusCode::GONE,
            "Proposition expirée",
            &link_pages::decided(
                "Proposition expirée",
                &format!(
                    "Cette proposition a dépassé son délai de {} jours sans décision : elle n'est plus valable et un autre médecin est proposé quand il y en a un. Rien d'autre n'a été modifié.",
                    lifecycle::ANSWER_DAYS
                ),
                &back,
            ),
        ),
        Ok(Outcome::DoctorGone) => invalid(
            "Ce médecin n'est plus dans la liste publiée des médecins : demandez un autre médecin.",
        ),
        Ok(Outcome::Unknown) => not_found(&app),
        Ok(_) => {
            let case = app.store.case(&reference).await.ok().flatten();
            let proposal = match proposal_id {
                Some(id) => app.store.proposal(id).await.ok().flatten(),
                None => None,
            };
            match case {
                Some(case) => page(
                    &app,
                    StatusCode::CONFLICT,
                    "already_decided.html",
                    "Déjà décidé",
                    &link_pages::already_decided(&case, proposal.as_ref(), &back),
                ),
                None => not_found(&app),
            }
        }
        Err(e) => unavailable(&app, &e),
    }
}

async fn doctor_page<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (token, now) = match signed_query(&app, &request, Link::Proposal, &id) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let read = async {
        let Some(proposal) = app.store.proposal(&id).await? else {
            return Ok(None);
        };
        let Some(case) = app.store.case(&proposal.reference).await? else {
            return Ok(None);
        };
        let Some(request) = app.store.request(&proposal.reference).await? else {
            return Ok(None);
        };
        Ok::<_, StoreError>(Some((proposal, case, request)))
    };
    let (proposal, case, stored) = match read.await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&app),
        Err(e) => return unavailable(&app, &e),
    };
    let territory = app.territory();
    let commune = commune_name(&territory, &case.needs.commune);
    let today = local_date(now);
    let contact = link_pages::coordination_contact(&territory, case.cpts.as_deref());
    let accepted = proposal
        .history
        .iter()
        .any(|s| s.state == crate::domain::lifecycle::ProposalState::Accepted);
    if accepted {
        doctor_page_of(
            &app,
            StatusCode::OK,
            "doctor_accepted.html",
            "Patient accepté",
            &link_pages::doctor_accepted(&stored, &commune, today),
            contact,
        )
    } else if proposal.state == crate::domain::lifecycle::ProposalState::Validated {
        doctor_page_of(
            &app,
            StatusCode::OK,
            "doctor_offer.html",
            "Proposition d'un nouveau patient",
            &link_pages::doctor_offer(&case, &proposal, &stored, &commune, &token, today),
            contact,
        )
    } else {
        doctor_message(
            &app,
            StatusCode::OK,
            "Proposition close",
            &link_pages::doctor_closed(&proposal),
            contact,
        )
    }
}

async fn doctor_answers<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (answers, token, now) = match signed_form(&app, request, Link::Proposal, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let back = Link::Proposal.local_url(&id, &token);
    // The coordination of the proposal's CPTS, in the footer of every page he sees next.
    let cpts = match app.store.proposal(&id).await {
        Ok(Some(p)) => match app.store.case(&p.reference).await {
            Ok(case) => case.and_then(|c| c.cpts),
            Err(e) => return unavailable(&app, &e),
        },
        Ok(None) => return not_found(&app),
        Err(e) => return unavailable(&app, &e),
    };
    let contact = link_pages::coordination_contact(&app.territory(), cpts.as_deref());
    let message = |app: &App<S, M>, status, title: &str, m: &Message| {
        doctor_message(app, status, title, m, contact.clone())
    };
    let answer = match answers.get("reponse") {
        "accepter" => Answer::Accept,
        "refuser" => Answer::Decline,
        "pause" => {
            let months = match answers.get("pause_mois") {
                "1" => 1,
                "6" => 6,
                _ => 3,
            };
            match local_date(now).checked_add_months(Months::new(months)) {
                Some(until) => Answer::Pause(until),
                None => Answer::Decline,
            }
        }
        _ => {
            return message(
                &app,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Réponse non enregistrée",
                &Message::new(
                    "Réponse non enregistrée",
                    &["Choisissez une réponse avec l'un des boutons de la page."],
                )
                .link(&back, "Revenir à la proposition"),
            );
        }
    };
    let said = |status, title: &str, text: &str| {
        message(&app, status, title, &Message::new(title, &[text]))
    };
    match app.doctor_answers(&id, answer, now).await {
        // The contact details are on the proposal's page from now on.
        Ok(Outcome::Done) if answer == Answer::Accept => Redirect::to(&back).into_response(),
        Ok(Outcome::Done) => said(
            StatusCode::OK,
            "Réponse enregistrée",
            &link_pages::answer_recorded(answer),
        ),
        Ok(Outcome::NoPlaceLeft) => said(
            StatusCode::CONFLICT,
            "Plus de place cette année",
            "Merci ! Mais toutes les places que vous aviez déclarées pour cette année sont déjà prises : la demande est proposée à un confrère. Pour en prendre davantage, prévenez la coordination de la CPTS.",
        ),
        Ok(Outcome::Expired) => said(
            StatusCode::GONE,
            "Proposition expirée",
            "Le délai de réponse de cette proposition est passé : la demande a été proposée à un confrère. Rien n'a été enregistré.",
        ),
        Ok(Outcome::Unknown) => not_found(&app),
        Ok(_) => match app.store.proposal(&id).await {
            Ok(Some(p)) => {
                let text = format!(
                    "Cette proposition est déjà « {} » (le {}). Rien n'a été modifié.",
                    p.state.label(),
                    p.last_step()
                        .map_or_else(String::new, |s| unix_date_fr(s.at)),
                );
                message(
                    &app,
                    StatusCode::CONFLICT,
                    "Déjà répondu",
                    &Message::new("Déjà répondu", &[&text]).link(&back, "Revoir la proposition"),
                )
            }
            Ok(None) => not_found(&app),
            Err(e) => unavailable(&app, &e),
        },
        Err(e) => unavailable(&app, &e),
    }
}

async fn patient_page<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(reference): Path<String>,
    request: Request,
) -> Response {
    let (_token, _now) = match signed_query(&app, &request, Link::Follow, &reference) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let case = match app.store.case(&reference).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(&app),
        Err(e) => return unavailable(&app, &e),
    };
    if let Ok(Some(_)) = app.store.erased(&reference).await {
        return message(
            &app,
            StatusCode::OK,
            "Demande retirée",
            &Message::new(
                "Vos données sont effacées",
                &[
                    "Vous avez retiré votre demande : vos données ont été effacées, comme vous l'avez demandé. La CPTS ne vous cherche plus de médecin.",
                    "Pour refaire une demande, remplissez à nouveau le formulaire ou appelez-nous.",
                ],
            ),
        );
    }
    let proposal = match case.current_proposal() {
        Some(id) => app.store.proposal(id).await.ok().flatten(),
        None => None,
    };
    let territory = app.territory();
    let doctor = proposal.as_ref().and_then(|p| territory.doctor(&p.doctor));
    let practice = doctor
        .and_then(|d| territory.communes.get(d.commune))
        .map_or("", |c| c.name.as_str());
    page(
        &app,
        StatusCode::OK,
        "patient.html",
        "Votre demande de médecin traitant",
        &link_pages::patient_page(&case, doctor, practice),
    )
}

async fn overview_page<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(cpts): Path<String>,
    request: Request,
) -> Response {
    let now = now();
    let token = match access(&app, request, Link::Overview, &cpts, now).await {
        Ok(Access::Link(_, token)) => token,
        Ok(Access::Staff(s)) if s.allows(overview_cpts(&cpts)) => String::new(),
        Ok(Access::Staff(_)) => return staff::forbidden(&app),
        Err(r) => return r,
    };
    match overview::read(&app, &cpts, now).await {
        Ok(o) => page(
            &app,
            StatusCode::OK,
            "overview.html",
            &format!("Tableau de bord — {}", o.title),
            &overview::page(&app, &o, &token, now),
        ),
        Err(e) => unavailable(&app, &e),
    }
}

async fn overview_csv<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(cpts): Path<String>,
    request: Request,
) -> Response {
    let now = now();
    match access(&app, request, Link::Overview, &cpts, now).await {
        Ok(Access::Link(..)) => {}
        Ok(Access::Staff(s)) if s.allows(overview_cpts(&cpts)) => {}
        Ok(Access::Staff(_)) => return staff::forbidden(&app),
        Err(r) => return r,
    }
    match overview::read(&app, &cpts, now).await {
        Ok(o) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tableau-de-bord.csv\"",
                ),
            ],
            overview::csv(&o, now),
        )
            .into_response(),
        Err(e) => unavailable(&app, &e),
    }
}
