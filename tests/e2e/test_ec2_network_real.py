"""The VPC fabric enforced for real (root on Linux, nftables): the notes'
bastion walkthrough. A VPC with a public subnet (route to an internet
gateway) and a private one (route to a NAT gateway); a bastion in the
public subnet, an app server in the private one whose SSH is open only to
the bastion's security group.

Security groups are stateful nft rules in each instance's namespace,
network ACLs stateless rules in the VPC router's, public and Elastic IPs
the router's 1:1 NAT, the NAT gateway its masquerade. "The internet" is
the host, reached at the VPC link's host address: nothing leaves the
machine.
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

REASON = None
if os.geteuid() != 0:
    REASON = "needs root (network namespaces)"
elif not shutil.which("ip") or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
    REASON = "needs iproute2 with `ip netns`"
elif not os.path.exists("/usr/sbin/sshd"):
    REASON = "needs the OpenSSH server (apt-get install openssh-server)"
elif not shutil.which("ssh") or not shutil.which("curl"):
    REASON = "needs ssh and curl"
elif not shutil.which("nft"):
    REASON = "needs nftables (apt-get install nftables)"
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

HOST_LINK_IP = "169.254.77.1"

APP_USER_DATA = """#!/bin/bash
mkdir -p /tmp/www && echo "app server" > /tmp/www/index.html
nohup python3 -m http.server 80 --directory /tmp/www > /dev/null 2>&1 &
echo "APP-READY"
"""

SSH_OPTS = [
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR",
]


def ssh(key, target, command, jump=None, timeout=15):
    args = ["ssh", "-i", key, *SSH_OPTS]
    if jump:
        # ProxyJump's inner ssh takes the same options and key.
        inner = " ".join(["ssh", "-i", key, *SSH_OPTS, "-W", "%h:%p", f"ec2-user@{jump}"])
        args += ["-o", f"ProxyCommand={inner}"]
    args += [f"ec2-user@{target}", command]
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 255, "", "timed out")


def eventually(check, deadline_s=15, every=0.2):
    """Polls `check` until it returns a truthy value; returns it (or the last falsy one)."""
    end = time.monotonic() + deadline_s
    while True:
        got = check()
        if got or time.monotonic() > end:
            return got
        time.sleep(every)


def wait_state(ec2, iid, state, deadline_s=15):
    def check():
        i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        return i if i["State"]["Name"] == state else None

    got = eventually(check, deadline_s, 0.1)
    assert got, f"{iid} never reached {state}"
    return got


def wait_console(ec2, iid, text, deadline_s=20):
    got = eventually(lambda: text in ec2.get_console_output(InstanceId=iid).get("Output", ""), deadline_s)
    assert got, f"{text!r} never appeared in {iid}'s console"


class Internet:
    """A web server on the host's side of the VPC links: it answers each
    request with the source address it saw."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = self.client_address[0].encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST_LINK_IP, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def walkthrough(gureum, ec2):
    keydir = tempfile.mkdtemp(prefix="gureum-ec2net-key-")
    key = os.path.join(keydir, "key.pem")
    with open(key, "w") as f:
        f.write(ec2.create_key_pair(KeyName="walk", KeyType="ed25519")["KeyMaterial"] + "\n")
    os.chmod(key, 0o600)
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
    image = [i for i in images if i["Architecture"] == "x86_64"][0]["ImageId"]

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    rt_public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt_public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt_public, SubnetId=public)
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    rt_private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt_private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=rt_private, SubnetId=private)

    bastion_sg = ec2.create_security_group(GroupName="bastion", Description="ssh from anywhere", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=bastion_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    app_sg = ec2.create_security_group(GroupName="app", Description="ssh and http from the bastion", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=app_sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}
            for p in (22, 80)
        ],
    )
    # Another host in the public subnet, not in the bastion's group.
    other_sg = ec2.create_security_group(GroupName="other", Description="ssh from anywhere", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=other_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    def launch(subnet, sg, public_ip, user_data=""):
        return ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="walk", UserData=user_data,
            NetworkInterfaces=[{
                "DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg], "AssociatePublicIpAddress": public_ip,
            }],
        )["Instances"][0]

    bastion = launch(public, bastion_sg, True)
    other = launch(public, other_sg, True)
    # The app server asks for a public address too: its subnet has no
    # route to the internet gateway, so the address must not reach it.
    app = launch(private, app_sg, True, APP_USER_DATA)
    wait_console(ec2, app["InstanceId"], "APP-READY")
    wait_state(ec2, bastion["InstanceId"], "running")
    wait_state(ec2, other["InstanceId"], "running")
    eventually(lambda: ssh(key, bastion["PublicIpAddress"], "true").returncode == 0)
    internet = Internet()
    yield {
        "key": key, "vpc": vpc, "public": public, "private": private, "nat_ip": eip["PublicIp"],
        "bastion": bastion, "other": other, "app": app, "app_sg": app_sg, "bastion_sg": bastion_sg,
        "internet": internet, "image": image,
    }
    internet.close()
    shutil.rmtree(keydir, ignore_errors=True)


