//! A per-request memo of value results. Bodies repeat themselves: a JSON array of records has
//! the same keys in every record and often the same values (`"status":"paid"`), a form may
//! repeat a field. A value's hits depend only on its bytes, its encoding, its place and
//! whether excerpts are redacted, so a value met again replays the hits of its first
//! inspection; exclusions and the per-(rule, location) deduplication still run for each
//! location, so the findings are the same as inspecting it again.
//!
//! Bounded: at most [`MAX_ENTRIES`] values of at most [`MAX_VALUE`] bytes are kept, in one
//! arena. The index is direct-mapped: a hash selects one slot and the bytes are compared, so a
//! lookup is one hash and one comparison whatever the input. Colliding values (by chance or
//! crafted) only miss the memo and are inspected in full, which is why a fast hash will do.

use std::ops::Range;

use crate::families::Place;
use crate::normalise::Encoding;
use crate::rules::RuleInfo;

/// Values remembered per request at most.
const MAX_ENTRIES: usize = 256;
/// Longer values are not remembered: they rarely repeat and comparing them costs more.
const MAX_VALUE: usize = 128;
/// Index slots (a power of two): four per entry keeps chance collisions rare.
const SLOTS: usize = 4 * MAX_ENTRIES;

/// What one value produced.
#[derive(Debug)]
struct Entry {
    key: Range<usize>,
    encoding: Encoding,
    place: Place,
    secret: bool,
    hits: Range<usize>,
    work: u64,
}

/// The remembered values of one request.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// Slot of a value's hash → 1 + its index in `entries` (0: empty). Allocated on first use.
    index: Vec<u16>,
    entries: Vec<Entry>,
    arena: Vec<u8>,
    hits: Vec<(&'static RuleInfo, String)>,
}

impl Memo {
    /// Forgets every value, keeping the buffers (all bounded by the limits above).
    pub(crate) fn clear(&mut self) {
        if !self.entries.is_empty() {
            self.index.fill(0);
        }
        self.entries.clear();
        self.arena.clear();
        self.hits.clear();
    }

    /// The slot of a value: FxHash-style mixing of 8-byte words, seeded with the context.
    fn slot(raw: &[u8], encoding: Encoding, place: Place, secret: bool) -> usize {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let seed = (encoding as u64) << 16 | (place as u64) << 8 | u64::from(secret);
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
        let mut h = mix(seed, raw.len() as u64);
        let mut words = raw.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let mut last = [0u8; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        h = mix(h, u64::from_le_bytes(last));
        // The high bits are the best mixed.
        (h >> 32) as usize & (SLOTS - 1)
    }

    /// The hits and work recorded for this value, if it was seen before.
    pub(crate) fn get(
        &self,
        raw: &[u8],
        encoding: Encoding,
        place: Place,
        secret: bool,
    ) -> Option<(&[(&'static RuleInfo, String)], u64)> {
        if raw.len() > MAX_VALUE || self.entries.is_empty() {
            return None;
        }
        let at = self.index[Self::slot(raw, encoding, place, secret)];
        let e = self.entries.get(usize::from(at).checked_sub(1)?)?;
        // The slot may hold another value: the bytes and context decide.
        let same = self.arena[e.key.clone()] == *raw
            && e.encoding == encoding
            && e.place == place
            && e.secret == secret;
        same.then(|| (&self.hits[e.hits.clone()], e.work))
    }

    /// Records what inspecting this value produced.
    pub(crate) fn insert(
        &mut self,
        raw: &[u8],
        encoding: Encoding,
        place: Place,
        secret: bool,
        hits: &[(&'static RuleInfo, String)],
        work: u64,
    ) {
        if raw.len() > MAX_VALUE || self.entries.len() >= MAX_ENTRIES {
            return;
        }
        if self.index.is_empty() {
            self.index = vec![0; SLOTS];
        }
        let slot = &mut self.index[Self::slot(raw, encoding, place, secret)];
        if *slot != 0 {
            // Taken by another value: this one just goes unremembered.
            return;
        }
        // At most MAX_ENTRIES (256) entries, so the index fits in a u16.
        *slot = u16::try_from(self.entries.len() + 1).unwrap_or(0);
        let key = self.arena.len()..self.arena.len() + raw.len();
        self.arena.extend_from_slice(raw);
        let from = self.hits.len();
        self.hits.extend_from_slice(hits);
        self.entries.push(Entry {
            key,
            encoding,
            place,
            secret,
            hits: from..self.hits.len(),
            work,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::sqli;

    #[test]
    fn replays_only_the_same_value_in_the_same_context() {
        let mut m = Memo::default();
        let rule = &sqli::RULES[0];
        m.insert(
            b"x' or 1=1",
            Encoding::Plain,
            Place::Param,
            false,
            &[(rule, "e".into())],
            7,
        );
        m.insert(b"red", Encoding::Plain, Place::Param, false, &[], 3);
        let (hits, work) = m
            .get(b"x' or 1=1", Encoding::Plain, Place::Param, false)
            .unwrap();
        assert_eq!((hits.len(), hits[0].0.id, work), (1, rule.id, 7));
        assert_eq!(
            m.get(b"red", Encoding::Plain, Place::Param, false)
                .unwrap()
                .0
                .len(),
            0
        );
        assert!(
            m.get(b"red", Encoding::Query, Place::Param, false)
                .is_none()
        );
        assert!(m.get(b"red", Encoding::Plain, Place::Name, false).is_none());
        assert!(m.get(b"red", Encoding::Plain, Place::Param, true).is_none());
        assert!(
            m.get(b"blue", Encoding::Plain, Place::Param, false)
                .is_none()
        );
    }

    #[test]
    fn a_value_whose_slot_is_taken_is_not_remembered() {
        let slot = |v: &[u8]| Memo::slot(v, Encoding::Plain, Place::Param, false);
        let first = b"0".to_vec();
        let other = (1..)
            .map(|i: u32| i.to_string().into_bytes())
            .find(|v| slot(v) == slot(&first))
            .unwrap();
        let mut m = Memo::default();
        m.insert(&first, Encoding::Plain, Place::Param, false, &[], 1);
        m.insert(&other, Encoding::Plain, Place::Param, false, &[], 2);
        assert_eq!(
            m.get(&first, Encoding::Plain, Place::Param, false)
                .unwrap()
                .1,
            1
        );
        assert!(
            m.get(&other, Encoding::Plain, Place::Param, false)
                .is_none()
        );
    }

    #[test]
    fn clear_forgets() {
        let mut m = Memo::default();
        m.insert(b"red", Encoding::Plain, Place::Param, false, &[], 3);
        m.clear();
        assert!(
            m.get(b"red", Encoding::Plain, Place::Param, false)
                .is_none()
        );
        m.insert(b"red", Encoding::Plain, Place::Param, false, &[], 4);
        assert_eq!(
            m.get(b"red", Encoding::Plain, Place::Param, false)
                .unwrap()
                .1,
            4
        );
    }

    #[test]
    fn bounded() {
        let mut m = Memo::default();
        for i in 0..2 * MAX_ENTRIES {
            m.insert(
                i.to_string().as_bytes(),
                Encoding::Plain,
                Place::Param,
                false,
                &[],
                1,
            );
        }
        assert_eq!(m.entries.len(), MAX_ENTRIES);
        let long = vec![b'a'; MAX_VALUE + 1];
        let mut m = Memo::default();
        m.insert(&long, Encoding::Plain, Place::Param, false, &[], 1);
        assert!(m.get(&long, Encoding::Plain, Place::Param, false).is_none());
    }
}
