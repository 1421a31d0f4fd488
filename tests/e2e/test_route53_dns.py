"""Route 53 through boto3 and the aws CLI, answered by Gureum's real DNS
server: dig over UDP and TCP, weighted splits, failover on a health check
that probes a local HTTP server, InvalidChangeBatch messages, and a
restart."""
import http.server
import json
import shutil
import socket
import struct
import subprocess
import threading
import time
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

needs_dig = pytest.mark.skipif(
    shutil.which("dig") is None, reason="dig is not installed (apt-get install dnsutils)"
)


def dns_endpoint(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        host, port = json.load(r)["endpoints"]["dns"].rsplit(":", 1)
    return host, int(port)


def dig(gureum, *args):
    host, port = dns_endpoint(gureum)
    p = subprocess.run(
        ["dig", f"@{host}", "-p", str(port), "+time=2", "+tries=1", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def short(gureum, *args):
    return sorted(line for line in dig(gureum, "+short", *args).splitlines() if line)


def query_a(addr, name, sock):
    """One A query over UDP with a plain socket: the answer's addresses."""
    qid = 0x1234
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    sock.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1), addr)
    data = sock.recv(4096)
    ancount = struct.unpack(">H", data[6:8])[0]
    pos = 12 + len(qname) + 4
    out = []
    for _ in range(ancount):
        pos += 2 if data[pos] & 0xC0 == 0xC0 else len(qname)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos : pos + 10])
        pos += 10
        if rtype == 1:
            out.append(socket.inet_ntoa(data[pos : pos + rdlen]))
        pos += rdlen
    return out


def make_zone(r53, name):
    out = r53.create_hosted_zone(Name=name, CallerReference=f"ref-{name}-{time.time()}")
    return out["HostedZone"]["Id"]


def change(r53, zone, *changes):
    return r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": list(changes)})


def rrset(name, rtype, values, ttl=300, **extra):
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values], **extra}


def create(rs):
    return {"Action": "CREATE", "ResourceRecordSet": rs}


