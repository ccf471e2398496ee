//! The data folder `cpts serve` and `cpts jobs run` open (`.cpts/`): its signing keys, its file
//! modes, and `cpts backup` with its restore.

mod fixture;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_registrations_are_written_restores_whole() {
    let f = Fixture::complete();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(".cpts");
    let app = open(f.path(), &data).unwrap().app;
    const BEFORE: usize = 200;
    for i in 0..BEFORE {
        register(&app, &app.store, &format!("A{i:07}")).await;
    }
    // The server goes on writing while the backup runs, in another process.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, stop) = (std::sync::Arc::clone(&app), std::sync::Arc::clone(&stop));
        tokio::spawn(async move {
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                register(&app, &app.store, &format!("B{written:07}")).await;
                written += 1;
                tokio::task::yield_now().await;
            }
            written
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let saved = dir.path().join("sauvegarde");
    let (data_arg, saved_arg) = (data.clone(), saved.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cpts"))
            .arg("backup")
            .arg("--data")
            .arg(&data_arg)
            .arg(&saved_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let during = writer.await.unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("Sauvegarde faite"), "{said}");
    assert!(during > 0, "registrations were written during the backup");
    #[cfg(unix)]
    for file in [handler::DATABASE_FILE, handler::KEYS_FILE] {
        assert_eq!(mode(&saved.join(file)), 0o600, "{file}");
        assert!(
            said.contains(&saved.join(file).display().to_string()),
            "{said}"
        );
    }

    // Restore as the README says: the two files back into a (here fresh) data folder.
    let restored = dir.path().join("restauré");
    std::fs::create_dir(&restored).unwrap();
    for file in [handler::DATABASE_FILE, handler::KEYS_FILE] {
        std::fs::copy(saved.join(file), restored.join(file)).unwrap();
    }
    let back = open(f.path(), &restored)
        .expect("the restored folder opens")
        .app;
    let count = back.store.request_count().unwrap() as usize;
    assert!(
        (BEFORE..=BEFORE + during).contains(&count),
        "{count} requests restored, {BEFORE} written before the backup, {during} during"
    );
    for i in 0..BEFORE {
        let reference = format!("A{i:07}");
        assert!(
            back.store.request(&reference).await.unwrap().is_some(),
            "{reference}"
        );
    }
    // Links signed before the backup still verify after the restore.
    let token = app.keys.sign("voir", "A0000001", functions::now() + 600);
    assert!(back.keys.verify(&token, "voir", functions::now()).is_ok());
    // `backup` checks the copy's integrity: copying the restored database passes it too.
    SqliteStore::backup(
        &restored.join(handler::DATABASE_FILE),
        &dir.path().join("again.sqlite"),
    )
    .unwrap();
}
