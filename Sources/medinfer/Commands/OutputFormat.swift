import Annotations
import ArgumentParser

/// `--format` of `analyze` and `jobs result`: the CLI's own `table` view, or one of the result documents
/// of the registry the HTTP API reads too (`Annotations.ResultFormat`), so a new document is offered by
/// both at once.
enum OutputFormat: Equatable, CaseIterable, ExpressibleByArgument {
    case table
    case document(ResultFormat)

    static let json = OutputFormat.document(.json)
    static let sr = OutputFormat.document(.sr)

    static var allCases: [OutputFormat] { [.table] + ResultFormat.allCases.map { .document($0) } }

    init?(argument: String) {
        if argument == "table" {
            self = .table
        } else if let document = ResultFormat(rawValue: argument) {
            self = .document(document)
        } else {
            return nil
        }
    }

    var name: String {
        switch self {
        case .table: "table"
        case .document(let document): document.rawValue
        }
    }

    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { allCases.map(\.name) }
}
