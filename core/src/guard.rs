//! The one driver: bytes → decode → tokenizer → rule machine → verdict.
//!
//! ```
//! # use misp_guard_core::{Guard, Progress, Policy, Verdict};
//! # fn judge(policy: &Policy, inspection: misp_guard_core::Inspection, body: &[&[u8]]) -> Verdict {
//! let mut guard = Guard::new(policy, inspection);
//! for chunk in body {
//!     if guard.feed(chunk) == Progress::Blocked {
//!         break; // the verdict is Block whatever follows
//!     }
//! }
//! guard.finish()
//! # }
//! ```
//!
//! `feed` never allocates and never fails: problems become the verdict. After a block
//! every later `feed` returns [`Progress::Blocked`] (sticky). Feeding the whole body
//! (rather than stopping at the first `Blocked`) reports the violation misp-guard
//! itself would have reported first, and a syntax error anywhere in the body takes
//! precedence, as in misp-guard, which parses before it checks.

use core::fmt;

use crate::decode::{Encoding, Limits};
use crate::policy::{Inspection, PolicyRef, Side};
use crate::request::Header;
use crate::rules::Evaluator;
use crate::rules::Progress;
use crate::verdict::{Block, Reason, Verdict};

#[cfg(feature = "decode")]
use crate::decode::Decoder;

/// Inspects one body. See the module docs.
pub struct Guard<'p> {
    eval: Evaluator<'p>,
    #[cfg(feature = "decode")]
    decoder: Option<std::boxed::Box<Decoder>>,
    early: Option<Block>,
    /// Body bytes fed (as sent) and their bound, [`Limits::max_body`].
    fed: u64,
    max_body: u64,
}

impl<'p> Guard<'p> {
    /// A guard for an identity-encoded body, judging with `policy`: a `&Policy`, or (with
    /// the `alloc` feature) an `Arc<Policy>` the guard then keeps alive itself, for
    /// callers that cannot name a borrow that outlives the guard (see [`PolicyRef`]).
    /// The body is bounded by the default [`Limits::max_body`].
    pub fn new(policy: impl Into<PolicyRef<'p>>, inspection: Inspection) -> Self {
        Guard {
            eval: Evaluator::new(policy, inspection),
            #[cfg(feature = "decode")]
            decoder: None,
            early: None,
            fed: 0,
            max_body: Limits::default().max_body,
        }
    }

