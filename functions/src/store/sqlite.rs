//! The Store on one machine: one SQLite file in WAL mode, schema upgraded by numbered migrations.

use std::future::{Future, Ready, ready};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::Undecodable;
use super::{
    Applied, GIVEN_UP, Health, Joined, PendingMail, Purged, RateLimit, Registered, Result, Store,
    StoreError, Undelivered,
};
use crate::domain::declarations::{ConfirmationAsk, Declaration, Declarations};
use crate::domain::joining::JoinOffer;
use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, Correction, DoctorOp, Erased, Erasure, Mail, Opening, Proposal,
    Request, TimelineEntry, Transition,
};
use crate::domain::matching::DoctorLoad;
use crate::domain::retention;
use crate::domain::search::{self, Found, Hit, Identity, Query, SearchKeys, Term};
use crate::domain::staff::Scope;
use crate::domain::staff::Session;

/// Each entry upgrades the schema by one version (`PRAGMA user_version`). Never edit a released
/// entry: add a new one.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE requests (
        reference TEXT PRIMARY KEY,
        nonce TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        cpts TEXT,
        priority_level INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        mail TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        sent_at INTEGER
    );
    CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
    CREATE TABLE rate_counters (
        key TEXT NOT NULL,
        window INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key, window)
    ) WITHOUT ROWID;
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL
    );
    CREATE INDEX audit_by_object ON audit_log (object);
