//! The table's layout: key and index names (shared with `infra/template.yaml`), the keys of each
//! kind of item, the retention periods written to the TTL attribute, and the table's creation.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::attrs::{Item, build_err, ordered, s, sdk_err};
use crate::domain::lifecycle::{Case, CaseState};
use crate::store::{Result, StoreError};

use crate::domain::retention;

// The periods written to the TTL attribute, from their one definition (`domain::retention`).
pub(super) const NONCE_RETENTION: i64 = retention::NONCE.seconds;
pub(super) const RATE_RETENTION: i64 = retention::RATE_COUNTER.seconds;
pub(super) const REQUEST_RETENTION: i64 = retention::OPEN_REQUEST.seconds;
pub(super) const SENT_MAIL_RETENTION: i64 = retention::SENT_MAIL.seconds;
pub(super) const AUDIT_RETENTION: i64 = retention::AUDIT_ENTRY.seconds;

/// Names shared with `infra/template.yaml` (keep both in agreement).
pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";
pub(super) const GSI1: &str = "gsi1";
pub(super) const GSI2: &str = "gsi2";
pub(super) const TTL_ATTRIBUTE: &str = "expires_at";

/// The list partitions of `gsi1`.
pub(super) const MAILS_PENDING: &str = "MAIL#PENDING";
pub(super) const PROPOSALS_OPEN: &str = "PROPOSAL#OPEN";
pub(super) const DOCTORS: &str = "DOCTOR";

/// The partition of the doctors' own declarations (sort key: the doctor's id).
pub(super) const DECLARATIONS: &str = "DECLARATION";
/// The partition of the requests to confirm a declaration (sort key: the doctor's id).
pub(super) const CONFIRMATIONS: &str = "CONFIRMATION";
/// Key (`pk` and `sk`) of the count of changes of the declarations.
pub(super) const DECLARATIONS_STAMP: &str = "DECLARATION#STAMP";

/// The partition of the doctors' offers to join (sort key: the offer's id).
pub(super) const JOIN_OFFERS: &str = "JOIN";

/// The primary key of an item.
pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.into(), s(pk)), (SK.into(), s(sk))])
}

pub(super) fn case_pk(reference: &str) -> String {
    format!("CASE#{reference}")
}

pub(super) fn mail_pk(id: &str) -> String {
    format!("MAIL#{id}")
}

pub(super) fn nonce_pk(nonce: &str) -> String {
    format!("NONCE#{nonce}")
}

pub(super) fn rate_pk(key: &str, window: i64) -> String {
    format!("RATE#{key}#{window}")
}

pub(super) fn audit_pk(object: &str) -> String {
    format!("AUDIT#{object}")
}

pub(super) fn doctor_pk(id: &str) -> String {
    format!("DOCTOR#{id}")
}

pub(super) fn once_pk(key: &str) -> String {
    format!("ONCE#{key}")
}

pub(super) fn session_pk(id_hash: &str) -> String {
    format!("SESSION#{id_hash}")
}

/// The `gsi1` list of a staff member's sessions.
pub(super) fn sessions_of(staff: &str) -> String {
    format!("STAFF#{staff}#SESSIONS")
}

pub(super) fn proposal_pk(id: &str) -> String {
    format!("PROPOSAL#{id}")
}

/// The sort key of a pending mail in `gsi1`: due first, then oldest first.
pub(super) fn pending_mail_sk(next_attempt_at: i64, created_at: i64, id: &str) -> String {
    format!("{}#{}#{id}", ordered(next_attempt_at), ordered(created_at))
}

/// Index keys of a case in `state`: (gsi1pk, gsi2pk); both sort keys are [`case_sk`].
pub(super) fn case_lists(state: CaseState, cpts: Option<&str>) -> (String, String) {
    let by_cpts = match cpts {
        Some(id) => format!("CPTS#{id}#CASE#{}", state.code()),
        None => format!("NOCPTS#CASE#{}", state.code()),
    };
    (format!("CASE#{}", state.code()), by_cpts)
}

/// The key of a request's search keys (in its case's partition): what an erase deletes.
pub(super) fn search_key(reference: &str) -> Item {
    key(case_pk(reference), SEARCH_SK)
}

/// The sort key of the search keys item.
pub(super) const SEARCH_SK: &str = "SEARCH";
/// The `gsi1` list of every request's search keys (the territory's search).
pub(super) const SEARCH_ALL: &str = "SEARCH";

/// The `gsi2` list of the search keys of CPTS `cpts` (or of requests outside every CPTS).
pub(super) fn search_list(cpts: Option<&str>) -> String {
    match cpts {
        Some(id) => format!("SEARCH#CPTS#{id}"),
        None => "SEARCH#NOCPTS".into(),
    }
}

pub(super) fn case_sk(case: &Case) -> String {
    format!("{}#{}", ordered(case.created_at), case.reference)
}

/// Creates `table` with the keys, indexes and TTL of `infra/template.yaml`, and waits until it
/// is active.
pub(super) async fn create_table(client: &Client, table: &str) -> Result<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_err)
    };
    let key_schema = |hash: &str, range: &str| -> Result<Vec<KeySchemaElement>> {
        Ok(vec![
            KeySchemaElement::builder()
                .attribute_name(hash)
                .key_type(KeyType::Hash)
                .build()
                .map_err(build_err)?,
            KeySchemaElement::builder()
                .attribute_name(range)
                .key_type(KeyType::Range)
                .build()
                .map_err(build_err)?,
        ])
    };
    let index = |name: &str, hash: &str, range: &str| -> Result<GlobalSecondaryIndex> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(key_schema(hash, range)?))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(build_err)
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            [PK, SK, "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
                .into_iter()
                .map(attribute)
                .collect::<Result<_>>()?,
        ))
        .set_key_schema(Some(key_schema(PK, SK)?))
        .global_secondary_indexes(index(GSI1, "gsi1pk", "gsi1sk")?)
        .global_secondary_indexes(index(GSI2, "gsi2pk", "gsi2sk")?)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception())
            {
                StoreError::TableExists {
                    table: table.to_string(),
                }
            } else {
                sdk_err("create table")(e)
            }
        })?;
    for _ in 0..600 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(sdk_err("describe table"))?;
        let description = described.table();
        let active = description.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
            && description.is_some_and(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
            });
        if active {
            client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(TTL_ATTRIBUTE)
                        .enabled(true)
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(sdk_err("enable TTL"))?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(StoreError::dynamo(
        "create table",
        format!("{table} toujours inactive après deux minutes"),
    ))
}

/// The attribute counting the proposals a doctor holds in year `period`.
pub(super) fn load_attribute(period: i32) -> String {
    format!("load_{period}")
}

/// The attribute counting the patients a doctor accepted in year `period`.
pub(super) fn accepted_attribute(period: i32) -> String {
    format!("accepted_{period}")
}
