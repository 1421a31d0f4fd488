"""IAM's remaining families through boto3 and the aws CLI: OpenID Connect
and SAML providers, service-linked roles, server and signing certificates,
SSH public keys."""
import datetime
import hashlib
import json

import botocore.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ACCOUNT = "000000000000"
THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


@pytest.fixture(scope="module")
def iam(gureum):
    return gureum.client("iam")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def certificate(cn="example.com", days=365):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    body = cert.public_bytes(serialization.Encoding.PEM).decode()
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return body, pem_key, start + datetime.timedelta(days=days)


# --- OpenID Connect providers ---

def test_oidc_provider_lifecycle(iam):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.example.com/app", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[THUMB], Tags=[{"Key": "team", "Value": "red"}],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/app"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com/app"
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "team", "Value": "red"}]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["web"] and got["ThumbprintList"] == ["a" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}]
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arn in listed
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn) == (
        "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}")
    # Deleting it again succeeds, as in AWS.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_web_identity_from_a_custom_issuer_needs_its_oidc_provider(gureum, iam):
    import base64
    issuer = "https://issuer.example.com"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/issuer.example.com"},
        "Action": "sts:AssumeRoleWithWebIdentity"}]}
    iam.create_role(RoleName="ci", AssumeRolePolicyDocument=json.dumps(trust))
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    token = lambda aud: f"{enc({'alg': 'RS256'})}.{enc({'iss': issuer, 'sub': 'job-1', 'aud': aud})}.sig"
    sts = gureum.client("sts")
    assume = lambda aud: sts.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ci", RoleSessionName="ci1", WebIdentityToken=token(aud))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        assume("sts.amazonaws.com")
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}")
    iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        assume("somebody-else")
    assert e.value.response["Error"]["Message"] == "Incorrect token audience"
    assert assume("sts.amazonaws.com")["SubjectFromWebIdentityToken"] == "job-1"


def test_oidc_provider_rules(iam):
    iam.create_open_id_connect_provider(Url="https://dup.example.com", ThumbprintList=[THUMB])
    assert error(iam.create_open_id_connect_provider, Url="https://dup.example.com",
                 ThumbprintList=[THUMB])[0] == "EntityAlreadyExists"
    assert error(iam.create_open_id_connect_provider, Url="http://plain.example.com",
                 ThumbprintList=[THUMB]) == (
        "InvalidInput", "Invalid Open ID Connect Provider URL. The URL must begin with https://.")
    assert error(iam.create_open_id_connect_provider, Url="example.com", ThumbprintList=[THUMB]) == (
        "ValidationError", "Invalid Open ID Connect Provider URL")
    assert error(iam.create_open_id_connect_provider, Url="https://many.example.com",
                 ThumbprintList=[THUMB] * 6) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.")
    assert error(iam.create_open_id_connect_provider, Url="https://bad.example.com",
                 ThumbprintList=["z" * 40])[0] == "InvalidInput"


def test_cli_creates_and_lists_an_oidc_provider(gureum):
    _, out, _ = gureum.aws("iam", "create-open-id-connect-provider", "--url", "https://cli.example.com",
                           "--thumbprint-list", THUMB, "--client-id-list", "a", "b")
    arn = out["OpenIDConnectProviderArn"]
    _, listed, _ = gureum.aws("iam", "list-open-id-connect-providers")
    assert arn in [p["Arn"] for p in listed["OpenIDConnectProviderList"]]


# --- SAML providers ---

METADATA = (
    '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://idp.example.com" validUntil="2030-01-01T00:00:00Z">'
    + "<!-- " + "x" * 1000 + " -->"
    + "</md:EntityDescriptor>"
)


def test_saml_provider_lifecycle(iam):
    arn = iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=METADATA,
                                   Tags=[{"Key": "k", "Value": "v"}])["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == METADATA
    assert got["ValidUntil"].year == 2030
    assert len(got["SAMLProviderUUID"]) >= 22
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]
    newer = METADATA.replace("2030", "2031")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=newer)["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"].year == 2031
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    assert error(iam.create_saml_provider, Name="corp-idp", SAMLMetadataDocument=METADATA)[0] == "EntityAlreadyExists"
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert error(iam.get_saml_provider, SAMLProviderArn=arn)[0] == "NoSuchEntity"


