//! The staff workspace under `/espace/`: sign-in by emailed link, the session cookie, the
//! [`SignedIn`] extractor every staff route takes, sign-out. Transport only: the use cases are
//! in [`crate::sessions`].
//!
//! - GET `/espace/` — signed in: who and what they can open; otherwise the email field;
//! - POST `/espace/` — mails a sign-in link to a listed address; the same page for any address;
//! - GET (and HEAD) `/espace/connexion/{object}?jeton=` — a « Se connecter » button, nothing else;
//! - POST `/espace/connexion/{object}` — uses the link once, opens the session, sets the cookie;
//! - POST `/espace/deconnexion`, `/espace/deconnexion-partout` — ends this session, or all of them.
//!
//! A staff route takes `signed_in: SignedIn` as an argument (the person is read from the current
//! roster), and checks its forms with [`SignedIn::check_form`] (origin and CSRF token `csrf`).

// A handler's early exit is the page to answer with: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use subtle::ConstantTimeEq;
use territory::{Staff, StaffRole};

use crate::app::{App, now};
use crate::domain::answers::Answers;
use crate::domain::staff::{SESSION_SECONDS, SIGN_IN_LINK_SECONDS, Scope};
use crate::links::{Link, OUTSIDE_CPTS, TOKEN_PARAMETER};
use crate::mail::Mailer;
use crate::sessions::{SessionError, SignInError};
use crate::signed::TokenError;
use crate::store::Store;
use crate::web::pages::Message;
use crate::web::replies::{self, page};
use crate::web::respond::{BODY_LIMIT, same_origin};

/// The workspace's home.
pub const HOME: &str = "/espace/";
/// The name of the form field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The staff intake form: a request taken by phone or on paper.
pub const INTAKE: &str = "/espace/demandes/nouvelle";
/// The search among the requests of one's scope.
pub const SEARCH: &str = "/espace/recherche";
/// The figures page (`web::figures` serves it; named here, with the workspace's other pages,
/// for the home page's menu).
pub const FIGURES: &str = "/espace/chiffres";
/// The ACI annual report (`web::aci` serves it; named here so that the figures page links to it
/// without depending on the report).
pub const ACI_REPORT: &str = "/espace/chiffres/rapport-aci";

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(HOME, get(home::<S, M>).post(ask_link::<S, M>))
        .route(
            "/espace",
            get(|| async { axum::response::Redirect::to(HOME) }),
        )
        .route(
            Link::SignIn.route(),
            get(link_page::<S, M>).post(sign_in::<S, M>),
        )
        .route("/espace/deconnexion", post(sign_out::<S, M>))
        .route(
            "/espace/deconnexion-partout",
            post(sign_out_everywhere::<S, M>),
        )
}

/// The session cookie's name: `__Host-` prefixed (Secure, no Domain, Path=/) over HTTPS.
pub fn cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        "__Host-cpts_session"
    } else {
        "cpts_session"
    }
}

fn set_cookie(public_url: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}",
        cookie_name(public_url)
    );
    HeaderValue::from_str(&cookie).expect("cookie characters are base64url")
}

/// The session cookie's value in `headers` ("" when absent).
fn cookie_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn message<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    title: &str,
    paragraphs: &[&str],
) -> Response {
    replies::message(
        app,
        status,
        title,
        &Message::new(title, paragraphs).link(HOME, "Aller à l'espace de coordination"),
    )
}

pub fn unavailable<S: Store, M: Mailer>(app: &App<S, M>, e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "base de données indisponible");
    message(
        app,
        StatusCode::SERVICE_UNAVAILABLE,
        "Service momentanément indisponible",
        &["Rien n'a été modifié. Réessayez dans quelques minutes."],
    )
}

/// The page for a POST from another site, or without this session's token.
pub fn refused<S: Store, M: Mailer>(app: &App<S, M>) -> Response {
    message(
        app,
        StatusCode::FORBIDDEN,
        "Action refusée",
        &[
            "Ce formulaire n'a pas été envoyé depuis une page de l'espace de coordination ouverte dans ce navigateur. Rien n'a été modifié.",
            "Rouvrez la page et recommencez.",
        ],
    )
}

