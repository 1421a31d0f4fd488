"""A user's tests, as the README shows them (run by tests/e2e/test_test_helpers.py)."""
import subprocess


def test_boto3_reaches_the_session_server(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="sample-bucket")
    s3.put_object(Bucket="sample-bucket", Key="k", Body=b"hi")
    assert s3.get_object(Bucket="sample-bucket", Key="k")["Body"].read() == b"hi"


def test_the_cli_reaches_the_session_server(gureum):
    out = subprocess.run(["aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text"],
                         env=gureum.env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "000000000000"


def test_a_clean_account_has_no_buckets(gureum_clean):
    assert gureum_clean.client("s3").list_buckets()["Buckets"] == []


def test_state_made_before_is_gone_again(gureum_clean):
    iam = gureum_clean.client("iam")
    iam.create_user(UserName="alice")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
