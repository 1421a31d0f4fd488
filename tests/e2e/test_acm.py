"""ACM with Gureum's local CA: a certificate validated by a real CNAME in a
Route 53 zone, served by an ALB HTTPS listener that curl verifies with the
exported root (SNI picks a second certificate), imports checked as ACM
checks them, AWS's errors, and a restart that keeps the CA and the
listener."""
import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance
from test_elbv2 import Backend, Echo, address_of, wait_for

ACCOUNT = "000000000000"

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def refused(call, **kw):
    """The (code, message) a call fails with."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture(scope="module")
def acm(gureum):
    return gureum.client("acm")


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="gureum-acm-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def root_pem(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/ca.pem") as r:
        return r.read().decode()


def export_root(gureum, workdir):
    """`gureum ca --out FILE`, as a user trusts the CA."""
    path = os.path.join(workdir, "root.pem")
    subprocess.run([os.environ.get("GUREUM_BIN", "gureum"), "ca", "--endpoint", gureum.endpoint, "--out", path],
                   check=True, timeout=30)
    return path


def curl(url, host, port, cacert):
    """curl verifying the server with `cacert` only; (returncode, body, stderr)."""
    p = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", cacert, "--resolve", f"{host}:{port}:127.0.0.1", url],
        capture_output=True, text=True, timeout=30,
    )
    return p.returncode, p.stdout, p.stderr


def status(acm, arn):
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def test_the_local_ca_root_is_exported_by_the_cli_and_the_admin_url(gureum, workdir):
    pem = root_pem(gureum)
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    path = export_root(gureum, workdir)
    assert open(path).read() == pem
    text = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext", "basicConstraints"],
                          input=pem, capture_output=True, text=True, check=True).stdout
    assert "Gureum Local Root CA" in text and "CA:TRUE" in text
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        assert json.load(r)["endpoints"]["acm_root_ca"] == gureum.endpoint + "/_gureum/ca.pem"
    # The CA is Gureum's own: resets of ACM or of everything keep it.
    for query in ("?service=acm", ""):
        req = urllib.request.Request(gureum.endpoint + "/_gureum/reset" + query, method="POST", data=b"")
        urllib.request.urlopen(req).read()
        assert root_pem(gureum) == pem


def test_request_errors_are_acms(acm):
    code, msg = refused(acm.request_certificate, DomainName="nodots", ValidationMethod="DNS")
    assert (code, msg) == ("InvalidParameterException", "Domain name nodots is not a valid domain name.")
    code, msg = refused(acm.request_certificate, DomainName="a.example.test", ValidationMethod="DNS",
                        KeyAlgorithm="RSA_4096")
    assert code == "InvalidParameterException"
    assert msg == "Key algorithm RSA_4096 is not supported. Use RSA_2048, EC_prime256v1 or EC_secp384r1."
    code, msg = refused(acm.request_certificate, DomainName="a.example.test",
                        DomainValidationOptions=[{"DomainName": "b.example.test", "ValidationDomain": "example.test"}])
    assert (code, msg) == ("InvalidDomainValidationOptionsException",
                           "DomainValidationOption b.example.test is not a domain name on the certificate.")
    missing = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    code, msg = refused(acm.describe_certificate, CertificateArn=missing)
    assert (code, msg) == ("ResourceNotFoundException", f"Could not find certificate {missing}.")
    code, msg = refused(acm.get_certificate, CertificateArn="arn:aws:s3:::a-bucket-not-a-cert")
    assert (code, msg) == ("InvalidArnException", "String 'arn:aws:s3:::a-bucket-not-a-cert' is not a valid ARN.")


def test_an_idempotency_token_returns_the_same_certificate_and_tags_round_trip(acm):
    first = acm.request_certificate(DomainName="idem.example.test", ValidationMethod="EMAIL",
                                    IdempotencyToken="tok1", Tags=[{"Key": "team", "Value": "web"}])
    again = acm.request_certificate(DomainName="idem.example.test", ValidationMethod="EMAIL", IdempotencyToken="tok1")
    assert first["CertificateArn"] == again["CertificateArn"]
    arn = first["CertificateArn"]
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "team", "Value": "other"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [
        {"Key": "team", "Value": "web"}, {"Key": "env", "Value": "dev"}]
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "team"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    # Email validation is approved on the clock's next tick.
    wait_for(lambda: status(acm, arn) == "ISSUED", timeout=20)
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 30}, IdempotencyToken="cfg")
    assert acm.get_account_configuration()["ExpiryEvents"] == {"DaysBeforeExpiry": 30}


def self_signed(name, key_type="ec"):
    """A self-signed certificate and its key, PEM, made with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "ec" else rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return cert_pem, key_pem


