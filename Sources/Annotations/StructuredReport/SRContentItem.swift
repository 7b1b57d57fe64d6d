import DICOM

/// One node of an SR content tree (PS3.3 C.17.3): a concept name, a typed value, and the items it
/// relates to. Only the value types the report uses are modelled.
struct SRContentItem: Sendable {
    enum Relationship: String, Sendable {
        case contains = "CONTAINS"
        case hasObsContext = "HAS OBS CONTEXT"
        case hasConceptMod = "HAS CONCEPT MOD"
        case hasProperties = "HAS PROPERTIES"
    }

    enum Value: Sendable {
        case container
        case text(String)
        case code(CodedConcept)
        /// The number is written as DS (at most 16 characters) and, unrounded, as FD in Floating
        /// Point Value (0040,A161), so a reader gets back exactly the value we had.
        case num(Double, unit: CodedConcept)
        case uidref(String)
        /// A reference to a DICOM image: SOP Class and Instance UIDs.
        case image(sopClassUID: String, sopInstanceUID: String)

        var valueType: String {
            switch self {
            case .container: return "CONTAINER"
            case .text: return "TEXT"
            case .code: return "CODE"
            case .num: return "NUM"
            case .uidref: return "UIDREF"
            case .image: return "IMAGE"
            }
        }
    }

    /// Nil only for the root.
    var relationship: Relationship?
    /// Optional only for IMAGE items.
    var concept: CodedConcept?
    var value: Value
    var children: [SRContentItem]

    init(_ relationship: Relationship?, _ concept: CodedConcept?, _ value: Value, children: [SRContentItem] = []) {
        self.relationship = relationship
        self.concept = concept
        self.value = value
        self.children = children
    }

    static func container(_ relationship: Relationship?, _ concept: CodedConcept, _ children: [SRContentItem]) -> SRContentItem {
        SRContentItem(relationship, concept, .container, children: children)
    }

    /// The attributes of this item (for the root: those of the SR Document Content module).
    func attributes() throws(SRError) -> DataSet {
        var ds = DataSet()
        if let relationship { ds.set(SRTag.relationshipType, .CS, relationship.rawValue) }
        ds.set(SRTag.valueType, .CS, value.valueType)
        if let concept { ds.set(SRTag.conceptNameCodeSequence, items: [concept.item]) }
        switch value {
        case .container:
            // Each child is its own statement; nothing is meant to be read as running text.
            ds.set(SRTag.continuityOfContent, .CS, "SEPARATE")
        case .text(let t):
            ds.set(SRTag.textValue, .UT, t)
        case .code(let c):
            ds.set(SRTag.conceptCodeSequence, items: [c.item])
        case .num(let v, let unit):
            guard let text = DecimalString.format(v) else { throw .notANumber(concept?.meaning ?? "NUM", v) }
            var measured = DataSet()
            measured.set(SRTag.numericValue, .DS, text)
            do { try measured.set(SRTag.floatingPointValue, .FD, floats: [v]) } catch { throw .encoding(error) }
            measured.set(SRTag.measurementUnitsCodeSequence, items: [unit.item])
            ds.set(SRTag.measuredValueSequence, items: [measured])
        case .uidref(let u):
            ds.set(SRTag.uid, .UI, u)
        case let .image(sopClass, sopInstance):
            var ref = DataSet()
            ref.set(SRTag.referencedSOPClassUID, .UI, sopClass)
            ref.set(SRTag.referencedSOPInstanceUID, .UI, sopInstance)
            ds.set(SRTag.referencedSOPSequence, items: [ref])
        }
        if !children.isEmpty {
            var items: [DataSet] = []
            for child in children { items.append(try child.attributes()) }
            ds.set(SRTag.contentSequence, items: items)
        }
        return ds
    }
}
