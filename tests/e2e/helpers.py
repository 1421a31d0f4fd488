"""Small helpers the end-to-end tests share."""
import json
import urllib.request

import botocore.exceptions
import pytest


def error_code(call, *args, **kw):
    """The AWS error code `call(*args, **kw)` fails with (it must fail)."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response["Error"]["Code"]


def advance(gureum, seconds):
    """Moves Gureum's clock forward (lifecycles, expiries, restores)."""
    req = urllib.request.Request(
        gureum.endpoint + "/_gureum/clock",
        method="POST",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        r.read()
