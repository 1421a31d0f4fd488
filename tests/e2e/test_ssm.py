"""SSM Parameter Store through boto3 and the aws CLI: versions and labels,
hierarchies by path, filters, tags, AWS's public parameters resolving to
the AMIs `describe-images --owners amazon` lists, SecureString values
encrypted by Gureum's KMS (the AWS managed key `aws/ssm` or a customer
key), and state across a hard restart."""
import base64

import botocore.exceptions
import pytest

from helpers import error_code


def err(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


def test_versions_overwrite_and_selectors(gureum):
    ssm = gureum.client("ssm")
    assert ssm.put_parameter(Name="/e2e/v", Value="one", Type="String")["Version"] == 1
    e = err(ssm.put_parameter, Name="/e2e/v", Value="two", Type="String")
    assert e["Code"] == "ParameterAlreadyExists"
    assert e["Message"] == (
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    )
    out = ssm.put_parameter(Name="/e2e/v", Value="two", Overwrite=True)
    assert out == {"Version": 2, "Tier": "Standard", "ResponseMetadata": out["ResponseMetadata"]}
    p = ssm.get_parameter(Name="/e2e/v")["Parameter"]
    assert (p["Value"], p["Version"], p["Type"], p["DataType"]) == ("two", 2, "String", "text")
    assert p["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/e2e/v"
    old = ssm.get_parameter(Name="/e2e/v:1")["Parameter"]
    assert (old["Value"], old["Selector"]) == ("one", ":1")
    e = err(ssm.get_parameter, Name="/e2e/v:9")
    assert e["Code"] == "ParameterVersionNotFound"
    assert error_code(ssm.get_parameter, Name="/e2e/missing") == "ParameterNotFound"
    history = ssm.get_parameter_history(Name="/e2e/v")["Parameters"]
    assert [h["Value"] for h in history] == ["one", "two"]


def test_labels_select_versions_and_move(gureum):
    ssm = gureum.client("ssm")
    ssm.put_parameter(Name="/e2e/l", Value="a", Type="String")
    ssm.put_parameter(Name="/e2e/l", Value="b", Overwrite=True)
    out = ssm.label_parameter_version(Name="/e2e/l", ParameterVersion=1, Labels=["prod", "aws-no"])
    assert out["InvalidLabels"] == ["aws-no"] and out["ParameterVersion"] == 1
    assert ssm.get_parameter(Name="/e2e/l:prod")["Parameter"]["Value"] == "a"
    ssm.label_parameter_version(Name="/e2e/l", Labels=["prod"])
    assert ssm.get_parameter(Name="/e2e/l:prod")["Parameter"]["Value"] == "b"
    history = ssm.get_parameter_history(Name="/e2e/l")["Parameters"]
    assert [h["Labels"] for h in history] == [[], ["prod"]]
    out = ssm.unlabel_parameter_version(Name="/e2e/l", ParameterVersion=2, Labels=["prod"])
    assert out["RemovedLabels"] == ["prod"]


def test_by_path_recursion_filters_and_paging(gureum):
    ssm = gureum.client("ssm")
    for n in ["/tree/a", "/tree/b", "/tree/sub/c", "/tree/sub/deep/d"]:
        ssm.put_parameter(Name=n, Value=n, Type="String")
    one = [p["Name"] for p in ssm.get_parameters_by_path(Path="/tree")["Parameters"]]
    assert one == ["/tree/a", "/tree/b"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/tree", Recursive=True, PaginationConfig={"PageSize": 2}
    )
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    assert names == ["/tree/a", "/tree/b", "/tree/sub/c", "/tree/sub/deep/d"]
    e = err(
        ssm.get_parameters_by_path,
        Path="/tree",
        ParameterFilters=[{"Key": "Type", "Values": ["Nope"]}],
    )
    assert e["Code"] == "InvalidFilterValue"
    out = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/tree/sub"]}]
    )
    assert [p["Name"] for p in out["Parameters"]] == ["/tree/sub/c", "/tree/sub/deep/d"]


def test_get_parameters_reports_invalid_names(gureum):
    ssm = gureum.client("ssm")
    ssm.put_parameter(Name="/e2e/g", Value="x", Type="StringList")
    out = ssm.get_parameters(Names=["/e2e/g", "/e2e/none"])
    assert [p["Name"] for p in out["Parameters"]] == ["/e2e/g"]
    assert out["InvalidParameters"] == ["/e2e/none"]


def test_name_rules_tiers_and_patterns(gureum):
    ssm = gureum.client("ssm")
    e = err(ssm.put_parameter, Name="/aws/mine", Value="x", Type="String")
    assert e["Code"] == "ValidationException"
    deep = "".join(f"/l{i}" for i in range(16))
    assert error_code(ssm.put_parameter, Name=deep, Value="x", Type="String") == (
        "HierarchyLevelLimitExceededException"
    )
    e = err(ssm.put_parameter, Name="/e2e/big", Value="x" * 4097, Type="String")
    assert e["Code"] == "ValidationException" and "4096" in e["Message"]
    out = ssm.put_parameter(Name="/e2e/big", Value="x" * 4097, Type="String", Tier="Advanced")
    assert out["Tier"] == "Advanced"
    e = err(ssm.put_parameter, Name="/e2e/p", Value="abc", Type="String", AllowedPattern="^[0-9]+$")
    assert e["Code"] == "ParameterPatternMismatchException"
    assert e["Message"] == "Parameter value, cannot be validated against allowedPattern: ^[0-9]+$"


PARAM_ARN = "arn:aws:ssm:us-east-1:000000000000:parameter"


def test_secure_string_round_trip_under_aws_ssm(gureum):
    ssm = gureum.client("ssm")
    kms = gureum.client("kms")
    assert ssm.put_parameter(Name="/e2e/secret", Value="hunter2", Type="SecureString")["Version"] == 1
    p = ssm.get_parameter(Name="/e2e/secret", WithDecryption=True)["Parameter"]
    assert (p["Type"], p["Value"]) == ("SecureString", "hunter2")
    # Without decryption: the KMS ciphertext, base64.
    blob = ssm.get_parameter(Name="/e2e/secret", WithDecryption=False)["Parameter"]["Value"]
    assert blob != "hunter2" and b"hunter2" not in base64.b64decode(blob)
    # The AWS managed key was made on first use, with its alias.
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    managed = aliases["alias/aws/ssm"]
    assert managed.get("TargetKeyId")
    meta = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["KeyId"] == managed["TargetKeyId"]
    # `aws kms decrypt` of the parameter's ciphertext, with SSM's context.
    out = kms.decrypt(
        CiphertextBlob=base64.b64decode(blob),
        EncryptionContext={"PARAMETER_ARN": f"{PARAM_ARN}/e2e/secret"},
    )
    assert out["Plaintext"] == b"hunter2" and out["KeyId"].endswith(managed["TargetKeyId"])
    assert err(kms.decrypt, CiphertextBlob=base64.b64decode(blob))["Code"] == "InvalidCiphertextException"
    # A new version under the same key decrypts too; the CLI shows both.
    ssm.put_parameter(Name="/e2e/secret", Value="hunter3", Overwrite=True)
    _, out, _ = gureum.aws("ssm", "get-parameter", "--name", "/e2e/secret", "--with-decryption")
    assert out["Parameter"]["Value"] == "hunter3" and out["Parameter"]["Version"] == 2
    _, out, _ = gureum.aws("ssm", "get-parameter", "--name", "/e2e/secret:1", "--with-decryption")
    assert out["Parameter"]["Value"] == "hunter2"
    by_path = ssm.get_parameters_by_path(Path="/e2e", WithDecryption=True)["Parameters"]
    assert {"/e2e/secret": "hunter3"}.items() <= {q["Name"]: q["Value"] for q in by_path}.items()


def test_secure_string_under_a_customer_key_and_the_key_disabled(gureum):
    ssm = gureum.client("ssm")
    kms = gureum.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/e2e-ssm", TargetKeyId=key["KeyId"])
    ssm.put_parameter(Name="/e2e/cust", Value="s3cret", Type="SecureString", KeyId="alias/e2e-ssm")
    p = ssm.get_parameter(Name="/e2e/cust", WithDecryption=True)["Parameter"]
    assert p["Value"] == "s3cret"
    blob = ssm.get_parameter(Name="/e2e/cust")["Parameter"]["Value"]
    out = kms.decrypt(
        CiphertextBlob=base64.b64decode(blob),
        EncryptionContext={"PARAMETER_ARN": f"{PARAM_ARN}/e2e/cust"},
    )
    assert out["KeyId"] == key["Arn"] and out["Plaintext"] == b"s3cret"
    e = err(ssm.put_parameter, Name="/e2e/nokey", Value="x", Type="SecureString", KeyId="alias/e2e-none")
    assert e["Code"] == "InvalidKeyId"
    assert e["Message"] == "Alias arn:aws:kms:us-east-1:000000000000:alias/e2e-none is not found."
    kms.disable_key(KeyId=key["KeyId"])
    e = err(ssm.get_parameter, Name="/e2e/cust", WithDecryption=True)
    assert e["Code"] == "InvalidKeyId" and e["Message"] == f"{key['Arn']} is disabled."
    e = err(ssm.put_parameter, Name="/e2e/cust", Value="y", Overwrite=True, KeyId=key["KeyId"])
    assert e["Code"] == "InvalidKeyId" and e["Message"] == f"{key['Arn']} is disabled."
    # Without decryption the stored ciphertext is still readable.
    assert ssm.get_parameter(Name="/e2e/cust")["Parameter"]["Value"] == blob
    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name="/e2e/cust", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    # A key that cannot encrypt is refused as KMS refuses it.
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]
    e = err(ssm.put_parameter, Name="/e2e/sig", Value="x", Type="SecureString", KeyId=signing["KeyId"])
    assert e["Code"] == "InvalidKeyId" and "key usage is SIGN_VERIFY" in e["Message"]