def test_ssh_to_the_bastion_public_ip_works(walkthrough):
    w = walkthrough
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], "hostname")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ip-" + w["bastion"]["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"


def test_the_instance_holds_only_its_private_address(gureum, walkthrough):
    w = walkthrough
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], "ip -4 -o addr show dev eth0")
    assert p.returncode == 0, p.stderr
    assert w["bastion"]["PrivateIpAddress"] + "/24" in p.stdout
    assert w["bastion"]["PublicIpAddress"] not in p.stdout


def test_ssh_via_the_bastion_reaches_the_app_server(walkthrough):
    w = walkthrough
    p = ssh(w["key"], w["app"]["PrivateIpAddress"], "hostname", jump=w["bastion"]["PublicIpAddress"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith("ip-10-0-2-")


def test_ssh_to_the_app_server_from_outside_its_group_fails(walkthrough):
    w = walkthrough
    # From the host: its public address has no route from the internet
    # gateway (private subnet), so nothing answers.
    start = time.monotonic()
    p = ssh(w["key"], w["app"]["PublicIpAddress"], "true", timeout=10)
    assert p.returncode != 0
    # Through another host of the public subnet, not in the bastion's
    # group: the app server's security group drops it.
    p = ssh(w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["other"]["PublicIpAddress"], timeout=10)
    assert p.returncode != 0
    assert time.monotonic() - start < 25


def test_revoking_port_80_makes_curl_from_the_bastion_fail(ec2, walkthrough):
    w = walkthrough
    url = f"http://{w['app']['PrivateIpAddress']}/"
    curl = f"curl -s -m 2 {url}"
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], curl)
    assert p.stdout.strip() == "app server", p.stderr
    perm = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": w["bastion_sg"]}]}
    ec2.revoke_security_group_ingress(GroupId=w["app_sg"], IpPermissions=[perm])
    start = time.monotonic()
    blocked = eventually(
        lambda: ssh(w["key"], w["bastion"]["PublicIpAddress"], f"{curl} || echo BLOCKED").stdout.strip() == "BLOCKED",
        deadline_s=10,
    )
    took = time.monotonic() - start
    assert blocked
    print(f"\nrevoke -> blocked within {took * 1000:.0f} ms")
    ec2.authorize_security_group_ingress(GroupId=w["app_sg"], IpPermissions=[perm])
    again = eventually(
        lambda: ssh(w["key"], w["bastion"]["PublicIpAddress"], curl).stdout.strip() == "app server", deadline_s=10
    )
    assert again


