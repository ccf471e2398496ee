//! The entry point on AWS: the same Router run by `lambda_http` when the Lambda runtime is there
//! (`AWS_LAMBDA_RUNTIME_API` set), or served by axum on `CPTS_LISTEN` otherwise (local runs
//! against DynamoDB Local and moto, the benchmark). Everything is read and every client created
//! once, at init; the store is asked once during init so its connection is warm before the first
//! request. `CPTS_MODE=jobs` runs the scheduled jobs instead of serving HTTP. The settings (one
//! environment variable each) are listed in [`settings`]. Logs are JSON lines on the error output
//! (one event each, ids only), filtered by `RUST_LOG` (see [`init_logs`]).

pub mod client;
pub mod settings;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::app::{App, now};
use crate::domain::lifecycle::Mail;
use crate::mail::ses::SesMailer;
use crate::mail::{MailError, Mailer, Outbox};
use crate::store::Store;
use crate::view::View;
use client::insert_client_address;
use settings::{Clients, Mode, Settings, load_keys};

pub type Error = lambda_http::Error;

/// SES on AWS; the outbox folder for local runs that ask for it.
pub enum AnyMailer {
    Ses(SesMailer),
    Outbox(Outbox),
}

impl Mailer for AnyMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self {
            AnyMailer::Ses(m) => m.send(mail).await,
            AnyMailer::Outbox(m) => m.send(mail).await,
        }
    }

    async fn forget(&self, address: &str) -> Result<usize, MailError> {
        match self {
            AnyMailer::Ses(m) => m.forget(address).await,
            AnyMailer::Outbox(m) => m.forget(address).await,
        }
    }
}

/// After a request that may have stored a mail, send the due mails before answering: a Lambda
/// instance is frozen as soon as it has answered, so nothing may be left running in background.
async fn deliver_after<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
    next: Next,
) -> Response {
    let may_write = !matches!(*request.method(), Method::GET | Method::HEAD);
    let response = next.run(request).await;
    if may_write {
        app.deliver_due(now()).await;
    }
    response
}

/// What is logged when `RUST_LOG` says nothing: this crate's events from `info`, the libraries'
/// (the AWS SDK's, the Lambda runtime's) from `warn` only — theirs are not written to carry ids
/// only.
pub const DEFAULT_LOG_FILTER: &str = "warn,functions=info,cpts_handler=info";

/// Logs as JSON lines on the error output, filtered by `RUST_LOG` (else [`DEFAULT_LOG_FILTER`]).
/// On Lambda without a time: CloudWatch stamps every line. Once per process; a second call
/// changes nothing.
pub fn init_logs(on_lambda: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let logs = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if on_lambda {
        logs.without_time().try_init()
    } else {
        logs.try_init()
    };
}

/// The Router as Lambda serves it: client address from the event, mails sent before answering.
pub fn lambda_router<S: Store, M: Mailer>(
    app: Arc<App<S, M>>,
    origin_secret: Option<String>,
) -> Router {
    let secret: Option<Arc<str>> = origin_secret.map(Arc::from);
    crate::web::router(Arc::clone(&app))
        .layer(middleware::from_fn_with_state(app, deliver_after::<S, M>))
        .layer(middleware::from_fn_with_state(
            secret,
            insert_client_address,
        ))
}

/// The scheduled work (the EventBridge schedule, or `CPTS_MODE=jobs` locally): the jobs of
/// [`App::run_jobs`] — proposals past their deadline, reminders, patients to inform, waiting
/// requests re-examined, pending mails. Logs the counts and returns them as the invocation's
/// result.
pub async fn run_scheduled_jobs<S: Store, M: Mailer>(
    app: &App<S, M>,
) -> Result<serde_json::Value, Error> {
    let report = app.run_jobs(now()).await?;
    tracing::info!(
        expired = report.expired,
        reminded = report.reminded,
        informed = report.informed,
        proposed = report.proposed,
        still_waiting = report.still_waiting,
        mails_sent = report.mails_sent,
        mails_failed = report.mails_failed,
        "tâches planifiées"
    );
    Ok(serde_json::json!({
        "expired": report.expired,
        "reminded": report.reminded,
        "informed": report.informed,
        "proposed": report.proposed,
        "still_waiting": report.still_waiting,
        "mails_sent": report.mails_sent,
        "mails_failed": report.mails_failed,
    }))
}

