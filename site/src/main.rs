//! `cpts`: build and check a CPTS website from its content folder.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use site::build;
use site::output::{self, WriteError};
use territory::Diagnostic;

const USAGE: &str = "Utilisation :
  cpts build [--content DOSSIER] [--out DOSSIER]   construit le site (par défaut : content → dist/site)
  cpts check [--content DOSSIER]                   vérifie le contenu sans rien écrire
  cpts serve [--content DOSSIER] [--port N] [--data DOSSIER]
                                                   construit le site et le sert sur http://127.0.0.1:N/
                                                   (8000 par défaut) avec le formulaire d'inscription ;
                                                   base, courriels et clés dans --data (.cpts par défaut) ;
                                                   les tâches planifiées y passent chaque minute
  cpts run --data DOSSIER [--content DOSSIER] [--listen ADRESSE:PORT] [--trusted-proxy LISTE]
                                                   le serveur de production : construit le site dans
                                                   --data et le sert sur --listen (127.0.0.1:8080 par
                                                   défaut, derrière Caddy) avec le formulaire et
                                                   l'espace équipe ; liens des courriels vers le
                                                   base_url de site.toml (https obligatoire) ;
                                                   --trusted-proxy : adresses des proxys dont
                                                   X-Forwarded-For est cru, séparées par des virgules ;
                                                   SIGHUP (systemctl reload) republie le contenu
  cpts jobs run [--content DOSSIER] [--data DOSSIER] [--port N]
                                                   passe une fois les tâches planifiées sur les données
                                                   de « cpts serve » : propositions expirées, rappels,
                                                   patients prévenus, demandes en attente réexaminées,
                                                   courriels en attente envoyés (--port : celui de
                                                   « cpts serve », pour les liens des courriels)
  cpts backup [--data DOSSIER] DESTINATION         copie la base (même pendant que le serveur tourne)
                                                   et les clés de signature dans le dossier DESTINATION
  cpts restore [--data DOSSIER] [--force] SOURCE   remet la base et les clés d'une sauvegarde dans
                                                   --data (serveur arrêté) ; avec --force, les fichiers
                                                   présents sont déplacés dans avant-restauration-<date>/

La date du jour (pour les disponibilités à confirmer, et pour « cpts jobs run » celle des
échéances) peut être fixée par CPTS_TODAY=AAAA-MM-JJ.";

struct Args {
    command: String,
    content: PathBuf,
    out: PathBuf,
    port: u16,
    data: PathBuf,
    /// `cpts backup`'s destination folder, `cpts restore`'s source folder.
    destination: Option<PathBuf>,
    /// `cpts run`: where it listens, and the proxies it trusts.
    listen: SocketAddr,
    trusted_proxies: Vec<String>,
    data_given: bool,
    /// `cpts restore --force`: move the data folder's files aside.
    force: bool,
}

