//! Run: `CARGO_TARGET_DIR=/work/target-lp cargo bench -p palisade-logparse --bench parse`
//!
//! Last results (2 cores, release): the built-in sshd parser over a generated mixed auth.log
//! (sshd failures/successes/no-fail lines, CRON, sudo, logind), median 14.4 ms per 100,000
//! lines ≈ 6.9 M lines/s; Debian's sshd.conf through `Fail2banFilter` ≈ 250 k lines/s.

#[path = "../tests/common/mod.rs"]
mod common;

use palisade_logparse::{Parser, builtin};

fn main() {
    divan::main();
}

const LINES: usize = 100_000;

#[divan::bench(sample_count = 20)]
fn sshd_mixed_auth_log(bencher: divan::Bencher) {
    let lines = common::auth_log(LINES);
    let sshd = builtin("sshd").unwrap_or_else(|| unreachable!());
    bencher
        .counter(divan::counter::ItemsCount::new(LINES))
        .bench(|| {
            let mut n = 0usize;
            for l in &lines {
                n += usize::from(sshd.parse(divan::black_box(l)).is_some());
            }
            n
        });
}

#[divan::bench(sample_count = 10)]
fn fail2ban_sshd_conf(bencher: divan::Bencher) {
    let path = std::path::Path::new("/etc/fail2ban/filter.d/sshd.conf");
    if !path.exists() {
        return;
    }
    let f =
        palisade_logparse::fail2ban::Fail2banFilter::load(path, &|p| std::fs::read_to_string(p))
            .unwrap_or_else(|e| panic!("{e}"));
    let lines = common::auth_log(10_000);
    bencher
        .counter(divan::counter::ItemsCount::new(lines.len()))
        .bench(|| lines.iter().filter(|l| f.parse(l).is_some()).count());
}
