//! The data folder `cpts serve` and `cpts jobs run` open (`.cpts/`): its signing keys, its file
//! modes, and `cpts backup` with its restore.

mod fixture;

use std::ffi::OsStr;
use std::path::Path;

use fixture::{Fixture, today};
use functions::domain::answers::Answers;
use functions::domain::lifecycle::{self, Mail, Request};
use functions::domain::priority;
use functions::domain::registration::{self, Parsed};
use functions::store::{SqliteStore, Store};
use site::handler::{self, Setup};

fn open(content: &Path, data: &Path) -> Result<handler::Opened, String> {
    handler::open(&Setup {
        content,
        data,
        links: handler::Links::Loopback(8000),
        today: today(),
        create: true,
    })
}

/// A valid request of the fixture's territory, `reference` its reference.
fn request(app: &handler::LocalApp, reference: &str) -> (Request, Mail) {
    let body = "gp_status=none&filled_by=patient&last_name=Martin&first_name=Paul&birth_date=14%2F07%2F1950&phone=06+12+34+56+78&call_time=any&commune=Sedan+%2808200%29&max_distance=20&home_visits=no&without_gp_since=1to2y&reason=retired&consent=oui";
    let territory = app.territory();
    let registration =
        match registration::parse(&Answers::from_form(body.as_bytes()), &territory, today()) {
            Parsed::Valid(r) => r,
            other => panic!(
                "the registration does not parse: {:?}",
                matches!(other, Parsed::NotEligible)
            ),
        };
    let request = Request {
        reference: reference.into(),
        created_at: functions::now(),
        cpts: territory.cpts.first().map(|c| c.id.clone()),
        priority: priority::assess(&registration, today()),
        registration: *registration,
        channel: Default::default(),
        intake: None,
    };
    let mail = Mail {
        id: format!("{reference}-coordination"),
        to: vec!["coordination@example.org".into()],
        subject: "Nouvelle demande".into(),
        text: String::new(),
        html: String::new(),
        reply_to: Vec::new(),
        from_name: None,
    };
    (request, mail)
}

async fn register(app: &handler::LocalApp, store: &SqliteStore, reference: &str) {
    let (request, mail) = request(app, reference);
    store
        .register(
            &lifecycle::open(request, mail),
            &format!("n-{reference}"),
            &[],
        )
        .await
        .expect("stored");
}

