//! Every compile-time bound of the core, in one place. The state they size is fixed: the
//! evaluator's is asserted below `Evaluator::STATE_SIZE_BOUND`; the run-time bounds of a
//! body (decoded size, ratio, size as sent) are `Limits`. No bound fails open: past any
//! of them the answer is a refusal (a `ConfigError`, a refused request, a blocked body),
//! or the comparison it sizes works without it. `docs/nginx-limits.md` and the bounds
//! tables (`cli/tests/bounds.rs`, `ffi/tests/bounds.rs`) test each at −1, =, +1 and ×10.

// ----- Configuration (`Policy::from_json_slice`; over a bound: a `ConfigError`, never a truncation)

/// Most instances in a current-format configuration.
pub const MAX_INSTANCES: usize = 64;

/// Most rule sets (instances, or legacy block rules).
pub const MAX_RULESETS: usize = 64;

/// Most compartments.
pub const MAX_COMPARTMENTS: usize = 64;

/// Most list entries (tags, types, UUIDs, allowlist entries, …) over all rule sets.
pub const MAX_ENTRIES: usize = 2048;

/// Longest configured string, in bytes after folding.
pub const MAX_STR: usize = 200;

/// Total bytes of configured strings.
pub const ARENA: usize = 64 * 1024;

/// Most required taxonomies per rule set.
pub const MAX_REQUIRED: usize = 16;

/// Most ignored keys kept (with their position) in a [`Policy`](crate::Policy).
pub const MAX_IGNORED: usize = 16;

/// Strings held at once: one instance's (or block rule's, or the allowlist's) lists; as
/// many as the policy holds in all, so that only the policy's own bound refuses a list.
pub const BATCH_STRINGS: usize = MAX_ENTRIES;

/// Keys per free-form object (`instances`, `can_reach`, `allowed_tags`).
pub const MAX_KEYS: usize = 128;

/// Bytes of unescaped strings kept for one batch (strings written with escapes).
pub const SCRATCH: usize = 16 * 1024;

/// Deepest nesting accepted in a configuration (serde_json's default limit).
pub const CONFIG_MAX_DEPTH: usize = 128;

// ----- Requests (over a bound: the request is refused)

/// Most UUIDs MISP puts in one analyst data pull (`AnalystData::pullInChunks`).
pub const MAX_UUIDS_PER_PULL: usize = 100;

// ----- Bodies: tokenizer and rule machine (over a bound: the body is refused, or the comparison does not need the bound)

/// Deepest nesting accepted (PHP's `json_decode` stops at 512; MISP bodies are far
/// shallower).
pub const MAX_DEPTH: usize = 128;

/// Longest key delivered to the sink, in bytes after decoding.
pub const KEY_CAP: usize = 48;

/// Longest number text delivered to the sink.
pub const NUM_CAP: usize = 40;

/// Most interpreted containers open at once (MISP nests far less; deeper is refused).
pub const MAX_FRAMES: usize = 40;

/// Longest string value compared, in bytes after folding (trailing white space not
/// counted). It holds any value MISP's columns store (255 characters of up to 3 bytes);
/// a compared value that does not fit is refused, never read as "no match".
pub const VALUE_CAP: usize = 1024;

// ----- Bodies: content decoding (`Limits` holds the run-time bounds; over one: the body is refused)

/// Size of the deflate window and of every decoded piece handed to the sink.
pub const WINDOW: usize = 32 * 1024;

/// The ratio bound applies once this many bytes were decoded (small bodies may
/// legitimately compress very well: `{}` padding, repeated keys).
pub const RATIO_GRACE: u64 = 1 << 20;

/// The default [`Limits::max_ratio`](crate::decode::Limits::max_ratio): above what MISP's own pushes reach, so that the
/// ratio never refuses a push the size bound allows. MISP compresses push bodies over
/// 1 KiB with brotli quality 1 (`ServerSyncTool::post`); on a mostly-zero attachment
/// (base64 `AAAA…`) libbrotli 1.0.9 at quality 1 (window 22) reaches 3 916:1 for an
/// 8 MiB attachment and 5 507:1 at the 256 MiB size bound (its asymptote for any input,
/// the window does not change it); gzip level 1 (MISP's fallback) stays near 230:1
/// (deflate cannot pass ~1 032:1). Brotli bombs at higher qualities reach ratios
/// of millions and are still refused past [`RATIO_GRACE`].
pub const DEFAULT_MAX_RATIO: u64 = 8192;

/// The default [`Limits::max_body`](crate::decode::Limits::max_body): the default [`Limits::max_decoded`](crate::decode::Limits::max_decoded), so that an
/// identity body is bounded as a decoded one is (a frontend may bound tighter: nginx's
/// `misp_guard_max_body_size` defaults to 64 MiB).
pub const DEFAULT_MAX_BODY: u64 = 256 << 20;

// ----- Refusals (what a `Block` keeps for its log line; cutting never changes a verdict)

/// Capacity (bytes) of the offending value kept in a [`Block`](crate::Block); longer values are cut
/// at a character boundary and marked with `…`.
pub const DETAIL_CAP: usize = 160;

/// Capacity (bytes) of the JSON pointer kept in a [`Block`](crate::Block); deeper pointers are cut.
pub const POINTER_CAP: usize = 160;
