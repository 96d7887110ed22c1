//! Process-level measurements from /proc (Linux) and the open-files limit.
//!
//! Everything here degrades to `None` / a no-op on systems without /proc.

use std::fs;

/// CPU time (user + system) of a process, in clock ticks, from `/proc/PID/stat`.
/// `pid` is a number or `"self"`. Covers all threads of the process.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and ')' — skip past the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the ')': index 0 is field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Non-idle CPU time of all CPUs together (user, nice, system, irq, softirq,
/// steal), in clock ticks, from the first line of `/proc/stat`.
pub fn machine_busy_ticks() -> Option<u64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest is inside user)
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    Some(get(0) + get(1) + get(2) + get(5) + get(6) + get(7))
}

/// Resident set size in KiB, from the `VmRSS:` line of `/proc/PID/status`.
pub fn rss_kb(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A CPU-time sample of one process, taken together with a wall-clock instant.
#[derive(Clone, Copy)]
pub struct CpuSample {
    ticks: Option<u64>,
    at: std::time::Instant,
}

impl CpuSample {
    pub fn take(pid: &str) -> Self {
        CpuSample {
            ticks: cpu_ticks(pid),
            at: std::time::Instant::now(),
        }
    }

    /// Busy time of the whole machine (all CPUs, every process): to tell
    /// how much of the box other processes took during a measurement.
    pub fn machine() -> Self {
        CpuSample {
            ticks: machine_busy_ticks(),
            at: std::time::Instant::now(),
        }
    }

    /// CPU used between `self` and `later`, as a percentage of ONE core
    /// (so up to `nproc * 100`).
    pub fn pct_until(&self, later: &CpuSample) -> Option<f64> {
        let (a, b) = (self.ticks?, later.ticks?);
        let wall = later.at.duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return None;
        }
        let cpu_secs = b.saturating_sub(a) as f64 / clk_tck() as f64;
        Some(cpu_secs / wall * 100.0)
    }
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod ffi {
    // `rlim_t` is `unsigned long` on 64-bit Linux (glibc and musl).
    #[repr(C)]
    pub struct RLimit {
        pub cur: u64,
        pub max: u64,
    }
    pub const RLIMIT_NOFILE: i32 = 7;
    pub const SC_CLK_TCK: i32 = 2;
    extern "C" {
        pub fn getrlimit(resource: i32, rlim: *mut RLimit) -> i32;
        pub fn setrlimit(resource: i32, rlim: *const RLimit) -> i32;
        pub fn sysconf(name: i32) -> i64;
    }
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), 100 if unknown.
pub fn clk_tck() -> u64 {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        // SAFETY: sysconf has no memory effects.
        let v = unsafe { ffi::sysconf(ffi::SC_CLK_TCK) };
        if v > 0 {
            return v as u64;
        }
    }
    100
}

/// Raise the soft RLIMIT_NOFILE to the hard limit (inherited by the server we
/// spawn afterwards); when the hard limit is below `needed`, first try to
/// raise both to `needed` (works with CAP_SYS_RESOURCE, e.g. as root).
/// Returns the new soft limit, or `None` if unknown.
/// Prints a warning when it stays below `needed`.
pub fn raise_nofile(needed: u64) -> Option<u64> {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    {
        let mut lim = ffi::RLimit { cur: 0, max: 0 };
        // SAFETY: `lim` is a valid, properly laid out `struct rlimit`.
        if unsafe { ffi::getrlimit(ffi::RLIMIT_NOFILE, &mut lim) } != 0 {
            eprintln!("warning: getrlimit(RLIMIT_NOFILE) failed; cannot check the open-files limit");
            return None;
        }
        let mut soft = lim.cur;
        if lim.max < needed {
            // Raising the hard limit needs CAP_SYS_RESOURCE (e.g. root); try it.
            let new = ffi::RLimit {
                cur: needed,
                max: needed,
            };
            // SAFETY: as above.
            if unsafe { ffi::setrlimit(ffi::RLIMIT_NOFILE, &new) } == 0 {
                lim = new;
                soft = needed;
            }
        }
        if soft < lim.max {
            let new = ffi::RLimit {
                cur: lim.max,
                max: lim.max,
            };
            // SAFETY: as above.
            if unsafe { ffi::setrlimit(ffi::RLIMIT_NOFILE, &new) } == 0 {
                soft = lim.max;
            }
        }
        if soft < needed {
            eprintln!(
                "warning: open-files limit is {soft} (hard {}), below the ~{needed} this run needs; \
                 connections may fail (raise it with `ulimit -n`)",
                lim.max
            );
        }
        Some(soft)
    }
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    {
        let _ = needed;
        None
    }
}

/// One line describing the machine: nproc, memory, CPU model.
pub fn machine_summary() -> String {
    let nproc = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem_kb = fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    });
    let mem = mem_kb
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1048576.0))
        .unwrap_or_else(|| "?".into());
    format!("{nproc} CPUs ({model}), {mem} RAM")
}

/// TCP counters from `/proc/net/netstat` (this network namespace, all
/// processes): `(ListenOverflows, TCPSynRetrans)`. A listen-queue overflow
/// drops a SYN, and the client retries it only after 1 s.
pub fn tcp_listen_counters() -> Option<(u64, u64)> {
    let text = fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines();
    while let Some(names) = lines.next() {
        let values = lines.next()?;
        if !names.starts_with("TcpExt:") {
            continue;
        }
        let pairs: Vec<(&str, &str)> = names.split_whitespace().zip(values.split_whitespace()).collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).and_then(|(_, v)| v.parse().ok());
        return Some((get("ListenOverflows")?, get("TCPSynRetrans")?));
    }
    None
}