def test_a_network_acl_deny_rule_blocks_even_when_the_group_allows(ec2, walkthrough):
    w = walkthrough
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [w["private"]]}])[
        "NetworkAcls"
    ][0]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=50, Protocol="6", RuleAction="deny", Egress=False,
        CidrBlock="10.0.1.0/24", PortRange={"From": 22, "To": 22},
    )
    try:
        blocked = eventually(
            lambda: ssh(
                w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["bastion"]["PublicIpAddress"], timeout=10
            ).returncode != 0,
            deadline_s=10,
        )
        assert blocked
        # Rule order: an allow with a lower number wins over the deny.
        ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=40, Protocol="6", RuleAction="allow", Egress=False,
            CidrBlock=w["bastion"]["PrivateIpAddress"] + "/32", PortRange={"From": 22, "To": 22},
        )
        allowed = eventually(
            lambda: ssh(
                w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["bastion"]["PublicIpAddress"]
            ).returncode == 0,
            deadline_s=10,
        )
        assert allowed
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=40, Egress=False)
    finally:
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Egress=False)
    assert eventually(
        lambda: ssh(w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["bastion"]["PublicIpAddress"]).returncode
        == 0,
        deadline_s=10,
    )


def test_replacing_the_subnet_acl_association_applies_the_new_acl_live(ec2, walkthrough):
    w = walkthrough
    via_bastion = lambda: ssh(  # noqa: E731
        w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["bastion"]["PublicIpAddress"], timeout=10
    ).returncode
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [w["private"]]}])[
        "NetworkAcls"
    ][0]
    assoc = [a for a in current["Associations"] if a["SubnetId"] == w["private"]][0]["NetworkAclAssociationId"]
    # A new ACL has only its `*` rules: it denies everything.
    closed = ec2.create_network_acl(VpcId=w["vpc"])["NetworkAcl"]["NetworkAclId"]
    new_assoc = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=closed)["NewAssociationId"]
    try:
        assert eventually(lambda: via_bastion() != 0, deadline_s=10)
    finally:
        ec2.replace_network_acl_association(AssociationId=new_assoc, NetworkAclId=current["NetworkAclId"])
    assert eventually(lambda: via_bastion() == 0, deadline_s=10)


def test_the_bastion_reaches_the_internet_as_its_public_ip(walkthrough):
    w = walkthrough
    url = f"http://{HOST_LINK_IP}:{w['internet'].port}/"
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], f"curl -s -m 3 {url}")
    assert p.stdout.strip() == w["bastion"]["PublicIpAddress"], p.stderr


def test_the_app_server_reaches_the_internet_through_the_nat_gateway_only(walkthrough):
    w = walkthrough
    url = f"http://{HOST_LINK_IP}:{w['internet'].port}/"
    p = ssh(w["key"], w["app"]["PrivateIpAddress"], f"curl -s -m 3 {url}", jump=w["bastion"]["PublicIpAddress"])
    assert p.stdout.strip() == w["nat_ip"], p.stderr
    # The internet cannot start a connection to it: neither its own
    # public address nor the NAT gateway's leads in.
    for ip in (w["app"]["PublicIpAddress"], w["nat_ip"]):
        c = subprocess.run(["curl", "-s", "-m", "2", f"http://{ip}/"], capture_output=True, text=True)
        assert c.returncode != 0 and c.stdout == "", (ip, c.stdout)


def test_an_elastic_ip_association_moves_the_public_address_live(ec2, walkthrough):
    w = walkthrough
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=w["other"]["InstanceId"])
    assert eventually(lambda: ssh(w["key"], eip["PublicIp"], "true").returncode == 0, deadline_s=10)
    ec2.disassociate_address(AssociationId=ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0][
        "AssociationId"
    ])
    assert eventually(lambda: ssh(w["key"], eip["PublicIp"], "true", timeout=8).returncode != 0, deadline_s=10)


