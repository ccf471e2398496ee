//! `cpts serve`: builds the site, serves it on 127.0.0.1 with live reload (the browser reloads
//! after each rebuild; build errors are shown in the browser), and mounts the form handler at
//! `/api` and its staff workspace at `/espace/` (the handler's Router answers both). The SQLite file, the outbox and the signing keys live in a data folder (`.cpts/`),
//! created on first run. The handler's scheduled jobs (`cpts jobs run`) run every minute, and at
//! once when a new territory (`content/territory/`, e.g. doctors.csv) is published to it. The
//! handler's templates follow `content/templates/` too: a broken one keeps the last good ones.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::html::esc;
use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;

use crate::handler::{self, Links, LocalApp, Setup};
use crate::running::{self, Jobs, Public, Shown};
use crate::{listener, output};

pub struct Options {
    pub content: PathBuf,
    pub port: u16,
    /// Where the database, outbox, keys and the built preview go.
    pub data: PathBuf,
    pub today: NaiveDate,
}

const VERSION_URL: &str = "/__cpts/version";

/// The live-reload script, a file of its own: the Content-Security-Policy allows no inline script.
const RELOAD_URL: &str = "/__cpts/reload.js";
/// Polls the version after each load and reloads the page when a rebuild happened.
const RELOAD_SCRIPT: &str = r#"(function(){var v=null;function poll(){fetch("/__cpts/version",{cache:"no-store"}).then(function(r){return r.text()}).then(function(t){if(v===null){v=t}else if(t!==v){location.reload()}}).catch(function(){}).then(function(){setTimeout(poll,1000)})}poll()})();"#;
/// What each page gets before `</body>`.
const RELOAD_TAG: &str = r#"<script src="/__cpts/reload.js"></script>"#;

struct Preview {
    content: PathBuf,
    out_dir: PathBuf,
    today: NaiveDate,
    /// Bumped after each build, good or bad.
    generation: AtomicU64,
    /// The last build's errors, shown instead of the pages until fixed.
    error: RwLock<Option<String>>,
    /// One build at a time into the preview folder.
    building: std::sync::Mutex<()>,
    /// What the last build showed of doctors.
    shown: Shown,
}

impl Preview {
    fn site_dir(&self) -> PathBuf {
        self.out_dir.join(output::SITE_DIR)
    }

    /// Builds the site into the preview folder, with `overlay` over the roster (the content's
    /// warnings printed when `print_warnings`); the
    /// previous site stays if this one fails.
    fn rebuild(&self, overlay: &Public, print_warnings: bool) {
        let _one_at_a_time = self.building.lock().unwrap_or_else(|p| p.into_inner());
        self.shown.is_new(overlay);
        // Posters whose inputs did not change are reused, so a live rebuild stays quick.
        let built = running::build_into(
            &self.content,
            self.today,
            overlay,
            print_warnings,
            &self.out_dir,
            self.out_dir.join(output::POSTER_CACHE),
        );
        match built {
            Ok(_) => *self.error.write().expect("lock") = None,
            Err(text) => {
                eprint!("{text}");
                eprintln!(
                    "Site non reconstruit : corrigez les erreurs, la page se rechargera seule."
                );
                *self.error.write().expect("lock") = Some(text);
            }
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// [`Preview::rebuild`] after a change of what the site shows of doctors, unless the last
    /// build already shows `overlay`.
    fn rebuild_for_doctors(&self, overlay: Public) {
        if self.shown.is_new(&overlay) {
            eprintln!(
                "Disponibilités des médecins ou chiffres publics modifiés : reconstruction du site…"
            );
            self.rebuild(&overlay, false);
        }
    }
}

/// Changes when any file under `dir` is added, removed, resized or touched.
fn fingerprint(dir: &Path) -> u64 {
    fn walk(dir: &Path, hasher: &mut DefaultHasher) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            path.hash(hasher);
            if let Ok(meta) = entry.metadata() {
                if meta.is_dir() {
                    walk(&path, hasher);
                } else {
                    meta.len().hash(hasher);
                    meta.modified().ok().hash(hasher);
                }
            }
        }
    }
    let mut hasher = DefaultHasher::new();
    walk(dir, &mut hasher);
    hasher.finish()
}

pub fn run(options: Options) -> ExitCode {
    running::until_stopped(serve(options), None)
}