/// `cpts run` listens on this machine only: Caddy, on the same machine, faces the Internet.
const DEFAULT_LISTEN: ([u8; 4], u16) = ([127, 0, 0, 1], 8080);

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut command = args
        .next()
        .ok_or_else(|| "commande manquante".to_string())?;
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        return Err(String::new());
    }
    if command == "jobs" {
        match args.next().as_deref() {
            Some("run") => command = "jobs run".into(),
            Some("-h" | "--help") => return Err(String::new()),
            Some(other) => return Err(format!("« cpts jobs » attend « run », pas « {other} »")),
            None => return Err("« cpts jobs » attend « run »".into()),
        }
    }
    let production = command == "run";
    let uses_data = command == "serve" || command == "jobs run";
    let backup = command == "backup";
    let restore = command == "restore";
    let mut parsed = Args {
        command,
        content: PathBuf::from("content"),
        out: PathBuf::from("dist"),
        port: 8000,
        data: PathBuf::from(".cpts"),
        destination: None,
        listen: SocketAddr::from(DEFAULT_LISTEN),
        trusted_proxies: Vec::new(),
        data_given: false,
        force: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} attend un dossier"))
        };
        match flag.as_str() {
            "--content" => parsed.content = PathBuf::from(value()?),
            "--out" if parsed.command == "build" => parsed.out = PathBuf::from(value()?),
            "--data" if uses_data || backup || restore || production => {
                parsed.data = PathBuf::from(value()?);
                parsed.data_given = true;
            }
            "--listen" if production => {
                let v = args
                    .next()
                    .ok_or_else(|| "--listen attend une adresse et un port".to_string())?;
                parsed.listen = v.parse().map_err(|_| {
                    format!(
                        "--listen attend une adresse et un port, par exemple 127.0.0.1:8080, pas « {v} »"
                    )
                })?;
            }
            "--trusted-proxy" if production => {
                let v = args.next().ok_or_else(|| {
                    "--trusted-proxy attend une liste d'adresses, par exemple 127.0.0.1".to_string()
                })?;
                parsed.trusted_proxies.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(String::from),
                );
            }
            "--port" if uses_data => {
                let v = value()?;
                parsed.port = v
                    .parse()
                    .map_err(|_| format!("--port attend un numéro de port, pas « {v} »"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            "--force" if restore => parsed.force = true,
            other
                if (backup || restore)
                    && !other.starts_with('-')
                    && parsed.destination.is_none() =>
            {
                parsed.destination = Some(PathBuf::from(other));
            }
            other => return Err(format!("option inconnue : {other}")),
        }
    }
    // No default data folder in production: a mistyped unit must not start an empty database
    // (with new signing keys) in whatever folder the server happens to start in.
    if production && !parsed.data_given {
        return Err(
            "« cpts run » attend --data DOSSIER, le dossier des demandes et des clés (par exemple /var/lib/cpts)"
                .into(),
        );
    }
    if backup && parsed.destination.is_none() {
        return Err("« cpts backup » attend le dossier où écrire la sauvegarde".into());
    }
    if restore && parsed.destination.is_none() {
        return Err(
            "« cpts restore » attend le dossier de la sauvegarde (écrit par « cpts backup »)"
                .into(),
        );
    }
    Ok(parsed)
}

/// Today, or the date fixed by `CPTS_TODAY`, and whether it was fixed.
fn today() -> Result<(NaiveDate, bool), String> {
    match std::env::var("CPTS_TODAY") {
        Ok(s) => s
            .parse()
            .map(|d| (d, true))
            .map_err(|_| format!("CPTS_TODAY=« {s} » n'est pas une date AAAA-MM-JJ")),
        Err(_) => Ok((chrono::Local::now().date_naive(), false)),
    }
}

/// Unix seconds now, or on the date fixed by `CPTS_TODAY` at the current time of day.
fn now_on(today: NaiveDate, fixed: bool) -> i64 {
    if !fixed {
        return functions::now();
    }
    today
        .and_time(chrono::Local::now().time())
        .and_local_timezone(chrono::Local)
        .earliest()
        .map_or_else(functions::now, |t| t.timestamp())
}

/// The form handler's logs (`cpts serve`, `cpts run`, `cpts jobs run`): one readable line per event on the
/// error output, beside the French messages for staff; `RUST_LOG` chooses what (by default the
/// handler's events from `info`, the libraries' from `warn`). Events carry ids only.
fn console_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,functions=info,site=info"));
    let _ = tracing_subscriber::fmt()
        .compact()
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn report(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if errors > 0 {
        eprintln!("{errors} erreur(s), {warnings} avertissement(s).");
    } else if warnings > 0 {
        eprintln!("{warnings} avertissement(s).");
    }
}

