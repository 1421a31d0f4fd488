"""A private hosted zone answered only inside its VPCs, for real: dig run
in instance namespaces of two VPCs against their Amazon-provided resolvers
(the VPC's `.2` and 169.254.169.253) and from the host against Gureum's DNS
port. The private zone shadows a public zone of the same name inside its
VPC only (split horizon), and AssociateVPCWithHostedZone /
DisassociateVPCFromHostedZone move where it answers, live and across a
restart."""
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

REASON = None
if os.geteuid() != 0:
    REASON = "needs root (network namespaces)"
elif not shutil.which("ip") or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    REASON = "needs iproute2 with `ip netns`"
elif not shutil.which("nft"):
    REASON = "needs nftables (apt-get install nftables)"
elif not shutil.which("dig"):
    REASON = "needs dig (apt-get install dnsutils)"
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

NAME = "db.corp.example"


def eventually(check, deadline_s=20, every=0.2):
    end = time.monotonic() + deadline_s
    while True:
        got = check()
        if got or time.monotonic() > end:
            return got
        time.sleep(every)


def namespace_of(instance_id):
    """The instance's network namespace (`gureum-TAG-i-…`), once made."""
    def find():
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        found = [n for n in listed if n.endswith("-" + instance_id)]
        return found[0] if len(found) == 1 else None
    ns = eventually(find)
    assert ns, f"no namespace for {instance_id}"
    return ns


def dig_in(ns, server, name=NAME):
    """(status, addresses) of an A query from namespace `ns` to `server`."""
    out = subprocess.run(["ip", "netns", "exec", ns, "dig", f"@{server}", "+time=2", "+tries=2", name, "A"],
                         capture_output=True, text=True, timeout=30).stdout
    return status_and_answers(out)


def dig_host(gureum, name=NAME):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        host, port = json.load(r)["endpoints"]["dns"].rsplit(":", 1)
    out = subprocess.run(["dig", f"@{host}", "-p", port, "+time=2", "+tries=1", name, "A"],
                         capture_output=True, text=True, timeout=30).stdout
    return status_and_answers(out)


def status_and_answers(out):
    status = out.split("status: ", 1)[1].split(",", 1)[0] if "status: " in out else "no answer"
    answers = []
    if "ANSWER SECTION:" in out:
        section = out.split("ANSWER SECTION:", 1)[1].split("\n\n", 1)[0]
        answers = sorted(line.split()[-1] for line in section.strip().splitlines() if " A " in line or "\tA\t" in line)
    return status, answers


@pytest.fixture(scope="module")
def vpcs(gureum):
    ec2 = gureum.client("ec2")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
    image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]
    out = {}
    for label, cidr in (("a", "10.40"), ("b", "10.41")):
        vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.1.0/24")["Subnet"]["SubnetId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                     SubnetId=subnet)["Instances"][0]["InstanceId"]
        out[label] = {"vpc": vpc, "instance": instance, "resolver": f"{cidr}.0.2"}
    for v in out.values():
        assert eventually(lambda: ec2.describe_instances(InstanceIds=[v["instance"]])["Reservations"][0][
            "Instances"][0]["State"]["Name"] == "running"), v
        v["ns"] = namespace_of(v["instance"])
    yield out
    ec2.terminate_instances(InstanceIds=[v["instance"] for v in out.values()])


@pytest.fixture(scope="module")
def zones(gureum, vpcs):
    r53 = gureum.client("route53")
    private = r53.create_hosted_zone(
        Name="corp.example", CallerReference="private-corp", HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": vpcs["a"]["vpc"]})["HostedZone"]["Id"]
    public = r53.create_hosted_zone(Name="corp.example", CallerReference="public-corp")["HostedZone"]["Id"]
    for zone, value in ((private, "10.40.0.9"), (public, "203.0.113.9")):
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": NAME, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})
    r53.create_hosted_zone(
        Name="only.example", CallerReference="private-only", HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": vpcs["a"]["vpc"]})
    return r53, private


def test_the_private_zone_answers_inside_its_vpc_at_both_resolver_addresses(vpcs, zones):
    a = vpcs["a"]
    assert eventually(lambda: dig_in(a["ns"], a["resolver"]) == ("NOERROR", ["10.40.0.9"]))
    assert dig_in(a["ns"], "169.254.169.253") == ("NOERROR", ["10.40.0.9"])


def test_another_vpc_and_the_host_see_only_the_public_zone(gureum, vpcs, zones):
    b = vpcs["b"]
    assert dig_in(b["ns"], b["resolver"]) == ("NOERROR", ["203.0.113.9"])
    assert dig_host(gureum) == ("NOERROR", ["203.0.113.9"])
    # A name only a private zone holds: no answer outside its VPC (the
    # resolver does not recurse beyond Gureum; Route 53 refuses a zone it
    # does not serve publicly).
    assert dig_in(b["ns"], b["resolver"], "db.only.example") == ("REFUSED", [])
    assert dig_host(gureum, "db.only.example") == ("REFUSED", [])
    assert dig_in(vpcs["a"]["ns"], vpcs["a"]["resolver"], "db.only.example")[0] == "NXDOMAIN"


def test_associating_and_disassociating_vpcs_moves_the_private_answers_live(gureum, vpcs, zones):
    r53, private = zones
    a, b = vpcs["a"], vpcs["b"]
    r53.associate_vpc_with_hosted_zone(HostedZoneId=private, VPC={"VPCRegion": "us-east-1", "VPCId": b["vpc"]})
    assert dig_in(b["ns"], b["resolver"]) == ("NOERROR", ["10.40.0.9"])
    r53.disassociate_vpc_from_hosted_zone(HostedZoneId=private, VPC={"VPCRegion": "us-east-1", "VPCId": a["vpc"]})
    assert dig_in(a["ns"], a["resolver"]) == ("NOERROR", ["203.0.113.9"])
    assert dig_in(b["ns"], b["resolver"]) == ("NOERROR", ["10.40.0.9"])


def test_the_associations_hold_after_a_restart(gureum, vpcs, zones):
    gureum.restart(kill=True)
    a, b = vpcs["a"], vpcs["b"]
    assert eventually(lambda: dig_in(b["ns"], b["resolver"]) == ("NOERROR", ["10.40.0.9"]), deadline_s=30)
    # Each VPC's resolver comes back as its router is restored.
    assert eventually(lambda: dig_in(a["ns"], a["resolver"]) == ("NOERROR", ["203.0.113.9"]), deadline_s=30)
    assert dig_host(gureum) == ("NOERROR", ["203.0.113.9"])
