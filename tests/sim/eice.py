"""EC2 Instance Connect Endpoints for the testbed (moto has none).

CreateInstanceConnectEndpoint and DescribeInstanceConnectEndpoints are served
on the EC2 query API. Each endpoint gets a loopback address of the instances'
/24, a DnsName and FipsDnsName that the testbed's DNS server answers, and a
TLS websocket server on that address, port 443, with a certificate for both
names from the testbed's CA (`<state-dir>/eice-ca.pem`, for AWS_CA_BUNDLE).

A tunnel is `wss://<DnsName>/openTunnel?instanceConnectEndpointId=…&remotePort=…
&privateIpAddress=…[&maxTunnelDuration=…]`, SigV4-presigned for the service
`ec2-instance-connect`. The server checks, as the real endpoint does, before
the websocket upgrade: the signature (recomputed with botocore for the test
credentials), its expiry, the endpoint id, the port (22 or 3389), that the
address is a running instance's private address in the endpoint's VPC, and
maxTunnelDuration (1..3600). Refusals are HTTP 403/400 with AWS's error text.
Then it relays binary frames to <privateIpAddress>:<remotePort> and closes the
websocket when maxTunnelDuration has passed.

Controls (GET on the API port): /_sim/eice?deny=1 refuses every tunnel as
an IAM deny would (deny=0 lifts it); /_sim/eice?skew=SECONDS moves the
endpoint's clock (so a fresh signature is already expired); /_sim/eice?cut=1
closes every open tunnel now with code 1011. Every tunnel request is logged
in /_sim/calls as `ec2-instance-connect:OpenTunnel`; a signature mismatch also
writes the canonical request the endpoint expected to `<state-dir>/eice.log`.
"""

import asyncio
import datetime
import ipaddress
import os
import random
import ssl
import threading
import time
import urllib.parse

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

