//! The strings of one batch (the allowlist, one instance or one legacy block rule),
//! held as byte ranges into the document or the scratch area, and handed to the
//! builder as `&str`s.

use super::Path;
use crate::limits::{BATCH_STRINGS, MAX_KEYS};
use crate::policy::{ConfigError, ConfigErrorKind, RuleSetSpec};

/// A string of the document: a range of the input, or (when it had escapes) of the
/// pass's scratch area (high bit of `off` set).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Src {
    pub(super) off: u32,
    pub(super) len: u32,
}

pub(super) const IN_SCRATCH: u32 = 1 << 31;

/// A run of [`Src`]s in [`Batch::items`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Run {
    pub(super) start: u16,
    pub(super) len: u16,
}

/// The lists of one instance / block rule / the allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum L {
    Tags = 0,
    Levels,
    Sgs,
    Types,
    Categories,
    ObjectTypes,
    Required,
}

pub(super) const LISTS: usize = 7;

impl L {
    /// The list a field of an instance, its `taxonomies_rules` or a legacy block rule
    /// fills (both formats name them alike).
    pub(super) fn of_field(name: &str) -> Option<L> {
        Some(match name {
            "blocked_tags" => L::Tags,
            "blocked_distribution_levels" => L::Levels,
            "blocked_sharing_groups_uuids" => L::Sgs,
            "blocked_attribute_types" => L::Types,
            "blocked_attribute_categories" => L::Categories,
            "blocked_object_types" => L::ObjectTypes,
            "required_taxonomies" => L::Required,
            _ => return None,
        })
    }
}

pub(super) struct Batch {
    pub(super) items: heapless::Vec<Src, BATCH_STRINGS>,
    pub(super) lists: [Run; LISTS],
    /// `allowed_tags`: taxonomy and its run, in file order.
    pub(super) allowed: heapless::Vec<(Src, Run), MAX_KEYS>,
    pub(super) ip: Src,
    pub(super) host: Src,
    pub(super) compartment: Src,
    pub(super) port: u16,
    /// Legacy `proxy` and `misp`.
    pub(super) hosts: [(Src, u16); 2],
    /// The list where the batch ran full: refused after the builder had its say (it
    /// refuses an over-full policy first, as serde_json's reading would).
    pub(super) overflow: Option<Path>,
}

impl Batch {
    pub(super) fn new() -> Self {
        Batch {
            items: heapless::Vec::new(),
            lists: [Run::default(); LISTS],
            allowed: heapless::Vec::new(),
            ip: Src::default(),
            host: Src::default(),
            compartment: Src::default(),
            port: 0,
            hosts: [(Src::default(), 0); 2],
            overflow: None,
        }
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
        self.lists = [Run::default(); LISTS];
        self.allowed.clear();
        self.overflow = None;
    }

    /// The rule set the batch holds (a legacy block rule has no required taxonomies:
    /// that list stays empty).
    pub(super) fn ruleset<'a>(
        &'a self,
        doc: &'a str,
        scratch: &'a str,
        name: &'a str,
        path: &'a str,
    ) -> RuleSetSpec<'a, Strs<'a>> {
        let l = |which: L| strs(doc, scratch, &self.items, self.lists[which as usize]);
        RuleSetSpec {
            name,
            path,
            blocked_tags: l(L::Tags),
            blocked_levels: l(L::Levels),
            blocked_sgs: l(L::Sgs),
            blocked_types: l(L::Types),
            blocked_categories: l(L::Categories),
            blocked_object_types: l(L::ObjectTypes),
            required: l(L::Required),
        }
    }

    /// The error for a batch that ran full, if it did.
    pub(super) fn overflowed(&self) -> Result<(), ConfigError> {
        match &self.overflow {
            Some(path) => Err(ConfigError::semantic(
                ConfigErrorKind::Capacity,
                path,
                "more than 2048 list entries",
            )),
            None => Ok(()),
        }
    }
}

/// Iterates the strings of a run: what the [`Builder`](crate::policy::Builder) consumes.
#[derive(Clone)]
pub(super) struct Strs<'a> {
    pub(super) doc: &'a str,
    pub(super) scratch: &'a str,
    pub(super) items: core::slice::Iter<'a, Src>,
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.items.next()?;
        Some(text(self.doc, self.scratch, *s))
    }
}

pub(super) fn text<'a>(doc: &'a str, scratch: &'a str, s: Src) -> &'a str {
    let (base, off) =
        if s.off & IN_SCRATCH != 0 { (scratch, s.off & !IN_SCRATCH) } else { (doc, s.off) };
    base.get(off as usize..(off + s.len) as usize).unwrap_or("")
}

pub(super) fn strs<'a>(doc: &'a str, scratch: &'a str, items: &'a [Src], r: Run) -> Strs<'a> {
    let run = items.get(r.start as usize..(r.start + r.len) as usize).unwrap_or(&[]);
    Strs { doc, scratch, items: run.iter() }
}

/// `Strs` over the batch list `$l` of `$ctx`, borrowing only the fields it needs.
macro_rules! batch_strs {
    ($ctx:expr, $run:expr) => {
        strs($ctx.doc, &$ctx.scratch, &$ctx.batch.items, $run)
    };
}
pub(super) use batch_strs;
