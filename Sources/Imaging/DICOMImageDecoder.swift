public import Foundation
public import DICOM

/// DICOM Part 10 (or a bare data set) -> stored pixels of every frame, as pydicom's `pixel_array` gives them:
/// YBR converted to RGB, PALETTE COLOR looked up, unused high bits corrected.
public struct DICOMImageDecoder: ImageDecoder {
    public init() {}
    public var format: ImageFormat { .dicom }

    public func matches(_ header: Data) -> Bool { DICOMParser.looksLikeDICOM(header) }

    public func decode(_ data: Data, limits: DecodeLimits) throws(ImagingError) -> DecodedImage {
        let file: DICOMFile
        do {
            file = try DICOMParser.parse(data, limits: limits.parse)
        } catch {
            throw .dicom(error)
        }
        return try decode(file, limits: limits)
    }

    /// Decodes the pixels of an already parsed file.
    public func decode(_ file: DICOMFile, limits: DecodeLimits = .default) throws(ImagingError) -> DecodedImage {
        let ds = file.dataSet
        guard let element = ds[.pixelData] else {
            if ds.contains(.floatPixelData) || ds.contains(.doubleFloatPixelData) {
                throw .unsupported(format: .dicom, what: "Float Pixel Data")
            }
            throw .invalidPixelModule(tag: .pixelData, reason: "the data set has no Pixel Data")
        }
        var module = try DICOMPixelModule(ds, limits: limits)
        let ts = file.transferSyntax
        var pixels: PixelBuffer
        switch element.value {
        case .bytes(let bytes):
            pixels = try decodeNative(bytes, vr: element.vr, module: &module, littleEndian: ts.isLittleEndian)
        case .encapsulated(let encapsulated):
            guard TransferSyntax.decodable.contains(ts.uid) else {
                throw .unsupported(format: .dicom, what: "transfer syntax \(ts.name) (\(ts.uid))")
            }
            let frames: [Data]
            do {
                frames = try encapsulated.frames(count: module.numberOfFrames)
            } catch {
                throw .dicom(error)
            }
            pixels = try decodeEncapsulated(frames, syntax: ts, module: &module)
        case .sequence:
            throw .invalidPixelModule(tag: .pixelData, reason: "Pixel Data is a sequence")
        }
        var bitsStored = module.bitsStored
        if module.photometric == "PALETTE COLOR" {
            (pixels, bitsStored) = try PaletteColor(ds, signedInput: module.isSigned).apply(pixels)
            module.samplesPerPixel = 3
        }
        return DecodedImage(
            format: .dicom, rows: module.rows, columns: module.columns, samplesPerPixel: module.samplesPerPixel,
            numberOfFrames: module.numberOfFrames, bitsStored: bitsStored, isSigned: module.isSigned,
            pixels: pixels, photometricInterpretation: module.photometric, dicom: file,
            sourceFacts: [("format", "DICOM"), ("transfer syntax", ts.description)])
    }

    // MARK: Native (uncompressed) pixel data

    private func decodeNative(_ data: Data, vr: VR, module m: inout DICOMPixelModule, littleEndian: Bool)
        throws(ImagingError) -> PixelBuffer
    {
        let frames = m.numberOfFrames
        if m.bitsAllocated == 1 {
            let total = m.samplesPerFrame * frames
            guard data.count * 8 >= total else { throw .pixelDataTooShort(needed: (total + 7) / 8, available: data.count) }
            return .uint8(data.withUnsafeBytes { DICOMSamples.unpackBits($0, bitOffset: 0, count: total) })
        }
        let bytesPerSample = m.bitsAllocated / 8
        if m.photometric == "YBR_FULL_422" && m.bitsAllocated == 8 {
            // Two luminance samples share one Cb and one Cr: 2 bytes per pixel.
            let perFrame = m.rows * m.columns * 2
            guard data.count >= perFrame * frames else {
                throw .pixelDataTooShort(needed: perFrame * frames, available: data.count)
            }
            var out: [UInt8] = []
            out.reserveCapacity(m.samplesPerFrame * frames)
            let bytes = [UInt8](data.prefix(perFrame * frames))
            for f in 0..<frames {
                var frame = ColorConversion.expand422(Array(bytes[(f * perFrame)..<((f + 1) * perFrame)]), pixels: m.rows * m.columns)
                ColorConversion.ybrFullToRGB(&frame)
                out += frame
            }
            return .uint8(out)
        }
        let needed = m.samplesPerFrame * frames * bytesPerSample
        guard data.count >= needed else { throw .pixelDataTooShort(needed: needed, available: data.count) }
        var pixels: PixelBuffer
        if !littleEndian && !(vr == .OW && bytesPerSample <= 2) {
            // The parser swaps OW as 16-bit words; other widths and OB need their own swap.
            var bytes = [UInt8](data.prefix(needed))
            if vr == .OW && bytesPerSample == 4 {
                DICOMSamples.swapHalves(&bytes)
            } else {
                DICOMSamples.swapBytes(&bytes, width: bytesPerSample)
            }
            pixels = bytes.withUnsafeBytes {
                DICOMSamples.buffer($0, count: needed / bytesPerSample, bitsAllocated: m.bitsAllocated,
                                    bitsStored: m.bitsStored, signed: m.isSigned, correctUnusedBits: true)
            }
        } else {
            pixels = data.withUnsafeBytes {
                DICOMSamples.buffer($0, count: needed / bytesPerSample, bitsAllocated: m.bitsAllocated,
                                    bitsStored: m.bitsStored, signed: m.isSigned, correctUnusedBits: true)
            }
        }
        if m.samplesPerPixel == 3 && m.planarConfiguration == 1 {
            pixels = pixels.interleavingPlanes(frames: frames, pixelsPerFrame: m.rows * m.columns)
        }
        if m.photometric == "YBR_FULL", case .uint8(var a) = pixels {
            ColorConversion.ybrFullToRGB(&a)
            pixels = .uint8(a)
        }
        return pixels
    }

