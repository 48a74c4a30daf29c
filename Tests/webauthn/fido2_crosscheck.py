#!/usr/bin/python3
"""WebAuthn ceremonies made and judged by Yubico's python-fido2 (Debian's python3-fido2 0.9.1).

    /usr/bin/python3 Tests/webauthn/fido2_crosscheck.py > ceremonies.json

For ES256, EdDSA and RS256 credentials, builds registration and assertion data with fido2's
own CBOR, COSE and authenticator-data code and `cryptography` keys: a valid ceremony and
variants that break one rule each (origin, RP ID, challenge, type, user presence, user
verification, signature). Each is given to fido2's Fido2Server, and its verdict is written next
to the data. Sekisho's WebAuthnTests (FIDO2CrossCheckTests) verify the same bytes and must reach
the same verdicts. fido2 0.9.1 leaves signature counters to the caller, so counter regressions
are tested on Sekisho's side only.
"""

import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from fido2 import cbor
from fido2.client import ClientData
from fido2.cose import ES256, RS256, EdDSA
from fido2.ctap2 import AttestationObject, AttestedCredentialData, AuthenticatorData
from fido2.server import Fido2Server
from fido2.utils import websafe_encode
from fido2.webauthn import PublicKeyCredentialRpEntity

RP_ID = "login.example.com"
ORIGIN = "https://login.example.com"
UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return websafe_encode(data)


def make_key(alg: str):
    if alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        return private, ES256.from_cryptography_key(private.public_key()), lambda d: private.sign(d, ec.ECDSA(hashes.SHA256()))
    if alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        return private, EdDSA.from_cryptography_key(private.public_key()), lambda d: private.sign(d)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private, RS256.from_cryptography_key(private.public_key()), lambda d: private.sign(d, padding.PKCS1v15(), hashes.SHA256())


def client_data(kind: str, challenge: bytes, origin: str = ORIGIN) -> ClientData:
    return ClientData.build(type=kind, challenge=b64(challenge), origin=origin, crossOrigin=False)


def verdict(action) -> str:
    try:
        action()
        return "accepted"
    except ValueError as error:
        return "refused: " + str(error)


def ceremonies():
    server = Fido2Server(PublicKeyCredentialRpEntity(RP_ID, "Sekisho"), verify_origin=lambda origin: origin == ORIGIN)
    rp_hash = server.rp.id_hash
    other_hash = PublicKeyCredentialRpEntity("example.com", "x").id_hash
    out = []
    for alg in ("ES256", "EdDSA", "RS256"):
        _, cose_key, sign = make_key(alg)
        credential_id = os.urandom(32)
        attested = AttestedCredentialData.create(b"\0" * 16, credential_id, cose_key)
        challenge = os.urandom(32)

        # Registrations: (name, client data, rp hash, flags, user verification required)
        for name, data, rp, flags, required in [
            ("valid", client_data("webauthn.create", challenge), rp_hash, UP | UV | AT, True),
            ("wrong origin", client_data("webauthn.create", challenge, "https://login.example.com.evil.test"), rp_hash, UP | AT, False),
            ("wrong challenge", client_data("webauthn.create", os.urandom(32)), rp_hash, UP | AT, False),
            ("wrong RP ID", client_data("webauthn.create", challenge), other_hash, UP | AT, False),
            ("wrong type", client_data("webauthn.get", challenge), rp_hash, UP | AT, False),
            ("user not present", client_data("webauthn.create", challenge), rp_hash, AT, False),
            ("user not verified", client_data("webauthn.create", challenge), rp_hash, UP | AT, True),
        ]:
            auth_data = AuthenticatorData.create(rp, flags, 0, attested)
            # As a browser passes it on: the WebAuthn form, with text keys (CTAP2 uses integers).
            attestation = AttestationObject(AttestationObject.create("none", auth_data, {}).with_string_keys())
            state = {"challenge": b64(challenge), "user_verification": "required" if required else "preferred"}
            out.append({
                "kind": "registration", "alg": alg, "name": name, "challenge": b64(challenge), "requireUV": required,
                "clientDataJSON": b64(bytes(data)), "attestationObject": b64(bytes(attestation)),
                "credentialID": b64(credential_id),
                "fido2": verdict(lambda: server.register_complete(state, data, attestation)),
            })

        # Assertions with the registered key.
        stored = cbor.encode(cose_key)
        challenge = os.urandom(32)
        for name, data, rp, flags, required, tamper in [
            ("valid", client_data("webauthn.get", challenge), rp_hash, UP | UV, True, False),
            ("wrong origin", client_data("webauthn.get", challenge, "http://login.example.com"), rp_hash, UP, False, False),
            ("wrong challenge", client_data("webauthn.get", os.urandom(32)), rp_hash, UP, False, False),
            ("wrong RP ID", client_data("webauthn.get", challenge), other_hash, UP, False, False),
            ("wrong type", client_data("webauthn.create", challenge), rp_hash, UP, False, False),
            ("user not present", client_data("webauthn.get", challenge), rp_hash, 0, False, False),
            ("user not verified", client_data("webauthn.get", challenge), rp_hash, UP, True, False),
            ("tampered signature", client_data("webauthn.get", challenge), rp_hash, UP, False, True),
        ]:
            auth_data = AuthenticatorData.create(rp, flags, 7)
            signature = bytearray(sign(bytes(auth_data) + data.hash))
            if tamper:
                signature[len(signature) // 2] ^= 0x01
            state = {"challenge": b64(challenge), "user_verification": "required" if required else "preferred"}
            out.append({
                "kind": "assertion", "alg": alg, "name": name, "challenge": b64(challenge), "requireUV": required,
                "clientDataJSON": b64(bytes(data)), "authenticatorData": b64(bytes(auth_data)), "signature": b64(bytes(signature)),
                "publicKey": b64(stored), "storedSignCount": 6,
                "fido2": verdict(lambda: server.authenticate_complete(
                    state, [attested], credential_id, data, auth_data, bytes(signature))),
            })
    return out


if __name__ == "__main__":
    json.dump(ceremonies(), sys.stdout, indent=1)
