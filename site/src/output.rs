//! Writing the site: everything goes to a fresh folder beside the old site, which is swapped in
//! whole only when the build succeeded, so visitors never see half a site.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use territory::Diagnostic;

use crate::build::{Rendered, Site};
use crate::posters;
use crate::statics::Bytes;

pub const SITE_DIR: &str = "site";
/// Rendered posters kept between builds, beside the site folder (which is swapped whole).
pub const POSTER_CACHE: &str = ".cache/affiches";

pub enum WriteError {
    Content(Vec<Diagnostic>),
    Io(PathBuf, io::Error),
}

/// A site written in full.
pub struct Written {
    /// `out_dir/site`.
    pub dir: PathBuf,
    /// What the posters cost, when posters are built.
    pub posters: Option<posters::Report>,
}

/// Renders `site` into `out_dir/site` and returns that folder. On failure the previous
/// `out_dir/site` stays untouched.
pub fn write(site: &Site, out_dir: &Path) -> Result<PathBuf, WriteError> {
    write_with_report(site, out_dir).map(|written| written.dir)
}

/// `write`, also returning what the posters cost.
pub fn write_with_report(site: &Site, out_dir: &Path) -> Result<Written, WriteError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |e| WriteError::Io(path, e)
    };
    fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let final_dir = out_dir.join(SITE_DIR);
    let fresh = out_dir.join(format!(".{SITE_DIR}.new-{}", std::process::id()));
    if fresh.exists() {
        fs::remove_dir_all(&fresh).map_err(io_err(&fresh))?;
    }
    fs::create_dir(&fresh).map_err(io_err(&fresh))?;

    let rendered = match fill(site, &fresh) {
        Ok(rendered) => rendered,
        Err(e) => {
            let _ = fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };

    let old = out_dir.join(format!(".{SITE_DIR}.old-{}", std::process::id()));
    if final_dir.exists() {
        fs::rename(&final_dir, &old).map_err(io_err(&final_dir))?;
    }
    fs::rename(&fresh, &final_dir).map_err(io_err(&final_dir))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    Ok(Written {
        dir: final_dir,
        posters: rendered.posters,
    })
}

fn fill(site: &Site, dir: &Path) -> Result<Rendered, WriteError> {
    let sink = |relative: &str, bytes: &[u8]| write_file(&dir.join(relative), bytes);
    let rendered = site.render(&sink).map_err(WriteError::Content)?;
    for file in site.statics() {
        let target = dir.join(&file.path);
        let copied = match &file.bytes {
            Bytes::Builtin(bytes) => write_file(&target, bytes),
            Bytes::File(source) => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)
                        .map_err(|e| WriteError::Io(parent.to_path_buf(), e))?;
                }
                fs::copy(source, &target).map(|_| ())
            }
        };
        copied.map_err(|e| WriteError::Io(target, e))?;
    }
    Ok(rendered)
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::write(path, bytes) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, bytes)
        }
        other => other,
    }
}