", "
    CREATE TABLE cases (
        reference TEXT PRIMARY KEY REFERENCES requests (reference),
        cpts TEXT,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX cases_by_state ON cases (state, created_at);
    CREATE INDEX cases_by_cpts ON cases (cpts, created_at);
    -- Requests stored before proposals existed wait for their first one.
    INSERT INTO cases (reference, cpts, state, version, created_at, record)
    SELECT reference, cpts, 'waiting', 1, created_at, json_object(
        'reference', reference,
        'cpts', cpts,
        'created_at', created_at,
        'needs', json_object(
            'commune', json_extract(record, '$.registration.commune'),
            'max_distance_km', json_extract(record, '$.registration.mobility.max_distance_km'),
            'home_visits', json(CASE WHEN json_extract(record, '$.registration.mobility.home_visits') THEN 'true' ELSE 'false' END),
            'priority_level', priority_level),
        'has_email', json(CASE WHEN json_extract(record, '$.registration.email') IS NULL THEN 'false' ELSE 'true' END),
        'state', 'waiting',
        'version', 1,
        'updated_at', created_at,
        'proposals', json_array(),
        'tried', json_array(),
        'closure', NULL)
    FROM requests;
    CREATE TABLE proposals (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES requests (reference),
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX proposals_open ON proposals (created_at) WHERE state IN ('proposed', 'validated');
    CREATE TABLE doctor_loads (
        doctor TEXT NOT NULL,
        period INTEGER NOT NULL,
        load INTEGER NOT NULL DEFAULT 0,
        accepted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (doctor, period)
    ) WITHOUT ROWID;
    CREATE TABLE doctors (
        doctor TEXT PRIMARY KEY,
        last_solicited_at INTEGER,
        paused_until TEXT
    ) WITHOUT ROWID;
", "
    -- A request's timeline (notes, calls, changes): personal content, apart from the case.
    -- An erasure of the request deletes its rows.
    CREATE TABLE timeline (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES requests (reference),
        at INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX timeline_by_reference ON timeline (reference, id);
", "
    CREATE TABLE used_once (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        staff TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        agent_hash TEXT NOT NULL,
        csrf TEXT NOT NULL
    );
    CREATE INDEX sessions_by_staff ON sessions (staff);
", "
    -- What a request is found by (domain::search::SearchKeys): personal data, deleted with it.
    CREATE TABLE search_keys (
        reference TEXT PRIMARY KEY REFERENCES requests (reference),
        cpts TEXT,
        created_at INTEGER NOT NULL,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        birth_date TEXT NOT NULL,
        birth_year INTEGER NOT NULL,
        commune TEXT NOT NULL
    );
    CREATE INDEX search_by_date ON search_keys (created_at);
    CREATE INDEX search_by_cpts ON search_keys (cpts, created_at);
    CREATE INDEX search_by_phone ON search_keys (phone);
    CREATE INDEX search_by_identity ON search_keys (name, birth_date);
    CREATE INDEX search_by_birth_date ON search_keys (birth_date);
    CREATE INDEX search_by_birth_year ON search_keys (birth_year);
    CREATE INDEX search_by_commune ON search_keys (commune);
    -- Each name word of each request, and every word in use (typos are looked up there).
    CREATE TABLE search_words (
        word TEXT NOT NULL,
        reference TEXT NOT NULL REFERENCES search_keys (reference),
        PRIMARY KEY (word, reference)
    ) WITHOUT ROWID;
    CREATE INDEX search_words_of ON search_words (reference);
    CREATE TABLE search_vocabulary (
        word TEXT PRIMARY KEY,
        uses INTEGER NOT NULL
    ) WITHOUT ROWID;
", "
    -- An erased request (the person withdrew): its record is then the `Erased` tombstone.
    ALTER TABLE requests ADD COLUMN erased_at INTEGER;
", "
    -- The purge reads audit entries and sent mails by age. (IF NOT EXISTS: their tables are
    -- from version 1, which a database rolled back to it keeps.)
    CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (at);
    CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
", "
    -- A rate counter carries its last increment: the purge deletes it after its period, as
    -- DynamoDB's TTL does. The counters already there count from now.
    ALTER TABLE rate_counters ADD COLUMN counted_at INTEGER NOT NULL DEFAULT 0;
    UPDATE rate_counters SET counted_at = unixepoch();
    CREATE INDEX rate_counters_by_time ON rate_counters (counted_at);
", "
    -- One row, rewritten by each health check: proof that the database takes writes.
    CREATE TABLE health (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        checked_at INTEGER NOT NULL
    );
", "
    -- Each doctor's own current declaration (JSON of Declaration), and the count of changes
    -- readers compare to know whether to read them again.
    CREATE TABLE declarations (
        doctor TEXT PRIMARY KEY,
        declared_at INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE TABLE declarations_stamp (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        stamp INTEGER NOT NULL
    );
", "
    -- Each doctor's last request to confirm his declaration (JSON of ConfirmationAsk).
    CREATE TABLE confirmation_asks (
        doctor TEXT PRIMARY KEY,
        record TEXT NOT NULL
    );
", "
    -- Doctors' offers to join (JSON of JoinOffer): pending until a coordinator decides.
    CREATE TABLE join_offers (
        id TEXT PRIMARY KEY,
        cpts TEXT,
        offered_at INTEGER NOT NULL,
        pending INTEGER NOT NULL,
        ends_at INTEGER,
        record TEXT NOT NULL
    );
    CREATE INDEX join_offers_by_cpts ON join_offers (cpts, offered_at);
"];

pub struct SqliteStore {
    connection: Mutex<Connection>,
    /// The database's file (`None`: in memory).
    path: Option<PathBuf>,
    /// While the store lives, a background thread checkpoints the WAL (see `open`).
    _alive: Option<Arc<()>>,
}

impl SqliteStore {
    /// The schema version a database has once opened (`PRAGMA user_version`).
    pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    ///
    /// Commits never wait for the disk: the WAL is checkpointed (and synced) by a background
    /// thread with its own connection, every second, instead of by whichever request happens to
    /// fill it.
    pub fn open(path: &Path) -> Result<Self> {
        let mut store = Self::init(Connection::open(path)?)?;
        store
            .connection
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pragma_update(None, "wal_autocheckpoint", 0)?;
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        let checkpointer = Connection::open(path)?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while watch.upgrade().is_some() {
                    std::thread::sleep(Duration::from_secs(1));
                    let _ = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
                }
            })?;
        store._alive = Some(alive);
        store.path = Some(path.to_path_buf());
        Ok(store)
    }

    /// A private database in memory, for tests.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut connection: Connection) -> Result<Self> {
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
            )
            ?;
        let version: usize = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = connection.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        backfill_search_keys(&mut connection)?;
        Ok(Self {
            connection: Mutex::new(connection),
            path: None,
            _alive: None,
        })
    }

    /// A consistent copy of the database at `source` into `destination` (a new file, readable by
    /// its owner only), while the server goes on writing: SQLite's online backup copies one
    /// snapshot of the database, whatever is committed during the copy is left for the next one.
    pub fn backup(source: &Path, destination: &Path) -> std::result::Result<(), String> {
        let sqlite = |e: rusqlite::Error| format!("{} : {e}", source.display());
        let from = Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sqlite)?;
        from.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(destination)
            .map_err(|e| format!("{} : {e}", destination.display()))?;
        let written = |e: rusqlite::Error| format!("{} : {e}", destination.display());
        let mut to = Connection::open(destination).map_err(written)?;
        {
            let backup = rusqlite::backup::Backup::new(&from, &mut to).map_err(written)?;
            // Every page in one step: one read transaction, so one snapshot.
            backup
                .run_to_completion(i32::MAX, Duration::ZERO, None)
                .map_err(written)?;
        }
        let check: String = to
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(written)?;
        if check != "ok" {
            return Err(format!(
                "{} : la copie est abîmée ({check})",
                destination.display()
            ));
        }
        Ok(())
    }

    /// Checks that `path` is a sound database of this handler without writing to it: it opens as
    /// SQLite, passes `PRAGMA integrity_check` and has the requests table. The number of requests
    /// it holds, or a French sentence naming the file.
    pub fn check(path: &Path) -> std::result::Result<u64, String> {
        let sqlite = |e: rusqlite::Error| {
            format!(
                "{} n'est pas une base SQLite lisible ({e}) : prenez le cpts.sqlite d'une autre sauvegarde.",
                path.display()
            )
        };
        let c = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sqlite)?;
        let check: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(sqlite)?;
        if check != "ok" {
            return Err(format!(
                "{} est abîmée (PRAGMA integrity_check : {check}) : prenez le cpts.sqlite d'une autre sauvegarde.",
                path.display()
            ));
        }
        c.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
            .map_err(|e| {
                format!(
                    "{} n'est pas une base de « cpts serve » ({e}) : prenez le cpts.sqlite d'une sauvegarde faite par « cpts backup ».",
                    path.display()
                )
            })
    }

    /// How many requests the database holds (erased ones included): a database with requests has
    /// sent links signed with its keys.
    pub fn request_count(&self) -> Result<u64> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0)))
            .into_inner()
    }

    /// Every row of every table, as text (one line per row): what a privacy check reads to make
    /// sure an erased person's data appear nowhere.
    pub fn every_row(&self) -> Result<String> {
        self.with(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut text = String::new();
            for table in tables {
                let mut statement = c.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let columns = statement.column_count();
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    text.push_str(&table);
                    for i in 0..columns {
                        let value: rusqlite::types::Value = row.get(i)?;
                        text.push_str(&format!(" | {value:?}"));
                    }
                    text.push('\n');
                }
            }
            Ok(text)
        })
        .into_inner()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Ready<Result<T>> {
        let mut connection = match self.connection.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        ready(f(&mut connection).map_err(StoreError::from))
    }
}

