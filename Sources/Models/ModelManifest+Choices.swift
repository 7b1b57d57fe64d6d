extension ModelManifest {
    /// What the modality guard does with an image whose DICOM Modality is not among the input's
    /// `modalities` (docs/ARCHITECTURE.md §3.3; Models/README.md).
    public enum ModalityPolicy: String, Sendable, CaseIterable {
        /// Analyse it, with a warning in the report.
        case warn
        /// Refuse it. An image without a Modality (PNG, JPEG, DICOM lacking the attribute) is refused too:
        /// nothing shows it is of an accepted kind, and a strict model is one that answers confidently on
        /// the wrong kind of image.
        case strict
    }

    /// Which frame of a multi-frame image is analysed (`preprocessing.frame`: an index or `"middle"`).
    public enum Frame: Sendable, Equatable {
        /// 0-based; an image with fewer frames is refused.
        case index(Int)
        /// Frame `count / 2` (the upper of the two middle frames when the count is even, as `a[len(a) // 2]`).
        case middle
    }

    /// Display values in [0, 1] -> integers (`preprocessing.quantize`), as Pillow-based code does by
    /// working on 8-bit images. Only 8 bits, round half up, is implemented.
    public struct Quantize: Sendable, Equatable {
        public enum Rounding: String, Sendable, CaseIterable {
            /// floor(v * (2^bits - 1) + 0.5)
            case halfUp
        }

        public var bits: Int
        public var rounding: Rounding
    }
}
