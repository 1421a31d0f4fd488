//! The catalogue: node types, engine versions and their parameter group
//! families, and the parameters Gureum applies to the engines.

use crate::input::{page_request, with_marker};
use crate::ElasticacheError;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_kit::paging::page_sorted;
use serde_json::json;

/// Node types Gureum accepts, with the memory AWS gives each (MiB),
/// which becomes the engine's `maxmemory`.
pub const NODE_TYPES: &[(&str, u64)] = &[
    ("cache.t2.micro", 555),
    ("cache.t2.small", 1588),
    ("cache.t3.micro", 512),
    ("cache.t3.small", 1403),
    ("cache.t3.medium", 3164),
    ("cache.t4g.micro", 512),
    ("cache.t4g.small", 1403),
    ("cache.t4g.medium", 3164),
    ("cache.m6g.large", 6533),
    ("cache.m7g.large", 6533),
    ("cache.r6g.large", 13384),
    ("cache.r7g.large", 13384),
];

/// The memory of `node_type` in MiB, when it is in the catalogue.
pub fn node_memory_mb(node_type: &str) -> Option<u64> {
    NODE_TYPES
        .iter()
        .find(|(t, _)| *t == node_type)
        .map(|(_, mb)| *mb)
}

/// One engine version: `(engine, version, family, description)`.
pub type EngineVersion = (&'static str, &'static str, &'static str, &'static str);

/// The engine versions Gureum offers, oldest first per engine; the last
/// of each engine is its default.
pub const ENGINE_VERSIONS: &[EngineVersion] = &[
    ("memcached", "1.6.17", "memcached1.6", "Memcached 1.6.17"),
    ("memcached", "1.6.22", "memcached1.6", "Memcached 1.6.22"),
    ("redis", "6.2", "redis6.x", "Redis OSS 6.2"),
    ("redis", "7.0", "redis7", "Redis OSS 7.0"),
    ("redis", "7.1", "redis7", "Redis OSS 7.1"),
    ("valkey", "7.2", "valkey7", "Valkey 7.2"),
    ("valkey", "8.0", "valkey8", "Valkey 8.0"),
];

/// The catalogue entry of `engine` at `version` (the default when none).
pub fn engine_version(engine: &str, version: Option<&str>) -> Option<&'static EngineVersion> {
    match version {
        Some(v) => ENGINE_VERSIONS.iter().find(|e| {
            e.0 == engine && (e.1 == v || (v.ends_with(".x") && e.1.starts_with(&v[..v.len() - 1])))
        }),
        None => ENGINE_VERSIONS.iter().rev().find(|e| e.0 == engine),
    }
}

/// The engine's default port.
pub fn default_port(engine: &str) -> u16 {
    if engine == "memcached" {
        11211
    } else {
        6379
    }
}

/// One parameter of a family.
#[derive(Clone, Copy, Debug)]
pub struct ParamDef {
    /// `maxmemory-policy`.
    pub name: &'static str,
    /// The family's default value.
    pub default: &'static str,
    /// `string`, `integer`.
    pub data_type: &'static str,
    /// `a,b,c` or `0-100`.
    pub allowed: &'static str,
    /// `immediate` (applied with `CONFIG SET`) or `requires-reboot`.
    pub change_type: &'static str,
    /// What it does.
    pub description: &'static str,
}

const MAXMEMORY_POLICIES: &str =
    "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction";

/// Redis OSS and Valkey parameters (every Redis-like family).
pub const REDIS_PARAMS: &[ParamDef] = &[
    ParamDef { name: "maxmemory-policy", default: "volatile-lru", data_type: "string", allowed: MAXMEMORY_POLICIES, change_type: "immediate", description: "Max memory policy." },
    ParamDef { name: "maxmemory-samples", default: "3", data_type: "integer", allowed: "1-", change_type: "immediate", description: "Max memory samples." },
    ParamDef { name: "timeout", default: "0", data_type: "integer", allowed: "0,20-", change_type: "immediate", description: "Close connection if client is idle for a given number of seconds, or never if 0." },
    ParamDef { name: "tcp-keepalive", default: "300", data_type: "integer", allowed: "0-", change_type: "immediate", description: "If non-zero, send ACKs every given number of seconds." },
    ParamDef { name: "notify-keyspace-events", default: "", data_type: "string", allowed: "", change_type: "immediate", description: "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled" },
    ParamDef { name: "slowlog-log-slower-than", default: "10000", data_type: "integer", allowed: "-", change_type: "immediate", description: "The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command." },
    ParamDef { name: "slowlog-max-len", default: "128", data_type: "integer", allowed: "0-", change_type: "immediate", description: "The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET." },
    ParamDef { name: "lfu-log-factor", default: "10", data_type: "integer", allowed: "1-", change_type: "immediate", description: "The log factor for incrementing key counter for LFU eviction policy" },
    ParamDef { name: "lfu-decay-time", default: "1", data_type: "integer", allowed: "0-", change_type: "immediate", description: "The amount of time in minutes to decrement the key counter for LFU eviction policy" },
    ParamDef { name: "databases", default: "16", data_type: "integer", allowed: "1-1200000", change_type: "requires-reboot", description: "Set the number of databases." },
];

