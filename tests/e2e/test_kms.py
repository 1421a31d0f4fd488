"""KMS through boto3 and the aws CLI: envelope encryption with a data key,
encryption context binding, disabled keys, aliases, deletion on Gureum's
clock, rotation, state (keys and the master key) across a restart, and
asymmetric signatures verified by openssl against GetPublicKey's DER."""
import base64
import json
import os
import subprocess
import tempfile

import botocore.exceptions
import pytest

from helpers import advance


def client_error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


@pytest.fixture(scope="module")
def kms(gureum):
    return gureum.client("kms")


def new_key(kms, **kw):
    return kms.create_key(Description="e2e", **kw)["KeyMetadata"]


def test_create_key_answers_aws_key_metadata(kms):
    meta = new_key(kms)
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:key/{meta['KeyId']}"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["Origin"] == "AWS_KMS"
    listed = [k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]]
    assert meta["KeyId"] in listed


def test_envelope_encryption_round_trip_with_a_data_key(kms):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = new_key(kms)["KeyId"]
    context = {"app": "e2e", "record": "42"}
    dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=context)
    assert len(dk["Plaintext"]) == 32
    nonce = os.urandom(12)
    sealed = AESGCM(dk["Plaintext"]).encrypt(nonce, b"the payload", None)
    stored = dk["CiphertextBlob"]
    del dk
    # Later: only the encrypted data key is kept; KMS gives the key back.
    back = kms.decrypt(CiphertextBlob=stored, EncryptionContext=context)
    assert back["KeyId"].endswith(key)
    assert AESGCM(back["Plaintext"]).decrypt(nonce, sealed, None) == b"the payload"


def test_a_wrong_encryption_context_fails_as_invalid_ciphertext(kms):
    key = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    err = client_error(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "2"})
    assert err["Code"] == "InvalidCiphertextException"
    err = client_error(kms.decrypt, CiphertextBlob=blob)
    assert err["Code"] == "InvalidCiphertextException"
    other = new_key(kms)["KeyId"]
    err = client_error(kms.decrypt, CiphertextBlob=blob, KeyId=other, EncryptionContext={"a": "1"})
    assert err["Code"] == "IncorrectKeyException"


def test_a_disabled_key_refuses_with_aws_message(kms, gureum):
    meta = new_key(kms)
    kms.disable_key(KeyId=meta["KeyId"])
    err = client_error(kms.encrypt, KeyId=meta["KeyId"], Plaintext=b"x")
    assert err["Code"] == "DisabledException"
    assert err["Message"] == f"{meta['Arn']} is disabled."
    code, _, stderr = gureum.aws(
        "kms", "generate-data-key", "--key-id", meta["KeyId"], "--key-spec", "AES_256", check=False
    )
    assert code != 0 and "DisabledException" in stderr and f"{meta['Arn']} is disabled." in stderr
    kms.enable_key(KeyId=meta["KeyId"])
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")


def test_aliases_work_through_the_cli(kms, gureum):
    key = new_key(kms)["KeyId"]
    gureum.aws("kms", "create-alias", "--alias-name", "alias/e2e-cli", "--target-key-id", key)
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"hello from the cli")
        f.flush()
        _, out, _ = gureum.aws(
            "kms", "encrypt", "--key-id", "alias/e2e-cli", "--plaintext", f"fileb://{f.name}",
            "--encryption-context", "purpose=cli",
        )
    assert out["KeyId"].endswith(key)
    blob = base64.b64decode(out["CiphertextBlob"])
    with tempfile.NamedTemporaryFile() as f:
        f.write(blob)
        f.flush()
        _, back, _ = gureum.aws(
            "kms", "decrypt", "--ciphertext-blob", f"fileb://{f.name}",
            "--encryption-context", "purpose=cli",
        )
    assert base64.b64decode(back["Plaintext"]) == b"hello from the cli"
    _, listed, _ = gureum.aws("kms", "list-aliases", "--key-id", key)
    assert [a["AliasName"] for a in listed["Aliases"]] == ["alias/e2e-cli"]
    err = client_error(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=key)
    assert err["Code"] == "NotAuthorizedException"
    err = client_error(kms.create_alias, AliasName="e2e", TargetKeyId=key)
    assert err["Code"] == "ValidationException"
    assert err["Message"].startswith('Alias must start with the prefix "alias/".')
    err = client_error(kms.describe_key, KeyId="alias/nope")
    assert err["Code"] == "NotFoundException"
    assert err["Message"].endswith(":alias/nope is not found.")


def test_aws_managed_keys_appear_on_first_use(kms):
    meta = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    again = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert again["KeyId"] == meta["KeyId"]


