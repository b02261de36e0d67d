//! The configuration loader: serde-json-core and heapless driving the [`Builder`].
//!
//! [`Policy::from_json_slice`] is the only reading of a configuration in core. It
//! needs no allocator (it builds without the `alloc` feature). The tests compare it
//! with serde_json's reading of the same bytes, compiled by the same [`Builder`]
//! (`testkit/src/config.rs`: the same policy, or an error of the same kind at the same
//! path), in `core/tests/config.rs` and the `config` fuzz target.
//!
//! # How
//!
//! The whole configuration is never materialised. The document is read several times
//! (it is small, and every pass is linear):
//!
//! 1. **syntax**: a strict RFC 8259 scan ([`scan::scan_document`]) with exact
//!    line:column for the first error, nesting bounded by [`CONFIG_MAX_DEPTH`](crate::limits::CONFIG_MAX_DEPTH) (no
//!    recursion);
//! 2. **keys**: [`keys::check_keys`] refuses keys that look like misspellings
//!    and records the ignored ones;
//! 3. **validate**: serde-json-core walks the schema through hand-written
//!    `DeserializeSeed`s/`Visitor`s (types, duplicate/missing fields; unknown ones
//!    skipped), tracking the JSON path of every value;
//! 4. **build**, in document order per table (the oracle compiles in the same order):
//!    current format — allowlist, compartment names, `can_reach` targets, then one
//!    instance at a time; legacy — `proxy`/`misp`, then one block rule at a time.
//!    Only one *batch* (the allowlist, or one instance / block rule) is held at a
//!    time, as byte ranges into the document ([`BATCH_STRINGS`](crate::limits::BATCH_STRINGS) entries of 8 bytes),
//!    and fed to the [`Builder`] as borrowed `&str`s.
//!
//! # Capacities (over = [`ConfigErrorKind::Capacity`])
//!
//! Besides the [`Policy`] capacities (see [`crate::limits`]):
//! * [`BATCH_STRINGS`](crate::limits::BATCH_STRINGS) strings per batch (the allowlist, or one instance / block rule,
//!   all its lists together): the policy's own [`MAX_ENTRIES`](crate::limits::MAX_ENTRIES);
//! * [`MAX_KEYS`](crate::limits::MAX_KEYS) taxonomies per `allowed_tags`; in `instances` and `can_reach`, keys
//!   past the [`MAX_KEYS`](crate::limits::MAX_KEYS)th are checked for duplicates in the document instead;
//! * strings written with escapes (`\"`, `\u00e9`, …) are unescaped into a
//!   [`SCRATCH`](crate::limits::SCRATCH)-byte scratch area, emptied after each batch (more is a capacity error).
//!   Strings without escapes are borrowed from the input and cost nothing.
//!
//! # serde-json-core limits, and how they are handled
//!
//! * No positions in its errors: the loader tracks the JSON path itself and finds the
//!   position of that path in the document ([`position_of_path`]); keys and string
//!   values arrive borrowed from the input and give their exact offset.
//! * Its unescaping refuses UTF-16 surrogate pairs (`\ud83d\ude00`) and needs a
//!   buffer as long as the longest string: it is not used. serde-json-core runs without
//!   an unescape buffer, hands every string over raw, and the loader unescapes it
//!   (after the syntax scan validated every escape).
//! * Lenient skipping of unknown scalars, no duplicate-key detection, no nesting
//!   limit: the syntax scan runs first, and duplicates are refused by the visitors.
//! * `deserialize_any` is unsupported (no untagged enums): numbers (ports, numeric
//!   distribution levels) are recognised as non-string scalars and read from the
//!   document by the scanner, with serde_json's rules (integers only).
//!
//! Stack: the [`Builder`] (it holds the ~100 KiB [`Policy`]) plus about 63 KiB (one
//! batch, scratch, key lists, visitor frames).
//!
//! # Files
//!
//! * `mod.rs` — the passes ([`Policy::from_json_slice`]) and the top-level object;
//! * `scan.rs` — the strict scanner (syntax, unescaping, line:column), shared with
//!   `keys.rs` and the lints; `locate.rs` — syntax check, format, JSON path → offset;
//! * `keys.rs` — misspelt keys refused, annotations ignored and recorded;
//! * `ctx.rs` — one pass's state (path, first error, builder, scratch);
//!   `batch.rs` — the strings of one instance / block rule / allowlist;
//! * `values.rs` — typed readers (strings, ports, levels, lists) and the wording of
//!   wrong types; `objects.rs` — fixed fields and free-form keys;
//! * `current.rs`, `legacy.rs` — each format's schema, fed to the [`Builder`].

mod batch;
mod ctx;
mod current;
pub(crate) mod keys;
mod legacy;
mod locate;
mod objects;
pub(crate) mod scan;
mod values;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use self::batch::{text, Batch, IN_SCRATCH};
use self::ctx::{seed, Ctx};
use self::current::{AllowlistSeed, CompartmentsSeed, InstancesSeed};
use self::legacy::{BlockRulesSeed, HostPortSeed};
pub(crate) use self::locate::position_of_path;
use self::locate::{check_syntax, detect_format};
use self::objects::{fields, map_seed, obj};
use self::values::{string, wrong_type};
use crate::policy::{Builder, ConfigError, ConfigErrorKind, EndpointList, Format, Policy};

/// A JSON path (`instances.a.ip`), as [`ConfigError::path`] holds it.
type Path = heapless::String<160>;

