//! `cpts-bench`: measures the site build on three inputs and prints the figures against the
//! targets of the project — the demo site, a plain markdown corpus built by `cpts` and by Hugo in
//! the same run, and a synthetic national territory (wall time and peak memory) — then matching
//! at national scale (one request, and a re-examination of every waiting case).
//!
//! Usage: cpts-bench [--pages N] [--communes N] [--doctors N] [--runs N] [--work DIR]
//!                   [--requests N] [--cases N] [--stored N]
//!                   [--only demo|corpus|national|matching|search]

mod corpus;
mod matching;
mod measure;
mod national;
mod random;
mod search;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use measure::{mebibytes, median_of, seconds};

/// Every build is dated the same day, so the territory's declarations are never stale.
const TODAY: &str = "2026-11-24";

struct Options {
    pages: usize,
    communes: usize,
    doctors: usize,
    runs: usize,
    /// Requests timed one by one in the matching part.
    requests: usize,
    /// Waiting cases re-examined at once in the matching part.
    cases: usize,
    /// Requests stored before the searches are timed.
    stored: usize,
    work: PathBuf,
    only: Option<String>,
    keep: bool,
}

fn parse() -> Result<Options, String> {
    let default_work = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm/cpts-bench")
    } else {
        std::env::temp_dir().join("cpts-bench")
    };
    let mut options = Options {
        pages: 10_000,
        communes: 35_000,
        doctors: 100_000,
        runs: 3,
        requests: 10_000,
        cases: 1_000_000,
        stored: 100_000,
        work: default_work,
        only: None,
        keep: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--keep" {
            options.keep = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--pages" => options.pages = number()?,
            "--communes" => options.communes = number()?.max(1),
            "--doctors" => options.doctors = number()?,
            "--runs" => options.runs = number()?.max(1),
            "--requests" => options.requests = number()?.max(1),
            "--cases" => options.cases = number()?,
            "--stored" => options.stored = number()?.max(1),
            "--work" => options.work = PathBuf::from(&value),
            "--only" => options.only = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cpts-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cpts-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let wants = |part: &str| options.only.as_deref().is_none_or(|o| o == part);
    if let Some(only) = options.only.as_deref()
        && !["demo", "corpus", "national", "matching", "search"].contains(&only)
    {
        return Err(format!(
            "--only {only}: expected demo, corpus, national, matching or search"
        ));
    }
    if wants("demo") || wants("corpus") || wants("national") {
        let cpts = cpts_binary()?;
        std::fs::create_dir_all(&options.work)
            .map_err(|e| format!("{}: {e}", options.work.display()))?;
        println!(
            "cpts-bench: {} (work folder {})",
            cpts.display(),
            options.work.display()
        );
        if wants("demo") {
            demo(&cpts, options)?;
        }
        if wants("corpus") {
            corpus(&cpts, options)?;
        }
        if wants("national") {
            national(&cpts, options)?;
        }
        if !options.keep {
            let _ = std::fs::remove_dir_all(&options.work);
        }
    }
    if wants("matching") {
        let today = TODAY.parse().map_err(|e| format!("{TODAY}: {e}"))?;
        matching::run(
            &matching::Size {
                communes: options.communes,
                doctors: options.doctors,
                requests: options.requests,
                cases: options.cases,
            },
            today,
        );
    }
    if wants("search") {
        std::fs::create_dir_all(&options.work)
            .map_err(|e| format!("{}: {e}", options.work.display()))?;
        let today = TODAY.parse().map_err(|e| format!("{TODAY}: {e}"))?;
        search::run(options.stored, &options.work, today)?;
        if !options.keep {
            let _ = std::fs::remove_dir_all(&options.work);
        }
    }
    Ok(())
}

