//! What a user of kongsync would feel, measured on the client side only: wall time, CPU time (user +
//! system, every thread) and peak resident memory, either of a piece of this process (`measure`) or
//! of a child process such as the built `kongsync` binary (`measure_command`). The gateway runs in
//! another process (`common/sim.rs`), so none of its work is counted here. Every figure is printed
//! beside the bound or target it is compared with (`Figures`); nothing here asserts a time.
//!
//! Linux only, read from `/proc` (the workspace forbids `unsafe`, so no `getrusage` call): CPU time
//! comes in clock ticks of 10 ms, and the peak is the kernel's high-water mark `VmHWM`, reset before
//! each measurement through `/proc/<pid>/clear_refs` so that successive measurements in one process
//! do not inherit each other's peaks.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, which Linux fixes at 100 on every
/// architecture whatever the kernel's own tick rate.
const TICKS_PER_SECOND: f64 = 100.0;

/// The client's cost of one measured piece of work.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub wall_s: f64,
    /// User + system CPU seconds of every thread.
    pub cpu_s: f64,
    /// Peak resident memory during the work, in MiB.
    pub peak_rss_mib: f64,
}

/// `pid` is a number or `self`.
fn proc_stat(pid: &str) -> Option<(char, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is parenthesised and may hold spaces: count from the last `)`.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (proc(5)).
    let state = fields.first()?.chars().next()?;
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    Some((state, (ticks(11) + ticks(12)) / TICKS_PER_SECOND))
}

/// CPU seconds used so far by process `pid` (`self` for this one).
pub fn cpu_seconds(pid: &str) -> f64 {
    proc_stat(pid).map_or(0.0, |(_, cpu)| cpu)
}

/// Peak resident memory of process `pid` since it started or since `reset_peak`, in MiB.
pub fn peak_rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Lowers the high-water mark to the present resident size (proc(5), `clear_refs` value 5), so
/// that the next `peak_rss_mib` is the peak of what follows.
pub fn reset_peak(pid: &str) {
    // A kernel without it (before 4.0) leaves the peak since start: an overestimate, never an
    // underestimate, so the figure stays safe to compare with a target.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Runs `work` in this process and measures it. Whatever the closure does counts, so build inputs
/// before calling it and let it do only what the user's command would do.
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, Usage) {
    reset_peak("self");
    let cpu = cpu_seconds("self");
    let started = Instant::now();
    let out = work();
    let wall_s = started.elapsed().as_secs_f64();
    let usage = Usage { wall_s, cpu_s: cpu_seconds("self") - cpu, peak_rss_mib: peak_rss_mib("self") };
    (out, usage)
}

/// Runs `command` as a child process (its output captured) and measures it. The peak is sampled
/// from the kernel's high-water mark every millisecond while the child runs (the mark only rises,
/// so only growth in its last millisecond could be missed); the CPU time is read once the child has
/// exited but before it is reaped, when its times are final.
pub fn measure_command(command: &mut Command) -> std::io::Result<(Output, Usage)> {
    let started = Instant::now();
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let pid = child.id().to_string();
    // Drained on threads so a chatty child never blocks on a full pipe while it is being sampled.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let (mut peak, mut cpu) = (0.0f64, 0.0);
    // A zombie's stat still holds its final times; `wait` below reaps it.
    while let Some((state, now_cpu)) = proc_stat(&pid) {
        cpu = now_cpu;
        if state == 'Z' || state == 'X' {
            break;
        }
        peak = peak.max(peak_rss_mib(&pid));
        std::thread::sleep(Duration::from_millis(1));
    }
    let status = child.wait()?;
    let wall_s = started.elapsed().as_secs_f64();
    let output =
        Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() };
    Ok((output, Usage { wall_s, cpu_s: cpu, peak_rss_mib: peak }))
}

/// One measurement printed with what it is compared with: a lower bound for the wall time (and the
/// ratio the target allows), and targets for CPU time and peak memory where the issue sets them.
pub struct Figures<'a> {
    label: &'a str,
    usage: Usage,
    wall_bound: Option<(f64, String, Option<f64>)>,
    cpu_target_s: Option<f64>,
    rss_target_mib: Option<f64>,
    extra: Vec<String>,
}

impl<'a> Figures<'a> {
    pub fn new(label: &'a str, usage: Usage) -> Figures<'a> {
        Figures { label, usage, wall_bound: None, cpu_target_s: None, rss_target_mib: None, extra: Vec::new() }
    }

    /// The wall time's lower bound, how it was computed, and the ratio to it the target allows.
    pub fn wall_bound(mut self, bound_s: f64, how: impl Into<String>, target_ratio: Option<f64>) -> Self {
        self.wall_bound = Some((bound_s, how.into(), target_ratio));
        self
    }

    pub fn cpu_target(mut self, seconds: f64) -> Self {
        self.cpu_target_s = Some(seconds);
        self
    }

    pub fn rss_target(mut self, mib: f64) -> Self {
        self.rss_target_mib = Some(mib);
        self
    }

    /// Another figure of this measurement (requests sent, share answered 429, ...).
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.extra.push(text.into());
        self
    }

    /// The lines `print` writes.
    pub fn lines(&self) -> Vec<String> {
        let Usage { wall_s, cpu_s, peak_rss_mib } = self.usage;
        let target = |t: Option<f64>, unit: &str| t.map_or(String::new(), |t| format!(" (target < {t:.1}{unit})"));
        let wall = match &self.wall_bound {
            Some((bound, how, ratio)) => format!(
                "wall {wall_s:.2} s, bound {bound:.2} s ({how}), ratio {:.2}{}",
                wall_s / bound.max(f64::MIN_POSITIVE),
                ratio.map_or(String::new(), |r| format!(" (target <= {r:.2})"))
            ),
            None => format!("wall {wall_s:.2} s"),
        };
        let mut lines = vec![
            format!("{}: {wall}", self.label),
            format!("    client CPU {cpu_s:.2} s{}", target(self.cpu_target_s, " s")),
            format!("    client peak RSS {peak_rss_mib:.0} MiB{}", target(self.rss_target_mib, " MiB")),
        ];
        lines.extend(self.extra.iter().map(|e| format!("    {e}")));
        lines
    }

    pub fn print(&self) {
        for line in self.lines() {
            println!("{line}");
        }
    }
}
