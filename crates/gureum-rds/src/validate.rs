//! RDS's input rules for instances, with its wording.

use crate::catalog::Engine;
use crate::errors::{invalid_combination, invalid_value};
use gureum_core::AwsError;

/// `DBInstanceIdentifier` (and snapshot identifiers): 1–63 letters,
/// digits and hyphens, starting with a letter, no trailing or double
/// hyphen. Answers the identifier lowercased, as RDS stores it.
pub fn identifier(member: &str, id: &str) -> Result<String, AwsError> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(invalid_value(format!(
            "The parameter {member} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        )))
    }
}

/// The engine.
pub fn engine(name: &str) -> Result<Engine, AwsError> {
    Engine::parse(name).ok_or_else(|| invalid_value(format!("Invalid DB engine: {name}")))
}

/// The version: the catalogue's, the default when absent.
pub fn version(engine: Engine, version: Option<&str>) -> Result<String, AwsError> {
    match version {
        None => Ok(engine.default_version().to_string()),
        Some(v) => {
            // A major version alone picks its newest minor, as RDS does.
            let found = engine
                .versions()
                .iter()
                .rev()
                .find(|known| **known == v || known.starts_with(&format!("{v}.")));
            found.map(|v| v.to_string()).ok_or_else(|| {
                invalid_combination(format!("Cannot find version {v} for {}", engine.name()))
            })
        }
    }
}

/// The instance class, from the catalogue.
pub fn class(class: &str, engine: Engine, version: &str) -> Result<(), AwsError> {
    if crate::catalog::class_known(class) {
        return Ok(());
    }
    Err(invalid_combination(format!(
        "RDS does not support creating a DB instance with the following combination: DBInstanceClass={class}, Engine={}, EngineVersion={version}, LicenseModel={}. For supported combinations of instance class and database engine version, see the documentation.",
        engine.name(),
        engine.license()
    )))
}

/// The master user: a letter, then letters, digits and underscores, at
/// most 63 (PostgreSQL) or 16 (MySQL, MariaDB) characters, not reserved.
pub fn master_username(engine: Engine, name: Option<&str>) -> Result<String, AwsError> {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err(invalid_value(
            "The parameter MasterUsername must be provided and must not be blank.",
        ));
    };
    let max = if engine.is_postgres() { 63 } else { 16 };
    let ok = name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(invalid_value(
            "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must not be a reserved word.",
        ));
    }
    let reserved: &[&str] = if engine.is_postgres() {
        &["rdsadmin", "postgres"]
    } else {
        &["rdsadmin"]
    };
    if reserved.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(invalid_value(format!(
            "MasterUsername {name} cannot be used as it is a reserved word used by the engine"
        )));
    }
    Ok(name.to_string())
}

/// The master password: 8–128 (PostgreSQL) or 8–41 (MySQL, MariaDB)
/// printable ASCII characters other than `/`, `@`, `"` and space.
pub fn master_password(engine: Engine, password: Option<&str>) -> Result<String, AwsError> {
    let Some(pw) = password.filter(|p| !p.is_empty()) else {
        return Err(invalid_value(
            "The parameter MasterUserPassword must be provided and must not be blank.",
        ));
    };
    let printable = pw
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '@' | '"'));
    if !printable {
        return Err(invalid_value(
            "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.",
        ));
    }
    let max = if engine.is_postgres() { 128 } else { 41 };
    if pw.len() < 8 {
        return Err(invalid_value(
            "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
        ));
    }
    if pw.len() > max {
        return Err(invalid_value(format!(
            "The parameter MasterUserPassword is not a valid password because it is longer than {max} characters."
        )));
    }
    Ok(pw.to_string())
}

/// Storage type and size: the type's range for these engines.
pub fn storage(engine: Engine, storage_type: &str, size: Option<i64>) -> Result<i64, AwsError> {
    let Some((min, max)) = crate::catalog::storage_range(storage_type) else {
        return Err(invalid_value(format!(
            "Invalid storage type: {storage_type}"
        )));
    };
    let Some(size) = size else {
        return Err(invalid_value(
            "The parameter AllocatedStorage must be provided and must not be blank.",
        ));
    };
    if size < min || size > max {
        return Err(invalid_combination(format!(
            "Invalid storage size for engine name {} and storage type {storage_type}: {size}",
            engine.name()
        )));
    }
    Ok(size)
}

/// `DBName`: a letter, then letters, digits and underscores; up to 63
/// characters (PostgreSQL) or 64 (MySQL, MariaDB).
pub fn db_name(engine: Engine, name: Option<&str>) -> Result<Option<String>, AwsError> {
    let Some(name) = name else {
        return Ok(None);
    };
    let max = if engine.is_postgres() { 63 } else { 64 };
    let ok = !name.is_empty()
        && name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let reserved =
        engine.is_postgres() && ["postgres", "template0", "template1", "rdsadmin"].contains(&name);
    if !ok || reserved {
        return Err(invalid_value(
            "The parameter DBName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must not be a reserved word.",
        ));
    }
    Ok(Some(name.to_string()))
}

/// `BackupRetentionPeriod`: 0–35 days.
pub fn backup_retention(days: Option<i64>) -> Result<i64, AwsError> {
    let days = days.unwrap_or(1);
    if !(0..=35).contains(&days) {
        return Err(invalid_value(format!(
            "Invalid backup retention period: {days}. Valid values are between 0 and 35."
        )));
    }
    Ok(days)
}

/// `Port`: 1150–65535.
pub fn port(engine: Engine, port: Option<i64>) -> Result<u16, AwsError> {
    let port = port.unwrap_or(engine.default_port() as i64);
    if !(1150..=65535).contains(&port) {
        return Err(invalid_value(format!(
            "Invalid port {port}. Valid values are between 1150 and 65535."
        )));
    }
    Ok(port as u16)
}
