//! The form handler on AWS: Lambda when the Lambda runtime is there, a local server otherwise.
//! Configuration: environment variables, listed in `functions::aws`.

use functions::store::{DynamoStore, StoreError};

/// The store the handler runs on: the DynamoDB table. `CPTS_CREATE_TABLE=1` (local engines such
/// as DynamoDB Local only; on AWS the template creates the table) creates it first.
async fn open_store(
    client: aws_sdk_dynamodb::Client,
    table: String,
) -> Result<DynamoStore, String> {
    let store = DynamoStore::new(client, table);
    if std::env::var("CPTS_CREATE_TABLE").is_ok_and(|v| v == "1")
        && let Err(e) = store.create_table().await
        && !matches!(e, StoreError::TableExists { .. })
    {
        // Anything but "it already exists"; a real problem also shows in the warm-up read.
        tracing::warn!(table = store.table(), error = %e, "table non créée");
    }
    Ok(store)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match functions::aws::main(open_store).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Logs are set up first thing in `main`: this reaches them (and CloudWatch).
            tracing::error!(error = %e, "cpts-handler arrêté");
            std::process::ExitCode::FAILURE
        }
    }
}
