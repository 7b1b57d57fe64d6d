/// A DICOM attribute tag: (group, element).
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// The tag as one 32-bit number, group in the high half.
    public var value: UInt32 { UInt32(group) << 16 | UInt32(element) }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.value < rhs.value }

    /// `(0028,0010)`
    public var description: String {
        "(" + hex4(group) + "," + hex4(element) + ")"
    }

    public var isPrivate: Bool { group & 1 == 1 }
    public var isGroupLength: Bool { element == 0 }
}

func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

extension Tag {
    // Item and delimitation tags (PS3.5 7.5).
    public static let item = Tag(0xFFFE, 0xE000)
    public static let itemDelimitation = Tag(0xFFFE, 0xE00D)
    public static let sequenceDelimitation = Tag(0xFFFE, 0xE0DD)

    // File meta.
    public static let fileMetaInformationGroupLength = Tag(0x0002, 0x0000)
    public static let mediaStorageSOPClassUID = Tag(0x0002, 0x0002)
    public static let mediaStorageSOPInstanceUID = Tag(0x0002, 0x0003)
    public static let transferSyntaxUID = Tag(0x0002, 0x0010)

    // Patient / study / series / instance.
    public static let specificCharacterSet = Tag(0x0008, 0x0005)
    public static let sopClassUID = Tag(0x0008, 0x0016)
    public static let sopInstanceUID = Tag(0x0008, 0x0018)
    public static let modality = Tag(0x0008, 0x0060)
    public static let patientName = Tag(0x0010, 0x0010)
    public static let patientID = Tag(0x0010, 0x0020)
    public static let bodyPartExamined = Tag(0x0018, 0x0015)
    public static let studyInstanceUID = Tag(0x0020, 0x000D)
    public static let seriesInstanceUID = Tag(0x0020, 0x000E)

    // Image pixel module.
    public static let samplesPerPixel = Tag(0x0028, 0x0002)
    public static let photometricInterpretation = Tag(0x0028, 0x0004)
    public static let planarConfiguration = Tag(0x0028, 0x0006)
    public static let numberOfFrames = Tag(0x0028, 0x0008)
    public static let rows = Tag(0x0028, 0x0010)
    public static let columns = Tag(0x0028, 0x0011)
    public static let bitsAllocated = Tag(0x0028, 0x0100)
    public static let bitsStored = Tag(0x0028, 0x0101)
    public static let highBit = Tag(0x0028, 0x0102)
    public static let pixelRepresentation = Tag(0x0028, 0x0103)
    public static let windowCenter = Tag(0x0028, 0x1050)
    public static let windowWidth = Tag(0x0028, 0x1051)
    public static let rescaleIntercept = Tag(0x0028, 0x1052)
    public static let rescaleSlope = Tag(0x0028, 0x1053)
    public static let rescaleType = Tag(0x0028, 0x1054)
    public static let voiLUTFunction = Tag(0x0028, 0x1056)
    public static let redPaletteColorLookupTableDescriptor = Tag(0x0028, 0x1101)
    public static let greenPaletteColorLookupTableDescriptor = Tag(0x0028, 0x1102)
    public static let bluePaletteColorLookupTableDescriptor = Tag(0x0028, 0x1103)
    public static let redPaletteColorLookupTableData = Tag(0x0028, 0x1201)
    public static let greenPaletteColorLookupTableData = Tag(0x0028, 0x1202)
    public static let bluePaletteColorLookupTableData = Tag(0x0028, 0x1203)
    public static let segmentedRedPaletteColorLookupTableData = Tag(0x0028, 0x1221)
    public static let segmentedGreenPaletteColorLookupTableData = Tag(0x0028, 0x1222)
    public static let segmentedBluePaletteColorLookupTableData = Tag(0x0028, 0x1223)
    public static let modalityLUTSequence = Tag(0x0028, 0x3000)
    public static let lutDescriptor = Tag(0x0028, 0x3002)
    public static let lutExplanation = Tag(0x0028, 0x3003)
    public static let modalityLUTType = Tag(0x0028, 0x3004)
    public static let lutData = Tag(0x0028, 0x3006)
    public static let voiLUTSequence = Tag(0x0028, 0x3010)
    public static let presentationLUTShape = Tag(0x2050, 0x0020)
    public static let sharedFunctionalGroupsSequence = Tag(0x5200, 0x9229)
    public static let perFrameFunctionalGroupsSequence = Tag(0x5200, 0x9230)
    public static let pixelValueTransformationSequence = Tag(0x0028, 0x9145)
    public static let frameVOILUTSequence = Tag(0x0028, 0x9132)
    public static let pixelData = Tag(0x7FE0, 0x0010)
    public static let floatPixelData = Tag(0x7FE0, 0x0008)
    public static let doubleFloatPixelData = Tag(0x7FE0, 0x0009)
}
