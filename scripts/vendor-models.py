#!/usr/bin/env python3
"""Regenerate models/*.json from the installed botocore.

AWS's service models (botocore `data/<service>/<version>/service-2.json`,
Apache-2.0) are vendored as data with their documentation stripped: Gureum's
protocol layer reads shapes, operations and HTTP bindings from them at run
time. Run `python3 scripts/vendor-models.py` after upgrading botocore; the
botocore version used is recorded in models/VERSION.
"""
import json
import pathlib
import sys

import botocore
from botocore.loaders import Loader

# Every service Gureum will serve (SPEC.md). The key is the file name under
# models/ and the name Gureum uses for the service; the value is botocore's.
SERVICES = [
    "acm", "apigateway", "apigatewaymanagementapi", "apigatewayv2", "autoscaling", "budgets", "ce",
    "cloudfront", "cloudwatch", "dynamodb", "dynamodbstreams", "ec2", "ecr",
    "ecs", "efs", "eks", "elasticache", "elb", "elbv2", "events", "glacier",
    "iam", "kms", "lambda", "logs", "pricing", "rds", "route53",
    "route53domains", "s3", "s3control", "secretsmanager", "ses", "sesv2", "ssm",
    "service-quotas", "sns", "sqs", "sts",
]

# Smithy's S3 model names the XML root of these outputs (`@xmlName`); botocore
# drops those names because its parser ignores the root. A server must write
# them, so they are patched back in as `locationName`.
S3_OUTPUT_ROOTS = {
    "ListBucketsOutput": "ListAllMyBucketsResult",
    "ListDirectoryBucketsOutput": "ListAllMyDirectoryBucketsResult",
    "ListObjectsOutput": "ListBucketResult",
    "ListObjectsV2Output": "ListBucketResult",
    "ListObjectVersionsOutput": "ListVersionsResult",
    "CreateMultipartUploadOutput": "InitiateMultipartUploadResult",
    "CompleteMultipartUploadOutput": "CompleteMultipartUploadResult",
    "ListMultipartUploadsOutput": "ListMultipartUploadsResult",
    "ListPartsOutput": "ListPartsResult",
    "DeleteObjectsOutput": "DeleteResult",
    "GetBucketAclOutput": "AccessControlPolicy",
    "GetObjectAclOutput": "AccessControlPolicy",
    "GetBucketTaggingOutput": "Tagging",
    "GetObjectTaggingOutput": "Tagging",
    "GetBucketVersioningOutput": "VersioningConfiguration",
    "GetBucketCorsOutput": "CORSConfiguration",
    "GetBucketLifecycleConfigurationOutput": "LifecycleConfiguration",
    "GetBucketWebsiteOutput": "WebsiteConfiguration",
    "GetBucketLoggingOutput": "BucketLoggingStatus",
    "GetBucketRequestPaymentOutput": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfigurationOutput": "AccelerateConfiguration",
    "ListBucketAnalyticsConfigurationsOutput": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurationsOutput": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurationsOutput": "ListMetricsConfigurationsResult",
    "GetObjectAttributesOutput": "GetObjectAttributesResponse",
    "CreateSessionOutput": "CreateSessionResult",
}

# SQS moved from query to json and keeps answering its legacy query codes
# (`x-amzn-query-error`, and `<Code>` to query clients), but botocore's json
# model leaves them out of its error shapes (botocore maps them back in a
# handler). AWS's SQS API reference documents them; they go into the shapes'
# `error.code` so Gureum's serializers find them where other query-compatible
# models keep them.
SQS_QUERY_CODES = {
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    "KmsAccessDenied": "KMS.AccessDeniedException",
    "KmsDisabled": "KMS.DisabledException",
    "KmsInvalidKeyUsage": "KMS.InvalidKeyUsageException",
    "KmsInvalidState": "KMS.InvalidStateException",
    "KmsNotFound": "KMS.NotFoundException",
    "KmsOptInRequired": "KMS.OptInRequired",
    "KmsThrottled": "KMS.ThrottlingException",
}