/// Reads every page (`PRAGMA quick_check`: without the slower index cross-checks of
/// `integrity_check`); an error when one is damaged. About 1 ms on the demo database, 130 ms on
/// 80 MB (40 000 requests, more than a CPTS keeps within its retention periods).
fn quick_check(c: &Connection) -> rusqlite::Result<()> {
    let check: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check == "ok" {
        return Ok(());
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(format!(
            "quick_check : {}",
            check.lines().next().unwrap_or_default()
        )),
    ))
}

/// Requests stored before search keys existed get theirs (a no-op once they all have them).
fn backfill_search_keys(c: &mut Connection) -> rusqlite::Result<()> {
    let tx = c.transaction()?;
    let records: Vec<String> = tx
        .prepare(
            "SELECT record FROM requests r
             WHERE r.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM search_keys k WHERE k.reference = r.reference)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for record in records {
        let request: Request = from_json(&record)?;
        write_search_keys(&tx, &SearchKeys::of(&request))?;
    }
    tx.commit()
}

/// Writes the search keys of a request (replacing any it had), within the caller's transaction.
fn write_search_keys(c: &Connection, keys: &SearchKeys) -> rusqlite::Result<()> {
    delete_search_keys(c, &keys.reference)?;
    let birth = keys.identity.birth_date;
    c.prepare_cached(
        "INSERT INTO search_keys (reference, cpts, created_at, name, phone, birth_date, birth_year, commune)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        keys.reference,
        keys.cpts,
        keys.created_at,
        keys.identity.name,
        keys.identity.phone,
        birth.to_string(),
        chrono::Datelike::year(&birth),
        keys.commune
    ])?;
    for word in &keys.words {
        c.prepare_cached("INSERT INTO search_words (word, reference) VALUES (?1, ?2)")?
            .execute(params![word, keys.reference])?;
        c.prepare_cached(
            "INSERT INTO search_vocabulary (word, uses) VALUES (?1, 1)
             ON CONFLICT (word) DO UPDATE SET uses = uses + 1",
        )?
        .execute([word])?;
    }
    Ok(())
}

/// Deletes the search keys of request `reference` (its words too, and from the vocabulary the
/// words no other request uses), within the caller's transaction: what an erase calls.
fn delete_search_keys(c: &Connection, reference: &str) -> rusqlite::Result<()> {
    let words: Vec<String> = c
        .prepare_cached("SELECT word FROM search_words WHERE reference = ?1")?
        .query_map([reference], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for word in &words {
        c.prepare_cached("UPDATE search_vocabulary SET uses = uses - 1 WHERE word = ?1")?
            .execute([word])?;
        c.prepare_cached("DELETE FROM search_vocabulary WHERE word = ?1 AND uses <= 0")?
            .execute([word])?;
    }
    c.prepare_cached("DELETE FROM search_words WHERE reference = ?1")?
        .execute([reference])?;
    c.prepare_cached("DELETE FROM search_keys WHERE reference = ?1")?
        .execute([reference])?;
    Ok(())
}

/// A condition on `search_keys k` and its values.
type Condition = (String, Vec<rusqlite::types::Value>);

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The SQL condition of one term; name words are looked up in `vocabulary` (every word in use).
fn term_condition(term: &Term, vocabulary: &[String]) -> Condition {
    use rusqlite::types::Value::{Integer, Text};
    let text = |v: &str| Text(v.to_string());
    let codes = |codes: &[String]| -> Condition {
        (
            format!("k.commune IN ({})", placeholders(codes.len())),
            codes.iter().map(|c| text(c)).collect(),
        )
    };
    match term {
        Term::Reference(r) => ("k.reference = ?".into(), vec![text(r)]),
        Term::Phone(p) => ("k.phone = ?".into(), vec![text(p)]),
        Term::BirthDate(d) => ("k.birth_date = ?".into(), vec![Text(d.to_string())]),
        Term::BirthYear(y) => ("k.birth_year = ?".into(), vec![Integer(i64::from(*y))]),
        Term::Communes(c) => codes(c),
        Term::Name {
            words,
            communes,
            reference,
        } => {
            // One `IN` of a compound select, so that SQLite looks the candidates up by key.
            let mut all = Vec::new();
            let mut values = Vec::new();
            for typed in words {
                let known: Vec<&String> = vocabulary
                    .iter()
                    .filter(|w| search::word_matches(typed, w))
                    .collect();
                all.push(format!(
                    "SELECT reference FROM search_words WHERE word IN ({})",
                    placeholders(known.len())
                ));
                values.extend(known.into_iter().map(|w| text(w)));
            }
            let mut any = vec![format!(
                "SELECT reference FROM ({})",
                all.join(" INTERSECT ")
            )];
            if !communes.is_empty() {
                any.push(format!(
                    "SELECT reference FROM search_keys WHERE commune IN ({})",
                    placeholders(communes.len())
                ));
                values.extend(communes.iter().map(|c| text(c)));
            }
            if let Some(r) = reference {
                any.push("VALUES (?)".into());
                values.push(text(r));
            }
            (format!("k.reference IN ({})", any.join(" UNION ")), values)
        }
    }
}

fn scope_condition(scope: &Scope) -> Condition {
    match scope {
        Scope::Cpts(id) => (
            // Unary `+`: filter on the CPTS, but look rows up by the terms' more selective indexes.
            "+k.cpts = ?".into(),
            vec![rusqlite::types::Value::Text(id.clone())],
        ),
        Scope::Territory => ("1".into(), Vec::new()),
    }
}

fn insert_audit(c: &Connection, e: &AuditEntry) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO audit_log (at, actor, action, object) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![e.at, e.actor, e.action, e.object])?;
    Ok(())
}