def test_an_import_is_checked_as_acm_checks_it(acm):
    cert, key = self_signed("imported.example.test", "rsa")
    other_cert, other_key = self_signed("other.example.test")
    code, msg = refused(acm.import_certificate, Certificate=cert + other_cert, PrivateKey=key)
    assert (code, msg) == ("ValidationException", "The certificate field contains more than one certificate. "
                                                  "You can specify only one certificate in this field.")
    code, msg = refused(acm.import_certificate, Certificate=cert, PrivateKey=other_key)
    assert (code, msg) == ("ValidationException", "The private key does not match the public key in the certificate.")
    code, msg = refused(acm.import_certificate, Certificate=b"not a pem", PrivateKey=key)
    assert (code, msg) == ("ValidationException",
                           "Unable to parse certificate. Please ensure the certificate is in PEM format.")
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key, Tags=[{"Key": "k", "Value": "v"}])["CertificateArn"]
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (d["Type"], d["Status"], d["DomainName"], d["KeyAlgorithm"]) == (
        "IMPORTED", "ISSUED", "imported.example.test", "RSA_2048")
    assert "ImportedAt" in d and "CreatedAt" not in d
    assert acm.get_certificate(CertificateArn=arn)["Certificate"] == cert.decode()
    # RSA_2048 is listed by default; EC keys only when asked for.
    ec_arn = acm.import_certificate(Certificate=other_cert, PrivateKey=other_key)["CertificateArn"]
    listed = {c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]}
    assert arn in listed and ec_arn not in listed
    listed = {c["CertificateArn"] for c in acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})[
        "CertificateSummaryList"]}
    assert listed == {ec_arn}
    # Re-import in place keeps the ARN.
    cert2, key2 = self_signed("imported.example.test")
    assert acm.import_certificate(CertificateArn=arn, Certificate=cert2, PrivateKey=key2)["CertificateArn"] == arn
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["KeyAlgorithm"] == "EC_prime256v1"