#[tokio::test]
async fn lost_keys_beside_a_database_with_requests_stop_the_start() {
    let f = Fixture::complete();
    let data = tempfile::tempdir().unwrap();
    let data = data.path().join(".cpts");
    // A new folder gets fresh keys of 32 bytes or more.
    let opened = open(f.path(), &data).unwrap();
    let keys_file = data.join(handler::KEYS_FILE);
    let ring = functions::signed::KeyRing::load_or_create(&keys_file).unwrap();
    ring.validate().unwrap();
    let app = opened.app;
    register(&app, &app.store, "R0000001").await;
    drop(app);

    std::fs::remove_file(&keys_file).unwrap();
    let error = open(f.path(), &data).err().expect("refused");
    assert!(
        error.contains("Les clés de signature ont disparu"),
        "{error}"
    );
    assert!(
        error.contains("Restaurez keys.json depuis la sauvegarde"),
        "{error}"
    );
    assert!(!keys_file.exists(), "no new keys were written");

    // An empty or short key in keys.json: the handler does not start.
    for (secret, said) in [("", "est vide"), ("c2hvcnQ", "ne fait que 5 octets")] {
        std::fs::write(
            &keys_file,
            format!(r#"{{"current": "k1", "keys": {{"k1": "{secret}"}}}}"#),
        )
        .unwrap();
        let error = open(f.path(), &data).err().expect("refused");
        assert!(
            error.contains("keys.json") && error.contains(said),
            "{error}"
        );
    }
    std::fs::write(
        &keys_file,
        r#"{"current": "k1", "keys": {"k1": "pas du base64 !"}}"#,
    )
    .unwrap();
    let error = open(f.path(), &data).err().expect("refused");
    assert!(error.contains("pas du base64url valide"), "{error}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_is_readable_by_its_owner_only() {
    let f = Fixture::complete();
    let data = tempfile::tempdir().unwrap();
    let data = data.path().join(".cpts");
    let app = open(f.path(), &data).unwrap().app;
    register(&app, &app.store, "R0000002").await;
    // The coordinator's mail goes to the outbox.
    app.deliver_due(functions::now()).await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&handler::outbox_dir(&data)), 0o700);
    for file in [
        "cpts.sqlite",
        "cpts.sqlite-wal",
        "cpts.sqlite-shm",
        "keys.json",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let mails: Vec<_> = std::fs::read_dir(handler::outbox_dir(&data))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!mails.is_empty(), "a mail was written");
    for mail in mails {
        assert_eq!(mode(&mail), 0o600, "{}", mail.display());
    }
    // A database left world-readable by an older version is made private at start.
    drop(app);
    std::fs::set_permissions(
        data.join("cpts.sqlite"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let _app = open(f.path(), &data).unwrap().app;
    assert_eq!(mode(&data.join("cpts.sqlite")), 0o600);
}

/// Runs `cpts` with `args`; its success and its error output.
fn cpts(args: &[&OsStr]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cpts"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn restore(data: &Path, source: &Path, force: bool) -> (bool, String) {
    let mut args = vec![
        OsStr::new("restore"),
        OsStr::new("--data"),
        data.as_os_str(),
    ];
    if force {
        args.push(OsStr::new("--force"));
    }
    args.push(source.as_os_str());
    cpts(&args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_registrations_are_written_restores_whole() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let f = Fixture::complete();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(".cpts");
    let opened = open(f.path(), &data).unwrap();
    let app = Arc::clone(&opened.app);
    const BEFORE: usize = 200;
    for i in 0..BEFORE {
        register(&app, &app.store, &format!("A{i:07}")).await;
    }
    // The server goes on writing while the backup runs, in another process.
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (app, stop, committed) = (Arc::clone(&app), Arc::clone(&stop), Arc::clone(&committed));
        tokio::spawn(async move {
            let mut written = 0;
            while !stop.load(Ordering::SeqCst) {
                register(&app, &app.store, &format!("B{written:07}")).await;
                written += 1;
                committed.store(written, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
            written
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let saved = dir.path().join("sauvegarde");
    // Every registration committed by now must be in the backup.
    let committed_before = committed.load(Ordering::SeqCst);
    let (data_arg, saved_arg) = (data.clone(), saved.clone());
    let (ok, said) = tokio::task::spawn_blocking(move || {
        cpts(&[
            OsStr::new("backup"),
            OsStr::new("--data"),
            data_arg.as_os_str(),
            saved_arg.as_os_str(),
        ])
    })
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let during = writer.await.unwrap();
    assert!(ok, "{said}");
    assert!(said.contains("Sauvegarde faite"), "{said}");
    assert!(said.contains("cpts restore"), "{said}");
    assert!(
        committed_before > 0,
        "registrations were written before the backup started"
    );
    assert!(
        during > committed_before,
        "registrations were written during the backup"
    );
    #[cfg(unix)]
    for file in [handler::DATABASE_FILE, handler::KEYS_FILE] {
        assert_eq!(mode(&saved.join(file)), 0o600, "{file}");
        assert!(
            said.contains(&saved.join(file).display().to_string()),
            "{said}"
        );
    }

    // While the server uses its data folder, a restore into it is refused and changes nothing.
    let (ok, said) = restore(&data, &saved, true);
    assert!(!ok, "{said}");
    assert!(said.contains("est utilisé par un serveur"), "{said}");
    assert!(said.contains("Restauration non faite"), "{said}");
    assert!(
        !std::fs::read_dir(&data).unwrap().flatten().any(|e| e
            .file_name()
            .to_string_lossy()
            .starts_with("avant-restauration")),
        "nothing was moved"
    );

    // Restore into a fresh data folder.
    let restored = dir.path().join("restauré");
    let (ok, said) = restore(&restored, &saved, false);
    assert!(ok, "{said}");
    assert!(said.contains("Restauration faite"), "{said}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&restored), 0o700);
        for file in [handler::DATABASE_FILE, handler::KEYS_FILE] {
            assert_eq!(mode(&restored.join(file)), 0o600, "{file}");
        }
    }
    // The restored database is sound.
    let count = SqliteStore::check(&restored.join(handler::DATABASE_FILE)).unwrap() as usize;
    let back = open(f.path(), &restored)
        .expect("the restored folder opens")
        .app;
    assert_eq!(back.store.request_count().unwrap() as usize, count);
    assert!(
        (BEFORE + committed_before..=BEFORE + during).contains(&count),
        "{count} requests restored, {BEFORE} written before the writer, {committed_before} more before the backup, {during} in all"
    );
    assert!(said.contains(&format!("{count} demande(s)")), "{said}");
    let references = (0..BEFORE)
        .map(|i| format!("A{i:07}"))
        .chain((0..committed_before).map(|i| format!("B{i:07}")));
    for reference in references {
        assert!(
            back.store.request(&reference).await.unwrap().is_some(),
            "{reference} was committed before the backup started"
        );
    }
    // Links signed before the backup still verify after the restore.
    let token = app.keys.sign("voir", "A0000001", functions::now() + 600);
    assert!(back.keys.verify(&token, "voir", functions::now()).is_ok());
    drop(back);

    // The restored folder now holds data: a second restore is refused without --force...
    let (ok, said) = restore(&restored, &saved, false);
    assert!(!ok, "{said}");
    assert!(said.contains("contient déjà des données"), "{said}");
    assert!(said.contains("--force"), "{said}");
    // ...and with it, the data are moved aside, not deleted.
    let before = std::fs::read(restored.join(handler::KEYS_FILE)).unwrap();
    let (ok, said) = restore(&restored, &saved, true);
    assert!(ok, "{said}");
    let aside: Vec<_> = std::fs::read_dir(&restored)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("avant-restauration-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(said.contains(&aside[0].display().to_string()), "{said}");
    assert_eq!(
        std::fs::read(aside[0].join(handler::KEYS_FILE)).unwrap(),
        before
    );
    assert_eq!(
        SqliteStore::check(&aside[0].join(handler::DATABASE_FILE)).unwrap() as usize,
        count
    );
    #[cfg(unix)]
    assert_eq!(mode(&aside[0]), 0o700);
    drop(opened);
}

#[test]
fn a_damaged_backup_is_refused_before_anything_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("sauvegarde");
    std::fs::create_dir(&saved).unwrap();
    let data = dir.path().join(".cpts");
    // A folder without the database.
    let (ok, said) = restore(&data, &saved, false);
    assert!(!ok);
    assert!(said.contains("cpts.sqlite manque"), "{said}");

    let ring = functions::signed::KeyRing::generate();
    std::fs::write(
        saved.join(handler::KEYS_FILE),
        serde_json::to_string(&ring).unwrap(),
    )
    .unwrap();
    // Not a database at all.
    std::fs::write(saved.join(handler::DATABASE_FILE), b"pas une base").unwrap();
    let (ok, said) = restore(&data, &saved, false);
    assert!(!ok);
    assert!(
        said.contains("n'est pas une base SQLite lisible") && said.contains("cpts.sqlite"),
        "{said}"
    );
    // A database whose pages were damaged.
    let database = saved.join(handler::DATABASE_FILE);
    std::fs::remove_file(&database).unwrap();
    {
        let store = SqliteStore::open(&database).unwrap();
        drop(store);
    }
    let mut bytes = std::fs::read(&database).unwrap();
    // Every page after the first (the schema) scrambled.
    assert!(bytes.len() > 4096 * 4, "the handler's tables take pages");
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xA5;
    }
    std::fs::write(&database, &bytes).unwrap();
    let (ok, said) = restore(&data, &saved, false);
    assert!(!ok);
    assert!(
        said.contains("cpts.sqlite") && said.contains("autre sauvegarde"),
        "{said}"
    );
    // A sound database with an empty key.
    std::fs::remove_file(&database).unwrap();
    drop(SqliteStore::open(&database).unwrap());
    std::fs::write(
        saved.join(handler::KEYS_FILE),
        r#"{"current": "k1", "keys": {"k1": ""}}"#,
    )
    .unwrap();
    let (ok, said) = restore(&data, &saved, false);
    assert!(!ok);
    assert!(
        said.contains("keys.json est refusé") && said.contains("est vide"),
        "{said}"
    );
    assert!(!data.exists(), "the data folder was not created");
}
