@testable import Annotations
import DICOM

/// A content tree read back from a parsed SR, for the round-trip checks.
struct SRNode {
    var relationship: String?
    var valueType: String
    var concept: CodedConcept?
    var attributes: DataSet
    var children: [SRNode]

    init(_ ds: DataSet) {
        relationship = ds.string(SRTag.relationshipType)
        valueType = ds.string(SRTag.valueType) ?? ""
        concept = CodedConcept(sequence: ds.sequence(SRTag.conceptNameCodeSequence))
        attributes = ds
        children = (ds.sequence(SRTag.contentSequence) ?? []).map(SRNode.init)
    }

    /// Children with this concept meaning.
    func all(_ meaning: String) -> [SRNode] { children.filter { $0.concept?.meaning == meaning } }
    func first(_ meaning: String) -> SRNode? { all(meaning).first }

    var text: String? { attributes.string(SRTag.textValue) }
    var uid: String? { attributes.string(SRTag.uid) }
    var code: CodedConcept? { CodedConcept(sequence: attributes.sequence(SRTag.conceptCodeSequence)) }
    var number: Double? { attributes.sequence(SRTag.measuredValueSequence)?.first?.double(SRTag.floatingPointValue) }
    var numberText: String? { attributes.sequence(SRTag.measuredValueSequence)?.first?.string(SRTag.numericValue) }
    var unit: CodedConcept? {
        CodedConcept(sequence: attributes.sequence(SRTag.measuredValueSequence)?.first?.sequence(SRTag.measurementUnitsCodeSequence))
    }
    var referencedInstance: (sopClass: String?, sopInstance: String?)? {
        guard let ref = attributes.sequence(SRTag.referencedSOPSequence)?.first else { return nil }
        return (ref.string(SRTag.referencedSOPClassUID), ref.string(SRTag.referencedSOPInstanceUID))
    }
}