async fn serve(options: Options) -> Result<(), String> {
    let data = &options.data;
    let outbox_dir = handler::outbox_dir(data);
    let opened = handler::open(&Setup {
        content: &options.content,
        data,
        links: Links::Loopback(options.port),
        today: options.today,
        create: true,
    })?;
    let app = opened.app;
    // Until the process ends: `cpts restore` must not replace the database under it.
    let _data_lock = opened.lock;
    if opened.territory_errors.is_some() {
        // The site build below prints the errors.
        eprintln!(
            "Attention : territoire illisible, le formulaire ne trouvera aucune commune et les tâches planifiées attendent un territoire corrigé."
        );
    }
    app.spawn_mail_dispatcher()
        .map_err(|e| format!("Impossible de lancer l'envoi des courriels : {e}"))?;
    let jobs = Jobs::start(Arc::clone(&app), opened.territory_errors.is_none());

    let preview = Arc::new(Preview {
        content: options.content.clone(),
        out_dir: data.join("preview"),
        today: options.today,
        generation: AtomicU64::new(0),
        error: RwLock::new(None),
        building: std::sync::Mutex::new(()),
        shown: Shown::default(),
    });
    {
        let p = Arc::clone(&preview);
        let overlay = running::public(&app, options.today).await;
        tokio::task::spawn_blocking(move || p.rebuild(&overlay, true))
            .await
            .map_err(|e| e.to_string())?;
    }
    tokio::spawn(watch(Arc::clone(&preview), jobs, Arc::clone(&app)));
    {
        let p = Arc::clone(&preview);
        let today = options.today;
        tokio::spawn(running::rebuild_when_doctors_change(
            Arc::clone(&app),
            move || today,
            move |overlay| p.rebuild_for_doctors(overlay),
        ));
    }

    let router = functions::web::respond::with_security_headers(
        functions::router(app).merge(
            Router::new()
                .route(VERSION_URL, get(version))
                .route(RELOAD_URL, get(reload_script))
                .fallback(static_file)
                .with_state(preview),
        ),
    );
    let address = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("Impossible d'écouter sur {address} : {e} (le port est peut-être pris : essayez --port 8001)"))?;
    eprintln!("Site : http://{address}/  (formulaire : http://{address}/inscription/)");
    eprintln!(
        "Données : {} (base SQLite, courriels dans {}, clés de signature). Ctrl+C pour arrêter.",
        data.display(),
        outbox_dir.display()
    );
    // The production limits (header, body and idle timeouts, a connection limit): a preview is
    // often left running. On loopback, nobody is a proxy.
    listener::serve(
        listener,
        router,
        listener::Limits::default(),
        listener::TrustedProxies::none(),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await
    .map_err(|e| e.to_string())
}

/// Rebuilds when anything under the content folder changes; when `territory/` changed, the
/// handler gets the new territory first.
async fn watch(preview: Arc<Preview>, jobs: Arc<Jobs>, app: Arc<LocalApp>) {
    let territory_dir = preview.content.join(territory::FOLDER);
    let mut last = fingerprint(&preview.content);
    let mut last_territory = fingerprint(&territory_dir);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = fingerprint(&preview.content);
        if now != last {
            last = now;
            eprintln!("Contenu modifié : reconstruction…");
            let territory = fingerprint(&territory_dir);
            if territory != last_territory {
                last_territory = territory;
                jobs.reload_territory(preview.content.clone(), preview.today)
                    .await;
            }
            let overlay = running::public(&app, preview.today).await;
            let p = Arc::clone(&preview);
            let _ = tokio::task::spawn_blocking(move || p.rebuild(&overlay, true)).await;
            jobs.reload_view(&preview.content);
        }
    }
}

async fn version(State(preview): State<Arc<Preview>>) -> Response {
    let generation = preview.generation.load(Ordering::SeqCst);
    (
        [(header::CACHE_CONTROL, "no-store")],
        generation.to_string(),
    )
        .into_response()
}

async fn reload_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        RELOAD_SCRIPT,
    )
        .into_response()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "geojson" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "pbf" => "application/x-protobuf",
        _ => "application/octet-stream",
    }
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn with_reload(html: &str) -> String {
    match html.rfind("</body>") {
        Some(at) => format!("{}{RELOAD_TAG}{}", &html[..at], &html[at..]),
        None => format!("{html}{RELOAD_TAG}"),
    }
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Where a folder's address without its final slash is sent: the same path (as it was sent,
/// still percent-encoded) with one leading slash and a final one. Never `//…`, which a
/// browser reads as another host.
fn folder_address(raw_path: &str) -> String {
    format!("/{}/", raw_path.trim_start_matches('/'))
}

/// Serves the built site, with the reload script in every page, or the build errors.
async fn static_file(State(preview): State<Arc<Preview>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(path) = percent_decode(uri.path()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if path
        .split('/')
        .any(|s| s == ".." || s == "." || s.contains('\\') || s.contains('\0'))
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let relative = path.trim_start_matches('/');
    let site = preview.site_dir();
    let mut file = site.join(relative);
    if path.ends_with('/') {
        file = file.join("index.html");
    } else if file.is_dir() {
        return Redirect::permanent(&folder_address(uri.path())).into_response();
    }
    let is_html = file.extension().is_some_and(|e| e == "html");
    if is_html && let Some(errors) = preview.error.read().expect("lock").clone() {
        return html_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            with_reload(&format!(
                r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Erreur de construction du site</title></head><body><main><h1>Le site n'a pas pu être reconstruit</h1><p>Corrigez ces erreurs et enregistrez le fichier : cette page se rechargera seule.</p><pre>{}</pre></main></body></html>"#,
                esc(&errors)
            )),
        );
    }
    match std::fs::read(&file) {
        Ok(bytes) if is_html => html_response(
            StatusCode::OK,
            with_reload(&String::from_utf8_lossy(&bytes)),
        ),
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&file)),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => {
            let page = std::fs::read_to_string(site.join("404.html")).unwrap_or_else(|_| {
                "<!doctype html><title>Page introuvable</title><h1>Page introuvable</h1>".into()
            });
            html_response(StatusCode::NOT_FOUND, with_reload(&page))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::folder_address;

    #[test]
    fn a_folder_is_never_redirected_to_another_host() {
        assert_eq!(folder_address("/carte"), "/carte/");
        assert_eq!(folder_address("//carte"), "/carte/");
        assert_eq!(folder_address("///evil.example/x"), "/evil.example/x/");
        assert_eq!(
            folder_address("/%2F%2Fevil.example"),
            "/%2F%2Fevil.example/"
        );
    }
}
