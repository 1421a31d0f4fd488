"""The foundation's acceptance, driven with the aws CLI and boto3."""
import botocore.exceptions
import pytest


def test_get_caller_identity_is_the_default_root(gureum):
    _, out, _ = gureum.aws("sts", "get-caller-identity")
    assert out["Account"] == "000000000000"
    assert out["Arn"] == "arn:aws:iam::000000000000:root"
    assert out["UserId"] == "000000000000"


def test_twelve_digit_access_key_is_that_accounts_root(gureum):
    sts = gureum.client("sts", key="111122223333", secret="anything")
    assert sts.get_caller_identity()["Account"] == "111122223333"


def test_describe_regions_all_regions_lists_every_region(gureum):
    _, out, _ = gureum.aws("ec2", "describe-regions", "--all-regions")
    names = {r["RegionName"] for r in out["Regions"]}
    assert {"us-east-1", "ap-northeast-2", "eu-west-1", "af-south-1", "mx-central-1"} <= names
    assert len(names) == 34
    seoul = next(r for r in out["Regions"] if r["RegionName"] == "ap-northeast-2")
    assert seoul["Endpoint"] == "ec2.ap-northeast-2.amazonaws.com"
    assert seoul["OptInStatus"] == "opt-in-not-required"


def test_describe_regions_refuses_unknown_names(gureum):
    code, _, err = gureum.aws("ec2", "describe-regions", "--region-names", "mars-east-1", check=False)
    assert code != 0
    assert "InvalidParameterValue" in err and "mars-east-1" in err


