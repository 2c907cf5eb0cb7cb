//! File following against real files: start rules, line splitting, rotation by rename and by
//! copy-and-truncate, deletion, restarts from saved offsets, and a writer thread rotating at
//! random points while the follower polls.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use palisade_watch::source::{FileFollower, MAX_LINE, Offsets, PollStats, SourceError, Start};

fn follow(pattern: &Path, start: Start, offsets: &Arc<Offsets>) -> FileFollower {
    FileFollower::new(pattern.to_str().unwrap(), start, offsets.clone())
        .unwrap()
        .with_rotation_grace(Duration::ZERO)
}

fn poll(follower: &mut FileFollower) -> (Vec<String>, PollStats) {
    let mut lines = Vec::new();
    let stats = follower
        .poll(&mut |_, line| lines.push(line.to_owned()))
        .unwrap();
    (lines, stats)
}

fn lines(follower: &mut FileFollower) -> Vec<String> {
    poll(follower).0
}

fn append(path: &Path, bytes: impl AsRef<[u8]>) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(bytes.as_ref()).unwrap();
}

fn numbered(range: std::ops::Range<u32>) -> String {
    range.map(|i| format!("line {i}\n")).collect()
}

fn expected(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("line {i}")).collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    log: PathBuf,
    offsets_path: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    Setup {
        log: path.join("app.log"),
        offsets_path: path.join("offsets.json"),
        dir: path,
        _dir: dir,
    }
}

impl Setup {
    fn offsets(&self) -> Arc<Offsets> {
        Arc::new(Offsets::open(&self.offsets_path).unwrap())
    }
}

#[test]
fn start_end_skips_what_is_there_and_new_files_are_read_from_their_start() {
    let s = setup();
    append(&s.log, "old 1\nold 2\nhalf a li");
    let offsets = s.offsets();
    let mut f = follow(&s.dir.join("*.log"), Start::End, &offsets);
    assert!(lines(&mut f).is_empty());
    // The rest of the line we started in the middle of is skipped too.
    append(&s.log, "ne\nnew 1\n");
    append(&s.dir.join("later.log"), "first\nsecond\n");
    assert_eq!(lines(&mut f), ["new 1", "first", "second"]);
    assert!(lines(&mut f).is_empty());
}

#[test]
fn start_beginning_reads_everything() {
    let s = setup();
    append(&s.log, numbered(0..3));
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    assert_eq!(lines(&mut f), expected(0..3));
}

#[test]
fn lines_wait_for_their_newline_and_are_cleaned() {
    let s = setup();
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    append(&s.log, b"crlf\r\nbad \xff utf8\nparti");
    assert_eq!(lines(&mut f), ["crlf", "bad \u{fffd} utf8"]);
    append(&s.log, "al");
    assert!(lines(&mut f).is_empty());
    append(&s.log, "\n\n");
    assert_eq!(lines(&mut f), ["partial", ""]);
}

#[test]
fn an_overlong_line_is_delivered_once_cut() {
    let s = setup();
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    append(&s.log, "before\n");
    append(&s.log, "x".repeat(100_000));
    let first = lines(&mut f);
    append(&s.log, "x".repeat(100_000));
    append(&s.log, "\nafter\n");
    let second = lines(&mut f);
    assert_eq!(first.len(), 2);
    assert_eq!(first[0], "before");
    assert_eq!(first[1], "x".repeat(MAX_LINE));
    assert_eq!(second, ["after"]);
}

#[test]
fn rename_rotation_reads_the_old_file_to_its_end_then_the_new_one() {
    let s = setup();
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    append(&s.log, numbered(0..2));
    assert_eq!(lines(&mut f), expected(0..2));
    append(&s.log, "line 2\nno newline at the end");
    fs::rename(&s.log, s.dir.join("app.log.1")).unwrap();
    append(&s.log, "line 3\n");
    let (got, stats) = poll(&mut f);
    assert_eq!(got, ["line 2", "no newline at the end", "line 3"]);
    assert_eq!(stats.rotations, 1);
}