def test_scheduled_deletion_on_gureums_clock(kms, gureum):
    meta = new_key(kms)
    out = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    err = client_error(kms.encrypt, KeyId=meta["KeyId"], Plaintext=b"x")
    assert err["Code"] == "KMSInvalidStateException"
    assert err["Message"] == f"{meta['Arn']} is pending deletion."
    err = client_error(kms.schedule_key_deletion, KeyId=meta["KeyId"], PendingWindowInDays=3)
    assert err["Code"] == "ValidationException"
    advance(gureum, 7 * 86400 + 60)
    err = client_error(kms.describe_key, KeyId=meta["KeyId"])
    assert err["Code"] == "NotFoundException"
    assert err["Message"] == f"Key '{meta['Arn']}' does not exist"


def test_rotation_keeps_old_ciphertexts_decrypting(kms):
    key = new_key(kms)["KeyId"]
    old = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    kms.enable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_data_key_sizes_are_exclusive(kms):
    key = new_key(kms)["KeyId"]
    err = client_error(kms.generate_data_key, KeyId=key)
    assert err["Code"] == "ValidationException"
    err = client_error(kms.generate_data_key, KeyId=key, KeySpec="AES_256", NumberOfBytes=32)
    assert err["Code"] == "ValidationException"
    out = kms.generate_data_key_without_plaintext(KeyId=key, NumberOfBytes=1024)
    assert "Plaintext" not in out
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 1024
    assert len(kms.generate_random(NumberOfBytes=7)["Plaintext"]) == 7


def test_tags_and_the_default_key_policy(kms):
    meta = new_key(kms, Tags=[{"TagKey": "team", "TagValue": "core"}])
    kms.tag_resource(KeyId=meta["KeyId"], Tags=[{"TagKey": "env", "TagValue": "test"}])
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "core", "env": "test"}
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{meta['AWSAccountId']}:root"
    assert kms.list_key_policies(KeyId=meta["KeyId"])["PolicyNames"] == ["default"]


def test_keys_aliases_and_ciphertexts_survive_a_restart(kms, gureum):
    key = new_key(kms)["KeyId"]
    kms.create_alias(AliasName="alias/e2e-restart", TargetKeyId=key)
    blob = kms.encrypt(KeyId="alias/e2e-restart", Plaintext=b"kept")["CiphertextBlob"]
    gureum.restart(kill=True)
    fresh = gureum.client("kms")
    assert fresh.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    assert fresh.describe_key(KeyId="alias/e2e-restart")["KeyMetadata"]["KeyId"] == key



