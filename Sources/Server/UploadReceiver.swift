import Core
import Foundation
import HTTPTypes
import Hummingbird
import Imaging

/// One received image: its bytes in a temporary file of the receiver's folder.
struct ReceivedImage: Sendable {
    var name: String?
    var file: URL
    var byteCount: Int64
}

/// Streams a request body (one raw image, or every file part of `multipart/form-data`) to temporary files,
/// chunk by chunk, refusing it with 413 as soon as it passes `maxBytes`, 415 for an unknown media type and
/// 400 for broken multipart. Then each file is decoded once, so an unreadable image is refused with the
/// decoder's reason before anything is queued.
struct UploadReceiver {
    /// The media types a raw body may have.
    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "application/dicom"]

    let directory: URL
    let maxBytes: Int64

    /// Receives the body; the caller removes the files (`discard`) once they are queued.
    func receive(_ request: Request) async throws -> [ReceivedImage] {
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > maxBytes { throw tooLarge }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        let images: [ReceivedImage]
        if Self.imageTypes.contains(mediaType) {
            images = [try await receiveRaw(request.body)]
        } else if mediaType == "multipart/form-data" {
            guard let boundary = MultipartParser.parameter("boundary", in: contentType), !boundary.isEmpty,
                  boundary.utf8.count <= 70
            else { throw Problem.badRequest("multipart/form-data needs a boundary parameter of 1 to 70 characters") }
            images = try await receiveMultipart(request.body, boundary: boundary, filesOnly: true)
        } else {
            throw Problem.unsupportedMediaType(
                "Content-Type '\(contentType)' is not accepted; send image/png, image/jpeg, application/dicom or multipart/form-data")
        }
        do {
            // Decoding is CPU work and reads files: on the blocking executor, never on the event loop.
            try await Blocking.run { [self] in try check(images) }
        } catch {
            discard(images)
            throw error
        }
        return images
    }

    /// Removes the temporary files.
    func discard(_ images: [ReceivedImage]) {
        for image in images { try? FileManager.default.removeItem(at: image.file) }
    }

    var tooLarge: Problem {
        Problem(.contentTooLarge, "Content Too Large", detail: "the request body exceeds the limit of \(maxBytes) bytes")
    }

    func receiveRaw(_ body: RequestBody) async throws -> ReceivedImage {
        let sink = try await FileSink.make(in: directory)
        do {
            for try await buffer in body {
                try await sink.write(buffer.readableBytesView)
                if sink.byteCount > maxBytes { throw tooLarge }
            }
            try await sink.close()
        } catch {
            sink.abandon()
            throw error
        }
        return ReceivedImage(name: nil, file: sink.url, byteCount: sink.byteCount)
    }

    /// Every part of a multipart body to its own file; with `filesOnly`, only parts with a `filename`
    /// (form-data fields are skipped), else every part (multipart/related, STOW-RS).
    func receiveMultipart(_ body: RequestBody, boundary: String, filesOnly: Bool) async throws -> [ReceivedImage] {
        var parser = MultipartParser(boundary: boundary)
        var images: [ReceivedImage] = []
        var current: (name: String?, sink: FileSink)?
        var total: Int64 = 0
        do {
            for try await buffer in body {
                total += Int64(buffer.readableBytes)
                if total > maxBytes { throw tooLarge }
                let events: [MultipartParser.Event]
                do { events = try parser.feed(buffer.readableBytesView) } catch {
                    throw Problem.badRequest("malformed multipart body: \(error.description)")
                }
                for event in events {
                    switch event {
                    case .begin(let headers):
                        let file = MultipartParser.parameter("filename", in: headers["content-disposition"] ?? "")
                        // In form-data, parts without a file name are form fields; they carry no image.
                        if file != nil || !filesOnly {
                            current = (file, try await FileSink.make(in: directory))
                        }
                    case .data(let bytes):
                        try await current?.sink.write(bytes)
                    case .end:
                        if let part = current {
                            try await part.sink.close()
                            images.append(ReceivedImage(name: part.name, file: part.sink.url, byteCount: part.sink.byteCount))
                            current = nil
                        }
                    }
                }
            }
            guard parser.isComplete else { throw Problem.badRequest("the multipart body ends before its closing boundary") }
            guard !images.isEmpty else { throw Problem.badRequest("the multipart body holds no file part") }
        } catch {
            current?.sink.abandon()
            discard(images)
            throw error
        }
        return images
    }

    /// Decodes every image once; the first that cannot be read refuses the request (400) with the reason.
    func check(_ images: [ReceivedImage]) throws {
        for (index, image) in images.enumerated() {
            let what = "image \(index)" + (image.name.map { " (\($0))" } ?? "")
            guard image.byteCount > 0 else { throw Problem.badRequest("\(what) is empty") }
            let data: Data
            do { data = try Data(contentsOf: image.file, options: .alwaysMapped) } catch {
                throw Problem.internalError("cannot read back \(what): \(error.localizedDescription)")
            }
            do { _ = try Admission.admit(data) } catch {
                throw Problem.badRequest("\(what) \(error)")
            }
        }
    }
}

/// A temporary file written in chunks, each on the blocking executor. One owner writes it, one call at a
/// time, which is why it may cross to that executor.
final class FileSink: @unchecked Sendable {
    let url: URL
    let handle: FileHandle
    private(set) var byteCount: Int64 = 0

    /// Creates the file on the blocking executor.
    static func make(in directory: URL) async throws -> FileSink {
        try await Blocking.run { try FileSink(directory: directory) }
    }

    init(directory: URL) throws {
        url = directory.appendingPathComponent("upload-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw Problem(.init(code: 507, reasonPhrase: "Insufficient Storage"), "Insufficient Storage",
                          detail: "cannot create a temporary file in \(url.deletingLastPathComponent().path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ bytes: some Collection<UInt8>) async throws {
        let data = Data(bytes)
        try await Blocking.run { [self] in try handle.write(contentsOf: data) }
        byteCount += Int64(data.count)
    }

    func close() async throws { try await Blocking.run { [self] in try handle.close() } }

    func abandon() {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }
}
