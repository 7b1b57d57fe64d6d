/// The stages of the pixel pipeline a caller can ask for.
public enum PixelStage: String, Sendable, CaseIterable {
    /// Stored sample values (palette applied, YBR converted to RGB).
    case stored
    /// After the Modality LUT (rescale slope/intercept or LUT), as Float.
    case modality
    /// After VOI (window or VOI LUT) and presentation (MONOCHROME1 / INVERSE), Float in [0, 1], 1 = brightest.
    case display
}

extension DecodedImage {
    /// STUB
    public func modalityFrame(_ index: Int) throws(ImagingError) -> [Float] {
        let stored = try storedFrame(index)
        return stored.doubles(0..<stored.count).map { Float($0) }
    }

    /// STUB
    public func displayFrame(_ index: Int, windowIndex: Int = 0) throws(ImagingError) -> [Float] {
        try modalityFrame(index)
    }
}
