import Core
import DICOM
import Foundation

/// The content tree, TID 1500 "Imaging Measurement Report":
///
/// ```
/// CONTAINER (126000, DCM, "Imaging Measurement Report")
///   HAS CONCEPT MOD  CODE    Language = en-US
///   HAS OBS CONTEXT  CODE    Observer Type = Device; UIDREF Device Observer UID (of the weights);
///                    TEXT    Device Observer Name / Manufacturer / Model Name        (TID 1002, 1004)
///   HAS CONCEPT MOD  CODE    Procedure reported = Imaging procedure
///   CONTAINS         CONTAINER Image Library > Image Library Group > IMAGE ...   (DICOM sources only)
///   CONTAINS         CONTAINER Imaging Measurements
///     CONTAINS       CONTAINER Measurement Group                        (one per image, TID 1501)
///       HAS OBS CONTEXT TEXT Tracking Identifier, UIDREF Tracking Unique Identifier     (TID 4108)
///       HAS CONCEPT MOD TEXT Algorithm Name > Algorithm Version, Algorithm Parameters   (TID 4019)
///       CONTAINS     IMAGE   Source                                     (DICOM sources only)
///       CONTAINS     CODE    <label, 99MEDINFER> = Yes | No             (qualitative evaluation)
///         HAS PROPERTIES NUM Probability, NUM Decision threshold        ({probability})
///       CONTAINS     TEXT    Analysis warning                           (one per warning)
///   CONTAINS         TEXT    Comment = "... decision aid, not a diagnosis ..."
/// ```
///
/// A finding is "Yes" when its probability reached the model's threshold for that label (the
/// report's `positive`); the probability and threshold are given so a reader can judge for itself.
extension StructuredReportWriter {
    /// The text item every document carries (docs/ARCHITECTURE.md §3.4: each output format says so).
    public static let disclaimerText = "Results of an AI algorithm: a \(Report.disclaimer). "
        + "Not verified by a physician; the findings must be confirmed by a qualified reader."

    func content(_ inputs: [Input], model: ModelRef, device: String) throws(SRError) -> SRContentItem {
        var children: [SRContentItem] = [
            SRContentItem(.hasConceptMod, .languageOfContent, .code(.english)),
            SRContentItem(.hasObsContext, .observerType, .code(.device)),
            SRContentItem(.hasObsContext, .deviceObserverUID, .uidref(device)),
            SRContentItem(.hasObsContext, .deviceObserverName, .text(model.name)),
            SRContentItem(.hasObsContext, .deviceObserverManufacturer, .text(Self.manufacturer)),
            SRContentItem(.hasObsContext, .deviceObserverModelName, .text("\(model.name) \(model.version)")),
            SRContentItem(.hasConceptMod, .procedureReported, .code(.imagingProcedure)),
        ]
        let images = inputs.compactMap { Self.sourceInstance($0.source) }
        if !images.isEmpty {
            var seen = Set<SourceInstance>()
            let entries = images.filter { seen.insert($0).inserted }.map(Self.imageItem)
            children.append(.container(.contains, .imageLibrary, [.container(.contains, .imageLibraryGroup, entries)]))
        }
        var groups: [SRContentItem] = []
        for input in inputs { groups.append(try measurementGroup(input)) }
        children.append(.container(.contains, .imagingMeasurements, groups))
        children.append(SRContentItem(.contains, .comment, .text(Self.disclaimerText)))
        return .container(nil, .imagingMeasurementReport, children)
    }

    static func imageItem(_ i: SourceInstance) -> SRContentItem {
        SRContentItem(.contains, nil, .image(sopClassUID: i.sopClass, sopInstanceUID: i.sopInstance))
    }

    /// One image's measurement group.
    func measurementGroup(_ input: Input) throws(SRError) -> SRContentItem {
        let r = input.report
        var identifier = "image \(r.image)"
        if let path = r.source.path { identifier += " (\((path as NSString).lastPathComponent))" }
        var children: [SRContentItem] = [
            SRContentItem(.hasObsContext, .trackingIdentifier, .text(identifier)),
            SRContentItem(.hasObsContext, .trackingUID, .uidref(uids.make())),
            SRContentItem(.hasConceptMod, .algorithmName, .text(r.model.name), children:
                [SRContentItem(.hasConceptMod, .algorithmVersion, .text(String(r.model.version)))]
                + Self.parameters(r).map { SRContentItem(.hasConceptMod, .algorithmParameters, .text($0)) }),
        ]
        if let instance = Self.sourceInstance(input.source) {
            var item = Self.imageItem(instance)
            item.concept = .source
            children.append(item)
        }
        for f in r.findings {
            for v in [f.probability, f.threshold] where !v.isFinite { throw .notANumber("\(f.label) probability or threshold", v) }
            children.append(SRContentItem(.contains, .label(f.label), .code(f.positive ? .yes : .no), children: [
                SRContentItem(.hasProperties, .probability, .num(f.probability, unit: .probabilityUnit)),
                SRContentItem(.hasProperties, .decisionThreshold, .num(f.threshold, unit: .probabilityUnit)),
            ]))
        }
        children += r.warnings.map { SRContentItem(.contains, .analysisWarning, .text($0)) }
        return .container(.contains, .measurementGroup, children)
    }

    /// TID 4019 Algorithm Parameters: what a reader needs to reproduce the result.
    static func parameters(_ r: Report) -> [String] {
        var out = ["weights sha256 \(r.model.sha256)"]
        if let w = r.preprocessing.window, w.count == 2 { out.append("window center \(w[0]) width \(w[1])") }
        if let resize = r.preprocessing.resize { out.append("resize \(resize)") }
        out.append("normalize \(r.preprocessing.normalize)")
        out.append("engine \(r.engine.version)")
        return out
    }
}
