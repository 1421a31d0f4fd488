#!/usr/bin/env python3
"""Which request members of Gureum's implemented operations are never read.

Issue 13, "nothing accepted that is not done": every parameter an
implemented operation accepts is honoured or refused with AWS's error.
This audit lists, per service, each operation of the crate's
`service_operations!` table with the input members (from
`models/<service>.json`) whose model name never appears as a string
literal (`"SSEKMSKeyId"`) in the service crate's non-test sources, other
than as an output's key (`"Name": …` in `json!`, `insert("Name", …)`).

A crate-wide grep is coarse: a member read by one operation counts as read
for all (S3's `ExpectedBucketOwner` goes through one bucket check). It finds
what nobody reads, which is what silently accepted parameters look like.

ALLOWED below names members honoured elsewhere (the protocol layer, the
signer, a generic check), each with its reason; they are reported apart.

    python3 scripts/audit_parameters.py            # writes docs/PARAMETERS.md
    python3 scripts/audit_parameters.py --check    # exit 1 if the file is stale
"""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "PARAMETERS.md"

# (service, member) or (service, "Operation.Member") -> why it needs no
# code of the service's own.
ALLOWED = {
    ("s3", "RequestPayer"): "only an acknowledgement that the caller pays; Gureum bills nobody",
    ("s3", "PutObject.Body"): "the streamed request body, not a member the handler looks up",
    ("s3", "UploadPart.Body"): "the streamed request body, not a member the handler looks up",
    ("s3", "ContentLength"): "the body's declared length, which the protocol layer holds the body to",
    ("s3", "MFA"): "MFA delete cannot be turned on (PutBucketVersioning refuses it), so a token authorises nothing",
    ("ec2", "IncludeManagedResources"): "Gureum makes no resources managed by an AWS service operator, so the lists are equal",
    ("ec2", "AllAvailabilityZones"): "Gureum has no Local or Wavelength Zones, so every zone is listed either way",
    ("ec2", "AdditionalInfo"): "reserved by AWS, without effect",
    ("ec2", "AllRegions"): "every region is enabled for every account, so the lists are equal",
    ("ec2", "IncludeDisabled"): "Gureum has no disabled images, so the lists are equal",
    ("ec2", "Latest"): "an instance has one console output, which is the latest",
    ("ec2", "NoReboot"): "no operating system to quiesce: the image is the same with or without a reboot",
    ("ec2", "CopySnapshot.DestinationRegion"): "botocore fills it with the region called, where the copy is made",
    ("ec2", "CopySnapshot.PresignedUrl"): "botocore fills it for cross-region copies; the source is read directly",
    ("logs", "sequenceToken"): "AWS ignores PutLogEvents sequence tokens and accepts every batch",
    ("logs", "entity"): "related-telemetry metadata for CloudWatch's explorer; it changes nothing about what is stored",
    ("logs", "interleaved"): "deprecated by AWS: results are always interleaved",
    ("logs", "forceUpdate"): "confirms replacing an account-based destination policy with an organization one; Gureum replaces the policy either way",
    ("logs", "includeLinkedAccounts"): "Gureum has no cross-account observability links, so the lists are equal",
    ("ec2", "SkipOsShutdown"): "Gureum's instances run no operating system to shut down",
    ("glacier", "UploadArchive.body"): "the streamed request body, not a member the handler looks up",
    ("glacier", "UploadMultipartPart.body"): "the streamed request body, not a member the handler looks up",
    ("efs", "BypassPolicyLockoutSafetyCheck"): "Gureum runs no lockout safety check on file system policies, so there is nothing to bypass",
}

MACRO = re.compile(r"service_operations!\s*\{(.*?)\n\}", re.S)
SERVICE = re.compile(r'^\s*(\w+)\s*,\s*"([\w-]+)"', re.S)
WORD = re.compile(r'(insert\(\s*)?"([A-Za-z][A-Za-z0-9]*)"(\s*:(?!:))?')
OPERATION = re.compile(r'"(\w+)"\s*=>\s*\w+')


