//! `cpts run`: the production server on one machine, behind a TLS reverse proxy (Caddy). It
//! builds the site at start into the data folder and serves it as it is (no live reload, no file
//! watcher), with the form handler at `/api` and the staff workspace at `/espace/`, the mail
//! dispatcher and the scheduled jobs every minute. The links in mails point to `base_url` of
//! `site.toml`, which must be https. `SIGHUP` (`systemctl reload cpts`) rebuilds the site and
//! reloads the territory and the templates: a failed rebuild keeps the previous site online.
//! `SIGTERM` and Ctrl+C stop it after the requests under way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use tokio::signal::unix::{SignalKind, signal};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_status::SetStatus;

use crate::handler::{self, Links, LocalApp, Setup};
use crate::listener::{self, Limits, TrustedProxies};
use crate::output;
use crate::running::{self, Jobs, Public, Shown};

pub struct Options {
    pub content: PathBuf,
    /// The database, keys, outbox and the published site (no default: see main.rs).
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// `--trusted-proxy` as given, one entry per address or network: the reverse proxies whose
    /// `X-Forwarded-For` tells the client's address.
    pub trusted_proxies: Vec<String>,
    /// The date fixed by `CPTS_TODAY`; otherwise each build reads the declarations on its day.
    pub today: Option<NaiveDate>,
}

/// The published site's folder in the data folder: one numbered build at a time beside the
/// posters' cache.
pub const SITE_DIR: &str = "site";

pub fn run(options: Options) -> ExitCode {
    running::until_stopped(serve(options), Some("Le serveur ne démarre pas."))
}

/// The site being served, swapped whole after each good build.
struct Published {
    content: PathBuf,
    /// `<data>/site`.
    root: PathBuf,
    fixed_today: Option<NaiveDate>,
    current: RwLock<Arc<Build>>,
    generation: AtomicU64,
    /// One build at a time: each swaps in a newer one than the last.
    building: std::sync::Mutex<()>,
    /// What the last build showed of doctors.
    shown: Shown,
}

struct Build {
    /// `<data>/site/<n>`; the site itself is in its `site/` folder.
    dir: PathBuf,
    files: ServeDir<SetStatus<ServeFile>>,
}

impl Published {
    fn today(&self) -> NaiveDate {
        self.fixed_today
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// Builds the site into a new numbered folder, with `overlay` over the roster, and
    /// serves it once it is complete; the previous build keeps being served if this one fails,
    /// and is removed once replaced.
    fn rebuild(&self, overlay: &Public, print_warnings: bool) -> Result<(), String> {
        let _one_at_a_time = self.building.lock().unwrap_or_else(|p| p.into_inner());
        self.shown.is_new(overlay);
        let n = self.generation.fetch_add(1, Ordering::SeqCst);
        let dir = self.root.join(n.to_string());
        running::build_into(
            &self.content,
            self.today(),
            overlay,
            print_warnings,
            &dir,
            self.root.join(output::POSTER_CACHE),
        )
        .inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        let site = dir.join(output::SITE_DIR);
        let files = ServeDir::new(&site)
            .append_index_html_on_directories(true)
            .not_found_service(ServeFile::new(site.join("404.html")));
        let previous = std::mem::replace(
            &mut *self.current.write().expect("lock"),
            Arc::new(Build { dir, files }),
        );
        // Files being sent stay readable after their folder is removed.
        if previous.dir.exists() {
            let _ = std::fs::remove_dir_all(&previous.dir);
        }
        Ok(())
    }

    /// [`Published::rebuild`] after a change of what the site shows of doctors, unless the last
    /// build already shows `overlay`.
    fn rebuild_for_doctors(&self, overlay: Public) {
        if !self.shown.is_new(&overlay) {
            return;
        }
        eprintln!(
            "Disponibilités des médecins ou chiffres publics modifiés : reconstruction du site…"
        );
        match self.rebuild(&overlay, false) {
            Ok(()) => eprintln!("Site republié : disponibilités des médecins et chiffres à jour."),
            Err(errors) => {
                eprint!("{errors}");
                eprintln!("Site non reconstruit : le site précédent reste en ligne.");
            }
        }
    }

    fn current(&self) -> Arc<Build> {
        Arc::clone(&self.current.read().expect("lock"))
    }
}

/// Removes the builds a previous run left in `root` (the posters' cache stays).
fn clear_old_builds(root: &Path) -> Result<(), String> {
    let private = |e: std::io::Error| format!("Dossier du site {} : {e}", root.display());
    std::fs::create_dir_all(root).map_err(private)?;
    for entry in std::fs::read_dir(root).map_err(private)?.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        std::fs::remove_dir_all(entry.path()).map_err(private)?;
    }
    Ok(())
}