def openssl_verify(public_der, message, signature, *sigopts, digest="-sha256"):
    """Whether openssl verifies `signature` over `message` with the DER
    SubjectPublicKeyInfo `public_der`."""
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, data in [("pub.der", public_der), ("msg", message), ("sig", signature)]:
            paths[name] = os.path.join(d, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        opts = [x for o in sigopts for x in ("-sigopt", o)]
        p = subprocess.run(
            ["openssl", "dgst", digest, "-verify", paths["pub.der"], "-keyform", "DER",
             *opts, "-signature", paths["sig"], paths["msg"]],
            capture_output=True, text=True,
        )
        return p.returncode == 0 and "Verified OK" in p.stdout


@pytest.mark.parametrize(
    "spec,algorithm,digest",
    [("ECC_NIST_P256", "ECDSA_SHA_256", "-sha256"),
     ("ECC_NIST_P384", "ECDSA_SHA_384", "-sha384"),
     ("ECC_SECG_P256K1", "ECDSA_SHA_256", "-sha256")],
)
def test_ecdsa_signatures_verify_with_openssl(kms, spec, algorithm, digest):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = kms.get_public_key(KeyId=key)
    assert public["SigningAlgorithms"] == [algorithm]
    message = b"signed by gureum"
    sig = kms.sign(KeyId=key, Message=message, SigningAlgorithm=algorithm)["Signature"]
    assert openssl_verify(public["PublicKey"], message, sig, digest=digest)
    assert not openssl_verify(public["PublicKey"], b"something else", sig, digest=digest)
    assert kms.verify(KeyId=key, Message=message, Signature=sig, SigningAlgorithm=algorithm)["SignatureValid"]


def test_rsa_pss_and_pkcs1_signatures_verify_with_openssl(kms, gureum):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = kms.get_public_key(KeyId=key)["PublicKey"]
    message = b"rsa signed"
    pkcs1 = kms.sign(KeyId=key, Message=message, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    assert openssl_verify(public, message, pkcs1["Signature"])
    pss = kms.sign(KeyId=key, Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert openssl_verify(
        public, message, pss["Signature"], "rsa_padding_mode:pss", "rsa_pss_saltlen:32"
    )
    err = client_error(
        kms.verify, KeyId=key, Message=b"tampered", Signature=pss["Signature"],
        SigningAlgorithm="RSASSA_PSS_SHA_256",
    )
    assert err["Code"] == "KMSInvalidSignatureException"
    # The CLI signs a digest made locally.
    import hashlib

    with tempfile.NamedTemporaryFile() as f:
        f.write(hashlib.sha256(message).digest())
        f.flush()
        _, out, _ = gureum.aws(
            "kms", "sign", "--key-id", key, "--message", f"fileb://{f.name}",
            "--message-type", "DIGEST", "--signing-algorithm", "RSASSA_PKCS1_V1_5_SHA_256",
        )
    assert openssl_verify(public, message, base64.b64decode(out["Signature"]))


def test_rsa_encryption_round_trip_and_hmac(kms):
    key = kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"small secret", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    back = kms.decrypt(
        KeyId=key, CiphertextBlob=blob["CiphertextBlob"], EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )
    assert back["Plaintext"] == b"small secret"
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert mac_key["MacAlgorithms"] == ["HMAC_SHA_256"]
    mac = kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    ok = kms.verify_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=mac)
    assert ok["MacValid"] is True
    err = client_error(
        kms.verify_mac, KeyId=mac_key["KeyId"], Message=b"n", MacAlgorithm="HMAC_SHA_256", Mac=mac
    )
    assert err["Code"] == "KMSInvalidMacException"


def test_iam_policies_scope_kms_use_to_key_arns_through_aliases(kms, gureum):
    """An IAM user allowed kms:Encrypt and kms:Decrypt on one key ARN may
    use it by alias and decrypt without a KeyId, and is refused another key."""
    allowed = new_key(kms)
    other = new_key(kms)
    kms.create_alias(AliasName="alias/e2e-iam", TargetKeyId=allowed["KeyId"])
    iam = gureum.client("iam")
    iam.create_user(UserName="kms-user")
    iam.put_user_policy(
        UserName="kms-user",
        PolicyName="one-key",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"],
                           "Resource": allowed["Arn"]}],
        }),
    )
    creds = iam.create_access_key(UserName="kms-user")["AccessKey"]
    user = gureum.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    blob = user.encrypt(KeyId="alias/e2e-iam", Plaintext=b"scoped")["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"scoped"
    err = client_error(user.encrypt, KeyId=other["KeyId"], Plaintext=b"x")
    assert err["Code"] == "AccessDeniedException"
    assert other["Arn"] in err["Message"]


def test_a_key_policy_naming_the_user_allows_without_iam_and_one_without_the_account_refuses(
    kms, gureum
):
    iam = gureum.client("iam")
    user = iam.create_user(UserName="kms-policy-user")["User"]
    creds = iam.create_access_key(UserName="kms-policy-user")["AccessKey"]
    client = gureum.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    account = user["Arn"].split(":")[4]
    # The key policy names the user: no IAM policy needed.
    by_key_policy = kms.create_key(
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": user["Arn"]},
             "Action": "kms:Encrypt", "Resource": "*"},
        ]}),
    )["KeyMetadata"]
    client.encrypt(KeyId=by_key_policy["KeyId"], Plaintext=b"x")
    # An IAM policy alone is not enough when the key policy does not
    # delegate to the account.
    iam.put_user_policy(
        UserName="kms-policy-user", PolicyName="all-kms",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}),
    )
    locked = kms.create_key(
        BypassPolicyLockoutSafetyCheck=True,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
             "Action": "kms:*", "Resource": "*"}]}),
    )["KeyMetadata"]
    err = client_error(client.encrypt, KeyId=locked["KeyId"], Plaintext=b"x")
    assert err["Code"] == "AccessDeniedException"
    err = client_error(kms.describe_key, KeyId=locked["KeyId"])
    assert err["Code"] == "AccessDeniedException"


def test_a_grant_lets_a_user_without_policies_use_the_key_until_revoked(kms, gureum):
    iam = gureum.client("iam")
    user = iam.create_user(UserName="kms-grantee")["User"]
    creds = iam.create_access_key(UserName="kms-grantee")["AccessKey"]
    grantee = gureum.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    key = new_key(kms)["KeyId"]
    err = client_error(grantee.encrypt, KeyId=key, Plaintext=b"x")
    assert err["Code"] == "AccessDeniedException"
    grant = kms.create_grant(KeyId=key, GranteePrincipal=user["Arn"], Operations=["Encrypt"])
    grantee.encrypt(KeyId=key, Plaintext=b"x")
    err = client_error(grantee.generate_data_key, KeyId=key, KeySpec="AES_256")
    assert err["Code"] == "AccessDeniedException"
    listed = kms.list_grants(KeyId=key)["Grants"]
    assert [g["GrantId"] for g in listed] == [grant["GrantId"]]
    kms.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    err = client_error(grantee.encrypt, KeyId=key, Plaintext=b"x")
    assert err["Code"] == "AccessDeniedException"


