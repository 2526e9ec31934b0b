# s3client.py - the boto3 S3 client the test scripts use to make buckets and to
# read back what repodigest stored in the loopback radosgw (s3.sh, fleet.sh,
# chunks.sh, image.sh, tests/cli/deploy.sh). One definition, so every script
# checks the server the same way: boto3 is the independent client, and a check
# that talked to radosgw differently from the next could hide a difference.
#
# Server from the environment: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
# S3_REGION (what s3-server prints). With S3PY_HTTPS=1 it goes to
# S3_ENDPOINT_HTTPS instead, trusting only the CA file S3PY_CA.
# Path-style addressing (radosgw on 127.0.0.1 has no bucket host names) and
# SigV4. Retries and timeouts are bounded, so that a server that stops
# answering fails the check instead of holding up the test.
import os

import boto3
from botocore.config import Config


def client():
    https = os.environ.get("S3PY_HTTPS") == "1"
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_HTTPS" if https else "S3_ENDPOINT"],
        verify=os.environ["S3PY_CA"] if https else None,
        aws_access_key_id=os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3_SECRET_KEY"],
        region_name=os.environ["S3_REGION"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 2}, connect_timeout=10, read_timeout=30))
