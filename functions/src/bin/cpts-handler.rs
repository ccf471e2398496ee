//! The form handler on AWS: Lambda when the Lambda runtime is there, a local server otherwise.
//! Configuration: environment variables, listed in `functions::lambda`.

use functions::lifecycle::{Case, CaseState, Proposal};
use functions::store::{
    Applied, AuditEntry, DoctorLoad, Mail, PendingMail, RateLimit, Registered, Request, Result,
    Store, StoreError, Transition,
};

/// The store the handler runs on, from the DynamoDB client and the table name.
///
/// WIRING (#7): when `functions::store::DynamoStore` lands on main, this whole function becomes
/// `Ok(functions::store::DynamoStore::new(client, table))` and `Unwired` below goes away.
async fn open_store(
    client: aws_sdk_dynamodb::Client,
    table: String,
) -> std::result::Result<Unwired, String> {
    let _ = (client, table);
    Ok(Unwired)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match functions::lambda::main(open_store).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cpts-handler : {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Placeholder until the DynamoDB store is merged: every call fails, so nothing is accepted
/// (the handler answers « réessayez plus tard » and /api/health reports the store unavailable).
struct Unwired;

fn unwired<T>() -> Result<T> {
    Err(StoreError(
        "le magasin DynamoDB n'est pas encore branché (functions::store::DynamoStore)".into(),
    ))
}

impl Store for Unwired {
    async fn register(
        &self,
        _: &Request,
        _: &str,
        _: &Mail,
        _: &[RateLimit],
    ) -> Result<Registered> {
        unwired()
    }
    async fn request(&self, _: &str) -> Result<Option<Request>> {
        unwired()
    }
    async fn due_mails(&self, _: i64, _: usize) -> Result<Vec<PendingMail>> {
        unwired()
    }
    async fn mails_sent(&self, _: &[String], _: i64) -> Result<()> {
        unwired()
    }
    async fn mail_failed(&self, _: &str, _: i64) -> Result<()> {
        unwired()
    }
    async fn pending_mail_count(&self) -> Result<usize> {
        unwired()
    }
    async fn apply(&self, _: &Transition) -> Result<Applied> {
        unwired()
    }
    async fn case(&self, _: &str) -> Result<Option<Case>> {
        unwired()
    }
    async fn cases(&self, _: &[CaseState], _: Option<Option<&str>>) -> Result<Vec<Case>> {
        unwired()
    }
    async fn proposal(&self, _: &str) -> Result<Option<Proposal>> {
        unwired()
    }
    async fn open_proposals(&self) -> Result<Vec<Proposal>> {
        unwired()
    }
    async fn doctor_loads(&self, _: i32) -> Result<Vec<DoctorLoad>> {
        unwired()
    }
    async fn audit(&self, _: &AuditEntry) -> Result<()> {
        unwired()
    }
    async fn audit_trail(&self, _: &str) -> Result<Vec<AuditEntry>> {
        unwired()
    }
}
