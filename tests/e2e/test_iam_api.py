"""IAM and STS operations through boto3 and the aws CLI: wire format and AWS's rules."""
import base64
import csv
import hashlib
import hmac
import io
import json
import struct
import time
import urllib.request

import botocore.exceptions
import pytest

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def totp(secret_b32: str, at: float) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = struct.pack(">Q", int(at // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def gureum_now(gureum) -> float:
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        return json.load(r)["now_ms"] / 1000


@pytest.fixture(scope="module")
def iam(gureum):
    return gureum.client("iam")


def test_users_are_unique_and_deletion_needs_cleanup(iam):
    user = iam.create_user(UserName="carol", Path="/eng/", Tags=[{"Key": "team", "Value": "data"}])["User"]
    assert user["Arn"] == "arn:aws:iam::000000000000:user/eng/carol"
    assert user["UserId"].startswith("AIDA")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="carol")
    assert code_of(e) == "EntityAlreadyExists"
    iam.put_user_policy(UserName="carol", PolicyName="p", PolicyDocument=DOC)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="carol")
    assert code_of(e) == "DeleteConflict"
    iam.delete_user_policy(UserName="carol", PolicyName="p")
    iam.delete_user(UserName="carol")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="carol")


def test_policy_versions_are_limited_to_five(iam):
    arn = iam.create_policy(PolicyName="versions", PolicyDocument=DOC)["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)
    assert code_of(e) == "LimitExceeded"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v5"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert code_of(e) == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"


def test_malformed_policies_are_refused(iam):
    for bad in ("not json", json.dumps({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
                json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.create_policy(PolicyName="bad", PolicyDocument=bad)
        assert code_of(e) == "MalformedPolicyDocument"


def test_two_access_keys_per_user(iam):
    iam.create_user(UserName="keys")
    iam.create_access_key(UserName="keys")
    iam.create_access_key(UserName="keys")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_access_key(UserName="keys")
    assert code_of(e) == "LimitExceeded"
    assert len(iam.list_access_keys(UserName="keys")["AccessKeyMetadata"]) == 2


def test_aws_managed_policies_are_listed_with_documents(iam):
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    doc = version["Document"]  # boto3 decodes the URL-encoded JSON
    actions = {a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "s3:Get*" in actions and "s3:List*" in actions
    names = {p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "AmazonEC2FullAccess", "AWSBillingReadOnlyAccess"} <= names


def test_virtual_mfa_enables_with_two_codes_and_gates_session_tokens(gureum, iam):
    iam.create_user(UserName="mfa-user")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-user")["VirtualMFADevice"]
    serial = device["SerialNumber"]
    secret = device["Base32StringSeed"].decode() if isinstance(device["Base32StringSeed"], bytes) else device["Base32StringSeed"]
    now = gureum_now(gureum)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="111111")
    assert code_of(e) == "InvalidAuthenticationCode"
    iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial,
                          AuthenticationCode1=totp(secret, now - 30), AuthenticationCode2=totp(secret, now))
    assert iam.list_mfa_devices(UserName="mfa-user")["MFADevices"][0]["SerialNumber"] == serial
    key = iam.create_access_key(UserName="mfa-user")["AccessKey"]
    sts = gureum.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode="123456")
    assert code_of(e) == "AccessDenied"
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(secret, gureum_now(gureum)), DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")


def test_credential_report_has_aws_columns(iam):
    assert iam.generate_credential_report()["State"] in ("STARTED", "COMPLETE")
    for _ in range(20):
        try:
            report = iam.get_credential_report()
            break
        except botocore.exceptions.ClientError:
            time.sleep(0.1)
    rows = list(csv.reader(io.StringIO(report["Content"].decode())))
    assert rows[0][:4] == ["user", "arn", "user_creation_time", "password_enabled"]
    assert rows[1][0] == "<root_account>"
    assert "keys" in {r[0] for r in rows}


def test_account_summary_and_authorization_details(iam):
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 2 and summary["AccessKeysPerUserQuota"] == 2
    details = iam.get_account_authorization_details(Filter=["User"])
    assert any(u["UserName"] == "keys" for u in details["UserDetailList"])


def test_password_policy_and_login_profiles(iam):
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    iam.create_user(UserName="pw")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_login_profile(UserName="pw", Password="short1")
    assert code_of(e) == "PasswordPolicyViolation"
    iam.create_login_profile(UserName="pw", Password="long-enough-password-1")
    assert iam.get_login_profile(UserName="pw")["LoginProfile"]["UserName"] == "pw"


def test_simulate_principal_policy_from_the_cli(gureum, iam):
    iam.create_user(UserName="sim")
    iam.attach_user_policy(UserName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    _, out, _ = gureum.aws("iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::000000000000:user/sim",
                           "--action-names", "s3:GetObject", "s3:PutObject")
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in out["EvaluationResults"]}
    assert decisions == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}


def test_assume_role_with_web_identity_reads_the_token(gureum, iam):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
             "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"accounts.google.com:aud": "my-app"}}}]}
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    token = f"{enc({'alg': 'RS256'})}.{enc({'iss': 'https://accounts.google.com', 'sub': 'user-1', 'aud': 'my-app'})}.sig"
    sts = gureum.client("sts")
    out = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::000000000000:role/web", RoleSessionName="web1", WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "user-1"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    wrong = f"{enc({'alg': 'RS256'})}.{enc({'iss': 'https://accounts.google.com', 'sub': 'user-1', 'aud': 'other'})}.sig"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::000000000000:role/web", RoleSessionName="web1", WebIdentityToken=wrong)
    assert code_of(e) == "AccessDenied"


def test_assume_role_duration_bounds_and_session_policy(gureum, iam):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=3600)
    iam.attach_role_policy(RoleName="bounded", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sts = gureum.client("sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/bounded", RoleSessionName="s1", DurationSeconds=7200)
    assert code_of(e) == "ValidationError"
    session_policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})
    out = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/bounded", RoleSessionName="s1", Policy=session_policy)
    c = out["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"], "AWS_SESSION_TOKEN": c["SessionToken"]}
    code, _, err = gureum.aws("ec2", "describe-availability-zones", check=False, **env)
    assert code == 0, err
    # The role allows everything, the session policy only EC2 describes.
    code, _, err = gureum.aws("iam", "list-users", check=False, **env)
    assert code != 0 and "AccessDenied" in err
    # A session token is required with session keys.
    code, _, err = gureum.aws("sts", "get-caller-identity", check=False,
                              AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"])
    assert code != 0


def test_assume_role_with_managed_session_policy(gureum, iam):
    sts = gureum.client("sts")
    out = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/bounded", RoleSessionName="s2",
                          PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}])
    c = out["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"], "AWS_SESSION_TOKEN": c["SessionToken"]}
    code, _, err = gureum.aws("s3", "ls", check=False, **env)
    assert code == 0, err
    code, _, err = gureum.aws("ec2", "describe-regions", check=False, **env)
    assert code != 0 and "UnauthorizedOperation" in err
    with pytest.raises(botocore.exceptions.ClientError):
        sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/bounded", RoleSessionName="s3",
                        PolicyArns=[{"arn": "arn:aws:iam::000000000000:policy/nope"}])