@needs_curl
def test_a_dns_validated_certificate_serves_https_that_curl_verifies_and_survives_a_restart(gureum, acm, workdir):
    elb = gureum.client("elbv2")
    r53 = gureum.client("route53")
    ec2 = gureum.client("ec2")
    arn = acm.request_certificate(DomainName="app.example.test", ValidationMethod="DNS",
                                  KeyAlgorithm="EC_prime256v1")["CertificateArn"]
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert d["Status"] == "PENDING_VALIDATION" and d["Type"] == "AMAZON_ISSUED"
    option = d["DomainValidationOptions"][0]
    assert option["ValidationStatus"] == "PENDING_VALIDATION"
    record = option["ResourceRecord"]
    assert record["Type"] == "CNAME"
    assert record["Name"].startswith("_") and record["Name"].endswith(".app.example.test.")
    assert record["Value"].endswith(".acm-validations.aws.")
    code, msg = refused(acm.get_certificate, CertificateArn=arn)
    assert (code, msg) == ("RequestInProgressException", f"Certificate {arn} is not yet issued.")
    # Not validated without the record.
    time.sleep(2)
    assert status(acm, arn) == "PENDING_VALIDATION"
    zone = r53.create_hosted_zone(Name="example.test", CallerReference="acm-e2e")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}}]})
    wait_for(lambda: status(acm, arn) == "ISSUED", timeout=20)
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert d["DomainValidationOptions"][0]["ValidationStatus"] == "SUCCESS"
    assert d["KeyAlgorithm"] == "EC_prime256v1" and d["Serial"].count(":") == 15
    assert d["NotAfter"] > d["NotBefore"]
    got = acm.get_certificate(CertificateArn=arn)
    assert got["CertificateChain"].count("BEGIN CERTIFICATE") == 2
    assert root_pem(gureum).strip() in got["CertificateChain"]

    # An ALB with an HTTPS listener on it, in front of a local server.
    backend = Backend("site")
    try:
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        lb = elb.create_load_balancer(Name="secure", Subnets=[a, b])["LoadBalancers"][0]
        tg = elb.create_target_group(Name="site", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        code, msg = refused(elb.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                            Certificates=[{"CertificateArn": arn[:-4] + "ffff"}],
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        assert (code, msg) == ("CertificateNotFound", f"Certificate '{arn[:-4] + 'ffff'}' not found")
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", Certificates=[{"CertificateArn": arn}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
        advance(gureum, 61)
        port = int(address_of(gureum, lb["DNSName"], 443).rsplit(":", 1)[1])
        root = export_root(gureum, workdir)
        rc, body, err = curl(f"https://app.example.test:{port}/hello", "app.example.test", port, root)
        assert rc == 0, err
        seen = json.loads(body)
        assert seen["name"] == "site" and seen["path"] == "/hello"
        assert seen["headers"]["x-forwarded-proto"] == "https"
        # A name the certificate is not for fails verification.
        rc, _, err = curl(f"https://wrong.example.test:{port}/", "wrong.example.test", port, root)
        assert rc != 0 and "wrong.example.test" in err

        # SNI: a second certificate added to the listener answers its name.
        other = acm.request_certificate(DomainName="*.api.example.test", ValidationMethod="EMAIL")["CertificateArn"]
        wait_for(lambda: status(acm, other) == "ISSUED", timeout=20)
        elb.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": other}])
        listed = elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
        assert sorted((c["CertificateArn"], c["IsDefault"]) for c in listed) == sorted([(arn, True), (other, False)])

        def other_served():
            rc, body, _ = curl(f"https://v1.api.example.test:{port}/", "v1.api.example.test", port, root)
            return rc == 0 and json.loads(body)["name"] == "site"
        wait_for(other_served, timeout=10)

        # In use: shown, and deletion refused.
        used = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        assert used["InUseBy"] == [lb["LoadBalancerArn"]] and used["RenewalEligibility"] == "ELIGIBLE"
        code, msg = refused(acm.delete_certificate, CertificateArn=arn)
        assert (code, msg) == ("ResourceInUseException", f"Certificate {arn} in account {ACCOUNT} is in use.")

        # A restart (kill -9) keeps the CA, the certificate and the listener.
        before = root_pem(gureum)
        gureum.restart(kill=True)
        assert root_pem(gureum) == before
        assert status(acm, arn) == "ISSUED"
        port = int(address_of(gureum, lb["DNSName"], 443).rsplit(":", 1)[1])

        def served():
            rc, body, _ = curl(f"https://app.example.test:{port}/again", "app.example.test", port, root)
            return rc == 0 and json.loads(body)["path"] == "/again"
        wait_for(served, timeout=15)

        # Once the listener is gone the certificate can be deleted.
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == []
        acm.delete_certificate(CertificateArn=arn)
        code, _ = refused(acm.describe_certificate, CertificateArn=arn)
        assert code == "ResourceNotFoundException"
    finally:
        backend.stop()


def test_an_exportable_certificate_exports_its_key_encrypted_with_the_passphrase(acm):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    arn = acm.request_certificate(DomainName="export.example.test", ValidationMethod="EMAIL",
                                  KeyAlgorithm="EC_prime256v1", Options={"Export": "ENABLED"})["CertificateArn"]
    kept = acm.request_certificate(DomainName="kept.example.test", ValidationMethod="EMAIL")["CertificateArn"]
    wait_for(lambda: status(acm, arn) == "ISSUED" and status(acm, kept) == "ISSUED", timeout=30)
    out = acm.export_certificate(CertificateArn=arn, Passphrase=b"correct horse")
    assert "ENCRYPTED PRIVATE KEY" in out["PrivateKey"]
    with pytest.raises((ValueError, TypeError)):
        serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"wrong")
    key = serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"correct horse")
    cert = x509.load_pem_x509_certificate(out["Certificate"].encode())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, spki) == \
        cert.public_key().public_bytes(serialization.Encoding.DER, spki)
    summaries = acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"]
    assert next(s for s in summaries if s["CertificateArn"] == arn)["Exported"] is True
    code, msg = refused(acm.export_certificate, CertificateArn=kept, Passphrase=b"correct horse")
    assert (code, msg) == ("ValidationException",
                           f"Certificate {kept} is not exportable. Request it with the Export option enabled.")


