"""The error a client reads from IAM and STS: AWS's code AND message, through
the aws CLI (stderr) and boto3 (`e.response["Error"]`)."""
import json

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
})


@pytest.fixture(scope="module")
def iam(gureum):
    return gureum.client("iam")


@pytest.fixture(scope="module")
def sts(gureum):
    return gureum.client("sts")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_cli_prints_the_no_such_entity_message_of_get_role(gureum):
    rc, _, stderr = gureum.aws("iam", "get-role", "--role-name", "nope", check=False)
    assert rc != 0
    assert (
        "An error occurred (NoSuchEntity) when calling the GetRole operation: "
        "The role with name nope cannot be found." in stderr
    ), stderr


def test_cli_prints_the_entity_already_exists_message(gureum):
    gureum.aws("iam", "create-user", "--user-name", "cli-dup")
    rc, _, stderr = gureum.aws("iam", "create-user", "--user-name", "cli-dup", check=False)
    assert rc != 0
    assert (
        "An error occurred (EntityAlreadyExists) when calling the CreateUser operation: "
        "User with name cli-dup already exists." in stderr
    ), stderr


def test_cli_prints_the_sts_duration_message(gureum):
    gureum.aws("iam", "create-role", "--role-name", "cli-short", "--assume-role-policy-document", TRUST)
    rc, _, stderr = gureum.aws(
        "sts", "assume-role", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/cli-short",
        "--role-session-name", "sess", "--duration-seconds", "7200", check=False,
    )
    assert rc != 0
    assert (
        "An error occurred (ValidationError) when calling the AssumeRole operation: "
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." in stderr
    ), stderr


def test_no_such_entity_messages_name_the_missing_entity(iam):
    assert error(iam.get_user, UserName="ghost") == (
        "NoSuchEntity", "The user with name ghost cannot be found.", 404)
    assert error(iam.get_group, GroupName="ghosts") == (
        "NoSuchEntity", "The group with name ghosts cannot be found.", 404)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    assert error(iam.get_policy, PolicyArn=arn) == (
        "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)
    assert error(iam.get_instance_profile, InstanceProfileName="ghost") == (
        "NoSuchEntity", "Instance Profile ghost cannot be found.", 404)


def test_entity_already_exists_messages(iam):
    iam.create_role(RoleName="dup-role", AssumeRolePolicyDocument=TRUST)
    assert error(iam.create_role, RoleName="dup-role", AssumeRolePolicyDocument=TRUST) == (
        "EntityAlreadyExists", "Role with name dup-role already exists.", 409)
    iam.create_policy(PolicyName="dup-policy", PolicyDocument=DOC)
    assert error(iam.create_policy, PolicyName="dup-policy", PolicyDocument=DOC) == (
        "EntityAlreadyExists",
        "A policy called dup-policy already exists. Duplicate names are not allowed.", 409)


def test_delete_conflict_messages_say_what_to_remove_first(iam):
    iam.create_user(UserName="busy")
    iam.put_user_policy(UserName="busy", PolicyName="p", PolicyDocument=DOC)
    assert error(iam.delete_user, UserName="busy") == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    arn = iam.create_policy(PolicyName="attached", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="busy", PolicyArn=arn)
    assert error(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)


def test_validation_error_messages_quote_value_and_member(iam):
    assert error(iam.create_user, UserName="a/b") == (
        "ValidationError",
        "1 validation error detected: Value 'a/b' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        400,
    )
    assert error(iam.create_user, UserName="pathless", Path="nope")[:2] == (
        "ValidationError",
        "The specified value for path is invalid. It must begin and end with / and contain only "
        "alphanumeric characters and/or / characters.",
    )


def test_malformed_policy_document_carries_the_reason(iam):
    code, message, status = error(
        iam.create_policy, PolicyName="bad", PolicyDocument='{"Version": "2012-10-17"}')
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert message and message != "Unknown", message


def test_limit_exceeded_names_the_quota(iam):
    iam.create_user(UserName="keys")
    iam.create_access_key(UserName="keys")
    iam.create_access_key(UserName="keys")
    assert error(iam.create_access_key, UserName="keys") == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


def test_assume_role_on_a_missing_role_is_access_denied_naming_the_role(sts):
    arn = f"arn:aws:iam::{ACCOUNT}:role/nope"
    assert error(sts.assume_role, RoleArn=arn, RoleSessionName="sess") == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: {arn}",
        403,
    )


def test_assume_role_with_a_bad_duration_is_a_validation_error(gureum, iam, sts):
    iam.create_role(RoleName="short", AssumeRolePolicyDocument=TRUST)
    arn = f"arn:aws:iam::{ACCOUNT}:role/short"
    assert error(sts.assume_role, RoleArn=arn, RoleSessionName="sess", DurationSeconds=7200) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    # Past the client's own range check, the server's wording.
    unchecked = gureum.client("sts", parameter_validation=False)
    assert error(unchecked.assume_role, RoleArn=arn, RoleSessionName="sess", DurationSeconds=100) == (
        "ValidationError",
        "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
        400,
    )


def test_assume_role_with_a_malformed_session_policy(iam, sts):
    iam.create_role(RoleName="scoped", AssumeRolePolicyDocument=TRUST)
    code, message, status = error(
        sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/scoped", RoleSessionName="sess",
        Policy='{"Version": "2012-10-17", "Statement": "nope"}')
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert message and message != "Unknown", message
