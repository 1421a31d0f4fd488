"""Lambda layers for real: published versions (zip or S3), their ARNs,
CodeSize and CodeSha256 as AWS reports them, listings, policies checked for
use from another account, the limits on a function's layers, and functions
whose code imports a module only their layer provides (laid out as AWS's
/opt, through the runtime's search paths), across a restart."""
import base64
import hashlib
import io
import json
import zipfile

import botocore.exceptions
import pytest

from conftest import lambda_role

ACCOUNT = "000000000000"
OTHER = "111111111111"


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
    return buf.getvalue()


HELPER = {"python/helper.py": "def greet(who):\n    return 'hello ' + who + ' from the layer'\n"}
SITE = {"python/lib/python3.12/site-packages/sitepkg/__init__.py": "VALUE = 'site-packages'\n"}
APP = """
import helper, sitepkg, os
def handler(event, context):
    return {"greeting": helper.greet(event["who"]), "site": sitepkg.VALUE}
"""


@pytest.fixture(scope="module")
def lam(gureum):
    lambda_role(gureum)
    return gureum.client("lambda")


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def create(lam, name, layers, files=None, runtime="python3.12", **kw):
    return lam.create_function(
        FunctionName=name, Runtime=runtime, Role=f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        Handler="app.handler", Code={"ZipFile": zipped(files or {"app.py": APP})}, Layers=layers, **kw)