def tables():
    """Yields (crate dir, service name, [operations])."""
    # A crate may serve several models, each table in its own module
    # (gureum-billing: pricing.rs, ce.rs, budgets.rs).
    for crate in sorted(ROOT.glob("crates/*")):
        for rs in sorted(crate.glob("src/**/*.rs")):
            if is_test(rs):
                continue
            for m in MACRO.finditer(rs.read_text()):
                body = m.group(1)
                s = SERVICE.match(body)
                if s:
                    yield crate, s.group(2), OPERATION.findall(body)


def is_test(path):
    name = path.name
    return (
        name == "tests.rs"
        or name.endswith("_tests.rs")
        or "tests" in path.parts
    )


def literals(crate):
    """The string literals of the crate's non-test sources."""
    found = set()
    for rs in crate.glob("src/**/*.rs"):
        if is_test(rs):
            continue
        text = rs.read_text()
        # Drop `#[cfg(test)] mod tests { … }` blocks at the end of files.
        cut = text.find("#[cfg(test)]\nmod tests {")
        if cut >= 0:
            text = text[:cut]
        # A literal written as an output's key (`"Name": …` in `json!`,
        # `insert("Name", …)`) is not a read.
        for m in WORD.finditer(text):
            if not (m.group(1) or m.group(3)):
                found.add(m.group(2))
    return found


def members(model, op):
    spec = model["operations"].get(op)
    if spec is None or "input" not in spec:
        return []
    shape = model["shapes"][spec["input"]["shape"]]
    return list(shape.get("members", {}))


def allowed(service, op, member):
    return ALLOWED.get((service, f"{op}.{member}")) or ALLOWED.get((service, member))


def render():
    lines = [
        "# Accepted parameters nobody reads",
        "",
        "Generated by `scripts/audit_parameters.py` (do not edit by hand).",
        "For each implemented operation: the input members of AWS's model whose",
        "name never appears as a string literal in the service crate's code.",
        "A member listed here is accepted and ignored: it must be honoured or",
        "refused with AWS's error (issue 13). Members honoured elsewhere are",
        "in the script's allow-list, each with its reason, shown at the end.",
        "",
    ]
    totals = []
    allow_rows = []
    for crate, service, ops in tables():
        model_path = ROOT / "models" / f"{service}.json"
        if not model_path.exists():
            continue
        model = json.loads(model_path.read_text())
        read = literals(crate)
        rows = []
        n_members = n_unread = 0
        for op in sorted(set(ops)):
            unread = []
            for m in members(model, op):
                n_members += 1
                if m in read:
                    continue
                why = allowed(service, op, m)
                if why:
                    allow_rows.append((service, op, m, why))
                    continue
                unread.append(m)
            n_unread += len(unread)
            if unread:
                rows.append(f"| {op} | {', '.join(f'`{u}`' for u in unread)} |")
        totals.append((service, len(set(ops)), n_members, n_unread, len(rows)))
        lines.append(f"## {service} (`{crate.name}`)")
        lines.append("")
        if rows:
            lines += ["| operation | members never read |", "| --- | --- |", *rows]
        else:
            lines.append("Every input member is read.")
        lines.append("")
    head = [
        "## Totals",
        "",
        "| service | operations | input members | never read | operations with some |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in totals:
        head.append("| " + " | ".join(str(x) for x in t) + " |")
    s = [sum(t[i] for t in totals) for i in range(1, 5)]
    head.append(f"| all | {s[0]} | {s[1]} | {s[2]} | {s[3]} |")
    head.append("")
    lines[9:9] = head
    lines += ["## Honoured elsewhere (the allow-list)", ""]
    lines += ["| service | member | why |", "| --- | --- | --- |"]
    seen = set()
    for service, _op, m, why in allow_rows:
        if (service, m) in seen:
            continue
        seen.add((service, m))
        lines.append(f"| {service} | `{m}` | {why} |")
    lines.append("")
    return "\n".join(lines)


def main():
    text = render()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run scripts/audit_parameters.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
