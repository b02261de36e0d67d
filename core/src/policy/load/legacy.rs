//! The first release's schema (`proxy`, `misp`, `block_rules`), read and, in the
//! build passes, fed to the builder one block rule at a time.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::batch::{text, L};
use super::ctx::{seed, Ctx};
use super::locate::next_element;
use super::objects::{fields, map_seed};
use super::values::{opt_string, port, rule_list, string, wrong_type};
use super::Mode;
use crate::policy::ConfigError;

map_seed!(HostPortSeed, visit_host_port);
map_seed!(BlockRuleSeed, visit_block_rule);

pub(super) fn visit_host_port<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let slot = ctx.batch.port as usize & 1;
    fields(m, ctx, &["host", "port"], 0b11, |m, ctx, i| {
        match i {
            0 => ctx.batch.hosts[slot].0 = string(m, ctx)?,
            _ => ctx.batch.hosts[slot].1 = port(m, ctx)?,
        }
        Ok(())
    })
}

seed!(BlockRulesSeed);

impl<'de> DeserializeSeed<'de> for BlockRulesSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BlockRulesSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut at = ctx.value_at;
        for i in 0.. {
            at = next_element(ctx.doc.as_bytes(), at, i == 0);
            ctx.value_at = at;
            let mark = ctx.push_index(i);
            let scratch = ctx.begin_batch();
            match seq.next_element_seed(BlockRuleSeed { ctx: &mut *ctx }) {
                Ok(Some(())) => {}
                Ok(None) => {
                    ctx.pop(mark);
                    break;
                }
                Err(e) => return Err(wrong_type(ctx, e, "a map")),
            }
            if ctx.mode == Mode::Rules {
                build_rule(ctx).map_err(|e| ctx.builder(e))?;
            }
            ctx.end_batch(scratch);
            ctx.pop(mark);
        }
        Ok(())
    }
}

pub(super) const RULE_FIELDS: &[&str] = super::keys::RULE;

pub(super) fn visit_block_rule<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Rules;
    fields(m, ctx, RULE_FIELDS, 0b1, |m, ctx, i| {
        if let Some(which) = L::of_field(RULE_FIELDS[i]) {
            return rule_list(m, ctx, which, keep);
        }
        match i {
            0 => ctx.batch.ip = string(m, ctx)?, // the rule id
            _ => opt_string(m, ctx)?,            // description
        }
        Ok(())
    })
}

/// Feeds one collected block rule to the builder (path `block_rules[i]`).
pub(super) fn build_rule(ctx: &mut Ctx<'_, '_>) -> Result<(), ConfigError> {
    let (doc, scratch) = (ctx.doc, &ctx.scratch);
    let bt = &ctx.batch;
    ctx.b.ruleset(bt.ruleset(doc, scratch, text(doc, scratch, bt.ip), &ctx.path))?;
    bt.overflowed()
}