async fn serve(options: Options) -> Result<(), String> {
    // Before anything slow: SIGHUP's default action would end the process.
    let mut hangups = signal(SignalKind::hangup()).map_err(|e| format!("Signal SIGHUP : {e}"))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| format!("Signal SIGTERM : {e}"))?;
    // Refused before anything is opened: the address a visitor is counted under depends on it.
    let proxies = TrustedProxies::parse(&options.trusted_proxies.join(","))?;
    let data = &options.data;
    let today = options
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let opened = handler::open(&Setup {
        content: &options.content,
        data,
        links: Links::BaseUrl,
        today,
        create: true,
    })?;
    let app = opened.app;
    if let Some(errors) = &opened.territory_errors {
        for e in errors {
            eprintln!("{e}");
        }
        return Err(format!(
            "Le territoire ({}) a des erreurs : corrigez-les (« cpts check »).",
            options.content.join(territory::FOLDER).display()
        ));
    }
    let public_url = app.config.public_url.clone();

    let root = data.join(SITE_DIR);
    clear_old_builds(&root)?;
    let first = ServeDir::new(&root).not_found_service(ServeFile::new(root.join("404.html")));
    let published = Arc::new(Published {
        content: options.content.clone(),
        root: root.clone(),
        fixed_today: options.today,
        current: RwLock::new(Arc::new(Build {
            dir: root.join("none"),
            files: first,
        })),
        generation: AtomicU64::new(0),
        building: std::sync::Mutex::new(()),
        shown: Shown::default(),
    });
    {
        let p = Arc::clone(&published);
        let overlay = running::public(&app, published.today()).await;
        tokio::task::spawn_blocking(move || p.rebuild(&overlay, true))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|errors| format!("{errors}Site non construit : corrigez le contenu."))?;
    }

    app.spawn_mail_dispatcher()
        .map_err(|e| format!("Impossible de lancer l'envoi des courriels : {e}"))?;
    let jobs = Jobs::start(Arc::clone(&app), true);
    {
        let (published, jobs, app) = (Arc::clone(&published), Arc::clone(&jobs), Arc::clone(&app));
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                eprintln!("SIGHUP reçu : reconstruction du site…");
                republish(&published, &jobs, &app).await;
            }
        });
    }
    {
        let (p, q) = (Arc::clone(&published), Arc::clone(&published));
        tokio::spawn(running::rebuild_when_doctors_change(
            Arc::clone(&app),
            move || p.today(),
            move |overlay| q.rebuild_for_doctors(overlay),
        ));
    }

    let router = functions::web::respond::with_security_headers(
        functions::router(app).merge(
            Router::new()
                .fallback(static_file)
                .with_state(Arc::clone(&published)),
        ),
    );
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("Impossible d'écouter sur {} : {e}", options.listen))?;
    eprintln!(
        "En production : écoute sur {} ; adresse publique {public_url}/ (liens des courriels).",
        options.listen
    );
    if options.trusted_proxies.is_empty() {
        eprintln!("Aucun proxy de confiance : l'adresse d'un visiteur est celle de la connexion.");
    } else {
        eprintln!(
            "Proxys de confiance (X-Forwarded-For) : {}.",
            options.trusted_proxies.join(", ")
        );
    }
    if std::env::var("CPTS_SMTP_HOST").is_ok_and(|h| !h.trim().is_empty()) {
        eprintln!("Courriels : envoyés par SMTP.");
    } else {
        eprintln!(
            "Attention : CPTS_SMTP_HOST n'est pas réglé, les courriels restent dans {} et personne ne les reçoit.",
            handler::outbox_dir(data).display()
        );
    }
    eprintln!(
        "Données : {}. « systemctl reload cpts » (SIGHUP) republie le contenu.",
        data.display()
    );
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        eprintln!("Arrêt demandé : fin des requêtes en cours…");
    };
    listener::serve(listener, router, Limits::default(), proxies, shutdown)
        .await
        .map_err(|e| format!("Serveur arrêté sur une erreur : {e}"))?;
    eprintln!("Serveur arrêté.");
    Ok(())
}

/// After SIGHUP: the handler's templates and territory reloaded, the waiting requests examined
/// again, the site rebuilt and swapped in. A failed build keeps the site online.
async fn republish(published: &Arc<Published>, jobs: &Arc<Jobs>, app: &LocalApp) {
    jobs.reload_view(&published.content);
    jobs.reload_territory(published.content.clone(), published.today())
        .await;
    let p = Arc::clone(published);
    let overlay = running::public(app, published.today()).await;
    match tokio::task::spawn_blocking(move || p.rebuild(&overlay, true)).await {
        Ok(Ok(())) => eprintln!("Site republié."),
        Ok(Err(errors)) => {
            eprint!("{errors}");
            eprintln!(
                "Site non reconstruit : le site précédent reste en ligne. Corrigez les erreurs (« cpts check ») puis relancez « systemctl reload cpts »."
            );
        }
        Err(e) => eprintln!("Site non reconstruit ({e}) : le site précédent reste en ligne."),
    }
}

/// `path_and_query` with one leading slash: a folder's address is redirected to itself with a
/// final slash, and `//carte/` would be read by a browser as another host.
fn one_leading_slash(path_and_query: &str) -> String {
    format!("/{}", path_and_query.trim_start_matches('/'))
}

/// The published site's files: `index.html` for a folder, `/carte` redirected to `/carte/`,
/// the site's 404 page; revalidated on each visit so a republished page is seen at once.
async fn static_file(State(published): State<Arc<Published>>, mut request: Request) -> Response {
    if let Some(pq) = request.uri().path_and_query()
        && pq.as_str().starts_with("//")
        && let Ok(uri) = one_leading_slash(pq.as_str()).parse::<Uri>()
    {
        *request.uri_mut() = uri;
    }
    let build = published.current();
    let Ok(mut response) = build.files.clone().oneshot(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    response.map(Body::new).into_response()
}

#[cfg(test)]
mod tests {
    use super::one_leading_slash;

    #[test]
    fn a_folder_is_never_redirected_to_another_host() {
        assert_eq!(one_leading_slash("/carte"), "/carte");
        assert_eq!(one_leading_slash("//carte"), "/carte");
        assert_eq!(
            one_leading_slash("///evil.example/x?a=1"),
            "/evil.example/x?a=1"
        );
    }
}