# The query-protocol names SQS's older clients send and read, which the json
# model no longer carries (AWS's SQS query API reference shows them:
# `Attribute.1.Name`, `<Message>`, `<Attribute><Name/><Value/></Attribute>`).
# List members' and map keys' names do not change json (query requests name
# flattened list items by them); structure members whose query element name
# differs get `queryName`, which only the query protocol reads and writes.
SQS_QUERY_LIST_MEMBERS = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
    "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageList": "Message",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "TagKeyList": "TagKey",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
}
SQS_QUERY_MAP_ENTRIES = {
    "QueueAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}
SQS_QUERY_MEMBER_NAMES = {
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("TagQueueRequest", "Tags"): "Tag",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("ReceiveMessageResult", "Messages"): "Message",
    ("ListQueuesResult", "QueueUrls"): "QueueUrl",
    ("ListDeadLetterSourceQueuesResult", "queueUrls"): "QueueUrl",
    ("SendMessageBatchResult", "Successful"): "SendMessageBatchResultEntry",
    ("SendMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("DeleteMessageBatchResult", "Successful"): "DeleteMessageBatchResultEntry",
    ("DeleteMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("ChangeMessageVisibilityBatchResult", "Successful"): "ChangeMessageVisibilityBatchResultEntry",
    ("ChangeMessageVisibilityBatchResult", "Failed"): "BatchResultErrorEntry",
    ("ListMessageMoveTasksResult", "Results"): "ListMessageMoveTasksResultEntry",
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
}


def add_sqs_query_codes(model):
    for shape, code in SQS_QUERY_CODES.items():
        if shape in model["shapes"]:
            model["shapes"][shape]["error"] = {"code": code, "senderFault": True}
    shapes = model["shapes"]
    for shape, name in SQS_QUERY_LIST_MEMBERS.items():
        if shape in shapes:
            shapes[shape]["member"]["locationName"] = name
    for shape, (key, value) in SQS_QUERY_MAP_ENTRIES.items():
        if shape in shapes:
            shapes[shape]["key"]["locationName"] = key
            shapes[shape]["value"]["locationName"] = value
    for (shape, member), name in SQS_QUERY_MEMBER_NAMES.items():
        if member in shapes.get(shape, {}).get("members", {}):
            shapes[shape]["members"][member]["queryName"] = name
    model["metadata"]["xmlNamespace"] = "http://queue.amazonaws.com/doc/2012-11-05/"


DROP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage", "examples"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main() -> int:
    out = pathlib.Path(__file__).resolve().parent.parent / "models"
    out.mkdir(exist_ok=True)
    loader = Loader()
    for name in SERVICES:
        model = strip(loader.load_service_model(name, "service-2"))
        if name == "s3":
            for shape, root in S3_OUTPUT_ROOTS.items():
                if root and shape in model["shapes"]:
                    model["shapes"][shape]["locationName"] = root
        if name == "sqs":
            add_sqs_query_codes(model)
        # One shape / operation per line keeps diffs readable when botocore moves.
        lines = ["{"]
        lines.append('"metadata":' + json.dumps(model["metadata"], separators=(",", ":")) + ",")
        for section in ("operations", "shapes"):
            items = list(model[section].items())
            lines.append(f'"{section}":{{')
            for i, (key, value) in enumerate(items):
                comma = "," if i + 1 < len(items) else ""
                lines.append(json.dumps(key) + ":" + json.dumps(value, separators=(",", ":")) + comma)
            lines.append("}," if section == "operations" else "}")
        lines.append("}")
        (out / f"{name}.json").write_text("\n".join(lines) + "\n")
    index = {}
    for name in SERVICES:
        md = json.loads((out / f"{name}.json").read_text())["metadata"]
        index[name] = {
            "signingName": md.get("signingName") or md["endpointPrefix"],
            "endpointPrefix": md["endpointPrefix"],
            "apiVersion": md["apiVersion"],
            "protocols": md.get("protocols") or [md["protocol"]],
            "jsonVersion": md.get("jsonVersion"),
            "targetPrefix": md.get("targetPrefix"),
            "serviceId": md.get("serviceId"),
            "global": md.get("globalEndpoint") is not None,
        }
    # The router reads this small index at start-up instead of parsing models.
    (out / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    (out / "VERSION").write_text(f"botocore {botocore.__version__}\n")
    print(f"vendored {len(SERVICES)} models from botocore {botocore.__version__} into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
