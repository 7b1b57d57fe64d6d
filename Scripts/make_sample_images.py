#!/usr/bin/env python3
"""Make the brain MRI, head CT and chest CR files in SampleImages/ (run from the repository root; Debian or Ubuntu).

    python3 -m venv .venv-dm && .venv-dm/bin/pip install -r Scripts/requirements-default-model.txt
    .venv-dm/bin/python Scripts/make_sample_images.py [--debs DIR]

The two Debian packages are fetched with `apt-get download` into a temporary folder (or read from DIR) and
checked against the SHA-256 below; they are only unpacked (`dpkg-deb -x`), never installed.

Writes (all committed; provenance and licences in SampleImages/README.md):
  BrainProtonDensitySlice.png, BrainT1Slice.png, BrainMidSagittalSlice.png
        byte copies of ITK's example slices (insighttoolkit5-examples 5.2.1-5+deb12u1, Apache-2.0)
  ch2_axial.jpg, ch2_axial.dcm
        MRIcron's ch2 template (mricron-data 1.2.20211006+dfsg-4, BSD-3-clause), axial slice k=90
        (MNI z = +19 mm), radiological orientation; JPEG quality 95 and an MR DICOM of the same pixels
  MR_small.dcm
        byte copy of pydicom 3.0.2's test file (MIT)
  CT_head.dcm
        pydicom 3.0.2's head CT `J2K_pixelrep_mismatch.dcm` (MIT): decoded, 2x2 mean to 256x256,
        written uncompressed with identifying attributes dropped
  CR_chest.dcm
        pydicom-data 1.0.0's PA chest CR `RG1_UNCR.dcm` (MIT; NEMA WG04 compression sample RG1, MONOCHROME1,
        1955x1841, 15 bits stored; sha256-checked): 4x4 mean to 488x460, technical attributes only
"""
import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "SampleImages")
PYDICOM_TEST_FILES = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")

DEB_SHA256 = {
    "insighttoolkit5-examples_5.2.1-5+deb12u1_all.deb": "6ca1f323eac0b3cba50e786bbf0f2c76ed44b52ecb9e7aeea808ccc42bf09f69",
    "mricron-data_1.2.20211006+dfsg-4_all.deb": "d40aa0ed66cf89bf6cafa049ad3884703c9d975c2ee2737525b7196528df9d6f",
}
ITK_DATA = "usr/share/doc/insighttoolkit5-examples/examples/Data"
ITK_SLICES = ["BrainProtonDensitySlice.png", "BrainT1Slice.png", "BrainMidSagittalSlice.png"]
CH2 = "usr/share/mricron/templates/ch2.nii.gz"
CH2_SLICE = 90  # axial index; MNI z = 90 - 71 = +19 mm (bodies of the lateral ventricles)
RG1 = "RG1_UNCR.dcm"  # in pydicom-data 1.0.0's data_store/data/
RG1_SHA256 = "946f28f48b9fbf360196a9b835c8fce83b0c654bf85a5107663c8a61df02e498"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def unpack_debs(debs_dir, work):
    """-> folder with both packages unpacked."""
    root = os.path.join(work, "root")
    os.makedirs(root, exist_ok=True)
    for deb, want in DEB_SHA256.items():
        path = os.path.join(debs_dir, deb) if debs_dir else None
        if path is None or not os.path.exists(path):
            pkg = deb.split("_")[0] + "=" + deb.split("_")[1]
            subprocess.run(["apt-get", "download", pkg], cwd=work, check=True)
            path = os.path.join(work, deb)
        got = sha256(path)
        if got != want:
            raise SystemExit(f"{deb}: sha256 {got}, expected {want}")
        subprocess.run(["dpkg-deb", "-x", path, root], check=True)
    return root