    // MARK: Encapsulated (compressed) pixel data

    private func decodeEncapsulated(_ frames: [Data], syntax: TransferSyntax, module m: inout DICOMPixelModule)
        throws(ImagingError) -> PixelBuffer
    {
        guard m.bitsAllocated >= 8 else {
            throw .unsupported(format: .dicom, what: "\(m.bitsAllocated)-bit data in \(syntax.name)")
        }
        let bytesPerSample = m.bitsAllocated / 8
        let pixelsPerFrame = m.rows * m.columns
        var bytes: [UInt8] = []
        bytes.reserveCapacity(m.samplesPerFrame * m.numberOfFrames * bytesPerSample)
        var j2kSigned: Bool?
        var convertYBR = syntax == .rleLossless && m.photometric == "YBR_FULL"
        var j2kPrecision = m.bitsStored
        var j2kSamples: [Int32] = []
        for (index, frame) in frames.enumerated() {
            switch syntax {
            case .rleLossless:
                bytes += try RLEDecoder.decodeFrame(frame, pixelCount: pixelsPerFrame, samplesPerPixel: m.samplesPerPixel,
                                                    bytesPerSample: bytesPerSample, frame: index)
            case .jpegBaseline8Bit:
                let decoded: (pixels: [UInt8], width: Int, height: Int, channels: Int)
                // As pydicom (through Pillow): without an Adobe APP14 segment the components come out as
                // stored, and a YBR photometric interpretation is converted to RGB below.
                let adobe = JPEGMarkers(frame).hasAdobe
                do {
                    decoded = try decodeJPEGFrame(frame, colorTransform: adobe)
                } catch {
                    throw .frameDecodeFailed(frame: index, reason: error.description)
                }
                try check(index, decoded.width, decoded.height, decoded.channels, m)
                if !adobe && decoded.channels == 3 && m.photometric.hasPrefix("YBR_FULL") { convertYBR = true }
                if bytesPerSample == 1 {
                    bytes += decoded.pixels
                } else {
                    for v in decoded.pixels { bytes += [v] + [UInt8](repeating: 0, count: bytesPerSample - 1) }
                }
            default:  // JPEG 2000
                let decoded: (samples: [Int32], width: Int, height: Int, components: Int, precision: Int, isSigned: Bool)
                do {
                    decoded = try decodeJPEG2000Frame(frame, maxSamples: m.samplesPerFrame)
                } catch {
                    throw .frameDecodeFailed(frame: index, reason: error.description)
                }
                try check(index, decoded.width, decoded.height, decoded.components, m)
                j2kSigned = decoded.isSigned
                j2kPrecision = decoded.precision
                j2kSamples += decoded.samples
            }
        }
        var pixels: PixelBuffer
        if let j2kSigned {
            // pydicom's J2K sign correction applies when the codestream's signedness disagrees with
            // Pixel Representation (grayscale only); otherwise samples are only narrowed to the stored type.
            let correct = m.isMonochrome && j2kSigned != m.isSigned && j2kPrecision < m.bitsAllocated
            pixels = DICOMSamples.buffer(narrowing: j2kSamples, bitsAllocated: m.bitsAllocated,
                                         shift: correct ? m.bitsAllocated - j2kPrecision : 0, signed: m.isSigned)
        } else {
            pixels = bytes.withUnsafeBytes {
                DICOMSamples.buffer($0, count: bytes.count / bytesPerSample, bitsAllocated: m.bitsAllocated,
                                    bitsStored: m.bitsStored, signed: m.isSigned, correctUnusedBits: true)
            }
        }
        if convertYBR, case .uint8(var a) = pixels {
            ColorConversion.ybrFullToRGB(&a)
            pixels = .uint8(a)
        }
        return pixels
    }

    private func check(_ frame: Int, _ width: Int, _ height: Int, _ components: Int, _ m: DICOMPixelModule)
        throws(ImagingError)
    {
        guard width == m.columns, height == m.rows, components == m.samplesPerPixel else {
            throw .frameDecodeFailed(
                frame: frame,
                reason: "codestream is \(width)×\(height)×\(components), the data set says \(m.columns)×\(m.rows)×\(m.samplesPerPixel)")
        }
    }
}