/// The page for a staff member whose scope does not include what they asked for.
pub fn forbidden<S: Store, M: Mailer>(app: &App<S, M>) -> Response {
    message(
        app,
        StatusCode::FORBIDDEN,
        "Accès non autorisé",
        &[
            "Cette page concerne une autre CPTS que la vôtre, ou votre rôle n'y donne pas accès. Rien n'a été modifié.",
            "Si vous devez la voir, demandez-le à la coordination du territoire.",
        ],
    )
}

fn session_error<S: Store, M: Mailer>(app: &App<S, M>, error: SessionError) -> Response {
    let status = StatusCode::UNAUTHORIZED;
    match error {
        SessionError::None => message(
            app,
            status,
            "Connexion nécessaire",
            &[
                "Connectez-vous à l'espace de coordination pour ouvrir cette page. Rien n'a été modifié.",
            ],
        ),
        SessionError::Expired => message(
            app,
            status,
            "Session expirée",
            &[
                "Votre connexion a duré plus de 10 heures : elle a pris fin, pour protéger les patients. Rien n'a été modifié.",
                "Connectez-vous de nouveau avec votre adresse de courriel.",
            ],
        ),
        SessionError::OtherBrowser => message(
            app,
            status,
            "Session ouverte dans un autre navigateur",
            &[
                "Cette connexion a été ouverte dans un autre navigateur : elle ne sert pas ici. Rien n'a été modifié.",
                "Connectez-vous dans ce navigateur avec votre adresse de courriel.",
            ],
        ),
        SessionError::Removed => message(
            app,
            StatusCode::FORBIDDEN,
            "Accès retiré",
            &[
                "Votre adresse n'est plus dans la liste des personnes de la coordination. Rien n'a été modifié.",
                "Si c'est une erreur, adressez-vous à la coordination du territoire.",
            ],
        ),
        SessionError::Store(e) => unavailable(app, &e),
    }
}

/// The signed-in member of staff, as the current roster lists them. A staff route takes it as an
/// argument; without a valid session the route answers with the page that says why.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub staff: Staff,
    /// Which requests they may see; `None` for communication staff (no request at all).
    pub scope: Option<Scope>,
    /// The hash of the session's cookie (its id in the store).
    pub session: String,
    /// The token every form of theirs must carry in the field [`CSRF_FIELD`].
    pub csrf: String,
}

impl SignedIn {
    /// Audit actor: `staff:<id>`.
    pub fn actor(&self) -> String {
        crate::domain::staff::actor(&self.staff)
    }

    /// Whether they may see requests of `cpts` (`None`: outside every CPTS).
    pub fn allows(&self, cpts: Option<&str>) -> bool {
        self.scope.as_ref().is_some_and(|s| s.allows(cpts))
    }

    /// Whether this POST comes from one of this session's pages: same origin, and the session's
    /// CSRF token in `answers`.
    pub fn form_is_genuine(
        &self,
        headers: &HeaderMap,
        allowed: &[String],
        answers: &Answers,
    ) -> bool {
        self.token_is_genuine(headers, allowed, answers.get(CSRF_FIELD))
    }

    /// Whether this POST, carrying `token`, comes from one of this session's pages.
    pub fn token_is_genuine(&self, headers: &HeaderMap, allowed: &[String], token: &str) -> bool {
        same_origin(headers, allowed)
            && !self.csrf.is_empty()
            && bool::from(token.as_bytes().ct_eq(self.csrf.as_bytes()))
    }

    /// [`SignedIn::form_is_genuine`], or the page that refuses it.
    pub fn check_form<S: Store, M: Mailer>(
        &self,
        app: &App<S, M>,
        headers: &HeaderMap,
        answers: &Answers,
    ) -> Result<(), Response> {
        if self.form_is_genuine(headers, &app.config.allowed_origins, answers) {
            Ok(())
        } else {
            Err(refused(app))
        }
    }

    /// The signed-in person of `headers`' session cookie, or why there is none.
    pub async fn from_headers<S: Store, M: Mailer>(
        app: &App<S, M>,
        headers: &HeaderMap,
    ) -> Result<Self, SessionError> {
        let secret = cookie_value(headers, cookie_name(&app.config.public_url));
        let (staff, session) = app
            .staff_session(&secret, user_agent(headers), now())
            .await?;
        Ok(Self {
            scope: Scope::of(&staff.role),
            staff,
            session: session.id_hash,
            csrf: session.csrf,
        })
    }

    /// Whether `headers` carry a session cookie at all (signed in or not).
    pub fn has_cookie<S: Store, M: Mailer>(app: &App<S, M>, headers: &HeaderMap) -> bool {
        !cookie_value(headers, cookie_name(&app.config.public_url)).is_empty()
    }

