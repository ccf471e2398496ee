//! Runs a command as a child process and measures its wall time and peak resident memory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub wall: Duration,
    /// Wall time of the warm-up run (cold caches), when this is a median.
    pub first: Duration,
    /// Peak resident set size of the child, in bytes (from `wait4`'s rusage).
    pub peak_rss: u64,
}

/// Runs `command` to completion, failing with its stderr when it does not succeed.
pub fn run(command: &mut Command) -> Result<Run, String> {
    let shown = format!("{command:?}");
    let start = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr;
    // Drain stderr on a thread so that a chatty child cannot block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = stderr {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        }
        text
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we spawned and have not reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    let stderr = reader.join().unwrap_or_default();
    if reaped != pid {
        return Err(format!("{shown}: wait4 failed"));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{shown} failed:\n{stderr}"));
    }
    Ok(Run {
        wall,
        first: wall,
        // Linux reports ru_maxrss in kilobytes.
        peak_rss: usage.ru_maxrss as u64 * 1024,
    })
}

/// Runs the command `times` times after one warm-up run and keeps the median wall time (and the
/// largest peak memory seen).
pub fn median_of(times: usize, mut make: impl FnMut() -> Command) -> Result<Run, String> {
    let first = run(&mut make())?.wall;
    let mut runs = Vec::with_capacity(times);
    for _ in 0..times {
        runs.push(run(&mut make())?);
    }
    let peak_rss = runs.iter().map(|r| r.peak_rss).max().unwrap_or(0);
    runs.sort_by_key(|r| r.wall);
    Ok(Run {
        wall: runs[runs.len() / 2].wall,
        first,
        peak_rss,
    })
}

pub fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn mebibytes(bytes: u64) -> String {
    format!("{:.0} Mio", bytes as f64 / (1024.0 * 1024.0))
}