#[test]
fn a_rotated_file_is_still_read_during_the_grace_period() {
    let s = setup();
    let mut f = FileFollower::new(s.log.to_str().unwrap(), Start::Beginning, s.offsets())
        .unwrap()
        .with_rotation_grace(Duration::from_secs(30));
    let mut writer = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&s.log)
        .unwrap();
    writer.write_all(b"line 0\n").unwrap();
    assert_eq!(lines(&mut f), ["line 0"]);
    fs::rename(&s.log, s.dir.join("app.log.1")).unwrap();
    append(&s.log, "new 0\n");
    assert_eq!(lines(&mut f), ["new 0"]);
    // The daemon has not reopened its log yet.
    writer.write_all(b"late\n").unwrap();
    append(&s.log, "new 1\n");
    assert_eq!(lines(&mut f), ["late", "new 1"]);
}

#[test]
fn copytruncate_reads_the_unread_rest_from_the_copy() {
    let s = setup();
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    append(&s.log, numbered(0..2));
    assert_eq!(lines(&mut f), expected(0..2));
    append(&s.log, numbered(2..5));
    fs::copy(&s.log, s.dir.join("app.log.1")).unwrap();
    File::options()
        .write(true)
        .open(&s.log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&s.log, numbered(5..6));
    let (got, stats) = poll(&mut f);
    assert_eq!(got, expected(0..6)[2..]);
    assert_eq!(stats.truncations, 1);
}

#[test]
fn truncation_and_regrowth_past_the_offset_is_noticed() {
    let s = setup();
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    append(&s.log, "aaaa 1\n");
    assert_eq!(lines(&mut f), ["aaaa 1"]);
    // Rewritten in place, longer than before: only the first bytes tell.
    fs::write(&s.log, "bbbb 1\nbbbb 2\nbbbb 3\n").unwrap();
    let (got, stats) = poll(&mut f);
    assert_eq!(got, ["bbbb 1", "bbbb 2", "bbbb 3"]);
    assert_eq!(stats.truncations, 1);
}

#[test]
fn missing_deleted_and_reappearing_files() {
    let s = setup();
    let offsets = s.offsets();
    let mut f = follow(&s.log, Start::End, &offsets);
    assert!(lines(&mut f).is_empty(), "a missing file is not an error");
    append(&s.log, numbered(0..2));
    assert_eq!(
        lines(&mut f),
        expected(0..2),
        "appeared after startup: from its start"
    );
    assert!(offsets.file(&s.log).is_some());
    fs::remove_file(&s.log).unwrap();
    assert!(lines(&mut f).is_empty());
    assert_eq!(
        offsets.file(&s.log),
        None,
        "a deleted file's offset is forgotten"
    );
    append(&s.log, numbered(2..3));
    assert_eq!(lines(&mut f), expected(2..3));
}

#[test]
fn an_invalid_pattern_is_an_error() {
    let err = FileFollower::new("/var/log/[", Start::End, Arc::new(Offsets::in_memory()));
    assert!(matches!(err, Err(SourceError::Pattern { .. })), "{err:?}");
}

#[test]
fn an_unreadable_file_is_reported_and_retried() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup();
    append(&s.log, numbered(0..2));
    fs::set_permissions(&s.log, fs::Permissions::from_mode(0o000)).unwrap();
    if File::open(&s.log).is_ok() {
        eprintln!("skipped: running with CAP_DAC_OVERRIDE (root), permissions are not enforced");
        return;
    }
    let mut f = follow(&s.log, Start::Beginning, &s.offsets());
    for _ in 0..2 {
        let err = f
            .poll(&mut |_, _| panic!("nothing is readable"))
            .unwrap_err();
        assert!(err.to_string().contains("app.log"), "{err}");
    }
    fs::set_permissions(&s.log, fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(lines(&mut f), expected(0..2));
}

