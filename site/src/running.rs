//! What `cpts serve` and `cpts run` share once the handler is open: its scheduled jobs every
//! minute, one run at a time, and the reloading of its templates and territory after the content
//! changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use functions::domain::indicators::{Entry, Period};
use functions::domain::lifecycle::CaseState;
use functions::domain::public_figures::{self, PublicFigures};
use functions::store::Store;
use territory::Overlay;

use crate::handler::{self, LocalApp};
use crate::{build, output};

/// How often the handler's scheduled jobs run.
pub const JOBS_EVERY: Duration = Duration::from_secs(60);

/// What the site shows from the handler's store: the doctors' own declarations over the roster,
/// and the public figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Public {
    pub overlay: Overlay,
    pub figures: Option<PublicFigures>,
}

/// Builds the site of `content` into `out_dir/site` (the previous one stays if this build fails),
/// with `public.overlay` (what the doctors declared themselves and those who joined since,
/// [`public_overlay`]) over the roster and the public figures of `public`, reusing the posters of `poster_cache` whose inputs did
/// not change. Prints the content's warnings when `print_warnings` (not when only the doctors'
/// availability changed: the content, and so its warnings, did not), and returns the page
/// count, or the errors as text, one per line.
pub fn build_into(
    content: &Path,
    today: NaiveDate,
    public: &Public,
    print_warnings: bool,
    out_dir: &Path,
    poster_cache: PathBuf,
) -> Result<usize, String> {
    let started = Instant::now();
    let site = build::load_declared(content, today, &public.overlay).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| format!("{d}\n"))
            .collect::<String>()
    })?;
    if print_warnings {
        for w in &site.warnings {
            eprintln!("{w}");
        }
    }
    let site = site
        .with_poster_cache(poster_cache)
        .with_public_figures(public.figures.clone());
    match output::write(&site, out_dir) {
        Ok(_) => {
            eprintln!(
                "Site construit : {} pages en {:.2} s.",
                site.page_count(),
                started.elapsed().as_secs_f64()
            );
            Ok(site.page_count())
        }
        Err(output::WriteError::Content(diagnostics)) => {
            Err(diagnostics.iter().map(|d| format!("{d}\n")).collect())
        }
        Err(output::WriteError::Io(path, e)) => {
            Err(format!("Impossible d'écrire {} : {e}\n", path.display()))
        }
    }
}

/// What the public site must show of the doctors' own declarations, pauses and places used, as
/// of `today`. When the store cannot be read, nothing (the rows of doctors.csv), said on the
/// console: the site is still built.
pub async fn public_overlay(app: &LocalApp, today: NaiveDate) -> Overlay {
    match app.public_overlay(today).await {
        Ok(overlay) => overlay,
        Err(e) => {
            eprintln!(
                "Déclarations des médecins illisibles ({e}) : le site montre la liste doctors.csv seule."
            );
            Overlay::default()
        }
    }
}

/// What the site shows from the store as of `today`: [`public_overlay`] and [`public_figures`].
pub async fn public(app: &LocalApp, today: NaiveDate) -> Public {
    Public {
        overlay: public_overlay(app, today).await,
        figures: public_figures(app, today).await,
    }
}

/// The public figures ([`public_figures::compute`]) of the requests of the quarters shown, read
/// from the store: their cases, and the proposals of those found (for the day a doctor
/// accepted). When the store cannot be read, none, said on the console.
pub async fn public_figures(app: &LocalApp, today: NaiveDate) -> Option<PublicFigures> {
    match figure_entries(&app.store, today).await {
        Ok(entries) => {
            let territory = app.current_territory().await;
            Some(public_figures::compute(&entries, &territory, today))
        }
        Err(e) => {
            eprintln!(
                "Demandes illisibles ({e}) : la page des chiffres dit qu'ils seront publiés plus tard."
            );
            None
        }
    }
}

/// What [`public_figures::compute`] needs of the requests received since the oldest quarter
/// shown: no personal data is read.
pub async fn figure_entries<S: Store>(
    store: &S,
    today: NaiveDate,
) -> functions::store::Result<Vec<Entry>> {
    let period = Period {
        from: public_figures::quarters(today).last().map(|q| q.from),
        to: today,
    };
    let mut entries = Vec::new();
    for case in store.cases(&CaseState::ALL, None).await? {
        if !period.contains(functions::domain::dates::local_date(case.created_at)) {
            continue;
        }
        let mut proposals = Vec::new();
        if public_figures::is_found(&case) {
            for id in &case.proposals {
                proposals.extend(store.proposal(id).await?);
            }
        }
        entries.push(Entry::of(case, Default::default(), None, &proposals));
    }
    Ok(entries)
}

/// How often the public figures are computed again (the site is rebuilt when they changed).
pub const FIGURES_EVERY: Duration = Duration::from_secs(3600);

/// How long to wait after a change of what the site shows of doctors before rebuilding: the
/// changes that come together (a proposal and the next one) make one build.
pub const DOCTORS_SETTLE: Duration = Duration::from_millis(200);

