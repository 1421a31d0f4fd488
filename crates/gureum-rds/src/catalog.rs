//! What RDS offers: engines and their versions, instance classes, storage
//! limits and each parameter family's parameters (a realistic subset of
//! AWS's defaults, enough to tune and to see applied).

/// An engine RDS serves here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `postgres`, run by the host's PostgreSQL.
    Postgres,
    /// `mysql`, run by the host's MariaDB (its stand-in, reported honestly).
    Mysql,
    /// `mariadb`, run by the host's MariaDB.
    Mariadb,
}

impl Engine {
    /// The engine named `name` (RDS's lowercase names).
    pub fn parse(name: &str) -> Option<Engine> {
        match name {
            "postgres" => Some(Engine::Postgres),
            "mysql" => Some(Engine::Mysql),
            "mariadb" => Some(Engine::Mariadb),
            _ => None,
        }
    }

    /// RDS's name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
        }
    }

    /// The versions offered, oldest first; the last is the default.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Engine::Postgres => &["13.20", "14.17", "15.10", "15.12", "16.8"],
            Engine::Mysql => &["8.0.40", "8.0.41", "8.4.4"],
            Engine::Mariadb => &["10.6.21", "10.11.11", "11.4.5"],
        }
    }

    /// The default version (what the host runs best: PostgreSQL 15).
    pub fn default_version(self) -> &'static str {
        match self {
            Engine::Postgres => "15.12",
            Engine::Mysql => "8.0.41",
            Engine::Mariadb => "10.11.11",
        }
    }

    /// The parameter group family of `version`.
    pub fn family(self, version: &str) -> String {
        let major = version.split('.').next().unwrap_or("");
        match self {
            Engine::Postgres => format!("postgres{major}"),
            Engine::Mysql | Engine::Mariadb => {
                let minor = version.split('.').nth(1).unwrap_or("0");
                format!("{}{major}.{minor}", self.name())
            }
        }
    }

    /// The port clients use by default.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql | Engine::Mariadb => 3306,
        }
    }

    /// Whether the engine runs on PostgreSQL (else MariaDB).
    pub fn is_postgres(self) -> bool {
        self == Engine::Postgres
    }

    /// The license model RDS reports.
    pub fn license(self) -> &'static str {
        match self {
            Engine::Postgres => "postgresql-license",
            Engine::Mysql | Engine::Mariadb => "general-public-license",
        }
    }
}

/// The families parameter groups may be created in.
pub const FAMILIES: &[&str] = &[
    "postgres13",
    "postgres14",
    "postgres15",
    "postgres16",
    "mysql8.0",
    "mysql8.4",
    "mariadb10.6",
    "mariadb10.11",
    "mariadb11.4",
];

/// Instance classes offered: name, vCPUs, memory in GiB (AWS's catalogue).
pub const CLASSES: &[(&str, u32, f64)] = &[
    ("db.t3.micro", 2, 1.0),
    ("db.t3.small", 2, 2.0),
    ("db.t3.medium", 2, 4.0),
    ("db.t3.large", 2, 8.0),
    ("db.t4g.micro", 2, 1.0),
    ("db.t4g.small", 2, 2.0),
    ("db.t4g.medium", 2, 4.0),
    ("db.t4g.large", 2, 8.0),
    ("db.m5.large", 2, 8.0),
    ("db.m5.xlarge", 4, 16.0),
    ("db.m6g.large", 2, 8.0),
    ("db.m6i.large", 2, 8.0),
    ("db.m7g.large", 2, 8.0),
    ("db.r5.large", 2, 16.0),
    ("db.r6g.large", 2, 16.0),
    ("db.r6i.large", 2, 16.0),
    ("db.r7g.large", 2, 16.0),
];

/// Whether `class` is offered.
pub fn class_known(class: &str) -> bool {
    CLASSES.iter().any(|(c, _, _)| *c == class)
}

/// The storage types and their allocated-storage range in GiB (the API
/// reference's limits for MySQL, MariaDB and PostgreSQL).
pub fn storage_range(storage_type: &str) -> Option<(i64, i64)> {
    match storage_type {
        "gp2" | "gp3" => Some((20, 65536)),
        "io1" | "io2" => Some((100, 65536)),
        "standard" => Some((5, 3072)),
        _ => None,
    }
}

/// How a parameter changes: at once (`dynamic`) or on reboot (`static`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyType {
    /// Takes effect when set.
    Dynamic,
    /// Takes effect after a reboot.
    Static,
}

/// One parameter of a family.
#[derive(Clone, Copy, Debug)]
pub struct ParameterSpec {
    /// The engine's name for it.
    pub name: &'static str,
    /// The default value (`None`: engine default, not set).
    pub default: Option<&'static str>,
    /// `integer`, `boolean`, `string`.
    pub data_type: &'static str,
    /// AWS's `AllowedValues` (`6-8388607`, `0,1`, a list).
    pub allowed: &'static str,
    /// Dynamic or static.
    pub apply: ApplyType,
    /// What it does.
    pub description: &'static str,
}