def test_the_vpc_resolver_answers_private_zones_and_private_dns_names(gureum, walkthrough):
    w = walkthrough
    r53 = gureum.client("route53")
    zone = r53.create_hosted_zone(
        Name="corp.internal", CallerReference=str(time.time()),
        HostedZoneConfig={"PrivateZone": True}, VPC={"VPCRegion": "us-east-1", "VPCId": w["vpc"]},
    )["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT",
        "ResourceRecordSet": {"Name": "db.corp.internal", "Type": "A", "TTL": 60,
                              "ResourceRecords": [{"Value": "10.0.2.99"}]},
    }]})
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], "cat /etc/resolv.conf; getent hosts db.corp.internal")
    assert "nameserver 10.0.0.2" in p.stdout, p.stdout + p.stderr
    assert "10.0.2.99" in p.stdout and "db.corp.internal" in p.stdout, p.stdout + p.stderr
    app_name = "ip-" + w["app"]["PrivateIpAddress"].replace(".", "-")
    # The search domain completes the short name, as on EC2.
    p = ssh(w["key"], w["bastion"]["PublicIpAddress"], f"getent hosts {app_name}.ec2.internal; getent hosts {app_name}")
    assert p.stdout.count(w["app"]["PrivateIpAddress"]) == 2, p.stdout + p.stderr
    # From the host, Gureum's own DNS port is in no VPC: the private zone
    # does not answer there.
    if shutil.which("dig"):
        with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
            dns = json.load(r)["endpoints"].get("dns")
        if dns:
            host, port = dns.rsplit(":", 1)
            out = subprocess.run(["dig", "+short", "-p", port, f"@{host}", "db.corp.internal"],
                                 capture_output=True, text=True, timeout=10).stdout
            assert "10.0.2.99" not in out


def test_the_vpc_resolver_answers_over_tcp_as_well_as_udp(gureum, walkthrough):
    if not shutil.which("dig"):
        pytest.skip("dig is not installed (apt-get install dnsutils)")
    w = walkthrough
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        prefix = json.load(r)["endpoints"]["ec2_instances"]["namespace_prefix"]
    ns = prefix + w["bastion"]["InstanceId"]
    name = "ip-" + w["app"]["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"
    for transport in ("+notcp", "+tcp"):
        for server in ("10.0.0.2", "169.254.169.253"):
            out = subprocess.run(
                ["ip", "netns", "exec", ns, "dig", "+short", "+time=2", "+tries=1", transport, f"@{server}", name],
                capture_output=True, text=True, timeout=15,
            )
            assert out.stdout.split() == [w["app"]["PrivateIpAddress"]], (transport, server, out)


def test_a_public_address_of_the_same_vpc_is_reached_through_the_gateway_as_the_senders_public_address(
    gureum, walkthrough
):
    w = walkthrough
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        prefix = json.load(r)["endpoints"]["ec2_instances"]["namespace_prefix"]
    ec2 = gureum.client("ec2")
    now = {i["InstanceId"]: i for r in ec2.describe_instances(
        InstanceIds=[w[k]["InstanceId"] for k in ("bastion", "other")])["Reservations"] for i in r["Instances"]}
    # (An earlier test moved an Elastic IP: the addresses are read now.)
    target = now[w["other"]["InstanceId"]]["PublicIpAddress"]
    seen = {}
    for sender in ("bastion", "app"):
        p = subprocess.run(
            ["ip", "netns", "exec", prefix + w[sender]["InstanceId"], "ssh", "-i", w["key"],
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
             "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", f"ec2-user@{target}", "echo $SSH_CLIENT"],
            capture_output=True, text=True, timeout=20,
        )
        assert p.returncode == 0, (sender, p.stderr)
        seen[sender] = p.stdout.split()[0]
    # The bastion arrives as its own public address, the app server (private
    # subnet) as the NAT gateway's Elastic IP, as through AWS's gateway.
    assert seen == {"bastion": now[w["bastion"]["InstanceId"]]["PublicIpAddress"], "app": w["nat_ip"]}


def test_rules_are_enforced_again_after_a_restart(gureum, walkthrough):
    w = walkthrough
    gureum.restart(kill=True)
    ec2 = gureum.client("ec2")
    wait_state(ec2, w["app"]["InstanceId"], "running")
    assert eventually(
        lambda: ssh(w["key"], w["app"]["PrivateIpAddress"], "true", jump=w["bastion"]["PublicIpAddress"]).returncode
        == 0,
        deadline_s=20,
    )
    other = ec2.describe_instances(InstanceIds=[w["other"]["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert eventually(lambda: ssh(w["key"], other["PublicIpAddress"], "true").returncode == 0, deadline_s=10)
    p = ssh(w["key"], w["app"]["PrivateIpAddress"], "true", jump=other["PublicIpAddress"], timeout=10)
    assert p.returncode != 0


def test_vpc_peering_connects_two_vpcs_only_with_routes_on_both_sides(gureum, walkthrough):
    w = walkthrough
    ec2 = gureum.client("ec2")
    vpc2 = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    sub2 = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg2 = ec2.create_security_group(GroupName="peer", Description="from the first VPC", VpcId=vpc2)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg2,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
    )
    peer = ec2.run_instances(
        ImageId=w["image"], MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName="walk",
        SubnetId=sub2, SecurityGroupIds=[sg2],
    )["Instances"][0]
    wait_state(ec2, peer["InstanceId"], "running")
    target = peer["PrivateIpAddress"]

    def reaches():
        return ssh(w["key"], target, "true", jump=w["bastion"]["PublicIpAddress"], timeout=10).returncode == 0

    pcx = ec2.create_vpc_peering_connection(VpcId=w["vpc"], PeerVpcId=vpc2)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    time.sleep(2)
    assert not reaches()
    rt1 = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [w["public"]]}])[
        "RouteTables"
    ][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rt1, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    # One side's route is not enough: the reply has no way back.
    time.sleep(2)
    assert not reaches()
    rt2 = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc2]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rt2, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    assert eventually(reaches, deadline_s=10)
    ec2.terminate_instances(InstanceIds=[peer["InstanceId"]])