/// Memcached parameters, passed as command-line flags.
pub const MEMCACHED_PARAMS: &[ParamDef] = &[
    ParamDef { name: "max_item_size", default: "1048576", data_type: "integer", allowed: "1048576-134217728", change_type: "requires-reboot", description: "The size of the largest item storable in the cache, in bytes." },
    ParamDef { name: "chunk_size", default: "48", data_type: "integer", allowed: "1-", change_type: "requires-reboot", description: "The minimum amount, in bytes, of space to allocate for the smallest item's key, value, and flags." },
    ParamDef { name: "max_simultaneous_connections", default: "65000", data_type: "integer", allowed: "3-65000", change_type: "requires-reboot", description: "The maximum number of simultaneous connections." },
];

/// The parameters of `family`.
pub fn params_of(family: &str) -> &'static [ParamDef] {
    if family.starts_with("memcached") {
        MEMCACHED_PARAMS
    } else {
        REDIS_PARAMS
    }
}

/// The families Gureum knows.
pub fn is_family(family: &str) -> bool {
    ENGINE_VERSIONS.iter().any(|e| e.2 == family)
}

/// The default parameter group of a family (`default.redis7`).
pub fn default_group(family: &str) -> String {
    format!("default.{family}")
}

/// The family of a default group name, when it is one.
pub fn default_group_family(name: &str) -> Option<&'static str> {
    let family = name.strip_prefix("default.")?;
    ENGINE_VERSIONS.iter().find(|e| e.2 == family).map(|e| e.2)
}

/// Whether `value` is allowed for `p`.
pub fn check_value(p: &ParamDef, value: &str) -> Result<(), AwsError> {
    let bad = || -> AwsError {
        ElasticacheError::value(format!("Invalid value for parameter {}: {value}", p.name)).into()
    };
    if p.data_type == "integer" {
        let n: i64 = value.trim().parse().map_err(|_| bad())?;
        if p.allowed.is_empty() || p.allowed == "-" {
            return Ok(());
        }
        let ok = p
            .allowed
            .split(',')
            .any(|range| match range.split_once('-') {
                Some((lo, hi)) => {
                    lo.parse::<i64>().map_or(true, |lo| n >= lo)
                        && hi.parse::<i64>().map_or(true, |hi| n <= hi)
                }
                None => range.parse::<i64>() == Ok(n),
            });
        return if ok { Ok(()) } else { Err(bad()) };
    }
    if p.allowed.is_empty() || p.allowed.split(',').any(|a| a == value) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `DescribeCacheEngineVersions`.
pub(crate) fn describe_engine_versions(_ctx: &RequestContext, input: &Value) -> OpResult {
    let engine = str_member(input, "Engine");
    let version = str_member(input, "EngineVersion");
    let family = str_member(input, "CacheParameterGroupFamily");
    let default_only = input.get("DefaultOnly").and_then(Value::as_bool) == Some(true);
    let chosen: Vec<&EngineVersion> = ENGINE_VERSIONS
        .iter()
        .filter(|e| engine.is_none_or(|x| x == e.0))
        .filter(|e| version.is_none_or(|x| x == e.1))
        .filter(|e| family.is_none_or(|x| x == e.2))
        .filter(|e| !default_only || engine_version(e.0, None) == Some(*e))
        .collect();
    if let Some(f) = family {
        if !is_family(f) {
            return Err(ElasticacheError::value(format!(
                "Invalid parameter group family specified: {f}"
            ))
            .into());
        }
    }
    let request = page_request(input)?;
    let page = page_sorted(&chosen, |e| format!("{}/{}", e.0, e.1), &request);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|e| {
            json!({
                "Engine": e.0,
                "EngineVersion": e.1,
                "CacheParameterGroupFamily": e.2,
                "CacheEngineDescription": match e.0 {
                    "memcached" => "memcached",
                    "valkey" => "Valkey",
                    _ => "Redis",
                },
                "CacheEngineVersionDescription": e.3,
            })
        })
        .collect();
    Ok(with_marker(
        json!({ "CacheEngineVersions": items }),
        page.next_token,
    ))
}