    /// [`SignedIn::from_headers`], or the page that says why not.
    pub async fn require<S: Store, M: Mailer>(
        app: &App<S, M>,
        headers: &HeaderMap,
    ) -> Result<Self, Response> {
        Self::from_headers(app, headers)
            .await
            .map_err(|e| session_error(app, e))
    }
}

impl<S: Store, M: Mailer> FromRequestParts<Arc<App<S, M>>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App<S, M>>,
    ) -> Result<Self, Self::Rejection> {
        Self::require(app, &parts.headers).await
    }
}

#[derive(Serialize)]
struct SignInPage<'a> {
    sent: bool,
    email: &'a str,
    minutes: i64,
}

#[derive(Serialize)]
struct OverviewLink {
    name: String,
    url: String,
}

#[derive(Serialize)]
struct HomePage<'a> {
    name: &'a str,
    role: &'static str,
    overviews: Vec<OverviewLink>,
    /// The intake form and the search, for those who may see requests.
    intake: Option<&'static str>,
    search: Option<&'static str>,
    /// The doctors' offers to join, for the same.
    joining: Option<&'static str>,
    /// The figures page, for the same.
    figures: Option<&'static str>,
    csrf: &'a str,
}

fn sign_in_page<S: Store, M: Mailer>(app: &App<S, M>, sent: bool, email: &str) -> Response {
    page(
        app,
        StatusCode::OK,
        "staff_sign_in.html",
        "Espace de coordination",
        &SignInPage {
            sent,
            email,
            minutes: SIGN_IN_LINK_SECONDS / 60,
        },
    )
}

async fn home<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let signed_in = match SignedIn::from_headers(&app, request.headers()).await {
        Ok(s) => s,
        // No cookie: the sign-in page, as it should be.
        Err(SessionError::None) if !SignedIn::has_cookie(&app, request.headers()) => {
            return sign_in_page(&app, false, "");
        }
        Err(e) => return session_error(&app, e),
    };
    let territory = app.territory();
    let overview = |id: &str, name: &str| OverviewLink {
        name: format!("Ce qui vous attend — {name}"),
        url: Link::Overview.path(id),
    };
    let overviews = match &signed_in.scope {
        None => Vec::new(),
        Some(Scope::Cpts(id)) => territory
            .cpts
            .iter()
            .filter(|c| &c.id == id)
            .map(|c| overview(&c.id, &c.name))
            .collect(),
        Some(Scope::Territory) => territory
            .cpts
            .iter()
            .map(|c| overview(&c.id, &c.name))
            .chain(std::iter::once(overview(
                OUTSIDE_CPTS,
                "communes hors CPTS",
            )))
            .collect(),
    };
    page(
        &app,
        StatusCode::OK,
        "staff_home.html",
        "Espace de coordination",
        &HomePage {
            name: &signed_in.staff.name,
            role: signed_in.staff.role.label_fr(),
            overviews,
            intake: signed_in.scope.as_ref().map(|_| INTAKE),
            search: signed_in.scope.as_ref().map(|_| SEARCH),
            joining: signed_in
                .scope
                .as_ref()
                .map(|_| crate::joining::OFFERS_PAGE),
            figures: signed_in.scope.as_ref().map(|_| FIGURES),
            csrf: &signed_in.csrf,
        },
    )
}

/// A POST's form, once its size and origin are checked.
pub(crate) async fn posted_form<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: Request,
) -> Result<(HeaderMap, Answers), Response> {
    let headers = request.headers().clone();
    if !same_origin(&headers, &app.config.allowed_origins) {
        return Err(refused(app));
    }
    match to_bytes(request.into_body(), BODY_LIMIT).await {
        Ok(bytes) => Ok((headers, Answers::from_form(&bytes))),
        Err(_) => Err(message(
            app,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Action refusée",
            &["Le formulaire envoyé est trop long."],
        )),
    }
}

async fn ask_link<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let (_, answers) = match posted_form(&app, request).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let email = answers.get("courriel").trim().to_string();
    if email.is_empty() {
        return page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff_sign_in.html",
            "Espace de coordination",
            &SignInPage {
                sent: false,
                email: "",
                minutes: SIGN_IN_LINK_SECONDS / 60,
            },
        );
    }
    match app.request_sign_in(&email, now()).await {
        Ok(()) => sign_in_page(&app, true, &email),
        Err(e) => unavailable(&app, &e),
    }
}