#[test]
fn restart_resumes_after_the_last_saved_line() {
    let s = setup();
    append(&s.log, numbered(0..3));
    {
        let offsets = s.offsets();
        let mut f = follow(&s.log, Start::Beginning, &offsets);
        assert_eq!(lines(&mut f), expected(0..3));
        append(&s.log, "line 3 is not fin");
        assert!(lines(&mut f).is_empty());
        offsets.save().unwrap();
    }
    append(&s.log, "ished\n");
    append(&s.log, numbered(4..6));
    let offsets = s.offsets();
    // The saved offset wins over `Start::End`.
    let mut f = follow(&s.log, Start::End, &offsets);
    let mut want = vec!["line 3 is not finished".to_owned()];
    want.extend(expected(4..6));
    assert_eq!(lines(&mut f), want);
}

#[test]
fn restart_after_a_rename_rotation_while_stopped() {
    let s = setup();
    append(&s.log, numbered(0..2));
    {
        let offsets = s.offsets();
        let mut f = follow(&s.log, Start::Beginning, &offsets);
        assert_eq!(lines(&mut f), expected(0..2));
        offsets.save().unwrap();
    }
    append(&s.log, numbered(2..4));
    fs::rename(&s.log, s.dir.join("app.log.1")).unwrap();
    append(&s.log, numbered(4..6));
    let mut f = follow(&s.log, Start::End, &s.offsets());
    let (got, stats) = poll(&mut f);
    assert_eq!(got, expected(2..6));
    assert_eq!(stats.rotations, 1);
}

#[test]
fn restart_after_a_rotation_with_no_new_file_yet() {
    let s = setup();
    append(&s.log, numbered(0..2));
    {
        let offsets = s.offsets();
        let mut f = follow(&s.log, Start::Beginning, &offsets);
        assert_eq!(lines(&mut f), expected(0..2));
        offsets.save().unwrap();
    }
    append(&s.log, numbered(2..3));
    fs::rename(&s.log, s.dir.join("app.log-20250101")).unwrap();
    let offsets = s.offsets();
    let mut f = follow(&s.log, Start::End, &offsets);
    assert_eq!(lines(&mut f), expected(2..3));
    assert_eq!(offsets.file(&s.log), None);
    append(&s.log, numbered(3..4));
    assert_eq!(lines(&mut f), expected(3..4));
}

#[test]
fn restart_after_copytruncate_while_stopped() {
    let s = setup();
    append(&s.log, numbered(0..2));
    {
        let offsets = s.offsets();
        let mut f = follow(&s.log, Start::Beginning, &offsets);
        assert_eq!(lines(&mut f), expected(0..2));
        offsets.save().unwrap();
    }
    append(&s.log, numbered(2..4));
    fs::copy(&s.log, s.dir.join("app.log.1")).unwrap();
    File::options()
        .write(true)
        .open(&s.log)
        .unwrap()
        .set_len(0)
        .unwrap();
    // Longer than before, so only the fingerprint shows the truncation.
    append(&s.log, numbered(4..20));
    let mut f = follow(&s.log, Start::End, &s.offsets());
    let (got, stats) = poll(&mut f);
    assert_eq!(got, expected(2..20));
    assert_eq!(stats.truncations, 1);
}

#[test]
fn restart_with_another_file_at_the_path_reads_it_from_its_start() {
    let s = setup();
    append(&s.log, numbered(0..2));
    {
        let offsets = s.offsets();
        let mut f = follow(&s.log, Start::Beginning, &offsets);
        assert_eq!(lines(&mut f), expected(0..2));
        offsets.save().unwrap();
    }
    // Deleted and recreated (maybe with the same inode number): the old file is gone.
    fs::remove_file(&s.log).unwrap();
    append(&s.log, "other 0\nother 1\nother 2\n");
    let mut f = follow(&s.log, Start::End, &s.offsets());
    assert_eq!(lines(&mut f), ["other 0", "other 1", "other 2"]);
}

