import ArgumentParser
import DICOM
import Foundation
import Imaging

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a DICOM header, or the format facts of a PNG or JPEG.",
        discussion: """
            DICOM: one line per element (tag, VR, keyword, value shortened), sequences nested.
            PNG/JPEG: size, bit depth, colour type, interlace or progressive, EXIF orientation.

            Example:
              medinfer inspect SampleImages/CT_small.dcm
              medinfer inspect SampleImages/CT_small.dcm --json
            """
    )

    @Argument(help: "The image file (PNG, JPEG or DICOM).")
    var file: String

    @Flag(help: "Print JSON (DICOM: the DICOM JSON model of PS3.18 F.2).")
    var json = false

    @Option(help: "Longest value shown per element in the text dump.")
    var maxValueLength: Int = 64

    func run() throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe)
        } catch {
            throw CLIError.input(file, "cannot read: \((error as NSError).localizedDescription)")
        }
        if DICOMImageDecoder().matches(data) {
            let parsed: DICOMFile
            do {
                parsed = try DICOMParser.parse(data)
            } catch {
                throw CLIError.input(file, error)
            }
            try printDICOM(parsed)
        } else {
            let image: DecodedImage
            do {
                image = try Imaging.decode(data)
            } catch {
                throw CLIError.input(file, error)
            }
            try printFacts(image)
        }
    }

    private func printDICOM(_ parsed: DICOMFile) throws {
        if json {
            var object = parsed.dataSet.jsonObject()
            for (k, v) in parsed.fileMetaInformation.jsonObject() { object[k] = v }
            try printJSON(object)
            return
        }
        print("# \(file)")
        print("# transfer syntax: \(parsed.transferSyntax)\(parsed.hasPreamble ? "" : " (no preamble)")")
        if !parsed.fileMetaInformation.elements.isEmpty {
            print("# file meta information")
            parsed.fileMetaInformation.dumpLines(maxValueLength: maxValueLength).forEach { print($0) }
            print("# data set")
        }
        parsed.dataSet.dumpLines(maxValueLength: maxValueLength).forEach { print($0) }
    }

    private func printFacts(_ image: DecodedImage) throws {
        if json {
            var object: [String: Any] = ["file": file]
            for (k, v) in image.sourceFacts { object[k] = Int(v) ?? v as Any }
            try printJSON(object)
            return
        }
        let width = image.sourceFacts.map(\.0.count).max() ?? 0
        print("# \(file)")
        for (k, v) in image.sourceFacts {
            print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v)
        }
    }

    private func printJSON(_ object: Any) throws {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } catch {
            throw CLIError.internal("JSON encoding failed: \(error)")
        }
    }
}
