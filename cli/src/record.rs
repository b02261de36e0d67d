//! The JSON decision record `inspect --json` prints, one object on one line:
//!
//! ```text
//! {"decision":"allow"|"block","status":200|403,
//!  "stage":"request"|"request_body"|"response_body"|null,
//!  "reason":"event_blocked_tag"|null,"reason_id":20|null,
//!  "message":"event has blocked tag: tlp:red"|null,
//!  "rule":"our_misp"|null,"pointer":"/Event/Tag/0"|null,
//!  "logs":["request blocked: [POST]/events/add/metadata:1 - …", …]}
//! ```
//!
//! `reason` and `reason_id` are the stable code and number of `misp_guard_core::Reason`;
//! `message` is misp-guard's wording without the `request blocked:` prefix; `rule` is the
//! instance name (current format) or `block_rules[].id` (legacy) for rule reasons;
//! `pointer` is the JSON pointer of the offending element for body stages (`""` is the
//! whole body) and `null` for request-level refusals. Fields are written in this order.

use misp_guard_core::Policy;

use crate::decide::{Decision, Stage};

/// Renders `d` as one line of JSON (with the trailing newline).
pub fn render(policy: &Policy, d: &Decision) -> String {
    let s = |v: &str| serde_json::Value::from(v).to_string();
    let opt = |v: Option<String>| v.as_deref().map_or_else(|| "null".to_owned(), s);
    let (decision, stage, reason, reason_id, message, rule, pointer) = match &d.block {
        None => ("allow", None, None, None, None, None, None),
        Some((stage, b)) => (
            "block",
            Some(stage.as_str().to_owned()),
            Some(b.reason.code().to_owned()),
            Some(b.reason as u16),
            Some(b.message(policy).to_string()),
            b.rule_id(policy).map(str::to_owned),
            (*stage != Stage::Request).then(|| b.pointer().to_owned()),
        ),
    };
    let logs: Vec<String> = d.logs.iter().map(|l| s(l)).collect();
    format!(
        "{{\"decision\":{},\"status\":{},\"stage\":{},\"reason\":{},\"reason_id\":{},\
         \"message\":{},\"rule\":{},\"pointer\":{},\"logs\":[{}]}}\n",
        s(decision),
        d.status(),
        opt(stage),
        opt(reason),
        reason_id.map_or_else(|| "null".to_owned(), |n| n.to_string()),
        opt(message),
        opt(rule),
        opt(pointer),
        logs.join(",")
    )
}
