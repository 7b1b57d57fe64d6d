#!/usr/bin/env python3
"""Push DICOM files to a MedInfer DICOM listener with pynetdicom (a second peer besides dcmtk).

    medinfer serve --dicom-port 11112 --ae-title MEDINFER &
    .venv-dimse/bin/python Scripts/pynetdicom_push.py 127.0.0.1 11112 SampleImages/CT_small.dcm ...

One association: C-ECHO, then one C-STORE per file (each file proposed in its own transfer syntax), then
A-RELEASE. Prints each status; exits 1 when the association fails or any status is not Success.
"""
import argparse
import sys

from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import Verification


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--ae-title", default="PYNETDICOM")
    parser.add_argument("--called", default="MEDINFER")
    args = parser.parse_args()

    datasets = [dcmread(path) for path in args.files]
    ae = AE(ae_title=args.ae_title)
    ae.add_requested_context(Verification)
    seen = set()
    for ds in datasets:
        key = (ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
        if key not in seen:
            seen.add(key)
            ae.add_requested_context(ds.SOPClassUID, [ds.file_meta.TransferSyntaxUID])
    assoc = ae.associate(args.host, args.port, ae_title=args.called)
    if not assoc.is_established:
        print("association rejected, aborted or never connected", file=sys.stderr)
        return 1
    failures = 0
    status = assoc.send_c_echo()
    print(f"C-ECHO: 0x{status.Status:04X}" if status else "C-ECHO: no response")
    failures += 0 if status and status.Status == 0 else 1
    for path, ds in zip(args.files, datasets):
        try:
            status = assoc.send_c_store(ds)
        except ValueError as error:  # no accepted context: the listener refused this transfer syntax
            print(f"C-STORE {path}: not sent: {error}")
            failures += 1
            continue
        code = status.Status if status else None
        comment = status.get("ErrorComment", "") if status else ""
        print(f"C-STORE {path}: " + (f"0x{code:04X} {comment}" if code is not None else "no response"))
        failures += 0 if code == 0 else 1
    assoc.release()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
