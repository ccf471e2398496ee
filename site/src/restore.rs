//! `cpts restore`: puts a folder written by `cpts backup` back as the data folder's database and
//! signing keys. The server must be stopped (the data folder's lock says so); what the data folder
//! held before is moved aside, never deleted; the backup is checked before anything is touched.

use std::path::{Path, PathBuf};

use functions::signed::KeyRing;
use functions::store::SqliteStore;

use crate::handler::{self, DATABASE_FILE, DataLock, KEYS_FILE};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The files written into the data folder.
    pub files: Vec<PathBuf>,
    /// How many requests the restored database holds.
    pub requests: u64,
    /// Where the data folder's previous files were moved (`--force`), if it had any.
    pub set_aside: Option<PathBuf>,
}

/// The database, its SQLite side files and the keys: what a restore replaces.
fn replaced(data: &Path) -> Vec<PathBuf> {
    [
        DATABASE_FILE.to_string(),
        format!("{DATABASE_FILE}-wal"),
        format!("{DATABASE_FILE}-shm"),
        format!("{DATABASE_FILE}-journal"),
        KEYS_FILE.to_string(),
    ]
    .iter()
    .map(|name| data.join(name))
    .filter(|path| path.symlink_metadata().is_ok())
    .collect()
}

/// A new folder `<data>/avant-restauration-<date and time>` (0700) for the files replaced.
fn aside_folder(data: &Path) -> Result<PathBuf, String> {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S").to_string();
    for n in 1..100 {
        let name = if n == 1 {
            format!("avant-restauration-{stamp}")
        } else {
            format!("avant-restauration-{stamp}-{n}")
        };
        let folder = data.join(name);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&folder) {
            Ok(()) => return Ok(folder),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("Impossible de créer {} : {e}", folder.display())),
        }
    }
    Err(format!(
        "Impossible de créer un dossier avant-restauration-{stamp} dans {} : trop de restaurations à la même seconde.",
        data.display()
    ))
}

/// Writes `bytes` to `path` (0600) through a temporary file renamed over it: a crash leaves the
/// old file or the new one, never half of one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".restauration");
    let temporary = path.with_file_name(name);
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&temporary)
        .and_then(|mut f| std::io::Write::write_all(&mut f, bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&temporary, path))
        .map_err(|e| format!("{} : {e}", path.display()))
}

/// Restores the backup folder `source` into the data folder `data`. Without `force`, a data
/// folder that already holds a database or keys is refused; with it, they are moved into
/// `<data>/avant-restauration-<date>/`. The error is a French sentence naming the file and the fix.
pub fn run(source: &Path, data: &Path, force: bool) -> Result<Restored, String> {
    let database = source.join(DATABASE_FILE);
    let keys = source.join(KEYS_FILE);
    for file in [&database, &keys] {
        if !file.is_file() {
            return Err(format!(
                "{} manque : donnez le dossier écrit par « cpts backup » (il contient {DATABASE_FILE} et {KEYS_FILE}).",
                file.display()
            ));
        }
    }
    // Both files checked before the data folder is touched.
    let requests = SqliteStore::check(&database)?;
    let key_text = std::fs::read(&keys).map_err(|e| format!("{} : {e}", keys.display()))?;
    serde_json::from_slice::<KeyRing>(&key_text)
        .map_err(|e| e.to_string())
        .and_then(|ring| ring.validate())
        .map_err(|e| {
            format!(
                "{} est refusé ({e}) : prenez le {KEYS_FILE} de la même sauvegarde que {DATABASE_FILE}.",
                keys.display()
            )
        })?;

    handler::private_folder(data)
        .map_err(|e| format!("Impossible de créer {} : {e}", data.display()))?;
    #[cfg(unix)]
    std::fs::set_permissions(data, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(|e| format!("{} : {e}", data.display()))?;
    // Held until the restore is done: no server starts on a half-restored folder.
    let _lock = DataLock::exclusive(data)?;

    let previous = replaced(data);
    let set_aside = if previous.is_empty() {
        None
    } else if !force {
        let names: Vec<String> = previous
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        return Err(format!(
            "{} contient déjà des données ({}) : rien n'a été remplacé. Pour les remplacer par la sauvegarde, \
             relancez avec --force : elles seront déplacées dans {}/avant-restauration-<date>/, rien n'est effacé.",
            data.display(),
            names.join(", "),
            data.display()
        ));
    } else {
        let folder = aside_folder(data)?;
        for file in &previous {
            let target = folder.join(file.file_name().expect("a file name"));
            std::fs::rename(file, &target).map_err(|e| {
                format!(
                    "Impossible de déplacer {} dans {} : {e}",
                    file.display(),
                    folder.display()
                )
            })?;
        }
        Some(folder)
    };

    // The database first: should the restore stop before the keys are written, the server
    // refuses to start (keys missing beside requests) rather than make new ones.
    let restored_database = data.join(DATABASE_FILE);
    let temporary = data.join(format!("{DATABASE_FILE}.restauration"));
    let _ = std::fs::remove_file(&temporary);
    SqliteStore::backup(&database, &temporary)
        .and_then(|()| {
            std::fs::rename(&temporary, &restored_database)
                .map_err(|e| format!("{} : {e}", restored_database.display()))
        })
        .map_err(|e| format!("Copie de la base impossible : {e}"))?;
    let restored_keys = data.join(KEYS_FILE);
    write_private(&restored_keys, &key_text)?;
    #[cfg(unix)]
    if let Ok(folder) = std::fs::File::open(data) {
        let _ = folder.sync_all();
    }
    Ok(Restored {
        files: vec![restored_database, restored_keys],
        requests,
        set_aside,
    })
}
