//! Request counting: the server's pipeline counts each authorized request
//! to a service AWS prices by request (SQS, SNS publishes, S3, Lambda
//! invocations, DynamoDB reads and writes, KMS cryptographic calls); the
//! meter's next pass drains the counts into the hour's line items.
//!
//! Counts live in memory until that pass (under a clock minute), so a
//! kill -9 loses at most that minute's requests.

use std::collections::HashMap;
use std::sync::Mutex;

/// What one request of `model`'s `operation` is charged as: (price-list
/// service code, usage type, the catalogue's operation), or `None` when
/// AWS does not price it by request.
pub fn request_charge(
    model: &str,
    operation: &str,
) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match model {
        "sqs" => ("AWSQueueService", "Requests-Tier1", ""),
        "sns" if operation.starts_with("Publish") => ("AmazonSNS", "Requests-Tier1", ""),
        "s3" => match operation {
            "PutObject"
            | "CopyObject"
            | "PostObject"
            | "CreateMultipartUpload"
            | "UploadPart"
            | "UploadPartCopy"
            | "CompleteMultipartUpload"
            | "ListObjects"
            | "ListObjectsV2"
            | "ListObjectVersions"
            | "ListBuckets"
            | "ListMultipartUploads"
            | "ListParts" => ("AmazonS3", "Requests-Tier1", "PutObject"),
            "GetObject" | "HeadObject" | "GetObjectAttributes" | "SelectObjectContent" => {
                ("AmazonS3", "Requests-Tier2", "GetObject")
            }
            _ => return None,
        },
        "lambda" if operation == "Invoke" || operation == "InvokeWithResponseStream" => {
            ("AWSLambda", "Request", "Invoke")
        }
        // One request unit per call: item sizes are not weighed.
        "dynamodb" => match operation {
            "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => (
                "AmazonDynamoDB",
                "WriteRequestUnits",
                "PayPerRequestThroughput",
            ),
            "GetItem" | "Query" | "Scan" | "BatchGetItem" | "TransactGetItems" => (
                "AmazonDynamoDB",
                "ReadRequestUnits",
                "PayPerRequestThroughput",
            ),
            _ => return None,
        },
        "kms" => match operation {
            "Encrypt"
            | "Decrypt"
            | "ReEncrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "Sign"
            | "Verify"
            | "GenerateMac"
            | "VerifyMac"
            | "GenerateRandom" => ("awskms", "KMS-Requests", "Decrypt"),
            _ => return None,
        },
        _ => return None,
    })
}

/// (account, region, price-list service, usage type, operation) → count.
type Counts = HashMap<(String, String, &'static str, &'static str, &'static str), u64>;

/// The counts since the meter's last pass.
#[derive(Default)]
pub struct RequestCounts(Mutex<Counts>);

impl RequestCounts {
    /// Counts one request (nothing for operations not priced by request).
    pub fn record(&self, account: &str, region: &str, model: &str, operation: &str) {
        let Some((service, usage, op)) = request_charge(model, operation) else {
            return;
        };
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts
            .entry((account.to_string(), region.to_string(), service, usage, op))
            .or_insert(0) += 1;
    }

    /// Takes the counts, leaving none.
    pub fn drain(&self) -> Counts {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_priced_requests_are_counted() {
        let c = RequestCounts::default();
        c.record("1", "us-east-1", "sqs", "SendMessage");
        c.record("1", "us-east-1", "sqs", "SendMessage");
        c.record("1", "us-east-1", "s3", "GetObject");
        c.record("1", "us-east-1", "iam", "ListUsers");
        let counts = c.drain();
        assert_eq!(counts.len(), 2);
        let sqs = (
            "1".to_string(),
            "us-east-1".to_string(),
            "AWSQueueService",
            "Requests-Tier1",
            "",
        );
        assert_eq!(counts[&sqs], 2);
        assert!(c.drain().is_empty());
    }

    #[test]
    fn every_request_charge_has_a_catalogue_price() {
        let cat = crate::catalogue::Catalogue::get();
        for (model, op) in [
            ("sqs", "SendMessage"),
            ("sns", "Publish"),
            ("s3", "PutObject"),
            ("s3", "GetObject"),
            ("lambda", "Invoke"),
            ("dynamodb", "PutItem"),
            ("dynamodb", "Query"),
            ("kms", "Encrypt"),
        ] {
            let (service, usage, operation) = request_charge(model, op).expect("priced");
            assert!(
                cat.product(service, usage, operation).is_some(),
                "{model} {op}"
            );
        }
    }
}
