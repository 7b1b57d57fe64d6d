import ArgumentParser
import Foundation
import Imaging
import JobQueue

struct JobsSubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Queue one job with all the images given; prints its id.",
        discussion: """
            FILE|DIR: PNG, JPEG or DICOM files; folders are walked as by `analyze`. Every image is decoded \
            first: if one cannot be, nothing is queued and the file and the reason are named. The bytes are \
            on disk (fsynced) before the job is accepted.
            The same --idempotency-key with the same images, model and priority returns the earlier job; \
            with anything else it is refused.

            With --server (or MEDINFER_SERVER) the images are posted to that server (POST /v1/jobs, \
            multipart/form-data) and --model names one of its models; --models-dir is not used.

            Examples:
              medinfer jobs submit study/ --priority 8
              medinfer jobs submit scan.dcm --server http://127.0.0.1:8080 --api-key mi_...
              medinfer jobs submit scan.dcm --model brain-mri-tumor:1 --idempotency-key ris-4711 --json
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(help: "NAME[:VERSION] of the model (default: the repository's first model, active version).")
    var model: String?

    @Option(help: "0...9, 9 most urgent.")
    var priority: Int = 5

    @Option(help: "Makes resubmission safe: the same key and content give the same job.")
    var idempotencyKey: String?

    @Flag(help: "Print the job as JSON.")
    var json = false

    @OptionGroup var backend: BackendOptions
    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        guard (0...9).contains(priority) else { throw ValidationError("--priority must be 0...9") }
    }

    func run() async throws {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CLIError.input(path, "no such file or folder")
            }
            files += isDir.boolValue ? AnalyzeCommand.imageFiles(in: path) : [path]
        }
        guard !files.isEmpty else { throw CLIError(message: "no images found in \(paths.joined(separator: ", "))", exitCode: 1) }
        // Decoded here in both modes, so a bad file is named by its path before anything is sent or queued.
        for file in files { _ = try loadImage(file) }
        let submission = try await backend.open(repository: repository)
            .submit(files: files, model: model, priority: priority, idempotencyKey: idempotencyKey)
        if !submission.created {
            FileHandle.standardError.write(Data("medinfer: idempotency key matched the existing job \(submission.job.id)\n".utf8))
        }
        if json { try printJSON(submission.job) } else { print(submission.job.id) }
    }
}