def test_an_nlb_tls_listener_terminates_tls_and_forwards_plain_tcp(gureum, acm):
    elb = gureum.client("elbv2")
    ec2 = gureum.client("ec2")
    arn = acm.request_certificate(DomainName="tcp.example.test", ValidationMethod="EMAIL",
                                  KeyAlgorithm="EC_prime256v1")["CertificateArn"]
    wait_for(lambda: status(acm, arn) == "ISSUED", timeout=20)
    echo = Echo()
    try:
        vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
        a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.41.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        tg = elb.create_target_group(Name="tls-tg", Protocol="TCP", Port=echo.server_address[1], VpcId=vpc,
                                     TargetType="ip", HealthCheckIntervalSeconds=10,
                                     HealthCheckTimeoutSeconds=5)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
        lb = elb.create_load_balancer(Name="nettls", Type="network", Subnets=[a])["LoadBalancers"][0]
        code, msg = refused(elb.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TLS", Port=6443,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        assert (code, msg) == ("CertificateNotFound", "A certificate must be specified for HTTPS listeners")
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TLS", Port=6443,
                            SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06", Certificates=[{"CertificateArn": arn}],
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        advance(gureum, 61)
        host, port = address_of(gureum, lb["DNSName"], 6443).rsplit(":", 1)
        ctx = ssl.create_default_context(cadata=root_pem(gureum))
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="tcp.example.test") as s:
                # The TLS13-1-3 policy offers TLS 1.3 only.
                assert s.version() == "TLSv1.3"
                s.sendall(b"hello")
                assert s.recv(1024) == b"echo:hello"
        old = ssl.create_default_context(cadata=root_pem(gureum))
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with pytest.raises(ssl.SSLError):
                old.wrap_socket(raw, server_hostname="tcp.example.test")
    finally:
        echo.shutdown()
        echo.server_close()


def test_options_resend_and_revoke_follow_the_certificates_state(acm):
    arn = acm.request_certificate(DomainName="opts.example.test", ValidationMethod="EMAIL")["CertificateArn"]
    acm.resend_validation_email(CertificateArn=arn, Domain="opts.example.test", ValidationDomain="opts.example.test")
    code, msg = refused(acm.resend_validation_email, CertificateArn=arn, Domain="nope.example.test",
                        ValidationDomain="nope.example.test")
    assert (code, msg) == ("InvalidDomainValidationOptionsException",
                           "DomainValidationOption nope.example.test is not a domain name on the certificate.")
    wait_for(lambda: status(acm, arn) == "ISSUED", timeout=20)
    code, msg = refused(acm.resend_validation_email, CertificateArn=arn, Domain="opts.example.test",
                        ValidationDomain="opts.example.test")
    assert (code, msg) == ("InvalidStateException",
                           f"Certificate {arn} is not pending email validation (status ISSUED).")
    acm.update_certificate_options(CertificateArn=arn, Options={"CertificateTransparencyLoggingPreference": "DISABLED"})
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert d["Options"]["CertificateTransparencyLoggingPreference"] == "DISABLED"
    assert acm.revoke_certificate(CertificateArn=arn, RevocationReason="KEY_COMPROMISE")["CertificateArn"] == arn
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (d["Status"], d["RevocationReason"]) == ("REVOKED", "KEY_COMPROMISE") and "RevokedAt" in d
    # Still there to get, no longer to serve.
    assert acm.get_certificate(CertificateArn=arn)["Certificate"].startswith("-----BEGIN CERTIFICATE-----")
