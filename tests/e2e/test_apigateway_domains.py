"""API Gateway custom domain names: an ACM certificate that must exist and be
issued, base path mappings, and the domain served for real on the main port
by Host (the domain itself and its regionalDomainName), routed by base path
to the mapped REST API stage; kept across a restart."""
import json
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def issued_arn(gureum):
    acm = gureum.client("acm")
    arn = acm.request_certificate(DomainName="api.example.com", ValidationMethod="EMAIL",
                                  SubjectAlternativeNames=["*.example.com"])["CertificateArn"]
    deadline = time.time() + 20
    while acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] != "ISSUED":
        assert time.time() < deadline, "certificate never issued"
        time.sleep(0.3)
    return arn


def mock_api(apigw, name, reply):
    api = apigw.create_rest_api(name=name)
    res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="hello")
    for rid in (api["rootResourceId"], res["id"]):
        m = dict(restApiId=api["id"], resourceId=rid, httpMethod="GET")
        apigw.put_method(**m, authorizationType="NONE")
        apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.put_method_response(**m, statusCode="200")
        apigw.put_integration_response(**m, statusCode="200", responseTemplates={
            "application/json": '{"api": "%s", "path": "$context.resourcePath", "stage": "$context.stage"}' % reply})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    apigw.create_deployment(restApiId=api["id"], stageName="beta")
    return api["id"]


def get(gureum, host, path):
    req = urllib.request.Request(f"{gureum.endpoint}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def refused(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_a_domain_needs_an_existing_issued_certificate(gureum, apigw):
    acm = gureum.client("acm")
    pending = acm.request_certificate(DomainName="pending.example.com", ValidationMethod="DNS")["CertificateArn"]
    assert refused(apigw.create_domain_name, domainName="pending.example.com", regionalCertificateArn=pending,
                   endpointConfiguration={"types": ["REGIONAL"]}) == (
        "BadRequestException", f"Certificate {pending} is not in ISSUED state", 400)
    missing = pending[:-4] + "0000"
    assert refused(apigw.create_domain_name, domainName="missing.example.com", regionalCertificateArn=missing,
                   endpointConfiguration={"types": ["REGIONAL"]}) == (
        "BadRequestException", f"Invalid certificate ARN: {missing}", 400)
    assert refused(apigw.get_domain_name, domainName="nothing.example.com") == (
        "NotFoundException", "Invalid domain name identifier specified", 404)


def test_base_path_mappings_route_the_domain_to_api_stages(gureum, apigw, issued_arn):
    a = mock_api(apigw, "a", "A")
    b = mock_api(apigw, "b", "B")
    d = apigw.create_domain_name(domainName="api.example.com", regionalCertificateArn=issued_arn,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    assert d["domainNameStatus"] == "AVAILABLE"
    regional = d["regionalDomainName"]
    assert regional.startswith("d-") and regional.endswith(".execute-api.us-east-1.localhost")
    assert refused(apigw.create_domain_name, domainName="api.example.com", regionalCertificateArn=issued_arn,
                   endpointConfiguration={"types": ["REGIONAL"]})[0] == "ConflictException"
    root = apigw.create_base_path_mapping(domainName="api.example.com", restApiId=a, stage="prod")
    root.pop("ResponseMetadata")
    assert root == {"basePath": "(none)", "restApiId": a, "stage": "prod"}
    apigw.create_base_path_mapping(domainName="api.example.com", basePath="v2", restApiId=b, stage="beta")
    apigw.create_base_path_mapping(domainName="api.example.com", basePath="any", restApiId=b)
    assert refused(apigw.create_base_path_mapping, domainName="api.example.com", basePath="v2", restApiId=b,
                   stage="prod") == ("ConflictException", "Base path already exists for this domain name", 409)
    assert refused(apigw.create_base_path_mapping, domainName="api.example.com", basePath="x", restApiId=b,
                   stage="nope") == ("BadRequestException", "Invalid stage identifier specified", 400)
    assert sorted(m["basePath"] for m in apigw.get_base_path_mappings(domainName="api.example.com")["items"]) == [
        "(none)", "any", "v2"]
    host = f"api.example.com:{gureum.port}"
    assert get(gureum, host, "/hello") == (200, {"api": "A", "path": "/hello", "stage": "prod"})
    assert get(gureum, host, "/") == (200, {"api": "A", "path": "/", "stage": "prod"})
    assert get(gureum, host, "/v2/hello") == (200, {"api": "B", "path": "/hello", "stage": "beta"})
    # A mapping without a stage takes it from the path.
    assert get(gureum, host, "/any/prod/hello") == (200, {"api": "B", "path": "/hello", "stage": "prod"})
    assert get(gureum, f"{regional}:{gureum.port}", "/v2/hello") == (200, {"api": "B", "path": "/hello", "stage": "beta"})
    apigw.update_base_path_mapping(domainName="api.example.com", basePath="v2", patchOperations=[
        {"op": "replace", "path": "/stage", "value": "prod"}])
    assert get(gureum, host, "/v2/hello")[1]["stage"] == "prod"
    apigw.delete_base_path_mapping(domainName="api.example.com", basePath="(none)")
    assert get(gureum, host, "/hello") == (403, {"message": "Forbidden"})
    gureum.restart(kill=True)
    assert get(gureum, f"api.example.com:{gureum.port}", "/v2/hello") == (
        200, {"api": "B", "path": "/hello", "stage": "prod"})
    apigw = gureum.client("apigateway")
    assert apigw.get_domain_name(domainName="api.example.com")["regionalDomainName"] == regional
    apigw.delete_domain_name(domainName="api.example.com")
    req = urllib.request.Request(f"{gureum.endpoint}/v2/hello", headers={"Host": f"api.example.com:{gureum.port}"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(req, timeout=30)
