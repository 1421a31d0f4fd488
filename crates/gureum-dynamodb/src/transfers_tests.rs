//! Exports and imports through the S3 seam, one rule per test, over an
//! in-memory object store.

use crate::objects::Objects;
use crate::tests::Env;
use gureum_core::{AwsError, RequestContext};
use parking_lot::Mutex;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// Buckets in memory: `(bucket, key)` → bytes; only bucket `b` exists.
#[derive(Default)]
struct Memory(Mutex<BTreeMap<(String, String), Vec<u8>>>);

fn no_bucket() -> AwsError {
    AwsError::new("NoSuchBucket", 404, "The specified bucket does not exist")
}

impl Objects for Memory {
    fn put(
        &self,
        _: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        if bucket != "b" {
            return Err(no_bucket());
        }
        self.0.lock().insert((bucket.into(), key.into()), body);
        Ok(())
    }

    fn get(&self, _: &RequestContext, bucket: &str, key: &str) -> Result<Vec<u8>, AwsError> {
        self.0
            .lock()
            .get(&(bucket.into(), key.into()))
            .cloned()
            .ok_or_else(no_bucket)
    }

    fn list(
        &self,
        _: &RequestContext,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AwsError> {
        Ok(self
            .0
            .lock()
            .keys()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .collect())
    }
}

#[test]
fn an_export_imports_back_into_an_equal_table() {
    let env = Env::new();
    let mem = Arc::new(Memory::default());
    env.svc.set_objects(mem.clone());
    env.table();
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "t", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    for sk in 0..3 {
        env.put(json!({"pk": {"S": "p"}, "sk": {"N": sk.to_string()}, "g": {"S": "x"}}));
    }
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t";
    let d = env.ok(
        "ExportTableToPointInTime",
        json!({"TableArn": arn, "S3Bucket": "b"}),
    );
    env.svc.run_transfers(&env.clock).expect("pass");
    let d = env.ok(
        "DescribeExport",
        json!({"ExportArn": d["ExportDescription"]["ExportArn"]}),
    )["ExportDescription"]
        .clone();
    assert_eq!(d["ExportStatus"], "COMPLETED");
    assert_eq!(d["ItemCount"], 3);
    let data: Vec<(String, Vec<u8>)> = mem
        .0
        .lock()
        .iter()
        .filter(|((_, k), _)| k.ends_with(".json.gz"))
        .map(|((_, k), v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(data.len(), 1);
    let mut text = String::new();
    flate2::read::GzDecoder::new(data[0].1.as_slice())
        .read_to_string(&mut text)
        .expect("gzip");
    assert_eq!(text.lines().count(), 3);
    let prefix = data[0]
        .0
        .rsplit_once('/')
        .map(|(p, _)| format!("{p}/"))
        .expect("key");
    env.ok(
        "ImportTable",
        json!({"S3BucketSource": {"S3Bucket": "b", "S3KeyPrefix": prefix}, "InputFormat": "DYNAMODB_JSON",
            "InputCompressionType": "GZIP",
            "TableCreationParameters": {"TableName": "back",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                "BillingMode": "PAY_PER_REQUEST"}}),
    );
    env.svc.run_transfers(&env.clock).expect("pass");
    assert_eq!(env.ok("Scan", json!({"TableName": "back"}))["Count"], 3);
}

#[test]
fn an_export_to_a_missing_bucket_fails_with_s3s_reason() {
    let env = Env::new();
    env.svc.set_objects(Arc::new(Memory::default()));
    env.table();
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "t", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t";
    let d = env.ok(
        "ExportTableToPointInTime",
        json!({"TableArn": arn, "S3Bucket": "elsewhere"}),
    );
    env.svc.run_transfers(&env.clock).expect("pass");
    let d = env.ok(
        "DescribeExport",
        json!({"ExportArn": d["ExportDescription"]["ExportArn"]}),
    )["ExportDescription"]
        .clone();
    assert_eq!(
        (d["ExportStatus"].as_str(), d["FailureCode"].as_str()),
        (Some("FAILED"), Some("S3NoSuchBucket"))
    );
}