# The testbed's credentials (tests/e2e/support.rs, contrib/bench.py); anything else is rejected.
SECRETS = {"testing": "testing", "bench": "bench"}
USABLE_STATES = "create-complete"
FRAME = 65000


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _san(name):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class TestCa:
    def __init__(self, path):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("ec2-hostkey testbed CA"))
            .issuer_name(_name("ec2-hostkey testbed CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = path
        with open(path, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, names, directory):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("ec2-instance-connect endpoint"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path = os.path.join(directory, names[0] + ".crt")
        key_path = os.path.join(directory, names[0] + ".key")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


def signature_problem(host, query, now, log):
    """None if the presigned query is valid at `now`, else AWS's complaint
    (a signature mismatch also writes the canonical request expected to `log`)."""
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    given = dict(params)
    for needed in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature"):
        if needed not in given:
            return 403, "MissingAuthenticationToken", f"the request lacks {needed}"
    access_key, date, region, service, _ = given["X-Amz-Credential"].split("/", 4)
    if service != "ec2-instance-connect":
        return 403, "SignatureDoesNotMatch", f"credential scope names the service {service}"
    signed_at = datetime.datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    expires = int(given["X-Amz-Expires"])
    if now > signed_at.timestamp() + expires:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        return 403, "AccessDeniedException", (
            f"Signature expired: {given['X-Amz-Date']} is now earlier than {stamp} "
            f"({given['X-Amz-Date']} + {expires} seconds)"
        )
    secret = SECRETS.get(access_key)
    if secret is None:
        return 403, "UnrecognizedClientException", "The security token included in the request is invalid."
    unsigned = [(k, v) for k, v in params if k != "X-Amz-Signature" and not k.startswith("X-Amz-")]
    request = AWSRequest(
        method="GET",
        # wss://, as the AWS CLI signs it (botocore then hashes the empty body
        # rather than writing UNSIGNED-PAYLOAD: it does so for any non-https URL).
        url=f"wss://{host}/openTunnel?{urllib.parse.urlencode(unsigned, quote_via=urllib.parse.quote)}",
        headers={"host": host},
    )
    request.context["timestamp"] = given["X-Amz-Date"]
    auth = SigV4QueryAuth(Credentials(access_key, secret, given.get("X-Amz-Security-Token")), service, region, expires)
    auth._modify_request_before_signing(request)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if expected != given["X-Amz-Signature"]:
        with open(log, "a") as f:
            f.write(f"signature mismatch; the canonical request expected:\n{auth.canonical_request(request)}\n")
        return 403, "SignatureDoesNotMatch", (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    return None


class Endpoints:
    def __init__(self, sim):
        self.sim = sim
        self.items = {}  # id -> endpoint dict (the API's fields) + "address"
        self.ca = TestCa(os.path.join(sim.state_dir, "eice-ca.pem"))
        self.deny = False
        self.skew = 0.0
        self.tunnels = set()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    # -- the EC2 API ------------------------------------------------------

    def create(self, subnet_id, vpc_id, zone, region):
        endpoint_id = "eice-%017x" % random.getrandbits(68)
        suffix = "%08x" % random.getrandbits(32)
        dns = f"{endpoint_id}.{suffix}.ec2-instance-connect-endpoint.{region}.amazonaws.com"
        fips = f"{endpoint_id}.{suffix}.fips.ec2-instance-connect-endpoint.{region}.amazonaws.com"
        address = self.sim.allocate(None)
        self.sim.dns[dns] = ("A", address)
        self.sim.dns[fips] = ("A", address)
        endpoint = {
            "ownerId": "123456789012",
            "instanceConnectEndpointId": endpoint_id,
            "instanceConnectEndpointArn": f"arn:aws:ec2:{region}:123456789012:instance-connect-endpoint/{endpoint_id}",
            "state": "create-complete",
            "dnsName": dns,
            "fipsDnsName": fips,
            "vpcId": vpc_id,
            "subnetId": subnet_id,
            "availabilityZone": zone,
            "createdAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "preserveClientIp": "false",
            "region": region,
            "address": address,
        }
        context = self.ca.server_context([dns, fips], self.sim.state_dir)
        started = asyncio.run_coroutine_threadsafe(self._serve(endpoint, context), self.loop)
        endpoint["server"] = started.result(10)
        self.items[endpoint_id] = endpoint
        return endpoint

    def describe(self, ids, filters, region):
        found = [e for e in self.items.values() if e["region"] == region]
        if ids:
            found = [e for e in found if e["instanceConnectEndpointId"] in ids]
        for name, values in filters.items():
            key = {"state": "state", "vpc-id": "vpcId", "subnet-id": "subnetId"}.get(name)
            if key:
                found = [e for e in found if e[key] in values]
        return found

    def set_state(self, endpoint_id, state):
        self.items[endpoint_id]["state"] = state

    # -- the tunnel -------------------------------------------------------

    async def _serve(self, endpoint, context):
        async def check(connection, request):
            self.sim.calls.append("ec2-instance-connect:OpenTunnel")
            problem = self._refusal(endpoint, request)
            if problem:
                status, code, message = problem
                response = connection.respond(status, f'{{"__type":"{code}","Message":"{message}"}}\n')
                response.headers["Content-Type"] = "application/json"
                return response
            return None

        async def relay(websocket):
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(websocket.request.path).query))
            target = (query["privateIpAddress"], int(query["remotePort"]))
            limit = int(query.get("maxTunnelDuration", "3600"))
            try:
                reader, writer = await asyncio.open_connection(*target)
            except OSError as e:
                await websocket.close(1011, f"Unable to connect to {target[0]}:{target[1]}: {e.strerror}")
                return
            self.tunnels.add(websocket)

            async def upstream():
                try:
                    await forward()
                except (ConnectionClosed, OSError):
                    pass
                if writer.can_write_eof():
                    writer.write_eof()

            async def forward():
                async for message in websocket:
                    if isinstance(message, str):
                        await websocket.close(1003, "text frames are not accepted")
                        break
                    writer.write(message)
                    await writer.drain()

            async def downstream():
                try:
                    while data := await reader.read(FRAME):
                        await websocket.send(data)
                    await websocket.close(1000)
                except (ConnectionClosed, OSError):
                    pass

            try:
                tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
                done, pending = await asyncio.wait(tasks, timeout=limit, return_when=asyncio.ALL_COMPLETED)
                if pending:
                    await websocket.close(1000, "Tunnel closed: maxTunnelDuration reached")
                for task in pending:
                    task.cancel()
            except Exception:
                pass
            finally:
                self.tunnels.discard(websocket)
                writer.close()

        return await serve(
            relay,
            endpoint["address"],
            443,
            ssl=context,
            process_request=check,
            compression=None,
            max_size=None,
            ping_interval=None,
        )

    def _refusal(self, endpoint, request):
        split = urllib.parse.urlsplit(request.path)
        host = request.headers.get("Host", "")
        if split.path != "/openTunnel":
            return 404, "NotFound", f"no such path {split.path}"
        if host not in (endpoint["dnsName"], endpoint["fipsDnsName"]):
            return 403, "SignatureDoesNotMatch", f"the Host header {host} is not this endpoint"
        log = os.path.join(self.sim.state_dir, "eice.log")
        problem = signature_problem(host, split.query, time.time() + self.skew, log)
        if problem:
            return problem
        if self.deny:
            return 403, "AccessDeniedException", (
                "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: "
                f"ec2-instance-connect:OpenTunnel on resource: {endpoint['instanceConnectEndpointArn']} "
                "because no identity-based policy allows the ec2-instance-connect:OpenTunnel action"
            )
        query = dict(urllib.parse.parse_qsl(split.query))
        if query.get("instanceConnectEndpointId") != endpoint["instanceConnectEndpointId"]:
            return 400, "ValidationException", "instanceConnectEndpointId does not name this endpoint"
        if query.get("remotePort") not in ("22", "3389"):
            return 400, "ValidationException", "remotePort must be 22 or 3389"
        duration = query.get("maxTunnelDuration", "3600")
        if not duration.isdigit() or not 1 <= int(duration) <= 3600:
            return 400, "ValidationException", "maxTunnelDuration must be between 1 and 3600 seconds"
        address = query.get("privateIpAddress")
        if not any(
            i.private_address == address and i.sshd is not None and i.vpc_id == endpoint["vpcId"]
            for i in list(self.sim.instances.values())
        ):
            return 400, "ValidationException", f"{address} is not a running instance in {endpoint['vpcId']}"
        return None

    def cut(self):
        for websocket in list(self.tunnels):
            asyncio.run_coroutine_threadsafe(websocket.close(1011, "Tunnel closed by the service"), self.loop)

    def shutdown(self):
        for endpoint in self.items.values():
            self.loop.call_soon_threadsafe(endpoint["server"].close)


def describe_xml(endpoints):
    def item(e):
        fields = "".join(
            f"<{k}>{e[k]}</{k}>"
            for k in (
                "ownerId",
                "instanceConnectEndpointId",
                "instanceConnectEndpointArn",
                "state",
                "dnsName",
                "fipsDnsName",
                "vpcId",
                "availabilityZone",
                "createdAt",
                "subnetId",
                "preserveClientIp",
            )
        )
        return f"<item>{fields}<networkInterfaceIdSet/><securityGroupIdSet/><tagSet/></item>"

    return "".join(item(e) for e in endpoints)
