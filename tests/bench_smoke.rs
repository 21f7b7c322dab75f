//! `taskfleet bench` works (not how fast: timing belongs in the benchmark itself): every mode
//! runs to completion on a small N and prints its JSON line.

mod common;

use std::process::Command;

use serde_json::Value;

use common::procs::BIN;

fn bench(args: &[&str]) -> Vec<Value> {
    let server = std::env::var("DATABASE_URL").expect("scripts/test.sh sets DATABASE_URL");
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .env("DATABASE_URL", server)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn bench_runs_every_mode_and_reports_medians() {
    for mode in [
        vec!["--tasks", "300", "--deps", "layers"],
        vec!["--tasks", "50", "--deps", "chain", "--agent", "http"],
        vec![
            "--tasks",
            "20",
            "--arrival-ms",
            "5",
            "--backlog",
            "500",
            "--history",
            "500",
        ],
    ] {
        let lines = bench(&mode);
        let r = &lines[0];
        assert_eq!(r["tasks"].as_u64().unwrap().to_string(), mode[1], "{r}");
        for key in [
            "enqueue_per_sec",
            "throughput_per_sec",
            "latency_ms_p50",
            "latency_ms_p99",
            "peak_rss_mb",
        ] {
            assert!(r[key].as_f64().unwrap() >= 0.0, "{key} in {r}");
        }
        assert!(r["throughput_per_sec"].as_f64().unwrap() > 0.0);
    }
    let lines = bench(&["--tasks", "100", "--repeat", "3"]);
    assert_eq!(lines.len(), 4, "three runs and the medians");
    assert_eq!(lines[3]["run"], "median");
}
