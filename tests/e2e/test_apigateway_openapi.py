"""API Gateway OpenAPI import and export: a petstore-style OpenAPI 3.0 (YAML)
and Swagger 2.0 (JSON) definition with a MOCK and a Lambda proxy integration,
a model, a request validator and a gateway response is imported, deployed and
called over real HTTP; exported as oas30/swagger in JSON and YAML with API
Gateway's extensions, re-imported and called again; PutRestApi merges and
overwrites; warnings and failonwarnings as AWS words them."""
import io
import json
import urllib.error
import urllib.request
import zipfile

import botocore.exceptions
import pytest
from conftest import lambda_role

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

PET_FN = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"id": event["pathParameters"]["petId"], "name": "rex"})}
"""

PETSTORE = """
openapi: 3.0.1
info:
  title: petstore
  version: "1.0"
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        200:
          description: the pets
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '[{"id": 1, "type": "dog"}]'
    post:
      operationId: addPet
      x-amazon-apigateway-request-validator: body
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Pet'
      responses:
        200:
          description: added
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"added": true}'
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
components:
  schemas:
    Pet:
      type: object
      required: [type]
      properties:
        type:
          type: string
          enum: [dog, cat]
x-amazon-apigateway-request-validators:
  body:
    validateRequestBody: true
    validateRequestParameters: false
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: "404"
    responseTemplates:
      application/json: '{"error": "no such route"}'
