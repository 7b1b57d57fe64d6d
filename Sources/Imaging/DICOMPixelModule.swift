internal import DICOM

/// The Image Pixel module attributes that decide how stored bytes become samples, validated.
struct DICOMPixelModule {
    var rows: Int
    var columns: Int
    var samplesPerPixel: Int
    /// Upper-cased, padding trimmed: MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR, ...
    var photometric: String
    var bitsAllocated: Int
    var bitsStored: Int
    var isSigned: Bool
    var planarConfiguration: Int
    var numberOfFrames: Int

    var samplesPerFrame: Int { rows * columns * samplesPerPixel }
    var isMonochrome: Bool { photometric == "MONOCHROME1" || photometric == "MONOCHROME2" }

    init(_ ds: DataSet, limits: DecodeLimits) throws(ImagingError) {
        func required(_ tag: Tag, _ name: String) throws(ImagingError) -> Int {
            guard let v = ds.int(tag) else { throw .invalidPixelModule(tag: tag, reason: "\(name) is missing") }
            return v
        }
        rows = try required(.rows, "Rows")
        columns = try required(.columns, "Columns")
        guard rows > 0, columns > 0 else {
            throw .invalidPixelModule(tag: .rows, reason: "Rows × Columns is \(rows) × \(columns)")
        }
        samplesPerPixel = ds.int(.samplesPerPixel) ?? 1
        guard samplesPerPixel == 1 || samplesPerPixel == 3 else {
            throw .invalidPixelModule(tag: .samplesPerPixel, reason: "Samples per Pixel \(samplesPerPixel) (1 or 3 supported)")
        }
        guard let pi = ds.string(.photometricInterpretation), !pi.isEmpty else {
            throw .invalidPixelModule(tag: .photometricInterpretation, reason: "Photometric Interpretation is missing")
        }
        photometric = pi.uppercased()
        bitsAllocated = try required(.bitsAllocated, "Bits Allocated")
        guard [1, 8, 16, 32].contains(bitsAllocated) else {
            throw .invalidPixelModule(tag: .bitsAllocated, reason: "Bits Allocated \(bitsAllocated) (1, 8, 16 or 32 supported)")
        }
        bitsStored = ds.int(.bitsStored) ?? bitsAllocated
        guard bitsStored >= 1, bitsStored <= bitsAllocated else {
            throw .invalidPixelModule(tag: .bitsStored, reason: "Bits Stored \(bitsStored) with Bits Allocated \(bitsAllocated)")
        }
        let pr = ds.int(.pixelRepresentation) ?? 0
        guard pr == 0 || pr == 1 else {
            throw .invalidPixelModule(tag: .pixelRepresentation, reason: "Pixel Representation \(pr)")
        }
        isSigned = pr == 1 && bitsAllocated > 1
        if isSigned && bitsAllocated == 8 {
            throw .unsupported(format: .dicom, what: "signed 8-bit pixel data")
        }
        planarConfiguration = ds.int(.planarConfiguration) ?? 0
        if ds.contains(.numberOfFrames), let text = ds.string(.numberOfFrames), !text.isEmpty {
            guard let n = Int(text), n >= 1 else {
                throw .invalidPixelModule(tag: .numberOfFrames, reason: "Number of Frames '\(text)' is not a positive integer")
            }
            numberOfFrames = n
        } else {
            numberOfFrames = 1
        }
        let colourKinds = ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420"]
        if samplesPerPixel == 3 && !colourKinds.contains(photometric) {
            throw .invalidPixelModule(tag: .photometricInterpretation,
                                      reason: "\(photometric) with 3 samples per pixel")
        }
        if samplesPerPixel == 1 && !["MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"].contains(photometric) {
            throw .invalidPixelModule(tag: .photometricInterpretation,
                                      reason: "\(photometric) with 1 sample per pixel")
        }
        try limits.check(rows: rows, columns: columns, frames: numberOfFrames)
    }
}
