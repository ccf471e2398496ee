//! `cpts backup`: a consistent copy of the data folder's database, taken while the server runs,
//! and of its signing keys (without them every emailed link would die at restore), into a folder
//! of their own, both readable by their owner only.

use std::path::{Path, PathBuf};

use functions::store::SqliteStore;

use crate::handler::{DATABASE_FILE, KEYS_FILE};

/// The files written, or a French sentence saying what went wrong.
pub fn run(data: &Path, destination: &Path) -> Result<Vec<PathBuf>, String> {
    let database = data.join(DATABASE_FILE);
    let keys = data.join(KEYS_FILE);
    if !database.is_file() {
        return Err(format!(
            "Aucune base de données dans {} : vérifiez --data (le dossier de données de « cpts serve », .cpts par défaut).",
            data.display()
        ));
    }
    if !keys.is_file() {
        return Err(format!(
            "{} manque : sans les clés de signature, une sauvegarde ne garderait pas les liens envoyés valides.",
            keys.display()
        ));
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(destination)
        .map_err(|e| format!("Impossible de créer {} : {e}", destination.display()))?;
    let copied_database = destination.join(DATABASE_FILE);
    let copied_keys = destination.join(KEYS_FILE);
    for file in [&copied_database, &copied_keys] {
        if file.exists() {
            return Err(format!(
                "{} existe déjà : choisissez un dossier de sauvegarde vide (par exemple daté du jour).",
                file.display()
            ));
        }
    }
    SqliteStore::backup(&database, &copied_database)
        .map_err(|e| format!("Sauvegarde de la base impossible : {e}"))?;
    let text = std::fs::read(&keys).map_err(|e| format!("{} : {e}", keys.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&copied_keys)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &text).and_then(|_| f.sync_all()))
        .map_err(|e| format!("{} : {e}", copied_keys.display()))?;
    Ok(vec![copied_database, copied_keys])
}