/// Runs the process: builds everything at init, then serves Lambda events (HTTP or jobs) or, off
/// Lambda, a local server. `open_store` makes the store from the DynamoDB client and table name.
pub async fn main<S, F, Fut>(open_store: F) -> Result<(), Error>
where
    S: Store,
    F: FnOnce(aws_sdk_dynamodb::Client, String) -> Fut,
    Fut: Future<Output = Result<S, String>>,
{
    let started = Instant::now();
    let on_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    init_logs(on_lambda);
    let settings = Settings::from_env()?;
    let clients = Clients::new(&settings).await;
    let today = chrono::Local::now().date_naive();
    let territory =
        territory::load_published(&settings.territory_dir, today).map_err(|errors| {
            let mut message = format!(
                "territoire {} illisible :",
                settings.territory_dir.display()
            );
            for d in &errors {
                message.push_str(&format!("\n{d}"));
            }
            message
        })?;
    let territory = Arc::new(territory);
    // A broken template would give people broken pages and mails: the handler does not start.
    let view = View::load(Some(&settings.templates_dir)).map_err(|d| {
        format!("{d}\nLe gestionnaire du formulaire ne démarre pas : corrigez ce modèle.")
    })?;
    let keys = load_keys(&settings, &clients).await?;
    let store = open_store(clients.dynamodb.clone(), settings.table.clone()).await?;
    let mailer = match &settings.outbox_dir {
        Some(dir) => AnyMailer::Outbox(Outbox {
            dir: dir.clone(),
            from: settings.sender.clone(),
            // The Lambda's console is its log: links carry tokens and never go there.
            print_paths: false,
        }),
        None => AnyMailer::Ses(SesMailer::new(
            clients.ses.clone(),
            settings.sender.clone(),
            settings.configuration_set.clone(),
        )),
    };
    let app = App::new(settings.config(), territory, keys, store, mailer);
    app.replace_view(view);
    // Warms the store's connection (TLS, credentials) during init rather than on the first request.
    if let Err(e) = app.store.pending_mail_count().await {
        tracing::warn!(error = %e, "base de données injoignable au démarrage");
    }
    let ready_ms = started.elapsed().as_millis() as u64;
    let mode = match (on_lambda, settings.mode) {
        (true, Mode::Http) => "Lambda, HTTP".to_string(),
        (true, Mode::Jobs) => "Lambda, tâches planifiées".to_string(),
        (false, Mode::Http) => format!("serveur local http://{}", settings.listen),
        (false, Mode::Jobs) => "tâches planifiées, une fois".to_string(),
    };
    // scripts/bench-aws.sh reads "prêt en N ms" in the first line.
    tracing::info!(ready_ms, "cpts-handler : prêt en {ready_ms} ms ({mode})");
    match (on_lambda, settings.mode) {
        (true, Mode::Http) => lambda_http::run(lambda_router(app, settings.origin_secret)).await,
        (true, Mode::Jobs) => {
            // Any event (EventBridge Scheduler's or a manual test invocation) runs the jobs.
            lambda_http::lambda_runtime::run(lambda_http::service_fn(
                move |_: lambda_http::LambdaEvent<serde_json::Value>| {
                    let app = Arc::clone(&app);
                    async move { run_scheduled_jobs(&app).await }
                },
            ))
            .await
        }
        (false, Mode::Http) => {
            // The same dispatcher as on one machine, as a task of this runtime.
            tokio::spawn(Arc::clone(&app).dispatch_mails());
            let listener = tokio::net::TcpListener::bind(settings.listen).await?;
            axum::serve(
                listener,
                crate::web::router(app).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
            Ok(())
        }
        (false, Mode::Jobs) => {
            run_scheduled_jobs(&app).await?;
            Ok(())
        }
    }
}
