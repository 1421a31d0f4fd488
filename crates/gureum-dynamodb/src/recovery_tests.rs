//! Backups and point-in-time recovery, one rule per test.

use crate::tests::Env;
use serde_json::{json, Value};

fn scan_sks(env: &Env, table: &str) -> Vec<String> {
    let out = env.ok("Scan", json!({"TableName": table}));
    let mut sks: Vec<String> = out["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["sk"]["N"].as_str().unwrap_or_default().to_string())
        .collect();
    sks.sort();
    sks
}

fn item(sk: u32, g: &str) -> Value {
    json!({"pk": {"S": "p"}, "sk": {"N": sk.to_string()}, "g": {"S": g}})
}

#[test]
fn a_backup_keeps_the_items_of_its_moment() {
    let env = Env::new();
    env.table();
    env.put(item(1, "x"));
    let arn = env.ok(
        "CreateBackup",
        json!({"TableName": "t", "BackupName": "b1"}),
    )["BackupDetails"]["BackupArn"]
        .clone();
    env.put(item(2, "x"));
    env.ok(
        "DeleteItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}}}),
    );
    env.ok("DeleteTable", json!({"TableName": "t"}));
    env.ok(
        "RestoreTableFromBackup",
        json!({"TargetTableName": "copy", "BackupArn": arn}),
    );
    assert_eq!(scan_sks(&env, "copy"), ["1"]);
    // The index was rebuilt from the items.
    let q = env.ok(
        "Query",
        json!({"TableName": "copy", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": "x"}}}),
    );
    assert_eq!(q["Count"], 1);
}

#[test]
fn a_point_in_time_restore_undoes_every_later_change() {
    let env = Env::new();
    env.table();
    env.put(item(1, "x"));
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "t", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    env.put(item(2, "x"));
    env.clock.advance_millis(10 * 60 * 1000);
    let at = env.clock.now_millis();
    // A change at exactly `at` is part of the table at `at`.
    env.clock.advance_millis(1);
    env.put(item(3, "y"));
    env.put(item(2, "z"));
    env.ok(
        "DeleteItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}}}),
    );
    env.clock.advance_millis(10 * 60 * 1000);
    env.ok(
        "RestoreTableToPointInTime",
        json!({"SourceTableName": "t", "TargetTableName": "then", "RestoreDateTime": at as f64 / 1000.0}),
    );
    assert_eq!(scan_sks(&env, "then"), ["1", "2"]);
    let got = env.ok(
        "GetItem",
        json!({"TableName": "then", "Key": {"pk": {"S": "p"}, "sk": {"N": "2"}}}),
    );
    assert_eq!(got["Item"]["g"], json!({"S": "x"}));
}

#[test]
fn a_restore_time_after_the_latest_restorable_is_refused() {
    let env = Env::new();
    env.table();
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "t", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    env.clock.advance_millis(60 * 60 * 1000);
    let now = env.clock.now_millis() as f64 / 1000.0;
    let e = env.err(
        "RestoreTableToPointInTime",
        json!({"SourceTableName": "t", "TargetTableName": "later", "RestoreDateTime": now - 60.0}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidRestoreTimeException", "Invalid restore time")
    );
}

#[test]
fn the_log_keeps_only_the_recovery_period() {
    let env = Env::new();
    env.table();
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "t", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 1}}),
    );
    env.put(item(1, "x"));
    assert_eq!(env.svc.s.pitr_log.len().expect("len"), 1);
    env.clock.advance_millis(2 * 24 * 60 * 60 * 1000);
    env.svc
        .expire_due(env.clock.now_millis())
        .expect("ticker pass");
    assert_eq!(env.svc.s.pitr_log.len().expect("len"), 0);
}