/// `cpts` sits beside this binary in the same target folder.
fn cpts_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let cpts = me.with_file_name("cpts");
    if cpts.is_file() {
        Ok(cpts)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release -p site`",
            cpts.display()
        ))
    }
}

/// A build as communication staff run it: the previous site is replaced, the poster cache beside
/// it is kept (the warm-up run draws the posters; later runs reuse what did not change).
fn cpts_build(cpts: &Path, content: &Path, out: &Path) -> Command {
    let _ = std::fs::remove_dir_all(out.join("site"));
    let mut command = Command::new(cpts);
    command
        .args(["build", "--content"])
        .arg(content)
        .arg("--out")
        .arg(out)
        .env("CPTS_TODAY", TODAY);
    command
}

fn verdict(ok: bool) -> &'static str {
    if ok { "target met" } else { "TARGET MISSED" }
}

fn demo(cpts: &Path, options: &Options) -> Result<(), String> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let out = options.work.join("demo-out");
    let _ = std::fs::remove_dir_all(&out);
    let run = median_of(options.runs.max(5), || cpts_build(cpts, &content, &out))?;
    println!(
        "demo site (content/): {} median, peak memory {} (first build, posters drawn: {}) — target < 1 s: {}",
        seconds(run.wall),
        mebibytes(run.peak_rss),
        seconds(run.first),
        verdict(run.wall < Duration::from_secs(1))
    );
    Ok(())
}

fn corpus(cpts: &Path, options: &Options) -> Result<(), String> {
    let root = options.work.join("corpus");
    let _ = std::fs::remove_dir_all(&root);
    corpus::write(&root, options.pages).map_err(|e| format!("writing the corpus: {e}"))?;
    let ours = median_of(options.runs, || {
        cpts_build(cpts, &root.join("cpts"), &root.join("cpts-out"))
    })?;
    println!(
        "corpus of {} pages in {} sections, cpts: {} median, peak memory {}",
        options.pages,
        corpus::SECTIONS,
        seconds(ours.wall),
        mebibytes(ours.peak_rss)
    );
    let hugo_out = root.join("hugo-out");
    let hugo = median_of(options.runs, || {
        let _ = std::fs::remove_dir_all(&hugo_out);
        let mut command = Command::new("hugo");
        command
            .arg("--source")
            .arg(root.join("hugo"))
            .arg("--destination")
            .arg(&hugo_out)
            .arg("--quiet");
        command
    })
    .map_err(|e| format!("{e}\n(Hugo is needed for the comparison: apt-get install hugo)"))?;
    let ratio = ours.wall.as_secs_f64() / hugo.wall.as_secs_f64();
    println!(
        "corpus of {} pages in {} sections, Hugo: {} median, peak memory {}",
        options.pages,
        corpus::SECTIONS,
        seconds(hugo.wall),
        mebibytes(hugo.peak_rss)
    );
    println!(
        "cpts / Hugo wall time: {ratio:.3} (1/{:.1}) — target ≤ 1/10: {}",
        1.0 / ratio,
        verdict(ratio <= 0.1)
    );
    Ok(())
}

fn national(cpts: &Path, options: &Options) -> Result<(), String> {
    let content = options.work.join("national");
    let _ = std::fs::remove_dir_all(&content);
    let size = national::Size {
        communes: options.communes,
        doctors: options.doctors,
    };
    national::write(&content, &size, TODAY).map_err(|e| format!("writing the territory: {e}"))?;
    let out = options.work.join("national-out");
    let _ = std::fs::remove_dir_all(&out);
    let run = median_of(options.runs, || cpts_build(cpts, &content, &out))?;
    println!(
        "national territory ({} communes, {} doctors): {} median, peak memory {} (first build, posters drawn: {}) — target ≤ 10 s and ≤ 2 GiB: {}",
        options.communes,
        options.doctors,
        seconds(run.wall),
        mebibytes(run.peak_rss),
        seconds(run.first),
        verdict(run.wall <= Duration::from_secs(10) && run.peak_rss <= 2 << 30)
    );
    Ok(())
}