/// A writer thread appends numbered lines (some in two writes) and rotates the log at random
/// points, by rename or by copy-and-truncate; the follower polls meanwhile and is now and then
/// dropped and made again from the saved offsets. Every line must come out once, in order.
#[test]
fn every_line_once_across_rotations_and_restarts_during_a_burst() {
    const LINES: u64 = 20_000;
    let s = setup();
    File::create(&s.log).unwrap();
    let delivered = Arc::new(AtomicU64::new(0));
    let give_up = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(9);
    // Another seed each run explores other rotation points; printed to replay a failure.
    let seed = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed:#x}");

    let writer = {
        let (log, dir) = (s.log.clone(), s.dir.clone());
        let (delivered, give_up) = (delivered.clone(), give_up.clone());
        thread::spawn(move || {
            let mut rng = seed;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let open = |log: &Path| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .unwrap()
            };
            let mut file = open(&log);
            let mut generation_start = 0;
            let (mut renames, mut truncations) = (0, 0);
            for i in 0..LINES {
                let line = format!("{i:07} {}\n", "p".repeat((next() % 150) as usize));
                if i.is_multiple_of(13) {
                    let (a, b) = line.as_bytes().split_at(line.len() / 2);
                    file.write_all(a).unwrap();
                    thread::yield_now();
                    file.write_all(b).unwrap();
                } else {
                    file.write_all(line.as_bytes()).unwrap();
                }
                if i.is_multiple_of(64) {
                    // Spreads the burst over many polls.
                    thread::sleep(Duration::from_micros(200));
                }
                if i > generation_start && next() % 400 == 0 {
                    // A file rotated away before the follower opened it is never seen (a
                    // documented limit): wait until it has read this generation's first line.
                    while delivered.load(Ordering::SeqCst) <= generation_start {
                        if give_up.load(Ordering::SeqCst) {
                            return (renames, truncations);
                        }
                        thread::yield_now();
                    }
                    let rotated = dir.join(format!("app.log.{i}"));
                    if next() % 2 == 0 {
                        fs::rename(&log, &rotated).unwrap();
                        file = open(&log);
                        renames += 1;
                    } else {
                        // The writer is paused (this thread), so nothing falls between the
                        // copy and the truncation.
                        fs::copy(&log, &rotated).unwrap();
                        file.set_len(0).unwrap();
                        truncations += 1;
                    }
                    generation_start = i + 1;
                }
            }
            (renames, truncations)
        })
    };

    let mut offsets = s.offsets();
    let mut f = follow(&s.log, Start::Beginning, &offsets);
    let mut got: Vec<u64> = Vec::with_capacity(LINES as usize);
    let mut polls = 0u64;
    let mut restarts = 0;
    while (got.len() as u64) < LINES && Instant::now() < deadline {
        f.poll(&mut |_, line| got.push(line[..7].parse().unwrap()))
            .unwrap();
        offsets.save().unwrap();
        delivered.store(got.len() as u64, Ordering::SeqCst);
        polls += 1;
        if polls.is_multiple_of(7) {
            // Stop and start again from what was saved. `Beginning` only matters for a file
            // with no saved offset: one that replaced a rotated file we had not opened yet.
            drop(f);
            offsets = s.offsets();
            f = follow(&s.log, Start::Beginning, &offsets);
            restarts += 1;
        }
        thread::sleep(Duration::from_millis(1));
    }
    give_up.store(true, Ordering::SeqCst);
    let (renames, truncations) = writer.join().unwrap();
    assert!(
        renames > 0 && truncations > 0,
        "{renames} renames, {truncations} truncations"
    );
    eprintln!("{polls} polls, {restarts} restarts, {renames} renames, {truncations} truncations");
    assert!(restarts > 0);
    let missing = (0..LINES).find(|i| got.get(*i as usize) != Some(i));
    if let Some(at) = missing {
        let at = at as usize;
        eprintln!(
            "around the difference: {:?}",
            &got[at.saturating_sub(3)..(at + 3).min(got.len())]
        );
        let mut files: Vec<_> = fs::read_dir(&s.dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let first = text.lines().next().map(|l| &l[..l.len().min(7)]);
            let last = text.lines().last().map(|l| &l[..l.len().min(7)]);
            eprintln!("{}: {first:?}..{last:?}", path.display());
        }
    }
    assert_eq!(
        missing,
        None,
        "{} lines delivered of {LINES}, first difference at {missing:?} \
         ({renames} renames, {truncations} truncations, {restarts} restarts, seed {seed:#x})",
        got.len()
    );
    assert_eq!(got.len() as u64, LINES);
}
