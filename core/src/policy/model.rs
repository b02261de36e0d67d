//! The serde model of both configuration formats, as misp-guard reads them.
//!
//! Owned (`alloc`), read by the std loader with serde_json. The no-alloc loader
//! ([`super::load_core`]) walks the same shapes with serde-json-core and hand-written
//! visitors (same fields, same required/optional split, same duplicate refusal), one
//! instance at a time; keep the two in step. Keys a struct does not have are
//! skipped by serde (misp-guard's schema allows them): [`super::keys`] has already
//! refused the misspelt ones and recorded the others.

#[cfg(feature = "alloc")]
pub use owned::*;

#[cfg(feature = "alloc")]
mod owned {
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::Deserialize;

    /// The current format (`config.schema.json`).
    #[derive(Debug, Deserialize)]
    pub struct CurrentConfig {
        /// Requests that pass without further checks (source still checked).
        pub allowlist: Allowlist,
        /// Which compartment may reach which.
        pub compartments_rules: CompartmentsRules,
        /// Instances by name, in file order.
        pub instances: Ordered<Instance>,
        /// Which endpoint list applies: `"misp-sync"` (default) or `"misp-guard"`
        /// (misp-guard's exact list). Not in misp-guard's schema; optional.
        #[serde(default)]
        pub endpoints: Option<String>,
    }

    /// `allowlist`.
    #[derive(Debug, Deserialize, Default)]
    pub struct Allowlist {
        /// Full URLs (`scheme://host[:port]/path?query`).
        #[serde(default)]
        pub urls: Vec<String>,
        /// Destination host names.
        #[serde(default)]
        pub domains: Vec<String>,
    }

    /// `compartments_rules`.
    #[derive(Debug, Deserialize, Default)]
    pub struct CompartmentsRules {
        /// `can_reach[src]` lists the compartments `src` may reach.
        #[serde(default)]
        pub can_reach: Ordered<Vec<String>>,
    }

    /// One instance.
    #[derive(Debug, Deserialize)]
    pub struct Instance {
        /// Source address of its requests.
        pub ip: String,
        /// Host name it is addressed by.
        pub host: String,
        /// Port it is addressed on.
        pub port: u16,
        /// Its compartment.
        pub compartment_id: String,
        /// Free text.
        #[serde(default)]
        pub affiliation: Option<String>,
        /// Tag rules.
        pub taxonomies_rules: TaxonomiesRules,
        /// Blocked distribution levels (`"0"`…`"5"`).
        pub blocked_distribution_levels: Vec<Level>,
        /// Blocked sharing-group UUIDs.
        pub blocked_sharing_groups_uuids: Vec<String>,
        /// Blocked attribute types.
        pub blocked_attribute_types: Vec<String>,
        /// Blocked attribute categories.
        pub blocked_attribute_categories: Vec<String>,
        /// Blocked object types (object `name`).
        pub blocked_object_types: Vec<String>,
    }

    /// `taxonomies_rules`.
    #[derive(Debug, Deserialize)]
    pub struct TaxonomiesRules {
        /// Taxonomies every event and attribute must carry a tag of.
        #[serde(default)]
        pub required_taxonomies: Vec<String>,
        /// For a required taxonomy, the only tags that satisfy it.
        #[serde(default)]
        pub allowed_tags: Ordered<Vec<String>>,
        /// Blocked tag names.
        #[serde(default)]
        pub blocked_tags: Vec<String>,
    }

    /// The first release's format.
    #[derive(Debug, Deserialize)]
    pub struct LegacyConfig {
        /// The guard's own address (requests to it are inbound).
        pub proxy: HostPort,
        /// The internal MISP.
        pub misp: HostPort,
        /// Global block rules.
        pub block_rules: Vec<BlockRule>,
    }

    /// `{host, port}`.
    #[derive(Debug, Deserialize)]
    pub struct HostPort {
        /// Host name.
        pub host: String,
        /// Port.
        pub port: u16,
    }

    /// One legacy block rule.
    #[derive(Debug, Deserialize)]
    pub struct BlockRule {
        /// Reported as `. blocked by rule: ID`.
        pub id: String,
        /// Free text.
        #[serde(default)]
        pub description: Option<String>,
        /// Blocked tag names.
        #[serde(default)]
        pub blocked_tags: Vec<String>,
        /// Blocked distribution levels.
        #[serde(default)]
        pub blocked_distribution_levels: Vec<Level>,
        /// Blocked sharing-group UUIDs.
        #[serde(default)]
        pub blocked_sharing_groups_uuids: Vec<String>,
        /// Blocked attribute types.
        #[serde(default)]
        pub blocked_attribute_types: Vec<String>,
        /// Blocked attribute categories.
        #[serde(default)]
        pub blocked_attribute_categories: Vec<String>,
        /// Blocked object types.
        #[serde(default)]
        pub blocked_object_types: Vec<String>,
    }

    /// A distribution level as written: `"0"` (schema) or `0`. Anything else is a
    /// wrong type ("expected a distribution level"), not an opaque untagged-enum error.
    #[derive(Debug)]
    pub enum Level {
        /// `"0"`.
        Text(String),
        /// `0`.
        Number(u64),
    }

    impl<'de> Deserialize<'de> for Level {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Vis;
            impl serde::de::Visitor<'_> for Vis {
                type Value = Level;
                fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                    f.write_str("a distribution level (a string or an integer)")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Level, E> {
                    Ok(Level::Text(String::from(v)))
                }
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Level, E> {
                    Ok(Level::Number(v))
                }
            }
            d.deserialize_any(Vis)
        }
    }

    impl Level {
        /// Decimal text of the level.
        pub fn text(&self) -> String {
            match self {
                Level::Text(s) => s.clone(),
                Level::Number(n) => alloc::format!("{n}"),
            }
        }
    }

    /// A JSON object kept in file order (instances are matched in file order), with
    /// duplicate keys refused.
    #[derive(Debug)]
    pub struct Ordered<V>(pub Vec<(String, V)>);

    impl<V> Default for Ordered<V> {
        fn default() -> Self {
            Ordered(Vec::new())
        }
    }

    impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Vis<V>(core::marker::PhantomData<V>);
            impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Vis<V> {
                type Value = Ordered<V>;
                fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Self::Value, A::Error> {
                    let mut out: Vec<(String, V)> = Vec::new();
                    let mut seen = BTreeMap::new();
                    while let Some(k) = m.next_key::<String>()? {
                        if seen.insert(k.clone(), ()).is_some() {
                            return Err(serde::de::Error::custom(alloc::format!(
                                "duplicate key `{k}`"
                            )));
                        }
                        let v = m.next_value()?;
                        out.push((k, v));
                    }
                    Ok(Ordered(out))
                }
            }
            d.deserialize_map(Vis(core::marker::PhantomData))
        }
    }
}