def batch_error(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def site(gureum):
    r53 = gureum.client("route53")
    zone = make_zone(r53, "example.com")
    big = [f"192.0.2.{i}" for i in range(1, 81)]
    change(
        r53,
        zone,
        create(rrset("www.example.com", "A", ["192.0.2.10"])),
        create(rrset("blog.example.com", "CNAME", ["www.example.com"])),
        create(rrset("example.com", "MX", ["10 mail.example.com", "20 backup.example.com"])),
        create(rrset("example.com", "TXT", ['"v=spf1 -all"', '"hello world"'])),
        create(rrset("big.example.com", "A", big)),
    )
    return r53, zone


@needs_dig
def test_a_zone_answers_dig_over_udp_with_the_aa_bit(gureum, site):
    out = dig(gureum, "www.example.com", "A")
    assert "flags: qr aa rd" in out
    assert "status: NOERROR" in out
    assert short(gureum, "www.example.com", "A") == ["192.0.2.10"]
    assert short(gureum, "blog.example.com", "A") == ["192.0.2.10", "www.example.com."]
    assert short(gureum, "example.com", "MX") == ["10 mail.example.com.", "20 backup.example.com."]
    assert short(gureum, "example.com", "TXT") == ['"hello world"', '"v=spf1 -all"']


@needs_dig
def test_the_same_answers_come_over_tcp(gureum, site):
    assert short(gureum, "+tcp", "www.example.com", "A") == ["192.0.2.10"]
    assert short(gureum, "+tcp", "example.com", "MX") == ["10 mail.example.com.", "20 backup.example.com."]


@needs_dig
def test_a_large_answer_is_truncated_over_udp_and_whole_over_tcp(gureum, site):
    udp = dig(gureum, "+ignore", "+noedns", "big.example.com", "A")
    assert "flags: qr aa tc rd" in udp
    assert len(short(gureum, "+tcp", "big.example.com", "A")) == 80
    # dig retries over TCP by itself when it sees TC.
    assert len(short(gureum, "+noedns", "big.example.com", "A")) == 80


@needs_dig
def test_a_missing_name_is_nxdomain_with_the_zones_soa(gureum, site):
    out = dig(gureum, "nope.example.com", "A")
    assert "status: NXDOMAIN" in out
    assert "awsdns-hostmaster.amazon.com." in out
    nodata = dig(gureum, "www.example.com", "AAAA")
    assert "status: NOERROR" in nodata and "ANSWER: 0" in nodata


@needs_dig
def test_the_apex_answers_the_delegation_sets_name_servers_and_its_soa(gureum, site):
    r53, zone = site
    servers = r53.get_hosted_zone(Id=zone)["DelegationSet"]["NameServers"]
    assert short(gureum, "example.com", "NS") == sorted(f"{s}." for s in servers)
    (soa,) = short(gureum, "example.com", "SOA")
    assert soa.split()[1:] == ["awsdns-hostmaster.amazon.com.", "1", "7200", "900", "1209600", "86400"]


@needs_dig
def test_a_name_outside_every_zone_is_refused(gureum, site):
    assert "status: REFUSED" in dig(gureum, "example.org", "A")


def test_weighted_records_split_answers_by_weight(gureum, site):
    r53, zone = site
    change(
        r53,
        zone,
        create(rrset("w.example.com", "A", ["192.0.2.1"], ttl=0, SetIdentifier="heavy", Weight=3)),
        create(rrset("w.example.com", "A", ["192.0.2.2"], ttl=0, SetIdentifier="light", Weight=1)),
    )
    addr = dns_endpoint(gureum)
    counts = {"192.0.2.1": 0, "192.0.2.2": 0}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        for _ in range(800):
            (ip,) = query_a(addr, "w.example.com", s)
            counts[ip] += 1
    share = counts["192.0.2.1"] / 800
    assert 0.68 < share < 0.82, counts


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"all good"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_http(port=0):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for(predicate, gureum, what, seconds=30):
    """Advances Gureum's clock one probe interval at a time until
    `predicate()` holds."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        advance(gureum, 10)
        time.sleep(1.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_failover_flips_to_the_secondary_while_the_primary_check_fails(gureum, site):
    r53, zone = site
    web = serve_http()
    port = web.server_address[1]
    try:
        hc = r53.create_health_check(
            CallerReference=f"hc-{time.time()}",
            HealthCheckConfig={
                "Type": "HTTP_STR_MATCH",
                "IPAddress": "127.0.0.1",
                "Port": port,
                "ResourcePath": "/health",
                "SearchString": "good",
                "RequestInterval": 10,
                "FailureThreshold": 1,
            },
        )["HealthCheck"]
        assert hc["HealthCheckConfig"]["RequestInterval"] == 10
        change(
            r53,
            zone,
            create(rrset("app.example.com", "A", ["192.0.2.100"], ttl=0, SetIdentifier="main", Failover="PRIMARY", HealthCheckId=hc["Id"])),
            create(rrset("app.example.com", "A", ["192.0.2.200"], ttl=0, SetIdentifier="backup", Failover="SECONDARY")),
        )
        addr = dns_endpoint(gureum)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            answer = lambda: query_a(addr, "app.example.com", s)  # noqa: E731

            def status():
                obs = r53.get_health_check_status(HealthCheckId=hc["Id"])["HealthCheckObservations"]
                return obs[0]["StatusReport"]["Status"] if obs else ""

            wait_for(lambda: status().startswith("Success"), gureum, "a first successful probe")
            assert answer() == ["192.0.2.100"]
            web.shutdown()
            web.server_close()
            wait_for(lambda: answer() == ["192.0.2.200"], gureum, "failover to the secondary")
            assert status().startswith("Failure")
            web = serve_http(port)
            wait_for(lambda: answer() == ["192.0.2.100"], gureum, "the primary back")
    finally:
        web.shutdown()
        web.server_close()


def test_invalid_change_batches_answer_route53s_messages(gureum, site):
    r53, zone = site
    code, msg = batch_error(lambda: change(r53, zone, create(rrset("www.example.com", "A", ["192.0.2.99"]))))
    assert code == "InvalidChangeBatch"
    assert msg == "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]"
    code, msg = batch_error(
        lambda: change(r53, zone, {"Action": "DELETE", "ResourceRecordSet": rrset("www.example.com", "A", ["192.0.2.11"])})
    )
    assert msg == (
        "[Tried to delete resource record set [name='www.example.com.', type='A'] "
        "but the values provided do not match the current values]"
    )
    code, msg = batch_error(lambda: change(r53, zone, create(rrset("example.com", "CNAME", ["elsewhere.example.net"]))))
    assert msg == "[RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com.]"
    code, msg = batch_error(
        lambda: change(r53, zone, create({"Name": "nottl.example.com", "Type": "A", "ResourceRecords": [{"Value": "192.0.2.1"}]}))
    )
    assert code == "InvalidInput"
    assert "but found none in Change with [Action=CREATE, Name=nottl.example.com., Type=A, SetIdentifier=null]" in msg


def test_cli_lists_the_zone_and_get_change_turns_insync(gureum, site):
    r53, zone = site
    _, out, _ = gureum.aws("route53", "list-resource-record-sets", "--hosted-zone-id", zone)
    names = {(s["Name"], s["Type"]) for s in out["ResourceRecordSets"]}
    assert ("example.com.", "SOA") in names and ("www.example.com.", "A") in names
    info = change(r53, zone, create(rrset("later.example.com", "A", ["192.0.2.55"])))["ChangeInfo"]
    assert info["Status"] == "PENDING"
    advance(gureum, 2)
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    code, _ = batch_error(lambda: r53.delete_hosted_zone(Id=zone))
    assert code == "HostedZoneNotEmpty"


@needs_dig
def test_a_restart_keeps_the_zones_and_the_dns_server_comes_back(gureum, site):
    r53, zone = site
    gureum.restart(kill=True)
    r53 = gureum.client("route53")
    assert r53.get_hosted_zone(Id=zone)["HostedZone"]["Name"] == "example.com."
    assert short(gureum, "www.example.com", "A") == ["192.0.2.10"]
    assert short(gureum, "+tcp", "later.example.com", "A") == ["192.0.2.55"]


@needs_dig
def test_a_private_zone_is_kept_to_its_ec2_vpc(gureum, site):
    r53 = gureum.client("route53")
    vpc = gureum.client("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r53.create_hosted_zone(Name="corp.internal", CallerReference="corp-missing",
                               VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"})
    assert e.value.response["Error"]["Code"] == "InvalidVPCId"
    zone = r53.create_hosted_zone(Name="corp.internal", CallerReference="corp",
                                  VPC={"VPCRegion": "us-east-1", "VPCId": vpc})
    assert zone["HostedZone"]["Config"]["PrivateZone"] is True
    zone_id = zone["HostedZone"]["Id"]
    change(r53, zone_id, create(rrset("db.corp.internal", "A", ["10.20.0.5"])))
    got = r53.get_hosted_zone(Id=zone_id)
    assert got["VPCs"] == [{"VPCRegion": "us-east-1", "VPCId": vpc}]
    summaries = r53.list_hosted_zones_by_vpc(VPCId=vpc, VPCRegion="us-east-1")["HostedZoneSummaries"]
    assert [s["Name"] for s in summaries] == ["corp.internal."]
    # Host queries are outside every VPC: the private zone is not answered.
    assert "status: REFUSED" in dig(gureum, "db.corp.internal", "A")
    code, msg = batch_error(lambda: r53.disassociate_vpc_from_hosted_zone(
        HostedZoneId=zone_id, VPC={"VPCRegion": "us-east-1", "VPCId": vpc}))
    assert code == "LastVPCAssociation"
    assert msg.startswith("The VPC that you're trying to disassociate from the private hosted zone is the last VPC")


def test_health_checks_are_described_and_their_errors_are_route53s(gureum):
    r53 = gureum.client("route53")
    hc = r53.create_health_check(
        CallerReference="tcp-check",
        HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 1},
    )["HealthCheck"]
    cfg = hc["HealthCheckConfig"]
    assert (cfg["RequestInterval"], cfg["FailureThreshold"], cfg["Inverted"]) == (30, 3, False)
    again = r53.create_health_check(
        CallerReference="tcp-check",
        HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 1},
    )["HealthCheck"]
    assert again["Id"] == hc["Id"]
    code, _ = batch_error(lambda: r53.create_health_check(
        CallerReference="tcp-check", HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 2}))
    assert code == "HealthCheckAlreadyExists"
    updated = r53.update_health_check(HealthCheckId=hc["Id"], HealthCheckVersion=1, FailureThreshold=2)["HealthCheck"]
    assert updated["HealthCheckVersion"] == 2 and updated["HealthCheckConfig"]["FailureThreshold"] == 2
    code, _ = batch_error(lambda: r53.update_health_check(HealthCheckId=hc["Id"], HealthCheckVersion=1))
    assert code == "HealthCheckVersionMismatch"
    _, out, _ = gureum.aws("route53", "list-health-checks")
    assert hc["Id"] in [h["Id"] for h in out["HealthChecks"]]
    r53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=hc["Id"], AddTags=[{"Key": "team", "Value": "dns"}])
    tags = r53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=hc["Id"])["ResourceTagSet"]["Tags"]
    assert tags == [{"Key": "team", "Value": "dns"}]
    r53.delete_health_check(HealthCheckId=hc["Id"])
    code, _ = batch_error(lambda: r53.get_health_check(HealthCheckId=hc["Id"]))
    assert code == "NoSuchHealthCheck"