/// Counts one more against each of `limits`; false as soon as one is exceeded (the caller then
/// drops its transaction, which undoes the counting).
fn count_within(c: &Connection, limits: &[RateLimit], now: i64) -> rusqlite::Result<bool> {
    for l in limits {
        let count: u32 = c
            .prepare_cached(
                "INSERT INTO rate_counters (key, window, count, counted_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (key, window) DO UPDATE SET count = count + 1, counted_at = ?3
                 RETURNING count",
            )?
            .query_row(params![l.key, l.window, now], |r| r.get(0))?;
        if count > l.limit {
            return Ok(false);
        }
    }
    Ok(true)
}

fn insert_mail(c: &Connection, mail: &Mail, at: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO outbox (id, created_at, mail, next_attempt_at) VALUES (?1, ?2, ?3, ?2)",
    )?
    .execute(params![mail.id, at, json(mail)?])?;
    Ok(())
}

fn insert_case(c: &Connection, case: &Case) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO cases (reference, cpts, state, version, created_at, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        case.reference,
        case.cpts,
        case.state.code(),
        case.version,
        case.created_at,
        json(case)?
    ])?;
    Ok(())
}

/// Applies one doctor operation; `false` when its capacity condition fails.
fn apply_doctor_op(c: &Connection, op: &DoctorOp) -> rusqlite::Result<bool> {
    let ensure = |doctor: &str, period: i32| {
        c.prepare_cached(
            "INSERT INTO doctor_loads (doctor, period) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![doctor, period])
    };
    Ok(match op {
        DoctorOp::Reserve {
            doctor,
            period,
            capacity,
            at,
        } => {
            ensure(doctor, *period)?;
            let changed = c
                .prepare_cached(
                    "UPDATE doctor_loads SET load = load + 1 WHERE doctor = ?1 AND period = ?2 AND load < ?3",
                )?
                .execute(params![doctor, period, capacity])?;
            c.prepare_cached(
                "INSERT INTO doctors (doctor, last_solicited_at) VALUES (?1, ?2)
                 ON CONFLICT (doctor) DO UPDATE SET last_solicited_at = ?2",
            )?
            .execute(params![doctor, at])?;
            changed == 1
        }
        DoctorOp::Release { doctor, period } => {
            c.prepare_cached(
                "UPDATE doctor_loads SET load = load - 1 WHERE doctor = ?1 AND period = ?2 AND load > 0",
            )?
            .execute(params![doctor, period])?;
            true
        }
        DoctorOp::Consume {
            doctor,
            period,
            capacity,
        } => {
            ensure(doctor, *period)?;
            c.prepare_cached(
                "UPDATE doctor_loads SET accepted = accepted + 1 WHERE doctor = ?1 AND period = ?2 AND accepted < ?3",
            )?
            .execute(params![doctor, period, capacity])?
                == 1
        }
        DoctorOp::Pause { doctor, until } => {
            c.prepare_cached(
                "INSERT INTO doctors (doctor, paused_until) VALUES (?1, ?2)
                 ON CONFLICT (doctor) DO UPDATE SET paused_until = ?2",
            )?
            .execute(params![doctor, until.to_string()])?;
            true
        }
    })
}

/// Applies a transition inside `tx`; the caller commits when it is `Done` (anything else: drop
/// the transaction, which rolls back what was written).
fn apply_in(tx: &Connection, t: &Transition) -> rusqlite::Result<Applied> {
    if let Some((expected, case)) = &t.case {
        let changed = tx
            .prepare_cached(
                "UPDATE cases SET state = ?2, version = ?3, record = ?4, cpts = ?6 WHERE reference = ?1 AND version = ?5",
            )?
            .execute(params![
                case.reference,
                case.state.code(),
                case.version,
                json(case)?,
                expected,
                case.cpts
            ])?;
        if changed != 1 {
            return Ok(Applied::Conflict);
        }
    }
    for (expected, proposal) in &t.proposals {
        let changed = match expected {
            None => tx
                .prepare_cached(
                    "INSERT INTO proposals (id, reference, state, created_at, record) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![
                    proposal.id,
                    proposal.reference,
                    proposal.state.code(),
                    proposal.created_at,
                    json(proposal)?
                ])?,
            Some(state) => tx
                .prepare_cached(
                    "UPDATE proposals SET state = ?2, record = ?3 WHERE id = ?1 AND state = ?4",
                )?
                .execute(params![
                    proposal.id,
                    proposal.state.code(),
                    json(proposal)?,
                    state.code()
                ])?,
        };
        if changed != 1 {
            return Ok(Applied::Conflict);
        }
    }
    for op in &t.doctors {
        if !apply_doctor_op(tx, op)? {
            return Ok(Applied::NoCapacity);
        }
    }
    for mail in &t.mails {
        insert_mail(tx, mail, t.at)?;
    }
    for entry in &t.audit {
        insert_audit(tx, entry)?;
    }
    for entry in &t.entries {
        tx.prepare_cached("INSERT INTO timeline (reference, at, record) VALUES (?1, ?2, ?3)")?
            .execute(params![entry.reference, entry.at, json(entry)?])?;
    }
    Ok(Applied::Done)
}

/// Deletes every mail of the outbox, pending or sent, addressed to one of `addresses`.
fn forget_mails(tx: &Connection, addresses: &[String]) -> rusqlite::Result<()> {
    for address in addresses {
        tx.prepare_cached(
            "DELETE FROM outbox WHERE EXISTS (
                 SELECT 1 FROM json_each(outbox.mail, '$.to') WHERE lower(value) = lower(?1))",
        )?
        .execute([address])?;
    }
    Ok(())
}

/// Stores `declaration` as its doctor's current one, counts one more change of the
/// declarations, and writes `audit`.
fn write_declaration(
    c: &Connection,
    declaration: &Declaration,
    audit: &AuditEntry,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO declarations (doctor, declared_at, record) VALUES (?1, ?2, ?3)
         ON CONFLICT (doctor) DO UPDATE SET declared_at = ?2, record = ?3",
    )?
    .execute(params![
        declaration.doctor,
        declaration.declared_at,
        json(declaration)?
    ])?;
    c.prepare_cached(
        "INSERT INTO declarations_stamp (id, stamp) VALUES (1, 1)
         ON CONFLICT (id) DO UPDATE SET stamp = stamp + 1",
    )?
    .execute([])?;
    insert_audit(c, audit)
}