/// Calls `rebuild` with what the site shows from the store each time what it shows of doctors
/// may have changed (a declaration, a pause, a place held or given back), after
/// [`DOCTORS_SETTLE`], and every [`FIGURES_EVERY`] for the public figures. `rebuild` skips a
/// build that would show the same as the last one.
pub async fn rebuild_when_doctors_change<T, F>(app: Arc<LocalApp>, today: T, rebuild: F)
where
    T: Fn() -> NaiveDate + Send + 'static,
    F: Fn(Public) + Send + Sync + Clone + 'static,
{
    let mut figures = tokio::time::interval(FIGURES_EVERY);
    figures.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is now: the first build just happened.
    figures.tick().await;
    loop {
        tokio::select! {
            _ = app.doctors_changed.notified() => {
                tokio::time::sleep(DOCTORS_SETTLE).await;
            }
            _ = figures.tick() => {}
        }
        let public = public(&app, today()).await;
        let rebuild = rebuild.clone();
        let _ = tokio::task::spawn_blocking(move || rebuild(public)).await;
    }
}

/// What the site shows from the store, as last built: a build that would show the same is
/// skipped.
#[derive(Default)]
pub struct Shown {
    last: std::sync::Mutex<Option<Public>>,
}

impl Shown {
    /// Whether a build with `overlay` would show something new; when it would, remembers it as
    /// shown (the caller builds it).
    pub fn is_new(&self, overlay: &Public) -> bool {
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        if last.as_ref() == Some(overlay) {
            return false;
        }
        *last = Some(overlay.clone());
        true
    }
}

/// The handler's scheduled work (expiries, reminders, patients informed, waiting requests
/// examined again, pending mails), one run at a time.
pub struct Jobs {
    app: Arc<LocalApp>,
    running: tokio::sync::Mutex<()>,
    /// False while the handler has no readable territory: mails would have no coordinator.
    territory_ok: AtomicBool,
}

impl Jobs {
    /// The jobs of `app`, run every minute from now on; `territory_ok` is false when the handler
    /// was opened without a readable territory.
    pub fn start(app: Arc<LocalApp>, territory_ok: bool) -> Arc<Self> {
        let jobs = Arc::new(Jobs {
            app,
            running: tokio::sync::Mutex::new(()),
            territory_ok: AtomicBool::new(territory_ok),
        });
        tokio::spawn(every_minute(Arc::clone(&jobs)));
        jobs
    }

    /// Runs the jobs now and says on the console what they did, if anything.
    pub async fn run(&self) {
        if !self.territory_ok.load(Ordering::SeqCst) {
            return;
        }
        let _one_at_a_time = self.running.lock().await;
        match self.app.run_jobs(functions::now()).await {
            Ok(report) => {
                if let Some(line) = handler::summary(&report) {
                    eprintln!("{line}");
                }
            }
            Err(e) => {
                eprintln!("Tâches planifiées interrompues : {e} ; nouvel essai dans une minute.")
            }
        }
    }

    /// Gives the handler the templates of the content folder; broken ones are not taken (the
    /// site build just reported them): the handler keeps its last good templates.
    pub fn reload_view(&self, content: &Path) {
        match handler::load_view(content) {
            Ok(view) => self.app.replace_view(view),
            Err(d) => eprintln!(
                "{d}\nModèles du formulaire non rechargés : ses pages et ses courriels gardent les modèles précédents."
            ),
        }
    }

    /// Publishes the territory of the content folder to the handler (a new doctors.csv, say)
    /// and examines the waiting requests against it at once. A territory with errors is not
    /// published: the handler keeps the previous one.
    pub async fn reload_territory(&self, content: PathBuf, today: NaiveDate) {
        let loaded = tokio::task::spawn_blocking(move || handler::load_territory(&content, today))
            .await
            .map_err(|_| Vec::new())
            .and_then(|r| r);
        match loaded {
            Ok(territory) => {
                let doctors = territory.doctors.len();
                self.app.replace_territory(Arc::new(territory));
                self.territory_ok.store(true, Ordering::SeqCst);
                eprintln!(
                    "Territoire rechargé ({doctors} médecins) : les demandes en attente sont réexaminées."
                );
                self.run().await;
            }
            // The site build just printed the errors.
            Err(_) => eprintln!(
                "Territoire non rechargé (erreurs ci-dessus) : le formulaire et les propositions gardent la version précédente."
            ),
        }
    }
}

pub async fn every_minute(jobs: Arc<Jobs>) {
    let mut ticks = tokio::time::interval(JOBS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        jobs.run().await;
    }
}

/// Runs a server's `serve` future on a multi-threaded runtime until it ends; its error (a French
/// sentence) is printed, followed by `failed` when there is one.
pub fn until_stopped(
    serve: impl std::future::Future<Output = Result<(), String>>,
    failed: Option<&str>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Impossible de démarrer le serveur : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            match failed {
                Some(line) => eprintln!("{message}\n{line}"),
                None => eprintln!("{message}"),
            }
            ExitCode::FAILURE
        }
    }
}