"""


def zipped(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def pet_fn(gureum):
    lambda_role(gureum)
    lam = gureum.client("lambda")
    arn = lam.create_function(FunctionName="pet-fn", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zipped(PET_FN)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="pet-fn")
    lam.add_permission(FunctionName="pet-fn", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return arn


def call(gureum, api_id, stage, path, method="GET", body=None, headers=None):
    headers = dict(headers or {})
    headers["Host"] = f"{api_id}.execute-api.localhost:{gureum.port}"
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(f"{gureum.endpoint}/{stage}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check_petstore(gureum, api_id):
    assert call(gureum, api_id, "prod", "/pets") == (200, b'[{"id": 1, "type": "dog"}]')
    status, body = call(gureum, api_id, "prod", "/pets/7")
    assert (status, json.loads(body)) == (200, {"id": "7", "name": "rex"})
    json_type = {"Content-Type": "application/json"}
    assert call(gureum, api_id, "prod", "/pets", "POST", '{"type": "cat"}', json_type) == (200, b'{"added": true}')
    status, body = call(gureum, api_id, "prod", "/pets", "POST", '{"type": "cow"}', json_type)
    assert (status, json.loads(body)) == (400, {"message": "Invalid request body"})
    status, body = call(gureum, api_id, "prod", "/nowhere")
    assert (status, json.loads(body)) == (404, {"error": "no such route"})


def test_a_yaml_openapi3_petstore_is_imported_deployed_and_served(gureum, apigw, pet_fn):
    api = apigw.import_rest_api(body=PETSTORE.replace("FUNCTION_ARN", pet_fn).encode(), failOnWarnings=True)
    assert api["name"] == "petstore"
    assert "warnings" not in api
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/pets", "/pets/{petId}"]
    assert apigw.get_model(restApiId=api["id"], modelName="Pet")["contentType"] == "application/json"
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    check_petstore(gureum, api["id"])


def test_an_export_reimports_into_the_same_api(gureum, apigw, pet_fn):
    api = apigw.import_rest_api(body=PETSTORE.replace("FUNCTION_ARN", pet_fn).encode())
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    exported = apigw.get_export(restApiId=api["id"], stageName="prod", exportType="oas30",
                                parameters={"extensions": "apigateway"}, accepts="application/json")
    assert exported["contentType"] == "application/json"
    doc = json.loads(exported["body"].read())
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["variables"]["basePath"]["default"] == "prod"
    get_pet = doc["paths"]["/pets/{petId}"]["get"]
    assert get_pet["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert doc["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"}
    assert doc["x-amazon-apigateway-request-validators"]["body"]["validateRequestBody"] is True
    assert doc["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    again = apigw.import_rest_api(body=json.dumps(doc).encode(), failOnWarnings=True)
    apigw.create_deployment(restApiId=again["id"], stageName="prod")
    check_petstore(gureum, again["id"])
    # YAML out, and back in.
    yaml_export = apigw.get_export(restApiId=api["id"], stageName="prod", exportType="oas30",
                                   parameters={"extensions": "integrations"}, accepts="application/yaml")
    assert yaml_export["contentType"] == "application/yaml"
    text = yaml_export["body"].read()
    assert b"x-amazon-apigateway-integration:" in text
    third = apigw.import_rest_api(body=text, failOnWarnings=True)
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=third["id"])["items"]) == [
        "/", "/pets", "/pets/{petId}"]


def test_a_plain_export_has_no_api_gateway_extensions(apigw, pet_fn):
    api = apigw.import_rest_api(body=PETSTORE.replace("FUNCTION_ARN", pet_fn).encode())
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    swagger = json.loads(apigw.get_export(restApiId=api["id"], stageName="prod", exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0"
    assert swagger["basePath"] == "/prod"
    assert "x-amazon-apigateway-integration" not in json.dumps(swagger)
    assert swagger["definitions"]["Pet"]["required"] == ["type"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_export(restApiId=api["id"], stageName="nope", exportType="oas30")
    assert e.value.response["Error"]["Message"] == "Invalid stage identifier specified"


def test_swagger2_json_imports_with_a_body_model(gureum, apigw):
    doc = {"swagger": "2.0", "info": {"title": "s2", "version": "1"},
           "paths": {"/items": {"post": {
               "consumes": ["application/json"],
               "parameters": [{"in": "body", "name": "Item", "required": True, "schema": {"$ref": "#/definitions/Item"}},
                              {"in": "query", "name": "q", "required": True, "type": "string"}],
               "responses": {"200": {"description": "ok"}},
               "x-amazon-apigateway-request-validator": "all",
               "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                                  "responses": {"default": {"statusCode": "200"}}}}}},
           "definitions": {"Item": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}},
           "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True, "validateRequestParameters": True}}}
    api = apigw.import_rest_api(body=json.dumps(doc).encode())
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    status, body = call(gureum, api["id"], "prod", "/items", "POST", '{"n": 1}', {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (400, {"message": "Missing required request parameters: [q]"})
    status, _ = call(gureum, api["id"], "prod", "/items?q=1", "POST", '{"n": 1}', {"Content-Type": "application/json"})
    assert status == 200


def test_put_rest_api_merges_or_overwrites(apigw):
    base = {"openapi": "3.0.1", "info": {"title": "merge", "version": "1"},
            "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    api = apigw.import_rest_api(body=json.dumps(base).encode())
    more = {"openapi": "3.0.1", "info": {"title": "merge", "version": "2"},
            "paths": {"/b": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    merged = apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(more).encode())
    assert merged["version"] == "2"
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/a", "/b"]
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(more).encode())
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/b"]


def test_warnings_are_reported_or_refuse_the_import(apigw):
    doc = {"openapi": "3.0.1", "info": {"title": "warned", "version": "1"},
           "paths": {"/x": {"get": {"security": [{"nothing": []}],
                                    "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": "ftp://x"}}}}}
    api = apigw.import_rest_api(body=json.dumps(doc).encode())
    assert any("Invalid HTTP endpoint specified for URI" in w for w in api["warnings"])
    before = len(apigw.get_rest_apis(limit=500)["items"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.import_rest_api(body=json.dumps(doc).encode(), failOnWarnings=True)
    err = e.value.response["Error"]
    assert err["Code"] == "BadRequestException"
    assert err["Message"].startswith("Warnings found during import:")
    assert len(apigw.get_rest_apis(limit=500)["items"]) == before
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.import_rest_api(body=b"just words")
    assert e.value.response["Error"]["Message"] == "Invalid OpenAPI input."


def test_imported_apis_survive_a_restart(gureum, apigw):
    doc = {"openapi": "3.0.1", "info": {"title": "kept", "version": "1"},
           "paths": {"/k": {"get": {"x-amazon-apigateway-integration": {
               "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
               "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": '{"kept": 1}'}}}}}}}}
    api = apigw.import_rest_api(body=json.dumps(doc).encode())
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    gureum.restart(kill=True)
    assert call(gureum, api["id"], "prod", "/k") == (200, b'{"kept": 1}')
    exported = gureum.client("apigateway").get_export(restApiId=api["id"], stageName="prod", exportType="oas30")
    assert "/k" in json.loads(exported["body"].read())["paths"]


def test_cognito_authorizers_are_refused_honestly(apigw):
    api = apigw.create_rest_api(name="cognito")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_authorizer(restApiId=api["id"], name="pool", type="COGNITO_USER_POOLS",
                                providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"],
                                identitySource="method.request.header.Authorization")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert "Gureum has no Cognito user pools" in e.value.response["Error"]["Message"]
    doc = {"openapi": "3.0.1", "info": {"title": "pool", "version": "1"}, "paths": {},
           "components": {"securitySchemes": {"pool": {"type": "apiKey", "name": "Authorization", "in": "header",
                                                       "x-amazon-apigateway-authtype": "cognito_user_pools",
                                                       "x-amazon-apigateway-authorizer": {
                                                           "type": "cognito_user_pools", "providerARNs": ["arn:x"]}}}}}
    imported = apigw.import_rest_api(body=json.dumps(doc).encode())
    assert any("Gureum has no Cognito user pools" in w for w in imported["warnings"])
