//! The current format's schema (`allowlist`, `compartments_rules`, `instances`), read
//! and, in the build passes, fed to the builder one batch at a time.

use core::fmt::Write as _;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use super::batch::{batch_strs, strs, text, Src, L};
use super::ctx::{seed, Ctx};
use super::objects::{entries, fields, map_seed, obj};
use super::values::{list, opt_string, port, rule_list, string, wrong_type};
use super::{Mode, Path};
use crate::policy::error::push_cut;
use crate::policy::{ConfigError, ConfigErrorKind};

map_seed!(AllowlistSeed, visit_allowlist);
map_seed!(CompartmentsSeed, visit_compartments);
map_seed!(CanReachSeed, visit_can_reach);
map_seed!(InstancesSeed, visit_instances);
map_seed!(InstanceSeed, visit_instance);
map_seed!(TaxonomiesSeed, visit_taxonomies);
map_seed!(AllowedSeed, visit_allowed);

pub(super) fn visit_allowlist<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Allowlist;
    ctx.batch.clear();
    fields(m, ctx, &["urls", "domains"], 0, |m, ctx, i| {
        ctx.batch.lists[i] = list(m, ctx, keep, false)?;
        Ok(())
    })?;
    if keep {
        let (urls, domains) = (ctx.batch.lists[0], ctx.batch.lists[1]);
        let r = ctx.b.allowlist(batch_strs!(ctx, urls), batch_strs!(ctx, domains));
        r.and_then(|()| ctx.batch.overflowed()).map_err(|e| ctx.builder(e))?;
    }
    Ok(())
}

pub(super) fn visit_compartments<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    fields(m, ctx, &["can_reach"], 0, |m, ctx, _| obj!(m, ctx, CanReachSeed))
}

pub(super) fn visit_can_reach<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    entries(m, ctx, |m, ctx, k| {
        if ctx.mode == Mode::Sources {
            let name = text(ctx.doc, &ctx.scratch, k);
            ctx.b.compartment(name, &ctx.path).map_err(|e| ctx.builder(e))?;
        }
        let keep = ctx.mode == Mode::Targets;
        let mark = ctx.begin_batch();
        let run = list(m, ctx, keep, false)?;
        if keep {
            ctx.batch.overflowed().map_err(|e| ctx.builder(e))?;
            let from = ctx.b.find_compartment(text(ctx.doc, &ctx.scratch, k)).unwrap_or(0);
            for (i, t) in batch_strs!(ctx, run).enumerate() {
                let Some(to) = ctx.b.find_compartment(t) else {
                    let mut path = ctx.path.clone();
                    let _ = write!(path, "[{i}]");
                    let mut msg = heapless::String::<200>::new();
                    let _ = write!(msg, "unknown compartment `");
                    push_cut(&mut msg, t);
                    let _ = msg.push('`');
                    let e = ConfigError::semantic(ConfigErrorKind::Invalid, &path, &msg);
                    return Err(ctx.builder(e));
                };
                ctx.b.can_reach(from, to);
            }
        }
        ctx.end_batch(mark);
        Ok(())
    })
}

pub(super) fn visit_instances<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    entries(m, ctx, |m, ctx, k| {
        let mark = ctx.begin_batch();
        obj!(m, ctx, InstanceSeed)?;
        if ctx.mode == Mode::Instances {
            build_instance(ctx, k).map_err(|e| ctx.builder(e))?;
        }
        ctx.end_batch(mark);
        Ok(())
    })
}

pub(super) const INSTANCE_FIELDS: &[&str] = super::keys::INSTANCE;

pub(super) fn visit_instance<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    let required = ((1 << INSTANCE_FIELDS.len()) - 1) & !(1 << 4);
    fields(m, ctx, INSTANCE_FIELDS, required, |m, ctx, i| {
        if let Some(which) = L::of_field(INSTANCE_FIELDS[i]) {
            return rule_list(m, ctx, which, keep);
        }
        match i {
            0 => ctx.batch.ip = string(m, ctx)?,
            1 => ctx.batch.host = string(m, ctx)?,
            2 => ctx.batch.port = port(m, ctx)?,
            3 => ctx.batch.compartment = string(m, ctx)?,
            4 => opt_string(m, ctx)?,
            _ => obj!(m, ctx, TaxonomiesSeed)?,
        }
        Ok(())
    })
}

pub(super) fn visit_taxonomies<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    let names = &["required_taxonomies", "allowed_tags", "blocked_tags"];
    fields(m, ctx, names, 0, |m, ctx, i| match L::of_field(names[i]) {
        Some(which) => rule_list(m, ctx, which, keep),
        None => obj!(m, ctx, AllowedSeed), // allowed_tags
    })
}

pub(super) fn visit_allowed<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    entries(m, ctx, |m, ctx, k| {
        let run = list(m, ctx, keep, false)?;
        if keep && ctx.batch.allowed.push((k, run)).is_err() {
            return Err(ctx.fail(ConfigErrorKind::Capacity, "more than 128 keys", None));
        }
        Ok(())
    })
}

/// Feeds one collected instance to the builder.
pub(super) fn build_instance(ctx: &mut Ctx<'_, '_>, k: Src) -> Result<(), ConfigError> {
    let (doc, scratch) = (ctx.doc, &ctx.scratch);
    let bt = &ctx.batch;
    let t = |s: Src| text(doc, scratch, s);
    let path: &str = &ctx.path;
    let name = t(k);
    let comp = ctx.b.find_compartment(t(bt.compartment)).ok_or_else(|| {
        let mut p = Path::new();
        let _ = write!(p, "{path}.compartment_id");
        let mut msg = heapless::String::<200>::new();
        let _ = write!(msg, "unknown compartment `");
        push_cut(&mut msg, t(bt.compartment));
        let _ = msg.push('`');
        ConfigError::semantic(ConfigErrorKind::Invalid, &p, &msg)
    })?;
    let id = ctx.b.ruleset(bt.ruleset(doc, scratch, name, path))?;
    for &(tax, run) in bt.allowed.iter() {
        let mut p = heapless::String::<256>::new();
        let _ = write!(p, "{path}.taxonomies_rules.allowed_tags.");
        push_cut(&mut p, t(tax));
        ctx.b.allowed_tags(id, t(tax), strs(doc, scratch, &bt.items, run), &p)?;
    }
    ctx.b.instance(name, t(bt.ip), t(bt.host), bt.port, comp, path)?;
    bt.overflowed()
}