def read_nifti_u8(path):
    """ch2.nii.gz: NIfTI-1, 181x217x181 uint8, vox_offset 352, sform = identity + (-90, -125, -71)."""
    raw = gzip.open(path).read()
    dims = np.frombuffer(raw[40:56], dtype="<i2")
    datatype = int(np.frombuffer(raw[70:72], dtype="<i2")[0])
    offset = int(np.frombuffer(raw[108:112], dtype="<f4")[0])
    assert tuple(dims[:4]) == (3, 181, 217, 181) and datatype == 2 and offset == 352, (dims, datatype, offset)
    return np.frombuffer(raw[offset:], dtype=np.uint8).reshape(181, 217, 181)  # [k, j, i]


def file_meta(sop_class, sop_instance):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def make_ch2(root):
    vol = read_nifti_u8(os.path.join(root, CH2))
    # [j, i] with j posterior->anterior and i left->right (RAS); radiological display: anterior at the top,
    # the patient's right on the image's left -> flip both axes.
    img = np.ascontiguousarray(vol[CH2_SLICE][::-1, ::-1])
    Image.fromarray(img, mode="L").save(os.path.join(OUT, "ch2_axial.jpg"), quality=95)

    sop = generate_uid(entropy_srcs=["MedInfer ch2_axial"])
    ds = Dataset()
    ds.file_meta = file_meta(pydicom.uid.MRImageStorage, sop)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    ds.SOPClassUID = pydicom.uid.MRImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ""
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ""
    ds.AccessionNumber = ""
    ds.Modality = "MR"
    ds.Manufacturer = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "MRIcron ch2 template (T1, 1 mm, MNI space)"
    ds.SeriesDescription = f"ch2.nii.gz axial slice {CH2_SLICE} (z = +19 mm)"
    ds.PatientName = "ch2^template"
    ds.PatientID = "ch2"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.PatientIdentityRemoved = "YES"
    ds.BodyPartExamined = "BRAIN"
    ds.ScanningSequence = "GR"
    ds.SequenceVariant = "NONE"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "3D"
    ds.SliceThickness = "1"
    ds.EchoTime = ds.RepetitionTime = ""
    ds.EchoTrainLength = ""
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["MedInfer ch2 study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["MedInfer ch2 series"])
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ImagePositionPatient = [-90, -91, CH2_SLICE - 71]  # LPS of the top-left voxel (RAS x=+90, y=+91)
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=["MedInfer ch2 frame"])
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = img.shape
    ds.PixelSpacing = [1, 1]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = img.astype("<u2").tobytes()
    ds.save_as(os.path.join(OUT, "ch2_axial.dcm"), enforce_file_format=True)


def make_ct_head():
    src = pydicom.dcmread(os.path.join(PYDICOM_TEST_FILES, "J2K_pixelrep_mismatch.dcm"))
    hu = src.pixel_array.astype(np.float64)  # slope 1, intercept 0
    small = np.round(hu.reshape(256, 2, 256, 2).mean(axis=(1, 3))).astype(np.int16)

    sop = generate_uid(entropy_srcs=["MedInfer CT_head"])
    ds = Dataset()
    ds.file_meta = file_meta(pydicom.uid.CTImageStorage, sop)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    ds.SOPClassUID = pydicom.uid.CTImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ""
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ""
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.Manufacturer = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Head CT (pydicom test file J2K_pixelrep_mismatch.dcm)"
    ds.SeriesDescription = "2x2 mean, 256x256"
    ds.PatientName = "Anonymous^HeadCT"
    ds.PatientID = "pydicom-1149"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "MedInfer: technical attributes only, new UIDs"
    ds.BodyPartExamined = "HEAD"
    for key in ("SliceThickness", "KVP", "ConvolutionKernel", "PatientPosition", "ImageOrientationPatient",
                "ImagePositionPatient", "SliceLocation", "RescaleIntercept", "RescaleSlope"):
        if key in src:
            setattr(ds, key, src[key].value)
    # The centre of a new pixel is the mean of its 2x2 old centres: half an old pixel along both directions.
    iop, sp = [float(v) for v in src.ImageOrientationPatient], [float(v) for v in src.PixelSpacing]
    ds.ImagePositionPatient = [round(float(src.ImagePositionPatient[a]) + 0.5 * (sp[1] * iop[a] + sp[0] * iop[3 + a]), 4)
                               for a in range(3)]
    ds.RescaleType = "HU"
    ds.WindowCenter = [40, 40]
    ds.WindowWidth = [100, 200]
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["MedInfer CT_head study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["MedInfer CT_head series"])
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=["MedInfer CT_head frame"])
    ds.PositionReferenceIndicator = ""
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = small.shape
    ds.PixelSpacing = [round(float(v) * 2, 4) for v in src.PixelSpacing]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.PixelData = small.astype("<i2").tobytes()
    ds.save_as(os.path.join(OUT, "CT_head.dcm"), enforce_file_format=True)