def test_tags_on_parameters(gureum):
    ssm = gureum.client("ssm")
    ssm.put_parameter(Name="/e2e/t", Value="x", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/e2e/t", Tags=[{"Key": "b", "Value": "2"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/e2e/t", TagKeys=["a"])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/e2e/t")["TagList"]
    assert tags == [{"Key": "b", "Value": "2"}]
    assert error_code(
        ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/e2e/none"
    ) == "InvalidResourceId"


def test_public_ami_parameters_match_describe_images(gureum):
    _, images, _ = gureum.aws("ec2", "describe-images", "--owners", "amazon", "--region", "eu-west-1")
    by_id = {i["ImageId"]: i for i in images["Images"]}
    _, out, _ = gureum.aws(
        "ssm", "get-parameters-by-path", "--path", "/aws/service/ami-amazon-linux-latest",
        "--region", "eu-west-1",
    )
    params = {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in out["Parameters"]}
    al2023 = by_id[params["al2023-ami-kernel-default-x86_64"]]
    assert al2023["Name"].startswith("al2023-ami-") and al2023["Architecture"] == "x86_64"
    assert by_id[params["al2023-ami-kernel-default-arm64"]]["Architecture"] == "arm64"
    assert by_id[params["amzn2-ami-hvm-x86_64-gp2"]]["Name"].startswith("amzn2-ami-")
    ssm = gureum.client("ssm", region="eu-west-1")
    p = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    assert p["Parameter"]["Value"] == params["al2023-ami-kernel-default-x86_64"]
    region = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1/longName")
    assert region["Parameter"]["Value"] == "Europe (Ireland)"
    regions = ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/aws/service/global-infrastructure/regions"
    )
    codes = [p["Value"] for page in regions for p in page["Parameters"]]
    assert "us-east-1" in codes and "eu-west-1" in codes