def test_saml_metadata_that_is_not_saml_is_invalid_input(iam):
    assert error(iam.create_saml_provider, Name="junk", SAMLMetadataDocument="x" * 1200) == (
        "InvalidInput", "Could not parse metadata")


def test_cli_creates_a_saml_provider(gureum, tmp_path):
    doc = tmp_path / "md.xml"
    doc.write_text(METADATA)
    _, out, _ = gureum.aws("iam", "create-saml-provider", "--name", "cli-idp",
                           "--saml-metadata-document", f"file://{doc}")
    assert out["SAMLProviderArn"].endswith(":saml-provider/cli-idp")


# --- service-linked roles ---

def test_service_linked_role_lifecycle(iam):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"]["Service"] == ["autoscaling.amazonaws.com"]
    code, message = error(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com")
    assert code == "InvalidInput" and "has been taken in this account" in message
    custom = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")
    assert custom["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    # The ordinary role operations cannot change what AWS owns.
    assert error(iam.delete_role, RoleName="AWSServiceRoleForAutoScaling") == (
        "UnmodifiableEntity",
        "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - "
        "this role is only modifiable by AWS",
    )
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert error(iam.get_role, RoleName="AWSServiceRoleForAutoScaling")[0] == "NoSuchEntity"
    assert error(iam.get_service_linked_role_deletion_status, DeletionTaskId="task/nope")[0] == "NoSuchEntity"


def test_cli_creates_a_service_linked_role(gureum):
    _, out, _ = gureum.aws("iam", "create-service-linked-role", "--aws-service-name", "ecs.amazonaws.com")
    assert out["Role"]["RoleName"] == "AWSServiceRoleForECS"


# --- server certificates ---

def test_server_certificate_lifecycle(iam):
    body, key, not_after = certificate()
    meta = iam.upload_server_certificate(
        ServerCertificateName="web", Path="/cloudfront/", CertificateBody=body, PrivateKey=key,
        Tags=[{"Key": "a", "Value": "b"}],
    )["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/web"
    assert meta["ServerCertificateId"].startswith("ASCA")
    assert meta["Expiration"] == not_after
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == body and "PrivateKey" not in got
    listed = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert [c["ServerCertificateName"] for c in listed] == ["web"]
    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="web2", NewPath="/elb/")
    moved = iam.get_server_certificate(ServerCertificateName="web2")["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Path"] == "/elb/"
    iam.tag_server_certificate(ServerCertificateName="web2", Tags=[{"Key": "c", "Value": "d"}])
    iam.untag_server_certificate(ServerCertificateName="web2", TagKeys=["a"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web2")["Tags"] == [{"Key": "c", "Value": "d"}]
    iam.delete_server_certificate(ServerCertificateName="web2")
    assert error(iam.get_server_certificate, ServerCertificateName="web2") == (
        "NoSuchEntity", "The Server Certificate with name web2 cannot be found.")


def test_server_certificates_must_be_pem(iam):
    _, key, _ = certificate()
    code, _ = error(iam.upload_server_certificate, ServerCertificateName="bad",
                    CertificateBody="not a certificate", PrivateKey=key)
    assert code == "MalformedCertificate"


def test_a_private_key_of_another_certificate_is_a_key_pair_mismatch(iam):
    body, _, _ = certificate("one.example.com")
    _, other_key, _ = certificate("two.example.com")
    assert error(iam.upload_server_certificate, ServerCertificateName="mismatch",
                 CertificateBody=body, PrivateKey=other_key)[0] == "KeyPairMismatch"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()).decode()
    assert error(iam.upload_server_certificate, ServerCertificateName="mismatch",
                 CertificateBody=body, PrivateKey=pkcs1)[0] == "KeyPairMismatch"


def test_cli_uploads_a_server_certificate(gureum, tmp_path):
    body, key, _ = certificate("cli.example.com")
    (tmp_path / "c.pem").write_text(body)
    (tmp_path / "k.pem").write_text(key)
    _, out, _ = gureum.aws("iam", "upload-server-certificate", "--server-certificate-name", "cli-cert",
                           "--certificate-body", f"file://{tmp_path / 'c.pem'}",
                           "--private-key", f"file://{tmp_path / 'k.pem'}")
    assert out["ServerCertificateMetadata"]["ServerCertificateName"] == "cli-cert"


# --- signing certificates ---

def test_signing_certificates_belong_to_a_user_two_at_most(iam):
    iam.create_user(UserName="signer")
    bodies = [certificate(f"s{i}.example.com")[0] for i in range(3)]
    c = iam.upload_signing_certificate(UserName="signer", CertificateBody=bodies[0])["Certificate"]
    assert c["Status"] == "Active" and c["UserName"] == "signer" and len(c["CertificateId"]) >= 24
    assert error(iam.upload_signing_certificate, UserName="signer", CertificateBody=bodies[0])[0] == "DuplicateCertificate"
    iam.upload_signing_certificate(UserName="signer", CertificateBody=bodies[1])
    assert error(iam.upload_signing_certificate, UserName="signer", CertificateBody=bodies[2]) == (
        "LimitExceeded", "Cannot exceed quota for SigningCertificatesPerUser: 2")
    iam.update_signing_certificate(UserName="signer", CertificateId=c["CertificateId"], Status="Inactive")
    listed = {x["CertificateId"]: x["Status"] for x in iam.list_signing_certificates(UserName="signer")["Certificates"]}
    assert listed[c["CertificateId"]] == "Inactive" and len(listed) == 2
    assert error(iam.delete_user, UserName="signer") == (
        "DeleteConflict", "Cannot delete entity, must remove signing certificates first.")
    for cid in listed:
        iam.delete_signing_certificate(UserName="signer", CertificateId=cid)
    assert iam.list_signing_certificates(UserName="signer")["Certificates"] == []
    assert error(iam.delete_signing_certificate, UserName="signer", CertificateId="A" * 32)[0] == "NoSuchEntity"
    iam.delete_user(UserName="signer")


def test_cli_uploads_a_signing_certificate(gureum, tmp_path):
    gureum.aws("iam", "create-user", "--user-name", "cli-signer")
    (tmp_path / "c.pem").write_text(certificate("cli-s.example.com")[0])
    _, out, _ = gureum.aws("iam", "upload-signing-certificate", "--user-name", "cli-signer",
                           "--certificate-body", f"file://{tmp_path / 'c.pem'}")
    assert out["Certificate"]["Status"] == "Active"


# --- SSH public keys ---

def ssh_key(bits=2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def test_ssh_public_key_lifecycle(iam):
    iam.create_user(UserName="coder")
    body = ssh_key()
    k = iam.upload_ssh_public_key(UserName="coder", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert k["SSHPublicKeyId"].startswith("APKA") and k["Status"] == "Active"
    import base64
    blob = base64.b64decode(body.split()[1])
    assert k["Fingerprint"] == ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
    got = iam.get_ssh_public_key(UserName="coder", SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"].split()[:2] == body.split()[:2]
    pem = iam.get_ssh_public_key(UserName="coder", SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="PEM")
    loaded = serialization.load_pem_public_key(pem["SSHPublicKey"]["SSHPublicKeyBody"].encode())
    assert loaded.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() == body
    assert error(iam.upload_ssh_public_key, UserName="coder", SSHPublicKeyBody=body)[0] == "DuplicateSSHPublicKey"
    iam.update_ssh_public_key(UserName="coder", SSHPublicKeyId=k["SSHPublicKeyId"], Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="coder")["SSHPublicKeys"]
    assert [(x["SSHPublicKeyId"], x["Status"]) for x in listed] == [(k["SSHPublicKeyId"], "Inactive")]
    assert error(iam.delete_user, UserName="coder")[1] == "Cannot delete entity, must remove SSH public keys first."
    iam.delete_ssh_public_key(UserName="coder", SSHPublicKeyId=k["SSHPublicKeyId"])
    assert error(iam.get_ssh_public_key, UserName="coder", SSHPublicKeyId=k["SSHPublicKeyId"],
                 Encoding="SSH")[0] == "NoSuchEntity"
    iam.delete_user(UserName="coder")


def test_ssh_keys_must_be_rsa_of_2048_bits(iam):
    iam.create_user(UserName="weak")
    assert error(iam.upload_ssh_public_key, UserName="weak", SSHPublicKeyBody=ssh_key(1024))[0] == "InvalidPublicKey"
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    assert error(iam.upload_ssh_public_key, UserName="weak", SSHPublicKeyBody=ec_key)[0] == "InvalidPublicKey"
    assert error(iam.upload_ssh_public_key, UserName="weak", SSHPublicKeyBody="hello")[0] == "UnrecognizedPublicKeyEncoding"


def test_cli_uploads_an_ssh_key(gureum):
    gureum.aws("iam", "create-user", "--user-name", "cli-coder")
    _, out, _ = gureum.aws("iam", "upload-ssh-public-key", "--user-name", "cli-coder",
                           "--ssh-public-key-body", ssh_key())
    assert out["SSHPublicKey"]["UserName"] == "cli-coder"


def test_new_families_survive_a_restart(gureum, iam):
    iam.create_open_id_connect_provider(Url="https://persist.example.com", ThumbprintList=[THUMB])
    gureum.restart(kill=True)
    fresh = gureum.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/persist.example.com"
    assert fresh.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [THUMB]


# --- service-specific credentials ---

def test_service_specific_credentials_lifecycle(iam):
    iam.create_user(UserName="git")
    c = iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]
    assert c["ServiceUserName"] == f"git-at-{ACCOUNT}" and len(c["ServicePassword"]) >= 40
    assert c["Status"] == "Active" and c["ServiceSpecificCredentialId"].startswith("ACCA")
    cid = c["ServiceSpecificCredentialId"]
    iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    assert error(iam.create_service_specific_credential, UserName="git", ServiceName="codecommit.amazonaws.com") == (
        "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
    assert error(iam.create_service_specific_credential, UserName="git", ServiceName="s3.amazonaws.com")[0] == (
        "NotSupportedService")
    listed = iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert len(listed) == 2 and all("ServicePassword" not in x for x in listed)
    reset = iam.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid)
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != c["ServicePassword"]
    iam.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid, Status="Inactive")
    statuses = {x["ServiceSpecificCredentialId"]: x["Status"]
                for x in iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]}
    assert statuses[cid] == "Inactive"
    assert error(iam.delete_user, UserName="git")[0] == "DeleteConflict"
    for x in statuses:
        iam.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=x)
    assert error(iam.delete_service_specific_credential, UserName="git",
                 ServiceSpecificCredentialId=cid)[0] == "NoSuchEntity"
    iam.delete_user(UserName="git")


def test_cli_creates_a_service_specific_credential(gureum):
    gureum.aws("iam", "create-user", "--user-name", "cli-git")
    _, out, _ = gureum.aws("iam", "create-service-specific-credential", "--user-name", "cli-git",
                           "--service-name", "codecommit.amazonaws.com")
    assert out["ServiceSpecificCredential"]["ServiceUserName"] == f"cli-git-at-{ACCOUNT}"


# --- small account settings ---

def totp(seed: bytes, step: int) -> str:
    import base64
    import hmac
    import struct
    key = base64.b32decode(seed + b"=" * (-len(seed) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_get_mfa_device_answers_only_enabled_devices(gureum, iam):
    import urllib.request
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="lonely")["VirtualMFADevice"]
    serial = d["SerialNumber"]
    assert error(iam.get_mfa_device, SerialNumber=serial) == (
        "NoSuchEntity", f"MFA Device with serial number {serial} does not exist.")
    iam.create_user(UserName="mfa-owner")
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        step = int(json.load(r)["now_ms"] / 1000 // 30)
    iam.enable_mfa_device(UserName="mfa-owner", SerialNumber=serial,
                          AuthenticationCode1=totp(d["Base32StringSeed"], step - 1),
                          AuthenticationCode2=totp(d["Base32StringSeed"], step))
    got = iam.get_mfa_device(SerialNumber=serial, UserName="mfa-owner")
    assert got["UserName"] == "mfa-owner" and got["SerialNumber"] == serial and "EnableDate" in got
    assert error(iam.get_mfa_device, SerialNumber=serial, UserName="someone-else")[0] == "NoSuchEntity"


def test_sts_token_version_preference_shows_in_the_account_summary(iam):
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


# --- policy context keys ---

def conditioned(*keys):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEquals": {k: "x" for k in keys}}}]})


def test_context_keys_of_custom_and_principal_policies(gureum, iam):
    out = iam.get_context_keys_for_custom_policy(
        PolicyInputList=[conditioned("aws:username", "s3:prefix"), conditioned("AWS:UserName", "aws:SourceIp")])
    assert out["ContextKeyNames"] == ["aws:username", "s3:prefix", "aws:SourceIp"]
    iam.create_user(UserName="ctx")
    iam.create_group(GroupName="ctx-group")
    iam.add_user_to_group(GroupName="ctx-group", UserName="ctx")
    iam.put_user_policy(UserName="ctx", PolicyName="u", PolicyDocument=conditioned("aws:RequestedRegion"))
    iam.put_group_policy(GroupName="ctx-group", PolicyName="g", PolicyDocument=conditioned("aws:MultiFactorAuthPresent"))
    out = iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/ctx")
    assert sorted(out["ContextKeyNames"]) == ["aws:MultiFactorAuthPresent", "aws:RequestedRegion"]
    _, cli, _ = gureum.aws("iam", "get-context-keys-for-custom-policy", "--policy-input-list", conditioned("ec2:Region"))
    assert cli["ContextKeyNames"] == ["ec2:Region"]
    assert error(iam.get_context_keys_for_custom_policy, PolicyInputList=["{not json"])[0] == "InvalidInput"


# --- STS AssumeRoleWithSAML against an IAM SAML provider ---

def saml_response(issuer, session_name="kim@example.com", not_on_or_after="2099-01-01T00:00:00Z"):
    import base64
    role_attr = (
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
        f"<saml:AttributeValue>{session_name}</saml:AttributeValue></saml:Attribute>"
    ) if session_name else ""
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
        f"<saml:Issuer>{issuer}</saml:Issuer><saml:Assertion><saml:Issuer>{issuer}</saml:Issuer>"
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">kim</saml:NameID>'
        f'<saml:SubjectConfirmation><saml:SubjectConfirmationData NotOnOrAfter="{not_on_or_after}" '
        'Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>'
        "<saml:Conditions><saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml"
        "</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        f"<saml:AttributeStatement>{role_attr}</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def test_assume_role_with_saml_trusts_the_provider_named_in_the_role(gureum, iam):
    provider = iam.create_saml_provider(Name="sso", SAMLMetadataDocument=METADATA)["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    iam.create_role(RoleName="sso-admin", AssumeRolePolicyDocument=json.dumps(trust))
    role = f"arn:aws:iam::{ACCOUNT}:role/sso-admin"
    sts = gureum.client("sts")
    out = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider,
                                    SAMLAssertion=saml_response("https://idp.example.com"))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/sso-admin/kim@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"]) == ("kim", "persistent", "https://idp.example.com")
    # The session's credentials work (with their token).
    import boto3
    from botocore.config import Config
    session_sts = boto3.client("sts", endpoint_url=gureum.endpoint, region_name="us-east-1",
                               aws_access_key_id=out["Credentials"]["AccessKeyId"],
                               aws_secret_access_key=out["Credentials"]["SecretAccessKey"],
                               aws_session_token=out["Credentials"]["SessionToken"],
                               config=Config(retries={"max_attempts": 1}))
    assert session_sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]

    def refused(**kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.assume_role_with_saml(**kw)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    assert refused(RoleArn=role, PrincipalArn=provider, SAMLAssertion=saml_response("https://evil.example.com")) == (
        "InvalidIdentityToken", "Issuer not present in specified provider")
    assert refused(RoleArn=role, PrincipalArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/nope",
                   SAMLAssertion=saml_response("https://idp.example.com"))[0] == "InvalidIdentityToken"
    assert refused(RoleArn=role, PrincipalArn="arn:aws:iam::000000000000:user/x" + "x" * 10,
                   SAMLAssertion=saml_response("https://idp.example.com")) == ("ValidationError", "Principal ARN is invalid")
    assert refused(RoleArn=role, PrincipalArn=provider,
                   SAMLAssertion=saml_response("https://idp.example.com", not_on_or_after="2001-01-01T00:00:00Z"))[0] == (
        "ExpiredTokenException")
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    assert refused(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/other", PrincipalArn=provider,
                   SAMLAssertion=saml_response("https://idp.example.com")) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")


def test_cli_assumes_a_role_with_saml(gureum, iam):
    provider = iam.create_saml_provider(Name="cli-sso", SAMLMetadataDocument=METADATA)["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}]}
    iam.create_role(RoleName="cli-sso-role", AssumeRolePolicyDocument=json.dumps(trust))
    _, out, _ = gureum.aws("sts", "assume-role-with-saml", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/cli-sso-role",
                           "--principal-arn", provider, "--saml-assertion", saml_response("https://idp.example.com"))
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_outbound_identity_federation_switches_on_and_off_with_a_stable_issuer(gureum, iam):
    assert error(iam.get_outbound_web_identity_federation_info)[0] == "FeatureDisabled"
    assert error(iam.disable_outbound_web_identity_federation)[0] == "FeatureDisabled"
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("https://") and issuer.endswith(".tokens.sts.global.api.aws")
    assert error(iam.enable_outbound_web_identity_federation)[0] == "FeatureEnabled"
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    gureum.aws("iam", "disable-outbound-web-identity-federation")
    assert error(iam.get_outbound_web_identity_federation_info)[0] == "FeatureDisabled"
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_policies_granting_service_access_name_their_owner(gureum, iam):
    iam.create_user(UserName="reader")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="reader")
    s3_get = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    iam.put_user_policy(UserName="reader", PolicyName="own", PolicyDocument=s3_get)
    iam.put_group_policy(GroupName="readers", PolicyName="team", PolicyDocument=s3_get)
    iam.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    out = iam.list_policies_granting_service_access(
        Arn=f"arn:aws:iam::{ACCOUNT}:user/reader", ServiceNamespaces=["s3", "ec2", "kms"])
    by_ns = {e["ServiceNamespace"]: e["Policies"] for e in out["PoliciesGrantingServiceAccess"]}
    assert sorted((p["PolicyName"], p.get("EntityType")) for p in by_ns["s3"]) == [("own", "USER"), ("team", "GROUP")]
    assert [p["PolicyArn"] for p in by_ns["ec2"]] == ["arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"]
    assert by_ns["kms"] == []
    assert error(iam.list_policies_granting_service_access, Arn=f"arn:aws:iam::{ACCOUNT}:user/ghost",
                 ServiceNamespaces=["s3"])[0] == "NoSuchEntity"
    _, cli, _ = gureum.aws("iam", "list-policies-granting-service-access", "--arn",
                           f"arn:aws:iam::{ACCOUNT}:group/readers", "--service-namespaces", "s3")
    assert cli["PoliciesGrantingServiceAccess"][0]["Policies"][0]["PolicyName"] == "team"


def test_organization_root_management_answers_no_organization(gureum, iam):
    for call in (iam.list_organizations_features, iam.enable_organizations_root_sessions,
                 iam.disable_organizations_root_credentials_management):
        with pytest.raises(iam.exceptions.OrganizationNotFoundException) as e:
            call()
        assert e.value.response["Error"]["Message"] == (
            "The request was rejected because no organization is associated with your account.")
    rc, _, stderr = gureum.aws("iam", "list-organizations-features", check=False)
    assert rc != 0 and "OrganizationNotFoundException" in stderr