def test_published_versions_have_aws_arns_size_and_sha(lam):
    body = zipped(HELPER)
    first = lam.publish_layer_version(LayerName="helpers", Content={"ZipFile": body},
                                      CompatibleRuntimes=["python3.12"], Description="one")
    second = lam.publish_layer_version(LayerName="helpers", Content={"ZipFile": body},
                                       CompatibleRuntimes=["python3.11"], CompatibleArchitectures=["arm64"])
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:helpers"
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (first["LayerArn"], first["LayerVersionArn"], first["Version"]) == (arn, arn + ":1", 1)
    assert second["LayerVersionArn"] == arn + ":2"
    assert first["Content"]["CodeSize"] == len(body)
    assert first["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    got = lam.get_layer_version(LayerName="helpers", VersionNumber=1)
    assert got["Description"] == "one" and got["CompatibleRuntimes"] == ["python3.12"]
    assert lam.get_layer_version_by_arn(Arn=arn + ":2")["CompatibleArchitectures"] == ["arm64"]
    assert lam.get_layer_version(LayerName=arn, VersionNumber=2)["Version"] == 2


def test_listings_filter_by_runtime_and_architecture(lam):
    versions = lam.list_layer_versions(LayerName="helpers")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    only = lam.list_layer_versions(LayerName="helpers", CompatibleRuntime="python3.12")["LayerVersions"]
    assert [v["Version"] for v in only] == [1]
    layers = lam.list_layers()["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in layers] == [("helpers", 2)]
    assert lam.list_layers(CompatibleRuntime="python3.12")["Layers"][0]["LatestMatchingVersion"]["Version"] == 1
    assert lam.list_layers(CompatibleArchitecture="x86_64")["Layers"] == []


def test_a_missing_version_is_not_found(lam):
    code, message = error_of(lambda: lam.get_layer_version(LayerName="helpers", VersionNumber=9))
    assert (code, message) == ("ResourceNotFoundException", "The resource you requested does not exist.")


def test_a_python_function_imports_what_only_its_layers_provide(lam):
    one = lam.publish_layer_version(LayerName="py-helper", Content={"ZipFile": zipped(HELPER)})
    two = lam.publish_layer_version(LayerName="py-site", Content={"ZipFile": zipped(SITE)})
    made = create(lam, "uses-layers", [one["LayerVersionArn"], two["LayerVersionArn"]])
    assert made["Layers"] == [{"Arn": one["LayerVersionArn"], "CodeSize": one["Content"]["CodeSize"]},
                              {"Arn": two["LayerVersionArn"], "CodeSize": two["Content"]["CodeSize"]}]
    out = lam.invoke(FunctionName="uses-layers", Payload=json.dumps({"who": "gureum"}))
    assert "FunctionError" not in out
    assert json.loads(out["Payload"].read()) == {"greeting": "hello gureum from the layer", "site": "site-packages"}


def test_without_the_layer_the_import_fails(lam):
    lam.create_function(FunctionName="no-layers", Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
                        Handler="app.handler", Code={"ZipFile": zipped({"app.py": APP})})
    out = lam.invoke(FunctionName="no-layers", Payload=b"{}")
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Payload"].read())["errorType"] == "Runtime.ImportModuleError"


def test_later_layers_replace_earlier_files_and_config_updates_change_them(lam):
    a = lam.publish_layer_version(LayerName="order", Content={"ZipFile": zipped({"python/which.py": "NAME = 'a'\n"})})
    b = lam.publish_layer_version(LayerName="order", Content={"ZipFile": zipped({"python/which.py": "NAME = 'b'\n"})})
    create(lam, "ordered", [a["LayerVersionArn"], b["LayerVersionArn"]],
           files={"app.py": "import which\ndef handler(e, c):\n    return which.NAME\n"})
    assert json.loads(lam.invoke(FunctionName="ordered")["Payload"].read()) == "b"
    lam.update_function_configuration(FunctionName="ordered", Layers=[b["LayerVersionArn"], a["LayerVersionArn"]])
    assert json.loads(lam.invoke(FunctionName="ordered")["Payload"].read()) == "a"


def test_a_deleted_version_keeps_working_for_functions_that_use_it(gureum, lam):
    v = lam.publish_layer_version(LayerName="doomed", Content={"ZipFile": zipped({"python/gone.py": "X = 42\n"})})
    create(lam, "keeps", [v["LayerVersionArn"]], files={"app.py": "import gone\ndef handler(e, c):\n    return gone.X\n"})
    lam.delete_layer_version(LayerName="doomed", VersionNumber=1)
    lam.delete_layer_version(LayerName="doomed", VersionNumber=1)
    assert lam.list_layer_versions(LayerName="doomed")["LayerVersions"] == []
    code, message = error_of(lambda: create(lam, "late", [v["LayerVersionArn"]]))
    assert (code, message) == ("InvalidParameterValueException", f"Layer version {v['LayerVersionArn']} does not exist.")
    again = lam.publish_layer_version(LayerName="doomed", Content={"ZipFile": zipped({"python/gone.py": "X = 1\n"})})
    assert again["Version"] == 2
    assert json.loads(lam.invoke(FunctionName="keeps")["Payload"].read()) == 42


def test_at_most_five_layers(lam):
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:helpers:1"
    code, message = error_of(lambda: create(lam, "six", [arn] * 6))
    assert (code, message) == ("InvalidParameterValueException", "Cannot reference more than 5 layers.")


def test_code_and_layers_together_stay_under_250_mb(lam, tmp_path):
    # Zeros compress to almost nothing: 135 MB unzipped each.
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("python/big.bin", b"\0" * 135_000_000)
    one = lam.publish_layer_version(LayerName="big-a", Content={"ZipFile": big.getvalue()})
    two = lam.publish_layer_version(LayerName="big-b", Content={"ZipFile": big.getvalue()})
    code, message = error_of(lambda: create(lam, "too-big", [one["LayerVersionArn"], two["LayerVersionArn"]]))
    assert code == "InvalidParameterValueException"
    assert message.startswith("Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is ")
    # New code is counted with the layers the function already has.
    create(lam, "one-big", [one["LayerVersionArn"]], files={"app.py": "def handler(e, c):\n    return 1\n"})
    code_zip = io.BytesIO()
    with zipfile.ZipFile(code_zip, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("app.py", "def handler(e, c):\n    return 2\n")
        z.writestr("big.bin", b"\1" * 135_000_000)
    code, message = error_of(lambda: lam.update_function_code(FunctionName="one-big", ZipFile=code_zip.getvalue()))
    assert code == "InvalidParameterValueException"
    assert message.startswith("Function code combined with layers exceeds the maximum allowed size of 262144000 bytes.")


def test_another_account_uses_a_layer_only_when_its_policy_allows(gureum, lam):
    shared = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": zipped(HELPER)})["LayerVersionArn"]
    other = gureum.client("lambda", key=OTHER, secret="x")
    code, message = error_of(lambda: other.get_layer_version_by_arn(Arn=shared))
    assert code == "AccessDeniedException"
    assert message.endswith(f"is not authorized to perform: lambda:GetLayerVersion on resource: {shared}")
    code, message = error_of(lambda: lam.get_layer_version_policy(LayerName="shared", VersionNumber=1))
    assert (code, message) == ("ResourceNotFoundException", "No policy is associated with the given resource.")
    added = lam.add_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="other",
                                             Action="lambda:GetLayerVersion", Principal=OTHER)
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"} and statement["Resource"] == shared
    code, message = error_of(lambda: lam.add_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="other", Action="lambda:GetLayerVersion", Principal="*"))
    assert code == "ResourceConflictException"
    policy = lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert policy["RevisionId"] == added["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["other"]
    assert other.get_layer_version_by_arn(Arn=shared)["Version"] == 1
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="other")
    code, message = error_of(lambda: lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="other"))
    assert (code, message) == ("ResourceNotFoundException", "No policy is associated with the given resource.")
    code, _ = error_of(lambda: other.get_layer_version_by_arn(Arn=shared))
    assert code == "AccessDeniedException"


def test_a_layer_from_s3(gureum, lam):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="layer-bucket")
    body = zipped({"python/froms3.py": "WHERE = 's3'\n"})
    s3.put_object(Bucket="layer-bucket", Key="layer.zip", Body=body)
    v = lam.publish_layer_version(LayerName="from-s3", Content={"S3Bucket": "layer-bucket", "S3Key": "layer.zip"})
    assert v["Content"]["CodeSize"] == len(body)
    create(lam, "s3-layer", [v["LayerVersionArn"]], files={"app.py": "import froms3\ndef handler(e, c):\n    return froms3.WHERE\n"})
    assert json.loads(lam.invoke(FunctionName="s3-layer")["Payload"].read()) == "s3"


def test_layers_and_functions_using_them_survive_a_restart(gureum):
    gureum.restart(kill=True)
    lam = gureum.client("lambda")
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="helpers")["LayerVersions"]] == [2, 1]
    out = lam.invoke(FunctionName="uses-layers", Payload=json.dumps({"who": "again"}))
    assert json.loads(out["Payload"].read())["greeting"] == "hello again from the layer"
    assert lam.publish_layer_version(LayerName="doomed", Content={"ZipFile": zipped(HELPER)})["Version"] == 3