def test_iam_policies_are_checked_on_the_parameter_arn(gureum):
    import json

    ssm = gureum.client("ssm")
    iam = gureum.client("iam")
    ssm.put_parameter(Name="/iam/open", Value="yes", Type="String")
    ssm.put_parameter(Name="/iam/closed", Value="no", Type="String")
    iam.create_user(UserName="ssm-reader")
    iam.put_user_policy(
        UserName="ssm-reader", PolicyName="read-open",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": "arn:aws:ssm:us-east-1:000000000000:parameter/iam/open",
        }]}),
    )
    key = iam.create_access_key(UserName="ssm-reader")["AccessKey"]
    reader = gureum.client("ssm", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert reader.get_parameter(Name="/iam/open")["Parameter"]["Value"] == "yes"
    assert error_code(reader.get_parameter, Name="/iam/closed") == "AccessDeniedException"


def test_expiration_policy_removes_the_parameter_on_the_clock(gureum):
    import datetime
    import json

    from helpers import advance

    ssm = gureum.client("ssm")
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    policy = json.dumps([{
        "Type": "Expiration", "Version": "1.0",
        "Attributes": {"Timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
    }])
    out = ssm.put_parameter(Name="/exp/p", Value="x", Type="String", Tier="Advanced", Policies=policy)
    assert out["Tier"] == "Advanced"
    meta = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": ["/exp/p"]}]
    )["Parameters"][0]
    assert meta["Policies"][0]["PolicyType"] == "Expiration"
    e = err(ssm.put_parameter, Name="/exp/q", Value="x", Type="String", Tier="Advanced",
            Policies='[{"Type":"Sometime"}]')
    assert e["Code"] == "InvalidPolicyTypeException"
    assert ssm.get_parameter(Name="/exp/p")["Parameter"]["Value"] == "x"
    advance(gureum, 2 * 86400)
    assert error_code(ssm.get_parameter, Name="/exp/p") == "ParameterNotFound"
    assert ssm.put_parameter(Name="/exp/p", Value="again", Type="String")["Version"] == 1


def test_delete_and_state_survives_restart(gureum):
    ssm = gureum.client("ssm")
    ssm.put_parameter(Name="/keep/me", Value="v1", Type="String")
    ssm.put_parameter(Name="/keep/me", Value="v2", Overwrite=True)
    ssm.label_parameter_version(Name="/keep/me", ParameterVersion=1, Labels=["first"])
    ssm.put_parameter(Name="/drop/me", Value="x", Type="String")
    assert ssm.delete_parameter(Name="/drop/me")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_code(ssm.delete_parameter, Name="/drop/me") == "ParameterNotFound"
    out = ssm.delete_parameters(Names=["/e2e/g", "/nothing"])
    assert out["DeletedParameters"] == ["/e2e/g"] and out["InvalidParameters"] == ["/nothing"]
    ssm.put_parameter(Name="/keep/secure", Value="sealed", Type="SecureString")
    gureum.restart(kill=True)
    ssm = gureum.client("ssm")
    assert ssm.get_parameter(Name="/keep/me")["Parameter"]["Value"] == "v2"
    assert ssm.get_parameter(Name="/keep/secure", WithDecryption=True)["Parameter"]["Value"] == "sealed"
    assert ssm.get_parameter(Name="/e2e/cust", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    assert ssm.get_parameter(Name="/keep/me:first")["Parameter"]["Value"] == "v1"
    _, out, _ = gureum.aws("ssm", "get-parameter", "--name", "/keep/me")
    assert out["Parameter"]["Version"] == 2
