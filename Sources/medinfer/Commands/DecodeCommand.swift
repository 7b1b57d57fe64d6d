public import ArgumentParser
import Foundation
public import Imaging
import Tensor

extension PixelStage: ExpressibleByArgument {}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode one frame of a PNG, JPEG or DICOM file into a NumPy .npy array.",
        discussion: """
            Stages: 'stored' keeps the stored integer type (palette applied, YBR converted to RGB); \
            'modality' is float32 after the Modality LUT (rescale slope/intercept); 'display' is float32 \
            in [0, 1] after the VOI window and MONOCHROME1 inversion (1 = brightest).
            Shape: [rows, columns] for grayscale, [rows, columns, 3] for colour (RGB).

            Example:
              medinfer decode SampleImages/CT_small.dcm --output ct.npy --stage display
            """
    )

    @Argument(help: "The image file (PNG, JPEG or DICOM).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the .npy file.")
    var output: String

    @Option(help: "Pipeline stage: stored, modality or display.")
    var stage: PixelStage = .stored

    @Option(help: "0-based frame of a multi-frame image.")
    var frame: Int = 0

    @Option(help: "0-based index of the stored VOI window used by --stage display.")
    var window: Int = 0

    func run() throws {
        let image = try loadImage(file)
        let tensor: Tensor
        do {
            tensor = try image.frameTensor(frame, stage: stage, windowIndex: window)
        } catch let e as ImagingError {
            throw CLIError.input(file, e)
        }
        do {
            try NPY.write(tensor, to: URL(fileURLWithPath: output))
        } catch {
            throw CLIError.input(output, error)
        }
        let shape = tensor.shape.map(String.init).joined(separator: "x")
        print("\(output): \(tensor.dtype.rawValue) \(shape) (\(stage.rawValue), frame \(frame) of \(image.numberOfFrames))")
    }
}

/// Reads and decodes a file (`Imaging.Admission.admit`), mapping failures onto CLI errors that name it.
func loadImage(_ path: String) throws -> DecodedImage {
    let data = try readScanFile(path)
    do {
        return try Admission.admit(data).image
    } catch .undecodable(let error) {
        throw CLIError.input(path, error)
    } catch {
        throw CLIError.input(path, error)
    }
}

/// A scan file's bytes (mapped when safe), or a CLI error that names it.
func readScanFile(_ path: String) throws(CLIError) -> Data {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
    } catch {
        throw CLIError.input(path, "cannot read: \((error as NSError).localizedDescription)")
    }
}
