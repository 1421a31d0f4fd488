"""API Gateway documentation parts (at AWS's locations, with its defaults,
filtered by type, path, name and whether the location exists) and
documentation versions that snapshot them and that a stage shows; kept
across a restart."""
import json

import botocore.exceptions
import pytest


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


def test_parts_take_aws_location_defaults_and_filter(apigw):
    api = apigw.create_rest_api(name="documented")
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    apigw.put_method(restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", authorizationType="NONE")
    whole = apigw.create_documentation_part(restApiId=api["id"], location={"type": "API"},
                                            properties=json.dumps({"info": {"description": "pet store"}}))
    assert whole["location"] == {"type": "API"}
    method = apigw.create_documentation_part(restApiId=api["id"], location={"type": "METHOD", "path": "/pets"},
                                             properties=json.dumps({"summary": "list"}))
    assert method["location"] == {"type": "METHOD", "path": "/pets", "method": "*"}
    apigw.create_documentation_part(restApiId=api["id"], location={"type": "RESOURCE", "path": "/gone"},
                                    properties="{}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_documentation_part(restApiId=api["id"], location={"type": "API"}, properties="{}")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_documentation_part(restApiId=api["id"], location={"type": "API"}, properties="not json")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api["id"], type="METHOD")["items"]] == [method["id"]]
    undocumented = apigw.get_documentation_parts(restApiId=api["id"], locationStatus="UNDOCUMENTED")["items"]
    assert [p["location"]["path"] for p in undocumented] == ["/gone"]
    updated = apigw.update_documentation_part(restApiId=api["id"], documentationPartId=method["id"], patchOperations=[
        {"op": "replace", "path": "/properties", "value": json.dumps({"summary": "all pets"})}])
    assert json.loads(updated["properties"]) == {"summary": "all pets"}
    apigw.delete_documentation_part(restApiId=api["id"], documentationPartId=whole["id"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_documentation_part(restApiId=api["id"], documentationPartId=whole["id"])
    assert e.value.response["Error"]["Message"] == "Invalid Documentation part identifier specified"


def test_versions_snapshot_parts_and_stages_show_them(gureum, apigw):
    api = apigw.create_rest_api(name="versioned")
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    apigw.create_documentation_part(restApiId=api["id"], location={"type": "API"}, properties="{}")
    v = apigw.create_documentation_version(restApiId=api["id"], documentationVersion="1.0", stageName="prod",
                                           description="first")
    assert (v["version"], v["description"]) == ("1.0", "first")
    assert apigw.get_stage(restApiId=api["id"], stageName="prod")["documentationVersion"] == "1.0"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_documentation_version(restApiId=api["id"], documentationVersion="1.0")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    gureum.restart(kill=True)
    apigw = gureum.client("apigateway")
    assert [x["version"] for x in apigw.get_documentation_versions(restApiId=api["id"])["items"]] == ["1.0"]
    apigw.update_documentation_version(restApiId=api["id"], documentationVersion="1.0", patchOperations=[
        {"op": "replace", "path": "/description", "value": "renamed"}])
    assert apigw.get_documentation_version(restApiId=api["id"], documentationVersion="1.0")["description"] == "renamed"
    apigw.delete_documentation_version(restApiId=api["id"], documentationVersion="1.0")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_documentation_version(restApiId=api["id"], documentationVersion="1.0")
    assert e.value.response["Error"]["Message"] == "Invalid Documentation version specified"
