import DICOM

/// The attributes the SR writer sets (PS3.6 keywords), beside the ones `DICOM` already names as
/// `Tag` members. A namespace of its own rather than a `Tag` extension, so that the DICOM module can
/// add members of the same names later without making these uses ambiguous.
enum SRTag {
    // Patient and General Study modules.
    static let patientBirthDate = Tag(0x0010, 0x0030)
    static let patientSex = Tag(0x0010, 0x0040)
    static let studyDate = Tag(0x0008, 0x0020)
    static let studyTime = Tag(0x0008, 0x0030)
    static let accessionNumber = Tag(0x0008, 0x0050)
    static let referringPhysicianName = Tag(0x0008, 0x0090)
    static let studyID = Tag(0x0020, 0x0010)

    // SR Document Series, General Equipment, SOP Common.
    static let seriesDate = Tag(0x0008, 0x0021)
    static let seriesTime = Tag(0x0008, 0x0031)
    static let seriesDescription = Tag(0x0008, 0x103E)
    static let seriesNumber = Tag(0x0020, 0x0011)
    static let referencedPerformedProcedureStepSequence = Tag(0x0008, 0x1111)
    static let manufacturer = Tag(0x0008, 0x0070)
    static let manufacturerModelName = Tag(0x0008, 0x1090)
    static let softwareVersions = Tag(0x0018, 0x1020)
    static let deviceUID = Tag(0x0018, 0x1002)
    static let instanceCreationDate = Tag(0x0008, 0x0012)
    static let instanceCreationTime = Tag(0x0008, 0x0013)
    static let timezoneOffsetFromUTC = Tag(0x0008, 0x0201)
    static let codingSchemeIdentificationSequence = Tag(0x0008, 0x0110)
    static let codingSchemeName = Tag(0x0008, 0x0115)
    static let codingSchemeResponsibleOrganization = Tag(0x0008, 0x0116)
    static let contributingEquipmentSequence = Tag(0x0018, 0xA001)
    static let contributionDateTime = Tag(0x0018, 0xA002)
    static let contributionDescription = Tag(0x0018, 0xA003)
    static let purposeOfReferenceCodeSequence = Tag(0x0040, 0xA170)

    // SR Document General.
    static let instanceNumber = Tag(0x0020, 0x0013)
    static let contentDate = Tag(0x0008, 0x0023)
    static let contentTime = Tag(0x0008, 0x0033)
    static let completionFlag = Tag(0x0040, 0xA491)
    static let verificationFlag = Tag(0x0040, 0xA493)
    static let performedProcedureCodeSequence = Tag(0x0040, 0xA372)
    static let currentRequestedProcedureEvidenceSequence = Tag(0x0040, 0xA375)
    static let referencedSeriesSequence = Tag(0x0008, 0x1115)
    static let referencedSOPSequence = Tag(0x0008, 0x1199)
    static let referencedSOPClassUID = Tag(0x0008, 0x1150)
    static let referencedSOPInstanceUID = Tag(0x0008, 0x1155)

    // SR Document Content and code sequence macro.
    static let relationshipType = Tag(0x0040, 0xA010)
    static let valueType = Tag(0x0040, 0xA040)
    static let conceptNameCodeSequence = Tag(0x0040, 0xA043)
    static let continuityOfContent = Tag(0x0040, 0xA050)
    static let contentSequence = Tag(0x0040, 0xA730)
    static let contentTemplateSequence = Tag(0x0040, 0xA504)
    static let mappingResource = Tag(0x0008, 0x0105)
    static let mappingResourceUID = Tag(0x0008, 0x0118)
    static let templateIdentifier = Tag(0x0040, 0xDB00)
    static let textValue = Tag(0x0040, 0xA160)
    static let conceptCodeSequence = Tag(0x0040, 0xA168)
    static let measuredValueSequence = Tag(0x0040, 0xA300)
    static let numericValue = Tag(0x0040, 0xA30A)
    static let floatingPointValue = Tag(0x0040, 0xA161)
    static let measurementUnitsCodeSequence = Tag(0x0040, 0x08EA)
    static let uid = Tag(0x0040, 0xA124)
    static let codeValue = Tag(0x0008, 0x0100)
    static let codingSchemeDesignator = Tag(0x0008, 0x0102)
    static let codeMeaning = Tag(0x0008, 0x0104)
}
