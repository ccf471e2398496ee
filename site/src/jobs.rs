//! `cpts jobs run`: the scheduled work of the form handler, run once on the data folder of
//! `cpts serve` — proposals past their deadline expire and move on to the next doctor, reminders
//! go out before a deadline, patients whose doctor accepted are told, waiting requests are
//! examined again, and pending mails are sent. A cron line can run it; `cpts serve` also runs the
//! same work every minute by itself.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use functions::mail::DELIVERY_BATCH;

use crate::handler::{self, Setup};

pub struct Options {
    pub content: PathBuf,
    pub data: PathBuf,
    /// The port `cpts serve` listens on, for the links in the emails.
    pub port: u16,
    pub today: NaiveDate,
    /// The time the jobs run at (unix seconds).
    pub now: i64,
}

pub fn run(options: Options) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Impossible de lancer les tâches : {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_once(options))
}

async fn run_once(options: Options) -> ExitCode {
    let opened = match handler::open(&Setup {
        content: &options.content,
        data: &options.data,
        links: handler::Links::Loopback(options.port),
        today: options.today,
        create: false,
    }) {
        Ok(opened) => opened,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(errors) = opened.territory_errors {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!(
            "Tâches non lancées : le territoire ({}) a des erreurs. Corrigez-les (« cpts check ») puis relancez « cpts jobs run ».",
            options.content.join(territory::FOLDER).display()
        );
        return ExitCode::FAILURE;
    }
    let app = opened.app;
    // Until the process ends: `cpts restore` must not replace the database under it.
    let _data_lock = opened.lock;
    let mut report = match app.run_jobs(options.now).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Tâches interrompues, base de données en erreur : {e}");
            eprintln!(
                "Ce qui a été fait avant l'erreur est enregistré ; relancez « cpts jobs run »."
            );
            return ExitCode::FAILURE;
        }
    };
    // run_jobs sends one batch of mails; send the rest of what is due now.
    let (mut sent, mut failed) = (report.mails_sent, report.mails_failed);
    while sent + failed >= DELIVERY_BATCH {
        (sent, failed) = app.deliver_due(options.now).await;
        report.mails_sent += sent;
        report.mails_failed += failed;
    }
    println!("Tâches exécutées sur {} :", options.data.display());
    for line in handler::describe(&report) {
        println!("  {line}");
    }
    if report.mails_failed > 0 {
        println!(
            "Les courriels en échec restent en attente : ils seront renvoyés par le prochain passage."
        );
    }
    ExitCode::SUCCESS
}