    /// A guard for a body of at most `limits.max_body` bytes (as sent) with these
    /// headers: `Content-Encoding` (decoded within `limits`; unknown encodings refused, and without the `decode` feature every
    /// encoding but identity), `Content-Type` (charset must be UTF-8; on requests,
    /// absent or `application/json`, once: PHP reads form bodies into the request data
    /// whatever they also parse as) and, on responses, `X-UserOrgUUID` (several headers:
    /// no organisation matches, as with misp-guard's joined value).
    pub fn for_body(
        policy: impl Into<PolicyRef<'p>>,
        inspection: Inspection,
        headers: &[Header<'_>],
        limits: Limits,
    ) -> Self {
        let mut g = Guard::new(policy, inspection);
        g.read_headers(headers, limits);
        g
    }

    /// Makes this guard what [`Guard::for_body`] with these arguments makes, in place
    /// (see [`Evaluator::reset`]): for callers that judge one body after another, such
    /// as a server keeping a few guards for its requests.
    pub fn reset(
        &mut self,
        policy: impl Into<PolicyRef<'p>>,
        inspection: Inspection,
        headers: &[Header<'_>],
        limits: Limits,
    ) {
        let Guard {
            eval,
            #[cfg(feature = "decode")]
            decoder,
            early,
            fed,
            max_body,
        } = self;
        eval.reset(policy, inspection);
        #[cfg(feature = "decode")]
        {
            *decoder = None;
        }
        *early = None;
        *fed = 0;
        *max_body = Limits::default().max_body;
        self.read_headers(headers, limits);
    }

    /// The part of [`Guard::for_body`] after [`Guard::new`]: the body bound and what
    /// the headers say.
    fn read_headers(&mut self, headers: &[Header<'_>], limits: Limits) {
        let g = self;
        g.max_body = limits.max_body;
        let side = g.eval.side();
        let (mut encodings, mut types, mut user_orgs) = (0, 0, 0);
        for h in headers {
            if h.name.eq_ignore_ascii_case(b"content-encoding") {
                encodings += 1;
                if encodings > 1 {
                    // two headers are a stacked encoding: refused like "gzip, br"
                    g.early = Some(
                        Block::new(Reason::UnsupportedEncoding, side)
                            .with_detail("several Content-Encoding headers"),
                    );
                    continue;
                }
                match Encoding::parse(h.value) {
                    Ok(Encoding::Identity) => {}
                    #[cfg(feature = "decode")]
                    Ok(enc) => g.decoder = Some(std::boxed::Box::new(Decoder::new(enc, limits))),
                    #[cfg(not(feature = "decode"))]
                    Ok(_) => g.early = Some(unsupported_encoding(side, h.value)),
                    Err(()) => g.early = Some(unsupported_encoding(side, h.value)),
                }
            } else if h.name.eq_ignore_ascii_case(b"content-type") {
                types += 1;
                if side == Side::Request && (types > 1 || !is_json_type(h.value)) {
                    let b = Block::new(Reason::UnsupportedContentType, side);
                    g.early = Some(if types > 1 {
                        b.with_detail("several Content-Type headers")
                    } else {
                        b.with_detail_fmt(format_args!("{}", Lossy(h.value)))
                    });
                } else if let Some(cs) = bad_charset(h.value) {
                    g.early = Some(Block::new(Reason::UnsupportedCharset, side).with_detail(cs));
                }
            } else if h.name.eq_ignore_ascii_case(b"x-userorguuid") && side == Side::Response {
                user_orgs += 1;
                // not UTF-8: a value no organisation uuid equals
                g.set_user_org_uuid(if user_orgs > 1 { b"\xff" } else { h.value });
            }
        }
    }

    /// Sets the `X-UserOrgUUID` response header value (pull of events only).
    pub fn set_user_org_uuid(&mut self, uuid: &[u8]) {
        self.eval.set_user_org_uuid(uuid);
    }

    /// Feeds the next chunk of the (encoded) body.
    pub fn feed(&mut self, chunk: &[u8]) -> Progress {
        if self.over_body_bound() {
            return Progress::Blocked;
        }
        self.fed = self.fed.saturating_add(chunk.len() as u64);
        if self.over_body_bound() {
            // the size refusal wins over anything found so far: none of the body past
            // the bound is read, so no later finding could be the first one
            let b = Block::new(Reason::BodyTooLarge, self.eval.side())
                .with_detail_fmt(format_args!("{}", self.max_body));
            self.early = Some(b);
            return Progress::Blocked;
        }
        if self.early.is_some() {
            return Progress::Blocked;
        }
        #[cfg(feature = "decode")]
        if let Some(d) = self.decoder.as_mut() {
            let eval = &mut self.eval;
            // keep decoding after a violation: the reason reported must not depend on
            // the encoding (a later syntax error wins, as for identity bodies)
            if let Err(b) = d.feed(chunk, &mut |out: &[u8]| {
                eval.feed(out);
                true
            }) {
                self.early = Some(b.into_block(self.eval.side()));
                return Progress::Blocked;
            }
            return self.eval.progress();
        }
        self.eval.feed(chunk)
    }

    /// Body bytes read so far, as sent (still encoded); chunks fed once past
    /// [`Limits::max_body`] are not read, nor counted.
    pub fn fed(&self) -> u64 {
        self.fed
    }

    /// Whether this guard decodes its body (`Content-Encoding` other than identity): it
    /// then holds a decoder, with a window of up to 16 MiB for brotli, until it is
    /// dropped or reset. Callers that keep finished guards for later bodies keep only
    /// the others.
    pub fn decodes(&self) -> bool {
        #[cfg(feature = "decode")]
        return self.decoder.is_some();
        #[cfg(not(feature = "decode"))]
        return false;
    }

    /// Whether the body passed [`Limits::max_body`]: the verdict is then
    /// `body_too_large`, and the caller may stop feeding (and keeping) bytes.
    pub fn over_body_bound(&self) -> bool {
        self.fed > self.max_body
    }

    /// Ends the body and returns the verdict.
    pub fn finish(&mut self) -> Verdict {
        if let Some(b) = &self.early {
            return Verdict::Block(b.clone());
        }
        #[cfg(feature = "decode")]
        if let Some(d) = self.decoder.as_mut() {
            let eval = &mut self.eval;
            if let Err(b) = d.finish(&mut |out: &[u8]| {
                eval.feed(out);
                true
            }) {
                let block = b.into_block(self.eval.side());
                self.early = Some(block.clone());
                return Verdict::Block(block);
            }
        }
        self.eval.finish()
    }
}

/// The refusal of a `Content-Encoding` this build does not decode.
fn unsupported_encoding(side: Side, value: &[u8]) -> Block {
    Block::new(Reason::UnsupportedEncoding, side).with_detail_fmt(format_args!("{}", Lossy(value)))
}

/// Header bytes shown as text, invalid UTF-8 as U+FFFD (`String::from_utf8_lossy`'s
/// rendering, without allocating).
struct Lossy<'a>(&'a [u8]);

impl fmt::Display for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

/// `application/json`, with parameters or not, spelt as MISP reads it: CakePHP's
/// `RequestHandlerComponent::requestedWith` decodes a JSON body into the request data
/// only when the text before the first `;` is exactly `application/json` (no case
/// change, no space before the `;`). Any other spelling leaves MISP's request data
/// empty, and so would the filters of an index search the guard judged present.
fn is_json_type(v: &[u8]) -> bool {
    let media = v.split(|&b| b == b';').next().unwrap_or(b"");
    media == b"application/json"
}

/// The charset parameter of a `Content-Type`, when it is not UTF-8.
fn bad_charset(v: &[u8]) -> Option<&str> {
    let s = core::str::from_utf8(v).ok()?;
    for param in s.split(';').skip(1) {
        let mut kv = param.splitn(2, '=');
        let k = kv.next()?.trim();
        if k.eq_ignore_ascii_case("charset") {
            let val = kv.next().unwrap_or("").trim().trim_matches('"');
            if !(val.eq_ignore_ascii_case("utf-8") || val.eq_ignore_ascii_case("utf8")) {
                return Some(val);
            }
        }
    }
    None
}
