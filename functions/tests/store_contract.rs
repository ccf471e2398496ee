//! The Store contract on SQLite, in memory and on disk (WAL, migrations applied once).

mod in_memory {
    functions::store_contract!(functions::store::SqliteStore::in_memory().unwrap());
}

mod on_disk {
    // Each store gets its own file under cargo's scratch folder for tests (target/tmp).
    functions::store_contract!({
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
    assert_eq!(version, 2);
}