fn declarations_stamp(c: &Connection) -> rusqlite::Result<u64> {
    let stamp: Option<i64> = c
        .prepare_cached("SELECT stamp FROM declarations_stamp WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(stamp.map_or(0, |s| s as u64))
}

fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A stored record decoded; one that does not decode becomes [`StoreError::Corrupt`] (named by
/// its type, without its text).
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let what = std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("record");
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            Box::new(Undecodable::new(what, &e)),
        )
    })
}

impl Store for SqliteStore {
    fn register(
        &self,
        opening: &Opening,
        nonce: &str,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        let request = &opening.request;
        self.with(|c| {
            let tx = c.transaction()?;
            let existing: Option<String> = tx
                .prepare_cached("SELECT reference FROM requests WHERE nonce = ?1")?
                .query_row([nonce], |r| r.get(0))
                .optional()?;
            if let Some(reference) = existing {
                return Ok(Registered::Duplicate(reference));
            }
            if !count_within(&tx, limits, request.created_at)? {
                // Dropping the transaction rolls it back: nothing is written.
                return Ok(Registered::Limited);
            }
            tx.prepare_cached(
                "INSERT INTO requests (reference, nonce, created_at, cpts, priority_level, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                request.reference,
                nonce,
                request.created_at,
                request.cpts,
                request.priority.level,
                json(request)?
            ])?;
            insert_case(&tx, &opening.case)?;
            write_search_keys(&tx, &SearchKeys::of(request))?;
            insert_mail(&tx, &opening.mail, request.created_at)?;
            insert_audit(&tx, &opening.audit)?;
            tx.commit()?;
            Ok(Registered::New)
        })
    }

    fn request(&self, reference: &str) -> impl Future<Output = Result<Option<Request>>> + Send {
        self.with(|c| {
            let text: Option<String> = c
                .prepare_cached(
                    "SELECT record FROM requests WHERE reference = ?1 AND erased_at IS NULL",
                )?
                .query_row([reference], |r| r.get(0))
                .optional()?;
            text.map(|t| from_json(&t)).transpose()
        })
    }

    fn due_mails(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingMail>>> + Send {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT mail, attempts, next_attempt_at FROM outbox
                 WHERE sent_at IS NULL AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, created_at LIMIT ?2",
            )?;
            let rows = statement.query_map(params![now, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            rows.map(|row| {
                let (mail, attempts, next_attempt_at) = row?;
                Ok(PendingMail {
                    mail: from_json(&mail)?,
                    attempts,
                    next_attempt_at,
                })
            })
            .collect()
        })
    }

    fn claim_mail(
        &self,
        id: &str,
        seen: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.with(|c| {
            Ok(c.prepare_cached(
                "UPDATE outbox SET next_attempt_at = ?3 WHERE id = ?1 AND sent_at IS NULL AND next_attempt_at = ?2",
            )?
            .execute(params![id, seen, until])?
                == 1)
        })
    }

    fn mails_sent(&self, ids: &[String], now: i64) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            for id in ids {
                tx.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE id = ?1")?
                    .execute(params![id, now])?;
            }
            tx.commit()
        })
    }

    fn mail_failed(&self, id: &str, retry_at: i64) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| {
            c.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1 AND sent_at IS NULL",
            )?
            .execute(params![id, retry_at])?;
            Ok(())
        })
    }

    fn pending_mail_count(&self) -> impl Future<Output = Result<usize>> + Send {
        self.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
                [],
                |r| r.get(0),
            )
        })
    }

    fn health(&self, now: i64) -> impl Future<Output = Result<Health>> + Send {
        // On a file, the pages are read by a connection of the check's own: requests go on
        // meanwhile (WAL: readers never wait), and it reads the file as it is on disk.
        let on_file = self.path.as_deref().map(|path| {
            let c = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
            )?;
            c.busy_timeout(Duration::from_secs(5))?;
            quick_check(&c)
        });
        if let Some(Err(e)) = on_file {
            return ready(Err(e.into()));
        }
        let in_memory = on_file.is_none();
        self.with(move |c| {
            if in_memory {
                quick_check(c)?;
            }
            let tx = c.transaction()?;
            tx.prepare_cached(
                "INSERT INTO health (id, checked_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = ?1",
            )?
            .execute([now])?;
            let health = tx
                .prepare_cached(
                    "SELECT COUNT(*),
                            MIN(CASE WHEN next_attempt_at <> ?1 THEN created_at END),
                            TOTAL(next_attempt_at = ?1)
                     FROM outbox WHERE sent_at IS NULL",
                )?
                .query_row([GIVEN_UP], |r| {
                    Ok(Health {
                        pending_mails: r.get(0)?,
                        oldest_pending_at: r.get(1)?,
                        given_up_mails: r.get::<_, f64>(2)? as usize,
                    })
                })?;
            tx.commit()?;
            Ok(health)
        })
    }

    fn undelivered_mails(
        &self,
        min_attempts: u32,
    ) -> impl Future<Output = Result<Vec<Undelivered>>> + Send {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, created_at, attempts, next_attempt_at FROM outbox
                 WHERE sent_at IS NULL AND (attempts >= ?1 OR next_attempt_at = ?2)
                 ORDER BY created_at, id",
            )?;
            let rows = statement.query_map(params![min_attempts, GIVEN_UP], |r| {
                Ok(Undelivered {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    attempts: r.get(2)?,
                    given_up: r.get::<_, i64>(3)? == GIVEN_UP,
                })
            })?;
            rows.collect()
        })
    }

    fn apply(&self, t: &Transition) -> impl Future<Output = Result<Applied>> + Send {
        self.with(|c| {
            // Returning before `commit` drops the transaction, which rolls everything back.
            let tx = c.transaction()?;
            let applied = apply_in(&tx, t)?;
            if applied == Applied::Done {
                tx.commit()?;
            }
            Ok(applied)
        })
    }

    fn correct(&self, correction: &Correction) -> impl Future<Output = Result<Applied>> + Send {
        let request = &correction.request;
        self.with(|c| {
            let tx = c.transaction()?;
            let applied = apply_in(&tx, &correction.transition)?;
            if applied != Applied::Done {
                return Ok(applied);
            }
            let changed = tx
                .prepare_cached(
                    "UPDATE requests SET record = ?2, cpts = ?3 WHERE reference = ?1 AND erased_at IS NULL",
                )?
                .execute(params![request.reference, json(request)?, request.cpts])?;
            if changed != 1 {
                return Ok(Applied::Conflict);
            }
            write_search_keys(&tx, &SearchKeys::of(request))?;
            forget_mails(&tx, &correction.forget)?;
            tx.commit()?;
            Ok(Applied::Done)
        })
    }

    fn erase(&self, erasure: &Erasure) -> impl Future<Output = Result<Applied>> + Send {
        let erased = &erasure.erased;
        self.with(|c| {
            let tx = c.transaction()?;
            let applied = apply_in(&tx, &erasure.transition)?;
            if applied != Applied::Done {
                return Ok(applied);
            }
            // What this deletes is listed in `Store::erase`'s documentation.
            let changed = tx
                .prepare_cached(
                    "UPDATE requests SET record = ?2, erased_at = ?3 WHERE reference = ?1 AND erased_at IS NULL",
                )?
                .execute(params![erased.reference, json(erased)?, erased.erased_at])?;
            if changed != 1 {
                return Ok(Applied::Conflict);
            }
            tx.prepare_cached("DELETE FROM timeline WHERE reference = ?1")?
                .execute([&erased.reference])?;
            delete_search_keys(&tx, &erased.reference)?;
            forget_mails(&tx, &erasure.forget)?;
            tx.commit()?;
            Ok(Applied::Done)
        })
    }

    fn purge(&self, now: i64) -> impl Future<Output = Result<Purged>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            // The same end as `retention::request_ends`, on the case's closure.
            let ended: Vec<String> = tx
                .prepare_cached(
                    "SELECT r.reference FROM requests r LEFT JOIN cases c ON c.reference = r.reference
                     WHERE min(r.created_at + ?2,
                               coalesce(json_extract(c.record, '$.closure.at') + ?3, r.created_at + ?2)) <= ?1",
                )?
                .query_map(
                    params![
                        now,
                        retention::OPEN_REQUEST.seconds,
                        retention::CLOSED_REQUEST.seconds
                    ],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?;
            for reference in &ended {
                tx.prepare_cached("DELETE FROM timeline WHERE reference = ?1")?
                    .execute([reference])?;
                delete_search_keys(&tx, reference)?;
                for table in ["proposals", "cases", "requests"] {
                    tx.prepare_cached(&format!("DELETE FROM {table} WHERE reference = ?1"))?
                        .execute([reference])?;
                }
            }
            let audit_entries = tx
                .prepare_cached("DELETE FROM audit_log WHERE at <= ?1")?
                .execute([now - retention::AUDIT_ENTRY.seconds])?;
            let sent_mails = tx
                .prepare_cached("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= ?1")?
                .execute([now - retention::SENT_MAIL.seconds])?;
            let technical = tx
                .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
                .execute([now])?
                + tx.prepare_cached("DELETE FROM used_once WHERE expires_at < ?1")?
                    .execute([now])?
                + tx.prepare_cached("DELETE FROM rate_counters WHERE counted_at <= ?1")?
                    .execute([now - retention::RATE_COUNTER.seconds])?;
            let join_offers = tx
                .prepare_cached("DELETE FROM join_offers WHERE ends_at <= ?1")?
                .execute([now])?;
            tx.commit()?;
            Ok(Purged {
                requests: ended.len(),
                audit_entries,
                sent_mails,
                technical,
                join_offers,
            })
        })
    }

    fn erased(&self, reference: &str) -> impl Future<Output = Result<Option<Erased>>> + Send {
        self.with(|c| {
            let text: Option<String> = c
                .prepare_cached(
                    "SELECT record FROM requests WHERE reference = ?1 AND erased_at IS NOT NULL",
                )?
                .query_row([reference], |r| r.get(0))
                .optional()?;
            text.map(|t| from_json(&t)).transpose()
        })
    }

    fn case(&self, reference: &str) -> impl Future<Output = Result<Option<Case>>> + Send {
        self.with(|c| {
            let text: Option<String> = c
                .prepare_cached("SELECT record FROM cases WHERE reference = ?1")?
                .query_row([reference], |r| r.get(0))
                .optional()?;
            text.map(|t| from_json(&t)).transpose()
        })
    }

    fn cases(
        &self,
        states: &[CaseState],
        cpts: Option<Option<&str>>,
    ) -> impl Future<Output = Result<Vec<Case>>> + Send {
        let codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
        let placeholders = vec!["?"; codes.len()].join(", ");
        self.with(|c| {
            let mut sql = format!("SELECT record FROM cases WHERE state IN ({placeholders})");
            let mut values: Vec<Option<&str>> = codes.iter().map(|c| Some(*c)).collect();
            match cpts {
                None => {}
                Some(None) => sql.push_str(" AND cpts IS NULL"),
                Some(Some(id)) => {
                    sql.push_str(" AND cpts = ?");
                    values.push(Some(id));
                }
            }
            sql.push_str(" ORDER BY created_at, reference");
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(values), |r| {
                r.get::<_, String>(0)
            })?;
            rows.map(|row| from_json(&row?)).collect()
        })
    }

    fn proposal(&self, id: &str) -> impl Future<Output = Result<Option<Proposal>>> + Send {
        self.with(|c| {
            let text: Option<String> = c
                .prepare_cached("SELECT record FROM proposals WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            text.map(|t| from_json(&t)).transpose()
        })
    }

    fn open_proposals(&self) -> impl Future<Output = Result<Vec<Proposal>>> + Send {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT record FROM proposals WHERE state IN ('proposed', 'validated') ORDER BY created_at, id",
            )?;
            let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|row| from_json(&row?)).collect()
        })
    }

    fn doctor_loads(&self, period: i32) -> impl Future<Output = Result<Vec<DoctorLoad>>> + Send {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT d.doctor, l.load, l.accepted, d.last_solicited_at, d.paused_until
                 FROM doctors d LEFT JOIN doctor_loads l ON l.doctor = d.doctor AND l.period = ?1
                 UNION ALL
                 SELECT l.doctor, l.load, l.accepted, NULL, NULL
                 FROM doctor_loads l WHERE l.period = ?1
                   AND NOT EXISTS (SELECT 1 FROM doctors d WHERE d.doctor = l.doctor)
                 ORDER BY 1",
            )?;
            let rows = statement.query_map([period], |r| {
                let paused: Option<String> = r.get(4)?;
                Ok(DoctorLoad {
                    doctor: r.get(0)?,
                    period,
                    load: r.get::<_, Option<u32>>(1)?.unwrap_or(0),
                    accepted: r.get::<_, Option<u32>>(2)?.unwrap_or(0),
                    last_solicited_at: r.get(3)?,
                    paused_until: paused.and_then(|p| p.parse().ok()),
                })
            })?;
            rows.collect()
        })
    }

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| insert_audit(c, entry))
    }

    fn declare(
        &self,
        declaration: &Declaration,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            write_declaration(&tx, declaration, audit)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn declarations(&self) -> impl Future<Output = Result<Declarations>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            let stamp = declarations_stamp(&tx)?;
            let list = tx
                .prepare_cached("SELECT record FROM declarations ORDER BY doctor")?
                .query_map([], |r| r.get::<_, String>(0))?
                .map(|text| from_json(&text?))
                .collect::<rusqlite::Result<Vec<Declaration>>>()?;
            Ok(Declarations { stamp, list })
        })
    }

    fn offer_to_join(
        &self,
        offer: &JoinOffer,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM join_offers WHERE id = ?1")?
                .exists([&offer.id])?;
            if exists {
                return Ok(Registered::Duplicate(offer.id.clone()));
            }
            if !count_within(&tx, limits, offer.offered_at)? {
                return Ok(Registered::Limited);
            }
            tx.prepare_cached(
                "INSERT INTO join_offers (id, cpts, offered_at, pending, ends_at, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                offer.id,
                offer.cpts,
                offer.offered_at,
                offer.is_pending(),
                offer.ends_at(),
                json(offer)?
            ])?;
            insert_mail(&tx, mail, offer.offered_at)?;
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(Registered::New)
        })
    }

    fn join_offer(&self, id: &str) -> impl Future<Output = Result<Option<JoinOffer>>> + Send {
        self.with(|c| {
            c.prepare_cached("SELECT record FROM join_offers WHERE id = ?1")?
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()?
                .map(|text| from_json(&text))
                .transpose()
        })
    }

    fn join_offers(
        &self,
        cpts: Option<&str>,
    ) -> impl Future<Output = Result<Vec<JoinOffer>>> + Send {
        self.with(|c| {
            c.prepare_cached(
                "SELECT record FROM join_offers WHERE ?1 IS NULL OR cpts = ?1 ORDER BY offered_at, id",
            )?
            .query_map([cpts], |r| r.get::<_, String>(0))?
            .map(|text| from_json(&text?))
            .collect::<rusqlite::Result<Vec<JoinOffer>>>()
        })
    }

    fn decide_join_offer(
        &self,
        decided: &JoinOffer,
        audit: &AuditEntry,
        joined: Option<&Joined<'_>>,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            let changed = tx
                .prepare_cached(
                    "UPDATE join_offers SET pending = ?2, ends_at = ?3, record = ?4 WHERE id = ?1 AND pending = 1",
                )?
                .execute(params![
                    decided.id,
                    decided.is_pending(),
                    decided.ends_at(),
                    json(decided)?
                ])?;
            if changed == 0 {
                return Ok(false);
            }
            insert_audit(&tx, audit)?;
            if let Some(joined) = joined {
                write_declaration(&tx, joined.declaration, joined.declared)?;
                insert_mail(&tx, joined.welcome, audit.at)?;
            }
            tx.commit()?;
            Ok(true)
        })
    }

    fn declarations_stamp(&self) -> impl Future<Output = Result<u64>> + Send {
        self.with(|c| declarations_stamp(c))
    }

    fn confirmation_asks(&self) -> impl Future<Output = Result<Vec<ConfirmationAsk>>> + Send {
        self.with(|c| {
            c.prepare_cached("SELECT record FROM confirmation_asks ORDER BY doctor")?
                .query_map([], |r| r.get::<_, String>(0))?
                .map(|text| from_json(&text?))
                .collect()
        })
    }

    fn ask_confirmation(
        &self,
        ask: &ConfirmationAsk,
        expected: Option<&ConfirmationAsk>,
        mail: &Mail,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            let stored: Option<String> = tx
                .prepare_cached("SELECT record FROM confirmation_asks WHERE doctor = ?1")?
                .query_row([&ask.doctor], |r| r.get(0))
                .optional()?;
            let stored: Option<ConfirmationAsk> =
                stored.map(|text| from_json(&text)).transpose()?;
            if stored.as_ref() != expected {
                return Ok(false);
            }
            tx.prepare_cached(
                "INSERT INTO confirmation_asks (doctor, record) VALUES (?1, ?2)
                 ON CONFLICT (doctor) DO UPDATE SET record = ?2",
            )?
            .execute(params![ask.doctor, json(ask)?])?;
            insert_mail(&tx, mail, audit.at)?;
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT at, actor, action, object FROM audit_log WHERE object = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map([object], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    object: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    fn timeline(&self, reference: &str) -> impl Future<Output = Result<Vec<TimelineEntry>>> + Send {
        self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT record FROM timeline WHERE reference = ?1 ORDER BY id")?;
            let rows = statement.query_map([reference], |r| r.get::<_, String>(0))?;
            rows.map(|row| from_json(&row?)).collect()
        })
    }

    fn use_once(&self, key: &str, expires_at: i64) -> impl Future<Output = Result<bool>> + Send {
        self.with(|c| {
            let inserted = c
                .prepare_cached(
                    "INSERT INTO used_once (key, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute(params![key, expires_at])?;
            Ok(inserted == 1)
        })
    }

    fn queue_mail(
        &self,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            if !count_within(&tx, limits, now)? {
                return Ok(false);
            }
            insert_mail(&tx, mail, now)?;
            insert_audit(&tx, audit)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn open_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| {
            let tx = c.transaction()?;
            // What has expired is of no use to anyone: purged as new sessions open.
            tx.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
                .execute([session.created_at])?;
            tx.prepare_cached("DELETE FROM used_once WHERE expires_at < ?1")?
                .execute([session.created_at])?;
            tx.prepare_cached(
                "INSERT INTO sessions (id_hash, staff, created_at, expires_at, agent_hash, csrf) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                session.id_hash,
                session.staff,
                session.created_at,
                session.expires_at,
                session.agent_hash,
                session.csrf
            ])?;
            tx.commit()
        })
    }

    fn session(&self, id_hash: &str) -> impl Future<Output = Result<Option<Session>>> + Send {
        self.with(|c| {
            c.prepare_cached(
                "SELECT id_hash, staff, created_at, expires_at, agent_hash, csrf FROM sessions WHERE id_hash = ?1",
            )?
            .query_row([id_hash], |r| {
                Ok(Session {
                    id_hash: r.get(0)?,
                    staff: r.get(1)?,
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                    agent_hash: r.get(4)?,
                    csrf: r.get(5)?,
                })
            })
            .optional()
        })
    }

    fn close_session(&self, id_hash: &str) -> impl Future<Output = Result<()>> + Send {
        self.with(|c| {
            c.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
                .execute([id_hash])?;
            Ok(())
        })
    }

    fn close_sessions_of(&self, staff: &str) -> impl Future<Output = Result<usize>> + Send {
        self.with(|c| {
            c.prepare_cached("DELETE FROM sessions WHERE staff = ?1")?
                .execute([staff])
        })
    }

    fn search(&self, query: &Query, scope: &Scope) -> impl Future<Output = Result<Found>> + Send {
        self.with(|c| {
            let vocabulary: Vec<String> = if query.name_words().next().is_some() {
                c.prepare_cached("SELECT word FROM search_vocabulary")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                Vec::new()
            };
            let mut conditions = vec![scope_condition(scope)];
            conditions.extend(query.terms.iter().map(|t| term_condition(t, &vocabulary)));
            let (sql, values): (Vec<String>, Vec<_>) = conditions.into_iter().unzip();
            let sql = format!(
                "SELECT k.reference, k.created_at, k.cpts, k.commune, c.state, r.record
                 FROM search_keys k JOIN cases c ON c.reference = k.reference
                 JOIN requests r ON r.reference = k.reference
                 WHERE {} ORDER BY k.created_at DESC, k.reference DESC LIMIT {}",
                sql.join(" AND "),
                search::LIMIT + 1
            );
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map(
                rusqlite::params_from_iter(values.into_iter().flatten()),
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )?;
            let mut found = Found::default();
            for row in rows {
                let (reference, created_at, cpts, commune, state, record) = row?;
                if found.hits.len() == search::LIMIT {
                    found.more = true;
                    break;
                }
                let request: Request = from_json(&record)?;
                found.hits.push(Hit {
                    reference,
                    name: search::display_name(&request),
                    commune,
                    cpts,
                    state: case_state(&state)?,
                    created_at,
                });
            }
            Ok(found)
        })
    }

    fn possible_duplicates(
        &self,
        who: &Identity,
        except: Option<&str>,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<String>>> + Send {
        self.with(|c| {
            let (scope_sql, scope_values) = scope_condition(scope);
            let sql = format!(
                "SELECT k.reference FROM search_keys k JOIN cases c ON c.reference = k.reference
                 WHERE (k.phone = ? OR (k.name = ? AND k.birth_date = ?))
                   AND c.state <> 'closed' AND k.reference IS NOT ? AND {scope_sql}
                 ORDER BY k.created_at DESC, k.reference DESC"
            );
            use rusqlite::types::Value::{Null, Text};
            let mut values = vec![
                Text(who.phone.clone()),
                Text(who.name.clone()),
                Text(who.birth_date.to_string()),
                except.map_or(Null, |e| Text(e.to_string())),
            ];
            values.extend(scope_values);
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?;
            rows.collect()
        })
    }
}

/// The case state stored as `code`.
fn case_state(code: &str) -> rusqlite::Result<CaseState> {
    CaseState::ALL
        .into_iter()
        .find(|s| s.code() == code)
        .ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown case state {code}").into(),
            )
        })
}
