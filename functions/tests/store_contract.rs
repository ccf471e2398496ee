//! The Store contract on SQLite, in memory and on disk (WAL, migrations applied once).

#[macro_use]
mod contract;

impl contract::RawText for functions::store::SqliteStore {
    async fn raw_text(&self) -> String {
        self.every_row().expect("every row")
    }
}

impl contract::TimePasses for functions::store::SqliteStore {
    /// The jobs' purge.
    async fn time_passes(&self, now: i64) {
        use functions::store::Store;
        self.purge(now).await.expect("purge");
    }
}

mod in_memory {
    store_contract!(functions::store::SqliteStore::in_memory().unwrap());
}

mod on_disk {
    // Each store gets its own file under cargo's scratch folder for tests (target/tmp).
    store_contract!({
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("store-contract");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.sqlite", functions::signed::random_id(12)));
        // Opening twice runs the migrations once and keeps the data.
        drop(functions::store::SqliteStore::open(&path).unwrap());
        functions::store::SqliteStore::open(&path).unwrap()
    });
}

#[test]
fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpts.sqlite");
    drop(functions::store::SqliteStore::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version as usize,
        functions::store::SqliteStore::SCHEMA_VERSION
    );
}

/// A database from before proposals existed (schema version 1): its requests get a waiting case.
#[tokio::test]
async fn requests_stored_before_proposals_get_a_waiting_case() {
    use crate::contract::{RegisterSample, sample_mail, sample_request};
    use functions::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpts.sqlite");
    let request = sample_request("OLD1", 1000);
    let mut other = sample_request("OLD2", 1001);
    other.registration.email =
        Some(functions::domain::registration::Email::parse("lea@example.fr").unwrap());
    other.registration.mobility.home_visits = true;
    other.registration.mobility.max_distance_km = None;
    {
        let store = functions::store::SqliteStore::open(&path).unwrap();
        for (r, n) in [(&request, "n1"), (&other, "n2")] {
            store
                .register_sample(r, n, &sample_mail(n), &[])
                .await
                .unwrap();
        }
    }
    // Back to version 1: what the later migrations added is gone.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE timeline; DROP TABLE cases; DROP TABLE proposals; DROP TABLE doctor_loads;
         DROP TABLE doctors; DROP TABLE used_once; DROP TABLE sessions;
         DROP TABLE search_words; DROP TABLE search_vocabulary; DROP TABLE search_keys;
         ALTER TABLE requests DROP COLUMN erased_at;
         DROP INDEX rate_counters_by_time; ALTER TABLE rate_counters DROP COLUMN counted_at;
         DROP TABLE health; DROP TABLE declarations; DROP TABLE declarations_stamp;
         DROP TABLE confirmation_asks;
         DROP TABLE join_offers;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(c);
    let store = functions::store::SqliteStore::open(&path).unwrap();
    let case = store
        .case("OLD1")
        .await
        .unwrap()
        .expect("case made by the migration");
    assert_eq!(case, functions::domain::lifecycle::Case::opened(&request));
    let case = store.case("OLD2").await.unwrap().unwrap();
    assert_eq!(case, functions::domain::lifecycle::Case::opened(&other));
    assert!(case.has_email && case.needs.home_visits && case.needs.max_distance_km.is_none());
    // Their search keys are written when the store opens.
    let query =
        functions::domain::search::Query::parse("Dupré", &contract::search::demo()).unwrap();
    let found = store
        .search(&query, &functions::domain::staff::Scope::Territory)
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 2);
}