def test_a_data_key_pair_private_key_matches_its_public_key(kms):
    from cryptography.hazmat.primitives import serialization

    key = new_key(kms)["KeyId"]
    pair = kms.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P384")
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_der == pair["PublicKey"]
    back = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
    assert back == pair["PrivateKeyPlaintext"]
    err = client_error(kms.encrypt, KeyId=key, Plaintext=b"x", DryRun=True)
    assert err["Code"] == "DryRunOperationException"


def test_an_iam_user_without_kms_permissions_is_refused_with_access_denied_exception(gureum):
    iam = gureum.client("iam")
    iam.create_user(UserName="kms-nobody")
    creds = iam.create_access_key(UserName="kms-nobody")["AccessKey"]
    nobody = gureum.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    err = client_error(nobody.list_keys)
    assert err["Code"] == "AccessDeniedException"
    assert "kms:ListKeys" in err["Message"]
    err = client_error(nobody.create_alias, AliasName="alias/nobody", TargetKeyId="alias/any")
    assert err["Code"] == "AccessDeniedException"


def test_a_constrained_grant_allows_only_its_encryption_context(kms, gureum):
    iam = gureum.client("iam")
    user = iam.create_user(UserName="kms-constrained")["User"]
    creds = iam.create_access_key(UserName="kms-constrained")["AccessKey"]
    grantee = gureum.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    key = new_key(kms)["KeyId"]
    kms.create_grant(
        KeyId=key, GranteePrincipal=user["Arn"], Operations=["Encrypt", "DescribeKey"],
        Constraints={"EncryptionContextSubset": {"tenant": "a"}},
    )
    grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"tenant": "a", "extra": "1"})
    err = client_error(grantee.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext={"tenant": "b"})
    assert err["Code"] == "AccessDeniedException"
    err = client_error(grantee.encrypt, KeyId=key, Plaintext=b"x")
    assert err["Code"] == "AccessDeniedException"


def test_keys_made_after_a_reset_survive_a_restart(gureum):
    """A reset empties KMS's tables, master key included; the next key is
    sealed under a new master key that is kept, so it opens after a restart."""
    import urllib.request

    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=kms", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
    kms = gureum.client("kms")
    assert kms.list_keys()["Keys"] == [], "the reset emptied KMS"
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    gureum.restart(kill=True)
    kms = gureum.client("kms")
    blob = kms.encrypt(KeyId=key, Plaintext=b"after reset")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"after reset"


def test_key_material_wrapped_by_openssl_imports_through_the_cli(kms, gureum):
    """AWS's documented import flow: the CLI gets the wrapping key and
    token, openssl wraps 32 random bytes with RSAES-OAEP SHA-256, the CLI
    imports them, and the key encrypts."""
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport" and key["Origin"] == "EXTERNAL"
    _, params, _ = gureum.aws(
        "kms", "get-parameters-for-import", "--key-id", key["KeyId"],
        "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048",
    )
    with tempfile.TemporaryDirectory() as d:
        path = lambda n: os.path.join(d, n)  # noqa: E731
        with open(path("pub.der"), "wb") as f:
            f.write(base64.b64decode(params["PublicKey"]))
        with open(path("token.bin"), "wb") as f:
            f.write(base64.b64decode(params["ImportToken"]))
        with open(path("material.bin"), "wb") as f:
            f.write(os.urandom(32))
        subprocess.run(
            ["openssl", "pkeyutl", "-encrypt", "-in", path("material.bin"), "-out", path("wrapped.bin"),
             "-inkey", path("pub.der"), "-keyform", "DER", "-pubin",
             "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
             "-pkeyopt", "rsa_mgf1_md:sha256"],
            check=True, capture_output=True,
        )
        gureum.aws(
            "kms", "import-key-material", "--key-id", key["KeyId"],
            "--encrypted-key-material", f"fileb://{path('wrapped.bin')}",
            "--import-token", f"fileb://{path('token.bin')}",
            "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_derive_shared_secret_matches_ecdh_computed_locally(kms):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert key["KeyAgreementAlgorithms"] == ["ECDH"]
    ours = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_der = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert out["SharedSecret"] == peer.exchange(ec.ECDH(), ours)
    assert out["KeyOrigin"] == "AWS_KMS"


def test_a_multi_region_replica_decrypts_what_the_primary_encrypted(kms, gureum):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert primary["KeyId"].startswith("mrk-") and primary["MultiRegion"] is True
    out = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    assert out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"everywhere")["CiphertextBlob"]
    west = gureum.client("kms", region="eu-west-1")
    back = west.decrypt(CiphertextBlob=blob)
    assert back["Plaintext"] == b"everywhere"
    assert back["KeyId"] == f"arn:aws:kms:eu-west-1:{primary['AWSAccountId']}:key/{primary['KeyId']}"