def test_seoul_has_zones_a_to_d(gureum):
    _, out, _ = gureum.aws("ec2", "describe-availability-zones", "--region", "ap-northeast-2")
    zones = out["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == [f"ap-northeast-2{c}" for c in "abcd"]
    assert [z["ZoneId"] for z in zones] == [f"apne2-az{i}" for i in range(1, 5)]
    assert all(z["State"] == "available" and z["RegionName"] == "ap-northeast-2" for z in zones)


def test_availability_zone_filters(gureum):
    ec2 = gureum.client("ec2", region="us-west-2")
    out = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["us-west-2a", "us-west-2c"]}])
    assert sorted(z["ZoneName"] for z in out["AvailabilityZones"]) == ["us-west-2a", "us-west-2c"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_availability_zones(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_s3_ls_succeeds_empty(gureum):
    code, out, err = gureum.aws("s3", "ls", check=False)
    assert code == 0, err
    assert not out


def test_s3_list_buckets_names_the_owner(gureum):
    out = gureum.client("s3").list_buckets()
    assert out["Buckets"] == []
    assert out["Owner"]["ID"]


def test_dynamodb_list_tables_json_1_0(gureum):
    _, out, _ = gureum.aws("dynamodb", "list-tables")
    assert out == {"TableNames": []}


def test_lambda_list_functions_rest_json(gureum):
    _, out, _ = gureum.aws("lambda", "list-functions")
    assert out["Functions"] == []


def test_route53_list_hosted_zones_rest_xml(gureum):
    _, out, _ = gureum.aws("route53", "list-hosted-zones")
    assert out["HostedZones"] == []
    # The CLI's paginator drops the paging members; boto3 shows them.
    out = gureum.client("route53").list_hosted_zones(MaxItems="10")
    assert out["IsTruncated"] is False
    assert out["MaxItems"] == "10"


def test_logs_log_groups_json_1_1(gureum):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/app/web")
    logs.create_log_group(logGroupName="/app/worker")
    logs.create_log_group(logGroupName="/other")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName="/app/web")
    groups = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/web", "/app/worker"]
    assert groups[0]["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/app/web:*"
    logs.delete_log_group(logGroupName="/other")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_group(logGroupName="/other")


def test_logs_pagination_with_limit(gureum):
    logs = gureum.client("logs", region="eu-west-1")
    for i in range(5):
        logs.create_log_group(logGroupName=f"/page/{i}")
    first = logs.describe_log_groups(logGroupNamePrefix="/page/", limit=2)
    assert [g["logGroupName"] for g in first["logGroups"]] == ["/page/0", "/page/1"]
    names = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/page/", PaginationConfig={"PageSize": 2}):
        names += [g["logGroupName"] for g in page["logGroups"]]
    assert names == [f"/page/{i}" for i in range(5)]


def test_validation_errors_use_aws_wording(gureum):
    logs = gureum.client("logs")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        logs.describe_log_groups(limit=51)
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterException" or err["Code"] == "ValidationException"
    assert "51" in err["Message"] or "limit" in err["Message"]


def test_unimplemented_operation_is_an_aws_error_and_server_keeps_serving(gureum):
    code, _, err = gureum.aws("ec2", "describe-spot-fleet-requests", check=False)
    assert code != 0
    assert "NotImplemented" in err
    # An operation without an implementation, over CloudWatch's protocol
    # (rpc-v2-cbor, the only service speaking it).
    cw = gureum.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_metric_streams()
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    # A whole service without an implementation.
    ecs = gureum.client("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_clusters()
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    _, out, _ = gureum.aws("sts", "get-caller-identity")
    assert out["Account"] == "000000000000"


def test_every_response_carries_a_request_id(gureum):
    meta = gureum.client("sts").get_caller_identity()["ResponseMetadata"]
    assert len(meta["RequestId"]) == 36
    meta = gureum.client("s3").list_buckets()["ResponseMetadata"]
    assert meta["HTTPHeaders"].get("x-amz-request-id")


def test_health_endpoints(gureum):
    import json
    import urllib.request

    for path in ("/_gureum/health", "/_localstack/health"):
        with urllib.request.urlopen(gureum.endpoint + path) as r:
            body = json.load(r)
        assert body["services"]["sts"] == "running"
        assert body["services"]["s3"] == "running"
        assert body["services"]["ecs"] == "not_implemented"
        assert body["operations"]["ecs"] == {"implemented": 0, "total": 77}
        assert body["operations"]["sts"]["implemented"] > 0
        # Which mode EC2 instances run in depends on the machine (root, namespaces).
        instances = body["endpoints"].pop("ec2_instances")
        assert instances["mode"] in ("namespaces", "records-only")
        dns = body["endpoints"].pop("dns")
        assert dns.startswith("127.0.0.1:") and int(dns.rsplit(":", 1)[1]) > 0
        edge = body["endpoints"].pop("cloudfront_https")
        assert edge.startswith("127.0.0.1:") and int(edge.rsplit(":", 1)[1]) > 0
        assert body["endpoints"] == {
            "api": gureum.endpoint,
            "console": f"{gureum.endpoint}/_console/",
            "lambda_url": f"http://URL_ID.lambda-url.REGION.localhost:{gureum.port}",
            "s3_website": f"http://BUCKET.s3-website-REGION.localhost:{gureum.port}",
            "cloudfront": f"http://DISTRIBUTION_ID.cloudfront.localhost:{gureum.port}",
            "rds": {},
            # No cache cluster yet: their node addresses appear here.
            "elasticache": {},
            "execute_api_v2": f"http://API_ID.execute-api.localhost:{gureum.port}",
            "execute_api": f"http://API_ID.execute-api.localhost:{gureum.port}/STAGE/PATH",
            "elbv2": [],  # load balancers' listeners, once there are some
            "efs": {},  # file systems' NFS addresses, once there are some
            "dynamodb": {"contributor_insights": []},  # rules' top keys, once enabled
            "acm_root_ca": f"{gureum.endpoint}/_gureum/ca.pem",
        }
        assert body["edition"] == "gureum"
        assert isinstance(body["version"], str) and body["version"]
        assert isinstance(body["uptime_seconds"], int) and body["uptime_seconds"] >= 0
        assert isinstance(body["persistent"], bool)
        assert list(body) == ["services", "operations", "endpoints", "edition", "version",
                              "uptime_seconds", "persistent"]
