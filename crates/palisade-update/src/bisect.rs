//! Which of several updates tested together breaks the tests ([`find_breaking`]), for
//! `palisade update --together`.

/// What [`find_breaking`] found.
#[derive(Debug, PartialEq, Eq)]
pub struct Bisection<'a, T> {
    /// Candidates that passed (tested, or implied by a passing set), in input order.
    pub passed: Vec<&'a T>,
    /// Candidates that break the tests, in input order.
    pub broken: Vec<&'a T>,
    /// How many times `test` ran.
    pub runs: usize,
}

/// Finds every breaking candidate with few runs of `test`, which gets a set of candidates to
/// apply together and says whether the tests then pass (`Ok(true)`) or fail (`Ok(false)`);
/// its `Err` (the test command could not be run at all) stops the search and is returned.
///
/// All candidates are tested together first; `test` is never called with an empty set, and
/// never twice with the same set. Run the test suite once without any update first: a suite
/// that fails anyway makes every update look broken.
///
/// Adaptive group testing, under one assumption: updates break independently — a set of
/// updates passes exactly when it contains no breaking one. Two phases:
///
/// 1. **Binary search** down to one breaking update: test the left half of a failing set; if
///    it fails, keep searching in it and put the right half aside (untested); if it passes,
///    the right half must fail (independence), so search there without a run.
/// 2. **One run for the rest**: everything put aside is tested together. With a single
///    breaking update (the common case) it passes and the search is over. If it fails, it is
///    split as a tree (test the left half; search each failing half; a half is only tested
///    when its failure is not implied), which finds every breaking update.
///
/// Runs for `n` updates with `k` breaking ones (`⌈log2 n⌉` written `L`): 1 when `k = 0`;
/// at most `L + 2` when `k = 1` (`L + 1` when nothing was put aside); at most
/// `2 + (2k − 1)·L` in general, and never much more than testing each update twice
/// (`2n + L`), however many break.
///
/// If updates do interact (two that only break together), the assumption fails and the
/// result can blame one of them alone; the caller may confirm a culprit with one more run.
///
/// # Example
///
/// ```
/// use palisade_update::find_breaking;
///
/// let updates: Vec<u32> = (0..16).collect();
/// let result = find_breaking(&updates, |set| Ok::<_, ()>(!set.contains(&&11))).unwrap();
/// assert_eq!(result.broken, [&11]);
/// assert_eq!(result.passed.len(), 15);
/// assert!(result.runs <= 1 + 4 + 1);
/// ```
pub fn find_breaking<'a, T, E>(
    candidates: &'a [T],
    test: impl FnMut(&[&'a T]) -> Result<bool, E>,
) -> Result<Bisection<'a, T>, E> {
    let mut search = Search {
        candidates,
        broken: vec![false; candidates.len()],
        runs: 0,
        test,
    };
    let all: Vec<usize> = (0..candidates.len()).collect();
    if !all.is_empty() && !search.run(&all)? {
        search.phases(all)?;
    }
    let (mut passed, mut broken) = (Vec::new(), Vec::new());
    for (candidate, is_broken) in candidates.iter().zip(&search.broken) {
        if *is_broken {
            broken.push(candidate);
        } else {
            passed.push(candidate);
        }
    }
    Ok(Bisection {
        passed,
        broken,
        runs: search.runs,
    })
}

struct Search<'a, T, F> {
    candidates: &'a [T],
    broken: Vec<bool>,
    runs: usize,
    test: F,
}

impl<'a, T, E, F> Search<'a, T, F>
where
    F: FnMut(&[&'a T]) -> Result<bool, E>,
{
    fn run(&mut self, set: &[usize]) -> Result<bool, E> {
        self.runs += 1;
        let items: Vec<&'a T> = set.iter().map(|&i| &self.candidates[i]).collect();
        (self.test)(&items)
    }

    /// Both phases on a set known to fail.
    fn phases(&mut self, mut failing: Vec<usize>) -> Result<(), E> {
        let mut aside = Vec::new();
        while failing.len() > 1 {
            let right = failing.split_off(failing.len() / 2);
            if self.run(&failing)? {
                failing = right;
            } else {
                aside.extend(right);
            }
        }
        self.broken[failing[0]] = true;
        if !aside.is_empty() && !self.run(&aside)? {
            self.tree(&aside)?;
        }
        Ok(())
    }

    /// Splits a set known to fail until every breaking candidate is alone.
    fn tree(&mut self, failing: &[usize]) -> Result<(), E> {
        if let [only] = failing {
            self.broken[*only] = true;
            return Ok(());
        }
        let (left, right) = failing.split_at(failing.len() / 2);
        if self.run(left)? {
            self.tree(right)
        } else {
            self.tree(left)?;
            if !self.run(right)? {
                self.tree(right)?;
            }
            Ok(())
        }
    }
}