def test_joining_the_bastion_group_by_modify_instance_attribute_admits_a_host_live(gureum, walkthrough):
    w = walkthrough
    ec2 = gureum.client("ec2")
    other = ec2.describe_instances(InstanceIds=[w["other"]["InstanceId"]])["Reservations"][0]["Instances"][0]
    # Its address now (the Elastic IP test gave it a new one).
    jump = other["PublicIpAddress"]
    assert ssh(w["key"], jump, "true").returncode == 0
    via_other = lambda: ssh(  # noqa: E731
        w["key"], w["app"]["PrivateIpAddress"], "true", jump=jump, timeout=10
    ).returncode
    assert via_other() != 0
    current = [g["GroupId"] for g in other["SecurityGroups"]]
    ec2.modify_instance_attribute(InstanceId=w["other"]["InstanceId"], Groups=current + [w["bastion_sg"]])
    # The app server's rule names the bastion's group: its members' current
    # addresses now include the other host's.
    assert eventually(lambda: via_other() == 0, deadline_s=10)


def test_terminate_removes_namespaces_routes_and_rules(gureum, walkthrough):
    w = walkthrough
    ec2 = gureum.client("ec2")
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        status = json.load(r)["endpoints"]["ec2_instances"]
    assert status["firewall"] == "nftables"
    prefix = status["namespace_prefix"]
    ids = [w[k]["InstanceId"] for k in ("bastion", "other", "app")]
    ec2.terminate_instances(InstanceIds=ids)
    for iid in ids:
        wait_state(ec2, iid, "terminated")

    def gone():
        names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return not any(prefix + iid in names for iid in ids)

    assert eventually(gone, deadline_s=10)
    assert eventually(
        lambda: subprocess.run(
            ["ip", "route", "show", w["bastion"]["PublicIpAddress"]], capture_output=True, text=True
        ).stdout
        == "",
        deadline_s=5,
    )
