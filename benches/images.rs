//! Times `upload::process_image` (decode, orient, large + thumbnail, JPEG
//! encode) on a real photo: `cargo bench --bench images -- <photo.jpg> [runs]`.
//! `scripts/bench-images.sh` runs it next to `vipsthumbnail` on the same file.
//! Also reports the process's memory before and at its peak (VmRSS, VmHWM),
//! so the difference is what processing one image costs.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let Some(path) = args.next() else {
        eprintln!("usage: cargo bench --bench images -- <photo.jpg> [runs]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let before_kib = status_kib("VmRSS:");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = daytona::upload::process_image(&bytes).unwrap_or_else(|e| {
            eprintln!("processing failed: {e}");
            std::process::exit(1);
        });
        times.push(start.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    times.sort_by(f64::total_cmp);
    println!("median_seconds {:.4}", times[times.len() / 2]);
    println!("min_seconds {:.4}", times[0]);
    println!("rss_before_mib {:.1}", before_kib as f64 / 1024.0);
    println!("rss_peak_mib {:.1}", status_kib("VmHWM:") as f64 / 1024.0);
}

/// A `/proc/self/status` figure in KiB (0 where there is none).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
