//! `find_breaking`: every breaking update found, in few test runs.

use std::collections::BTreeSet;

use palisade_update::find_breaking;

/// `⌈log2 n⌉`.
fn log2_ceil(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// Runs the search over `0..n` with `breaking` as the breaking updates, checking the oracle
/// is never asked the same set twice nor an empty one; returns (found, runs).
fn search(n: usize, breaking: &BTreeSet<usize>) -> (Vec<usize>, usize) {
    let updates: Vec<usize> = (0..n).collect();
    let mut asked = BTreeSet::new();
    let mut calls = 0;
    let result = find_breaking(&updates, |set| {
        calls += 1;
        assert!(!set.is_empty());
        let key: Vec<usize> = set.iter().map(|&&u| u).collect();
        assert!(asked.insert(key.clone()), "asked twice: {key:?}");
        Ok::<_, ()>(set.iter().all(|u| !breaking.contains(u)))
    })
    .unwrap();
    assert_eq!(result.runs, calls);
    assert_eq!(result.passed.len() + result.broken.len(), n);
    assert!(result.passed.iter().all(|u| !breaking.contains(u)));
    (result.broken.into_iter().copied().collect(), result.runs)
}

#[test]
fn nothing_breaking_is_one_run() {
    for n in [1, 2, 7, 16, 100] {
        assert_eq!(search(n, &BTreeSet::new()), (vec![], 1));
    }
    let none: [u8; 0] = [];
    let result = find_breaking(&none, |_| -> Result<bool, ()> { unreachable!() }).unwrap();
    assert_eq!((result.runs, result.passed.len()), (0, 0));
}

#[test]
fn one_breaking_among_sixteen_takes_log2_n_plus_one_or_two_runs() {
    for culprit in 0..16 {
        let (found, runs) = search(16, &BTreeSet::from([culprit]));
        assert_eq!(found, [culprit]);
        // All together, four halvings, and at most one run for what was put aside.
        assert!((5..=6).contains(&runs), "culprit {culprit}: {runs} runs");
        assert!(runs <= 1 + 2 * 4);
    }
    // The last one is found without putting anything aside.
    assert_eq!(search(16, &BTreeSet::from([15])).1, 5);
    assert_eq!(search(1, &BTreeSet::from([0])), (vec![0], 1));
}

#[test]
fn one_breaking_any_size() {
    for n in 1..=200 {
        let l = log2_ceil(n);
        for culprit in [0, n / 3, n / 2, n - 1] {
            let (found, runs) = search(n, &BTreeSet::from([culprit]));
            assert_eq!(found, [culprit], "n={n}");
            assert!(
                runs <= l + 2,
                "n={n} culprit={culprit}: {runs} runs > {}",
                l + 2
            );
        }
    }
}

/// A small deterministic generator (splitmix64) so the property test is repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn several_breaking_are_all_found_within_the_bound() {
    for seed in 0..400u64 {
        let mut rng = Rng(seed);
        let n = 1 + rng.below(64);
        let k = rng.below(n.min(6) + 1);
        let mut breaking = BTreeSet::new();
        while breaking.len() < k {
            breaking.insert(rng.below(n));
        }
        let (found, runs) = search(n, &breaking);
        assert_eq!(
            found,
            breaking.iter().copied().collect::<Vec<_>>(),
            "seed {seed}"
        );
        let l = log2_ceil(n);
        let bound = if k == 0 { 1 } else { 2 + (2 * k - 1) * l };
        assert!(
            runs <= bound,
            "seed {seed}: n={n} k={k}: {runs} runs > {bound}"
        );
        assert!(runs <= 2 * n + l, "seed {seed}: n={n} k={k}: {runs} runs");
    }
}

#[test]
fn everything_breaking_stays_linear() {
    for n in [1, 2, 3, 10, 33, 64] {
        let all: BTreeSet<usize> = (0..n).collect();
        let (found, runs) = search(n, &all);
        assert_eq!(found.len(), n);
        assert!(runs <= 2 * n + log2_ceil(n), "n={n}: {runs}");
    }
}

#[test]
fn test_errors_stop_the_search() {
    let updates = [1, 2, 3, 4];
    let mut calls = 0;
    let err = find_breaking(&updates, |set| {
        calls += 1;
        if calls == 2 {
            Err(format!("could not run the tests on {} updates", set.len()))
        } else {
            Ok(false)
        }
    })
    .unwrap_err();
    assert_eq!(err, "could not run the tests on 2 updates");
}

#[test]
fn items_keep_their_input_order_and_identity() {
    let updates = [
        "serde 1.0.200",
        "tokio 1.40.0",
        "rand 0.9.0",
        "regex 1.11.0",
    ];
    let result = find_breaking(&updates, |set| {
        Ok::<_, ()>(
            !set.iter()
                .any(|u| u.starts_with("rand") || u.starts_with("serde")),
        )
    })
    .unwrap();
    assert_eq!(result.broken, [&"serde 1.0.200", &"rand 0.9.0"]);
    assert_eq!(result.passed, [&"tokio 1.40.0", &"regex 1.11.0"]);
}