fn query_token(request: &Request) -> String {
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

fn sign_in_error<S: Store, M: Mailer>(app: &App<S, M>, error: SignInError) -> Response {
    let again = "Demandez un nouveau lien avec votre adresse de courriel.";
    match error {
        SignInError::Token(TokenError::Expired) => message(
            app,
            StatusCode::GONE,
            "Lien de connexion expiré",
            &[
                "Ce lien de connexion a plus de 15 minutes : il ne sert plus. Rien n'a été modifié.",
                again,
            ],
        ),
        SignInError::Token(_) => message(
            app,
            StatusCode::BAD_REQUEST,
            "Lien de connexion non valide",
            &[
                "Ce lien est incomplet ou a été modifié. Rien n'a été modifié.",
                again,
            ],
        ),
        SignInError::Used => message(
            app,
            StatusCode::CONFLICT,
            "Lien de connexion déjà utilisé",
            &[
                "Ce lien a déjà servi à se connecter : il ne sert qu'une fois. Rien n'a été modifié.",
                again,
            ],
        ),
        SignInError::Unknown => message(
            app,
            StatusCode::FORBIDDEN,
            "Accès retiré",
            &[
                "Votre adresse n'est plus dans la liste des personnes de la coordination. Rien n'a été modifié.",
            ],
        ),
        SignInError::Store(e) => unavailable(app, &e),
    }
}

#[derive(Serialize)]
struct LinkPage<'a> {
    name: &'a str,
    action: String,
    token: &'a str,
}

/// GET (and HEAD) of a sign-in link: the button, nothing else.
async fn link_page<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(object): Path<String>,
    request: Request,
) -> Response {
    let token = query_token(&request);
    match app.sign_in_link(&object, &token, now()) {
        Ok((staff, _)) => page(
            &app,
            StatusCode::OK,
            "staff_link.html",
            "Se connecter",
            &LinkPage {
                name: &staff.name,
                action: Link::SignIn.path(&object),
                token: &token,
            },
        ),
        Err(e) => sign_in_error(&app, e),
    }
}

async fn sign_in<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(object): Path<String>,
    request: Request,
) -> Response {
    let (headers, answers) = match posted_form(&app, request).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    match app
        .sign_in(
            &object,
            answers.get(TOKEN_PARAMETER),
            user_agent(&headers),
            now(),
        )
        .await
    {
        Ok(opened) => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, HOME)]).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::SET_COOKIE,
                set_cookie(&app.config.public_url, &opened.secret, SESSION_SECONDS),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => sign_in_error(&app, e),
    }
}

/// The cookie that deletes the session cookie.
fn cleared<S: Store, M: Mailer>(app: &App<S, M>, title: &str, text: &str) -> Response {
    let mut response = page(
        app,
        StatusCode::OK,
        "message.html",
        title,
        &Message::new(title, &[text]).link(HOME, "Se connecter de nouveau"),
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&app.config.public_url, "", 0),
    );
    response
}

async fn signed_out_form<S: Store, M: Mailer>(
    app: &App<S, M>,
    request: Request,
) -> Result<SignedIn, Response> {
    let signed_in = SignedIn::require(app, request.headers()).await?;
    let (headers, answers) = posted_form(app, request).await?;
    signed_in.check_form(app, &headers, &answers)?;
    Ok(signed_in)
}

async fn sign_out<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let signed_in = match signed_out_form(&app, request).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match app
        .sign_out(&signed_in.staff, &signed_in.session, now())
        .await
    {
        Ok(()) => cleared(
            &app,
            "Vous êtes déconnecté(e)",
            "Votre session est fermée dans ce navigateur.",
        ),
        Err(e) => unavailable(&app, &e),
    }
}

async fn sign_out_everywhere<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let signed_in = match signed_out_form(&app, request).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match app.sign_out_everywhere(&signed_in.staff, now()).await {
        Ok(_) => cleared(
            &app,
            "Vous êtes déconnecté(e) partout",
            "Vos sessions sont fermées dans tous les navigateurs où vous étiez connecté(e).",
        ),
        Err(e) => unavailable(&app, &e),
    }
}

/// Whether `role` may see requests at all.
pub fn sees_requests(role: &StaffRole) -> bool {
    Scope::of(role).is_some()
}
