//! The two-instance setup that [`crate::bodies`]' generated bodies are judged under:
//! [`bench_config`] is the configuration their planted violations violate (used by the
//! benches, the reference's tests and the core's property tests).

use serde_json::{json, Value};

/// Source instance of the bench traffic (its `ip`).
pub const SRC_IP: &str = "10.0.0.1";
/// Source instance host.
pub const SRC_HOST: &str = "misp-a.example";
/// Destination instance host.
pub const DST_HOST: &str = "misp-b.example";
/// Destination instance ip.
pub const DST_IP: &str = "10.0.0.2";
/// Name of the source instance in [`bench_config`].
pub const SRC_INSTANCE: &str = "misp_a";
/// Name of the destination instance in [`bench_config`].
pub const DST_INSTANCE: &str = "misp_b";

fn rules(required: bool) -> Value {
    let (req, allowed) = if required {
        (json!(["tlp"]), json!({"tlp": ["tlp:clear", "tlp:white", "tlp:green", "tlp:amber"]}))
    } else {
        (json!([]), json!({}))
    };
    json!({
        "taxonomies_rules": {
            "required_taxonomies": req,
            "allowed_tags": allowed,
            "blocked_tags": [crate::bodies::BLOCKED_TAG, "tlp:rainbow"]
        },
        "blocked_distribution_levels": [crate::bodies::BLOCKED_LEVEL],
        "blocked_sharing_groups_uuids": [crate::bodies::BLOCKED_SG_UUID],
        "blocked_attribute_types": [crate::bodies::BLOCKED_TYPE, "email"],
        "blocked_attribute_categories": [crate::bodies::BLOCKED_CATEGORY],
        "blocked_object_types": [crate::bodies::BLOCKED_OBJECT_TYPE]
    })
}

/// A current-format configuration with two instances in one compartment
/// ([`SRC_INSTANCE`] at [`SRC_IP`]/[`SRC_HOST`], [`DST_INSTANCE`] at
/// [`DST_IP`]/[`DST_HOST`], port 443), both with the same rules: blocked tag
/// `tlp:red`, level `0`, sharing group [`crate::bodies::BLOCKED_SG_UUID`], types
/// `passport-number`/`email`, category `Person`, object type `person`.
/// `required`: also require a `tlp` tag (clear/white/green/amber) on events and
/// attributes (generate with [`crate::bodies::Spec::with_required_tag`]).
pub fn bench_config(required: bool) -> Value {
    let inst = |ip: &str, host: &str| {
        let mut v = json!({
            "ip": ip, "host": host, "port": 443,
            "compartment_id": "c1", "affiliation": ""
        });
        if let (Value::Object(m), Value::Object(r)) = (&mut v, rules(required)) {
            m.extend(r);
        }
        v
    };
    json!({
        "allowlist": {"urls": [], "domains": []},
        "compartments_rules": {"can_reach": {"c1": ["c1"]}},
        "instances": {
            SRC_INSTANCE: inst(SRC_IP, SRC_HOST),
            DST_INSTANCE: inst(DST_IP, DST_HOST)
        }
    })
}

/// One instance's rules object out of a current-format configuration.
pub fn instance_rules<'c>(config: &'c Value, instance: &str) -> Option<&'c Value> {
    config.get("instances")?.get(instance)
}
