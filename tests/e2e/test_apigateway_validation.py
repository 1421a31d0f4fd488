"""API Gateway REST APIs: models (JSON Schema draft 4) and request
validators enforced on real requests to the invoke URL, and gateway
responses (AWS's defaults, customised status, headers and templates)
shaping API Gateway's own answers; all kept across a restart."""
import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

PET_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Pet",
    "type": "object",
    "required": ["name", "age"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


def call(gureum, api_id, stage, path, method="GET", body=None, headers=None):
    headers = dict(headers or {})
    headers["Host"] = f"{api_id}.execute-api.localhost:{gureum.port}"
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(f"{gureum.endpoint}/{stage}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def mock_method(apigw, api_id, resource_id, verb, **method):
    m = dict(restApiId=api_id, resourceId=resource_id, httpMethod=verb)
    apigw.put_method(**m, authorizationType="NONE", **method)
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})


def error_code(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_new_apis_have_the_empty_and_error_models(apigw):
    api = apigw.create_rest_api(name="defaults")
    names = sorted(m["name"] for m in apigw.get_models(restApiId=api["id"])["items"])
    assert names == ["Empty", "Error"]
    empty = apigw.get_model(restApiId=api["id"], modelName="Empty")
    assert json.loads(empty["schema"])["type"] == "object"
    assert empty["contentType"] == "application/json"


def test_models_are_created_read_updated_and_deleted(apigw):
    api = apigw.create_rest_api(name="models")["id"]
    created = apigw.create_model(restApiId=api, name="Pet", contentType="application/json",
                                 schema=json.dumps(PET_SCHEMA), description="a pet")
    assert (created["name"], created["description"]) == ("Pet", "a pet")
    assert json.loads(apigw.get_model(restApiId=api, modelName="Pet")["schema"]) == PET_SCHEMA
    updated = apigw.update_model(restApiId=api, modelName="Pet",
                                 patchOperations=[{"op": "replace", "path": "/description", "value": "dog"}])
    assert updated["description"] == "dog"
    template = apigw.get_model_template(restApiId=api, modelName="Pet")["value"]
    assert template.startswith("#set($inputRoot = $input.path('$'))")
    assert '"name" : "$inputRoot.name"' in template
    owner = {"type": "object", "properties": {
        "pet": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/Pet"}}}
    apigw.create_model(restApiId=api, name="Owner", contentType="application/json", schema=json.dumps(owner))
    flat = json.loads(apigw.get_model(restApiId=api, modelName="Owner", flatten=True)["schema"])
    assert flat["properties"]["pet"]["required"] == ["name", "age"]
    apigw.delete_model(restApiId=api, modelName="Owner")
    apigw.delete_model(restApiId=api, modelName="Pet")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_model(restApiId=api, modelName="Pet")
    assert error_code(e) == ("NotFoundException", "Invalid model name specified: Pet", 404)


def test_a_schema_that_is_not_json_schema_is_refused(apigw):
    api = apigw.create_rest_api(name="bad-schema")["id"]
    for schema in ("{not json", json.dumps({"type": "thing"}), json.dumps({"required": "name"})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            apigw.create_model(restApiId=api, name="Bad", contentType="application/json", schema=schema)
        assert error_code(e) == ("BadRequestException",
                                 "Invalid model specified: Validation Result: warnings : [], "
                                 "errors : [Invalid model schema specified]", 400)
    apigw.create_model(restApiId=api, name="Pet", contentType="application/json", schema=json.dumps(PET_SCHEMA))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_model(restApiId=api, name="Pet", contentType="application/json", schema="{}")
    assert error_code(e) == ("ConflictException", "Model name already exists for this REST API", 409)


def test_request_validators_are_created_listed_updated_and_deleted(apigw):
    api = apigw.create_rest_api(name="validators")["id"]
    v = apigw.create_request_validator(restApiId=api, name="body-only", validateRequestBody=True)
    assert (v["validateRequestBody"], v["validateRequestParameters"]) == (True, False)
    assert [x["id"] for x in apigw.get_request_validators(restApiId=api)["items"]] == [v["id"]]
    v2 = apigw.update_request_validator(restApiId=api, requestValidatorId=v["id"], patchOperations=[
        {"op": "replace", "path": "/validateRequestParameters", "value": "true"}])
    assert v2["validateRequestParameters"] is True
    apigw.delete_request_validator(restApiId=api, requestValidatorId=v["id"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_request_validator(restApiId=api, requestValidatorId=v["id"])
    assert error_code(e) == ("NotFoundException", "Invalid Request Validator identifier specified", 404)


def validated_api(apigw):
    api = apigw.create_rest_api(name="validated")
    api_id = api["id"]
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(PET_SCHEMA))
    both = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True,
                                          validateRequestParameters=True)
    pets = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="pets")
    mock_method(apigw, api_id, pets["id"], "POST", requestValidatorId=both["id"],
                requestModels={"application/json": "Pet"},
                requestParameters={"method.request.header.x-owner": True, "method.request.querystring.store": True,
                                   "method.request.querystring.optional": False})
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def test_a_body_that_breaks_the_model_gets_invalid_request_body(gureum, apigw):
    api_id = validated_api(apigw)
    good = {"Content-Type": "application/json", "x-owner": "kim"}
    status, _, body = call(gureum, api_id, "prod", "/pets?store=1", "POST", json.dumps({"name": "rex", "age": 3}), good)
    assert (status, json.loads(body)) == (200, {"ok": True})
    for bad in ({"name": "rex"}, {"name": "rex", "age": "three"}, {"name": "", "age": 1}, "not json"):
        text = bad if isinstance(bad, str) else json.dumps(bad)
        status, headers, body = call(gureum, api_id, "prod", "/pets?store=1", "POST", text, good)
        assert (status, json.loads(body)) == (400, {"message": "Invalid request body"})
        assert headers["x-amzn-ErrorType"] == "BadRequestException"


def test_missing_required_parameters_are_named(gureum, apigw):
    api_id = validated_api(apigw)
    pet = json.dumps({"name": "rex", "age": 3})
    status, _, body = call(gureum, api_id, "prod", "/pets", "POST", pet, {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (400, {"message": "Missing required request parameters: [x-owner, store]"})
    status, _, body = call(gureum, api_id, "prod", "/pets?store=2", "POST", pet, {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (400, {"message": "Missing required request parameters: [x-owner]"})


def test_methods_refuse_unknown_models_and_validators(apigw):
    api = apigw.create_rest_api(name="unknowns")
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], authorizationType="NONE")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.put_method(**m, httpMethod="GET", requestValidatorId="nope00")
    assert error_code(e) == ("NotFoundException", "Invalid Request Validator identifier specified", 404)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.put_method(**m, httpMethod="GET", requestModels={"application/json": "Nope"})
    assert error_code(e) == ("BadRequestException", "Invalid model identifier specified: Nope", 400)


def test_a_model_in_use_cannot_be_deleted(apigw):
    api = apigw.create_rest_api(name="in-use")
    apigw.create_model(restApiId=api["id"], name="Pet", contentType="application/json", schema=json.dumps(PET_SCHEMA))
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="POST",
                     authorizationType="NONE", requestModels={"application/json": "Pet"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.delete_model(restApiId=api["id"], modelName="Pet")
    assert error_code(e) == ("ConflictException",
                             "Cannot delete model 'Pet', is referenced in method request: /POST", 409)


def test_gateway_responses_list_aws_defaults(apigw):
    api = apigw.create_rest_api(name="gr-defaults")["id"]
    items = apigw.get_gateway_responses(restApiId=api, limit=500)["items"]
    by_type = {i["responseType"]: i for i in items}
    assert len(by_type) == 21
    assert by_type["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "403"
    assert by_type["BAD_REQUEST_BODY"]["statusCode"] == "400"
    assert by_type["QUOTA_EXCEEDED"]["statusCode"] == "429"
    assert "statusCode" not in by_type["DEFAULT_4XX"]
    assert all(i["defaultResponse"] for i in items)
    assert by_type["THROTTLED"]["responseTemplates"] == {"application/json": '{"message":$context.error.messageString}'}


def test_customised_gateway_responses_shape_api_gateways_answers(gureum, apigw):
    api_id = validated_api(apigw)
    apigw.put_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
                               responseParameters={"gatewayresponse.header.X-Route": "'none'",
                                                   "gatewayresponse.header.X-Asked": "method.request.header.x-asker"},
                               responseTemplates={"application/json":
                                                  '{"error": $context.error.messageString, "type": "$context.error.responseType"}'})
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX",
                               responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                               responseTemplates={"application/json":
                                                  '{"oops": $context.error.messageString, "why": "$util.escapeJavaScript($context.error.validationErrorString)"}'})
    got = apigw.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert (got["statusCode"], got["defaultResponse"]) == ("404", False)
    # Gateway responses take effect on deployment.
    status, _, _ = call(gureum, api_id, "prod", "/nowhere")
    assert status == 403
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    status, headers, body = call(gureum, api_id, "prod", "/nowhere", headers={"x-asker": "lee"})
    assert (status, json.loads(body)) == (404, {"error": "Missing Authentication Token",
                                                "type": "MISSING_AUTHENTICATION_TOKEN"})
    assert (headers["X-Route"], headers["X-Asked"]) == ("none", "lee")
    status, headers, body = call(gureum, api_id, "prod", "/pets?store=1", "POST", json.dumps({"name": "rex"}),
                                 {"Content-Type": "application/json", "x-owner": "kim"})
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body) == {"oops": "Invalid request body",
                                "why": '[object has missing required properties (["age"])]'}
    apigw.delete_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert apigw.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")["defaultResponse"]


def test_gateway_response_errors_carry_aws_messages(apigw):
    api = apigw.create_rest_api(name="gr-errors")["id"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.put_gateway_response(restApiId=api, responseType="DEFAULT_4XX",
                                   responseParameters={"method.response.header.X": "'a'"})
    assert error_code(e)[0] == "BadRequestException"
    assert "Invalid mapping expression specified" in error_code(e)[1]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.delete_gateway_response(restApiId=api, responseType="THROTTLED")
    assert error_code(e) == ("NotFoundException", "Invalid Gateway Response type specified", 404)


def test_models_validators_and_gateway_responses_survive_a_restart(gureum, apigw):
    api_id = validated_api(apigw)
    apigw.put_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY", statusCode="422")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    gureum.restart(kill=True)
    apigw = gureum.client("apigateway")
    assert apigw.get_model(restApiId=api_id, modelName="Pet")["name"] == "Pet"
    assert len(apigw.get_request_validators(restApiId=api_id)["items"]) == 1
    assert apigw.get_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_BODY")["statusCode"] == "422"
    status, _, body = call(gureum, api_id, "prod", "/pets?store=1", "POST", "{}",
                           {"Content-Type": "application/json", "x-owner": "kim"})
    assert (status, json.loads(body)) == (422, {"message": "Invalid request body"})