fn report_posters(posters: Option<&site::posters::Report>) {
    let Some(r) = posters else {
        return;
    };
    report(&r.warnings);
    eprintln!(
        "Affiches : {} fichiers ({} dessinés, {} repris du cache) en {:.2} s",
        r.files, r.drawn, r.reused, r.seconds
    );
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        // An empty message: the help was asked for.
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (today, fixed) = match today() {
        Ok(d) => d,
        Err(m) => {
            eprintln!("{m}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    if matches!(args.command.as_str(), "serve" | "run" | "jobs run") {
        console_logs();
    }
    match args.command.as_str() {
        "serve" => site::serve::run(site::serve::Options {
            content: args.content,
            port: args.port,
            data: args.data,
            today,
        }),
        "run" => site::run::run(site::run::Options {
            content: args.content,
            data: args.data,
            listen: args.listen,
            trusted_proxies: args.trusted_proxies,
            today: fixed.then_some(today),
        }),
        "jobs run" => {
            if fixed {
                eprintln!(
                    "Date du jour fixée par CPTS_TODAY : {}.",
                    territory::dates::french_long(today)
                );
            }
            site::jobs::run(site::jobs::Options {
                content: args.content,
                data: args.data,
                port: args.port,
                today,
                now: now_on(today, fixed),
            })
        }
        "backup" => {
            let destination = args.destination.expect("checked by parse_args");
            match site::backup::run(&args.data, &destination) {
                Ok(files) => {
                    for file in files {
                        eprintln!("Écrit : {}", file.display());
                    }
                    eprintln!(
                        "Sauvegarde faite en {:.2} s. Pour restaurer : arrêtez le serveur, lancez « cpts restore --data {} {} », relancez-le.",
                        started.elapsed().as_secs_f64(),
                        args.data.display(),
                        destination.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("{message}\nSauvegarde non faite.");
                    ExitCode::FAILURE
                }
            }
        }
        "restore" => {
            let source = args.destination.expect("checked by parse_args");
            match site::restore::run(&source, &args.data, args.force) {
                Ok(restored) => {
                    if let Some(folder) = &restored.set_aside {
                        eprintln!("Anciens fichiers déplacés dans : {}", folder.display());
                    }
                    for file in &restored.files {
                        eprintln!("Écrit : {}", file.display());
                    }
                    eprintln!(
                        "Restauration faite : {} demande(s). Relancez le serveur (« cpts serve » ou « systemctl start cpts »).",
                        restored.requests
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("{message}\nRestauration non faite.");
                    ExitCode::FAILURE
                }
            }
        }
        "check" => match build::load(&args.content, today) {
            Ok(site) => {
                report(&site.warnings);
                eprintln!("Contenu valide : {} pages.", site.page_count());
                ExitCode::SUCCESS
            }
            Err(diagnostics) => {
                report(&diagnostics);
                eprintln!("Le contenu a des erreurs : corrigez-les puis relancez « cpts check ».");
                ExitCode::FAILURE
            }
        },
        "build" => {
            let site = match build::load(&args.content, today) {
                Ok(site) => site,
                Err(diagnostics) => {
                    report(&diagnostics);
                    eprintln!(
                        "Site non construit : le site précédent reste en ligne. Corrigez les erreurs puis relancez « cpts build »."
                    );
                    return ExitCode::FAILURE;
                }
            };
            report(&site.warnings);
            let site = site.with_poster_cache(args.out.join(output::POSTER_CACHE));
            match output::write_with_report(&site, &args.out) {
                Ok(output::Written { dir, posters }) => {
                    report_posters(posters.as_ref());
                    eprintln!(
                        "Site construit : {} pages, {} fichiers en {:.2} s → {}",
                        site.page_count(),
                        site.file_count(),
                        started.elapsed().as_secs_f64(),
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(WriteError::Content(diagnostics)) => {
                    report(&diagnostics);
                    eprintln!("Site non construit : le site précédent reste en ligne.");
                    ExitCode::FAILURE
                }
                Err(WriteError::Io(path, e)) => {
                    eprintln!("Impossible d'écrire {} : {e}", path.display());
                    eprintln!("Site non construit : le site précédent reste en ligne.");
                    ExitCode::FAILURE
                }
            }
        }
        other => {
            eprintln!("commande inconnue : {other}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
