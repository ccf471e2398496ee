//! The Store contract on SQLite, in memory and on disk (WAL, migrations applied once).

mod in_memory {
    functions::store_contract!(functions::store::SqliteStore::in_memory().unwrap());
}

mod on_disk {
    functions::store_contract!({
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cpts.sqlite");
        // Opening twice runs the migrations once and keeps the data.
        drop(functions::store::SqliteStore::open(&path).unwrap());
        let store = functions::store::SqliteStore::open(&path).unwrap();
        std::mem::forget(dir);
        store
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
    assert_eq!(version, 1);
}
