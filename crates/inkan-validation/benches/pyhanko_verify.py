"""Peer for the verification benchmark: pyHanko's CMS validator on the same
detached letters (signature, chain to the test root, the test PKI's CRLs,
revocation required, no fetching). Prints one line: letters and seconds.

usage: pyhanko_verify.py LETTER_DIR ROOT_DER CRL_DER...
"""
import asyncio
import glob
import os
import sys
import time

from asn1crypto import cms, crl as asn1_crl, x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext


async def main() -> None:
    letters_dir, root_path, *crl_paths = sys.argv[1:]
    with open(root_path, "rb") as f:
        root = x509.Certificate.load(f.read())
    crls = []
    for p in crl_paths:
        with open(p, "rb") as f:
            crls.append(asn1_crl.CertificateList.load(f.read()))
    sigs = sorted(glob.glob(os.path.join(letters_dir, "*.xml.p7s")))
    pairs = []
    for s in sigs:
        with open(s, "rb") as f:
            ci = cms.ContentInfo.load(f.read())
        with open(s[: -len(".p7s")], "rb") as f:
            pairs.append((f.read(), ci["content"]))
    start = time.perf_counter()
    for content, signed_data in pairs:
        vc = ValidationContext(
            trust_roots=[root],
            crls=crls,
            allow_fetching=False,
            revocation_mode="require",
        )
        status = await async_validate_detached_cms(
            content, signed_data, signer_validation_context=vc
        )
        if not (status.intact and status.valid and status.trusted):
            raise SystemExit(f"pyHanko does not accept a letter: {status}")
    elapsed = time.perf_counter() - start
    print(f"{len(pairs)} {elapsed:.6f}")


asyncio.run(main())
