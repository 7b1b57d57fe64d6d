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
        relationship = ds.string(.relationshipType)
        valueType = ds.string(.valueType) ?? ""
        concept = CodedConcept(sequence: ds.sequence(.conceptNameCodeSequence))
        attributes = ds
        children = (ds.sequence(.contentSequence) ?? []).map(SRNode.init)
    }

    /// Children with this concept meaning.
    func all(_ meaning: String) -> [SRNode] { children.filter { $0.concept?.meaning == meaning } }
    func first(_ meaning: String) -> SRNode? { all(meaning).first }

    var text: String? { attributes.string(.textValue) }
    var uid: String? { attributes.string(.uid) }
    var code: CodedConcept? { CodedConcept(sequence: attributes.sequence(.conceptCodeSequence)) }
    var number: Double? { attributes.sequence(.measuredValueSequence)?.first?.double(.floatingPointValue) }
    var numberText: String? { attributes.sequence(.measuredValueSequence)?.first?.string(.numericValue) }
    var unit: CodedConcept? {
        CodedConcept(sequence: attributes.sequence(.measuredValueSequence)?.first?.sequence(.measurementUnitsCodeSequence))
    }
    var referencedInstance: (sopClass: String?, sopInstance: String?)? {
        guard let ref = attributes.sequence(.referencedSOPSequence)?.first else { return nil }
        return (ref.string(.referencedSOPClassUID), ref.string(.referencedSOPInstanceUID))
    }
}
