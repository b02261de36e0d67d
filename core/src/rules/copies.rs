//! Which copy of a tag MISP keeps: local and deleted copies of a required taxonomy's
//! tag, per element, in fixed memory.
//!
//! MISP attaches a tag to an element once per tag (`Tag::captureTag` resolves the name
//! with `LOWER(name)`, `PAD SPACE`), and which copy wins depends on the path:
//! `Event::__captureObjects` keeps the first (`EventTag` items before `Tag`, whatever
//! their order in the JSON), `MispAttribute::editAttribute` keeps the last and detaches
//! copies sent with `deleted`. So a required taxonomy is satisfied by a tag only when no
//! *voiding* copy (local or deleted) of the same tag is on the element.
//!
//! Tags are identified by a 64-bit FNV-1a hash of their `_ci` fold (coarser than MISP's
//! identity, so a copy is never missed; a collision can only void more). Per element
//! that requires taxonomies, a [`Table`] keeps up to [`VOIDS`] voiding identities and, per
//! taxonomy, up to [`VOIDS`] + 1 satisfying ones: once a taxonomy has `VOIDS + 1`
//! distinct satisfying tags, one of them is not voided whatever follows. More voiding
//! identities than that void the taxonomies they fall in (fail closed).
//!
//! Elements nest (an attribute in an event, a related attribute in an analyst
//! relationship): [`DEPTH`] tables; deeper elements fall back to voiding a taxonomy on
//! any local or deleted tag in it.

use crate::limits::MAX_REQUIRED;

/// Voiding identities kept per element.
pub(crate) const VOIDS: usize = 4;
/// Elements that require taxonomies, nested, with a table each.
pub(crate) const DEPTH: usize = 3;

/// One element's copies.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    void: heapless::Vec<u64, VOIDS>,
    /// Taxonomies named by a voiding tag that did not fit.
    void_over: u16,
    sat: [heapless::Vec<u64, { VOIDS + 1 }>; MAX_REQUIRED],
}

impl Table {
    /// Empties the table in place: the state of [`Table::default`].
    pub(crate) fn clear(&mut self) {
        let Table { void, void_over, sat } = self;
        void.clear();
        *void_over = 0;
        for s in sat {
            s.clear();
        }
    }

    /// A local or deleted copy of the tag `id`, which falls in the taxonomies `tax`.
    pub(crate) fn void(&mut self, id: u64, tax: u16) {
        if tax == 0 || self.void.contains(&id) {
            return;
        }
        if self.void.push(id).is_err() {
            self.void_over |= tax;
        }
    }

    /// A copy of the tag `id` that satisfies the taxonomies `sat` unless voided.
    pub(crate) fn satisfy(&mut self, id: u64, sat: u16) {
        for (i, ids) in self.sat.iter_mut().enumerate() {
            if sat & (1 << i) != 0 && !ids.contains(&id) {
                // full: VOIDS + 1 distinct tags, one is not voided
                let _ = ids.push(id);
            }
        }
    }

    /// The taxonomies satisfied by a copy MISP keeps; clears the table.
    pub(crate) fn take_satisfied(&mut self) -> u16 {
        let mut out = 0u16;
        for (i, ids) in self.sat.iter().enumerate() {
            let robust = ids.is_full();
            let unvoided = ids.iter().any(|id| !self.void.contains(id));
            if self.void_over & (1 << i) == 0 && (robust || unvoided) {
                out |= 1 << i;
            }
        }
        *self = Table::default();
        out
    }
}

/// FNV-1a, 64 bits.
pub(crate) fn identity(folded: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in folded {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voided_copy_does_not_satisfy_another_does() {
        let mut t = Table::default();
        t.satisfy(1, 0b1);
        t.void(1, 0b1);
        assert_eq!(t.take_satisfied(), 0);
        t.satisfy(1, 0b1);
        t.void(1, 0b1);
        t.satisfy(2, 0b1);
        assert_eq!(t.take_satisfied(), 0b1);
        // order does not matter
        t.void(1, 0b1);
        t.satisfy(1, 0b1);
        assert_eq!(t.take_satisfied(), 0);
    }

    #[test]
    fn bounds_fail_closed() {
        // VOIDS voids and VOIDS satisfying copies of the same tags: nothing left
        let mut t = Table::default();
        for id in 0..VOIDS as u64 {
            t.void(id, 0b1);
            t.satisfy(id, 0b1);
        }
        assert_eq!(t.take_satisfied(), 0);
        // one more satisfying tag: satisfied, whatever the voids
        for id in 0..=VOIDS as u64 {
            t.satisfy(id, 0b1);
        }
        for id in 0..VOIDS as u64 {
            t.void(id, 0b1);
        }
        assert_eq!(t.take_satisfied(), 0b1);
        // x10 satisfying tags, still satisfied
        for id in 0..10 * VOIDS as u64 {
            t.satisfy(id, 0b1);
            if id < VOIDS as u64 {
                t.void(id, 0b1);
            }
        }
        assert_eq!(t.take_satisfied(), 0b1);
        // one void more than kept: its taxonomies are void
        for id in 0..=VOIDS as u64 {
            t.void(100 + id, 0b10);
        }
        t.satisfy(7, 0b11);
        assert_eq!(t.take_satisfied(), 0b01);
    }
}