def make_chest_cr():
    import data_store  # the pydicom-data package (MIT)

    path = os.path.join(os.path.dirname(data_store.__file__), "data", RG1)
    got = sha256(path)
    if got != RG1_SHA256:
        raise SystemExit(f"{path}: sha256 {got}, expected {RG1_SHA256}")
    src = pydicom.dcmread(path)
    assert (src.Modality, src.BodyPartExamined, src.PhotometricInterpretation) == ("CR", "CHEST", "MONOCHROME1")
    arr = src.pixel_array.astype(np.float64)  # 1955 x 1841, no rescale; the last 3 rows and 1 column dropped
    small = np.round(arr[:1952, :1840].reshape(488, 4, 460, 4).mean(axis=(1, 3))).astype(np.uint16)

    sop = generate_uid(entropy_srcs=["MedInfer CR_chest"])
    ds = Dataset()
    ds.file_meta = file_meta(pydicom.uid.ComputedRadiographyImageStorage, sop)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.SOPClassUID = pydicom.uid.ComputedRadiographyImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyDate = ds.ContentDate = ""
    ds.StudyTime = ds.ContentTime = ""
    ds.AccessionNumber = ""
    ds.Modality = "CR"
    ds.Manufacturer = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Chest CR (pydicom-data RG1_UNCR.dcm, NEMA WG04 sample RG1)"
    ds.SeriesDescription = "4x4 mean, 488x460"
    ds.PatientName = "Anonymous^ChestCR"
    ds.PatientID = "pydicom-data-RG1"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "MedInfer: technical attributes only, new UIDs"
    for key in ("BodyPartExamined", "ViewPosition", "PatientOrientation", "KVP", "ExposureTime", "Exposure",
                "DistanceSourceToDetector", "WindowCenter", "WindowWidth"):
        setattr(ds, key, src[key].value)
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["MedInfer CR_chest study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["MedInfer CR_chest series"])
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.Rows, ds.Columns = small.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 15  # a mean of 15-bit values stays within 15 bits
    ds.HighBit = 14
    ds.PixelRepresentation = 0
    ds.PixelData = small.astype("<u2").tobytes()
    ds.save_as(os.path.join(OUT, "CR_chest.dcm"), enforce_file_format=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debs", help="folder already holding the two .deb files")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = unpack_debs(args.debs, work)
        for name in ITK_SLICES:
            shutil.copyfile(os.path.join(root, ITK_DATA, name), os.path.join(OUT, name))
        make_ch2(root)
    shutil.copyfile(os.path.join(PYDICOM_TEST_FILES, "MR_small.dcm"), os.path.join(OUT, "MR_small.dcm"))
    make_ct_head()
    make_chest_cr()
    for name in ITK_SLICES + ["ch2_axial.jpg", "ch2_axial.dcm", "MR_small.dcm", "CT_head.dcm", "CR_chest.dcm"]:
        p = os.path.join(OUT, name)
        print(f"{name}: {os.path.getsize(p)} bytes, sha256 {sha256(p)}")


if __name__ == "__main__":
    main()
