"""Every protocol carries the error's message where its clients read it.

A code alone is not enough: botocore reads `Message` from query, ec2 and
rest-xml bodies and `message`/`Message` from json, rest-json and cbor ones,
and the aws CLI prints it after the code. Each test parses a real error with
botocore (and, per protocol, the CLI) and asserts the exact text.
"""
import pytest
from botocore.exceptions import ClientError


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def cli_error(gureum, *args):
    code, _, stderr = gureum.aws(*args, check=False)
    assert code != 0
    return stderr.strip()


# query (IAM, STS)


def test_query_error_message_reaches_botocore(gureum):
    error, status = error_of(gureum.client("iam").get_role, RoleName="nope")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The role with name nope cannot be found."


def test_query_error_message_reaches_the_cli(gureum):
    assert cli_error(gureum, "iam", "get-role", "--role-name", "nope") == (
        "An error occurred (NoSuchEntity) when calling the GetRole operation: "
        "The role with name nope cannot be found."
    )


def test_query_unknown_action_message(gureum):
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = b"Action=NoSuchAction&Version=2011-06-15"
    request = AWSRequest(method="POST", url=gureum.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials("test", "test"), "sts", "us-east-1").add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    text = e.value.read().decode()
    assert "<Code>InvalidAction</Code>" in text
    assert "<Message>The action NoSuchAction is not valid for this web service.</Message>" in text


# ec2


def test_ec2_error_message_reaches_botocore(gureum):
    error, status = error_of(gureum.client("ec2").describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])
    assert (error["Code"], status) == ("InvalidVpcID.NotFound", 400)
    assert error["Message"] == "The vpc ID 'vpc-0123456789abcdef0' does not exist"


def test_ec2_error_message_reaches_the_cli(gureum):
    assert cli_error(gureum, "ec2", "describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0") == (
        "An error occurred (InvalidVpcID.NotFound) when calling the DescribeVpcs operation: "
        "The vpc ID 'vpc-0123456789abcdef0' does not exist"
    )


# rest-xml (S3, Route 53)


def test_rest_xml_error_message_reaches_botocore(gureum):
    error, status = error_of(gureum.client("s3").get_object, Bucket="no-such-bucket-here", Key="k")
    assert (error["Code"], status) == ("NoSuchBucket", 404)
    assert error["Message"] == "The specified bucket does not exist"
    assert error["BucketName"] == "no-such-bucket-here"


def test_rest_xml_error_message_reaches_the_cli(gureum):
    assert cli_error(gureum, "s3api", "get-bucket-tagging", "--bucket", "no-such-bucket-here") == (
        "An error occurred (NoSuchBucket) when calling the GetBucketTagging operation: "
        "The specified bucket does not exist"
    )


def test_route53_error_message_reaches_botocore(gureum):
    error, status = error_of(gureum.client("route53").list_hosted_zones, MaxItems="lots")
    assert (error["Code"], status) == ("InvalidInput", 400)
    assert error["Message"] == "Invalid value for MaxItems: lots"


# json 1.1 (CloudWatch Logs) and json 1.0 (DynamoDB)


def test_json_error_message_reaches_botocore(gureum):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/errors/once")
    error, status = error_of(logs.create_log_group, logGroupName="/errors/once")
    assert (error["Code"], status) == ("ResourceAlreadyExistsException", 400)
    assert error["Message"] == "The specified log group already exists"


def test_json_error_message_reaches_the_cli(gureum):
    assert cli_error(gureum, "logs", "delete-log-group", "--log-group-name", "/errors/never") == (
        "An error occurred (ResourceNotFoundException) when calling the DeleteLogGroup operation: "
        "The specified log group does not exist."
    )


def test_json_1_0_not_implemented_message(gureum):
    error, status = error_of(
        gureum.client("dynamodb").describe_global_table_settings, GlobalTableName="never"
    )
    assert (error["Code"], status) == ("NotImplemented", 501)
    assert error["Message"] == (
        "The operation DescribeGlobalTableSettings of service dynamodb is not implemented by Gureum yet"
    )


# rest-json (Lambda)


def test_rest_json_error_message_reaches_botocore(gureum):
    error, status = error_of(gureum.client("lambda").get_function, FunctionName="nope")
    assert (error["Code"], status) == ("ResourceNotFoundException", 404)
    assert error["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    )


def test_rest_json_error_message_reaches_the_cli(gureum):
    assert cli_error(gureum, "lambda", "get-function", "--function-name", "nope") == (
        "An error occurred (ResourceNotFoundException) when calling the GetFunction operation: "
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    )


# smithy-rpc-v2-cbor (CloudWatch, where botocore speaks it)


def test_cbor_error_message_reaches_botocore(gureum):
    cloudwatch = gureum.client("cloudwatch")
    error, status = error_of(cloudwatch.list_metric_streams)
    assert (error["Code"], status) == ("NotImplemented", 501)
    assert error["Message"] == (
        "The operation ListMetricStreams of service cloudwatch is not implemented by Gureum yet"
    )
    # A modelled error, with its query code, over cbor (awsQueryCompatible:
    # the model's 404 is the query status; cbor answers 400).
    error, status = error_of(cloudwatch.get_dashboard, DashboardName="nope")
    assert (error["Code"], status) == ("ResourceNotFound", 400)
    assert error["Message"] == "Dashboard nope does not exist"


def test_cbor_is_the_protocol_botocore_speaks_to_cloudwatch(gureum):
    # Guards the test above: it covers cbor only while botocore chooses it.
    assert gureum.client("cloudwatch").meta.service_model.protocol == "smithy-rpc-v2-cbor"


# services Gureum has no model for: NotImplemented, in the protocol spoken


@pytest.mark.parametrize(
    "args, operation",
    [
        (("codebuild", "list-projects"), "ListProjects"),  # json 1.1
        (("amplify", "list-apps"), "ListApps"),  # rest-json
        (("sso-admin", "list-instances"), "ListInstances"),  # json 1.1, other signing name
    ],
)
def test_unknown_service_answers_not_implemented_in_its_protocol(gureum, args, operation):
    service = {"sso-admin": "sso"}.get(args[0], args[0])
    assert cli_error(gureum, *args) == (
        f"An error occurred (NotImplemented) when calling the {operation} operation: "
        f"Gureum does not implement the service {service} yet"
    )


def test_unknown_service_is_logged_with_the_name_it_claimed(gureum):
    gureum.aws("codebuild", "list-builds", check=False)
    lines = [line for line in gureum.log().splitlines() if "ListBuilds" in line]
    assert lines and "service=codebuild" in lines[-1] and "status=501" in lines[-1]
