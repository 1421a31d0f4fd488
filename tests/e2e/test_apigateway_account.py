"""API Gateway's account settings (GetAccount/UpdateAccount) and client
certificates: a real self-signed PEM that openssl reads, valid for a year;
both kept across a restart."""
import shutil
import subprocess

import botocore.exceptions
import pytest


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


def test_the_account_starts_with_aws_defaults_and_takes_a_cloudwatch_role(gureum, apigw):
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert account["features"] == ["UsagePlans"]
    assert "cloudwatchRoleArn" not in account
    role = "arn:aws:iam::000000000000:role/apigw-logs"
    updated = apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert updated["cloudwatchRoleArn"] == role
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "nope"}])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert e.value.response["Error"]["Message"] == "The role ARN is not well formed: nope"
    gureum.restart(kill=True)
    assert gureum.client("apigateway").get_account()["cloudwatchRoleArn"] == role


def test_a_client_certificate_is_a_real_pem_valid_for_a_year(gureum, apigw, tmp_path):
    cert = apigw.generate_client_certificate(description="backend auth", tags={"team": "api"})
    pem = cert["pemEncodedCertificate"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert (cert["expirationDate"] - cert["createdDate"]).days == 365
    if shutil.which("openssl"):
        path = tmp_path / "client.pem"
        path.write_text(pem)
        out = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-subject"],
                             capture_output=True, text=True, check=True).stdout
        assert cert["clientCertificateId"] in out
    cid = cert["clientCertificateId"]
    apigw.update_client_certificate(clientCertificateId=cid, patchOperations=[
        {"op": "replace", "path": "/description", "value": "renamed"}])
    gureum.restart(kill=True)
    apigw = gureum.client("apigateway")
    got = apigw.get_client_certificate(clientCertificateId=cid)
    assert (got["description"], got["pemEncodedCertificate"]) == ("renamed", pem)
    assert [c["clientCertificateId"] for c in apigw.get_client_certificates()["items"]] == [cid]
    apigw.delete_client_certificate(clientCertificateId=cid)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_client_certificate(clientCertificateId=cid)
    assert e.value.response["Error"]["Message"] == "Invalid Client Certificate identifier specified"