const fn p(
    name: &'static str,
    default: Option<&'static str>,
    data_type: &'static str,
    allowed: &'static str,
    apply: ApplyType,
    description: &'static str,
) -> ParameterSpec {
    ParameterSpec {
        name,
        default,
        data_type,
        allowed,
        apply,
        description,
    }
}

use ApplyType::{Dynamic, Static};

const POSTGRES: &[ParameterSpec] = &[
    p(
        "autovacuum",
        Some("1"),
        "boolean",
        "0,1",
        Dynamic,
        "Starts the autovacuum subprocess.",
    ),
    p(
        "log_min_duration_statement",
        None,
        "integer",
        "-1-2147483647",
        Dynamic,
        "Sets the minimum execution time above which statements will be logged.",
    ),
    p(
        "log_statement",
        None,
        "string",
        "none,ddl,mod,all",
        Dynamic,
        "Sets the type of statements logged.",
    ),
    p(
        "max_connections",
        Some("100"),
        "integer",
        "6-8388607",
        Static,
        "Sets the maximum number of concurrent connections.",
    ),
    p(
        "max_wal_senders",
        Some("10"),
        "integer",
        "5-8388607",
        Static,
        "Sets the maximum number of simultaneously running WAL sender processes.",
    ),
    p(
        "random_page_cost",
        None,
        "real",
        "0-2147483647",
        Dynamic,
        "Sets the planners estimate of the cost of a nonsequentially fetched disk page.",
    ),
    p(
        "shared_buffers",
        None,
        "integer",
        "16-1073741823",
        Static,
        "(8kB) Sets the number of shared memory buffers used by the server.",
    ),
    p(
        "statement_timeout",
        None,
        "integer",
        "0-2147483647",
        Dynamic,
        "Sets the maximum allowed duration of any statement.",
    ),
    p(
        "timezone",
        Some("UTC"),
        "string",
        "",
        Dynamic,
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    p(
        "work_mem",
        None,
        "integer",
        "64-2147483647",
        Dynamic,
        "(kB) Sets the maximum memory to be used for query workspaces.",
    ),
];

const MYSQL: &[ParameterSpec] = &[
    p("character_set_server", None, "string", "utf8,latin1,utf8mb4", Dynamic, "The server's default character set."),
    p("innodb_buffer_pool_size", None, "integer", "5242880-9223372036854775807", Static, "The size in bytes of the memory buffer innodb uses to cache data and indexes of its tables."),
    p("long_query_time", None, "float", "0-31536000", Dynamic, "Defines what MySQL considers long queries."),
    p("max_allowed_packet", None, "integer", "1024-1073741824", Dynamic, "This value by default is small, to catch large (possibly incorrect) packets. Must be increased if using large BLOB columns or long strings."),
    p("max_connections", None, "integer", "1-100000", Dynamic, "The number of simultaneous client connections allowed."),
    p("slow_query_log", None, "boolean", "0,1", Dynamic, "Enable or disable the slow query log."),
    p("time_zone", None, "string", "", Dynamic, "Sets the time zone."),
    p("wait_timeout", None, "integer", "1-31536000", Dynamic, "The number of seconds the server waits for activity on a non-interactive TCP/IP or UNIX file connection before closing it."),
];

/// The parameters of `family` (empty for a family not known).
pub fn parameters(family: &str) -> &'static [ParameterSpec] {
    if family.starts_with("postgres") {
        POSTGRES
    } else if family.starts_with("mysql") || family.starts_with("mariadb") {
        MYSQL
    } else {
        &[]
    }
}

/// Whether `value` is allowed for `spec` (ranges `a-b`, lists `x,y`).
pub fn value_allowed(spec: &ParameterSpec, value: &str) -> bool {
    match spec.data_type {
        "integer" | "float" | "real" => {
            let Ok(v) = value.parse::<f64>() else {
                return false;
            };
            if spec.data_type == "integer" && value.parse::<i64>().is_err() {
                return false;
            }
            // A range whose low end may be negative: split at the dash after it.
            let split = spec.allowed[1..].find('-').map(|i| i + 1);
            match split {
                Some(i) => {
                    let lo = spec.allowed[..i].parse::<f64>().unwrap_or(f64::MIN);
                    let hi = spec.allowed[i + 1..].parse::<f64>().unwrap_or(f64::MAX);
                    v >= lo && v <= hi
                }
                None => true,
            }
        }
        _ if spec.allowed.is_empty() => true,
        _ => spec.allowed.split(',').any(|a| a == value),
    }
}