impl Policy {
    /// Loads a configuration in either misp-guard format (told apart by its top-level
    /// keys: `block_rules` or `proxy` means legacy), without allocating.
    ///
    /// Keys neither format reads are ignored (as misp-guard does) and listed by
    /// [`Policy::ignored_keys`], unless they look like a misspelling of one it reads
    /// (an [`ConfigErrorKind::UnknownField`] error; see `policy/keys.rs`).
    ///
    /// Errors carry line:column (1-based) and the JSON path of the offending value:
    /// syntax errors where the strict scan stops; data errors (missing/unknown field,
    /// wrong type, …) and semantic ones (duplicate instance ip, unknown compartment, …)
    /// at the key (or array element) their path names.
    ///
    /// Capacities beyond the policy's own (see [`crate::limits`]), each a
    /// [`ConfigErrorKind::Capacity`] error when exceeded: 128 taxonomies per
    /// `allowed_tags`, 16 KiB of strings written with
    /// escapes (after unescaping) in the allowlist or in one instance / legacy block
    /// rule, nesting depth 128.
    /// Strings without escapes are borrowed from `json` and cost nothing.
    ///
    /// Stack: the builder holds the ~90 KiB policy, which is then moved into the
    /// caller's result, plus about 63 KiB for the loader itself (~35 KiB measured on
    /// x86_64, release, before its batch and scratch area grew by 28 KiB to the
    /// policy's own bounds; ~215 KiB of stack in all then, result slot included).
    pub fn from_json_slice(json: &[u8]) -> Result<Policy, ConfigError> {
        if json.len() >= IN_SCRATCH as usize {
            // Offsets into the document are 31-bit (see `Src`).
            let e =
                ConfigError::semantic(ConfigErrorKind::Capacity, "", "configuration over 2 GiB");
            return Err(e.at(1, 1));
        }
        let text = check_syntax(json)?;
        let format = detect_format(json)?;
        let ignored = keys::check_keys(json, format)?;
        let mut b = Builder::new(format);
        b.ignored(ignored);
        let modes: &[Mode] = match format {
            Format::Current => {
                &[Mode::Validate, Mode::Allowlist, Mode::Sources, Mode::Targets, Mode::Instances]
            }
            Format::Legacy => &[Mode::Validate, Mode::Hosts, Mode::Rules],
        };
        for &mode in modes {
            let mut ctx = Ctx {
                doc: text,
                mode,
                format,
                path: Path::new(),
                err: None,
                b: &mut b,
                batch: Batch::new(),
                scratch: heapless::String::new(),
                last_at: 0,
                value_at: locate::document_value(json),
            };
            // No unescape buffer: every string arrives borrowed, raw, with its offset;
            // the visitors unescape it (serde-json-core 0.6 refuses surrogate pairs).
            let mut de = serde_json_core::de::Deserializer::new(json, None);
            let r = TopSeed { ctx: &mut ctx }.deserialize(&mut de);
            if let Err(e) = r {
                return Err(ctx.into_error(e));
            }
        }
        Ok(b.finish())
    }
}

/// The `endpoints` value (current format), or its error.
fn endpoint_list(name: &str) -> Result<EndpointList, ConfigError> {
    EndpointList::from_name(name).ok_or_else(|| {
        ConfigError::semantic(
            ConfigErrorKind::Invalid,
            "endpoints",
            "unknown endpoint list, expected `misp-sync` or `misp-guard`",
        )
    })
}

/// What a pass over the document does besides validating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Types, fields, duplicates only.
    Validate,
    /// `allowlist` → [`Builder::allowlist`].
    Allowlist,
    /// `can_reach` keys → [`Builder::compartment`].
    Sources,
    /// `can_reach` values → [`Builder::can_reach`].
    Targets,
    /// Each instance → [`Builder::ruleset`], `allowed_tags`, `instance`.
    Instances,
    /// `proxy`, `misp` → [`Builder::legacy_hosts`].
    Hosts,
    /// Each block rule → [`Builder::ruleset`].
    Rules,
}

map_seed!(TopSeed, visit_top);

fn visit_top<'de, A: MapAccess<'de>>(m: &mut A, ctx: &mut Ctx<'de, '_>) -> Result<(), A::Error> {
    match ctx.format {
        Format::Current => {
            let names = ["allowlist", "compartments_rules", "instances", "endpoints"];
            fields(m, ctx, &names, 0b111, |m, ctx, i| match i {
                0 => obj!(m, ctx, AllowlistSeed),
                1 => obj!(m, ctx, CompartmentsSeed),
                2 => obj!(m, ctx, InstancesSeed),
                _ => {
                    let name = string(m, ctx)?;
                    let list = endpoint_list(ctx.text(name)).map_err(|e| ctx.builder(e))?;
                    ctx.b.endpoints(list);
                    Ok(())
                }
            })
        }
        Format::Legacy => {
            fields(m, ctx, &["proxy", "misp", "block_rules"], 0b111, |m, ctx, i| match i {
                0 | 1 => {
                    ctx.batch.port = i as u16; // which of the two `hosts` slots
                    obj!(m, ctx, HostPortSeed)
                }
                _ => m
                    .next_value_seed(BlockRulesSeed { ctx: &mut *ctx })
                    .map_err(|e| wrong_type(ctx, e, "a sequence")),
            })?;
            if ctx.mode == Mode::Hosts {
                let [(ph, pp), (mh, mp)] = ctx.batch.hosts;
                let (doc, scratch) = (ctx.doc, &ctx.scratch);
                let r =
                    ctx.b.legacy_hosts((text(doc, scratch, ph), pp), (text(doc, scratch, mh), mp));
                r.map_err(|e| ctx.builder(e))?;
            }
            Ok(())
        }
    }
}
